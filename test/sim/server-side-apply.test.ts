// Server-side apply and metadata.managedFields through the real kubectl:
// who owns which field (FieldsV1), conflicts between managers, taking
// ownership with --force-conflicts, a scale's ownership of replicas, and the
// removal of fields an applier stops specifying.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { simRequest } from '../helpers/http.ts';
import { Kubectl } from '../helpers/kubectl.ts';

const deployment = (name: string, replicas?: number): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: default, labels: {app: ${name}}}
spec:
${replicas === undefined ? '' : `  replicas: ${replicas}\n`}  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}
`;

/** A ConfigMap's applied configuration; empty maps are left out (an empty map given is a field owned). */
const configMap = (name: string, labels: Record<string, string>, data: Record<string, string>): string =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'default', ...(Object.keys(labels).length ? { labels } : {}) },
    ...(Object.keys(data).length ? { data } : {}),
  });

interface Entry {
  manager: string;
  operation: string;
  apiVersion: string;
  time?: string;
  fieldsType: string;
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

const HINT = 'Please review the fields above--they currently have other managers.';

describe('server-side apply and managedFields', () => {
  let sim: Sim;
  let k: Kubectl;
  const managed = async (kind: string, name: string): Promise<Entry[]> =>
    JSON.parse(await k.ok(['get', kind, name, '-o', 'json', '--show-managed-fields'])).metadata.managedFields;
  const entry = (entries: Entry[], manager: string, operation = 'Apply'): Entry | undefined =>
    entries.find((e) => e.manager === manager && e.operation === operation);

  before(async () => {
    sim = await startSim({});
    k = new Kubectl(sim.kubeconfig);
  });
  after(async () => {
    await sim.close();
  });

  it('kubectl apply --server-side records the applier\'s fields in FieldsV1; plain output hides them', async () => {
    await k.ok(['apply', '--server-side', '-f', '-'], deployment('web', 2));
    const entries = await managed('deployment', 'web');
    assert.equal(entries.length, 1);
    const [e] = entries;
    assert.equal(e.manager, 'kubectl');
    assert.equal(e.operation, 'Apply');
    assert.equal(e.apiVersion, 'apps/v1');
    assert.equal(e.fieldsType, 'FieldsV1');
    assert.match(e.time ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(e.subresource, undefined);
    assert.deepEqual(e.fieldsV1, {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"web"}': {
                '.': {},
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
              },
            },
          },
        },
      },
    });
    // kubectl strips them unless asked
    const plain = JSON.parse(await k.ok(['get', 'deployment', 'web', '-o', 'json']));
    assert.equal(plain.metadata.managedFields, undefined);
    assert.doesNotMatch(await k.ok(['get', 'deployment', 'web', '-o', 'yaml']), /managedFields/);
    assert.match(await k.ok(['get', 'deployment', 'web', '-o', 'yaml', '--show-managed-fields']), /managedFields:\n\s+- apiVersion: apps\/v1\n\s+fieldsType: FieldsV1/);
  });

  it('a second manager applying another replicas value conflicts; --force-conflicts takes the field over', async () => {
    const r = await k.run(['apply', '--server-side', '--field-manager=other', '-f', '-'], deployment('web', 3));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Apply failed with 1 conflict: conflict with "kubectl": \.spec\.replicas\n/);
    assert.ok(r.stderr.includes(HINT), r.stderr);
    assert.equal(JSON.parse(await k.ok(['get', 'deployment', 'web', '-o', 'json'])).spec.replicas, 2);

    await k.ok(['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', '-'], deployment('web', 3));
    const live = JSON.parse(await k.ok(['get', 'deployment', 'web', '-o', 'json', '--show-managed-fields']));
    assert.equal(live.spec.replicas, 3);
    const mine = entry(live.metadata.managedFields, 'kubectl')!;
    const theirs = entry(live.metadata.managedFields, 'other')!;
    assert.equal((mine.fieldsV1['f:spec'] as Record<string, unknown>)['f:replicas'], undefined);
    assert.deepEqual((theirs.fieldsV1['f:spec'] as Record<string, unknown>)['f:replicas'], {});
    // the rest of the configuration had the same values: both own it
    assert.deepEqual((mine.fieldsV1['f:spec'] as Record<string, unknown>)['f:selector'], {});
    assert.deepEqual((theirs.fieldsV1['f:spec'] as Record<string, unknown>)['f:selector'], {});
  });

  it('answers a conflict with 409 Conflict and FieldManagerConflict causes on the wire', async () => {
    const res = await simRequest(sim, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/web?fieldManager=third', {
      body: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 7, template: {spec: {containers: [{name: web, image: httpd}]}}}\n',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
    });
    assert.equal(res.status, 409);
    assert.equal(res.body.reason, 'Conflict');
    assert.equal(res.body.code, 409);
    assert.equal(
      res.body.message,
      'Apply failed with 3 conflicts: conflict with "kubectl":\n- .spec.template.spec.containers[name="web"].image\nconflict with "other":\n- .spec.replicas\n- .spec.template.spec.containers[name="web"].image',
    );
    assert.deepEqual(res.body.details.causes, [
      { reason: 'FieldManagerConflict', message: 'conflict with "kubectl"', field: '.spec.template.spec.containers[name="web"].image' },
      { reason: 'FieldManagerConflict', message: 'conflict with "other"', field: '.spec.replicas' },
      { reason: 'FieldManagerConflict', message: 'conflict with "other"', field: '.spec.template.spec.containers[name="web"].image' },
    ]);
  });

  it('kubectl scale owns replicas through /scale: an apply of another value conflicts, one without replicas keeps the scale', async () => {
    await k.ok(['apply', '--server-side', '-f', '-'], deployment('scaled', 2));
    await k.ok(['scale', 'deployment', 'scaled', '--replicas=5']);
    const entries = await managed('deployment', 'scaled');
    const scale = entry(entries, 'kubectl', 'Update')!;
    assert.equal(scale.subresource, 'scale');
    assert.deepEqual(scale.fieldsV1, { 'f:spec': { 'f:replicas': {} } });

    const r = await k.run(['apply', '--server-side', '-f', '-'], deployment('scaled', 2));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps\/v1: \.spec\.replicas/);

    await k.ok(['apply', '--server-side', '-f', '-'], deployment('scaled'));
    const live = JSON.parse(await k.ok(['get', 'deployment', 'scaled', '-o', 'json', '--show-managed-fields']));
    assert.equal(live.spec.replicas, 5);
    assert.equal((entry(live.metadata.managedFields, 'kubectl')!.fieldsV1['f:spec'] as Record<string, unknown>)['f:replicas'], undefined);
  });

  it('re-applying without a field removes it, unless another manager owns it too', async () => {
    await k.ok(['apply', '--server-side', '--field-manager=a', '-f', '-'], configMap('cfg', { app: 'x', tier: 'web' }, { one: '1', two: '2' }));
    await k.ok(['apply', '--server-side', '--field-manager=b', '-f', '-'], configMap('cfg', { app: 'x' }, { two: '2' }));
    await k.ok(['apply', '--server-side', '--field-manager=a', '-f', '-'], configMap('cfg', {}, { one: '1' }));
    const live = JSON.parse(await k.ok(['get', 'configmap', 'cfg', '-o', 'json', '--show-managed-fields']));
    assert.deepEqual(live.metadata.labels, { app: 'x' });
    assert.deepEqual(live.data, { one: '1', two: '2' });
    assert.deepEqual(entry(live.metadata.managedFields, 'a')!.fieldsV1, { 'f:data': { 'f:one': {} } });
    assert.deepEqual(entry(live.metadata.managedFields, 'b')!.fieldsV1, { 'f:data': { 'f:two': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } });

    // b lets go of everything: what it alone owned goes, and so does its entry
    await k.ok(['apply', '--server-side', '--field-manager=b', '-f', '-'], configMap('cfg', {}, {}));
    const after = JSON.parse(await k.ok(['get', 'configmap', 'cfg', '-o', 'json', '--show-managed-fields']));
    assert.deepEqual(after.data, { one: '1' });
    assert.equal(after.metadata.labels, undefined);
    assert.deepEqual(after.metadata.managedFields.map((e: Entry) => e.manager), ['a']);
  });

  it('re-applying without a list item removes the item it owned', async () => {
    const two = deployment('lists', 1).replace(
      '{containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}',
      '{containers: [{name: web, image: nginx, env: [{name: A, value: "1"}, {name: B, value: "2"}]}, {name: side, image: busybox}]}',
    );
    await k.ok(['apply', '--server-side', '-f', '-'], two);
    const one = two.replace(', {name: B, value: "2"}', '').replace(', {name: side, image: busybox}', '');
    await k.ok(['apply', '--server-side', '-f', '-'], one);
    const live = JSON.parse(await k.ok(['get', 'deployment', 'lists', '-o', 'json', '--show-managed-fields']));
    const containers = live.spec.template.spec.containers;
    assert.deepEqual(containers.map((c: { name: string }) => c.name), ['web']);
    assert.deepEqual(containers[0].env, [{ name: 'A', value: '1' }]);
    const owned = JSON.stringify(entry(live.metadata.managedFields, 'kubectl')!.fieldsV1);
    assert.ok(owned.includes('k:{\\"name\\":\\"A\\"}') && !owned.includes('side') && !owned.includes('\\"B\\"'), owned);
  });

  it('an apply that changes nothing is a no-op: same resourceVersion, same time', async () => {
    const before = JSON.parse(await k.ok(['get', 'configmap', 'cfg', '-o', 'json', '--show-managed-fields']));
    await k.ok(['apply', '--server-side', '--field-manager=a', '-f', '-'], configMap('cfg', {}, { one: '1' }));
    const again = JSON.parse(await k.ok(['get', 'configmap', 'cfg', '-o', 'json', '--show-managed-fields']));
    assert.equal(again.metadata.resourceVersion, before.metadata.resourceVersion);
    assert.deepEqual(again.metadata.managedFields, before.metadata.managedFields);
  });

  it('updates are recorded per manager: kubectl create, label and edit-like patches, and /status', async () => {
    await k.ok(['create', 'configmap', 'upd', '--from-literal=k=v']);
    await k.ok(['label', 'configmap', 'upd', 'team=a']);
    let entries = await managed('configmap', 'upd');
    // an update that brings a map owns the map too ("."), as the real field manager records it
    assert.deepEqual(entry(entries, 'kubectl-create', 'Update')!.fieldsV1, { 'f:data': { '.': {}, 'f:k': {} } });
    assert.deepEqual(entry(entries, 'kubectl-label', 'Update')!.fieldsV1, { 'f:metadata': { 'f:labels': { '.': {}, 'f:team': {} } } });
    assert.equal(entry(entries, 'kubectl-label', 'Update')!.apiVersion, 'v1');

    // a manager derived from the User-Agent when the request names none
    const res = await simRequest(sim, 'PATCH', '/api/v1/namespaces/default/configmaps/upd', {
      body: '{"data":{"k":"w"}}',
      headers: { 'Content-Type': 'application/merge-patch+json', 'User-Agent': 'my-tool/1.2 (linux/amd64)' },
    });
    assert.equal(res.status, 200);
    entries = res.body.metadata.managedFields;
    assert.deepEqual(entry(entries, 'my-tool', 'Update')!.fieldsV1, { 'f:data': { 'f:k': {} } });
    // the field moved; kubectl-create keeps the map it brought
    assert.deepEqual(entry(entries, 'kubectl-create', 'Update')!.fieldsV1, { 'f:data': {} });

    // an applier conflicts with an updater, named with its version
    const c = await k.run(['apply', '--server-side', '-f', '-'], configMap('upd', { team: 'b' }, {}));
    assert.match(c.stderr, /Apply failed with 1 conflict: conflict with "kubectl-label" using v1: \.metadata\.labels\.team/);

    // /status writes are their own entries
    await k.ok(['apply', '--server-side', '-f', '-'], deployment('st', 1));
    const st = await simRequest(sim, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/st/status?fieldManager=my-controller', {
      body: '{"status":{"collisionCount":1}}',
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    assert.equal(st.status, 200);
    const status = entry(st.body.metadata.managedFields, 'my-controller', 'Update')!;
    assert.equal(status.subresource, 'status');
    assert.deepEqual(status.fieldsV1, { 'f:status': { 'f:collisionCount': {} } });
  });

  it('kubectl apply --server-side takes over from a client-side apply without conflicts, keeping the annotation current', async () => {
    await k.ok(['apply', '-f', '-'], deployment('upgraded', 2));
    const csa = await managed('deployment', 'upgraded');
    assert.deepEqual(csa.map((e) => `${e.manager}/${e.operation}`), ['kubectl-client-side-apply/Update']);
    // on a real server the conflict on replicas with kubectl-client-side-apply is forgiven: the last-applied configuration set it
    await k.ok(['apply', '--server-side', '-f', '-'], deployment('upgraded', 3));
    const live = JSON.parse(await k.ok(['get', 'deployment', 'upgraded', '-o', 'json', '--show-managed-fields']));
    assert.equal(live.spec.replicas, 3);
    assert.deepEqual((entry(live.metadata.managedFields, 'kubectl')!.fieldsV1['f:spec'] as Record<string, unknown>)['f:replicas'], {});
    assert.equal(JSON.parse(live.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).spec.replicas, 3);
    // another manager gets no such pass
    const other = await k.run(['apply', '--server-side', '--field-manager=someone', '-f', '-'], deployment('upgraded', 4));
    assert.match(other.stderr, /Apply failed with 1 conflict: conflict with "kubectl": \.spec\.replicas/);
  });

  it('custom resources: list-map keys from the CRD schema, conflicts, and an apply through /status owning status', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        scope: 'Namespaced',
        versions: [{
          name: 'v1', served: true, storage: true, subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object', properties: {
            spec: { type: 'object', properties: {
              size: { type: 'integer' },
              items: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['id'], items: { type: 'object', properties: { id: { type: 'string' }, v: { type: 'integer' } } } },
            } },
            status: { type: 'object', properties: { ready: { type: 'boolean' } } },
          } } },
        }],
      },
    };
    assert.equal((await simRequest(sim, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: JSON.stringify(crd) })).status, 201);
    const apply = (path: string, manager: string, body: string) =>
      simRequest(sim, 'PATCH', `/apis/example.com/v1/namespaces/default/widgets/w${path}?fieldManager=${manager}`, {
        body: `apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n${body}`,
        headers: { 'Content-Type': 'application/apply-patch+yaml' },
      });
    const created = await apply('', 'owner', 'spec: {size: 1, items: [{id: a, v: 1}]}\n');
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.metadata.managedFields[0].fieldsV1, { 'f:spec': { 'f:items': { 'k:{"id":"a"}': { '.': {}, 'f:id': {}, 'f:v': {} } }, 'f:size': {} } });
    const clash = await apply('', 'other', 'spec: {items: [{id: a, v: 2}]}\n');
    assert.equal(clash.status, 409);
    assert.equal(clash.body.message, 'Apply failed with 1 conflict: conflict with "owner": .spec.items[id="a"].v');
    const status = await apply('/status', 'ctl', 'status: {ready: true}\n');
    assert.equal(status.status, 200);
    const ctl = status.body.metadata.managedFields.find((e: Entry) => e.manager === 'ctl');
    assert.deepEqual([ctl.operation, ctl.subresource, ctl.fieldsV1], ['Apply', 'status', { 'f:status': { 'f:ready': {} } }]);
    assert.equal(status.body.status.ready, true);
  });

  it('checks the patch options: apply needs a field manager, only apply may force', async () => {
    const noManager = await simRequest(sim, 'PATCH', '/api/v1/namespaces/default/configmaps/cfg', {
      body: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
    });
    assert.equal(noManager.status, 422);
    assert.equal(noManager.body.message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const forced = await simRequest(sim, 'PATCH', '/api/v1/namespaces/default/configmaps/cfg?force=true', {
      body: '{"data":{"x":"y"}}',
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    assert.equal(forced.status, 422);
    assert.equal(forced.body.message, 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    const long = await simRequest(sim, 'POST', `/api/v1/namespaces/default/configmaps?fieldManager=${'m'.repeat(129)}`, {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'long' } }),
    });
    assert.equal(long.status, 422);
    assert.equal(long.body.message, 'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes');
    const odd = await simRequest(sim, 'PATCH', '/api/v1/namespaces/default/configmaps/cfg?fieldManager=a%07b', {
      body: '{"data":{"x":"y"}}',
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    assert.equal(odd.status, 422);
    assert.equal(odd.body.message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "a\\ab": invalid character U+0007 (at position 1)');
  });
});
