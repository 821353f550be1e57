// The contract of RequestRepo on both backends: chat write requests survive
// a reopen, every state change is a compare-and-set (exactly one of two
// callers wins, also across two connections racing in two threads: two
// processes on one SQLite file, two replicas on one PostgreSQL database), one
// decision per approver, expiry, and the requests a crash left executing.

import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { ActionRequest, Decision } from '../../src/model/approval.ts';
import type { Store } from '../../src/store/types.ts';
import { T0 } from '../pipeline/helpers.ts';
import { backends, type TestDatabase } from './backends.ts';
import { race } from './race.ts';

let n = 0;
function request(over: Partial<ActionRequest> = {}): ActionRequest {
  n++;
  return {
    id: `req${n}`,
    createdAt: T0 + n,
    updatedAt: T0 + n,
    expiresAt: T0 + 600_000,
    platform: 'slack',
    requester: { platform: 'slack', id: 'U_ALICE', name: 'alice' },
    identity: { user: 'alice@example.com', groups: ['oncall'] },
    channel: 'C1',
    thread: '123.456',
    command: 'scale deployment web 0 -n demo',
    parsed: { verb: 'scale', kind: 'deployment', name: 'web', replicas: 0, namespace: 'demo' },
    namespace: 'demo',
    target: { kind: 'deployment', namespace: 'demo', name: 'web', resourceVersion: '42', generation: 3 },
    previewDigest: 'a'.repeat(64),
    preview: 'deployment demo/web: replicas 3 → 0',
    state: 'awaiting-approval',
    policy: { name: 'default', approvals: 1, approvers: {}, denyRejects: true, requireReason: false, expirySeconds: 600, why: 'scaling to 0' },
    decisions: [],
    ...over,
  };
}

const approve = (id: string, at = T0 + 1000, kube = id): Decision => ({ by: { platform: 'slack', id, name: id }, identity: { user: kube, groups: ['sre'] }, decision: 'approve', at, reason: 'looks right' });

