// The ReplicaSet controller, after k8s.io/kubernetes pkg/controller/replicaset:
// keeps spec.replicas active pods matching the selector, adopting orphans and
// releasing pods that stopped matching, deletes the least valuable pods first
// on scale-down and reports replicas/ready/available in status. It also holds
// the small pieces the Deployment controller shares (work queue, ownership,
// pod readiness), so the two read the cluster the same way.

import type { SimClock, TimerHandle } from '../clock.ts';
import { applyCreateDefaults } from '../defaults.ts';
import { ApiError } from '../errors.ts';
import { NAMESPACES, PODS, REPLICASETS } from '../refs.ts';
import type { SimContext } from '../scenario.ts';
import { labelSelectorFromObject, matchesLabels, type LabelSelector } from '../selectors.ts';
import type { Change, ObjectStore, StorageRef } from '../store.ts';
import type { KObject, OwnerReference } from '../types.ts';
import { deleteObject } from './gc.ts';

// ---------------------------------------------------------------------------
// Shapes the two controllers read. Objects are plain JSON as stored.

export interface MetaLabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[]; [k: string]: unknown };
  spec?: Record<string, unknown>;
}

export interface Condition {
  type: string;
  status: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  lastProbeTime?: string | null;
  reason?: string;
  message?: string;
}

export interface ReplicaSet extends KObject {
  spec: { replicas?: number; minReadySeconds?: number; selector?: MetaLabelSelector; template?: PodTemplate };
  status?: {
    replicas?: number;
    fullyLabeledReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    observedGeneration?: number;
    conditions?: Condition[];
  };
}

export interface Pod extends KObject {
  spec?: { nodeName?: string; [k: string]: unknown };
  status?: {
    phase?: string;
    conditions?: Condition[];
    containerStatuses?: { restartCount?: number }[];
    initContainerStatuses?: { restartCount?: number }[];
    [k: string]: unknown;
  };
}

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
const BURST_REPLICAS = 500;
const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';
const RS_COMPONENT = { component: 'replicaset-controller' };
/** how soon a ReplicaSet whose pod create was refused (quota) tries again */
export const CREATE_RETRY_MS = 10_000;

/**
 * The ReplicaFailure condition as the ReplicaSet controller keeps it: added
 * (reason FailedCreate) when a create was refused, removed once creates go
 * through; otherwise the same array, so callers can tell nothing changed.
 */
export function replicaFailureConditions(conds: Condition[] | undefined, failure: string | undefined, now: string): Condition[] | undefined {
  const existing = conds?.find((c) => c.type === 'ReplicaFailure');
  if (failure && !existing) {
    return [...(conds ?? []), { type: 'ReplicaFailure', status: 'True', lastTransitionTime: now, reason: 'FailedCreate', message: failure }];
  }
  if (!failure && existing) return conds!.filter((c) => c.type !== 'ReplicaFailure');
  return conds;
}

// ---------------------------------------------------------------------------
// Shared helpers.

/** A rate-limited work queue like client-go's, on the simulator's clock: one key is never synced twice at once. */
export class WorkQueue {
  #clock: SimClock;
  #handle: (key: string) => void;
  #dirty = new Set<string>();
  #flushTimer: TimerHandle | undefined;
  #delayed = new Map<string, { due: number; timer: TimerHandle }>();
  #failures = new Map<string, number>();
  #stopped = false;
  /** flushes that happened at one virtual instant: guards against a controller fighting itself forever */
  #instant = { at: -1, flushes: 0 };

  constructor(clock: SimClock, handle: (key: string) => void) {
    this.#clock = clock;
    this.#handle = handle;
  }

