import assert from 'node:assert/strict';
import { test } from 'node:test';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { detect } from '../../src/detect/index.ts';
import { IncidentTracker, type TrackerState } from '../../src/detect/tracker.ts';
import type { Delta } from '../../src/detect/types.ts';
import type { KubeObject } from '../../src/model/kube.ts';
import { type Notification, Severity, State } from '../../src/model/notification.ts';
import { at, config, coreEvent, cs, deployment, DEPLOY_UID, EVENT_UID, node, NODE_UID, pod, POD_UID, running, t, terminated, waiting } from './fixtures.ts';

const CFG = config();

/** The listener's loop in miniature: detect, then observe, for one object change. */
function feed(tracker: IncidentTracker, kind: string, delta: Delta, s: number): Notification[] {
  const obj = delta.current ?? delta.old!;
  return tracker.observe(obj.metadata.uid!, delta.current, detect(kind, delta, t(s), CFG), t(s));
}
const brief = (ns: Notification[]): string[] => ns.map((n) => `${n.state === State.FIRING ? 'FIRING' : 'RESOLVED'} ${n.incidentKey} | ${n.message}`);

const crashPod = (restarts: number, uid = POD_UID) =>
  pod({
    uid,
    labels: { app: 'web', 'pod-template-hash': '5d4f8b7c9' },
    name: 'web-5d4f8b7c9-x2x7k',
    owner: { kind: 'ReplicaSet', name: 'web-5d4f8b7c9' },
    statuses: [cs({ state: waiting('CrashLoopBackOff', 'back-off 40s'), last: terminated('Error', 1, 46, 49), restarts })],
    ready: ['False', 49],
  });
const healthyPod = (restarts: number, startedS: number, uid = POD_UID) =>
  pod({
    uid,
    labels: { app: 'web', 'pod-template-hash': '5d4f8b7c9' },
    name: 'web-5d4f8b7c9-x2x7k',
    owner: { kind: 'ReplicaSet', name: 'web-5d4f8b7c9' },
    statuses: [cs({ state: running(startedS), last: terminated('Error', 1, 46, 49), restarts, ready: true })],
    ready: ['True', startedS + 1],
  });
const CRASH_KEY = `pod/${POD_UID}/app/CrashLoopBackOff`;

test('a crash loop notifies FIRING once, updates silently, and RESOLVED once the container is stable', () => {
  const tr = new IncidentTracker({ cluster: 'prod-eu' });
  const [firing, ...rest] = feed(tr, 'Pod', { current: crashPod(3) }, 60);
  assert.equal(rest.length, 0);
  assert.equal(firing.incidentKey, CRASH_KEY);
  assert.equal(firing.state, State.FIRING);
  assert.equal(firing.severity, Severity.CRITICAL);
  assert.equal(firing.cluster, 'prod-eu');
  assert.equal(firing.count, 3);
  assert.equal(firing.detector, 'crashLoopBackOff');
  assert.equal(firing.reason, 'CrashLoopBackOff');
  assert.equal(firing.eventType, '');
  assert.deepEqual(timestampDate(firing.eventTime!), t(60));
  assert.deepEqual(firing.labels, { app: 'web', 'pod-template-hash': '5d4f8b7c9' });
  assert.deepEqual(
    [firing.involvedObject?.apiVersion, firing.involvedObject?.kind, firing.involvedObject?.namespace, firing.involvedObject?.name, firing.involvedObject?.uid],
    ['v1', 'Pod', 'demo', 'web-5d4f8b7c9-x2x7k', POD_UID],
  );
  assert.deepEqual([firing.owner?.apiVersion, firing.owner?.kind, firing.owner?.namespace, firing.owner?.name, firing.owner?.uid], ['apps/v1', 'Deployment', 'demo', 'web', '']);
  // owner facts live in Notification.owner, not twice
  assert.deepEqual(Object.keys(firing.fields).sort(), ['container', 'exitCode', 'image', 'message', 'node', 'restarts', 'waitingReason']);
  assert.equal((firing.rawObject as { metadata: { uid: string } }).metadata.uid, POD_UID);
  assert.match(firing.idempotencyKey, /^[0-9a-f]{32}$/);

  // more restarts, running between back-offs: no new notification
  assert.deepEqual(feed(tr, 'Pod', { current: crashPod(5) }, 120), []);
  assert.deepEqual(feed(tr, 'Pod', { current: healthyPod(7, 200) }, 201), []);
  assert.deepEqual(tr.open(), [{ key: CRASH_KEY, since: at(60), notified: true }]);

  const [resolved, ...more] = feed(tr, 'Pod', { current: healthyPod(7, 200) }, 260);
  assert.equal(more.length, 0);
  assert.deepEqual(brief([resolved]), [`RESOLVED ${CRASH_KEY} | container app is ready again after 7 restarts`]);
  assert.notEqual(resolved.idempotencyKey, firing.idempotencyKey);
  assert.equal(resolved.severity, Severity.CRITICAL);
  assert.equal(resolved.title, firing.title);
  assert.deepEqual(timestampDate(resolved.eventTime!), t(260));
  assert.deepEqual(tr.open(), []);
});

