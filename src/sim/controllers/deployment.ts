// The Deployment controller, after k8s.io/kubernetes pkg/controller/deployment
// (sync.go, rolling.go, recreate.go, progress.go and util/): one ReplicaSet
// per pod template, named by the template's hash, rolled by maxSurge and
// maxUnavailable, with the same revision annotations, ScalingReplicaSet
// events and Available/Progressing conditions, so `kubectl rollout status`
// and anything watching Deployments see what a real cluster shows.

import { ApiError } from '../errors.ts';
import { DEPLOYMENTS, PODS, REPLICASETS } from '../refs.ts';
import type { SimContext } from '../scenario.ts';
import type { Change } from '../store.ts';
import type { KObject } from '../types.ts';
import {
  claim,
  controllerOf,
  namespaceAcceptsCreates,
  newControllerRef,
  nsKey,
  POD_TEMPLATE_HASH_LABEL,
  safeEncodeString,
  selectorOf,
  semanticEqual,
  sortedMap,
  splitKey,
  startReplicaSetController,
  WorkQueue,
  type Condition,
  type MetaLabelSelector,
  type Pod,
  type PodTemplate,
  type ReplicaSet,
  type ReplicaSetControllerOptions,
} from './replicaset.ts';
import { matchesLabels } from '../selectors.ts';
import { deleteObject } from './gc.ts';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
/** what `kubectl rollout restart` sets on the pod template */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** annotations a Deployment does not pass on to its ReplicaSets */
const SKIP_COPY = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);
const MAX_REV_HISTORY_CHARS = 2000;
const MAX_INT32 = 2147483647;
const COMPONENT = { component: 'deployment-controller' };

// condition reasons, as deploymentutil names them
const NEW_RS_REASON = 'NewReplicaSetCreated';
const FOUND_NEW_RS_REASON = 'FoundNewReplicaSet';
const RS_UPDATED_REASON = 'ReplicaSetUpdated';
const NEW_RS_AVAILABLE_REASON = 'NewReplicaSetAvailable';
const TIMED_OUT_REASON = 'ProgressDeadlineExceeded';
const PAUSED_REASON = 'DeploymentPaused';
const RESUMED_REASON = 'DeploymentResumed';

export interface Deployment extends KObject {
  spec: {
    replicas?: number;
    selector?: MetaLabelSelector;
    template?: PodTemplate;
    strategy?: { type?: string; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    paused?: boolean;
    progressDeadlineSeconds?: number;
  };
  status?: DeploymentStatus;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: Condition[];
  collisionCount?: number;
}

// ---------------------------------------------------------------------------
// Pure arithmetic of deploymentutil.

/** intstr.GetScaledValueFromIntOrPercent: "25%" of total, rounded up or down. */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^(-?\d+)%$/.exec(v);
  if (!m) return 0; // validation rejects anything else
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** ResolveFenceposts: surge rounds up, unavailability down, and both never end up 0. */
export function resolveFenceposts(surge: number | string | undefined, unavailable: number | string | undefined, desired: number): [number, number] {
  const s = scaledValue(surge ?? 0, desired, true);
  let u = scaledValue(unavailable ?? 0, desired, false);
  if (s === 0 && u === 0) u = 1;
  return [s, u];
}

const replicasOf = (d: Deployment): number => d.spec.replicas ?? 1;
const isRollingUpdate = (d: Deployment): boolean => (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

function fenceposts(d: Deployment): [number, number] {
  const ru = d.spec.strategy?.rollingUpdate;
  // the API server defaults both to 25%
  return resolveFenceposts(ru?.maxSurge ?? '25%', ru?.maxUnavailable ?? '25%', replicasOf(d));
}

export function maxSurge(d: Deployment): number {
  return isRollingUpdate(d) ? fenceposts(d)[0] : 0;
}

export function maxUnavailable(d: Deployment): number {
  if (!isRollingUpdate(d) || replicasOf(d) === 0) return 0;
  return Math.min(fenceposts(d)[1], replicasOf(d));
}

const progressDeadline = (d: Deployment): number => d.spec.progressDeadlineSeconds ?? 600;
const hasProgressDeadline = (d: Deployment): boolean => progressDeadline(d) !== MAX_INT32;
const revisionHistoryLimit = (d: Deployment): number => d.spec.revisionHistoryLimit ?? 10;

/**
 * controller.ComputeHash: FNV-32a of the template (here its canonical JSON)
 * and the collision count, its decimal digits mapped to the safe alphabet,
 * which is why real hashes only use the letters 4-9, b, c, d and f.
 */
export function podTemplateHash(template: unknown, collisionCount?: number): string {
  let h = 0x811c9dc5;
  const feed = (bytes: Uint8Array): void => {
    for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  };
  feed(Buffer.from(canonicalJson(template), 'utf8'));
  if (collisionCount !== undefined && collisionCount !== null) {
    const buf = Buffer.alloc(8);
    buf.writeUInt32LE(collisionCount >>> 0, 0);
    feed(buf);
  }
  return safeEncodeString(String(h >>> 0));
}

function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

function withoutHash(template: PodTemplate | undefined): PodTemplate {
  const t = structuredClone(template ?? {});
  if (t.metadata?.labels) delete t.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  return t;
}

/** EqualIgnoreHash: the same template apart from the pod-template-hash label. */
export function equalIgnoreHash(a: PodTemplate | undefined, b: PodTemplate | undefined): boolean {
  return semanticEqual(withoutHash(a), withoutHash(b));
}

// ---------------------------------------------------------------------------
// ReplicaSet list helpers (controller.ReplicaSetsBy*, deploymentutil.Get*Count*).

const specReplicas = (rs: ReplicaSet): number => rs.spec?.replicas ?? 1;
const isActive = (rs: ReplicaSet | undefined): rs is ReplicaSet => !!rs && specReplicas(rs) > 0;
const sum = (rss: (ReplicaSet | undefined)[], f: (rs: ReplicaSet) => number): number => rss.reduce((n, rs) => n + (rs ? f(rs) : 0), 0);
const specCount = (rss: (ReplicaSet | undefined)[]): number => sum(rss, specReplicas);
const actualCount = (rss: (ReplicaSet | undefined)[]): number => sum(rss, (rs) => rs.status?.replicas ?? 0);
const readyCount = (rss: (ReplicaSet | undefined)[]): number => sum(rss, (rs) => rs.status?.readyReplicas ?? 0);
const availableCount = (rss: (ReplicaSet | undefined)[]): number => sum(rss, (rs) => rs.status?.availableReplicas ?? 0);

function byCreation(a: KObject, b: KObject): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0;
}

function revisionOf(rs: KObject): number | undefined {
  const v = rs.metadata.annotations?.[REVISION_ANNOTATION];
  if (v === undefined) return 0;
  return /^-?\d+$/.test(v) ? Number(v) : undefined;
}

function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata.annotations?.[key];
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
}

