// Each pod/node scenario on a stopped clock: the exact pod versions and
// Events it produces, second by second of virtual time.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { imageSizeBytes } from '../../src/sim/behavior.ts';
import { SimClock } from '../../src/sim/clock.ts';
import { startGarbageCollector } from '../../src/sim/controllers/gc.ts';
import { startKubelet } from '../../src/sim/controllers/kubelet.ts';
import { startNamespaceController } from '../../src/sim/controllers/namespaces.ts';
import { startNodes, startTaintEvictionController } from '../../src/sim/controllers/nodes.ts';
import { startScheduler } from '../../src/sim/controllers/scheduler.ts';
import { EventRecorder } from '../../src/sim/events.ts';
import { LogStore } from '../../src/sim/logs.ts';
import { NODES, PODS } from '../../src/sim/refs.ts';
import type { ScenarioOptions, SimContext } from '../../src/sim/scenario.ts';
import { backgroundScenario } from '../../src/sim/scenarios/background.ts';
import { scenarios, startScenario } from '../../src/sim/scenarios/index.ts';
import { nodeNotReadyScenario } from '../../src/sim/scenarios/nodes.ts';
import { badImageScenario, crashloopScenario, DEMO_IMAGE, evictedScenario, oomScenario, podNotReadyScenario } from '../../src/sim/scenarios/pods.ts';
import type { Change } from '../../src/sim/store.ts';
import { ObjectStore } from '../../src/sim/store.ts';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString().replace('.000Z', 'Z');

function run(scenario: { start(ctx: SimContext, opts: ScenarioOptions): () => void }, opts: ScenarioOptions = {}) {
  const clock = new SimClock({ speed: 0, start: new Date(T0) });
  const store = new ObjectStore({ clock });
  const ctx: SimContext = { store, clock, logs: new LogStore(), recorder: new EventRecorder(store) };
  const stops = [startNamespaceController(ctx), startGarbageCollector(ctx)];
  const nodes = startNodes(ctx, { nodes: 3 });
  stops.push(() => nodes.stop(), startKubelet(ctx), startScheduler(ctx));
  stops.push(startTaintEvictionController(ctx));
  const seen: { t: number; c: Change }[] = [];
  store.subscribe((c) => seen.push({ t: +((clock.nowMs() - T0) / 1000).toFixed(3), c }));
  const cancel = scenario.start(ctx, opts);
  return {
    ctx,
    store,
    cancel,
    advance: (seconds: number) => clock.advance(seconds * 1000),
    stop() {
      cancel();
      for (const s of stops) s();
      clock.close();
    },
    pod: (name: string) => store.get(PODS.storage, 'demo', name) as Record<string, any> | undefined,
    /** one line per stored version of the pod: phase, container state, restarts, Ready, waiting message */
    timeline(name: string, uid = ''): string[] {
      return seen
        .filter((s) => s.c.storage === 'pods' && s.c.object.metadata.name === name)
        .map((s) => {
          if (s.c.type === 'DELETED') return `${s.t} DELETED`;
          const p = s.c.object as Record<string, any>;
          const cs = p.status?.containerStatuses?.[0];
          const state = cs ? Object.keys(cs.state)[0] : '-';
          const reason = cs?.state[state].reason;
          const ready = p.status?.conditions?.find((c: any) => c.type === 'Ready')?.status ?? '-';
          const msg = cs?.state.waiting?.message;
          return `${s.t} ${p.status?.phase} ${state}${reason ? ':' + reason : ''} r${cs?.restartCount ?? '-'} Ready=${ready}${msg ? ' | ' + (uid ? msg.replace(uid, 'UID') : msg) : ''}`;
        });
    },
    /** [t, reason, type, message, count] of every Event write in the namespace */
    events(ns = 'demo', uid = ''): [number, string, string, string, number][] {
      return seen
        .filter((s) => s.c.storage === 'events' && s.c.object.metadata.namespace === ns && s.c.type !== 'DELETED' && s.t >= 0)
        .map((s) => {
          const e = s.c.object as Record<string, any>;
          return [s.t, e.reason, e.type, uid ? e.message.replace(uid, 'UID') : e.message, e.count];
        });
    },
  };
}

