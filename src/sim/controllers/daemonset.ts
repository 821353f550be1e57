// The DaemonSet controller, after k8s.io/kubernetes pkg/controller/daemon
// (daemon_controller.go, update.go, util/): one pod per node the template
// fits (node selector, required node affinity, taints against the
// tolerations the controller adds itself), each pinned to its node by a
// `matchFields metadata.name` node affinity for the scheduler to bind, with
// the controller-revision-hash and pod-template-generation labels, history
// kept in ControllerRevisions, RollingUpdate node by node within
// maxUnavailable (or surging by maxSurge) and OnDelete, and the status and
// Events kubectl and watchers see from a real cluster.

import { TEMPLATE_GENERATION_ANNOTATION } from '../daemonset-defaults.ts';
import { ApiError } from '../errors.ts';
import { CONTROLLERREVISIONS, DAEMONSETS, NODES, PODS } from '../refs.ts';
import type { SimContext } from '../scenario.ts';
import type { Change } from '../store.ts';
import type { KObject } from '../types.ts';
import { refusedCreate } from './admission.ts';
import { podTemplateHash, scaledValue } from './deployment.ts';
import { deleteObject } from './gc.ts';
import { nodeConditions, nodeTaints, type Taint } from './nodes.ts';
import {
  claim,
  controllerOf,
  CREATE_RETRY_MS,
  isPodAvailable,
  isPodReady,
  namespaceAcceptsCreates,
  newControllerRef,
  nsKey,
  podFromTemplate,
  selectorOf,
  semanticEqual,
  sortedMap,
  splitKey,
  WorkQueue,
  type MetaLabelSelector,
  type Pod,
  type PodTemplate,
} from './replicaset.ts';
import { matchesLabels } from '../selectors.ts';

export const REVISION_HASH_LABEL = 'controller-revision-hash';
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
const COMPONENT = { component: 'daemonset-controller' };
const BACKOFF_INITIAL_MS = 1000;
const BACKOFF_MAX_MS = 15 * 60_000;

export interface DaemonSet extends KObject {
  spec: {
    selector?: MetaLabelSelector;
    template?: PodTemplate;
    updateStrategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string } };
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
  };
  status?: DaemonSetStatus;
}

export interface DaemonSetStatus {
  currentNumberScheduled?: number;
  numberMisscheduled?: number;
  desiredNumberScheduled?: number;
  numberReady?: number;
  observedGeneration?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  collisionCount?: number;
  conditions?: unknown[];
}

interface ControllerRevision extends KObject {
  data?: unknown;
  revision?: number;
}

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

interface TemplatePodSpec {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  hostNetwork?: boolean;
  tolerations?: Toleration[];
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] };
      preferredDuringSchedulingIgnoredDuringExecution?: unknown[];
    };
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

// ---------------------------------------------------------------------------
// Pure rules of pkg/controller/daemon/util and the predicates.

/**
 * util.AddOrUpdateDaemonPodTolerations: a daemon keeps running through the
 * node conditions that would evict or keep out any other pod.
 */
export function daemonPodTolerations(spec: TemplatePodSpec): Toleration[] {
  const out = [...(spec.tolerations ?? [])];
  const add = (key: string, effect: string): void => {
    const i = out.findIndex((t) => t.key === key && t.effect === effect);
    const t: Toleration = { key, operator: 'Exists', effect };
    if (i >= 0) out[i] = t;
    else out.push(t);
  };
  add('node.kubernetes.io/not-ready', 'NoExecute');
  add('node.kubernetes.io/unreachable', 'NoExecute');
  add('node.kubernetes.io/disk-pressure', 'NoSchedule');
  add('node.kubernetes.io/memory-pressure', 'NoSchedule');
  add('node.kubernetes.io/pid-pressure', 'NoSchedule');
  add('node.kubernetes.io/unschedulable', 'NoSchedule');
  if (spec.hostNetwork) add('node.kubernetes.io/network-unavailable', 'NoSchedule');
  return out;
}

