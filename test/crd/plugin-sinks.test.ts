// Sink and ClusterSink of type plugin: what the schema accepts, what it
// refuses and at which field, the CRD's schema for the new fields, and the
// API server (the simulator, through real kubectl) refusing what the
// structural schema can say.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { crdManifests } from '../../src/crd/manifests.ts';
import { deliveryOf, platformOf, sinkSpecSchema, validateSpec } from '../../src/crd/schemas.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { isCredentialOptionKey } from '../../src/sinks/plugin/config.ts';
import { Kubectl } from '../helpers/kubectl.ts';

const CRD_DIR = join(import.meta.dirname, '..', '..', 'deploy', 'crds');
const ref = { secretKeyRef: { name: 's', key: 'k' } };

const problems = (spec: unknown): string[] => {
  const r = validateSpec(sinkSpecSchema, spec);
  return r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.message}`);
};

describe('plugin Sink spec', () => {
  test('accepted: plugin type, target.name, open options, delivery; the value as written', () => {
    const spec = { type: 'plugin', plugin: 'slack', target: { name: '#ops' }, options: { threads: false, nested: { a: [1, 'two'] } }, delivery: { rateLimitPerMinute: 10, groupWaitSeconds: 0 } };
    assert.deepEqual(validateSpec(sinkSpecSchema, spec), { ok: true, value: spec });
    assert.deepEqual(validateSpec(sinkSpecSchema, { type: 'plugin', plugin: 'my-pager' }), { ok: true, value: { type: 'plugin', plugin: 'my-pager' } });
  });

  test('plugin is required for type plugin and must be a DNS-1123 label', () => {
    assert.deepEqual(problems({ type: 'plugin' }), ['spec.plugin: required for a plugin sink: the plugin type (slack, webhook …)']);
    assert.deepEqual(problems({ type: 'plugin', plugin: 'Slack' }), ['spec.plugin: expected a plugin type (a DNS-1123 label: lowercase letters, digits and "-")']);
    assert.deepEqual(problems({ type: 'plugin', plugin: `a${'b'.repeat(63)}` }), ['spec.plugin: Too big: expected string to have <=63 characters']);
  });

  test('plugin, options and target.name are refused for the other types', () => {
    assert.deepEqual(problems({ type: 'webhook', plugin: 'webhook', target: { url: 'https://x.example/h', name: 'x' }, options: { template: '' } }), [
      'spec.plugin: not used by a webhook sink (only with type: plugin)',
      'spec.options: not used by a webhook sink (only with type: plugin)',
      'spec.target.name: not used by a webhook sink',
    ]);
  });

  test('the other types’ target fields are refused for a plugin sink, pointing at target.name', () => {
    assert.deepEqual(problems({ type: 'plugin', plugin: 'slack', target: { channel: '#ops' } }), ['spec.target.channel: not used by a plugin sink: target.name says where, whatever the platform']);
    assert.deepEqual(problems({ type: 'plugin', plugin: 'slack', target: { name: '' } }), ['spec.target.name: Too small: expected string to have >=1 characters']);
  });

  test('credentials are refused as a whole: they belong to the plugin', () => {
    const msg = "spec.credentials: not allowed for a plugin sink: credentials belong to the plugin's own Secret (its environment or files), never to kubeherald";
    assert.deepEqual(problems({ type: 'plugin', plugin: 'slack', credentials: { token: ref } }), [msg]);
    assert.deepEqual(problems({ type: 'plugin', plugin: 'slack', credentials: {} }), [msg]);
    // an inline value is still named at its own field as well
    assert.deepEqual(problems({ type: 'plugin', plugin: 'slack', credentials: { token: { value: 'xoxb-1' } } }), [
      'spec.credentials.token.value: inline secret values are not allowed: credentials are read from Secrets only (secretKeyRef: {name, key})',
      msg,
    ]);
  });

  test('options that look like credentials, or are kubeherald’s own, are refused at their key', () => {
    const cred = "looks like a credential: credentials belong to the plugin's own Secret, and options are sent with every delivery";
    assert.deepEqual(problems({ type: 'plugin', plugin: 'slack', options: { tokenFrom: { env: 'T' }, threads: true, apiKey: 'x', Password: 'p', delivery: { concurrency: 2 } } }), [
      `spec.options.tokenFrom: ${cred}`,
      `spec.options.apiKey: ${cred}`,
      `spec.options.Password: ${cred}`,
      'spec.options.delivery: set by kubeherald, not the plugin: use spec.delivery',
    ]);
    // the same check as a config file's plugin sink
    for (const k of ['tokenFrom', 'apiKey', 'Password', 'signingSecret', 'botToken']) assert.equal(isCredentialOptionKey(k), true, k);
    for (const k of ['threads', 'template', 'channel', 'keys']) assert.equal(isCredentialOptionKey(k), false, k);
  });

  test('delivery: the plugin platform’s rules, a record platform’s included', () => {
    assert.equal(platformOf({ type: 'plugin', plugin: 'dingtalk' }), 'dingtalk');
    assert.equal(platformOf({ type: 'teams' }), 'teams');
    assert.deepEqual(deliveryOf({ type: 'plugin', plugin: 'dingtalk' }), {}, 'the defaults are the pipeline’s, by platform');
    const problems = (spec: unknown) => {
      const r = validateSpec(sinkSpecSchema, spec);
      return r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.message}`);
    };
    assert.deepEqual(problems({ type: 'plugin', plugin: 'webhook', delivery: { floodWindowSeconds: 60 } }), [
      'spec.delivery.floodWindowSeconds: a webhook sink never groups or folds: every notification is a record, delivered on its own at once; remove it',
    ]);
    assert.deepEqual(problems({ type: 'plugin', plugin: 'pager', delivery: { floodWindowSeconds: 60, groupWaitSeconds: 5 } }), []);
  });
});

