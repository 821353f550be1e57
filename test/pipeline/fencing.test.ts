// The deliverer of a process that shares its state with others: it claims,
// flushes and reminds only while it leads, and every claim is fenced by its
// term, so a leader deposed while paused sends nothing once it wakes.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Term } from '../../src/store/types.ts';
import { note } from './helpers.ts';
import { Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const podsSent = (hh: Harness): string[] => hh.sink().calls.flatMap((c) => c.notifications.map((n) => n.involvedObject!.name));

describe('a fenced deliverer', () => {
  it('claims nothing while not leading; once leading it sends what waited, each claimed under its term', async () => {
    let term: Term | undefined;
    h = new Harness({ term: () => term, maxRun: 8 });
    h.enqueue(['a', 'b', 'c'].map((pod) => note({ pod })));
    await h.run(5_000);
    assert.deepEqual(podsSent(h), [], 'a standby sends nothing');
    assert.equal(h.store.outbox.counts().pending, 3);
    term = h.store.transaction(() => h!.store.leadership.begin('kubeherald', 'me', 0, h!.clock.ms()));
    h.deliverer.wake();
    await h.run(5_000);
    assert.deepEqual(podsSent(h), ['a', 'b', 'c']);
    // one claim per delivery (no runs): each recorded with one attempt
    assert.deepEqual([1, 2, 3].map((id) => `${h!.store.outbox.get(id)!.state}/${h!.store.outbox.get(id)!.attempts}`), ['delivered/1', 'delivered/1', 'delivered/1']);
  });

  it('a newer term (another process took over) refuses its claims: nothing is sent, the rows stay pending and untouched, and it is told once', async () => {
    const fenced: Term[] = [];
    let mine: Term | undefined;
    h = new Harness({ term: () => mine, onFenced: (t) => fenced.push(t) });
    mine = h.store.transaction(() => h!.store.leadership.begin('kubeherald', 'paused-leader', 3, h!.clock.ms()));
    h.enqueue([note({ pod: 'first' })]);
    await h.run(1_000);
    assert.deepEqual(podsSent(h), ['first']);
    // while "paused", another replica's term began on the shared state
    h.store.transaction(() => h!.store.leadership.begin('kubeherald', 'new-leader', 4, h!.clock.ms()));
    h.enqueue([note({ pod: 'second' })]);
    await h.run(5_000);
    assert.deepEqual(podsSent(h), ['first'], 'the deposed leader sent nothing more');
    const row = h.store.outbox.get(2)!;
    assert.equal(row.state, 'pending');
    assert.equal(row.attempts, 0);
    assert.ok(fenced.length >= 1);
    assert.equal(fenced[0].holder, 'paused-leader');
    assert.ok(h.logs.some((l) => l.level === 'error' && /newer leader term/.test(l.msg)));
  });
});
