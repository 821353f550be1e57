// The demo: every kind of incident kubeherald detects, one after another in
// namespace "demo", within five minutes of cluster time, each caused the way
// a real cluster causes it (the scheduler, kubelet, node lifecycle and
// deployment controllers do the work; the demo only writes what a user or a
// failing machine would). Where an incident can resolve, it does before
// DEMO_DURATION_MS, so a listener's notifications can be checked against
// demoExpectations() exactly.
//
// Timeline (seconds after start; "~" marks times the controllers decide,
// as measured on a fresh 3-node simulator):
//   0    namespace, Deployments web (3 × nginx:1.27) and api (2 × http-echo),
//        Service web, the CronJob-like report pods of the background scenario
//        (Normal events every 30 s), node sim-node-3 tainted
//        dedicated=edge:NoSchedule so only the edge-agent pod (pinned there,
//        tolerating it) runs on it
//   10   pod crashloop exits 1 three seconds after each start: ~21.6 first
//        BackOff warning, ~31.6 CrashLoopBackOff; the instance started ~56.6
//        (40 s or more after the pod) is healthy, Ready ~57.6, no restarts since
//   30   pod oom: ~37 OOMKilled (exit 137), restarted at once ~38 and healthy
//   45   pod batch-huge asks for 64 CPUs: FailedScheduling (again ~67); deleted 75
//   60   pod bad-image (willwill/inexisting): ~62 ErrImagePull and Failed
//        warnings, ~72 ImagePullBackOff; deleted 105, gone ~106
//   70   web updated to nginx:1.28: ~86 rollout complete
//   90   pod slow-start: Ready=False from 90, Unhealthy warnings every 10 s from
//        ~101, NotReady for a minute at ~150, Ready at the first probe 100 s
//        after it started (~191-194: sooner on a node that has its image)
//   100  pod config-reader mounts a Secret that does not exist yet: FailedMount
//        at 101; the Secret is created at 105 (the pod runs regardless: the
//        simulated kubelet does not mount volumes)
//   120  pod memory-hog, pinned to sim-node-2
//   140  sim-node-2 under memory pressure (MemoryPressure=True, NoSchedule taint)
//   141  EvictionThresholdMet on the node, memory-hog Evicted (phase Failed);
//        deleted at 170; the pressure clears at 180
//   150  api updated to an image that cannot be pulled, progressDeadlineSeconds
//        20: ~152 its new pod fails to pull, ~171 ProgressDeadlineExceeded;
//        15 s later (~186) rolled back like `kubectl rollout undo`: complete at
//        once, the failing pod gone ~187
//   210  sim-node-3 stops posting status: NodeNotReady, edge-agent Ready=False
//        with a NodeNotReady warning
//   255  sim-node-3 is back, edge-agent Ready
//   0/20 StatefulSet db (3 × postgres:16.4-alpine), ready ~10 (rollout complete);
//        at 20 (or once its creation has rolled out, if later) updated to an
//        image that cannot be pulled: db-2 is replaced first
//        and fails to pull (~22 ErrImagePull), the OrderedReady rollout stops;
//        ~81 StatefulSetUnavailable, ~202 StatefulSetRolloutStuck; at 240 rolled
//        back like `kubectl rollout undo` and db-2 deleted (the documented forced
//        rollback): stuck resolved at once, db-2 back and ready ~243
//   0/35 CronJob report-failing (every minute): its first two runs exit 1 (one
//        pod each, backoffLimit 0), CronJobFailing at the first; then its
//        template is fixed and the third run (≤ 180) succeeds, resolving it.
//        Job migrate at 35: two pods exit 1 (backoffLimit 1), ~55 JobFailed
//        (BackoffLimitExceeded); deleted at 120, which resolves it
//   0/25 DaemonSet log-agent (fluent-bit, minReadySeconds 5) on sim-node-1 and -2
//        (not the edge node: no toleration for its taint), rolled out ~8; at 25
//        updated to a crashing image: sim-node-1's pod replaced, crash-looping
//        (~45 CrashLoopBackOff), the rollout stops (maxUnavailable 1), ~205
//        DaemonSetRolloutStuck; fixed at 240: stuck resolved, the crashing pod
//        deleted (ends Failed: PodFailed; its crash loop resolved), complete ~262
//   0/40 Deployment worker (1 × 100m cpu) with a HorizontalPodAutoscaler (1–4,
//        50% cpu) at 0 (its first look finds no ready pod: FailedGetResourceMetric
//        warnings, covered); at 50 the simulated cpu load goes to 300%: ~60
//        scaled to 4 and held there (ScalingLimited TooManyReplicas), ~180
//        HPAMaxedOut; at 230 the load drops to 20%: ~240 resolved (the replicas
//        stay 4 for the 5-minute scale-down window, past the demo's end).
//        PersistentVolumeClaim data-pending on StorageClass broken (its
//        provisioner fails: ProvisioningFailed every 15 s, covered) at 40: ~160
//        ClaimPending; at 190 a PersistentVolume made by hand binds it, resolving it
//   300  DEMO_DURATION_MS: everything above has happened and resolved where it
//        resolves; the background keeps producing Normal events
//
// Not-ready stretches are kept under the one-minute PodNotReady threshold for
// every pod but slow-start, so each pod has exactly the incidents listed.