function findNewReplicaSet(d: Deployment, rsList: ReplicaSet[]): ReplicaSet | undefined {
  // rsList is sorted by creation: with duplicates the oldest wins, as upstream
  return rsList.find((rs) => equalIgnoreHash(rs.spec?.template, d.spec.template));
}

// ---------------------------------------------------------------------------
// Conditions (deploymentutil.SetDeploymentCondition and friends).

const getCondition = (s: DeploymentStatus, type: string): Condition | undefined => s.conditions?.find((c) => c.type === type);

function setCondition(s: DeploymentStatus, cond: Condition): void {
  const cur = getCondition(s, cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  if (cur && cur.status === cond.status) cond.lastTransitionTime = cur.lastTransitionTime;
  s.conditions = [...(s.conditions ?? []).filter((c) => c.type !== cond.type), cond];
}

function removeCondition(s: DeploymentStatus, type: string): void {
  s.conditions = (s.conditions ?? []).filter((c) => c.type !== type);
}

/** status JSON in apps/v1 field order, zero values omitted like Go's omitempty */
function wireStatus(s: DeploymentStatus): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'] as const) {
    if (s[k]) out[k] = s[k];
  }
  if (s.conditions?.length) {
    out.conditions = s.conditions.map((c) => ({
      type: c.type,
      status: c.status,
      lastUpdateTime: c.lastUpdateTime,
      lastTransitionTime: c.lastTransitionTime,
      reason: c.reason,
      message: c.message,
    }));
  }
  if (s.collisionCount !== undefined && s.collisionCount !== null) out.collisionCount = s.collisionCount;
  return out;
}

/** DeploymentComplete: every desired replica is updated and available, and the spec was seen. */
function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const want = replicasOf(d);
  return (
    (s.updatedReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want &&
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 1)
  );
}

/** DeploymentProgressing: more updated, ready or available pods, or fewer old ones, than last time. */
function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** Thrown to end a sync quietly, as upstream does when the namespace is terminating. */
class StopSync extends Error {}

// ---------------------------------------------------------------------------
// The controller.

class DeploymentController {
  #ctx: SimContext;
  #queue: WorkQueue;

  constructor(ctx: SimContext) {
    this.#ctx = ctx;
    this.#queue = new WorkQueue(ctx.clock, (key) => this.#sync(key));
  }

