// Benchmark load: many running pods and a steady stream of kubelet events
// about them (repeats bumping `count`, as the EventCorrelator does, plus new
// ones), for as long as the scenario runs. It has to stay cheap at 10,000
// pods and thousands of events per second, so its pods skip the scheduler
// and kubelet: they are written already bound and Running, on node names no
// simulated kubelet owns.

import type { TimerHandle } from '../clock.ts';
import { containerIdFor, imageId, normalizeImage } from '../behavior.ts';
import { applyCreateDefaults } from '../defaults.ts';
import { PODS } from '../refs.ts';
import type { Scenario, ScenarioOptions, SimContext } from '../scenario.ts';
import type { KObject } from '../types.ts';
import { ensureNamespace } from '../controllers/namespaces.ts';
import { scenarioNamespace } from './pods.ts';

export const STORM_LABEL = 'sim.kubeherald.io/storm';
const IMAGE = 'busybox:1.36';
const CONTAINER = 'app';
const TICK_MS = 100;

export interface StormOptions {
  pods: number;
  eventsPerSecond: number;
  /** pods created per turn of the event loop (default 500) */
  batchSize: number;
  /** node names the pods are spread over (default 10) */
  nodes: number;
  /** share of events that repeat an earlier one (default 0.5) */
  repeatRatio: number;
}

function option(opts: ScenarioOptions, key: string, fallback: number, min = 0): number {
  const v = Number(opts[key]);
  return Number.isFinite(v) && v >= min ? v : fallback;
}

export function stormOptions(opts: ScenarioOptions): StormOptions {
  return {
    pods: Math.floor(option(opts, 'pods', 1000)),
    eventsPerSecond: option(opts, 'eventsPerSecond', 100),
    batchSize: Math.floor(option(opts, 'batchSize', 500, 1)),
    nodes: Math.floor(option(opts, 'nodes', 10, 1)),
    repeatRatio: Math.min(1, option(opts, 'repeatRatio', 0.5)),
  };
}

export const stormPodName = (i: number): string => `storm-${String(i).padStart(5, '0')}`;
export const stormNodeName = (i: number): string => `storm-node-${i + 1}`;

const podIP = (i: number): string => `10.200.${Math.floor(i / 250) % 256}.${(i % 250) + 1}`;
const hostIP = (node: number): string => `10.1.0.${(node % 240) + 10}`;

/** A pod as the kubelet reports it once its container runs and is ready. */
export function stormPod(namespace: string, i: number, nodes: number, now: string): KObject {
  const name = stormPodName(i);
  const node = i % nodes;
  const pod: KObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'storm', [STORM_LABEL]: 'true' } },
    spec: {
      containers: [{ name: CONTAINER, image: IMAGE, command: ['sleep', 'infinity'] }],
      nodeName: stormNodeName(node),
      serviceAccountName: 'default',
      serviceAccount: 'default',
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
    },
  };
  applyCreateDefaults(PODS.storage, pod);
  const conditions = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
    type,
    status: 'True',
    lastProbeTime: null,
    lastTransitionTime: now,
  }));
  pod.status = {
    phase: 'Running',
    conditions,
    hostIP: hostIP(node),
    hostIPs: [{ ip: hostIP(node) }],
    podIP: podIP(i),
    podIPs: [{ ip: podIP(i) }],
    startTime: now,
    containerStatuses: [
      {
        containerID: `containerd://${containerIdFor(`${namespace}/${name}`, CONTAINER, 0)}`,
        image: normalizeImage(IMAGE).ref,
        imageID: imageId(IMAGE),
        lastState: {},
        name: CONTAINER,
        ready: true,
        restartCount: 0,
        started: true,
        state: { running: { startedAt: now } },
      },
    ],
    qosClass: 'BestEffort',
  };
  return pod;
}

interface EventTemplate {
  type: 'Normal' | 'Warning';
  reason: string;
  message: (pod: KObject, i: number) => string;
  container: boolean;
}

