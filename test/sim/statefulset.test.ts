// The simulated StatefulSet controller: what kube-controller-manager's does
// (ordered creation and deletion, rolling updates from the top ordinal down
// to the partition, OnDelete, ControllerRevisions, claims, Events), first on
// a stopped clock, then through the real kubectl (get, rollout status,
// history, undo, restart, scale).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applyCreateDefaults, applyUpdateDefaults } from '../../src/sim/defaults.ts';
import { CONTROLLERREVISIONS, EVENTS, NAMESPACES, PODS, PVCS, STATEFULSETS } from '../../src/sim/refs.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import type { KObject } from '../../src/sim/types.ts';
import type { ControllerRevision, StatefulSet } from '../../src/sim/controllers/statefulset.ts';
import { evictPod } from '../../src/sim/controllers/kubelet.ts';
import { Kubectl } from '../helpers/kubectl.ts';

const NS = 'shop';

type PodLike = KObject & { spec?: Record<string, unknown>; status?: { phase?: string; conditions?: { type: string; status: string }[] } };

const isReady = (p: PodLike | undefined): boolean => p?.status?.phase === 'Running' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

function statefulSet(name: string, spec: Record<string, unknown> = {}, image = 'postgres:16.4-alpine'): KObject {
  const obj: KObject = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: NS },
    spec: {
      serviceName: name,
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }] } },
      ...spec,
    },
  };
  applyCreateDefaults(STATEFULSETS.storage, obj);
  return obj;
}