  start(): () => void {
    const { store } = this.#ctx;
    const unsubscribe = store.subscribe((c) => this.#onChange(c));
    for (const d of store.list(DEPLOYMENTS.storage)) this.#queue.add(nsKey(d.metadata.namespace, d.metadata.name!));
    return () => {
      unsubscribe();
      this.#queue.stop();
    };
  }

  #onChange(c: Change): void {
    const ns = c.object.metadata.namespace;
    if (c.storage === DEPLOYMENTS.storage) {
      if (c.type !== 'DELETED') this.#queue.add(nsKey(ns, c.object.metadata.name!));
    } else if (c.storage === REPLICASETS.storage) {
      const ref = controllerOf(c.object);
      const prevRef = controllerOf(c.prev);
      if (ref?.kind === 'Deployment') this.#queue.add(nsKey(ns, ref.name));
      if (prevRef?.kind === 'Deployment' && prevRef.uid !== ref?.uid) this.#queue.add(nsKey(ns, prevRef.name));
      if (!ref && c.type !== 'DELETED') {
        for (const d of this.#ctx.store.list(DEPLOYMENTS.storage, ns) as Deployment[]) {
          if (matchesLabels(selectorOf(d.spec?.selector), c.object.metadata.labels)) this.#queue.add(nsKey(ns, d.metadata.name!));
        }
      }
    } else if (c.storage === PODS.storage && c.type === 'DELETED') {
      // a Recreate rollout waits for the old pods to be gone
      const rsRef = controllerOf(c.object);
      if (rsRef?.kind !== 'ReplicaSet') return;
      const rs = this.#ctx.store.get(REPLICASETS.storage, ns, rsRef.name);
      const dRef = controllerOf(rs);
      if (dRef?.kind !== 'Deployment') return;
      const d = this.#ctx.store.get(DEPLOYMENTS.storage, ns, dRef.name) as Deployment | undefined;
      if (d?.spec?.strategy?.type === 'Recreate') this.#queue.add(nsKey(ns, dRef.name));
    }
  }

  #sync(key: string): void {
    const [ns, name] = splitKey(key);
    const stored = this.#ctx.store.get(DEPLOYMENTS.storage, ns, name) as Deployment | undefined;
    if (!stored?.spec) return;
    const d = structuredClone(stored) as Deployment;
    d.status ??= {};
    try {
      this.#syncDeployment(key, d);
    } catch (err) {
      if (err instanceof StopSync) return;
      if (err instanceof ApiError && err.code === 404 && !this.#ctx.store.get(DEPLOYMENTS.storage, ns, name)) return;
      throw err;
    }
  }

