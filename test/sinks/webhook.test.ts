// The webhook sink: its config and the env/flag rules, the exact bodies,
// the signature as the documented receiver code checks it, and delivery to
// several URLs with each failure classified.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ConfigError, defaultConfig, parseConfigText } from '../../src/config/index.ts';
import { type Notification, NotificationSchema, Severity, State } from '../../src/model/notification.ts';
import { createSink, SinkError } from '../../src/sinks/index.ts';
import { applyWebhookOverrides, webhookSinkSchema, webhookUrlsOverride, type WebhookSinkConfig } from '../../src/sinks/webhook/config.ts';
import { deliveryId, formatWebhook } from '../../src/sinks/webhook/format.ts';
import { retryAfterMs } from '../../src/sinks/http.ts';
import { createWebhookSink } from '../../src/sinks/webhook/index.ts';
import { webhookSignature } from '../../src/sinks/webhook/send.ts';
import { checkJsonTemplate, parseTemplate, renderTemplate, jsonEscape } from '../../src/sinks/template.ts';
import { documentedSnippet, documentedVerifier, FakeWebhooks } from '../fakes/webhook.ts';

const POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-7d9c-abcde', namespace: 'demo', uid: 'uid-1', labels: { app: 'web' } },
  spec: { nodeName: 'sim-node-1', containers: [{ name: 'app', image: 'web:1.2' }] },
  status: { phase: 'Running', containerStatuses: [{ name: 'app', restartCount: 5, ready: false }] },
};

type Init = Omit<MessageInitShape<typeof NotificationSchema>, '$typeName'>;

function crashLoop(over: Init = {}): Notification {
  return create(NotificationSchema, {
    idempotencyKey: 'k1',
    incidentKey: 'pod/uid-1/app/CrashLoopBackOff',
    eventTime: timestampFromDate(new Date('2025-03-04T12:01:05Z')),
    severity: Severity.CRITICAL,
    state: State.FIRING,
    reason: 'CrashLoopBackOff',
    title: 'web-7d9c-abcde is crash-looping',
    message: 'container app restarted 5 times',
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: 'web-7d9c-abcde', uid: 'uid-1' },
    cluster: 'prod',
    count: 5,
    fields: { container: 'app' },
    rawObject: POD,
    detector: 'crashLoopBackOff',
    ...over,
  });
}

const SECRET = 'whs-3a8f9c0d1e2b4a5c';
const NOW = Date.parse('2025-03-04T12:01:10Z');

function config(over: Partial<WebhookSinkConfig> & { urls: string[] }): WebhookSinkConfig {
  return { ...webhookSinkSchema.parse({ name: 'hooks', type: 'webhook' }), ...over };
}