describe('CRD schema', () => {
  test('type plugin, plugin as a label pattern, target.name, options open', () => {
    for (const crd of crdManifests() as Record<string, any>[]) {
      if (!crd.spec.names.kind.endsWith('Sink')) continue;
      const spec = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec;
      assert.equal(spec.properties.type.enum.at(-1), 'plugin');
      assert.deepEqual({ ...spec.properties.plugin, description: undefined }, { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', description: undefined });
      assert.deepEqual({ ...spec.properties.target.properties.name, description: undefined }, { type: 'string', minLength: 1, maxLength: 1024, description: undefined });
      assert.deepEqual({ ...spec.properties.options, description: undefined }, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, description: undefined });
    }
  });
});

describe('kubectl against the simulator', () => {
  let sim: Sim;
  let kubectl: Kubectl;
  before(async () => {
    sim = await startSim({ clockSpeed: 0 });
    kubectl = new Kubectl(sim.kubeconfig);
    await kubectl.ok(['apply', '-k', CRD_DIR]);
  });
  after(() => sim?.close());

  test('the API server keeps nested options and refuses a plugin type that is not a label', async () => {
    await kubectl.ok(['apply', '-f', '-'], 'apiVersion: kubeherald.io/v1alpha1\nkind: ClusterSink\nmetadata: {name: relay}\nspec: {type: plugin, plugin: webhook, target: {name: x}, options: {template: "{}", deep: {list: [1, {a: b}]}}}\n');
    const o = JSON.parse(await kubectl.ok(['get', 'clustersink', 'relay', '-o', 'json'])) as { spec: unknown };
    assert.deepEqual(o.spec, { type: 'plugin', plugin: 'webhook', target: { name: 'x' }, options: { template: '{}', deep: { list: [1, { a: 'b' }] } } });
    const bad = await kubectl.run(['apply', '-f', '-'], 'apiVersion: kubeherald.io/v1alpha1\nkind: ClusterSink\nmetadata: {name: bad}\nspec: {type: plugin, plugin: Web_Hook}\n');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /spec\.plugin/);
  });
});