  #syncDeployment(key: string, d: Deployment): void {
    const sel = d.spec.selector;
    if (!sel) return; // a nil selector selects nothing; validation never lets one through
    if (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length) {
      this.#event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status!.observedGeneration ?? 0) < (d.metadata.generation ?? 1)) {
        d.status!.observedGeneration = d.metadata.generation ?? 1;
        this.#writeStatus(d);
      }
      return;
    }
    if (!d.spec.template) return;
    const rsList = this.#replicaSetsFor(d);
    if (d.metadata.deletionTimestamp) return this.#syncStatusOnly(d, rsList);
    this.#checkPausedConditions(d);
    if (d.spec.paused) return this.#syncScaling(d, rsList);
    if (this.#isScalingEvent(d, rsList)) return this.#syncScaling(d, rsList);
    if (d.spec.strategy?.type === 'Recreate') return this.#rolloutRecreate(key, d, rsList);
    return this.#rolloutRolling(key, d, rsList);
  }

  /** getReplicaSetsForDeployment: owned ones plus adopted orphans, oldest first. */
  #replicaSetsFor(d: Deployment): ReplicaSet[] {
    const { store } = this.#ctx;
    const all = store.list(REPLICASETS.storage, d.metadata.namespace) as ReplicaSet[];
    const ref = newControllerRef(d, 'apps/v1', 'Deployment');
    return claim(store, REPLICASETS, d, ref, selectorOf(d.spec.selector), all).sort(byCreation);
  }

  #getAllReplicaSetsAndSyncRevision(d: Deployment, rsList: ReplicaSet[], create: boolean): { newRS?: ReplicaSet; oldRSs: ReplicaSet[] } {
    const current = findNewReplicaSet(d, rsList);
    const oldRSs = rsList.filter((rs) => rs.metadata.uid !== current?.metadata.uid);
    const newRS = this.#getNewReplicaSet(d, rsList, oldRSs, create);
    return { newRS, oldRSs };
  }

  #getNewReplicaSet(d: Deployment, rsList: ReplicaSet[], oldRSs: ReplicaSet[], create: boolean): ReplicaSet | undefined {
    const existing = findNewReplicaSet(d, rsList);
    const maxOld = oldRSs.reduce((m, rs) => Math.max(m, revisionOf(rs) ?? 0), 0);
    const newRevision = String(maxOld + 1);

    if (existing) {
      const copy = structuredClone(existing) as ReplicaSet;
      const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReady = d.spec.minReadySeconds ?? 0;
      if (annotationsUpdated || (copy.spec.minReadySeconds ?? 0) !== minReady) {
        return this.#updateReplicaSet(existing, (o) => {
          o.metadata.annotations = copy.metadata.annotations;
          o.spec.minReadySeconds = minReady;
        });
      }
      let needsUpdate = setDeploymentRevision(d, copy.metadata.annotations?.[REVISION_ANNOTATION] ?? '');
      if (hasProgressDeadline(d) && !getCondition(d.status!, 'Progressing')) {
        setCondition(d.status!, this.#condition('Progressing', 'True', FOUND_NEW_RS_REASON, `Found new replica set "${copy.metadata.name}"`));
        needsUpdate = true;
      }
      if (needsUpdate) this.#writeStatus(d);
      return existing;
    }
    if (!create) return undefined;

    const { store } = this.#ctx;
    const ns = d.metadata.namespace!;
    const template = structuredClone(d.spec.template!);
    const hash = podTemplateHash(template, d.status!.collisionCount);
    template.metadata = { ...(template.metadata ?? {}), labels: sortedMap({ ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash }) };
    const selector = structuredClone(d.spec.selector ?? {});
    selector.matchLabels = sortedMap({ ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash });
    const name = `${d.metadata.name}-${hash}`;
    const newRS: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, namespace: ns, labels: template.metadata.labels, ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')] },
      spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
    };
    const newReplicas = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
    newRS.spec.replicas = newReplicas;
    setNewReplicaSetAnnotations(d, newRS, newRevision, false);

    let created: ReplicaSet;
    let alreadyExists = false;
    const clash = store.get(REPLICASETS.storage, ns, name) as ReplicaSet | undefined;
    if (clash) {
      alreadyExists = true;
      if (controllerOf(clash)?.uid !== d.metadata.uid || !equalIgnoreHash(d.spec.template, clash.spec?.template)) {
        // a hash collision: bump collisionCount so the next sync hashes differently
        d.status!.collisionCount = (d.status!.collisionCount ?? 0) + 1;
        this.#writeStatus(d);
        throw new Error(`replicasets.apps "${name}" already exists`);
      }
      created = clash;
    } else {
      if (!namespaceAcceptsCreates(store, ns)) throw new StopSync();
      // the template is the Deployment's, already defaulted by the API server:
      // defaulting it again here could make it differ and look like a new template
      newRS.status = { replicas: 0 };
      created = store.create(REPLICASETS, newRS) as ReplicaSet;
    }
    if (!alreadyExists && newReplicas > 0) {
      this.#event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${newReplicas}`);
    }
    let needsUpdate = setDeploymentRevision(d, newRevision);
    if (!alreadyExists && hasProgressDeadline(d)) {
      setCondition(d.status!, this.#condition('Progressing', 'True', NEW_RS_REASON, `Created new replica set "${name}"`));
      needsUpdate = true;
    }
    if (needsUpdate) this.#writeStatus(d);
    return created;
  }

  // --- rolling update (rolling.go)

  #rolloutRolling(key: string, d: Deployment, rsList: ReplicaSet[]): void {
    const { newRS, oldRSs } = this.#getAllReplicaSetsAndSyncRevision(d, rsList, true);
    const allRSs = [...oldRSs, newRS];
    if (this.#reconcileNewReplicaSet(allRSs, newRS!, d)) return this.#syncRolloutStatus(key, allRSs, newRS, d);
    if (this.#reconcileOldReplicaSets(allRSs, oldRSs.filter(isActive), newRS!, d)) return this.#syncRolloutStatus(key, allRSs, newRS, d);
    if (deploymentComplete(d, d.status!)) this.#cleanupDeployment(oldRSs, d);
    this.#syncRolloutStatus(key, allRSs, newRS, d);
  }

  #reconcileNewReplicaSet(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet, d: Deployment): boolean {
    const want = replicasOf(d);
    if (specReplicas(newRS) === want) return false;
    if (specReplicas(newRS) > want) return this.#scaleAndRecord(newRS, want, d).scaled;
    return this.#scaleAndRecord(newRS, newRSNewReplicas(d, allRSs, newRS), d).scaled;
  }

  #reconcileOldReplicaSets(allRSs: (ReplicaSet | undefined)[], oldRSs: ReplicaSet[], newRS: ReplicaSet, d: Deployment): boolean {
    if (specCount(oldRSs) === 0) return false;
    const allPods = specCount(allRSs);
    const minAvailable = replicasOf(d) - maxUnavailable(d);
    const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = allPods - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    // unhealthy old replicas go first: removing them costs no availability
    const { oldRSs: cleaned, count: cleanedUp } = this.#cleanupUnhealthyReplicas(oldRSs, d, maxScaledDown);
    const scaledDown = this.#scaleDownOldForRollingUpdate([...cleaned, newRS], cleaned, d);
    return cleanedUp + scaledDown > 0;
  }

  #cleanupUnhealthyReplicas(oldRSs: ReplicaSet[], d: Deployment, maxCleanup: number): { oldRSs: ReplicaSet[]; count: number } {
    const list = [...oldRSs].sort(byCreation);
    let total = 0;
    for (let i = 0; i < list.length; i++) {
      if (total >= maxCleanup) break;
      const rs = list[i];
      const available = rs.status?.availableReplicas ?? 0;
      if (specReplicas(rs) === 0 || specReplicas(rs) === available) continue;
      const n = Math.min(maxCleanup - total, specReplicas(rs) - available);
      list[i] = this.#scaleAndRecord(rs, specReplicas(rs) - n, d).rs;
      total += n;
    }
    return { oldRSs: list, count: total };
  }

  #scaleDownOldForRollingUpdate(allRSs: ReplicaSet[], oldRSs: ReplicaSet[], d: Deployment): number {
    const minAvailable = replicasOf(d) - maxUnavailable(d);
    const available = availableCount(allRSs);
    if (available <= minAvailable) return 0;
    const target = available - minAvailable;
    let total = 0;
    for (const rs of [...oldRSs].sort(byCreation)) {
      if (total >= target) break;
      if (specReplicas(rs) === 0) continue;
      const n = Math.min(specReplicas(rs), target - total);
      this.#scaleAndRecord(rs, specReplicas(rs) - n, d);
      total += n;
    }
    return total;
  }

  // --- recreate (recreate.go)

  #rolloutRecreate(key: string, d: Deployment, rsList: ReplicaSet[]): void {
    let { newRS, oldRSs } = this.#getAllReplicaSetsAndSyncRevision(d, rsList, false);
    let allRSs = [...oldRSs, newRS];
    let scaledDown = false;
    for (const rs of oldRSs.filter(isActive)) scaledDown = this.#scaleAndRecord(rs, 0, d).scaled || scaledDown;
    if (scaledDown || this.#oldPodsRunning(newRS, oldRSs, rsList)) return this.#syncRolloutStatus(key, allRSs, newRS, d);
    if (!newRS) {
      ({ newRS, oldRSs } = this.#getAllReplicaSetsAndSyncRevision(d, rsList, true));
      allRSs = [...oldRSs, newRS];
    }
    this.#scaleAndRecord(newRS!, replicasOf(d), d);
    if (deploymentComplete(d, d.status!)) this.#cleanupDeployment(oldRSs, d);
    this.#syncRolloutStatus(key, allRSs, newRS, d);
  }

  #oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[], rsList: ReplicaSet[]): boolean {
    if (actualCount(oldRSs) > 0) return true;
    const oldUids = new Set(rsList.map((rs) => rs.metadata.uid).filter((u) => u !== newRS?.metadata.uid));
    const ns = (newRS ?? oldRSs[0])?.metadata.namespace;
    if (!ns) return false;
    return (this.#ctx.store.list(PODS.storage, ns) as Pod[]).some((p) => {
      if (!oldUids.has(controllerOf(p)?.uid ?? '')) return false;
      const phase = p.status?.phase;
      return phase !== 'Failed' && phase !== 'Succeeded';
    });
  }

  // --- scaling events and paused deployments (sync.go)

  #isScalingEvent(d: Deployment, rsList: ReplicaSet[]): boolean {
    const { newRS, oldRSs } = this.#getAllReplicaSetsAndSyncRevision(d, rsList, false);
    for (const rs of [...oldRSs, newRS].filter(isActive)) {
      const desired = intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
      if (desired !== undefined && desired !== replicasOf(d)) return true;
    }
    return false;
  }

  #syncScaling(d: Deployment, rsList: ReplicaSet[]): void {
    const { newRS, oldRSs } = this.#getAllReplicaSetsAndSyncRevision(d, rsList, false);
    this.#scale(d, newRS, oldRSs);
    if (d.spec.paused) this.#cleanupDeployment(oldRSs, d);
    this.#syncDeploymentStatus([...oldRSs, newRS], newRS, d);
  }

  #syncStatusOnly(d: Deployment, rsList: ReplicaSet[]): void {
    const { newRS, oldRSs } = this.#getAllReplicaSetsAndSyncRevision(d, rsList, false);
    this.#syncDeploymentStatus([...oldRSs, newRS], newRS, d);
  }

  #checkPausedConditions(d: Deployment): void {
    if (!hasProgressDeadline(d)) return;
    const cond = getCondition(d.status!, 'Progressing');
    if (cond?.reason === TIMED_OUT_REASON) return; // a timeout stays reported
    const pausedCond = cond?.reason === PAUSED_REASON;
    if (d.spec.paused && !pausedCond) {
      setCondition(d.status!, this.#condition('Progressing', 'Unknown', PAUSED_REASON, 'Deployment is paused'));
    } else if (!d.spec.paused && pausedCond) {
      setCondition(d.status!, this.#condition('Progressing', 'Unknown', RESUMED_REASON, 'Deployment is resumed'));
    } else {
      return;
    }
    this.#writeStatus(d);
  }

  /** Proportional scaling: spread a change of spec.replicas over the active ReplicaSets by their size. */
  #scale(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): void {
    const want = replicasOf(d);
    const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
    if (activeOrLatest) {
      if (specReplicas(activeOrLatest) !== want) this.#scaleAndRecord(activeOrLatest, want, d);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const rs of oldRSs.filter(isActive)) this.#scaleAndRecord(rs, 0, d);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const all = [...oldRSs, newRS].filter(isActive);
    const allowed = want > 0 ? want + maxSurge(d) : 0;
    const toAdd = allowed - specCount(all);
    if (toAdd > 0) all.sort((a, b) => (specReplicas(a) !== specReplicas(b) ? specReplicas(b) - specReplicas(a) : byCreation(b, a)));
    else if (toAdd < 0) all.sort((a, b) => (specReplicas(a) !== specReplicas(b) ? specReplicas(b) - specReplicas(a) : byCreation(a, b)));
    let added = 0;
    const sizes = new Map<string, number>();
    for (const rs of all) {
      if (toAdd === 0) {
        sizes.set(rs.metadata.name!, specReplicas(rs));
        continue;
      }
      const p = proportion(rs, d, toAdd, added);
      sizes.set(rs.metadata.name!, specReplicas(rs) + p);
      added += p;
    }
    all.forEach((rs, i) => {
      let size = sizes.get(rs.metadata.name!)!;
      // leftovers go to the largest ReplicaSet
      if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
      this.#scaleReplicaSet(rs, size, d);
    });
  }

  /** cleanupDeployment: drop the oldest empty ReplicaSets beyond revisionHistoryLimit. */
  #cleanupDeployment(oldRSs: ReplicaSet[], d: Deployment): void {
    const limit = revisionHistoryLimit(d);
    if (limit === MAX_INT32) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    const diff = cleanable.length - limit;
    if (diff <= 0) return;
    cleanable.sort((a, b) => {
      const ra = revisionOf(a);
      const rb = revisionOf(b);
      return ra === undefined || rb === undefined || ra === rb ? byCreation(a, b) : ra - rb;
    });
    for (const rs of cleanable.slice(0, diff)) {
      const st = rs.status ?? {};
      if ((st.replicas ?? 0) !== 0 || specReplicas(rs) !== 0 || (rs.metadata.generation ?? 1) > (st.observedGeneration ?? 0)) continue;
      try {
        deleteObject(this.#ctx, REPLICASETS, rs.metadata.namespace, rs.metadata.name!);
      } catch (err) {
        if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) throw err;
      }
    }
  }

  // --- status (sync.go syncDeploymentStatus, progress.go)

  #calculateStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment): DeploymentStatus {
    const available = availableCount(allRSs);
    const status: DeploymentStatus = {
      observedGeneration: d.metadata.generation ?? 1,
      replicas: actualCount(allRSs),
      updatedReplicas: actualCount([newRS]),
      readyReplicas: readyCount(allRSs),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, specCount(allRSs) - available),
      conditions: (d.status!.conditions ?? []).map((c) => ({ ...c })),
      collisionCount: d.status!.collisionCount,
    };
    if (available >= replicasOf(d) - maxUnavailable(d)) {
      setCondition(status, this.#condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'));
    } else {
      setCondition(status, this.#condition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'));
    }
    return status;
  }

  #syncDeploymentStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment): void {
    const status = this.#calculateStatus(allRSs, newRS, d);
    if (semanticEqual(wireStatus(d.status!), wireStatus(status))) return;
    d.status = status;
    this.#writeStatus(d);
  }

  #syncRolloutStatus(key: string, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment): void {
    const status = this.#calculateStatus(allRSs, newRS, d);
    if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
    const current = getCondition(d.status!, 'Progressing');
    const complete = status.replicas === status.updatedReplicas && current?.reason === NEW_RS_AVAILABLE_REASON;
    const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
    if (hasProgressDeadline(d) && !complete) {
      if (deploymentComplete(d, status)) {
        setCondition(status, this.#condition('Progressing', 'True', NEW_RS_AVAILABLE_REASON, `${subject} has successfully progressed.`));
      } else if (deploymentProgressing(d, status)) {
        // unlike other conditions, progress refreshes lastUpdateTime even with the same reason
        const cond = this.#condition('Progressing', 'True', RS_UPDATED_REASON, `${subject} is progressing.`);
        if (current) {
          if (current.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
          removeCondition(status, 'Progressing');
        }
        setCondition(status, cond);
      } else if (this.#timedOut(d, status)) {
        setCondition(status, this.#condition('Progressing', 'False', TIMED_OUT_REASON, `${subject} has timed out progressing.`));
      }
    }
    const failure = replicaFailure(allRSs, newRS);
    if (failure) setCondition(status, failure);
    else removeCondition(status, 'ReplicaFailure');

    if (semanticEqual(wireStatus(d.status!), wireStatus(status))) {
      this.#requeueStuckDeployment(key, d, status);
      return;
    }
    d.status = status;
    this.#writeStatus(d);
  }

  #timedOut(d: Deployment, status: DeploymentStatus): boolean {
    const cond = getCondition(status, 'Progressing');
    if (!cond || cond.reason === NEW_RS_AVAILABLE_REASON) return false;
    if (cond.reason === TIMED_OUT_REASON) return true;
    const from = Date.parse(cond.lastUpdateTime ?? '');
    return from + progressDeadline(d) * 1000 < this.#ctx.clock.nowMs();
  }

  /** Without progress nothing will wake the deployment up, so check again when its deadline passes. */
  #requeueStuckDeployment(key: string, d: Deployment, status: DeploymentStatus): void {
    const current = getCondition(d.status!, 'Progressing');
    if (!hasProgressDeadline(d) || !current) return;
    if (deploymentComplete(d, status) || current.reason === TIMED_OUT_REASON) return;
    const after = Date.parse(current.lastUpdateTime ?? '') + progressDeadline(d) * 1000 - this.#ctx.clock.nowMs();
    // upstream retries rate-limited (5ms, 10ms…) below a second; one retry just past the deadline does the same
    if (after < 1000) this.#queue.addAfter(key, Math.max(5, after + 1));
    else this.#queue.addAfter(key, after + 1000);
  }

  // --- writes

  /** scaleReplicaSetAndRecordEvent: a no-op when the size is right. */
  #scaleAndRecord(rs: ReplicaSet, newScale: number, d: Deployment): { scaled: boolean; rs: ReplicaSet } {
    if (specReplicas(rs) === newScale) return { scaled: false, rs };
    return this.#scaleReplicaSet(rs, newScale, d);
  }

  #scaleReplicaSet(rs: ReplicaSet, newScale: number, d: Deployment): { scaled: boolean; rs: ReplicaSet } {
    const oldScale = specReplicas(rs);
    const sizeChanged = oldScale !== newScale;
    const desired = replicasOf(d);
    const max = desired + maxSurge(d);
    const annotationsChanged = intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION) !== desired || intAnnotation(rs, MAX_REPLICAS_ANNOTATION) !== max;
    if (!sizeChanged && !annotationsChanged) return { scaled: false, rs };
    const updated = this.#updateReplicaSet(rs, (o) => {
      o.spec.replicas = newScale;
      o.metadata.annotations = sortedMap({ ...(o.metadata.annotations ?? {}), [DESIRED_REPLICAS_ANNOTATION]: String(desired), [MAX_REPLICAS_ANNOTATION]: String(max) });
    });
    if (sizeChanged) {
      const op = oldScale < newScale ? 'up' : 'down';
      this.#event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${rs.metadata.name} from ${oldScale} to ${newScale}`);
    }
    return { scaled: sizeChanged, rs: updated };
  }

  /** An update as through the API: a spec change bumps metadata.generation. */
  #updateReplicaSet(rs: ReplicaSet, fn: (o: ReplicaSet) => void): ReplicaSet {
    return this.#ctx.store.mutate(REPLICASETS, rs.metadata.namespace, rs.metadata.name!, (obj) => {
      const o = obj as ReplicaSet;
      const before = canonicalJson(o.spec);
      fn(o);
      if (canonicalJson(o.spec) !== before) o.metadata.generation = (o.metadata.generation ?? 1) + 1;
    }) as ReplicaSet;
  }

  /** UpdateStatus: status and, as the status subresource lets through, the revision annotation. */
  #writeStatus(d: Deployment): void {
    const status = wireStatus(d.status!);
    const revision = d.metadata.annotations?.[REVISION_ANNOTATION];
    this.#ctx.store.mutate(DEPLOYMENTS, d.metadata.namespace, d.metadata.name!, (o) => {
      const curRevision = o.metadata.annotations?.[REVISION_ANNOTATION];
      if (semanticEqual(o.status, status) && revision === curRevision) return false;
      o.status = status;
      if (revision !== undefined && revision !== curRevision) {
        o.metadata.annotations = sortedMap({ ...(o.metadata.annotations ?? {}), [REVISION_ANNOTATION]: revision });
      }
    });
  }

  #condition(type: string, status: string, reason: string, message: string): Condition {
    const now = this.#ctx.clock.nowIso();
    return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
  }

  #event(d: Deployment, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.#ctx.recorder.record({ object: { ...d, apiVersion: 'apps/v1', kind: 'Deployment' }, type, reason, message, source: COMPONENT });
  }
}

