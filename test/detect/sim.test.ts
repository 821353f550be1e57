// The detectors against the simulator's own objects: scenarios run on a
// stopped clock, and the detectors and the tracker see every stored version
// the way the listener would, so the shapes they key on are the real ones.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DetectorsConfig } from '../../src/detect/config.ts';
import { detect, recheckAt } from '../../src/detect/index.ts';
import { IncidentTracker } from '../../src/detect/tracker.ts';
import type { KubeObject } from '../../src/model/kube.ts';
import { type Notification, State } from '../../src/model/notification.ts';
import { SimClock } from '../../src/sim/clock.ts';
import { startGarbageCollector } from '../../src/sim/controllers/gc.ts';
import { startKubelet } from '../../src/sim/controllers/kubelet.ts';
import { startNamespaceController } from '../../src/sim/controllers/namespaces.ts';
import { startNodes } from '../../src/sim/controllers/nodes.ts';
import { startScheduler } from '../../src/sim/controllers/scheduler.ts';
import { EventRecorder } from '../../src/sim/events.ts';
import { LogStore } from '../../src/sim/logs.ts';
import { EVENTS, NODES, PODS } from '../../src/sim/refs.ts';
import type { Scenario, ScenarioOptions, SimContext } from '../../src/sim/scenario.ts';
import { nodeNotReadyScenario } from '../../src/sim/scenarios/nodes.ts';
import { badImageScenario, crashloopScenario, evictedScenario, oomScenario, podNotReadyScenario } from '../../src/sim/scenarios/pods.ts';
import { ObjectStore } from '../../src/sim/store.ts';
import { config } from './fixtures.ts';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const CFG = config();
const KINDS: Record<string, string> = { [PODS.storage]: 'Pod', [NODES.storage]: 'Node', [EVENTS.storage]: 'Event' };

interface Sent {
  t: number;
  state: 'FIRING' | 'RESOLVED';
  key: string;
  message: string;
  n: Notification;
}

/**
 * A scenario on the simulator with the listener's loop in miniature: every
 * stored version goes through detect() and the tracker; each virtual second
 * the tracker ticks and pods due for a re-check are detected again.
 */
function run(scenario: Scenario, opts: ScenarioOptions = {}, cfg: DetectorsConfig = CFG) {
  const clock = new SimClock({ speed: 0, start: new Date(T0) });
  const store = new ObjectStore({ clock });
  const ctx: SimContext = { store, clock, logs: new LogStore(), recorder: new EventRecorder(store) };
  const stops = [startNamespaceController(ctx), startGarbageCollector(ctx)];
  const nodes = startNodes(ctx, { nodes: 3 });
  stops.push(() => nodes.stop(), startKubelet(ctx), startScheduler(ctx));
  const tracker = new IncidentTracker({ cluster: 'sim' });
  const sent: Sent[] = [];
  const rechecks = new Map<string, { kind: string; at: number }>();
  const elapsed = (): number => +((clock.nowMs() - T0) / 1000).toFixed(2);
  const record = (ns: Notification[]): void => {
    for (const n of ns) sent.push({ t: elapsed(), state: n.state === State.FIRING ? 'FIRING' : 'RESOLVED', key: n.incidentKey, message: n.message, n });
  };
  const handle = (kind: string, old: KubeObject | undefined, current: KubeObject | undefined): void => {
    const uid = (current ?? old)!.metadata.uid!;
    const now = clock.now();
    record(tracker.observe(uid, current, detect(kind, { old, current }, now, cfg), now));
    const due = recheckAt(kind, current, now, cfg);
    if (due) rechecks.set(uid, { kind, at: due.getTime() });
    else rechecks.delete(uid);
  };
  store.subscribe((c) => {
    const kind = KINDS[c.storage];
    if (kind) handle(kind, c.prev, c.type === 'DELETED' ? undefined : c.object);
  });
  const cancel = scenario.start(ctx, opts);
  /** the current observations for one stored object */
  const observe = (storage: string, ns: string | undefined, name: string) => {
    const obj = store.get(storage, ns, name);
    return obj ? detect(KINDS[storage], { current: obj }, clock.now(), cfg) : [];
  };
  return {
    store,
    sent,
    /** runs the cluster for `seconds`, a virtual second at a time */
    async advance(seconds: number): Promise<void> {
      for (let i = 0; i < seconds; i++) {
        await clock.advance(1000);
        record(tracker.tick(clock.now()));
        for (const [uid, r] of [...rechecks]) {
          if (r.at > clock.nowMs()) continue;
          const obj = store.list(PODS.storage).find((p) => p.metadata.uid === uid);
          rechecks.delete(uid);
          if (obj) handle(r.kind, obj, obj);
        }
      }
    },
    /** "<detector> <state>" of a pod's current observations */
    pod(name: string): string[] {
      return observe(PODS.storage, 'demo', name).map((o) => `${o.detector} ${o.state}${o.count !== undefined ? ` ×${o.count}` : ''}${o.reason !== o.detector ? ` ${o.reason}` : ''}`);
    },
    node(name: string): string[] {
      return observe(NODES.storage, undefined, name).map((o) => `${o.detector} ${o.state} ${o.reason}`);
    },
    uid(storage: string, ns: string | undefined, name: string): string {
      return store.get(storage, ns, name)!.metadata.uid!;
    },
    /** [t, state, key with uids shortened, message] of the notifications sent, minus the Event ones */
    incidents(uids: Record<string, string>): [number, string, string, string][] {
      return sent
        .filter((s) => !s.key.startsWith('event/'))
        .map((s) => {
          let key = s.key;
          for (const [label, uid] of Object.entries(uids)) key = key.replace(uid, label);
          return [s.t, s.state, key, s.message];
        });
    },
    /** the Warning Events the cluster recorded, notified or not */
    warnings(): string[] {
      return store
        .list(EVENTS.storage)
        .filter((e) => (e as { type?: string }).type === 'Warning')
        .map((e) => {
          const ev = e as { reason?: string; involvedObject?: { kind?: string; name?: string } };
          return `${ev.reason}: ${ev.involvedObject?.kind} ${ev.involvedObject?.name}`;
        });
    },
    /** reason and count of the Event notifications */
    events(): string[] {
      return sent.filter((s) => s.key.startsWith('event/')).map((s) => `${s.n.reason} ${s.n.eventType} ×${s.n.count}: ${s.n.involvedObject?.kind} ${s.n.involvedObject?.name}`);
    },
    stop(): void {
      cancel();
      for (const s of stops) s();
      clock.close();
    },
  };
}

