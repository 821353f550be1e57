// Runs (deliverer.ts): a queue's head claimed with the deliveries due behind
// it, each sent once the one before it was accepted, without a commit in
// between; order, attempts and failures as for single deliveries.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Notification } from '../../src/model/notification.ts';
import { SinkError } from '../../src/sinks/types.ts';
import { note } from './helpers.ts';
import { Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const podsOf = (calls: { notifications: Notification[] }[]): string[] => calls.flatMap((c) => c.notifications.map((n) => n.involvedObject!.name));
const pods = (n: number): string[] => Array.from({ length: n }, (_, i) => `p${i}`);

/** Counts the store's outermost transactions (each one commit). */
function countCommits(hh: Harness): () => number {
  let commits = 0;
  let depth = 0;
  const transaction = hh.store.transaction.bind(hh.store);
  hh.store.transaction = <T>(fn: () => T): T => {
    depth++;
    try {
      return transaction(fn);
    } finally {
      if (--depth === 0) commits++;
    }
  };
  return () => commits;
}

describe('runs', () => {
  it('sends one target its deliveries in order with far fewer commits than deliveries, and records each once with one attempt', async () => {
    h = new Harness({ maxRun: 8 });
    h.enqueue(pods(20).map((pod) => note({ pod })));
    const commits = countCommits(h);
    await h.run(0);
    assert.deepEqual(podsOf(h.sink().calls), pods(20));
    assert.ok(commits() < 20, `${commits()} commits for 20 deliveries`);
    const rows = Array.from({ length: 20 }, (_, i) => h!.store.outbox.get(i + 1)!);
    assert.deepEqual(new Set(rows.map((r) => `${r.state}/${r.attempts}`)), new Set(['delivered/1']));
    assert.deepEqual(
      h.attempts.map((a) => a.outcome),
      Array(20).fill('delivered'),
    );
  });

  it('a failure ends the run: what followed stays pending behind it and goes after its retry, in order, nothing twice', async () => {
    h = new Harness({ maxRun: 8 });
    let failed = false;
    h.sink().respond = ([n]) => {
      if (n.involvedObject?.name === 'p2' && !failed) {
        failed = true;
        throw new SinkError('HTTP 503', { kind: 'retryable' });
      }
    };
    h.enqueue(pods(6).map((pod) => note({ pod })));
    await h.run(0);
    assert.deepEqual(podsOf(h.sink().calls), ['p0', 'p1', 'p2'], 'p3… wait for p2');
    assert.deepEqual(
      [3, 4, 5, 6].map((id) => [h!.store.outbox.get(id)!.state, h!.store.outbox.get(id)!.attempts]),
      [
        ['pending', 1],
        ['pending', 0],
        ['pending', 0],
        ['pending', 0],
      ],
    );
    await h.run(10_000);
    assert.deepEqual(podsOf(h.sink().calls), ['p0', 'p1', 'p2', 'p2', 'p3', 'p4', 'p5']);
    assert.equal(h.store.outbox.get(3)!.attempts, 2);
    assert.equal(h.store.outbox.counts().delivered, 6);
  });

  it('a permanent failure in a run dead-letters that one and the rest go on after it', async () => {
    h = new Harness({ maxRun: 8 });
    h.sink().respond = ([n]) => {
      if (n.involvedObject?.name === 'p1') throw new SinkError('HTTP 400', { kind: 'permanent' });
    };
    h.enqueue(pods(4).map((pod) => note({ pod })));
    await h.run(0);
    assert.deepEqual(podsOf(h.sink().calls), pods(4));
    assert.deepEqual(
      [1, 2, 3, 4].map((id) => h!.store.outbox.get(id)!.state),
      ['delivered', 'dead', 'delivered', 'delivered'],
    );
  });

  it('stopping mid-run sends nothing more of it; the rest is sent after the restart, once', async () => {
    h = new Harness({ maxRun: 8 });
    let release!: () => void;
    h.sink().respond = ([n]) => (n.involvedObject?.name === 'p1' ? new Promise<void>((r) => (release = r)) : undefined);
    h.enqueue(pods(5).map((pod) => note({ pod })));
    while (h.sink().calls.length < 2) await new Promise((r) => setImmediate(r));
    const stopped = h.deliverer.stop();
    release();
    await stopped;
    assert.deepEqual(podsOf(h.sink().calls), ['p0', 'p1']);
    assert.deepEqual(
      [1, 2, 3].map((id) => h!.store.outbox.get(id)!.state),
      ['delivered', 'delivered', 'pending'],
    );
    await h.restart();
    await h.run(0);
    assert.deepEqual(podsOf(h.sink().calls), pods(5));
  });

  it('a rate limit bounds a run: a Slack channel still gets one message a second', async () => {
    h = new Harness({ maxRun: 8, policy: { rateLimits: [{ count: 1, perMs: 1000, scope: 'target' }] } });
    h.enqueue(pods(3).map((pod) => note({ pod })));
    await h.run(2000);
    const times = h.sink().calls.map((c) => c.at);
    assert.deepEqual(
      times.map((t) => t - times[0]),
      [0, 1000, 2000],
    );
  });

  it('maxRun 1: the next waits until the one before is recorded', async () => {
    h = new Harness({ maxRun: 1 });
    h.enqueue(pods(5).map((pod) => note({ pod })));
    const commits = countCommits(h);
    await h.run(0);
    assert.deepEqual(podsOf(h.sink().calls), pods(5));
    assert.ok(commits() >= 5, `${commits()} commits`);
  });
});
