// Causal inhibition: the pure rules (inhibit-rules.ts) and the Inhibitor's
// bookkeeping (inhibitor.ts): which notifications are causes, which are
// their effects, what a cause says it explains, and when its hold ends.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import type { KubeObject } from '../../src/model/kube.ts';
import { type Notification, NotificationSchema, ObjectRefSchema, State } from '../../src/model/notification.ts';
import { causeOf, explains, podOrObjectCause, podsOnNode, ruleApplies, validateRule, withExplanation, workloadCause } from '../../src/pipeline/inhibit-rules.ts';
import { Inhibitor } from '../../src/pipeline/inhibitor.ts';
import { inhibitSchema } from '../../src/pipeline/inhibit-config.ts';
import { parseConfigText } from '../../src/config/index.ts';

let seq = 0;
function note(o: { key: string; reason: string; kind: string; name: string; namespace?: string; state?: State; node?: string; owner?: string; cluster?: string }): Notification {
  const [ok, on] = (o.owner ?? '').split('/');
  return create(NotificationSchema, {
    idempotencyKey: `id-${++seq}`,
    incidentKey: o.key,
    state: o.state ?? State.FIRING,
    reason: o.reason,
    message: `${o.reason} of ${o.name}.`,
    cluster: o.cluster ?? 'c1',
    involvedObject: create(ObjectRefSchema, { kind: o.kind, name: o.name, namespace: o.namespace ?? '' }),
    owner: o.owner ? create(ObjectRefSchema, { kind: ok, name: on, namespace: o.namespace ?? '' }) : undefined,
    fields: o.node ? { node: o.node } : {},
  });
}

const nodeDown = (node = 'n2', state = State.FIRING) => note({ key: `node/${node}/NotReady`, reason: 'NodeNotReady', kind: 'Node', name: node, state });
const podNotReady = (i: number, node = 'n2', state = State.FIRING) =>
  note({ key: `pod/p${i}/NotReady`, reason: 'PodNotReady', kind: 'Pod', name: `fleet-${i}`, namespace: 'default', node, owner: 'Deployment/fleet', state });
const deployUnavailable = (state = State.FIRING) => note({ key: 'deploy/fleet/Unavailable', reason: 'MinimumReplicasUnavailable', kind: 'Deployment', name: 'fleet', namespace: 'default', state });

