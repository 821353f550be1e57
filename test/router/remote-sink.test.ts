// The remote sink: what it asks the router for (stable delivery ids per
// notification and per group update, target, options), its ordering key,
// close() waiting for sends in flight; and one trip through a real router to
// an in-process plugin.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { Outcome } from '../../src/gen/kubeherald/v1/plugin_pb.js';
import { type Notification, NotificationSchema } from '../../src/model/notification.ts';
import { createRemoteSink } from '../../src/sinks/plugin/remote-sink.ts';
import { PluginRouter } from '../../src/router/router.ts';
import type { PluginDelivery } from '../../src/router/types.ts';
import { SinkError } from '../../src/sinks/types.ts';
import { deferred, FakePlugin, quietLog, TestSource } from './plugin-fake.ts';

const note = (key: string): Notification => create(NotificationSchema, { idempotencyKey: key, title: key });

function fakeRouter(answer: (type: string, d: PluginDelivery) => Promise<void> = async () => {}) {
  const calls: { type: string; d: PluginDelivery }[] = [];
  return {
    calls,
    router: {
      deliver: (type: string, d: PluginDelivery) => {
        calls.push({ type, d });
        return answer(type, d);
      },
    },
  };
}

describe('createRemoteSink', () => {
  it('sends a notification with a delivery id stable per (sink, notification)', async () => {
    const f = fakeRouter();
    const s = createRemoteSink({ name: 'ops-slack', pluginType: 'slack', target: '#ops', options: { threads: true }, router: f.router });
    assert.equal(s.name, 'ops-slack');
    assert.equal(s.type, 'slack');
    const n = note('k1');
    await s.send(n);
    await s.send(n);
    assert.equal(f.calls.length, 2);
    assert.deepEqual(f.calls[0], {
      type: 'slack',
      d: { deliveryId: 'ops-slack:k1', sink: 'ops-slack', target: '#ops', options: { threads: true }, payload: { case: 'notification', value: n }, attempt: 1 },
    });
    assert.equal(f.calls[1].d.deliveryId, 'ops-slack:k1');
    assert.equal(s.targetOf?.(n), '#ops');
  });

  it('sends a group with an id per group update, members in order', async () => {
    const f = fakeRouter();
    const s = createRemoteSink({ name: 'hooks', pluginType: 'webhook', router: f.router });
    const ns = [note('a'), note('b')];
    await s.sendGroup?.(ns, { key: 'ns/demo', update: 0 });
    await s.sendGroup?.(ns, { key: 'ns/demo', update: 1 });
    assert.deepEqual(
      f.calls.map((c) => c.d.deliveryId),
      ['hooks:group:ns/demo:0', 'hooks:group:ns/demo:1'],
    );
    const p = f.calls[1].d.payload;
    assert.equal(p.case, 'group');
    assert.deepEqual(p.case === 'group' && { key: p.value.key, update: p.value.update, members: p.value.members.map((m) => m.idempotencyKey) }, {
      key: 'ns/demo',
      update: 1,
      members: ['a', 'b'],
    });
    // no target: the plugin's default, and the whole sink is one ordering target
    assert.equal(f.calls[0].d.target, '');
    assert.deepEqual(f.calls[0].d.options, {});
    assert.equal(s.targetOf?.(note('x')), 'hooks');
  });

  it('names its plugin type, and says it sends pods whole when its options ask the webhook plugin for pod payloads', () => {
    const f = fakeRouter();
    const pods = createRemoteSink({ name: 'k8svent', pluginType: 'webhook', options: { payload: 'pod' }, router: f.router });
    const plain = createRemoteSink({ name: 'hooks', pluginType: 'webhook', router: f.router });
    assert.deepEqual([pods.plugin, pods.sendsPods, plain.plugin, plain.sendsPods], ['webhook', true, 'webhook', false]);
  });

  it('passes the router rejection through untouched', async () => {
    const err = new SinkError('slack plugin: ratelimited', { kind: 'rate-limited', retryAfterMs: 2000 });
    const s = createRemoteSink({ name: 's', pluginType: 'slack', router: fakeRouter(() => Promise.reject(err)).router });
    await assert.rejects(s.send(note('k')), (e) => e === err);
  });

  it('close() waits for sends in flight, then refuses new ones', async () => {
    const gate = deferred();
    const s = createRemoteSink({ name: 's', pluginType: 'slack', router: fakeRouter(() => gate.promise).router });
    const sent = s.send(note('k'));
    let closed = false;
    const c = s.close().then(() => (closed = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(closed, false);
    gate.resolve();
    await sent;
    await c;
    await assert.rejects(s.send(note('k2')), (e: unknown) => e instanceof SinkError && e.kind === 'permanent' && /closed/.test(e.message));
  });

  it('delivers through a real router to a plugin', async () => {
    const p = await FakePlugin.start({
      type: 'slack',
      handle: (req) => (req.deliveryId.endsWith(':bad') ? { outcome: Outcome.PERMANENT, message: 'channel_not_found' } : { outcome: Outcome.DELIVERED }),
    });
    const r = new PluginRouter({ log: quietLog, healthIntervalMs: 50 });
    try {
      await r.addSource(new TestSource([p.endpoint()]));
      await r.waitForReady('slack', 1);
      const s = createRemoteSink({ name: 'ops', pluginType: 'slack', target: '#ops', router: r });
      await s.send(note('good'));
      await s.sendGroup?.([note('m1'), note('m2')], { key: 'g', update: 3 });
      await assert.rejects(s.send(note('bad')), (e: unknown) => e instanceof SinkError && e.kind === 'permanent' && /channel_not_found/.test(e.message));
      await s.close();
      assert.deepEqual(p.delivered, ['ops:good', 'ops:group:g:3']);
      assert.equal(p.requests[0].target, '#ops');
      assert.equal(p.requests[0].sink, 'ops');
      assert.equal(p.requests[1].payload.case, 'group');
    } finally {
      await r.close();
      await p.close();
    }
  });
});
