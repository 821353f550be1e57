// Storage on the simulator through the real kubectl: the default
// StorageClass, dynamic provisioning (Immediate and WaitForFirstConsumer with
// the scheduler), a failing and a missing provisioner, a claim with no class,
// expansion that fails and succeeds, reclaim policies, and the columns
// `kubectl get pvc/pv/sc` prints. The clock is stepped, never waited on.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PODS, PVCS, PVS } from '../../src/sim/refs.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import type { KObject } from '../../src/sim/types.ts';
import { Kubectl } from '../helpers/kubectl.ts';

const CLASSES = `
apiVersion: v1
kind: Namespace
metadata: {name: vol}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: broken}
provisioner: sim.kubeherald.io/failing
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: local}
provisioner: sim.kubeherald.io/hostpath
volumeBindingMode: WaitForFirstConsumer
allowVolumeExpansion: true
reclaimPolicy: Retain
parameters: {maxSize: 10Gi}
`;

const claim = (name: string, cls: string | null, size = '1Gi'): string => `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}, namespace: vol}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: ${size}}}
${cls === null ? '' : `  storageClassName: "${cls}"\n`}`;

const podUsing = (name: string, claimName: string): string => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: vol}
spec:
  containers: [{name: app, image: nginx:1.27}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: ${claimName}}}]
`;

describe('storage through kubectl', () => {
  let sim: Sim;
  let k: Kubectl;
  const phase = (o: KObject | undefined): string | undefined => (o?.status as { phase?: string } | undefined)?.phase;
  const pvc = (name: string): KObject | undefined => sim.ctx.store.get(PVCS.storage, 'vol', name);
  /** Steps the simulated clock a second at a time until `done` holds (at most `limitS` simulated seconds). */
  const until = async (what: string, done: () => boolean, limitS = 120): Promise<void> => {
    for (let s = 0; s < limitS && !done(); s++) await sim.clock.advance(1000);
    assert.ok(done(), `${what} within ${limitS} simulated seconds`);
  };
  const events = async (name: string): Promise<string> => k.ok(['get', 'events', '-n', 'vol', '--field-selector', `involvedObject.name=${name}`, '-o', 'custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message', '--no-headers']);

  before(async () => {
    sim = await startSim({ clockSpeed: 0 });
    k = new Kubectl(sim.kubeconfig);
    await k.ok(['apply', '-f', '-'], CLASSES);
  });
  after(async () => {
    await sim.close();
  });

  it('lists the default class a kind or minikube cluster has, with the real columns', async () => {
    const out = await k.ok(['get', 'sc']);
    const [header, ...rows] = out.trim().split('\n');
    assert.match(header, /^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE$/);
    assert.match(rows.find((r) => r.startsWith('standard'))!, /^standard \(default\)\s+sim\.kubeherald\.io\/hostpath\s+Delete\s+Immediate\s+false\s+\d+s$/);
    assert.match(rows.find((r) => r.startsWith('local'))!, /^local\s+sim\.kubeherald\.io\/hostpath\s+Retain\s+WaitForFirstConsumer\s+true\s/);
    // defaulted by the API server
    const broken = JSON.parse(await k.ok(['get', 'storageclass', 'broken', '-o', 'json']));
    assert.equal(broken.reclaimPolicy, 'Delete');
    assert.equal(broken.volumeBindingMode, 'Immediate');
    const sc = JSON.parse(await k.ok(['get', 'sc', 'standard', '-o', 'json']));
    assert.equal(sc.metadata.annotations['storageclass.kubernetes.io/is-default-class'], 'true');
  });

  it('provisions a claim without a class from the default class and binds it', async () => {
    await k.ok(['apply', '-f', '-'], claim('plain', null));
    await until('plain bound', () => phase(pvc('plain')) === 'Bound');
    const out = await k.ok(['get', 'pvc', 'plain', '-n', 'vol']);
    const [header, row] = out.trim().split('\n');
    assert.match(header, /^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE$/);
    assert.match(row, /^plain\s+Bound\s+pvc-[0-9a-f-]{36}\s+1Gi\s+RWO\s+standard\s+<unset>\s+\d+s$/);
    const volume = (pvc('plain')!.spec as { volumeName: string }).volumeName;
    const pv = await k.ok(['get', 'pv', volume]);
    assert.match(pv.trim().split('\n')[0], /^NAME\s+CAPACITY\s+ACCESS MODES\s+RECLAIM POLICY\s+STATUS\s+CLAIM\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+REASON\s+AGE$/);
    assert.match(pv.trim().split('\n')[1], new RegExp(`^${volume}\\s+1Gi\\s+RWO\\s+Delete\\s+Bound\\s+vol/plain\\s+standard\\s+<unset>\\s+\\d+s$`));
    assert.match(await events('plain'), /Normal\s+ProvisioningSucceeded\s+Successfully provisioned volume pvc-/);
    // reclaim policy Delete: the volume goes with the claim
    await k.ok(['delete', 'pvc', 'plain', '-n', 'vol']);
    await until('volume deleted', () => !sim.ctx.store.get(PVS.storage, undefined, volume));
  });

  it('leaves claims Pending, with the real events, when the provisioner fails, the class is missing, or no class is set', async () => {
    await k.ok(['apply', '-f', '-'], claim('fails', 'broken') + '---' + claim('nosuch', 'nope') + '---' + claim('noclass', ''));
    await sim.clock.advance(40_000);
    for (const name of ['fails', 'nosuch', 'noclass']) assert.equal(phase(pvc(name)), 'Pending', name);
    const fails = await events('fails');
    assert.match(fails, /Normal\s+ExternalProvisioning\s+Waiting for a volume to be created either by the external provisioner 'sim\.kubeherald\.io\/failing' or manually by the system administrator/);
    assert.match(fails, /Warning\s+ProvisioningFailed\s+failed to provision volume with StorageClass "broken": rpc error: code = ResourceExhausted/);
    assert.match(await events('nosuch'), /Warning\s+ProvisioningFailed\s+storageclass\.storage\.k8s\.io "nope" not found/);
    assert.match(await events('noclass'), /Normal\s+FailedBinding\s+no persistent volumes available for this claim and no storage class is set/);
    // repeated on the controller's resync, as counts on one Event
    const described = await k.ok(['describe', 'pvc', 'fails', '-n', 'vol']);
    assert.match(described, /ProvisioningFailed\s+\S+ \(x[3-9] over/);
    const pending = (await k.ok(['get', 'pvc', 'noclass', '-n', 'vol', '--no-headers'])).trim();
    assert.match(pending, /^noclass\s+Pending\s+<unset>\s+\d+s$/);
  });

  it('binds a Pending claim to a volume an administrator creates; Retain leaves it Released', async () => {
    await k.ok(['apply', '-f', '-'], `
