// A Sink custom resource as each sink type's own config: exact configs,
// credentials only as {env} references with their values in the private
// env map, and problems named by the custom resource's field.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialEnvName, sinkConfigFromResolved, sinkDeliveryFromResolved, sinkNameFor } from '../../src/app/crd-sinks.ts';
import type { ResolvedSink } from '../../src/crd/controller.ts';
import { deliveryOf, sinkSpecSchema } from '../../src/crd/schemas.ts';
import type { Credentials } from '../../src/crd/secrets.ts';
import { create } from '@bufbuild/protobuf';
import { NotificationSchema } from '../../src/model/notification.ts';
import { createSink } from '../../src/sinks/index.ts';
import type { SinkDeps } from '../../src/sinks/types.ts';

function resolved(id: string, spec: unknown, credentials: Credentials = {}): ResolvedSink {
  const parsed = sinkSpecSchema.parse(spec);
  const [kind, a, b] = id.split('/') as ['Sink' | 'ClusterSink', string, string | undefined];
  return { id, kind, name: b ?? a, ...(b ? { namespace: a } : {}), spec: parsed, delivery: deliveryOf(parsed), credentials };
}

const ref = (key: string) => ({ secretKeyRef: { name: 'creds', key } });

/** Maps, checks no credential value is anywhere in the config, returns config and env. */
function mapOk(r: ResolvedSink) {
  const m = sinkConfigFromResolved(r);
  if (!m.ok) assert.fail(`refused: ${JSON.stringify(m.problems)}`);
  const text = JSON.stringify(m.config);
  for (const v of Object.values(r.credentials)) assert.equal(text.includes(v!), false, 'a credential value is in the config');
  return m;
}

