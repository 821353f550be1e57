// The simulated nodes: their Node objects and kubelet heartbeats (Leases in
// kube-node-lease every 10 s, node status every 5 min), plus what the node
// lifecycle controller does when a kubelet stops posting (conditions Unknown,
// unreachable taints, pods marked not ready) and what a kubelet reports under
// resource pressure. Scenarios drive the latter through setNodeReady and
// setNodePressure.

import { createHash } from 'node:crypto';
import type { TimerHandle } from '../clock.ts';
import { isoSeconds } from '../clock.ts';
import { LEASES, NODES, PODS } from '../refs.ts';
import type { SimContext } from '../scenario.ts';
import type { KObject } from '../types.ts';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_DURATION_SECONDS = 40;
/** kubelet renews its lease every leaseDuration/4 */
export const LEASE_RENEW_MS = 10_000;
/** nodeStatusReportFrequency: an unchanged node status is re-posted this often */
export const NODE_STATUS_REPORT_MS = 5 * 60_000;
export const KUBELET_VERSION = 'v1.32.0';
export const CONTAINER_RUNTIME_VERSION = 'containerd://1.7.24';

export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';

export const simNodeName = (i: number): string => `sim-node-${i}`;
export const simNodeIP = (i: number): string => `10.0.0.${10 + i}`;

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastHeartbeatTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  timeAdded?: string;
}

type Healthy = Pick<NodeCondition, 'type' | 'status' | 'reason' | 'message'>;

/** The conditions a healthy kubelet posts, in the order it posts them. */
const HEALTHY: Healthy[] = [
  { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
  { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
  { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
  { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
];

export type PressureKind = 'memory' | 'disk' | 'pid';

const PRESSURE: Record<PressureKind, { type: string; reason: string; message: string; event: string; okEvent: string; taint: string }> = {
  memory: {
    type: 'MemoryPressure',
    reason: 'KubeletHasInsufficientMemory',
    message: 'kubelet has insufficient memory available',
    event: 'NodeHasInsufficientMemory',
    okEvent: 'NodeHasSufficientMemory',
    taint: 'node.kubernetes.io/memory-pressure',
  },
  disk: {
    type: 'DiskPressure',
    reason: 'KubeletHasDiskPressure',
    message: 'kubelet has disk pressure',
    event: 'NodeHasDiskPressure',
    okEvent: 'NodeHasNoDiskPressure',
    taint: 'node.kubernetes.io/disk-pressure',
  },
  pid: {
    type: 'PIDPressure',
    reason: 'KubeletHasInsufficientPID',
    message: 'kubelet has insufficient PID available',
    event: 'NodeHasInsufficientPID',
    okEvent: 'NodeHasSufficientPID',
    taint: 'node.kubernetes.io/pid-pressure',
  },
};

export function nodeConditions(node: KObject | undefined): NodeCondition[] {
  const status = node?.status as { conditions?: NodeCondition[] } | undefined;
  return status?.conditions ?? [];
}

export function nodeTaints(node: KObject | undefined): Taint[] {
  return ((node?.spec as { taints?: Taint[] } | undefined)?.taints ?? []) as Taint[];
}

/**
 * Whether the node's kubelet is running: it posted a Ready condition and the
 * node lifecycle controller has not turned it Unknown. Nodes created by hand
 * (no conditions) have no simulated kubelet.
 */
export function kubeletRunning(node: KObject | undefined): boolean {
  const ready = nodeConditions(node).find((c) => c.type === 'Ready');
  return !!ready && ready.status !== 'Unknown';
}

export function nodeInternalIP(node: KObject | undefined): string | undefined {
  const addresses = (node?.status as { addresses?: { type: string; address: string }[] } | undefined)?.addresses ?? [];
  return addresses.find((a) => a.type === 'InternalIP')?.address;
}

/** The reference kubelet puts on its node events: uid is the node's name. */
function kubeletNodeRef(name: string): KObject {
  return { kind: 'Node', metadata: { name, uid: name } };
}

/** The reference the node lifecycle controller puts on node events. */
function controllerNodeRef(node: KObject): KObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: node.metadata.name, uid: node.metadata.uid } };
}

function kubeletEvent(ctx: SimContext, node: string, reason: string, message: string): void {
  ctx.recorder.record({
    object: kubeletNodeRef(node),
    type: 'Normal',
    reason,
    message,
    source: { component: 'kubelet', host: node },
  });
}

const statusEvent = (ctx: SimContext, node: string, event: string): void =>
  kubeletEvent(ctx, node, event, `Node ${node} status is now: ${event}`);

function hex(seed: string, len: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, len);
}