describe('the StatefulSet controller on a stopped clock', () => {
  let sim: Sim;
  /** every pod change, in order: "ADDED db-0", "READY db-0", "DELETED db-2" */
  let log: string[];

  before(async () => {
    sim = await startSim({ clockSpeed: 0 });
    sim.ctx.store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    log = [];
    sim.ctx.store.subscribe((c) => {
      if (c.storage !== PODS.storage || c.object.metadata.namespace !== NS) return;
      const name = c.object.metadata.name!;
      if (c.type === 'ADDED') log.push(`ADDED ${name}`);
      else if (c.type === 'DELETED') log.push(`DELETED ${name}`);
      else if (isReady(c.object as PodLike) && !isReady(c.prev as PodLike)) log.push(`READY ${name}`);
      else if (c.object.metadata.deletionTimestamp && !c.prev?.metadata.deletionTimestamp) log.push(`TERMINATING ${name}`);
    });
  });
  after(async () => {
    await sim.close();
  });

  const advance = async (seconds: number): Promise<void> => {
    for (let i = 0; i < seconds; i++) await sim.clock.advance(1000);
  };
  const get = (name: string) => sim.ctx.store.get(STATEFULSETS.storage, NS, name) as StatefulSet;
  const pod = (name: string) => sim.ctx.store.get(PODS.storage, NS, name) as PodLike | undefined;
  const podsOf = (set: string) => (sim.ctx.store.list(PODS.storage, NS) as PodLike[]).filter((p) => p.metadata.name!.startsWith(`${set}-`)).sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  const revisions = (set: string) =>
    (sim.ctx.store.list(CONTROLLERREVISIONS.storage, NS) as ControllerRevision[]).filter((r) => r.metadata.ownerReferences?.[0]?.name === set).sort((a, b) => a.revision - b.revision);
  const events = (set: string) =>
    (sim.ctx.store.list(EVENTS.storage, NS) as (KObject & { involvedObject: { name: string; kind: string }; reason: string; message: string; type: string })[])
      .filter((e) => e.involvedObject.kind === 'StatefulSet' && e.involvedObject.name === set)
      .map((e) => `${e.type} ${e.reason}: ${e.message}`);
  const update = (name: string, fn: (s: StatefulSet['spec']) => void): void => {
    sim.ctx.store.mutate(STATEFULSETS, NS, name, (o) => {
      fn(o.spec as StatefulSet['spec']);
      applyUpdateDefaults(STATEFULSETS.storage, o);
      o.metadata.generation = (o.metadata.generation ?? 1) + 1;
    });
  };
  const setImage = (image: string) => (s: StatefulSet['spec']) => {
    (s.template!.spec!.containers as { image: string }[])[0].image = image;
  };
  const ofSet = (set: string) => log.filter((l) => l.endsWith(` ${set}-0`) || l.endsWith(` ${set}-1`) || l.endsWith(` ${set}-2`) || l.endsWith(` ${set}-3`));

  it('OrderedReady: creates db-0..2 one at a time, each after its predecessor is Running and Ready, with identity, revision label and claims', async () => {
    sim.ctx.store.create(
      STATEFULSETS,
      statefulSet('db', { volumeClaimTemplates: [{ metadata: { name: 'data', labels: { tier: 'storage' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] }),
    );
    await advance(40);
    assert.deepEqual(ofSet('db'), ['ADDED db-0', 'READY db-0', 'ADDED db-1', 'READY db-1', 'ADDED db-2', 'READY db-2']);
    const set = get('db');
    const [rev] = revisions('db');
    assert.equal(rev.revision, 1);
    assert.equal(rev.metadata.name, `db-${rev.metadata.labels!['controller.kubernetes.io/hash']}`);
    assert.deepEqual((rev.data as { spec: { template: { $patch: string } } }).spec.template.$patch, 'replace');
    assert.deepEqual(set.status, {
      observedGeneration: 1,
      replicas: 3,
      readyReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      currentRevision: rev.metadata.name,
      updateRevision: rev.metadata.name,
      collisionCount: 0,
      availableReplicas: 3,
    });
    const p1 = pod('db-1')!;
    assert.deepEqual(p1.metadata.labels, {
      app: 'db',
      'apps.kubernetes.io/pod-index': '1',
      'controller-revision-hash': rev.metadata.name,
      'statefulset.kubernetes.io/pod-name': 'db-1',
    });
    assert.equal(p1.metadata.generateName, 'db-');
    assert.deepEqual(p1.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: set.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(p1.spec!.hostname, 'db-1');
    assert.equal(p1.spec!.subdomain, 'db');
    assert.ok((p1.spec!.volumes as { name: string; persistentVolumeClaim?: { claimName: string } }[]).some((v) => v.name === 'data' && v.persistentVolumeClaim?.claimName === 'data-db-1'));
    const claim = sim.ctx.store.get(PVCS.storage, NS, 'data-db-1')!;
    assert.deepEqual(claim.metadata.labels, { app: 'db', tier: 'storage' });
    assert.deepEqual(events('db'), [
      'Normal SuccessfulCreate: create Claim data-db-0 Pod db-0 in StatefulSet db success',
      'Normal SuccessfulCreate: create Pod db-0 in StatefulSet db successful',
      'Normal SuccessfulCreate: create Claim data-db-1 Pod db-1 in StatefulSet db success',
      'Normal SuccessfulCreate: create Pod db-1 in StatefulSet db successful',
      'Normal SuccessfulCreate: create Claim data-db-2 Pod db-2 in StatefulSet db success',
      'Normal SuccessfulCreate: create Pod db-2 in StatefulSet db successful',
    ]);
  });

  it('RollingUpdate: replaces db-2, db-1, db-0 in that order, each once its successor is Ready; a new ControllerRevision', async () => {
    log.length = 0;
    const before = revisions('db')[0].metadata.name;
    update('db', setImage('postgres:16.5-alpine'));
    await advance(60);
    assert.deepEqual(ofSet('db'), [
      'TERMINATING db-2', 'DELETED db-2', 'ADDED db-2', 'READY db-2',
      'TERMINATING db-1', 'DELETED db-1', 'ADDED db-1', 'READY db-1',
      'TERMINATING db-0', 'DELETED db-0', 'ADDED db-0', 'READY db-0',
    ]);
    const revs = revisions('db');
    assert.deepEqual(revs.map((r) => [r.metadata.name === before, r.revision]), [[true, 1], [false, 2]]);
    const st = get('db').status!;
    assert.equal(st.currentRevision, revs[1].metadata.name);
    assert.equal(st.updateRevision, revs[1].metadata.name);
    for (const p of podsOf('db')) assert.equal(p.metadata.labels!['controller-revision-hash'], revs[1].metadata.name);
    assert.ok(events('db').includes('Normal SuccessfulDelete: delete Pod db-0 in StatefulSet db successful'));
  });

  it('a rollback to an older template reuses its ControllerRevision with the next revision number', async () => {
    update('db', setImage('postgres:16.4-alpine'));
    await advance(60);
    const revs = revisions('db');
    assert.equal(revs.length, 2);
    assert.equal(revs[1].revision, 3);
    assert.equal(get('db').status!.updateRevision, revs[1].metadata.name);
    assert.equal(get('db').status!.currentRevision, revs[1].metadata.name);
  });

  it('scale down removes the highest ordinal first, one at a time; scale up adds in order', async () => {
    log.length = 0;
    update('db', (s) => (s.replicas = 1));
    await advance(20);
    assert.deepEqual(ofSet('db'), ['TERMINATING db-2', 'DELETED db-2', 'TERMINATING db-1', 'DELETED db-1']);
    assert.deepEqual(podsOf('db').map((p) => p.metadata.name), ['db-0']);
    // the claims stay (whenScaled: Retain)
    assert.ok(sim.ctx.store.get(PVCS.storage, NS, 'data-db-2'));
    log.length = 0;
    update('db', (s) => (s.replicas = 3));
    await advance(30);
    assert.deepEqual(ofSet('db'), ['ADDED db-1', 'READY db-1', 'ADDED db-2', 'READY db-2']);
  });

  it('a failed pod (evicted) is deleted and recreated with the same identity', async () => {
    const before = pod('db-1')!.metadata.uid;
    assert.ok(evictPod(sim.ctx, NS, 'db-1'));
    await advance(20);
    assert.notEqual(pod('db-1')!.metadata.uid, before);
    assert.ok(isReady(pod('db-1')));
    assert.ok(events('db').includes(`Warning RecreatingFailedPod: StatefulSet ${NS}/db is recreating failed Pod db-1`));
  });

  it('a partition: only ordinals from the partition up are updated; the current revision stays', async () => {
    sim.ctx.store.create(STATEFULSETS, statefulSet('part', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }));
    await advance(30);
    const first = get('part').status!.currentRevision;
    update('part', setImage('postgres:16.5-alpine'));
    await advance(30);
    const st = get('part').status!;
    assert.notEqual(st.updateRevision, first);
    assert.equal(st.currentRevision, first);
    assert.equal(st.updatedReplicas, 1);
    assert.deepEqual(podsOf('part').map((p) => p.metadata.labels!['controller-revision-hash']), [first, first, st.updateRevision]);
    // a pod below the partition that is deleted comes back at the current revision
    sim.ctx.store.delete(PODS, NS, 'part-0');
    await advance(20);
    assert.equal(pod('part-0')?.metadata.labels!['controller-revision-hash'], first);
  });

  it('OnDelete: a new template changes no pod until one is deleted, which comes back at the update revision', async () => {
    sim.ctx.store.create(STATEFULSETS, statefulSet('ondel', { updateStrategy: { type: 'OnDelete' } }));
    await advance(30);
    const first = get('ondel').status!.currentRevision;
    log.length = 0;
    update('ondel', setImage('postgres:16.5-alpine'));
    await advance(30);
    assert.deepEqual(ofSet('ondel'), []);
    const st = get('ondel').status!;
    assert.equal(st.updatedReplicas ?? 0, 0);
    sim.ctx.store.delete(PODS, NS, 'ondel-1');
    await advance(20);
    assert.deepEqual(podsOf('ondel').map((p) => p.metadata.labels!['controller-revision-hash'] === first), [true, false, true]);
    assert.equal(get('ondel').status!.updatedReplicas, 1);
    // OnDelete never moves currentRevision
    assert.equal(get('ondel').status!.currentRevision, first);
  });

  it('Parallel: every pod at once, without waiting for readiness; scale down all at once', async () => {
    log.length = 0;
    sim.ctx.store.create(STATEFULSETS, statefulSet('par', { podManagementPolicy: 'Parallel' }));
    await advance(1);
    assert.deepEqual(ofSet('par').slice(0, 3), ['ADDED par-0', 'ADDED par-1', 'ADDED par-2']);
    await advance(20);
    log.length = 0;
    update('par', (s) => (s.replicas = 0));
    await advance(1);
    assert.deepEqual(ofSet('par').filter((l) => l.startsWith('TERMINATING')).sort(), ['TERMINATING par-0', 'TERMINATING par-1', 'TERMINATING par-2']);
  });

  it('ordinals.start numbers the pods from it; moving it replaces the pods outside the range', async () => {
    sim.ctx.store.create(STATEFULSETS, statefulSet('ord', { replicas: 2, ordinals: { start: 5 } }));
    await advance(20);
    assert.deepEqual(podsOf('ord').map((p) => [p.metadata.name, p.metadata.labels!['apps.kubernetes.io/pod-index']]), [['ord-5', '5'], ['ord-6', '6']]);
    update('ord', (s) => (s.ordinals = { start: 6 }));
    await advance(30);
    assert.deepEqual(podsOf('ord').map((p) => p.metadata.name), ['ord-6', 'ord-7']);
  });

  it('revisionHistoryLimit keeps that many old revisions besides the live ones', async () => {
    sim.ctx.store.create(STATEFULSETS, statefulSet('hist', { revisionHistoryLimit: 1, replicas: 1 }));
    await advance(10);
    for (const tag of ['a', 'b', 'c']) {
      update('hist', setImage(`busybox:1.36-${tag}`));
      await advance(15);
    }
    assert.deepEqual(revisions('hist').map((r) => r.revision), [3, 4]);
  });

  it('persistentVolumeClaimRetentionPolicy Delete: claims owned by the set, a scaled-away pod takes its claim with it, deleting the set takes the rest', async () => {
    sim.ctx.store.create(
      STATEFULSETS,
      statefulSet('ret', {
        replicas: 2,
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      }),
    );
    await advance(20);
    const uid = get('ret').metadata.uid;
    const owners = (name: string) => sim.ctx.store.get(PVCS.storage, NS, name)?.metadata.ownerReferences?.map((r) => `${r.kind}/${r.name}/${r.uid === uid}`);
    assert.deepEqual(owners('data-ret-0'), ['StatefulSet/ret/true']);
    assert.deepEqual(owners('data-ret-1'), ['StatefulSet/ret/true']);
    update('ret', (s) => (s.replicas = 1));
    await advance(20);
    assert.equal(sim.ctx.store.get(PVCS.storage, NS, 'data-ret-1'), undefined, 'gone with its pod');
    assert.deepEqual(owners('data-ret-0'), ['StatefulSet/ret/true']);
    sim.ctx.store.delete(STATEFULSETS, NS, 'ret');
    await advance(40);
    assert.equal(sim.ctx.store.get(PVCS.storage, NS, 'data-ret-0'), undefined, 'gone with the set');
    assert.equal(pod('ret-0'), undefined);
    // the default (Retain) leaves claims without owners
    assert.equal(sim.ctx.store.get(PVCS.storage, NS, 'data-db-0')?.metadata.ownerReferences, undefined);
  });

  it('a claim being deleted: FailedCreate for the pod, created once the claim is gone', async () => {
    sim.ctx.store.create(PVCS, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data-blk-0', namespace: NS, finalizers: ['example.com/hold'] },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    sim.ctx.store.mutate(PVCS, NS, 'data-blk-0', (o) => {
      o.metadata.deletionTimestamp = sim.clock.nowIso();
    });
    sim.ctx.store.create(
      STATEFULSETS,
      statefulSet('blk', { replicas: 1, volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] }),
    );
    await advance(3);
    assert.ok(events('blk').includes('Warning FailedCreate: create Pod blk-0 in StatefulSet blk failed error: pvc data-blk-0 is being deleted'), events('blk').join('\n'));
    assert.equal(pod('blk-0'), undefined);
    sim.ctx.store.mutate(PVCS, NS, 'data-blk-0', (o) => {
      o.metadata.finalizers = [];
    });
    sim.ctx.store.delete(PVCS, NS, 'data-blk-0');
    // the controller tries again on its own (the failed sync is retried with back-off)
    await advance(10);
    assert.ok(pod('blk-0'));
    assert.ok(events('blk').includes('Normal SuccessfulCreate: create Claim data-blk-0 Pod blk-0 in StatefulSet blk success'));
  });

  it('a pod of the same name it does not own: FailedCreate, and no pod is taken over', async () => {
    sim.ctx.store.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'taken-0', namespace: NS, labels: { app: 'other' } }, spec: { containers: [{ name: 'x', image: 'busybox:1.36' }] }, status: { phase: 'Pending' } });
    sim.ctx.store.create(STATEFULSETS, statefulSet('taken', { replicas: 1 }));
    await advance(5);
    assert.ok(events('taken').includes('Warning FailedCreate: create Pod taken-0 in StatefulSet taken failed error: pods "taken-0" already exists'));
    assert.equal(pod('taken-0')!.metadata.ownerReferences, undefined);
    assert.equal(get('taken').status!.replicas, 0);
    // the controller keeps retrying with back-off until the name is free; deleting the set ends that
    sim.ctx.store.delete(STATEFULSETS, NS, 'taken');
  });
});

