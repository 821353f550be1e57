// The store's contract, on both backends (test/store/backends.ts): the
// same calls give the same answers on SQLite and on a real PostgreSQL
// server — transactions and savepoints, the outbox's claims and dead
// letters, dedup, the tracker per cluster, heartbeats, leader terms, flood
// windows, reminders, groups, thread refs, storms and retention.
// What only one backend has (SQLite's WAL and file, PostgreSQL's concurrent
// claims and migration lock) is tested in sqlite.test.ts and postgres.test.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrackerState } from '../../src/detect/tracker.ts';
import { silentLogger } from '../../src/model/logger.ts';
import { LATEST_VERSION } from '../../src/store/migrations.ts';
import { Pruner } from '../../src/store/retention.ts';
import { jsonThreadStore } from '../../src/store/state.ts';
import { ManualClock, T0 } from '../pipeline/helpers.ts';
import { delivery, incident, RETAIN } from './fixtures.ts';
import { backends } from './backends.ts';

for (const b of backends) {
  describe(b.name, () => {
    describe('opening', () => {
      it('is at the latest schema version, every migration recorded', async () => {
        const store = (await b.fresh()).open();
        assert.equal(store.schemaVersion(), LATEST_VERSION);
        assert.ok(store.sizeBytes() > 0);
        store.close();
      });
    });

    describe('transactions', () => {
      it('a throw inside rolls back the outbox, the tracker state and dedup together', async () => {
        const s = (await b.fresh()).open();
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
        assert.deepEqual(s.tracker('c').load().incidents.map((i) => i.key).sort(), ['a', 'b']);
        assert.deepEqual(s.tracker('c').load().edges, [['e1', 'u1']]);
        s.close();
      });

      it('a nested transaction that throws rolls back only itself; rollback hooks run', async () => {
        const s = (await b.fresh()).open();
        let hooks = 0;
        s.transaction(() => {
          s.outbox.insert(delivery({ idempotencyKey: 'outer' }));
          assert.throws(() =>
            s.transaction(() => {
              s.onRollback(() => hooks++);
              s.outbox.insert(delivery({ idempotencyKey: 'inner' }));
              throw new Error('inner failed');
            }),
          );
        });
        assert.equal(hooks, 1);
        assert.deepEqual(
          s.outbox.pendingAfter(0).map((r) => s.outbox.get(r.id)!.idempotencyKey),
          ['outer'],
        );
        s.close();
      });

      it('refuses a function that returns a promise, and rolls back what it did', async () => {
        const s = (await b.fresh()).open();
        assert.throws(
          () =>
            s.transaction(() => {
              s.outbox.insert(delivery());
              return Promise.resolve();
            }),
          /must not span an await/,
        );
        assert.equal(s.outbox.counts().pending, 0);
        s.close();
      });

      it('a commit is seen by another connection at once; what is uncommitted is not', async () => {
        const db = await b.fresh();
        const s = db.open();
        const other = db.open();
        s.transaction(() => {
          s.outbox.insert(delivery({ idempotencyKey: 'seen' }));
          if (b.name === 'postgres') assert.equal(other.outbox.counts().pending, 0, 'not yet committed');
        });
        assert.equal(other.outbox.counts().pending, 1);
        other.close();
        s.close();
      });
    });

    describe('outbox', () => {
      it('inserts with growing ids and reads rows back whole', async () => {
        const s = (await b.fresh()).open();
        const a = s.outbox.insert(delivery({ groupKey: 'g', groupUpdate: 2, members: 3, nextAttemptAt: T0 + 5, payload: new Uint8Array([0, 255, 7]) }));
        const c = s.outbox.insert(delivery());
        assert.ok(c > a);
        assert.equal(s.outbox.maxId(), c);
        const row = s.outbox.get(a)!;
        assert.deepEqual(
          { ...row, payload: [...row.payload] },
          {
            id: a,
            sink: 's',
            target: 't',
            orderingKey: 't',
            state: 'pending',
            attempts: 0,
            nextAttemptAt: T0 + 5,
            createdAt: T0,
            members: 3,
            idempotencyKey: row.idempotencyKey,
            payload: [0, 255, 7],
            groupKey: 'g',
            groupUpdate: 2,
            updatedAt: T0,
            lastError: null,
            lastResponse: null,
            deadReason: null,
          },
        );
        assert.equal(s.outbox.get(c)!.groupKey, null);
        assert.equal(s.outbox.get(c)!.groupUpdate, null);
        assert.equal(s.outbox.get(9_999), undefined);
        s.close();
      });

      it('inflight rows return to pending on open only when told to', async () => {
        const db = await b.fresh();
        let s = db.open();
        const id = s.outbox.insert(delivery());
        s.outbox.markInflight(id, T0 + 1);
        s.close();
        s = db.open({ recover: false });
        assert.equal(s.outbox.get(id)!.state, 'inflight');
        s.close();
        s = db.open({ recover: true });
        const row = s.outbox.get(id)!;
        assert.equal(row.state, 'pending');
        assert.equal(row.attempts, 1, 'the attempt that was under way still counts');
        s.close();
      });

      it('claims only a pending row: a second claim, or one of a delivered or dead row, claims nothing and says so', async () => {
        const s = (await b.fresh()).open();
        const id = s.outbox.insert(delivery());
        assert.equal(s.outbox.markInflight(id, T0 + 1), true);
        assert.equal(s.outbox.markInflight(id, T0 + 2), false, 'already inflight under a claim');
        let row = s.outbox.get(id)!;
        assert.equal(row.attempts, 1, 'the refused claim counted no attempt');
        assert.equal(row.updatedAt, T0 + 1);
        s.outbox.markDelivered(id, T0 + 3, 'ok');
        assert.equal(s.outbox.markInflight(id, T0 + 4), false);
        assert.equal(s.outbox.get(id)!.state, 'delivered');
        assert.equal(s.outbox.get(id)!.lastResponse, 'ok');
        const dead = s.outbox.insert(delivery());
        s.outbox.markDead(dead, T0 + 5, 'gone', null, null);
        assert.equal(s.outbox.markInflight(dead, T0 + 6), false);
        assert.equal(s.outbox.get(dead)!.state, 'dead');
        assert.equal(s.outbox.markInflight(9_999, T0 + 7), false, 'no such row');
        // a retry puts it back to pending: claimable again
        const again = s.outbox.insert(delivery());
        s.outbox.markInflight(again, T0 + 8);
        s.outbox.markRetry(again, T0 + 9, T0 + 10, 'timeout', 'HTTP 503');
        row = s.outbox.get(again)!;
        assert.deepEqual([row.state, row.nextAttemptAt, row.lastError, row.lastResponse], ['pending', T0 + 10, 'timeout', 'HTTP 503']);
        assert.equal(s.outbox.markInflight(again, T0 + 11), true);
        assert.equal(s.outbox.get(again)!.attempts, 2);
        s.close();
      });

      it('a claim under a term no longer current is refused and changes nothing; the current term claims', async () => {
        const s = (await b.fresh()).open();
        const old = s.leadership.begin('kubeherald', 'pod-a', 0, 1000);
        const id = s.outbox.insert(delivery());
        const current = s.leadership.begin('kubeherald', 'pod-b', 1, 2000);
        assert.equal(s.outbox.markInflight(id, 2100, old), false);
        assert.equal(s.outbox.get(id)?.state, 'pending');
        assert.equal(s.outbox.get(id)?.attempts, 0);
        assert.equal(s.outbox.markInflight(id, 2100, { ...current, epoch: current.epoch - 1 }), false, "the same holder's earlier term is as stale");
        assert.equal(s.outbox.markInflight(id, 2200, current), true);
        assert.equal(s.outbox.get(id)?.state, 'inflight');
        assert.equal(s.outbox.markInflight(id, 2300, current), false, 'claimed once');
        s.close();
      });

      it('pending rows after an id, a queue\'s next row, and queue heads', async () => {
        const s = (await b.fresh()).open();
        const a1 = s.outbox.insert(delivery({ orderingKey: 'a' }));
        const b1 = s.outbox.insert(delivery({ orderingKey: 'b' }));
        const a2 = s.outbox.insert(delivery({ orderingKey: 'a' }));
        s.outbox.markDelivered(b1, T0, null);
        const b2 = s.outbox.insert(delivery({ orderingKey: 'b' }));
        assert.deepEqual(
          s.outbox.queueHeads().map((h) => h.id),
          [a1, b2],
        );
        assert.deepEqual(
          s.outbox.pendingAfter(0).map((r) => r.id),
          [a1, a2, b2],
        );
        assert.deepEqual(
          s.outbox.pendingAfter(a1, 1).map((r) => r.id),
          [a2],
        );
        assert.equal(s.outbox.nextInQueue('s', 'a', a1)?.id, a2);
        s.outbox.markInflight(a2, T0);
        assert.equal(s.outbox.nextInQueue('s', 'a', a1), undefined, 'an inflight row is not next');
        assert.deepEqual(s.outbox.counts(), { pending: 2, inflight: 1, delivered: 1, dead: 0, oldestOpenAt: T0 });
        s.close();
      });

      it('dead letters: listed by sink, id and age, replayed at the end of their queue, purged', async () => {
        const s = (await b.fresh()).open();
        const d1 = s.outbox.insert(delivery({ sink: 'slack' }));
        const d2 = s.outbox.insert(delivery({ sink: 'teams' }));
        const d3 = s.outbox.insert(delivery({ sink: 'slack' }));
        s.outbox.markDead(d1, T0 + 1, 'permanent', 'HTTP 400', 'bad');
        s.outbox.markDead(d2, T0 + 2, 'expired', null, null);
        s.outbox.markDead(d3, T0 + 3, 'permanent', null, null);
        assert.deepEqual(s.outbox.listDead().map((r) => r.id), [d1, d2, d3]);
        assert.deepEqual(s.outbox.listDead({ sink: 'slack' }).map((r) => r.id), [d1, d3]);
        assert.deepEqual(s.outbox.listDead({ ids: [d2, d3] }).map((r) => r.id), [d2, d3]);
        assert.deepEqual(s.outbox.listDead({ ids: [] }), [], 'an empty id list selects nothing');
        assert.deepEqual(s.outbox.listDead({ deadBefore: T0 + 2 }).map((r) => r.id), [d1]);
        assert.deepEqual(s.outbox.listDead({ limit: 1 }).map((r) => r.id), [d1]);
        const dead1 = s.outbox.get(d1)!;
        assert.deepEqual([dead1.deadReason, dead1.lastError, dead1.lastResponse], ['permanent', 'HTTP 400', 'bad']);
        const replayed = s.transaction(() => s.outbox.replayDead({ ids: [d1] }, T0 + 10));
        assert.equal(replayed.length, 1);
        assert.ok(replayed[0] > d3);
        const row = s.outbox.get(replayed[0])!;
        assert.deepEqual([row.state, row.attempts, row.createdAt, row.idempotencyKey], ['pending', 0, T0 + 10, dead1.idempotencyKey]);
        assert.equal(s.outbox.get(d1), undefined);
        assert.equal(s.outbox.purgeDead({ sink: 'slack' }), 1);
        assert.deepEqual(s.outbox.listDead().map((r) => r.id), [d2]);
        s.close();
      });
    });

    describe('dedup', () => {
      it('claims a (sink, key) pair once, across a reopen', async () => {
        const db = await b.fresh();
        let s = db.open();
        assert.equal(s.dedup.claim('slack', 'k1', T0), true);
        assert.equal(s.dedup.claim('slack', 'k1', T0), false);
        assert.equal(s.dedup.claim('teams', 'k1', T0), true, 'another sink is another pair');
        s.close();
        s = db.open();
        assert.equal(s.dedup.claim('slack', 'k1', T0 + 1000), false);
        assert.equal(s.dedup.has('slack', 'k1'), true);
        assert.equal(s.dedup.has('slack', 'k2'), false);
        assert.equal(s.dedup.deleteBefore(T0 + 1), 2);
        s.close();
      });
    });

    describe('tracker', () => {
      it('round-trips a snapshot across a reopen; changes applied one by one', async () => {
        const db = await b.fresh();
        let s = db.open();
        const state: TrackerState = { version: 1, incidents: [incident('a'), incident('b', { notified: false, dueAt: T0 + 60_000 })], edges: [['e1', 'u1'], ['e2', 'u2']] };
        s.tracker('c').save(state);
        const next: TrackerState = { version: 1, incidents: [incident('b', { notified: true })], edges: [['e2', 'u2'], ['e3', 'u3']] };
        s.tracker('c').save(next);
        s.close();
        s = db.open();
        assert.deepEqual(s.tracker('c').load(), next);
        const t = s.tracker('c');
        s.transaction(() => t.apply({ incidents: [incident('z')], removedIncidents: ['b'], edges: [['e4', 'u4']], removedEdges: ['e2'] }));
        t.putEdge('e5', 'u5');
        t.deleteEdge('e3');
        t.putIncident(incident('y'));
        t.deleteIncident('z');
        assert.deepEqual(t.load(), { version: 1, incidents: [incident('y')], edges: [['e4', 'u4'], ['e5', 'u5']] });
        assert.throws(() => t.save({ version: 2 } as unknown as TrackerState), /version 2/);
        s.close();
      });

      it("keeps two clusters' incidents, edges and heartbeats apart; the first cluster adopts unnamed rows", async () => {
        const s = (await b.fresh()).open();
        s.tracker('a').save({ version: 1, incidents: [incident('node/n1')], edges: [['e', 'ua']] });
        s.tracker('b').save({ version: 1, incidents: [incident('node/n1'), incident('pod/x')], edges: [['e', 'ub']] });
        assert.equal(s.tracker('a'), s.tracker('a'), 'one repository per cluster');
        assert.deepEqual(s.tracker('a').load().edges, [['e', 'ua']]);
        assert.deepEqual(s.tracker('b').load().incidents.map((i) => i.key).sort(), ['node/n1', 'pod/x']);
        // rows from before clusters had names: one the cluster has already is dropped, the rest adopted
        b.sql(s, "INSERT INTO tracker_incidents (cluster, key, body) VALUES ('', 'node/n1', ?)", [JSON.stringify(incident('node/n1', { notified: false }))]);
        b.sql(s, "INSERT INTO tracker_incidents (cluster, key, body) VALUES ('', 'old', ?)", [JSON.stringify(incident('old'))]);
        b.sql(s, "INSERT INTO tracker_edges (cluster, key, object_uid) VALUES ('', 'e-old', 'u-old')");
        b.sql(s, "INSERT INTO heartbeat (cluster, seen_at) VALUES ('', ?)", [T0 + 10]);
        s.heartbeat('a').beat(T0);
        s.heartbeat('a').beat(T0 - 1);
        s.heartbeat('b').beat(T0 + 5);
        s.adoptUnnamedCluster('a');
        const a = s.tracker('a').load();
        assert.deepEqual(a.incidents.map((i) => [i.key, i.notified]).sort(), [['node/n1', true], ['old', true]]);
        assert.deepEqual(a.edges, [['e', 'ua'], ['e-old', 'u-old']]);
        assert.equal(s.heartbeat('a').lastSeen(), T0 + 10, 'the later of the two times');
        assert.equal(s.heartbeat('b').lastSeen(), T0 + 5);
        assert.equal(s.heartbeat('').lastSeen(), undefined);
        assert.deepEqual(s.tracker('').load(), { version: 1, incidents: [], edges: [] });
        s.close();
      });
    });

    describe('heartbeat and leadership', () => {
      it('a new state has no heartbeat; a beat survives a reopen and never moves back', async () => {
        const db = await b.fresh();
        let s = db.open();
        assert.equal(s.heartbeat('c').lastSeen(), undefined);
        s.heartbeat('c').beat(2_000);
        s.heartbeat('c').beat(1_000);
        s.close();
        s = db.open();
        assert.equal(s.heartbeat('c').lastSeen(), 2_000);
        s.close();
      });

      it('each term of a scope gets a higher epoch; the current one is what was begun last', async () => {
        const s = (await b.fresh()).open();
        const a = s.leadership.begin('kubeherald', 'pod-a', 0, 1000);
        const c = s.leadership.begin('kubeherald', 'pod-b', 1, 2000);
        const other = s.leadership.begin('cluster-2', 'pod-a', 0, 2500);
        assert.deepEqual([a.epoch, c.epoch, other.epoch], [1, 2, 1]);
        assert.deepEqual(s.leadership.current('kubeherald'), { scope: 'kubeherald', holder: 'pod-b', epoch: 2, leaseTransitions: 1, since: 2000 });
        assert.equal(s.leadership.current('nowhere'), undefined);
        s.close();
      });
    });

    describe('flood, reminders, groups, threads, storms', () => {
      it('flood windows open, fold, close and expire', async () => {
        const s = (await b.fresh()).open();
        s.flood.open({ sink: 's', floodKey: 'f', firstKey: 'i1', groupKey: 'g', openedAt: T0, windowEndsAt: T0 + 100 });
        s.flood.fold('s', 'f', T0 + 1);
        s.flood.fold('s', 'f', T0 + 2);
        assert.deepEqual(s.flood.get('s', 'f'), { sink: 's', floodKey: 'f', firstKey: 'i1', groupKey: 'g', openedAt: T0, windowEndsAt: T0 + 100, folded: 2 });
        s.flood.open({ sink: 's', floodKey: 'f', firstKey: 'i2', groupKey: null, openedAt: T0 + 5, windowEndsAt: T0 + 50 });
        assert.deepEqual(s.flood.get('s', 'f'), { sink: 's', floodKey: 'f', firstKey: 'i2', groupKey: null, openedAt: T0 + 5, windowEndsAt: T0 + 50, folded: 0 }, 'reopened afresh');
        s.flood.open({ sink: 's', floodKey: 'h', firstKey: 'i3', groupKey: null, openedAt: T0, windowEndsAt: T0 + 500 });
        assert.equal(s.flood.deleteExpired(T0 + 50, T0), 1);
        assert.equal(s.flood.get('s', 'f'), undefined);
        s.flood.close('s', 'h');
        assert.equal(s.flood.get('s', 'h'), undefined);
        s.close();
      });

      it('reminders: put, listed oldest first, sent, earliest per sink, deleted', async () => {
        const s = (await b.fresh()).open();
        s.reminders.put('s', 'b', new Uint8Array([2]), T0 + 1, '{"by":["x"]}');
        s.reminders.put('s', 'a', new Uint8Array([1]), T0 + 1);
        s.reminders.put('t', 'c', new Uint8Array([3]), T0 + 5);
        s.reminders.sent('s', 'b', T0 + 10);
        assert.deepEqual(
          s.reminders.list('s').map((r) => ({ ...r, notification: [...r.notification] })),
          [
            { sink: 's', incidentKey: 'a', notification: [1], lastSentAt: T0 + 1, repeats: 0, grouping: null },
            { sink: 's', incidentKey: 'b', notification: [2], lastSentAt: T0 + 10, repeats: 1, grouping: '{"by":["x"]}' },
          ],
        );
        assert.deepEqual(s.reminders.earliest().sort((x, y) => x.sink.localeCompare(y.sink)), [{ sink: 's', lastSentAt: T0 + 1 }, { sink: 't', lastSentAt: T0 + 5 }]);
        s.reminders.put('s', 'b', new Uint8Array([9]), T0 + 20);
        assert.equal(s.reminders.list('s')[1].repeats, 0, 'put again starts over');
        s.reminders.delete('s', 'a');
        assert.equal(s.reminders.deleteBefore(T0 + 6), 1);
        assert.deepEqual(s.reminders.list('s').map((r) => r.incidentKey), ['b']);
        s.close();
      });

      it('groups: upserted, members kept in place, due in order, expired with their members', async () => {
        const s = (await b.fresh()).open();
        const g = { sink: 's', groupKey: 'g1', target: 't', orderingKey: 'o', openedAt: T0, flushAt: T0 + 10, lastFlushAt: null, expiresAt: null, updates: 0, intervalMs: null };
        s.groups.upsertGroup(g);
        s.groups.upsertGroup({ ...g, groupKey: 'g2', flushAt: T0 + 10, intervalMs: 5000 });
        s.groups.upsertMember('s', 'g1', { memberKey: 'm1', notification: new Uint8Array([1]), resolved: false }, T0);
        s.groups.upsertMember('s', 'g1', { memberKey: 'm2', notification: new Uint8Array([2]), resolved: false }, T0);
        s.groups.upsertMember('s', 'g1', { memberKey: 'm1', notification: new Uint8Array([3]), resolved: true }, T0 + 1);
        assert.deepEqual(
          s.groups.members('s', 'g1').map((m) => [m.memberKey, [...m.notification], m.resolved, m.seq]),
          [['m1', [3], true, 1], ['m2', [2], false, 2]],
        );
        assert.equal(s.groups.groupOfMember('s', 'm2'), 'g1');
        s.groups.renameMember('s', 'g1', 'm2', 'm2~');
        assert.equal(s.groups.groupOfMember('s', 'm2'), undefined);
        s.groups.deleteResolvedMembers('s', 'g1');
        assert.deepEqual(s.groups.members('s', 'g1').map((m) => m.memberKey), ['m2~']);
        assert.deepEqual(s.groups.due(T0 + 10).map((r) => r.groupKey), ['g1', 'g2'], 'due at once: in the order they opened');
        assert.equal(s.groups.get('s', 'g2')?.intervalMs, 5000);
        assert.equal(s.groups.nextFlushAt(), T0 + 10);
        s.groups.upsertGroup({ ...g, flushAt: null, lastFlushAt: T0 + 10, expiresAt: T0 + 20, updates: 1 });
        assert.deepEqual(s.groups.get('s', 'g1'), { ...g, flushAt: null, lastFlushAt: T0 + 10, expiresAt: T0 + 20, updates: 1 });
        assert.equal(s.groups.deleteExpired(T0 + 20), 1);
        assert.equal(s.groups.get('s', 'g1'), undefined);
        assert.deepEqual(s.groups.members('s', 'g1'), []);
        s.groups.deleteGroup('s', 'g2');
        assert.equal(s.groups.nextFlushAt(), undefined);
        s.close();
      });

      it('thread refs per sink, also through the JSON promise API, across a reopen', async () => {
        const db = await b.fresh();
        let s = db.open({ now: () => T0 });
        s.threads.forSink('slack').set('incident-1', '1700000000.000100');
        await jsonThreadStore<{ channel: string; ts: string }>(s.threads.forSink('slack-2')).set('incident-1', { channel: 'C1', ts: '1.2' });
        s.threads.forSink('slack').set('gone', 'x');
        s.threads.forSink('slack').delete('gone');
        s.close();
        s = db.open();
        assert.equal(s.threads.forSink('slack').get('incident-1'), '1700000000.000100');
        assert.equal(s.threads.forSink('slack').get('gone'), undefined);
        assert.equal(s.threads.forSink('other').get('incident-1'), undefined);
        assert.deepEqual(await jsonThreadStore(s.threads.forSink('slack-2')).get('incident-1'), { channel: 'C1', ts: '1.2' });
        s.close();
      });

      it('storms: put, active ones listed in order, quiet ones pruned', async () => {
        const s = (await b.fresh()).open();
        s.storms.put({ sink: 's', target: 'b', state: '{"n":1}', active: true, updatedAt: T0 });
        s.storms.put({ sink: 's', target: 'a', state: '{"n":2}', active: true, updatedAt: T0 });
        s.storms.put({ sink: 's', target: 'c', state: '{}', active: false, updatedAt: T0 });
        assert.deepEqual(s.storms.active().map((r) => r.target), ['a', 'b']);
        s.storms.put({ sink: 's', target: 'b', state: '{"n":3}', active: false, updatedAt: T0 + 5 });
        assert.deepEqual(s.storms.get('s', 'b'), { sink: 's', target: 'b', state: '{"n":3}', active: false, updatedAt: T0 + 5 });
        assert.equal(s.storms.deleteQuietBefore(T0 + 1), 1);
        s.storms.delete('s', 'a');
        assert.deepEqual(s.storms.active(), []);
        assert.equal(s.storms.get('s', 'c'), undefined);
        s.close();
      });
    });

    describe('retention', () => {
      it('prunes delivered rows, old dead letters, old dedup keys, forgotten reminders and stale thread refs; keeps the rest', async () => {
        let now = T0;
        const s = (await b.fresh()).open({ now: () => now });
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
        assert.deepEqual(s.reminders.list('s').map((r) => r.incidentKey), ['recent']);
        assert.equal(s.threads.forSink('s').get('old'), 'x', 'touched 8 days ago, kept for 30');
        assert.equal(s.prune(T0 + 31 * 86_400_000, RETAIN).threads, 1);
        s.close();
      });

      it('keeps dead letters until purged when their retention is 0', async () => {
        const s = (await b.fresh()).open();
        const dead = s.outbox.insert(delivery());
        s.outbox.markDead(dead, T0, 'permanent', 'no', null);
        s.prune(T0 + 365 * 86_400_000, { ...RETAIN, deadMs: 0 });
        assert.equal(s.outbox.get(dead)?.state, 'dead');
        s.close();
      });

      it('the Pruner runs at start and then every interval on its clock', async () => {
        const s = (await b.fresh()).open();
        const clock = new ManualClock(T0);
        const id = s.outbox.insert(delivery());
        s.outbox.markDelivered(id, T0, null);
        const runs: number[] = [];
        const pruner = new Pruner({ store: s, policy: RETAIN, intervalMs: 600_000, clock, log: silentLogger, onPruned: (c) => runs.push(c.delivered) });
        pruner.start();
        assert.deepEqual(runs, [0]);
        clock.advance(3600_000);
        assert.equal(runs.length, 7);
        assert.equal(runs.reduce((x, y) => x + y), 0, 'exactly an hour old: not yet');
        clock.advance(600_000);
        assert.deepEqual(runs.slice(7), [1], 'older than an hour: gone at the next run');
        pruner.stop();
        clock.advance(6_000_000);
        assert.equal(runs.length, 8);
        s.close();
      });
    });
  });
}