function uuidFrom(seed: string): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A Node as a freshly registered, Ready kubelet leaves it. */
export function nodeObject(i: number, now: string): KObject {
  const name = simNodeName(i);
  const resources = {
    cpu: '4',
    'ephemeral-storage': '102626232Ki',
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: '16374584Ki',
    pods: '110',
  };
  const handlerFeatures = { recursiveReadOnlyMounts: true, userNamespaces: true };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
      },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: {
      podCIDR: `10.244.${i}.0/24`,
      podCIDRs: [`10.244.${i}.0/24`],
    },
    status: {
      capacity: { ...resources },
      allocatable: { ...resources },
      conditions: HEALTHY.map((c) => ({ ...c, lastHeartbeatTime: now, lastTransitionTime: now })).map(orderCondition),
      addresses: [
        { type: 'InternalIP', address: simNodeIP(i) },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: hex(`machine:${name}`, 32),
        systemUUID: uuidFrom(`system:${name}`),
        bootID: uuidFrom(`boot:${name}`),
        kernelVersion: '6.8.0-1021-azure',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: CONTAINER_RUNTIME_VERSION,
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      runtimeHandlers: [
        { name: '', features: { ...handlerFeatures } },
        { name: 'runc', features: { ...handlerFeatures } },
      ],
    },
  };
}

/** Field order as the API server serializes a NodeCondition. */
function orderCondition(c: Omit<NodeCondition, never>): NodeCondition {
  return {
    type: c.type,
    status: c.status,
    lastHeartbeatTime: c.lastHeartbeatTime,
    lastTransitionTime: c.lastTransitionTime,
    reason: c.reason,
    message: c.message,
  };
}

export function leaseObject(node: KObject, renewTime: string): KObject {
  const name = node.metadata.name!;
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      namespace: NODE_LEASE_NAMESPACE,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid! }],
    },
    spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime },
  };
}

/** What the kubelet records while it registers its node. */
function registrationEvents(ctx: SimContext, node: KObject): void {
  const name = node.metadata.name!;
  kubeletEvent(ctx, name, 'Starting', 'Starting kubelet.');
  for (const event of ['NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID']) statusEvent(ctx, name, event);
  kubeletEvent(ctx, name, 'NodeAllocatableEnforced', 'Updated Node Allocatable limit across pods');
  ctx.recorder.record({
    object: controllerNodeRef(node),
    type: 'Normal',
    reason: 'RegisteredNode',
    message: `Node ${name} event: Registered Node ${name} in Controller`,
    source: { component: 'node-controller' },
  });
  statusEvent(ctx, name, 'NodeReady');
}

export function renewLease(ctx: SimContext, name: string): void {
  const node = ctx.store.get(NODES.storage, undefined, name);
  if (!node) return;
  const now = ctx.clock.nowMicroIso();
  if (ctx.store.get(LEASES.storage, NODE_LEASE_NAMESPACE, name)) {
    ctx.store.mutate(LEASES, NODE_LEASE_NAMESPACE, name, (lease) => {
      (lease.spec as Record<string, unknown>).renewTime = now;
    });
  } else {
    ctx.store.create(LEASES, leaseObject(node, now));
  }
}

/**
 * Registers `count` nodes (sim-node-1…N) that are Ready, with their Leases,
 * and keeps their kubelets' heartbeats going on the virtual clock.
 */
export function startNodes(ctx: SimContext, opts: { nodes?: number } = {}): { names: string[]; stop(): void } {
  const count = opts.nodes ?? 3;
  const names: string[] = [];
  for (let i = 1; i <= count; i++) {
    const name = simNodeName(i);
    names.push(name);
    if (ctx.store.get(NODES.storage, undefined, name)) continue;
    const node = ctx.store.create(NODES, nodeObject(i, ctx.clock.nowIso()));
    registrationEvents(ctx, node);
    renewLease(ctx, name);
  }
  let stopped = false;
  let leaseTimer: TimerHandle | undefined;
  let statusTimer: TimerHandle | undefined;
  const renewAll = (): void => {
    if (stopped) return;
    for (const name of names) {
      if (kubeletRunning(ctx.store.get(NODES.storage, undefined, name))) renewLease(ctx, name);
    }
    leaseTimer = ctx.clock.setTimeout(renewAll, LEASE_RENEW_MS);
  };
  const reportAll = (): void => {
    if (stopped) return;
    for (const name of names) {
      if (kubeletRunning(ctx.store.get(NODES.storage, undefined, name))) postHeartbeat(ctx, name);
    }
    statusTimer = ctx.clock.setTimeout(reportAll, NODE_STATUS_REPORT_MS);
  };
  leaseTimer = ctx.clock.setTimeout(renewAll, LEASE_RENEW_MS);
  statusTimer = ctx.clock.setTimeout(reportAll, NODE_STATUS_REPORT_MS);
  return {
    names,
    stop() {
      stopped = true;
      ctx.clock.clearTimeout(leaseTimer);
      ctx.clock.clearTimeout(statusTimer);
    },
  };
}