function tolerates(tolerations: Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

function matchesRequirement(value: string | undefined, r: NodeSelectorRequirement): boolean {
  switch (r.operator) {
    case 'In':
      return value !== undefined && (r.values ?? []).includes(value);
    case 'NotIn':
      return value === undefined || !(r.values ?? []).includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
      return value !== undefined && Number(value) > Number(r.values?.[0]);
    case 'Lt':
      return value !== undefined && Number(value) < Number(r.values?.[0]);
    default:
      return false;
  }
}

/** nodeaffinity.GetRequiredNodeAffinity(pod).Match(node): the node selector and the required terms (ORed). */
export function fitsNodeAffinity(spec: TemplatePodSpec, node: KObject): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms) return true;
  const fields: Record<string, string> = { 'metadata.name': node.metadata.name! };
  return terms.some((t) => {
    const exprs = t.matchExpressions ?? [];
    const flds = t.matchFields ?? [];
    if (exprs.length === 0 && flds.length === 0) return false; // an empty term matches nothing
    return exprs.every((r) => matchesRequirement(labels[r.key], r)) && flds.every((r) => matchesRequirement(fields[r.key], r));
  });
}

/**
 * NodeShouldRunDaemonPod: whether a daemon pod belongs on the node, and
 * whether one already there may stay (an untolerated NoSchedule taint keeps
 * new pods out but lets running ones be; NoExecute does not).
 */
export function nodeShouldRunDaemonPod(node: KObject, template: PodTemplate | undefined): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const spec = (template?.spec ?? {}) as TemplatePodSpec;
  if (spec.nodeName && spec.nodeName !== node.metadata.name) return { shouldRun: false, shouldContinueRunning: false };
  if (!fitsNodeAffinity(spec, node)) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = daemonPodTolerations(spec);
  const untolerated = nodeTaints(node).filter((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(tolerations, t));
  if (untolerated.length === 0) return { shouldRun: true, shouldContinueRunning: true };
  return { shouldRun: false, shouldContinueRunning: !untolerated.some((t) => t.effect === 'NoExecute') };
}

/** util.ReplaceDaemonSetPodNodeNameNodeAffinity: the required terms become the one node, by name. */
export function pinToNode(spec: TemplatePodSpec, nodeName: string): void {
  const affinity = (spec.affinity ??= {});
  const nodeAffinity = (affinity.nodeAffinity ??= {});
  nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = {
    nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
  };
}

/** util.GetTargetNodeName: where a daemon pod runs or is pinned to. */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const spec = (pod.spec ?? {}) as TemplatePodSpec;
  for (const t of spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of t.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  }
  return undefined;
}

function templateGeneration(ds: DaemonSet): string {
  return ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION] ?? String(ds.metadata.generation ?? 1);
}

/** util.IsPodUpdated: the current revision's hash, or the current template generation. */
export function isPodUpdated(pod: Pod, hash: string, generation: string): boolean {
  const labels = pod.metadata.labels ?? {};
  return (hash !== '' && labels[REVISION_HASH_LABEL] === hash) || labels[TEMPLATE_GENERATION_LABEL] === generation;
}

const isFailed = (p: Pod): boolean => p.status?.phase === 'Failed';
const isSucceeded = (p: Pod): boolean => p.status?.phase === 'Succeeded';

function byCreation(a: KObject, b: KObject): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
}

/** podByCreationTimestampAndPhase: running ones before pending ones, then oldest first. */
function byPhaseThenCreation(a: Pod, b: Pod): number {
  const ra = a.status?.phase === 'Running' ? 0 : 1;
  const rb = b.status?.phase === 'Running' ? 0 : 1;
  return ra - rb || byCreation(a, b);
}

/** getNodesToDaemonPods(includeDeletedTerminal=false): pods by the node they run on or are pinned to, without deleted finished ones. */
function groupByNode(pods: Pod[]): Map<string, Pod[]> {
  const byNode = new Map<string, Pod[]>();
  for (const p of pods) {
    if (p.metadata.deletionTimestamp && (isFailed(p) || isSucceeded(p))) continue;
    const node = targetNodeName(p);
    if (!node) continue;
    byNode.set(node, [...(byNode.get(node) ?? []), p]);
  }
  return byNode;
}

/** findUpdatedPodsOnNode: at most one new and one old live pod, else not ok. */
function updatedPodsOnNode(pods: Pod[], hash: string, generation: string): { newPod?: Pod; oldPod?: Pod; ok: boolean } {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const p of pods) {
    if (p.metadata.deletionTimestamp) continue;
    if (isPodUpdated(p, hash, generation)) {
      if (newPod) return { ok: false };
      newPod = p;
    } else {
      if (oldPod) return { ok: false };
      oldPod = p;
    }
  }
  return { newPod, oldPod, ok: true };
}

