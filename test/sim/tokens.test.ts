// Service accounts and their tokens with the real kubectl: the default
// ServiceAccount and kube-root-ca.crt every namespace gets, `kubectl create
// token`, requests made with that token getting exactly what RBAC grants the
// service account, and TokenReview of good, expired, forged, unknown and
// orphaned tokens.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONFIGMAPS, SERVICEACCOUNTS } from '../../src/sim/refs.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { simRequest } from '../helpers/http.ts';
import { Kubectl } from '../helpers/kubectl.ts';

const NS = 'robots';

function until(sim: Sim, check: () => boolean, what: string): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const stop = sim.ctx.store.subscribe(() => {
      if (!check()) return;
      stop();
      resolve();
    });
    sim.ctx.clock.setTimeout(() => {
      stop();
      if (check()) resolve();
      else reject(new Error(`never happened: ${what}`));
    }, 10 * 60_000);
  });
}

const claimsOf = (token: string): Record<string, any> => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

const review = async (sim: Sim, token: string, audiences?: string[]): Promise<Record<string, any>> => {
  const r = await simRequest(sim, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
    body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) } }),
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.kind, 'TokenReview');
  return r.body.status;
};

describe('service accounts and tokens', { timeout: 120_000 }, () => {
  let sim: Sim;
  let k: Kubectl;

  before(async () => {
    sim = await startSim();
    k = new Kubectl(sim.kubeconfig);
    await k.ok(['create', 'namespace', NS]);
  });
  after(async () => {
    await sim.close();
  });

  it('gives every namespace a default ServiceAccount and kube-root-ca.crt, and puts them back when deleted', async () => {
    await until(sim, () => !!sim.ctx.store.get(SERVICEACCOUNTS.storage, NS, 'default') && !!sim.ctx.store.get(CONFIGMAPS.storage, NS, 'kube-root-ca.crt'), 'defaults created');
    assert.match(await k.ok(['get', 'sa', '-n', NS]), /^NAME\s+SECRETS\s+AGE\ndefault\s+0\s+/);
    const cm = JSON.parse(await k.ok(['get', 'configmap', 'kube-root-ca.crt', '-n', NS, '-o', 'json']));
    assert.equal(cm.data['ca.crt'], sim.caCert);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      assert.ok(sim.ctx.store.get(SERVICEACCOUNTS.storage, ns, 'default'), `default ServiceAccount in ${ns}`);
    }
    const before = sim.ctx.store.get(SERVICEACCOUNTS.storage, NS, 'default')!.metadata.uid;
    await k.ok(['delete', 'sa', 'default', '-n', NS]);
    await until(sim, () => {
      const sa = sim.ctx.store.get(SERVICEACCOUNTS.storage, NS, 'default');
      return !!sa && sa.metadata.uid !== before;
    }, 'default recreated');
  });

  it('mints a token with kubectl create token carrying the real claims, and refuses too short a duration', async () => {
    await k.ok(['create', 'serviceaccount', 'robot', '-n', NS]);
    const token = (await k.ok(['create', 'token', 'robot', '-n', NS])).trim();
    const c = claimsOf(token);
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
    assert.equal(header.alg, 'ES256');
    assert.equal(c.iss, 'https://kubernetes.default.svc.cluster.local');
    assert.deepEqual(c.aud, ['https://kubernetes.default.svc.cluster.local']);
    assert.equal(c.sub, `system:serviceaccount:${NS}:robot`);
    assert.equal(c.exp - c.iat, 3600);
    assert.equal(c.nbf, c.iat);
    const sa = sim.ctx.store.get(SERVICEACCOUNTS.storage, NS, 'robot')!;
    assert.deepEqual(c['kubernetes.io'], { namespace: NS, serviceaccount: { name: 'robot', uid: sa.metadata.uid } });

    const custom = claimsOf((await k.ok(['create', 'token', 'robot', '-n', NS, '--duration=20m', '--audience=vault'])).trim());
    assert.deepEqual(custom.aud, ['vault']);
    assert.equal(custom.exp - custom.iat, 1200);

    const short = await k.run(['create', 'token', 'robot', '-n', NS, '--duration=5m']);
    assert.notEqual(short.code, 0);
    assert.match(short.stderr, /may not specify a duration less than 10 minutes/);
    const missing = await k.run(['create', 'token', 'ghost', '-n', NS]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /serviceaccounts "ghost" not found/);
  });

  it('authenticates requests with the token as the service account, with exactly what RBAC grants it', async () => {
    const token = (await k.ok(['create', 'token', 'robot', '-n', NS])).trim();
    const who = JSON.parse(await k.ok(['auth', 'whoami', '--token', token, '-o', 'json']));
    assert.equal(who.status.userInfo.username, `system:serviceaccount:${NS}:robot`);
    assert.deepEqual(who.status.userInfo.groups, ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated']);

    const denied = await k.run(['get', 'pods', '-n', NS, '--token', token]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, new RegExp(`User "system:serviceaccount:${NS}:robot" cannot list resource "pods" in API group "" in the namespace "${NS}"`));

    await k.ok(['create', 'rolebinding', 'robot-view', '-n', NS, '--clusterrole=view', `--serviceaccount=${NS}:robot`]);
    assert.match(await k.ok(['get', 'configmaps', '-n', NS, '--token', token]), /kube-root-ca\.crt/);
    const write = await k.run(['create', 'configmap', 'x', '-n', NS, '--token', token]);
    assert.notEqual(write.code, 0);
    assert.match(write.stderr, /cannot create resource "configmaps"/);
    const elsewhere = await k.run(['get', 'pods', '-n', 'default', '--token', token]);
    assert.notEqual(elsewhere.code, 0);

    // a token for another audience is not good for the API server itself
    const vault = (await k.ok(['create', 'token', 'robot', '-n', NS, '--audience=vault'])).trim();
    const refused = await k.run(['get', 'configmaps', '-n', NS, '--token', vault]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Unauthorized|must be logged in/);
  });

  it('reviews good, audience-bound, forged, unknown and expired tokens', async () => {
    const token = (await k.ok(['create', 'token', 'robot', '-n', NS, '--duration=10m'])).trim();
    const sa = sim.ctx.store.get(SERVICEACCOUNTS.storage, NS, 'robot')!;
    const good = await review(sim, token);
    assert.equal(good.authenticated, true);
    assert.equal(good.user.username, `system:serviceaccount:${NS}:robot`);
    assert.equal(good.user.uid, sa.metadata.uid);
    assert.deepEqual(good.user.groups, ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated']);
    assert.deepEqual(good.audiences, ['https://kubernetes.default.svc.cluster.local']);
    assert.equal(good.error, undefined);

    const otherAudience = await review(sim, token, ['vault']);
    assert.equal(otherAudience.authenticated, undefined);
    assert.match(otherAudience.error, /audience/);
    const vault = (await k.ok(['create', 'token', 'robot', '-n', NS, '--audience=vault'])).trim();
    assert.deepEqual((await review(sim, vault, ['vault'])).audiences, ['vault']);

    // same signature, different claims: the signature no longer fits
    const [h, p, s] = token.split('.');
    const claims = claimsOf(token);
    claims.sub = 'system:serviceaccount:kube-system:default';
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    const f = await review(sim, forged);
    assert.notEqual(f.authenticated, true);
    assert.match(f.error, /^\[invalid bearer token, /);
    assert.equal((await simRequest(sim, 'GET', `/api/v1/namespaces/${NS}/configmaps`, { token: forged })).status, 401);
    assert.equal((await simRequest(sim, 'GET', `/api/v1/namespaces/${NS}/configmaps`, { token: `${h}.${p}.${s}` })).status, 200);

    const unknown = await review(sim, 'not-a-token');
    assert.notEqual(unknown.authenticated, true);
    assert.ok(unknown.error);
    assert.ok(!JSON.stringify(unknown).includes(token), 'no token in the answer');

    const admin = await review(sim, sim.adminToken);
    assert.equal(admin.authenticated, true);
    assert.equal(admin.user.username, 'admin');

    await sim.clock.advance(11 * 60_000);
    const expired = await review(sim, token);
    assert.notEqual(expired.authenticated, true);
    assert.match(expired.error, /expired/);
    assert.equal((await simRequest(sim, 'GET', `/api/v1/namespaces/${NS}/configmaps`, { token })).status, 401);

    const missingToken = await simRequest(sim, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', { body: JSON.stringify({ spec: {} }) });
    assert.equal(missingToken.status, 422);
  });

  it('stops authenticating a token once its ServiceAccount is deleted (even if one of the same name comes back)', async () => {
    const token = (await k.ok(['create', 'token', 'robot', '-n', NS])).trim();
    assert.equal((await review(sim, token)).authenticated, true);
    await k.ok(['delete', 'sa', 'robot', '-n', NS]);
    const gone = await review(sim, token);
    assert.notEqual(gone.authenticated, true);
    assert.match(gone.error, /deleted/);
    await k.ok(['create', 'serviceaccount', 'robot', '-n', NS]);
    assert.notEqual((await review(sim, token)).authenticated, true, 'a new ServiceAccount of the same name has another uid');
    const r = await k.run(['get', 'configmaps', '-n', NS, '--token', token]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Unauthorized|must be logged in/);
  });

  it('lets a namespace be deleted: its default ServiceAccount and kube-root-ca.crt go and do not come back', async () => {
    await k.ok(['create', 'namespace', 'short-lived']);
    await until(sim, () => !!sim.ctx.store.get(SERVICEACCOUNTS.storage, 'short-lived', 'default') && !!sim.ctx.store.get(CONFIGMAPS.storage, 'short-lived', 'kube-root-ca.crt'), 'defaults created');
    await k.ok(['delete', 'namespace', 'short-lived', '--timeout=60s']);
    assert.equal(sim.ctx.store.get('namespaces', undefined, 'short-lived'), undefined);
    assert.equal(sim.ctx.store.get(SERVICEACCOUNTS.storage, 'short-lived', 'default'), undefined);
    assert.equal(sim.ctx.store.get(CONFIGMAPS.storage, 'short-lived', 'kube-root-ca.crt'), undefined);
  });

  it('binds a token to a pod: it dies with the pod', async () => {
    await k.ok(['run', 'holder', '-n', NS, '--image=nginx:1.27', '--restart=Never']);
    const token = (await k.ok(['create', 'token', 'robot', '-n', NS, '--bound-object-kind=Pod', '--bound-object-name=holder'])).trim();
    const c = claimsOf(token);
    assert.equal(c['kubernetes.io'].pod.name, 'holder');
    const ok = await review(sim, token);
    assert.equal(ok.authenticated, true);
    assert.deepEqual(ok.user.extra['authentication.kubernetes.io/pod-name'], ['holder']);
    await k.ok(['delete', 'pod', 'holder', '-n', NS, '--grace-period=0', '--force']);
    assert.notEqual((await review(sim, token)).authenticated, true);
  });
});
