// StatefulSet detectors, all under the `statefulSetRollout` switch:
// - rollout completed (edge, info; only with statefulSetRollout.completed):
//   a transition from not done to done (as `kubectl rollout status` judges
//   it), so a re-list or a restart never announces an old rollout again;
//   keyed by the update revision, which the tracker remembers while the
//   object exists, so scaling a finished StatefulSet is not a rollout;
// - stuck (level, warning): a rollout (pods not yet at the update revision,
//   or not all created) that has not progressed — no pod updated or becoming
//   ready, the update revision unchanged — for progressSeconds. StatefulSets
//   have no progress deadline or Progressing condition of their own, so the
//   incident's key is the progress itself: any progress resolves it (and a
//   new wait begins);
// - unavailable (level, warning): fewer ready pods than wanted for
//   unavailableMinSeconds; every creation and every pod replaced during a
//   rollout is briefly so.
// OnDelete StatefulSets only update when someone deletes their pods: they
// have no rollout to complete or get stuck (kubectl refuses their status).

import type { KubeObject } from '../model/kube.ts';
import { Severity } from '../model/notification.ts';
import type { DetectorsConfig } from './config.ts';
import type { Delta, Observation } from './types.ts';
import { compactFields, displayName, refOf, shortDuration } from './util.ts';

export const STATEFULSET_ROLLOUT_COMPLETED = 'StatefulSetRolloutCompleted';
export const STATEFULSET_ROLLOUT_STUCK = 'StatefulSetRolloutStuck';
export const STATEFULSET_UNAVAILABLE = 'StatefulSetUnavailable';

interface StatefulSetShape {
  spec?: {
    replicas?: number;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
    template?: { spec?: { containers?: { name: string; image?: string }[] } };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
}

type StatefulSet = KubeObject & StatefulSetShape;

const stsKey = (uid: string, ...parts: string[]): string => ['statefulset', uid, ...parts].join('/');
const wanted = (s: StatefulSet): number => s.spec?.replicas ?? 1;
const isOnDelete = (s: StatefulSet): boolean => s.spec?.updateStrategy?.type === 'OnDelete';

/** kubectl's StatefulSetStatusViewer: observed, all ready, updated down to the partition (or the revisions equal). */
export function statefulSetRolloutDone(obj: KubeObject | undefined): boolean {
  if (!obj) return false;
  const s = obj as StatefulSet;
  const st = s.status ?? {};
  if (!st.observedGeneration || (s.metadata.generation ?? 1) > st.observedGeneration) return false;
  if ((st.readyReplicas ?? 0) < wanted(s)) return false;
  const partition = s.spec?.updateStrategy?.rollingUpdate?.partition;
  if (partition !== undefined) return (st.updatedReplicas ?? 0) >= wanted(s) - partition;
  return st.updateRevision === st.currentRevision;
}

/** Pods still to be moved to the update revision (or created). */
function rolloutPending(s: StatefulSet): boolean {
  const st = s.status ?? {};
  const partition = s.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  // the last pod of a rollout is updated before it is ready: the revisions only meet once it is
  return !statefulSetRolloutDone(s) && ((st.updatedReplicas ?? 0) < wanted(s) - partition || (partition === 0 && st.currentRevision !== st.updateRevision));
}

function images(s: StatefulSet): string {
  return (s.spec?.template?.spec?.containers ?? []).map((c) => c.image ?? '').filter(Boolean).join(',');
}

export function detectStatefulSet(delta: Delta, config: DetectorsConfig): Observation[] {
  const s = delta.current as StatefulSet | undefined;
  const cfg = config.statefulSetRollout;
  if (!s || !cfg.enabled) return [];
  const out: Observation[] = [];
  const uid = s.metadata.uid ?? '';
  const name = displayName(s);
  const involved = refOf(s, 'apps/v1', 'StatefulSet');
  const st = s.status ?? {};
  const want = wanted(s);
  const revision = st.updateRevision ?? '';
  const fields = compactFields({
    revision,
    currentRevision: st.currentRevision,
    replicas: want,
    updatedReplicas: st.updatedReplicas ?? 0,
    readyReplicas: st.readyReplicas ?? 0,
    images: images(s),
  });

  if (!isOnDelete(s) && cfg.completed && delta.old && !delta.initial && !statefulSetRolloutDone(delta.old) && statefulSetRolloutDone(s)) {
    out.push({
      kind: 'edge',
      key: stsKey(uid, 'rollout', revision || String(s.metadata.generation ?? '')),
      state: 'firing',
      detector: 'statefulSetRollout',
      severity: Severity.INFO,
      reason: STATEFULSET_ROLLOUT_COMPLETED,
      title: `StatefulSet ${name} rolled out${revision ? ` revision ${revision}` : ''}`,
      message: `StatefulSet ${name} finished rolling out${revision ? ` revision ${revision}` : ''}: ${st.updatedReplicas ?? 0} of ${want} pods updated, ${st.readyReplicas ?? 0} ready${fields.images ? ` (${fields.images})` : ''}`,
      fields,
      involved,
    });
  }

  if (!isOnDelete(s) && rolloutPending(s)) {
    // the key is the progress so far: when a pod updates or becomes ready, this wait ends and a new one starts
    const progress = [revision, st.updatedReplicas ?? 0, st.readyReplicas ?? 0].join(':');
    out.push({
      kind: 'level',
      key: stsKey(uid, STATEFULSET_ROLLOUT_STUCK, progress),
      state: 'firing',
      detector: 'statefulSetRollout',
      severity: Severity.WARNING,
      reason: STATEFULSET_ROLLOUT_STUCK,
      title: `StatefulSet ${name} rollout is stuck`,
      message: `StatefulSet ${name}${revision ? ` revision ${revision}` : ''} has not progressed for ${shortDuration(cfg.progressSeconds * 1000)}: ${st.updatedReplicas ?? 0} of ${want} pods updated, ${st.readyReplicas ?? 0} ready`,
      minDurationMs: cfg.progressSeconds * 1000,
      fields,
      involved,
    });
  }

  if ((st.readyReplicas ?? 0) < want) {
    out.push({
      kind: 'level',
      key: stsKey(uid, STATEFULSET_UNAVAILABLE),
      state: 'firing',
      detector: 'statefulSetRollout',
      severity: Severity.WARNING,
      reason: STATEFULSET_UNAVAILABLE,
      title: `StatefulSet ${name} has pods that are not ready`,
      message: `StatefulSet ${name} has ${st.readyReplicas ?? 0} of ${want} pods ready`,
      minDurationMs: cfg.unavailableMinSeconds * 1000,
      fields,
      involved,
    });
  }
  return out;
}

/** What recovered, for the RESOLVED notification of a StatefulSet incident. */
export function describeStatefulSetResolved(obs: Observation, current: KubeObject | undefined): string {
  const name = displayName(obs.involved ?? current);
  if (!current) return `statefulset ${name} was deleted`;
  const s = current as StatefulSet;
  const st = s.status ?? {};
  if (obs.reason === STATEFULSET_ROLLOUT_STUCK) {
    if (statefulSetRolloutDone(s)) return `statefulset ${name} rolled out revision ${st.updateRevision ?? ''} (${st.readyReplicas ?? 0} of ${wanted(s)} pods ready)`;
    return `statefulset ${name} is progressing again (${st.updatedReplicas ?? 0} of ${wanted(s)} pods updated, ${st.readyReplicas ?? 0} ready)`;
  }
  return `statefulset ${name} has all pods ready again (${st.readyReplicas ?? 0} of ${wanted(s)})`;
}
