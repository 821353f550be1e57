// HorizontalPodAutoscaler detectors, from the autoscaler's conditions, under
// the `hpa` switch:
// - maxed (level, warning): ScalingLimited True with TooManyReplicas, held
//   for hpa.maxedMinSeconds: the load asks for more replicas than
//   maxReplicas allows. "Maxed" is the want, not the replica count: it
//   resolves as soon as the recommendation drops to maxReplicas or below,
//   although the replicas stay up for the 5-minute scale-down stabilization.
// - unable to scale (level, warning): AbleToScale False (the target's scale
//   cannot be read or written) or ScalingActive False (no metric could be
//   computed, e.g. no metrics-server or a container without a request), held
//   for hpa.unableMinSeconds; ScalingActive False with ScalingDisabled (the
//   target scaled to zero on purpose) is not a failure. A new HPA's first
//   sync often finds no ready pods: the minimum keeps that quiet. Covers the
//   controller's FailedGet*Metric / FailedComputeMetricsReplicas /
//   FailedGetScale / FailedRescale Warning events (see event.ts).

import type { KubeObject } from '../model/kube.ts';
import { Severity } from '../model/notification.ts';
import type { DetectorsConfig } from './config.ts';
import type { Observation } from './types.ts';
import { compactFields, condition, displayName, refOf } from './util.ts';

export const HPA_MAXED = 'HPAMaxedOut';
export const HPA_UNABLE = 'HPAUnableToScale';

interface HPAShape {
  spec?: { minReplicas?: number; maxReplicas?: number; scaleTargetRef?: { kind?: string; name?: string } };
  status?: { currentReplicas?: number; desiredReplicas?: number };
}

const shape = (o: KubeObject): HPAShape => o as KubeObject & HPAShape;
const key = (uid: string, what: string): string => `hpa/${uid}/${what}`;

function target(hpa: KubeObject): string {
  const ref = shape(hpa).spec?.scaleTargetRef;
  return ref?.kind && ref.name ? `${ref.kind}/${ref.name}` : '';
}

export function detectHPA(hpa: KubeObject, config: DetectorsConfig): Observation[] {
  if (!config.hpa.enabled || hpa.metadata.deletionTimestamp) return [];
  const out: Observation[] = [];
  const uid = hpa.metadata.uid ?? '';
  const name = displayName(hpa);
  const involved = refOf(hpa, 'autoscaling/v2', 'HorizontalPodAutoscaler');
  const s = shape(hpa);
  const max = s.spec?.maxReplicas;
  const base = compactFields({
    target: target(hpa),
    minReplicas: s.spec?.minReplicas,
    maxReplicas: max,
    currentReplicas: s.status?.currentReplicas,
    desiredReplicas: s.status?.desiredReplicas,
  });

  const limited = condition(hpa, 'ScalingLimited');
  if (limited?.status === 'True' && limited.reason === 'TooManyReplicas') {
    out.push({
      kind: 'level',
      key: key(uid, 'Maxed'),
      state: 'firing',
      detector: 'hpa',
      severity: Severity.WARNING,
      reason: HPA_MAXED,
      title: `HorizontalPodAutoscaler ${name} is at its maximum of ${max ?? '?'} replicas`,
      message: `HorizontalPodAutoscaler ${name}${base.target ? ` (${base.target})` : ''} wants more replicas than maxReplicas ${max ?? '?'} allows; running ${s.status?.currentReplicas ?? '?'}`,
      since: limited.lastTransitionTime,
      minDurationMs: config.hpa.maxedMinSeconds * 1000,
      fields: base,
      involved,
    });
  }

  for (const type of ['AbleToScale', 'ScalingActive']) {
    const c = condition(hpa, type);
    if (c?.status !== 'False' || c.reason === 'ScalingDisabled') continue;
    out.push({
      kind: 'level',
      key: key(uid, `${type}False`),
      state: 'firing',
      detector: 'hpa',
      severity: Severity.WARNING,
      reason: HPA_UNABLE,
      title: `HorizontalPodAutoscaler ${name} cannot scale`,
      message: `HorizontalPodAutoscaler ${name}${base.target ? ` (${base.target})` : ''}: ${c.message || c.reason || `${type} is False`}`,
      since: c.lastTransitionTime,
      minDurationMs: config.hpa.unableMinSeconds * 1000,
      fields: compactFields({ ...base, condition: type, conditionReason: c.reason }),
      involved,
    });
  }
  return out;
}

/** What recovered, for the RESOLVED notification of an HPA incident. */
export function describeHPAResolved(obs: Observation, hpa: KubeObject | undefined): string {
  const name = displayName(obs.involved ?? hpa);
  if (!hpa) return `HorizontalPodAutoscaler ${name} was deleted`;
  const s = shape(hpa);
  if (obs.reason === HPA_MAXED) {
    return `HorizontalPodAutoscaler ${name} no longer wants more than ${s.spec?.maxReplicas ?? '?'} replicas (running ${s.status?.currentReplicas ?? '?'}, desired ${s.status?.desiredReplicas ?? '?'})`;
  }
  const type = obs.fields?.condition ?? 'ScalingActive';
  const c = condition(hpa, type);
  return `HorizontalPodAutoscaler ${name} can scale again${c?.reason ? ` (${type}: ${c.reason})` : ''}`;
}
