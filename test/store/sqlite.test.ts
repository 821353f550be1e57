// What only the SQLite store has: the file (mode, WAL, synchronous), its
// migrations, the statements' plans, recovery on open by default, and the
// file shrinking after a prune. The contract both backends meet is
// contract.test.ts.

import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { TrackerState } from '../../src/detect/tracker.ts';
import { LATEST_VERSION, migrate, MIGRATIONS } from '../../src/store/migrations.ts';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.ts';
import { T0, tempStore, type TempStore } from '../pipeline/helpers.ts';
import { delivery, incident, RETAIN } from './fixtures.ts';

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

describe('opening and migrations', () => {
  it('creates the file (mode 0600) in WAL mode with synchronous FULL, at the latest schema version', () => {
    store = tmp.open();
    assert.equal(statSync(tmp.path).mode & 0o777, 0o600);
    assert.equal((store.db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
    assert.equal((store.db.prepare('PRAGMA synchronous').get() as { synchronous: number }).synchronous, 2); // FULL
    assert.equal(store.schemaVersion(), LATEST_VERSION);
  });

  it('applies each migration once: reopening and migrating again changes nothing', () => {
    store = tmp.open();
    store.outbox.insert(delivery());
    store.close();
    store = tmp.open();
    assert.deepEqual(migrate(store.db), []);
    const rows = store.db.prepare('SELECT version FROM migrations ORDER BY version').all() as { version: number }[];
    assert.deepEqual(
      rows.map((r) => r.version),
      MIGRATIONS.map((m) => m.version),
    );
    assert.equal(store.outbox.counts().pending, 1, 'data survives the reopen');
  });

  it('runs a later migration on an existing database, and rolls back one that fails', () => {
    store = tmp.open();
    const extra = [...MIGRATIONS, { version: LATEST_VERSION + 1, name: 'extra', sql: 'CREATE TABLE extra (x INTEGER)' }];
    assert.deepEqual(migrate(store.db, extra), [LATEST_VERSION + 1]);
    assert.deepEqual(migrate(store.db, extra), []);
    const broken = [...extra, { version: LATEST_VERSION + 2, name: 'broken', sql: 'CREATE TABLE half (x INTEGER); CREATE TABLE extra (y INTEGER)' }];
    assert.throws(() => migrate(store!.db, broken), /migration .* \(broken\) failed/);
    assert.equal(store.db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get(), undefined, 'the failed migration left nothing behind');
    assert.equal(store.schemaVersion(), LATEST_VERSION + 1);
  });

  it('refuses a database from a newer kubeherald', () => {
    store = tmp.open();
    store.db.prepare('INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)').run(LATEST_VERSION + 5, 'future', T0);
    store.close();
    store = undefined;
    assert.throws(() => tmp.open(), /schema version \d+, newer than this kubeherald knows/);
  });

  it('with mustExist, refuses to create a missing file', () => {
    assert.throws(() => openSqliteStore({ path: `${tmp.dir}/nope/state.db`, mustExist: true }), /no state database at/);
  });
});

describe('tracker state', () => {
  it('round-trips a snapshot, writing only what changed', () => {
    store = tmp.open();
    const state: TrackerState = {
      version: 1,
      incidents: [incident('a'), incident('b', { notified: false, dueAt: T0 + 60_000 })],
      edges: [
        ['e1', 'u1'],
        ['e2', 'u2'],
      ],
    };
    store.tracker('c').save(state);
    let writes = 0;
    const changes = (): number => (store!.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    const before = changes();
    store.tracker('c').save(state);
    writes = changes() - before;
    assert.equal(writes, 0, 'saving the same state writes nothing');
    const next: TrackerState = { version: 1, incidents: [incident('b', { notified: true })], edges: [['e2', 'u2'], ['e3', 'u3']] };
    const before2 = changes();
    store.tracker('c').save(next);
    assert.equal(changes() - before2, 4, 'one incident updated, one deleted, one edge added, one deleted');
    store.close();
    store = tmp.open();
    assert.deepEqual(store.tracker('c').load(), next);
  });

});

describe('outbox rows', () => {
  it('inflight rows return to pending on open by default: the delivering process owns the file (recover: false opts out)', () => {
    store = tmp.open();
    const id = store.outbox.insert(delivery());
    store.outbox.markInflight(id, T0 + 1);
    store.close();
    store = tmp.open({ recover: false });
    assert.equal(store.outbox.get(id)!.state, 'inflight');
    store.close();
    store = tmp.open();
    assert.equal(store.outbox.get(id)!.state, 'pending');
  });

  it('finds the next row of a queue through the partial index', () => {
    store = tmp.open();
    const plan = store.db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT id FROM outbox WHERE state IN ('pending', 'inflight') AND sink = ? AND ordering_key = ? AND id > ? AND state = 'pending' ORDER BY id LIMIT 1",
      )
      .all('s', 't', 0) as { detail: string }[];
    assert.match(plan.map((p) => p.detail).join('\n'), /USING INDEX outbox_queue/);
  });
});

describe('retention', () => {
  it('gives the space of pruned rows back: the file shrinks after a burst', () => {
    store = tmp.open();
    const s = store;
    const payload = new Uint8Array(2000).fill(7);
    s.transaction(() => {
      for (let i = 0; i < 3000; i++) s.outbox.markDelivered(s.outbox.insert(delivery({ payload })), T0, null);
    });
    s.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    const big = s.sizeBytes();
    assert.ok(big > 3000 * 2000, `burst size ${big}`);
    s.prune(T0 + 2 * 3600_000, RETAIN);
    const small = s.sizeBytes();
    assert.ok(small < big / 10, `after pruning ${small} bytes, before ${big}`);
  });
});
