// How a webhook delivery failed, pure: each URL's answer on its own, then
// the notification as a whole. Each URL is its own target: the notification
// is delivered when every URL has accepted it, and until then the sink
// retries only the URLs that have not (receivers drop repeats by
// webhook-id, e.g. after a restart, when the sink no longer knows which
// accepted).

import { statusFailure } from '../failure.ts';
import { type FailureReason, SinkError, type SinkErrorKind } from '../types.ts';
import { bodySnippet, type HttpResult, retryAfterMs } from '../http.ts';

/** Without a Retry-After, how long a 429 waits. */
export const DEFAULT_RATE_LIMIT_MS = 30_000;

export interface UrlFailure {
  /** "url[1] (https://hooks.example.com)": index and origin, never the path or query */
  target: string;
  kind: SinkErrorKind;
  reason: FailureReason;
  retryAfterMs?: number;
  why: string;
}

/** One URL's answer: undefined for 2xx (accepted), else why and how to retry. */
export function classifyWebhookResponse(target: string, res: HttpResult, nowMs: number): UrlFailure | undefined {
  const failed = statusFailure(res.status);
  if (!failed) return undefined;
  const { kind, reason } = failed;
  const detail = bodySnippet(res.body);
  const why = `HTTP ${res.status}${res.status >= 300 && res.status < 400 ? ' (redirects are not followed: configure the final URL)' : ''}${detail ? `: ${detail}` : ''}`;
  if (kind === 'rate-limited') return { target, kind, reason, retryAfterMs: retryAfterMs(res.headers.get('retry-after'), nowMs, DEFAULT_RATE_LIMIT_MS), why };
  // a 503 with Retry-After is a receiver saying when it will be back
  if (res.status === 503 && res.headers.get('retry-after')) return { target, kind: 'rate-limited', reason, retryAfterMs: retryAfterMs(res.headers.get('retry-after'), nowMs, DEFAULT_RATE_LIMIT_MS), why };
  return { target, kind, reason, why };
}

/**
 * The notification's error from its URLs' failures. Any URL that may
 * accept later makes the whole retryable (a permanent failure elsewhere is
 * reported, and retried along with it, since a receiver may be fixed); the
 * longest Retry-After wins, so no URL is asked again too early. Only when
 * every failed URL failed permanently is the notification permanent.
 */
export function combineFailures(prefix: string, failures: UrlFailure[], delivered: number, total: number): SinkError {
  const retryAfters = failures.filter((f) => f.kind === 'rate-limited').map((f) => f.retryAfterMs ?? DEFAULT_RATE_LIMIT_MS);
  const kind: SinkErrorKind = failures.every((f) => f.kind === 'permanent') ? 'permanent' : retryAfters.length > 0 ? 'rate-limited' : 'retryable';
  const list = failures.map((f) => `${f.target}: ${f.why}`).join('; ');
  const message = `${prefix}: ${failures.length} of ${total} URL${total === 1 ? '' : 's'} failed${delivered > 0 ? ` (${delivered} accepted)` : ''}: ${list}`;
  // the reason of the failure that decided the kind: a retryable one's when any may accept later
  const reason = (failures.find((f) => f.kind === kind) ?? failures[0]).reason;
  return new SinkError(message, kind === 'rate-limited' ? { kind, reason, retryAfterMs: Math.max(...retryAfters) } : { kind, reason });
}
