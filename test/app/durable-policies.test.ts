// The delivery policy of each routing id, as the running product resolves it.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { routingPolicies } from '../../src/app/durable.ts';
import { parseConfigText } from '../../src/config/index.ts';
import { sinkSpecSchema } from '../../src/crd/schemas.ts';
import { PLATFORM_RATE_LIMITS } from '../../src/pipeline/config.ts';

const config = parseConfigText(
  `
delivery: { repeatIntervalSeconds: 3600 }
sinks:
  - { name: ops, type: plugin, plugin: slack, target: "#ops" }
  - { name: hook, type: plugin, plugin: webhook, delivery: { repeatIntervalSeconds: 0, backoff: { baseSeconds: 2 } } }
  - { name: out, type: console }
`,
  'k.yaml',
);
const policies = routingPolicies({ config: () => config, resolved: () => undefined, typeOf: () => undefined });

describe('routingPolicies', () => {
  test('a plugin sink keeps to the rate limits of its plugin type', () => {
    assert.deepEqual(policies.forSink('config/ops').rateLimits, PLATFORM_RATE_LIMITS.slack);
    assert.deepEqual(policies.forSink('config/hook').rateLimits, []);
  });

  test('a plugin Sink custom resource keeps to the rate limits of its plugin type too; its own rateLimitPerMinute wins', () => {
    const specs: Record<string, unknown> = {
      'ClusterSink/ops-chat': { type: 'plugin', plugin: 'telegram' },
      'Sink/shop/relay': { type: 'plugin', plugin: 'my-pager' },
      'Sink/shop/slow': { type: 'plugin', plugin: 'slack', delivery: { rateLimitPerMinute: 6 } },
      'Sink/shop/direct': { type: 'dingtalk', credentials: { webhookUrl: { secretKeyRef: { name: 'd', key: 'url' } } } },
    };
    const crs = routingPolicies({ config: () => config, resolved: (id) => (specs[id] ? { spec: sinkSpecSchema.parse(specs[id]) } : undefined), typeOf: () => undefined });
    assert.deepEqual(crs.forSink('ClusterSink/ops-chat').rateLimits, PLATFORM_RATE_LIMITS.telegram);
    assert.deepEqual(crs.forSink('Sink/shop/relay').rateLimits, []);
    assert.deepEqual(crs.forSink('Sink/shop/slow').rateLimits, [{ count: 6, perMs: 60_000, scope: 'sink' }]);
    assert.deepEqual(crs.forSink('Sink/shop/direct').rateLimits, PLATFORM_RATE_LIMITS.dingtalk);
    assert.equal(crs.forSink('ClusterSink/ops-chat').repeatIntervalMs, 3_600_000);
  });

  test('a config-file sink, a Sink custom resource and a plugin sink of one platform get the same defaults, record or chat', () => {
    const file = parseConfigText(
      `
sinks:
  - { name: es, type: elasticsearch, nodes: ["https://es:9200"] }
  - { name: es-plugin, type: plugin, plugin: elasticsearch }
  - { name: chat, type: slack, tokenFrom: { env: T }, channel: C1 }
  - { name: chat-plugin, type: plugin, plugin: slack }
`,
      'k.yaml',
    );
    const specs: Record<string, unknown> = {
      'ClusterSink/es': { type: 'elasticsearch', target: { url: 'https://es:9200' } },
      'ClusterSink/es-plugin': { type: 'plugin', plugin: 'elasticsearch' },
      'ClusterSink/chat': { type: 'slack', target: { channel: 'C1' }, credentials: { token: { secretKeyRef: { name: 's', key: 't' } } } },
      'ClusterSink/chat-plugin': { type: 'plugin', plugin: 'slack' },
    };
    const all = routingPolicies({ config: () => file, resolved: (id) => (specs[id] ? { spec: sinkSpecSchema.parse(specs[id]) } : undefined), typeOf: () => undefined });
    for (const platform of ['es', 'chat']) {
      const ids = [`config/${platform}`, `config/${platform}-plugin`, `ClusterSink/${platform}`, `ClusterSink/${platform}-plugin`];
      for (const id of ids) assert.deepEqual(all.forSink(id), all.forSink(ids[0]), id);
    }
    assert.deepEqual([all.forSink('config/es').records, all.forSink('config/es').groupBy, all.forSink('config/es').floodWindowMs], [true, [], 0]);
    assert.deepEqual([all.forSink('config/chat').records, all.forSink('config/chat').floodWindowMs], [false, 600_000]);
  });

  test("a sink's own delivery block wins over the global one, key by key", () => {
    assert.equal(policies.forSink('config/ops').repeatIntervalMs, 3_600_000);
    const hook = policies.forSink('config/hook');
    assert.equal(hook.repeatIntervalMs, 0);
    assert.deepEqual(hook.backoff, { baseMs: 2000, factor: 2, capMs: 300_000 });
    assert.equal(policies.forSink('config/out').backoff.baseMs, 1000);
  });
});

describe('plugin sink options', () => {
  test("kubeherald's own delivery settings are refused in options, as in the Sink custom resource", () => {
    assert.throws(
      () => parseConfigText('sinks: [{ name: p, type: plugin, plugin: slack, options: { delivery: { concurrency: 1 } } }]', 'k.yaml'),
      /sinks\[0\]\.options\.delivery: set by kubeherald, not the plugin: use the sink’s own delivery key/,
    );
  });
});
