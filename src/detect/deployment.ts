// Deployment detectors, all under the `rollout` switch:
// - rollout completed (edge, info; only with rollout.completed): seen as a
//   transition from the previous version of the object to this one, so a
//   re-list or a restart never announces an old rollout again; keyed by the
//   revision annotation, so scaling a finished Deployment is not a rollout;
// - stuck (level, warning): Progressing=False with ProgressDeadlineExceeded;
// - unavailable (level, warning): Available=False (MinimumReplicasUnavailable).
//   Every rollout from zero and every new Deployment starts that way for a few
//   seconds, so it only notifies once it has held for a minute (overridable
//   by a `rollout.unavailableMinSeconds` setting, which the config schema does
//   not have yet).

import type { KubeObject } from '../model/kube.ts';
import { Severity } from '../model/notification.ts';
import type { DetectorsConfig } from './config.ts';
import type { Delta, Observation } from './types.ts';
import { compactFields, condition, displayName, refOf } from './util.ts';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const UNAVAILABLE_MIN_SECONDS = 60;
const NEW_RS_AVAILABLE = 'NewReplicaSetAvailable';
const DEADLINE_EXCEEDED = 'ProgressDeadlineExceeded';

interface DeploymentShape {
  spec?: { replicas?: number; template?: { spec?: { containers?: { name: string; image?: string }[] } } };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; readyReplicas?: number; availableReplicas?: number };
}

export const deployKey = (uid: string, ...parts: string[]): string => ['deployment', uid, ...parts].join('/');
export const revisionOf = (d: KubeObject): string => d.metadata.annotations?.[REVISION_ANNOTATION] ?? '';
const wanted = (d: KubeObject): number => (d as KubeObject & DeploymentShape).spec?.replicas ?? 1;

/**
 * Rollout done for the current generation: every wanted replica updated and
 * available, and the controller itself said NewReplicaSetAvailable.
 * Deployments without a progress deadline have no Progressing condition;
 * for them the counts alone decide.
 */
export function rolloutComplete(d: KubeObject | undefined): boolean {
  if (!d) return false;
  const st = (d as KubeObject & DeploymentShape).status ?? {};
  const want = wanted(d);
  const counts =
    (st.observedGeneration ?? 0) >= (d.metadata.generation ?? 1) &&
    (st.updatedReplicas ?? 0) === want &&
    (st.replicas ?? 0) === want &&
    (st.availableReplicas ?? 0) === want;
  const progressing = condition(d, 'Progressing');
  return counts && (!progressing || progressing.reason === NEW_RS_AVAILABLE);
}

/**
 * A rollout finished between `old` and `current`: a new revision is complete,
 * or one that was in progress (or stuck) got there. A scale of a finished
 * Deployment bumps the generation but leaves Progressing at
 * NewReplicaSetAvailable: not a rollout.
 */
function rolloutFinished(old: KubeObject | undefined, current: KubeObject): boolean {
  if (!old || !rolloutComplete(current)) return false;
  if (revisionOf(old) !== revisionOf(current)) return true;
  if (rolloutComplete(old)) return false;
  const before = condition(old, 'Progressing');
  return !before || before.reason !== NEW_RS_AVAILABLE;
}

function images(d: KubeObject): string {
  const containers = (d as KubeObject & DeploymentShape).spec?.template?.spec?.containers ?? [];
  return containers.map((c) => c.image ?? '').filter(Boolean).join(',');
}

export function detectDeployment(delta: Delta, config: DetectorsConfig): Observation[] {
  const d = delta.current;
  if (!d || !config.rollout.enabled) return [];
  const out: Observation[] = [];
  const uid = d.metadata.uid ?? '';
  const name = displayName(d);
  const involved = refOf(d, 'apps/v1', 'Deployment');
  const st = (d as KubeObject & DeploymentShape).status ?? {};
  const revision = revisionOf(d);
  const want = wanted(d);
  const base = compactFields({
    revision,
    replicas: want,
    updatedReplicas: st.updatedReplicas ?? 0,
    availableReplicas: st.availableReplicas ?? 0,
    images: images(d),
  });

  if (config.rollout.completed && rolloutFinished(delta.old, d)) {
    out.push({
      kind: 'edge',
      key: deployKey(uid, 'rollout', revision || String(d.metadata.generation ?? '')),
      state: 'firing',
      detector: 'rollout',
      severity: Severity.INFO,
      reason: 'RolloutCompleted',
      title: `Deployment ${name} rolled out${revision ? ` revision ${revision}` : ''}`,
      message: `Deployment ${name} finished rolling out${revision ? ` revision ${revision}` : ''}: ${want} of ${want} replicas updated and available${base.images ? ` (${base.images})` : ''}`,
      fields: base,
      involved,
    });
  }

  const progressing = condition(d, 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === DEADLINE_EXCEEDED) {
    out.push({
      kind: 'level',
      key: deployKey(uid, DEADLINE_EXCEEDED),
      state: 'firing',
      detector: 'rollout',
      severity: Severity.WARNING,
      reason: DEADLINE_EXCEEDED,
      title: `Deployment ${name} rollout is stuck`,
      message: `Deployment ${name}${revision ? ` revision ${revision}` : ''} has not progressed within its deadline: ${st.updatedReplicas ?? 0} of ${want} replicas updated, ${st.availableReplicas ?? 0} available${progressing.message ? `; ${progressing.message}` : ''}`,
      since: progressing.lastTransitionTime,
      fields: base,
      involved,
    });
  }

  const available = condition(d, 'Available');
  if (available?.status === 'False') {
    const minSeconds = (config.rollout as { unavailableMinSeconds?: number }).unavailableMinSeconds ?? UNAVAILABLE_MIN_SECONDS;
    out.push({
      kind: 'level',
      key: deployKey(uid, 'Unavailable'),
      state: 'firing',
      detector: 'rollout',
      severity: Severity.WARNING,
      reason: available.reason || 'MinimumReplicasUnavailable',
      title: `Deployment ${name} does not have minimum availability`,
      message: `Deployment ${name} has ${st.availableReplicas ?? 0} of ${want} replicas available${available.message ? `: ${available.message}` : ''}`,
      since: available.lastTransitionTime,
      minDurationMs: minSeconds * 1000,
      fields: base,
      involved,
    });
  }
  return out;
}

/** What recovered, for the RESOLVED notification of a Deployment incident. */
export function describeDeploymentResolved(obs: Observation, d: KubeObject | undefined): string {
  const name = displayName(obs.involved ?? d);
  if (!d) return `deployment ${name} was deleted`;
  const st = (d as KubeObject & DeploymentShape).status ?? {};
  if (obs.reason === DEADLINE_EXCEEDED) {
    if (rolloutComplete(d)) return `deployment ${name} rolled out revision ${revisionOf(d)}`;
    const p = condition(d, 'Progressing');
    return `deployment ${name} is progressing again${p?.reason ? ` (${p.reason})` : ''}`;
  }
  return `deployment ${name} has minimum availability again (${st.availableReplicas ?? 0} of ${wanted(d)} replicas available)`;
}
