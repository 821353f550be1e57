// decide(): one approver's decision, the same from a button and from the
// CLI. Refusals write nothing and make no further call; the threshold counts
// distinct people; concurrent approvals approve once; RBAC is asked for the
// approver's own identity (stubbed here, and on the simulated cluster).

import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { decide, kubeAuthorizer, newRequestId, type Authorizer } from '../../src/chatops/approvals.ts';
import type { ChatUser, KubeIdentity, ResourceAttributes } from '../../src/chatops/types.ts';
import type { ActionRequest } from '../../src/model/approval.ts';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.ts';
import { ALICE, BOB, startChatSim } from './sim-users.ts';
import { REQUEST_T, scaleRequest } from './request-fixture.ts';
import type { Sim } from '../../src/sim/sim.ts';

const T = REQUEST_T;
const alice: ChatUser = { platform: 'slack', id: 'U_A', name: 'alice' };
const bob: ChatUser = { platform: 'slack', id: 'U_B', name: 'bob' };
const carol: ChatUser = { platform: 'telegram', id: '42', name: 'carol' };
const mallory: ChatUser = { platform: 'slack', id: 'U_M' };
const IDS: Record<string, KubeIdentity> = {
  'slack:U_A': ALICE,
  'telegram:7': ALICE,
  'slack:U_B': { user: 'bob@corp', groups: ['sre'] },
  'telegram:42': { user: 'carol@corp', groups: [] },
};
const identities = { resolve: (u: ChatUser) => IDS[`${u.platform}:${u.id}`] };

/** alice's request, confirmed: awaiting approval */
const request = (over: Partial<ActionRequest> = {}): ActionRequest => scaleRequest({ identity: ALICE, state: 'awaiting-approval', ...over });