describe('sinkNameFor', () => {
  it('is readable, a DNS-1123 label, and differs for ids with the same readable part', () => {
    const a = sinkNameFor({ id: 'Sink/a-b/c', kind: 'Sink', namespace: 'a-b', name: 'c' });
    const b = sinkNameFor({ id: 'Sink/a/b-c', kind: 'Sink', namespace: 'a', name: 'b-c' });
    assert.match(a, /^sink-a-b-c-[0-9a-f]{8}$/);
    assert.match(b, /^sink-a-b-c-[0-9a-f]{8}$/);
    assert.notEqual(a, b);
    assert.match(sinkNameFor({ id: 'ClusterSink/es.main', kind: 'ClusterSink', name: 'es.main' }), /^clustersink-es-main-[0-9a-f]{8}$/);
    const long = sinkNameFor({ id: `Sink/${'n'.repeat(63)}/${'x.'.repeat(120)}y`, kind: 'Sink', namespace: 'n'.repeat(63), name: `${'x.'.repeat(120)}y` });
    assert.equal(long.length <= 63, true);
    assert.match(long, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it('env names are per id and credential', () => {
    assert.match(credentialEnvName('Sink/shop/x', 'webhookUrl'), /^KH_SINK_[0-9A-F]{12}_WEBHOOK_URL$/);
    assert.notEqual(credentialEnvName('Sink/shop/x', 'token'), credentialEnvName('Sink/shop/y', 'token'));
  });
});

describe('sinkConfigFromResolved', () => {
  it('slack with a bot token', () => {
    const r = resolved('Sink/shop/deploys', { type: 'slack', target: { channel: '#deploys' }, credentials: { token: ref('token') } }, { token: 'xoxb-secret' });
    const m = mapOk(r);
    const v = credentialEnvName(r.id, 'token');
    assert.deepEqual(m.config, {
      name: sinkNameFor(r),
      type: 'slack',
      tokenFrom: { env: v },
      channel: '#deploys',
      apiUrl: 'https://slack.com/api/',
      threads: true,
      linkTemplate: '',
      timeoutSeconds: 10,
    });
    assert.deepEqual(m.env, { [v]: 'xoxb-secret' });
    assert.deepEqual(m.fields, { [v]: 'spec.credentials.token' });
  });

  it('slack with an incoming webhook URL', () => {
    const r = resolved('Sink/shop/hook', { type: 'slack', credentials: { webhookUrl: ref('url') } }, { webhookUrl: 'https://hooks.slack.com/services/T/B/secret' });
    const m = mapOk(r);
    const v = credentialEnvName(r.id, 'webhookUrl');
    assert.deepEqual(m.config, { name: sinkNameFor(r), type: 'slack', webhookUrlFrom: { env: v }, apiUrl: 'https://slack.com/api/', threads: true, linkTemplate: '', timeoutSeconds: 10 });
    assert.deepEqual(m.env, { [v]: 'https://hooks.slack.com/services/T/B/secret' });
  });

  it('telegram with a forum topic', () => {
    const r = resolved('Sink/ops/tg', { type: 'telegram', target: { chatId: '-1001234567890', messageThreadId: 7 }, credentials: { token: ref('token') } }, { token: '123:ABC' });
    const m = mapOk(r);
    const v = credentialEnvName(r.id, 'token');
    assert.deepEqual(m.config, {
      name: sinkNameFor(r),
      type: 'telegram',
      tokenFrom: { env: v },
      chatId: '-1001234567890',
      messageThreadId: 7,
      parseMode: 'HTML',
      silentFor: ['info'],
      apiRoot: 'https://api.telegram.org',
      linkTemplate: '',
      timeoutSeconds: 10,
    });
    assert.deepEqual(m.env, { [v]: '123:ABC' });
  });

  it('teams', () => {
    const r = resolved('ClusterSink/teams', { type: 'teams', credentials: { webhookUrl: ref('url') } }, { webhookUrl: 'https://prod.example/workflows/sig=abc' });
    const m = mapOk(r);
    const v = credentialEnvName(r.id, 'webhookUrl');
    assert.deepEqual(m.config, { name: sinkNameFor(r), type: 'teams', urlFrom: { env: v }, actions: [], timeoutSeconds: 10 });
    assert.deepEqual(m.env, { [v]: 'https://prod.example/workflows/sig=abc' });
  });

  it('dingtalk: signed, its rate limit from delivery', () => {
    const r = resolved(
      'Sink/cn/robot',
      { type: 'dingtalk', credentials: { webhookUrl: ref('url'), signingSecret: ref('sec') }, delivery: { rateLimitPerMinute: 12 } },
      { webhookUrl: 'https://oapi.dingtalk.com/robot/send?access_token=tok', signingSecret: 'SECabc' },
    );
    const m = mapOk(r);
    const url = credentialEnvName(r.id, 'webhookUrl');
    const sec = credentialEnvName(r.id, 'signingSecret');
    assert.deepEqual(m.config, {
      name: sinkNameFor(r),
      type: 'dingtalk',
      urlFrom: { env: url },
      secretFrom: { env: sec },
      msgType: 'markdown',
      keyword: '',
      atMobiles: [],
      atAll: false,
      maxPerMinute: 12,
      timeoutSeconds: 10,
    });
    assert.deepEqual(m.env, { [url]: 'https://oapi.dingtalk.com/robot/send?access_token=tok', [sec]: 'SECabc' });
  });

  it('dingtalk unsigned, "unlimited" meaning DingTalk’s own 20 a minute', () => {
    const r = resolved('Sink/cn/plain', { type: 'dingtalk', credentials: { webhookUrl: ref('url') }, delivery: { rateLimitPerMinute: 0 } }, { webhookUrl: 'https://oapi.dingtalk.com/robot/send?access_token=t' });
    const m = mapOk(r);
    assert.equal((m.config as { secretFrom: unknown }).secretFrom, null);
    assert.equal((m.config as { maxPerMinute: number }).maxPerMinute, 20);
  });

  it('webhook: signed, bearer token through a header reference', () => {
    const r = resolved('Sink/shop/hook', { type: 'webhook', target: { url: 'https://recv.example/k8s' }, credentials: { signingSecret: ref('sec'), token: ref('tok') } }, { signingSecret: 'whsec', token: 'bearer-tok' });
    const m = mapOk(r);
    const sec = credentialEnvName(r.id, 'signingSecret');
    const tok = credentialEnvName(r.id, 'token');
    assert.deepEqual(m.config, {
      name: sinkNameFor(r),
      type: 'webhook',
      urls: ['https://recv.example/k8s'],
      payload: 'notification',
      includeRawObject: false,
      sign: true,
      secretFrom: { env: sec },
      headers: { Authorization: `Bearer \${${tok}}` },
      template: '',
      timeoutSeconds: 10,
    });
    assert.deepEqual(m.env, { [sec]: 'whsec', [tok]: 'bearer-tok' });
  });

  it('webhook without a signing secret is unsigned', () => {
    const r = resolved('Sink/shop/plain', { type: 'webhook', target: { url: 'http://127.0.0.1:8080/' } });
    const m = mapOk(r);
    assert.equal((m.config as { sign: boolean }).sign, false);
    assert.deepEqual((m.config as { headers: object }).headers, {});
    assert.deepEqual(m.env, {});
  });

  it('elasticsearch with an API key and a data stream', () => {
    const r = resolved('ClusterSink/es', { type: 'elasticsearch', target: { url: 'https://es.example:9200', index: 'k8s-events' }, credentials: { apiKey: ref('key') } }, { apiKey: 'ZW5jb2RlZA==' });
    const m = mapOk(r);
    const v = credentialEnvName(r.id, 'apiKey');
    assert.deepEqual(m.config, {
      name: sinkNameFor(r),
      type: 'elasticsearch',
      nodes: ['https://es.example:9200'],
      dataStream: 'k8s-events',
      manageTemplate: true,
      templateName: '',
      templatePriority: 200,
      ilmPolicy: '',
      ilmRolloverMaxAge: '30d',
      ilmDeleteAfter: '90d',
      apiKeyFrom: { env: v },
      usernameFrom: null,
      passwordFrom: null,
      caFile: '',
      compatibleWith: 9,
      timeoutSeconds: 30,
      includeRawObject: false,
    });
    assert.deepEqual(m.env, { [v]: 'ZW5jb2RlZA==' });
  });

  it('elasticsearch with basic authentication, default data stream', () => {
    const r = resolved('ClusterSink/es', { type: 'elasticsearch', target: { url: 'http://es:9200' }, credentials: { username: ref('u'), password: ref('p') } }, { username: 'es-user-q7', password: 'es-pass-q7' });
    const m = mapOk(r);
    const c = m.config as { dataStream: string; apiKeyFrom: unknown; usernameFrom: unknown; passwordFrom: unknown };
    assert.equal(c.dataStream, 'kubeherald-events');
    assert.equal(c.apiKeyFrom, null);
    assert.deepEqual(c.usernameFrom, { env: credentialEnvName(r.id, 'username') });
    assert.deepEqual(c.passwordFrom, { env: credentialEnvName(r.id, 'password') });
    assert.deepEqual(Object.values(m.env).sort(), ['es-pass-q7', 'es-user-q7']);
  });

  it('console and jsonl', () => {
    const c = resolved('Sink/dev/tty', { type: 'console' });
    assert.deepEqual(mapOk(c).config, { name: sinkNameFor(c), type: 'console', color: 'auto' });
    const j = resolved('Sink/dev/file', { type: 'jsonl', target: { path: '/var/log/kubeherald/events.jsonl' } });
    assert.deepEqual(mapOk(j).config, { name: sinkNameFor(j), type: 'jsonl', path: '/var/log/kubeherald/events.jsonl', includeRawObject: false });
  });

  it('plugin: the plugin type, target.name as the target, options as they are; nothing secret to pass', () => {
    const r = resolved('ClusterSink/ops-chat', { type: 'plugin', plugin: 'slack', target: { name: '#ops' }, options: { threads: false, linkTemplate: 'https://x.example/{{name}}' }, delivery: { rateLimitPerMinute: 30 } });
    const m = mapOk(r);
    assert.deepEqual(m.config, { name: sinkNameFor(r), type: 'plugin', plugin: 'slack', target: '#ops', options: { threads: false, linkTemplate: 'https://x.example/{{name}}' } });
    assert.deepEqual(m.env, {});
    assert.deepEqual(m.fields, {});
    // what the Sink sets; the rest is the pipeline's defaults for the plugin's platform (test/app/durable-policies.test.ts)
    assert.deepEqual(r.delivery, { rateLimitPerMinute: 30 });

    const bare = resolved('Sink/shop/relay', { type: 'plugin', plugin: 'my-pager' });
    assert.deepEqual(mapOk(bare).config, { name: sinkNameFor(bare), type: 'plugin', plugin: 'my-pager', target: '', options: {} });
    assert.deepEqual(bare.delivery, {});
  });

  it('plugin: the sink starts as a remote sink of its plugin type, only where there is a plugin router', async () => {
    const r = resolved('Sink/shop/relay', { type: 'plugin', plugin: 'webhook' });
    const m = mapOk(r);
    await assert.rejects(createSink(m.config, { env: m.env }), { message: `plugin sink "${sinkNameFor(r)}": no plugin router in this process` });
    const calls: [string, unknown][] = [];
    const router = { deliver: async (type: string, d: unknown) => void calls.push([type, d]) } as unknown as NonNullable<SinkDeps['router']>;
    const sink = await createSink(m.config, { env: m.env, router });
    assert.equal(sink.type, 'webhook');
    await sink.send(create(NotificationSchema, { idempotencyKey: 'k1' }));
    assert.deepEqual(
      calls.map(([type, d]) => [type, (d as { sink: string; target: string; options: unknown }).sink, (d as { target: string }).target, (d as { options: unknown }).options]),
      [['webhook', sinkNameFor(r), '', {}]],
    );
    await sink.close();
  });

  it('plugin: what the plugin sink schema refuses names the Sink’s field (options key, plugin)', () => {
    // past the custom resource's own schema (which refuses these first): the mapping still names fields, not values
    const spec = { type: 'plugin', plugin: 'Bad_Type', options: { apiKey: 'k-leak' } } as unknown as ResolvedSink['spec'];
    const m = sinkConfigFromResolved({ id: 'Sink/a/b', kind: 'Sink', name: 'b', namespace: 'a', spec, delivery: deliveryOf({ type: 'plugin' }), credentials: {} });
    assert.equal(m.ok, false);
    assert.deepEqual(
      !m.ok && m.problems.map((p) => p.field),
      ['spec.plugin', 'spec.options.apiKey'],
    );
    assert.equal(JSON.stringify(m).includes('k-leak'), false);
  });

  it('the sinks start from the mapped config and env alone', async () => {
    const r = resolved('Sink/shop/hook', { type: 'webhook', target: { url: 'http://127.0.0.1:9/' }, credentials: { signingSecret: ref('sec'), token: ref('tok') } }, { signingSecret: 'sign-q7', token: 'token-q7' });
    const m = mapOk(r);
    const sink = await createSink(m.config, { env: m.env });
    assert.equal(sink.name, sinkNameFor(r));
    await sink.close();
  });

  it('what the sink schema refuses is reported with the Sink’s field, never the value', () => {
    const tg = sinkConfigFromResolved(resolved('Sink/a/b', { type: 'telegram', target: { chatId: '007' }, credentials: { token: ref('t') } }, { token: '1:secret' }));
    assert.deepEqual(tg, { ok: false, problems: [{ field: 'spec.target.chatId', message: 'expected a chat ID (-1001234567890) or a channel @username' }] });

    const es = sinkConfigFromResolved(resolved('ClusterSink/es', { type: 'elasticsearch', target: { url: 'http://es:9200/?x=1' } }));
    assert.deepEqual(es, { ok: false, problems: [{ field: 'spec.target.url', message: 'expected a URL without a query or fragment' }] });

    const dt = sinkConfigFromResolved(resolved('Sink/a/d', { type: 'dingtalk', credentials: { webhookUrl: ref('u') }, delivery: { rateLimitPerMinute: 30 } }, { webhookUrl: 'oapi.dingtalk.com/robot?access_token=leak' }));
    assert.equal(dt.ok, false);
    assert.deepEqual(
      !dt.ok && dt.problems.map((p) => p.field),
      ['spec.credentials.webhookUrl.secretKeyRef', 'spec.delivery.rateLimitPerMinute'],
    );
    assert.equal(JSON.stringify(dt).includes('leak'), false);
  });
});

describe('sinkDeliveryFromResolved', () => {
  it('maps only what the Sink sets', () => {
    assert.deepEqual(sinkDeliveryFromResolved(resolved('Sink/a/b', { type: 'console' })), {});
    assert.deepEqual(sinkDeliveryFromResolved(resolved('Sink/a/b', { type: 'console', delivery: { rateLimitPerMinute: 30, groupWaitSeconds: 0, floodWindowSeconds: 0 } })), {
      groupWaitSeconds: 0,
      groupBy: [],
      floodWindowSeconds: 0,
      rateLimits: [{ count: 30, perSeconds: 60, scope: 'sink' }],
    });
    const chat = { type: 'slack', target: { channel: 'C1' }, credentials: { token: ref('t') } };
    assert.deepEqual(sinkDeliveryFromResolved(resolved('Sink/a/b', { ...chat, delivery: { groupWaitSeconds: 30, floodWindowSeconds: 60 } })), { groupWaitSeconds: 30, floodWindowSeconds: 60 });
    assert.deepEqual(sinkDeliveryFromResolved(resolved('Sink/a/b', { type: 'console', delivery: { rateLimitPerMinute: 0 } })), { rateLimits: [] });
  });
});
