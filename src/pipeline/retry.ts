// What to do after a failed attempt: pure scheduling math, no I/O.
//
// - permanent (the sink says retrying cannot help): dead letter now;
// - rate-limited with a retry-after: exactly then, never sooner;
// - retryable, rate-limited without a retry-after, or any error the sink did
//   not classify: exponential backoff with full jitter
//   (delay = random() × min(cap, base × factor^(attempt−1))), never sooner
//   than a retry-after the error carries (a 503's): the server's floor holds,
//   jitter only adds;
// - anything that would only be tried again past its max age: dead letter now.

import { defaultReason, type FailureReason, SinkError, type SinkErrorKind } from '../contracts/sink.ts';
import type { BackoffPolicy } from './config.ts';

export interface Classified {
  kind: SinkErrorKind;
  retryAfterMs?: number;
  message: string;
}

export function classify(err: unknown): Classified {
  if (err instanceof SinkError) {
    const out: Classified = { kind: err.kind, message: err.message };
    if (err.retryAfterMs !== undefined && Number.isFinite(err.retryAfterMs) && err.retryAfterMs >= 0) out.retryAfterMs = err.retryAfterMs;
    return out;
  }
  // a bug or an unexpected throw in a sink is not a verdict on the notification
  return { kind: 'retryable', message: err instanceof Error ? err.message : String(err) };
}

/** Why a send failed, for the metrics: the sink's reason, or a retryable one's for an error it did not classify. */
export function failureReason(err: unknown): FailureReason {
  return err instanceof SinkError ? err.reason : defaultReason('retryable');
}

/** The most the delay before attempt `attempt + 1` can be: min(cap, base × factor^(attempt−1)). */
export function backoffCeiling(attempt: number, p: BackoffPolicy): number {
  const exp = Math.max(0, attempt - 1);
  return Math.min(p.capMs, p.baseMs * Math.pow(p.factor, exp));
}

/** Full jitter: uniform in [0, ceiling); `random` returns [0, 1) like Math.random. */
export function backoffDelay(attempt: number, p: BackoffPolicy, random: () => number): number {
  return Math.floor(random() * backoffCeiling(attempt, p));
}

export type RetryDecision = { action: 'retry'; at: number; delayMs: number; classified: Classified } | { action: 'dead'; reason: 'permanent' | 'expired'; classified: Classified };

/**
 * After the `attempts`-th attempt failed at `now` with `err`, for a delivery
 * queued at `createdAt`.
 */
export function afterFailure(err: unknown, attempts: number, createdAt: number, now: number, p: { backoff: BackoffPolicy; maxAgeMs: number }, random: () => number): RetryDecision {
  const c = classify(err);
  if (c.kind === 'permanent') return { action: 'dead', reason: 'permanent', classified: c };
  const delayMs =
    c.retryAfterMs === undefined ? backoffDelay(attempts, p.backoff, random) : c.kind === 'rate-limited' ? Math.ceil(c.retryAfterMs) : Math.max(Math.ceil(c.retryAfterMs), backoffDelay(attempts, p.backoff, random));
  const at = now + delayMs;
  if (at >= createdAt + p.maxAgeMs) return { action: 'dead', reason: 'expired', classified: c };
  return { action: 'retry', at, delayMs, classified: c };
}

/** Whether a delivery is too old to be attempted at all. */
export function expired(createdAt: number, now: number, maxAgeMs: number): boolean {
  return now >= createdAt + maxAgeMs;
}
