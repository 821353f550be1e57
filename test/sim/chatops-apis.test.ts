// What chat commands need from the simulator, served as kube-apiserver
// serves it: pods/log query parameters (tailLines, previous, container,
// sinceSeconds judged on the cluster's clock), SelfSubjectReview answering for
// the impersonated user with one group per Impersonate-Group line, and a
// RoleBinding in a namespace granting `get` on that namespace object.

import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { simRequest } from '../helpers/http.ts';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const LOG = '/api/v1/namespaces/demo/pods/crashloop/log';

/** A POST with headers given as separate lines (node sends one line per array element). */
function postWithHeaderLines(sim: Sim, path: string, headers: Record<string, string | string[]>, body: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      sim.url + path,
      { method: 'POST', ca: sim.caCert, headers: { Authorization: `Bearer ${sim.adminToken}`, 'Content-Type': 'application/json', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('pods/log parameters', () => {
  let sim: Sim;
  before(async () => {
    // a cluster clock a year behind the machine's: --since must follow the cluster's
    sim = await startSim({ clockSpeed: 0, start: new Date(T0), scenario: 'crashloop' });
    await sim.clock.advance(180_000);
  });
  after(() => sim.close());

  it('tailLines keeps the last lines; previous reads the instance before the restart', async () => {
    const all = await simRequest(sim, 'GET', `${LOG}?previous=true`);
    assert.equal(all.status, 200);
    const lines = all.text.trimEnd().split('\n');
    assert.ok(lines.length >= 3, all.text);
    assert.match(lines.at(-1)!, /exiting with status 1/);
    const tail = await simRequest(sim, 'GET', `${LOG}?previous=true&tailLines=2`);
    assert.deepEqual(tail.text.trimEnd().split('\n'), lines.slice(-2));
    const zero = await simRequest(sim, 'GET', `${LOG}?tailLines=0`);
    assert.equal(zero.text, '');
  });

  it('container picks the container and an unknown one is a 400', async () => {
    const named = await simRequest(sim, 'GET', `${LOG}?container=app&previous=true&tailLines=1`);
    assert.equal(named.status, 200);
    const bad = await simRequest(sim, 'GET', `${LOG}?container=nope`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.message, 'container nope is not valid for pod crashloop');
  });

  it('sinceSeconds counts back from the cluster clock, not the machine clock', async () => {
    const stamped = await simRequest(sim, 'GET', `${LOG}?previous=true&timestamps=true`);
    const now = sim.clock.nowMs();
    const entries = stamped.text
      .trimEnd()
      .split('\n')
      .map((l) => ({ t: Date.parse(l.slice(0, l.indexOf(' '))), text: l.slice(l.indexOf(' ') + 1) }));
    // a window that keeps some lines and drops others
    const oldest = Math.min(...entries.map((e) => e.t));
    const since = Math.ceil((now - oldest) / 1000) - 1;
    const expected = entries.filter((e) => e.t >= now - since * 1000).map((e) => e.text);
    assert.ok(expected.length > 0 && expected.length < entries.length, `window ${since}s over ${JSON.stringify(entries)}`);
    const got = await simRequest(sim, 'GET', `${LOG}?previous=true&sinceSeconds=${since}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.text.trimEnd().split('\n'), expected);
  });

  it('refuses sinceSeconds below 1 and sinceSeconds with sinceTime', async () => {
    const zero = await simRequest(sim, 'GET', `${LOG}?sinceSeconds=0`);
    assert.equal(zero.status, 400);
    assert.match(zero.body.message, /sinceSeconds: Invalid value: 0: must be greater than 0/);
    const both = await simRequest(sim, 'GET', `${LOG}?sinceSeconds=5&sinceTime=2025-03-01T10:00:00Z`);
    assert.equal(both.status, 400);
  });
});

describe('SelfSubjectReview', () => {
  let sim: Sim;
  before(async () => {
    sim = await startSim({ clockSpeed: 0, start: new Date(T0), users: [{ name: 'carol', groups: ['ops'] }] });
  });
  after(() => sim.close());

  const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  const path = '/apis/authentication.k8s.io/v1/selfsubjectreviews';

  it('answers with the authenticated user', async () => {
    const r = await simRequest(sim, 'POST', path, { body, token: sim.tokens.get('carol') });
    assert.equal(r.status, 201);
    assert.equal(r.body.kind, 'SelfSubjectReview');
    assert.equal(r.body.metadata.creationTimestamp, '2025-03-01T10:00:00Z');
    assert.deepEqual(r.body.status.userInfo, { username: 'carol', groups: ['ops', 'system:authenticated'] });
  });

  it('answers with the impersonated user, one group per Impersonate-Group line', async () => {
    const r = await postWithHeaderLines(sim, path, { 'Impersonate-User': 'alice@corp', 'Impersonate-Group': ['team-a', 'team b'] }, body);
    assert.equal(r.status, 201);
    assert.deepEqual(r.body.status.userInfo, { username: 'alice@corp', groups: ['team-a', 'team b', 'system:authenticated'] });
  });

  it('reads a comma-joined line as one group name, as kube-apiserver does', async () => {
    const r = await postWithHeaderLines(sim, path, { 'Impersonate-User': 'alice@corp', 'Impersonate-Group': 'team-a, team-b' }, body);
    assert.deepEqual(r.body.status.userInfo.groups, ['team-a, team-b', 'system:authenticated']);
  });

  it('is refused to a user who may not impersonate', async () => {
    const r = await simRequest(sim, 'POST', path, { body, token: sim.tokens.get('carol'), headers: { 'Impersonate-User': 'alice@corp' } });
    assert.equal(r.status, 403);
  });
});

describe('a namespace object is authorized in its own namespace', () => {
  let sim: Sim;
  before(async () => {
    sim = await startSim({ clockSpeed: 0, start: new Date(T0), users: [{ name: 'dana' }] });
    await simRequest(sim, 'POST', '/api/v1/namespaces', { body: JSON.stringify({ metadata: { name: 'team' } }) });
    await simRequest(sim, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings', {
      body: JSON.stringify({
        metadata: { name: 'dana-view' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'dana' }],
      }),
    });
  });
  after(() => sim.close());

  it('view bound in team reads namespaces/team, not other namespaces nor the list', async () => {
    const token = sim.tokens.get('dana');
    assert.equal((await simRequest(sim, 'GET', '/api/v1/namespaces/team', { token })).status, 200);
    const other = await simRequest(sim, 'GET', '/api/v1/namespaces/default', { token });
    assert.equal(other.status, 403);
    assert.equal(other.body.message, 'namespaces "default" is forbidden: User "dana" cannot get resource "namespaces" in API group "" in the namespace "default"');
    assert.equal((await simRequest(sim, 'GET', '/api/v1/namespaces', { token })).status, 403);
  });
});