const manifest = (image: string, extra = ''): string => `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: shop
spec:
  serviceName: db
  replicas: 3
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: pg
        image: ${image}
${extra}`;

describe('kubectl against the simulated StatefulSets', () => {
  let sim: Sim;
  let k: Kubectl;

  before(async () => {
    // pods become ready about 2 virtual seconds after they start; 20x makes a 3-pod rollout take a fraction of a second
    sim = await startSim({ clockSpeed: 20 });
    k = new Kubectl(sim.kubeconfig);
  });
  after(async () => {
    await sim.close();
  });

  it('apply, get sts (NAME READY AGE), rollout status, controllerrevisions', async () => {
    assert.match(await k.ok(['apply', '-f', '-'], manifest('postgres:16.4-alpine')), /statefulset.apps\/db created/);
    const status = await k.ok(['rollout', 'status', 'sts/db', '-n', NS, '--timeout=60s']);
    assert.match(status, /partitioned roll out complete: 3 new pods have been updated\.\.\.\n$/);
    const table = (await k.ok(['get', 'sts', '-n', NS])).trim().split('\n');
    assert.match(table[0], /^NAME\s+READY\s+AGE$/);
    assert.match(table[1], /^db\s+3\/3\s+\d+s$/);
    const wide = await k.ok(['get', 'statefulsets.apps', 'db', '-n', NS, '-o', 'wide', '--no-headers']);
    assert.match(wide, /^db\s+3\/3\s+\d+s\s+pg\s+postgres:16\.4-alpine/);
    const pods = await k.ok(['get', 'pods', '-n', NS, '-l', 'app=db', '-o', 'jsonpath={.items[*].metadata.name}']);
    assert.equal(pods, 'db-0 db-1 db-2');
    const crs = (await k.ok(['get', 'controllerrevisions', '-n', NS, '--no-headers'])).trim().split('\n');
    assert.equal(crs.length, 1);
    assert.match(crs[0], /^db-[a-z0-9]+\s+statefulset\.apps\/db\s+1\s+/);
    assert.match(await k.ok(['get', 'all', '-n', NS]), /statefulset\.apps\/db\s+3\/3/);
  });

  it('set image, rollout status, history, history --revision, undo, undo to the current revision', async () => {
    await k.ok(['annotate', 'sts/db', '-n', NS, 'kubernetes.io/change-cause=bump to 16.5']);
    await k.ok(['set', 'image', 'sts/db', 'pg=postgres:16.5-alpine', '-n', NS]);
    const status = await k.ok(['rollout', 'status', 'statefulset/db', '-n', NS, '--timeout=60s']);
    assert.match(status, /partitioned roll out complete: 3 new pods have been updated/);
    const history = await k.ok(['rollout', 'history', 'statefulset/db', '-n', NS]);
    assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+bump to 16\.5\n/);
    assert.match(await k.ok(['rollout', 'history', 'sts/db', '-n', NS, '--revision=1']), /Image:\s+postgres:16\.4-alpine/);
    assert.match(await k.ok(['rollout', 'undo', 'sts/db', '-n', NS]), /statefulset.apps\/db rolled back/);
    await k.ok(['rollout', 'status', 'sts/db', '-n', NS, '--timeout=60s']);
    assert.equal(await k.ok(['get', 'pods', 'db-0', '-n', NS, '-o', 'jsonpath={.spec.containers[0].image}']), 'postgres:16.4-alpine');
    const revs = (await k.ok(['get', 'controllerrevisions', '-n', NS, '-o', 'jsonpath={range .items[*]}{.revision} {end}'])).trim().split(' ').sort();
    assert.deepEqual(revs, ['2', '3']);
    // kubectl compares the template with the revision's data byte for byte
    assert.match(await k.ok(['rollout', 'undo', 'sts/db', '-n', NS, '--to-revision=3']), /skipped rollback \(current template already matches revision 3\)/);
    const missing = await k.run(['rollout', 'undo', 'sts/db', '-n', NS, '--to-revision=9']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /unable to find specified revision 9 in history/);
  });

  it('scale, rollout restart, and the errors kubectl and the API server give', async () => {
    assert.match(await k.ok(['scale', 'sts', 'db', '--replicas=1', '-n', NS]), /statefulset.apps\/db scaled/);
    await k.ok(['rollout', 'status', 'sts/db', '-n', NS, '--timeout=60s']);
    assert.equal(await k.ok(['get', 'pods', '-n', NS, '-l', 'app=db', '-o', 'jsonpath={.items[*].metadata.name}']), 'db-0');
    const uid = await k.ok(['get', 'pod', 'db-0', '-n', NS, '-o', 'jsonpath={.metadata.uid}']);
    assert.match(await k.ok(['rollout', 'restart', 'sts/db', '-n', NS]), /statefulset.apps\/db restarted/);
    await k.ok(['rollout', 'status', 'sts/db', '-n', NS, '--timeout=60s']);
    assert.notEqual(await k.ok(['get', 'pod', 'db-0', '-n', NS, '-o', 'jsonpath={.metadata.uid}']), uid);
    const bad = await k.run(['apply', '-f', '-'], manifest('postgres:16.4-alpine', '  podManagementPolicy: Sometimes\n').replace('name: db\n  namespace', 'name: bad\n  namespace'));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /spec\.podManagementPolicy: Unsupported value: "Sometimes": supported values: "OrderedReady", "Parallel"/);
    const fixed = await k.run(['patch', 'sts', 'db', '-n', NS, '--type=merge', '-p', '{"spec":{"serviceName":"other"}}']);
    assert.notEqual(fixed.code, 0);
    assert.match(
      fixed.stderr,
      /The StatefulSet "db" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden/,
    );
    const restart = await k.run(['patch', 'sts', 'db', '-n', NS, '--type=merge', '-p', '{"spec":{"template":{"spec":{"restartPolicy":"Never"}}}}']);
    assert.match(restart.stderr, /spec\.template\.spec\.restartPolicy: Unsupported value: "Never": supported values: "Always"/);
    await k.ok(['patch', 'sts', 'db', '-n', NS, '--type=merge', '-p', '{"spec":{"updateStrategy":{"type":"OnDelete","rollingUpdate":null}}}']);
    const onDelete = await k.run(['rollout', 'status', 'sts/db', '-n', NS, '--timeout=5s']);
    assert.notEqual(onDelete.code, 0);
    assert.match(onDelete.stderr, /rollout status is only available for RollingUpdate strategy type/);
  });

  it('delete --cascade=orphan keeps the pods and revisions; the same set created again adopts them', async () => {
    const saved = JSON.parse(await k.ok(['get', 'sts', 'db', '-n', NS, '-o', 'json'])) as { metadata: Record<string, unknown>; status?: unknown };
    for (const key of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields']) delete saved.metadata[key];
    delete saved.status;
    const podUid = await k.ok(['get', 'pod', 'db-0', '-n', NS, '-o', 'jsonpath={.metadata.uid}']);
    const revisionsBefore = await k.ok(['get', 'controllerrevisions', '-n', NS, '-o', 'jsonpath={.items[*].metadata.name}']);
    await k.ok(['delete', 'sts', 'db', '-n', NS, '--cascade=orphan']);
    assert.equal(await k.ok(['get', 'pod', 'db-0', '-n', NS, '-o', 'jsonpath={.metadata.ownerReferences}']), '');
    await k.ok(['create', '-f', '-'], JSON.stringify(saved));
    const uid = await k.ok(['get', 'sts', 'db', '-n', NS, '-o', 'jsonpath={.metadata.uid}']);
    await k.ok(['wait', 'pod/db-0', '-n', NS, `--for=jsonpath={.metadata.ownerReferences[0].uid}=${uid}`, '--timeout=60s']);
    assert.equal(await k.ok(['get', 'pod', 'db-0', '-n', NS, '-o', 'jsonpath={.metadata.uid}']), podUid);
    assert.equal(await k.ok(['get', 'controllerrevisions', '-n', NS, '-o', 'jsonpath={.items[*].metadata.name}']), revisionsBefore);
    const owners = (await k.ok(['get', 'controllerrevisions', '-n', NS, '-o', 'jsonpath={.items[*].metadata.ownerReferences[0].uid}'])).split(' ');
    assert.ok(owners.every((o) => o === uid), owners.join(' '));
  });
});