test('a pod deleted while crash-looping resolves; its replacement (new uid, restarts from 0) is a new incident', () => {
  const tr = new IncidentTracker({ cluster: 'c' });
  const [firing] = feed(tr, 'Pod', { current: crashPod(4) }, 60);
  const resolved = feed(tr, 'Pod', { old: crashPod(4) }, 70);
  assert.deepEqual(brief(resolved), [`RESOLVED ${CRASH_KEY} | pod demo/web-5d4f8b7c9-x2x7k was deleted (container app, 4 restarts)`]);
  assert.equal(resolved[0].rawObject, undefined);
  assert.deepEqual(resolved[0].labels, firing.labels);

  const NEW = '11111111-2222-4333-8444-555555555555';
  assert.deepEqual(feed(tr, 'Pod', { current: healthyPod(0, 72, NEW) }, 73), []);
  const again = feed(tr, 'Pod', { current: crashPod(1, NEW) }, 90);
  assert.deepEqual(
    again.map((n) => [n.incidentKey, n.count]),
    [[`pod/${NEW}/app/CrashLoopBackOff`, 1]],
  );
});

test('a flapping node: NotReady, Ready, NotReady again are two incidents with distinct keys', () => {
  const tr = new IncidentTracker({ cluster: 'c' });
  const KEY = `node/${NODE_UID}/NotReady`;
  const down1 = feed(tr, 'Node', { current: node({ ready: ['Unknown', 5] }) }, 5);
  const up1 = feed(tr, 'Node', { current: node({ ready: ['True', 125] }) }, 125);
  const down2 = feed(tr, 'Node', { current: node({ ready: ['Unknown', 130] }) }, 130);
  const up2 = feed(tr, 'Node', { current: node({ ready: ['True', 200] }) }, 200);
  assert.deepEqual(brief([...down1, ...up1, ...down2, ...up2]), [
    `FIRING ${KEY} | Node sim-node-2 is NotReady (Ready=Unknown, NodeStatusUnknown): Kubelet stopped posting node status.`,
    `RESOLVED ${KEY} | node sim-node-2 is Ready again`,
    `FIRING ${KEY} | Node sim-node-2 is NotReady (Ready=Unknown, NodeStatusUnknown): Kubelet stopped posting node status.`,
    `RESOLVED ${KEY} | node sim-node-2 is Ready again`,
  ]);
  const ids = [...down1, ...up1, ...down2, ...up2].map((n) => n.idempotencyKey);
  assert.equal(new Set(ids).size, 4);
  assert.deepEqual(timestampDate(down2[0].eventTime!), t(130));
  // heartbeats while down change nothing
  const tr2 = new IncidentTracker({ cluster: 'c' });
  feed(tr2, 'Node', { current: node({ ready: ['Unknown', 5] }) }, 5);
  assert.deepEqual(feed(tr2, 'Node', { current: node({ ready: ['Unknown', 5] }) }, 45), []);
});