const demoPulled = `Successfully pulled image "${DEMO_IMAGE}" in 2.61s (2.61s including waiting). Image size: ${imageSizeBytes(DEMO_IMAGE)} bytes.`;
const demoPresent = `Container image "${DEMO_IMAGE}" already present on machine`;

/** The first seconds every scenario pod on a fresh node goes through. */
function startup(pod: string, node = 'sim-node-1'): [number, string, string, string, number][] {
  return [
    [0, 'Scheduled', 'Normal', `Successfully assigned demo/${pod} to ${node}`, 1],
    [1, 'Pulling', 'Normal', `Pulling image "${DEMO_IMAGE}"`, 1],
    [3.61, 'Pulled', 'Normal', demoPulled, 1],
    [3.61, 'Created', 'Normal', 'Created container app', 1],
    [3.61, 'Started', 'Normal', 'Started container app', 1],
  ];
}

test('crashloop: restarts, BackOff counts and CrashLoopBackOff with doubling back-off', async () => {
  const s = run(crashloopScenario);
  await s.advance(180);
  const uid = s.pod('crashloop')!.metadata.uid;
  const backoff = (d: string) => `back-off ${d} restarting failed container=app pod=crashloop_demo(UID)`;
  assert.deepEqual(s.timeline('crashloop', uid), [
    '0 Pending - r- Ready=-',
    '0 Pending - r- Ready=-',
    '0 Pending waiting:ContainerCreating r0 Ready=False',
    '3.61 Running running r0 Ready=False',
    '5.61 Running running r0 Ready=True',
    // the first exit restarts at once
    '7.61 Running terminated:Error r0 Ready=False',
    '8.61 Running running r1 Ready=False',
    '9.61 Running running r1 Ready=True',
    // later ones show Error, then CrashLoopBackOff at the next resync
    '11.61 Running terminated:Error r1 Ready=False',
    `21.61 Running waiting:CrashLoopBackOff r1 Ready=False | ${backoff('10s')}`,
    '22.61 Running running r2 Ready=False',
    '23.61 Running running r2 Ready=True',
    '25.61 Running terminated:Error r2 Ready=False',
    `35.61 Running waiting:CrashLoopBackOff r2 Ready=False | ${backoff('20s')}`,
    '46.61 Running running r3 Ready=False',
    '47.61 Running running r3 Ready=True',
    '49.61 Running terminated:Error r3 Ready=False',
    `59.61 Running waiting:CrashLoopBackOff r3 Ready=False | ${backoff('40s')}`,
    '90.61 Running running r4 Ready=False',
    '91.61 Running running r4 Ready=True',
    '93.61 Running terminated:Error r4 Ready=False',
    `103.61 Running waiting:CrashLoopBackOff r4 Ready=False | ${backoff('1m20s')}`,
    '174.61 Running running r5 Ready=False',
    '175.61 Running running r5 Ready=True',
    '177.61 Running terminated:Error r5 Ready=False',
  ]);
  const backOff = 'Back-off restarting failed container app in pod crashloop_demo(UID)';
  const restart = (t: number, n: number): [number, string, string, string, number][] => [
    [t, 'Pulled', 'Normal', demoPresent, n - 1],
    [t, 'Created', 'Normal', 'Created container app', n],
    [t, 'Started', 'Normal', 'Started container app', n],
  ];
  assert.deepEqual(s.events('demo', uid), [
    ...startup('crashloop'),
    ...restart(7.61, 2),
    [11.61, 'BackOff', 'Warning', backOff, 1],
    ...restart(21.61, 3),
    [25.61, 'BackOff', 'Warning', backOff, 2],
    [35.61, 'BackOff', 'Warning', backOff, 3],
    ...restart(45.61, 4),
    [49.61, 'BackOff', 'Warning', backOff, 4],
    [59.61, 'BackOff', 'Warning', backOff, 5],
    [69.61, 'BackOff', 'Warning', backOff, 6],
    [79.61, 'BackOff', 'Warning', backOff, 7],
    ...restart(89.61, 5),
    [93.61, 'BackOff', 'Warning', backOff, 8],
    ...[103.61, 113.61, 123.61, 133.61, 143.61, 153.61, 163.61].map((t, i): [number, string, string, string, number] => [t, 'BackOff', 'Warning', backOff, 9 + i]),
    ...restart(173.61, 6),
    [177.61, 'BackOff', 'Warning', backOff, 16],
  ]);
  const cs = s.pod('crashloop')!.status.containerStatuses[0];
  assert.deepEqual(cs.state.terminated, {
    exitCode: 1,
    reason: 'Error',
    message: 'starting app (ghcr.io/kubeherald/demo-app:1.4.2)\nlistening on :8080\nfatal: could not connect to database at db:5432: connection refused\nexiting with status 1',
    startedAt: at(173),
    finishedAt: at(176),
    containerID: cs.containerID,
  });
  assert.equal(cs.lastState.terminated.finishedAt, at(92));
  assert.notEqual(cs.lastState.terminated.containerID, cs.containerID);
  assert.deepEqual(s.ctx.logs.read('demo', 'crashloop', 'app', true)!.map((l) => l.text).at(-1), 'exiting with status 1', 'kubectl logs --previous');
  s.stop();
});

