// The detectors' entry point: from one object's change to the observations
// that hold for its current state. Pure: no I/O, no clock (`now` is given).
// The IncidentTracker (tracker.ts) turns observations into notifications.

import type { KubeObject } from '../model/kube.ts';
import type { DetectorsConfig } from './config.ts';
import { detectDaemonSet } from './daemonset.ts';
import { detectBatchEvent, detectCronJob } from './cronjob.ts';
import { detectDeployment } from './deployment.ts';
import { detectEvent } from './event.ts';
import { detectHPA } from './hpa.ts';
import { detectJob, type RelatedLookup } from './job.ts';
import { detectNamespace } from './namespace.ts';
import { detectNode } from './node.ts';
import { detectPod, podRecheckAt } from './pod.ts';
import { detectPVC } from './pvc.ts';
import { detectResourceChange } from './resource.ts';
import { detectStatefulSet } from './statefulset.ts';
import type { Delta, Observation } from './types.ts';

export type { Delta, Observation, ObservationKind } from './types.ts';
export type { RelatedLookup } from './job.ts';
export { DEFAULT_DETECTORS, type DetectorsConfig } from './config.ts';
export { describeResolved } from './resolved.ts';
export { IncidentTracker, type TrackerOptions, type TrackerState, type TrackedIncident } from './tracker.ts';

/** The object kinds detect() has detectors for. */
export const DETECTED_KINDS = ['Pod', 'Node', 'Event', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'PersistentVolumeClaim', 'HorizontalPodAutoscaler', 'Namespace'] as const;

/**
 * The observations that hold for `delta.current`. A deletion (no current)
 * gives none: the tracker resolves whatever is no longer observed. Other
 * kinds (the extra watched resources) give created/changed/deleted edges.
 */
/**
 * `related` reads the listener's cache (the pods of a failed Job, the Jobs
 * of a CronJob) to tell more in a message; detectors never need it to decide.
 */
export function detect(kind: string, delta: Delta, now: Date, config: DetectorsConfig, related?: RelatedLookup): Observation[] {
  const current = delta.current;
  if (!(DETECTED_KINDS as readonly string[]).includes(kind)) return detectResourceChange(kind, delta, config);
  if (!current) return [];
  switch (kind) {
    case 'Pod':
      return detectPod(current, now, config);
    case 'Node':
      return detectNode(current, config);
    case 'Event':
      return detectBatchEvent(current, config) ?? detectEvent(current, config);
    case 'Deployment':
      return detectDeployment(delta, config);
    case 'Job':
      return detectJob(delta, config, related);
    case 'CronJob':
      return detectCronJob(current, config, related);
    case 'StatefulSet':
      return detectStatefulSet(delta, config);
    case 'DaemonSet':
      return detectDaemonSet(delta, config);
    case 'PersistentVolumeClaim':
      return detectPVC(current, config);
    case 'HorizontalPodAutoscaler':
      return detectHPA(current, config);
    case 'Namespace':
      return detectNamespace(current, config);
    default:
      return [];
  }
}

/**
 * When detect() may answer differently for the same, unchanged object: time
 * alone ends some incidents (a restarted container is stable stableSeconds
 * after it started, and its crash loop resolves then), and the API server
 * sends no change for that. The caller re-runs detect() and observe() for
 * the object at this time. Waiting for a minimum duration is not included:
 * that is IncidentTracker.nextDue().
 */
export function recheckAt(kind: string, current: KubeObject | undefined, now: Date, config: DetectorsConfig): Date | undefined {
  if (!current) return undefined;
  if (kind === 'Pod') return podRecheckAt(current, now, config);
  return undefined;
}
