// The delivery policy of each routing id, as the running product resolves it.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { routingPolicies } from '../../src/app/durable.ts';
import { parseConfigText } from '../../src/config/index.ts';
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

  test("a sink's own delivery block wins over the global one, key by key", () => {
    assert.equal(policies.forSink('config/ops').repeatIntervalMs, 3_600_000);
    const hook = policies.forSink('config/hook');
    assert.equal(hook.repeatIntervalMs, 0);
    assert.deepEqual(hook.backoff, { baseMs: 2000, factor: 2, capMs: 300_000 });
    assert.equal(policies.forSink('config/out').backoff.baseMs, 1000);
  });
});