/** A port on 127.0.0.1 that nothing listens on (it was just given up). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function rejection(p: Promise<unknown>): Promise<SinkError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof SinkError, `expected a SinkError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the send to fail');
}

describe('webhook config', () => {
  it('fills in the defaults', () => {
    assert.deepEqual(parseConfigText('sinks: [{ name: hooks, type: webhook, urls: [https://a.example/k] }]', 'x').sinks[0], {
      name: 'hooks',
      type: 'webhook',
      urls: ['https://a.example/k'],
      payload: 'notification',
      includeRawObject: false,
      sign: true,
      secretFrom: { env: 'KUBEHERALD_WEBHOOK_SECRET' },
      headers: {},
      template: '',
      timeoutSeconds: 10,
    });
  });

  it('rejects what cannot work, each at its key', () => {
    const text = [
      'sinks:',
      '  - name: hooks',
      '    type: webhook',
      '    urls: [ftp://a.example, "https://user:pw@b.example", https://c.example, https://c.example]',
      '    headers: { webhook-signature: x, "bad name": y }',
      '    template: "{\\"text\\": {{title}}"',
      '    payload: pods',
    ].join('\n');
    assert.throws(
      () => parseConfigText(text, 'k.yaml'),
      (err: ConfigError) => {
        const lines = err.issues.map((i) => `${i.path}: ${i.message}`);
        assert.deepEqual(lines, [
          'sinks[0].urls[0]: expected an http(s) URL, got scheme ftp:',
          'sinks[0].urls[1]: credentials in a URL end up in logs and process lists; send them in a header instead (headers: {Authorization: "Bearer ${TOKEN}"})',
          'sinks[0].urls[3]: duplicate of urls[2]: it would get every notification twice',
          'sinks[0].headers.webhook-signature: set by kubeherald itself; cannot be configured',
          'sinks[0].headers.bad name: expected an HTTP header name (letters, digits and "-")',
          `sinks[0].template: the body is not JSON once fields are filled in (Expected ',' or '}' after property value in JSON at position 10 (line 1 column 11)); put placeholders inside JSON strings, e.g. {"text": "{{title}}"}`,
          'sinks[0].payload: expected one of notification, pod, got "pods"; did you mean "pod"?',
        ]);
        assert.ok(!err.message.includes('pw@'), 'the URL with its password is not repeated');
        return true;
      },
    );
  });
});

describe('KUBEHERALD_WEBHOOKS and --url', () => {
  it('reads a comma-separated list; flags replace it rather than add to it', () => {
    const env = { KUBEHERALD_WEBHOOKS: ' https://a.example/1 ,https://b.example/2,, ' };
    assert.deepEqual(webhookUrlsOverride(env), { source: 'KUBEHERALD_WEBHOOKS', urls: ['https://a.example/1', 'https://b.example/2'] });
    assert.deepEqual(webhookUrlsOverride(env, { url: ['https://c.example/3'] }), { source: '--url', urls: ['https://c.example/3'] });
    assert.equal(webhookUrlsOverride({ KUBEHERALD_WEBHOOKS: '' }, { url: [] }), undefined);
  });

  it("replace the one webhook sink's URLs, and --secret wins over its file and variable without entering the config", () => {
    const cfg = parseConfigText('sinks: [{ name: console, type: console }, { name: hooks, type: webhook, urls: [https://file.example], secretFrom: { file: /run/s } }]', 'x');
    const env = { KUBEHERALD_WEBHOOKS: 'https://env.example', KUBEHERALD_WEBHOOK_SECRET: 'from-env' };
    const out = applyWebhookOverrides(cfg, env, { url: ['https://flag.example/a', 'https://flag.example/b'], secret: 'from-flag' });
    assert.deepEqual(out.config.sinks[1], { ...cfg.sinks[1], urls: ['https://flag.example/a', 'https://flag.example/b'], secretFrom: { env: 'KUBEHERALD_WEBHOOK_SECRET' } });
    assert.equal(out.env.KUBEHERALD_WEBHOOK_SECRET, 'from-flag');
    assert.equal(env.KUBEHERALD_WEBHOOK_SECRET, 'from-env', 'the given environment is not changed');
    assert.ok(!JSON.stringify(out.config).includes('from-flag'));
    assert.equal(applyWebhookOverrides(cfg, {}, {}).config, cfg, 'nothing given: the config as it was');
  });

  it('add a sink named "webhook" when the config has none, k8svent-style', () => {
    const out = applyWebhookOverrides(defaultConfig(), { KUBEHERALD_WEBHOOKS: 'https://a.example,https://b.example' });
    assert.deepEqual(out.config.sinks, [
      { name: 'console', type: 'console', color: 'auto' },
      { ...webhookSinkSchema.parse({ name: 'webhook', type: 'webhook' }), urls: ['https://a.example', 'https://b.example'] },
    ]);
  });

  it('say which flag or variable is wrong', () => {
    const two = parseConfigText('sinks: [{ name: a, type: webhook }, { name: b, type: webhook }]', 'x');
    const issue = (fn: () => unknown): string => {
      try {
        fn();
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        return err.message;
      }
      return assert.fail('expected a ConfigError');
    };
    assert.equal(issue(() => applyWebhookOverrides(two, {}, { url: ['https://a.example'] })), '--url: sinks: applies to one webhook sink, but the config has 2 ("a", "b"); list each sink\'s URLs in its urls key instead');
    assert.equal(issue(() => applyWebhookOverrides(defaultConfig(), { KUBEHERALD_WEBHOOKS: 'https://a.example,not a url' })), 'KUBEHERALD_WEBHOOKS: sinks[1].urls[1]: expected an http(s) URL, got "not a url"');
    assert.equal(issue(() => applyWebhookOverrides(defaultConfig(), { KUBEHERALD_WEBHOOKS: ' , ' })), 'KUBEHERALD_WEBHOOKS: sinks[1].urls: expected at least one URL');
    assert.equal(issue(() => applyWebhookOverrides(defaultConfig(), {}, { secret: 's' })), '--secret: sinks: no webhook sink to sign for: add one to the config, or give URLs with --url or KUBEHERALD_WEBHOOKS');
  });
});

describe('formatWebhook', () => {
  it('sends the Notification as protobuf JSON, without the raw object unless asked', () => {
    const [req] = formatWebhook(crashLoop(), { payload: 'notification', includeRawObject: false });
    assert.equal(req.deliveryId, 'k1');
    assert.equal(
      req.body,
      '{"idempotencyKey":"k1","incidentKey":"pod/uid-1/app/CrashLoopBackOff","eventTime":"2025-03-04T12:01:05Z","severity":"SEVERITY_CRITICAL","state":"STATE_FIRING","reason":"CrashLoopBackOff","title":"web-7d9c-abcde is crash-looping","message":"container app restarted 5 times","involvedObject":{"apiVersion":"v1","kind":"Pod","namespace":"demo","name":"web-7d9c-abcde","uid":"uid-1"},"cluster":"prod","count":5,"fields":{"container":"app"},"detector":"crashLoopBackOff"}',
    );
    const [withRaw] = formatWebhook(crashLoop(), { payload: 'notification', includeRawObject: true });
    assert.deepEqual(JSON.parse(withRaw.body).rawObject, POD);
  });

  it('sends resolved notifications with their own delivery id', () => {
    const [req] = formatWebhook(crashLoop({ idempotencyKey: 'k2', state: State.RESOLVED, message: 'container app is stable' }), { payload: 'notification', includeRawObject: false });
    assert.equal(req.deliveryId, 'k2');
    assert.equal(JSON.parse(req.body).state, 'STATE_RESOLVED');
  });

  it('in pod mode sends {"pod": …} as kubectl shows it, and only pods', () => {
    const { apiVersion: _a, kind: _k, ...listItem } = POD; // as list items arrive, without apiVersion and kind
    const [req] = formatWebhook(crashLoop({ rawObject: listItem }), { payload: 'pod', includeRawObject: false });
    assert.equal(req.body, JSON.stringify({ pod: POD }));
    const node = crashLoop({ involvedObject: { apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'n' }, rawObject: { kind: 'Node', metadata: { name: 'n1' } } });
    assert.deepEqual(formatWebhook(node, { payload: 'pod', includeRawObject: false }), []);
    const fromEvent = crashLoop({ rawObject: { kind: 'Event', metadata: { name: 'web.17f', uid: 'ev' } } });
    assert.deepEqual(formatWebhook(fromEvent, { payload: 'pod', includeRawObject: false }), [], 'an Event about a pod is not the pod');
    assert.deepEqual(formatWebhook(crashLoop({ rawObject: undefined }), { payload: 'pod', includeRawObject: false }), []);
  });

  it('sends a group as one request per notification', () => {
    const group = [crashLoop(), crashLoop({ idempotencyKey: 'k3', reason: 'OOMKilled' })];
    assert.deepEqual(
      formatWebhook(group, { payload: 'notification', includeRawObject: false }).map((r) => [r.deliveryId, JSON.parse(r.body).reason]),
      [
        ['k1', 'CrashLoopBackOff'],
        ['k3', 'OOMKilled'],
      ],
    );
  });

  it('fills a body template with JSON-escaped fields, and nothing else', () => {
    const template = parseTemplate('{"text": "[{{ state }}] {{title}}: {{message}}", "ns": "{{involvedObject.namespace}}", "count": {{count}}, "missing": "{{labels.team}}", "proto": "{{constructor.name}}", "fields": "{{fields}}"}');
    const n = crashLoop({ message: 'said "no"\nthen \\ </script> \u2028 ok' });
    const [req] = formatWebhook(n, { payload: 'notification', includeRawObject: false, template });
    assert.equal(
      req.body,
      '{"text": "[STATE_FIRING] web-7d9c-abcde is crash-looping: said \\"no\\"\\nthen \\\\ </script> \u2028 ok", "ns": "demo", "count": 5, "missing": "", "proto": "", "fields": "{\\"container\\":\\"app\\"}"}',
    );
    assert.equal(JSON.parse(req.body).text, '[STATE_FIRING] web-7d9c-abcde is crash-looping: said "no"\nthen \\ </script> \u2028 ok');
  });

  it('names a delivery by a hash of its body when the notification has no key', () => {
    const n = crashLoop({ idempotencyKey: '' });
    const [req] = formatWebhook(n, { payload: 'notification', includeRawObject: false });
    assert.equal(req.deliveryId, deliveryId(n, req.body));
    assert.match(req.deliveryId, /^[0-9a-f]{32}$/);
  });
});

describe('body templates', () => {
  it('accept paths only, and say where a template is wrong', () => {
    assert.throws(() => parseTemplate('{"a": "{{title}"}'), /"\{\{" at character 8 is never closed/);
    assert.throws(() => parseTemplate('{{ title | upper }}'), /\{\{ title \| upper \}\} at character 1: expected a field path/);
    assert.throws(() => parseTemplate('{{process.exit()}}'), /expected a field path/);
    assert.equal(renderTemplate(parseTemplate('{{a.1.b}}-{{a.x}}'), { a: [{ b: 1 }, { b: true }] }, jsonEscape), 'true-');
    assert.equal(checkJsonTemplate('{"n": {{count}}, "t": "{{title}}"}'), undefined);
  });
});

describe('the signature', () => {
  it('is v1,base64(HMAC-SHA256(secret, "id.timestamp.body")), as the documentation says', () => {
    const body = '{"a":1}';
    const mac = createHmac('sha256', SECRET).update('k1.1741089665.{"a":1}').digest('base64');
    assert.equal(webhookSignature(SECRET, 'k1', 1741089665, body), `v1,${mac}`);
  });

  it('is checked by the documented code, which refuses a changed body, another secret and an old timestamp', async () => {
    assert.match(documentedSnippet(), /^import \{ createHmac, timingSafeEqual \} from 'node:crypto';/);
    const verify = await documentedVerifier();
    const ts = Math.floor(NOW / 1000);
    const body = '{"title":"x"}';
    const headers = { 'webhook-id': 'k1', 'webhook-timestamp': String(ts), 'webhook-signature': `v0,abc ${webhookSignature(SECRET, 'k1', ts, body)}` };
    assert.deepEqual(verify(headers, Buffer.from(body), SECRET, { now: NOW }), { title: 'x' });
    assert.throws(() => verify(headers, '{"title":"y"}', SECRET, { now: NOW }), /no webhook-signature matches/);
    assert.throws(() => verify(headers, body, 'other', { now: NOW }), /no webhook-signature matches/);
    assert.throws(() => verify({ ...headers, 'webhook-id': 'k2' }, body, SECRET, { now: NOW }), /no webhook-signature matches/);
    assert.throws(() => verify(headers, body, SECRET, { now: NOW + 301_000 }), /outside the tolerance/);
    assert.throws(() => verify({ ...headers, 'webhook-signature': undefined }, body, SECRET, { now: NOW }), /missing/);
  });
});

describe('the example request in docs/webhook-verification.md', () => {
  it('is what the sink would sign, and what the documented code accepts', async () => {
    const md = readFileSync(new URL('../../docs/webhook-verification.md', import.meta.url), 'utf8');
    const block = /<!-- example-request -->\n```\n([\s\S]*?)\n```/.exec(md)![1];
    const [head, body] = block.split('\n\n');
    const headers = Object.fromEntries(head.split('\n').slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const ts = Number(headers['webhook-timestamp']);
    assert.equal(headers['webhook-signature'], webhookSignature('s3cr3t', headers['webhook-id'], ts, body));
    const verify = await documentedVerifier();
    assert.equal((verify(headers, body, 's3cr3t', { now: ts * 1000 }) as { reason: string }).reason, 'CrashLoopBackOff');
  });
});

describe('Retry-After', () => {
  it('reads seconds and dates, and caps what is absurd', () => {
    assert.equal(retryAfterMs('7', NOW, 1), 7000);
    assert.equal(retryAfterMs(new Date(NOW + 90_000).toUTCString(), NOW, 1), 90_000);
    assert.equal(retryAfterMs('soon', NOW, 1234), 1234);
    assert.equal(retryAfterMs(null, NOW, 1234), 1234);
    assert.equal(retryAfterMs('999999', NOW, 1), 3_600_000);
  });
});

describe('the webhook sink against receivers', () => {
  let fake: FakeWebhooks;
  const env = { KUBEHERALD_WEBHOOK_SECRET: SECRET, HOOK_TOKEN: 'tok-123' };
  const deps = { env, now: () => NOW };
  // the receivers' clock, two seconds ahead of the sink's (null: the real one)
  let receiverNow: number | null = NOW + 2000;

  before(async () => {
    fake = await FakeWebhooks.start({ secret: SECRET, now: () => receiverNow ?? Date.now() });
  });
  after(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.received.length = 0;
    receiverNow = NOW + 2000;
  });

  it('posts a signed request the documented receiver code accepts', async () => {
    const sink = createWebhookSink(config({ urls: [fake.url('/one')], headers: { Authorization: 'Bearer ${HOOK_TOKEN}', 'X-Team': 'sre' } }), deps);
    await sink.send(crashLoop());
    await sink.close();
    const [r] = fake.accepted('/one');
    assert.equal(r.verified, true);
    assert.equal(r.headers['webhook-id'], 'k1');
    assert.equal(r.headers['webhook-timestamp'], String(Math.floor(NOW / 1000)));
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(r.headers.authorization, 'Bearer tok-123');
    assert.equal(r.headers['x-team'], 'sre');
    assert.equal(r.raw, formatWebhook(crashLoop(), { payload: 'notification', includeRawObject: false })[0].body);
  });

  it('sends pods in pod mode, and skips what is not a pod without a request', async () => {
    const sink = createWebhookSink(config({ urls: [fake.url('/pods')], payload: 'pod' }), deps);
    // so the listener keeps pods whole while this sink is in force
    assert.equal(sink.sendsPods, true);
    assert.equal(createWebhookSink(config({ urls: [fake.url('/pods')] }), deps).sendsPods, false);
    await sink.send(crashLoop());
    await sink.send(crashLoop({ involvedObject: { kind: 'Node', name: 'n1' }, rawObject: { kind: 'Node' } }));
    assert.deepEqual(
      fake.received.map((r) => [r.path, r.body]),
      [['/pods', { pod: POD }]],
    );
  });

  it('counts a notification delivered once every URL accepted it, and retries only the ones that did not', async () => {
    fake.script('/b', { status: 503, body: 'upstream down' });
    const sink = createWebhookSink(config({ urls: [fake.url('/a'), fake.url('/b?token=secret-in-query'), fake.url('/c')] }), deps);
    const err = await rejection(sink.send(crashLoop()));
    assert.equal(err.kind, 'retryable');
    assert.equal(err.message, `webhook sink "hooks": 1 of 3 URLs failed (2 accepted): url[1] (${fake.base}): HTTP 503: upstream down`);
    await sink.send(crashLoop());
    // the URLs are posted to in parallel: compare without their order
    assert.deepEqual(fake.received.map((r) => `${r.path} ${r.status}`).sort(), ['/a 200', '/b 200', '/b 503', '/c 200']);
    for (const path of ['/a', '/b', '/c']) assert.deepEqual(fake.accepted(path).map((r) => r.headers['webhook-id']), ['k1'], `${path} got the notification once`);
    // a new notification goes to every URL again
    await sink.send(crashLoop({ idempotencyKey: 'k9' }));
    assert.equal(fake.received.filter((r) => r.headers['webhook-id'] === 'k9').length, 3);
  });

  it('waits as long as the slowest receiver asks when several are rate-limited', async () => {
    fake.script('/a', { status: 429, headers: { 'retry-after': '7' } });
    fake.script('/b', { status: 503, headers: { 'retry-after': '20' } });
    const sink = createWebhookSink(config({ urls: [fake.url('/a'), fake.url('/b'), fake.url('/c')] }), deps);
    const err = await rejection(sink.send(crashLoop()));
    assert.equal(err.kind, 'rate-limited');
    assert.equal(err.retryAfterMs, 20_000);
  });

  it('is permanent only when every failed URL failed permanently', async () => {
    const sink = createWebhookSink(config({ urls: [fake.url('/a'), fake.url('/b')] }), deps);
    fake.script('/a', { status: 404 });
    fake.script('/b', { status: 500 });
    assert.equal((await rejection(sink.send(crashLoop({ idempotencyKey: 'p1' })))).kind, 'retryable');
    fake.script('/a', { status: 404 });
    fake.script('/b', { status: 410, body: 'gone' });
    const err = await rejection(sink.send(crashLoop({ idempotencyKey: 'p2' })));
    assert.equal(err.kind, 'permanent');
    assert.equal(err.message, `webhook sink "hooks": 2 of 2 URLs failed: url[0] (${fake.base}): HTTP 404; url[1] (${fake.base}): HTTP 410: gone`);
  });

  it('does not follow redirects: a signed body goes only where configured', async () => {
    fake.script('/moved', { status: 302, headers: { location: fake.url('/elsewhere') } });
    const sink = createWebhookSink(config({ urls: [fake.url('/moved')] }), deps);
    const err = await rejection(sink.send(crashLoop()));
    assert.equal(err.kind, 'permanent');
    assert.match(err.message, /HTTP 302 \(redirects are not followed: configure the final URL\)$/);
    assert.deepEqual(fake.received.map((r) => r.path), ['/moved']);
  });

  it('fails permanently when the receiver refuses the signature (wrong secret, or a clock far off)', async () => {
    const wrong = createWebhookSink(config({ urls: [fake.url('/a')] }), { env: { KUBEHERALD_WEBHOOK_SECRET: 'not-the-secret' }, now: () => NOW });
    const err = await rejection(wrong.send(crashLoop()));
    assert.equal(err.kind, 'permanent');
    assert.equal(err.message, `webhook sink "hooks": 1 of 1 URL failed: url[0] (${fake.base}): HTTP 401: no webhook-signature matches the secret`);
    const late = createWebhookSink(config({ urls: [fake.url('/a')] }), { env, now: () => NOW - 600_000 });
    assert.match((await rejection(late.send(crashLoop()))).message, /HTTP 401: webhook-timestamp is outside the tolerance/);
  });

  it('gives up on a receiver that does not answer in time, and retries', async () => {
    fake.script('/slow', { status: 200, hang: true });
    const sink = createWebhookSink({ ...config({ urls: [fake.url('/slow')] }), timeoutSeconds: 0.2 }, deps);
    const err = await rejection(sink.send(crashLoop()));
    assert.equal(err.kind, 'retryable');
    assert.equal(err.message, `webhook sink "hooks": 1 of 1 URL failed: url[0] (${fake.base}): no response within 200ms`);
  });

  it('retries when nothing listens, and never shows a URL path or query', async () => {
    const port = await closedPort();
    const sink = createWebhookSink(config({ urls: [`http://127.0.0.1:${port}/hook/secret-path?token=abc`] }), deps);
    const err = await rejection(sink.send(crashLoop()));
    assert.equal(err.kind, 'retryable');
    assert.equal(err.message, `webhook sink "hooks": 1 of 1 URL failed: url[0] (http://127.0.0.1:${port}): connection failed (ECONNREFUSED)`);
  });

  it('sends unsigned requests when sign is false', async () => {
    const plain = await FakeWebhooks.start();
    try {
      const sink = createWebhookSink(config({ urls: [plain.url('/x')], sign: false, secretFrom: { env: 'NOT_SET' } }), { env: {}, now: () => NOW });
      await sink.send(crashLoop());
      assert.equal(plain.received[0].headers['webhook-signature'], undefined);
      assert.equal(plain.received[0].headers['webhook-id'], 'k1');
    } finally {
      await plain.close();
    }
  });

  it('refuses sends once closed, after waiting for those in flight', async () => {
    fake.script('/wait', { status: 200, hang: true });
    const sink = createWebhookSink({ ...config({ urls: [fake.url('/wait')] }), timeoutSeconds: 0.2 }, deps);
    const inflight = sink.send(crashLoop());
    const closed = sink.close();
    await assert.rejects(sink.send(crashLoop()), (err: SinkError) => err.kind === 'permanent' && err.message === 'webhook sink "hooks": closed');
    await closed;
    assert.equal((await rejection(inflight)).kind, 'retryable', 'close waited for the send to finish');
  });

  it('is what the registry builds from the config', async () => {
    receiverNow = null; // the registry's sink has the real clock
    const cfg = parseConfigText(`sinks: [{ name: reg, type: webhook, urls: ["${fake.url('/reg')}"] }]`, 'x').sinks[0];
    const sink = await createSink(cfg, { env });
    assert.equal(sink.type, 'webhook');
    await sink.send(crashLoop());
    await sink.sendGroup!([crashLoop({ idempotencyKey: 'g1' }), crashLoop({ idempotencyKey: 'g2' })], { key: 'g', update: 0 });
    assert.deepEqual(fake.accepted('/reg').map((r) => r.headers['webhook-id']).sort(), ['g1', 'g2', 'k1']);
  });
});

describe('webhook secrets at start-up', () => {
  const cfg = config({ urls: ['https://a.example'] });

  it('name the sink and the variable when the secret is missing', () => {
    assert.throws(
      () => createWebhookSink(cfg, { env: {} }),
      (err: ConfigError) => err instanceof ConfigError && err.message === 'KUBEHERALD_WEBHOOK_SECRET: webhook sink "hooks" (secretFrom.env): environment variable is not set or is empty',
    );
  });

  it('read a mounted file, and name a missing one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubeherald-webhook-'));
    try {
      await writeFile(join(dir, 'secret'), `${SECRET}\n`);
      const sink = createWebhookSink({ ...cfg, secretFrom: { file: join(dir, 'secret') } }, { env: {} });
      assert.equal(sink.name, 'hooks');
      assert.throws(() => createWebhookSink({ ...cfg, secretFrom: { file: join(dir, 'other') } }, { env: {} }), {
        message: `${join(dir, 'other')}: webhook sink "hooks" (secretFrom.file): cannot read: no such file`,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('name a header variable that is not set, and a sink without URLs', () => {
    assert.throws(() => createWebhookSink({ ...cfg, headers: { Authorization: 'Bearer ${HOOK_TOKEN}' } }, { env: { KUBEHERALD_WEBHOOK_SECRET: 's' } }), {
      message: 'HOOK_TOKEN: webhook sink "hooks": not set; headers.Authorization refers to it as ${HOOK_TOKEN}',
    });
    assert.throws(() => createWebhookSink(config({ urls: [] }), { env: { KUBEHERALD_WEBHOOK_SECRET: 's' } }), {
      message: 'config: webhook sink "hooks": no URLs; set its urls, KUBEHERALD_WEBHOOKS or --url',
    });
  });
});
