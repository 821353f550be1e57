// The pods/eviction subresource, after pkg/registry/core/pod/storage/eviction.go:
// an eviction deletes the pod unless the one PodDisruptionBudget covering it
// has no disruption to spare, in which case the answer is 429 and the client
// (kubectl drain) retries. An allowed eviction spends one disruption and
// records the pod in the budget's disruptedPods before the pod is deleted.

import type { SimClock } from './clock.ts';
import type { PdbStatus, PodDisruptionBudget } from './controllers/disruption.ts';
import { isPodReady, type Pod } from './controllers/replicaset.ts';
import { ApiError, badRequest, notFound } from './errors.ts';
import { PDBS, PODS } from './refs.ts';
import type { RequestInfo } from './request.ts';
import { labelSelectorFromObject, matchesLabels } from './selectors.ts';
import type { ObjectStore } from './store.ts';

export interface EvictionDeps {
  store: ObjectStore;
  clock: SimClock;
  /** deletes the pod through the DELETE path (graceful on a node), with these DeleteOptions */
  deletePod: (namespace: string, name: string, deleteOptions: Record<string, unknown>) => void;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const EVICTION_REFUSED = "Cannot evict pod as it would violate the pod's disruption budget.";
/** MaxDisruptedPodSize: a budget tracking more evictions than this refuses new ones. */
const MAX_DISRUPTED_PODS = 2000;

const SUCCESS = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };

function refused(causeMessage: string): ApiError {
  return new ApiError(429, 'TooManyRequests', EVICTION_REFUSED, { causes: [{ reason: 'DisruptionBudget', message: causeMessage }] });
}

function parseEviction(raw: string, name: string): Obj {
  let body: unknown;
  try {
    body = JSON.parse(raw || '{}');
  } catch (err) {
    throw badRequest(`the object provided is unrecognized (${(err as Error).message.split('\n')[0]})`);
  }
  if (!isObj(body)) throw badRequest('the object provided is unrecognized (expected a JSON object)');
  if (body.kind !== undefined && body.kind !== 'Eviction') throw badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (Eviction)`);
  if (body.apiVersion !== undefined && body.apiVersion !== 'policy/v1' && body.apiVersion !== 'policy/v1beta1') {
    throw badRequest(`unsupported apiVersion "${String(body.apiVersion)}" for Eviction: expected policy/v1 or policy/v1beta1`);
  }
  const meta = isObj(body.metadata) ? body.metadata : {};
  if (meta.name !== undefined && meta.name !== name) throw badRequest('name in URL does not match name in Eviction object');
  if (body.deleteOptions !== undefined && !isObj(body.deleteOptions)) throw badRequest('deleteOptions: must be an object');
  return body;
}

function dryRunOf(info: RequestInfo, options: Obj): boolean {
  const values = [...info.query.getAll('dryRun'), ...(Array.isArray(options.dryRun) ? (options.dryRun as string[]) : [])];
  for (const v of values) if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  return values.length > 0;
}

/** Terminal, pending or already deleting pods are not protected by a budget. */
function canIgnorePdb(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata.deletionTimestamp;
}

/** Budgets whose (non-empty) selector matches the pod; an empty selector protects nothing here. */
function budgetsFor(store: ObjectStore, pod: Pod): PodDisruptionBudget[] {
  return (store.list(PDBS.storage, pod.metadata.namespace) as PodDisruptionBudget[]).filter((pdb) => {
    const sel = pdb.spec?.selector;
    const empty = !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
    return !empty && matchesLabels(labelSelectorFromObject(sel as never), pod.metadata.labels ?? {});
  });
}

/** POST pods/{name}/eviction: 201 Status Success, or the Status of why not. */
export function evictPodRequest(deps: EvictionDeps, info: RequestInfo, raw: string): { status: number; body: unknown } {
  const ns = info.namespace!;
  const name = info.name!;
  const body = parseEviction(raw, name);
  const options = (body.deleteOptions as Obj | undefined) ?? {};
  const dryRun = dryRunOf(info, options);
  const pod = deps.store.get(PODS.storage, ns, name) as Pod | undefined;
  if (!pod) throw notFound('pods', '', name);

  const remove = (): { status: number; body: unknown } => {
    if (!dryRun) {
      markDisruptionTarget(deps, pod);
      deps.deletePod(ns, name, options);
    }
    return { status: 201, body: SUCCESS };
  };
  if (canIgnorePdb(pod)) return remove();
  const pdbs = budgetsFor(deps.store, pod);
  if (pdbs.length > 1) {
    throw new ApiError(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.', {});
  }
  if (pdbs.length === 0) return remove();
  const pdb = pdbs[0];
  const status = pdb.status;

  // an unready pod may go without spending the budget when the budget is already met (or always, by policy)
  if (!isPodReady(pod)) {
    const policy = pdb.spec?.unhealthyPodEvictionPolicy ?? 'IfHealthyBudget';
    if (policy === 'AlwaysAllow') return remove();
    if (status && status.currentHealthy >= status.desiredHealthy && status.desiredHealthy > 0) return remove();
  }
  checkAndDecrement(deps, pdb, pod, dryRun);
  return remove();
}

function checkAndDecrement(deps: EvictionDeps, pdb: PodDisruptionBudget, pod: Pod, dryRun: boolean): void {
  const status = pdb.status;
  const pdbName = pdb.metadata.name!;
  if (!status || (status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 1)) {
    throw refused(`The disruption budget ${pdbName} is still being processed by the server.`);
  }
  if (status.disruptionsAllowed < 0) throw new ApiError(403, 'Forbidden', 'pdb disruptions allowed is negative', {});
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
    throw new ApiError(403, 'Forbidden', 'DisruptedPods map too big - too many evictions not confirmed by PDB controller', {});
  }
  if (status.disruptionsAllowed === 0) {
    throw refused(`The disruption budget ${pdbName} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`);
  }
  if (dryRun) return;
  deps.store.mutate(PDBS, pdb.metadata.namespace, pdbName, (o) => {
    const s = o.status as PdbStatus;
    s.disruptionsAllowed -= 1;
    s.disruptedPods = { ...(s.disruptedPods ?? {}), [pod.metadata.name!]: deps.clock.nowIso() };
  });
}

/** The DisruptionTarget condition kube-apiserver puts on an evicted pod before deleting it. */
function markDisruptionTarget(deps: EvictionDeps, pod: Pod): void {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed' || pod.metadata.deletionTimestamp) return;
  deps.store.mutate(PODS, pod.metadata.namespace, pod.metadata.name!, (o) => {
    const status = ((o as Obj).status ??= {}) as { conditions?: Obj[] };
    const conds = (status.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
    conds.push({
      type: 'DisruptionTarget',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: deps.clock.nowIso(),
      reason: 'EvictionByEvictionAPI',
      message: 'Eviction API: evicting',
    });
    status.conditions = conds;
  });
}
