// Interop: the router (connect client) against a plugin served by
// @grpc/grpc-js from the .proto files, so the wire is plain gRPC any
// language's plugin can speak: Describe, DeliverStream with answers out of
// order, unary Deliver, grpc.health.v1, and retry_after as a Duration.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { NotificationSchema, Severity } from '../../src/model/notification.ts';
import { PluginRouter } from '../../src/router/router.ts';
import type { PluginDelivery } from '../../src/router/types.ts';
import { SinkError } from '../../src/sinks/types.ts';
import { quietLog, TestSource } from './plugin-fake.ts';

interface WireRequest {
  deliveryId: string;
  sink: string;
  target: string;
  options?: { fields?: Record<string, { stringValue?: string; boolValue?: boolean }> };
  notification?: { idempotencyKey: string; severity: string; labels: Record<string, string> };
  group?: unknown;
  payload?: string;
  attempt: number;
}

/** A service definition by its full name from a loaded package. */
function service(pkg: grpc.GrpcObject, name: string): grpc.ServiceDefinition {
  let at: unknown = pkg;
  for (const part of name.split('.')) at = (at as Record<string, unknown>)[part];
  return (at as { service: grpc.ServiceDefinition }).service;
}

function answer(req: WireRequest): { deliveryId: string; outcome: string; message: string; retryAfter?: { seconds: number; nanos: number } } {
  if (req.deliveryId.endsWith(':slow')) return { deliveryId: req.deliveryId, outcome: 'OUTCOME_RATE_LIMITED', message: 'slow down', retryAfter: { seconds: 2, nanos: 500_000_000 } };
  return { deliveryId: req.deliveryId, outcome: 'OUTCOME_DELIVERED', message: '' };
}

async function serve(type: string, capabilities: string[], seen: WireRequest[]): Promise<{ server: grpc.Server; address: string }> {
  const def = protoLoader.loadSync(['kubeherald/v1/plugin.proto', 'grpc/health/v1/health.proto'], {
    includeDirs: [new URL('../../proto', import.meta.url).pathname],
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def);
  const server = new grpc.Server();
  server.addService(service(pkg, 'kubeherald.v1.SinkPlugin'), {
    describe: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { type, version: 'grpc-js', capabilities }),
    deliver: (call: grpc.ServerUnaryCall<WireRequest, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      seen.push(call.request);
      cb(null, answer(call.request));
    },
    deliverStream: (call: grpc.ServerDuplexStream<{ delivery: WireRequest }, unknown>) => {
      // answers in reverse order of arrival, in pairs, to prove matching by
      // delivery_id; one left without a partner is answered a moment later
      let held: WireRequest | undefined;
      let timer: NodeJS.Timeout | undefined;
      const flush = (): void => {
        clearTimeout(timer);
        if (held) call.write({ result: answer(held) });
        held = undefined;
      };
      call.on('data', (m: { delivery: WireRequest }) => {
        seen.push(m.delivery);
        if (!held) {
          held = m.delivery;
          timer = setTimeout(flush, 20);
          return;
        }
        call.write({ result: answer(m.delivery) });
        flush();
      });
      call.on('end', () => {
        flush();
        call.end();
      });
    },
  });
  server.addService(service(pkg, 'grpc.health.v1.Health'), {
    check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, cb: grpc.sendUnaryData<unknown>) =>
      cb(null, { status: call.request.service === 'kubeherald.v1.SinkPlugin' ? 'SERVING' : 'SERVICE_UNKNOWN' }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, address: `127.0.0.1:${port}` };
}

const delivery = (id: string): PluginDelivery => ({
  deliveryId: id,
  sink: 'ops',
  target: '#ops',
  options: { threads: true, template: 'short' },
  payload: { case: 'notification', value: create(NotificationSchema, { idempotencyKey: id, severity: Severity.CRITICAL, labels: { app: 'web' } }) },
  attempt: 2,
});

describe('interop with a @grpc/grpc-js plugin', () => {
  const seen: WireRequest[] = [];
  const seenUnary: WireRequest[] = [];
  let streaming: { server: grpc.Server; address: string };
  let unary: { server: grpc.Server; address: string };
  let r: PluginRouter;

  before(async () => {
    streaming = await serve('slack', ['CAPABILITY_STREAM', 'CAPABILITY_IDEMPOTENT'], seen);
    unary = await serve('teams', [], seenUnary);
    r = new PluginRouter({ log: quietLog, healthIntervalMs: 100 });
    await r.addSource(
      new TestSource([
        { id: 'static/slack', type: 'slack', address: streaming.address, source: 'static' },
        { id: 'static/teams', type: 'teams', address: unary.address, source: 'static' },
      ]),
    );
    await r.waitForReady('slack', 1);
    await r.waitForReady('teams', 1);
  });

  after(async () => {
    await r.close();
    streaming.server.forceShutdown();
    unary.server.forceShutdown();
  });

  it('streams deliveries whose answers come back out of order', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `ops:n${i}`);
    await Promise.all(ids.map((id) => r.deliver('slack', delivery(id))));
    assert.deepEqual(seen.map((q) => q.deliveryId).sort(), [...ids].sort());
    const q = seen[0];
    assert.equal(q.sink, 'ops');
    assert.equal(q.target, '#ops');
    assert.equal(q.attempt, 2);
    assert.equal(q.payload, 'notification');
    assert.equal(q.notification?.severity, 'SEVERITY_CRITICAL');
    assert.deepEqual(q.notification?.labels, { app: 'web' });
    assert.equal(q.options?.fields?.threads?.boolValue, true);
    assert.equal(q.options?.fields?.template?.stringValue, 'short');
  });

  it('reads retry_after as a Duration', async () => {
    await assert.rejects(
      r.deliver('slack', delivery('ops:slow')),
      (e: unknown) => e instanceof SinkError && e.kind === 'rate-limited' && e.retryAfterMs === 2500,
    );
  });

  it('uses unary Deliver when the plugin does not stream', async () => {
    await r.deliver('teams', delivery('ops:u1'));
    assert.deepEqual(
      seenUnary.map((q) => q.deliveryId),
      ['ops:u1'],
    );
    assert.equal(seenUnary[0].notification?.idempotencyKey, 'ops:u1');
  });
});