test('crashloop with recoverAfter: the first start after it runs for good', async () => {
  const s = run(crashloopScenario, { recoverAfter: 30 });
  await s.advance(300);
  assert.equal(s.pod('crashloop')!.metadata.annotations['sim.kubeherald.io/recover-after'], '30');
  const uid = s.pod('crashloop')!.metadata.uid;
  // the restart at 45.61 comes after recover-after (30 s): that instance keeps running
  assert.deepEqual(s.timeline('crashloop', uid).slice(-3), [
    '35.61 Running waiting:CrashLoopBackOff r2 Ready=False | back-off 20s restarting failed container=app pod=crashloop_demo(UID)',
    '46.61 Running running r3 Ready=False',
    '47.61 Running running r3 Ready=True',
  ]);
  assert.equal(s.events().filter((e) => e[1] === 'BackOff').length, 3);
  const cs = s.pod('crashloop')!.status.containerStatuses[0];
  assert.deepEqual([cs.ready, cs.restartCount, Object.keys(cs.state)], [true, 3, ['running']]);
  s.stop();
});

test('oom: OOMKilled with exit code 137, then back-off', async () => {
  const s = run(oomScenario);
  await s.advance(60);
  const uid = s.pod('oom')!.metadata.uid;
  assert.deepEqual(s.timeline('oom', uid), [
    '0 Pending - r- Ready=-',
    '0 Pending - r- Ready=-',
    '0 Pending waiting:ContainerCreating r0 Ready=False',
    '3.61 Running running r0 Ready=False',
    '5.61 Running running r0 Ready=True',
    '9.61 Running terminated:OOMKilled r0 Ready=False',
    '10.61 Running running r1 Ready=False',
    '11.61 Running running r1 Ready=True',
    '15.61 Running terminated:OOMKilled r1 Ready=False',
    '25.61 Running waiting:CrashLoopBackOff r1 Ready=False | back-off 10s restarting failed container=app pod=oom_demo(UID)',
    '26.61 Running running r2 Ready=False',
    '27.61 Running running r2 Ready=True',
    '31.61 Running terminated:OOMKilled r2 Ready=False',
    '41.61 Running waiting:CrashLoopBackOff r2 Ready=False | back-off 20s restarting failed container=app pod=oom_demo(UID)',
    '52.61 Running running r3 Ready=False',
    '53.61 Running running r3 Ready=True',
    '57.61 Running terminated:OOMKilled r3 Ready=False',
  ]);
  assert.deepEqual(
    s.events('demo', uid).filter((e) => e[1] === 'BackOff'),
    [15.61, 31.61, 41.61, 57.61].map((t, i) => [t, 'BackOff', 'Warning', 'Back-off restarting failed container app in pod oom_demo(UID)', i + 1]),
  );
  const p = s.pod('oom')!;
  assert.equal(p.status.qosClass, 'Burstable');
  assert.deepEqual(p.spec.containers[0].resources, { limits: { memory: '128Mi' }, requests: { memory: '64Mi' } });
  const last = p.status.containerStatuses[0].lastState.terminated;
  assert.deepEqual([last.exitCode, last.reason, last.startedAt, last.finishedAt], [137, 'OOMKilled', at(25), at(30)]);
  s.stop();
});

