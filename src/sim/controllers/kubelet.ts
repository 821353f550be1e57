// The simulated kubelets: for every pod bound to a node whose kubelet runs,
// a pod worker that creates the sandbox, pulls images, starts, probes,
// restarts and stops containers on the virtual clock, and posts pod status
// and Events exactly the way kubelet 1.32 does.
//
// The timing model follows kubelet's own loops, because detectors downstream
// key on the resulting shapes (e.g. "Error" before "CrashLoopBackOff"):
// - a sync first posts the status generated from the runtime and the reasons
//   the previous sync recorded (the reason cache), then acts;
// - the PLEG notices a container start or exit 1 s later and triggers a sync;
// - a sync that failed (back-off, pull error) is retried after 10 s;
// - crash back-off (per container, from its finish time) and image pull
//   back-off (per pod and image, from the last attempt) start at 10 s and
//   double up to 5 min, like flowcontrol.Backoff.

import type { TimerHandle } from '../clock.ts';
import { isoSeconds } from '../clock.ts';
import { NODES, PODS } from '../refs.ts';
import type { SimContext } from '../scenario.ts';
import type { Change } from '../store.ts';
import type { KObject } from '../types.ts';
import {
  type Behavior,
  type BehaviorKind,
  behaviorOf,
  containerIdFor,
  defaultPullPolicy,
  effectiveKind,
  exitLines,
  goDuration,
  imageId,
  imagePullError,
  imagePullMs,
  imageRepullMs,
  imageSizeBytes,
  normalizeImage,
  OOM_EXIT_CODE,
  periodicLine,
  startupLines,
} from '../behavior.ts';
import { kubeletRunning, nodeInternalIP } from './nodes.ts';
import { parseQuantity } from '../quantity.ts';
import { qosClass } from './scheduler.ts';

/** PLEG relist period: how long until the kubelet notices a container started or exited. */
export const PLEG_RELIST_MS = 1000;
/** time to create a pod sandbox and set up its network */
export const SANDBOX_CREATE_MS = 1000;
/** pod workers retry a sync that failed after this long (kubelet's backOffPeriod) */
export const SYNC_ERROR_RETRY_MS = 10_000;
export const BACKOFF_INITIAL_MS = 10_000;
/** MaxContainerBackOff, also the image pull back-off cap */
export const BACKOFF_MAX_MS = 300_000;
/** how long a registry takes to refuse a pull */
export const FAILED_PULL_MS = 1000;
/** how long containers take to exit after SIGTERM when a pod is deleted */
export const STOP_CONTAINERS_MS = 1000;
export const LOG_INTERVAL_MS = 5000;

const KUBELET_CONDITIONS = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];

// ---------------------------------------------------------------- shapes

interface Probe {
  httpGet?: { port?: number | string; path?: string };
  tcpSocket?: { port?: number | string };
  exec?: { command?: string[] };
  grpc?: { port?: number };
  initialDelaySeconds?: number;
  periodSeconds?: number;
}

