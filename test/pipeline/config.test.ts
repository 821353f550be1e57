// Delivery settings: the config section's defaults and checks, per-sink
// overrides, platform rate limits, and the resolved policy in ms.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { strict } from '../../src/config-kit/fields.ts';
import { deliverySchema, PLATFORM_RATE_LIMITS, resolvePolicies, sinkDeliveryFields, sinkDeliveryProblems, sinkPolicy } from '../../src/pipeline/config.ts';

const global = deliverySchema.parse({});

describe('delivery policy', () => {
  it('defaults: 8 at once, 24 h max age, backoff 1 s ×2 up to 5 min, reminders every 4 h, flood 10 min, groups by namespace/owner/reason 10 s / 5 min', () => {
    assert.deepEqual(sinkPolicy(global, 'mattermost', undefined), {
      records: false,
      concurrency: 8,
      backoff: { baseMs: 1000, factor: 2, capMs: 300_000 },
      maxAgeMs: 86_400_000,
      sendTimeoutMs: 30_000,
      rateLimits: [],
      repeatIntervalMs: 14_400_000,
      floodWindowMs: 600_000,
      groupBy: ['namespace', 'owner', 'reason'],
      groupWaitMs: 10_000,
      groupIntervalMs: 300_000,
      storm: { threshold: 20, quietMs: 120_000, updateMs: 30_000 },
    });
  });

  it('storm digest: a threshold per chat type, none for record sinks; delivery.storm and a sink’s own storm override it', () => {
    const thresholds = Object.fromEntries(['slack', 'telegram', 'teams', 'dingtalk', 'mattermost', 'elasticsearch', 'webhook'].map((t) => [t, sinkPolicy(global, t, undefined).storm?.threshold]));
    assert.deepEqual(thresholds, { slack: 20, telegram: 20, teams: 10, dingtalk: 10, mattermost: 20, elasticsearch: 0, webhook: 0 });
    const g = deliverySchema.parse({ storm: { threshold: 50, quietSeconds: 60 } });
    assert.deepEqual(sinkPolicy(g, 'teams', undefined).storm, { threshold: 50, quietMs: 60_000, updateMs: 30_000 });
    assert.deepEqual(sinkPolicy(g, 'slack', { storm: { threshold: 0, updateSeconds: 5 } }).storm, { threshold: 0, quietMs: 60_000, updateMs: 5000 });
    assert.equal(sinkPolicy(g, 'jsonl', undefined).storm?.threshold, 0, 'a record sink never storms');
    assert.equal(sinkPolicy(g, 'pagerduty', undefined).storm?.threshold, 0, 'PagerDuty pages each incident: the global threshold does not reach it');
    assert.equal(sinkPolicy(g, 'pagerduty', { storm: { threshold: 7 } }).storm?.threshold, 7, "a PagerDuty sink's own threshold opts in");
    assert.deepEqual(sinkDeliveryProblems('elasticsearch', { storm: { threshold: 5 } }).map((p) => p.path), [['storm']]);
    assert.match(deliverySchema.safeParse({ storm: { quietSeconds: 0 } }).error?.issues[0]?.message ?? '', /≥ 1/);
  });

  it('record sinks (and plugins of their types) never group or fold, whatever the global section says', () => {
    const everything = deliverySchema.parse({ groupBy: ['owner'], floodWindowSeconds: 900, groupWaitSeconds: 30 });
    for (const type of ['elasticsearch', 'jsonl', 'webhook', 'console']) {
      const p = sinkPolicy(everything, type, undefined);
      assert.deepEqual([p.records, p.groupBy, p.floodWindowMs, p.groupWaitMs], [true, [], 0, 0], type);
    }
    assert.equal(resolvePolicies(everything, [{ name: 'hook', type: 'plugin', plugin: 'webhook' }]).forSink('hook').records, true);
    const chat = sinkPolicy(everything, 'slack', undefined);
    assert.deepEqual([chat.records, chat.groupBy, chat.floodWindowMs, chat.groupWaitMs], [false, ['owner'], 900_000, 30_000]);
  });

  it('refuses, naming the key, delivery settings that could do nothing for the sink', () => {
    assert.deepEqual(sinkDeliveryProblems('elasticsearch', { groupBy: ['owner'], floodWindowSeconds: 60, groupWaitSeconds: 5, groupIntervalSeconds: 60, repeatIntervalSeconds: 0 }).map((p) => p.path.join('.')), [
      'groupBy',
      'groupWaitSeconds',
      'groupIntervalSeconds',
      'floodWindowSeconds',
    ]);
    assert.match(sinkDeliveryProblems('webhook', { floodWindowSeconds: 60 })[0].message, /^a webhook sink never groups or folds: every notification is a record/);
    assert.deepEqual(sinkDeliveryProblems('elasticsearch', { groupBy: [], floodWindowSeconds: 0, groupWaitSeconds: 0 }), [], 'saying "none" is fine');
    assert.deepEqual(sinkDeliveryProblems('slack', { groupBy: [], floodWindowSeconds: 300 }).map((p) => p.path.join('.')), ['floodWindowSeconds']);
    assert.deepEqual(sinkDeliveryProblems('slack', { groupBy: [] }), [], 'a default flood window just does nothing without grouping');
    assert.deepEqual(sinkDeliveryProblems('slack', { floodWindowSeconds: 300 }), []);
  });

  it('takes the platform rate limits by sink type', () => {
    assert.deepEqual(sinkPolicy(global, 'slack', undefined).rateLimits, [{ count: 1, perMs: 1000, scope: 'target' }]);
    assert.deepEqual(sinkPolicy(global, 'dingtalk', undefined).rateLimits, [{ count: 20, perMs: 60_000, scope: 'target' }]);
    assert.deepEqual(sinkPolicy(global, 'teams', undefined).rateLimits, PLATFORM_RATE_LIMITS.teams);
    assert.equal(sinkPolicy(global, 'telegram', undefined).rateLimits.length, 3);
  });

  it('a sink overrides what it sets, backoff key by key, rate limits as a whole', () => {
    const Sink = strict({ name: z.string(), type: z.literal('slack'), ...sinkDeliveryFields });
    const cfg = Sink.parse({ name: 'ops', type: 'slack', delivery: { concurrency: 2, backoff: { maxSeconds: 60 }, groupBy: [], rateLimits: [{ count: 3, perSeconds: 0.5 }] } });
    const p = resolvePolicies(global, [cfg]).forSink('ops');
    assert.equal(p.concurrency, 2);
    assert.deepEqual(p.backoff, { baseMs: 1000, factor: 2, capMs: 60_000 });
    assert.deepEqual(p.groupBy, []);
    assert.deepEqual(p.rateLimits, [{ count: 3, perMs: 500, scope: 'target' }]);
    assert.equal(p.repeatIntervalMs, 14_400_000);
    assert.deepEqual(resolvePolicies(global, [{ name: 'x', type: 'slack', delivery: { rateLimits: [] } }]).forSink('x').rateLimits, [], '[] means no limits');
    assert.throws(() => resolvePolicies(global, []).forSink('nope'), /not configured/);
    assert.equal(Sink.parse({ name: 'a', type: 'slack' }).delivery, undefined);
    assert.equal(Sink.parse({ name: 'a', type: 'slack', delivery: null }).delivery, undefined);
  });

  it('reports bad values and unknown keys by path', () => {
    const r = deliverySchema.safeParse({ groupBy: ['namespace', 'pod'], backoff: { factor: 0.5, baseSeconds: 0 }, concurrency: 0, groupWait: 5 });
    assert.equal(r.success, false);
    const issues = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).sort();
    assert.deepEqual(issues, [
      'backoff.baseSeconds: expected a number of seconds > 0, got 0',
      'backoff.factor: expected a number ≥ 1, got 0.5',
      'concurrency: expected an integer ≥ 1, got 0',
      'groupBy.1: expected one of cluster, namespace, owner, object, kind, reason, severity, detector, node or label:<name>',
      'groupWait: unknown key; did you mean "groupWaitSeconds"?',
    ]);
    assert.deepEqual(deliverySchema.parse({ groupBy: ['label:app.kubernetes.io/name'] }).groupBy, ['label:app.kubernetes.io/name']);
    assert.deepEqual(deliverySchema.parse({ groupBy: null }).groupBy, [], 'an empty `groupBy:` means no grouping');
  });
});
