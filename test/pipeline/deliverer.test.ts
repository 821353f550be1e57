// The Deliverer against a real state database on a manual clock: order per
// target, backoff, Retry-After, dead letters, replay and purge, rate limits,
// concurrency, stopping.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Notification } from '../../src/model/notification.ts';
import { PLATFORM_RATE_LIMITS } from '../../src/pipeline/config.ts';
import { SinkError } from '../../src/sinks/types.ts';
import { T0, note } from './helpers.ts';
import { Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const byNamespace = { targetOf: (n: Notification) => `#${n.involvedObject?.namespace}` };
const podsOf = (calls: { notifications: Notification[] }[]): string[] => calls.flatMap((c) => c.notifications.map((n) => n.involvedObject!.name));

describe('delivering', () => {
  it('delivers what is enqueued, once, and records it as delivered', async () => {
    h = new Harness();
    const r = h.enqueue([note({ pod: 'a' }), note({ pod: 'b' })]);
    assert.deepEqual(r, { queued: 2, grouped: 0, deduplicated: 0, folded: 0 });
    await h.run(0);
    assert.deepEqual(podsOf(h.sink().calls), ['a', 'b']);
    assert.deepEqual(
      h.attempts.map((a) => [a.outcome, a.attempt, a.latencyMs]),
      [
        ['delivered', 1, 0],
        ['delivered', 1, 0],
      ],
    );
    const c = h.store.outbox.counts();
    assert.deepEqual([c.pending, c.inflight, c.delivered, c.dead], [0, 0, 2, 0]);
  });

  it('enqueue and the tracker state commit together, or neither does', async () => {
    h = new Harness();
    const hh = h;
    assert.throws(() =>
      hh.store.transaction(() => {
        hh.outbox.enqueue([note({ pod: 'a' })], ['chat'], T0);
        hh.store.tracker('c').save({ version: 1, incidents: [], edges: [['edge', 'uid']] });
        throw new Error('the listener crashed mid-batch');
      }),
    );
    hh.deliverer.wake();
    await hh.run(5000);
    assert.equal(hh.sink().calls.length, 0);
    assert.deepEqual(hh.store.tracker('c').load().edges, []);
    // and the dedup key went with it: the same notification can still be enqueued
    assert.equal(hh.enqueue([note({ pod: 'a' })]).queued, 1);
  });

  it('keeps order per target while a failing target does not hold up the others', async () => {
    h = new Harness({ sinkOptions: { chat: byNamespace } });
    let failures = 0;
    h.sink().respond = ([n]) => {
      if (n.involvedObject?.name === 'a1' && failures++ < 2) throw new SinkError('503', { kind: 'retryable' });
    };
    h.enqueue(['a1', 'b1', 'a2', 'b2', 'a3', 'b3'].map((pod) => note({ pod, namespace: pod[0] })));
    await h.run(0);
    assert.deepEqual(podsOf(h.sink().calls), ['a1', 'b1', 'b2', 'b3'], 'b went on while a1 waits for its retry');
    await h.run(10_000);
    const a = podsOf(h.sink().calls).filter((p) => p.startsWith('a'));
    assert.deepEqual(a, ['a1', 'a1', 'a1', 'a2', 'a3'], 'a2 and a3 only after a1 got through');
  });

  it('waits for a slow send before the next to the same target', async () => {
    h = new Harness();
    let release!: () => void;
    h.sink().respond = ([n]) => (n.involvedObject?.name === 'a' ? new Promise<void>((r) => (release = r)) : undefined);
    h.enqueue([note({ pod: 'a' }), note({ pod: 'b' })]);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(podsOf(h.sink().calls), ['a']);
    release();
    await h.run(0);
    assert.deepEqual(podsOf(h.sink().calls), ['a', 'b']);
  });
  it('when the state database refuses a pump, nothing is lost or sent twice: it tries again a second later', async () => {
    h = new Harness();
    const store = h.store;
    const transaction = store.transaction.bind(store);
    let failNext = false;
    store.transaction = <T>(fn: () => T): T => {
      if (failNext) {
        failNext = false;
        throw new Error('disk I/O error');
      }
      return transaction(fn);
    };
    h.sink().respond = ([n]) => {
      if (n.involvedObject?.name === 'a') failNext = true;
    };
    h.enqueue([note({ pod: 'a' }), note({ pod: 'b' })]);
    await h.run(999);
    // b was claimed with a (one run, deliverer.ts): sent once a was accepted, before a's outcome was recorded
    assert.deepEqual(podsOf(h.sink().calls), ['a', 'b']);
    assert.deepEqual([h.store.outbox.get(1)!.state, h.store.outbox.get(2)!.state], ['inflight', 'pending']);
    assert.deepEqual(
      h.logs.filter((l) => l.level === 'error').map((l) => l.obj),
      [{ err: 'disk I/O error' }],
    );
    await h.run(1);
    assert.deepEqual(podsOf(h.sink().calls), ['a', 'b']);
    assert.deepEqual(
      [h.store.outbox.get(1)!.state, h.store.outbox.get(2)!.state],
      ['delivered', 'delivered'],
    );
  });
});

describe('retries', () => {
  it('backs off exponentially with the injected jitter: exactly 500, 1000, 2000, 4000, 8000 ms', async () => {
    h = new Harness({ random: () => 0.5 });
    h.sink().respond = (_n, call) => {
      if (call <= 5) throw new SinkError('HTTP 502', { kind: 'retryable' });
    };
    h.enqueue([note()]);
    await h.run(60_000);
    const times = h.sink().calls.map((c) => c.at - T0);
    assert.deepEqual(times, [0, 500, 1500, 3500, 7500, 15_500]);
    assert.deepEqual(
      h.attempts.map((a) => a.outcome),
      ['retry', 'retry', 'retry', 'retry', 'retry', 'delivered'],
    );
    const row = h.store.outbox.get(1)!;
    assert.equal(row.attempts, 6);
    assert.equal(row.state, 'delivered');
  });

  it('stops growing at the cap, per the sink policy', async () => {
    h = new Harness({ random: () => 0.999_999, policy: { backoff: { baseMs: 1000, factor: 10, capMs: 30_000 } } });
    h.sink().respond = (_n, call) => {
      if (call <= 4) throw new Error('connection reset');
    };
    h.enqueue([note()]);
    await h.run(120_000);
    const times = h.sink().calls.map((c) => c.at - T0);
    assert.deepEqual(
      times.slice(1).map((t, i) => t - times[i]),
      [999, 9999, 29_999, 29_999],
    );
  });

  it('honours Retry-After exactly: nothing goes to the target before it expires', async () => {
    h = new Harness({ random: () => 0 });
    h.sink().respond = (_n, call) => {
      if (call === 1) throw new SinkError('HTTP 429', { kind: 'rate-limited', retryAfterMs: 7300 });
    };
    h.enqueue([note({ pod: 'a' }), note({ pod: 'b' })]);
    await h.run(7299);
    assert.deepEqual(
      h.sink().calls.map((c) => c.at - T0),
      [0],
    );
    await h.run(1);
    assert.deepEqual(
      h.sink().calls.map((c) => [c.at - T0, c.notifications[0].involvedObject?.name]),
      [
        [0, 'a'],
        [7300, 'a'],
        [7300, 'b'],
      ],
    );
    const warn = h.logs.find((l) => l.msg === 'delivery failed; will retry')!;
    assert.deepEqual(warn.obj, { id: 1, sink: 'chat', target: 'chat', attempt: 1, ms: (warn.obj as { ms: number }).ms, kind: 'rate-limited', err: 'HTTP 429', retryInMs: 7300 });
  });
});

describe('dead letters', () => {
  it('a permanent error dead-letters the delivery, with its error, and the queue moves on', async () => {
    h = new Harness();
    h.sink().respond = ([n]) => {
      if (n.involvedObject?.name === 'a') throw new SinkError('channel_not_found', { kind: 'permanent' });
    };
    h.enqueue([note({ pod: 'a' }), note({ pod: 'b' })]);
    await h.run(60_000);
    assert.deepEqual(podsOf(h.sink().calls), ['a', 'b']);
    const dead = h.store.outbox.listDead();
    assert.equal(dead.length, 1);
    assert.deepEqual([dead[0].deadReason, dead[0].lastError, dead[0].attempts, dead[0].lastResponse], ['permanent', 'channel_not_found', 1, '{"kind":"permanent"}']);
    assert.equal(h.logs.filter((l) => l.level === 'error' && l.msg === 'delivery dead-lettered').length, 1);
  });

  it('a delivery still failing at its max age is dead-lettered, and so is what waited behind it', async () => {
    h = new Harness({ random: () => 0.999, policy: { maxAgeMs: 3600_000 }, pollIntervalMs: 10 * 60_000 });
    h.sink().respond = ([n]) => {
      if (n.involvedObject?.name === 'a') throw new SinkError('HTTP 503', { kind: 'retryable' });
    };
    h.enqueue([note({ pod: 'a' })]);
    await h.run(60_000);
    h.enqueue([note({ pod: 'b' })]);
    await h.run(2 * 3600_000);
    const dead = h.store.outbox.listDead();
    assert.deepEqual(
      dead.map((d) => [d.id, d.deadReason]),
      [[1, 'expired']],
    );
    // the last attempt was the last one that fit inside the hour
    const last = h.sink().calls.filter((c) => c.notifications[0].involvedObject?.name === 'a').at(-1)!;
    assert.ok(last.at - T0 < 3600_000);
    assert.deepEqual(podsOf(h.sink().calls).filter((p) => p === 'b'), ['b'], 'b, younger, still went out');
  });

  it('what waited past its max age while kubeherald was down dies without an attempt', async () => {
    h = new Harness({ policy: { maxAgeMs: 24 * 3600_000 } });
    await h.deliverer.stop();
    h.store.transaction(() => h!.outbox.enqueue([note({ pod: 'a' }), note({ pod: 'b' })], ['chat'], T0));
    h.store.close();
    h.clock.advance(25 * 3600_000);
    h.open();
    h.enqueue([note({ pod: 'c' })]);
    await h.run(0);
    assert.deepEqual(podsOf(h.sink().calls), ['c']);
    assert.deepEqual(
      h.store.outbox.listDead().map((d) => [d.id, d.deadReason, d.attempts, d.lastError]),
      [
        [1, 'expired', 0, 'not delivered within 86400 s'],
        [2, 'expired', 0, 'not delivered within 86400 s'],
      ],
    );
  });

  it('replay puts dead letters back at the end of their queue; a running deliverer finds them', async () => {
    h = new Harness();
    let broken = true;
    h.sink().respond = () => {
      if (broken) throw new SinkError('invalid_auth', { kind: 'permanent' });
    };
    h.enqueue([note({ pod: 'a' }), note({ pod: 'b' })]);
    await h.run(1000);
    assert.equal(h.store.outbox.listDead().length, 2);
    broken = false;
    const ids = h.store.transaction(() => h!.store.outbox.replayDead({ ids: [2] }, h!.clock.ms()));
    assert.deepEqual(ids, [3]);
    await h.run(1000); // found by the poll, as a replay from `kubeherald dlq replay` would be
    assert.deepEqual(podsOf(h.sink().calls), ['a', 'b', 'b']);
    assert.deepEqual(
      h.store.outbox.listDead().map((d) => d.id),
      [1],
    );
    assert.equal(h.store.outbox.get(3)!.state, 'delivered');
    assert.equal(h.store.outbox.get(3)!.idempotencyKey, h.sink().calls[1].keys[0], 'the same idempotency key, so an idempotent sink can drop it');
  });

  it('purge deletes dead letters by sink, id and age, and nothing else', async () => {
    h = new Harness({ sinks: ['one', 'two'] });
    for (const s of h.sinks.values()) s.respond = () => Promise.reject(new SinkError('gone', { kind: 'permanent' }));
    h.enqueue([note({ pod: 'a' })]);
    await h.run(3600_000);
    h.enqueue([note({ pod: 'b' })]);
    await h.run(0);
    const dead = () =>
      h!.store.outbox
        .listDead()
        .map((d) => `${d.sink}:${d.id}`)
        .join(' ');
    assert.equal(dead(), 'one:1 two:2 one:3 two:4');
    assert.equal(h.store.outbox.purgeDead({ sink: 'two', deadBefore: T0 + 1000 }), 1);
    assert.equal(dead(), 'one:1 one:3 two:4');
    assert.equal(h.store.outbox.purgeDead({ ids: [3] }), 1);
    assert.equal(h.store.outbox.purgeDead({ ids: [] }), 0, 'an empty id list selects nothing');
    assert.equal(dead(), 'one:1 two:4');
  });

  it('deliveries for a sink no longer configured become dead letters', async () => {
    h = new Harness({ sinks: ['chat', 'old'] });
    h.enqueue([note()], ['old']);
    await h.deliverer.stop();
    h.sinks.delete('old');
    h.store.close();
    h.open();
    await h.run(0);
    assert.deepEqual(
      h.store.outbox.listDead().map((d) => [d.sink, d.deadReason]),
      [['old', 'no-such-sink']],
    );
  });
});

describe('rate limits and concurrency', () => {
  it('spaces a Slack channel one second apart, channels in parallel, without a single 429', async () => {
    h = new Harness({ policy: { rateLimits: PLATFORM_RATE_LIMITS.slack }, sinkOptions: { chat: byNamespace } });
    h.enqueue(['a1', 'a2', 'a3', 'b1', 'b2'].map((pod) => note({ pod, namespace: pod[0] })));
    await h.run(10_000);
    const at = (ns: string) => h!.sink().calls.filter((c) => c.notifications[0].involvedObject?.namespace === ns).map((c) => c.at - T0);
    assert.deepEqual(at('a'), [0, 1000, 2000]);
    assert.deepEqual(at('b'), [0, 1000]);
  });

  it('sends at most `concurrency` at once per sink', async () => {
    h = new Harness({ policy: { concurrency: 2 }, sinkOptions: { chat: byNamespace } });
    const pending: (() => void)[] = [];
    h.sink().respond = () => new Promise<void>((r) => pending.push(r));
    h.enqueue(['a', 'b', 'c', 'd'].map((ns) => note({ namespace: ns })));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(h.sink().calls.length, 2);
    assert.equal(h.deliverer.stats.sending, 2);
    pending.shift()!();
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(h.sink().calls.length, 3);
    while (pending.length) pending.shift()!();
    await h.run(0);
    while (pending.length) pending.shift()!();
    await h.run(0);
    assert.equal(h.sink().calls.length, 4);
  });

  it('a send with no answer within the timeout counts as a retryable failure', async () => {
    h = new Harness({ policy: { sendTimeoutMs: 5000 }, random: () => 0 });
    h.sink().respond = (_n, call) => (call === 1 ? new Promise<void>(() => undefined) : undefined);
    h.enqueue([note()]);
    await h.run(5000);
    assert.deepEqual(
      h.attempts.map((a) => [a.outcome, a.error]),
      [
        ['retry', 'no answer from sink "chat" within 5 s'],
        ['delivered', undefined],
      ],
    );
  });
});

describe('stopping', () => {
  it('stop() waits for the send in flight and records its outcome', async () => {
    h = new Harness();
    let release!: () => void;
    h.sink().respond = () => new Promise<void>((r) => (release = r));
    h.enqueue([note({ pod: 'a' }), note({ pod: 'b' })]);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    let stopped = false;
    const stopping = h.deliverer.stop().then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(stopped, false);
    release();
    await stopping;
    assert.deepEqual(podsOf(h.sink().calls), ['a'], 'nothing new starts once stopping');
    assert.equal(h.store.outbox.get(1)!.state, 'delivered');
    assert.equal(h.store.outbox.get(2)!.state, 'pending');
  });
});