test('NotReady waits for its minimum: nothing is sent when it resolves first; tick() fires it when due', () => {
  const tr = new IncidentTracker({ cluster: 'c' });
  const notReady = pod({ statuses: [cs({ state: running(3) })], ready: ['False', 0] });
  const ready = pod({ statuses: [cs({ state: running(3), ready: true })], ready: ['True', 40] });
  // not ready since 0 by the pod's clock, seen at 4: the minimum counts from 4, when kubeherald saw it
  assert.deepEqual(feed(tr, 'Pod', { current: notReady }, 4), []);
  assert.deepEqual(tr.nextDue(), t(64));
  assert.deepEqual(tr.open(), [{ key: `pod/${POD_UID}/NotReady`, since: at(0), notified: false }]);
  assert.deepEqual(tr.tick(t(63)), []);
  assert.deepEqual(feed(tr, 'Pod', { current: ready }, 40), []);
  assert.deepEqual(tr.nextDue(), undefined);
  assert.deepEqual(tr.tick(t(120)), []);
  assert.deepEqual(tr.open(), []);

  // the second time it lasts: FIRING at the minimum, with the time it began
  const notReady2 = pod({ statuses: [cs({ state: running(3) })], ready: ['False', 100] });
  assert.deepEqual(feed(tr, 'Pod', { current: notReady2 }, 100), []);
  assert.deepEqual(tr.nextDue(), t(160));
  const fired = tr.tick(t(161));
  assert.deepEqual(brief(fired), [`FIRING pod/${POD_UID}/NotReady | Pod demo/web has not been ready since ${at(100)}: containers with unready status: [app]`]);
  assert.deepEqual(timestampDate(fired[0].eventTime!), t(100));
  assert.equal((fired[0].rawObject as { metadata: { uid: string } }).metadata.uid, POD_UID, 'the late FIRING carries the object as last seen');
  assert.deepEqual(tr.tick(t(200)), []);
  assert.deepEqual(tr.nextDue(), undefined);
  assert.deepEqual(brief(feed(tr, 'Pod', { current: ready }, 210)), [`RESOLVED pod/${POD_UID}/NotReady | pod demo/web is Ready again`]);
  // a pod first seen long NotReady: its timestamp alone does not shorten the wait (the cluster's clock may be behind ours)
  const tr2 = new IncidentTracker({ cluster: 'c' });
  assert.deepEqual(feed(tr2, 'Pod', { current: notReady }, 300), []);
  assert.deepEqual(tr2.nextDue(), t(360));
  const late = tr2.tick(t(360));
  assert.equal(late.length, 1);
  assert.deepEqual(timestampDate(late[0].eventTime!), t(0), 'the FIRING still says when the pod stopped being ready');
});

test('holding keeps an open incident but never opens one; a pending one does not fire while holding', () => {
  const tr = new IncidentTracker({ cluster: 'c' });
  const between = pod({ statuses: [cs({ state: running(90), last: terminated('Error', 1, 46, 49), restarts: 3 })], ready: ['False', 49] });
  assert.deepEqual(detect('Pod', { current: between }, t(91), CFG).map((o) => o.state), ['holding', 'holding']);
  assert.deepEqual(feed(tr, 'Pod', { current: between }, 91), []);
  assert.deepEqual(tr.open(), []);

  // NotReady pending, then covered by a crash loop: it waits, and fires when the loop no longer explains it
  const tr2 = new IncidentTracker({ cluster: 'c' });
  const notReady = pod({ statuses: [cs({ state: running(3) })], ready: ['False', 0] });
  feed(tr2, 'Pod', { current: notReady }, 4);
  feed(tr2, 'Pod', { current: between }, 91);
  assert.deepEqual(tr2.tick(t(100)), []);
  assert.equal(tr2.nextDue(), undefined);
  const stuckUnready = feed(tr2, 'Pod', { current: between }, 151);
  assert.deepEqual(stuckUnready.map((n) => n.incidentKey), [`pod/${POD_UID}/NotReady`]);
});

