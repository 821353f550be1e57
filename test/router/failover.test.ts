// When instances fail: one dies in the middle of a busy stream (its
// in-flight deliveries are retried on the others, nothing is lost, only
// those may repeat), and passive outlier ejection takes a failing instance
// out for base × times ejected and brings it back (clock stepped by hand).

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { HealthCheckResponse_ServingStatus } from '../../src/gen/grpc/health/v1/health_pb.js';
import { Outcome } from '../../src/gen/kubeherald/v1/plugin_pb.js';
import { NotificationSchema } from '../../src/model/notification.ts';
import { PluginRouter } from '../../src/router/router.ts';
import type { PluginCallRecord, PluginDelivery } from '../../src/router/types.ts';
import { ManualClock } from '../pipeline/helpers.ts';
import { FakePlugin, quietLog, recordingLog, TestSource } from './plugin-fake.ts';

function delivery(id: string): PluginDelivery {
  return { deliveryId: id, sink: 'chat', target: '', options: {}, payload: { case: 'notification', value: create(NotificationSchema, { idempotencyKey: id }) }, attempt: 1 };
}

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('an instance dies mid-stream', () => {
  it('retries its in-flight deliveries on the others: all delivered, repeats only among those in flight', async () => {
    // answers come a moment later, so there is always something in flight
    const later = () => new Promise<{ outcome: Outcome }>((r) => setImmediate(() => r({ outcome: Outcome.DELIVERED })));
    const ps = await Promise.all([0, 1, 2].map(() => FakePlugin.start({ handle: later })));
    cleanups.push(() => Promise.all(ps.map((p) => p.close())));
    const calls: PluginCallRecord[] = [];
    const r = new PluginRouter({ log: quietLog, healthIntervalMs: 50, onCall: (c) => calls.push(c) });
    cleanups.push(() => r.close());
    await r.addSource(new TestSource(ps.map((p) => p.endpoint())));
    await r.waitForReady('fake', 3);

    const [victim] = ps;
    let inFlightAtKill = -1;
    void victim.arrived(400).then(() => {
      inFlightAtKill = r.instances().find((i) => i.id === victim.endpoint().id)?.outstanding ?? -1;
      victim.kill();
    });

    const N = 3000;
    let next = 0;
    await Promise.all(
      Array.from({ length: 150 }, async () => {
        while (next < N) await r.deliver('fake', delivery(`d${next++}`));
      }),
    );

    assert.ok(inFlightAtKill > 0, `something was in flight at the kill (${inFlightAtKill})`);
    const everyDelivery = ps.flatMap((p) => p.delivered);
    const ids = new Set(everyDelivery);
    assert.equal(ids.size, N, 'every delivery arrived somewhere');
    const repeats = everyDelivery.length - N;
    assert.ok(repeats <= inFlightAtKill, `${repeats} repeats, ${inFlightAtKill} were in flight`);
    // the repeats are exactly deliveries the victim had and the router retried
    const victimIds = new Set(victim.delivered);
    const retried = new Set(calls.filter((c) => c.outcome === 'transport').map((c) => c.deliveryId));
    for (const id of ps.slice(1).flatMap((p) => p.delivered)) {
      if (victimIds.has(id)) assert.ok(retried.has(id), `${id} repeated without a failed call`);
    }
    assert.ok(ps[1].delivered.length + ps[2].delivered.length > N - victim.delivered.length - 1);
    // out of rotation: ejected by its failures in a row (or already found unhealthy)
    const state = r.instances().find((i) => i.id === victim.endpoint().id)?.state;
    assert.ok(state === 'ejected' || state === 'unhealthy', `victim is ${state}`);
  });
});

describe('outlier ejection', () => {
  it('ejects after consecutive transport failures for base × times ejected, within maxEjectionPercent, and brings it back', async () => {
    const ps = await Promise.all([0, 1, 2].map(() => FakePlugin.start()));
    cleanups.push(() => Promise.all(ps.map((p) => p.close())));
    const [a, b, c] = ps;
    const clock = new ManualClock();
    const rec = recordingLog();
    const calls: PluginCallRecord[] = [];
    const r = new PluginRouter({
      log: rec.log,
      clock,
      // periodic checks out of the way: only the join check and the ejection's end check run
      healthIntervalMs: 3_600_000,
      consecutiveFailures: 5,
      baseEjectionMs: 30_000,
      unhealthyThreshold: 1,
      // draws the first usable member first, the next one on a retry
      random: () => 0,
      onCall: (x) => calls.push(x),
    });
    cleanups.push(() => r.close());
    await r.addSource(new TestSource(ps.map((p) => p.endpoint())));
    await r.waitForReady('fake', 3);
    const stateOf = (p: FakePlugin) => r.instances().find((i) => i.id === p.endpoint().id)?.state;

    a.refuse = true;
    for (let i = 0; i < 4; i++) await r.deliver('fake', delivery(`x${i}`));
    assert.equal(stateOf(a), 'healthy', 'four failures are not five');
    await r.deliver('fake', delivery('x4'));
    assert.equal(stateOf(a), 'ejected');
    const ejected = rec.lines.find((l) => l.msg === 'plugin instance ejected');
    assert.equal(ejected?.level, 'warn');
    assert.equal(ejected?.obj.instance, a.endpoint().id);
    assert.equal(ejected?.obj.ejectionMs, 30_000);
    // every one of them was delivered by b after a failed
    assert.deepEqual(b.delivered, ['x0', 'x1', 'x2', 'x3', 'x4']);

    calls.length = 0;
    await r.deliver('fake', delivery('y'));
    assert.deepEqual(calls.map((x) => x.instance), [b.endpoint().id], 'an ejected instance gets nothing');

    // b fails too, but one of three is the most that may be out at once
    b.refuse = true;
    for (let i = 0; i < 6; i++) await r.deliver('fake', delivery(`z${i}`));
    assert.equal(stateOf(b), 'healthy');
    assert.equal(c.delivered.length, 6);
    b.refuse = false;
    a.refuse = false;

    const checks = a.healthChecks;
    clock.advance(29_999);
    assert.equal(stateOf(a), 'ejected');
    assert.equal(a.healthChecks, checks, 'no check before the ejection ends');
    clock.advance(1);
    await r.waitForState(a.endpoint().id, 'healthy');
    assert.ok(rec.lines.some((l) => l.msg === 'plugin instance returned from ejection' && l.obj.instance === a.endpoint().id));
    await r.deliver('fake', delivery('back'));
    assert.deepEqual(a.delivered, ['back']);

    // the second ejection lasts twice as long
    a.refuse = true;
    for (let i = 0; i < 5; i++) await r.deliver('fake', delivery(`w${i}`));
    assert.equal(stateOf(a), 'ejected');
    assert.equal(rec.lines.filter((l) => l.msg === 'plugin instance ejected').at(-1)?.obj.ejectionMs, 60_000);
    a.refuse = false;
    // not back while its health check fails, even when the time is up
    a.status = HealthCheckResponse_ServingStatus.NOT_SERVING;
    clock.advance(30_000);
    assert.equal(stateOf(a), 'ejected');
    clock.advance(30_000);
    const down = await rec.next('plugin instance unhealthy');
    assert.equal(down.obj.instance, a.endpoint().id);
    assert.equal(down.obj.reason, 'NOT_SERVING');
    a.status = HealthCheckResponse_ServingStatus.SERVING;
    assert.equal(stateOf(a), 'ejected');
    clock.advance(3_600_000);
    await r.waitForState(a.endpoint().id, 'healthy');
  });
});
