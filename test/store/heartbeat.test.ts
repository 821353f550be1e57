// The heartbeat: when kubeherald was last alive, kept across restarts, never
// moved back, written by startHeartbeat until (and at) the stop.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startHeartbeat } from '../../src/app/while-down.ts';
import { silentLogger } from '../../src/model/logger.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';

test('a new state has no heartbeat; a beat survives a reopen and never moves back', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'kh-heartbeat-')), 'state.db');
  const store = new SqliteStore({ path });
  assert.equal(store.heartbeat('c').lastSeen(), undefined);
  store.heartbeat('c').beat(2_000);
  store.heartbeat('c').beat(1_000);
  store.close();
  const reopened = new SqliteStore({ path });
  assert.equal(reopened.heartbeat('c').lastSeen(), 2_000);
  reopened.close();
});

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