test('bad-image: ErrImagePull, then ImagePullBackOff, pulls retried with doubling back-off', async () => {
  const s = run(badImageScenario);
  await s.advance(80);
  const pullError =
    'failed to pull and unpack image "docker.io/willwill/inexisting:latest": failed to resolve reference "docker.io/willwill/inexisting:latest": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed';
  const backoffMsg = 'Back-off pulling image "willwill/inexisting"';
  assert.deepEqual(s.timeline('bad-image'), [
    '0 Pending - r- Ready=-',
    '0 Pending - r- Ready=-',
    '0 Pending waiting:ContainerCreating r0 Ready=False',
    `2 Pending waiting:ErrImagePull r0 Ready=False | ${pullError}`,
    `12 Pending waiting:ImagePullBackOff r0 Ready=False | ${backoffMsg}`,
    `23 Pending waiting:ErrImagePull r0 Ready=False | ${pullError}`,
    `33 Pending waiting:ImagePullBackOff r0 Ready=False | ${backoffMsg}`,
    `44 Pending waiting:ErrImagePull r0 Ready=False | ${pullError}`,
    `54 Pending waiting:ImagePullBackOff r0 Ready=False | ${backoffMsg}`,
  ]);
  const attempt = (t: number, n: number): [number, string, string, string, number][] => [
    [t, 'Pulling', 'Normal', 'Pulling image "willwill/inexisting"', n],
    [t + 1, 'Failed', 'Warning', `Failed to pull image "willwill/inexisting": ${pullError}`, n],
    [t + 1, 'Failed', 'Warning', 'Error: ErrImagePull', n],
  ];
  const backingOff = (t: number, n: number): [number, string, string, string, number][] => [
    [t, 'BackOff', 'Normal', backoffMsg, n],
    [t, 'Failed', 'Warning', 'Error: ImagePullBackOff', n],
  ];
  assert.deepEqual(s.events(), [
    [0, 'Scheduled', 'Normal', 'Successfully assigned demo/bad-image to sim-node-1', 1],
    ...attempt(1, 1),
    ...backingOff(2, 1),
    ...attempt(12, 2),
    ...backingOff(23, 2),
    ...attempt(33, 3),
    ...backingOff(44, 3),
    ...backingOff(54, 4),
    ...backingOff(64, 5),
    ...attempt(74, 4),
  ]);
  const failed = s.store.list('events', 'demo').find((e) => e.message === 'Error: ErrImagePull') as Record<string, any>;
  assert.deepEqual(failed.involvedObject.fieldPath, 'spec.containers{app}');
  assert.equal(failed.firstTimestamp, at(2));
  assert.equal(failed.lastTimestamp, at(75));
  s.stop();
});

test('pod-notready: Unhealthy every 10s for longer than a minute, then Ready', async () => {
  const s = run(podNotReadyScenario);
  await s.advance(120);
  assert.deepEqual(s.timeline('pod-notready'), [
    '0 Pending - r- Ready=-',
    '0 Pending - r- Ready=-',
    '0 Pending waiting:ContainerCreating r0 Ready=False',
    '3.61 Running running r0 Ready=False',
    '93.61 Running running r0 Ready=True',
  ]);
  assert.deepEqual(s.events(), [
    ...startup('pod-notready'),
    ...[13.61, 23.61, 33.61, 43.61, 53.61, 63.61, 73.61, 83.61].map((t, i): [number, string, string, string, number] => [
      t,
      'Unhealthy',
      'Warning',
      'Readiness probe failed: HTTP probe failed with statuscode: 503',
      i + 1,
    ]),
  ]);
  const ready = s.pod('pod-notready')!.status.conditions.find((c: any) => c.type === 'Ready');
  assert.deepEqual(ready, { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: at(93) });
  s.stop();
});