interface ContainerSpec {
  name: string;
  image: string;
  imagePullPolicy?: string;
  readinessProbe?: Probe;
  terminationMessagePolicy?: string;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

interface PodSpec {
  nodeName?: string;
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  containers?: ContainerSpec[];
  terminationGracePeriodSeconds?: number;
}

interface PodCondition {
  type: string;
  status: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

interface PodStatus {
  phase?: string;
  conditions?: PodCondition[];
  message?: string;
  reason?: string;
  qosClass?: string;
  containerStatuses?: Record<string, unknown>[];
  [k: string]: unknown;
}

const specOf = (pod: KObject): PodSpec => (pod.spec ?? {}) as PodSpec;
const statusOf = (pod: KObject): PodStatus => (pod.status ?? {}) as PodStatus;
const isTerminal = (phase: unknown): boolean => phase === 'Succeeded' || phase === 'Failed';

/** kubelet's format.Pod: name_namespace(uid) */
export const formatPod = (pod: KObject): string => `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;

interface Backoff {
  ms: number;
  lastUpdate: number;
}

/** flowcontrol.Backoff.Next: start at 10 s, double, cap at 5 min; forget after 2×cap of quiet. */
function backoffNext(b: Backoff | undefined, eventTime: number, now: number): Backoff {
  if (!b || eventTime - b.lastUpdate > 2 * BACKOFF_MAX_MS) return { ms: BACKOFF_INITIAL_MS, lastUpdate: now };
  return { ms: Math.min(b.ms * 2, BACKOFF_MAX_MS), lastUpdate: now };
}

/** IsInBackOffSince: measured from the container's finish time. */
function inBackoffSince(b: Backoff | undefined, eventTime: number, now: number): boolean {
  if (!b || eventTime - b.lastUpdate > 2 * BACKOFF_MAX_MS) return false;
  return now - eventTime < b.ms;
}

/** IsInBackOffSinceUpdate: measured from the last failed attempt. */
function inBackoffSinceUpdate(b: Backoff | undefined, now: number): boolean {
  if (!b || now - b.lastUpdate > 2 * BACKOFF_MAX_MS) return false;
  return now - b.lastUpdate < b.ms;
}

/** One run of a container, as the runtime remembers it. */
interface Instance {
  id: string;
  attempt: number;
  kind: BehaviorKind;
  image: string;
  imageID: string;
  startedAt: number;
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
  message?: string;
  logCount: number;
}

interface ContainerRt {
  name: string;
  spec: ContainerSpec;
  behavior: Behavior;
  current?: Instance;
  previous?: Instance;
  ready: boolean;
  /** kubelet's reasonCache: why the last sync could not start this container */
  cached?: { reason: string; message?: string };
  crashBackoff?: Backoff;
  /** timers of the current instance, one per purpose */
  timers: Partial<Record<'log' | 'exit' | 'ready' | 'probe', TimerHandle>>;
}

interface PodRt {
  uid: string;
  ns: string;
  name: string;
  node: string;
  pod: KObject;
  startTime: number;
  sandbox: 'none' | 'creating' | 'ready' | 'gone';
  podIP?: string;
  containers: ContainerRt[];
  /** per image, like kubelet's "<podUID>_<image>" back-off key */
  pullBackoff: Map<string, Backoff>;
  /** a sandbox creation or an image pull is under way: syncs wait */
  busy: boolean;
  syncPending: boolean;
  syncTimer?: TimerHandle;
  syncDue: number;
  stepTimer?: TimerHandle;
  killTimer?: TimerHandle;
  /** the kubelet was down when this pod needed a sync */
  needsResync: boolean;
  terminating: boolean;
  /** nothing more happens to this pod's containers */
  done: boolean;
}

// ---------------------------------------------------------------- the kubelet

/** Starts the kubelets of every simulated node; returns the function that stops them. */
export function startKubelet(ctx: SimContext): () => void {
  const kubelet = new Kubelet(ctx);
  return kubelet.start();
}

class Kubelet {
  #ctx: SimContext;
  #pods = new Map<string, PodRt>();
  /** node → image refs on that node */
  #images = new Map<string, Set<string>>();
  /** node → pod IPs in use */
  #ips = new Map<string, Set<string>>();
  #queued = new Set<string>();
  #flushTimer: TimerHandle | undefined;
  #stopped = false;

  constructor(ctx: SimContext) {
    this.#ctx = ctx;
  }

  start(): () => void {
    const unsubscribe = this.#ctx.store.subscribe((c) => this.#onChange(c));
    for (const pod of this.#ctx.store.list(PODS.storage)) this.#queue(pod);
    return () => {
      this.#stopped = true;
      unsubscribe();
      this.#ctx.clock.clearTimeout(this.#flushTimer);
      for (const rt of this.#pods.values()) this.#cancelAll(rt);
    };
  }

  // Store listeners run inside the writer's call, so reactions that write are
  // deferred to a timer; only bookkeeping happens here.
  #onChange(c: Change): void {
    if (this.#stopped) return;
    if (c.storage === PODS.storage) {
      const rt = this.#pods.get(c.object.metadata.uid!);
      if (c.type === 'DELETED') {
        if (rt) this.#forget(rt);
        this.#ctx.logs.forget(c.object.metadata.namespace!, c.object.metadata.name!);
        return;
      }
      if (rt && !rt.done && !rt.terminating && isTerminal(statusOf(c.object).phase)) this.#halt(rt);
      this.#queue(c.object);
    } else if (c.storage === NODES.storage && c.type !== 'DELETED') {
      if (kubeletRunning(c.object) && !kubeletRunning(c.prev)) {
        // a returning kubelet reconciles every pod's status (others may have changed it)
        for (const rt of this.#pods.values()) if (rt.node === c.object.metadata.name) rt.needsResync = true;
        for (const pod of this.#ctx.store.list(PODS.storage)) {
          if (specOf(pod).nodeName === c.object.metadata.name) this.#queue(pod);
        }
      }
    }
  }

  #queue(pod: KObject): void {
    if (!specOf(pod).nodeName) return;
    this.#queued.add(`${pod.metadata.namespace}/${pod.metadata.name}`);
    this.#flushTimer ??= this.#ctx.clock.setTimeout(() => this.#flush(), 0);
  }

  #flush(): void {
    this.#flushTimer = undefined;
    const keys = [...this.#queued];
    this.#queued.clear();
    for (const key of keys) {
      const [ns, name] = key.split('/');
      const pod = this.#ctx.store.get(PODS.storage, ns, name);
      if (pod) this.#handlePod(pod);
    }
  }

  #up(node: string): boolean {
    return kubeletRunning(this.#ctx.store.get(NODES.storage, undefined, node));
  }

  #handlePod(pod: KObject): void {
    const node = specOf(pod).nodeName;
    if (!node) return;
    // a pod bound to a node without a running kubelet waits for it
    if (!this.#up(node)) return;
    const deleting = !!pod.metadata.deletionTimestamp;
    let rt = this.#pods.get(pod.metadata.uid!);
    if (!rt) {
      if (isTerminal(statusOf(pod).phase)) {
        if (deleting) this.#deletePod(pod);
        return;
      }
      rt = this.#admit(pod, node);
    }
    rt.pod = pod;
    if (rt.done) {
      // a finished pod being deleted has nothing left to stop
      if (deleting && !rt.terminating) this.#deletePod(pod);
      return;
    }
    if (deleting) {
      if (!rt.terminating) this.#beginTermination(rt);
      else if (!rt.killTimer) this.#finishTermination(rt);
      return;
    }
    if (rt.needsResync || rt.sandbox === 'none') {
      rt.needsResync = false;
      this.#sync(rt);
    }
  }

  #admit(pod: KObject, node: string): PodRt {
    const rt: PodRt = {
      uid: pod.metadata.uid!,
      ns: pod.metadata.namespace!,
      name: pod.metadata.name!,
      node,
      pod,
      startTime: this.#ctx.clock.nowMs(),
      sandbox: 'none',
      containers: (specOf(pod).containers ?? []).map((spec) => ({
        name: spec.name,
        spec,
        behavior: behaviorOf(pod, spec.name),
        ready: false,
        timers: {},
      })),
      pullBackoff: new Map(),
      busy: false,
      syncPending: false,
      syncDue: 0,
      needsResync: false,
      terminating: false,
      done: false,
    };
    this.#pods.set(rt.uid, rt);
    return rt;
  }

  #forget(rt: PodRt): void {
    this.#cancelAll(rt);
    rt.done = true;
    this.#releaseIP(rt);
    this.#pods.delete(rt.uid);
  }

  #cancelAll(rt: PodRt): void {
    const clock = this.#ctx.clock;
    clock.clearTimeout(rt.syncTimer);
    clock.clearTimeout(rt.stepTimer);
    clock.clearTimeout(rt.killTimer);
    rt.syncTimer = rt.stepTimer = rt.killTimer = undefined;
    for (const c of rt.containers) this.#cancelContainer(c);
  }

  #cancelContainer(c: ContainerRt): void {
    for (const t of Object.values(c.timers)) this.#ctx.clock.clearTimeout(t);
    c.timers = {};
  }

  /** Something else (the eviction manager) made the pod terminal: its containers are gone. */
  #halt(rt: PodRt): void {
    this.#cancelAll(rt);
    const now = this.#ctx.clock.nowMs();
    for (const c of rt.containers) {
      if (c.current && c.current.finishedAt === undefined) Object.assign(c.current, { finishedAt: now, exitCode: 137, reason: 'Error' });
      c.ready = false;
    }
    rt.sandbox = 'gone';
    rt.done = true;
    rt.busy = false;
  }

  // ------------------------------------------------------------ pod worker

  #requestSync(rt: PodRt, delayMs: number): void {
    if (rt.done || rt.terminating) return;
    const due = this.#ctx.clock.nowMs() + delayMs;
    if (rt.syncTimer && rt.syncDue <= due) return;
    this.#ctx.clock.clearTimeout(rt.syncTimer);
    rt.syncDue = due;
    rt.syncTimer = this.#ctx.clock.setTimeout(() => {
      rt.syncTimer = undefined;
      this.#sync(rt);
    }, delayMs);
  }

  #sync(rt: PodRt): void {
    if (rt.done || rt.terminating || this.#stopped) return;
    if (!this.#up(rt.node)) {
      rt.needsResync = true;
      return;
    }
    if (rt.busy) {
      rt.syncPending = true;
      return;
    }
    this.#ctx.clock.clearTimeout(rt.syncTimer);
    rt.syncTimer = undefined;
    this.#writeStatus(rt);
    if (rt.done) return;
    if (rt.sandbox === 'none') this.#createSandbox(rt);
    else this.#startContainers(rt, 0, false);
  }

  #createSandbox(rt: PodRt): void {
    rt.sandbox = 'creating';
    rt.busy = true;
    rt.stepTimer = this.#ctx.clock.setTimeout(() => {
      rt.stepTimer = undefined;
      if (this.#pause(rt)) {
        rt.sandbox = 'none';
        return;
      }
      rt.sandbox = 'ready';
      rt.podIP = this.#allocateIP(rt.node);
      this.#requestSync(rt, PLEG_RELIST_MS);
      this.#startContainers(rt, 0, false);
    }, SANDBOX_CREATE_MS);
  }

  /** The kubelet stopped while a step was under way: drop it, resync when it is back. */
  #pause(rt: PodRt): boolean {
    if (rt.done || rt.terminating) return true;
    if (this.#up(rt.node)) return false;
    rt.busy = false;
    rt.syncPending = false;
    rt.needsResync = true;
    return true;
  }

  #shouldStart(rt: PodRt, c: ContainerRt): boolean {
    const cur = c.current;
    if (!cur) return true;
    if (cur.finishedAt === undefined) return false;
    const policy = specOf(rt.pod).restartPolicy ?? 'Always';
    if (policy === 'Always') return true;
    if (policy === 'OnFailure') return cur.exitCode !== 0;
    return false;
  }

  /** kuberuntime's SyncPod start loop, from container `i`; pulls suspend it on a timer. */
  #startContainers(rt: PodRt, from: number, failed: boolean): void {
    rt.busy = true;
    const now = this.#ctx.clock.nowMs();
    for (let i = from; i < rt.containers.length; i++) {
      const c = rt.containers[i];
      if (!this.#shouldStart(rt, c)) continue;
      if (c.current) {
        if (inBackoffSince(c.crashBackoff, c.current.finishedAt!, now)) {
          this.#event(rt, c, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${formatPod(rt.pod)}`);
          c.cached = {
            reason: 'CrashLoopBackOff',
            message: `back-off ${goDuration(c.crashBackoff!.ms)} restarting failed container=${c.name} pod=${formatPod(rt.pod)}`,
          };
          failed = true;
          continue;
        }
        c.crashBackoff = backoffNext(c.crashBackoff, c.current.finishedAt!, now);
      }
      const outcome = this.#ensureImage(rt, c, i, failed);
      if (outcome === 'pulling') return;
      if (outcome === 'failed') failed = true;
      else this.#runContainer(rt, c);
    }
    rt.busy = false;
    if (failed) this.#requestSync(rt, SYNC_ERROR_RETRY_MS);
    if (rt.syncPending) {
      rt.syncPending = false;
      this.#requestSync(rt, 0);
    }
  }

  /** The image manager's EnsureImageExists. */
  #ensureImage(rt: PodRt, c: ContainerRt, index: number, failed: boolean): 'present' | 'failed' | 'pulling' {
    const image = c.spec.image;
    const policy = c.spec.imagePullPolicy ?? defaultPullPolicy(image);
    const ref = normalizeImage(image).ref;
    const present = this.#nodeImages(rt.node).has(ref);
    if (policy === 'Never' || (present && policy !== 'Always')) {
      if (present) {
        this.#event(rt, c, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
        return 'present';
      }
      const msg = `Container image "${image}" is not present with pull policy of Never`;
      this.#event(rt, c, 'Warning', 'ErrImageNeverPull', msg);
      this.#event(rt, c, 'Warning', 'Failed', 'Error: ErrImageNeverPull');
      c.cached = { reason: 'ErrImageNeverPull', message: msg };
      return 'failed';
    }
    const now = this.#ctx.clock.nowMs();
    const backoff = rt.pullBackoff.get(image);
    if (inBackoffSinceUpdate(backoff, now)) {
      const msg = `Back-off pulling image "${image}"`;
      this.#event(rt, c, 'Normal', 'BackOff', msg);
      this.#event(rt, c, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      c.cached = { reason: 'ImagePullBackOff', message: msg };
      return 'failed';
    }
    this.#event(rt, c, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const error = imagePullError(image);
    const took = error ? FAILED_PULL_MS : present ? imageRepullMs(image) : imagePullMs(image);
    rt.stepTimer = this.#ctx.clock.setTimeout(() => {
      rt.stepTimer = undefined;
      if (this.#pause(rt)) return;
      const at = this.#ctx.clock.nowMs();
      if (error) {
        this.#event(rt, c, 'Warning', 'Failed', `Failed to pull image "${image}": ${error}`);
        rt.pullBackoff.set(image, backoffNext(backoff, at, at));
        this.#event(rt, c, 'Warning', 'Failed', 'Error: ErrImagePull');
        c.cached = { reason: 'ErrImagePull', message: error };
        this.#startContainers(rt, index + 1, true);
        return;
      }
      const d = goDuration(took);
      this.#event(rt, c, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${d} (${d} including waiting). Image size: ${imageSizeBytes(image)} bytes.`);
      this.#nodeImages(rt.node).add(ref);
      this.#runContainer(rt, c);
      this.#startContainers(rt, index + 1, failed);
    }, took);
    return 'pulling';
  }

  #nodeImages(node: string): Set<string> {
    let s = this.#images.get(node);
    if (!s) {
      s = new Set();
      this.#images.set(node, s);
    }
    return s;
  }

  // ------------------------------------------------------------ containers

  /** Creates and starts a new instance of the container. */
  #runContainer(rt: PodRt, c: ContainerRt): void {
    const now = this.#ctx.clock.nowMs();
    const attempt = c.current ? c.current.attempt + 1 : 0;
    const kind = effectiveKind(c.behavior, now - rt.startTime);
    if (c.current) {
      c.previous = c.current;
      this.#ctx.logs.restart(rt.ns, rt.name, c.name);
    }
    const inst: Instance = {
      id: containerIdFor(rt.uid, c.name, attempt),
      attempt,
      kind,
      image: normalizeImage(c.spec.image).ref,
      imageID: imageId(c.spec.image),
      startedAt: now,
      logCount: 0,
    };
    c.current = inst;
    c.cached = undefined;
    c.ready = false;
    this.#cancelContainer(c);
    this.#event(rt, c, 'Normal', 'Created', `Created container ${c.name}`);
    this.#event(rt, c, 'Normal', 'Started', `Started container ${c.name}`);
    for (const line of startupLines(kind, c.name, c.spec.image)) this.#log(rt, c, line);
    this.#scheduleLogs(rt, c, inst);
    if (kind === 'crash' || kind === 'oom' || kind === 'complete') {
      c.timers.exit = this.#ctx.clock.setTimeout(() => this.#exitOnItsOwn(rt, c, inst), c.behavior.crashAfterMs);
    }
    if (kind === 'never-ready') this.#scheduleProbe(rt, c, inst, this.#firstProbeDelay(c));
    else c.timers.ready = this.#ctx.clock.setTimeout(() => this.#setReady(rt, c, inst), c.behavior.readyAfterMs);
    this.#requestSync(rt, PLEG_RELIST_MS);
  }

  #log(rt: PodRt, c: ContainerRt, text: string): void {
    this.#ctx.logs.append(rt.ns, rt.name, c.name, this.#ctx.clock.now(), text);
  }

  #scheduleLogs(rt: PodRt, c: ContainerRt, inst: Instance): void {
    const tick = (): void => {
      if (c.current !== inst || inst.finishedAt !== undefined) return;
      this.#log(rt, c, periodicLine(c.behavior, inst.kind, inst.logCount++));
      c.timers.log = this.#ctx.clock.setTimeout(tick, LOG_INTERVAL_MS);
    };
    c.timers.log = this.#ctx.clock.setTimeout(tick, LOG_INTERVAL_MS);
  }

  #exitOnItsOwn(rt: PodRt, c: ContainerRt, inst: Instance): void {
    if (c.current !== inst || inst.finishedAt !== undefined) return;
    const code = inst.kind === 'oom' ? OOM_EXIT_CODE : inst.kind === 'crash' ? c.behavior.exitCode : 0;
    const reason = inst.kind === 'oom' ? 'OOMKilled' : code === 0 ? 'Completed' : 'Error';
    for (const line of exitLines(inst.kind, code)) this.#log(rt, c, line);
    this.#exit(rt, c, code, reason);
    // what the program wrote to its terminationMessagePath wins over the logs, whatever the policy
    if (c.behavior.terminationMessage && inst.kind !== 'oom') inst.message = c.behavior.terminationMessage;
    this.#requestSync(rt, PLEG_RELIST_MS);
  }

  #exit(rt: PodRt, c: ContainerRt, exitCode: number, reason: string): void {
    const inst = c.current!;
    inst.finishedAt = this.#ctx.clock.nowMs();
    inst.exitCode = exitCode;
    inst.reason = reason;
    if (exitCode !== 0 && c.spec.terminationMessagePolicy === 'FallbackToLogsOnError') {
      const lines = this.#ctx.logs.read(rt.ns, rt.name, c.name) ?? [];
      const text = lines.slice(-80).map((l) => l.text).join('\n');
      if (text) inst.message = text.slice(-2048);
    }
    c.ready = false;
    this.#cancelContainer(c);
  }

  /** The status manager posts readiness changes right away, without a full sync. */
  #setReady(rt: PodRt, c: ContainerRt, inst: Instance): void {
    if (c.current !== inst || inst.finishedAt !== undefined || c.ready) return;
    c.ready = true;
    // a stopped kubelet posts it when it comes back
    if (this.#up(rt.node)) this.#writeStatus(rt);
    else rt.needsResync = true;
  }

  #firstProbeDelay(c: ContainerRt): number {
    const probe = c.spec.readinessProbe;
    const period = (probe?.periodSeconds ?? 10) * 1000;
    return probe?.initialDelaySeconds ? probe.initialDelaySeconds * 1000 : period;
  }

  #scheduleProbe(rt: PodRt, c: ContainerRt, inst: Instance, delayMs: number): void {
    c.timers.probe = this.#ctx.clock.setTimeout(() => this.#probe(rt, c, inst), delayMs);
  }

  #probe(rt: PodRt, c: ContainerRt, inst: Instance): void {
    if (c.current !== inst || inst.finishedAt !== undefined) return;
    const b = c.behavior;
    const now = this.#ctx.clock.nowMs();
    if (!this.#up(rt.node)) {
      // a stopped kubelet does not probe
    } else if (b.recoverAfterMs !== undefined && now - rt.startTime >= b.recoverAfterMs) {
      this.#setReady(rt, c, inst);
      return;
    } else {
      this.#event(rt, c, 'Warning', 'Unhealthy', `Readiness probe failed: ${this.#probeFailure(rt, c)}`);
    }
    this.#scheduleProbe(rt, c, inst, (c.spec.readinessProbe?.periodSeconds ?? 10) * 1000);
  }

  #probeFailure(rt: PodRt, c: ContainerRt): string {
    const probe = c.spec.readinessProbe;
    if (probe?.tcpSocket) return `dial tcp ${rt.podIP}:${probe.tcpSocket.port}: connect: connection refused`;
    if (probe?.exec) return 'service not ready';
    if (probe?.grpc) return 'service unhealthy (responded with "NOT_SERVING")';
    return 'HTTP probe failed with statuscode: 503';
  }

  // ------------------------------------------------------------ deletion

  #beginTermination(rt: PodRt): void {
    rt.terminating = true;
    this.#ctx.clock.clearTimeout(rt.syncTimer);
    this.#ctx.clock.clearTimeout(rt.stepTimer);
    rt.syncTimer = rt.stepTimer = undefined;
    rt.busy = false;
    for (const c of rt.containers) {
      this.#cancelContainer(c);
      if (c.current && c.current.finishedAt === undefined) this.#event(rt, c, 'Normal', 'Killing', `Stopping container ${c.name}`);
    }
    const meta = rt.pod.metadata as { deletionGracePeriodSeconds?: number };
    const grace = meta.deletionGracePeriodSeconds ?? specOf(rt.pod).terminationGracePeriodSeconds ?? 30;
    rt.killTimer = this.#ctx.clock.setTimeout(() => {
      rt.killTimer = undefined;
      this.#finishTermination(rt);
    }, Math.min(STOP_CONTAINERS_MS, grace * 1000));
  }

  /** Containers have stopped: post the terminal status, then remove the pod object. */
  #finishTermination(rt: PodRt): void {
    if (rt.done) return;
    if (!this.#up(rt.node)) return; // resumed when the kubelet comes back
    const meta = rt.pod.metadata as { deletionGracePeriodSeconds?: number };
    const killed = meta.deletionGracePeriodSeconds === 0;
    let ran = false;
    for (const c of rt.containers) {
      if (!c.current) continue;
      ran = true;
      if (c.current.finishedAt === undefined) this.#exit(rt, c, killed ? 137 : 0, killed ? 'Error' : 'Completed');
      c.cached = undefined;
    }
    rt.sandbox = 'gone';
    if (ran) this.#writeStatus(rt, true);
    rt.done = true;
    this.#releaseIP(rt);
    const cur = this.#ctx.store.get(PODS.storage, rt.ns, rt.name);
    if (cur && cur.metadata.uid === rt.uid) this.#deletePod(cur);
  }

  #deletePod(pod: KObject): void {
    this.#ctx.store.delete(PODS, pod.metadata.namespace, pod.metadata.name!, { precondition: { uid: pod.metadata.uid } });
  }

  // ------------------------------------------------------------ status

  /** The status manager: posts the generated status when it differs from the stored one. */
  #writeStatus(rt: PodRt, deleting = false): void {
    const cur = this.#ctx.store.get(PODS.storage, rt.ns, rt.name);
    if (!cur || cur.metadata.uid !== rt.uid) return;
    if (!deleting && isTerminal(statusOf(cur).phase)) {
      this.#halt(rt);
      return;
    }
    const status = this.#generateStatus(rt, cur, deleting);
    if (JSON.stringify(status) === JSON.stringify(cur.status)) return;
    this.#ctx.store.mutate(PODS, rt.ns, rt.name, (p) => {
      p.status = status;
    });
  }

  #generateStatus(rt: PodRt, cur: KObject, deleting: boolean): PodStatus {
    const old = statusOf(cur);
    const containerStatuses = rt.containers.map((c) => this.#containerStatus(rt, c));
    const phase = podPhase(containerStatuses, specOf(cur).restartPolicy ?? 'Always', deleting);
    if (isTerminal(phase)) {
      // the kubelet tears down the sandbox of a pod that is done
      this.#cancelAll(rt);
      rt.sandbox = 'gone';
      rt.done = true;
      for (const cs of containerStatuses) cs.ready = false;
    }
    const now = this.#ctx.clock.nowIso();
    const stamp = (c: PodCondition): PodCondition => {
      const prev = old.conditions?.find((o) => o.type === c.type);
      const out: PodCondition = {
        type: c.type,
        status: c.status,
        lastProbeTime: null,
        lastTransitionTime: prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
      };
      if (c.reason) out.reason = c.reason;
      if (c.message) out.message = c.message;
      return out;
    };
    const containersReady = containersReadyCondition(rt.containers.map((c) => c.name), containerStatuses, phase);
    const conditions: PodCondition[] = [
      ...(old.conditions ?? []).filter((c) => !KUBELET_CONDITIONS.includes(c.type)),
      stamp({ type: 'PodReadyToStartContainers', status: rt.sandbox === 'ready' ? 'True' : 'False' }),
      stamp({ type: 'Initialized', status: 'True', reason: phase === 'Succeeded' ? 'PodCompleted' : undefined }),
      stamp({ ...containersReady, type: 'Ready' }),
      stamp(containersReady),
      stamp({ type: 'PodScheduled', status: 'True' }),
    ];
    const hostIP = nodeInternalIP(this.#ctx.store.get(NODES.storage, undefined, rt.node));
    const status: PodStatus = { phase, conditions };
    if (old.message) status.message = old.message;
    if (old.reason) status.reason = old.reason;
    if (hostIP) {
      status.hostIP = hostIP;
      status.hostIPs = [{ ip: hostIP }];
    }
    const podIP = rt.podIP ?? (old.podIP as string | undefined);
    if (podIP && rt.sandbox !== 'none' && rt.sandbox !== 'creating') {
      status.podIP = podIP;
      status.podIPs = [{ ip: podIP }];
    }
    status.startTime = isoSeconds(rt.startTime);
    status.containerStatuses = containerStatuses;
    status.qosClass = old.qosClass ?? qosClass(cur);
    return status;
  }

  #containerStatus(rt: PodRt, c: ContainerRt): Record<string, unknown> {
    const cur = c.current;
    if (!cur) {
      const waiting: Record<string, string> = { reason: c.cached?.reason ?? 'ContainerCreating' };
      if (c.cached?.message) waiting.message = c.cached.message;
      return {
        name: c.name,
        state: { waiting },
        lastState: {},
        ready: false,
        restartCount: 0,
        image: c.spec.image,
        imageID: '',
        started: false,
      };
    }
    const running = cur.finishedAt === undefined;
    let state: Record<string, unknown>;
    let lastState: Record<string, unknown> = c.previous ? terminated(c.previous) : {};
    if (running) {
      state = { running: { startedAt: isoSeconds(cur.startedAt) } };
    } else if (c.cached && !rt.done && this.#shouldStart(rt, c)) {
      const waiting: Record<string, string> = { reason: c.cached.reason };
      if (c.cached.message) waiting.message = c.cached.message;
      state = { waiting };
      lastState = terminated(cur);
    } else {
      state = terminated(cur);
    }
    const status: Record<string, unknown> = {
      name: c.name,
      state,
      lastState,
      ready: running && c.ready,
      restartCount: cur.attempt,
      image: cur.image,
      imageID: cur.imageID,
      containerID: `containerd://${cur.id}`,
      started: running,
    };
    if (c.spec.volumeMounts?.length) {
      status.volumeMounts = c.spec.volumeMounts.map((m) =>
        m.readOnly
          ? { name: m.name, mountPath: m.mountPath, readOnly: true, recursiveReadOnly: 'Disabled' }
          : { name: m.name, mountPath: m.mountPath },
      );
    }
    return status;
  }

  // ------------------------------------------------------------ helpers

  #event(rt: PodRt, c: ContainerRt | undefined, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const pod = this.#ctx.store.get(PODS.storage, rt.ns, rt.name);
    this.#ctx.recorder.record({
      object: pod && pod.metadata.uid === rt.uid ? pod : rt.pod,
      type,
      reason,
      message,
      source: { component: 'kubelet', host: rt.node },
      fieldPath: c ? `spec.containers{${c.name}}` : undefined,
    });
  }

  #allocateIP(node: string): string {
    const cidr = ((this.#ctx.store.get(NODES.storage, undefined, node)?.spec as { podCIDR?: string } | undefined)?.podCIDR) ?? '10.244.0.0/24';
    const prefix = cidr.replace(/\.\d+\/\d+$/, '.');
    let used = this.#ips.get(node);
    if (!used) {
      used = new Set();
      this.#ips.set(node, used);
    }
    for (let host = 2; host < 255; host++) {
      const ip = prefix + host;
      if (!used.has(ip)) {
        used.add(ip);
        return ip;
      }
    }
    return prefix + '254';
  }

  #releaseIP(rt: PodRt): void {
    if (rt.podIP) this.#ips.get(rt.node)?.delete(rt.podIP);
  }
}

