import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimClock } from '../../src/sim/clock.ts';
import { ObjectStore } from '../../src/sim/store.ts';
import { LogStore } from '../../src/sim/logs.ts';
import { EventRecorder } from '../../src/sim/events.ts';
import { applyCreateDefaults, applyUpdateDefaults } from '../../src/sim/defaults.ts';
import { DEPLOYMENTS, EVENTS, NAMESPACES, PODS, REPLICASETS } from '../../src/sim/refs.ts';
import type { SimContext } from '../../src/sim/scenario.ts';
import type { KObject } from '../../src/sim/types.ts';
import {
  maxSurge,
  maxUnavailable,
  podTemplateHash,
  resolveFenceposts,
  scaledValue,
  startDeploymentControllers,
  type Deployment,
} from '../../src/sim/controllers/deployment.ts';
import { podsToDelete, type Pod, type ReplicaSet } from '../../src/sim/controllers/replicaset.ts';

const NS = 'demo';
const START = new Date('2025-03-01T10:00:00Z');

function seeded(seed = 42): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function setup(opts: { terminationDelayMs?: number } = {}) {
  const clock = new SimClock({ speed: 0, start: START });
  const store = new ObjectStore({ clock });
  const ctx: SimContext = { store, clock, logs: new LogStore(), recorder: new EventRecorder(store) };
  store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  const stop = startDeploymentControllers(ctx, { random: seeded(), terminationDelayMs: 1000, ...opts });
  return { ctx, clock, store, stop };
}

type Ctx = ReturnType<typeof setup>;

function template(image: string, annotations?: Record<string, string>) {
  return {
    metadata: { labels: { app: 'web' }, ...(annotations ? { annotations } : {}) },
    spec: { containers: [{ name: 'web', image }] },
  };
}

function createDeployment(c: Ctx, spec: Record<string, unknown> & { replicas?: number }, name = 'web'): Deployment {
  const d: KObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, labels: { app: name } },
    spec: { selector: { matchLabels: { app: 'web' } }, template: template('nginx:1.27'), ...spec },
  };
  applyCreateDefaults(DEPLOYMENTS.storage, d);
  return c.store.create(DEPLOYMENTS, d) as Deployment;
}

/** An update through the API: spec changes bump the generation. */
function updateDeployment(c: Ctx, fn: (d: Deployment) => void, name = 'web'): void {
  c.store.mutate(DEPLOYMENTS, NS, name, (o) => {
    const d = o as Deployment;
    fn(d);
    applyUpdateDefaults(DEPLOYMENTS.storage, d);
    d.metadata.generation = (d.metadata.generation ?? 1) + 1;
  });
}

const deployment = (c: Ctx, name = 'web') => c.store.get(DEPLOYMENTS.storage, NS, name) as Deployment;
const replicaSets = (c: Ctx) => c.store.list(REPLICASETS.storage, NS) as ReplicaSet[];
const rsNamed = (c: Ctx, name: string) => c.store.get(REPLICASETS.storage, NS, name) as ReplicaSet;
const podsOf = (c: Ctx, rs: ReplicaSet) =>
  (c.store.list(PODS.storage, NS) as Pod[]).filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === rs.metadata.uid));
const livePodsOf = (c: Ctx, rs: ReplicaSet) => podsOf(c, rs).filter((p) => !p.metadata.deletionTimestamp);
const condition = (d: Deployment, type: string) => d.status?.conditions?.find((x) => x.type === type);
const events = (c: Ctx, reason?: string) =>
  (c.store.list(EVENTS.storage, NS) as KObject[])
    .filter((e) => !reason || e.reason === reason)
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
const messages = (c: Ctx, reason: string) => events(c, reason).map((e) => e.message as string);

/** What the kubelet would do: the pod runs on a node and turns Ready now. */
function makeReady(c: Ctx, pod: Pod): void {
  const now = c.clock.nowIso();
  c.store.mutate(PODS, NS, pod.metadata.name!, (p) => {
    (p.spec as Record<string, unknown>).nodeName = 'node-1';
    p.status = {
      ...(p.status as object),
      phase: 'Running',
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
        { type: 'Ready', status: 'True', lastTransitionTime: now },
      ],
    };
  });
}

