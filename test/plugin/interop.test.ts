// The contract is the .proto files, not our code: @grpc/grpc-js (loading the
// protos with @grpc/proto-loader, as a plugin or router in another language
// would from its own generated code) calls the kubeherald plugin server, and
// a SinkPlugin written with grpc-js is called by a connect client.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Code, ConnectError } from '@connectrpc/connect';
import { Capability, Outcome } from '../../src/gen/kubeherald/v1/plugin_pb.js';
import type { Notification } from '../../src/model/notification.ts';
import { type PluginServer, startPluginServer } from '../../src/plugin/server.ts';
import { type Sink, SinkError } from '../../src/sinks/types.ts';
import { notification, pluginClient, recordingLog } from './helpers.ts';

const PROTO_ROOT = new URL('../../proto/', import.meta.url).pathname;

// the well-known types (google/protobuf/*.proto) come with protobufjs, which proto-loader uses
const definition = protoLoader.loadSync(['kubeherald/v1/plugin.proto', 'grpc/health/v1/health.proto'], {
  includeDirs: [PROTO_ROOT],
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  kubeherald: { v1: { SinkPlugin: grpc.ServiceClientConstructor } };
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};

type Unary = (req: unknown, cb: (err: grpc.ServiceError | null, res: any) => void) => void;
const call = <T>(client: grpc.Client, method: string, req: unknown): Promise<T> =>
  new Promise((resolve, reject) => ((client as unknown as Record<string, Unary>)[method]).call(client, req, (err, res) => (err ? reject(err) : resolve(res as T))));

/** A notification as proto-loader objects spell it (camelCase fields, Timestamp as seconds/nanos). */
function wireNotification(key: string) {
  return {
    idempotencyKey: key,
    incidentKey: `pod/uid-${key}/app/OOMKilled`,
    eventTime: { seconds: '1741089665', nanos: 0 },
    severity: 'SEVERITY_WARNING',
    state: 'STATE_FIRING',
    reason: 'OOMKilled',
    title: `pod ${key} was OOM-killed`,
    message: 'container app exceeded its memory limit',
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: `api-${key}`, uid: `uid-${key}` },
    labels: { app: 'api' },
    count: 2,
    fields: { container: 'app' },
  };
}

describe('grpc-js client → kubeherald plugin server', () => {
  const sent: Notification[] = [];
  let server: PluginServer;
  let plugin: grpc.Client;
  let health: grpc.Client;

  before(async () => {
    const sink: Sink = {
      name: 'term',
      type: 'console',
      async send(n) {
        if (n.reason === 'Refuse') throw new SinkError('the platform said no', { kind: 'permanent' });
        sent.push(n);
      },
      close: async () => undefined,
    };
    server = await startPluginServer({ type: 'console', base: { name: 'term', allow: { options: ['color'] } }, listen: '127.0.0.1:0', log: recordingLog(), createSink: async () => sink });
    plugin = new loaded.kubeherald.v1.SinkPlugin(server.address, grpc.credentials.createInsecure());
    health = new loaded.grpc.health.v1.Health(server.address, grpc.credentials.createInsecure());
  });
  after(async () => {
    plugin.close();
    health.close();
    await server.close();
  });

  it('Describe', async () => {
    const d = await call<{ type: string; version: string; capabilities: string[]; optionsSchemaJson: string; targetOption: string }>(plugin, 'describe', {});
    assert.deepEqual([d.type, d.version, d.targetOption], ['console', '0.1.0', '']);
    assert.deepEqual(d.capabilities, ['CAPABILITY_STREAM', 'CAPABILITY_IDEMPOTENT']);
    assert.deepEqual(Object.keys((JSON.parse(d.optionsSchemaJson) as { properties: object }).properties), ['color']);
  });

  it('Deliver, with options as a google.protobuf.Struct', async () => {
    const res = await call<{ deliveryId: string; outcome: string; message: string }>(plugin, 'deliver', {
      deliveryId: 'gj-1',
      sink: 'term',
      target: '',
      options: { fields: { color: { stringValue: 'never' } } },
      notification: wireNotification('gj-1'),
      attempt: 1,
    });
    assert.deepEqual([res.deliveryId, res.outcome, res.message], ['gj-1', 'OUTCOME_DELIVERED', '']);
    const n = sent.find((x) => x.idempotencyKey === 'gj-1')!;
    assert.equal(n.title, 'pod gj-1 was OOM-killed');
    assert.equal(n.eventTime?.seconds, 1741089665n);
    assert.equal(n.involvedObject?.namespace, 'shop');
    assert.deepEqual(n.labels, { app: 'api' });

    const refused = await call<{ outcome: string; message: string }>(plugin, 'deliver', {
      deliveryId: 'gj-2',
      sink: 'term',
      options: { fields: { color: { stringValue: 'sometimes' } } },
      notification: wireNotification('gj-2'),
      attempt: 1,
    });
    assert.equal(refused.outcome, 'OUTCOME_PERMANENT');
    assert.match(refused.message, /^options\.color: expected one of auto, always, never, got "sometimes"/);
  });

  it('DeliverStream, answers matched by delivery_id', async () => {
    const stream = (plugin as unknown as { deliverStream(): grpc.ClientDuplexStream<unknown, { result: { deliveryId: string; outcome: string } }> }).deliverStream();
    const answers = new Map<string, string>();
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (r) => answers.set(r.result.deliveryId, r.result.outcome));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    for (let i = 0; i < 50; i++) {
      const n = wireNotification(`gs-${i}`);
      if (i === 7) n.reason = 'Refuse';
      stream.write({ delivery: { deliveryId: `gs-${i}`, sink: 'term', notification: n, attempt: 1 } });
    }
    stream.end();
    await done;
    assert.equal(answers.size, 50);
    assert.equal(answers.get('gs-7'), 'OUTCOME_PERMANENT');
    assert.deepEqual([...answers].filter(([, o]) => o === 'OUTCOME_DELIVERED').length, 49);
  });

  it('Health.Check', async () => {
    assert.equal((await call<{ status: string }>(health, 'check', { service: '' })).status, 'SERVING');
    assert.equal((await call<{ status: string }>(health, 'check', { service: 'kubeherald.v1.SinkPlugin' })).status, 'SERVING');
    await assert.rejects(call(health, 'check', { service: 'other.Service' }), (err: grpc.ServiceError) => err.code === grpc.status.NOT_FOUND);
  });
});