test('ErrImagePull and ImagePullBackOff are one incident: the message updates, nothing is re-sent', () => {
  const tr = new IncidentTracker({ cluster: 'c' });
  const pulling = (reason: string, message: string) => pod({ phase: 'Pending', statuses: [cs({ state: waiting(reason, message), image: 'willwill/inexisting' })], ready: ['False', 0] });
  const sent = [
    ...feed(tr, 'Pod', { current: pulling('ErrImagePull', 'pull access denied') }, 2),
    ...feed(tr, 'Pod', { current: pulling('ImagePullBackOff', 'Back-off pulling image "willwill/inexisting"') }, 12),
    ...feed(tr, 'Pod', { current: pulling('ErrImagePull', 'pull access denied') }, 23),
    ...feed(tr, 'Pod', { current: pulling('ImagePullBackOff', 'Back-off pulling image "willwill/inexisting"') }, 33),
  ];
  assert.deepEqual(brief(sent), [`FIRING pod/${POD_UID}/app/image-pull | Container app of pod demo/web is waiting: ErrImagePull: pull access denied`]);
  const started = pod({ statuses: [cs({ state: running(40), ready: true })], ready: ['True', 41] });
  assert.deepEqual(brief(feed(tr, 'Pod', { current: started }, 41)), [
    `RESOLVED pod/${POD_UID}/app/image-pull | image ghcr.io/kubeherald/demo-app:1.4.2 was pulled and container app started`,
  ]);
});

test('a Warning event notifies once: its count going up is not re-sent; deleted, it is forgotten', () => {
  const tr = new IncidentTracker({ cluster: 'c' });
  const first = feed(tr, 'Event', { current: coreEvent({ count: 1, first: 11 }) }, 11);
  assert.equal(first.length, 1);
  const [n] = first;
  assert.deepEqual(
    [n.incidentKey, n.state, n.severity, n.eventType, n.count, n.title, n.detector, n.involvedObject?.kind, n.involvedObject?.uid],
    [`event/${EVENT_UID}`, State.FIRING, Severity.WARNING, 'Warning', 1, 'FailedPostStartHook: Pod demo/web', 'warningEvents', 'Pod', POD_UID],
  );
  assert.deepEqual(timestampDate(n.eventTime!), t(11));
  assert.deepEqual(feed(tr, 'Event', { old: coreEvent({ count: 1 }), current: coreEvent({ count: 2, last: 25 }) }, 25), []);
  assert.deepEqual(feed(tr, 'Event', { old: coreEvent({ count: 2 }), current: coreEvent({ count: 16, last: 177 }) }, 177), []);
  assert.deepEqual(feed(tr, 'Event', { old: coreEvent({ count: 16 }) }, 3600), []);
  // the same Event seen again after its deletion was forgotten: a new sighting
  assert.equal(feed(tr, 'Event', { current: coreEvent({ count: 17 }) }, 3700)[0].idempotencyKey, n.idempotencyKey, 'same key: the outbox drops it');
});