/** The kubelet re-posts an unchanged status: only heartbeat times move. */
function postHeartbeat(ctx: SimContext, name: string): void {
  const now = ctx.clock.nowIso();
  ctx.store.mutate(NODES, undefined, name, (node) => {
    for (const c of nodeConditions(node)) c.lastHeartbeatTime = now;
  });
}

/**
 * Takes a node's kubelet down (ready=false) the way the node lifecycle
 * controller reacts when a kubelet stops posting: every condition Unknown
 * with NodeStatusUnknown, a NodeNotReady event, the node's pods marked not
 * ready (each with a NodeNotReady event), unreachable taints; the kubelet
 * stops renewing its Lease. ready=true brings the kubelet back: it posts a
 * healthy status and records NodeReady, the controller lifts the taints, and
 * the kubelet (controllers/kubelet.ts) re-syncs its pods.
 */
export function setNodeReady(ctx: SimContext, name: string, ready: boolean): void {
  const node = ctx.store.get(NODES.storage, undefined, name);
  if (!node) throw new Error(`node "${name}" not found`);
  if (ready === kubeletRunning(node)) return;
  if (ready) recoverNode(ctx, name);
  else loseNode(ctx, node);
}

function loseNode(ctx: SimContext, node: KObject): void {
  const name = node.metadata.name!;
  const now = ctx.clock.nowIso();
  const updated = ctx.store.mutate(NODES, undefined, name, (n) => {
    for (const c of nodeConditions(n)) {
      if (c.status !== 'Unknown') c.lastTransitionTime = now;
      c.status = 'Unknown';
      c.reason = 'NodeStatusUnknown';
      c.message = 'Kubelet stopped posting node status.';
    }
  });
  ctx.recorder.record({
    object: controllerNodeRef(updated),
    type: 'Normal',
    reason: 'NodeNotReady',
    message: `Node ${name} status is now: NodeNotReady`,
    source: { component: 'node-controller' },
  });
  markPodsNotReady(ctx, name);
  ctx.store.mutate(NODES, undefined, name, (n) => {
    const spec = (n.spec ??= {}) as { taints?: Taint[] };
    const taints = (spec.taints ?? []).filter((t) => t.key !== UNREACHABLE_TAINT);
    spec.taints = [
      { key: UNREACHABLE_TAINT, effect: 'NoExecute', timeAdded: now },
      ...taints,
      { key: UNREACHABLE_TAINT, effect: 'NoSchedule', timeAdded: now },
    ];
  });
}

