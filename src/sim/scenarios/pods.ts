// Scenarios around single, plain Pods: each creates a pod whose simulated
// container misbehaves (crash loop, OOM kill, unpullable image, failing
// readiness, eviction), then lets the scheduler and kubelet do what a real
// cluster does, so what clients observe is what a cluster shows.

import { createHash } from 'node:crypto';
import type { TimerHandle } from '../clock.ts';
import {
  BEHAVIOR_ANNOTATION,
  CRASH_AFTER_ANNOTATION,
  defaultPullPolicy,
  READY_AFTER_ANNOTATION,
  RECOVER_AFTER_ANNOTATION,
} from '../behavior.ts';
import { evictPod } from '../controllers/kubelet.ts';
import { ensureNamespace } from '../controllers/namespaces.ts';
import { setNodePressure } from '../controllers/nodes.ts';
import { qosClass } from '../controllers/scheduler.ts';
import { NODES, PODS } from '../refs.ts';
import type { Scenario, ScenarioOptions, SimContext } from '../scenario.ts';
import type { KObject } from '../types.ts';

export const DEFAULT_NAMESPACE = 'demo';
export const DEMO_IMAGE = 'ghcr.io/kubeherald/demo-app:1.4.2';
/** `recoverAfter: true` means this many seconds */
export const DEFAULT_RECOVER_AFTER_SECONDS = 300;