/** What kubelets say about pods in a bad hour, in their wording. */
const TEMPLATES: EventTemplate[] = [
  { type: 'Warning', reason: 'BackOff', container: true, message: (p) => `Back-off restarting failed container ${CONTAINER} in pod ${p.metadata.name}_${p.metadata.namespace}(${p.metadata.uid})` },
  { type: 'Normal', reason: 'Pulled', container: true, message: () => `Container image "${IMAGE}" already present on machine` },
  { type: 'Warning', reason: 'Unhealthy', container: true, message: () => 'Readiness probe failed: HTTP probe failed with statuscode: 503' },
  { type: 'Normal', reason: 'Created', container: true, message: () => `Created container ${CONTAINER}` },
  { type: 'Warning', reason: 'Unhealthy', container: true, message: (_p, i) => `Liveness probe failed: Get "http://${podIP(i)}:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` },
  { type: 'Normal', reason: 'Started', container: true, message: () => `Started container ${CONTAINER}` },
  { type: 'Warning', reason: 'FailedMount', container: false, message: () => 'MountVolume.SetUp failed for volume "config" : configmap "storm-config" not found' },
  { type: 'Normal', reason: 'Killing', container: true, message: () => `Container ${CONTAINER} failed liveness probe, will be restarted` },
];

class Storm {
  #ctx: SimContext;
  #ns: string;
  #o: StormOptions;
  #created = 0;
  #createTimer: TimerHandle | undefined;
  #tickTimer: TimerHandle | undefined;
  /** fractional events owed from earlier ticks */
  #carry = 0;
  /** next fresh (pod, template) combination */
  #fresh = 0;
  #seed = 0x9e3779b9;

  constructor(ctx: SimContext, namespace: string, o: StormOptions) {
    this.#ctx = ctx;
    this.#ns = namespace;
    this.#o = o;
  }

  start(): () => void {
    ensureNamespace(this.#ctx, this.#ns);
    this.#createTimer = this.#ctx.clock.setTimeout(() => this.#createBatch(), 0);
    if (this.#o.eventsPerSecond > 0) this.#tickTimer = this.#ctx.clock.setTimeout(() => this.#tick(), TICK_MS);
    return () => {
      this.#ctx.clock.clearTimeout(this.#createTimer);
      this.#ctx.clock.clearTimeout(this.#tickTimer);
      this.#createTimer = this.#tickTimer = undefined;
    };
  }

  /** One batch per timer, so the API server keeps answering while thousands of pods appear. */
  #createBatch(): void {
    this.#createTimer = undefined;
    const { store, clock } = this.#ctx;
    const now = clock.nowIso();
    const end = Math.min(this.#o.pods, this.#created + this.#o.batchSize);
    for (; this.#created < end; this.#created++) {
      if (store.get(PODS.storage, this.#ns, stormPodName(this.#created))) continue; // kept from an earlier run
      store.create(PODS, stormPod(this.#ns, this.#created, this.#o.nodes, now));
    }
    if (this.#created < this.#o.pods) this.#createTimer = clock.setTimeout(() => this.#createBatch(), 0);
  }

  #tick(): void {
    this.#tickTimer = this.#ctx.clock.setTimeout(() => this.#tick(), TICK_MS);
    if (this.#created === 0) return;
    this.#carry += (this.#o.eventsPerSecond * TICK_MS) / 1000;
    const n = Math.floor(this.#carry + 1e-9);
    this.#carry -= n;
    for (let k = 0; k < n; k++) this.#emit();
  }

  #random(): number {
    this.#seed = (Math.imul(this.#seed, 1664525) + 1013904223) >>> 0;
    return this.#seed / 2 ** 32;
  }

  #emit(): void {
    const combos = this.#o.pods * TEMPLATES.length;
    // each pass over the pods gives every pod another kind of event (pod i
    // starts with kind i), so kinds mix from the start; once every pair is
    // used all events are repeats, and the number of Event objects stays
    // bounded however long the storm runs
    const repeat = this.#fresh > 0 && this.#random() < this.#o.repeatRatio;
    const combo = repeat ? Math.floor(this.#random() * Math.min(this.#fresh, combos)) : this.#fresh++ % combos;
    const pass = Math.floor(combo / this.#o.pods);
    const podIndex = (combo % this.#o.pods) % this.#created;
    const template = TEMPLATES[(podIndex + pass) % TEMPLATES.length];
    const pod = this.#ctx.store.get(PODS.storage, this.#ns, stormPodName(podIndex));
    if (!pod) return;
    this.#ctx.recorder.record({
      object: pod,
      type: template.type,
      reason: template.reason,
      message: template.message(pod, podIndex),
      source: { component: 'kubelet', host: (pod.spec as { nodeName?: string }).nodeName },
      fieldPath: template.container ? `spec.containers{${CONTAINER}}` : undefined,
    });
  }
}

export const stormScenario: Scenario = {
  name: 'storm',
  description: 'Benchmark load: opts.pods (default 1000) running pods, created in batches, and opts.eventsPerSecond (default 100) kubelet events per second over them, until cancelled',
  start(ctx, opts) {
    return new Storm(ctx, scenarioNamespace(opts), stormOptions(opts)).start();
  },
};