// ---------------------------------------------------------------------------
// More of deploymentutil, on plain objects.

/** NewRSNewReplicas: how far the new ReplicaSet may grow this step. */
function newRSNewReplicas(d: Deployment, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const ru = d.spec.strategy?.rollingUpdate;
  const surge = scaledValue(ru?.maxSurge ?? '25%', replicasOf(d), true);
  const current = specCount(allRSs);
  const maxTotal = replicasOf(d) + surge;
  if (current >= maxTotal) return specReplicas(newRS);
  const up = Math.min(maxTotal - current, replicasOf(d) - specReplicas(newRS));
  return specReplicas(newRS) + up;
}

/** SetNewReplicaSetAnnotations: copy the Deployment's annotations, move the revision forward, keep its history. */
function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: string, exists: boolean): boolean {
  const ann: Record<string, string> = { ...(rs.metadata.annotations ?? {}) };
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (SKIP_COPY.has(k) || ann[k] === v) continue;
    ann[k] = v;
    changed = true;
  }
  const oldRevision = ann[REVISION_ANNOTATION];
  let oldInt = 0;
  if (oldRevision !== undefined && oldRevision !== '') {
    if (!/^-?\d+$/.test(oldRevision)) return false;
    oldInt = Number(oldRevision);
  }
  const newInt = Number(newRevision);
  if (oldInt < newInt) {
    ann[REVISION_ANNOTATION] = newRevision;
    changed = true;
  }
  if (oldRevision !== undefined && oldInt < newInt) {
    // a rollback to this ReplicaSet: remember which revisions it had
    const history = ann[REVISION_HISTORY_ANNOTATION] ?? '';
    let revs = history.split(',');
    if (revs[0] === '') {
      ann[REVISION_HISTORY_ANNOTATION] = oldRevision;
    } else {
      let total = history.length + oldRevision.length + 1;
      let start = 0;
      while (total > MAX_REV_HISTORY_CHARS && start < revs.length) total -= revs[start++].length + 1;
      if (total <= MAX_REV_HISTORY_CHARS) {
        revs = [...revs.slice(start), oldRevision];
        ann[REVISION_HISTORY_ANNOTATION] = revs.join(',');
      }
    }
  }
  if (!exists) {
    const desired = String(replicasOf(d));
    const max = String(replicasOf(d) + maxSurge(d));
    if (ann[DESIRED_REPLICAS_ANNOTATION] !== desired || ann[MAX_REPLICAS_ANNOTATION] !== max) changed = true;
    ann[DESIRED_REPLICAS_ANNOTATION] = desired;
    ann[MAX_REPLICAS_ANNOTATION] = max;
  }
  rs.metadata.annotations = sortedMap(ann);
  return changed;
}