import type { Expectation } from '../../model/demo.ts';
import type { TimerHandle } from '../clock.ts';
import { BEHAVIOR_ANNOTATION, CRASH_AFTER_ANNOTATION, READY_AFTER_ANNOTATION, RECOVER_AFTER_ANNOTATION } from '../behavior.ts';
import type { Deployment } from '../controllers/deployment.ts';
import { deleteObject } from '../controllers/gc.ts';
import { evictPod } from '../controllers/kubelet.ts';
import { ensureNamespace } from '../controllers/namespaces.ts';
import { kubeletRunning, setNodePressure, setNodeReady, type Taint } from '../controllers/nodes.ts';
import { applyCreateDefaults } from '../defaults.ts';
import { DEPLOYMENTS, NODES, PODS, SECRETS, SERVICES } from '../refs.ts';
import type { Scenario, ScenarioOptions, SimContext } from '../scenario.ts';
import type { KObject } from '../types.ts';
import { backgroundScenario } from './background.ts';
import { startBatchDemo } from './batch.ts';
import { BAD_IMAGE, createPod, freePodName, scenarioNamespace, schedule, simPod } from './pods.ts';
import { deploymentObject, FAILED_IMAGE, updateDeployment } from './rollout.ts';
import { startStatefulSetStuck } from './statefulset.ts';
import { DEMO_DAEMONSET_STEPS, demoDaemonSetSteps } from './daemonset.ts';
import { demoAutoscalerSteps } from './hpa.ts';
import { demoClaimSteps } from './volumes.ts';

/** Virtual time after which every step has happened and every incident that resolves has resolved. */
export const DEMO_DURATION_MS = 300_000;

/** The node that goes NotReady; tainted so nothing but the edge agent runs there. */
export const DEMO_EDGE_NODE = 'sim-node-3';
/** The node that comes under memory pressure. */
export const DEMO_PRESSURE_NODE = 'sim-node-2';
export const EDGE_TAINT: Taint = { key: 'dedicated', value: 'edge', effect: 'NoSchedule' };

/** Step times, in seconds after the demo starts. */
export const DEMO_STEPS = {
  crashloop: 10,
  oom: 30,
  unschedulable: 45,
  badImage: 60,
  webUpdate: 70,
  unschedulableDeleted: 75,
  slowStart: 90,
  configReader: 100,
  badImageDeleted: 105,
  secretCreated: 105,
  memoryHog: 120,
  pressure: 140,
  apiUpdate: 150,
  evictedDeleted: 170,
  pressureCleared: 180,
  /** after ProgressDeadlineExceeded */
  rollbackDelay: 15,
  nodeDown: 210,
  nodeUp: 255,
} as const;

const API_PROGRESS_DEADLINE_SECONDS = 20;
const WEB_IMAGE = 'nginx:1.27';
const WEB_IMAGE_NEXT = 'nginx:1.28';
const API_IMAGE = 'hashicorp/http-echo:1.0';

