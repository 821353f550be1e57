// The plugin router against real gRPC servers on 127.0.0.1 (connect, in
// process): balancing over one stream per instance, the plugin's verdicts,
// retries elsewhere on transport failures and deadlines, health checks,
// joining and draining instances, and what happens when all are down.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { HealthCheckResponse_ServingStatus } from '../../src/gen/grpc/health/v1/health_pb.js';
import { Capability, Outcome } from '../../src/gen/kubeherald/v1/plugin_pb.js';
import { type Notification, NotificationSchema } from '../../src/model/notification.ts';
import { PluginRouter, type PluginRouterOptions } from '../../src/router/router.ts';
import type { PluginCallRecord, PluginDelivery } from '../../src/router/types.ts';
import { SinkError } from '../../src/sinks/types.ts';
import { deferred, FakePlugin, type FakePluginOptions, quietLog, recordingLog, TestSource } from './plugin-fake.ts';

const note = (key: string): Notification => create(NotificationSchema, { idempotencyKey: key, reason: 'CrashLoopBackOff', title: `pod ${key}` });

function delivery(id: string): PluginDelivery {
  return { deliveryId: id, sink: 'chat', target: '#ops', options: { thread: true }, payload: { case: 'notification', value: note(id) }, attempt: 1 };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function plugins(n: number, opts: FakePluginOptions = {}): Promise<FakePlugin[]> {
  const ps = await Promise.all(Array.from({ length: n }, () => FakePlugin.start(opts)));
  cleanups.push(() => Promise.all(ps.map((p) => p.close())).then(() => undefined));
  return ps;
}

async function router(
  ps: FakePlugin[],
  over: Partial<PluginRouterOptions> = {},
): Promise<{ r: PluginRouter; src: TestSource; calls: PluginCallRecord[] }> {
  const calls: PluginCallRecord[] = [];
  const r = new PluginRouter({ log: quietLog, healthIntervalMs: 30, onCall: (c) => calls.push(c), ...over });
  cleanups.push(() => r.close());
  const src = new TestSource(ps.map((p) => p.endpoint()));
  await r.addSource(src);
  return { r, src, calls };
}

async function rejection(p: Promise<unknown>): Promise<SinkError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof SinkError, `expected a SinkError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected deliver() to reject');
}

/** Runs `n` deliveries with `concurrency` in flight; ids d0 … d{n-1}. */
async function run(r: PluginRouter, n: number, concurrency: number, prefix = 'd'): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await r.deliver('fake', delivery(`${prefix}${next++}`));
    }),
  );
}

describe('PluginRouter', () => {
  it('balances a stream of deliveries over three instances, each delivered once', async () => {
    const ps = await plugins(3);
    const { r, calls } = await router(ps);
    await r.waitForReady('fake', 3);
    await run(r, 3000, 60);

    const all = ps.flatMap((p) => p.delivered);
    assert.equal(all.length, 3000);
    assert.equal(new Set(all).size, 3000);
    for (const p of ps) {
      assert.ok(p.delivered.length > 600 && p.delivered.length < 1400, `uneven split: ${ps.map((x) => x.delivered.length)}`);
      assert.equal(p.streamsOpened, 1, 'one long-lived stream per instance');
      assert.equal(p.unaryCalls, 0);
    }
    assert.equal(calls.length, 3000);
    assert.ok(calls.every((c) => c.outcome === 'delivered' && c.type === 'fake' && c.sink === 'chat' && c.durationMs >= 0));
    // the request carried what deliver() was given
    const req = ps.flatMap((p) => p.requests).find((q) => q.deliveryId === 'd7');
    assert.equal(req?.target, '#ops');
    assert.deepEqual(req?.options, { thread: true });
    assert.equal(req?.payload.case, 'notification');
    assert.equal(req?.payload.value?.$typeName, 'kubeherald.v1.Notification');

    const info = r.instances();
    assert.deepEqual(
      info.map((i) => [i.type, i.state, i.outstanding, i.source]),
      ps.map(() => ['fake', 'healthy', 0, 'static']),
    );
    assert.equal(
      info.reduce((s, i) => s + i.delivered, 0),
      3000,
    );
  });

  it('uses unary Deliver for a plugin without CAPABILITY_STREAM', async () => {
    const ps = await plugins(2, { capabilities: [] });
    const { r } = await router(ps);
    await r.waitForReady('fake', 2);
    await run(r, 40, 4);
    assert.equal(ps[0].unaryCalls + ps[1].unaryCalls, 40);
    assert.equal(ps[0].streamsOpened + ps[1].streamsOpened, 0);
  });

  it('returns the plugin verdicts as they are, without trying another instance', async () => {
    const answers: Record<string, { outcome: Outcome; message?: string; retryAfterMs?: number }> = {
      perm: { outcome: Outcome.PERMANENT, message: 'channel_not_found' },
      slow: { outcome: Outcome.RATE_LIMITED, message: 'ratelimited', retryAfterMs: 1500 },
      again: { outcome: Outcome.RETRYABLE, message: 'upstream 503' },
      odd: { outcome: Outcome.UNSPECIFIED },
    };
    const ps = await plugins(3, { handle: (req) => answers[req.deliveryId] ?? { outcome: Outcome.DELIVERED } });
    const { r, calls } = await router(ps);
    await r.waitForReady('fake', 3);

    const perm = await rejection(r.deliver('fake', delivery('perm')));
    assert.equal(perm.kind, 'permanent');
    assert.match(perm.message, /^fake plugin \(static\/127\.0\.0\.1:\d+\): delivery perm: channel_not_found$/);
    const slow = await rejection(r.deliver('fake', delivery('slow')));
    assert.equal(slow.kind, 'rate-limited');
    assert.equal(slow.retryAfterMs, 1500);
    const again = await rejection(r.deliver('fake', delivery('again')));
    assert.equal(again.kind, 'retryable');
    assert.equal(again.retryAfterMs, undefined);
    const odd = await rejection(r.deliver('fake', delivery('odd')));
    assert.equal(odd.kind, 'retryable');
    assert.match(odd.message, /answer without an outcome/);

    for (const id of ['perm', 'slow', 'again', 'odd']) {
      assert.equal(ps.flatMap((p) => p.received).filter((x) => x === id).length, 1, `${id} went to exactly one instance`);
    }
    assert.deepEqual(
      calls.map((c) => [c.deliveryId, c.outcome, c.message]),
      [
        ['perm', 'permanent', 'channel_not_found'],
        ['slow', 'rate-limited', 'ratelimited'],
        ['again', 'retryable', 'upstream 503'],
        ['odd', 'retryable', undefined],
      ],
    );
    // verdicts are answers: no instance is held responsible
    assert.ok(r.instances().every((i) => i.state === 'healthy'));
  });

  it('sends a group as one when the plugin can, else its first member', async () => {
    const [withGroups] = await plugins(1, { capabilities: [Capability.STREAM, Capability.GROUPS] });
    const [without] = await plugins(1, { type: 'plain', capabilities: [Capability.STREAM] });
    const { r } = await router([withGroups, without]);
    await r.waitForReady('fake', 1);
    await r.waitForReady('plain', 1);
    const g: PluginDelivery = {
      ...delivery('chat:group:g1:2'),
      payload: { case: 'group', value: { key: 'g1', update: 2, members: [note('a'), note('b')] } },
    };
    await r.deliver('fake', g);
    await r.deliver('plain', g);
    const full = withGroups.requests[0];
    assert.equal(full.payload.case, 'group');
    assert.equal(full.payload.case === 'group' && full.payload.value.members.map((m) => m.idempotencyKey).join(), 'a,b');
    assert.equal(full.payload.case === 'group' && full.payload.value.update, 2);
    const one = without.requests[0];
    assert.equal(one.deliveryId, 'chat:group:g1:2');
    assert.equal(one.payload.case, 'notification');
    assert.equal(one.payload.case === 'notification' && one.payload.value.idempotencyKey, 'a');
  });

  it('fails as retryable naming the type and its instances when none is known or usable, and recovers', async () => {
    const ps = await plugins(2);
    const { r, src } = await router(ps);
    await r.waitForReady('fake', 2);

    const unknown = await rejection(r.deliver('teams', delivery('x')));
    assert.equal(unknown.kind, 'retryable');
    assert.equal(unknown.message, 'teams plugin: delivery x not sent: no instances known');

    for (const p of ps) p.kill();
    // before the health checks notice, both are tried and fail at the transport level
    const down = await rejection(r.deliver('fake', delivery('y')));
    assert.equal(down.kind, 'retryable');
    assert.match(down.message, /^fake plugin: delivery y not sent: 2 instance\(s\) failed \(2 known: 2 (healthy|unhealthy)\); last error: /);

    await r.waitForState(ps[0].endpoint().id, 'unhealthy');
    await r.waitForState(ps[1].endpoint().id, 'unhealthy');
    const none = await rejection(r.deliver('fake', delivery('z')));
    assert.equal(none.kind, 'retryable');
    assert.equal(none.message, 'fake plugin: delivery z not sent: no usable instance (2 known: 2 unhealthy)');

    // one comes back on its port: the next passing check takes it
    await ps[1].listen();
    await r.waitForReady('fake', 1);
    await r.deliver('fake', delivery('z'));
    assert.deepEqual(ps[1].delivered, ['z']);

    src.set([]);
    const gone = await rejection(r.deliver('fake', delivery('w')));
    assert.equal(gone.message, 'fake plugin: delivery w not sent: no usable instance (no instances known)');
  });

  it('takes an instance out while its health is NOT_SERVING and back when SERVING', async () => {
    const ps = await plugins(2);
    const rec = recordingLog();
    const { r } = await router(ps, { log: rec.log });
    await r.waitForReady('fake', 2);
    const [a, b] = ps;

    a.status = HealthCheckResponse_ServingStatus.NOT_SERVING;
    await r.waitForState(a.endpoint().id, 'unhealthy');
    const before = a.received.length;
    await run(r, 100, 5, 'n');
    assert.equal(a.received.length, before, 'no deliveries to an unhealthy instance');
    assert.equal(b.delivered.filter((x) => x.startsWith('n')).length, 100);
    const down = rec.lines.find((l) => l.msg === 'plugin instance unhealthy');
    assert.equal(down?.level, 'warn');
    assert.equal(down?.obj.instance, a.endpoint().id);
    assert.equal(down?.obj.type, 'fake');
    assert.equal(down?.obj.reason, 'NOT_SERVING');

    a.status = HealthCheckResponse_ServingStatus.SERVING;
    await r.waitForState(a.endpoint().id, 'healthy');
    await run(r, 400, 20, 's');
    assert.ok(a.delivered.some((x) => x.startsWith('s')), 'traffic returns to it');
    assert.ok(rec.lines.some((l) => l.msg === 'plugin instance healthy' && l.obj.instance === a.endpoint().id && l.level === 'info'));
  });

  it('gives traffic to an instance that joins later', async () => {
    const ps = await plugins(3);
    const rec = recordingLog();
    const { r, src } = await router(ps.slice(0, 2), { log: rec.log });
    await r.waitForReady('fake', 2);
    await run(r, 50, 5, 'early');
    assert.equal(ps[2].received.length, 0);

    src.set(ps.map((p) => p.endpoint()));
    await r.waitForReady('fake', 3);
    await run(r, 600, 30, 'late');
    assert.ok(ps[2].delivered.length > 50, `newcomer got ${ps[2].delivered.length}`);
    assert.ok(rec.lines.some((l) => l.msg === 'plugin instance joined' && l.obj.instance === ps[2].endpoint().id));
  });

  it('drains a removed instance: in-flight deliveries finish there, new ones go elsewhere', async () => {
    const gate = deferred();
    const [a] = await plugins(1, { handle: async () => (await gate.promise, { outcome: Outcome.DELIVERED }) });
    const [b] = await plugins(1);
    const rec = recordingLog();
    const { r, src } = await router([a], { log: rec.log });
    await r.waitForReady('fake', 1);

    const held = [r.deliver('fake', delivery('h1')), r.deliver('fake', delivery('h2')), r.deliver('fake', delivery('h3'))];
    await a.arrived(3);
    src.set([b.endpoint()]);
    assert.equal(r.instances().find((i) => i.id === a.endpoint().id)?.state, 'draining');
    assert.equal(r.instances().find((i) => i.id === a.endpoint().id)?.outstanding, 3);
    await r.waitForReady('fake', 1);
    await run(r, 20, 4, 'new');
    assert.equal(a.received.length, 3);
    assert.equal(b.delivered.length, 20);

    gate.resolve();
    await Promise.all(held);
    assert.deepEqual(a.delivered.sort(), ['h1', 'h2', 'h3']);
    await r.waitForState(a.endpoint().id, 'removed');
    assert.ok(rec.lines.some((l) => l.msg === 'plugin instance draining' && l.obj.instance === a.endpoint().id));
    assert.ok(rec.lines.some((l) => l.msg === 'plugin instance drained and removed' && l.obj.instance === a.endpoint().id));
  });

  it('stops sending to an endpoint discovery marks as draining', async () => {
    const ps = await plugins(2);
    const { r, src } = await router(ps);
    await r.waitForReady('fake', 2);
    await run(r, 100, 10, 'first');
    assert.ok(ps[0].received.length > 0);
    src.set([ps[0].endpoint({ draining: true }), ps[1].endpoint()]);
    assert.equal(r.instances()[0].state, 'draining');
    const before = ps[0].received.length;
    await run(r, 50, 5, 't');
    assert.equal(ps[0].received.length, before);
    // no longer terminating: it is checked again and gets deliveries (on a fresh stream)
    src.set(ps.map((p) => p.endpoint()));
    await r.waitForReady('fake', 2);
    await run(r, 200, 10, 'again');
    assert.ok(ps[0].delivered.some((x) => x.startsWith('again')));
    assert.equal(ps[0].streamsOpened, 2);
  });

  it('retries a delivery past its deadline on another instance', async () => {
    const [stuck] = await plugins(1, { handle: () => new Promise(() => {}) });
    const [ok] = await plugins(1);
    // random 0 draws the first member (the stuck one) first
    const { r, calls } = await router([stuck, ok], { callTimeoutMs: 150, random: () => 0 });
    await r.waitForReady('fake', 2);
    const t0 = performance.now();
    await r.deliver('fake', delivery('late'));
    assert.ok(performance.now() - t0 >= 150);
    assert.deepEqual(stuck.received, ['late']);
    assert.deepEqual(ok.delivered, ['late']);
    assert.deepEqual(
      calls.map((c) => [c.instance, c.outcome]),
      [
        [stuck.endpoint().id, 'transport'],
        [ok.endpoint().id, 'delivered'],
      ],
    );
    assert.equal(calls[0].message, 'no answer within 150 ms');
    assert.equal(r.instances()[0].outstanding, 0);
  });

  it('retries a unary call past its deadline on another instance', async () => {
    const [stuck] = await plugins(1, { capabilities: [], handle: () => new Promise(() => {}) });
    const [ok] = await plugins(1, { capabilities: [] });
    const { r, calls } = await router([stuck, ok], { callTimeoutMs: 150, random: () => 0 });
    await r.waitForReady('fake', 2);
    await r.deliver('fake', delivery('late'));
    assert.deepEqual(ok.delivered, ['late']);
    assert.equal(calls[0].outcome, 'transport');
    assert.match(calls[0].message ?? '', /DeadlineExceeded/);
  });

  for (const [how, capabilities] of [['stream', undefined], ['unary', [] as number[]]] as const) {
    it(`a delivery whose signal aborts (${how}) stops waiting, tries no other instance and counts against none`, async () => {
      let arrived!: () => void;
      const received = new Promise<void>((r) => (arrived = r));
      const [stuck] = await plugins(1, { ...(capabilities ? { capabilities } : {}), handle: () => (arrived(), new Promise(() => {})) });
      const [ok] = await plugins(1, capabilities ? { capabilities } : {});
      const { r, calls } = await router([stuck, ok], { callTimeoutMs: 60_000, random: () => 0 });
      await r.waitForReady('fake', 2);
      const abandoned = new AbortController();
      const sent = rejection(r.deliver('fake', delivery('gone'), { signal: abandoned.signal }));
      await received;
      abandoned.abort();
      const err = await sent;
      assert.deepEqual([err.kind, err.reason, err.message], ['retryable', 'canceled', 'fake plugin: delivery gone abandoned']);
      assert.deepEqual(ok.delivered, [], 'no other instance tried');
      assert.deepEqual(calls, [], 'no transport failure counted');
      assert.equal(r.instances().find((i) => i.id === stuck.endpoint().id)?.outstanding, 0);
    });
  }

  it('tries at most maxAttemptsPerDelivery distinct instances', async () => {
    const ps = await plugins(4);
    for (const p of ps) p.refuse = true;
    const { r, calls } = await router(ps, { maxAttemptsPerDelivery: 2, consecutiveFailures: 100 });
    await r.waitForReady('fake', 4);
    const err = await rejection(r.deliver('fake', delivery('x')));
    assert.equal(err.kind, 'retryable');
    assert.match(err.message, /^fake plugin: delivery x not sent: 2 instance\(s\) failed \(4 known: 4 healthy\); last error: DeliverStream: Unavailable: refusing deliveries$/);
    assert.equal(calls.length, 2);
    assert.notEqual(calls[0].instance, calls[1].instance);
  });

  it('counts a plugin without grpc.health.v1 as serving when Describe answers', async () => {
    const ps = await plugins(1, { noHealth: true });
    const { r } = await router(ps);
    await r.waitForReady('fake', 1);
    await r.deliver('fake', delivery('x'));
    assert.deepEqual(ps[0].delivered, ['x']);
  });

  it('keeps out an instance that describes itself as another type', async () => {
    const [wrong] = await plugins(1, { type: 'slack' });
    const rec = recordingLog();
    const { r } = await router([], { log: rec.log });
    const src = new TestSource([wrong.endpoint({ type: 'teams' })]);
    await r.addSource(src);
    const line = await rec.next('plugin instance not serving yet');
    assert.equal(line.obj.reason, 'plugin describes itself as type "slack", expected "teams"');
    assert.equal(r.instances()[0].state, 'unhealthy');
  });

  it('merges sources by id and refuses work after close()', async () => {
    const ps = await plugins(2);
    const { r } = await router([ps[0]]);
    const second = new TestSource([ps[0].endpoint(), ps[1].endpoint()]);
    await r.addSource(second);
    await r.waitForReady('fake', 2);
    assert.equal(r.instances().length, 2);
    await r.close();
    assert.equal(second.closed, true);
    const err = await rejection(r.deliver('fake', delivery('x')));
    assert.equal(err.kind, 'retryable');
    assert.equal(err.message, 'fake plugin: delivery x not sent: the plugin router is closed');
  });

  it('close() lets in-flight deliveries finish', async () => {
    const gate = deferred();
    const ps = await plugins(1, { handle: async () => (await gate.promise, { outcome: Outcome.DELIVERED }) });
    const { r } = await router(ps);
    await r.waitForReady('fake', 1);
    const p = r.deliver('fake', delivery('x'));
    await ps[0].arrived(1);
    let closed = false;
    const c = r.close().then(() => (closed = true));
    await new Promise((res) => setImmediate(res));
    assert.equal(closed, false);
    gate.resolve();
    await p;
    await c;
    assert.deepEqual(ps[0].delivered, ['x']);
  });

  it('rejects nonsense options', () => {
    assert.throws(() => new PluginRouter({ log: quietLog, callTimeoutMs: 0 }), /callTimeoutMs must be a positive number/);
    assert.throws(() => new PluginRouter({ log: quietLog, tls: { certFile: '/nonexistent/x.pem' } }), /ENOENT/);
  });
});
