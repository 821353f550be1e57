// The disruption controller and the eviction decision on a stopped clock:
// budgets scaled through each kind of owner, the fail-safe when a pod has no
// controller, disruptedPods expiring, selectors, unready pods and the
// quota arithmetic the admission plugin and controller share.

import assert from 'node:assert/strict';
import { URLSearchParams } from 'node:url';
import { describe, it } from 'node:test';
import { SimClock } from '../../src/sim/clock.ts';
import { DELETION_TIMEOUT_MS, startDisruptionController } from '../../src/sim/controllers/disruption.ts';
import { EventRecorder } from '../../src/sim/events.ts';
import { evictPodRequest } from '../../src/sim/eviction.ts';
import { LogStore } from '../../src/sim/logs.ts';
import { formatQuantity, podCounts, usage } from '../../src/sim/quota.ts';
import { NAMESPACES, PDBS, PODS, REPLICASETS, DEPLOYMENTS } from '../../src/sim/refs.ts';
import type { RequestInfo } from '../../src/sim/request.ts';
import type { SimContext } from '../../src/sim/scenario.ts';
import { ObjectStore } from '../../src/sim/store.ts';
import type { KObject } from '../../src/sim/types.ts';

const NS = 'd';
const STS = { group: 'apps', resource: 'statefulsets', storage: 'apps/statefulsets' };

function setup() {
  const clock = new SimClock({ speed: 0, start: new Date('2026-03-01T10:00:00Z') });
  const store = new ObjectStore({ clock });
  const ctx: SimContext = { store, clock, logs: new LogStore(), recorder: new EventRecorder(store) };
  store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS }, status: { phase: 'Active' } });
  const stop = startDisruptionController(ctx);
  return { clock, store, stop };
}

type Setup = ReturnType<typeof setup>;

function owner(store: ObjectStore, ref: typeof STS, kind: string, name: string, replicas: number, ownedBy?: KObject): KObject {
  return store.create(ref, {
    apiVersion: 'apps/v1',
    kind,
    metadata: {
      name,
      namespace: NS,
      ...(ownedBy ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: ownedBy.kind!, name: ownedBy.metadata.name!, uid: ownedBy.metadata.uid!, controller: true }] } : {}),
    },
    spec: { replicas },
  });
}

function pod(store: ObjectStore, name: string, opts: { owner?: KObject; ready?: boolean; labels?: Record<string, string>; phase?: string } = {}): KObject {
  const o = opts.owner;
  return store.create(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: NS,
      labels: opts.labels ?? { app: 'web' },
      ...(o ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: o.kind!, name: o.metadata.name!, uid: o.metadata.uid!, controller: true }] } : {}),
    },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '250m', memory: '64Mi' } } }] },
    status: { phase: opts.phase ?? 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  });
}

function pdb(store: ObjectStore, spec: Record<string, unknown>, name = 'web'): void {
  store.create(PDBS, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: NS }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec } });
}

const status = (s: Setup, name = 'web'): Record<string, any> => s.store.get(PDBS.storage, NS, name)!.status as Record<string, any>;
const settle = (s: Setup): Promise<void> => s.clock.advance(0);