export interface DemoExpectation extends Expectation {
  /** the DEFAULT_DETECTORS entry that raises it */
  detector: string;
}

/**
 * The incidents a correct listener notifies exactly once each while the demo
 * runs, about in the order they first fire, for a listener that watches
 * from before the demo starts with the default detector settings, on a fresh
 * 3-node simulator. The detectors' rules this relies on (src/detect):
 * - a Warning Event notifies once per Event object (repeats bump its count),
 *   except those that repeat what a state incident says (BackOff, Failed,
 *   Unhealthy, Evicted and NodeNotReady on pods, EvictionThresholdMet on
 *   nodes), so only FailedScheduling and FailedMount notify here;
 * - ErrImagePull and ImagePullBackOff of a container are one incident, named
 *   by the first reason seen (ErrImagePull), resolved when the pod is gone;
 * - CrashLoopBackOff and OOMKilled resolve once the container has run (and
 *   for a crash loop, been ready) for a minute; PodNotReady needs a minute of
 *   Running and not Ready;
 * - an eviction is an edge (it never resolves, deleted pod or not);
 * - RolloutCompleted is an edge per Deployment revision, a new Deployment's
 *   first rollout and a rollback's new revision included.
 * Times in the comments are the seconds at which each fires and resolves
 * (as the detectors and IncidentTracker of src/detect, rechecked every second, did).
 */
