// The demo scenario on a stopped clock: the object states it goes through,
// in order and on time, the incidents a naive reference detector derives from
// them (which must be exactly demoExpectations()), and a cluster where
// everything that recovers has recovered at DEMO_DURATION_MS.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimClock } from '../../src/sim/clock.ts';
import { startControllers } from '../../src/sim/controllers/index.ts';
import { EventRecorder } from '../../src/sim/events.ts';
import { LogStore } from '../../src/sim/logs.ts';
import { DEPLOYMENTS, ENDPOINTSLICES, NODES, PODS, SECRETS } from '../../src/sim/refs.ts';
import type { SimContext } from '../../src/sim/scenario.ts';
import { DEMO_DURATION_MS, DEMO_EDGE_NODE, DEMO_PRESSURE_NODE, demoExpectations, demoScenario, type DemoExpectation } from '../../src/sim/scenarios/demo.ts';
import { scenarios } from '../../src/sim/scenarios/index.ts';
import { rolloutComplete } from '../../src/sim/scenarios/rollout.ts';
import { DAEMONSET_CRASHING_IMAGE } from '../../src/sim/scenarios/daemonset.ts';
import { FAILED_IMAGE } from '../../src/sim/scenarios/rollout.ts';
import type { Change } from '../../src/sim/store.ts';
import { ObjectStore } from '../../src/sim/store.ts';
import type { KObject } from '../../src/sim/types.ts';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString().replace('.000Z', 'Z');

interface Seen {
  t: number;
  c: Change;
}

/** Runs the demo on a fresh 3-node cluster up to DEMO_DURATION_MS (once: the tests share the run). */
async function runDemo() {
  const clock = new SimClock({ speed: 0, start: new Date(T0) });
  const store = new ObjectStore({ clock });
  const ctx: SimContext = { store, clock, logs: new LogStore(), recorder: new EventRecorder(store) };
  const controllers = startControllers(ctx, { nodes: 3 });
  const seen: Seen[] = [];
  store.subscribe((c) => seen.push({ t: Math.round((clock.nowMs() - T0) / 10) / 100, c }));
  const stop = demoScenario.start(ctx, {});
  await clock.advance(DEMO_DURATION_MS);
  return {
    ctx,
    store,
    seen,
    close() {
      stop();
      controllers.stop();
      clock.close();
    },
  };
}
let run: ReturnType<typeof runDemo> | undefined;
const demo = () => (run ??= runDemo());

type Any = Record<string, any>;
const readyOf = (o: Any): string | undefined => (o.status as Any | undefined)?.conditions?.find((c: Any) => c.type === 'Ready')?.status;
const containerStatus = (o: Any): Any | undefined => (o.status as Any | undefined)?.containerStatuses?.[0];
const nodeCondition = (o: Any, type: string): string | undefined => (o.status as Any).conditions.find((c: Any) => c.type === type)?.status;
const progressing = (o: Any): string | undefined => (o.status as Any | undefined)?.conditions?.find((c: Any) => c.type === 'Progressing')?.reason;

