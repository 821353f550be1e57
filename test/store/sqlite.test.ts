// The SQLite store: migrations, transactions, recovery, retention, and the
// small tables, each checked against a real database file.

import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { TrackedIncident, TrackerState } from '../../src/detect/tracker.ts';
import { Severity } from '../../src/model/notification.ts';
import { LATEST_VERSION, migrate, MIGRATIONS } from '../../src/store/migrations.ts';
import { Pruner } from '../../src/store/retention.ts';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.ts';
import { jsonThreadStore } from '../../src/store/state.ts';
import type { NewDelivery, RetentionPolicy } from '../../src/store/types.ts';
import { ManualClock, T0, tempStore, type TempStore } from '../pipeline/helpers.ts';
import { silentLogger } from '../../src/model/logger.ts';

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

function delivery(over: Partial<NewDelivery> = {}): NewDelivery {
  return { sink: 's', target: 't', orderingKey: 't', idempotencyKey: `k${Math.random()}`, payload: new Uint8Array([1, 2, 3]), members: 1, createdAt: T0, ...over };
}

function incident(key: string, extra: Partial<TrackedIncident> = {}): TrackedIncident {
  return {
    key,
    objectUid: `uid-${key}`,
    openedAt: '2025-03-04T12:00:00Z',
    since: '2025-03-04T12:00:00Z',
    dueAt: T0,
    notified: true,
    holding: false,
    observation: { kind: 'level', key, state: 'firing', detector: 'crashLoopBackOff', severity: Severity.CRITICAL, reason: 'CrashLoopBackOff', title: 't', message: 'm' },
    labels: {},
    ...extra,
  };
}

const RETAIN: RetentionPolicy = { deliveredMs: 3600_000, deadMs: 7 * 86_400_000, dedupMs: 7 * 86_400_000, threadsMs: 30 * 86_400_000, auditMs: 90 * 86_400_000, requestsMs: 30 * 86_400_000 };

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

