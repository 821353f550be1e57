// Raw HTTP against the simulator: the status codes and Status reasons the
// real API server answers bad input with, and the simulator never crashing.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { simRequest } from '../helpers/http.ts';

describe('API server: bad input', () => {
  let sim: Sim;
  const call = (method: string, path: string, body?: string, contentType = 'application/json') =>
    simRequest(sim, method, path, { body, headers: body !== undefined ? { 'Content-Type': contentType } : {} });

  before(async () => {
    sim = await startSim({ clockSpeed: 0 });
  });
  after(() => sim.close());

  const cases: [string, string, string, string | undefined, number, string, RegExp?][] = [
    ['malformed JSON', 'POST', '/api/v1/namespaces/default/configmaps', '{"metadata": ', 400, 'BadRequest'],
    ['malformed YAML', 'POST', '/api/v1/namespaces/default/configmaps', 'a: [b', 400, 'BadRequest'],
    ['wrong kind in body', 'POST', '/api/v1/namespaces/default/configmaps', '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}', 400, 'BadRequest', /does not match the expected kind/],
    ['namespace mismatch', 'POST', '/api/v1/namespaces/default/configmaps', '{"metadata":{"name":"x","namespace":"other"}}', 400, 'BadRequest', /does not match the namespace/],
    ['invalid name', 'POST', '/api/v1/namespaces/default/configmaps', '{"metadata":{"name":"UPPER"}}', 422, 'Invalid', /RFC 1123/],
    ['missing name', 'POST', '/api/v1/namespaces/default/configmaps', '{"metadata":{}}', 422, 'Invalid', /name or generateName is required/],
    ['pod without containers', 'POST', '/api/v1/namespaces/default/pods', '{"metadata":{"name":"p"},"spec":{"containers":[]}}', 422, 'Invalid', /spec.containers: Required value/],
    ['missing namespace', 'POST', '/api/v1/namespaces/nope/configmaps', '{"metadata":{"name":"x"}}', 404, 'NotFound', /namespaces "nope" not found/],
    ['unknown resource', 'GET', '/api/v1/gizmos', undefined, 404, 'NotFound'],
    ['unknown group', 'GET', '/apis/nope.io/v1/things', undefined, 404, 'NotFound'],
    ['wrong verb', 'POST', '/api/v1/namespaces/default/configmaps/x', '{}', 405, 'MethodNotAllowed'],
    ['unsupported field selector', 'GET', '/api/v1/pods?fieldSelector=spec.bogus%3Dx', undefined, 400, 'BadRequest', /field label not supported: spec.bogus/],
    ['bad label selector', 'GET', '/api/v1/pods?labelSelector=a%20in%20(', undefined, 400, 'BadRequest'],
    ['bad patch type', 'PATCH', '/api/v1/namespaces/default', '{}', 415, 'UnsupportedMediaType'],
    ['strict unknown field', 'POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', '{"metadata":{"name":"s"},"bogus":1}', 400, 'BadRequest', /unknown field "bogus"/],
    ['bad continue token', 'GET', '/api/v1/pods?limit=1&continue=garbage', undefined, 400, 'BadRequest', /continue key is not valid/],
  ];
  for (const [name, method, path, body, status, reason, message] of cases) {
    it(`${name} → ${status} ${reason}`, async () => {
      const r = await call(method, path, body, name === 'bad patch type' ? 'application/xml' : name === 'malformed YAML' ? 'application/yaml' : 'application/json');
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.kind, 'Status');
      assert.equal(r.body.reason, reason);
      assert.equal(r.body.code, status);
      if (message) assert.match(r.body.message, message);
    });
  }

  it('422 carries one cause per bad field', async () => {
    const r = await call('POST', '/apis/apps/v1/namespaces/default/deployments', JSON.stringify({
      metadata: { name: 'd' },
      spec: { replicas: -1, selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'c' }] } } },
    }));
    assert.equal(r.status, 422);
    const fields = r.body.details.causes.map((c: { field: string }) => c.field).sort();
    assert.deepEqual(fields, ['spec.replicas', 'spec.template.metadata.labels', 'spec.template.spec.containers[0].image']);
  });

  it('warns about and drops unknown fields by default', async () => {
    const r = await call('POST', '/api/v1/namespaces/default/configmaps', '{"metadata":{"name":"warned"},"bogus":1,"data":{"a":"b"}}');
    assert.equal(r.status, 201);
    assert.match(String(r.headers.warning ?? ''), /unknown field \\"bogus\\"/);
    assert.equal(r.body.bogus, undefined);
    assert.deepEqual(r.body.data, { a: 'b' });
  });

  it('update with a stale resourceVersion is a 409 Conflict; dryRun changes nothing', async () => {
    const created = await call('POST', '/api/v1/namespaces/default/configmaps', '{"metadata":{"name":"cas"},"data":{"v":"1"}}');
    const stale = created.body.metadata.resourceVersion;
    assert.equal((await call('PUT', '/api/v1/namespaces/default/configmaps/cas', JSON.stringify({ ...created.body, data: { v: '2' } }))).status, 200);
    const second = await call('PUT', '/api/v1/namespaces/default/configmaps/cas', JSON.stringify({ ...created.body, data: { v: '3' } }));
    assert.equal(second.status, 409);
    assert.equal(second.body.reason, 'Conflict');
    const dry = await call('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', '{"metadata":{"name":"dry"}}');
    assert.equal(dry.status, 201);
    assert.equal((await call('GET', '/api/v1/namespaces/default/configmaps/dry')).status, 404);
    assert.notEqual(stale, second.body.metadata?.resourceVersion);
  });

  it('serves discovery, aggregated discovery and OpenAPI v3', async () => {
    const groups = await call('GET', '/apis');
    assert.ok(groups.body.groups.some((g: { name: string }) => g.name === 'apps'));
    const agg = await simRequest(sim, 'GET', '/apis', { headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' } });
    assert.match(String(agg.headers['content-type']), /as=APIGroupDiscoveryList/);
    assert.ok(agg.body.items.some((g: { metadata: { name: string } }) => g.metadata.name === 'apps'));
    const core = await call('GET', '/api/v1');
    assert.ok(core.body.resources.some((r: { name: string }) => r.name === 'pods/log'));
    const index = await call('GET', '/openapi/v3');
    assert.ok(index.body.paths['apis/apps/v1'].serverRelativeURL.startsWith('/openapi/v3/apis/apps/v1?hash='));
  });

  it('survives garbage', async () => {
    for (const path of ['/api/v1/namespaces/%', '/apis/x', '/api/v1/namespaces/default/pods/x/y/z/w', '/%%%']) {
      const r = await simRequest(sim, 'GET', path);
      assert.ok(r.status >= 400 && r.status < 500, `${path} → ${r.status}`);
    }
    assert.equal((await call('GET', '/version')).status, 200);
  });
});