/** The first time each milestone held, in the order they happened. */
function milestones(seen: Seen[]): [number, string][] {
  const marks: Record<string, (c: Change) => boolean> = {
    'crashloop CrashLoopBackOff': (c) => c.storage === 'pods' && c.object.metadata.name === 'crashloop' && containerStatus(c.object)?.state.waiting?.reason === 'CrashLoopBackOff',
    'crashloop healthy (restart 3 Ready)': (c) => c.storage === 'pods' && c.object.metadata.name === 'crashloop' && containerStatus(c.object)?.restartCount === 3 && readyOf(c.object) === 'True',
    'oom OOMKilled': (c) => c.storage === 'pods' && c.object.metadata.name === 'oom' && containerStatus(c.object)?.state.terminated?.reason === 'OOMKilled',
    'oom healthy (restart 1 Ready)': (c) => c.storage === 'pods' && c.object.metadata.name === 'oom' && containerStatus(c.object)?.restartCount === 1 && readyOf(c.object) === 'True',
    'batch-huge Unschedulable': (c) => c.storage === 'pods' && c.object.metadata.name === 'batch-huge' && (c.object.status as Any)?.conditions?.some((x: Any) => x.reason === 'Unschedulable'),
    'batch-huge deleted': (c) => c.type === 'DELETED' && c.storage === 'pods' && c.object.metadata.name === 'batch-huge',
    'bad-image ErrImagePull': (c) => c.storage === 'pods' && c.object.metadata.name === 'bad-image' && containerStatus(c.object)?.state.waiting?.reason === 'ErrImagePull',
    'bad-image ImagePullBackOff': (c) => c.storage === 'pods' && c.object.metadata.name === 'bad-image' && containerStatus(c.object)?.state.waiting?.reason === 'ImagePullBackOff',
    'bad-image deleted': (c) => c.type === 'DELETED' && c.storage === 'pods' && c.object.metadata.name === 'bad-image',
    'web updated': (c) => c.storage === 'apps/deployments' && c.object.metadata.name === 'web' && c.object.metadata.generation === 2,
    'web rolled out': (c) => c.storage === 'apps/deployments' && c.object.metadata.name === 'web' && c.object.metadata.generation === 2 && rolloutComplete(c.object),
    'slow-start Ready': (c) => c.storage === 'pods' && c.object.metadata.name === 'slow-start' && readyOf(c.object) === 'True',
    'config-reader FailedMount': (c) => c.storage === 'events' && (c.object as Any).reason === 'FailedMount',
    's3-credentials created': (c) => c.storage === 'secrets' && c.object.metadata.name === 's3-credentials',
    'sim-node-2 MemoryPressure': (c) => c.storage === 'nodes' && c.object.metadata.name === DEMO_PRESSURE_NODE && nodeCondition(c.object, 'MemoryPressure') === 'True',
    'memory-hog Evicted': (c) => c.storage === 'pods' && c.object.metadata.name === 'memory-hog' && (c.object.status as Any)?.reason === 'Evicted',
    'api updated': (c) => c.storage === 'apps/deployments' && c.object.metadata.name === 'api' && c.object.metadata.generation === 2,
    'memory-hog deleted': (c) => c.type === 'DELETED' && c.storage === 'pods' && c.object.metadata.name === 'memory-hog',
    'api ProgressDeadlineExceeded': (c) => c.storage === 'apps/deployments' && c.object.metadata.name === 'api' && progressing(c.object) === 'ProgressDeadlineExceeded',
    'sim-node-2 pressure cleared': (c) =>
      c.storage === 'nodes' && c.object.metadata.name === DEMO_PRESSURE_NODE && nodeCondition(c.object, 'MemoryPressure') === 'False' && nodeCondition(c.prev!, 'MemoryPressure') === 'True',
    'api rolled back': (c) => c.storage === 'apps/deployments' && c.object.metadata.name === 'api' && c.object.metadata.generation === 3 && rolloutComplete(c.object),
    'sim-node-3 NotReady': (c) => c.storage === 'nodes' && c.object.metadata.name === DEMO_EDGE_NODE && nodeCondition(c.object, 'Ready') === 'Unknown',
    'edge-agent NotReady': (c) => c.storage === 'pods' && c.type !== 'DELETED' && c.object.metadata.name === 'edge-agent' && readyOf(c.object) === 'False' && readyOf(c.prev!) === 'True',
    'sim-node-3 Ready': (c) => c.storage === 'nodes' && c.object.metadata.name === DEMO_EDGE_NODE && nodeCondition(c.object, 'Ready') === 'True' && nodeCondition(c.prev!, 'Ready') === 'Unknown',
    'edge-agent Ready again': (c) => c.storage === 'pods' && c.type !== 'DELETED' && c.object.metadata.name === 'edge-agent' && readyOf(c.object) === 'True' && readyOf(c.prev!) === 'False',
  };
  const out: [number, string][] = [];
  const done = new Set<string>();
  for (const { t, c } of seen) {
    for (const [name, pred] of Object.entries(marks)) {
      if (done.has(name) || !pred(c)) continue;
      // the edge agent's first Ready is its start, not its recovery
      if (name === 'edge-agent Ready again' && !done.has('edge-agent NotReady')) continue;
      done.add(name);
      out.push([t, name]);
    }
  }
  return out;
}

test('the demo is registered and its duration fits in six minutes', () => {
  assert.equal(scenarios.get('demo'), demoScenario);
  assert.ok(DEMO_DURATION_MS <= 6 * 60_000);
});

