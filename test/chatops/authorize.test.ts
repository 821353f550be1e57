// authorize(): SelfSubjectAccessReviews made AS the impersonated identity on
// the simulated cluster, the sentence a denial becomes, and failures to ask
// kept apart from refusals.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { authorize, denialMessage, describeAttributes } from '../../src/chatops/authorize.ts';
import { impersonatingClients, type KubeClients } from '../../src/chatops/kube.ts';
import type { AccessLogEntry } from '../../src/sim/apiserver.ts';
import type { Sim } from '../../src/sim/sim.ts';
import { ALICE, BOB, startChatSim } from './sim-users.ts';

describe('denial sentences', () => {
  it('names the chat user, the Kubernetes user, the verb, the resource and the namespace', () => {
    const a = { verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'payments', name: 'api' };
    assert.equal(denialMessage({ user: 'alice@corp', groups: [] }, a, 'alice'), 'alice (Kubernetes user alice@corp) may not patch deployments/scale in namespace payments');
    assert.equal(denialMessage({ user: 'alice@corp', groups: [] }, { verb: 'patch', group: '', resource: 'nodes' }), 'Kubernetes user alice@corp may not patch nodes');
    assert.equal(denialMessage({ user: 'bob@corp', groups: [] }, { verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: 'demo' }, 'bob', 'no RBAC policy matched'), 'bob (Kubernetes user bob@corp) may not get pods/log in namespace demo: no RBAC policy matched');
    assert.equal(describeAttributes({ verb: 'delete', group: '', resource: 'pods', namespace: 'demo', name: 'x' }), 'delete pods in namespace demo');
  });
});

describe('authorize on the simulated cluster', () => {
  let sim: Sim;
  let admin: k8s.KubeConfig;
  let alice: KubeClients;
  let bob: KubeClients;
  const log: AccessLogEntry[] = [];

  before(async () => {
    ({ sim, admin, alice, bob } = await startChatSim(log));
  });
  after(() => sim.close());

  const scale = { verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'demo', name: 'web' };
  const cordon = { verb: 'patch', group: '', resource: 'nodes', name: 'sim-node-1' };

  it('allows alice what her Role and her group grant', async () => {
    assert.deepEqual(await authorize(alice, ALICE, [scale, cordon, { verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: 'demo' }]), { allowed: true, decision: 'allowed' });
  });

  it("refuses bob's writes with the verb and resource named", async () => {
    const r = await authorize(bob, BOB, [{ verb: 'get', group: 'apps', resource: 'deployments', namespace: 'demo' }, scale], undefined, 'bob');
    assert.equal(r.decision, 'denied');
    assert.ok(r.decision === 'denied');
    assert.equal(r.message.split(':')[0], 'bob (Kubernetes user bob@corp) may not patch deployments/scale in namespace demo');
    assert.deepEqual(r.attributes, scale);
    const node = await authorize(bob, BOB, [cordon]);
    assert.ok(node.decision === 'denied');
    assert.match(node.message, /^Kubernetes user bob@corp may not patch nodes(:|$)/);
    // alice may read pods in demo, not in kube-system
    const other = await authorize(alice, ALICE, [{ verb: 'delete', group: '', resource: 'pods', namespace: 'kube-system' }], undefined, 'alice');
    assert.ok(other.decision === 'denied');
    assert.match(other.message, /^alice \(Kubernetes user alice@corp\) may not delete pods in namespace kube-system/);
  });

  it('counts the groups: alice without sre may not cordon', async () => {
    const bare = { user: ALICE.user, groups: [] };
    const r = await authorize(impersonatingClients(admin, bare), bare, [cordon], undefined, 'alice');
    assert.ok(r.decision === 'denied');
    assert.match(r.message, /^alice \(Kubernetes user alice@corp\) may not patch nodes/);
  });

  it('asks as the impersonated identity', async () => {
    const from = log.length;
    await authorize(bob, BOB, [scale]);
    const reviews = log.slice(from).filter((e) => e.path.endsWith('/selfsubjectaccessreviews'));
    assert.equal(reviews.length, 1);
    assert.equal(reviews[0].impersonated?.username, 'bob@corp');
  });

  it('tells a server failure from a denial', async () => {
    sim.faults.failNext(503, { verbs: ['create'] });
    const r = await authorize(alice, ALICE, [scale]);
    assert.equal(r.decision, 'error');
    assert.ok(r.decision === 'error');
    assert.equal(r.status, 503);
    assert.match(r.message, /^could not check access \(patch deployments\/scale in namespace demo\): the server is currently unable to handle the request/);
  });

  it('honours the AbortSignal', async () => {
    const r = await authorize(alice, ALICE, [scale], AbortSignal.abort());
    assert.equal(r.decision, 'error');
    assert.ok(r.decision === 'error');
    assert.match(r.message, /cancelled/);
  });

  it('refuses clients of another identity', async () => {
    await assert.rejects(authorize(bob, ALICE, [scale]), /different identity/);
  });
});