describe('decide', () => {
  let store: SqliteStore;
  let now: number;
  let calls: { identity: KubeIdentity; attrs: readonly ResourceAttributes[] }[];
  let allow: (i: KubeIdentity) => boolean;
  const authorize: Authorizer = async (identity, attrs) => {
    calls.push({ identity, attrs });
    return allow(identity) ? { allowed: true, decision: 'allowed' } : { allowed: false, decision: 'denied', attributes: attrs[0], message: `Kubernetes user ${identity.user} may not patch deployments/scale in namespace demo` };
  };
  const deps = () => ({ store, identities, authorize, now: () => now });
  beforeEach(() => {
    store = openSqliteStore({ path: ':memory:' });
    now = T + 1000;
    calls = [];
    allow = () => true;
  });
  afterEach(() => store.close());

  it('ids are 22 base64url characters, each new', () => {
    const a = newRequestId();
    assert.match(a, /^[A-Za-z0-9_-]{22}$/);
    assert.notEqual(a, newRequestId());
  });

  it('one approval by someone else with RBAC approves, asking RBAC for the approver’s identity and the command’s access', async () => {
    const r = request();
    store.requests.create(r);
    const out = await decide(deps(), r.id, bob, 'approve', { reason: 'agreed', via: 'chat', channel: 'C1' });
    assert.equal(out.outcome, 'approved');
    assert.equal(store.requests.get(r.id)!.state, 'approved');
    assert.deepEqual(store.requests.get(r.id)!.decisions, [{ by: { platform: 'slack', id: 'U_B', name: 'bob' }, identity: { user: 'bob@corp', groups: ['sre'] }, decision: 'approve', at: now, reason: 'agreed', via: 'chat' }]);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].identity.user, 'bob@corp');
    assert.ok(calls[0].attrs.some((a) => a.verb === 'patch' && a.resource === 'deployments' && a.subresource === 'scale' && a.namespace === 'demo'));
  });

  it('refuses the requester, on any platform, without asking RBAC', async () => {
    const r = request();
    store.requests.create(r);
    const self = await decide(deps(), r.id, alice, 'approve');
    assert.equal(self.outcome === 'refused' && self.code, 'self');
    const elsewhere = await decide(deps(), r.id, { platform: 'telegram', id: '7' }, 'approve');
    assert.equal(elsewhere.outcome === 'refused' && elsewhere.code, 'self');
    assert.equal(calls.length, 0);
    assert.deepEqual(store.requests.get(r.id)!.decisions, []);
  });

  it('refuses an approver without RBAC, an unmapped one, one the policy does not list', async () => {
    const r = request({ policy: { ...request().policy, approvers: { groups: ['sre'] } } });
    store.requests.create(r);
    allow = (i) => i.user !== 'bob@corp';
    const rbac = await decide(deps(), r.id, bob, 'approve');
    assert.equal(rbac.outcome === 'refused' && rbac.code, 'rbac-denied');
    assert.match(rbac.outcome === 'refused' ? rbac.message : '', /bob@corp may not patch .*so may not approve this request/);
    const unmapped = await decide(deps(), r.id, mallory, 'approve');
    assert.equal(unmapped.outcome === 'refused' && unmapped.code, 'unmapped');
    const unlisted = await decide(deps(), r.id, carol, 'approve');
    assert.equal(unlisted.outcome === 'refused' && unlisted.code, 'not-an-approver');
    assert.equal(store.requests.get(r.id)!.state, 'awaiting-approval');
    assert.deepEqual(store.requests.get(r.id)!.decisions, []);
  });

  it('refuses a missing, foreign, unconfirmed, decided or expired request; a late press marks it expired', async () => {
    const missing = await decide(deps(), 'nope', bob, 'approve');
    assert.equal(missing.outcome === 'refused' && missing.code, 'not-found');
    const r = request();
    store.requests.create(r);
    const foreign = await decide(deps(), r.id, bob, 'approve', { channel: 'C2' });
    assert.equal(foreign.outcome === 'refused' && foreign.code, 'foreign');
    const unconfirmed = request({ state: 'awaiting-confirmation' });
    store.requests.create(unconfirmed);
    const u = await decide(deps(), unconfirmed.id, bob, 'approve');
    assert.equal(u.outcome === 'refused' && u.code, 'not-awaiting-approval');
    assert.equal((await decide(deps(), r.id, bob, 'approve')).outcome, 'approved');
    const twice = await decide(deps(), r.id, carol, 'approve');
    assert.equal(twice.outcome === 'refused' && twice.code, 'not-awaiting-approval');
    assert.match(twice.outcome === 'refused' ? twice.message : '', /already decided \(it is approved\)/);
    const old = request({ expiresAt: T + 500 });
    store.requests.create(old);
    const late = await decide(deps(), old.id, bob, 'approve');
    assert.equal(late.outcome === 'refused' && late.code, 'expired');
    assert.equal(store.requests.get(old.id)!.state, 'expired');
    assert.equal(calls.length, 1, 'only the approval that went through asked RBAC');
  });

  it('a threshold of two counts distinct people; the same approver twice is refused', async () => {
    const r = request({ policy: { ...request().policy, approvals: 2 } });
    store.requests.create(r);
    const first = await decide(deps(), r.id, bob, 'approve');
    assert.equal(first.outcome, 'recorded');
    assert.equal(first.outcome === 'recorded' && first.remaining, 1);
    const again = await decide(deps(), r.id, bob, 'approve');
    assert.equal(again.outcome === 'refused' && again.code, 'already-decided');
    const second = await decide(deps(), r.id, carol, 'approve');
    assert.equal(second.outcome, 'approved');
  });

  it('a denial rejects when the policy says so, else is recorded', async () => {
    const r = request();
    store.requests.create(r);
    const d = await decide(deps(), r.id, bob, 'deny', { reason: 'not during the sale' });
    assert.equal(d.outcome, 'denied');
    assert.equal(store.requests.get(r.id)!.state, 'denied');
    const soft = request({ policy: { ...request().policy, denyRejects: false } });
    store.requests.create(soft);
    assert.equal((await decide(deps(), soft.id, bob, 'deny')).outcome, 'recorded');
    assert.equal((await decide(deps(), soft.id, carol, 'approve')).outcome, 'approved');
  });

  it('two approvers at once: exactly one gets approved', async () => {
    const r = request();
    store.requests.create(r);
    const results = await Promise.all([decide(deps(), r.id, bob, 'approve'), decide(deps(), r.id, carol, 'approve')]);
    assert.deepEqual(results.map((x) => x.outcome).sort(), ['approved', 'refused']);
    assert.equal(store.requests.get(r.id)!.decisions.length, 1);
    assert.ok(store.requests.claimForExecution(r.id, now));
    assert.equal(store.requests.claimForExecution(r.id, now), undefined);
  });
});

describe('decide with RBAC on the simulated cluster', () => {
  let sim: Sim;
  let admin: k8s.KubeConfig;
  let store: SqliteStore;
  before(async () => {
    ({ sim, admin } = await startChatSim([]));
    const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
    await rbac.createNamespacedRoleBinding({
      namespace: 'demo',
      body: { metadata: { name: 'dave-edit' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'User', name: 'dave@corp', apiGroup: 'rbac.authorization.k8s.io' }] },
    });
    store = openSqliteStore({ path: ':memory:' });
  });
  after(() => {
    store.close();
    sim.close();
  });

  it('bob (view) may not approve a scale; dave (edit) may', async () => {
    const ids: Record<string, KubeIdentity> = { 'slack:U_B': BOB, 'slack:U_D': { user: 'dave@corp', groups: [] } };
    const deps = { store, identities: { resolve: (u: ChatUser) => ids[`${u.platform}:${u.id}`] }, authorize: kubeAuthorizer(admin), now: () => T + 1000 };
    const r = request();
    store.requests.create(r);
    const refused = await decide(deps, r.id, bob, 'approve');
    assert.equal(refused.outcome === 'refused' && refused.code, 'rbac-denied');
    assert.match(refused.outcome === 'refused' ? refused.message : '', /bob@corp may not patch deployments\/scale in namespace demo/);
    const ok = await decide(deps, r.id, { platform: 'slack', id: 'U_D', name: 'dave' }, 'approve');
    assert.equal(ok.outcome, 'approved');
  });
});
