// What only the PostgreSQL store has: replicas sharing one database. Claims
// race (exactly one wins, and a row another replica is claiming is skipped,
// not waited for), replicas starting together migrate once, the schema is
// SQLite's table for table and column for column, nothing is recovered on
// open unless asked, and the url's password never shows.

import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { LATEST_VERSION, migrate } from '../../src/store/migrations.ts';
import { connectPostgres } from '../../src/store/postgres/connection.ts';
import { migratePostgres, PG_MIGRATIONS } from '../../src/store/postgres/migrations.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { T0 } from '../pipeline/helpers.ts';
import { backends, testServer } from './backends.ts';
import { freshDatabase } from '../helpers/postgres.ts';

const pg = backends.find((b) => b.name === 'postgres')!;

const delivery = (i: number) => ({ sink: 's', target: 't', orderingKey: `q${i % 7}`, idempotencyKey: `k${i}`, payload: new Uint8Array([i & 255]), members: 1, createdAt: T0 });

/** Runs one worker of postgres-worker.ts per job, all starting at once; each one's answer. */
async function race<R>(jobs: Record<string, unknown>[]): Promise<R[]> {
  const barrier = new SharedArrayBuffer(4);
  const workers = jobs.map((job) => new Worker(new URL('./postgres-worker.ts', import.meta.url), { workerData: { ...job, barrier, threads: jobs.length } }));
  return Promise.all(
    workers.map(
      (w) =>
        new Promise<R>((resolve, reject) => {
          w.once('message', (m: R) => resolve(m));
          w.once('error', reject);
          w.once('exit', (code) => reject(new Error(`worker exited (${code}) without answering`)));
        }),
    ),
  );
}

