// The plugin server over real HTTP/2 with a connect gRPC client: outcomes
// against the webhook fake, options, repeats, streams, health and shutdown.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Code, ConnectError } from '@connectrpc/connect';
import { HealthCheckResponse_ServingStatus as Status } from '../../src/gen/grpc/health/v1/health_pb.js';
import { Capability, type DeliverStreamRequest, Outcome } from '../../src/gen/kubeherald/v1/plugin_pb.js';
import type { Notification } from '../../src/model/notification.ts';
import { startPluginServer } from '../../src/plugin/server.ts';
import { type Sink, SinkError } from '../../src/sinks/types.ts';
import { FakeWebhooks } from '../fakes/webhook.ts';
import { notification, pluginClient, recordingLog, SECRET, webhookPlugin } from './helpers.ts';

const one = (id: string, key = id) => ({ deliveryId: id, sink: 'hooks', payload: { case: 'notification' as const, value: notification(key) }, attempt: 1 });

/** A sink whose sends wait until the test lets them go. */
function gatedSink() {
  const sent: Notification[] = [];
  const waiting: (() => void)[] = [];
  let entered!: () => void;
  let onEnter = new Promise<void>((r) => (entered = r));
  let closed = false;
  const sink: Sink = {
    name: 'gated',
    type: 'webhook',
    async send(n) {
      sent.push(n);
      entered();
      await new Promise<void>((r) => waiting.push(r));
    },
    async close() {
      closed = true;
    },
  };
  return {
    sink,
    sent,
    get closed() {
      return closed;
    },
    /** resolves once the next send has begun */
    nextSend() {
      const p = onEnter;
      return p.then(() => {
        onEnter = new Promise<void>((r) => (entered = r));
      });
    },
    releaseAll() {
      for (const w of waiting.splice(0)) w();
    },
  };
}

async function* requestsOf(items: DeliverStreamRequest[] | AsyncIterable<DeliverStreamRequest>) {
  yield* items;
}