test('pod-notready: readyAfter moves the recovery', async () => {
  const s = run(podNotReadyScenario, { readyAfter: 65 });
  await s.advance(120);
  assert.equal(s.timeline('pod-notready').at(-1), '73.61 Running running r0 Ready=True');
  assert.equal(s.events().filter((e) => e[1] === 'Unhealthy').length, 6);
  s.stop();
});

test('evicted: memory pressure on the node, then the pod is evicted', async () => {
  const s = run(evictedScenario);
  await s.advance(90);
  assert.deepEqual(s.timeline('evicted'), [
    '0 Pending - r- Ready=-',
    '0 Pending - r- Ready=-',
    '0 Pending waiting:ContainerCreating r0 Ready=False',
    '3.61 Running running r0 Ready=False',
    '4.61 Running running r0 Ready=True',
    '21 Failed terminated:Error r0 Ready=False',
  ]);
  const message =
    'The node was low on resource: memory. Threshold quantity: 100Mi, available: 88412Ki. Container app was using 1428684Ki, request is 64Mi, has larger consumption of memory. ';
  assert.deepEqual(s.events(), [...startup('evicted'), [21, 'Evicted', 'Warning', message, 1], [21, 'Killing', 'Normal', 'Stopping container app', 1]]);
  const nodeEvents = s.events('default').filter((e) => e[0] > 0);
  assert.deepEqual(nodeEvents, [
    [20, 'NodeHasInsufficientMemory', 'Normal', 'Node sim-node-1 status is now: NodeHasInsufficientMemory', 1],
    [21, 'EvictionThresholdMet', 'Warning', 'Attempting to reclaim memory', 1],
    [80, 'NodeHasSufficientMemory', 'Normal', 'Node sim-node-1 status is now: NodeHasSufficientMemory', 2],
  ]);
  const p = s.pod('evicted')!;
  assert.deepEqual([p.status.phase, p.status.reason, p.status.message], ['Failed', 'Evicted', message]);
  const node = s.store.get(NODES.storage, undefined, 'sim-node-1') as Record<string, any>;
  assert.equal(node.status.conditions[0].status, 'False');
  assert.equal(node.spec.taints, undefined);
  s.stop();
});

test('evicted: stopping the scenario early lifts the pressure', async () => {
  const s = run(evictedScenario);
  await s.advance(30);
  const pressure = () => (s.store.get(NODES.storage, undefined, 'sim-node-1') as Record<string, any>).status.conditions[0].status;
  assert.equal(pressure(), 'True');
  s.cancel();
  assert.equal(pressure(), 'False');
  s.stop();
});

test('node-notready: the node goes NotReady after 5s and comes back 120s later', async () => {
  const s = run(nodeNotReadyScenario);
  await s.advance(130);
  assert.deepEqual(s.timeline('node-notready'), [
    '0 Pending - r- Ready=-',
    '0 Pending - r- Ready=-',
    '0 Pending waiting:ContainerCreating r0 Ready=False',
    '3.61 Running running r0 Ready=False',
    '4.61 Running running r0 Ready=True',
    '5 Running running r0 Ready=False',
    '125 Running running r0 Ready=True',
  ]);
  assert.deepEqual(s.events(), [
    ...startup('node-notready'),
    [5, 'NodeNotReady', 'Warning', 'Node is not ready', 1],
    // back before its 300 s toleration ran out: the pending eviction is called off
    [125, 'TaintManagerEviction', 'Normal', 'Cancelling deletion of Pod demo/node-notready', 1],
  ]);
  assert.deepEqual(
    s.events('default').filter((e) => e[0] > 0),
    [
      [5, 'NodeNotReady', 'Normal', 'Node sim-node-1 status is now: NodeNotReady', 1],
      [125, 'NodeReady', 'Normal', 'Node sim-node-1 status is now: NodeReady', 2],
    ],
  );
  const node = s.store.get(NODES.storage, undefined, 'sim-node-1') as Record<string, any>;
  assert.equal(node.status.conditions[3].status, 'True');
  assert.equal(node.spec.taints, undefined);
  s.stop();
});

