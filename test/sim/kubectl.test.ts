// The real kubectl binary against the simulator: if kubectl cannot tell it
// from a real API server for these commands, neither can kubeherald.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { Kubectl, waitForOutput } from '../helpers/kubectl.ts';

const deployment = (image: string, replicas = 2): string => `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ${image}
        ports:
        - containerPort: 80
        env:
        - name: MODE
          value: prod
`;

const crd = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList, shortNames: [wd]}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer, minimum: 1}
              color: {type: string, enum: [red, blue]}
          status:
            type: object
            properties:
              phase: {type: string}
`;

describe('kubectl against the simulator', () => {
  let sim: Sim;
  let k: Kubectl;

  before(async () => {
    // pods become ready after 2 virtual seconds; run the clock 20x so rollouts take ~0.1 s
    sim = await startSim({ clockSpeed: 20, users: [{ name: 'alice', groups: ['developers'] }], bookmarkIntervalMs: 1000 });
    k = new Kubectl(sim.kubeconfig);
  });
  after(async () => {
    await sim.close();
  });

  it('reports the server version and the nodes', async () => {
    const version = JSON.parse(await k.ok(['version', '-o', 'json'])) as { serverVersion: { gitVersion: string } };
    assert.match(version.serverVersion.gitVersion, /^v1\.32\./);
    const nodes = await k.ok(['get', 'nodes', '--no-headers']);
    const lines = nodes.trim().split('\n');
    assert.equal(lines.length, 3);
    for (const l of lines) assert.match(l, /^sim-node-\d\s+Ready\s/);
  });

  it('applies a deployment, waits for the rollout, and re-applies a change', async () => {
    const out = await k.ok(['apply', '-f', '-'], deployment('nginx:1.27'));
    assert.match(out, /namespace\/shop created/);
    assert.match(out, /deployment.apps\/web created/);
    const status = await k.ok(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=60s']);
    assert.match(status, /deployment "web" successfully rolled out/);
    const pods = await k.ok(['get', 'pods', '-n', 'shop', '-l', 'app=web', '--no-headers']);
    assert.equal(pods.trim().split('\n').length, 2);
    assert.match(pods, /1\/1\s+Running\s+0/);

    const again = await k.ok(['apply', '-f', '-'], deployment('nginx:1.28'));
    assert.match(again, /namespace\/shop unchanged/);
    assert.match(again, /deployment.apps\/web configured/);
    await k.ok(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=60s']);
    const dep = JSON.parse(await k.ok(['get', 'deploy', 'web', '-n', 'shop', '-o', 'json']));
    assert.equal(dep.spec.template.spec.containers[0].image, 'nginx:1.28');
    assert.equal(dep.metadata.annotations['deployment.kubernetes.io/revision'], '2');
    assert.equal(dep.status.updatedReplicas, 2);
  });

  it('scales, patches three ways, and restarts a rollout', async () => {
    assert.match(await k.ok(['scale', 'deploy/web', '-n', 'shop', '--replicas=3']), /deployment.apps\/web scaled/);
    await k.ok(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=60s']);
    assert.equal((await k.ok(['get', 'deploy', 'web', '-n', 'shop', '-o', 'jsonpath={.status.readyReplicas}'])).trim(), '3');

    await k.ok(['patch', 'deploy', 'web', '-n', 'shop', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"EXTRA","value":"1"}]}]}}}}']);
    const env = JSON.parse(await k.ok(['get', 'deploy', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.template.spec.containers[0].env}']));
    assert.deepEqual(env.map((e: { name: string }) => e.name).sort(), ['EXTRA', 'MODE'], 'strategic merge keeps MODE and adds EXTRA by name');
    await k.ok(['patch', 'deploy', 'web', '-n', 'shop', '--type=merge', '-p', '{"metadata":{"labels":{"team":"shop"}}}']);
    await k.ok(['patch', 'deploy', 'web', '-n', 'shop', '--type=json', '-p', '[{"op":"replace","path":"/spec/minReadySeconds","value":1}]']);
    const dep = JSON.parse(await k.ok(['get', 'deploy', 'web', '-n', 'shop', '-o', 'json']));
    assert.equal(dep.metadata.labels.team, 'shop');
    assert.equal(dep.spec.minReadySeconds, 1);

    assert.match(await k.ok(['rollout', 'restart', 'deploy/web', '-n', 'shop']), /deployment.apps\/web restarted/);
    await k.ok(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=60s']);
    const restarted = JSON.parse(await k.ok(['get', 'deploy', 'web', '-n', 'shop', '-o', 'json']));
    assert.ok(restarted.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']);
  });

  it('describes a pod with its events and reads its logs', async () => {
    const name = (await k.ok(['get', 'pods', '-n', 'shop', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    const described = await k.ok(['describe', 'pod', name, '-n', 'shop']);
    assert.match(described, /Status:\s+Running/);
    assert.match(described, /Events:/);
    assert.match(described, /Scheduled .*Successfully assigned shop\//);
    const logs = await k.ok(['logs', name, '-n', 'shop']);
    assert.ok(logs.trim().length > 0, 'the running container has printed something');
  });

  it('streams changes with get -w', async () => {
    const watch = k.spawn(['get', 'configmaps', '-n', 'shop', '-w', '--no-headers']);
    try {
      const seen = waitForOutput(watch, (out) => /watched-cm\s+1/.test(out));
      await k.ok(['create', 'configmap', 'watched-cm', '-n', 'shop', '--from-literal=a=b']);
      assert.match(await seen, /watched-cm\s+1/);
    } finally {
      watch.kill();
    }
  });

  it('answers auth can-i for impersonated users from RBAC', async () => {
    assert.equal((await k.run(['auth', 'can-i', 'list', 'pods', '-n', 'shop', '--as', 'alice'])).stdout.trim(), 'no');
    await k.ok(['create', 'rolebinding', 'alice-view', '-n', 'shop', '--clusterrole=view', '--user=alice']);
    assert.equal((await k.ok(['auth', 'can-i', 'list', 'pods', '-n', 'shop', '--as', 'alice'])).trim(), 'yes');
    assert.equal((await k.run(['auth', 'can-i', 'delete', 'pods', '-n', 'shop', '--as', 'alice'])).stdout.trim(), 'no');
    assert.equal((await k.run(['auth', 'can-i', 'list', 'pods', '-n', 'default', '--as', 'alice'])).stdout.trim(), 'no');
    // alice's own token: the RoleBinding lets her read but not scale
    const alice = new Kubectl(sim.kubeconfigFor('alice'));
    assert.match(await alice.ok(['get', 'pods', '-n', 'shop']), /web-/);
    const denied = await alice.run(['scale', 'deploy/web', '-n', 'shop', '--replicas=0']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /User "alice" cannot patch resource "deployments\/scale" in API group "apps" in the namespace "shop"/);
  });

  it('applies a CRD, then custom resources validated by its schema', async () => {
    assert.match(await k.ok(['apply', '-f', '-'], crd), /customresourcedefinition.apiextensions.k8s.io\/widgets.example.com created/);
    const cr = 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1, namespace: shop}\nspec: {size: 3, color: red}\n';
    assert.match(await k.ok(['apply', '-f', '-'], cr), /widget.example.com\/w1 created/);
    const table = await k.ok(['get', 'widgets', '-n', 'shop']);
    // with additionalPrinterColumns the real server prints exactly those after NAME (no implicit AGE)
    assert.match(table, /^NAME\s+SIZE\n/);
    assert.match(table, /w1\s+3\s+/);
    assert.match(await k.ok(['get', 'wd', 'w1', '-n', 'shop', '-o', 'jsonpath={.spec.color}']), /^red$/);
    const bad = await k.run(['apply', '-f', '-'], 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w2, namespace: shop}\nspec: {size: 0, color: green}\n');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /spec.size/);
    assert.match(bad.stderr, /spec.color/);
    const unknown = await k.run(['apply', '-f', '-'], 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w3, namespace: shop}\nspec: {size: 1, shape: round}\n');
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown field "spec.shape"/);
  });

  it('rejects bad objects with the real server errors', async () => {
    const unknown = await k.run(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: shop}\nbogus: 1\n');
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown field "bogus"/);
    const badName = await k.run(['create', 'configmap', 'Bad_Name', '-n', 'shop']);
    assert.notEqual(badName.code, 0);
    assert.match(badName.stderr, /is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    const missing = await k.run(['get', 'pod', 'nope', '-n', 'shop']);
    assert.match(missing.stderr, /pods "nope" not found/);
    const noType = await k.run(['get', 'gizmos']);
    assert.match(noType.stderr, /the server doesn't have a resource type "gizmos"/);
  });

  it('answers a watch from a compacted resourceVersion with a 410 ERROR event', async () => {
    sim.ctx.store.compact();
    const out = await k.ok(['get', '--raw', '/api/v1/namespaces/shop/pods?watch=true&resourceVersion=1&timeoutSeconds=1']);
    const event = JSON.parse(out.trim().split('\n')[0]);
    assert.equal(event.type, 'ERROR');
    assert.equal(event.object.kind, 'Status');
    assert.equal(event.object.code, 410);
    assert.equal(event.object.reason, 'Expired');
    // kube-apiserver's watch cache words it with where its window starts
    assert.equal(event.object.message, `too old resource version: 1 (${sim.ctx.store.watchFloor('pods')})`);
  });

  it('deletes a deployment and its pods go with it', async () => {
    assert.match(await k.ok(['delete', 'deploy', 'web', '-n', 'shop']), /deployment.apps "web" deleted/);
    await k.ok(['wait', '--for=delete', 'pod', '-l', 'app=web', '-n', 'shop', '--timeout=60s']);
    assert.equal((await k.ok(['get', 'pods', '-n', 'shop', '-l', 'app=web', '-o', 'name'])).trim(), '');
  });
});