  add(key: string): void {
    if (this.#stopped) return;
    this.#dirty.add(key);
    if (!this.#flushTimer) this.#flushTimer = this.#clock.setTimeout(() => this.#flush(), this.#flushDelay());
  }

  /** Like AddAfter: the earliest pending wake-up of a key wins. */
  addAfter(key: string, ms: number): void {
    if (this.#stopped) return;
    if (ms <= 0) return this.add(key);
    const due = this.#clock.nowMs() + ms;
    const pending = this.#delayed.get(key);
    if (pending && pending.due <= due) return;
    this.#clock.clearTimeout(pending?.timer);
    const timer = this.#clock.setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, ms);
    this.#delayed.set(key, { due, timer });
  }

  stop(): void {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#flushTimer);
    for (const { timer } of this.#delayed.values()) this.#clock.clearTimeout(timer);
    this.#delayed.clear();
    this.#dirty.clear();
  }

  #flushDelay(): number {
    const now = this.#clock.nowMs();
    if (this.#instant.at !== now) this.#instant = { at: now, flushes: 0 };
    if (++this.#instant.flushes < 10_000) return 0;
    process.emitWarning('sim controller queue is not settling; slowing it down');
    return 1000;
  }

  #flush(): void {
    this.#flushTimer = undefined;
    const keys = [...this.#dirty];
    this.#dirty.clear();
    for (const key of keys) {
      try {
        this.#handle(key);
        this.#failures.delete(key);
      } catch (err) {
        // as client-go's handleErr: retry with exponential back-off, give up after 15 tries
        const n = (this.#failures.get(key) ?? 0) + 1;
        this.#failures.set(key, n);
        if (n > 15) {
          this.#failures.delete(key);
          process.emitWarning(`sim controller gave up on ${key}: ${(err as Error).stack ?? err}`);
        } else {
          this.addAfter(key, Math.min(5 * 2 ** (n - 1), 60_000));
        }
      }
    }
  }
}

export const nsKey = (ns: string | undefined, name: string): string => `${ns ?? ''}/${name}`;

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

export function controllerOf(obj: KObject | undefined): OwnerReference | undefined {
  return obj?.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** metav1.NewControllerRef */
export function newControllerRef(owner: KObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/** The selector as a matcher; null (matches nothing) when missing or invalid. */
export function selectorOf(sel: MetaLabelSelector | undefined): LabelSelector | null {
  try {
    return labelSelectorFromObject(sel);
  } catch {
    return null;
  }
}

export function isPodReady(pod: Pod): boolean {
  return !!pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

function readySinceMs(pod: Pod): number | undefined {
  const c = pod.status?.conditions?.find((x) => x.type === 'Ready' && x.status === 'True');
  return c?.lastTransitionTime ? Date.parse(c.lastTransitionTime) : undefined;
}

/** podutil.IsPodAvailable: ready for longer than minReadySeconds. */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = readySinceMs(pod);
  return since !== undefined && since + minReadySeconds * 1000 < nowMs;
}

/** controller.IsPodActive: not finished and not being deleted. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

export function namespaceAcceptsCreates(store: ObjectStore, ns: string): boolean {
  const n = store.get(NAMESPACES.storage, undefined, ns) as { status?: { phase?: string }; metadata: { deletionTimestamp?: string } } | undefined;
  return !!n && !n.metadata.deletionTimestamp && n.status?.phase !== 'Terminating';
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** utilrand.String: the alphabet without vowels and easily confused characters. */
export function randomString(n: number, random: () => number = Math.random): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHANUMS[Math.floor(random() * ALPHANUMS.length)];
  return s;
}

/** rand.SafeEncodeString: how pod-template-hash turns a number into letters. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += ALPHANUMS[s.charCodeAt(i) % ALPHANUMS.length];
  return out;
}

/** Go maps serialize with sorted keys; keep ours the same so output reads like the real server's. */
export function sortedMap(m: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!m) return undefined;
  const out: Record<string, string> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k];
  return out;
}

/** Semantic equality as apimachinery's: a missing, null, empty map or empty list are all the same. */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => semanticEqual(v, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isPlainObject(v) && Object.keys(v).length === 0;
}

/**
 * ControllerRefManager.Claim*: of the candidates, those the owner controls
 * and still selects, plus orphans it selects (adopted), after releasing the
 * ones it controls but no longer selects.
 */
export function claim<T extends KObject>(
  store: ObjectStore,
  ref: StorageRef,
  owner: KObject,
  ownerRef: OwnerReference,
  selector: LabelSelector | null,
  candidates: T[],
): T[] {
  const out: T[] = [];
  const ownerDeleting = !!owner.metadata.deletionTimestamp;
  for (const obj of candidates) {
    const ctl = controllerOf(obj);
    const selected = matchesLabels(selector, obj.metadata.labels);
    if (ctl) {
      if (ctl.uid !== owner.metadata.uid) continue;
      if (selected) out.push(obj);
      else if (!ownerDeleting) patchOwners(store, ref, obj, (refs) => refs.filter((r) => r.uid !== owner.metadata.uid));
      continue;
    }
    if (ownerDeleting || !selected || obj.metadata.deletionTimestamp) continue;
    const adopted = patchOwners(store, ref, obj, (refs) => [...refs, ownerRef]);
    if (adopted) out.push(adopted as T);
  }
  return out;
}

function patchOwners(store: ObjectStore, ref: StorageRef, obj: KObject, fn: (refs: OwnerReference[]) => OwnerReference[]): KObject | undefined {
  try {
    return store.mutate(ref, obj.metadata.namespace, obj.metadata.name!, (o) => {
      const next = fn(o.metadata.ownerReferences ?? []);
      if (next.length) o.metadata.ownerReferences = next;
      else delete o.metadata.ownerReferences;
    });
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return undefined;
    throw err;
  }
}

// ---------------------------------------------------------------------------
// Pods as the API server admits them.

/**
 * What the admission plugins add to a pod the controller creates through the
 * API (ServiceAccount, DefaultTolerationSeconds, Priority), since the
 * controller writes the store directly.
 */
export function admitPod(pod: Pod, random: () => number = Math.random): void {
  const spec = (pod.spec ??= {}) as Record<string, unknown>;
  spec.serviceAccountName ??= (spec.serviceAccount as string | undefined) ?? 'default';
  spec.serviceAccount ??= spec.serviceAccountName;
  spec.enableServiceLinks ??= true;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  spec.priority ??= 0;
  const tolerations = ((spec.tolerations as Record<string, unknown>[] | undefined) ?? []).slice();
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tolerations.some((t) => t.key === key && (t.effect === 'NoExecute' || !t.effect))) {
      tolerations.push({ effect: 'NoExecute', key, operator: 'Exists', tolerationSeconds: 300 });
    }
  }
  spec.tolerations = tolerations;
  const volumes = ((spec.volumes as Record<string, unknown>[] | undefined) ?? []).slice();
  if (spec.automountServiceAccountToken === false || volumes.some((v) => String(v.name).startsWith('kube-api-access-'))) return;
  const volume = `kube-api-access-${randomString(5, random)}`;
  volumes.push({
    name: volume,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
        { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
      ],
    },
  });
  spec.volumes = volumes;
  for (const c of (spec.containers as Record<string, unknown>[] | undefined) ?? []) {
    const mounts = ((c.volumeMounts as unknown[] | undefined) ?? []).slice();
    mounts.push({ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: volume, readOnly: true });
    c.volumeMounts = mounts;
  }
}

/** controller.GetPodFromTemplate plus the name the API server generates from generateName. */
export function podFromTemplate(store: ObjectStore, owner: KObject, ownerRef: OwnerReference, template: PodTemplate, random: () => number): Pod {
  const ns = owner.metadata.namespace!;
  // names.SimpleNameGenerator: base cut to 58 characters, then 5 random ones
  const generateName = `${owner.metadata.name}-`;
  const base = generateName.slice(0, 58);
  let name: string;
  do name = base + randomString(5, random);
  while (store.get(PODS.storage, ns, name));
  const meta = template.metadata ?? {};
  const metadata: Pod['metadata'] = { name, generateName, namespace: ns };
  if (meta.labels && Object.keys(meta.labels).length) metadata.labels = sortedMap(meta.labels);
  if (meta.annotations && Object.keys(meta.annotations).length) metadata.annotations = sortedMap(meta.annotations);
  if (meta.finalizers?.length) metadata.finalizers = [...meta.finalizers];
  metadata.ownerReferences = [ownerRef];
  const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata, spec: structuredClone(template.spec ?? {}) };
  applyCreateDefaults(PODS.storage, pod);
  admitPod(pod, random);
  return pod;
}

// ---------------------------------------------------------------------------
// Scale-down order: controller.ActivePodsWithRanks.

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(pod: Pod): number {
  const v = Number(pod.metadata.annotations?.[POD_DELETION_COST]);
  return Number.isInteger(v) ? v : 0;
}

function maxRestarts(pod: Pod): number {
  let max = 0;
  for (const c of pod.status?.containerStatuses ?? []) max = Math.max(max, c.restartCount ?? 0);
  return max;
}

function logRank(tMs: number, nowMs: number): number {
  const d = (nowMs - tMs) * 1e6; // Go compares durations in nanoseconds
  return d > 0 ? Math.floor(Math.log2(d)) : -1;
}

/** afterOrZero, then LogarithmicScaleDown's bucketed comparison (on by default since 1.22). */
function newerFirst(t1: number | undefined, t2: number | undefined, nowMs: number, uid1: string, uid2: string): boolean | undefined {
  if (t1 === t2) return undefined;
  if (!t1 || !t2) return !t1;
  const diff = logRank(t1, nowMs) - logRank(t2, nowMs);
  if (diff === 0) return uid1 < uid2;
  return diff < 0;
}

/** true when pod a should be deleted before pod b. */
function deleteBefore(a: Pod, b: Pod, rankA: number, rankB: number, nowMs: number): boolean {
  const na = a.spec?.nodeName ?? '';
  const nb = b.spec?.nodeName ?? '';
  if (na !== nb && (!na || !nb)) return !na;
  const pa = PHASE_ORDINAL[a.status?.phase ?? ''] ?? 0;
  const pb = PHASE_ORDINAL[b.status?.phase ?? ''] ?? 0;
  if (pa !== pb) return pa < pb;
  const ra = isPodReady(a);
  if (ra !== isPodReady(b)) return !ra;
  const ca = deletionCost(a);
  const cb = deletionCost(b);
  if (ca !== cb) return ca < cb;
  if (rankA !== rankB) return rankA > rankB;
  const uidA = a.metadata.uid ?? '';
  const uidB = b.metadata.uid ?? '';
  if (ra && isPodReady(b)) {
    const r = newerFirst(readySinceMs(a), readySinceMs(b), nowMs, uidA, uidB);
    if (r !== undefined) return r;
  }
  const xa = maxRestarts(a);
  const xb = maxRestarts(b);
  if (xa !== xb) return xa > xb;
  const created = (p: Pod): number | undefined => (p.metadata.creationTimestamp ? Date.parse(p.metadata.creationTimestamp) : undefined);
  return newerFirst(created(a), created(b), nowMs, uidA, uidB) ?? false;
}

/** getPodsToDelete: the `diff` pods to remove, least valuable first. */
export function podsToDelete(pods: Pod[], related: Pod[], diff: number, nowMs: number): Pod[] {
  if (diff >= pods.length) return pods.slice(0, diff);
  const onNode = new Map<string, number>();
  for (const p of related) if (isPodActive(p)) onNode.set(p.spec?.nodeName ?? '', (onNode.get(p.spec?.nodeName ?? '') ?? 0) + 1);
  const ranked = pods.map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((x, y) => (deleteBefore(x.pod, y.pod, x.rank, y.rank, nowMs) ? -1 : deleteBefore(y.pod, x.pod, y.rank, x.rank, nowMs) ? 1 : 0));
  return ranked.slice(0, diff).map((r) => r.pod);
}

// ---------------------------------------------------------------------------
// The controller.

export interface ReplicaSetControllerOptions {
  /** random source for generated names (tests pass a seeded one) */
  random?: () => number;
  /**
   * Removes a Terminating pod this long after the controller deleted it,
   * standing in for the kubelet's final confirmation when no kubelet runs
   * (tests of the controllers alone). Unset, the kubelet finishes it.
   */
  terminationDelayMs?: number;
}

class ReplicaSetController {
  #ctx: SimContext;
  #random: () => number;
  #terminationDelayMs: number | undefined;
  #queue: WorkQueue;
  /** namespace → name → pod: the informer cache, so a sync never sorts the whole store */
  #pods = new Map<string, Map<string, Pod>>();
  #finalDeletes = new Map<string, TimerHandle>();

