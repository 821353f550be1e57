// startHeartbeat writes the heartbeat until (and at) the stop; the
// heartbeat's storage (kept across restarts, never moved back) is in
// contract.test.ts, on both backends.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startHeartbeat } from '../../src/app/while-down.ts';
import { silentLogger } from '../../src/model/logger.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';

test('startHeartbeat beats at once, on every timer, and at the stop; nothing after it', () => {
  const store = new SqliteStore({ path: ':memory:' });
  let now = 100;
  const timers = new Map<number, () => void>();
  let next = 0;
  const clock = { now: () => new Date(now), setTimeout: (fn: () => void) => (timers.set(++next, fn), next), clearTimeout: (h: unknown) => void timers.delete(h as number) };
  const fire = (): void => {
    const [h, fn] = [...timers][0];
    timers.delete(h);
    fn();
  };
  const hb = startHeartbeat({ heartbeat: store.heartbeat('c'), clock, log: silentLogger, intervalMs: 10 });
  assert.equal(store.heartbeat('c').lastSeen(), 100);
  now = 200;
  fire();
  assert.equal(store.heartbeat('c').lastSeen(), 200);
  now = 250;
  hb.stop();
  assert.equal(store.heartbeat('c').lastSeen(), 250);
  assert.equal(timers.size, 0, 'the stop cleared the next beat');
  store.close();
});
