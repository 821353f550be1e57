// A sink's own `delivery:` block and a route's `group:` in the config file:
// parsed into the policy each sink follows, and every mistake reported at its
// line and path (`FILE:LINE: sinks[0].delivery.backoff.factor: …`).

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { ConfigError, parseConfigText } from '../../src/config/index.ts';
import { NotificationSchema } from '../../src/model/notification.ts';
import { resolvePolicies } from '../../src/pipeline/config.ts';
import { createSink } from '../../src/sinks/index.ts';
import { configErrors as errorsOf, yaml } from '../helpers/config-errors.ts';

describe('sinks[].delivery', () => {
  it('every sink type takes one; what it sets replaces the global value for that sink only', () => {
    const cfg = parseConfigText(
      yaml(
        'delivery:',
        '  repeatIntervalSeconds: 3600',
        '  backoff: { baseSeconds: 2 }',
        'sinks:',
        '  - name: chat',
        '    type: slack',
        '    tokenFrom: { env: T }',
        '    channel: C1',
        '    delivery:',
        '      repeatIntervalSeconds: 0',
        '      backoff: { factor: 3, maxSeconds: 60 }',
        '      groupBy: [owner]',
        '      rateLimits: [{ count: 2, perSeconds: 1, scope: sink }]',
        '  - { name: archive, type: elasticsearch, delivery: { concurrency: 32, groupBy: [], floodWindowSeconds: 0 } }',
        '  - { name: plain, type: console }',
        '  - { name: file, type: jsonl, delivery: {} }',
        '  - { name: tg, type: telegram, tokenFrom: { env: T }, chatId: 1, delivery: { sendTimeoutSeconds: 5 } }',
        '  - { name: teams, type: teams, delivery: { maxAgeSeconds: 60 } }',
        '  - { name: ding, type: dingtalk, delivery: { groupWaitSeconds: 0 } }',
        '  - { name: hook, type: webhook, urls: ["https://h.example/x"], delivery: { concurrency: 2 } }',
        '  - { name: mm, type: plugin, plugin: mattermost, delivery: { groupIntervalSeconds: 60 } }',
      ),
      'k.yaml',
    );
    const p = resolvePolicies(cfg.delivery, cfg.sinks);
    const chat = p.forSink('chat');
    assert.equal(chat.repeatIntervalMs, 0);
    assert.deepEqual(chat.backoff, { baseMs: 2000, factor: 3, capMs: 60_000 });
    assert.deepEqual(chat.groupBy, ['owner']);
    assert.deepEqual(chat.rateLimits, [{ count: 2, perMs: 1000, scope: 'sink' }]);
    const archive = p.forSink('archive');
    assert.deepEqual([archive.concurrency, archive.groupBy, archive.floodWindowMs, archive.repeatIntervalMs], [32, [], 0, 3_600_000]);
    const plain = p.forSink('plain');
    // the console is a record sink: the global grouping is for chat sinks
    assert.deepEqual([plain.repeatIntervalMs, plain.backoff, plain.groupBy, plain.records], [3_600_000, { baseMs: 2000, factor: 2, capMs: 300_000 }, [], true]);
    assert.equal(cfg.sinks[2].delivery, undefined);
    assert.deepEqual(cfg.sinks[3].delivery, {});
    assert.equal(p.forSink('tg').sendTimeoutMs, 5000);
    assert.equal(p.forSink('tg').rateLimits.length, 3, 'the platform limits stay unless rateLimits is given');
    assert.equal(p.forSink('teams').maxAgeMs, 60_000);
    assert.equal(p.forSink('ding').groupWaitMs, 0);
    assert.equal(p.forSink('hook').concurrency, 2);
    assert.deepEqual([p.forSink('mm').groupIntervalMs, p.forSink('mm').groupBy], [60_000, ['namespace', 'owner', 'reason']], 'a plugin of a type kubeherald does not know is a chat sink');
  });

  it('refuses, at its line, a grouping or flood key a record sink could not use, and a flood window where nothing is grouped', () => {
    assert.deepEqual(
      errorsOf(
        yaml(
          'sinks:',
          '  - { name: es, type: elasticsearch, delivery: { groupBy: [owner] } }',
          '  - { name: hook, type: plugin, plugin: webhook, delivery: { floodWindowSeconds: 60 } }',
          '  - { name: chat, type: slack, tokenFrom: { env: T }, channel: C1, delivery: { groupBy: [], floodWindowSeconds: 60 } }',
          '  - { name: file, type: jsonl, path: x, delivery: { groupBy: [], floodWindowSeconds: 0, repeatIntervalSeconds: 60 } }',
        ),
      ),
      [
        'k.yaml:2: sinks[0].delivery.groupBy: an elasticsearch sink never groups or folds: every notification is a record, delivered on its own at once; remove it',
        'k.yaml:3: sinks[1].delivery.floodWindowSeconds: a webhook sink never groups or folds: every notification is a record, delivered on its own at once; remove it',
        'k.yaml:4: sinks[2].delivery.floodWindowSeconds: flood control folds a notification into the group of the first of its kind, and this sink groups nothing: set floodWindowSeconds: 0, or group',
      ],
    );
  });

  it('reports each mistake at its line and path', () => {
    assert.deepEqual(
      errorsOf(
        yaml(
          'sinks:',
          '  - name: a',
          '    type: teams',
          '    delivery:',
          '      backoff:',
          '        factor: 0.5',
          '      groupBy: [namespace, pod]',
          '      repeatIntervalSeconds: -1',
          '      groupWait: 5',
          '      rateLimits:',
          '        - { count: 0, perSeconds: 1, scope: channel }',
        ),
      ),
      [
        'k.yaml:6: sinks[0].delivery.backoff.factor: expected a number ≥ 1, got 0.5',
        'k.yaml:7: sinks[0].delivery.groupBy[1]: expected one of cluster, namespace, owner, object, kind, reason, severity, detector, node or label:<name>, got "pod"',
        'k.yaml:8: sinks[0].delivery.repeatIntervalSeconds: expected an integer ≥ 0, got -1',
        'k.yaml:9: sinks[0].delivery.groupWait: unknown key; did you mean "groupWaitSeconds"?',
        'k.yaml:11: sinks[0].delivery.rateLimits[0].count: expected an integer ≥ 1, got 0',
        'k.yaml:11: sinks[0].delivery.rateLimits[0].scope: expected one of target, sink, got "channel"',
      ],
    );
  });

  it('a sink ignores its delivery block when it is built: the same sink with or without it', async () => {
    const [bare, withDelivery] = parseConfigText(
      yaml('sinks:', '  - { name: a, type: jsonl, path: "-" }', '  - { name: b, type: jsonl, path: "-", delivery: { concurrency: 1, rateLimits: [] } }'),
      'k.yaml',
    ).sinks;
    const out: string[][] = [];
    for (const cfg of [bare, withDelivery]) {
      const chunks: string[] = [];
      const stdout = new Writable({
        write(c: Buffer, _enc, cb) {
          chunks.push(c.toString());
          cb();
        },
      });
      const sink = await createSink(cfg, { stdout });
      await sink.send(create(NotificationSchema, { idempotencyKey: 'k', reason: 'OOMKilled', title: 't' }));
      await sink.close();
      out.push(chunks);
    }
    assert.equal(out[0].join(''), '{"idempotencyKey":"k","reason":"OOMKilled","title":"t"}\n');
    assert.deepEqual(out[1], out[0]);
  });
});