export function demoExpectations(opts: { namespace?: string } = {}): DemoExpectation[] {
  const namespace = opts.namespace ?? 'demo';
  const pod = (name: string) => ({ kind: 'Pod', namespace, name });
  const apiPods = { kind: 'Pod', namespace, namePrefix: 'api-' };
  const rollout = (name: string, revision: string): DemoExpectation => ({
    reason: 'RolloutCompleted',
    kind: 'Deployment',
    namespace,
    name,
    revision,
    state: 'firing',
    detector: 'rollout',
  });
  return [
    rollout('web', '1'), // ~3.2
    rollout('api', '1'), // ~6.5
    { reason: 'CrashLoopBackOff', ...pod('crashloop'), state: 'resolved', detector: 'crashLoopBackOff' }, // ~31.6 until ~115
    { reason: 'OOMKilled', ...pod('oom'), state: 'resolved', detector: 'oomKilled' }, // ~37 until ~97
    { reason: 'FailedScheduling', ...pod('batch-huge'), state: 'firing', detector: 'warningEvents' }, // 45 (count 2 at ~67)
    { reason: 'ErrImagePull', ...pod('bad-image'), state: 'resolved', detector: 'badWaiting' }, // ~62 until ~106
    rollout('web', '2'), // ~86
    { reason: 'FailedMount', ...pod('config-reader'), state: 'firing', detector: 'warningEvents' }, // 101
    { reason: 'MemoryPressure', kind: 'Node', name: DEMO_PRESSURE_NODE, state: 'resolved', detector: 'nodePressure' }, // 140 until 180
    { reason: 'Evicted', ...pod('memory-hog'), state: 'firing', detector: 'evicted' }, // 141
    { reason: 'PodNotReady', ...pod('slow-start'), state: 'resolved', detector: 'podNotReady' }, // 150 until ~191
    { reason: 'ErrImagePull', ...apiPods, state: 'resolved', detector: 'badWaiting' }, // ~152 until ~187
    { reason: 'ProgressDeadlineExceeded', kind: 'Deployment', namespace, name: 'api', state: 'resolved', detector: 'rollout' }, // ~171 until ~186
    rollout('api', '3'), // ~186, the rollback
    // Jobs and CronJobs (src/sim/scenarios/batch.ts): Job migrate fails at ~55 and is deleted at 120; CronJob
    // report-failing's first two runs (each minute from the first minute boundary) fail, the third succeeds (by ~185);
    // their failed pods and the Job controller's BackoffLimitExceeded events are covered by these incidents
    { reason: 'JobFailed', kind: 'Job', namespace, name: 'migrate', state: 'resolved', detector: 'jobFailed' }, // ~55 until 120
    { reason: 'CronJobFailing', kind: 'CronJob', namespace, name: 'report-failing', state: 'resolved', detector: 'cronJobFailing' }, // first run (≤ 65) until the third (≤ 185)
    { reason: 'NodeNotReady', kind: 'Node', name: DEMO_EDGE_NODE, state: 'resolved', detector: 'nodeNotReady' }, // 210 until 255
    // StatefulSet db (src/sim/scenarios/statefulset.ts): created at 0, updated to a bad image at 20, rolled back at 240
    // ~10 on creation; where the creation has not finished by the update at 20 (a clock run fast on a loaded
    // machine), the rollback's completion (~243) instead: keyed by the update revision, which the rollback
    // returns to, it is told once either way
    { reason: 'StatefulSetRolloutCompleted', kind: 'StatefulSet', namespace, name: 'db', state: 'firing', detector: 'statefulSetRollout' },
    { reason: 'ErrImagePull', ...pod('db-2'), state: 'resolved', detector: 'badWaiting' }, // ~22 until ~241
    { reason: 'StatefulSetUnavailable', kind: 'StatefulSet', namespace, name: 'db', state: 'resolved', detector: 'statefulSetRollout' }, // ~81 until ~243
    { reason: 'StatefulSetRolloutStuck', kind: 'StatefulSet', namespace, name: 'db', state: 'resolved', detector: 'statefulSetRollout' }, // ~202 until 240
    // DaemonSet log-agent (src/sim/scenarios/daemonset.ts): created at 0, broken at 25, fixed at 240
    { reason: 'DaemonSetRolloutCompleted', kind: 'DaemonSet', namespace, name: 'log-agent', generation: '1', state: 'firing', detector: 'daemonSetRollout' }, // ~8
    { reason: 'CrashLoopBackOff', kind: 'Pod', namespace, namePrefix: 'log-agent-', state: 'resolved', detector: 'crashLoopBackOff' }, // ~45 until 240
    { reason: 'DaemonSetRolloutStuck', kind: 'DaemonSet', namespace, name: 'log-agent', state: 'resolved', detector: 'daemonSetRollout' }, // ~206 until 240
    { reason: 'PodFailed', kind: 'Pod', namespace, namePrefix: 'log-agent-', state: 'firing', detector: 'podFailed' }, // 240, the crashing pod deleted
    { reason: 'DaemonSetRolloutCompleted', kind: 'DaemonSet', namespace, name: 'log-agent', generation: '3', state: 'firing', detector: 'daemonSetRollout' }, // ~262
    // Autoscaling and storage (src/sim/scenarios/hpa.ts, volumes.ts): worker created at 0, loaded from 50, calm at 230;
    // data-pending created at 40 on a failing class, bound to a hand-made volume at 190; the autoscaler's metric
    // warnings and the provisioner's ProvisioningFailed events are covered by these incidents
    rollout('worker', '1'), // ~3
    { reason: 'HPAMaxedOut', kind: 'HorizontalPodAutoscaler', namespace, name: 'worker', state: 'resolved', detector: 'hpa' }, // ~180 until ~240
    { reason: 'ClaimPending', kind: 'PersistentVolumeClaim', namespace, name: 'data-pending', state: 'resolved', detector: 'pvcPending' }, // ~160 until 190
  ];
}

// ---------------------------------------------------------------- objects

function service(namespace: string, name: string, port: number): KObject {
  const svc: KObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { app: name } },
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: port }] },
  };
  applyCreateDefaults(SERVICES.storage, svc);
  return svc;
}

function secret(namespace: string, name: string): KObject {
  const obj: KObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    data: { 'access-key': Buffer.from('AKIAIOSFODNN7EXAMPLE').toString('base64') },
  };
  applyCreateDefaults(SECRETS.storage, obj);
  return obj;
}

