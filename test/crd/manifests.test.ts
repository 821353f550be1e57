// The CRD manifests: generated from the zod schemas, structural, with
// printer columns and the status subresource; the committed YAML is what the
// generator writes; real kubectl applies them to the simulator and then
// creates and lists the kinds.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { crdFiles, crdManifests } from '../../src/crd/manifests.ts';
import { structuralSchema } from '../../src/crd/openapi.ts';
import { validateSpec, sinkSpecSchema, routeSpecSchema, deliveryOf } from '../../src/crd/schemas.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { validateCRD } from '../../src/sim/validation.ts';
import type { KObject } from '../../src/sim/types.ts';
import { Kubectl } from '../helpers/kubectl.ts';
import { z } from 'zod';

const CRD_DIR = join(import.meta.dirname, '..', '..', 'deploy', 'crds');

type Node = Record<string, any>;

/** Every schema node with its path. */
function* walk(node: Node, path = ''): Generator<[string, Node]> {
  yield [path, node];
  for (const [k, v] of Object.entries(node.properties ?? {})) yield* walk(v as Node, `${path}.${k}`);
  if (node.items) yield* walk(node.items, `${path}[]`);
  if (typeof node.additionalProperties === 'object') yield* walk(node.additionalProperties, `${path}.*`);
}