describe('plugin server with the webhook fake', () => {
  let fake: FakeWebhooks;
  let plugin: Awaited<ReturnType<typeof webhookPlugin>>;

  before(async () => {
    fake = await FakeWebhooks.start({ secret: SECRET });
    plugin = await webhookPlugin(fake);
  });
  after(async () => {
    plugin.client.close();
    await plugin.server.close();
    await fake.close();
  });

  it('describes itself', async () => {
    const d = await plugin.client.plugin.describe({});
    assert.equal(d.type, 'webhook');
    assert.equal(d.version, '0.1.0');
    assert.deepEqual(d.capabilities, [Capability.GROUPS, Capability.STREAM, Capability.IDEMPOTENT]);
    assert.equal(d.targetOption, '');
    const schema = JSON.parse(d.optionsSchemaJson) as { properties: Record<string, unknown>; additionalProperties: boolean };
    assert.equal(schema.additionalProperties, false);
    assert.equal('secretFrom' in schema.properties, false);
    assert.equal('headers' in schema.properties, false);
  });

  it('maps each platform answer to an outcome', async () => {
    fake.script('/hook', { status: 429, headers: { 'Retry-After': '7' } }, { status: 500 }, { status: 400, body: 'bad' });
    const limited = await plugin.client.plugin.deliver(one('o-1'));
    assert.equal(limited.outcome, Outcome.RATE_LIMITED);
    assert.equal(limited.deliveryId, 'o-1');
    assert.equal(limited.retryAfter?.seconds, 7n);
    assert.match(limited.message, /HTTP 429/);
    const retry = await plugin.client.plugin.deliver(one('o-2'));
    assert.equal(retry.outcome, Outcome.RETRYABLE);
    assert.match(retry.message, /HTTP 500/);
    const perm = await plugin.client.plugin.deliver(one('o-3'));
    assert.equal(perm.outcome, Outcome.PERMANENT);
    assert.match(perm.message, /HTTP 400/);
    const ok = await plugin.client.plugin.deliver(one('o-4'));
    assert.deepEqual([ok.outcome, ok.message, ok.retryAfter], [Outcome.DELIVERED, '', undefined]);
    const got = fake.accepted('/hook').at(-1)!;
    assert.equal(got.verified, true);
    assert.equal(got.headers['webhook-id'], 'o-4');
    // one log line per delivery: what happened, never the payload
    const lines = plugin.log.entries.filter((e) => String(e.obj.deliveryId).startsWith('o-'));
    assert.deepEqual(
      lines.map((e) => [e.level, e.obj.deliveryId, e.obj.outcome, e.obj.sink]),
      [
        ['warn', 'o-1', 'rate-limited', 'hooks'],
        ['warn', 'o-2', 'retryable', 'hooks'],
        ['warn', 'o-3', 'permanent', 'hooks'],
        ['info', 'o-4', 'delivered', 'hooks'],
      ],
    );
    assert.equal(typeof lines[3].obj.durationMs, 'number');
    assert.equal(JSON.stringify(lines).includes('crash-looping'), false);
  });

  it('applies options and refuses bad ones without sending', async () => {
    const before = fake.received.length;
    const creds = await plugin.client.plugin.deliver({ ...one('p-1'), options: { secretFrom: { env: 'HOME' } } });
    assert.deepEqual([creds.outcome, creds.message], [Outcome.PERMANENT, "options.secretFrom: credentials are read from the plugin's own environment or files, never chosen by a delivery"]);
    const invalid = await plugin.client.plugin.deliver({ ...one('p-2'), options: { timeoutSeconds: 0 } });
    assert.deepEqual([invalid.outcome, invalid.message], [Outcome.PERMANENT, 'options.timeoutSeconds: expected an integer ≥ 1, got 0']);
    const target = await plugin.client.plugin.deliver({ ...one('p-3'), target: '#x' });
    assert.equal(target.outcome, Outcome.PERMANENT);
    assert.equal(fake.received.length, before);
    // a valid option changes what is sent: a template body
    const templated = await plugin.client.plugin.deliver({ ...one('p-4'), options: { template: '{"text": "{{title}}"}' } });
    assert.equal(templated.outcome, Outcome.DELIVERED);
    assert.deepEqual(fake.accepted('/hook').at(-1)!.body, { text: 'web-p-4 is crash-looping' });
  });

  it('sends a repeated delivery_id once', async () => {
    const first = await plugin.client.plugin.deliver(one('r-1'));
    const again = await plugin.client.plugin.deliver({ ...one('r-1'), attempt: 2 });
    assert.equal(first.outcome, Outcome.DELIVERED);
    assert.deepEqual([again.outcome, again.message], [Outcome.DELIVERED, 'already delivered']);
    assert.equal(fake.accepted('/hook').filter((r) => r.headers['webhook-id'] === 'r-1').length, 1);
    // a failed delivery is not remembered: its retry is sent
    fake.script('/hook', { status: 503 });
    assert.equal((await plugin.client.plugin.deliver(one('r-2'))).outcome, Outcome.RETRYABLE);
    assert.equal((await plugin.client.plugin.deliver(one('r-2'))).outcome, Outcome.DELIVERED);
  });

  it('delivers a group as one request', async () => {
    const res = await plugin.client.plugin.deliver({
      deliveryId: 'g-1',
      sink: 'hooks',
      payload: { case: 'group', value: { key: 'grp', update: 0, members: [notification('g-a'), notification('g-b')] } },
      attempt: 1,
    });
    assert.equal(res.outcome, Outcome.DELIVERED);
    const body = fake.accepted('/hook').at(-1)!.body as { notifications?: unknown[] } & Record<string, unknown>;
    assert.equal(JSON.stringify(body).includes('web-g-b'), true);
  });

  it('answers many deliveries over one stream, each by its id', async () => {
    const n = 200;
    const before = fake.accepted('/hook').length;
    const reqs = Array.from({ length: n }, (_, i) => ({ delivery: one(`s-${i}`) }) as DeliverStreamRequest);
    const ids: string[] = [];
    for await (const r of plugin.client.plugin.deliverStream(requestsOf(reqs))) {
      assert.equal(r.result?.outcome, Outcome.DELIVERED);
      ids.push(r.result!.deliveryId);
    }
    assert.equal(ids.length, n);
    assert.deepEqual(new Set(ids), new Set(reqs.map((r) => r.delivery!.deliveryId)));
    const sent = fake.accepted('/hook').slice(before).map((r) => r.headers['webhook-id']);
    assert.equal(sent.length, n);
    assert.equal(new Set(sent).size, n);
  });

  it('serves health for the server and the plugin service, NotFound otherwise', async () => {
    assert.equal((await plugin.client.health.check({ service: '' })).status, Status.SERVING);
    assert.equal((await plugin.client.health.check({ service: 'kubeherald.v1.SinkPlugin' })).status, Status.SERVING);
    await assert.rejects(plugin.client.health.check({ service: 'nope.v1.Nope' }), (err: unknown) => ConnectError.from(err).code === Code.NotFound);
    const watch = plugin.client.health.watch({ service: 'nope.v1.Nope' })[Symbol.asyncIterator]();
    assert.equal((await watch.next()).value?.status, Status.SERVICE_UNKNOWN);
    await watch.return?.();
  });
});

