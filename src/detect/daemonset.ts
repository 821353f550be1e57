// DaemonSet detectors, all under the `daemonSetRollout` switch. A DaemonSet
// has no conditions to read, so everything comes from its status counts,
// judged as `kubectl rollout status ds/…` judges them (the controller saw the
// current generation, every desired node runs an updated pod, each of them
// available):
// - rollout completed (edge, info; only with daemonSetRollout.completed): a
//   transition from not complete to complete between two versions of the
//   object, so the initial list or a restart never announces one; keyed by
//   the generation, so one rollout is announced once. (A DaemonSet whose
//   completion kubeherald never saw, e.g. it started afterwards, announces
//   its generation once if a pod later goes unavailable and comes back.)
// - rollout stuck (level, warning): a RollingUpdate rollout whose counts have
//   not moved for progressSeconds. The key carries the counts, so any
//   progress resolves a fired incident (and restarts the wait), as does the
//   rollout completing; OnDelete rollouts wait for someone to delete pods
//   and are never stuck.
// - unavailable (level, warning): more nodes without an available daemon pod
//   than the rollout allows (maxUnavailable while pods are being replaced,
//   none otherwise) for unavailableMinSeconds.

import type { KubeObject } from '../model/kube.ts';
import { Severity } from '../model/notification.ts';
import type { DetectorsConfig } from './config.ts';
import type { Delta, Observation } from './types.ts';
import { compactFields, displayName, refOf } from './util.ts';

export const ROLLOUT_COMPLETED = 'DaemonSetRolloutCompleted';
export const ROLLOUT_STUCK = 'DaemonSetRolloutStuck';
export const UNAVAILABLE = 'DaemonSetUnavailable';

interface DaemonSetShape {
  spec?: {
    updateStrategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string } };
    template?: { spec?: { containers?: { name: string; image?: string }[] } };
  };
  status?: {
    observedGeneration?: number;
    desiredNumberScheduled?: number;
    currentNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberReady?: number;
    numberAvailable?: number;
    numberUnavailable?: number;
    numberMisscheduled?: number;
  };
}

const dsKey = (uid: string, ...parts: string[]): string => ['daemonset', uid, ...parts].join('/');
const shape = (d: KubeObject): DaemonSetShape => d as KubeObject & DaemonSetShape;
const counts = (d: KubeObject) => {
  const st = shape(d).status ?? {};
  const desired = st.desiredNumberScheduled ?? 0;
  const available = st.numberAvailable ?? 0;
  return {
    desired,
    updated: st.updatedNumberScheduled ?? 0,
    available,
    ready: st.numberReady ?? 0,
    unavailable: Math.max(st.numberUnavailable ?? 0, desired - available),
    observed: (st.observedGeneration ?? 0) >= (d.metadata.generation ?? 1),
  };
};

/** What `kubectl rollout status ds/…` calls done. */
export function daemonSetRolloutComplete(d: KubeObject | undefined): boolean {
  if (!d) return false;
  const c = counts(d);
  return c.observed && c.updated >= c.desired && c.available >= c.desired;
}

/** Pods are still being moved to the current template. */
function replacing(d: KubeObject): boolean {
  const c = counts(d);
  return !c.observed || c.updated < c.desired;
}

const isOnDelete = (d: KubeObject): boolean => shape(d).spec?.updateStrategy?.type === 'OnDelete';

/** maxUnavailable of the strategy against the desired nodes: percentages round up, as the controller does. */
export function allowedUnavailable(d: KubeObject): number {
  if (isOnDelete(d)) return 0;
  const v = shape(d).spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1;
  const desired = counts(d).desired;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  return m ? Math.ceil((Number(m[1]) * desired) / 100) : 1;
}

function images(d: KubeObject): string {
  const containers = shape(d).spec?.template?.spec?.containers ?? [];
  return containers.map((c) => c.image ?? '').filter(Boolean).join(',');
}

