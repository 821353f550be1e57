// The StatefulSet controller, after k8s.io/kubernetes pkg/controller/statefulset
// (stateful_set.go, stateful_set_control.go, stateful_set_utils.go,
// stateful_pod_control.go) and pkg/controller/history: pods named
// <set>-<ordinal> with their stable identity labels, created in order and
// removed in reverse (OrderedReady) or all at once (Parallel), one
// ControllerRevision per template, rolling updates from the highest ordinal
// down to the partition, OnDelete, claims from volumeClaimTemplates, and the
// same Events and status fields, so `kubectl rollout status|history|undo`
// and anything watching StatefulSets see what a real cluster shows.

import { applyCreateDefaults } from '../defaults.ts';
import { ApiError } from '../errors.ts';
import { CONTROLLERREVISIONS, PODS, PVCS, STATEFULSETS } from '../refs.ts';
import type { SimContext } from '../scenario.ts';
import type { Change } from '../store.ts';
import type { KObject, OwnerReference } from '../types.ts';
import { refusedCreate } from './admission.ts';
import { deleteObject } from './gc.ts';
import {
  admitPod,
  claim,
  controllerOf,
  isPodAvailable,
  isPodReady,
  namespaceAcceptsCreates,
  newControllerRef,
  nsKey,
  safeEncodeString,
  selectorOf,
  semanticEqual,
  sortedMap,
  splitKey,
  WorkQueue,
  type Condition,
  type MetaLabelSelector,
  type Pod,
  type PodTemplate,
} from './replicaset.ts';
import { matchesLabels } from '../selectors.ts';

export const REVISION_LABEL = 'controller-revision-hash';
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** the label history.NewControllerRevision puts on a revision */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';
const COMPONENT = { component: 'statefulset-controller' };

export interface StatefulSet extends KObject {
  spec: {
    replicas?: number;
    selector?: MetaLabelSelector;
    template?: PodTemplate;
    serviceName?: string;
    podManagementPolicy?: string;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number; maxUnavailable?: number | string } };
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    volumeClaimTemplates?: KObject[];
    persistentVolumeClaimRetentionPolicy?: { whenDeleted?: string; whenScaled?: string };
    ordinals?: { start?: number };
  };
  status?: StatefulSetStatus;
}

export interface StatefulSetStatus {
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  currentReplicas?: number;
  updatedReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  collisionCount?: number;
  conditions?: Condition[];
  availableReplicas?: number;
}

export interface ControllerRevision extends KObject {
  data?: unknown;
  revision: number;
}

// ---------------------------------------------------------------------------
// Pure helpers (stateful_set_utils.go, history).

const ORDINAL_RE = /^(.*)-([0-9]+)$/;

/** getParentNameAndOrdinal: ["", -1] for a name that is not <parent>-<ordinal>. */
export function parentAndOrdinal(podName: string): [string, number] {
  const m = ORDINAL_RE.exec(podName);
  if (!m) return ['', -1];
  const n = Number(m[2]);
  return Number.isSafeInteger(n) ? [m[1], n] : ['', -1];
}

const replicasOf = (set: StatefulSet): number => set.spec.replicas ?? 1;
const startOrdinal = (set: StatefulSet): number => set.spec.ordinals?.start ?? 0;
const isOnDelete = (set: StatefulSet): boolean => set.spec.updateStrategy?.type === 'OnDelete';
const allowsBurst = (set: StatefulSet): boolean => set.spec.podManagementPolicy === 'Parallel';
export const podRevision = (pod: KObject | undefined): string => pod?.metadata.labels?.[REVISION_LABEL] ?? '';

function isMemberOf(set: StatefulSet, pod: Pod): boolean {
  return parentAndOrdinal(pod.metadata.name!)[0] === set.metadata.name;
}

const isCreated = (pod: Pod): boolean => !!pod.status?.phase;
const isTerminating = (pod: Pod): boolean => !!pod.metadata.deletionTimestamp;
const isRunningAndReady = (pod: Pod): boolean => pod.status?.phase === 'Running' && isPodReady(pod);
const isHealthy = (pod: Pod): boolean => isRunningAndReady(pod) && !isTerminating(pod);
const isFinished = (pod: Pod): boolean => pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';

function isRunningAndAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  return pod.status?.phase === 'Running' && isPodAvailable(pod, minReadySeconds, nowMs);
}

/** Go's json.Marshal of a decoded map: keys sorted at every level, compact. */
export function goJson(v: unknown): string {
  if (v === null || v === undefined || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${goJson(o[k])}`).join(',')}}`;
}

/**
 * getPatch: the revision's data, a strategic merge patch replacing
 * spec.template. The template is encoded as Go encodes a PodTemplateSpec
 * (metadata always present, creationTimestamp null), so the bytes are the
 * ones kubectl computes when it asks whether a rollback is a no-op.
 */
export function revisionData(template: PodTemplate | undefined): Record<string, unknown> {
  const t = structuredClone(template ?? {}) as Record<string, unknown>;
  const metadata = { ...((t.metadata as Record<string, unknown> | undefined) ?? {}), creationTimestamp: null };
  return JSON.parse(goJson({ spec: { template: { ...t, metadata, $patch: 'replace' } } })) as Record<string, unknown>;
}

/** The pod template a revision holds (ApplyRevision without the rest of the set). */
export function templateOfRevision(cr: ControllerRevision): PodTemplate {
  const data = (cr.data ?? {}) as { spec?: { template?: Record<string, unknown> } };
  const t = structuredClone(data.spec?.template ?? {});
  delete t.$patch;
  const meta = t.metadata as Record<string, unknown> | undefined;
  if (meta && meta.creationTimestamp === null) delete meta.creationTimestamp;
  if (meta && Object.keys(meta).length === 0) delete t.metadata;
  return t as PodTemplate;
}

/** history.HashControllerRevision: FNV-1 (not 1a) of the data and the collision count in decimal. */
export function hashRevision(data: unknown, collisionCount?: number): string {
  let h = 0x811c9dc5;
  const feed = (bytes: Uint8Array): void => {
    for (const b of bytes) h = (Math.imul(h, 0x01000193) ^ b) >>> 0;
  };
  feed(Buffer.from(goJson(data), 'utf8'));
  if (collisionCount !== undefined) feed(Buffer.from(String(collisionCount), 'utf8'));
  return safeEncodeString(String(h >>> 0));
}

/** history.SortControllerRevisions: by revision, then creation, then name. */
export function sortRevisions<T extends ControllerRevision>(revs: T[]): T[] {
  return revs.sort((a, b) => {
    if (a.revision !== b.revision) return a.revision - b.revision;
    const ta = a.metadata.creationTimestamp ?? '';
    const tb = b.metadata.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? -1 : 1;
    return a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0;
  });
}

const equalRevision = (a: ControllerRevision, b: ControllerRevision): boolean => goJson(a.data) === goJson(b.data);

/** PVC name of a claim template for an ordinal: <template>-<set>-<ordinal>. */
export const claimName = (template: string, set: string, ordinal: number): string => `${template}-${set}-${ordinal}`;

/**
 * What `kubectl rollout status statefulset/x` calls done (its
 * StatefulSetStatusViewer): observed, every replica ready, and past the
 * partition or (without one) the update revision current.
 */
export function statefulSetRolloutDone(set: KObject | undefined): boolean {
  if (!set) return false;
  const s = set as StatefulSet;
  const st = s.status ?? {};
  if (!st.observedGeneration || (s.metadata.generation ?? 1) > st.observedGeneration) return false;
  if ((st.readyReplicas ?? 0) < replicasOf(s)) return false;
  const ru = s.spec.updateStrategy?.rollingUpdate;
  if (ru?.partition !== undefined) return (st.updatedReplicas ?? 0) >= replicasOf(s) - ru.partition;
  return st.updateRevision === st.currentRevision;
}

// ---------------------------------------------------------------------------
// The controller.

interface Replica {
  pod: Pod;
  /** built this sync, not in the store */
  fresh: boolean;
}

class StopSync extends Error {}

class StatefulSetController {
  #ctx: SimContext;
  #queue: WorkQueue;
  /** writes of this sync that failed: the status is still written, then the sync fails and is retried with back-off */
  #failures: string[] = [];

  constructor(ctx: SimContext) {
    this.#ctx = ctx;
    this.#queue = new WorkQueue(ctx.clock, (key) => this.#sync(key));
  }

  start(): () => void {
    const unsubscribe = this.#ctx.store.subscribe((c) => this.#onChange(c));
    for (const s of this.#ctx.store.list(STATEFULSETS.storage)) this.#queue.add(nsKey(s.metadata.namespace, s.metadata.name!));
    return () => {
      unsubscribe();
      this.#queue.stop();
    };
  }

  #onChange(c: Change): void {
    if (c.storage === STATEFULSETS.storage) {
      if (c.type !== 'DELETED') this.#queue.add(nsKey(c.object.metadata.namespace, c.object.metadata.name!));
      return;
    }
    if (c.storage !== PODS.storage) return;
    const pod = c.object as Pod;
    const ns = pod.metadata.namespace;
    const ref = controllerOf(pod);
    const prevRef = controllerOf(c.prev);
    if (ref?.kind === 'StatefulSet') this.#queue.add(nsKey(ns, ref.name));
    if (prevRef?.kind === 'StatefulSet' && prevRef.uid !== ref?.uid) this.#queue.add(nsKey(ns, prevRef.name));
    if (!ref && c.type !== 'DELETED' && (c.type === 'ADDED' || !semanticEqual(c.prev?.metadata.labels, pod.metadata.labels))) {
      for (const s of this.#ctx.store.list(STATEFULSETS.storage, ns) as StatefulSet[]) {
        if (matchesLabels(selectorOf(s.spec?.selector), pod.metadata.labels)) this.#queue.add(nsKey(ns, s.metadata.name!));
      }
    }
  }

  #sync(key: string): void {
    const [ns, name] = splitKey(key);
    const { store } = this.#ctx;
    const set = store.get(STATEFULSETS.storage, ns, name) as StatefulSet | undefined;
    if (!set) return;
    const selector = selectorOf(set.spec?.selector);
    if (!selector || selector.length === 0 || !matchesLabels(selector, set.spec?.template?.metadata?.labels)) return;
    const ref = newControllerRef(set, 'apps/v1', 'StatefulSet');
    const candidates = (store.list(PODS.storage, ns) as Pod[]).filter((p) => isMemberOf(set, p) || controllerOf(p)?.uid === set.metadata.uid);
    const pods = claim(store, PODS, set, ref, selector, candidates).filter((p) => isMemberOf(set, p));
    // ListRevisions + AdoptOrphanRevisions: a set recreated after an orphaning delete takes its history back
    const revisions = sortRevisions(claim(store, CONTROLLERREVISIONS, set, ref, selector, store.list(CONTROLLERREVISIONS.storage, ns) as ControllerRevision[]));
    this.#failures = [];
    try {
      const { current, update, collisionCount } = this.#revisions(set, revisions, ref);
      const status = this.#update(set, current, update, collisionCount, pods);
      this.#writeStatus(set, status);
      this.#truncateHistory(set, pods, revisions, current, update);
      const minReady = set.spec.minReadySeconds ?? 0;
      if (minReady > 0 && status.readyReplicas !== status.availableReplicas) this.#queue.addAfter(key, minReady * 1000);
      if (this.#failures.length) throw new Error(`statefulset ${key}: ${this.#failures.join('; ')}`);
    } catch (err) {
      if (err instanceof StopSync) return;
      throw err;
    }
  }

  // --- revisions (getStatefulSetRevisions, history.realHistory)

  #revisions(set: StatefulSet, revisions: ControllerRevision[], ref: OwnerReference): { current: ControllerRevision; update: ControllerRevision; collisionCount: number } {
    let collisionCount = set.status?.collisionCount ?? 0;
    const next = revisions.length ? revisions[revisions.length - 1].revision + 1 : 1;
    const candidate = this.#newRevision(set, next, ref, collisionCount);
    const equal = revisions.filter((r) => equalRevision(r, candidate));
    let update: ControllerRevision;
    if (equal.length && equalRevision(revisions[revisions.length - 1], equal[equal.length - 1])) {
      update = revisions[revisions.length - 1];
    } else if (equal.length) {
      // the template went back to an older revision: that revision becomes the newest again
      const old = equal[equal.length - 1];
      update = this.#ctx.store.mutate(CONTROLLERREVISIONS, old.metadata.namespace, old.metadata.name!, (o) => {
        (o as ControllerRevision).revision = next;
      }) as ControllerRevision;
    } else {
      ({ rev: update, collisionCount } = this.#createRevision(set, candidate, collisionCount));
    }
    const current = revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
    return { current, update, collisionCount };
  }

  #newRevision(set: StatefulSet, revision: number, ref: OwnerReference, collisionCount: number): ControllerRevision {
    const data = revisionData(set.spec.template);
    const hash = hashRevision(data, collisionCount);
    const labels = { ...(set.spec.template?.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash };
    const cr: ControllerRevision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: `${set.metadata.name!.slice(0, 223)}-${hash}`,
        namespace: set.metadata.namespace,
        labels: sortedMap(labels),
        ownerReferences: [ref],
      },
      data,
      revision,
    };
    if (set.metadata.annotations && Object.keys(set.metadata.annotations).length) cr.metadata.annotations = sortedMap(set.metadata.annotations);
    return cr;
  }

  /** CreateControllerRevision: a name taken by something else bumps the collision count and hashes again. */
  #createRevision(set: StatefulSet, cr: ControllerRevision, collisionCount: number): { rev: ControllerRevision; collisionCount: number } {
    const { store } = this.#ctx;
    const ns = set.metadata.namespace!;
    if (!namespaceAcceptsCreates(store, ns)) throw new StopSync();
    for (let probe = collisionCount; ; probe++) {
      const hash = hashRevision(cr.data, probe);
      const name = `${set.metadata.name!.slice(0, 223)}-${hash}`;
      const exists = store.get(CONTROLLERREVISIONS.storage, ns, name) as ControllerRevision | undefined;
      if (exists) {
        if (controllerOf(exists)?.uid === set.metadata.uid && equalRevision(exists, cr)) return { rev: exists, collisionCount: probe };
        continue;
      }
      const created = store.create(CONTROLLERREVISIONS, { ...cr, metadata: { ...cr.metadata, name } }) as ControllerRevision;
      return { rev: created, collisionCount: probe };
    }
  }

  #truncateHistory(set: StatefulSet, pods: Pod[], revisions: ControllerRevision[], current: ControllerRevision, update: ControllerRevision): void {
    const live = new Set([current.metadata.name, update.metadata.name, ...pods.map(podRevision)]);
    const history = revisions.filter((r) => !live.has(r.metadata.name));
    const limit = set.spec.revisionHistoryLimit ?? 10;
    for (const r of history.slice(0, Math.max(0, history.length - limit))) {
      try {
        this.#ctx.store.delete(CONTROLLERREVISIONS, r.metadata.namespace, r.metadata.name!);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
  }

  // --- pods (updateStatefulSet, processReplica, processCondemned)

  #update(set: StatefulSet, current: ControllerRevision, update: ControllerRevision, collisionCount: number, pods: Pod[]): StatefulSetStatus {
    const now = this.#ctx.clock.nowMs();
    const minReady = set.spec.minReadySeconds ?? 0;
    const status: StatefulSetStatus = {
      observedGeneration: set.metadata.generation ?? 1,
      currentRevision: current.metadata.name,
      updateRevision: update.metadata.name,
      collisionCount,
    };
    const start = startOrdinal(set);
    const count = replicasOf(set);
    const replicas: Replica[] = new Array(count);
    const condemned: Pod[] = [];
    for (const pod of pods) {
      const ord = parentAndOrdinal(pod.metadata.name!)[1];
      if (ord >= start && ord < start + count) replicas[ord - start] = { pod, fresh: false };
      else if (ord >= 0) condemned.push(pod);
    }
    const currentTemplate = templateOfRevision(current);
    const updateTemplate = templateOfRevision(update);
    const partition = set.spec.updateStrategy?.rollingUpdate?.partition;
    const rolling = set.spec.updateStrategy?.type !== 'OnDelete';
    for (let i = 0; i < count; i++) {
      if (replicas[i]) continue;
      const ord = start + i;
      // newVersionedStatefulSetPod: below the partition a pod is recreated at the current revision
      const atCurrent =
        (rolling && set.spec.updateStrategy?.rollingUpdate === undefined && ord < start + (set.status?.currentReplicas ?? 0)) ||
        (set.spec.updateStrategy?.rollingUpdate !== undefined && ord < start + (partition ?? 0));
      replicas[i] = { pod: this.#newPod(set, atCurrent ? currentTemplate : updateTemplate, atCurrent ? current : update, ord), fresh: true };
    }
    condemned.sort((a, b) => parentAndOrdinal(b.metadata.name!)[1] - parentAndOrdinal(a.metadata.name!)[1]);
    const unhealthy = [...replicas.map((r) => r.pod), ...[...condemned].reverse()].find((p) => !isHealthy(p));
    const fill = (): StatefulSetStatus => this.#counted(status, minReady, now, current, update, replicas, condemned);
    fill();
    if (set.metadata.deletionTimestamp) return status;

    const monotonic = !allowsBurst(set);
    for (let i = 0; i < replicas.length; i++) {
      if (this.#processReplica(set, monotonic, replicas, i) && monotonic) return fill();
    }
    // claims of pods about to be scaled away get the owner the retention policy wants (the pod, so they go with it)
    for (const pod of condemned) this.#claimOwners(set, pod, true);
    for (let i = 0; i < condemned.length; i++) {
      if (this.#processCondemned(set, unhealthy, monotonic, condemned[i], minReady, now) && monotonic) return fill();
    }
    fill();
    if (isOnDelete(set)) return status;

    // rolling update: the highest ordinal not at the update revision goes first, one at a time
    const updateMin = partition ?? 0;
    for (let target = replicas.length - 1; target >= updateMin; target--) {
      const pod = replicas[target].pod;
      if (podRevision(pod) !== update.metadata.name && !isTerminating(pod)) {
        this.#deletePod(set, pod);
        status.currentReplicas = (status.currentReplicas ?? 0) - 1;
        return status;
      }
      if (!isHealthy(pod)) return status;
    }
    return status;
  }

  /** true when the loop should stop here (the pod blocks progress in order, or a write was made). */
  #processReplica(set: StatefulSet, monotonic: boolean, replicas: Replica[], i: number): boolean {
    const r = replicas[i];
    const pod = r.pod;
    if (!r.fresh && isFinished(pod)) {
      // a pod that finished (evicted, its node rebooted) is replaced by a new one with the same identity
      const ns = set.metadata.namespace;
      if (pod.status?.phase === 'Failed') this.#event(set, 'Warning', 'RecreatingFailedPod', `StatefulSet ${ns}/${set.metadata.name} is recreating failed Pod ${pod.metadata.name}`);
      else this.#event(set, 'Normal', 'RecreatingTerminatedPod', `StatefulSet ${ns}/${set.metadata.name} is recreating terminated Pod ${pod.metadata.name}`);
      if (!isTerminating(pod)) this.#deletePod(set, pod);
      return true;
    }
    if (r.fresh) {
      this.#createPod(set, pod);
      return monotonic;
    }
    if (pod.status?.phase === 'Pending') this.#createClaims(set, pod);
    if (isTerminating(pod) && monotonic) return true;
    if (!isRunningAndReady(pod) && monotonic) return true;
    if (!isRunningAndAvailable(pod, set.spec.minReadySeconds ?? 0, this.#ctx.clock.nowMs()) && monotonic) return true;
    if (!this.#identityMatches(set, pod)) this.#fixIdentity(set, pod);
    this.#claimOwners(set, pod, false);
    return false;
  }

  #processCondemned(set: StatefulSet, firstUnhealthy: Pod | undefined, monotonic: boolean, pod: Pod, minReady: number, now: number): boolean {
    if (isTerminating(pod)) return monotonic;
    if (!isRunningAndReady(pod) && monotonic && pod !== firstUnhealthy) return true;
    if (!isRunningAndAvailable(pod, minReady, now) && monotonic && pod !== firstUnhealthy) return true;
    this.#deletePod(set, pod);
    return monotonic;
  }

  /** updateStatus/computeReplicaStatus: counts of pods that exist, by readiness and revision. */
  #counted(status: StatefulSetStatus, minReady: number, now: number, current: ControllerRevision, update: ControllerRevision, replicas: Replica[], condemned: Pod[]): StatefulSetStatus {
    let total = 0, ready = 0, available = 0, cur = 0, upd = 0;
    const existing = [...replicas.filter((r) => !r.fresh).map((r) => r.pod), ...condemned];
    for (const pod of existing) {
      if (isCreated(pod)) total++;
      if (isRunningAndReady(pod)) {
        ready++;
        if (isRunningAndAvailable(pod, minReady, now)) available++;
      }
      if (isCreated(pod) && !isTerminating(pod)) {
        if (podRevision(pod) === current.metadata.name) cur++;
        if (podRevision(pod) === update.metadata.name) upd++;
      }
    }
    Object.assign(status, { replicas: total, readyReplicas: ready, availableReplicas: available, currentReplicas: cur, updatedReplicas: upd });
    return status;
  }

  #identityMatches(set: StatefulSet, pod: Pod): boolean {
    const [parent, ord] = parentAndOrdinal(pod.metadata.name!);
    return ord >= 0 && parent === set.metadata.name && pod.metadata.namespace === set.metadata.namespace && pod.metadata.labels?.[POD_NAME_LABEL] === pod.metadata.name;
  }

  /** UpdateStatefulPod: put back the identity labels someone removed. */
  #fixIdentity(set: StatefulSet, pod: Pod): void {
    const ord = parentAndOrdinal(pod.metadata.name!)[1];
    try {
      this.#ctx.store.mutate(PODS, pod.metadata.namespace, pod.metadata.name!, (o) => {
        o.metadata.labels = sortedMap({ ...(o.metadata.labels ?? {}), [POD_NAME_LABEL]: o.metadata.name!, [POD_INDEX_LABEL]: String(ord) });
      });
      this.#event(set, 'Normal', 'SuccessfulUpdate', `update Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      this.#event(set, 'Warning', 'FailedUpdate', `update Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${err.message}`);
    }
  }

  /** newStatefulSetPod: the template's pod with its stable identity, claims as volumes and the revision label. */
  #newPod(set: StatefulSet, template: PodTemplate, revision: ControllerRevision, ordinal: number): Pod {
    const name = `${set.metadata.name}-${ordinal}`;
    const meta = template.metadata ?? {};
    const labels = { ...(meta.labels ?? {}), [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [REVISION_LABEL]: revision.metadata.name! };
    const metadata: Pod['metadata'] = { name, generateName: `${set.metadata.name}-`, namespace: set.metadata.namespace, labels: sortedMap(labels) };
    if (meta.annotations && Object.keys(meta.annotations).length) metadata.annotations = sortedMap(meta.annotations);
    if (meta.finalizers?.length) metadata.finalizers = [...meta.finalizers];
    metadata.ownerReferences = [newControllerRef(set, 'apps/v1', 'StatefulSet')];
    const spec = structuredClone(template.spec ?? {}) as Record<string, unknown>;
    spec.hostname = name;
    if (set.spec.serviceName) spec.subdomain = set.spec.serviceName;
    const claims = set.spec.volumeClaimTemplates ?? [];
    if (claims.length) {
      const volumes = ((spec.volumes as Record<string, unknown>[] | undefined) ?? []).filter((v) => !claims.some((c) => c.metadata?.name === v.name));
      for (const c of claims) volumes.push({ name: c.metadata.name, persistentVolumeClaim: { claimName: claimName(c.metadata.name!, set.metadata.name!, ordinal) } });
      spec.volumes = volumes;
    }
    return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
  }

  /** CreateStatefulPod: claims first, then the pod, each with its Event. */
  #createPod(set: StatefulSet, pod: Pod): void {
    const { store } = this.#ctx;
    const ns = set.metadata.namespace!;
    if (!namespaceAcceptsCreates(store, ns)) throw new StopSync();
    const podName = pod.metadata.name!;
    const claimError = this.#createClaims(set, pod);
    if (claimError) {
      this.#event(set, 'Warning', 'FailedCreate', `create Pod ${podName} in StatefulSet ${set.metadata.name} failed error: ${claimError}`);
      this.#failures.push(claimError);
      return;
    }
    if (store.get(PODS.storage, ns, podName)) {
      // the name is taken by a pod we do not own: the real create fails with AlreadyExists
      this.#event(set, 'Warning', 'FailedCreate', `create Pod ${podName} in StatefulSet ${set.metadata.name} failed error: pods "${podName}" already exists`);
      this.#failures.push(`pods "${podName}" already exists`);
      return;
    }
    applyCreateDefaults(PODS.storage, pod);
    admitPod(pod);
    const refused = refusedCreate(this.#ctx, PODS.storage, pod);
    if (refused) {
      this.#event(set, 'Warning', 'FailedCreate', `create Pod ${podName} in StatefulSet ${set.metadata.name} failed error: ${refused}`);
      this.#failures.push(refused);
      return;
    }
    const created = store.create(PODS, pod) as Pod;
    this.#event(set, 'Normal', 'SuccessfulCreate', `create Pod ${podName} in StatefulSet ${set.metadata.name} successful`);
    this.#claimOwners(set, created, false);
  }

  /** createPersistentVolumeClaims: the pod's missing claims; the error when one cannot be had. */
  #createClaims(set: StatefulSet, pod: Pod): string | undefined {
    const { store } = this.#ctx;
    const ns = set.metadata.namespace!;
    const ord = parentAndOrdinal(pod.metadata.name!)[1];
    const errors: string[] = [];
    for (const tpl of set.spec.volumeClaimTemplates ?? []) {
      const name = claimName(tpl.metadata.name!, set.metadata.name!, ord);
      const existing = store.get(PVCS.storage, ns, name);
      if (existing) {
        if (existing.metadata.deletionTimestamp) errors.push(`pvc ${name} is being deleted`);
        continue;
      }
      const labels = { ...(tpl.metadata.labels ?? {}), ...(set.spec.selector?.matchLabels ?? {}) };
      const pvc: KObject = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name, namespace: ns, labels: sortedMap(labels) },
        spec: structuredClone((tpl as { spec?: unknown }).spec ?? {}),
      };
      if (tpl.metadata.annotations && Object.keys(tpl.metadata.annotations).length) pvc.metadata.annotations = sortedMap(tpl.metadata.annotations);
      applyCreateDefaults(PVCS.storage, pvc);
      (pvc as { status?: unknown }).status ??= { phase: 'Pending' };
      try {
        // quota on claims (persistentvolumeclaims, requests.storage) refuses it as it would the API's create
        this.#ctx.admit?.(PVCS.storage, pvc);
        store.create(PVCS, pvc);
        this.#event(set, 'Normal', 'SuccessfulCreate', `create Claim ${name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} success`);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        errors.push(`failed to create PVC ${name}: ${err.message}`);
        this.#event(set, 'Warning', 'FailedCreate', `create Claim ${name} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${err.message}`);
      }
    }
    return errors.length ? errors.join('; ') : undefined;
  }

  /**
   * updateClaimOwnerRefForSetAndPod: persistentVolumeClaimRetentionPolicy as
   * owner references, so the garbage collector deletes a claim with its set
   * (whenDeleted: Delete) or with its scaled-away pod (whenScaled: Delete).
   */
  #claimOwners(set: StatefulSet, pod: Pod, scaledDown: boolean): void {
    const templates = set.spec.volumeClaimTemplates ?? [];
    if (!templates.length || !pod.metadata.uid) return;
    const policy = set.spec.persistentVolumeClaimRetentionPolicy ?? {};
    const deleteWithSet = policy.whenDeleted === 'Delete' && !(scaledDown && policy.whenScaled === 'Delete');
    const deleteWithPod = policy.whenScaled === 'Delete' && scaledDown;
    const ord = parentAndOrdinal(pod.metadata.name!)[1];
    const setRef: OwnerReference = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata.name!, uid: set.metadata.uid! };
    const podRef: OwnerReference = { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name!, uid: pod.metadata.uid };
    for (const tpl of templates) {
      const name = claimName(tpl.metadata.name!, set.metadata.name!, ord);
      const claim = this.#ctx.store.get(PVCS.storage, set.metadata.namespace, name);
      if (!claim || claim.metadata.deletionTimestamp) continue;
      const refs = claim.metadata.ownerReferences ?? [];
      let next = refs.filter((r) => (r.uid !== setRef.uid || deleteWithSet) && (r.uid !== podRef.uid || deleteWithPod));
      if (deleteWithSet && !next.some((r) => r.uid === setRef.uid)) next = [...next, setRef];
      if (deleteWithPod && !next.some((r) => r.uid === podRef.uid)) next = [...next, podRef];
      if (semanticEqual(refs, next)) continue;
      this.#ctx.store.mutate(PVCS, claim.metadata.namespace, name, (o) => {
        if (next.length) o.metadata.ownerReferences = next;
        else delete o.metadata.ownerReferences;
      });
    }
  }

  #deletePod(set: StatefulSet, pod: Pod): void {
    try {
      deleteObject(this.#ctx, PODS, pod.metadata.namespace, pod.metadata.name!);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return;
      if (!(err instanceof ApiError)) throw err;
      this.#event(set, 'Warning', 'FailedDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${err.message}`);
      return;
    }
    this.#event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
  }

  // --- status (updateStatefulSetStatus, completeRollingUpdate)

  #writeStatus(set: StatefulSet, status: StatefulSetStatus): void {
    if (!isOnDelete(set) && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
      status.currentReplicas = status.updatedReplicas;
      status.currentRevision = status.updateRevision;
    }
    const cur = set.status ?? {};
    const keys = ['observedGeneration', 'replicas', 'currentReplicas', 'readyReplicas', 'updatedReplicas', 'currentRevision', 'availableReplicas', 'updateRevision'] as const;
    if (keys.every((k) => (cur[k] ?? 0) === (status[k] ?? 0)) && cur.collisionCount === status.collisionCount) return;
    const wire = wireStatus({ ...status, conditions: cur.conditions });
    try {
      this.#ctx.store.mutate(STATEFULSETS, set.metadata.namespace, set.metadata.name!, (o) => {
        if (semanticEqual(o.status, wire)) return false;
        o.status = wire;
      });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }

  #event(set: StatefulSet, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.#ctx.recorder.record({ object: { ...set, apiVersion: 'apps/v1', kind: 'StatefulSet' }, type, reason, message, source: COMPONENT });
  }
}

/** Field order and omitempty as apps/v1 StatefulSetStatus serializes. */
function wireStatus(s: StatefulSetStatus): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.observedGeneration) out.observedGeneration = s.observedGeneration;
  out.replicas = s.replicas ?? 0;
  if (s.readyReplicas) out.readyReplicas = s.readyReplicas;
  if (s.currentReplicas) out.currentReplicas = s.currentReplicas;
  if (s.updatedReplicas) out.updatedReplicas = s.updatedReplicas;
  if (s.currentRevision) out.currentRevision = s.currentRevision;
  if (s.updateRevision) out.updateRevision = s.updateRevision;
  if (s.collisionCount !== undefined) out.collisionCount = s.collisionCount;
  if (s.conditions?.length) out.conditions = s.conditions;
  out.availableReplicas = s.availableReplicas ?? 0;
  return out;
}

/** Starts the StatefulSet controller; returns the function that stops it. */
export function startStatefulSetController(ctx: SimContext): () => void {
  return new StatefulSetController(ctx).start();
}
