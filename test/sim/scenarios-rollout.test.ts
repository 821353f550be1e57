import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimClock } from '../../src/sim/clock.ts';
import { ObjectStore } from '../../src/sim/store.ts';
import { LogStore } from '../../src/sim/logs.ts';
import { EventRecorder } from '../../src/sim/events.ts';
import { DEPLOYMENTS, EVENTS, NAMESPACES, PODS, REPLICASETS } from '../../src/sim/refs.ts';
import type { SimContext } from '../../src/sim/scenario.ts';
import type { KObject } from '../../src/sim/types.ts';
import { startControllers } from '../../src/sim/controllers/index.ts';
import { podTemplateHash, type Deployment } from '../../src/sim/controllers/deployment.ts';
import type { Pod, ReplicaSet } from '../../src/sim/controllers/replicaset.ts';
import { FAILED_IMAGE, rolloutComplete, rolloutScenarios, UPDATE_AFTER_MS } from '../../src/sim/scenarios/rollout.ts';
import { STORM_LABEL, stormPodName, stormScenario } from '../../src/sim/scenarios/storm.ts';

const START = new Date('2025-03-01T10:00:00Z');

function cluster(opts: { controllers?: boolean } = {}) {
  const clock = new SimClock({ speed: 0, start: START });
  const store = new ObjectStore({ clock });
  const ctx: SimContext = { store, clock, logs: new LogStore(), recorder: new EventRecorder(store) };
  const controllers = opts.controllers === false ? undefined : startControllers(ctx, { nodes: 3 });
  return {
    ctx,
    clock,
    store,
    stop() {
      controllers?.stop();
      clock.close();
    },
  };
}
type Cluster = ReturnType<typeof cluster>;

const scenario = (name: string) => rolloutScenarios.find((s) => s.name === name)!;
const deployment = (c: Cluster, name: string, ns = 'demo') => c.store.get(DEPLOYMENTS.storage, ns, name) as Deployment | undefined;
const condition = (d: Deployment | undefined, type: string) => d?.status?.conditions?.find((x) => x.type === type);
const replicaSets = (c: Cluster, ns = 'demo') => c.store.list(REPLICASETS.storage, ns) as ReplicaSet[];
const podsOf = (c: Cluster, rs: ReplicaSet) =>
  (c.store.list(PODS.storage, rs.metadata.namespace) as Pod[]).filter((p) => p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid);
const scalingMessages = (c: Cluster, ns = 'demo') =>
  (c.store.list(EVENTS.storage, ns) as KObject[])
    .filter((e) => e.reason === 'ScalingReplicaSet')
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
    .map((e) => e.message);

/** Records the virtual time at which each predicate first held for the Deployment. */
function watchDeployment(c: Cluster, name: string, marks: Record<string, (d: Deployment) => boolean>): Map<string, number> {
  const seen = new Map<string, number>();
  c.store.subscribe((ch) => {
    if (ch.storage !== DEPLOYMENTS.storage || ch.object.metadata.name !== name) return;
    for (const [k, pred] of Object.entries(marks)) if (!seen.has(k) && pred(ch.object as Deployment)) seen.set(k, c.clock.nowMs());
  });
  return seen;
}

test('the rollout scenarios are named as documented', () => {
  assert.deepEqual(
    rolloutScenarios.map((s) => s.name),
    ['rollout', 'rollout-failed', 'crashloop-deployment'],
  );
  assert.equal(stormScenario.name, 'storm');
  for (const s of [...rolloutScenarios, stormScenario]) assert.ok(s.description.length > 20);
});