function pod(name: string, node: string, ready: boolean, owner = 'fleet'): KubeObject {
  return {
    metadata: { name, namespace: 'default', labels: { 'pod-template-hash': 'abc' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${owner}-abc`, uid: 'u', controller: true }] },
    spec: { nodeName: node },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  } as KubeObject;
}

test('causeOf: a NotReady node, a stuck rollout of each workload kind, a namespace being deleted; nothing else', () => {
  assert.equal(causeOf(nodeDown())?.label, 'NodeNotReady node/n2');
  assert.equal(causeOf(note({ key: 'd', reason: 'ProgressDeadlineExceeded', kind: 'Deployment', name: 'web', namespace: 'shop' }))?.label, 'ProgressDeadlineExceeded deployment/shop/web');
  assert.equal(causeOf(note({ key: 's', reason: 'StatefulSetRolloutStuck', kind: 'StatefulSet', name: 'db', namespace: 'shop' }))?.kind, 'rollout');
  assert.equal(causeOf(note({ key: 'ds', reason: 'DaemonSetRolloutStuck', kind: 'DaemonSet', name: 'agent', namespace: 'kube-system' }))?.kind, 'rollout');
  assert.equal(causeOf(note({ key: 'ns', reason: 'NamespaceTerminating', kind: 'Namespace', name: 'old' }))?.namespace, 'old');
  // a NodeNotReady Event about a pod is an effect, not a cause; a switched-off cause is none
  assert.equal(causeOf(note({ key: 'e', reason: 'NodeNotReady', kind: 'Pod', name: 'p' })), undefined);
  assert.equal(causeOf(nodeDown(), { node: false, rollout: true, namespace: true }), undefined);
  assert.equal(causeOf(podNotReady(1)), undefined);
});

test('podOrObjectCause: pods on the node, of the stuck workload, in the namespace; not another node, cluster or reason', () => {
  const node = causeOf(nodeDown())!;
  assert.equal(podOrObjectCause(podNotReady(1), [node])?.key, node.key);
  assert.equal(podOrObjectCause(note({ key: 'ev', reason: 'Evicted', kind: 'Pod', name: 'x', node: 'n2' }), [node])?.key, node.key);
  assert.equal(podOrObjectCause(podNotReady(1, 'n3'), [node]), undefined);
  assert.equal(podOrObjectCause(note({ key: 'k', reason: 'PodNotReady', kind: 'Pod', name: 'x', node: 'n2', cluster: 'c2' }), [node]), undefined);
  assert.equal(podOrObjectCause(note({ key: 'k', reason: 'OOMKilled', kind: 'Pod', name: 'x', node: 'n2' }), [node]), undefined, 'an OOM kill is the pod\'s own');
  assert.equal(podOrObjectCause(nodeDown('n3'), [node]), undefined, 'a cause is never an effect');
  const rollout = causeOf(note({ key: 'r', reason: 'ProgressDeadlineExceeded', kind: 'Deployment', name: 'web', namespace: 'shop' }))!;
  const pull = note({ key: 'pull', reason: 'ImagePullBackOff', kind: 'Pod', name: 'web-1', namespace: 'shop', owner: 'Deployment/web' });
  assert.equal(podOrObjectCause(pull, [rollout])?.key, 'r');
  assert.equal(podOrObjectCause(note({ key: 'o', reason: 'ImagePullBackOff', kind: 'Pod', name: 'api-1', namespace: 'shop', owner: 'Deployment/api' }), [rollout]), undefined);
  const ns = causeOf(note({ key: 'ns', reason: 'NamespaceTerminating', kind: 'Namespace', name: 'shop' }))!;
  assert.equal(podOrObjectCause(note({ key: 'any', reason: 'FailedMount', kind: 'Pod', name: 'x', namespace: 'shop' }), [ns])?.key, 'ns');
});

test('workloadCause: only when every unready pod of the workload is on a NotReady node', () => {
  const node = causeOf(nodeDown())!;
  const pods = [pod('a', 'n2', false), pod('b', 'n2', false), pod('c', 'n1', true)];
  assert.equal(workloadCause(deployUnavailable(), [node], pods)?.key, node.key);
  assert.equal(workloadCause(deployUnavailable(), [node], [...pods, pod('d', 'n1', false)]), undefined, 'an unready pod elsewhere: its own story');
  assert.equal(workloadCause(deployUnavailable(), [node], [pod('c', 'n1', true)]), undefined, 'no unready pod: nothing to blame');
  assert.equal(workloadCause(deployUnavailable(), [], pods), undefined);
  assert.equal(workloadCause(podNotReady(1), [node], pods), undefined);
});

test('explains names the node\'s pods by workload and what is held; withExplanation joins it to the message', () => {
  const node = causeOf(nodeDown())!;
  const many = podsOnNode(Array.from({ length: 25 }, (_, i) => pod(`f${i}`, 'n2', false)), 'n2');
  assert.equal(explains(node, many, 0), '25 pods of default/fleet affected on this node');
  const mixed = podsOnNode([pod('a', 'n2', true, 'web'), pod('b', 'n2', true, 'web'), pod('c', 'n2', true, 'db'), pod('d', 'n1', true)], 'n2');
  assert.equal(explains(node, mixed, 3), '3 pods affected on this node: 2 of default/web, 1 of default/db; 3 related notifications held back as its effects');
  assert.equal(explains(node, new Map(), 0), '');
  assert.equal(withExplanation('Node n2 is NotReady: Kubelet stopped posting node status.', '25 pods of default/fleet affected on this node'), 'Node n2 is NotReady: Kubelet stopped posting node status. 25 pods of default/fleet affected on this node.');
  assert.equal(withExplanation('m', ''), 'm');
});

test('user rules: source inhibits target when the equal attributes agree; bad rules name their field', () => {
  const r = { name: 'r', source: { reason: 'NodeNotReady' }, target: { kind: 'Pod' }, equal: ['node'] };
  const src = note({ key: 's', reason: 'NodeNotReady', kind: 'Node', name: 'n2', node: 'n2' });
  assert.equal(ruleApplies(r, src, note({ key: 't', reason: 'X', kind: 'Pod', name: 'p', node: 'n2' })), true);
  assert.equal(ruleApplies(r, src, note({ key: 't', reason: 'X', kind: 'Pod', name: 'p', node: 'n3' })), false);
  assert.equal(ruleApplies(r, src, src), false);
  assert.deepEqual(validateRule({ source: { reson: 'x' }, target: {}, equal: ['nod'], extra: 1 }, 'inhibit.rules[0]'), [
    'inhibit.rules[0].extra: unknown key (known keys: name, source, target, equal)',
    'inhibit.rules[0].source.reson: unknown attribute (use reason, kind, namespace, name, severity, cluster, detector, node, owner, label.<key> or field.<key>)',
    'inhibit.rules[0].target: needs at least one matcher (an empty one would match everything)',
    'inhibit.rules[0].equal[0]: unknown attribute "nod"',
  ]);
  assert.deepEqual(validateRule('x', 'p'), ['p: expected an object with source, target and equal']);
  const parsed = inhibitSchema.safeParse({ rules: [{ source: { reson: 'x' }, target: { kind: 'Pod' } }] });
  assert.equal(parsed.success, false);
  assert.deepEqual(parsed.error!.issues.map((i) => [i.path.join('.'), i.message]), [['rules.0.source.reson', 'unknown attribute (use reason, kind, namespace, name, severity, cluster, detector, node, owner, label.<key> or field.<key>)']]);
  assert.deepEqual(inhibitSchema.parse({}), { enabled: true, node: true, rollout: true, namespace: true, releaseAfterSeconds: 60, rules: [] });
  // the config file's error names file, line and field
  assert.throws(() => parseConfigText('inhibit:\n  rules:\n    - {source: {reson: X}, target: {kind: Pod}}\n', 'k.yaml'), /^ConfigError: k\.yaml:3: inhibit\.rules\[0\]\.source\.reson: unknown attribute/);
  assert.throws(() => parseConfigText('inhibit: {releaseAfterSeconds: -1}', 'k.yaml'), /inhibit\.releaseAfterSeconds/);
});

test('Inhibitor: the cause carries what it explains, its effects are held, an update when the count changes, release after the hold', () => {
  const pods = Array.from({ length: 3 }, (_, i) => pod(`f${i}`, 'n2', false));
  const inh = new Inhibitor({ pods: () => pods, releaseAfterMs: 60_000 });
  const [cause] = inh.observe([nodeDown()], 0).notifications;
  assert.equal(cause.message, 'NodeNotReady of n2. 3 pods of default/fleet affected on this node.');
  assert.equal(cause.fields.explains, '3 pods of default/fleet affected on this node');
  // two effects in one batch: one update of the cause with a new idempotency key, the same incident
  const batch = inh.observe([podNotReady(1), podNotReady(2)], 1000).notifications;
  assert.equal(batch.length, 3);
  const update = batch[2];
  assert.equal(update.incidentKey, cause.incidentKey);
  assert.notEqual(update.idempotencyKey, cause.idempotencyKey);
  assert.match(update.message, /3 pods of default\/fleet affected on this node; 2 related notifications held back/);
  assert.deepEqual(inh.check(batch[0], 'slack', 1000), { by: 'inhibition', id: cause.incidentKey, text: 'inhibited by NodeNotReady node/n2' });
  assert.equal(inh.check(cause, 'slack', 1000), undefined, 'the cause itself goes out');
  // the workload's availability: every unready pod on the dead node
  const d = inh.observe([deployUnavailable()], 2000).notifications;
  assert.equal(inh.check(d[0], 'slack', 2000)?.id, cause.incidentKey);
  // nothing changed: no update
  assert.equal(inh.observe([podNotReady(1)], 2500).notifications.length, 1);
  // the node resolves: its effects stay held for the hold, their RESOLVED too
  inh.observe([nodeDown('n2', State.RESOLVED)], 3000);
  const resolved = inh.observe([podNotReady(1, 'n2', State.RESOLVED)], 4000).notifications[0];
  assert.equal(inh.check(resolved, 'slack', 4000)?.id, cause.incidentKey);
  // a new pod NotReady on the node now is not the resolved cause's
  const late = inh.observe([podNotReady(9)], 5000).notifications[0];
  assert.equal(inh.check(late, 'slack', 5000), undefined);
  assert.deepEqual(inh.due(62_999), []);
  assert.equal(inh.nextDueAt(), 63_000);
  assert.deepEqual(inh.due(63_000), [cause.incidentKey]);
  // released: what still fires is no longer held (the Outbox re-enqueues it)
  assert.equal(inh.check(batch[1], 'slack', 63_000), undefined);
  assert.deepEqual(inh.causes(), []);
});

test('Inhibitor: two clusters with the same node names: a NotReady node holds and counts only its own cluster\'s pods; user rules never cross', () => {
  // each cluster's cache: the pods on n2 of c1 are unready, c2's n2 is another machine
  const cache: Record<string, KubeObject[]> = { c1: [pod('a', 'n2', false), pod('b', 'n2', false)], c2: [pod('x', 'n2', false)] };
  const asked: string[] = [];
  const inh = new Inhibitor({ pods: (cluster) => (asked.push(cluster), cache[cluster] ?? []), releaseAfterMs: 60_000 });
  const [cause] = inh.observe([nodeDown()], 0).notifications;
  assert.equal(cause.fields.explains, '2 pods of default/fleet affected on this node', 'c1\'s pods only');
  const inC2 = (n: Notification): Notification => ({ ...n, cluster: 'c2', incidentKey: `c2/${n.incidentKey}` });
  const [other] = inh.observe([inC2(podNotReady(1))], 1000).notifications;
  assert.equal(inh.check(other, 'slack', 1000), undefined, 'a pod of c2 on its own n2 is not held by c1\'s node');
  const [unavailable] = inh.observe([inC2(deployUnavailable())], 2000).notifications;
  assert.equal(inh.check(unavailable, 'slack', 2000), undefined);
  // c1's cause counted c1's pods; c2's workload looked at c2's
  assert.deepEqual([...new Set(asked)], ['c1', 'c2']);
  const r = { name: 'r', source: { reason: 'NodeNotReady' }, target: { kind: 'Pod' }, equal: ['node'] };
  const src = note({ key: 's', reason: 'NodeNotReady', kind: 'Node', name: 'n2', node: 'n2' });
  assert.equal(ruleApplies(r, src, note({ key: 't', reason: 'X', kind: 'Pod', name: 'p', node: 'n2', cluster: 'c2' })), false);
});

test('Inhibitor: a cause firing again within its hold holds on; a user rule holds its targets', () => {
  const inh = new Inhibitor({ releaseAfterMs: 10_000, rules: [{ name: 'db', source: { reason: 'DatabaseDown' }, target: { namespace: 'shop' }, equal: ['cluster'] }] });
  inh.observe([nodeDown()], 0);
  const p = inh.observe([podNotReady(1)], 1).notifications[0];
  inh.observe([nodeDown('n2', State.RESOLVED)], 2);
  inh.observe([nodeDown()], 3);
  assert.deepEqual(inh.due(100_000), []);
  assert.equal(inh.check(p, 'slack', 4)?.by, 'inhibition');
  const src = note({ key: 'db/down', reason: 'DatabaseDown', kind: 'Service', name: 'db', namespace: 'infra' });
  inh.observe([src], 5);
  const t = inh.observe([note({ key: 'shop/x', reason: 'Whatever', kind: 'Pod', name: 'x', namespace: 'shop' })], 6).notifications[0];
  assert.deepEqual(inh.check(t, 'slack', 6), { by: 'inhibition', id: 'db/down', text: 'inhibited by DatabaseDown service/infra/db' });
  const other = inh.observe([note({ key: 'web/x', reason: 'Whatever', kind: 'Pod', name: 'x', namespace: 'web' })], 7).notifications[0];
  assert.equal(inh.check(other, 'slack', 7), undefined);
});

test('Inhibitor.restore: after a restart an open cause holds its effects and new ones; one resolved meanwhile is released after the hold', () => {
  const pods = [pod('f1', 'n2', false)];
  const inh = new Inhibitor({ pods: () => pods, releaseAfterMs: 5000 });
  const firing = nodeDown();
  assert.equal(inh.isCause(firing), true);
  assert.equal(inh.isCause(podNotReady(1)), false);
  inh.restore({ key: firing.incidentKey, firing, effects: ['pod/p1/NotReady'], open: true }, 0);
  // the effect held before the restart is still held, its RESOLVED too; a new pod on the node is held as well
  assert.equal(inh.check(podNotReady(1, 'n2', State.RESOLVED), 'slack', 1)?.id, firing.incidentKey);
  const fresh = inh.observe([podNotReady(2)], 2).notifications;
  assert.equal(inh.check(fresh[0], 'slack', 2)?.id, firing.incidentKey);
  // a cause known only from its hold's text, resolved while kubeherald was down: released once the hold passes
  inh.restore({ key: 'node/gone/NotReady', label: 'NodeNotReady node/n7', effects: ['pod/p7/NotReady'], open: false }, 10);
  const p7 = note({ key: 'pod/p7/NotReady', reason: 'PodNotReady', kind: 'Pod', name: 'x', node: 'n7' });
  assert.deepEqual(inh.check(p7, 'slack', 11), { by: 'inhibition', id: 'node/gone/NotReady', text: 'inhibited by NodeNotReady node/n7' });
  assert.deepEqual(inh.due(5009), []);
  assert.deepEqual(inh.due(5010), ['node/gone/NotReady']);
  assert.equal(inh.check(p7, 'slack', 5010), undefined);
  // the open one resolves as usual
  inh.observe([nodeDown('n2', State.RESOLVED)], 6000);
  assert.deepEqual(inh.due(11_000), [firing.incidentKey]);
});

test('rollout story: a pod failing to pull while its Deployment is updated tells the story; its siblings and the stuck rollout are held; not on creation', () => {
  const deploy = (revision: string, progressing: string): KubeObject =>
    ({ metadata: { name: 'web', namespace: 'shop', annotations: { 'deployment.kubernetes.io/revision': revision } }, status: { conditions: [{ type: 'Progressing', status: 'True', reason: progressing }] } }) as KubeObject;
  let d = deploy('2', 'ReplicaSetUpdated');
  const inh = new Inhibitor({ workload: (kind, ns, name) => (kind === 'Deployment' && ns === 'shop' && name === 'web' ? d : undefined), releaseAfterMs: 1000 });
  const pull = (i: number, state = State.FIRING) => note({ key: `pod/w${i}/image-pull`, reason: 'ImagePullBackOff', kind: 'Pod', name: `web-${i}`, namespace: 'shop', owner: 'Deployment/web', state });
  const [first] = inh.observe([pull(1)], 0).notifications;
  assert.equal(inh.check(first, 'slack', 0), undefined, 'the first failing pod tells the story');
  assert.equal(first.fields.explains, 'rollout of shop/web revision 2: 1 new pod cannot start (ImagePullBackOff)');
  const batch = inh.observe([pull(2), pull(3)], 1).notifications;
  assert.equal(inh.check(batch[0], 'slack', 1)?.text, 'inhibited by rollout of deployment/shop/web revision 2');
  assert.equal(batch[2].fields.explains, 'rollout of shop/web revision 2: 3 new pods cannot start (ImagePullBackOff)');
  const stuck = inh.observe([note({ key: 'deploy/web/ProgressDeadlineExceeded', reason: 'ProgressDeadlineExceeded', kind: 'Deployment', name: 'web', namespace: 'shop' })], 2).notifications[0];
  assert.equal(inh.check(stuck, 'slack', 2)?.id, first.incidentKey, 'the stuck rollout is the same story');
  // rolled back: the first pod resolves, the story ends after the hold
  inh.observe([pull(1, State.RESOLVED)], 3);
  assert.deepEqual(inh.due(1003), [first.incidentKey]);
  // a Deployment being created (revision 1) or done rolling out has no story
  d = deploy('1', 'ReplicaSetUpdated');
  const fresh = inh.observe([pull(7)], 2000).notifications[0];
  assert.equal(inh.check(fresh, 'slack', 2000), undefined);
  assert.equal(fresh.fields.explains, undefined);
  d = deploy('3', 'NewReplicaSetAvailable');
  assert.equal(inh.observe([pull(8)], 2001).notifications[0].fields.explains, undefined);
});

test('rollout story after a restart: restored from its first pod\'s FIRING as it went out', () => {
  const inh = new Inhibitor({ releaseAfterMs: 1000 });
  const firing = note({ key: 'pod/w1/image-pull', reason: 'ErrImagePull', kind: 'Pod', name: 'web-1', namespace: 'shop', owner: 'Deployment/web' });
  firing.fields.explains = 'rollout of shop/web revision 4: 2 new pods cannot start (ErrImagePull)';
  assert.equal(inh.isCause(firing), true);
  inh.restore({ key: firing.incidentKey, firing, effects: ['pod/w2/image-pull'], open: true }, 0);
  const sibling = note({ key: 'pod/w3/image-pull', reason: 'ImagePullBackOff', kind: 'Pod', name: 'web-3', namespace: 'shop', owner: 'Deployment/web' });
  assert.equal(inh.check(inh.observe([sibling], 1).notifications[0], 'slack', 1)?.text, 'inhibited by rollout of deployment/shop/web revision 4');
  const plain = note({ key: 'pod/x/image-pull', reason: 'ErrImagePull', kind: 'Pod', name: 'x', namespace: 'shop', owner: 'Deployment/web' });
  assert.equal(inh.isCause(plain), false);
});

test('rollout story of a StatefulSet: its new pod (controller-revision-hash = updateRevision) tells it, the stuck rollout and availability are held; not on creation, not an old-revision pod', () => {
  const sts = (current: string, update: string, ready = 2): KubeObject =>
    ({ metadata: { name: 'db', namespace: 'shop', generation: 2 }, spec: { replicas: 3 }, status: { observedGeneration: 2, replicas: 3, readyReplicas: ready, updatedReplicas: 1, currentRevision: current, updateRevision: update } }) as KubeObject;
  let s = sts('db-aaa', 'db-bbb');
  const inh = new Inhibitor({ workload: (kind, ns, name) => (kind === 'StatefulSet' && ns === 'shop' && name === 'db' ? s : undefined), releaseAfterMs: 1000 });
  const pull = (i: number, revision: string | undefined, reason = 'ErrImagePull', state = State.FIRING) => {
    const n = note({ key: `pod/db${i}/image-pull`, reason, kind: 'Pod', name: `db-${i}`, namespace: 'shop', owner: 'StatefulSet/db', state });
    if (revision) n.labels['controller-revision-hash'] = revision;
    return n;
  };
  // a pod of the old revision crash-looping is not the rollout's
  const old = inh.observe([pull(0, 'db-aaa', 'CrashLoopBackOff')], 0).notifications[0];
  assert.equal(old.fields.explains, undefined, 'an old-revision pod tells no rollout story');
  const [first] = inh.observe([pull(2, 'db-bbb')], 1).notifications;
  assert.equal(inh.check(first, 'slack', 1), undefined, 'the first failing new pod tells the story');
  assert.equal(first.fields.explains, 'rollout of shop/db revision db-bbb: 1 new pod cannot start (ErrImagePull)');
  assert.match(first.message, /Rollout of shop\/db revision db-bbb: 1 new pod cannot start \(ErrImagePull\)\.$/);
  const again = inh.observe([pull(2, 'db-bbb', 'ImagePullBackOff')], 2).notifications[0];
  assert.equal(inh.check(again, 'slack', 2), undefined, 'the same incident again is the story itself');
  const sibling = inh.observe([pull(1, 'db-bbb', 'ImagePullBackOff')], 2).notifications[0];
  assert.equal(inh.check(sibling, 'slack', 2)?.text, 'inhibited by rollout of statefulset/shop/db revision db-bbb', 'another new pod failing is the story\'s');
  const stuck = note({ key: 'statefulset/u/StatefulSetRolloutStuck/db-bbb:1:2', reason: 'StatefulSetRolloutStuck', kind: 'StatefulSet', name: 'db', namespace: 'shop' });
  const unavailable = note({ key: 'statefulset/u/StatefulSetUnavailable', reason: 'StatefulSetUnavailable', kind: 'StatefulSet', name: 'db', namespace: 'shop' });
  const out = inh.observe([stuck, unavailable], 3).notifications;
  assert.equal(inh.check(out[0], 'slack', 3)?.id, first.incidentKey, 'the stuck rollout is the story\'s');
  assert.equal(inh.check(out[1], 'slack', 3)?.id, first.incidentKey, 'so is its unavailability');
  assert.equal(inh.causes().length, 1, 'one story, the stuck rollout did not open another');
  // another StatefulSet's stuck rollout is its own cause
  const other = note({ key: 'statefulset/v/StatefulSetRolloutStuck/x', reason: 'StatefulSetRolloutStuck', kind: 'StatefulSet', name: 'cache', namespace: 'shop' });
  assert.equal(inh.check(inh.observe([other], 4).notifications[0], 'slack', 4), undefined);
  // rolled back: the story ends after the hold
  inh.observe([pull(2, 'db-bbb', 'ErrImagePull', State.RESOLVED)], 5);
  assert.deepEqual(inh.due(1005), [first.incidentKey]);
  // created (both revisions the same) or done rolling out: no story
  s = sts('db-ccc', 'db-ccc', 1);
  assert.equal(inh.observe([pull(5, 'db-ccc')], 2000).notifications[0].fields.explains, undefined, 'a creation has no rollout story');
  s = { ...sts('db-ccc', 'db-ddd', 3), status: { observedGeneration: 2, replicas: 3, readyReplicas: 3, updatedReplicas: 3, currentRevision: 'db-ccc', updateRevision: 'db-ddd' } } as KubeObject;
  s.spec = { replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } };
  assert.equal(inh.observe([pull(6, 'db-ddd')], 2001).notifications[0].fields.explains, undefined, 'a rollout done down to its partition has no story');
});

test('rollout story of a DaemonSet: a new pod (pod-template-generation = the template generation) tells it; its siblings and DaemonSetRolloutStuck are held; not on creation or once complete', () => {
  const ds = (generation: number, updated: number, desired = 3): KubeObject =>
    ({ metadata: { name: 'agent', namespace: 'kube-system', generation, annotations: { 'deprecated.daemonset.template.generation': String(generation) } }, status: { observedGeneration: generation, desiredNumberScheduled: desired, updatedNumberScheduled: updated, numberAvailable: updated === desired ? desired : desired - 1 } }) as KubeObject;
  let d = ds(3, 1);
  const inh = new Inhibitor({ workload: (kind, ns, name) => (kind === 'DaemonSet' && ns === 'kube-system' && name === 'agent' ? d : undefined), releaseAfterMs: 1000 });
  const crash = (i: number, generation: string, state = State.FIRING) => {
    const n = note({ key: `pod/a${i}/crash`, reason: 'CrashLoopBackOff', kind: 'Pod', name: `agent-${i}`, namespace: 'kube-system', owner: 'DaemonSet/agent', state });
    n.labels['pod-template-generation'] = generation;
    return n;
  };
  assert.equal(inh.observe([crash(0, '2')], 0).notifications[0].fields.explains, undefined, 'a pod of the previous template is not the rollout\'s');
  const [first] = inh.observe([crash(1, '3')], 1).notifications;
  assert.equal(inh.check(first, 'slack', 1), undefined);
  assert.equal(first.fields.explains, 'rollout of kube-system/agent generation 3: 1 new pod cannot start (CrashLoopBackOff)');
  const batch = inh.observe([crash(2, '3'), note({ key: 'daemonset/u/DaemonSetRolloutStuck/3/3/1/2', reason: 'DaemonSetRolloutStuck', kind: 'DaemonSet', name: 'agent', namespace: 'kube-system' })], 2).notifications;
  assert.equal(inh.check(batch[0], 'slack', 2)?.text, 'inhibited by rollout of daemonset/kube-system/agent generation 3');
  assert.equal(inh.check(batch[1], 'slack', 2)?.id, first.incidentKey, 'the stuck rollout is the story\'s');
  assert.equal(batch[2].fields.explains, 'rollout of kube-system/agent generation 3: 2 new pods cannot start (CrashLoopBackOff)', 'the story\'s count is kept current');
  inh.observe([crash(1, '3', State.RESOLVED)], 3);
  assert.deepEqual(inh.due(1003), [first.incidentKey]);
  d = ds(1, 1);
  assert.equal(inh.observe([crash(7, '1')], 2000).notifications[0].fields.explains, undefined, 'a creation has no rollout story');
  d = ds(4, 3);
  assert.equal(inh.observe([crash(8, '4')], 2001).notifications[0].fields.explains, undefined, 'a complete rollout has no story');
});

test('rollout story: a stuck rollout already open tells the story, the new pods failing after it are its effects (no second story)', () => {
  const sts = { metadata: { name: 'db', namespace: 'shop', generation: 2 }, spec: { replicas: 3 }, status: { observedGeneration: 2, readyReplicas: 2, updatedReplicas: 1, currentRevision: 'db-aaa', updateRevision: 'db-bbb' } } as KubeObject;
  const inh = new Inhibitor({ workload: () => sts });
  const stuck = inh.observe([note({ key: 'statefulset/u/StatefulSetRolloutStuck/p', reason: 'StatefulSetRolloutStuck', kind: 'StatefulSet', name: 'db', namespace: 'shop' })], 0).notifications[0];
  assert.equal(inh.check(stuck, 'slack', 0), undefined);
  const pod = note({ key: 'pod/db2/image-pull', reason: 'ErrImagePull', kind: 'Pod', name: 'db-2', namespace: 'shop', owner: 'StatefulSet/db' });
  assert.equal(inh.check(inh.observe([pod], 1).notifications[0], 'slack', 1)?.id, stuck.incidentKey);
  assert.equal(inh.causes().length, 1);
});

test('rollout story after a restart: a StatefulSet\'s and a DaemonSet\'s are restored from their first pod\'s FIRING', () => {
  const inh = new Inhibitor({ releaseAfterMs: 1000 });
  const sts = note({ key: 'pod/db2/image-pull', reason: 'ErrImagePull', kind: 'Pod', name: 'db-2', namespace: 'shop', owner: 'StatefulSet/db' });
  sts.fields.explains = 'rollout of shop/db revision db-bbb: 1 new pod cannot start (ErrImagePull)';
  const ds = note({ key: 'pod/a1/crash', reason: 'CrashLoopBackOff', kind: 'Pod', name: 'agent-1', namespace: 'kube-system', owner: 'DaemonSet/agent' });
  ds.fields.explains = 'rollout of kube-system/agent generation 3: 1 new pod cannot start (CrashLoopBackOff)';
  assert.equal(inh.isCause(sts), true);
  assert.equal(inh.isCause(ds), true);
  inh.restore({ key: sts.incidentKey, firing: sts, effects: [], open: true }, 0);
  inh.restore({ key: ds.incidentKey, firing: ds, effects: [], open: true }, 0);
  assert.deepEqual(inh.causes().map((c) => c.label).sort(), ['rollout of daemonset/kube-system/agent generation 3', 'rollout of statefulset/shop/db revision db-bbb']);
});