const duration = (s: number): string => (s % 60 === 0 ? `${s / 60}m` : `${s}s`);

export function detectDaemonSet(delta: Delta, config: DetectorsConfig): Observation[] {
  const d = delta.current;
  const cfg = config.daemonSetRollout;
  if (!d || !cfg.enabled) return [];
  const out: Observation[] = [];
  const uid = d.metadata.uid ?? '';
  const name = displayName(d);
  const involved = refOf(d, 'apps/v1', 'DaemonSet');
  const c = counts(d);
  const generation = String(d.metadata.generation ?? 1);
  const fields = compactFields({
    generation,
    desiredNumberScheduled: c.desired,
    updatedNumberScheduled: c.updated,
    numberAvailable: c.available,
    numberReady: c.ready,
    images: images(d),
  });

  if (cfg.completed && delta.old && !daemonSetRolloutComplete(delta.old) && daemonSetRolloutComplete(d)) {
    out.push({
      kind: 'edge',
      key: dsKey(uid, 'rollout', generation),
      state: 'firing',
      detector: 'daemonSetRollout',
      severity: Severity.INFO,
      reason: ROLLOUT_COMPLETED,
      title: `DaemonSet ${name} rolled out`,
      message: `DaemonSet ${name} finished rolling out generation ${generation}: ${c.updated} of ${c.desired} nodes updated and available${fields.images ? ` (${fields.images})` : ''}`,
      fields,
      involved,
    });
  }

  if (!isOnDelete(d) && !daemonSetRolloutComplete(d)) {
    out.push({
      kind: 'level',
      key: dsKey(uid, ROLLOUT_STUCK, generation, String(c.desired), String(c.updated), String(c.available)),
      state: 'firing',
      detector: 'daemonSetRollout',
      severity: Severity.WARNING,
      reason: ROLLOUT_STUCK,
      title: `DaemonSet ${name} rollout is stuck`,
      message: `DaemonSet ${name} has not progressed for ${duration(cfg.progressSeconds)}: ${c.updated} of ${c.desired} nodes updated, ${c.available} available${fields.images ? ` (${fields.images})` : ''}`,
      minDurationMs: cfg.progressSeconds * 1000,
      fields,
      involved,
    });
  }

  const allowed = replacing(d) ? allowedUnavailable(d) : 0;
  if (c.unavailable > allowed) {
    out.push({
      kind: 'level',
      key: dsKey(uid, UNAVAILABLE),
      state: 'firing',
      detector: 'daemonSetRollout',
      severity: Severity.WARNING,
      reason: UNAVAILABLE,
      title: `DaemonSet ${name} has unavailable pods`,
      message: `DaemonSet ${name} has ${c.available} of ${c.desired} daemon pods available (${c.ready} ready)`,
      minDurationMs: cfg.unavailableMinSeconds * 1000,
      fields,
      involved,
    });
  }
  return out;
}

/** What recovered, for the RESOLVED notification of a DaemonSet incident. */
export function describeDaemonSetResolved(obs: Observation, d: KubeObject | undefined): string {
  const name = displayName(obs.involved ?? d);
  if (!d) return `daemonset ${name} was deleted`;
  const c = counts(d);
  if (obs.reason === ROLLOUT_STUCK) {
    if (daemonSetRolloutComplete(d)) return `daemonset ${name} rolled out generation ${d.metadata.generation ?? 1} (${c.updated} of ${c.desired} nodes updated and available)`;
    const generation = String(d.metadata.generation ?? 1);
    if (obs.fields?.generation && obs.fields.generation !== generation) return `daemonset ${name} was changed (generation ${generation}): its rollout starts again`;
    return `daemonset ${name} is progressing again (${c.updated} of ${c.desired} nodes updated, ${c.available} available)`;
  }
  return `daemonset ${name} has its daemon pods available again (${c.available} of ${c.desired})`;
}
