// The built-in Namespace informer through the whole listening path: the
// simulator's API server marks a deleted namespace Terminating, its namespace
// controller deletes the content and reports progress in the real
// conditions; kubectl deletes, the listener watches over HTTPS. A namespace
// the config leaves out (watch.namespaces) says nothing, and namespaces that
// exist when the listener starts are quiet.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startHarness, summarize } from '../helpers/herald.ts';
import { Kubectl } from '../helpers/kubectl.ts';

const namespaceWithPod = (ns: string): string => `apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
---
apiVersion: v1
kind: Pod
metadata: {name: app, namespace: ${ns}, annotations: {sim.kubeherald.io/ready-after: "1"}}
spec:
  containers: [{name: app, image: ghcr.io/kubeherald/demo-app:1.4.2}]`;

describe('namespaces end to end against the simulator', () => {
  it('kubectl delete ns: NamespaceTerminating while its pods go, resolved once it is gone; an excluded namespace says nothing; existing ones are quiet', async () => {
    const h = await startHarness({ namespaces: (ns) => ns !== 'ignored' });
    const kubectl = new Kubectl(h.sim.kubeconfig);
    try {
      await kubectl.ok(['apply', '-f', '-'], `${namespaceWithPod('shop')}\n---\n${namespaceWithPod('ignored')}`);
      await h.run(10_000);
      assert.deepEqual(h.notifications.map(summarize), [], 'Active namespaces, existing or created, say nothing');

      await kubectl.ok(['delete', 'namespace', 'shop', 'ignored', '--wait=false']);
      // the API server marks it at once; a millisecond later the namespace controller has asked the pods to go and says so
      assert.equal(await kubectl.ok(['get', 'namespace', 'shop', '-o', 'jsonpath={.status.phase}']), 'Terminating');
      await h.run(1);
      assert.match(await kubectl.ok(['get', 'namespace', 'shop', '-o', 'jsonpath={.status.conditions[?(@.type=="NamespaceContentRemaining")].message}']), /pods\. has 1 resource instances/);
      await h.settle();
      assert.deepEqual(h.notifications.map(summarize), ['FIRING NamespaceTerminating Namespace/shop']);
      const [firing] = h.notifications;
      assert.equal(firing.involvedObject?.namespace, '');
      assert.match(firing.message, /^Namespace shop is Terminating since \S+: everything in it is being deleted$/);

      const gone = async (ns: string): Promise<boolean> => (await kubectl.run(['get', 'namespace', ns])).code !== 0;
      for (let s = 0; s < 120 && !((await gone('shop')) && (await gone('ignored'))); s++) await h.run(1000);
      assert.ok((await gone('shop')) && (await gone('ignored')), 'both namespaces are gone once their pods terminated');
      assert.deepEqual(h.notifications.map(summarize), ['FIRING NamespaceTerminating Namespace/shop', 'RESOLVED NamespaceTerminating Namespace/shop']);
      assert.equal(h.notifications[1].message, 'namespace shop was deleted');
      assert.equal(h.notifications[1].incidentKey, firing.incidentKey);
    } finally {
      await h.close();
    }
  });
});