  constructor(ctx: SimContext, opts: ReplicaSetControllerOptions) {
    this.#ctx = ctx;
    this.#random = opts.random ?? Math.random;
    this.#terminationDelayMs = opts.terminationDelayMs;
    this.#queue = new WorkQueue(ctx.clock, (key) => this.#sync(key));
  }

  start(): () => void {
    const { store } = this.#ctx;
    for (const pod of store.list(PODS.storage)) this.#index(pod as Pod);
    const unsubscribe = store.subscribe((c) => this.#onChange(c));
    for (const rs of store.list(REPLICASETS.storage)) this.#queue.add(nsKey(rs.metadata.namespace, rs.metadata.name!));
    return () => {
      unsubscribe();
      this.#queue.stop();
      for (const t of this.#finalDeletes.values()) this.#ctx.clock.clearTimeout(t);
      this.#finalDeletes.clear();
    };
  }

  #index(pod: Pod): void {
    const ns = pod.metadata.namespace ?? '';
    let m = this.#pods.get(ns);
    if (!m) this.#pods.set(ns, (m = new Map()));
    m.set(pod.metadata.name!, pod);
  }

  #unindex(pod: Pod): void {
    const m = this.#pods.get(pod.metadata.namespace ?? '');
    m?.delete(pod.metadata.name!);
    if (m && m.size === 0) this.#pods.delete(pod.metadata.namespace ?? '');
  }