test('demo: the cluster goes through each incident in order, on time', async () => {
  const d = await demo();
  // slow-start's Ready moves with where it is placed (a node that has pulled its image starts it sooner): checked from its own start below
  const marks = milestones(d.seen);
  assert.deepEqual(marks.filter(([, name]) => name !== 'slow-start Ready'), [
    [31.61, 'crashloop CrashLoopBackOff'],
    [37, 'oom OOMKilled'],
    [39, 'oom healthy (restart 1 Ready)'],
    [45, 'batch-huge Unschedulable'],
    [57.61, 'crashloop healthy (restart 3 Ready)'],
    [62, 'bad-image ErrImagePull'],
    [70, 'web updated'],
    [72, 'bad-image ImagePullBackOff'],
    [75, 'batch-huge deleted'],
    [85.91, 'web rolled out'],
    [101, 'config-reader FailedMount'],
    [105, 's3-credentials created'],
    [106, 'bad-image deleted'],
    [140, 'sim-node-2 MemoryPressure'],
    [141, 'memory-hog Evicted'],
    [150, 'api updated'],
    [170, 'memory-hog deleted'],
    [171, 'api ProgressDeadlineExceeded'],
    [180, 'sim-node-2 pressure cleared'],
    [186, 'api rolled back'],
    [210, 'sim-node-3 NotReady'],
    [210, 'edge-agent NotReady'],
    [255, 'sim-node-3 Ready'],
    [255, 'edge-agent Ready again'],
  ]);
  // Ready at the first readiness probe (every periodSeconds, 10) once 100 s (recover-after) have passed since the pod started
  const ready = marks.find(([, name]) => name === 'slow-start Ready')?.[0];
  const startTime = d.seen.map(({ c }) => c).find((c) => c.storage === 'pods' && c.object.metadata.name === 'slow-start' && (c.object.status as Any | undefined)?.startTime)?.object.status as Any | undefined;
  assert.ok(ready !== undefined && startTime, 'slow-start started and turned Ready');
  // status.startTime has whole seconds: the pod started within the second after it
  const started = (Date.parse(startTime.startTime) - T0) / 1000;
  assert.ok(ready >= started + 100 && ready <= started + 1 + 100 + 10, `slow-start Ready at ${ready}, started at ${started}: the first probe 100 s after its start`);
  assert.ok(ready > 150, 'slow-start is still not Ready when its NotReady minute is up (~150): its PodNotReady incident fires');
});

/** Which expectation an object (kind, namespace, name) belongs to. */
const matches = (e: DemoExpectation, kind: string, ns: string | undefined, name: string): boolean =>
  e.kind === kind && (e.namespace === undefined || e.namespace === ns) && (e.name !== undefined ? e.name === name : name.startsWith(e.namePrefix!));

const describeExp = (e: DemoExpectation): string =>
  `${e.detector} ${e.reason} ${e.kind}/${e.name ?? e.namePrefix + '*'}${e.revision ? ' revision ' + e.revision : ''}${e.generation ? ' generation ' + e.generation : ''} ${e.state}`;

/** Warning events that repeat a state incident, by reason and involved kind (as src/detect/event.ts has it). */
const COVERED = new Set(['BackOff/Pod', 'Failed/Pod', 'ErrImagePull/Pod', 'ImagePullBackOff/Pod', 'Evicted/Pod', 'Unhealthy/Pod', 'NodeNotReady/Pod', 'NodeNotReady/Node', 'EvictionThresholdMet/Node', 'BackoffLimitExceeded/Job', 'DeadlineExceeded/Job', 'PodFailurePolicy/Job',
  'ProvisioningFailed/PersistentVolumeClaim', 'VolumeResizeFailed/PersistentVolumeClaim',
  ...['FailedGetScale', 'FailedRescale', 'FailedComputeMetricsReplicas', 'FailedGetResourceMetric'].map((r) => `${r}/HorizontalPodAutoscaler`)]);
const MINUTE = 60;
const started = (cs: Any | undefined): number | undefined => (cs?.state.running ? (Date.parse(cs.state.running.startedAt) - T0) / 1000 : undefined);

interface Incident {
  kind: string;
  ns?: string;
  name: string;
  reason: string;
  detector: string;
  revision?: string;
  generation?: string;
  holding: boolean;
}

/**
 * A small reference detector written from the detectors' documented rules,
 * fed every stored version in order and, at the end, the final objects at
 * the end time (which is when time-based resolutions show).
 */
