// default-scheduler: binds pending pods to nodes that pass the filters the
// real scheduler runs first (NodeUnschedulable, TaintToleration,
// NodeAffinity, NodeResourcesFit), preferring the node with the fewest pods
// and rotating among equals. A pod that fits nowhere gets PodScheduled=False
// (Unschedulable) and a FailedScheduling event in the real wording, and is
// retried when nodes change, when a bound pod goes away, or after 5 minutes.

import type { TimerHandle } from '../clock.ts';
import { NODES, PODS, PVCS } from '../refs.ts';
import type { SimContext } from '../scenario.ts';
import type { Change } from '../store.ts';
import type { KObject } from '../types.ts';
import type { Taint } from './nodes.ts';
import { nodeConditions, nodeTaints } from './nodes.ts';
import { bindPodVolumes, selectedNodeForClaims, unboundClaimsMessage } from './volumes.ts';
import { parseQuantity } from '../quantity.ts';

export const SCHEDULER_NAME = 'default-scheduler';
/** podMaxInUnschedulablePodsDuration */
export const UNSCHEDULABLE_RETRY_MS = 5 * 60_000;

interface Resources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

interface ContainerLike {
  resources?: Resources;
}

interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: string;
}

interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}

interface SchedPodSpec {
  nodeName?: string;
  schedulerName?: string;
  containers?: ContainerLike[];
  initContainers?: ContainerLike[];
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: {
        nodeSelectorTerms?: { matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[] }[];
      };
    };
  };
}

const podSpec = (pod: KObject): SchedPodSpec => (pod.spec ?? {}) as SchedPodSpec;
const phaseOf = (pod: KObject): string | undefined => (pod.status as { phase?: string } | undefined)?.phase;
const terminal = (pod: KObject): boolean => phaseOf(pod) === 'Succeeded' || phaseOf(pod) === 'Failed';

/** Requests as defaulted by the API server (a limit without a request requests the limit). */
function effectiveRequests(c: ContainerLike): Record<string, string> {
  return { ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) };
}

/** Summed cpu (cores) and memory (bytes) requests of a pod's containers. */
export function podRequests(pod: KObject): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of podSpec(pod).containers ?? []) {
    const r = effectiveRequests(c);
    cpu += parseQuantity(r.cpu);
    memory += parseQuantity(r.memory);
  }
  return { cpu, memory };
}

/** v1qos.GetPodQOS */
export function qosClass(pod: KObject): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const spec = podSpec(pod);
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    for (const [name, q] of Object.entries(effectiveRequests(c))) {
      if ((name === 'cpu' || name === 'memory') && parseQuantity(q) > 0) requests.set(name, (requests.get(name) ?? 0) + parseQuantity(q));
    }
    const found = new Set<string>();
    for (const [name, q] of Object.entries(c.resources?.limits ?? {})) {
      if ((name === 'cpu' || name === 'memory') && parseQuantity(q) > 0) {
        found.add(name);
        limits.set(name, (limits.get(name) ?? 0) + parseQuantity(q));
      }
    }
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, q] of requests) if (limits.get(name) !== q) guaranteed = false;
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** v1helper.TolerationsTolerateTaint */
export function tolerates(tolerations: Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

function matchesRequirement(labels: Record<string, string>, r: NodeSelectorRequirement): boolean {
  const v = labels[r.key];
  switch (r.operator) {
    case 'In':
      return v !== undefined && (r.values ?? []).includes(v);
    case 'NotIn':
      return v === undefined || !(r.values ?? []).includes(v);
    case 'Exists':
      return v !== undefined;
    case 'DoesNotExist':
      return v === undefined;
    case 'Gt':
      return v !== undefined && Number(v) > Number(r.values?.[0]);
    case 'Lt':
      return v !== undefined && Number(v) < Number(r.values?.[0]);
  }
}

function matchesNodeAffinity(pod: KObject, node: KObject): boolean {
  const labels = node.metadata.labels ?? {};
  const spec = podSpec(pod);
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms?.length) return true;
  // matchFields knows one field, metadata.name: how DaemonSet pods are pinned to their node
  const fields = { 'metadata.name': node.metadata.name! };
  return terms.some(
    (term) =>
      (term.matchExpressions ?? []).every((r) => matchesRequirement(labels, r)) &&
      (term.matchFields ?? []).every((r) => matchesRequirement(fields, r)),
  );
}