function terminated(i: Instance): Record<string, unknown> {
  const t: Record<string, unknown> = { exitCode: i.exitCode, reason: i.reason };
  if (i.message) t.message = i.message;
  t.startedAt = isoSeconds(i.startedAt);
  t.finishedAt = isoSeconds(i.finishedAt!);
  t.containerID = `containerd://${i.id}`;
  return { terminated: t };
}

/** kubelet's getPhase, from the container statuses it is about to post. */
export function podPhase(statuses: Record<string, unknown>[], restartPolicy: string, podIsTerminal: boolean): string {
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    const state = s.state as { running?: unknown; terminated?: { exitCode: number }; waiting?: unknown };
    const last = s.lastState as { terminated?: unknown };
    if (state.running) running++;
    else if (state.terminated) {
      stopped++;
      if (state.terminated.exitCode === 0) succeeded++;
    } else if (last.terminated) stopped++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped === 0) return 'Pending';
  if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
  if (restartPolicy === 'Always') return 'Running';
  if (stopped === succeeded) return 'Succeeded';
  if (restartPolicy === 'Never') return 'Failed';
  return 'Running';
}

function containersReadyCondition(names: string[], statuses: Record<string, unknown>[], phase: string): PodCondition {
  if (phase === 'Failed') return { type: 'ContainersReady', status: 'False', reason: 'PodFailed' };
  if (phase === 'Succeeded') return { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' };
  const unready = names.filter((n) => !statuses.find((s) => s.name === n)?.ready);
  if (unready.length) {
    return { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` };
  }
  return { type: 'ContainersReady', status: 'True' };
}

// ---------------------------------------------------------------- eviction

/**
 * What kubelet's eviction manager does to a pod when its node runs low on
 * `resource` (memory, ephemeral-storage, pids): EvictionThresholdMet on the
 * node, an Evicted event and Killing events on the pod, and a Failed status
 * with reason Evicted and a DisruptionTarget condition. The pod object stays,
 * as evicted pods do. The kubelet worker sees the terminal phase and stops.
 * Returns false, changing nothing, when the pod is already finished or its
 * node's kubelet is stopped.
 */
export function evictPod(ctx: SimContext, namespace: string, name: string, resource = 'memory'): boolean {
  const pod = ctx.store.get(PODS.storage, namespace, name);
  if (!pod) throw new Error(`pod "${name}" not found in namespace "${namespace}"`);
  const node = specOf(pod).nodeName;
  if (!node) throw new Error(`pod "${name}" is not bound to a node`);
  if (isTerminal(statusOf(pod).phase) || !kubeletRunning(ctx.store.get(NODES.storage, undefined, node))) return false;
  const message = evictionMessage(pod, resource);
  const source = { component: 'kubelet', host: node };
  ctx.recorder.record({
    object: { kind: 'Node', metadata: { name: node, uid: node } },
    type: 'Warning',
    reason: 'EvictionThresholdMet',
    message: `Attempting to reclaim ${resource}`,
    source,
  });
  ctx.recorder.record({ object: pod, type: 'Warning', reason: 'Evicted', message, source });
  const statuses = (statusOf(pod).containerStatuses ?? []) as { name: string; state?: { running?: unknown } }[];
  for (const cs of statuses) {
    if (cs.state?.running) {
      ctx.recorder.record({ object: pod, type: 'Normal', reason: 'Killing', message: `Stopping container ${cs.name}`, source, fieldPath: `spec.containers{${cs.name}}` });
    }
  }
  const now = ctx.clock.nowIso();
  ctx.store.mutate(PODS, namespace, name, (p) => {
    const status = statusOf(p);
    const old = status.conditions ?? [];
    const keep = (type: string, s: string, reason?: string): PodCondition => {
      const prev = old.find((c) => c.type === type);
      const c: PodCondition = {
        type,
        status: s,
        lastProbeTime: null,
        lastTransitionTime: prev && prev.status === s && prev.lastTransitionTime ? prev.lastTransitionTime : now,
      };
      if (reason) c.reason = reason;
      return c;
    };
    const disruption: PodCondition = { type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: now, reason: 'TerminationByKubelet', message };
    status.conditions = [
      disruption,
      ...old.filter((c) => !KUBELET_CONDITIONS.includes(c.type) && c.type !== 'DisruptionTarget'),
      keep('PodReadyToStartContainers', 'False'),
      keep('Initialized', 'True'),
      keep('Ready', 'False', 'PodFailed'),
      keep('ContainersReady', 'False', 'PodFailed'),
      keep('PodScheduled', 'True'),
    ];
    status.phase = 'Failed';
    status.message = message;
    status.reason = 'Evicted';
    for (const cs of (status.containerStatuses ?? []) as Record<string, any>[]) {
      const running = cs.state?.running as { startedAt: string } | undefined;
      if (running) {
        cs.lastState = cs.lastState ?? {};
        cs.state = { terminated: { exitCode: 137, reason: 'Error', startedAt: running.startedAt, finishedAt: now, containerID: cs.containerID } };
      }
      cs.ready = false;
      cs.started = false;
    }
    p.status = reorderStatus(status);
  });
  return true;
}

/** Keeps PodStatus fields in the order the API server serializes them. */
function reorderStatus(s: PodStatus): PodStatus {
  const order = ['phase', 'conditions', 'message', 'reason', 'nominatedNodeName', 'hostIP', 'hostIPs', 'podIP', 'podIPs', 'startTime', 'initContainerStatuses', 'containerStatuses', 'qosClass'];
  const out: PodStatus = {};
  for (const k of order) if (s[k] !== undefined) out[k] = s[k];
  for (const k of Object.keys(s)) if (!(k in out)) out[k] = s[k];
  return out;
}

/** The eviction manager's message, with believable usage numbers. */
export function evictionMessage(pod: KObject, resource: string): string {
  const containers = specOf(pod).containers ?? [];
  let message = `The node was low on resource: ${resource}. `;
  if (resource === 'memory') message += 'Threshold quantity: 100Mi, available: 88412Ki. ';
  else if (resource === 'ephemeral-storage') message += 'Threshold quantity: 10262623Ki, available: 9574436Ki. ';
  containers.forEach((c, i) => {
    const request = c.resources?.requests?.[resource];
    const requestKi = request ? Math.ceil(parseQuantity(request) / 1024) : 0;
    const usage = `${requestKi + 1_363_148 - i * 100_000}Ki`;
    message += `Container ${c.name} was using ${usage}, request is ${request ?? '0'}, has larger consumption of ${resource}. `;
  });
  return message;
}