function referenceIncidents(seen: Seen[], finals: { t: number; objects: { storage: string; object: KObject }[] }): Incident[] {
  const incidents = new Map<string, Incident>();
  const set = (key: string, o: KObject, reason: string, detector: string, on: boolean, extra: Partial<Incident> = {}): void => {
    const cur = incidents.get(key);
    if (on && !cur) incidents.set(key, { kind: o.kind ?? (o as Any).involvedObject?.kind, ns: o.metadata.namespace, name: o.metadata.name!, reason, detector, holding: true, ...extra });
    else if (cur && !cur.holding) return;
    else if (cur) cur.holding = on;
  };
  /** pod uid → the Ready=False stretch of a Running pod */
  const notReady = new Map<string, { since?: number; longest: number; pod: KObject }>();
  const prevDeployment = new Map<string, KObject>();
  /** DaemonSet uid → its rollout counts (empty when complete) and since when they have not moved */
  const daemonSets = new Map<string, { key: string; since: number; complete: boolean }>();
  /** StatefulSet uid → its rollout progress (empty when none), since when it has not moved, since when pods are missing */
  const statefulSets = new Map<string, { key: string; since: number; done: boolean; unready?: number }>();
  /** claim or autoscaler uid → since when its condition has held (level incidents with a 120 s minimum) */
  const held = new Map<string, number>();
  /** fires once `on` has held 120 s by time t; resolves when it stops */
  const heldFor = (key: string, o: KObject, reason: string, detector: string, t: number, on: boolean, since: number): void => {
    const from = held.get(key);
    if (from !== undefined && t - from >= 120) set(key, o, reason, detector, true);
    if (on) held.set(key, from ?? since);
    else {
      held.delete(key);
      set(key, o, reason, detector, false);
    }
  };
  const visit = (t: number, storage: string, o: KObject, gone: boolean): void => {
    const uid = o.metadata.uid!;
    if (storage === 'pods') {
      const cs = containerStatus(o);
      const waiting = cs?.state.waiting?.reason;
      const phase = (o.status as Any)?.phase;
      const terminal = phase === 'Succeeded' || phase === 'Failed';
      const runningFor = started(cs) === undefined ? -1 : t - started(cs)!;
      const stable = runningFor >= MINUTE && cs?.ready === true;
      const crash = incidents.get(`CrashLoopBackOff/${uid}`);
      set(`CrashLoopBackOff/${uid}`, o, 'CrashLoopBackOff', 'crashLoopBackOff', !gone && (waiting === 'CrashLoopBackOff' || (!!crash && !terminal && !stable)));
      const pull = waiting === 'ErrImagePull' || waiting === 'ImagePullBackOff';
      set(`ImagePull/${uid}`, o, waiting ?? '', 'badWaiting', !gone && (pull || (!!incidents.get(`ImagePull/${uid}`) && !!waiting && !cs?.state.running)));
      const oom = cs?.state.terminated?.reason === 'OOMKilled' || (!terminal && cs?.lastState.terminated?.reason === 'OOMKilled' && runningFor < MINUTE);
      set(`OOMKilled/${uid}`, o, 'OOMKilled', 'oomKilled', !gone && oom);
      if (!gone && phase === 'Failed' && (o.status as Any).reason === 'Evicted') set(`Evicted/${uid}`, o, 'Evicted', 'evicted', true), (incidents.get(`Evicted/${uid}`)!.holding = false);
      // a failed pod that is neither evicted nor a Job's attempt (those the Job's incidents report)
      const jobPod = o.metadata.ownerReferences?.some((r) => r.controller && r.kind === 'Job');
      if (!gone && phase === 'Failed' && (o.status as Any).reason !== 'Evicted' && !jobPod) set(`PodFailed/${uid}`, o, 'PodFailed', 'podFailed', true), (incidents.get(`PodFailed/${uid}`)!.holding = false);
      const nr = notReady.get(uid) ?? { longest: 0, pod: o };
      notReady.set(uid, nr);
      const ready = (o.status as Any)?.conditions?.find((c: Any) => c.type === 'Ready');
      const isNotReady = !gone && phase === 'Running' && !o.metadata.deletionTimestamp && !!ready && ready.status !== 'True';
      if (isNotReady && nr.since === undefined) nr.since = (Date.parse(ready.lastTransitionTime) - T0) / 1000;
      if (nr.since !== undefined) nr.longest = Math.max(nr.longest, t - nr.since);
      if (!isNotReady) nr.since = undefined;
    } else if (storage === 'nodes') {
      set(`NodeNotReady/${uid}`, o, 'NodeNotReady', 'nodeNotReady', nodeCondition(o, 'Ready') !== 'True');
      set(`MemoryPressure/${uid}`, o, 'MemoryPressure', 'nodePressure', nodeCondition(o, 'MemoryPressure') === 'True');
    } else if (storage === 'apps/deployments' && !gone) {
      set(`PDE/${uid}`, o, 'ProgressDeadlineExceeded', 'rollout', progressing(o) === 'ProgressDeadlineExceeded');
      const old = prevDeployment.get(uid);
      prevDeployment.set(uid, o);
      const revision = o.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '';
      const finished = !!old && rolloutComplete(o) && (old.metadata.annotations?.['deployment.kubernetes.io/revision'] !== revision || !rolloutComplete(old));
      if (finished) set(`Rollout/${uid}/${revision}`, o, 'RolloutCompleted', 'rollout', true, { revision }), (incidents.get(`Rollout/${uid}/${revision}`)!.holding = false);
    } else if (storage === 'apps/daemonsets' && !gone) {
      // complete as `kubectl rollout status` says; completed once per generation on the transition; stuck once
      // the counts of a rollout have not moved for 180 s (resolved when they move); DaemonSetUnavailable does
      // not happen here (one node short is what maxUnavailable allows)
      const st = (o.status ?? {}) as Any;
      const gen = o.metadata.generation ?? 1;
      const desired = st.desiredNumberScheduled ?? 0;
      const complete = (st.observedGeneration ?? 0) >= gen && (st.updatedNumberScheduled ?? 0) >= desired && (st.numberAvailable ?? 0) >= desired;
      const key = complete ? '' : `${gen}/${desired}/${st.updatedNumberScheduled ?? 0}/${st.numberAvailable ?? 0}`;
      const prev = daemonSets.get(uid);
      if (prev?.key && t - prev.since >= 180) set(`DSStuck/${uid}/${prev.key}`, o, 'DaemonSetRolloutStuck', 'daemonSetRollout', true);
      if (prev?.key && prev.key !== key) set(`DSStuck/${uid}/${prev.key}`, o, 'DaemonSetRolloutStuck', 'daemonSetRollout', false);
      if (prev && !prev.complete && complete) {
        set(`DSDone/${uid}/${gen}`, o, 'DaemonSetRolloutCompleted', 'daemonSetRollout', true, { generation: String(gen) });
        incidents.get(`DSDone/${uid}/${gen}`)!.holding = false;
      }
      daemonSets.set(uid, { key, since: prev && prev.key === key ? prev.since : t, complete });
    } else if (storage === 'apps/statefulsets' && !gone) {
      // done as `kubectl rollout status` says; completed once per update revision on the transition; stuck once a
      // rollout's update revision, updated and ready counts have not moved for 180 s (resolved when they move);
      // unavailable once fewer pods than replicas have been ready for 60 s
      const st = (o.status ?? {}) as Any;
      const want = (o.spec as Any).replicas ?? 1;
      const partition = (o.spec as Any).updateStrategy?.rollingUpdate?.partition ?? 0;
      const done = (st.observedGeneration ?? 0) >= (o.metadata.generation ?? 1) && (st.readyReplicas ?? 0) >= want && (st.updatedReplicas ?? 0) >= want - partition;
      const rolling = !done && ((st.updatedReplicas ?? 0) < want - partition || (partition === 0 && st.currentRevision !== st.updateRevision));
      const key = rolling ? `${st.updateRevision}/${st.updatedReplicas ?? 0}/${st.readyReplicas ?? 0}` : '';
      const prev = statefulSets.get(uid);
      if (prev?.key && t - prev.since >= 180) set(`STSStuck/${uid}/${prev.key}`, o, 'StatefulSetRolloutStuck', 'statefulSetRollout', true);
      if (prev?.key && prev.key !== key) set(`STSStuck/${uid}/${prev.key}`, o, 'StatefulSetRolloutStuck', 'statefulSetRollout', false);
      if (prev && !prev.done && done && !incidents.has(`STSDone/${uid}/${st.updateRevision}`)) {
        set(`STSDone/${uid}/${st.updateRevision}`, o, 'StatefulSetRolloutCompleted', 'statefulSetRollout', true);
        incidents.get(`STSDone/${uid}/${st.updateRevision}`)!.holding = false;
      }
      const unready = (st.readyReplicas ?? 0) < want ? (prev?.unready ?? t) : undefined;
      if (prev?.unready !== undefined && t - prev.unready >= 60) set(`STSUnavailable/${uid}`, o, 'StatefulSetUnavailable', 'statefulSetRollout', true);
      if (unready === undefined) set(`STSUnavailable/${uid}`, o, 'StatefulSetUnavailable', 'statefulSetRollout', false);
      statefulSets.set(uid, { key, since: prev && prev.key === key ? prev.since : t, done, unready });
    } else if (storage === 'batch/jobs') {
      // a failed Job is an incident until it is deleted; a CronJob's runs are the CronJob's incident
      const failed = ((o.status as Any)?.conditions ?? []).some((c: Any) => c.type === 'Failed' && c.status === 'True');
      const cron = o.metadata.ownerReferences?.some((r) => r.controller && r.kind === 'CronJob');
      if (!cron) set(`JobFailed/${uid}`, o, 'JobFailed', 'jobFailed', !gone && failed);
    } else if (storage === 'batch/cronjobs') {
      // failing while the latest scheduled run finished (nothing active) without a success since; a run under way
      // changes nothing; a success resolves it
      const st = (o.status ?? {}) as Any;
      const last = st.lastScheduleTime ? Date.parse(st.lastScheduleTime) : undefined;
      const ok = st.lastSuccessfulTime ? Date.parse(st.lastSuccessfulTime) : undefined;
      const failing = !gone && last !== undefined && (ok === undefined || ok < last);
      if (failing && !st.active?.length) set(`CJFailing/${uid}`, o, 'CronJobFailing', 'cronJobFailing', true);
      else if (!failing) set(`CJFailing/${uid}`, o, 'CronJobFailing', 'cronJobFailing', false);
    } else if (storage === 'persistentvolumeclaims') {
      // Pending (not waiting for a first consumer) for 120 s since creation; resolved once bound or deleted
      const pending = !gone && (o.status as Any)?.phase !== 'Bound';
      heldFor(`ClaimPending/${uid}`, o, 'ClaimPending', 'pvcPending', t, pending, (Date.parse(o.metadata.creationTimestamp!) - T0) / 1000);
    } else if (storage === 'autoscaling/horizontalpodautoscalers') {
      // ScalingLimited TooManyReplicas for 120 s; AbleToScale/ScalingActive False for 120 s
      const cond = (type: string): Any => ((o.status as Any)?.conditions ?? []).find((c: Any) => c.type === type);
      const since = (c: Any): number => (c?.lastTransitionTime ? (Date.parse(c.lastTransitionTime) - T0) / 1000 : t);
      const limited = cond('ScalingLimited');
      heldFor(`HPAMaxed/${uid}`, o, 'HPAMaxedOut', 'hpa', t, !gone && limited?.status === 'True' && limited.reason === 'TooManyReplicas', since(limited));
      for (const type of ['AbleToScale', 'ScalingActive']) {
        const c = cond(type);
        heldFor(`HPAUnable/${type}/${uid}`, o, 'HPAUnableToScale', 'hpa', t, !gone && c?.status === 'False' && c.reason !== 'ScalingDisabled', since(c));
      }
    } else if (storage === 'events' && !gone && (o as Any).type === 'Warning') {
      const inv = (o as Any).involvedObject;
      if (COVERED.has(`${(o as Any).reason}/${inv.kind}`)) return;
      const key = `Event/${uid}`;
      if (!incidents.has(key)) incidents.set(key, { kind: inv.kind, ns: inv.namespace, name: inv.name, reason: (o as Any).reason, detector: 'warningEvents', holding: false });
    }
  };
  for (const { t, c } of seen) visit(t, c.storage, c.object, c.type === 'DELETED');
  for (const { storage, object } of finals.objects) visit(finals.t, storage, object, false);
  // an edge is notified as firing and stays so; "holding: false" above only marks it settled
  const edges = new Set(['Evicted', 'RolloutCompleted', 'DaemonSetRolloutCompleted', 'PodFailed', 'StatefulSetRolloutCompleted']);
  const out: Incident[] = [];
  for (const [key, i] of incidents) out.push({ ...i, holding: edges.has(i.reason) || key.startsWith('Event/') ? true : i.holding });
  for (const nr of notReady.values()) {
    if (nr.longest < MINUTE) continue;
    // a crash loop explains its pod's not-ready stretches: the pod detector does not notify them too
    if (incidents.has(`CrashLoopBackOff/${nr.pod.metadata.uid}`)) continue;
    out.push({ kind: 'Pod', ns: nr.pod.metadata.namespace, name: nr.pod.metadata.name!, reason: 'PodNotReady', detector: 'podNotReady', holding: nr.since !== undefined });
  }
  return out;
}