  #onChange(c: Change): void {
    if (c.storage === REPLICASETS.storage) {
      if (c.type !== 'DELETED') this.#queue.add(nsKey(c.object.metadata.namespace, c.object.metadata.name!));
      return;
    }
    if (c.storage !== PODS.storage) return;
    const pod = c.object as Pod;
    if (c.type === 'DELETED') this.#unindex(pod);
    else this.#index(pod);
    const ns = pod.metadata.namespace;
    const ref = controllerOf(pod);
    const prevRef = controllerOf(c.prev);
    if (ref?.kind === 'ReplicaSet') this.#queue.add(nsKey(ns, ref.name));
    if (prevRef?.kind === 'ReplicaSet' && prevRef.uid !== ref?.uid) this.#queue.add(nsKey(ns, prevRef.name));
    const labelsChanged = c.type === 'ADDED' || !semanticEqual(c.prev?.metadata.labels, pod.metadata.labels);
    if (!ref && c.type !== 'DELETED' && labelsChanged) {
      // an orphan: whichever ReplicaSet selects it may adopt it
      for (const rs of this.#ctx.store.list(REPLICASETS.storage, ns) as ReplicaSet[]) {
        if (matchesLabels(selectorOf(rs.spec?.selector), pod.metadata.labels)) this.#queue.add(nsKey(ns, rs.metadata.name!));
      }
    }
  }

