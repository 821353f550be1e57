// Claims through the whole listening path: the simulator's provisioner fails
// a claim, the listener watches PersistentVolumeClaims and Events over HTTPS,
// and the Pending claim is one incident (its repeated ProvisioningFailed
// warnings are not notified beside it), FIRING once and RESOLVED once.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_DETECTORS } from '../../src/detect/config.ts';
import { PVCS } from '../../src/sim/refs.ts';
import { startHarness, summarize } from '../helpers/herald.ts';

describe('PersistentVolumeClaim detectors end to end against the simulator', () => {
  it('pvc-pending: Pending past minSeconds fires once, the hand-made volume resolves it', async () => {
    const h = await startHarness();
    try {
      h.sim.scenarios.start('pvc-pending', { fixAfter: 180 });
      await h.run(100_000);
      assert.deepEqual(h.notifications.map(summarize), [], 'not before pvcPending.minSeconds');
      const failures = h.sim.ctx.store.list('events', 'demo').filter((e) => e.reason === 'ProvisioningFailed');
      assert.equal(failures.length, 1);
      assert.ok(Number(failures[0].count) > 3, 'the provisioner kept failing, every 15 s');
      await h.run(150_000);
      assert.deepEqual(h.notifications.map(summarize), ['FIRING ClaimPending PersistentVolumeClaim/data-pending', 'RESOLVED ClaimPending PersistentVolumeClaim/data-pending']);
      const [firing, resolved] = h.notifications;
      assert.equal(firing.detector, 'pvcPending');
      assert.equal(firing.fields.provisioner, 'sim.kubeherald.io/failing');
      assert.match(firing.message, /waiting for provisioner sim\.kubeherald\.io\/failing/);
      assert.equal(resolved.message, 'PersistentVolumeClaim demo/data-pending is Bound to volume demo-data-pending');
      const pvc = h.sim.ctx.store.get(PVCS.storage, 'demo', 'data-pending');
      assert.equal((pvc?.status as { phase?: string }).phase, 'Bound');
    } finally {
      await h.close();
    }
  });

  it('a resize beyond the class maximum fires VolumeResizeFailed once (its warnings covered); lowering it back resolves', async () => {
    const h = await startHarness();
    try {
      const sc = { storage: 'storage.k8s.io/storageclasses', resource: 'storageclasses', group: 'storage.k8s.io' };
      h.sim.ctx.store.create({ storage: 'namespaces', resource: 'namespaces', group: '' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
      h.sim.ctx.store.create(sc, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'small' }, provisioner: 'sim.kubeherald.io/hostpath', allowVolumeExpansion: true, parameters: { maxSize: '5Gi' }, reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });
      h.sim.ctx.store.create(PVCS, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'demo' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'small', resources: { requests: { storage: '1Gi' } } } });
      await h.run(5_000);
      const request = (size: string) => h.sim.ctx.store.mutate(PVCS, 'demo', 'data', (o) => void ((o.spec as { resources: { requests: { storage: string } } }).resources.requests.storage = size));
      request('50Gi');
      await h.run(60_000);
      assert.deepEqual(h.notifications.map(summarize), ['FIRING VolumeResizeFailed PersistentVolumeClaim/data']);
      assert.match(h.notifications[0].message, /cannot grow from 1Gi to 50Gi: resize volume "pvc-[0-9a-f-]+" by resizer "sim\.kubeherald\.io\/hostpath" failed: rpc error: code = OutOfRange desc = requested size 50Gi exceeds the maximum size 5Gi/);
      const failures = h.sim.ctx.store.list('events', 'demo').filter((e) => e.reason === 'VolumeResizeFailed');
      assert.ok(Number(failures[0]?.count) > 1, 'the resizer kept failing');
      request('1Gi');
      await h.run(5_000);
      assert.deepEqual(h.notifications.map(summarize), ['FIRING VolumeResizeFailed PersistentVolumeClaim/data', 'RESOLVED VolumeResizeFailed PersistentVolumeClaim/data']);
      assert.equal(h.notifications[1].message, 'PersistentVolumeClaim demo/data is no longer being resized (capacity 1Gi)');
    } finally {
      await h.close();
    }
  });

  it('a claim deleted while Pending resolves; with pvcPending off the ProvisioningFailed warning speaks instead', async () => {
    const h = await startHarness();
    try {
      h.sim.scenarios.start('pvc-pending', { fixAfter: 0 });
      await h.run(130_000);
      h.sim.ctx.store.delete(PVCS, 'demo', 'data-pending');
      await h.run(5_000);
      assert.deepEqual(h.notifications.map(summarize), ['FIRING ClaimPending PersistentVolumeClaim/data-pending', 'RESOLVED ClaimPending PersistentVolumeClaim/data-pending']);
      assert.equal(h.notifications[1].message, 'PersistentVolumeClaim demo/data-pending was deleted');
    } finally {
      await h.close();
    }
    const quiet = await startHarness({ detectors: { ...DEFAULT_DETECTORS, pvcPending: { enabled: false, minSeconds: 120 } } });
    try {
      quiet.sim.scenarios.start('pvc-pending', { fixAfter: 0 });
      await quiet.run(60_000);
      assert.deepEqual(quiet.notifications.map(summarize), ['FIRING ProvisioningFailed PersistentVolumeClaim/data-pending']);
    } finally {
      await quiet.close();
    }
  });
});
