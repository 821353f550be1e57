// The router's pure decisions, without sockets: the power-of-two-choices
// pick, the health-check threshold machine, and the outlier-ejection math.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initialHealth, observeCheck } from '../../src/router/health-state.ts';
import { decayedTimes, ejectionMs, MAX_EJECTION_MS, maxEjectable, shouldEject } from '../../src/router/outlier.ts';
import { pickTwoChoices } from '../../src/router/p2c.ts';
import { PushQueue } from '../../src/router/push-queue.ts';

/** random() that returns the given draws in order, then fails the test. */
function draws(...xs: number[]): () => number {
  let i = 0;
  return () => {
    assert.ok(i < xs.length, 'more random draws than expected');
    return xs[i++];
  };
}

interface Item {
  id: string;
  load: number;
  ok?: boolean;
}
const load = (x: Item): number => x.load;

describe('pickTwoChoices', () => {
  const a = { id: 'a', load: 3 };
  const b = { id: 'b', load: 1 };
  const c = { id: 'c', load: 2 };

  it('draws two distinct members and takes the one with fewer outstanding', () => {
    // i = floor(0*3) = 0 (a), j = floor(0*2) = 0 → bumped past i → 1 (b)
    assert.equal(pickTwoChoices([a, b, c], load, draws(0, 0)), b);
    // i = 2 (c), j = floor(0.99*2) = 1 (b)
    assert.equal(pickTwoChoices([a, b, c], load, draws(0.99, 0.99)), b);
    // i = 2 (c), j = 0 (a): c has fewer
    assert.equal(pickTwoChoices([a, b, c], load, draws(0.99, 0)), c);
  });

  it('keeps the first draw on a tie', () => {
    const x = { id: 'x', load: 1 };
    const y = { id: 'y', load: 1 };
    assert.equal(pickTwoChoices([x, y], load, draws(0.9, 0)), y);
    assert.equal(pickTwoChoices([x, y], load, draws(0, 0)), x);
  });

  it('needs no draw for zero or one candidate', () => {
    assert.equal(pickTwoChoices([], load, draws()), undefined);
    assert.equal(pickTwoChoices([a], load, draws()), a);
    assert.equal(
      pickTwoChoices([a, b, c], load, draws(), (x) => x === c),
      c,
    );
    assert.equal(
      pickTwoChoices([a, b, c], load, draws(), () => false),
      undefined,
    );
  });

  it('draws only among eligible members', () => {
    const items: Item[] = [
      { id: 'a', load: 0, ok: false },
      { id: 'b', load: 5, ok: true },
      { id: 'c', load: 0, ok: false },
      { id: 'd', load: 4, ok: true },
    ];
    // eligible are b, d: i = floor(0*2) = 0 (b), j = 0 → 1 (d); d has fewer
    assert.equal(pickTwoChoices(items, load, draws(0, 0), (x) => !!x.ok)?.id, 'd');
  });

  it('never picks the most loaded of three, and spreads ties evenly', () => {
    let seed = 42;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const items = [
      { id: 'a', load: 0 },
      { id: 'b', load: 0 },
      { id: 'c', load: 9 },
    ];
    const counts = new Map<string, number>();
    for (let k = 0; k < 3000; k++) {
      const p = pickTwoChoices(items, load, rnd) as Item;
      counts.set(p.id, (counts.get(p.id) ?? 0) + 1);
    }
    assert.equal(counts.get('c'), undefined);
    assert.equal((counts.get('a') ?? 0) + (counts.get('b') ?? 0), 3000);
    assert.ok(Math.abs((counts.get('a') ?? 0) - 1500) < 200, `a got ${counts.get('a')}`);
  });
});