describe('postgres store', () => {
  it('two replicas claiming the same pending rows at once: each row is won exactly once', async () => {
    const db = await pg.fresh();
    const s = db.open();
    const ids = s.transaction(() => Array.from({ length: 300 }, (_, i) => s.outbox.insert(delivery(i))));
    s.close();
    // one walks the rows forwards, the other backwards: they meet in the middle, claiming the same rows at the same time
    const [a, b] = await race<number[]>([
      { url: db.location, task: 'claim', ids },
      { url: db.location, task: 'claim', ids: [...ids].reverse() },
    ]);
    const won = [...a, ...b].sort((x, y) => x - y);
    // (how the rows split depends on the scheduler: on a loaded machine one replica may get through most before the other starts)
    assert.deepEqual(won, ids, 'every row claimed, none twice');
    const check = db.open();
    assert.deepEqual(check.outbox.counts().inflight, 300);
    assert.ok(check.outbox.pendingAfter(0).length === 0);
    check.close();
  });

  it('a row another replica is claiming (its transaction open) is skipped at once, and claimable if that claim rolls back', async () => {
    const db = await pg.fresh();
    const a = db.open();
    const b = db.open();
    const id = a.outbox.insert(delivery(1));
    assert.throws(() =>
      a.transaction(() => {
        assert.equal(a.outbox.markInflight(id, T0 + 1), true);
        // b would wait for a's row lock without SKIP LOCKED: this thread would then wait for itself
        assert.equal(b.outbox.markInflight(id, T0 + 2), false, 'skipped, not waited for');
        throw new Error('the claim is rolled back');
      }),
    );
    assert.equal(b.outbox.markInflight(id, T0 + 3), true);
    assert.equal(a.outbox.markInflight(id, T0 + 4), false);
    assert.equal(a.outbox.get(id)!.attempts, 1);
  });

  it('replicas starting together on an empty database migrate it once', async () => {
    const url = await freshDatabase((await testServer()).url);
    const applied = await race<number[]>(Array.from({ length: 3 }, () => ({ url, task: 'migrate', ids: [] })));
    assert.deepEqual(
      applied.flat().sort((x, y) => x - y),
      PG_MIGRATIONS.map((m) => m.version).sort((x, y) => x - y),
      'each version applied by exactly one replica',
    );
    const conn = connectPostgres({ url });
    assert.deepEqual(migratePostgres(conn), []);
    conn.close();
  });

  it("has SQLite's tables and columns, every text column in byte order", async () => {
    const store = (await pg.fresh()).open();
    const sqlite = new DatabaseSync(':memory:');
    migrate(sqlite);
    const lite = new Map<string, string[]>();
    for (const { name } of sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]) {
      lite.set(name, (sqlite.prepare(`PRAGMA table_info(${name})`).all() as { name: string }[]).map((c) => c.name).sort());
    }
    sqlite.close();
    const pgTables = new Map<string, string[]>();
    for (const r of pg.sql(store, "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, column_name")) {
      // row_seq: PostgreSQL's stand-in for SQLite's implicit rowid
      if (r.column_name === 'row_seq') continue;
      pgTables.set(String(r.table_name), [...(pgTables.get(String(r.table_name)) ?? []), String(r.column_name)]);
    }
    assert.deepEqual(new Map([...pgTables].sort()), new Map([...lite].sort()));
    assert.deepEqual(pg.sql(store, "SELECT DISTINCT collation_name FROM information_schema.columns WHERE table_schema = 'public' AND data_type = 'text' AND table_name <> 'migrations'"), [{ collation_name: 'C' }]);
    // sorted as SQLite sorts: by bytes ('B' < 'a'), not by a locale's rules
    store.storms.put({ sink: 's', target: 'a', state: '{}', active: true, updatedAt: T0 });
    store.storms.put({ sink: 's', target: 'B', state: '{}', active: true, updatedAt: T0 });
    assert.deepEqual(store.storms.active().map((r) => r.target), ['B', 'a']);
    store.close();
  });

  it('refuses a database from a newer kubeherald, and a failed migration leaves nothing behind', async () => {
    const db = await pg.fresh();
    const s = db.open();
    const broken = [...PG_MIGRATIONS, { version: LATEST_VERSION + 1, name: 'broken', sql: 'CREATE TABLE half (x INTEGER); CREATE TABLE outbox (y INTEGER)' }];
    assert.throws(() => migratePostgres((s as PostgresStore).conn, broken), /migration \d+ \(broken\) failed: relation "outbox" already exists/);
    assert.deepEqual(pg.sql(s, "SELECT to_regclass('half') AS t"), [{ t: null }], 'DDL rolled back with the migration');
    assert.equal(s.schemaVersion(), LATEST_VERSION);
    pg.sql(s, 'INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)', [LATEST_VERSION + 5, 'future', T0]);
    s.close();
    assert.throws(() => db.open(), /schema version \d+, newer than this kubeherald knows/);
  });

  it('does not recover inflight rows on open unless asked: another replica may be sending them', async () => {
    const db = await pg.fresh();
    let s = db.open();
    const id = s.outbox.insert(delivery(1));
    s.outbox.markInflight(id, T0);
    s.close();
    s = new PostgresStore({ url: db.location });
    assert.equal(s.outbox.get(id)!.state, 'inflight');
    s.close();
  });

  it("a failed statement ends the transaction it was in; the store goes on; the url's password never shows", async () => {
    const db = await pg.fresh();
    const u = new URL(db.location);
    u.password = 'hunter2-secret';
    // trust authentication: the password is sent but not needed
    const s = new PostgresStore({ url: u.toString() });
    assert.equal(s.path, db.location.replace('kubeherald@', 'kubeherald:***@'));
    s.alertButtons.put({ token: 't1', actionId: 'kh:logs', value: 'v', channel: 'c', expiresAt: T0 });
    assert.throws(
      () =>
        s.transaction(() => {
          s.dedup.claim('s', 'k', T0);
          s.alertButtons.put({ token: 't1', actionId: 'kh:logs', value: 'v', channel: 'c', expiresAt: T0 });
        }),
      (err: Error) => /duplicate key/.test(err.message) && !err.message.includes('hunter2'),
    );
    assert.equal(s.dedup.has('s', 'k'), false, 'rolled back');
    assert.equal(s.transaction(() => s.dedup.claim('s', 'k', T0)), true);
    s.close();
  });
});