/** nodelifecycle's MarkPodsNotReady: only the Ready condition flips, reason and message stay. */
function markPodsNotReady(ctx: SimContext, nodeName: string): void {
  const now = ctx.clock.nowIso();
  for (const pod of ctx.store.list(PODS.storage)) {
    if ((pod.spec as { nodeName?: string } | undefined)?.nodeName !== nodeName) continue;
    const conds = (pod.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
    const ready = conds.find((c) => c.type === 'Ready');
    if (!ready || ready.status === 'False') continue;
    const updated = ctx.store.mutate(PODS, pod.metadata.namespace, pod.metadata.name!, (p) => {
      const c = ((p.status as { conditions: Record<string, unknown>[] }).conditions).find((x) => x.type === 'Ready')!;
      c.status = 'False';
      c.lastTransitionTime = now;
    });
    ctx.recorder.record({
      object: updated,
      type: 'Warning',
      reason: 'NodeNotReady',
      message: 'Node is not ready',
      source: { component: 'node-controller' },
    });
  }
}

function recoverNode(ctx: SimContext, name: string): void {
  const now = ctx.clock.nowIso();
  ctx.store.mutate(NODES, undefined, name, (n) => {
    const status = n.status as { conditions: NodeCondition[] };
    status.conditions = HEALTHY.map((h) => {
      const old = status.conditions.find((c) => c.type === h.type);
      const transition = old && old.status === h.status ? old.lastTransitionTime : now;
      return orderCondition({ ...h, lastHeartbeatTime: now, lastTransitionTime: transition });
    });
  });
  statusEvent(ctx, name, 'NodeReady');
  // the controller's taints follow the healthy conditions: no unreachable, no pressure
  const stale = new Set([UNREACHABLE_TAINT, ...Object.values(PRESSURE).map((p) => p.taint)]);
  ctx.store.mutate(NODES, undefined, name, (n) => {
    const spec = n.spec as { taints?: Taint[] } | undefined;
    if (!spec?.taints?.some((t) => stale.has(t.key))) return false;
    spec.taints = spec.taints.filter((t) => !stale.has(t.key));
    if (spec.taints.length === 0) delete spec.taints;
  });
  renewLease(ctx, name);
}

/**
 * The kubelet reports (or stops reporting) resource pressure: the condition
 * turns True with the kubelet's reason, it records NodeHasInsufficientMemory
 * (NodeHasDiskPressure, NodeHasInsufficientPID), and the node lifecycle
 * controller taints the node NoSchedule; the reverse when `on` is false.
 * Returns false, changing nothing, when the node's kubelet is stopped (it
 * cannot report) or the condition is already so.
 */
export function setNodePressure(ctx: SimContext, name: string, kind: PressureKind, on: boolean): boolean {
  const p = PRESSURE[kind];
  const node = ctx.store.get(NODES.storage, undefined, name);
  if (!node) throw new Error(`node "${name}" not found`);
  if (!kubeletRunning(node)) return false;
  const current = nodeConditions(node).find((c) => c.type === p.type);
  if ((current?.status === 'True') === on) return false;
  const healthy = HEALTHY.find((h) => h.type === p.type)!;
  const now = ctx.clock.nowIso();
  ctx.store.mutate(NODES, undefined, name, (n) => {
    const c = nodeConditions(n).find((x) => x.type === p.type);
    if (!c) return false;
    c.status = on ? 'True' : 'False';
    c.reason = on ? p.reason : healthy.reason;
    c.message = on ? p.message : healthy.message;
    c.lastHeartbeatTime = now;
    c.lastTransitionTime = now;
  });
  statusEvent(ctx, name, on ? p.event : p.okEvent);
  ctx.store.mutate(NODES, undefined, name, (n) => {
    const spec = (n.spec ??= {}) as { taints?: Taint[] };
    const others = (spec.taints ?? []).filter((t) => t.key !== p.taint);
    if (on) {
      spec.taints = [...others, { key: p.taint, effect: 'NoSchedule', timeAdded: now }];
    } else {
      if (others.length === (spec.taints ?? []).length) return false;
      if (others.length) spec.taints = others;
      else delete spec.taints;
    }
  });
  return true;
}

// ---------------------------------------------------------------- taint-based eviction

export const TAINT_EVICTION_CONTROLLER = 'taint-eviction-controller';
/** what the DefaultTolerationSeconds admission plugin gives every pod */
export const DEFAULT_TOLERATION_SECONDS = 300;

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

/** The pod's tolerations, with the admission defaults for not-ready/unreachable when it has none of its own. */
function podTolerations(pod: KObject): Toleration[] {
  const own = ((pod.spec as { tolerations?: Toleration[] } | undefined)?.tolerations ?? []) as Toleration[];
  const defaults = ['node.kubernetes.io/not-ready', UNREACHABLE_TAINT]
    .filter((key) => !own.some((t) => t.key === key && (!t.effect || t.effect === 'NoExecute')))
    .map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS }));
  return [...own, ...defaults];
}

/**
 * How long a pod may stay on a node with these NoExecute taints: 0 when one
 * is not tolerated, undefined when all are tolerated forever, else the
 * shortest tolerationSeconds (getMinTolerationTime).
 */
export function evictionDelaySeconds(pod: KObject, taints: Taint[]): number | undefined {
  const tolerations = podTolerations(pod);
  let min: number | undefined;
  for (const taint of taints) {
    const used = tolerations.filter((t) => toleratesTaint(t, taint));
    if (used.length === 0) return 0;
    for (const t of used) {
      if (t.tolerationSeconds === undefined) continue;
      const s = Math.max(0, t.tolerationSeconds);
      min = min === undefined ? s : Math.min(min, s);
    }
  }
  return min;
}

/**
 * The taint-eviction-controller: pods on a node with NoExecute taints they
 * do not tolerate (or tolerate only for tolerationSeconds, 300 s for an
 * unreachable node by default) are marked for deletion; when the taint goes
 * away first, the pending deletion is cancelled, with an event each way.
 */
