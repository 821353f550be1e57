// The storm digest's pure model: when a target's rate crosses the threshold,
// what it absorbs, how it is counted and said, and when the storm ends.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { State } from '../../src/model/notification.ts';
import {
  arrive,
  digestNotification,
  digestParts,
  digestText,
  emptyStorm,
  endStorm,
  inStorm,
  objectOf,
  type StormPolicy,
  type StormState,
  stormEndsAt,
  summaryText,
  topOf,
} from '../../src/pipeline/digest.ts';
import { note, T0 } from './helpers.ts';

const P: StormPolicy = { threshold: 3, quietMs: 120_000, updateMs: 30_000 };

function feed(s: StormState, ns: ReturnType<typeof note>[], at: (i: number) => number, p = P): { state: StormState; absorbed: boolean[] } {
  const absorbed: boolean[] = [];
  ns.forEach((n, i) => {
    const r = arrive(s, n, at(i), p);
    s = r.state;
    absorbed.push(r.absorbed);
  });
  return { state: s, absorbed };
}

test('up to the threshold a minute nothing is absorbed; the arrival over it starts the storm and is absorbed', () => {
  const { state, absorbed } = feed(emptyStorm(), [1, 2, 3, 4, 5].map((i) => note({ pod: `p${i}` })), (i) => T0 + i * 1000);
  assert.deepEqual(absorbed, [false, false, false, true, true]);
  assert.ok(inStorm(state));
  assert.equal(state.startedAt, T0 + 3000);
  assert.equal(state.absorbed, 2);
  assert.ok(state.recent.length <= P.threshold + 1, 'the rate measure keeps only what it needs');
});

test('the same number spread over more than a minute is no storm', () => {
  const { state, absorbed } = feed(emptyStorm(), [1, 2, 3, 4, 5, 6].map((i) => note({ pod: `p${i}` })), (i) => T0 + i * 25_000);
  assert.deepEqual(absorbed, [false, false, false, false, false, false]);
  assert.equal(inStorm(state), false);
});

test('threshold 0 never storms and leaves the state as it was', () => {
  const s = emptyStorm();
  const r = arrive(s, note(), T0, { ...P, threshold: 0 });
  assert.equal(r.absorbed, false);
  assert.equal(r.state, s);
});

test('in a storm, a slower rate is still absorbed until the quiet period after the last over-threshold arrival', () => {
  let { state } = feed(emptyStorm(), [1, 2, 3, 4].map((i) => note({ pod: `p${i}` })), () => T0);
  assert.equal(stormEndsAt(state, P), T0 + P.quietMs);
  const slow = arrive(state, note({ pod: 'late' }), T0 + 90_000, P);
  assert.equal(slow.absorbed, true, 'still in the storm');
  state = slow.state;
  assert.equal(stormEndsAt(state, P), T0 + P.quietMs, 'an arrival under the threshold does not prolong the storm');
  const ended = endStorm(state);
  assert.equal(inStorm(ended), false);
  assert.equal(ended.absorbed, 0);
  assert.deepEqual(ended.recent, state.recent, 'the rate measure carries on');
});

test('counts by reason and by workload; an incident resolved while absorbed is no longer firing', () => {
  const ns = [
    ...Array.from({ length: 4 }, (_, i) => note({ pod: `a${i}`, reason: 'PodNotReady', owner: 'web' })),
    ...Array.from({ length: 3 }, (_, i) => note({ pod: `b${i}`, reason: 'CrashLoopBackOff', owner: 'api' })),
    note({ pod: 'b0', reason: 'CrashLoopBackOff', owner: 'api', state: State.RESOLVED }),
  ];
  const { state } = feed(emptyStorm(), ns, () => T0, { ...P, threshold: 1 });
  // the first arrival passed before the storm
  assert.equal(state.absorbed, 7);
  assert.deepEqual(state.byReason, { PodNotReady: 3, CrashLoopBackOff: 4 });
  assert.deepEqual(state.byObject, { 'shop/web': 3, 'shop/api': 4 });
  assert.equal(Object.keys(state.firing).length, 5);
  assert.equal(state.resolved, 1);
  const d = digestParts(state, T0 + 150_000);
  assert.equal(d.headline, '7 notifications in the last 3 minutes');
  assert.equal(digestText(d), '7 notifications in the last 3 minutes: 4 CrashLoopBackOff, 3 PodNotReady; top: shop/api (4), shop/web (3); 5 still firing, 1 resolved');
  assert.equal(summaryText(d), 'Storm over after 3 minutes: 7 notifications (4 CrashLoopBackOff, 3 PodNotReady); 1 resolved meanwhile; 5 still firing: shop/web (3), shop/api (2)');
});

test('the top lists name five and count the rest as others', () => {
  const m = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`o${i}`, 10 - i]));
  const t = topOf(m);
  assert.deepEqual(t.top.map((c) => c.name), ['o0', 'o1', 'o2', 'o3', 'o4']);
  assert.equal(t.others, 5 + 4 + 3);
  assert.match(digestText({ ...digestParts(emptyStorm(), T0), objects: t }), /o4 \(6\), others \(12\)/);
});

test('an object without a workload is named by itself; nothing at all by its title', () => {
  assert.equal(objectOf(note({ pod: 'lonely', owner: '' })), 'shop/lonely');
  const bare = note({ pod: 'x', owner: '' });
  bare.involvedObject = undefined;
  assert.equal(objectOf(bare), bare.title);
});

test('the digest and its summary as notifications: no incident, distinct idempotency keys, counts in fields', () => {
  const { state } = feed(emptyStorm(), [1, 2, 3, 4, 5].map((i) => note({ pod: `p${i}` })), () => T0);
  const d1 = digestNotification(state, { sink: 'slack', target: 'C1', now: T0, final: false });
  const more = arrive(state, note({ pod: 'p6' }), T0 + 1, P).state;
  const d2 = digestNotification(more, { sink: 'slack', target: 'C1', now: T0 + 1, final: false });
  const sum = digestNotification(more, { sink: 'slack', target: 'C1', now: T0 + 2, final: true });
  assert.equal(d1.incidentKey, '');
  assert.equal(d1.state, State.FIRING);
  assert.equal(sum.state, State.RESOLVED);
  assert.equal(new Set([d1.idempotencyKey, d2.idempotencyKey, sum.idempotencyKey]).size, 3);
  assert.deepEqual([d1.fields.storm, d1.fields.absorbed, d2.fields.absorbed, sum.fields.storm], ['digest', '2', '3', 'summary']);
  assert.match(sum.message, /^Storm over after 1 minute: 3 notifications/);
});
