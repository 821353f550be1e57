// The silences repository's contract on both backends: add (audited, a
// duplicate id refused), what is in force and when that next changes,
// expiry by hand once and on time once, and a version that changes whenever
// any process adds or expires one — also when two processes (two replicas on
// one PostgreSQL database) expire the same silences at once.

import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { Store } from '../../src/store/types.ts';
import { silence, T0 } from '../pipeline/helpers.ts';
import { backends, type TestDatabase } from './backends.ts';
import { race } from './race.ts';

const MIN = 60_000;

for (const b of backends) {
  describe(`silence repository (${b.name})`, () => {
    let db: TestDatabase;
    let store: Store;
    beforeEach(async () => {
      db = await b.fresh();
      store = db.open();
    });

    it('adds, lists, expires once, and audits both', () => {
      const s = store.silences;
      s.add(silence());
      s.add(silence({ id: 's-2', startsAt: T0 + 10 * MIN, createdAt: T0 + 1 }));
      assert.throws(() => s.add(silence()), /UNIQUE|constraint/);
      assert.deepEqual(s.get('s-1'), silence());
      assert.deepEqual(
        s.active(T0).map((x) => x.id),
        ['s-1'],
      );
      assert.deepEqual(
        s.list({ now: T0 }).map((x) => x.id),
        ['s-1', 's-2'],
      );
      assert.equal(s.nextChangeAt(T0), T0 + 10 * MIN);
      const v = s.version();
      assert.equal(s.expire('s-1', T0 + MIN, 'bob')?.expiredBy, 'bob');
      assert.notEqual(s.version(), v);
      assert.equal(s.expire('s-1', T0 + MIN, 'bob'), undefined, 'already expired');
      assert.equal(s.expire('nope', T0 + MIN, 'bob'), undefined);
      assert.deepEqual(
        s.list({ now: T0 + MIN }).map((x) => x.id),
        ['s-2'],
      );
      assert.deepEqual(
        s.list({ all: true }).map((x) => x.id),
        ['s-1', 's-2'],
      );
      assert.deepEqual(
        s.expireDue(T0 + 30 * MIN).map((x) => [x.id, x.expiredBy]),
        [['s-2', 'expiry']],
      );
      assert.deepEqual(s.expireDue(T0 + 30 * MIN), [], 'expired once');
      assert.equal(s.nextChangeAt(T0 + 30 * MIN), undefined);
      assert.deepEqual(
        store.audit.list().map((e) => [e.platformUserId, e.command]),
        [
          ['alice', 'silence add s-1'],
          ['alice', 'silence add s-2'],
          ['bob', 'silence expire s-1'],
        ],
      );
    });

    it('round-trips time intervals and forced; a failed add leaves neither the silence nor its audit record', () => {
      const full = silence({ activeTimeIntervals: ['nights', 'weekends'], forced: true, matchers: { namespace: 'shop', labels: { app: 'web' } } });
      store.silences.add(full);
      assert.deepEqual(store.silences.get('s-1'), full);
      assert.throws(() => store.silences.add(silence({ comment: 'again' })));
      assert.equal(store.audit.list().length, 1);
      assert.deepEqual(store.silences.list({ all: true }), [full]);
    });

    it('expireDue returns what ended by end time, then id', () => {
      store.silences.add(silence({ id: 'b', endsAt: T0 + 2 * MIN }));
      store.silences.add(silence({ id: 'a', endsAt: T0 + 2 * MIN }));
      store.silences.add(silence({ id: 'c', endsAt: T0 + MIN }));
      store.silences.add(silence({ id: 'later', endsAt: T0 + 60 * MIN }));
      assert.deepEqual(
        store.silences.expireDue(T0 + 2 * MIN).map((x) => [x.id, x.expiredAt]),
        [
          ['c', T0 + MIN],
          ['a', T0 + 2 * MIN],
          ['b', T0 + 2 * MIN],
        ],
      );
    });

    it('the version changes when another process adds or expires a silence, and only then', () => {
      const other = db.open();
      const v0 = store.silences.version();
      assert.equal(store.silences.version(), v0, 'stable while nothing changes');
      other.silences.add(silence());
      const v1 = store.silences.version();
      assert.notEqual(v1, v0);
      assert.deepEqual(
        store.silences.active(T0).map((x) => x.id),
        ['s-1'],
      );
      other.silences.expire('s-1', T0 + MIN, 'bob');
      const v2 = store.silences.version();
      assert.notEqual(v2, v1);
      other.silences.add(silence({ id: 's-2', endsAt: T0 + 2 * MIN }));
      assert.notEqual(store.silences.version(), v2);
      const v3 = store.silences.version();
      other.silences.expireDue(T0 + 2 * MIN);
      assert.notEqual(store.silences.version(), v3, 'expired on time by the other process');
      other.close();
    });

    it('two processes expiring the same due silences at once: each silence is expired by one of them', async () => {
      const ids: string[] = [];
      store.transaction(() => {
        for (let i = 0; i < 200; i++) {
          const s = silence({ id: `s-${i}`, endsAt: T0 + i });
          store.silences.add(s);
          ids.push(s.id);
        }
      });
      const [x, y] = await race(b, db, 'expire-silences');
      assert.equal(x.length + y.length, ids.length, 'none released twice');
      assert.deepEqual([...x, ...y].sort(), [...ids].sort());
      assert.deepEqual(store.silences.list({ now: T0 }), []);
    });
  });
}