/** A pod mounting a Secret volume, as `kubectl apply` leaves it. */
function podWithSecret(ctx: SimContext, namespace: string, name: string, secretName: string): KObject {
  const pod = simPod({ name: freePodName(ctx, namespace, name), namespace, labels: { app: name } }) as { spec: Record<string, any> } & KObject;
  pod.spec.volumes.unshift({ name: 'credentials', secret: { defaultMode: 420, secretName } });
  pod.spec.containers[0].volumeMounts.unshift({ mountPath: '/etc/credentials', name: 'credentials', readOnly: true });
  return ctx.store.create(PODS, pod);
}

/** A pod pinned to the edge node, tolerating its taint. */
function createEdgeAgent(ctx: SimContext, namespace: string): KObject {
  ensureNamespace(ctx, namespace);
  const pod = simPod({
    name: freePodName(ctx, namespace, 'edge-agent'),
    namespace,
    labels: { app: 'edge-agent' },
    annotations: { [READY_AFTER_ANNOTATION]: '1' },
    nodeSelector: { 'kubernetes.io/hostname': DEMO_EDGE_NODE },
  }) as { spec: { tolerations: Record<string, unknown>[] } } & KObject;
  pod.spec.tolerations.unshift({ effect: EDGE_TAINT.effect, key: EDGE_TAINT.key, operator: 'Equal', value: EDGE_TAINT.value });
  return ctx.store.create(PODS, pod);
}

function taintNode(ctx: SimContext, node: string, taint: Taint): void {
  ctx.store.mutate(NODES, undefined, node, (n) => {
    const spec = (n.spec ??= {}) as { taints?: Taint[] };
    if ((spec.taints ?? []).some((t) => t.key === taint.key && t.effect === taint.effect)) return false;
    spec.taints = [...(spec.taints ?? []), { ...taint }];
  });
}

const podNode = (ctx: SimContext, ns: string, name: string): string | undefined =>
  (ctx.store.get(PODS.storage, ns, name)?.spec as { nodeName?: string } | undefined)?.nodeName;

const setImage = (image: string) => (spec: Deployment['spec']): void => {
  const containers = spec.template?.spec?.containers as Record<string, unknown>[] | undefined;
  if (containers?.[0]) containers[0].image = image;
};

function requireNode(ctx: SimContext, name: string): void {
  if (!kubeletRunning(ctx.store.get(NODES.storage, undefined, name))) {
    throw new Error(`the demo needs node "${name}" with a running kubelet (start the simulator with at least 3 nodes)`);
  }
}

// ---------------------------------------------------------------- the scenario