apiVersion: v1
kind: PersistentVolume
metadata: {name: manual-1}
spec:
  capacity: {storage: 2Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  hostPath: {path: /mnt/manual-1}
`);
    await until('noclass bound', () => phase(pvc('noclass')) === 'Bound');
    assert.match(await k.ok(['get', 'pv', 'manual-1', '--no-headers']), /^manual-1\s+2Gi\s+RWO\s+Retain\s+Bound\s+vol\/noclass\s+<unset>/);
    await k.ok(['delete', 'pvc', 'noclass', '-n', 'vol']);
    await until('released', () => phase(sim.ctx.store.get(PVS.storage, undefined, 'manual-1')) === 'Released');
    assert.match(await k.ok(['get', 'pv', 'manual-1', '--no-headers']), /^manual-1\s+2Gi\s+RWO\s+Retain\s+Released\s+vol\/noclass/);
  });

  it('WaitForFirstConsumer: waits for a pod, is provisioned on the node the scheduler picked, then the pod starts', async () => {
    await k.ok(['apply', '-f', '-'], claim('late', 'local'));
    await sim.clock.advance(20_000);
    assert.equal(phase(pvc('late')), 'Pending');
    assert.match(await events('late'), /Normal\s+WaitForFirstConsumer\s+waiting for first consumer to be created before binding/);
    await k.ok(['apply', '-f', '-'], podUsing('consumer', 'late'));
    const pod = (): KObject | undefined => sim.ctx.store.get(PODS.storage, 'vol', 'consumer');
    await until('consumer running', () => phase(pod()) === 'Running');
    const node = (pod()!.spec as { nodeName: string }).nodeName;
    const bound = JSON.parse(await k.ok(['get', 'pvc', 'late', '-n', 'vol', '-o', 'json']));
    assert.equal(bound.status.phase, 'Bound');
    assert.equal(bound.metadata.annotations['volume.kubernetes.io/selected-node'], node);
    const pv = JSON.parse(await k.ok(['get', 'pv', bound.spec.volumeName, '-o', 'json']));
    assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values, [node]);
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Retain');
    // no FailedScheduling on the way: the claim was not "unbound immediate"
    assert.doesNotMatch(await events('consumer'), /FailedScheduling/);
  });

  it('a pod whose claim is missing or unbound is not scheduled', async () => {
    await k.ok(['apply', '-f', '-'], podUsing('orphan', 'missing') + '---' + podUsing('stuck', 'fails'));
    await sim.clock.advance(2000);
    assert.match(await events('orphan'), /Warning\s+FailedScheduling\s+0\/3 nodes are available: persistentvolumeclaim "missing" not found/);
    assert.match(await events('stuck'), /Warning\s+FailedScheduling\s+0\/3 nodes are available: pod has unbound immediate PersistentVolumeClaims/);
  });

  it('expands a claim: too big fails with VolumeResizeFailed until lowered, a fitting size finishes on the running pod', async () => {
    await k.ok(['patch', 'pvc', 'late', '-n', 'vol', '-p', '{"spec":{"resources":{"requests":{"storage":"20Gi"}}}}']);
    await until('resize error', () => (pvc('late')!.status as { conditions?: { type: string }[] }).conditions?.[0]?.type === 'ControllerResizeError');
    const failed = JSON.parse(await k.ok(['get', 'pvc', 'late', '-n', 'vol', '-o', 'json']));
    assert.equal(failed.status.capacity.storage, '1Gi');
    assert.equal(failed.status.allocatedResourceStatuses.storage, 'ControllerResizeInfeasible');
    assert.match(failed.status.conditions[0].message, /requested size 20Gi exceeds the maximum size 10Gi of storage class "local"/);
    assert.match(await events('late'), /Warning\s+VolumeResizeFailed\s+resize volume "pvc-[0-9a-f-]+" by resizer "sim\.kubeherald\.io\/hostpath" failed: rpc error: code = OutOfRange/);

    await k.ok(['patch', 'pvc', 'late', '-n', 'vol', '-p', '{"spec":{"resources":{"requests":{"storage":"5Gi"}}}}']);
    await until('resized', () => (pvc('late')!.status as { capacity: { storage: string } }).capacity.storage === '5Gi');
    const done = JSON.parse(await k.ok(['get', 'pvc', 'late', '-n', 'vol', '-o', 'json']));
    assert.equal(done.status.conditions, undefined);
    assert.equal(done.status.allocatedResourceStatuses, undefined);
    assert.match(await events('late'), /Normal\s+Resizing\s+External resizer is resizing volume/);
    assert.match(await events('late'), /Normal\s+FileSystemResizeRequired\s+Require file system resize of volume on node/);
    assert.match(await events('consumer'), /Normal\s+FileSystemResizeSuccessful\s+MountVolume\.NodeExpandVolume succeeded for volume "pvc-/);
    assert.match(await k.ok(['get', 'pv', done.spec.volumeName, '--no-headers']), /\s5Gi\s/);
  });

  it('refuses what the API server refuses: growing a claim whose class does not allow it, shrinking, changing a spec', async () => {
    await k.ok(['apply', '-f', '-'], claim('fixed', null));
    await until('fixed bound', () => phase(pvc('fixed')) === 'Bound');
    const grow = await k.run(['patch', 'pvc', 'fixed', '-n', 'vol', '-p', '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}']);
    assert.notEqual(grow.code, 0);
    assert.match(grow.stderr, /persistentvolumeclaims "fixed" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize/);
    const shrink = await k.run(['patch', 'pvc', 'late', '-n', 'vol', '-p', '{"spec":{"resources":{"requests":{"storage":"1Gi"}}}}']);
    assert.notEqual(shrink.code, 0);
    assert.match(shrink.stderr, /spec\.resources\.requests\.storage: Forbidden: field can not be less than status\.capacity/);
    const modes = await k.run(['patch', 'pvc', 'fails', '-n', 'vol', '-p', '{"spec":{"accessModes":["ReadWriteMany"]}}']);
    assert.notEqual(modes.code, 0);
    assert.match(modes.stderr, /spec: Forbidden: spec is immutable after creation except resources\.requests and volumeAttributesClassName for bound claims/);
    // labels and annotations are not the spec
    await k.ok(['label', 'pvc', 'fails', '-n', 'vol', 'team=storage']);
  });

  it('a resize waits in FileSystemResizePending until a pod mounts the claim', async () => {
    await k.ok(['delete', 'pod', 'consumer', '-n', 'vol', '--wait=false']);
    await until('consumer gone', () => !sim.ctx.store.get(PODS.storage, 'vol', 'consumer'));
    await k.ok(['patch', 'pvc', 'late', '-n', 'vol', '-p', '{"spec":{"resources":{"requests":{"storage":"8Gi"}}}}']);
    await until('node resize pending', () => (pvc('late')!.status as { allocatedResourceStatuses?: { storage?: string } }).allocatedResourceStatuses?.storage === 'NodeResizePending');
    const waiting = JSON.parse(await k.ok(['get', 'pvc', 'late', '-n', 'vol', '-o', 'json']));
    assert.equal(waiting.status.capacity.storage, '5Gi');
    assert.equal(waiting.status.conditions[0].type, 'FileSystemResizePending');
    assert.equal(waiting.status.conditions[0].message, 'Waiting for user to (re-)start a pod to finish file system resize of volume on node.');
    await k.ok(['apply', '-f', '-'], podUsing('consumer2', 'late'));
    await until('resized to 8Gi', () => (pvc('late')!.status as { capacity: { storage: string } }).capacity.storage === '8Gi');
  });
});