  #sync(key: string): void {
    const [ns, name] = splitKey(key);
    const { store } = this.#ctx;
    const rs = store.get(REPLICASETS.storage, ns, name) as ReplicaSet | undefined;
    if (!rs) return;
    const selector = selectorOf(rs.spec?.selector);
    // validation keeps these out of a real cluster; written straight to the
    // store they would make the controller create pods it never counts
    if (!selector || selector.length === 0 || !matchesLabels(selector, rs.spec?.template?.metadata?.labels)) return;
    const active = [...(this.#pods.get(ns)?.values() ?? [])].filter(isPodActive);
    const ref = newControllerRef(rs, 'apps/v1', 'ReplicaSet');
    const pods = claim(store, PODS, rs, ref, selector, active);
    const failure = rs.metadata.deletionTimestamp ? undefined : this.#manageReplicas(rs, pods);
    // a refused create is retried (client-go requeues the key with back-off); quota may free up meanwhile
    if (failure) this.#queue.addAfter(key, CREATE_RETRY_MS);
    const updated = this.#updateStatus(rs, pods, failure);
    this.#wakeForAvailability(key, updated, pods);
  }

  /** Creates or deletes pods toward spec.replicas; returns why a create was refused, if one was. */
  #manageReplicas(rs: ReplicaSet, pods: Pod[]): string | undefined {
    const want = rs.spec?.replicas ?? 1;
    const diff = pods.length - want;
    if (diff < 0) {
      const ns = rs.metadata.namespace!;
      if (!namespaceAcceptsCreates(this.#ctx.store, ns)) return undefined; // creates would be refused; nothing to do
      const ref = newControllerRef(rs, 'apps/v1', 'ReplicaSet');
      for (let i = 0; i < Math.min(-diff, BURST_REPLICAS); i++) {
        const fresh = podFromTemplate(this.#ctx.store, rs, ref, rs.spec.template ?? {}, this.#random);
        try {
          this.#ctx.admit?.(PODS.storage, fresh);
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          const why = `Error creating: ${err.message}`;
          this.#ctx.recorder.record({ object: rs, type: 'Warning', reason: 'FailedCreate', message: why, source: RS_COMPONENT });
          return err.message;
        }
        const pod = this.#ctx.store.create(PODS, fresh);
        this.#ctx.recorder.record({ object: rs, type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: ${pod.metadata.name}`, source: RS_COMPONENT });
      }
    } else if (diff > 0) {
      const victims = podsToDelete(pods, this.#relatedPods(rs), Math.min(diff, BURST_REPLICAS), this.#ctx.clock.nowMs());
      for (const pod of victims) {
        this.#deletePod(pod);
        this.#ctx.recorder.record({ object: rs, type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted pod: ${pod.metadata.name}`, source: RS_COMPONENT });
      }
    }
  }

  /** getIndirectlyRelatedPods: pods of every ReplicaSet sharing this one's owner, for spreading scale-down over nodes. */
  #relatedPods(rs: ReplicaSet): Pod[] {
    const owner = controllerOf(rs);
    const uids = new Set<string>([rs.metadata.uid!]);
    if (owner) {
      for (const other of this.#ctx.store.list(REPLICASETS.storage, rs.metadata.namespace)) {
        if (controllerOf(other)?.uid === owner.uid) uids.add(other.metadata.uid!);
      }
    }
    return [...(this.#pods.get(rs.metadata.namespace!)?.values() ?? [])].filter((p) => uids.has(controllerOf(p)?.uid ?? ''));
  }

  /**
   * A DELETE through the API: a pod on a node turns Terminating and its
   * kubelet removes it once the containers stopped; an unbound or finished
   * pod goes at once.
   */
  #deletePod(pod: Pod): void {
    const { clock, store } = this.#ctx;
    const ns = pod.metadata.namespace!;
    const name = pod.metadata.name!;
    const uid = pod.metadata.uid;
    let result: ReturnType<typeof deleteObject>;
    try {
      result = deleteObject(this.#ctx, PODS, ns, name);
    } catch (err) {
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return;
      throw err;
    }
    if (result !== 'terminating' || this.#terminationDelayMs === undefined) return;
    const k = nsKey(ns, name);
    this.#finalDeletes.set(
      k,
      clock.setTimeout(() => {
        this.#finalDeletes.delete(k);
        const cur = store.get(PODS.storage, ns, name);
        if (cur?.metadata.uid !== uid || cur?.metadata.finalizers?.length) return;
        store.delete(PODS, ns, name, { precondition: { uid } });
      }, this.#terminationDelayMs),
    );
  }

  #updateStatus(rs: ReplicaSet, pods: Pod[], failure?: string): ReplicaSet {
    const minReady = rs.spec?.minReadySeconds ?? 0;
    const now = this.#ctx.clock.nowMs();
    const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
    let fullyLabeled = 0;
    let ready = 0;
    let available = 0;
    for (const pod of pods) {
      const labels = pod.metadata.labels ?? {};
      if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fullyLabeled++;
      if (isPodReady(pod)) {
        ready++;
        if (isPodAvailable(pod, minReady, now)) available++;
      }
    }
    const cur = rs.status ?? {};
    const generation = rs.metadata.generation ?? 1;
    const conditions = replicaFailureConditions(cur.conditions, failure, this.#ctx.clock.nowIso());
    if (
      conditions === cur.conditions &&
      (cur.replicas ?? 0) === pods.length &&
      (cur.fullyLabeledReplicas ?? 0) === fullyLabeled &&
      (cur.readyReplicas ?? 0) === ready &&
      (cur.availableReplicas ?? 0) === available &&
      cur.observedGeneration === generation
    ) {
      return rs;
    }
    // field order and omitempty as apps/v1 ReplicaSetStatus serializes
    const status: Record<string, unknown> = { replicas: pods.length };
    if (fullyLabeled) status.fullyLabeledReplicas = fullyLabeled;
    if (ready) status.readyReplicas = ready;
    if (available) status.availableReplicas = available;
    status.observedGeneration = generation;
    if (conditions?.length) status.conditions = conditions;
    try {
      return this.#ctx.store.mutate(REPLICASETS, rs.metadata.namespace, rs.metadata.name!, (o) => {
        o.status = status;
      }) as ReplicaSet;
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return rs;
      throw err;
    }
  }

  /**
   * With minReadySeconds, nothing changes on the pods when they become
   * available, so wake up when the next one does.
   */
  #wakeForAvailability(key: string, rs: ReplicaSet, pods: Pod[]): void {
    const minReady = rs.spec?.minReadySeconds ?? 0;
    if (minReady <= 0) return;
    const now = this.#ctx.clock.nowMs();
    let next = Infinity;
    for (const pod of pods) {
      if (!isPodReady(pod) || isPodAvailable(pod, minReady, now)) continue;
      next = Math.min(next, (readySinceMs(pod) ?? now) + minReady * 1000 + 1);
    }
    if (next < Infinity) this.#queue.addAfter(key, Math.max(1, next - now));
  }
}


/** Starts the ReplicaSet controller; returns the function that stops it. */
export function startReplicaSetController(ctx: SimContext, opts: ReplicaSetControllerOptions = {}): () => void {
  return new ReplicaSetController(ctx, opts).start();
}