/** Taints the scheduler sees, including not-ready for a node that never posted Ready. */
function effectiveTaints(node: KObject): Taint[] {
  const taints = nodeTaints(node);
  const ready = nodeConditions(node).find((c) => c.type === 'Ready');
  const known = taints.some((t) => t.key === 'node.kubernetes.io/not-ready' || t.key === 'node.kubernetes.io/unreachable');
  if (ready?.status !== 'True' && !known) return [...taints, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }];
  return taints;
}

interface FilterResult {
  reasons: string[];
  /** preemption could help: the node failed only on resources */
  resolvable: boolean;
}

/** Allocated cpu/memory/pods on one node. */
interface Usage {
  pods: Map<string, { cpu: number; memory: number }>;
}

// ---------------------------------------------------------------- the scheduler

export function startScheduler(ctx: SimContext): () => void {
  const scheduler = new Scheduler(ctx);
  return scheduler.start();
}

class Scheduler {
  #ctx: SimContext;
  #queue = new Set<string>();
  #unschedulable = new Map<string, TimerHandle>();
  #usage = new Map<string, Usage>();
  /** pod key → node it is counted on */
  #placed = new Map<string, string>();
  #flushTimer: TimerHandle | undefined;
  #lastPick = '';
  #stopped = false;

  constructor(ctx: SimContext) {
    this.#ctx = ctx;
  }

  start(): () => void {
    const unsubscribe = this.#ctx.store.subscribe((c) => this.#onChange(c));
    for (const pod of this.#ctx.store.list(PODS.storage)) this.#track(pod, 'ADDED');
    return () => {
      this.#stopped = true;
      unsubscribe();
      this.#ctx.clock.clearTimeout(this.#flushTimer);
      for (const t of this.#unschedulable.values()) this.#ctx.clock.clearTimeout(t);
    };
  }

  #onChange(c: Change): void {
    if (this.#stopped) return;
    if (c.storage === PODS.storage) this.#track(c.object, c.type);
    else if (c.storage === NODES.storage && nodeChangeMatters(c)) this.#retryUnschedulable();
    // a claim bound (or created) may be what a parked pod waits for
    else if (c.storage === PVCS.storage && c.type !== 'DELETED') this.#retryUnschedulable();
  }

  #track(pod: KObject, type: Change['type']): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const node = podSpec(pod).nodeName;
    if (type === 'DELETED' || node || terminal(pod)) {
      this.#forgetPending(key);
      const freed = this.#unplace(key);
      if (type !== 'DELETED' && node && !terminal(pod)) this.#place(key, node, pod);
      else if (freed) this.#retryUnschedulable();
      return;
    }
    if (!this.#isMine(pod) || pod.metadata.deletionTimestamp) return;
    // a pod waiting for a retry is not re-queued by its own status updates
    if (type === 'ADDED' || !this.#unschedulable.has(key)) this.#enqueue(key);
  }

  #isMine(pod: KObject): boolean {
    const name = podSpec(pod).schedulerName;
    return !name || name === SCHEDULER_NAME;
  }

  #place(key: string, node: string, pod: KObject): void {
    let u = this.#usage.get(node);
    if (!u) {
      u = { pods: new Map() };
      this.#usage.set(node, u);
    }
    u.pods.set(key, podRequests(pod));
    this.#placed.set(key, node);
  }

  #unplace(key: string): boolean {
    const node = this.#placed.get(key);
    if (!node) return false;
    this.#usage.get(node)?.pods.delete(key);
    this.#placed.delete(key);
    return true;
  }