function bindAll(c: Ctx): void {
  for (const p of c.store.list(PODS.storage, NS) as Pod[]) {
    if (p.spec?.nodeName) continue;
    c.store.mutate(PODS, NS, p.metadata.name!, (o) => {
      (o.spec as Record<string, unknown>).nodeName = 'node-1';
      o.status = { ...(o.status as object), phase: 'Running' };
    });
  }
}

function readyAll(c: Ctx, rs: ReplicaSet): void {
  for (const p of livePodsOf(c, rs)) if (!p.status?.conditions?.some((x) => x.type === 'Ready')) makeReady(c, p);
}

const counts = (c: Ctx, name: string) => {
  const rs = rsNamed(c, name);
  return { spec: rs.spec.replicas, replicas: rs.status?.replicas ?? 0, available: rs.status?.availableReplicas ?? 0 };
};

// ---------------------------------------------------------------------------

test('fenceposts and percentages round like intstr', () => {
  assert.equal(scaledValue('25%', 3, true), 1);
  assert.equal(scaledValue('25%', 3, false), 0);
  assert.equal(scaledValue('25%', 10, true), 3);
  assert.equal(scaledValue('25%', 10, false), 2);
  assert.equal(scaledValue(2, 10, false), 2);
  assert.deepEqual(resolveFenceposts('25%', '25%', 3), [1, 0]);
  assert.deepEqual(resolveFenceposts('0%', '10%', 3), [0, 1]); // both zero → one may be unavailable
  assert.deepEqual(resolveFenceposts(0, 0, 1), [0, 1]);
  const d = { metadata: {}, spec: { replicas: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } } } as Deployment;
  assert.equal(maxSurge(d), 3);
  assert.equal(maxUnavailable(d), 2);
  const r = { metadata: {}, spec: { replicas: 3, strategy: { type: 'Recreate' } } } as Deployment;
  assert.equal(maxSurge(r), 0);
  assert.equal(maxUnavailable(r), 0);
});

test('pod-template-hash is stable, in the safe alphabet, and changes with the template and collisionCount', () => {
  const a = podTemplateHash(template('nginx:1.27'));
  assert.equal(a, podTemplateHash(template('nginx:1.27')));
  assert.match(a, /^[456789bcdf]{6,10}$/);
  assert.notEqual(a, podTemplateHash(template('nginx:1.28')));
  assert.notEqual(a, podTemplateHash(template('nginx:1.27'), 1));
  // key order does not matter
  assert.equal(
    podTemplateHash({ spec: { containers: [{ image: 'x', name: 'a' }] }, metadata: { labels: { b: '1', a: '2' } } }),
    podTemplateHash({ metadata: { labels: { a: '2', b: '1' } }, spec: { containers: [{ name: 'a', image: 'x' }] } }),
  );
});

