// retryWaiting(): when what a sink's failed deliveries waited for is back,
// they are tried at once rather than at their backoff deadline — on a clock
// held still — while a Retry-After and the rate limits still hold, and other
// sinks' deliveries keep their schedule.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { SinkError } from '../../src/sinks/types.ts';
import { T0, note } from './helpers.ts';
import { Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

// a long backoff, drawn near its ceiling: the first retry would be 9 minutes after the failure
const LONG_BACKOFF = { backoff: { baseMs: 600_000, factor: 2, capMs: 3_600_000 } };
const down = (): never => {
  throw new SinkError('no usable instance', { kind: 'retryable' });
};

describe('retrying waiting deliveries now', () => {
  it('a delivery waiting out its backoff is sent at once, the clock not moved', async () => {
    h = new Harness({ policy: LONG_BACKOFF, random: () => 0.9 });
    h.sink().respond = (_ns, call) => (call === 1 ? down() : undefined);
    h.enqueue([note({ pod: 'a' })]);
    await h.run(0);
    assert.deepEqual(h.attempts.map((a) => [a.outcome, a.retryAt]), [['retry', T0 + 540_000]]);

    h.deliverer.retryWaiting((sink) => sink === 'chat');
    await h.run(0);
    assert.equal(h.clock.ms(), T0);
    assert.deepEqual(h.attempts.map((a) => a.outcome), ['retry', 'delivered']);
    assert.deepEqual(h.sink().calls.map((c) => c.at), [T0, T0]);
    assert.match(h.logs.find((l) => l.level === 'info' && l.msg.startsWith('retrying deliveries now'))?.msg ?? '', /what they waited for is back/);
  });

  it('keeps the queue order and leaves other sinks on their schedule', async () => {
    h = new Harness({ sinks: ['chat', 'mail'], policy: LONG_BACKOFF, random: () => 0.9 });
    for (const name of ['chat', 'mail']) h.sink(name).respond = (_ns, call) => (call === 1 ? down() : undefined);
    h.enqueue([note({ pod: 'a' }), note({ pod: 'b' })]);
    await h.run(0);
    h.deliverer.retryWaiting((sink) => sink === 'chat');
    await h.run(0);
    assert.deepEqual(h.sink('chat').calls.map((c) => c.notifications[0].involvedObject!.name), ['a', 'a', 'b']);
    assert.deepEqual(h.sink('mail').calls.map((c) => c.notifications[0].involvedObject!.name), ['a']);
    await h.run(540_000);
    assert.deepEqual(h.sink('mail').calls.map((c) => [c.notifications[0].involvedObject!.name, c.at]), [
      ['a', T0],
      ['a', T0 + 540_000],
      ['b', T0 + 540_000],
    ]);
  });

  it('a Retry-After is still waited out exactly', async () => {
    h = new Harness({ policy: LONG_BACKOFF });
    h.sink().respond = (_ns, call) => {
      if (call === 1) throw new SinkError('HTTP 429', { kind: 'rate-limited', retryAfterMs: 30_000 });
    };
    h.enqueue([note({ pod: 'a' })]);
    await h.run(0);
    h.deliverer.retryWaiting(() => true);
    await h.run(0);
    assert.equal(h.sink().calls.length, 1);
    await h.run(29_999);
    assert.equal(h.sink().calls.length, 1);
    await h.run(1);
    assert.deepEqual(h.sink().calls.map((c) => c.at), [T0, T0 + 30_000]);
  });

  it('a Retry-After recorded before a restart is still waited out', async () => {
    h = new Harness({ policy: LONG_BACKOFF });
    h.sink().respond = (_ns, call) => {
      if (call === 1) throw new SinkError('HTTP 429', { kind: 'rate-limited', retryAfterMs: 30_000 });
    };
    h.enqueue([note({ pod: 'a' })]);
    await h.run(0);
    // the rate limiter's memory of it is gone; the stored row still says so
    await h.restart();
    h.deliverer.retryWaiting(() => true);
    await h.run(0);
    assert.equal(h.sink().calls.length, 1);
    await h.run(30_000);
    assert.deepEqual(h.sink().calls.map((c) => c.at), [T0, T0 + 30_000]);
  });

  it('the rate limit still holds: the retry waits for its token, not for its backoff', async () => {
    h = new Harness({ policy: { ...LONG_BACKOFF, rateLimits: [{ count: 1, perMs: 60_000, scope: 'target' }] }, random: () => 0.9 });
    h.sink().respond = (_ns, call) => (call === 1 ? down() : undefined);
    h.enqueue([note({ pod: 'a' })]);
    await h.run(0);
    h.deliverer.retryWaiting(() => true);
    await h.run(0);
    assert.equal(h.sink().calls.length, 1);
    await h.run(60_000);
    assert.deepEqual(h.sink().calls.map((c) => c.at), [T0, T0 + 60_000]);
  });

  it('does nothing for deliveries not yet tried, or once stopped', async () => {
    h = new Harness({ policy: LONG_BACKOFF, random: () => 0.9 });
    h.deliverer.retryWaiting(() => true);
    h.enqueue([note({ pod: 'a' })]);
    await h.run(0);
    assert.deepEqual(h.attempts.map((a) => a.outcome), ['delivered']);
    await h.deliverer.stop();
    h.deliverer.retryWaiting(() => true);
    assert.ok(h.deliverer.idle());
  });
});