test('crashloop scenario: one CrashLoopBackOff incident, resolved once the container has been stable', async () => {
  const s = run(crashloopScenario, { recoverAfter: 30 });
  await s.advance(10); // first exit at 7.61 restarted at once; running and ready again
  assert.deepEqual(s.pod('crashloop'), ['crashLoopBackOff holding ×1 CrashLoopBackOff']);
  await s.advance(12); // 22: waiting in CrashLoopBackOff since 21.61
  assert.deepEqual(s.pod('crashloop'), ['crashLoopBackOff firing ×1 CrashLoopBackOff', 'podNotReady holding PodNotReady']);
  await s.advance(28); // 50: the recovered instance runs since 45.61
  assert.deepEqual(s.pod('crashloop'), ['crashLoopBackOff holding ×3 CrashLoopBackOff']);
  await s.advance(70); // 120
  assert.deepEqual(s.pod('crashloop'), []);
  const uid = s.uid(PODS.storage, 'demo', 'crashloop');
  assert.deepEqual(s.incidents({ UID: uid }), [
    [21.61, 'FIRING', 'pod/UID/app/CrashLoopBackOff', 'Container app of pod demo/crashloop keeps crashing: 1 restart, last exit code 1 (Error)'],
    [105, 'RESOLVED', 'pod/UID/app/CrashLoopBackOff', 'container app is ready again after 3 restarts'],
  ]);
  const firing = s.sent.find((x) => x.key.endsWith('CrashLoopBackOff'))!.n;
  // the termination message kubelet took from the logs (FallbackToLogsOnError) tells why
  assert.equal(
    firing.fields.message,
    'starting app (ghcr.io/kubeherald/demo-app:1.4.2)\nlistening on :8080\nfatal: could not connect to database at db:5432: connection refused\nexiting with status 1',
  );
  // kubelet's BackOff says what the CrashLoopBackOff incident says
  assert.deepEqual(s.warnings(), ['BackOff: Pod crashloop']);
  assert.deepEqual(s.events(), []);
  s.stop();
});

test('oom scenario: OOMKilled fires on the first kill, CrashLoopBackOff once back-off starts', async () => {
  const s = run(oomScenario);
  await s.advance(10); // killed at 9.61
  assert.deepEqual(s.pod('oom'), ['oomKilled firing ×0 OOMKilled', 'podNotReady holding PodNotReady']);
  await s.advance(16); // 26: CrashLoopBackOff since 25.61
  assert.deepEqual(s.pod('oom'), ['crashLoopBackOff firing ×1 CrashLoopBackOff', 'oomKilled firing ×1 OOMKilled', 'podNotReady holding PodNotReady']);
  await s.advance(34); // 60
  const uid = s.uid(PODS.storage, 'demo', 'oom');
  assert.deepEqual(s.incidents({ UID: uid }), [
    [9.61, 'FIRING', 'pod/UID/app/OOMKilled', 'Container app of pod demo/oom was killed for running out of memory (limit 128Mi), exit code 137'],
    [25.61, 'FIRING', 'pod/UID/app/CrashLoopBackOff', 'Container app of pod demo/oom keeps crashing: 1 restart, last exit code 137 (OOMKilled)'],
  ]);
  const oom = s.sent[0].n;
  assert.deepEqual([oom.fields.exitCode, oom.fields.memoryLimit, oom.count], ['137', '128Mi', 0]);
  s.stop();
});