  #forgetPending(key: string): void {
    this.#queue.delete(key);
    const t = this.#unschedulable.get(key);
    if (t) this.#ctx.clock.clearTimeout(t);
    this.#unschedulable.delete(key);
  }

  #enqueue(key: string): void {
    this.#queue.add(key);
    this.#flushTimer ??= this.#ctx.clock.setTimeout(() => this.#flush(), 0);
  }

  #retryUnschedulable(): void {
    for (const [key, t] of this.#unschedulable) {
      this.#ctx.clock.clearTimeout(t);
      this.#enqueue(key);
    }
    this.#unschedulable.clear();
  }

  #flush(): void {
    this.#flushTimer = undefined;
    const keys = [...this.#queue];
    this.#queue.clear();
    for (const key of keys) {
      const [ns, name] = key.split('/');
      const pod = this.#ctx.store.get(PODS.storage, ns, name);
      if (!pod || podSpec(pod).nodeName || terminal(pod) || pod.metadata.deletionTimestamp || !this.#isMine(pod)) continue;
      this.#schedule(key, pod);
    }
  }

  #schedule(key: string, pod: KObject): void {
    const nodes = this.#ctx.store.list(NODES.storage);
    if (nodes.length === 0) {
      this.#fail(key, pod, 'no nodes available to schedule pods');
      return;
    }
    // VolumeBinding's PreFilter: every node fails alike when a claim is missing or unbound
    const claims = unboundClaimsMessage(this.#ctx, pod);
    if (claims) {
      const n = nodes.length;
      this.#fail(key, pod, `0/${n} nodes are available: ${claims}. preemption: 0/${n} nodes are available: ${n} Preemption is not helpful for scheduling.`);
      return;
    }
    const feasible: KObject[] = [];
    const failures: FilterResult[] = [];
    const req = podRequests(pod);
    for (const node of nodes) {
      const r = this.#filter(pod, node, req);
      if (r) failures.push(r);
      else feasible.push(node);
    }
    if (feasible.length === 0) {
      this.#fail(key, pod, fitError(nodes.length, failures));
      return;
    }
    // VolumeBinding: a node already chosen for the pod's WaitForFirstConsumer claims stays chosen
    const chosen = selectedNodeForClaims(this.#ctx, pod);
    const node = chosen && feasible.some((n) => n.metadata.name === chosen) ? chosen : this.#pick(feasible);
    // PreBind: the claims are provisioned on that node first; a claim bound brings the pod back
    if (bindPodVolumes(this.#ctx, pod, node)) {
      this.#unschedulable.set(
        key,
        this.#ctx.clock.setTimeout(() => {
          this.#unschedulable.delete(key);
          this.#enqueue(key);
        }, UNSCHEDULABLE_RETRY_MS),
      );
      return;
    }
    this.#bind(pod, node);
  }

  #filter(pod: KObject, node: KObject, req: { cpu: number; memory: number }): FilterResult | undefined {
    const spec = podSpec(pod);
    const nodeSpec = (node.spec ?? {}) as { unschedulable?: boolean };
    if (nodeSpec.unschedulable && !tolerates(spec.tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) {
      return { reasons: ['node(s) were unschedulable'], resolvable: false };
    }
    const taint = effectiveTaints(node).find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(spec.tolerations, t));
    if (taint) return { reasons: [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`], resolvable: false };
    if (!matchesNodeAffinity(pod, node)) return { reasons: ["node(s) didn't match Pod's node affinity/selector"], resolvable: false };
    const allocatable = ((node.status as { allocatable?: Record<string, string> } | undefined)?.allocatable ?? {});
    const used = [...(this.#usage.get(node.metadata.name!)?.pods.values() ?? [])];
    const reasons: string[] = [];
    if (allocatable.pods !== undefined && used.length + 1 > parseQuantity(allocatable.pods)) reasons.push('Too many pods');
    const sum = (k: 'cpu' | 'memory'): number => used.reduce((a, u) => a + u[k], 0);
    if (req.cpu > 0 && sum('cpu') + req.cpu > parseQuantity(allocatable.cpu) + 1e-9) reasons.push('Insufficient cpu');
    if (req.memory > 0 && sum('memory') + req.memory > parseQuantity(allocatable.memory)) reasons.push('Insufficient memory');
    return reasons.length ? { reasons, resolvable: true } : undefined;
  }

  /** Fewest pods wins; among equals, the next one after the last pick, in name order. */
  #pick(nodes: KObject[]): string {
    const count = (n: KObject): number => this.#usage.get(n.metadata.name!)?.pods.size ?? 0;
    const least = Math.min(...nodes.map(count));
    const best = nodes.filter((n) => count(n) === least).map((n) => n.metadata.name!);
    const name = best.find((n) => n > this.#lastPick) ?? best[0];
    this.#lastPick = name;
    return name;
  }

  #bind(pod: KObject, node: string): void {
    const ns = pod.metadata.namespace!;
    const name = pod.metadata.name!;
    const now = this.#ctx.clock.nowIso();
    const bound = this.#ctx.store.mutate(PODS, ns, name, (p) => {
      (p.spec as SchedPodSpec).nodeName = node;
      const status = (p.status ??= {}) as { conditions?: Record<string, unknown>[] };
      const conditions = (status.conditions ??= []);
      const i = conditions.findIndex((c) => c.type === 'PodScheduled');
      const prev = i >= 0 ? conditions[i] : undefined;
      const cond = {
        type: 'PodScheduled',
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: prev?.status === 'True' ? prev.lastTransitionTime : now,
      };
      if (i >= 0) conditions[i] = cond;
      else conditions.push(cond);
    });
    this.#ctx.recorder.record({
      object: bound,
      type: 'Normal',
      reason: 'Scheduled',
      message: `Successfully assigned ${ns}/${name} to ${node}`,
      source: { component: SCHEDULER_NAME },
      action: 'Binding',
    });
  }

  #fail(key: string, pod: KObject, message: string): void {
    // parked first, so the status update below does not queue the pod again
    this.#unschedulable.set(
      key,
      this.#ctx.clock.setTimeout(() => {
        this.#unschedulable.delete(key);
        this.#enqueue(key);
      }, UNSCHEDULABLE_RETRY_MS),
    );
    this.#ctx.recorder.record({
      object: pod,
      type: 'Warning',
      reason: 'FailedScheduling',
      message,
      source: { component: SCHEDULER_NAME },
      action: 'Scheduling',
    });
    const now = this.#ctx.clock.nowIso();
    this.#ctx.store.mutate(PODS, pod.metadata.namespace, pod.metadata.name!, (p) => {
      const status = (p.status ??= {}) as { conditions?: Record<string, unknown>[] };
      const conditions = (status.conditions ??= []);
      const i = conditions.findIndex((c) => c.type === 'PodScheduled');
      const prev = i >= 0 ? conditions[i] : undefined;
      if (prev && prev.status === 'False' && prev.reason === 'Unschedulable' && prev.message === message) return false;
      const cond = {
        type: 'PodScheduled',
        status: 'False',
        lastProbeTime: null,
        lastTransitionTime: prev?.status === 'False' ? prev.lastTransitionTime : now,
        reason: 'Unschedulable',
        message,
      };
      if (i >= 0) conditions[i] = cond;
      else conditions.push(cond);
    });
  }
}

/** framework.FitError.Error() followed by DefaultPreemption's message. */
function fitError(numNodes: number, failures: FilterResult[]): string {
  const reasons = new Map<string, number>();
  const preemption = new Map<string, number>();
  for (const f of failures) {
    for (const r of f.reasons) reasons.set(r, (reasons.get(r) ?? 0) + 1);
    const p = f.resolvable ? 'No preemption victims found for incoming pod' : 'Preemption is not helpful for scheduling';
    preemption.set(p, (preemption.get(p) ?? 0) + 1);
  }
  const histogram = (m: Map<string, number>): string => [...m].map(([r, n]) => `${n} ${r}`).sort().join(', ');
  return `0/${numNodes} nodes are available: ${histogram(reasons)}. preemption: 0/${numNodes} nodes are available: ${histogram(preemption)}.`;
}

/** Node updates that can change where pods fit (not heartbeats). */
function nodeChangeMatters(c: Change): boolean {
  if (c.type !== 'MODIFIED' || !c.prev) return true;
  const view = (n: KObject): string =>
    JSON.stringify([
      n.spec,
      n.metadata.labels,
      (n.status as { allocatable?: unknown } | undefined)?.allocatable,
      nodeConditions(n).find((x) => x.type === 'Ready')?.status,
    ]);
  return view(c.object) !== view(c.prev);
}
