// Event detectors: Warning events notify once per Event object (its uid), so
// the recorder bumping `count` on a repeat updates nothing downstream; Normal
// events only when normalEvents is enabled, as info. Both core/v1 Events
// (involvedObject, message, count, lastTimestamp) and events.k8s.io/v1 Events
// (regarding, note, series, deprecatedCount) are read: the same Event seen
// through both APIs has one uid and so one key.

import type { KubeObject } from '../model/kube.ts';
import { Severity } from '../model/notification.ts';
import type { DetectorsConfig } from './config.ts';
import type { Observation } from './types.ts';
import { compactFields, type ObjectRefFields } from './util.ts';

interface RefShape {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  fieldPath?: string;
}

interface EventShape {
  type?: string;
  reason?: string;
  // core/v1
  message?: string;
  involvedObject?: RefShape;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  source?: { component?: string; host?: string };
  // events.k8s.io/v1 (and core/v1 written through it)
  note?: string;
  regarding?: RefShape;
  deprecatedCount?: number;
  deprecatedFirstTimestamp?: string | null;
  deprecatedLastTimestamp?: string | null;
  deprecatedSource?: { component?: string; host?: string };
  series?: { count?: number; lastObservedTime?: string };
  eventTime?: string | null;
  reportingController?: string;
  reportingComponent?: string;
  reportingInstance?: string;
}

/** The fields of an Event whichever API it came through. */
export interface EventView {
  type: string;
  reason: string;
  message: string;
  involved: ObjectRefFields;
  fieldPath?: string;
  count: number;
  /** when it last happened */
  time?: string;
  component?: string;
  host?: string;
}

const nonEmpty = (...xs: (string | null | undefined)[]): string | undefined => xs.find((x): x is string => typeof x === 'string' && x !== '');

export function eventView(ev: KubeObject): EventView {
  const e = ev as KubeObject & EventShape;
  const ref = e.regarding ?? e.involvedObject ?? {};
  const count = e.series?.count ?? (e.count || undefined) ?? (e.deprecatedCount || undefined) ?? 1;
  return {
    type: e.type ?? '',
    reason: e.reason ?? '',
    message: nonEmpty(e.note, e.message) ?? '',
    involved: {
      apiVersion: ref.apiVersion ?? '',
      kind: ref.kind ?? '',
      namespace: ref.namespace ?? '',
      name: ref.name ?? '',
      uid: ref.uid ?? '',
    },
    fieldPath: ref.fieldPath,
    count,
    time: nonEmpty(e.series?.lastObservedTime, e.lastTimestamp, e.deprecatedLastTimestamp, e.eventTime, e.firstTimestamp, e.deprecatedFirstTimestamp),
    component: nonEmpty(e.reportingController, e.source?.component, e.deprecatedSource?.component, e.reportingComponent),
    host: nonEmpty(e.source?.host, e.deprecatedSource?.host),
  };
}

/** "spec.containers{app}" → "app" */
function containerOf(fieldPath: string | undefined): string | undefined {
  return fieldPath ? /^spec\.(?:init|ephemeral)?[cC]ontainers\{([^}]+)\}/.exec(fieldPath)?.[1] : undefined;
}

/**
 * Warning events that say again what a state detector already reports about
 * the same object (kubelet's BackOff next to the CrashLoopBackOff waiting
 * reason, Evicted next to the evicted pod): one incident, not two.
 */
const COVERED = new Map<string, Map<string, keyof DetectorsConfig>>(
  Object.entries({
    BackOff: { Pod: 'crashLoopBackOff' },
    Failed: { Pod: 'badWaiting' },
    ErrImagePull: { Pod: 'badWaiting' },
    ImagePullBackOff: { Pod: 'badWaiting' },
    ErrImageNeverPull: { Pod: 'badWaiting' },
    InspectFailed: { Pod: 'badWaiting' },
    Evicted: { Pod: 'evicted' },
    Unhealthy: { Pod: 'podNotReady' },
    NodeNotReady: { Pod: 'podNotReady', Node: 'nodeNotReady' },
    EvictionThresholdMet: { Node: 'nodePressure' },
    ProvisioningFailed: { PersistentVolumeClaim: 'pvcPending' },
    VolumeResizeFailed: { PersistentVolumeClaim: 'pvcResizeFailed' },
    FailedGetScale: { HorizontalPodAutoscaler: 'hpa' },
    FailedRescale: { HorizontalPodAutoscaler: 'hpa' },
    FailedComputeMetricsReplicas: { HorizontalPodAutoscaler: 'hpa' },
    FailedGetResourceMetric: { HorizontalPodAutoscaler: 'hpa' },
    FailedGetContainerResourceMetric: { HorizontalPodAutoscaler: 'hpa' },
    FailedGetPodsMetric: { HorizontalPodAutoscaler: 'hpa' },
    FailedGetObjectMetric: { HorizontalPodAutoscaler: 'hpa' },
    FailedGetExternalMetric: { HorizontalPodAutoscaler: 'hpa' },
    InvalidMetricSourceType: { HorizontalPodAutoscaler: 'hpa' },
  }).map(([reason, kinds]) => [reason, new Map(Object.entries(kinds) as [string, keyof DetectorsConfig][])]),
);

function coveredByState(v: EventView, config: DetectorsConfig): boolean {
  if (config.warningEvents.includeCovered) return false;
  const detector = COVERED.get(v.reason)?.get(v.involved.kind);
  if (!detector) return false;
  if (v.reason === 'BackOff' && /pulling image/i.test(v.message)) return config.badWaiting.enabled;
  // liveness and startup probe failures restart containers; only readiness is what podNotReady reports
  if (v.reason === 'Unhealthy' && !/^Readiness probe/i.test(v.message)) return false;
  // a claim of a class that does not exist is not reported by pvcPending (see pvc.ts): its event is the notice
  if (v.reason === 'ProvisioningFailed' && /^storageclass\.storage\.k8s\.io ".*" not found$/.test(v.message)) return false;
  return (config[detector] as { enabled: boolean }).enabled;
}

export function detectEvent(ev: KubeObject, config: DetectorsConfig): Observation[] {
  const v = eventView(ev);
  const warning = v.type === 'Warning';
  if (warning) {
    if (!config.warningEvents.enabled || config.warningEvents.excludeReasons.includes(v.reason)) return [];
    if (coveredByState(v, config)) return [];
  } else if (!config.normalEvents.enabled) {
    return [];
  }
  const target = v.involved.namespace ? `${v.involved.kind} ${v.involved.namespace}/${v.involved.name}` : `${v.involved.kind} ${v.involved.name}`;
  return [
    {
      kind: 'edge',
      key: `event/${ev.metadata.uid ?? `${ev.metadata.namespace}/${ev.metadata.name}`}`,
      state: 'firing',
      detector: warning ? 'warningEvents' : 'normalEvents',
      severity: warning ? Severity.WARNING : Severity.INFO,
      reason: v.reason,
      title: `${v.reason}: ${target.trim()}`,
      message: v.message,
      since: v.time,
      count: v.count,
      eventType: v.type,
      fields: compactFields({ component: v.component, node: v.host, fieldPath: v.fieldPath, container: containerOf(v.fieldPath) }),
      involved: v.involved,
    },
  ];
}