describe('disruption controller', () => {
  it('scales a percentage against the StatefulSet, not the pods that exist', async () => {
    const s = setup();
    const sts = owner(s.store, STS, 'StatefulSet', 'db', 5);
    for (let i = 0; i < 3; i++) pod(s.store, `db-${i}`, { owner: sts });
    pdb(s.store, { minAvailable: '50%' });
    await settle(s);
    assert.deepEqual(
      [status(s).expectedPods, status(s).desiredHealthy, status(s).currentHealthy, status(s).disruptionsAllowed],
      [5, 3, 3, 0],
    );
    s.stop();
  });

  it('reads a Deployment through its ReplicaSet, and an int minAvailable against the pods alone', async () => {
    const s = setup();
    const d = owner(s.store, { group: 'apps', resource: 'deployments', storage: DEPLOYMENTS.storage }, 'Deployment', 'web', 4);
    const rs = owner(s.store, { group: 'apps', resource: 'replicasets', storage: REPLICASETS.storage }, 'ReplicaSet', 'web-1', 2, d);
    pod(s.store, 'a', { owner: rs });
    pod(s.store, 'b', { owner: rs });
    pod(s.store, 'c', { owner: rs, ready: false });
    pdb(s.store, { maxUnavailable: 1 });
    await settle(s);
    assert.deepEqual([status(s).expectedPods, status(s).desiredHealthy, status(s).currentHealthy, status(s).disruptionsAllowed], [4, 3, 2, 0]);
    s.store.mutate(PDBS, NS, 'web', (o) => {
      o.spec = { selector: { matchLabels: { app: 'web' } }, minAvailable: 1 };
      o.metadata.generation = 2;
    });
    await settle(s);
    assert.deepEqual([status(s).expectedPods, status(s).desiredHealthy, status(s).disruptionsAllowed, status(s).observedGeneration], [3, 1, 1, 2]);
    const cond = status(s).conditions[0];
    assert.deepEqual([cond.type, cond.status, cond.reason], ['DisruptionAllowed', 'True', 'SufficientPods']);
    s.stop();
  });

  it('fails safe when a pod has no controller to scale against', async () => {
    const s = setup();
    pod(s.store, 'bare');
    pdb(s.store, { maxUnavailable: '10%' });
    await settle(s);
    const cond = status(s).conditions.find((c: any) => c.type === 'DisruptionAllowed');
    assert.deepEqual([cond.status, cond.reason, cond.message], ['False', 'SyncFailed', 'found no controller ref for pod "bare"']);
    assert.equal(status(s).disruptionsAllowed, 0);
    s.stop();
  });

  it('selects every pod with an empty selector and none without one', async () => {
    const s = setup();
    pod(s.store, 'x', { labels: { app: 'other' } });
    pod(s.store, 'y');
    s.store.create(PDBS, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'all', namespace: NS }, spec: { selector: {}, minAvailable: 1 } });
    s.store.create(PDBS, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'none', namespace: NS }, spec: { minAvailable: 1 } });
    await settle(s);
    assert.equal(status(s, 'all').expectedPods, 2);
    assert.equal(status(s, 'all').disruptionsAllowed, 1);
    assert.equal(status(s, 'none').expectedPods, 0);
    assert.equal(status(s, 'none').disruptionsAllowed, 0, 'a budget expecting no pods allows nothing');
    s.stop();
  });

  it('counts an evicted pod as disrupted until it is deleted or DeletionTimeout passes', async () => {
    const s = setup();
    const rs = owner(s.store, { group: 'apps', resource: 'replicasets', storage: REPLICASETS.storage }, 'ReplicaSet', 'rs', 3);
    for (const n of ['a', 'b', 'c']) pod(s.store, n, { owner: rs });
    pdb(s.store, { minAvailable: 1 });
    await settle(s);
    assert.equal(status(s).disruptionsAllowed, 2);
    const deps = { store: s.store, clock: s.clock, deletePod: () => undefined };
    const info = (name: string): RequestInfo => ({ isResourceRequest: true, path: '', verb: 'create', group: '', version: 'v1', namespace: NS, resource: 'pods', name, subresource: 'eviction', query: new URLSearchParams() });
    assert.equal(evictPodRequest(deps, info('a'), '{}').status, 201);
    assert.equal(status(s).disruptionsAllowed, 1);
    await settle(s);
    // pod a was never deleted (deletePod did nothing): it stays disrupted, not healthy
    assert.deepEqual([status(s).currentHealthy, status(s).disruptionsAllowed, Object.keys(status(s).disruptedPods)], [2, 1, ['a']]);
    await s.clock.advance(DELETION_TIMEOUT_MS + 1000);
    assert.equal(status(s).disruptedPods, undefined, 'given up on after DeletionTimeout');
    assert.equal(status(s).currentHealthy, 3);

    // an unready pod goes without spending the budget while the budget is met
    s.store.mutate(PODS, NS, 'c', (o) => {
      (o.status as any).conditions = [{ type: 'Ready', status: 'False' }];
    });
    await settle(s);
    const before = status(s).disruptionsAllowed;
    assert.equal(evictPodRequest(deps, info('c'), '{}').status, 201);
    assert.equal(status(s).disruptionsAllowed, before);
    // a pending pod is never protected
    pod(s.store, 'pending', { owner: rs, phase: 'Pending' });
    assert.equal(evictPodRequest(deps, info('pending'), '{"apiVersion":"policy/v1","kind":"Eviction"}').status, 201);
    assert.throws(() => evictPodRequest(deps, info('a'), '{"kind":"Pod"}'), /does not match the expected kind/);
    assert.throws(() => evictPodRequest(deps, info('a'), 'not json'), /unrecognized/);
    s.stop();
  });
});