describe('CRD manifests', () => {
  const crds = crdManifests() as Node[];

  test('seven kinds in kubeherald.io/v1alpha1, with the scopes the tenancy model needs', () => {
    assert.deepEqual(
      crds.map((c) => [c.metadata.name, c.spec.names.kind, c.spec.scope]),
      [
        ['sinks.kubeherald.io', 'Sink', 'Namespaced'],
        ['clustersinks.kubeherald.io', 'ClusterSink', 'Cluster'],
        ['routes.kubeherald.io', 'Route', 'Namespaced'],
        ['clusterroutes.kubeherald.io', 'ClusterRoute', 'Cluster'],
        ['chatidentities.kubeherald.io', 'ChatIdentity', 'Cluster'],
        ['chatpolicies.kubeherald.io', 'ChatPolicy', 'Namespaced'],
        ['clusterchatpolicies.kubeherald.io', 'ClusterChatPolicy', 'Cluster'],
        ['silences.kubeherald.io', 'Silence', 'Namespaced'],
        ['clustersilences.kubeherald.io', 'ClusterSilence', 'Cluster'],
      ],
    );
    for (const c of crds) {
      assert.equal(c.spec.versions.length, 1);
      assert.equal(c.spec.versions[0].name, 'v1alpha1');
      assert.deepEqual(c.spec.versions[0].subresources, { status: {} });
    }
  });

  test('the API server (as the simulator models it) accepts them as structural', () => {
    for (const c of crds) assert.deepEqual(validateCRD(c as KObject), [], c.metadata.name);
  });

  test('structural: no $ref, a type on every node, unknown fields kept only on credentials and plugin options', () => {
    for (const c of crds) {
      const text = JSON.stringify(c);
      assert.equal(text.includes('$ref'), false);
      assert.equal(text.includes('additionalProperties":false'), false);
      const preserved: string[] = [];
      for (const [path, node] of walk(c.spec.versions[0].schema.openAPIV3Schema)) {
        assert.ok(node.type || node['x-kubernetes-preserve-unknown-fields'], `${c.metadata.name} ${path}: no type`);
        assert.equal(node.type === undefined, false, `${path}: no type`);
        for (const k of ['anyOf', 'oneOf', 'allOf', 'const', '$schema', 'propertyNames']) assert.equal(k in node, false, `${path}: ${k}`);
        if (node['x-kubernetes-preserve-unknown-fields']) preserved.push(path);
      }
      const expected = c.spec.names.kind.endsWith('Sink') ? ['.spec.options', ...['token', 'webhookUrl', 'signingSecret', 'apiKey', 'username', 'password'].map((k) => `.spec.credentials.${k}`)] : [];
      assert.deepEqual(preserved, expected, c.metadata.name);
    }
  });

  test('conditions are a map list keyed by type; metadata is left to the server', () => {
    for (const c of crds) {
      const root = c.spec.versions[0].schema.openAPIV3Schema;
      assert.deepEqual(root.properties.metadata, { type: 'object' });
      assert.deepEqual(root.required, ['spec']);
      const conds = root.properties.status.properties.conditions;
      assert.equal(conds['x-kubernetes-list-type'], 'map');
      assert.deepEqual(conds['x-kubernetes-list-map-keys'], ['type']);
      assert.deepEqual(conds.items.required, ['type', 'status', 'lastTransitionTime', 'reason', 'message']);
    }
  });

  test('printer columns: Sinks/Ready/Age for routes, Type/Ready/Age for sinks; the rest at priority 1', () => {
    const cols = (kind: string) =>
      crds.find((c) => c.spec.names.kind === kind)!.spec.versions[0].additionalPrinterColumns.map((p: Node) => `${p.name}${p.priority ? '*' : ''}=${p.jsonPath}`);
    const ready = '.status.conditions[?(@.type=="Ready")]';
    assert.deepEqual(cols('Route'), [
      'Sinks=.status.sinks',
      `Ready=${ready}.status`,
      `Reason*=${ready}.reason`,
      'Order*=.spec.order',
      'Matched*=.status.matched',
      'Delivered*=.status.delivered',
      'Age=.metadata.creationTimestamp',
    ]);
    assert.deepEqual(cols('ClusterSink'), ['Type=.spec.type', 'Plugin*=.spec.plugin', `Ready=${ready}.status`, `Reason*=${ready}.reason`, 'Delivered*=.status.delivered', 'Age=.metadata.creationTimestamp']);
    assert.deepEqual(cols('ChatIdentity'), [
      'Platform=.spec.platform',
      'User=.spec.user',
      'Email=.spec.email',
      'Kubernetes User=.spec.kubernetes.user',
      'Groups*=.spec.kubernetes.groups',
      `Ready=${ready}.status`,
      `Reason*=${ready}.reason`,
      'Age=.metadata.creationTimestamp',
    ]);
    assert.deepEqual(cols('ChatPolicy'), ['Commands=.spec.commands', 'Approvals=.spec.approvals', `Ready=${ready}.status`, `Reason*=${ready}.reason`, 'Age=.metadata.creationTimestamp']);
    assert.deepEqual(cols('ClusterChatPolicy'), ['Commands=.spec.commands', 'Namespaces=.spec.namespaces', 'Approvals=.spec.approvals', `Ready=${ready}.status`, `Reason*=${ready}.reason`, 'Age=.metadata.creationTimestamp']);
  });

  test('the committed deploy/crds/ is what `npm run generate:crds` writes', () => {
    const files = crdFiles();
    assert.deepEqual(readdirSync(CRD_DIR).sort(), [...files.keys()].sort(), 'run `npm run generate:crds`');
    for (const [name, text] of files) assert.equal(readFileSync(join(CRD_DIR, name), 'utf8'), text, `deploy/crds/${name} is stale: run \`npm run generate:crds\``);
    assert.deepEqual(parse(files.get('routes.kubeherald.io.yaml')!), crds[2]);
  });

  test('the converter refuses what cannot be structural, naming the path', () => {
    assert.throws(() => structuralSchema(z.strictObject({ a: z.union([z.string(), z.number()]) })), /^Error: \.a: anyOf with types is not structural/);
    assert.throws(() => structuralSchema(z.strictObject({ a: z.any() })), /^Error: \.a: no type/);
    assert.deepEqual(structuralSchema(z.strictObject({ a: z.union([z.literal('x'), z.literal('y')]), n: z.number().int() })), {
      type: 'object',
      properties: { a: { type: 'string', enum: ['x', 'y'] }, n: { type: 'integer' } },
      required: ['a', 'n'],
    });
  });
});

