// Built-in kinds are decoded into their Go types before anything else, as
// kube-apiserver does: a value of the wrong JSON type is a 400 naming the Go
// struct field, a bad quantity or time aborts with its parser's error, and
// nothing is stored. Through the real kubectl and raw requests.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { builtinResourceTypes } from '../../src/sim/builtins.ts';
import { decodeError } from '../../src/sim/decode.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { simRequest } from '../helpers/http.ts';
import { Kubectl } from '../helpers/kubectl.ts';

const deployment = (replicas: string, name = 'web'): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: default}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: web, image: nginx}]}
`;

describe('type validation of built-in kinds', () => {
  let sim: Sim;
  let k: Kubectl;
  const post = (path: string, body: unknown, contentType = 'application/json') =>
    simRequest(sim, 'POST', path, { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'Content-Type': contentType } });
  const cm = (data: unknown, name = 'c') => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });
  const badRequest = (res: { status: number; body: any }, message: string) => {
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.reason, 'BadRequest');
    assert.equal(res.body.code, 400);
    assert.equal(res.body.message, message);
  };

  before(async () => {
    sim = await startSim({});
    k = new Kubectl(sim.kubeconfig);
  });
  after(async () => {
    await sim.close();
  });

  it('kubectl create of a ConfigMap whose data is a list prints the decode error, and nothing is stored', async () => {
    const r = await k.run(['create', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ndata: [1, 2]\n');
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /Error from server \(BadRequest\): error when creating "STDIN": ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal array into Go struct field ConfigMap\.data of type map\[string\]string/,
    );
    const got = await k.run(['get', 'configmap', 'bad']);
    assert.match(got.stderr, /NotFound/);
  });

  it('kubectl apply of a Pod whose containers is a string, and of a Deployment with replicas "three"', async () => {
    const pod = await k.run(['apply', '-f', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: "x"}\n');
    assert.equal(pod.code, 1);
    assert.match(pod.stderr, /Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field PodSpec\.spec\.containers of type \[\]v1\.Container/);
    const dep = await k.run(['apply', '-f', '-'], deployment('three'));
    assert.equal(dep.code, 1);
    assert.match(dep.stderr, /Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec\.spec\.replicas of type int32/);
  });

  it('names the struct of the innermost field; map keys and list indexes are not part of the path', async () => {
    badRequest(
      await post('/api/v1/namespaces/default/configmaps', cm({ a: 1 })),
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
    );
    badRequest(
      await post('/api/v1/namespaces/default/configmaps', { ...cm({}), metadata: { name: 'c', labels: ['a'] } }),
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type map[string]string',
    );
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 7 }] } };
    badRequest(
      await post('/api/v1/namespaces/default/pods', pod),
      'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number into Go struct field Container.spec.containers.image of type string',
    );
    const dep = JSON.parse(JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 1.5, selector: {}, template: {} } }));
    badRequest(
      await post('/apis/apps/v1/namespaces/default/deployments', dep),
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
    badRequest(
      await post('/apis/apps/v1/namespaces/default/deployments', { ...dep, spec: { ...dep.spec, replicas: 1, paused: 'yes' } }),
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.paused of type bool',
    );
    badRequest(
      await post('/apis/apps/v1/namespaces/default/deployments', { ...dep, spec: { ...dep.spec, replicas: 1, template: 'x' } }),
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.template of type v1.PodTemplateSpec',
    );
  });

  it('YAML bodies fail the same way', async () => {
    badRequest(
      await post('/api/v1/namespaces/default/configmaps', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: y}\ndata: [1]\n', 'application/yaml'),
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal array into Go struct field ConfigMap.data of type map[string]string',
    );
  });

  it('int-or-string takes either, and nothing else', async () => {
    const svc = (targetPort: unknown, name: string) => ({
      apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80, targetPort }] },
    });
    assert.equal((await post('/api/v1/namespaces/default/services', svc('http', 's1'))).status, 201);
    assert.equal((await post('/api/v1/namespaces/default/services', svc(8080, 's2'))).status, 201);
    badRequest(
      await post('/api/v1/namespaces/default/services', svc(true, 's3')),
      'Service in version "v1" cannot be handled as a Service: json: cannot unmarshal bool into Go struct field ServicePort.spec.ports.targetPort of type int32',
    );
  });

  it('quantities and times are parsed, and their parsers\' errors abort the decoding', async () => {
    const pod = (limits: unknown, name: string) => ({
      apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'a', image: 'x', resources: { limits } }] },
    });
    assert.equal((await post('/api/v1/namespaces/default/pods', pod({ cpu: '500m', memory: 2 }, 'q1'))).status, 201);
    badRequest(
      await post('/api/v1/namespaces/default/pods', pod({ cpu: 'lots' }, 'q2')),
      "Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
    badRequest(
      await post('/api/v1/namespaces/default/pods', pod({ cpu: '5Mii' }, 'q3')),
      "Pod in version \"v1\" cannot be handled as a Pod: unable to parse quantity's suffix",
    );
    badRequest(
      await post('/api/v1/namespaces/default/configmaps', { ...cm({}), metadata: { name: 't', creationTimestamp: 'yesterday' } }),
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"',
    );
  });

  it('null means absent wherever it appears', async () => {
    const r = await post('/api/v1/namespaces/default/configmaps', { ...cm(null, 'n'), metadata: { name: 'n', labels: null } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const d = await post('/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'nulls' },
      spec: { replicas: null, selector: { matchLabels: { app: 'n' } }, template: { metadata: { labels: { app: 'n' } }, spec: { containers: [{ name: 'a', image: 'x' }] } } },
    });
    assert.equal(d.status, 201, JSON.stringify(d.body));
    assert.equal(d.body.spec.replicas, 1);
  });

  it('a type error wins over strict field validation; unknown fields alone still fail strictly', async () => {
    badRequest(
      await post('/api/v1/namespaces/default/configmaps?fieldValidation=Strict', { ...cm([1], 's'), foo: 1 }),
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal array into Go struct field ConfigMap.data of type map[string]string',
    );
    badRequest(await post('/api/v1/namespaces/default/configmaps?fieldValidation=Strict', { ...cm({}, 's'), foo: 1 }), 'strict decoding error: unknown field "foo"');
  });

  it('server-side apply rejects undeclared fields whatever fieldValidation says, as structured-merge-diff does', async () => {
    const bad = deployment('1', 'undeclared').replace('spec:\n', 'spec:\n  foo: 1\n');
    const r = await k.run(['apply', '--server-side', '-f', '-'], bad);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error from server: failed to create typed patch object \(default\/undeclared; apps\/v1, Kind=Deployment\): \.spec\.foo: field not declared in schema/);
    const two = await simRequest(sim, 'PATCH', '/api/v1/namespaces/default/configmaps/two?fieldManager=t&fieldValidation=Ignore', {
      body: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: two, bogus: 1}\nextra: true\n',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
    });
    assert.equal(two.status, 500);
    assert.equal(
      two.body.message,
      'failed to create typed patch object (/two; /v1, Kind=ConfigMap): errors:\n  .metadata.bogus: field not declared in schema\n  .extra: field not declared in schema',
    );
  });

  it('updates and patches are type-checked too, leaving the object as it was', async () => {
    await k.ok(['apply', '-f', '-'], deployment('2', 'typed'));
    const path = '/apis/apps/v1/namespaces/default/deployments/typed';
    const live = (await simRequest(sim, 'GET', path)).body;
    const put = await simRequest(sim, 'PUT', path, { body: JSON.stringify({ ...live, spec: { ...live.spec, replicas: 'three' } }) });
    badRequest(put, 'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32');

    const merge = await simRequest(sim, 'PATCH', path, {
      body: '{"spec":{"replicas":"three"}}',
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    assert.equal(merge.status, 422);
    assert.equal(merge.body.reason, 'Invalid');
    assert.match(merge.body.message, /^ "" is invalid: patch: Invalid value: ".*": json: cannot unmarshal string into Go struct field DeploymentSpec\.spec\.replicas of type int32$/s);
    assert.equal(merge.body.details.causes[0].field, 'patch');

    const kp = await k.run(['patch', 'deployment', 'typed', '-p', '{"spec":{"replicas":"three"}}']);
    assert.equal(kp.code, 1);
    // a strategic merge patch goes through the unstructured converter, which words it differently
    assert.match(kp.stderr, /patch: Invalid value: "map\[spec:map\[replicas:three\]\]": unrecognized type: int32/);
    const smp = await simRequest(sim, 'PATCH', path, {
      body: '{"metadata":{"labels":{"n":5}},"spec":{"paused":1}}',
      headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
    });
    assert.equal(smp.status, 422);
    assert.equal(smp.body.message, ' "" is invalid: patch: Invalid value: "map[metadata:map[labels:map[n:5]] spec:map[paused:1]]": cannot convert int64 to string');

    const ssa = await simRequest(sim, 'PATCH', `${path}?fieldManager=t`, {
      body: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: typed}\nspec: {replicas: three}\n',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
    });
    assert.equal(ssa.status, 500);
    assert.equal(ssa.body.message, 'failed to create typed patch object (/typed; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string');

    const scalePut = await simRequest(sim, 'PUT', `${path}/scale`, {
      body: JSON.stringify({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'typed', namespace: 'default' }, spec: { replicas: '4' } }),
    });
    badRequest(scalePut, 'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal string into Go struct field ScaleSpec.spec.replicas of type int32');
    const scalePatch = await simRequest(sim, 'PATCH', `${path}/scale`, {
      body: '{"spec":{"replicas":"4"}}',
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    assert.equal(scalePatch.status, 422);
    assert.match(scalePatch.body.message, /json: cannot unmarshal string into Go struct field ScaleSpec\.spec\.replicas of type int32$/);

    const after = (await simRequest(sim, 'GET', path)).body;
    assert.equal(after.spec.replicas, 2);
    assert.equal(after.metadata.generation, live.metadata.generation);
  });
});

describe('decodeError', () => {
  const schema = builtinResourceTypes().find((t) => t.group === 'apps' && t.resource === 'deployments')!.schema!;
  it('does not hold against a write what the stored object already had, only what changed', () => {
    const stored = { metadata: { name: 'd' }, spec: { replicas: 1 }, status: { replicas: 'odd' } };
    assert.equal(decodeError({ ...stored, spec: { replicas: 2 } }, schema, 'Deployment', stored), undefined);
    assert.equal(
      decodeError({ ...stored, status: { replicas: 'odder' } }, schema, 'Deployment', stored)?.message,
      'json: cannot unmarshal string into Go struct field DeploymentStatus.status.replicas of type int32',
    );
    assert.equal(
      decodeError(stored, schema, 'Deployment')?.message,
      'json: cannot unmarshal string into Go struct field DeploymentStatus.status.replicas of type int32',
    );
  });

  it('reports the first type error in document order, but a failing quantity aborts at once', () => {
    const pod = builtinResourceTypes().find((t) => t.group === '' && t.resource === 'pods')!.schema!;
    const obj = { spec: { hostname: 1, containers: [{ name: 'a', resources: { limits: { cpu: 'x' } } }] } };
    assert.equal(decodeError(obj, pod, 'Pod')?.message, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    const twoTypes = { spec: { hostname: 1, subdomain: true } };
    assert.equal(decodeError(twoTypes, pod, 'Pod')?.message, 'json: cannot unmarshal number into Go struct field PodSpec.spec.hostname of type string');
  });
});