export function startTaintEvictionController(ctx: SimContext): () => void {
  const pending = new Map<string, TimerHandle>();
  const work = new Set<string>();
  let flushTimer: TimerHandle | undefined;
  let stopped = false;
  const podRef = (ns: string, name: string): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns } });
  const event = (ns: string, name: string, message: string): void => {
    ctx.recorder.record({ object: podRef(ns, name), type: 'Normal', reason: 'TaintManagerEviction', message, source: { component: TAINT_EVICTION_CONTROLLER } });
  };
  const cancel = (key: string, withEvent: boolean): void => {
    const t = pending.get(key);
    if (!t) return;
    ctx.clock.clearTimeout(t);
    pending.delete(key);
    if (withEvent) {
      const [ns, name] = key.split('/');
      event(ns, name, `Cancelling deletion of Pod ${key}`);
    }
  };
  const evict = (key: string, uid: string): void => {
    pending.delete(key);
    const [ns, name] = key.split('/');
    const pod = ctx.store.get(PODS.storage, ns, name);
    if (!pod || pod.metadata.uid !== uid || pod.metadata.deletionTimestamp) return;
    event(ns, name, `Marking for deletion Pod ${key}`);
    const now = ctx.clock.nowIso();
    ctx.store.mutate(PODS, ns, name, (p) => {
      const status = (p.status ??= {}) as { conditions?: Record<string, unknown>[] };
      const conditions = (status.conditions ??= []);
      if (conditions.some((c) => c.type === 'DisruptionTarget' && c.status === 'True')) return false;
      conditions.push({
        type: 'DisruptionTarget',
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: now,
        reason: 'DeletionByTaintManager',
        message: 'Taint manager: deleting due to NoExecute taint',
      });
    });
    // a DELETE through the API: the pod turns Terminating and waits for its kubelet
    const spec = (pod.spec ?? {}) as { terminationGracePeriodSeconds?: number };
    const grace = spec.terminationGracePeriodSeconds ?? 30;
    ctx.store.mutate(PODS, ns, name, (p) => {
      if (p.metadata.deletionTimestamp) return false;
      p.metadata.deletionTimestamp = isoSeconds(ctx.clock.nowMs() + grace * 1000);
      p.metadata.deletionGracePeriodSeconds = grace;
    });
  };
  const process = (pod: KObject): void => {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    if (!nodeName || pod.metadata.deletionTimestamp || phase === 'Succeeded' || phase === 'Failed') {
      cancel(key, false);
      return;
    }
    const taints = nodeTaints(ctx.store.get(NODES.storage, undefined, nodeName)).filter((t) => t.effect === 'NoExecute');
    const delay = taints.length ? evictionDelaySeconds(pod, taints) : undefined;
    if (delay === undefined) {
      cancel(key, true);
      return;
    }
    if (pending.has(key)) return;
    const uid = pod.metadata.uid!;
    pending.set(key, ctx.clock.setTimeout(() => evict(key, uid), delay * 1000));
  };
  const flush = (): void => {
    flushTimer = undefined;
    const keys = [...work];
    work.clear();
    for (const key of keys) {
      if (key.startsWith('node:')) {
        const node = key.slice(5);
        for (const pod of ctx.store.list(PODS.storage)) if ((pod.spec as { nodeName?: string } | undefined)?.nodeName === node) process(pod);
      } else {
        const [ns, name] = key.split('/');
        const pod = ctx.store.get(PODS.storage, ns, name);
        if (pod) process(pod);
      }
    }
  };
  const queue = (key: string): void => {
    work.add(key);
    flushTimer ??= ctx.clock.setTimeout(flush, 0);
  };
  const unsubscribe = ctx.store.subscribe((c) => {
    if (stopped) return;
    if (c.storage === NODES.storage && c.type !== 'DELETED') {
      const noExecute = (n: KObject | undefined): string => JSON.stringify(nodeTaints(n).filter((t) => t.effect === 'NoExecute'));
      if (noExecute(c.object) !== noExecute(c.prev)) queue(`node:${c.object.metadata.name}`);
    } else if (c.storage === PODS.storage) {
      const key = `${c.object.metadata.namespace}/${c.object.metadata.name}`;
      if (c.type === 'DELETED') cancel(key, false);
      else if (pending.has(key) || nodeTaints(ctx.store.get(NODES.storage, undefined, (c.object.spec as { nodeName?: string } | undefined)?.nodeName ?? '')).some((t) => t.effect === 'NoExecute')) queue(key);
    }
  });
  return () => {
    stopped = true;
    unsubscribe();
    ctx.clock.clearTimeout(flushTimer);
    for (const t of pending.values()) ctx.clock.clearTimeout(t);
  };
}