test('a new Deployment gets one ReplicaSet and its pods, named, labelled and owned as upstream', async () => {
  const c = setup();
  const d = createDeployment(c, { replicas: 3 });
  await c.clock.advance(0);

  const hash = podTemplateHash(deployment(c).spec.template);
  const rsName = `web-${hash}`;
  const rss = replicaSets(c);
  assert.deepEqual(rss.map((r) => r.metadata.name), [rsName]);
  const rs = rss[0];
  assert.deepEqual(rs.metadata.labels, { app: 'web', 'pod-template-hash': hash });
  assert.deepEqual(rs.spec.selector, { matchLabels: { app: 'web', 'pod-template-hash': hash } });
  assert.deepEqual(rs.spec.template?.metadata?.labels, { app: 'web', 'pod-template-hash': hash });
  assert.deepEqual(rs.metadata.ownerReferences, [
    { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true, blockOwnerDeletion: true },
  ]);
  assert.deepEqual(rs.metadata.annotations, {
    'deployment.kubernetes.io/desired-replicas': '3',
    'deployment.kubernetes.io/max-replicas': '4',
    'deployment.kubernetes.io/revision': '1',
  });
  assert.equal(rs.spec.replicas, 3);
  assert.equal(deployment(c).metadata.annotations?.['deployment.kubernetes.io/revision'], '1');

  const pods = podsOf(c, rs);
  assert.equal(pods.length, 3);
  for (const p of pods) {
    assert.match(p.metadata.name!, new RegExp(`^${rsName}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
    assert.equal(p.metadata.generateName, `${rsName}-`);
    assert.deepEqual(p.metadata.labels, { app: 'web', 'pod-template-hash': hash });
    assert.deepEqual(p.metadata.ownerReferences, [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsName, uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    assert.equal(p.status?.phase, 'Pending');
    assert.equal((p.spec as Record<string, unknown>).serviceAccountName, 'default');
  }
  assert.deepEqual(messages(c, 'ScalingReplicaSet'), [`Scaled up replica set ${rsName} from 0 to 3`]);
  assert.deepEqual(messages(c, 'SuccessfulCreate').sort(), pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
  const ev = events(c, 'ScalingReplicaSet')[0];
  assert.deepEqual(ev.source, { component: 'deployment-controller' });
  assert.deepEqual((ev.involvedObject as Record<string, unknown>).kind, 'Deployment');
  assert.deepEqual(events(c, 'SuccessfulCreate')[0].source, { component: 'replicaset-controller' });
  assert.equal((events(c, 'SuccessfulCreate')[0].involvedObject as Record<string, unknown>).kind, 'ReplicaSet');

  let st = deployment(c).status!;
  assert.equal(st.observedGeneration, 1);
  assert.equal(st.replicas, 3);
  assert.equal(st.updatedReplicas, 3);
  assert.equal(st.unavailableReplicas, 3);
  assert.equal(st.availableReplicas, undefined); // omitempty
  assert.deepEqual(
    st.conditions?.map((x) => [x.type, x.status, x.reason, x.message]),
    [
      ['Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'],
      ['Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`],
    ],
  );

  await c.clock.advance(2000);
  for (const p of pods) makeReady(c, p);
  await c.clock.advance(0);
  st = deployment(c).status!;
  assert.deepEqual(
    { r: st.replicas, u: st.updatedReplicas, ready: st.readyReplicas, a: st.availableReplicas, un: st.unavailableReplicas },
    { r: 3, u: 3, ready: 3, a: 3, un: undefined },
  );
  assert.deepEqual(
    st.conditions?.map((x) => [x.type, x.status, x.reason, x.message]),
    [
      ['Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'],
      ['Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`],
    ],
  );
  const avail = condition(deployment(c), 'Available')!;
  assert.equal(avail.lastTransitionTime, '2025-03-01T10:00:02Z');
  const prog = condition(deployment(c), 'Progressing')!;
  assert.equal(prog.lastTransitionTime, '2025-03-01T10:00:00Z'); // stayed True since creation
  assert.equal(prog.lastUpdateTime, '2025-03-01T10:00:02Z');
  assert.deepEqual(rsNamed(c, rsName).status, { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
  c.stop();
});

test('a rolling update moves one pod at a time with maxSurge 1 / maxUnavailable 0', async () => {
  const c = setup({ terminationDelayMs: 1000 });
  createDeployment(c, { replicas: 3 });
  await c.clock.advance(0);
  const oldName = replicaSets(c)[0].metadata.name!;
  readyAll(c, rsNamed(c, oldName));
  await c.clock.advance(10_000);
  assert.equal(condition(deployment(c), 'Progressing')?.reason, 'NewReplicaSetAvailable');

  updateDeployment(c, (d) => {
    d.spec.template!.spec!.containers = [{ name: 'web', image: 'nginx:1.28', imagePullPolicy: 'IfNotPresent', resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' }];
  });
  await c.clock.advance(0);
  const newName = `web-${podTemplateHash(deployment(c).spec.template)}`;
  assert.notEqual(newName, oldName);
  assert.deepEqual(counts(c, newName), { spec: 1, replicas: 1, available: 0 });
  assert.deepEqual(counts(c, oldName), { spec: 3, replicas: 3, available: 3 });
  assert.equal(rsNamed(c, newName).metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
  assert.equal(deployment(c).metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
  let st = deployment(c).status!;
  assert.equal(st.observedGeneration, 2);
  assert.deepEqual([st.replicas, st.updatedReplicas, st.availableReplicas, st.unavailableReplicas], [4, 1, 3, 1]);
  assert.deepEqual(
    [condition(deployment(c), 'Progressing')?.reason, condition(deployment(c), 'Progressing')?.message],
    ['ReplicaSetUpdated', `ReplicaSet "${newName}" is progressing.`],
  );

  const expectedEvents = [`Scaled up replica set ${oldName} from 0 to 3`, `Scaled up replica set ${newName} from 0 to 1`];
  assert.deepEqual(messages(c, 'ScalingReplicaSet'), expectedEvents);

  // each new pod that turns available lets one old pod go and one more new one come
  for (const [newSpec, oldSpec] of [
    [2, 2],
    [3, 1],
  ]) {
    await c.clock.advance(3000);
    readyAll(c, rsNamed(c, newName));
    await c.clock.advance(0);
    assert.deepEqual([counts(c, newName).spec, counts(c, oldName).spec], [newSpec, oldSpec]);
    assert.equal(livePodsOf(c, rsNamed(c, oldName)).length, oldSpec);
    expectedEvents.push(`Scaled down replica set ${oldName} from ${oldSpec + 1} to ${oldSpec}`);
    expectedEvents.push(`Scaled up replica set ${newName} from ${newSpec - 1} to ${newSpec}`);
    assert.deepEqual(messages(c, 'ScalingReplicaSet'), expectedEvents);
    st = deployment(c).status!;
    assert.equal(st.availableReplicas! >= 3, true, 'never below 3 available');
  }
  await c.clock.advance(3000);
  readyAll(c, rsNamed(c, newName));
  await c.clock.advance(0);
  expectedEvents.push(`Scaled down replica set ${oldName} from 1 to 0`);
  assert.deepEqual(messages(c, 'ScalingReplicaSet'), expectedEvents);
  assert.deepEqual(counts(c, oldName), { spec: 0, replicas: 0, available: 0 });
  assert.deepEqual(counts(c, newName), { spec: 3, replicas: 3, available: 3 });
  // terminating old pods linger for the termination delay, then are gone
  assert.equal(podsOf(c, rsNamed(c, oldName)).length, 1);
  await c.clock.advance(1000);
  assert.equal(podsOf(c, rsNamed(c, oldName)).length, 0);

  st = deployment(c).status!;
  // what `kubectl rollout status` waits for
  assert.ok(st.observedGeneration! >= deployment(c).metadata.generation!);
  assert.deepEqual([st.replicas, st.updatedReplicas, st.availableReplicas, st.readyReplicas], [3, 3, 3, 3]);
  assert.deepEqual(
    [condition(deployment(c), 'Progressing')?.reason, condition(deployment(c), 'Progressing')?.message],
    ['NewReplicaSetAvailable', `ReplicaSet "${newName}" has successfully progressed.`],
  );
  assert.equal(rsNamed(c, oldName).metadata.annotations?.['deployment.kubernetes.io/revision'], '1'); // kept as history
  const deleted = messages(c, 'SuccessfulDelete');
  assert.equal(deleted.length, 3);
  c.stop();
});

test('kubectl rollout restart (restartedAt annotation) rolls out a new ReplicaSet', async () => {
  const c = setup({ terminationDelayMs: 0 });
  createDeployment(c, { replicas: 2 });
  await c.clock.advance(0);
  const first = replicaSets(c)[0].metadata.name!;
  readyAll(c, rsNamed(c, first));
  await c.clock.advance(5000);

  updateDeployment(c, (d) => {
    d.spec.template!.metadata!.annotations = { 'kubectl.kubernetes.io/restartedAt': '2025-03-01T10:00:05Z' };
  });
  // a fake kubelet: whatever the new ReplicaSet creates becomes ready a second later
  for (let i = 0; i < 10; i++) {
    await c.clock.advance(1000);
    for (const rs of replicaSets(c)) if (rs.metadata.name !== first) readyAll(c, rs);
  }
  const second = `web-${podTemplateHash(deployment(c).spec.template)}`;
  assert.notEqual(second, first);
  assert.deepEqual(replicaSets(c).map((r) => r.metadata.name).sort(), [first, second].sort());
  assert.deepEqual(livePodsOf(c, rsNamed(c, second))[0].metadata.annotations, { 'kubectl.kubernetes.io/restartedAt': '2025-03-01T10:00:05Z' });
  assert.equal(rsNamed(c, first).spec.replicas, 0);
  assert.equal(rsNamed(c, second).spec.replicas, 2);
  assert.equal(rsNamed(c, second).metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
  const st = deployment(c).status!;
  assert.deepEqual([st.observedGeneration, st.replicas, st.updatedReplicas, st.availableReplicas], [2, 2, 2, 2]);
  assert.equal(condition(deployment(c), 'Progressing')?.reason, 'NewReplicaSetAvailable');
  c.stop();
});

test('no progress for progressDeadlineSeconds gives Progressing False ProgressDeadlineExceeded', async () => {
  const c = setup();
  createDeployment(c, { replicas: 2, progressDeadlineSeconds: 60 });
  await c.clock.advance(0); // pods created, never ready
  const rsName = replicaSets(c)[0].metadata.name!;
  assert.equal(condition(deployment(c), 'Progressing')?.reason, 'ReplicaSetUpdated');
  await c.clock.advance(59_000);
  assert.equal(condition(deployment(c), 'Progressing')?.status, 'True');
  await c.clock.advance(3_000);
  const cond = condition(deployment(c), 'Progressing')!;
  assert.deepEqual(
    [cond.status, cond.reason, cond.message],
    ['False', 'ProgressDeadlineExceeded', `ReplicaSet "${rsName}" has timed out progressing.`],
  );
  assert.equal(cond.lastTransitionTime, '2025-03-01T10:01:01Z');
  assert.equal(condition(deployment(c), 'Available')?.status, 'False');
  // it stays timed out, and nothing keeps the clock busy
  await c.clock.advance(600_000);
  assert.equal(condition(deployment(c), 'Progressing')?.reason, 'ProgressDeadlineExceeded');
  assert.equal(c.clock.pending, 0);
  // a late pod turning ready is progress again
  for (const p of podsOf(c, rsNamed(c, rsName))) makeReady(c, p);
  await c.clock.advance(0);
  assert.equal(condition(deployment(c), 'Progressing')?.reason, 'NewReplicaSetAvailable');
  c.stop();
});

test('scaling a Deployment scales its ReplicaSet and updates the replica annotations', async () => {
  const c = setup();
  createDeployment(c, { replicas: 3 });
  await c.clock.advance(0);
  const rsName = replicaSets(c)[0].metadata.name!;
  readyAll(c, rsNamed(c, rsName));
  await c.clock.advance(1000);
  updateDeployment(c, (d) => (d.spec.replicas = 5));
  await c.clock.advance(0);
  const rs = rsNamed(c, rsName);
  assert.equal(rs.spec.replicas, 5);
  assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '5');
  assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '7');
  assert.equal(rs.metadata.generation, 2);
  assert.equal(rs.status?.observedGeneration, 2);
  assert.equal(messages(c, 'ScalingReplicaSet').at(-1), `Scaled up replica set ${rsName} from 3 to 5`);
  assert.equal(livePodsOf(c, rs).length, 5);
  assert.equal(replicaSets(c).length, 1);

  // scale down: the not-ready pods go first
  updateDeployment(c, (d) => (d.spec.replicas = 3));
  await c.clock.advance(0);
  assert.equal(messages(c, 'ScalingReplicaSet').at(-1), `Scaled down replica set ${rsName} from 5 to 3`);
  const left = livePodsOf(c, rsNamed(c, rsName));
  assert.equal(left.length, 3);
  assert.ok(left.every((p) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')));
  c.stop();
});

test('deleted and failed pods are replaced; orphans that match are adopted', async () => {
  const c = setup();
  createDeployment(c, { replicas: 2 });
  await c.clock.advance(0);
  const rs = replicaSets(c)[0];
  const [a, b] = podsOf(c, rs);
  c.store.delete(PODS, NS, a.metadata.name!);
  c.store.mutate(PODS, NS, b.metadata.name!, (p) => {
    p.status = { phase: 'Failed' };
  });
  await c.clock.advance(0);
  const pods = podsOf(c, rsNamed(c, rs.metadata.name!));
  assert.equal(pods.filter((p) => p.status?.phase !== 'Failed').length, 2);
  assert.equal(pods.length, 3); // the failed pod stays until pod GC
  assert.equal(rsNamed(c, rs.metadata.name!).status?.replicas, 2);

  // an orphan with the ReplicaSet's labels is adopted, then the surplus deleted
  const hash = rs.metadata.labels!['pod-template-hash'];
  const orphan: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', namespace: NS, labels: { app: 'web', 'pod-template-hash': hash } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } };
  applyCreateDefaults(PODS.storage, orphan);
  c.store.create(PODS, orphan);
  await c.clock.advance(0);
  const active = podsOf(c, rsNamed(c, rs.metadata.name!)).filter((p) => p.status?.phase !== 'Failed');
  assert.equal(active.length, 2);
  assert.equal(messages(c, 'SuccessfulDelete').length, 1);
  c.stop();
});

test('Recreate scales the old ReplicaSet to zero and waits for its pods before creating the new one', async () => {
  const c = setup({ terminationDelayMs: 5000 });
  createDeployment(c, { replicas: 2, strategy: { type: 'Recreate' } });
  await c.clock.advance(0);
  const oldName = replicaSets(c)[0].metadata.name!;
  readyAll(c, rsNamed(c, oldName));
  await c.clock.advance(1000);
  updateDeployment(c, (d) => {
    d.spec.template!.spec!.containers = [{ name: 'web', image: 'nginx:1.28' }];
  });
  await c.clock.advance(0);
  assert.equal(replicaSets(c).length, 1, 'no new ReplicaSet while old pods run');
  assert.equal(rsNamed(c, oldName).spec.replicas, 0);
  assert.equal(messages(c, 'ScalingReplicaSet').at(-1), `Scaled down replica set ${oldName} from 2 to 0`);
  await c.clock.advance(5000); // old pods finish terminating
  const newName = `web-${podTemplateHash(deployment(c).spec.template)}`;
  assert.equal(rsNamed(c, newName).spec.replicas, 2);
  assert.equal(messages(c, 'ScalingReplicaSet').at(-1), `Scaled up replica set ${newName} from 0 to 2`);
  c.stop();
});

test('paused Deployments do not roll; resuming does', async () => {
  const c = setup();
  createDeployment(c, { replicas: 1 });
  await c.clock.advance(0);
  readyAll(c, replicaSets(c)[0]);
  await c.clock.advance(1000);
  updateDeployment(c, (d) => {
    d.spec.paused = true;
    d.spec.template!.spec!.containers = [{ name: 'web', image: 'nginx:1.28' }];
  });
  await c.clock.advance(0);
  assert.equal(replicaSets(c).length, 1);
  let cond = condition(deployment(c), 'Progressing')!;
  assert.deepEqual([cond.status, cond.reason, cond.message], ['Unknown', 'DeploymentPaused', 'Deployment is paused']);
  assert.equal(deployment(c).status?.observedGeneration, 2);
  await c.clock.advance(1000);
  updateDeployment(c, (d) => (d.spec.paused = false));
  await c.clock.advance(0);
  assert.equal(replicaSets(c).length, 2);
  cond = condition(deployment(c), 'Progressing')!;
  assert.equal(cond.status, 'True');
  c.stop();
});

test('old ReplicaSets beyond revisionHistoryLimit are deleted', async () => {
  const c = setup({ terminationDelayMs: 0 });
  createDeployment(c, { replicas: 1, revisionHistoryLimit: 1 });
  await c.clock.advance(0);
  for (const image of ['nginx:1.28', 'nginx:1.29', 'nginx:1.30']) {
    await c.clock.advance(1000);
    updateDeployment(c, (d) => {
      d.spec.template!.spec!.containers = [{ name: 'web', image }];
    });
    for (let i = 0; i < 5; i++) {
      await c.clock.advance(1000);
      bindAll(c);
      for (const rs of replicaSets(c)) readyAll(c, rs);
    }
  }
  await c.clock.advance(1000);
  const revisions = replicaSets(c).map((r) => r.metadata.annotations?.['deployment.kubernetes.io/revision']).sort();
  assert.deepEqual(revisions, ['3', '4']);
  c.stop();
});

test('minReadySeconds delays availability', async () => {
  const c = setup();
  createDeployment(c, { replicas: 1, minReadySeconds: 10 });
  await c.clock.advance(0);
  const rs = replicaSets(c)[0];
  readyAll(c, rs);
  await c.clock.advance(5000);
  assert.equal(rsNamed(c, rs.metadata.name!).status?.readyReplicas, 1);
  assert.equal(rsNamed(c, rs.metadata.name!).status?.availableReplicas, undefined);
  await c.clock.advance(6000);
  assert.equal(rsNamed(c, rs.metadata.name!).status?.availableReplicas, 1);
  assert.equal(condition(deployment(c), 'Available')?.status, 'True');
  c.stop();
});

test('rollback to an earlier template reuses its ReplicaSet and records revision-history', async () => {
  const c = setup({ terminationDelayMs: 0 });
  createDeployment(c, { replicas: 1 });
  await c.clock.advance(0);
  const first = replicaSets(c)[0].metadata.name!;
  const original = structuredClone(deployment(c).spec.template);
  readyAll(c, rsNamed(c, first));
  await c.clock.advance(1000);
  updateDeployment(c, (d) => {
    d.spec.template!.spec!.containers = [{ name: 'web', image: 'nginx:1.28' }];
  });
  for (let i = 0; i < 3; i++) {
    await c.clock.advance(1000);
    for (const rs of replicaSets(c)) readyAll(c, rs);
  }
  updateDeployment(c, (d) => {
    d.spec.template = original;
  });
  for (let i = 0; i < 3; i++) {
    await c.clock.advance(1000);
    for (const rs of replicaSets(c)) readyAll(c, rs);
  }
  assert.equal(replicaSets(c).length, 2);
  const rs = rsNamed(c, first);
  assert.equal(rs.spec.replicas, 1);
  assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
  assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
  assert.equal(deployment(c).metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
  c.stop();
});

test('scale-down order: unscheduled, pending, not ready, then newest ready first', () => {
  const now = Date.parse('2025-03-01T12:00:00Z');
  const mk = (name: string, extra: Partial<Pod>): Pod => ({
    metadata: { name, uid: name, creationTimestamp: '2025-03-01T10:00:00Z' },
    spec: { nodeName: 'n1' },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2025-03-01T10:00:00Z' }] },
    ...extra,
  });
  const pods = [
    mk('ready-old', {}),
    mk('ready-new', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2025-03-01T11:59:00Z' }] } }),
    mk('not-ready', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } }),
    mk('pending', { status: { phase: 'Pending' } }),
    mk('unscheduled', { spec: {}, status: { phase: 'Pending' } }),
  ];
  assert.deepEqual(
    podsToDelete(pods, pods, 4, now).map((p) => p.metadata.name),
    ['unscheduled', 'pending', 'not-ready', 'ready-new'],
  );
});

test('stopping the controllers leaves no timers behind', async () => {
  const c = setup();
  createDeployment(c, { replicas: 1 });
  await c.clock.advance(0);
  c.stop();
  assert.equal(c.clock.pending, 0);
  createDeployment(c, { replicas: 1 }, 'other');
  await c.clock.advance(1000);
  assert.equal(replicaSets(c).length, 1);
});

test('a ReplicaSet whose selector misses its own template creates nothing', async () => {
  const c = setup();
  c.store.create(REPLICASETS, {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'odd', namespace: NS },
    spec: { replicas: 2, selector: { matchLabels: { app: 'other' } }, template: template('nginx:1.27') },
    status: { replicas: 0 },
  });
  await c.clock.advance(1000);
  assert.equal(c.store.list(PODS.storage, NS).length, 0);
  c.stop();
});