describe('routes[].group', () => {
  it('is kept as written; an empty `group:` is no group', () => {
    const cfg = parseConfigText(
      yaml(
        'sinks: [{ name: chat, type: console }]',
        'routes:',
        '  - { name: a, sinks: [chat], group: { by: [owner, "label:app"], waitSeconds: 0, intervalSeconds: 600 } }',
        '  - { name: b, sinks: [chat], group: { by: [] } }',
        '  - name: c',
        '    sinks: [chat]',
        '    group:',
      ),
      'k.yaml',
    );
    assert.deepEqual(
      cfg.routes.map((r) => r.group),
      [{ by: ['owner', 'label:app'], waitSeconds: 0, intervalSeconds: 600 }, { by: [] }, undefined],
    );
  });

  it('reports each mistake at its line and path, and a group on a drop route', () => {
    assert.deepEqual(
      errorsOf(
        yaml(
          'sinks: [{ name: chat, type: console }]',
          'routes:',
          '  - name: a',
          '    sinks: [chat]',
          '    group:',
          '      by: [owner, pod]',
          '      intervalSeconds: 0',
          '      wait: 5',
          '  - name: b',
          '    drop: true',
          '    group: { by: [owner] }',
        ),
      ),
      [
        'k.yaml:6: routes[0].group.by[1]: expected one of cluster, namespace, owner, object, kind, reason, severity, detector, node or label:<name>, got "pod"',
        'k.yaml:7: routes[0].group.intervalSeconds: expected an integer ≥ 1, got 0',
        'k.yaml:8: routes[0].group.wait: unknown key; did you mean "waitSeconds"?',
        'k.yaml:11: routes[1].group: a drop route sends nothing to group: remove either group or drop: true',
      ],
    );
  });
});