test('demo: a reference detector over the object states finds exactly demoExpectations()', async () => {
  const d = await demo();
  const finals = ['pods', 'nodes', 'apps/deployments'].flatMap((storage) => d.store.list(storage).map((object) => ({ storage, object })));
  const incidents = referenceIncidents(d.seen, { t: DEMO_DURATION_MS / 1000, objects: finals });
  const expected = demoExpectations();
  const found = incidents.map((i) => {
    const state = i.holding ? 'firing' : 'resolved';
    const e = expected.find((x) => x.reason === i.reason && x.detector === i.detector && x.revision === i.revision && x.generation === i.generation && matches(x, i.kind, i.ns, i.name));
    return e ? describeExp({ ...e, state }) : `UNEXPECTED ${i.detector} ${i.reason} ${i.kind}/${i.name}${i.revision ? ' revision ' + i.revision : ''}${i.generation ? ' generation ' + i.generation : ''} ${state}`;
  });
  assert.deepEqual(found.sort(), expected.map(describeExp).sort());
  assert.equal(expected.length, new Set(expected.map(describeExp)).size);
});

test('demo: only slow-start is ever not ready for long; all Warning events are the expected kinds', async () => {
  const d = await demo();
  // from creation (or losing readiness) to Ready, deletion or the end: under 50 s for every pod but slow-start
  const since = new Map<string, { name: string; from?: number; longest: number }>();
  for (const { t, c } of d.seen) {
    if (c.storage !== 'pods') continue;
    // the DaemonSet's crashing pod is not ready from ~25 s until the fix replaces it at 225 s, by design
    if ((c.object.spec as Any)?.containers?.[0]?.image === DAEMONSET_CRASHING_IMAGE) continue;
    // the StatefulSet's pod on the bad image cannot pull from ~22 s until the rollback deletes it at 240 s, by design
    if (c.object.metadata.name === 'db-2' && (c.object.spec as Any)?.containers?.[0]?.image === FAILED_IMAGE) continue;
    const p = since.get(c.object.metadata.uid!) ?? { name: c.object.metadata.name!, longest: 0 };
    since.set(c.object.metadata.uid!, p);
    const phase = (c.object.status as Any)?.phase;
    const waitingForReady = c.type !== 'DELETED' && phase !== 'Succeeded' && phase !== 'Failed' && readyOf(c.object) !== 'True';
    if (waitingForReady) p.from ??= t;
    if (p.from !== undefined) p.longest = Math.max(p.longest, t - p.from);
    if (!waitingForReady) p.from = undefined;
  }
  const slow = [...since.values()].filter((p) => p.longest >= 50).map((p) => [p.name, Math.round(p.longest * 100) / 100]);
  assert.deepEqual(slow, [['slow-start', 101]]);
  const warnings = new Set(
    d.seen
      .filter(({ c }) => c.storage === 'events' && c.type === 'ADDED' && (c.object as Any).type === 'Warning')
      .map(({ c }) => `${(c.object as Any).reason} ${(c.object as Any).involvedObject.kind}/${(c.object as Any).involvedObject.name.replace(/^api-\w+-\w+$/, 'api-*').replace(/^log-agent-\w+$/, 'log-agent-*').replace(/^report-failing-\d+$/, 'report-failing-*')}`),
  );
  assert.deepEqual([...warnings].sort(), [
    'BackOff Pod/crashloop',
    'BackOff Pod/log-agent-*',
    'BackoffLimitExceeded Job/migrate',
    'BackoffLimitExceeded Job/report-failing-*',
    'Evicted Pod/memory-hog',
    'EvictionThresholdMet Node/sim-node-2',
    'Failed Pod/api-*',
    'Failed Pod/bad-image',
    'Failed Pod/db-2',
    'FailedComputeMetricsReplicas HorizontalPodAutoscaler/worker',
    'FailedGetResourceMetric HorizontalPodAutoscaler/worker',
    'FailedMount Pod/config-reader',
    'FailedScheduling Pod/batch-huge',
    'NodeNotReady Pod/edge-agent',
    'ProvisioningFailed PersistentVolumeClaim/data-pending',
    'Unhealthy Pod/slow-start',
  ]);
});

