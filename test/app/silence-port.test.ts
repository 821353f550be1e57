// The silences port of a process without a pipeline (`kubeherald chat`):
// straight in the state database, where a running kubeherald picks them up.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { storeSilencePort } from '../../src/app/silence-port.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';

test('storeSilencePort adds, lists, expires in the state database on the clock given', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-silence-port-'));
  const store = openSqliteStore({ path: join(dir, 'state.db') });
  try {
    let now = Date.parse('2026-12-07T12:00:00Z');
    const port = storeSilencePort(store, 3600_000, () => now);
    assert.equal(port.now(), now);
    port.add({ id: 's-1', matchers: { namespace: 'demo' }, startsAt: now, endsAt: now + 600_000, createdBy: 'alice', comment: 'why', source: 'chat', createdAt: now });
    assert.deepEqual(port.open().map((s) => s.id), ['s-1']);
    assert.equal(port.get('s-1')?.createdBy, 'alice');
    now += 60_000;
    assert.equal(port.expire('s-1', 'bob')?.id, 's-1');
    assert.equal(port.get('s-1')?.expiredBy, 'bob');
    assert.equal(port.expire('s-1', 'bob'), undefined, 'already ended');
    assert.deepEqual(port.open(), []);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