describe('plugin server internals', () => {
  it('bounds the deliveries in flight per stream', async () => {
    const limit = 8;
    const total = 50;
    let active = 0;
    let max = 0;
    let started = 0;
    const waiting: (() => void)[] = [];
    const sink: Sink = {
      name: 'slow',
      type: 'console',
      async send() {
        started++;
        max = Math.max(max, ++active);
        await new Promise<void>((r) => {
          waiting.push(r);
          // let a batch go once the stream is full (or nothing more can come)
          if (waiting.length === limit || started === total) for (const w of waiting.splice(0)) w();
        });
        active--;
      },
      close: async () => undefined,
    };
    const server = await startPluginServer({ type: 'console', base: {}, listen: '127.0.0.1:0', log: recordingLog(), streamConcurrency: limit, createSink: async () => sink });
    const client = pluginClient(server.address);
    try {
      const reqs = Array.from({ length: total }, (_, i) => ({ delivery: one(`c-${i}`) }) as DeliverStreamRequest);
      let answered = 0;
      for await (const r of client.plugin.deliverStream(requestsOf(reqs))) if (r.result?.outcome === Outcome.DELIVERED) answered++;
      assert.equal(answered, total);
      assert.equal(max, limit);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('a repeat arriving while the first is in flight waits for it and is not sent again', async () => {
    const gated = gatedSink();
    const server = await startPluginServer({ type: 'console', base: {}, listen: '127.0.0.1:0', log: recordingLog(), createSink: async () => gated.sink });
    const client = pluginClient(server.address);
    try {
      const first = client.plugin.deliver(one('dup'));
      await gated.nextSend();
      const second = client.plugin.deliver({ ...one('dup'), attempt: 2 });
      // the second is on the server, waiting: answer both
      const health = await client.health.check({ service: '' });
      assert.equal(health.status, Status.SERVING);
      gated.releaseAll();
      const [a, b] = await Promise.all([first, second]);
      assert.deepEqual([a.outcome, b.outcome], [Outcome.DELIVERED, Outcome.DELIVERED]);
      assert.equal(gated.sent.length, 1);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('never returns a credential in a message', async () => {
    const sink: Sink = {
      name: 'leaky',
      type: 'webhook',
      send: async () => {
        throw new SinkError(`POST failed; signed with ${SECRET}`, { kind: 'retryable' });
      },
      close: async () => undefined,
    };
    const server = await startPluginServer({
      type: 'webhook',
      base: { urls: ['http://127.0.0.1:9/'] },
      listen: '127.0.0.1:0',
      log: recordingLog(),
      env: { KUBEHERALD_WEBHOOK_SECRET: SECRET },
      createSink: async () => sink,
    });
    const client = pluginClient(server.address);
    try {
      const res = await client.plugin.deliver(one('leak'));
      assert.deepEqual([res.outcome, res.message], [Outcome.RETRYABLE, 'POST failed; signed with [redacted]']);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('refuses to start without its credentials, naming the variable', async () => {
    await assert.rejects(
      startPluginServer({ type: 'slack', base: { tokenFrom: { env: 'SLACK_BOT_TOKEN' }, channel: '#a' }, listen: '127.0.0.1:0', log: recordingLog(), env: {} }),
      /SLACK_BOT_TOKEN: slack sink "slack" \(tokenFrom\.env\): environment variable is not set or is empty/,
    );
    await assert.rejects(startPluginServer({ type: 'slack', base: { channel: '#a' }, listen: '127.0.0.1:0', log: recordingLog() }), /plugin config: tokenFrom: expected exactly one of tokenFrom/);
    await assert.rejects(startPluginServer({ type: 'plugin', base: {}, listen: '127.0.0.1:0', log: recordingLog() }), /unknown sink type "plugin"/);
  });

  it('describes a slack plugin: channel is the target option', async () => {
    const server = await startPluginServer({
      type: 'slack',
      base: { tokenFrom: { env: 'SLACK_BOT_TOKEN' }, channel: '#alerts' },
      listen: '127.0.0.1:0',
      log: recordingLog(),
      env: { SLACK_BOT_TOKEN: 'xoxb-1-2-3' },
      version: '9.9.9',
    });
    const client = pluginClient(server.address);
    try {
      const d = await client.plugin.describe({});
      assert.deepEqual([d.type, d.version, d.targetOption], ['slack', '9.9.9', 'channel']);
      assert.deepEqual(d.capabilities, [Capability.GROUPS, Capability.STREAM, Capability.IDEMPOTENT]);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('shuts down gracefully: NOT_SERVING, new deliveries UNAVAILABLE, the one in flight finishes', async () => {
    const gated = gatedSink();
    const log = recordingLog();
    const server = await startPluginServer({ type: 'console', base: {}, listen: '127.0.0.1:0', log, createSink: async () => gated.sink });
    const client = pluginClient(server.address);
    try {
      // capabilities follow the sink: console has no sendGroup
      assert.deepEqual((await client.plugin.describe({})).capabilities, [Capability.STREAM, Capability.IDEMPOTENT]);
      const watch = client.health.watch({ service: 'kubeherald.v1.SinkPlugin' })[Symbol.asyncIterator]();
      assert.equal((await watch.next()).value?.status, Status.SERVING);

      // one unary delivery and one on a stream, both in flight
      const unary = client.plugin.deliver(one('u-1'));
      await gated.nextSend();
      let push!: (r: DeliverStreamRequest) => void;
      const queue: DeliverStreamRequest[] = [];
      let more: (() => void) | undefined;
      push = (r) => {
        queue.push(r);
        more?.();
      };
      const input = (async function* () {
        for (;;) {
          while (queue.length > 0) yield queue.shift()!;
          await new Promise<void>((r) => (more = r));
        }
      })();
      const answers: string[] = [];
      const streamDone = (async () => {
        try {
          for await (const r of client.plugin.deliverStream(input)) answers.push(`${r.result?.deliveryId}:${r.result?.outcome}`);
          return 'ended';
        } catch (err) {
          return `error:${Code[ConnectError.from(err).code]}`;
        }
      })();
      push({ delivery: one('st-1') } as DeliverStreamRequest);
      await gated.nextSend();

      const closed = server.close();
      assert.equal((await watch.next()).value?.status, Status.NOT_SERVING);
      await assert.rejects(client.plugin.deliver(one('u-2')), (err: unknown) => ConnectError.from(err).code === Code.Unavailable);
      // sent on the open stream after shutdown began: never taken, so the router retries it elsewhere
      push({ delivery: one('st-2') } as DeliverStreamRequest);

      gated.releaseAll();
      assert.equal((await unary).outcome, Outcome.DELIVERED);
      assert.equal(await streamDone, 'error:Unavailable');
      assert.deepEqual(answers, [`st-1:${Outcome.DELIVERED}`]);
      await closed;
      assert.equal(gated.closed, true);
      assert.deepEqual(gated.sent.map((n) => n.idempotencyKey), ['u-1', 'st-1']);
      assert.equal((await watch.next()).done, true);
      assert.deepEqual(log.entries.filter((e) => e.msg.startsWith('plugin:')).map((e) => e.msg), ['plugin: shutting down', 'plugin: stopped']);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('gives up on deliveries still in flight when the grace period ends', async () => {
    const gated = gatedSink();
    const log = recordingLog();
    const server = await startPluginServer({ type: 'console', base: {}, listen: '127.0.0.1:0', log, graceMs: 50, createSink: async () => gated.sink });
    const client = pluginClient(server.address);
    try {
      const stuck = client.plugin.deliver(one('stuck')).then(
        () => 'answered',
        (err: unknown) => ConnectError.from(err).code,
      );
      await gated.nextSend();
      await server.close();
      assert.deepEqual(log.entries.filter((e) => e.level === 'warn').map((e) => [e.msg, e.obj.inflight]), [['plugin: grace period over with deliveries still in flight', 1]]);
      // the caller learns nothing was confirmed: a transport failure, so the delivery is retried
      assert.equal(typeof (await stuck), 'number');
    } finally {
      gated.releaseAll();
      client.close();
    }
  });
});