describe('connect client → a SinkPlugin written with grpc-js', () => {
  let server: grpc.Server;
  let address: string;
  const got: string[] = [];

  before(async () => {
    type Req = { deliveryId: string; sink: string; target: string; options: unknown; notification?: { title: string }; attempt: number };
    const answer = (req: Req) => {
      got.push(`${req.deliveryId}|${req.target}|${req.notification?.title}`);
      if (req.target === '#busy') return { deliveryId: req.deliveryId, outcome: 'OUTCOME_RATE_LIMITED', message: 'slow down', retryAfter: { seconds: '3', nanos: 500_000_000 } };
      return { deliveryId: req.deliveryId, outcome: 'OUTCOME_DELIVERED', message: '' };
    };
    server = new grpc.Server();
    server.addService(loaded.kubeherald.v1.SinkPlugin.service, {
      describe: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb(null, { type: 'matrix', version: '2.0.0', capabilities: ['CAPABILITY_STREAM'], optionsSchemaJson: '{"type":"object"}', targetOption: 'room' }),
      deliver: (c: grpc.ServerUnaryCall<Req, unknown>, cb: grpc.sendUnaryData<unknown>) => cb(null, answer(c.request)),
      deliverStream: (c: grpc.ServerDuplexStream<{ delivery: Req }, unknown>) => {
        c.on('data', (r: { delivery: Req }) => c.write({ result: answer(r.delivery) }));
        c.on('end', () => c.end());
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    address = `127.0.0.1:${port}`;
  });
  after(() => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));

  it('Describe, Deliver and DeliverStream', async () => {
    const client = pluginClient(address);
    try {
      const d = await client.plugin.describe({});
      assert.deepEqual([d.type, d.version, d.capabilities, d.targetOption], ['matrix', '2.0.0', [Capability.STREAM], 'room']);

      const ok = await client.plugin.deliver({ deliveryId: 'cx-1', sink: 'chat', target: '#ops', options: { format: 'html' }, payload: { case: 'notification', value: notification('cx-1') }, attempt: 1 });
      assert.deepEqual([ok.deliveryId, ok.outcome], ['cx-1', Outcome.DELIVERED]);
      const busy = await client.plugin.deliver({ deliveryId: 'cx-2', sink: 'chat', target: '#busy', payload: { case: 'notification', value: notification('cx-2') }, attempt: 1 });
      assert.deepEqual([busy.outcome, busy.message, busy.retryAfter?.seconds, busy.retryAfter?.nanos], [Outcome.RATE_LIMITED, 'slow down', 3n, 500_000_000]);

      async function* reqs() {
        for (let i = 0; i < 20; i++) yield { delivery: { deliveryId: `cs-${i}`, sink: 'chat', target: '#ops', payload: { case: 'notification' as const, value: notification(`cs-${i}`) }, attempt: 1 } };
      }
      const ids: string[] = [];
      for await (const r of client.plugin.deliverStream(reqs())) {
        assert.equal(r.result?.outcome, Outcome.DELIVERED);
        ids.push(r.result!.deliveryId);
      }
      assert.deepEqual(ids, Array.from({ length: 20 }, (_, i) => `cs-${i}`));
      assert.equal(got[0], 'cx-1|#ops|web-cx-1 is crash-looping');
      assert.equal(got.length, 22);

      // a method the plugin does not serve is UNIMPLEMENTED, which a router reads as "not this plugin"
      await assert.rejects(client.health.check({ service: '' }), (err: unknown) => ConnectError.from(err).code === Code.Unimplemented);
    } finally {
      client.close();
    }
  });
});