test('bad-image scenario: ErrImagePull and ImagePullBackOff alternate inside one incident', async () => {
  const s = run(badImageScenario);
  await s.advance(3);
  assert.deepEqual(s.pod('bad-image'), ['badWaiting firing ErrImagePull']);
  await s.advance(10);
  assert.deepEqual(s.pod('bad-image'), ['badWaiting firing ImagePullBackOff']);
  await s.advance(67); // 80: three more attempts
  const uid = s.uid(PODS.storage, 'demo', 'bad-image');
  assert.deepEqual(s.incidents({ UID: uid }), [
    [
      2,
      'FIRING',
      'pod/UID/app/image-pull',
      'Container app of pod demo/bad-image is waiting: ErrImagePull: failed to pull and unpack image "docker.io/willwill/inexisting:latest": failed to resolve reference "docker.io/willwill/inexisting:latest": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed',
    ],
  ]);
  // kubelet's Failed events (pull error, ErrImagePull, ImagePullBackOff) say what the image-pull incident says
  assert.deepEqual(s.warnings(), ['Failed: Pod bad-image', 'Failed: Pod bad-image', 'Failed: Pod bad-image']);
  assert.deepEqual(s.events(), []);
  s.stop();
});

test('node-notready scenario: the node fires at once, its pod after notReadyMinTime, both resolve when it is back', async () => {
  const s = run(nodeNotReadyScenario);
  await s.advance(6);
  assert.deepEqual(s.node('sim-node-1'), ['nodeNotReady firing NodeNotReady']);
  assert.deepEqual(s.pod('node-notready'), ['podNotReady firing PodNotReady']);
  await s.advance(124); // 130: back since 125
  assert.deepEqual(s.node('sim-node-1'), []);
  const pod = s.uid(PODS.storage, 'demo', 'node-notready');
  const node = s.uid(NODES.storage, undefined, 'sim-node-1');
  assert.deepEqual(s.incidents({ POD: pod, NODE: node }), [
    [5, 'FIRING', 'node/NODE/NotReady', 'Node sim-node-1 is NotReady (Ready=Unknown, NodeStatusUnknown): Kubelet stopped posting node status.'],
    [65, 'FIRING', 'pod/POD/NotReady', 'Pod demo/node-notready has not been ready since 2025-03-01T10:00:05Z'],
    [125, 'RESOLVED', 'node/NODE/NotReady', 'node sim-node-1 is Ready again'],
    [125, 'RESOLVED', 'pod/POD/NotReady', 'pod demo/node-notready is Ready again'],
  ]);
  // the node controller's NodeNotReady on the pod says what the pod NotReady incident says
  assert.deepEqual(s.warnings(), ['NodeNotReady: Pod node-notready']);
  assert.deepEqual(s.events(), []);
  s.stop();
});

test('covered Warning events: none notified by default, each notified once with includeCovered: true, the incidents unchanged', async () => {
  const includeCovered = config({ warningEvents: { includeCovered: true } });
  const cases: [Scenario, ScenarioOptions, number, string[]][] = [
    [crashloopScenario, { recoverAfter: 30 }, 120, ['BackOff Warning ×1: Pod crashloop']],
    [oomScenario, {}, 60, ['BackOff Warning ×1: Pod oom']],
    // one notification per Event object, however often kubelet repeats it
    [badImageScenario, {}, 80, ['Failed Warning ×1: Pod bad-image', 'Failed Warning ×1: Pod bad-image', 'Failed Warning ×1: Pod bad-image']],
    [nodeNotReadyScenario, {}, 130, ['NodeNotReady Warning ×1: Pod node-notready']],
    [podNotReadyScenario, {}, 120, ['Unhealthy Warning ×1: Pod pod-notready']],
    [evictedScenario, {}, 100, ['EvictionThresholdMet Warning ×1: Node sim-node-1', 'Evicted Warning ×1: Pod evicted']],
  ];
  /** [t, state, message]: the uids in the keys differ from run to run */
  const incidents = (s: ReturnType<typeof run>) => s.sent.filter((x) => !x.key.startsWith('event/')).map((x) => [x.t, x.state, x.message]);
  for (const [scenario, opts, seconds, expected] of cases) {
    const byDefault = run(scenario, opts);
    await byDefault.advance(seconds);
    const all = run(scenario, opts, includeCovered);
    await all.advance(seconds);
    // the Warnings were recorded: not notified is not the same as not seen
    assert.deepEqual(byDefault.warnings(), expected.map((e) => e.replace(/ Warning ×\d+/, '')), scenario.name);
    assert.deepEqual(byDefault.events(), [], scenario.name);
    assert.deepEqual(all.events(), expected, scenario.name);
    assert.deepEqual(incidents(all), incidents(byDefault), scenario.name);
    assert.notDeepEqual(incidents(byDefault), [], scenario.name);
    byDefault.stop();
    all.stop();
  }
});
