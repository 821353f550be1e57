// Retry scheduling math: the backoff ceiling per attempt, full jitter through
// an injected random, Retry-After taken exactly, classification, max age.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { afterFailure, backoffCeiling, backoffDelay, classify, expired } from '../../src/pipeline/retry.ts';
import { SinkError } from '../../src/sinks/types.ts';

const POLICY = { baseMs: 1000, factor: 2, capMs: 300_000 };
const MAX_AGE = 24 * 3600_000;

describe('backoff', () => {
  it('doubles from 1 s and stops at 5 min', () => {
    assert.deepEqual(
      Array.from({ length: 12 }, (_, i) => backoffCeiling(i + 1, POLICY)),
      [1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000, 300_000],
    );
  });

  it('is full jitter: random × ceiling, from 0 up to (not including) the ceiling', () => {
    assert.equal(backoffDelay(3, POLICY, () => 0), 0);
    assert.equal(backoffDelay(3, POLICY, () => 0.5), 2000);
    assert.equal(backoffDelay(3, POLICY, () => 0.999_999), 3999);
    assert.equal(backoffDelay(40, POLICY, () => 0.25), 75_000);
  });

  it('follows another base and factor', () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((a) => backoffCeiling(a, { baseMs: 500, factor: 3, capMs: 10_000 })),
      [500, 1500, 4500, 10_000],
    );
  });
});

describe('classification', () => {
  it('takes the kind and retry-after from a SinkError', () => {
    assert.deepEqual(classify(new SinkError('slow down', { kind: 'rate-limited', retryAfterMs: 30_000 })), { kind: 'rate-limited', retryAfterMs: 30_000, message: 'slow down' });
    assert.deepEqual(classify(new SinkError('bad token', { kind: 'permanent' })), { kind: 'permanent', message: 'bad token' });
  });

  it('treats any other error as retryable', () => {
    assert.deepEqual(classify(new TypeError('x is undefined')), { kind: 'retryable', message: 'x is undefined' });
    assert.deepEqual(classify('a string'), { kind: 'retryable', message: 'a string' });
  });

  it('ignores a retry-after that is not a number of ms ≥ 0', () => {
    assert.deepEqual(classify(new SinkError('x', { kind: 'rate-limited', retryAfterMs: Number.NaN })), { kind: 'rate-limited', message: 'x' });
  });
});

describe('after a failure', () => {
  const now = 1_000_000;
  const p = { backoff: POLICY, maxAgeMs: MAX_AGE };

  it('a permanent error is a dead letter at once', () => {
    const d = afterFailure(new SinkError('channel_not_found', { kind: 'permanent' }), 1, now, now, p, () => 0.5);
    assert.equal(d.action, 'dead');
    assert.equal(d.action === 'dead' && d.reason, 'permanent');
  });

  it('a retry-after is honoured exactly, whatever the jitter', () => {
    for (const r of [0, 0.5, 0.99]) {
      const d = afterFailure(new SinkError('429', { kind: 'rate-limited', retryAfterMs: 7300 }), 4, now, now, p, () => r);
      assert.deepEqual(d.action === 'retry' && [d.at, d.delayMs], [now + 7300, 7300]);
    }
  });

  it('a fractional retry-after is rounded up, never down', () => {
    const d = afterFailure(new SinkError('429', { kind: 'rate-limited', retryAfterMs: 1000.2 }), 1, now, now, p, () => 0);
    assert.equal(d.action === 'retry' && d.at, now + 1001);
  });

  it('rate-limited without a retry-after, retryable and unknown errors back off', () => {
    for (const err of [new SinkError('429', { kind: 'rate-limited' }), new SinkError('503', { kind: 'retryable' }), new Error('socket hang up')]) {
      const d = afterFailure(err, 3, now, now, p, () => 0.5);
      assert.deepEqual(d.action === 'retry' && d.at, now + 2000);
    }
  });

  it('a retry that would fall past the max age is a dead letter now', () => {
    const created = now - MAX_AGE + 1500;
    assert.equal(afterFailure(new Error('x'), 2, created, now, p, () => 0.999).action, 'dead', 'now + 1998 ≥ the max age');
    const d = afterFailure(new Error('x'), 2, created, now, p, () => 0.5);
    assert.deepEqual(d.action === 'retry' && d.at, now + 1000);
    const r = afterFailure(new SinkError('429', { kind: 'rate-limited', retryAfterMs: 3600_000 }), 1, created, now, p, () => 0);
    assert.equal(r.action === 'dead' && r.reason, 'expired');
  });

  it('expired() is true from the max age on', () => {
    assert.equal(expired(0, MAX_AGE - 1, MAX_AGE), false);
    assert.equal(expired(0, MAX_AGE, MAX_AGE), true);
  });
});
