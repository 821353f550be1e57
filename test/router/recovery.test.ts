// onRecovered(): the router says when a plugin type goes from no usable
// instance to one — the first healthy instance, or one back after all were
// down — and only then, so the outbox can retry that type's waiting
// deliveries at once.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { HealthCheckResponse_ServingStatus } from '../../src/gen/grpc/health/v1/health_pb.js';
import { PluginRouter } from '../../src/router/router.ts';
import { FakePlugin, recordingLog, TestSource } from './plugin-fake.ts';

const { SERVING, NOT_SERVING } = HealthCheckResponse_ServingStatus;

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function plugin(status: HealthCheckResponse_ServingStatus): Promise<FakePlugin> {
  const p = await FakePlugin.start();
  p.status = status;
  cleanups.push(() => p.close());
  return p;
}

describe('plugin type recovery', () => {
  it('is announced on none → one usable instance, not on more, and again after all were down', async () => {
    const logs = recordingLog();
    const r = new PluginRouter({ log: logs.log, healthIntervalMs: 20, unhealthyThreshold: 1 });
    cleanups.push(() => r.close());
    const recovered: string[] = [];
    let onRecovery: (() => void) | undefined;
    r.onRecovered((type) => {
      recovered.push(type);
      onRecovery?.();
    });
    const nextRecovery = (): Promise<void> => new Promise((resolve) => (onRecovery = resolve));

    const [a, b] = [await plugin(NOT_SERVING), await plugin(SERVING)];
    const src = new TestSource([a.endpoint()]);
    await r.addSource(src);
    await logs.next('plugin instance not serving yet');
    assert.deepEqual(recovered, []);

    let recovery = nextRecovery();
    a.status = SERVING;
    await recovery;
    assert.deepEqual(recovered, ['fake']);

    // a second instance is no recovery: the type was not down
    src.set([a.endpoint(), b.endpoint()]);
    await r.waitForReady('fake', 2);
    assert.deepEqual(recovered, ['fake']);

    // both down, then one back: recovered again
    a.status = NOT_SERVING;
    b.status = NOT_SERVING;
    await Promise.all([r.waitForState(a.endpoint().id, 'unhealthy'), r.waitForState(b.endpoint().id, 'unhealthy')]);
    recovery = nextRecovery();
    b.status = SERVING;
    await recovery;
    assert.deepEqual(recovered, ['fake', 'fake']);
  });

  it('an unsubscribed listener hears nothing; a failing one is logged and the others still hear', async () => {
    const logs = recordingLog();
    const r = new PluginRouter({ log: logs.log, healthIntervalMs: 20 });
    cleanups.push(() => r.close());
    const heard: string[] = [];
    const off = r.onRecovered(() => heard.push('removed'));
    off();
    r.onRecovered(() => {
      throw new Error('listener bug');
    });
    let resolve!: () => void;
    const done = new Promise<void>((res) => (resolve = res));
    r.onRecovered((type) => {
      heard.push(type);
      resolve();
    });
    await r.addSource(new TestSource([(await plugin(SERVING)).endpoint()]));
    await done;
    assert.deepEqual(heard, ['fake']);
    const line = await logs.next('plugin recovery handler failed');
    assert.deepEqual([line.level, line.obj.type, line.obj.err], ['error', 'fake', 'listener bug']);
  });
});
