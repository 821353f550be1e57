import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NamespaceLabels } from '../../src/chatops/namespace-labels.ts';

test('labels are read once per namespace while fresh, and again after the ttl', async () => {
  let now = 0;
  const reads: string[] = [];
  const labels = new NamespaceLabels({ read: async (ns) => (reads.push(ns), { env: `${ns}-${reads.length}` }), now: () => now, ttlMs: 1000 });
  assert.deepEqual(await labels.get('a'), { env: 'a-1' });
  assert.deepEqual(await labels.get('a'), { env: 'a-1' });
  assert.deepEqual(await labels.get('b'), { env: 'b-2' });
  now = 1000;
  assert.deepEqual(await labels.get('a'), { env: 'a-3' });
  assert.deepEqual(reads, ['a', 'b', 'a']);
});

test('a failed read is undefined (possibly production) and is not kept', async () => {
  let fail = true;
  const labels = new NamespaceLabels({
    read: async () => {
      if (fail) throw new Error('forbidden');
      return { 'kubeherald.io/production': 'true' };
    },
    now: () => 0,
  });
  assert.equal(await labels.get('payments'), undefined);
  fail = false;
  assert.deepEqual(await labels.get('payments'), { 'kubeherald.io/production': 'true' });
});

test('at most max namespaces are kept, the oldest dropped first', async () => {
  const reads: string[] = [];
  const labels = new NamespaceLabels({ read: async (ns) => (reads.push(ns), {}), now: () => 0, max: 2 });
  for (const ns of ['a', 'b', 'c', 'b', 'a']) await labels.get(ns);
  assert.deepEqual(reads, ['a', 'b', 'c', 'a']);
});
