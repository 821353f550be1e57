// The audit trail's contract on both backends (a real database file, a
// real PostgreSQL server): records round-trip exactly (the impersonated
// identity as JSON included), filters by user and time, the newest `limit`,
// retention, bounded text, and reopening.

import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { AuditEntry } from '../../src/model/audit.ts';
import { MAX_AUDIT_TEXT } from '../../src/store/audit.ts';
import type { RetentionPolicy, Store } from '../../src/store/types.ts';
import { T0 } from '../pipeline/helpers.ts';
import { backends, type TestDatabase } from './backends.ts';

const MIN = 60_000;
const DAY = 86_400_000;
const RETAIN: RetentionPolicy = { deliveredMs: 3600_000, deadMs: 7 * DAY, dedupMs: 7 * DAY, threadsMs: 30 * DAY, auditMs: 90 * DAY, requestsMs: 30 * DAY };

function entry(over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at: T0,
    platform: 'slack',
    platformUserId: 'U01ALICE',
    platformUserName: 'alice',
    channel: 'C0OPS',
    identity: { user: 'alice@corp', groups: ['payments', 'oncall'] },
    text: 'scale deployment web 3 -n payments',
    command: 'scale deployment web 3 -n payments',
    verb: 'scale',
    target: 'deployments/web in payments',
    writes: true,
    decision: 'allowed',
    outcome: 'ok',
    durationMs: 42,
    ...over,
  };
}

for (const b of backends) {
  describe(`audit trail (${b.name})`, () => {
    let db: TestDatabase;
    let store: Store;
    beforeEach(async () => {
      db = await b.fresh();
      store = db.open();
    });

    it('round-trips every field, the identity as JSON; absent fields stay absent', () => {
      const full = entry({ error: 'deployments.apps "web" not found', outcome: 'error', cluster: 'prod-eu' });
      const id = store.audit.append(full);
      const unmapped: AuditEntry = { at: T0 + 1, platform: 'telegram', platformUserId: '4242', channel: '-100123', text: 'pods', command: 'pods', verb: 'pods', writes: false, decision: 'unmapped', outcome: 'denied', durationMs: 1 };
      const id2 = store.audit.append(unmapped);
      assert.ok(id2 > id);
      assert.deepEqual(store.audit.list(), [{ ...full, id }, { ...unmapped, id: id2 }]);
    });

    it('newest last; --user matches the platform id, the display name or the Kubernetes user; --since is inclusive', () => {
      const s = store;
      s.audit.append(entry({ at: T0 + 2 * MIN, text: 'third' }));
      s.audit.append(entry({ at: T0, text: 'first' }));
      s.audit.append(entry({ at: T0 + MIN, platformUserId: 'U02BOB', platformUserName: 'bob', identity: { user: 'bob@corp', groups: [] }, text: 'second' }));
      s.audit.append(entry({ at: T0 + 3 * MIN, platform: 'console', platformUserId: 'mallory', platformUserName: undefined, identity: undefined, decision: 'unmapped', outcome: 'denied', text: 'fourth' }));
      const texts = (f: Parameters<typeof s.audit.list>[0]) => s.audit.list(f).map((e) => e.text);
      assert.deepEqual(texts({}), ['first', 'second', 'third', 'fourth']);
      assert.deepEqual(texts({ user: 'U01ALICE' }), ['first', 'third']);
      assert.deepEqual(texts({ user: 'alice' }), ['first', 'third']);
      assert.deepEqual(texts({ user: 'bob@corp' }), ['second']);
      assert.deepEqual(texts({ user: 'mallory' }), ['fourth']);
      assert.deepEqual(texts({ user: 'ALICE' }), [], 'exact, as the ids are');
      assert.deepEqual(texts({ user: "' OR 1=1 --" }), [], 'a value, never SQL');
      assert.deepEqual(texts({ since: T0 + MIN }), ['second', 'third', 'fourth']);
      assert.deepEqual(texts({ since: T0 + MIN, user: 'alice' }), ['third']);
    });

    it('limit keeps the newest, still newest last', () => {
      for (let i = 0; i < 10; i++) store.audit.append(entry({ at: T0 + i * MIN, text: `c${i}` }));
      assert.deepEqual(
        store.audit.list({ limit: 3 }).map((e) => e.text),
        ['c7', 'c8', 'c9'],
      );
      assert.deepEqual(store.audit.list({ limit: 0 }), []);
      assert.equal(store.audit.list({ limit: 100 }).length, 10);
    });

    it('keeps free text bounded whatever the caller hands in', () => {
      store.audit.append(entry({ text: 'x'.repeat(50_000), error: 'e'.repeat(50_000) }));
      const [e] = store.audit.list();
      assert.equal(e.text.length, MAX_AUDIT_TEXT);
      assert.ok(e.text.endsWith('…'));
      assert.ok(e.error!.length <= 4000);
    });

    it('retention: prune deletes what is older than auditMs, and nothing when it is 0', () => {
      store.audit.append(entry({ at: T0, text: 'old' }));
      store.audit.append(entry({ at: T0 + 80 * DAY, text: 'recent' }));
      assert.equal(store.prune(T0 + 95 * DAY, { ...RETAIN, auditMs: 0 }).audit, 0);
      assert.equal(store.audit.list().length, 2);
      assert.equal(store.prune(T0 + 95 * DAY, RETAIN).audit, 1);
      assert.deepEqual(
        store.audit.list().map((e) => e.text),
        ['recent'],
      );
      assert.equal(store.audit.deleteBefore(T0 + 81 * DAY), 1);
    });

    it('survives closing and reopening, and a reader that opened read-only sees what the writer appended', () => {
      const id = store.audit.append(entry());
      store.close();
      store = db.open();
      assert.deepEqual(store.audit.list(), [{ ...entry(), id }]);
      const reader = db.open();
      try {
        store.audit.append(entry({ text: 'later' }));
        assert.deepEqual(
          reader.audit.list().map((e) => e.text),
          [entry().text, 'later'],
        );
      } finally {
        reader.close();
      }
    });

    it('an append inside a transaction that rolls back leaves no record', () => {
      const s = store;
      assert.throws(() =>
        s.transaction(() => {
          s.audit.append(entry());
          throw new Error('boom');
        }),
      );
      assert.deepEqual(s.audit.list(), []);
    });
  });
}
