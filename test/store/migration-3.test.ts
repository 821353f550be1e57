// Migration 3 (the audit trail) on a database written by version 2: what
// was there survives, the audit table starts empty and works, and a
// version-2 kubeherald's reader would refuse nothing it knew.

import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { migrate, MIGRATIONS } from '../../src/store/migrations.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import { T0, tempStore, type TempStore } from '../pipeline/helpers.ts';

let tmp: TempStore;
let store: SqliteStore | undefined;
beforeEach(() => {
  tmp = tempStore();
});
afterEach(() => {
  store?.close();
  store = undefined;
  tmp.cleanup();
});

describe('migration 3', () => {
  it('adds the audit table to a version 2 database, keeping its rows', () => {
    const v2 = new DatabaseSync(tmp.path);
    assert.deepEqual(migrate(v2, MIGRATIONS.filter((m) => m.version <= 2)), [1, 2]);
    v2.prepare(`INSERT INTO dedup (sink, idempotency_key, seen_at) VALUES ('s', 'k', ?)`).run(T0);
    v2.close();

    store = tmp.open();
    assert.ok(store.schemaVersion() >= 3);
    assert.equal(store.dedup.has('s', 'k'), true);
    assert.deepEqual(store.audit.list(), []);
    const id = store.audit.append({ at: T0, platform: 'console', platformUserId: 'alice', channel: 'console', identity: { user: 'alice', groups: [] }, text: 'whoami', command: 'whoami', verb: 'whoami', writes: false, decision: 'allowed', outcome: 'ok', durationMs: 3 });
    assert.equal(store.audit.list()[0].id, id);
    const indexes = (store.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
    assert.deepEqual(indexes, ['audit_at', 'audit_kube_user', 'audit_platform_user']);
  });

  it('is recorded once: a database at version 3 is not migrated again', () => {
    store = tmp.open();
    store.close();
    const db = new DatabaseSync(tmp.path);
    try {
      assert.deepEqual(migrate(db), []);
    } finally {
      db.close();
    }
  });
});
