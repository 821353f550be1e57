// Rate limits: exact windows per target (and per sink), a token freeing
// exactly `per` after it was taken, and blocks from a platform's Retry-After.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PLATFORM_RATE_LIMITS, type RateRule } from '../../src/pipeline/config.ts';
import { RateLimiter } from '../../src/pipeline/ratelimit.ts';

function limiter(rules: RateRule[]): RateLimiter {
  return new RateLimiter(() => rules);
}

/** Sends as early as the limiter allows, from t=0; returns the send times. */
function schedule(l: RateLimiter, target: string, n: number, start = 0): number[] {
  const times: number[] = [];
  let now = start;
  while (times.length < n) {
    const w = l.wait('s', target, now);
    now += w;
    if (w === 0) {
      l.take('s', target, now);
      times.push(now);
    }
  }
  return times;
}

describe('rate limits', () => {
  it('Slack: one per second per channel, channels independent', () => {
    const l = limiter(PLATFORM_RATE_LIMITS.slack);
    assert.deepEqual(schedule(l, '#a', 4), [0, 1000, 2000, 3000]);
    assert.equal(l.wait('s', '#b', 0), 0);
    assert.equal(l.wait('s', '#a', 3500), 500);
  });

  it('DingTalk: never more than 20 in any 60 s window', () => {
    const l = limiter(PLATFORM_RATE_LIMITS.dingtalk);
    const times = schedule(l, 'robot', 65);
    assert.deepEqual(times.slice(0, 20), Array(20).fill(0));
    assert.deepEqual(times.slice(20, 22), [60_000, 60_000]);
    for (let i = 20; i < times.length; i++) assert.ok(times[i] - times[i - 20] >= 60_000, `send ${i} at ${times[i]} is within 60 s of send ${i - 20}`);
  });

  it('Telegram: 1/s per chat, 20/min more for groups (negative ids), 30/s per bot', () => {
    const l = limiter(PLATFORM_RATE_LIMITS.telegram);
    const group = schedule(l, '-100123', 22);
    assert.deepEqual(group.slice(0, 3), [0, 1000, 2000]);
    assert.equal(group[20], 60_000, 'the 21st group message waits for the first to leave the minute');
    const l2 = limiter(PLATFORM_RATE_LIMITS.telegram);
    assert.deepEqual(schedule(l2, '42', 3), [0, 1000, 2000], 'private chats have no per-minute limit');
    const l3 = limiter(PLATFORM_RATE_LIMITS.telegram);
    for (let chat = 0; chat < 30; chat++) l3.take('s', `chat-${chat}`, 0);
    assert.equal(l3.wait('s', 'chat-99', 0), 1000, 'the 31st message of the second, to any chat, waits');
  });

  it('Teams: 4 per second per webhook', () => {
    assert.deepEqual(schedule(limiter(PLATFORM_RATE_LIMITS.teams), 'hook', 9), [0, 0, 0, 0, 1000, 1000, 1000, 1000, 2000]);
  });

  it('unlisted platforms are unlimited', () => {
    assert.deepEqual(schedule(limiter([]), 'x', 5), [0, 0, 0, 0, 0]);
  });

  it('a block holds the target until its time, then lifts', () => {
    const l = limiter([]);
    l.block('s', 't', 5000);
    l.block('s', 't', 3000); // an earlier "not before" never shortens a later one
    assert.equal(l.wait('s', 't', 1000), 4000);
    assert.equal(l.wait('s', 'other', 1000), 0);
    assert.equal(l.wait('s', 't', 5000), 0);
  });
});
