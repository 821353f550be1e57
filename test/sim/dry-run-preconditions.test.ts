// Dry runs and resourceVersion preconditions on the writes chat commands make
// (scale subresource, strategic and JSON patches, pod deletion), through
// client-node as kube-apiserver answers them: a dry run changes nothing, and
// a stale resourceVersion is a 409 Conflict for a dry run and a write alike.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startSim, type Sim } from '../../src/sim/sim.ts';

const conflictOf = (err: unknown): number | undefined => (err instanceof k8s.ApiException ? err.code : undefined);

describe('sim: dryRun and preconditions', () => {
  let sim: Sim;
  let apps: k8s.AppsV1Api;
  let core: k8s.CoreV1Api;
  const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
  const strategic = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);
  before(async () => {
    sim = await startSim({ nodes: 1 });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    core = kc.makeApiClient(k8s.CoreV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'web' },
        spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } } },
      },
    });
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'p1' }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } } });
  });
  after(() => sim.close());

  it('a dry-run scale answers the new replicas and changes nothing; a stale resourceVersion on the Scale is a 409', async () => {
    const before = await apps.readNamespacedDeploymentScale({ name: 'web', namespace: 'default' });
    const dry = await apps.patchNamespacedDeploymentScale({ name: 'web', namespace: 'default', body: { spec: { replicas: 0 } }, dryRun: 'All' }, merge);
    assert.equal(dry.spec?.replicas, 0);
    const still = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' });
    assert.equal(still.spec?.replicas, 2);
    assert.equal(still.metadata?.resourceVersion, before.metadata?.resourceVersion);
    await assert.rejects(
      apps.patchNamespacedDeploymentScale({ name: 'web', namespace: 'default', body: { metadata: { resourceVersion: '1' }, spec: { replicas: 0 } } }, merge),
      (e) => conflictOf(e) === 409,
    );
    await assert.rejects(
      apps.patchNamespacedDeploymentScale({ name: 'web', namespace: 'default', body: { metadata: { resourceVersion: '1' }, spec: { replicas: 0 } }, dryRun: 'All' }, merge),
      (e) => conflictOf(e) === 409,
    );
    assert.equal((await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' })).spec?.replicas, 2);
    const ok = await apps.patchNamespacedDeploymentScale(
      { name: 'web', namespace: 'default', body: { metadata: { resourceVersion: before.metadata?.resourceVersion }, spec: { replicas: 3 } } },
      merge,
    );
    assert.equal(ok.spec?.replicas, 3);
  });

  it('a strategic patch carrying a stale resourceVersion is a 409, dry run or not', async () => {
    const d = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' });
    const body = { metadata: { resourceVersion: '1' }, spec: { template: { metadata: { annotations: { a: 'b' } } } } };
    await assert.rejects(apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body, dryRun: 'All' }, strategic), (e) => conflictOf(e) === 409);
    await assert.rejects(apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body }, strategic), (e) => conflictOf(e) === 409);
    assert.equal(d.spec?.template.metadata?.annotations?.a, undefined);
    // the deployment controller may still be writing status after the scale to 3 above (later on a loaded
    // machine): a current resourceVersion can go stale between our read and the patch, so read again then
    for (let attempt = 1; ; attempt++) {
      const cur = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' });
      let dry: k8s.V1Deployment;
      try {
        dry = await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body: { ...body, metadata: { resourceVersion: cur.metadata?.resourceVersion } }, dryRun: 'All' }, strategic);
      } catch (e) {
        if (conflictOf(e) === 409 && attempt < 50) continue;
        throw e;
      }
      assert.equal(dry.spec?.template.metadata?.annotations?.a, 'b');
      const after = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' });
      assert.equal(after.spec?.template.metadata?.annotations?.a, undefined, 'a dry run changes nothing');
      // a status write by the controller between the two reads is not the dry run's doing
      if (after.metadata?.resourceVersion !== cur.metadata?.resourceVersion && attempt < 50) continue;
      assert.equal(after.metadata?.resourceVersion, cur.metadata?.resourceVersion);
      break;
    }
  });

  it('a pod deletion with a stale resourceVersion precondition is a 409 before any graceful deletion; a dry run deletes nothing', async () => {
    const p = await core.readNamespacedPod({ name: 'p1', namespace: 'default' });
    await assert.rejects(core.deleteNamespacedPod({ name: 'p1', namespace: 'default', body: { preconditions: { resourceVersion: '1' } } }), (e) => conflictOf(e) === 409);
    const dry = await core.deleteNamespacedPod({ name: 'p1', namespace: 'default', dryRun: 'All', body: { preconditions: { resourceVersion: p.metadata?.resourceVersion } } });
    assert.equal(dry.metadata?.name, 'p1');
    const still = await core.readNamespacedPod({ name: 'p1', namespace: 'default' });
    assert.equal(still.metadata?.deletionTimestamp, undefined);
    assert.equal(still.metadata?.resourceVersion, p.metadata?.resourceVersion);
  });
});
