// The disruption controller, after k8s.io/kubernetes pkg/controller/disruption:
// keeps each PodDisruptionBudget's status (expected, healthy and desired pod
// counts, how many disruptions are allowed now, the DisruptionAllowed
// condition) in step with its pods and their controllers' scale. The Eviction
// subresource (src/sim/eviction.ts) reads that status and spends it.

import { PDBS, PODS } from '../refs.ts';
import type { SimContext } from '../scenario.ts';
import { labelSelectorFromObject, matchesLabels } from '../selectors.ts';
import type { Change, ObjectStore } from '../store.ts';
import type { KObject } from '../types.ts';
import { scaledValue } from './deployment.ts';
import { controllerOf, isPodReady, nsKey, splitKey, WorkQueue, type Condition, type MetaLabelSelector, type Pod } from './replicaset.ts';

/** How long an eviction's pod counts as disrupted before the controller gives up waiting for its deletion (DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

export interface PodDisruptionBudget extends KObject {
  spec?: {
    minAvailable?: number | string;
    maxUnavailable?: number | string;
    selector?: MetaLabelSelector;
    unhealthyPodEvictionPolicy?: string;
  };
  status?: PdbStatus;
}

export interface PdbStatus {
  observedGeneration?: number;
  disruptedPods?: Record<string, string>;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  conditions?: Condition[];
}

type Obj = Record<string, unknown>;

/**
 * Pods a budget covers. In policy/v1 an empty selector selects every pod of
 * the namespace and an absent one none.
 */
export function podsForPdb(store: ObjectStore, pdb: PodDisruptionBudget): Pod[] {
  const sel = pdb.spec?.selector;
  if (!sel) return [];
  const parsed = labelSelectorFromObject(sel as never);
  return (store.list(PODS.storage, pdb.metadata.namespace) as Pod[]).filter((p) => matchesLabels(parsed, p.metadata.labels ?? {}));
}

/** The replica count of the controller that owns a pod, as the controller finders read it through scale. */
function controllerScale(store: ObjectStore, pod: Pod): { uid: string; replicas: number } {
  const ref = controllerOf(pod);
  if (!ref) throw new Error(`found no controller ref for pod "${pod.metadata.name}"`);
  const ns = pod.metadata.namespace;
  const replicasOf = (o: KObject): number => ((o.spec as Obj | undefined)?.replicas as number | undefined) ?? 1;
  const byUid = (storage: string, name: string): KObject | undefined => {
    const o = store.get(storage, ns, name);
    return o && o.metadata.uid === ref.uid ? o : undefined;
  };
  if (ref.kind === 'ReplicaSet' && ref.apiVersion.startsWith('apps/')) {
    const rs = byUid('apps/replicasets', ref.name);
    if (rs) {
      // a ReplicaSet a Deployment controls is scaled through the Deployment
      const owner = controllerOf(rs);
      if (owner?.kind === 'Deployment') {
        const d = store.get('apps/deployments', ns, owner.name);
        if (d && d.metadata.uid === owner.uid) return { uid: d.metadata.uid!, replicas: replicasOf(d) };
      }
      return { uid: rs.metadata.uid!, replicas: replicasOf(rs) };
    }
  }
  const storages: Record<string, string> = { StatefulSet: 'apps/statefulsets', ReplicationController: 'replicationcontrollers', Deployment: 'apps/deployments' };
  const storage = storages[ref.kind];
  const owner = storage ? byUid(storage, ref.name) : undefined;
  if (owner) return { uid: owner.metadata.uid!, replicas: replicasOf(owner) };
  throw new Error(`found no controllers for pod "${pod.metadata.name}"`);
}

/** getExpectedPodCount: how many pods there should be and how many must stay healthy. */
export function expectedAndDesired(store: ObjectStore, pdb: PodDisruptionBudget, pods: Pod[]): { expected: number; desired: number } {
  const { minAvailable, maxUnavailable } = pdb.spec ?? {};
  if (maxUnavailable !== undefined || typeof minAvailable === 'string') {
    const scales = new Map<string, number>();
    for (const p of pods) {
      const s = controllerScale(store, p);
      scales.set(s.uid, s.replicas);
    }
    const expected = [...scales.values()].reduce((a, b) => a + b, 0);
    if (maxUnavailable !== undefined) {
      const unavailable = scaledValue(maxUnavailable, expected, true);
      return { expected, desired: Math.max(0, expected - unavailable) };
    }
    return { expected, desired: scaledValue(minAvailable, expected, true) };
  }
  return { expected: pods.length, desired: typeof minAvailable === 'number' ? minAvailable : 0 };
}

const isDeleted = (p: Pod): boolean => !!p.metadata.deletionTimestamp;