describe('health thresholds', () => {
  const t = { unhealthyThreshold: 2, healthyThreshold: 3 };

  it('makes a new instance healthy on its first passing check, whatever healthyThreshold says', () => {
    const s = initialHealth();
    assert.equal(s.healthy, false);
    assert.equal(observeCheck(s, true, t), true);
    assert.equal(s.healthy, true);
  });

  it('keeps a new instance out while its checks fail, then takes it at the first pass', () => {
    const s = initialHealth();
    assert.equal(observeCheck(s, false, t), false);
    assert.equal(observeCheck(s, false, t), false);
    assert.equal(s.healthy, false);
    assert.equal(observeCheck(s, true, t), false, 'no longer the first check: healthyThreshold applies');
    assert.equal(observeCheck(s, true, t), false);
    assert.equal(observeCheck(s, true, t), true);
    assert.equal(s.healthy, true);
  });

  it('needs unhealthyThreshold failures in a row; a pass in between resets the count', () => {
    const s = initialHealth();
    observeCheck(s, true, t);
    assert.equal(observeCheck(s, false, t), false);
    assert.equal(observeCheck(s, true, t), false);
    assert.equal(observeCheck(s, false, t), false);
    assert.equal(s.healthy, true);
    assert.equal(observeCheck(s, false, t), true);
    assert.equal(s.healthy, false);
    // back after healthyThreshold (3) passes in a row
    assert.equal(observeCheck(s, true, t), false);
    assert.equal(observeCheck(s, false, t), false);
    assert.equal(observeCheck(s, true, t), false);
    assert.equal(observeCheck(s, true, t), false);
    assert.equal(observeCheck(s, true, t), true);
  });

  it('with the defaults (2 down, 1 up) one pass brings an instance back', () => {
    const d = { unhealthyThreshold: 2, healthyThreshold: 1 };
    const s = initialHealth();
    observeCheck(s, true, d);
    observeCheck(s, false, d);
    assert.equal(observeCheck(s, false, d), true);
    assert.equal(observeCheck(s, true, d), true);
    assert.equal(s.healthy, true);
  });
});

describe('outlier ejection', () => {
  const o = { consecutiveFailures: 5, baseEjectionMs: 30_000, maxEjectionMs: MAX_EJECTION_MS, maxEjectionPercent: 50 };

  it('lasts base × times ejected, capped at 5 minutes', () => {
    assert.equal(ejectionMs(o, 1), 30_000);
    assert.equal(ejectionMs(o, 2), 60_000);
    assert.equal(ejectionMs(o, 10), 300_000);
    assert.equal(ejectionMs(o, 11), 300_000);
    assert.equal(ejectionMs(o, 0), 30_000);
  });

  it('ejects at most maxEjectionPercent of a pool, but always one of two or more', () => {
    assert.equal(maxEjectable(0, 50), 0);
    assert.equal(maxEjectable(1, 50), 0);
    assert.equal(maxEjectable(1, 100), 1);
    assert.equal(maxEjectable(2, 50), 1);
    assert.equal(maxEjectable(3, 50), 1);
    assert.equal(maxEjectable(2, 10), 1);
    assert.equal(maxEjectable(4, 50), 2);
    assert.equal(maxEjectable(10, 10), 1);
    assert.equal(maxEjectable(10, 35), 3);
  });

  it('ejects on the consecutiveFailures-th transport failure in a row when the limit allows', () => {
    assert.equal(shouldEject(o, 4, 3, 0), false);
    assert.equal(shouldEject(o, 5, 3, 0), true);
    assert.equal(shouldEject(o, 9, 3, 1), false, 'one of three is already out');
    assert.equal(shouldEject(o, 5, 4, 1), true);
    assert.equal(shouldEject(o, 5, 1, 0), false, 'a lone instance is never ejected at 50%');
  });

  it('forgets one ejection per baseEjectionMs spent back in the pool', () => {
    assert.equal(decayedTimes(3, 0, 30_000), 3);
    assert.equal(decayedTimes(3, 29_999, 30_000), 3);
    assert.equal(decayedTimes(3, 30_000, 30_000), 2);
    assert.equal(decayedTimes(3, 95_000, 30_000), 0);
    assert.equal(decayedTimes(0, 1e9, 30_000), 0);
  });
});

describe('PushQueue', () => {
  it('hands out queued items in order, then waits for pushes, then ends', async () => {
    const q = new PushQueue<number>();
    q.push(1);
    q.push(2);
    const seen: number[] = [];
    const done = (async () => {
      for await (const x of q) seen.push(x);
    })();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, [1, 2]);
    q.push(3);
    q.end();
    q.push(4);
    await done;
    assert.deepEqual(seen, [1, 2, 3]);
  });

  it('fails the consumer after what was queued', async () => {
    const q = new PushQueue<number>();
    q.push(1);
    q.fail(new Error('boom'));
    assert.deepEqual(await q.next(), { value: 1, done: false });
    await assert.rejects(q.next(), /boom/);
  });

  it('stays cheap over many items (compaction keeps order)', async () => {
    const q = new PushQueue<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    for (let i = 0; i < 5000; i++) assert.equal((await q.next()).value, i);
    assert.equal(q.size, 0);
  });
});
