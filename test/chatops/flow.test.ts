// RequestFlow's state machine without a cluster: an in-memory store, and
// clients that fail the test if anything asks the API server. Buttons on
// unknown, foreign, expired or decided requests are refused and audited;
// the requester alone confirms or cancels; confirming a request that needs
// approval only moves it on; expiry marks, audits and updates the message;
// a bare confirm/approve finds the one request it can mean; recovery after
// a crash settles a request whose write landed (or that moved some other
// way) from what the object says, and tells its chat.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { approvalNeed, isRequestAction, REQUEST_ACTIONS, RequestFlow } from '../../src/chatops/flow.ts';
import type { KubeClients } from '../../src/chatops/kube.ts';
import type { AuditEntry, ChatReply, ChatUser, KubeIdentity, MessageTarget } from '../../src/chatops/types.ts';
import type { ActionRequest } from '../../src/model/approval.ts';
import { silentLogger } from '../../src/model/logger.ts';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.ts';
import { REQUEST_T, scaleRequest } from './request-fixture.ts';

const T = REQUEST_T;
const ALICE_ID: KubeIdentity = { user: 'alice@corp', groups: [] };
const alice: ChatUser = { platform: 'slack', id: 'U_A', name: 'alice' };
const bob: ChatUser = { platform: 'slack', id: 'U_B', name: 'bob' };
const aliceOnTelegram: ChatUser = { platform: 'telegram', id: 'U_A', name: 'alice' };

/** alice's request, its message known */
const request = (over: Partial<ActionRequest> = {}): ActionRequest => scaleRequest({ messageRef: 'C1:1700000000.000100', ...over });

