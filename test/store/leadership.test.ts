import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite.ts';

const delivery = (now: number) => ({ sink: 's', target: 't', orderingKey: 'k', idempotencyKey: `i${now}`, payload: new Uint8Array([1]), members: 1, createdAt: now });

test('each term of a scope gets a higher epoch; the current one is what was begun last', () => {
  const store = new SqliteStore({ path: ':memory:' });
  const a = store.leadership.begin('kubeherald', 'pod-a', 0, 1000);
  const b = store.leadership.begin('kubeherald', 'pod-b', 1, 2000);
  const other = store.leadership.begin('cluster-2', 'pod-a', 0, 2500);
  assert.equal(a.epoch, 1);
  assert.equal(b.epoch, 2);
  assert.equal(other.epoch, 1);
  assert.deepEqual(store.leadership.current('kubeherald'), { scope: 'kubeherald', holder: 'pod-b', epoch: 2, leaseTransitions: 1, since: 2000 });
  assert.equal(store.leadership.current('nowhere'), undefined);
  store.close();
});

test('a claim under a term no longer current is refused and changes nothing; the current term claims', () => {
  const store = new SqliteStore({ path: ':memory:' });
  const old = store.leadership.begin('kubeherald', 'pod-a', 0, 1000);
  const id = store.outbox.insert(delivery(1000));
  const current = store.leadership.begin('kubeherald', 'pod-b', 1, 2000);
  assert.equal(store.outbox.markInflight(id, 2100, old), false);
  assert.equal(store.outbox.get(id)?.state, 'pending');
  assert.equal(store.outbox.get(id)?.attempts, 0);
  // the same holder's earlier term is as stale as another's
  assert.equal(store.outbox.markInflight(id, 2100, { ...current, epoch: current.epoch - 1 }), false);
  assert.equal(store.outbox.markInflight(id, 2200, current), true);
  assert.equal(store.outbox.get(id)?.state, 'inflight');
  // claimed once: a second claim, fenced or not, is refused
  assert.equal(store.outbox.markInflight(id, 2300, current), false);
  assert.equal(store.outbox.markInflight(id, 2300), false);
  store.close();
});