function setDeploymentRevision(d: Deployment, revision: string): boolean {
  if (d.metadata.annotations?.[REVISION_ANNOTATION] === revision) return false;
  d.metadata.annotations = { ...(d.metadata.annotations ?? {}), [REVISION_ANNOTATION]: revision };
  return true;
}

function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const olds = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = [...olds, newRS].filter(isActive);
  if (active.length === 0) return newRS ?? olds[0];
  return active.length === 1 ? active[0] : undefined;
}

function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const want = replicasOf(d);
  return specReplicas(rs) === want && intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION) === want && (rs.status?.availableReplicas ?? 0) === want;
}

/** GetProportion: this ReplicaSet's share of a scaling change, from the size it had at max-replicas. */
function proportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  let fraction: number;
  if (replicasOf(d) === 0) {
    fraction = -specReplicas(rs);
  } else {
    const deploymentReplicas = replicasOf(d) + maxSurge(d);
    const annotated = intAnnotation(rs, MAX_REPLICAS_ANNOTATION) ?? d.status?.replicas ?? 0;
    const size = (specReplicas(rs) * deploymentReplicas) / annotated;
    fraction = Number.isFinite(size) ? Math.round(size) - specReplicas(rs) : 0;
  }
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** ReplicaFailure conditions of the ReplicaSets, the new one's first. */
function replicaFailure(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Condition | undefined {
  const fromRS = (rs: ReplicaSet | undefined): Condition | undefined => {
    const c = rs?.status?.conditions?.find((x) => x.type === 'ReplicaFailure');
    return c && { type: c.type, status: c.status, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message };
  };
  return fromRS(newRS) ?? allRSs.map(fromRS).find((c) => c !== undefined);
}

// ---------------------------------------------------------------------------

/** Starts the Deployment and ReplicaSet controllers; returns the function that stops both. */
export function startDeploymentControllers(ctx: SimContext, opts: ReplicaSetControllerOptions = {}): () => void {
  const stopReplicaSets = startReplicaSetController(ctx, opts);
  const stopDeployments = new DeploymentController(ctx).start();
  return () => {
    stopDeployments();
    stopReplicaSets();
  };
}