test('rollout completed notifies only on the transition, once per revision', () => {
  const tr = new IncidentTracker({ cluster: 'c' });
  const rolling = deployment({ generation: 2, revision: '2', updated: 2, total: 4, progressing: ['True', 'ReplicaSetUpdated', 10], availableCond: ['True', 'MinimumReplicasAvailable', 3] });
  const done = deployment({ generation: 2, revision: '2', progressing: ['True', 'NewReplicaSetAvailable', 10], availableCond: ['True', 'MinimumReplicasAvailable', 3] });
  assert.deepEqual(feed(tr, 'Deployment', { current: done }, 1), [], 'a re-list of a finished Deployment');
  assert.deepEqual(feed(tr, 'Deployment', { old: done, current: rolling }, 30), []);
  const sent = feed(tr, 'Deployment', { old: rolling, current: done }, 52);
  assert.deepEqual(brief(sent), [
    `FIRING deployment/${DEPLOY_UID}/rollout/2 | Deployment demo/web finished rolling out revision 2: 3 of 3 replicas updated and available (nginx:1.28)`,
  ]);
  assert.equal(sent[0].severity, Severity.INFO);
  assert.deepEqual(feed(tr, 'Deployment', { old: done, current: done }, 60), []);
  // the same transition delivered twice (a watch replay) is still one notification
  assert.deepEqual(feed(tr, 'Deployment', { old: rolling, current: done }, 61), []);
});

test('snapshot/restore: nothing is re-sent after a restart; pending and open incidents carry on', () => {
  const tr = new IncidentTracker({ cluster: 'c' });
  const firing = feed(tr, 'Pod', { current: crashPod(3) }, 60);
  feed(tr, 'Node', { current: node({ ready: ['Unknown', 50] }) }, 50);
  assert.equal(feed(tr, 'Event', { current: coreEvent() }, 11).length, 1);
  const nodeTr = new IncidentTracker({ cluster: 'c' });
  const pendingNode = node({ ready: ['Unknown', 50], uid: 'n2', name: 'sim-node-3' });
  // a node NotReady with a 60 s minimum, pending at snapshot time
  nodeTr.observe('n2', pendingNode, detect('Node', { current: pendingNode }, t(55), config({ nodeNotReady: { minSeconds: 60 } })), t(55));

  const state: TrackerState = JSON.parse(JSON.stringify(tr.snapshot()));
  const restored = IncidentTracker.restore(state, { cluster: 'c' });
  assert.deepEqual(restored.open(), tr.open());
  // the re-list after the restart sees the same objects
  assert.deepEqual(feed(restored, 'Pod', { current: crashPod(4) }, 300), []);
  assert.deepEqual(feed(restored, 'Node', { current: node({ ready: ['Unknown', 50] }) }, 300), []);
  assert.deepEqual(feed(restored, 'Event', { current: coreEvent({ count: 5 }) }, 300), []);
  const resolved = feed(restored, 'Pod', { current: healthyPod(7, 300) }, 360);
  assert.deepEqual(resolved.map((n) => [n.incidentKey, n.state]), [[CRASH_KEY, State.RESOLVED]]);
  // the same resolution from the tracker that never restarted has the same idempotency key
  assert.equal(feed(tr, 'Pod', { current: healthyPod(7, 300) }, 360)[0].idempotencyKey, resolved[0].idempotencyKey);
  assert.notEqual(resolved[0].idempotencyKey, firing[0].idempotencyKey);

  const pending = IncidentTracker.restore(JSON.parse(JSON.stringify(nodeTr.snapshot())), { cluster: 'c' });
  // NotReady since 50, first seen at 55: due a minimum after 55, restart or not
  assert.deepEqual(pending.nextDue(), t(115));
  const late = pending.tick(t(115));
  assert.deepEqual(late.map((n) => [n.incidentKey, n.state]), [['node/n2/NotReady', State.FIRING]]);
  assert.equal((late[0].rawObject as { metadata: { name: string } }).metadata.name, 'sim-node-3');
  assert.deepEqual(pending.tick(t(116)), []);

  assert.throws(() => IncidentTracker.restore({ version: 2 } as unknown as TrackerState, { cluster: 'c' }), /version 2/);
});

test('the same incident re-detected by a tracker that lost its state gets the same keys when the object dates it', () => {
  const a = new IncidentTracker({ cluster: 'c' });
  const b = new IncidentTracker({ cluster: 'c' });
  const down = node({ ready: ['Unknown', 5] });
  assert.equal(feed(a, 'Node', { current: down }, 5)[0].idempotencyKey, feed(b, 'Node', { current: down }, 400)[0].idempotencyKey);
});