export interface SimPodOptions {
  name: string;
  namespace: string;
  image?: string;
  container?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  nodeSelector?: Record<string, string>;
  readinessProbe?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  ports?: { containerPort: number; protocol?: string }[];
  terminationMessagePolicy?: 'File' | 'FallbackToLogsOnError';
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** Five characters in the style of the API server's generated name suffixes, stable per seed. */
export function nameSuffix(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  return Array.from(h.subarray(0, 5), (b) => NAME_CHARS[b % NAME_CHARS.length]).join('');
}

/**
 * A Pod as the API server stores it after `kubectl apply` of a minimal
 * manifest: defaulted spec, the service account token volume and default
 * tolerations added by admission, status Pending.
 */
export function simPod(o: SimPodOptions): KObject {
  const image = o.image ?? DEMO_IMAGE;
  const container = o.container ?? 'app';
  const volume = `kube-api-access-${nameSuffix(`${o.namespace}/${o.name}`)}`;
  const c: Record<string, unknown> = {
    name: container,
    image,
    imagePullPolicy: defaultPullPolicy(image),
  };
  if (o.ports) c.ports = o.ports.map((p) => ({ containerPort: p.containerPort, protocol: p.protocol ?? 'TCP' }));
  if (o.readinessProbe) c.readinessProbe = o.readinessProbe;
  c.resources = o.resources ?? {};
  c.terminationMessagePath = '/dev/termination-log';
  c.terminationMessagePolicy = o.terminationMessagePolicy ?? 'File';
  c.volumeMounts = [{ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: volume, readOnly: true }];
  const metadata: KObject['metadata'] = { name: o.name, namespace: o.namespace };
  if (o.labels) metadata.labels = { ...o.labels };
  if (o.annotations) metadata.annotations = { ...o.annotations };
  const pod: KObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: {
      containers: [c],
      dnsPolicy: 'ClusterFirst',
      enableServiceLinks: true,
      ...(o.nodeSelector ? { nodeSelector: { ...o.nodeSelector } } : {}),
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
      restartPolicy: o.restartPolicy ?? 'Always',
      schedulerName: 'default-scheduler',
      securityContext: {},
      serviceAccount: 'default',
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
      tolerations: [
        { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
        { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
      ],
      volumes: [
        {
          name: volume,
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
              { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
            ],
          },
        },
      ],
    },
  };
  pod.status = { phase: 'Pending', qosClass: qosClass(pod) };
  return pod;
}

export const scenarioNamespace = (opts: ScenarioOptions): string => opts.namespace ?? DEFAULT_NAMESPACE;

/** `base`, or `base-2`, `base-3`… when a scenario runs again while its pod still exists. */
export function freePodName(ctx: SimContext, namespace: string, base: string): string {
  let name = base;
  for (let i = 2; ctx.store.get(PODS.storage, namespace, name); i++) name = `${base}-${i}`;
  return name;
}

/** Creates the pod (and its namespace if missing); returns the stored pod. */
export function createPod(ctx: SimContext, o: SimPodOptions): KObject {
  ensureNamespace(ctx, o.namespace);
  return ctx.store.create(PODS, simPod({ ...o, name: freePodName(ctx, o.namespace, o.name) }));
}

/** Seconds from a number option, or undefined. */
export function secondsOption(opts: ScenarioOptions, key: string): number | undefined {
  const v = opts[key];
  if (v === true) return undefined;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** recoverAfter: a number of seconds, or true for the default 300 s; unset, the pod never recovers. */
function recoverAnnotation(opts: ScenarioOptions): Record<string, string> {
  const v = opts.recoverAfter;
  if (v === true) return { [RECOVER_AFTER_ANNOTATION]: String(DEFAULT_RECOVER_AFTER_SECONDS) };
  const s = secondsOption(opts, 'recoverAfter');
  return s === undefined ? {} : { [RECOVER_AFTER_ANNOTATION]: String(s) };
}

/** Runs `steps` on the virtual clock; the returned function cancels the ones not yet run. */
export function schedule(ctx: SimContext, steps: [number, () => void][]): () => void {
  const timers: TimerHandle[] = steps.map(([ms, fn]) => ctx.clock.setTimeout(fn, ms));
  return () => {
    for (const t of timers) ctx.clock.clearTimeout(t);
  };
}

const image = (opts: ScenarioOptions, fallback = DEMO_IMAGE): string => (typeof opts.image === 'string' ? opts.image : fallback);
const podName = (opts: ScenarioOptions, fallback: string): string => (typeof opts.name === 'string' ? opts.name : fallback);

export const crashloopScenario: Scenario = {
  name: 'crashloop',
  description:
    'A pod whose container exits 1 three seconds after each start: restartCount climbs, BackOff events count up, CrashLoopBackOff with back-off doubling from 10s to 5m; opts.recoverAfter (seconds, or true for 300) makes it recover',
  start(ctx, opts) {
    createPod(ctx, {
      name: podName(opts, 'crashloop'),
      namespace: scenarioNamespace(opts),
      image: image(opts),
      labels: { app: 'crashloop' },
      annotations: {
        [BEHAVIOR_ANNOTATION]: 'crash',
        [CRASH_AFTER_ANNOTATION]: String(secondsOption(opts, 'crashAfter') ?? 3),
        ...recoverAnnotation(opts),
      },
      terminationMessagePolicy: 'FallbackToLogsOnError',
    });
    return () => {};
  },
};

export const oomScenario: Scenario = {
  name: 'oom',
  description:
    'A pod with a 128Mi memory limit whose container is OOMKilled (exit code 137) five seconds after each start, then restarted with back-off; opts.recoverAfter makes it recover',
  start(ctx, opts) {
    createPod(ctx, {
      name: podName(opts, 'oom'),
      namespace: scenarioNamespace(opts),
      image: image(opts),
      labels: { app: 'oom' },
      annotations: {
        [BEHAVIOR_ANNOTATION]: 'oom',
        [CRASH_AFTER_ANNOTATION]: String(secondsOption(opts, 'crashAfter') ?? 5),
        ...recoverAnnotation(opts),
      },
      resources: { limits: { memory: '128Mi' }, requests: { memory: '64Mi' } },
    });
    return () => {};
  },
};

export const BAD_IMAGE = 'willwill/inexisting';

export const badImageScenario: Scenario = {
  name: 'bad-image',
  description: `A pod whose image (${BAD_IMAGE}) does not exist: ErrImagePull, then ImagePullBackOff with back-off doubling from 10s to 5m`,
  start(ctx, opts) {
    createPod(ctx, {
      name: podName(opts, 'bad-image'),
      namespace: scenarioNamespace(opts),
      image: image(opts, BAD_IMAGE),
      labels: { app: 'bad-image' },
    });
    return () => {};
  },
};

export const podNotReadyScenario: Scenario = {
  name: 'pod-notready',
  description:
    'A pod that runs but whose readiness probe fails (Unhealthy events every 10s, Ready=False) for longer than a minute, then passes opts.readyAfter seconds (default 90) after the pod started',
  start(ctx, opts) {
    createPod(ctx, {
      name: podName(opts, 'pod-notready'),
      namespace: scenarioNamespace(opts),
      image: image(opts),
      labels: { app: 'pod-notready' },
      annotations: {
        [BEHAVIOR_ANNOTATION]: 'never-ready',
        [RECOVER_AFTER_ANNOTATION]: String(secondsOption(opts, 'readyAfter') ?? 90),
      },
      ports: [{ containerPort: 8080 }],
      readinessProbe: {
        failureThreshold: 3,
        httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' },
        periodSeconds: 10,
        successThreshold: 1,
        timeoutSeconds: 1,
      },
    });
    return () => {};
  },
};

/** When the evicted scenario's node comes under memory pressure, after its pod started. */
export const EVICT_AFTER_SECONDS = 20;
/** How long the memory pressure lasts. */
export const PRESSURE_SECONDS = 60;

export const evictedScenario: Scenario = {
  name: 'evicted',
  description:
    'A running pod whose node comes under memory pressure (MemoryPressure=True, NodeHasInsufficientMemory) after opts.evictAfter seconds (default 20); the kubelet evicts it (Evicted, phase Failed) and the pressure clears after 60s',
  start(ctx, opts) {
    const ns = scenarioNamespace(opts);
    const pod = createPod(ctx, {
      name: podName(opts, 'evicted'),
      namespace: ns,
      image: image(opts),
      labels: { app: 'evicted' },
      annotations: { [READY_AFTER_ANNOTATION]: '1' },
      resources: { requests: { memory: '64Mi' } },
    });
    const name = pod.metadata.name!;
    const evictAfter = (secondsOption(opts, 'evictAfter') ?? EVICT_AFTER_SECONDS) * 1000;
    let pressured: string | undefined;
    const relieve = (): void => {
      if (pressured && ctx.store.get(NODES.storage, undefined, pressured)) setNodePressure(ctx, pressured, 'memory', false);
      pressured = undefined;
    };
    let cancelRest = (): void => {};
    const cancel = schedule(ctx, [
      [
        evictAfter,
        () => {
          const node = (ctx.store.get(PODS.storage, ns, name)?.spec as { nodeName?: string } | undefined)?.nodeName;
          if (!node) return;
          setNodePressure(ctx, node, 'memory', true);
          pressured = node;
          cancelRest = schedule(ctx, [
            [1000, () => ctx.store.get(PODS.storage, ns, name) && evictPod(ctx, ns, name, 'memory')],
            [PRESSURE_SECONDS * 1000, relieve],
          ]);
        },
      ],
    ]);
    // stopping the scenario early does not leave the node under pressure
    return () => {
      cancel();
      cancelRest();
      relieve();
    };
  },
};

export const podScenarios: Scenario[] = [crashloopScenario, oomScenario, badImageScenario, podNotReadyScenario, evictedScenario];
