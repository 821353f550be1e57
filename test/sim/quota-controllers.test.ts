// ResourceQuota admission holds the pods (and a StatefulSet's claims) of
// every workload controller, not only the ReplicaSet's: a Job, a
// StatefulSet and a DaemonSet in a namespace with a quota of pods=1 create
// one pod and report the refused one as a FailedCreate Warning event, as
// kube-controller-manager does, then create it once the quota allows. Set up
// and read with the real kubectl; the clock is stopped and stepped by the
// test.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import type { KObject } from '../../src/sim/types.ts';
import { Kubectl } from '../helpers/kubectl.ts';

describe('workload controllers under a ResourceQuota', () => {
  let sim: Sim;
  let k: Kubectl;

  before(async () => {
    sim = await startSim({ clockSpeed: 0, nodes: 2 });
    k = new Kubectl(sim.kubeconfig);
  });
  after(async () => {
    await sim.close();
  });

  /** Steps the stopped clock until `done` holds; fails after `maxSteps` steps of cluster time, never on wall-clock time. */
  async function until(done: () => boolean, what: string, maxSteps = 300): Promise<void> {
    for (let i = 0; i < maxSteps && !done(); i++) await sim.clock.advance(1000);
    assert.ok(done(), `${what}: not reached in simulated time`);
  }
  const pods = (ns: string): KObject[] => sim.ctx.store.list('pods', ns).filter((p) => !p.metadata.deletionTimestamp);
  const failedCreates = (ns: string): string[] =>
    sim.ctx.store
      .list('events', ns)
      .filter((e) => (e as { reason?: string }).reason === 'FailedCreate')
      .map((e) => `${(e as { type?: string }).type} ${(e as { involvedObject?: { kind?: string } }).involvedObject?.kind}: ${(e as { message?: string }).message}`);
  /** The FailedCreate events as kubectl lists them. */
  async function kubectlFailedCreates(ns: string): Promise<string[]> {
    const list = JSON.parse(await k.ok(['get', 'events', '-n', ns, '--field-selector=reason=FailedCreate', '-o', 'json']));
    return list.items.map((e: { message: string }) => e.message);
  }
  async function cappedNamespace(ns: string, hard = 'pods=1'): Promise<void> {
    await k.ok(['create', 'namespace', ns]);
    await k.ok(['create', 'quota', 'capped', '-n', ns, `--hard=${hard}`]);
  }
  const raiseQuota = (ns: string, hard: Record<string, string>): Promise<string> =>
    k.ok(['patch', 'quota', 'capped', '-n', ns, '--type=merge', '-p', JSON.stringify({ spec: { hard } })]);

  it('a Job of parallelism 2 gets FailedCreate "exceeded quota" events and only 1 pod, and its second pod once the quota allows', async () => {
    const ns = 'q-job';
    await cappedNamespace(ns);
    await k.ok(['apply', '-f', '-'], `
apiVersion: batch/v1
kind: Job
metadata: {name: work, namespace: ${ns}}
spec:
  parallelism: 2
  completions: 2
  template:
    metadata:
      annotations: {sim.kubeherald.io/behavior: run}
    spec:
      restartPolicy: Never
      containers: [{name: main, image: busybox:1.36}]
`);
    await until(() => failedCreates(ns).length > 0, 'FailedCreate');
    assert.equal(pods(ns).length, 1);
    const [first] = failedCreates(ns);
    assert.match(first, /^Warning Job: Error creating: pods "work-[a-z0-9]{5}" is forbidden: exceeded quota: capped, requested: pods=1, used: pods=1, limited: pods=1$/);
    assert.match((await kubectlFailedCreates(ns))[0], /exceeded quota: capped/);
    // retried, still refused: never a second pod while the quota holds
    await sim.clock.advance(30_000);
    assert.equal(pods(ns).length, 1);
    const job = JSON.parse(await k.ok(['get', 'job', 'work', '-n', ns, '-o', 'json']));
    assert.equal(job.status.active, 1, 'the refused pod is not counted as active');

    await raiseQuota(ns, { pods: '2' });
    await until(() => pods(ns).length === 2, 'the second pod once the quota allows it');
  });

  it('a StatefulSet reports the refused pod as FailedCreate and creates it once the quota allows', async () => {
    const ns = 'q-sts';
    await cappedNamespace(ns);
    await k.ok(['apply', '-f', '-'], `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: ${ns}}
spec:
  replicas: 2
  podManagementPolicy: Parallel
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres:16}]
`);
    await until(() => failedCreates(ns).length > 0, 'FailedCreate');
    assert.deepEqual(pods(ns).map((p) => p.metadata.name), ['db-0']);
    assert.equal(
      failedCreates(ns)[0],
      'Warning StatefulSet: create Pod db-1 in StatefulSet db failed error: pods "db-1" is forbidden: exceeded quota: capped, requested: pods=1, used: pods=1, limited: pods=1',
    );
    assert.match((await kubectlFailedCreates(ns))[0], /^create Pod db-1 in StatefulSet db failed error: .*exceeded quota/);
    await sim.clock.advance(30_000);
    assert.equal(pods(ns).length, 1);

    await raiseQuota(ns, { pods: '2' });
    await until(() => pods(ns).length === 2, 'db-1 once the quota allows it');
  });

  it("a StatefulSet's claims are held to a quota on claims: the refused claim is a FailedCreate, and its pod is not created", async () => {
    const ns = 'q-claims';
    await cappedNamespace(ns, 'persistentvolumeclaims=1');
    await k.ok(['apply', '-f', '-'], `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: ${ns}}
spec:
  replicas: 2
  podManagementPolicy: Parallel
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres:16, volumeMounts: [{name: data, mountPath: /data}]}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`);
    await until(() => failedCreates(ns).some((e) => e.includes('create Claim')), 'FailedCreate of the claim');
    assert.deepEqual(sim.ctx.store.list('persistentvolumeclaims', ns).map((c) => c.metadata.name), ['data-db-0']);
    assert.deepEqual(pods(ns).map((p) => p.metadata.name), ['db-0']);
    const events = failedCreates(ns);
    assert.ok(
      events.includes('Warning StatefulSet: create Claim data-db-1 for Pod db-1 in StatefulSet db failed error: persistentvolumeclaims "data-db-1" is forbidden: exceeded quota: capped, requested: persistentvolumeclaims=1, used: persistentvolumeclaims=1, limited: persistentvolumeclaims=1'),
      events.join('\n'),
    );
    assert.ok(events.some((e) => e.startsWith('Warning StatefulSet: create Pod db-1 in StatefulSet db failed error: failed to create PVC data-db-1: ')), events.join('\n'));

    await raiseQuota(ns, { persistentvolumeclaims: '2' });
    await until(() => pods(ns).length === 2, 'db-1 and its claim once the quota allows them');
    assert.equal(sim.ctx.store.list('persistentvolumeclaims', ns).length, 2);
  });

  it('a DaemonSet on two nodes reports the refused daemon pod as FailedCreate and creates it once the quota allows', async () => {
    const ns = 'q-ds';
    await cappedNamespace(ns);
    await k.ok(['apply', '-f', '-'], `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ${ns}}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: fluent/fluent-bit:3.1}]
`);
    await until(() => failedCreates(ns).length > 0, 'FailedCreate');
    assert.equal(pods(ns).length, 1);
    assert.match(failedCreates(ns)[0], /^Warning DaemonSet: Error creating: pods "agent-[a-z0-9]{5}" is forbidden: exceeded quota: capped, requested: pods=1, used: pods=1, limited: pods=1$/);
    assert.match((await kubectlFailedCreates(ns))[0], /^Error creating: .*exceeded quota: capped/);
    await sim.clock.advance(30_000);
    assert.equal(pods(ns).length, 1);
    const ds = JSON.parse(await k.ok(['get', 'ds', 'agent', '-n', ns, '-o', 'json']));
    assert.equal(ds.status.desiredNumberScheduled, 2);
    assert.equal(ds.status.currentNumberScheduled, 1);

    await raiseQuota(ns, { pods: '2' });
    await until(() => pods(ns).length === 2, 'the second node\'s pod once the quota allows it');
  });
});
