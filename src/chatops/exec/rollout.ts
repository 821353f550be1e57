// `kubectl rollout status|history|undo` for Deployments, as kubectl computes
// them client-side (polymorphichelpers: rollout_status.go, history.go,
// rollback.go): the pure parts, from a Deployment and its ReplicaSets.

import type * as k8s from '@kubernetes/client-node';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
const POD_TEMPLATE_HASH = 'pod-template-hash';

/** Annotations a rollback keeps from the Deployment instead of copying them from the ReplicaSet (kubectl's annotationsToSkip). */
const ANNOTATIONS_TO_SKIP = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

export interface RolloutStatus {
  message: string;
  done: boolean;
  /** the rollout failed (progress deadline exceeded) */
  failed: boolean;
}

/** One look at a Deployment, with kubectl's words; never waits. */
export function rolloutStatus(d: k8s.V1Deployment): RolloutStatus {
  const name = d.metadata?.name ?? '';
  const s = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) {
    return { message: 'Waiting for deployment spec update to be observed...', done: false, failed: false };
  }
  const progressing = (s.conditions ?? []).find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { message: `deployment "${name}" exceeded its progress deadline`, done: false, failed: true };
  }
  const want = d.spec?.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  if (updated < want) {
    return { message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${want} new replicas have been updated...`, done: false, failed: false };
  }
  const total = s.replicas ?? 0;
  if (total > updated) {
    return { message: `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...`, done: false, failed: false };
  }
  const available = s.availableReplicas ?? 0;
  if (available < updated) {
    return { message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`, done: false, failed: false };
  }
  return { message: `deployment "${name}" successfully rolled out`, done: true, failed: false };
}

/** The ReplicaSets a Deployment controls (owner reference to its uid), as kubectl's GetAllReplicaSets keeps them. */
export function ownedReplicaSets(d: k8s.V1Deployment, all: readonly k8s.V1ReplicaSet[]): k8s.V1ReplicaSet[] {
  const uid = d.metadata?.uid;
  return all.filter((rs) => (rs.metadata?.ownerReferences ?? []).some((o) => o.controller && o.uid === uid));
}

export function revisionOf(rs: k8s.V1ReplicaSet): number | undefined {
  const v = rs.metadata?.annotations?.[REVISION_ANNOTATION];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** REVISION and CHANGE-CAUSE rows, oldest first. */
export function rolloutHistory(rss: readonly k8s.V1ReplicaSet[]): string[][] {
  const byRevision = new Map<number, k8s.V1ReplicaSet>();
  for (const rs of rss) {
    const r = revisionOf(rs);
    if (r !== undefined) byRevision.set(r, rs);
  }
  return [...byRevision.keys()]
    .sort((a, b) => a - b)
    .map((r) => [String(r), byRevision.get(r)!.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION] ?? '<none>']);
}

export type UndoPlan =
  | { kind: 'patch'; revision: number; patch: object[] }
  | { kind: 'skip'; revision: number; message: string }
  | { kind: 'error'; message: string };

/** A pod template without the pod-template-hash label, as plain JSON (typed objects carry Dates). */
function plainTemplate(t: k8s.V1PodTemplateSpec | undefined): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(t ?? {})) as { metadata?: { labels?: Record<string, string> } } & Record<string, unknown>;
  if (plain.metadata?.labels) {
    delete plain.metadata.labels[POD_TEMPLATE_HASH];
    if (Object.keys(plain.metadata.labels).length === 0) delete plain.metadata.labels;
  }
  return plain;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * kubectl's DeploymentRollbacker: the ReplicaSet of `toRevision` (0: the one
 * before the newest), its pod template copied into the Deployment with a JSON
 * patch, the ReplicaSet's annotations with it.
 */
export function planUndo(d: k8s.V1Deployment, rss: readonly k8s.V1ReplicaSet[], toRevision = 0): UndoPlan {
  const name = d.metadata?.name ?? '';
  if (d.spec?.paused) return { kind: 'error', message: "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again" };
  let latest: { r: number; rs: k8s.V1ReplicaSet } | undefined;
  let previous: { r: number; rs: k8s.V1ReplicaSet } | undefined;
  let target: { r: number; rs: k8s.V1ReplicaSet } | undefined;
  for (const rs of rss) {
    const r = revisionOf(rs);
    if (r === undefined) continue;
    if (toRevision > 0) {
      if (r === toRevision) target = { r, rs };
      continue;
    }
    if (!latest || latest.r < r) {
      previous = latest;
      latest = { r, rs };
    } else if (!previous || previous.r < r) {
      previous = { r, rs };
    }
  }
  if (toRevision > 0 && !target) return { kind: 'error', message: `unable to find specified revision ${toRevision} in history` };
  if (toRevision === 0) {
    if (!previous) return { kind: 'error', message: `no rollout history found for deployment "${name}"` };
    target = previous;
  }
  const chosen = target!;
  const template = plainTemplate(chosen.rs.spec?.template);
  if (canonical(template) === canonical(plainTemplate(d.spec?.template))) {
    return { kind: 'skip', revision: chosen.r, message: `skipped rollback (current template already matches revision ${chosen.r})` };
  }
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) if (ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
  for (const [k, v] of Object.entries(chosen.rs.metadata?.annotations ?? {})) if (!ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
  return {
    kind: 'patch',
    revision: chosen.r,
    patch: [
      { op: 'replace', path: '/spec/template', value: template },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ],
  };
}