/** The surge and unavailability the strategy allows for this many desired nodes (never both 0). */
export function rollingFenceposts(ds: DaemonSet, desired: number): { maxSurge: number; maxUnavailable: number } {
  const ru = ds.spec.updateStrategy?.rollingUpdate;
  const maxSurge = scaledValue(ru?.maxSurge ?? 0, desired, true);
  let maxUnavailable = scaledValue(ru?.maxUnavailable ?? 1, desired, true);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/** status JSON in apps/v1 field order; the four counts are always present, the rest omitempty */
function wireStatus(s: DaemonSetStatus): Record<string, unknown> {
  const out: Record<string, unknown> = {
    currentNumberScheduled: s.currentNumberScheduled ?? 0,
    numberMisscheduled: s.numberMisscheduled ?? 0,
    desiredNumberScheduled: s.desiredNumberScheduled ?? 0,
    numberReady: s.numberReady ?? 0,
  };
  for (const k of ['observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable'] as const) if (s[k]) out[k] = s[k];
  if (s.collisionCount !== undefined && s.collisionCount !== null) out.collisionCount = s.collisionCount;
  if (s.conditions?.length) out.conditions = s.conditions;
  return out;
}

/** What a ControllerRevision stores of a DaemonSet (getPatch): the template, replacing whatever was there. */
function revisionData(ds: DaemonSet): unknown {
  return { spec: { template: { ...structuredClone(ds.spec.template ?? {}), $patch: 'replace' } } };
}

// ---------------------------------------------------------------------------
// The controller.

class DaemonSetController {
  #ctx: SimContext;
  #queue: WorkQueue;
  #random: () => number;
  /** ds key + node → back-off after deleting a failed daemon pod there */
  #backoff = new Map<string, { delayMs: number; until: number }>();

  constructor(ctx: SimContext, random: () => number) {
    this.#ctx = ctx;
    this.#random = random;
    this.#queue = new WorkQueue(ctx.clock, (key) => this.#sync(key));
  }

  start(): () => void {
    const { store } = this.#ctx;
    const unsubscribe = store.subscribe((c) => this.#onChange(c));
    this.#enqueueAll();
    return () => {
      unsubscribe();
      this.#queue.stop();
    };
  }

  #enqueueAll(): void {
    for (const ds of this.#ctx.store.list(DAEMONSETS.storage)) this.#queue.add(nsKey(ds.metadata.namespace, ds.metadata.name!));
  }

  #onChange(c: Change): void {
    const ns = c.object.metadata.namespace;
    if (c.storage === DAEMONSETS.storage) {
      if (c.type !== 'DELETED') this.#queue.add(nsKey(ns, c.object.metadata.name!));
    } else if (c.storage === PODS.storage) {
      const ref = controllerOf(c.object);
      const prevRef = controllerOf(c.prev);
      if (ref?.kind === 'DaemonSet') this.#queue.add(nsKey(ns, ref.name));
      if (prevRef?.kind === 'DaemonSet' && prevRef.uid !== ref?.uid) this.#queue.add(nsKey(ns, prevRef.name));
      const labelsChanged = c.type === 'ADDED' || !semanticEqual(c.prev?.metadata.labels, c.object.metadata.labels);
      if (!ref && c.type !== 'DELETED' && labelsChanged) {
        for (const ds of this.#ctx.store.list(DAEMONSETS.storage, ns) as DaemonSet[]) {
          if (matchesLabels(selectorOf(ds.spec?.selector), c.object.metadata.labels)) this.#queue.add(nsKey(ns, ds.metadata.name!));
        }
      }
    } else if (c.storage === NODES.storage && nodeChangeMatters(c)) {
      this.#enqueueAll();
    } else if (c.storage === CONTROLLERREVISIONS.storage && c.type === 'DELETED') {
      const ref = controllerOf(c.object);
      if (ref?.kind === 'DaemonSet') this.#queue.add(nsKey(ns, ref.name));
    }
  }

  #sync(key: string): void {
    const [ns, name] = splitKey(key);
    const stored = this.#ctx.store.get(DAEMONSETS.storage, ns, name) as DaemonSet | undefined;
    if (!stored?.spec) return;
    const ds = structuredClone(stored) as DaemonSet;
    const selector = selectorOf(ds.spec.selector);
    if (!selector || selector.length === 0 || !matchesLabels(selector, ds.spec.template?.metadata?.labels)) return;
    try {
      this.#syncDaemonSet(key, ds, selector);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404 && !this.#ctx.store.get(DAEMONSETS.storage, ns, name)) return;
      throw err;
    }
  }

  #syncDaemonSet(key: string, ds: DaemonSet, selector: ReturnType<typeof selectorOf>): void {
    const { store } = this.#ctx;
    const ns = ds.metadata.namespace!;
    const nodes = [...store.list(NODES.storage)].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
    const ref = newControllerRef(ds, 'apps/v1', 'DaemonSet');
    const pods = claim(store, PODS, ds, ref, selector, store.list(PODS.storage, ns) as Pod[]);
    const byNode = groupByNode(pods);
    if (ds.metadata.deletionTimestamp) {
      this.#updateStatus(key, ds, nodes, byNode, '');
      return;
    }
    const { hash, old } = this.#constructHistory(ds, selector);
    let acted = false;
    if (namespaceAcceptsCreates(store, ns)) acted = this.#manage(key, ds, nodes, byNode, hash);
    if (!acted && (ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') this.#rollingUpdate(ds, nodes, byNode, hash);
    this.#cleanupHistory(ds, old, pods);
    this.#updateStatus(key, ds, nodes, this.#podsByNode(ds, selector), hash);
  }

  #podsByNode(ds: DaemonSet, selector: ReturnType<typeof selectorOf>): Map<string, Pod[]> {
    const owned = (this.#ctx.store.list(PODS.storage, ds.metadata.namespace) as Pod[]).filter(
      (p) => controllerOf(p)?.uid === ds.metadata.uid && matchesLabels(selector, p.metadata.labels),
    );
    return groupByNode(owned);
  }

  // --- manage (podsShouldBeOnNode, syncNodes)

  /** Creates and deletes pods so each node has what it should (podsShouldBeOnNode); true when it wrote anything. */
  #manage(key: string, ds: DaemonSet, nodes: KObject[], byNode: Map<string, Pod[]>, hash: string): boolean {
    const now = this.#ctx.clock.nowMs();
    const create: string[] = [];
    const remove: Pod[] = [];
    const surge = (ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && rollingFenceposts(ds, nodes.length).maxSurge > 0;
    for (const node of nodes) {
      const nodeName = node.metadata.name!;
      const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds.spec.template);
      const daemonPods = byNode.get(nodeName) ?? [];
      if (shouldRun && daemonPods.length === 0) {
        create.push(nodeName);
        continue;
      }
      if (!shouldContinueRunning) {
        for (const pod of daemonPods) if (!pod.metadata.deletionTimestamp) remove.push(pod);
        continue;
      }
      const running: Pod[] = [];
      for (const pod of daemonPods) {
        if (pod.metadata.deletionTimestamp) continue;
        if (isFailed(pod)) {
          // the kubelet may keep rejecting the pod: back off instead of fighting it in a hot loop
          const bkey = `${key}/${nodeName}`;
          const b = this.#backoff.get(bkey);
          if (b && now < b.until) {
            this.#queue.addAfter(key, b.until - now);
            continue;
          }
          const delayMs = b ? Math.min(b.delayMs * 2, BACKOFF_MAX_MS) : BACKOFF_INITIAL_MS;
          this.#backoff.set(bkey, { delayMs, until: now + delayMs });
          this.#event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${nodeName}, will try to kill it`);
          remove.push(pod);
        } else if (isSucceeded(pod)) {
          this.#event(ds, 'Normal', 'SucceededDaemonPod', `Found succeeded daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${nodeName}, will try to delete it`);
          remove.push(pod);
        } else {
          running.push(pod);
        }
      }
      // a replacement waits for the next sync, once the pod it replaces is gone
      if (!surge) {
        if (running.length > 1) remove.push(...[...running].sort(byPhaseThenCreation).slice(1));
        continue;
      }
      if (running.length <= 1) {
        if (running.length === 0 && shouldRun) create.push(nodeName);
        continue;
      }
      // surging: the oldest new pod and the oldest old one may coexist until the new one is available
      let oldestNew: Pod | undefined;
      let oldestOld: Pod | undefined;
      for (const pod of [...running].sort(byPhaseThenCreation)) {
        const isNew = pod.metadata.labels?.[REVISION_HASH_LABEL] === hash;
        if (isNew && !oldestNew) oldestNew = pod;
        else if (!isNew && !oldestOld) oldestOld = pod;
        else remove.push(pod);
      }
      if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec.minReadySeconds ?? 0, now))) remove.push(oldestOld);
    }
    // pods never scheduled, pinned to a node that is gone (PodGC only takes pods of a node they ran on)
    const known = new Set(nodes.map((n) => n.metadata.name!));
    for (const [nodeName, daemonPods] of byNode) {
      if (known.has(nodeName)) continue;
      for (const pod of daemonPods) if (!pod.spec?.nodeName && !pod.metadata.deletionTimestamp) remove.push(pod);
    }
    this.#syncNodes(ds, remove, create, hash);
    return create.length > 0 || remove.length > 0;
  }

  #syncNodes(ds: DaemonSet, remove: Pod[], create: string[], hash: string): void {
    const ref = newControllerRef(ds, 'apps/v1', 'DaemonSet');
    for (const nodeName of create) {
      const template = structuredClone(ds.spec.template ?? {}) as PodTemplate;
      template.metadata = { ...(template.metadata ?? {}) };
      template.metadata.labels = sortedMap({
        ...(template.metadata.labels ?? {}),
        [TEMPLATE_GENERATION_LABEL]: templateGeneration(ds),
        ...(hash ? { [REVISION_HASH_LABEL]: hash } : {}),
      });
      const spec = (template.spec ??= {}) as TemplatePodSpec;
      spec.tolerations = daemonPodTolerations(spec);
      pinToNode(spec, nodeName);
      const fresh = podFromTemplate(this.#ctx.store, ds, ref, template, this.#random);
      const refused = refusedCreate(this.#ctx, PODS.storage, fresh);
      if (refused) {
        // slow start: a failed create skips the rest of the batch; the sync is retried, quota may free up meanwhile
        this.#event(ds, 'Warning', 'FailedCreate', `Error creating: ${refused}`);
        this.#queue.addAfter(nsKey(ds.metadata.namespace, ds.metadata.name!), CREATE_RETRY_MS);
        break;
      }
      const pod = this.#ctx.store.create(PODS, fresh);
      this.#event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
    }
    for (const pod of remove) {
      try {
        deleteObject(this.#ctx, PODS, pod.metadata.namespace, pod.metadata.name!);
      } catch (err) {
        if (err instanceof ApiError && (err.code === 404 || err.code === 409)) continue;
        throw err;
      }
      this.#event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    }
  }

  // --- rolling update (update.go rollingUpdate)

  #rollingUpdate(ds: DaemonSet, nodes: KObject[], byNode: Map<string, Pod[]>, hash: string): void {
    const now = this.#ctx.clock.nowMs();
    const minReady = ds.spec.minReadySeconds ?? 0;
    const generation = templateGeneration(ds);
    const podsOf = new Map<string, Pod[]>(byNode);
    const shouldRun = new Map<string, boolean>();
    let desired = 0;
    for (const node of nodes) {
      const run = nodeShouldRunDaemonPod(node, ds.spec.template).shouldRun;
      shouldRun.set(node.metadata.name!, run);
      if (!run) continue;
      desired++;
      if (!podsOf.has(node.metadata.name!)) podsOf.set(node.metadata.name!, []);
    }
    const { maxSurge, maxUnavailable } = rollingFenceposts(ds, desired);
    const nodeNames = [...podsOf.keys()].sort();
    if (maxSurge === 0) {
      let numUnavailable = 0;
      const allowed: Pod[] = [];
      const candidates: Pod[] = [];
      for (const nodeName of nodeNames) {
        const { newPod, oldPod, ok } = updatedPodsOnNode(podsOf.get(nodeName)!, hash, generation);
        if (!ok) {
          numUnavailable++;
          continue;
        }
        if ((!oldPod && !newPod) || (oldPod && newPod)) {
          // the manage loop creates or deletes the right pod there; until then the node counts as unavailable
          numUnavailable++;
          continue;
        }
        if (newPod) {
          if (!isPodAvailable(newPod, minReady, now)) numUnavailable++;
          continue;
        }
        if (!isPodAvailable(oldPod!, minReady, now)) allowed.push(oldPod!);
        else if (numUnavailable < maxUnavailable) candidates.push(oldPod!);
      }
      const remaining = Math.min(Math.max(0, maxUnavailable - numUnavailable), candidates.length);
      this.#syncNodes(ds, [...allowed, ...candidates.slice(0, remaining)], [], hash);
      return;
    }
    const oldToDelete: Pod[] = [];
    const allowedNew: string[] = [];
    const candidateNew: string[] = [];
    let numSurge = 0;
    for (const nodeName of nodeNames) {
      const { newPod, oldPod, ok } = updatedPodsOnNode(podsOf.get(nodeName)!, hash, generation);
      if (!ok) {
        numSurge++;
        continue;
      }
      if (!oldPod) continue;
      if (!newPod) {
        if (!isPodAvailable(oldPod, minReady, now)) {
          // an unavailable old pod where no daemon belongs any more just goes; elsewhere it may be replaced at once
          if (!shouldRun.get(nodeName)) oldToDelete.push(oldPod);
          else allowedNew.push(nodeName);
        } else if (numSurge < maxSurge) {
          candidateNew.push(nodeName);
        }
        continue;
      }
      if (!isPodAvailable(newPod, minReady, now)) {
        numSurge++;
        continue;
      }
      oldToDelete.push(oldPod);
    }
    const remaining = Math.min(Math.max(0, maxSurge - numSurge), candidateNew.length);
    this.#syncNodes(ds, oldToDelete, [...allowedNew, ...candidateNew.slice(0, remaining)], hash);
  }

  // --- history (update.go constructHistory, cleanupHistory)

  /** The current revision (created or moved to the top) and the older ones. */
  #constructHistory(ds: DaemonSet, selector: ReturnType<typeof selectorOf>): { hash: string; old: ControllerRevision[] } {
    const { store } = this.#ctx;
    const ns = ds.metadata.namespace!;
    const ref = newControllerRef(ds, 'apps/v1', 'DaemonSet');
    const histories = claim(store, CONTROLLERREVISIONS, ds, ref, selector, store.list(CONTROLLERREVISIONS.storage, ns) as ControllerRevision[]);
    const data = revisionData(ds);
    const maxRevision = histories.reduce((m, h) => Math.max(m, h.revision ?? 0), 0);
    const matching = histories.filter((h) => semanticEqual(h.data, data)).sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0));
    let cur = matching[0];
    // duplicates of the current revision (a controller restart mid-write) go
    for (const dup of matching.slice(1)) this.#deleteRevision(dup);
    if (cur) {
      if ((cur.revision ?? 0) < maxRevision) {
        // a rollback: the old revision becomes the newest
        cur = this.#ctx.store.mutate(CONTROLLERREVISIONS, ns, cur.metadata.name!, (o) => {
          (o as ControllerRevision).revision = maxRevision + 1;
        }) as ControllerRevision;
      }
    } else {
      cur = this.#createRevision(ds, data, maxRevision + 1, ref);
    }
    const hash = cur.metadata.labels?.[REVISION_HASH_LABEL] ?? '';
    const old = histories.filter((h) => h.metadata.uid !== cur!.metadata.uid && !matching.includes(h));
    return { hash, old };
  }

  #createRevision(ds: DaemonSet, data: unknown, revision: number, ref: ReturnType<typeof newControllerRef>): ControllerRevision {
    const { store } = this.#ctx;
    const ns = ds.metadata.namespace!;
    let collisionCount = ds.status?.collisionCount ?? 0;
    for (;;) {
      const hash = podTemplateHash(ds.spec.template, collisionCount || undefined);
      const name = `${ds.metadata.name}-${hash}`;
      const existing = store.get(CONTROLLERREVISIONS.storage, ns, name) as ControllerRevision | undefined;
      if (!existing) {
        const cr: ControllerRevision = {
          apiVersion: 'apps/v1',
          kind: 'ControllerRevision',
          metadata: {
            name,
            namespace: ns,
            labels: sortedMap({ ...(ds.spec.template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash }),
            ...(ds.metadata.annotations && Object.keys(ds.metadata.annotations).length ? { annotations: { ...ds.metadata.annotations } } : {}),
            ownerReferences: [ref],
          },
          data,
          revision,
        };
        if (collisionCount !== (ds.status?.collisionCount ?? 0)) this.#writeCollisionCount(ds, collisionCount);
        return store.create(CONTROLLERREVISIONS, cr) as ControllerRevision;
      }
      // the name is taken by another owner's or another template's revision: count a collision
      if (controllerOf(existing)?.uid === ds.metadata.uid && semanticEqual(existing.data, data)) return existing;
      collisionCount++;
    }
  }

  #writeCollisionCount(ds: DaemonSet, n: number): void {
    ds.status = { ...(ds.status ?? {}), collisionCount: n };
    this.#ctx.store.mutate(DAEMONSETS, ds.metadata.namespace, ds.metadata.name!, (o) => {
      (o.status as DaemonSetStatus | undefined) ??= {};
      (o.status as DaemonSetStatus).collisionCount = n;
    });
  }

  /** Old revisions beyond revisionHistoryLimit go, oldest first, unless a live pod still runs one. */
  #cleanupHistory(ds: DaemonSet, old: ControllerRevision[], pods: Pod[]): void {
    const limit = ds.spec.revisionHistoryLimit ?? 10;
    const live = new Set(pods.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.labels?.[REVISION_HASH_LABEL]));
    const cleanable = old.filter((h) => !live.has(h.metadata.labels?.[REVISION_HASH_LABEL])).sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
    const excess = cleanable.length - limit;
    for (const h of cleanable.slice(0, Math.max(0, excess))) this.#deleteRevision(h);
  }

  #deleteRevision(h: ControllerRevision): void {
    try {
      deleteObject(this.#ctx, CONTROLLERREVISIONS, h.metadata.namespace, h.metadata.name!);
    } catch (err) {
      if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) throw err;
    }
  }

  // --- status (updateDaemonSetStatus)

  #updateStatus(key: string, ds: DaemonSet, nodes: KObject[], byNode: Map<string, Pod[]>, hash: string): void {
    const now = this.#ctx.clock.nowMs();
    const minReady = ds.spec.minReadySeconds ?? 0;
    const generation = templateGeneration(ds);
    let desired = 0;
    let current = 0;
    let misscheduled = 0;
    let ready = 0;
    let available = 0;
    let updated = 0;
    let nextAvailableAt = Infinity;
    for (const node of nodes) {
      const { shouldRun } = nodeShouldRunDaemonPod(node, ds.spec.template);
      const daemonPods = byNode.get(node.metadata.name!) ?? [];
      if (!shouldRun) {
        if (daemonPods.length) misscheduled++;
        continue;
      }
      desired++;
      if (!daemonPods.length) continue;
      current++;
      const pod = [...daemonPods].sort(byPhaseThenCreation)[0];
      if (isPodReady(pod)) {
        ready++;
        if (isPodAvailable(pod, minReady, now)) available++;
        else {
          const since = Date.parse(pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '');
          if (Number.isFinite(since)) nextAvailableAt = Math.min(nextAvailableAt, since + minReady * 1000 + 1);
        }
      }
      if (isPodUpdated(pod, hash, generation)) updated++;
    }
    const status: DaemonSetStatus = {
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: desired,
      numberReady: ready,
      observedGeneration: ds.metadata.generation ?? 1,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      numberUnavailable: desired - available,
      collisionCount: ds.status?.collisionCount,
      conditions: ds.status?.conditions,
    };
    const wire = wireStatus(status);
    this.#ctx.store.mutate(DAEMONSETS, ds.metadata.namespace, ds.metadata.name!, (o) => {
      if (semanticEqual(o.status, wire)) return false;
      o.status = wire;
    });
    // nothing changes on a pod when minReadySeconds pass: look again then
    if (nextAvailableAt < Infinity) this.#queue.addAfter(key, Math.max(1, nextAvailableAt - now));
  }

  #event(ds: DaemonSet, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.#ctx.recorder.record({ object: { ...ds, apiVersion: 'apps/v1', kind: 'DaemonSet' }, type, reason, message, source: COMPONENT });
  }
}

/** Node updates that can change where daemons belong (not heartbeats). */
function nodeChangeMatters(c: Change): boolean {
  if (c.type !== 'MODIFIED' || !c.prev) return true;
  const view = (n: KObject): string =>
    JSON.stringify([n.spec, n.metadata.labels, nodeConditions(n).find((x) => x.type === 'Ready')?.status]);
  return view(c.object) !== view(c.prev);
}

/** Starts the DaemonSet controller; returns the function that stops it. */
export function startDaemonSetController(ctx: SimContext, opts: { random?: () => number } = {}): () => void {
  return new DaemonSetController(ctx, opts.random ?? Math.random).start();
}