test('node-notready: options pick the node and the timing', async () => {
  const s = run(nodeNotReadyScenario, { node: 'sim-node-3', notReadyAfter: 10, downFor: 30 });
  await s.advance(45);
  assert.deepEqual(s.timeline('node-notready').slice(-2), ['10 Running running r0 Ready=False', '40 Running running r0 Ready=True']);
  assert.equal(s.pod('node-notready')!.spec.nodeName, 'sim-node-3');
  s.stop();
  assert.throws(() => run(nodeNotReadyScenario, { node: 'nope' }), /node "nope" not found/);
});

test('background: a report pod every 30s, only Normal events, three kept', async () => {
  const s = run(backgroundScenario);
  await s.advance(100);
  const events = s.events();
  assert.ok(events.every((e) => e[2] === 'Normal'));
  const pods = s.store.list(PODS.storage, 'demo');
  assert.equal(pods.length, 3);
  assert.ok(pods.every((p) => /^report-2901372[01]-[bcdfghjklmnpqrstvwxz2456789]{5}$/.test(p.metadata.name!)));
  const first = events.filter((e) => e[0] < 30).map((e) => [e[0], e[1], e[3].replace(/report-\S+/, 'POD')]);
  assert.deepEqual(first, [
    [0, 'Scheduled', 'Successfully assigned demo/POD to sim-node-1'],
    [1, 'Pulling', 'Pulling image "busybox:1.36"'],
    [1.944, 'Pulled', `Successfully pulled image "busybox:1.36" in 944ms (944ms including waiting). Image size: ${imageSizeBytes('busybox:1.36')} bytes.`],
    [1.944, 'Created', 'Created container report'],
    [1.944, 'Started', 'Started container report'],
  ]);
  assert.deepEqual(
    events.filter((e) => e[1] === 'Scheduled').map((e) => [e[0], e[3].replace(/report-\S+/, 'POD')]),
    [
      [0, 'Successfully assigned demo/POD to sim-node-1'],
      [30, 'Successfully assigned demo/POD to sim-node-2'],
      [60, 'Successfully assigned demo/POD to sim-node-3'],
      [90, 'Successfully assigned demo/POD to sim-node-1'],
    ],
  );
  const firstPod = (events[0][3] as string).split(' ')[2].split('/')[1];
  assert.deepEqual(s.timeline(firstPod), [
    '0 Pending - r- Ready=-',
    '0 Pending - r- Ready=-',
    '0 Pending waiting:ContainerCreating r0 Ready=False',
    '2 Running running r0 Ready=False',
    '3.944 Running running r0 Ready=True',
    '7.944 Succeeded terminated:Completed r0 Ready=False',
    '90 DELETED',
  ]);
  s.cancel();
  await s.advance(60);
  assert.equal(s.events().filter((e) => e[1] === 'Scheduled').length, 4, 'cancel stops new pods');
  s.stop();
});

test('a scenario run twice gets a fresh pod name', async () => {
  const s = run(crashloopScenario);
  crashloopScenario.start(s.ctx, {});
  assert.deepEqual(s.store.list(PODS.storage, 'demo').map((p) => p.metadata.name), ['crashloop', 'crashloop-2']);
  s.stop();
});

test('scenario registry: every name, and a helpful error for unknown ones', () => {
  for (const name of ['crashloop', 'oom', 'bad-image', 'node-notready', 'pod-notready', 'evicted', 'background', 'rollout', 'storm']) {
    assert.ok(scenarios.has(name), name);
    assert.equal(scenarios.get(name)!.name, name);
  }
  const s = run({ start: () => () => {} });
  assert.throws(() => startScenario(s.ctx, 'meteor'), (err: Error) => {
    assert.match(err.message, /^unknown scenario "meteor"; known scenarios: crashloop, oom, bad-image, pod-notready, evicted, node-notready, background, /);
    return true;
  });
  s.stop();
});
