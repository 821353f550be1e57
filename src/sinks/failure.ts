// What an HTTP status means for a failed send, once for every sink: whether
// to retry (the kind) and why it failed (the reason, a metric label). The
// classifiers of each platform start here and add what their platform says
// beyond the status (Slack's error codes, DingTalk's errcode …).

import type { FailureReason, SinkErrorKind } from './types.ts';

/**
 * What an HTTP status means for a retry: 2xx none; 408, 425, 5xx the server
 * may do better later; 429 slow down; any other 4xx (and 3xx, which is not
 * followed) will not change until someone changes the request or the
 * receiver.
 */
export function statusKind(status: number): SinkErrorKind | undefined {
  if (status >= 200 && status < 300) return undefined;
  if (status === 429) return 'rate-limited';
  if (status === 408 || status === 425 || status >= 500) return 'retryable';
  return 'permanent';
}

/** Why a request with this status failed: 401/403 auth, 429 rate-limited, 408 timeout, 5xx server, anything else client. */
export function statusReason(status: number): FailureReason | undefined {
  if (status >= 200 && status < 300) return undefined;
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate-limited';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server';
  return 'client';
}

/** A failed status's kind and reason together (undefined for 2xx). */
export function statusFailure(status: number): { kind: SinkErrorKind; reason: FailureReason } | undefined {
  const kind = statusKind(status);
  return kind ? { kind, reason: statusReason(status)! } : undefined;
}

/** An error thrown because a send's signal was aborted or its own deadline passed: timeout, else canceled. */
export function abortReason(err: unknown): FailureReason | undefined {
  const name = (err as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError') return 'timeout';
  if (name === 'AbortError') return 'canceled';
  return undefined;
}