for (const b of backends) {
  describe(`RequestRepo (${b.name})`, () => {
    let db: TestDatabase;
    let store: Store;
    beforeEach(async () => {
      db = await b.fresh();
      store = db.open();
    });

    it('stores a request and reads it back field for field, also after a reopen', () => {
      const r = request({ reason: 'load test over', messageRef: 'm1' });
      store.requests.create(r);
      assert.deepEqual(store.requests.get(r.id), r);
      store.close();
      store = db.open();
      assert.deepEqual(store.requests.get(r.id), r);
      assert.equal(store.requests.get('nope'), undefined);
    });

    it('refuses a duplicate id and an id that would not fit a button', () => {
      const r = request();
      store.requests.create(r);
      assert.throws(() => store.requests.create({ ...r }), /UNIQUE|constraint/i);
      assert.throws(() => store.requests.create(request({ id: 'x'.repeat(23) })), /22 base64url/);
      assert.throws(() => store.requests.create(request({ id: 'a/b' })), /base64url/);
    });

    it('lists by state, requester, channel and since; newest last, limit keeps the newest', () => {
      const a = request({ state: 'awaiting-confirmation' });
      const b = request({ channel: 'C2', requester: { platform: 'slack', id: 'U_BOB', name: 'bob' }, identity: { user: 'bob@example.com', groups: [] } });
      const c = request({ state: 'executed' });
      for (const r of [a, b, c]) store.requests.create(r);
      assert.deepEqual(store.requests.list().map((r) => r.id), [a.id, b.id, c.id]);
      assert.deepEqual(store.requests.list({ states: ['awaiting-confirmation', 'awaiting-approval'] }).map((r) => r.id), [a.id, b.id]);
      assert.deepEqual(store.requests.list({ states: [] }), []);
      assert.deepEqual(store.requests.list({ requester: 'bob' }).map((r) => r.id), [b.id]);
      assert.deepEqual(store.requests.list({ requester: 'alice@example.com' }).map((r) => r.id), [a.id, c.id]);
      assert.deepEqual(store.requests.list({ channel: 'C2' }).map((r) => r.id), [b.id]);
      assert.deepEqual(store.requests.list({ since: b.createdAt }).map((r) => r.id), [b.id, c.id]);
      assert.deepEqual(store.requests.list({ limit: 2 }).map((r) => r.id), [b.id, c.id]);
    });

    it('requests made in the same millisecond list in the order they were made, whatever their ids', () => {
      const ids = ['zz', 'mm', 'aa', 'qq'];
      for (const id of ids) store.requests.create(request({ id, createdAt: T0, updatedAt: T0 }));
      assert.deepEqual(store.requests.list().map((r) => r.id), ids);
      assert.deepEqual(store.requests.list({ limit: 2 }).map((r) => r.id), ['aa', 'qq']);
    });

    it('transition is a compare-and-set: from the wrong state nothing changes', () => {
      const r = request({ state: 'awaiting-confirmation' });
      store.requests.create(r);
      assert.equal(store.requests.transition(r.id, ['awaiting-approval'], 'approved', {}, T0 + 10), undefined);
      const moved = store.requests.transition(r.id, ['awaiting-confirmation'], 'awaiting-approval', { messageRef: 'm2', reason: 'why not' }, T0 + 10);
      assert.equal(moved?.state, 'awaiting-approval');
      assert.equal(moved?.messageRef, 'm2');
      assert.equal(moved?.reason, 'why not');
      assert.equal(moved?.updatedAt, T0 + 10);
      assert.equal(store.requests.transition(r.id, ['awaiting-confirmation'], 'cancelled', {}, T0 + 11), undefined, 'the second of two confirm/cancel loses');
      assert.equal(store.requests.transition('missing', ['awaiting-approval'], 'approved', {}, T0), undefined);
      assert.equal(store.requests.transition(r.id, [], 'approved', {}, T0), undefined);
    });

    it('an awaiting request past its expiry can only expire or be cancelled', () => {
      const r = request({ state: 'awaiting-confirmation', expiresAt: T0 + 100 });
      store.requests.create(r);
      assert.equal(store.requests.transition(r.id, ['awaiting-confirmation'], 'awaiting-approval', {}, T0 + 100), undefined);
      assert.equal(store.requests.transition(r.id, ['awaiting-confirmation'], 'expired', {}, T0 + 100)?.state, 'expired');
    });

    it('one decision per approver; decisions only while awaiting approval and before expiry', () => {
      const r = request({ policy: { ...request().policy, approvals: 2 } });
      store.requests.create(r);
      const first = store.requests.addDecision(r.id, approve('U_BOB'));
      assert.equal(first.ok, true);
      const again = store.requests.addDecision(r.id, { ...approve('U_BOB'), decision: 'deny' });
      assert.deepEqual(again.ok ? undefined : again.reason, 'already-decided');
      assert.equal(store.requests.addDecision(r.id, approve('U_CAROL', r.expiresAt)).ok, false, 'at the expiry instant it is too late');
      const second = store.requests.addDecision(r.id, approve('U_CAROL'));
      assert.ok(second.ok);
      assert.deepEqual(second.request.decisions.map((d) => d.by.id), ['U_BOB', 'U_CAROL']);
      assert.deepEqual(second.request.decisions[0], approve('U_BOB'));
      const missing = store.requests.addDecision('nope', approve('U_BOB'));
      assert.equal(missing.ok ? undefined : missing.reason, 'not-found');
      const confirming = request({ state: 'awaiting-confirmation' });
      store.requests.create(confirming);
      const early = store.requests.addDecision(confirming.id, approve('U_BOB'));
      assert.equal(early.ok ? undefined : early.reason, 'not-awaiting-approval');
      const late = store.requests.addDecision(r.id, approve('U_DAVE', r.expiresAt + 1));
      assert.equal(late.ok ? undefined : late.reason, 'expired');
    });

    it('claimForExecution succeeds once; recordResult only from executing', () => {
      const r = request({ state: 'approved' });
      store.requests.create(r);
      assert.equal(store.requests.recordResult(r.id, { ok: true, message: 'scaled', at: T0 + 5 }), undefined, 'no result before a claim');
      const claimed = store.requests.claimForExecution(r.id, T0 + 1, '{"spec":{"replicas":0}}');
      assert.equal(claimed?.state, 'executing');
      assert.equal(claimed?.intent, '{"spec":{"replicas":0}}');
      assert.equal(claimed?.executingSince, T0 + 1);
      assert.equal(store.requests.claimForExecution(r.id, T0 + 2), undefined);
      const done = store.requests.recordResult(r.id, { ok: true, message: 'deployment demo/web scaled to 0', at: T0 + 5, resourceVersion: '43' });
      assert.equal(done?.state, 'executed');
      assert.deepEqual(done?.result, { ok: true, message: 'deployment demo/web scaled to 0', at: T0 + 5, resourceVersion: '43' });
      assert.equal(store.requests.recordResult(r.id, { ok: false, message: 'again', at: T0 + 6 }), undefined);
      const f = request({ state: 'approved' });
      store.requests.create(f);
      store.requests.claimForExecution(f.id, T0);
      assert.equal(store.requests.recordResult(f.id, { ok: false, message: 'conflict', status: 409, at: T0 + 1 })?.state, 'failed');
    });

    it('expireDue expires awaiting requests that are due, nothing else, and says when the next is due', () => {
      const due = request({ state: 'awaiting-confirmation', expiresAt: T0 + 100 });
      const dueToo = request({ expiresAt: T0 + 50 });
      const later = request({ expiresAt: T0 + 300 });
      const approved = request({ state: 'approved', expiresAt: T0 + 10 });
      for (const r of [due, dueToo, later, approved]) store.requests.create(r);
      assert.equal(store.requests.nextExpiry(), T0 + 50);
      const expired = store.requests.expireDue(T0 + 100);
      assert.deepEqual(expired.map((r) => [r.id, r.state]), [[dueToo.id, 'expired'], [due.id, 'expired']]);
      assert.deepEqual(store.requests.expireDue(T0 + 100), []);
      assert.equal(store.requests.get(approved.id)?.state, 'approved', 'an approved request is the executor’s, not the expiry’s');
      assert.equal(store.requests.nextExpiry(), T0 + 300);
    });

    it('a request left executing by a crash is reported in doubt after a reopen, with its intent', () => {
      const r = request({ state: 'approved' });
      const pending = request({ expiresAt: T0 + 600_000 });
      store.requests.create(r);
      store.requests.create(pending);
      store.requests.claimForExecution(r.id, T0 + 1, 'restartedAt=2025-03-04T12:00:01Z');
      store.close();
      store = db.open();
      assert.deepEqual(store.requests.inDoubt().map((x) => [x.id, x.intent]), [[r.id, 'restartedAt=2025-03-04T12:00:01Z']]);
      assert.equal(store.requests.get(pending.id)?.state, 'awaiting-approval', 'a pending request survives the restart');
      store.requests.recordResult(r.id, { ok: true, message: 'the restart had landed', at: T0 + 2 });
      assert.deepEqual(store.requests.inDoubt(), []);
    });

    it('deleteBefore deletes only final requests (and their decisions) not changed since', () => {
      const old = request();
      const open = request();
      store.requests.create(old);
      store.requests.create(open);
      store.requests.addDecision(old.id, approve('U_BOB'));
      store.requests.transition(old.id, ['awaiting-approval'], 'denied', {}, T0 + 10);
      assert.equal(store.requests.deleteBefore(T0 + 10), 0);
      assert.equal(store.requests.deleteBefore(T0 + 11), 1);
      assert.equal(store.requests.get(old.id), undefined);
      assert.ok(store.requests.get(open.id));
      assert.deepEqual(b.sql(store, 'SELECT COUNT(*) AS n FROM request_decisions').map((r) => Number(r.n)), [0]);
    });

    it('store.prune deletes final requests older than requestsMs, keeps open ones whatever their age, and nothing when it is 0', () => {
      const DAY = 86_400_000;
      const retain = { deliveredMs: DAY, deadMs: 7 * DAY, dedupMs: 7 * DAY, threadsMs: 30 * DAY, auditMs: 90 * DAY, requestsMs: 30 * DAY };
      const done = request();
      const recent = request({ expiresAt: T0 + 365 * DAY });
      const open = request({ expiresAt: T0 + 365 * DAY });
      for (const r of [done, recent, open]) store.requests.create(r);
      store.requests.addDecision(done.id, approve('U_BOB'));
      store.requests.transition(done.id, ['awaiting-approval'], 'denied', {}, T0 + 10);
      store.requests.transition(recent.id, ['awaiting-approval'], 'denied', {}, T0 + 20 * DAY);
      assert.equal(store.prune(T0 + 40 * DAY, { ...retain, requestsMs: 0 }).requests, 0, '0 keeps them for good');
      assert.equal(store.prune(T0 + 40 * DAY, retain).requests, 1);
      assert.equal(store.requests.get(done.id), undefined);
      assert.equal(store.requests.get(recent.id)?.state, 'denied', 'decided 20 days before: kept for 30');
      assert.equal(store.requests.get(open.id)?.state, 'awaiting-approval', 'still awaiting approval: never pruned');
      assert.equal(store.prune(T0 + 51 * DAY, retain).requests, 1);
      assert.deepEqual(store.requests.list({}).map((r) => r.id), [open.id]);
    });

    it('keeps free text bounded', () => {
      const r = request({ preview: 'x'.repeat(10_000), reason: 'y'.repeat(10_000) });
      store.requests.create(r);
      const got = store.requests.get(r.id)!;
      assert.ok(got.preview.length <= 4000 && got.reason!.length <= 4000);
    });
  });

  describe(`RequestRepo across two connections (${b.name})`, () => {
    let db: TestDatabase;
    let store: Store;
    beforeEach(async () => {
      db = await b.fresh();
      store = db.open();
    });

    it('two processes claiming the same approved requests: each is claimed exactly once', async () => {
      const ids: string[] = [];
      store.transaction(() => {
        for (let i = 0; i < 200; i++) {
          const r = request({ state: 'approved' });
          store.requests.create(r);
          ids.push(r.id);
        }
      });
      const [x, y] = await race(b, db, 'claim', ids);
      assert.equal(x.length + y.length, ids.length);
      assert.deepEqual([...x, ...y].sort(), [...ids].sort());
      assert.equal(store.requests.list({ states: ['executing'] }).length, ids.length);
    });

    it('two approvers approving at once (one approval needed): exactly one approves each request', async () => {
      const ids: string[] = [];
      store.transaction(() => {
        for (let i = 0; i < 200; i++) {
          const r = request();
          store.requests.create(r);
          ids.push(r.id);
        }
      });
      const [x, y] = await race(b, db, 'approve', ids);
      assert.equal(x.length + y.length, ids.length);
      assert.equal(new Set([...x, ...y]).size, ids.length);
      for (const id of ids) {
        const r = store.requests.get(id)!;
        assert.equal(r.state, 'approved');
        assert.equal(r.decisions.length, 1, 'the loser’s decision is refused, not recorded after the approval');
      }
    });
  });
}
