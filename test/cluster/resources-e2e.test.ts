// Watching beyond the built-ins: a custom resource named in config, and
// Events read through events.k8s.io/v1 instead of core/v1.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { Kubectl } from '../helpers/kubectl.ts';
import { startHarness, summarize } from '../helpers/herald.ts';

const crd = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: backups.example.com}
spec:
  group: example.com
  names: {plural: backups, singular: backup, kind: Backup, listKind: BackupList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {schedule: {type: string}}}
          status: {type: object, properties: {phase: {type: string}}}
`;

describe('extra watched resources', () => {
  it('a custom resource: existing objects are quiet; created, changed and deleted ones notify', async () => {
    const h = await startHarness({
      resources: [{ group: 'example.com', version: 'v1', resource: 'backups' }],
      before: async (sim) => {
        const k = new Kubectl(sim.kubeconfig);
        await k.ok(['apply', '-f', '-'], crd);
        await k.ok(['create', 'namespace', 'ops']);
        await k.ok(['apply', '-f', '-'], 'apiVersion: example.com/v1\nkind: Backup\nmetadata: {name: old, namespace: ops}\nspec: {schedule: "@daily"}\n');
      },
    });
    try {
      const kc = new k8s.KubeConfig();
      kc.loadFromString(h.sim.kubeconfig);
      const api = kc.makeApiClient(k8s.CustomObjectsApi);
      const ref = { group: 'example.com', version: 'v1', namespace: 'ops', plural: 'backups' };
      await api.createNamespacedCustomObject({ ...ref, body: { apiVersion: 'example.com/v1', kind: 'Backup', metadata: { name: 'nightly' }, spec: { schedule: '@midnight' } } });
      await h.settle();
      await api.patchNamespacedCustomObject({ ...ref, name: 'nightly', body: { spec: { schedule: '@hourly' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      await h.settle();
      await api.patchNamespacedCustomObjectStatus({ ...ref, name: 'nightly', body: { status: { phase: 'Running' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      await h.settle();
      await api.deleteNamespacedCustomObject({ ...ref, name: 'nightly' });
      await h.settle();
      assert.deepEqual(
        h.notifications.filter((n) => n.detector === 'resourceChanges').map(summarize),
        ['FIRING Created Backup/nightly', 'FIRING Changed Backup/nightly', 'FIRING Deleted Backup/nightly'],
      );
      assert.equal(h.notifications[0].involvedObject?.apiVersion, 'example.com/v1');
    } finally {
      await h.close();
    }
  });

  it('events read through events.k8s.io/v1 give the same notifications', async () => {
    const h = await startHarness({ eventsApi: 'events.k8s.io' });
    try {
      h.sim.scenarios.start('crashloop');
      await h.run(60_000);
      assert.deepEqual(h.notifications.map(summarize), ['FIRING CrashLoopBackOff Pod/crashloop']);
      const recorded = h.sim.ctx.store.list('events', 'demo').filter((e) => e.type === 'Warning');
      assert.ok(recorded.length > 0, 'the kubelet recorded Warning events, covered by the state detector');
    } finally {
      await h.close();
    }
  });
});