export const demoScenario: Scenario = {
  name: 'demo',
  description:
    'Every incident kind kubeherald detects, one after another in five minutes: crash loop, OOM kill, bad image, pod NotReady, eviction under memory pressure, node NotReady, a successful and a failed rollout (rolled back), Warning events and Normal background events; all that can resolve does',
  start(ctx: SimContext, opts: ScenarioOptions): () => void {
    const ns = scenarioNamespace(opts);
    requireNode(ctx, DEMO_EDGE_NODE);
    requireNode(ctx, DEMO_PRESSURE_NODE);
    ensureNamespace(ctx, ns);
    taintNode(ctx, DEMO_EDGE_NODE, EDGE_TAINT);
    const names: Record<string, string> = {};
    const cleanups: (() => void)[] = [];
    const S = DEMO_STEPS;
    const s = (seconds: number): number => seconds * 1000;

    // --- 0 s: the healthy workloads
    if (!ctx.store.get(DEPLOYMENTS.storage, ns, 'web')) {
      ctx.store.create(DEPLOYMENTS, deploymentObject(ns, { name: 'web', replicas: 3, container: { name: 'nginx', image: WEB_IMAGE, ports: [{ containerPort: 80 }] } }));
    }
    if (!ctx.store.get(SERVICES.storage, ns, 'web')) ctx.store.create(SERVICES, service(ns, 'web', 80));
    if (!ctx.store.get(DEPLOYMENTS.storage, ns, 'api')) {
      ctx.store.create(
        DEPLOYMENTS,
        deploymentObject(ns, {
          name: 'api',
          replicas: 2,
          container: { name: 'api', image: API_IMAGE, args: ['-listen=:8080', '-text=ok'], ports: [{ containerPort: 8080 }] },
        }),
      );
    }
    names.edge = createEdgeAgent(ctx, ns).metadata.name!;
    cleanups.push(backgroundScenario.start(ctx, { namespace: ns }));
    cleanups.push(startBatchDemo(ctx, ns));
    cleanups.push(startStatefulSetStuck(ctx, ns));
    cleanups.push(demoDaemonSetSteps(ctx, ns, DEMO_DAEMONSET_STEPS.breakAt, DEMO_DAEMONSET_STEPS.fixAt));
    cleanups.push(demoAutoscalerSteps(ctx, ns));
    cleanups.push(demoClaimSteps(ctx, ns));

    let rollbackTimer: TimerHandle | undefined;
    const timers: TimerHandle[] = [];
    let unwatchApi = (): void => {};
    let pressured = false;
    let nodeDown = false;
    const relievePressure = (): void => {
      if (pressured && ctx.store.get(NODES.storage, undefined, DEMO_PRESSURE_NODE)) setNodePressure(ctx, DEMO_PRESSURE_NODE, 'memory', false);
      pressured = false;
    };
    const bringNodeBack = (): void => {
      if (nodeDown && ctx.store.get(NODES.storage, undefined, DEMO_EDGE_NODE)) setNodeReady(ctx, DEMO_EDGE_NODE, true);
      nodeDown = false;
    };

    cleanups.push(
      schedule(ctx, [
        [
          s(S.crashloop),
          () => {
            names.crashloop = createPod(ctx, {
              name: 'crashloop',
              namespace: ns,
              labels: { app: 'crashloop' },
              annotations: { [BEHAVIOR_ANNOTATION]: 'crash', [CRASH_AFTER_ANNOTATION]: '3', [RECOVER_AFTER_ANNOTATION]: '40' },
              terminationMessagePolicy: 'FallbackToLogsOnError',
            }).metadata.name!;
          },
        ],
        [
          s(S.oom),
          () => {
            // the restart right after the first kill comes 6 s or more after the pod started: healthy from then on
            names.oom = createPod(ctx, {
              name: 'oom',
              namespace: ns,
              labels: { app: 'oom' },
              annotations: { [BEHAVIOR_ANNOTATION]: 'oom', [CRASH_AFTER_ANNOTATION]: '5', [RECOVER_AFTER_ANNOTATION]: '6' },
              resources: { limits: { memory: '128Mi' }, requests: { memory: '64Mi' } },
            }).metadata.name!;
          },
        ],
        [
          s(S.unschedulable),
          () => {
            names.huge = createPod(ctx, {
              name: 'batch-huge',
              namespace: ns,
              labels: { app: 'batch-huge' },
              resources: { requests: { cpu: '64', memory: '1Gi' } },
            }).metadata.name!;
          },
        ],
        [s(S.unschedulableDeleted), () => names.huge && deleteObject(ctx, PODS, ns, names.huge)],
        [
          s(S.badImage),
          () => {
            names.badImage = createPod(ctx, { name: 'bad-image', namespace: ns, image: BAD_IMAGE, labels: { app: 'bad-image' } }).metadata.name!;
          },
        ],
        [s(S.badImageDeleted), () => names.badImage && deleteObject(ctx, PODS, ns, names.badImage)],
        [s(S.webUpdate), () => updateDeployment(ctx, ns, 'web', setImage(WEB_IMAGE_NEXT))],
        [
          s(S.slowStart),
          () => {
            names.slow = createPod(ctx, {
              name: 'slow-start',
              namespace: ns,
              labels: { app: 'slow-start' },
              annotations: { [BEHAVIOR_ANNOTATION]: 'never-ready', [RECOVER_AFTER_ANNOTATION]: '100' },
              ports: [{ containerPort: 8080 }],
              readinessProbe: { failureThreshold: 3, httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, periodSeconds: 10, successThreshold: 1, timeoutSeconds: 1 },
            }).metadata.name!;
          },
        ],
        [
          s(S.configReader),
          () => {
            names.config = podWithSecret(ctx, ns, 'config-reader', 's3-credentials').metadata.name!;
          },
        ],
        [
          // once the scheduler has bound it, the kubelet finds the Secret missing
          s(S.configReader + 1),
          function failMount(attempt = 0): void {
            const pod = names.config ? ctx.store.get(PODS.storage, ns, names.config) : undefined;
            const node = names.config ? podNode(ctx, ns, names.config) : undefined;
            if (!pod) return;
            if (!node) {
              // not bound yet (a busy clock at high speed): the kubelet gets to it once it is
              if (attempt < 30) timers.push(ctx.clock.setTimeout(() => failMount(attempt + 1), 1000));
              return;
            }
            ctx.recorder.record({
              object: pod,
              type: 'Warning',
              reason: 'FailedMount',
              message: 'MountVolume.SetUp failed for volume "credentials" : secret "s3-credentials" not found',
              source: { component: 'kubelet', host: node },
            });
          },
        ],
        [s(S.secretCreated), () => !ctx.store.get(SECRETS.storage, ns, 's3-credentials') && ctx.store.create(SECRETS, secret(ns, 's3-credentials'))],
        [
          s(S.memoryHog),
          () => {
            names.hog = createPod(ctx, {
              name: 'memory-hog',
              namespace: ns,
              labels: { app: 'memory-hog' },
              annotations: { [READY_AFTER_ANNOTATION]: '1' },
              resources: { requests: { memory: '64Mi' } },
              nodeSelector: { 'kubernetes.io/hostname': DEMO_PRESSURE_NODE },
            }).metadata.name!;
          },
        ],
        [
          s(S.pressure),
          () => {
            pressured = setNodePressure(ctx, DEMO_PRESSURE_NODE, 'memory', true) || pressured;
          },
        ],
        [s(S.pressure + 1), () => names.hog && ctx.store.get(PODS.storage, ns, names.hog) && evictPod(ctx, ns, names.hog, 'memory')],
        [
          s(S.apiUpdate),
          () => {
            updateDeployment(ctx, ns, 'api', (spec) => {
              setImage(FAILED_IMAGE)(spec);
              spec.progressDeadlineSeconds = API_PROGRESS_DEADLINE_SECONDS;
            });
            unwatchApi = onProgressDeadlineExceeded(ctx, ns, 'api', () => {
              rollbackTimer = ctx.clock.setTimeout(() => {
                rollbackTimer = undefined;
                // what `kubectl rollout undo` writes: the previous template back
                updateDeployment(ctx, ns, 'api', setImage(API_IMAGE));
              }, s(S.rollbackDelay));
            });
          },
        ],
        [s(S.evictedDeleted), () => names.hog && deleteObject(ctx, PODS, ns, names.hog)],
        [s(S.pressureCleared), relievePressure],
        [
          s(S.nodeDown),
          () => {
            setNodeReady(ctx, DEMO_EDGE_NODE, false);
            nodeDown = true;
          },
        ],
        [s(S.nodeUp), bringNodeBack],
      ]),
    );

    // stopping early leaves no node down or under pressure
    return () => {
      for (const c of cleanups) c();
      unwatchApi();
      ctx.clock.clearTimeout(rollbackTimer);
      for (const t of timers) ctx.clock.clearTimeout(t);
      relievePressure();
      bringNodeBack();
    };
  },
};

/** Calls fn once, when the Deployment's Progressing condition turns ProgressDeadlineExceeded; returns a cancel function. */
function onProgressDeadlineExceeded(ctx: SimContext, namespace: string, name: string, fn: () => void): () => void {
  let done = false;
  const unsubscribe = ctx.store.subscribe((c) => {
    if (done || c.storage !== DEPLOYMENTS.storage || c.object.metadata.namespace !== namespace || c.object.metadata.name !== name) return;
    const conditions = ((c.object as Deployment).status?.conditions ?? []) as { type: string; reason?: string }[];
    if (!conditions.some((x) => x.type === 'Progressing' && x.reason === 'ProgressDeadlineExceeded')) return;
    done = true;
    unsubscribe();
    fn();
  });
  return () => {
    done = true;
    unsubscribe();
  };
}