test('options: no raw object when not wanted; edge memory is bounded', () => {
  const tr = new IncidentTracker({ cluster: 'c', includeRaw: false, maxEdgeKeys: 2 });
  const ev = (uid: string): KubeObject => coreEvent({ uid });
  const send = (uid: string) => tr.observe(uid, ev(uid), detect('Event', { current: ev(uid) }, t(1), CFG), t(1));
  assert.equal(send('e1')[0].rawObject, undefined);
  send('e2');
  assert.deepEqual(send('e2'), []);
  send('e3');
  assert.equal(tr.snapshot().edges.length, 2);
  assert.deepEqual(tr.snapshot().edges, [['event/e2', 'e2'], ['event/e3', 'e3']]);
  assert.equal(send('e1').length, 1, 'the oldest key was forgotten');
});

test('resolved messages say what recovered: node pressure, a stuck rollout, a deleted node', () => {
  const tr = new IncidentTracker({ cluster: 'c' });
  feed(tr, 'Node', { current: node({ pressure: { MemoryPressure: 20 } }) }, 20);
  assert.deepEqual(brief(feed(tr, 'Node', { current: node() }, 80)), [`RESOLVED node/${NODE_UID}/MemoryPressure | node sim-node-2 no longer has MemoryPressure`]);
  feed(tr, 'Node', { current: node({ pressure: { DiskPressure: 90 } }) }, 90);
  assert.deepEqual(brief(feed(tr, 'Node', { current: node({ ready: ['Unknown', 95] }) }, 95)), [
    `FIRING node/${NODE_UID}/NotReady | Node sim-node-2 is NotReady (Ready=Unknown, NodeStatusUnknown): Kubelet stopped posting node status.`,
    `RESOLVED node/${NODE_UID}/DiskPressure | node sim-node-2 no longer reports DiskPressure (status Unknown)`,
  ]);
  assert.deepEqual(brief(feed(tr, 'Node', { old: node({ ready: ['Unknown', 95] }) }, 99)), [`RESOLVED node/${NODE_UID}/NotReady | node sim-node-2 was deleted`]);

  const stuck = deployment({ generation: 2, revision: '2', updated: 1, total: 4, progressing: ['False', 'ProgressDeadlineExceeded', 97], availableCond: ['True', 'MinimumReplicasAvailable', 3] });
  const done = deployment({ generation: 2, revision: '2', progressing: ['True', 'NewReplicaSetAvailable', 200], availableCond: ['True', 'MinimumReplicasAvailable', 3] });
  const fired = feed(tr, 'Deployment', { current: stuck }, 97);
  assert.deepEqual(fired.map((n) => n.incidentKey), [`deployment/${DEPLOY_UID}/ProgressDeadlineExceeded`]);
  assert.deepEqual(brief(feed(tr, 'Deployment', { old: stuck, current: done }, 200)), [
    `FIRING deployment/${DEPLOY_UID}/rollout/2 | Deployment demo/web finished rolling out revision 2: 3 of 3 replicas updated and available (nginx:1.28)`,
    `RESOLVED deployment/${DEPLOY_UID}/ProgressDeadlineExceeded | deployment demo/web rolled out revision 2`,
  ]);
});

test('a Failed pod notifies once while it exists, however often it is re-listed', () => {
  const tr = new IncidentTracker({ cluster: 'c' });
  const failed = pod({ phase: 'Failed', statuses: [cs({ state: terminated('Error', 3, 1, 4) })], ready: ['False', 4] });
  assert.deepEqual(feed(tr, 'Pod', { current: failed }, 5).map((n) => n.incidentKey), [`pod/${POD_UID}/Failed`]);
  assert.deepEqual(feed(tr, 'Pod', { old: failed, current: failed }, 6), []);
  assert.deepEqual(feed(tr, 'Pod', { old: failed }, 7), []);
  assert.deepEqual(tr.snapshot().edges, []);
});
