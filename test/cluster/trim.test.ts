// What the listener caches: trimmed objects, except pods while a sink sends
// them whole, which keep everything but managedFields (kubectl does not
// show those either).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trimObject } from '../../src/cluster/trim.ts';
import type { KubeObject } from '../../src/model/kube.ts';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function pod(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      namespace: 'shop',
      uid: 'u1',
      annotations: { [LAST_APPLIED]: '{"kind":"Pod"}', team: 'sre' },
      managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
    },
    spec: {
      nodeName: 'n1',
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      containers: [{ name: 'app', image: 'web:1', imagePullPolicy: 'IfNotPresent', resources: { limits: { memory: '128Mi' } } }],
    },
    status: { phase: 'Running' },
  } as KubeObject;
}

test('pods are trimmed to what detection reads by default', () => {
  const input = pod();
  const before = structuredClone(input);
  const out = trimObject(input);
  assert.deepEqual(out.spec, { nodeName: 'n1', restartPolicy: 'Always', containers: [{ name: 'app', image: 'web:1' }], initContainers: undefined });
  assert.equal(out.metadata.managedFields, undefined);
  assert.deepEqual(out.metadata.annotations, { team: 'sre' });
  assert.deepEqual(input, before, 'the input is not changed');
});

test('with wholePods a pod keeps every field but managedFields; other kinds are trimmed as ever', () => {
  const input = pod();
  const before = structuredClone(input);
  const out = trimObject(input, { wholePods: true });
  const { managedFields: _m, ...metadata } = before.metadata;
  assert.deepEqual(out, { ...before, metadata });
  assert.deepEqual(input, before, 'the input is not changed');

  const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', managedFields: [{}] }, status: { images: [{ names: ['x'] }], phase: 'Running' } } as KubeObject;
  assert.deepEqual(trimObject(node, { wholePods: true }), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { phase: 'Running' } });
});