test('rollout: web becomes available, is updated to nginx:1.28 30 s later and rolls out one pod at a time', async () => {
  const c = cluster();
  const marks = watchDeployment(c, 'web', {
    firstComplete: (d) => rolloutComplete(d),
    updated: (d) => d.metadata.generation === 2,
    secondComplete: (d) => d.metadata.generation === 2 && rolloutComplete(d),
  });
  const cancel = scenario('rollout').start(c.ctx, {});
  assert.equal(c.store.get(NAMESPACES.storage, undefined, 'demo')?.metadata.name, 'demo');
  const created = deployment(c, 'web')!;
  assert.equal(created.spec.replicas, 3);
  assert.equal((created.spec.template?.spec?.containers as { image: string }[])[0].image, 'nginx:1.27');
  const oldName = `web-${podTemplateHash(created.spec.template)}`;

  await c.clock.advance(20_000);
  assert.ok(marks.has('firstComplete'), 'web became available');
  assert.equal(condition(deployment(c, 'web'), 'Available')?.status, 'True');
  assert.equal(marks.has('updated'), false);

  await c.clock.advance(60_000);
  assert.equal(marks.get('updated')! - marks.get('firstComplete')!, UPDATE_AFTER_MS);
  const d = deployment(c, 'web')!;
  assert.equal((d.spec.template?.spec?.containers as { image: string }[])[0].image, 'nginx:1.28');
  const newName = `web-${podTemplateHash(d.spec.template)}`;
  assert.ok(marks.has('secondComplete'), 'the rollout finished');

  // what `kubectl rollout status` checks, and the controller's verdict
  const st = d.status!;
  assert.ok(st.observedGeneration! >= d.metadata.generation!);
  assert.deepEqual([st.replicas, st.updatedReplicas, st.readyReplicas, st.availableReplicas, st.unavailableReplicas], [3, 3, 3, 3, undefined]);
  const progressing = condition(d, 'Progressing')!;
  assert.deepEqual(
    [progressing.status, progressing.reason, progressing.message],
    ['True', 'NewReplicaSetAvailable', `ReplicaSet "${newName}" has successfully progressed.`],
  );
  assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');

  assert.deepEqual(scalingMessages(c), [
    `Scaled up replica set ${oldName} from 0 to 3`,
    `Scaled up replica set ${newName} from 0 to 1`,
    `Scaled down replica set ${oldName} from 3 to 2`,
    `Scaled up replica set ${newName} from 1 to 2`,
    `Scaled down replica set ${oldName} from 2 to 1`,
    `Scaled up replica set ${newName} from 2 to 3`,
    `Scaled down replica set ${oldName} from 1 to 0`,
  ]);
  const rss = new Map(replicaSets(c).map((r) => [r.metadata.name, r]));
  assert.equal(rss.get(oldName)?.spec.replicas, 0);
  assert.equal(podsOf(c, rss.get(oldName)!).length, 0, 'old pods are gone, not just terminating');
  const pods = podsOf(c, rss.get(newName)!);
  assert.equal(pods.length, 3);
  for (const p of pods) {
    assert.equal(p.status?.phase, 'Running');
    assert.ok(p.spec?.nodeName?.startsWith('sim-node-'));
    assert.ok(p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
  }
  cancel();
  c.stop();
});

test('rollout-failed: api gets an image that cannot be pulled and reaches ProgressDeadlineExceeded', async () => {
  const c = cluster();
  const marks = watchDeployment(c, 'api', {
    firstComplete: (d) => rolloutComplete(d),
    updated: (d) => d.metadata.generation === 2,
    timedOut: (d) => condition(d, 'Progressing')?.reason === 'ProgressDeadlineExceeded',
  });
  const cancel = scenario('rollout-failed').start(c.ctx, { namespace: 'shop' });
  assert.ok(c.store.get(NAMESPACES.storage, undefined, 'shop'));
  await c.clock.advance(45_000);
  assert.equal(marks.get('updated')! - marks.get('firstComplete')!, UPDATE_AFTER_MS);
  let d = deployment(c, 'api', 'shop')!;
  assert.equal(d.spec.progressDeadlineSeconds, 60);
  assert.equal((d.spec.template?.spec?.containers as { image: string }[])[0].image, FAILED_IMAGE);
  const newName = `api-${podTemplateHash(d.spec.template)}`;
  const lastProgress = Date.parse(condition(d, 'Progressing')!.lastUpdateTime!);
  assert.equal(condition(d, 'Progressing')?.reason, 'ReplicaSetUpdated');

  await c.clock.advance(60_000);
  d = deployment(c, 'api', 'shop')!;
  const progressing = condition(d, 'Progressing')!;
  assert.deepEqual(
    [progressing.status, progressing.reason, progressing.message],
    ['False', 'ProgressDeadlineExceeded', `ReplicaSet "${newName}" has timed out progressing.`],
  );
  const after = marks.get('timedOut')! - lastProgress;
  assert.ok(after > 60_000 && after <= 62_000, `timed out ${after} ms after the last progress`);
  // the old pods keep serving: still available, and the rollout is stuck at one surge pod
  assert.equal(condition(d, 'Available')?.status, 'True');
  assert.deepEqual([d.status?.replicas, d.status?.updatedReplicas, d.status?.availableReplicas, d.status?.unavailableReplicas], [4, 1, 3, 1]);
  const newRS = replicaSets(c, 'shop').find((r) => r.metadata.name === newName)!;
  const [pod] = podsOf(c, newRS);
  const waiting = (pod.status?.containerStatuses as { state?: { waiting?: { reason?: string } } }[])[0].state?.waiting?.reason;
  assert.ok(waiting === 'ErrImagePull' || waiting === 'ImagePullBackOff', String(waiting));
  cancel();
  c.stop();
});

test('crashloop-deployment: worker keeps 5 crash-looping pods from one ReplicaSet', async () => {
  const c = cluster();
  const cancel = scenario('crashloop-deployment').start(c.ctx, {});
  await c.clock.advance(120_000);
  const rss = replicaSets(c);
  assert.equal(rss.length, 1);
  const pods = podsOf(c, rss[0]);
  assert.equal(pods.length, 5, 'crash-looping pods are restarted in place, not replaced');
  for (const p of pods) {
    assert.equal(p.metadata.annotations?.['sim.kubeherald.io/behavior'], 'crash');
    const restarts = (p.status?.containerStatuses as { restartCount: number }[])[0].restartCount;
    assert.ok(restarts >= 2, `${p.metadata.name} restarted ${restarts} times`);
  }
  const d = deployment(c, 'worker')!;
  assert.equal(condition(d, 'Available')?.status, 'False');
  assert.equal(d.status?.unavailableReplicas, 5);
  const backoffs = (c.store.list(EVENTS.storage, 'demo') as KObject[]).filter((e) => e.reason === 'BackOff');
  assert.equal(new Set(backoffs.map((e) => (e.involvedObject as { name: string }).name)).size, 5);
  cancel();
  c.stop();
});

test('storm: running pods and exactly eventsPerSecond events per virtual second, repeats and new ones', async () => {
  const c = cluster({ controllers: false });
  let added = 0;
  let modified = 0;
  c.store.subscribe((ch) => {
    if (ch.storage !== EVENTS.storage) return;
    if (ch.type === 'ADDED') added++;
    else if (ch.type === 'MODIFIED') modified++;
  });
  const cancel = stormScenario.start(c.ctx, { namespace: 'load', pods: 1200, eventsPerSecond: 100, batchSize: 500 });
  assert.equal(c.store.count(PODS.storage), 0, 'pods are created on the clock, in batches');
  await c.clock.advance(0);
  const pods = c.store.list(PODS.storage, 'load') as Pod[];
  assert.equal(pods.length, 1200);
  const first = c.store.get(PODS.storage, 'load', stormPodName(0)) as Pod;
  assert.equal(first.metadata.labels?.[STORM_LABEL], 'true');
  assert.equal(first.status?.phase, 'Running');
  assert.ok(first.spec?.nodeName?.startsWith('storm-node-'));
  assert.ok(first.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));

  await c.clock.advance(10_000);
  assert.equal(added + modified, 1000);
  assert.ok(added > 300 && modified > 300, `added ${added}, repeated ${modified}`);
  const events = c.store.list(EVENTS.storage, 'load') as KObject[];
  assert.equal(events.length, added);
  assert.equal(
    events.reduce((n, e) => n + (e.count as number), 0),
    1000,
  );
  assert.ok(events.some((e) => e.type === 'Warning') && events.some((e) => e.type === 'Normal'));
  const e = events.find((x) => x.reason === 'BackOff')!;
  assert.deepEqual(e.source, { component: 'kubelet', host: (c.store.get(PODS.storage, 'load', (e.involvedObject as { name: string }).name) as Pod).spec?.nodeName });
  assert.equal((e.involvedObject as { fieldPath?: string }).fieldPath, 'spec.containers{app}');

  cancel();
  const before = added + modified;
  await c.clock.advance(10_000);
  assert.equal(added + modified, before, 'cancelled storms stay quiet');
  assert.equal(c.clock.pending, 0);
  c.stop();
});

test('storm: the number of Event objects stays bounded by pods × kinds of events', async () => {
  const c = cluster({ controllers: false });
  const cancel = stormScenario.start(c.ctx, { pods: 10, eventsPerSecond: 500 });
  await c.clock.advance(10_000);
  const events = c.store.list(EVENTS.storage, 'demo') as KObject[];
  assert.equal(events.length, 80); // 10 pods × 8 event kinds
  assert.equal(
    events.reduce((n, e) => n + (e.count as number), 0),
    5000,
  );
  cancel();
  c.stop();
});