describe('quota arithmetic', () => {
  it('formats quantities as the quota controller writes them', () => {
    assert.equal(formatQuantity('requests.cpu', 0.6), '600m');
    assert.equal(formatQuantity('limits.cpu', 2), '2');
    assert.equal(formatQuantity('requests.memory', 512 * 1024 ** 2), '512Mi');
    assert.equal(formatQuantity('limits.memory', 3 * 1024 ** 3), '3Gi');
    assert.equal(formatQuantity('requests.memory', 1000), '1000');
    assert.equal(formatQuantity('pods', 3), '3');
  });

  it('charges running pods, not finished ones or those past their grace', () => {
    const s = setup();
    pod(s.store, 'run');
    pod(s.store, 'done', { phase: 'Succeeded' });
    const gone = pod(s.store, 'going');
    s.store.mutate(PODS, NS, 'going', (o) => {
      o.metadata.deletionTimestamp = '2026-03-01T09:00:00Z';
      o.metadata.deletionGracePeriodSeconds = 30;
    });
    assert.equal(podCounts(gone, s.clock.nowMs()), true, 'the stored copy before deletion still counts');
    const used = usage(s.store, NS, ['pods', 'count/pods', 'requests.cpu', 'requests.memory', 'limits.cpu'], s.clock.nowMs());
    assert.deepEqual(Object.fromEntries(used), { pods: 1, 'count/pods': 1, 'requests.cpu': 0.25, 'requests.memory': 64 * 1024 ** 2, 'limits.cpu': 0 });
    s.stop();
  });

  it('sums claimed storage and counts load balancers, node ports and objects by count/<resource>.<group>', () => {
    const s = setup();
    for (const [name, size] of [['a', '1Gi'], ['b', '512Mi']]) {
      s.store.create({ group: '', resource: 'persistentvolumeclaims', storage: 'persistentvolumeclaims' }, {
        apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: NS }, spec: { resources: { requests: { storage: size } } },
      });
    }
    const svc = (name: string, type: string, ports: number): void => {
      s.store.create({ group: '', resource: 'services', storage: 'services' }, {
        apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec: { type, ports: Array.from({ length: ports }, (_, i) => ({ port: 80 + i })) },
      });
    };
    svc('lb', 'LoadBalancer', 2);
    svc('np', 'NodePort', 1);
    svc('ip', 'ClusterIP', 3);
    owner(s.store, STS, 'StatefulSet', 'db', 1);
    const names = ['requests.storage', 'persistentvolumeclaims', 'services', 'services.loadbalancers', 'services.nodeports', 'count/statefulsets.apps'];
    const used = usage(s.store, NS, names, s.clock.nowMs());
    assert.deepEqual(Object.fromEntries(used), {
      'requests.storage': 1.5 * 1024 ** 3,
      persistentvolumeclaims: 2,
      services: 3,
      'services.loadbalancers': 1,
      'services.nodeports': 3,
      'count/statefulsets.apps': 1,
    });
    assert.equal(formatQuantity('requests.storage', used.get('requests.storage')!), '1536Mi');
    s.stop();
  });
});