describe('RequestFlow without a cluster', () => {
  let store: SqliteStore;
  let now: number;
  let audited: AuditEntry[];
  let notified: { to: MessageTarget; reply: ChatReply }[];
  let kube: Partial<KubeClients> | undefined;
  let flow: RequestFlow;

  beforeEach(() => {
    store = openSqliteStore({ path: ':memory:' });
    now = T + 1000;
    audited = [];
    notified = [];
    kube = undefined;
    flow = new RequestFlow({
      requests: store.requests,
      identities: { resolve: (u) => (u.id === 'U_A' ? ALICE_ID : u.id === 'U_B' ? { user: 'bob@corp', groups: ['sre'] } : undefined) },
      clientsFor: () => {
        if (!kube) throw new Error('no API call expected here');
        return kube as KubeClients;
      },
      audit: (e) => audited.push(e),
      log: silentLogger,
      transaction: (fn) => store.transaction(fn),
      notify: (to, reply) => notified.push({ to, reply }),
      now: () => now,
    });
  });
  afterEach(() => store.close());

  const press = (user: ChatUser, verb: keyof typeof REQUEST_ACTIONS, value: string, channel = 'C1') =>
    flow.interact({ platform: user.platform, user, channel, actionId: REQUEST_ACTIONS[verb], value, receivedAt: now });

  it('button ids are the request actions, and an id plus the longest request id fits Telegram callback_data', () => {
    for (const id of Object.values(REQUEST_ACTIONS)) {
      assert.equal(isRequestAction(id), true);
      assert.ok(Buffer.byteLength(`${id}:${'A'.repeat(22)}`) <= 64, id);
    }
    assert.equal(isRequestAction('alert.logs'), false);
    assert.equal(isRequestAction('request.execute'), false);
  });

  it('a press on no such request, or on a value that is not an id, is refused and audited', async () => {
    for (const value of ['AAAAAAAAAAAAAAAAAAAAAA', '', '../../etc', 'x'.repeat(23)]) {
      const r = await press(alice, 'confirm', value);
      assert.equal(r.status, 'denied');
      assert.match(r.title ?? '', /no such request/);
    }
    assert.equal(audited.length, 4);
    assert.ok(audited.every((e) => e.outcome === 'denied' && e.writes));
  });

  it('only the requester confirms or cancels; confirming a request that needs approval moves it to awaiting-approval, nothing more', async () => {
    const r = request();
    store.requests.create(r);
    const byBob = await press(bob, 'confirm', r.id);
    assert.match(byBob.title ?? '', /Only alice, who asked, can confirm/);
    assert.match((await press(bob, 'cancel', r.id)).title ?? '', /Only alice, who asked, can cancel/);
    // the same user id on another platform is someone else, and the request belongs to its chat
    assert.match((await press(aliceOnTelegram, 'confirm', r.id)).title ?? '', /belongs to another chat/);
    assert.match((await press(alice, 'confirm', r.id, 'C2')).title ?? '', /belongs to another chat/);
    assert.equal(store.requests.get(r.id)?.state, 'awaiting-confirmation');

    const ok = await press(alice, 'confirm', r.id);
    assert.equal(ok.status, 'pending');
    assert.match(ok.title ?? '', new RegExp(`Approval needed for request ${r.id}: one approval from someone other than the requester .*\\(scaling to 0\\)`));
    assert.deepEqual(ok.actions?.map((a) => [a.id, a.value]), [[REQUEST_ACTIONS.approve, r.id], [REQUEST_ACTIONS.deny, r.id]]);
    assert.equal(ok.replace, true);
    assert.equal(store.requests.get(r.id)?.state, 'awaiting-approval');
    // a replayed confirm finds nothing to confirm
    assert.match((await press(alice, 'confirm', r.id)).title ?? '', /is awaiting-approval; there is nothing to confirm/);
    // cancel still works while it waits for approval, and then nothing can move it
    const c = await press(alice, 'cancel', r.id);
    assert.equal(c.status, 'ok');
    assert.match(c.title ?? '', /cancelled; nothing was changed/);
    assert.equal(store.requests.get(r.id)?.state, 'cancelled');
    assert.match((await press(alice, 'cancel', r.id)).title ?? '', /is cancelled; it can no longer be cancelled/);
    const outcomes = audited.map((e) => [e.text.split(' ')[0], e.outcome]);
    assert.deepEqual(outcomes, [
      ['confirm', 'denied'],
      ['cancel', 'denied'],
      ['confirm', 'denied'],
      ['confirm', 'denied'],
      ['confirm', 'pending'],
      ['confirm', 'denied'],
      ['cancel', 'ok'],
      ['cancel', 'denied'],
    ]);
  });

  it('the requester cannot approve their own request (refused before any RBAC call)', async () => {
    const r = request({ state: 'awaiting-approval' });
    store.requests.create(r);
    const out = await press(alice, 'approve', r.id);
    assert.equal(out.status, 'denied');
    assert.match(out.title ?? '', /requester cannot approve/);
    assert.equal(store.requests.get(r.id)?.state, 'awaiting-approval');
  });

  it('expiry: a due request is marked expired, audited, its message told; a press on it is refused', async () => {
    const r = request({ state: 'awaiting-approval' });
    const later = request({ expiresAt: T + 3_600_000 });
    store.requests.create(r);
    store.requests.create(later);
    now = r.expiresAt + 1;
    assert.deepEqual(flow.expireDue().map((x) => x.id), [r.id]);
    assert.equal(store.requests.get(r.id)?.state, 'expired');
    assert.equal(store.requests.get(later.id)?.state, 'awaiting-confirmation');
    assert.deepEqual(audited.map((e) => [e.text, e.outcome, e.error]), [[`expire ${r.id}`, 'error', 'expired before it was confirmed and approved']]);
    assert.equal(notified.length, 1);
    assert.deepEqual(notified[0].to, { platform: 'slack', channel: 'C1', messageRef: r.messageRef });
    assert.match(notified[0].reply.title ?? '', new RegExp(`Request ${r.id} expired; nothing was done. Run \`scale deployment web 0 -n demo\` again`));
    assert.equal(notified[0].reply.replace, true);
    // already expired: not again
    assert.deepEqual(flow.expireDue(), []);
    assert.match((await press(bob, 'approve', r.id)).title ?? '', /expired; nothing was done/);
  });

  it('a press finds a request past its time before the timer did: it expires then and there', async () => {
    const r = request();
    store.requests.create(r);
    now = r.expiresAt + 1;
    assert.match((await press(alice, 'confirm', r.id)).title ?? '', /expired; nothing was done/);
    assert.equal(store.requests.get(r.id)?.state, 'expired');
  });

  it('onlyPending: a bare confirm means the one of mine; approve the one of someone else; none or several are named, never guessed', () => {
    const mine = request();
    const theirs = request({ requester: { platform: 'slack', id: 'U_B', name: 'bob' }, state: 'awaiting-approval' });
    store.requests.create(mine);
    store.requests.create(theirs);
    assert.deepEqual(flow.onlyPending('confirm', alice, 'C1'), { id: mine.id });
    assert.deepEqual(flow.onlyPending('cancel', alice, 'C1'), { id: mine.id });
    assert.deepEqual(flow.onlyPending('approve', alice, 'C1'), { id: theirs.id });
    const none = flow.onlyPending('confirm', alice, 'C2');
    assert.ok('reply' in none);
    assert.match(none.reply.title ?? '', /no request of yours waiting to be confirmed here/);
    // bob has nothing to confirm: his own request already waits for approval
    assert.ok('reply' in flow.onlyPending('confirm', bob, 'C1'));
    const second = request();
    store.requests.create(second);
    const two = flow.onlyPending('confirm', alice, 'C1');
    assert.ok('reply' in two);
    assert.match(two.reply.title ?? '', /There are 2 requests of yours waiting to be confirmed here; say which/);
    assert.ok(two.reply.title?.includes(`\`confirm ${mine.id}\``) && two.reply.title.includes(`\`confirm ${second.id}\``));
  });

  it('remember: where a request was posted is kept only while its buttons can still be pressed', () => {
    const open = request({ messageRef: undefined });
    const done = request({ messageRef: undefined, state: 'cancelled' });
    store.requests.create(open);
    store.requests.create(done);
    flow.remember(open.id, 'C1:1.2');
    flow.remember(done.id, 'C1:3.4');
    flow.remember('AAAAAAAAAAAAAAAAAAAAAA', 'C1:5.6');
    assert.equal(store.requests.get(open.id)?.messageRef, 'C1:1.2');
    assert.equal(store.requests.get(done.id)?.messageRef, undefined);
  });

  it('an approved request for a cluster the config no longer lists fails, written nowhere, its message and the trail saying why', async () => {
    const r = request({ state: 'approved', target: { ...request().target, cluster: 'gone' } });
    store.requests.create(r);
    // clientsFor refuses (kube undefined): the service's does so for a cluster it does not know
    const ran = await flow.executeApproved();
    assert.equal(ran.length, 1);
    assert.equal(ran[0].reply.status, 'error');
    assert.match(ran[0].reply.title ?? '', new RegExp(`^Request ${r.id} was not run: no API call expected here\\. Nothing was written\\.$`));
    const after = store.requests.get(r.id)!;
    assert.equal(after.state, 'failed');
    assert.match(after.result?.message ?? '', /^not run: /);
    assert.deepEqual(audited.map((e) => [e.text, e.outcome, e.cluster]), [[`execute ${r.id}`, 'error', 'gone']]);
    assert.equal(notified.length, 1, 'its message is updated');
  });

  describe('recover (a request left executing)', () => {
    /** a request as a crashed process left it: approved by bob, claimed, no result */
    function leftExecuting(): ActionRequest {
      const r = request({ state: 'awaiting-approval' });
      store.requests.create(r);
      assert.ok(store.requests.transition(r.id, ['awaiting-approval'], 'approved', {}, now));
      assert.ok(store.requests.claimForExecution(r.id, now, JSON.stringify({ resourceVersion: '5' })));
      return r;
    }
    const scaleNow = (resourceVersion: string, replicas: number): void => {
      kube = {
        call: () => undefined as never,
        apps: { readNamespacedDeploymentScale: async () => ({ metadata: { resourceVersion }, spec: { replicas } }) } as unknown as KubeClients['apps'],
      };
    };

    it('the object moved to what the request asked: recorded done, not written again, and its chat told', async () => {
      const r = leftExecuting();
      scaleNow('6', 0);
      const out = await flow.recover();
      assert.deepEqual(out.map((o) => [o.request.id, o.request.state, o.outcome]), [[r.id, 'executed', 'executed before the restart']]);
      assert.deepEqual(audited.map((e) => [e.text, e.outcome, e.identity?.user]), [[`recover ${r.id}`, 'ok', 'alice@corp']]);
      assert.equal(notified.length, 1);
      assert.equal(notified[0].to.messageRef, r.messageRef);
      assert.match(notified[0].reply.title ?? '', /Done: scale deployment web 0 -n demo \(it ran before kubeherald restarted; it was not sent again\)/);
      assert.deepEqual(await flow.recover(), [], 'settled: nothing in doubt any more');
    });

    it('the object moved some other way: stale, nothing written, its chat told to ask again', async () => {
      const r = leftExecuting();
      scaleNow('6', 7);
      const out = await flow.recover();
      assert.deepEqual(out.map((o) => [o.request.state, o.outcome]), [['stale', 'stale']]);
      assert.match(audited[0].error ?? '', /^stale: deployment demo\/web changed since the preview/);
      assert.match(notified[0].reply.title ?? '', /^Nothing was written/);
      assert.equal(store.requests.get(r.id)?.state, 'stale');
    });

    it('the object cannot be read: the request stays in doubt for the next start, nothing said', async () => {
      const r = leftExecuting();
      kube = { call: () => undefined as never, apps: { readNamespacedDeploymentScale: async () => Promise.reject(new Error('connection refused')) } as unknown as KubeClients['apps'] };
      assert.deepEqual(await flow.recover(), []);
      assert.equal(store.requests.get(r.id)?.state, 'executing');
      assert.deepEqual([audited.length, notified.length], [0, 0]);
    });
  });

  it('approvalNeed says how many, from whom, with rights', () => {
    const p = request().policy;
    assert.equal(approvalNeed(p), 'one approval from someone other than the requester with the rights to do it themselves');
    assert.equal(approvalNeed({ ...p, approvals: 2, approvers: { groups: ['sre', 'ops'], chatUsers: ['slack:U_C'] } }), '2 approvals from a member of group sre or group ops or slack:U_C with the rights to do it themselves');
  });
});