describe('spec validation', () => {
  test('a credential is only a secretKeyRef: an inline value names its field', () => {
    const r = validateSpec(sinkSpecSchema, { type: 'slack', target: { channel: '#x' }, credentials: { token: { value: 'xoxb-1', secretKeyRef: { name: 's', key: 'k' } } } });
    assert.deepEqual(r, {
      ok: false,
      problems: [{ field: 'spec.credentials.token.value', message: 'inline secret values are not allowed: credentials are read from Secrets only (secretKeyRef: {name, key})' }],
    });
  });

  test('per-type rules name the field', () => {
    const problems = (spec: unknown) => {
      const r = validateSpec(sinkSpecSchema, spec);
      return r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.message}`);
    };
    const ref = { secretKeyRef: { name: 's', key: 'k' } };
    assert.deepEqual(problems({ type: 'telegram', credentials: { token: ref } }), ['spec.target.chatId: required for a telegram sink']);
    assert.deepEqual(problems({ type: 'slack', credentials: { token: ref } }), ['spec.target.channel: required with a bot token: the channel ID (C0123ABCD) or name (#alerts)']);
    assert.deepEqual(problems({ type: 'slack', credentials: { token: ref, webhookUrl: ref }, target: { channel: '#a' } }), [
      'spec.credentials: expected one of token or webhookUrl, not several',
      'spec.target.channel: not used with webhookUrl: an incoming webhook posts to the channel it was created for',
    ]);
    assert.deepEqual(problems({ type: 'console', target: { url: 'https://x.example' } }), ['spec.target.url: not used by a console sink']);
    assert.deepEqual(problems({ type: 'elasticsearch', target: { url: 'https://es:9200' }, credentials: { username: ref } }), ['spec.credentials.password: required with username']);
    assert.deepEqual(problems({ type: 'webhook', target: { url: 'https://user:pw@x.example/hook' } }), ['spec.target.url: expected an http(s) URL without credentials in it']);
    assert.deepEqual(problems({ type: 'console', colour: 'red' }), ['spec.colour: unknown field']);
    assert.deepEqual(problems({ type: 'elasticsearch', target: { url: 'https://es:9200' } }), []);
  });

  test('routes: sinks or drop, never both or neither', () => {
    const problems = (spec: unknown) => {
      const r = validateSpec(routeSpecSchema, spec);
      return r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.message}`);
    };
    assert.deepEqual(problems({ match: { reasons: ['OOMKilled'] } }), ['spec.sinks: required: at least one sink (or drop: true)']);
    assert.deepEqual(problems({ drop: true, sinks: [{ name: 'a' }] }), ['spec.sinks: a drop route delivers nothing: remove sinks, or drop']);
    assert.deepEqual(problems({ sinks: [{ name: 'A_B' }] }), ['spec.sinks[0].name: expected a Kubernetes object name (lowercase letters, digits, "-" and ".")']);
    assert.deepEqual(problems({ sinks: [{ name: 'a' }], match: { severities: ['fatal'] } }), ['spec.match.severities[0]: Invalid option: expected one of "critical"|"warning"|"info"']);
  });

  test('delivery: what the Sink sets, the rest the pipeline’s by type; unused keys refused by name', () => {
    assert.equal(deliveryOf({ type: 'telegram' }).rateLimitPerMinute, undefined);
    assert.deepEqual(deliveryOf({ type: 'slack', delivery: { rateLimitPerMinute: 10 } }), { rateLimitPerMinute: 10 });
    const problems = (spec: unknown) => {
      const r = validateSpec(sinkSpecSchema, spec);
      return r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.message}`);
    };
    const slack = { type: 'slack', target: { channel: 'C1' }, credentials: { token: { secretKeyRef: { name: 's', key: 't' } } } };
    assert.deepEqual(problems({ ...slack, delivery: { burst: 5, floodThreshold: 20 } }), [
      'spec.delivery.burst: not supported: kubeherald does not use it, so it is refused rather than ignored',
      'spec.delivery.floodThreshold: not supported: kubeherald does not use it, so it is refused rather than ignored',
    ]);
    assert.deepEqual(problems({ ...slack, delivery: { groupWaitSeconds: 0, floodWindowSeconds: 300 } }), [
      'spec.delivery.floodWindowSeconds: flood control folds a notification into the group of the first of its kind, and this sink groups nothing: set floodWindowSeconds: 0, or group',
    ]);
    assert.deepEqual(problems({ type: 'elasticsearch', target: { url: 'https://es:9200' }, delivery: { groupWaitSeconds: 10 } }), [
      'spec.delivery.groupWaitSeconds: an elasticsearch sink never groups or folds: every notification is a record, delivered on its own at once; remove it',
    ]);
    assert.deepEqual(problems({ ...slack, delivery: { groupWaitSeconds: 30, floodWindowSeconds: 300, rateLimitPerMinute: 20 } }), []);
  });
});

describe('kubectl against the simulator', () => {
  let sim: Sim;
  let kubectl: Kubectl;
  before(async () => {
    sim = await startSim({ clockSpeed: 0 });
    kubectl = new Kubectl(sim.kubeconfig);
  });
  after(() => sim?.close());

  test('applies the CRDs, creates each kind, lists them with the printer columns, rejects what the schema forbids', async () => {
    const applied = await kubectl.ok(['apply', '-k', CRD_DIR]);
    assert.equal(applied.trim().split('\n').length, 9, applied);
    await kubectl.ok(['create', 'namespace', 'shop']);
    await kubectl.ok(
      ['apply', '-f', '-'],
      `
apiVersion: kubeherald.io/v1alpha1
kind: Sink
metadata: {name: deploys, namespace: shop}
spec:
  type: slack
  target: {channel: "#deploys"}
  credentials:
    token: {secretKeyRef: {name: slack, key: token}}
---
apiVersion: kubeherald.io/v1alpha1
kind: Route
metadata: {name: rollouts, namespace: shop}
spec:
  match: {kinds: [Deployment], reasons: [RolloutCompleted]}
  sinks: [{name: deploys}]
---
apiVersion: kubeherald.io/v1alpha1
kind: ClusterSink
metadata: {name: es}
spec: {type: elasticsearch, target: {url: "https://es.example:9200"}}
---
apiVersion: kubeherald.io/v1alpha1
kind: ClusterRoute
metadata: {name: everything}
spec: {sinks: [{name: es, kind: ClusterSink}], continue: true, order: -10}
`,
    );
    const sinks = await kubectl.ok(['get', 'sinks', '-n', 'shop']);
    assert.match(sinks, /^NAME\s+TYPE\s+READY\s+AGE\n/);
    assert.match(sinks, /\ndeploys\s+slack\s+/);
    const routes = await kubectl.ok(['get', 'clusterroutes', '-o', 'wide']);
    assert.match(routes, /^NAME\s+SINKS\s+READY\s+REASON\s+ORDER\s+MATCHED\s+DELIVERED\s+AGE\n/);
    // no status yet (no controller here): the status columns are empty
    assert.match(routes, /\neverything\s+-10\s+\d+s\n$/);
    assert.match(await kubectl.ok(['get', 'hroute', '-n', 'shop', '-o', 'name']), /^route\.kubeherald\.io\/rollouts\n$/);

    // an unknown field and a bad enum are refused by the API server itself
    const bad = await kubectl.run(['apply', '-f', '-'], `apiVersion: kubeherald.io/v1alpha1\nkind: Sink\nmetadata: {name: bad, namespace: shop}\nspec: {type: pager, colour: red}\n`);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /spec\.colour|unknown field/);
  });
});