test('demo: at DEMO_DURATION_MS everything that recovers has recovered', async () => {
  const d = await demo();
  const { store } = d;
  const pod = (name: string) => store.get(PODS.storage, 'demo', name) as Any | undefined;
  // the crash loop and the OOM kill are over: running, ready, no restart for minutes
  const crash = pod('crashloop')!;
  assert.equal(crash.status.phase, 'Running');
  assert.equal(readyOf(crash), 'True');
  assert.equal(crash.status.conditions.find((c: Any) => c.type === 'Ready').lastTransitionTime, at(57));
  assert.equal(crash.status.containerStatuses[0].restartCount, 3);
  assert.ok(crash.status.containerStatuses[0].state.running);
  const oom = pod('oom')!;
  assert.equal(readyOf(oom), 'True');
  assert.equal(oom.status.containerStatuses[0].restartCount, 1);
  assert.equal(oom.status.containerStatuses[0].lastState.terminated.reason, 'OOMKilled');
  assert.equal(oom.status.containerStatuses[0].lastState.terminated.exitCode, 137);
  for (const name of ['slow-start', 'config-reader', 'edge-agent']) assert.equal(readyOf(pod(name)!), 'True', name);
  for (const name of ['bad-image', 'batch-huge', 'memory-hog']) assert.equal(pod(name), undefined, name);
  assert.ok(store.get(SECRETS.storage, 'demo', 's3-credentials'));
  // the StatefulSet rolled back: every pod ready at the first revision again
  const db = store.get('apps/statefulsets', 'demo', 'db') as Any;
  assert.equal(db.status.readyReplicas, 3);
  assert.equal(db.status.currentRevision, db.status.updateRevision);
  // every pod left is healthy or a finished report pod
  for (const p of store.list(PODS.storage, 'demo') as Any[]) {
    if (p.metadata.labels?.app === 'report') assert.ok(['Succeeded', 'Running', 'Pending'].includes(p.status.phase), p.metadata.name);
    // the pods of CronJob report-failing's runs kept by its history limits: finished, one way or the other
    else if (p.metadata.labels?.['batch.kubernetes.io/job-name']?.startsWith('report-failing-')) assert.ok(['Succeeded', 'Failed', 'Running', 'Pending'].includes(p.status.phase), p.metadata.name);
    else assert.equal(readyOf(p), 'True', p.metadata.name);
  }
  // nodes: all Ready, no pressure, only the edge taint left
  for (const n of store.list(NODES.storage)) {
    assert.equal(nodeCondition(n, 'Ready'), 'True', n.metadata.name);
    assert.equal(nodeCondition(n, 'MemoryPressure'), 'False', n.metadata.name);
  }
  assert.deepEqual((store.get(NODES.storage, undefined, DEMO_EDGE_NODE)!.spec as Any).taints, [{ key: 'dedicated', value: 'edge', effect: 'NoSchedule' }]);
  assert.equal((store.get(NODES.storage, undefined, DEMO_PRESSURE_NODE)!.spec as Any).taints, undefined);
  // both Deployments settled: web on the new image, api back on the old one
  const web = store.get(DEPLOYMENTS.storage, 'demo', 'web')! as KObject & Any;
  const api = store.get(DEPLOYMENTS.storage, 'demo', 'api')! as KObject & Any;
  assert.ok(rolloutComplete(web));
  assert.equal(web.spec.template.spec.containers[0].image, 'nginx:1.28');
  assert.ok(rolloutComplete(api));
  assert.equal(api.spec.template.spec.containers[0].image, 'hashicorp/http-echo:1.0');
  assert.equal(api.metadata.generation, 3);
  // the web Service's slice lists its three new pods, ready
  const webPods = (store.list(PODS.storage, 'demo') as Any[]).filter((p) => p.metadata.labels?.app === 'web');
  assert.deepEqual(webPods.map((p) => p.spec.containers[0].image), ['nginx:1.28', 'nginx:1.28', 'nginx:1.28']);
  const slice = (store.list(ENDPOINTSLICES.storage, 'demo') as Any[]).find((s) => s.metadata.labels['kubernetes.io/service-name'] === 'web')!;
  assert.deepEqual(
    slice.endpoints.map((e: Any) => [e.targetRef.name, e.conditions.ready]).sort(),
    webPods.map((p) => [p.metadata.name, true]).sort(),
  );
  d.close();
});