/**
 * buildDisruptedPodMap: evicted pods not yet seen deleted stay counted as
 * disrupted until DeletionTimeout; returns the map and when to look again.
 */
export function disruptedPodMap(pods: Pod[], previous: Record<string, string> | undefined, nowMs: number): { map: Record<string, string>; recheckMs?: number } {
  const map: Record<string, string> = {};
  let recheckMs: number | undefined;
  if (!previous) return { map };
  for (const p of pods) {
    if (isDeleted(p)) continue;
    const at = previous[p.metadata.name!];
    if (at === undefined) continue;
    const expires = Date.parse(at) + DELETION_TIMEOUT_MS;
    if (expires < nowMs) continue;
    map[p.metadata.name!] = at;
    recheckMs = Math.min(recheckMs ?? Infinity, expires - nowMs);
  }
  return { map, recheckMs };
}

export function countHealthy(pods: Pod[], disrupted: Record<string, string>): number {
  return pods.filter((p) => !isDeleted(p) && disrupted[p.metadata.name!] === undefined && isPodReady(p)).length;
}

/** pdbhelper.UpdateDisruptionAllowedCondition (and the SyncFailed form). */
function withCondition(conds: Condition[] | undefined, status: string, reason: string, message: string, generation: number, now: string): Condition[] {
  const others = (conds ?? []).filter((c) => c.type !== 'DisruptionAllowed');
  const prev = (conds ?? []).find((c) => c.type === 'DisruptionAllowed');
  const same = prev?.status === status;
  const next: Condition & { observedGeneration?: number } = {
    type: 'DisruptionAllowed',
    status,
    observedGeneration: generation,
    lastTransitionTime: same && prev?.lastTransitionTime ? prev.lastTransitionTime : now,
    reason,
    message,
  };
  return [...others, next];
}

export function startDisruptionController(ctx: SimContext): () => void {
  const { store, clock } = ctx;

  const sync = (key: string): void => {
    const [ns, name] = splitKey(key);
    const pdb = store.get(PDBS.storage, ns, name) as PodDisruptionBudget | undefined;
    if (!pdb || pdb.metadata.deletionTimestamp) return;
    const generation = pdb.metadata.generation ?? 1;
    const now = clock.nowIso();
    const pods = podsForPdb(store, pdb);
    let status: PdbStatus;
    try {
      const { expected, desired } = expectedAndDesired(store, pdb, pods);
      const { map, recheckMs } = disruptedPodMap(pods, pdb.status?.disruptedPods, clock.nowMs());
      if (recheckMs !== undefined) queue.addAfter(key, recheckMs + 1);
      const healthy = countHealthy(pods, map);
      // a budget that expects no pods is safe only at 0: its first pods may appear before the next sync
      const allowed = expected <= 0 || healthy - desired <= 0 ? 0 : healthy - desired;
      status = { observedGeneration: generation, disruptionsAllowed: allowed, currentHealthy: healthy, desiredHealthy: desired, expectedPods: expected };
      if (Object.keys(map).length) status.disruptedPods = map;
      status.conditions = allowed > 0
        ? withCondition(pdb.status?.conditions, 'True', 'SufficientPods', '', generation, now)
        : withCondition(pdb.status?.conditions, 'False', 'InsufficientPods', '', generation, now);
    } catch (err) {
      // failSafe: nothing may be disrupted while the budget cannot be computed
      status = {
        ...(pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }),
        observedGeneration: generation,
        disruptionsAllowed: 0,
        conditions: withCondition(pdb.status?.conditions, 'False', 'SyncFailed', (err as Error).message, generation, now),
      };
    }
    if (JSON.stringify(status) === JSON.stringify(pdb.status)) return;
    store.mutate(PDBS, ns, name, (o) => {
      (o as Obj).status = status;
    });
  };

  const queue = new WorkQueue(clock, sync);
  const queueNamespace = (ns: string | undefined): void => {
    for (const p of store.list(PDBS.storage, ns)) queue.add(nsKey(p.metadata.namespace, p.metadata.name!));
  };
  const SCALED = new Set(['apps/replicasets', 'apps/deployments', 'apps/statefulsets', 'replicationcontrollers']);

  const onChange = (c: Change): void => {
    if (c.storage === PDBS.storage) {
      if (c.type !== 'DELETED') queue.add(nsKey(c.object.metadata.namespace, c.object.metadata.name!));
    } else if (c.storage === PODS.storage || SCALED.has(c.storage)) {
      queueNamespace(c.object.metadata.namespace);
    }
  };
  queueNamespace(undefined);
  const unsubscribe = store.subscribe(onChange);
  return () => {
    unsubscribe();
    queue.stop();
  };
}