describe('transactions', () => {
  it('a throw inside rolls back the outbox and the tracker state together', () => {
    store = tmp.open();
    const s = store;
    s.transaction(() => {
      s.outbox.insert(delivery({ idempotencyKey: 'kept' }));
      s.tracker('c').save({ version: 1, incidents: [incident('a')], edges: [] });
    });
    assert.throws(
      () =>
        s.transaction(() => {
          s.outbox.insert(delivery({ idempotencyKey: 'lost' }));
          s.tracker('c').save({ version: 1, incidents: [incident('a'), incident('b')], edges: [['e1', 'u1']] });
          s.dedup.claim('s', 'lost', T0);
          throw new Error('boom');
        }),
      /boom/,
    );
    assert.equal(s.outbox.counts().pending, 1);
    assert.deepEqual(
      s.tracker('c').load().incidents.map((i) => i.key),
      ['a'],
    );
    assert.equal(s.dedup.has('s', 'lost'), false);
    // the tracker's cache of what it wrote was dropped with the rollback: saving the same state again writes it
    s.tracker('c').save({ version: 1, incidents: [incident('a'), incident('b')], edges: [['e1', 'u1']] });
    assert.deepEqual(
      s.tracker('c').load().incidents.map((i) => i.key).sort(),
      ['a', 'b'],
    );
    assert.deepEqual(s.tracker('c').load().edges, [['e1', 'u1']]);
  });

  it('a nested transaction that throws rolls back only itself', () => {
    store = tmp.open();
    const s = store;
    s.transaction(() => {
      s.outbox.insert(delivery({ idempotencyKey: 'outer' }));
      assert.throws(() =>
        s.transaction(() => {
          s.outbox.insert(delivery({ idempotencyKey: 'inner' }));
          throw new Error('inner failed');
        }),
      );
    });
    assert.deepEqual(
      s.outbox.pendingAfter(0).map((r) => s.outbox.get(r.id)!.idempotencyKey),
      ['outer'],
    );
  });

  it('refuses a function that returns a promise, and rolls back what it did', () => {
    store = tmp.open();
    const s = store;
    assert.throws(
      () =>
        s.transaction(() => {
          s.outbox.insert(delivery());
          return Promise.resolve();
        }),
      /must not span an await/,
    );
    assert.equal(s.outbox.counts().pending, 0);
  });

  it('a commit is on disk: another connection sees it at once', () => {
    store = tmp.open();
    store.transaction(() => store!.outbox.insert(delivery({ idempotencyKey: 'seen' })));
    const other = openSqliteStore({ path: tmp.path, recover: false });
    try {
      assert.equal(other.outbox.counts().pending, 1);
    } finally {
      other.close();
    }
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

  it('refuses a state version it does not know', () => {
    store = tmp.open();
    assert.throws(() => store!.tracker('c').save({ version: 2 } as unknown as TrackerState), /version 2/);
  });
});

describe('outbox rows', () => {
  it('inflight rows return to pending on open, unless told not to', () => {
    store = tmp.open();
    const id = store.outbox.insert(delivery());
    store.outbox.markInflight(id, T0 + 1);
    store.close();
    store = tmp.open({ recover: false });
    assert.equal(store.outbox.get(id)!.state, 'inflight');
    store.close();
    store = tmp.open();
    const row = store.outbox.get(id)!;
    assert.equal(row.state, 'pending');
    assert.equal(row.attempts, 1, 'the attempt that was under way still counts');
  });

  it('claims only a pending row: a second claim, or one of a delivered or dead row, claims nothing and says so', () => {
    store = tmp.open();
    const id = store.outbox.insert(delivery());
    assert.equal(store.outbox.markInflight(id, T0 + 1), true);
    assert.equal(store.outbox.markInflight(id, T0 + 2), false, 'already inflight under a claim');
    let row = store.outbox.get(id)!;
    assert.equal(row.attempts, 1, 'the refused claim counted no attempt');
    assert.equal(row.updatedAt, T0 + 1);
    store.outbox.markDelivered(id, T0 + 3, null);
    assert.equal(store.outbox.markInflight(id, T0 + 4), false);
    assert.equal(store.outbox.get(id)!.state, 'delivered');
    const dead = store.outbox.insert(delivery());
    store.outbox.markDead(dead, T0 + 5, 'gone', null, null);
    assert.equal(store.outbox.markInflight(dead, T0 + 6), false);
    assert.equal(store.outbox.get(dead)!.state, 'dead');
    assert.equal(store.outbox.markInflight(9_999, T0 + 7), false, 'no such row');
    // a retry puts it back to pending: claimable again
    const again = store.outbox.insert(delivery());
    store.outbox.markInflight(again, T0 + 8);
    store.outbox.markRetry(again, T0 + 9, T0 + 10, 'timeout', null);
    assert.equal(store.outbox.markInflight(again, T0 + 11), true);
    row = store.outbox.get(again)!;
    assert.equal(row.attempts, 2);
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

  it('queue heads are the first open row of each (sink, ordering key)', () => {
    store = tmp.open();
    const a1 = store.outbox.insert(delivery({ orderingKey: 'a' }));
    const b1 = store.outbox.insert(delivery({ orderingKey: 'b' }));
    store.outbox.insert(delivery({ orderingKey: 'a' }));
    store.outbox.markDelivered(b1, T0, null);
    const b2 = store.outbox.insert(delivery({ orderingKey: 'b' }));
    assert.deepEqual(
      store.outbox.queueHeads().map((h) => h.id),
      [a1, b2],
    );
  });
});

describe('dedup', () => {
  it('remembers a (sink, key) pair across a reopen of the file', () => {
    store = tmp.open();
    assert.equal(store.dedup.claim('slack', 'k1', T0), true);
    assert.equal(store.dedup.claim('slack', 'k1', T0), false);
    assert.equal(store.dedup.claim('teams', 'k1', T0), true, 'another sink is another pair');
    store.close();
    store = tmp.open();
    assert.equal(store.dedup.claim('slack', 'k1', T0 + 1000), false);
  });
});

describe('thread refs', () => {
  it('keeps values per sink across a reopen, also through the JSON promise API', async () => {
    store = tmp.open({ now: () => T0 });
    store.threads.forSink('slack').set('incident-1', '1700000000.000100');
    const refs = jsonThreadStore<{ channel: string; ts: string }>(store.threads.forSink('slack-2'));
    await refs.set('incident-1', { channel: 'C1', ts: '1.2' });
    store.close();
    store = tmp.open();
    assert.equal(store.threads.forSink('slack').get('incident-1'), '1700000000.000100');
    assert.equal(store.threads.forSink('other').get('incident-1'), undefined);
    assert.deepEqual(await jsonThreadStore(store.threads.forSink('slack-2')).get('incident-1'), { channel: 'C1', ts: '1.2' });
  });
});

describe('retention', () => {
  it('prunes delivered rows, old dead letters, old dedup keys and stale thread refs; keeps the rest', () => {
    let now = T0;
    store = tmp.open({ now: () => now });
    const s = store;
    const oldDelivered = s.outbox.insert(delivery());
    s.outbox.markDelivered(oldDelivered, T0, null);
    const newDelivered = s.outbox.insert(delivery());
    s.outbox.markDelivered(newDelivered, T0 + 2 * 3600_000, null);
    const pending = s.outbox.insert(delivery());
    const dead = s.outbox.insert(delivery());
    s.outbox.markDead(dead, T0, 'permanent', 'no', null);
    s.dedup.claim('s', 'old', T0);
    s.dedup.claim('s', 'new', T0 + 7 * 86_400_000);
    s.reminders.put('s', 'forgotten', new Uint8Array([1]), T0);
    s.reminders.put('s', 'recent', new Uint8Array([1]), T0 + 7 * 86_400_000);
    s.threads.forSink('s').set('old', 'x');
    now = T0 + 8 * 86_400_000;
    s.threads.forSink('s').set('new', 'y');
    const counts = s.prune(T0 + 8 * 86_400_000, RETAIN);
    assert.deepEqual(counts, { delivered: 2, dead: 1, dedup: 1, flood: 0, groups: 0, reminders: 1, threads: 0, audit: 0, requests: 0, alertButtons: 0 });
    assert.equal(s.outbox.get(pending)?.state, 'pending');
    assert.equal(s.dedup.has('s', 'new'), true);
    assert.deepEqual(
      s.reminders.list('s').map((r) => r.incidentKey),
      ['recent'],
    );
    assert.equal(s.threads.forSink('s').get('old'), 'x', 'touched 8 days ago, kept for 30');
    assert.equal(s.prune(T0 + 31 * 86_400_000, RETAIN).threads, 1);
  });

  it('keeps dead letters until purged when their retention is 0', () => {
    store = tmp.open();
    const dead = store.outbox.insert(delivery());
    store.outbox.markDead(dead, T0, 'permanent', 'no', null);
    store.prune(T0 + 365 * 86_400_000, { ...RETAIN, deadMs: 0 });
    assert.equal(store.outbox.get(dead)?.state, 'dead');
  });

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

  it('the Pruner runs at start and then every interval on its clock', () => {
    store = tmp.open();
    const clock = new ManualClock(T0);
    const id = store.outbox.insert(delivery());
    store.outbox.markDelivered(id, T0, null);
    const runs: number[] = [];
    const pruner = new Pruner({ store, policy: RETAIN, intervalMs: 60_000, clock, log: silentLogger, onPruned: (c) => runs.push(c.delivered) });
    pruner.start();
    assert.deepEqual(runs, [0]);
    clock.advance(3600_000);
    assert.equal(runs.length, 61);
    assert.equal(runs.reduce((a, b) => a + b), 0, 'exactly an hour old: not yet');
    clock.advance(60_000);
    assert.deepEqual(runs.slice(61), [1], 'older than an hour: gone at the next run');
    pruner.stop();
    clock.advance(600_000);
    assert.equal(runs.length, 62);
  });
});