test('demo: stopping it early brings the downed node back and cancels what is left', async () => {
  const clock = new SimClock({ speed: 0, start: new Date(T0) });
  const store = new ObjectStore({ clock });
  const ctx: SimContext = { store, clock, logs: new LogStore(), recorder: new EventRecorder(store) };
  const controllers = startControllers(ctx, { nodes: 3 });
  const stop = demoScenario.start(ctx, { namespace: 'showcase' });
  await clock.advance(215_000);
  assert.equal(nodeCondition(store.get(NODES.storage, undefined, DEMO_EDGE_NODE)!, 'Ready'), 'Unknown');
  assert.ok(store.get(PODS.storage, 'showcase', 'slow-start'));
  stop();
  assert.equal(nodeCondition(store.get(NODES.storage, undefined, DEMO_EDGE_NODE)!, 'Ready'), 'True');
  await clock.advance(120_000);
  // no report pod after the stop, no more demo steps
  const reports = (store.list(PODS.storage, 'showcase') as Any[]).filter((p) => p.metadata.labels?.app === 'report');
  assert.ok(reports.every((p) => Date.parse(p.metadata.creationTimestamp) <= T0 + 215_000));
  controllers.stop();
  clock.close();
});

test('demo: needs the nodes it acts on', () => {
  const clock = new SimClock({ speed: 0, start: new Date(T0) });
  const store = new ObjectStore({ clock });
  const ctx: SimContext = { store, clock, logs: new LogStore(), recorder: new EventRecorder(store) };
  const controllers = startControllers(ctx, { nodes: 2 });
  assert.throws(() => demoScenario.start(ctx, {}), /the demo needs node "sim-node-3" with a running kubelet/);
  controllers.stop();
  clock.close();
});
