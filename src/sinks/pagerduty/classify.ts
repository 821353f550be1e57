// What the Events API v2's answer means, pure. PagerDuty documents: 202 the
// event was accepted (`{"status":"success","message":"Event processed",
// "dedup_key":…}`); 400 the event is invalid (`{"status":"invalid event",
// "message":"Event object is invalid","errors":[…]}`), which no retry fixes;
// 429 too many events for this integration key, retry later; 5xx retry
// later. It suggests retrying a throttled event about 30 seconds on.

import { redact } from '../credential.ts';
import { statusFailure } from '../failure.ts';
import { SinkError } from '../types.ts';
import { bodySnippet, type HttpResult, retryAfterMs } from '../http.ts';

/** Without a Retry-After, how long a throttled event waits (PagerDuty suggests retries 30 s apart). */
export const DEFAULT_THROTTLE_MS = 30_000;

/** `message: error; error` from PagerDuty's JSON answer, else the body's first characters. */
export function errorDetail(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; errors?: unknown };
    const message = typeof parsed?.message === 'string' ? parsed.message : '';
    const errors = Array.isArray(parsed?.errors) ? parsed.errors.filter((e): e is string => typeof e === 'string') : [];
    if (message || errors.length) return bodySnippet([message, errors.join('; ')].filter(Boolean).join(': '), 400);
  } catch {
    // not JSON: a proxy's page
  }
  return bodySnippet(body);
}

/** Undefined when PagerDuty took the event; else the error to reject with. `routingKey` is never in the message. */
export function classifyPagerDutyResponse(prefix: string, res: HttpResult, nowMs: number, routingKey: string): SinkError | undefined {
  if (res.status >= 200 && res.status < 300) return undefined;
  const detail = redact(errorDetail(res.body), [routingKey]);
  const suffix = detail ? `: ${detail}` : '';
  switch (res.status) {
    case 429:
      return new SinkError(`${prefix}: too many events for this integration key (HTTP 429${suffix})`, {
        kind: 'rate-limited',
        retryAfterMs: retryAfterMs(res.headers.get('retry-after'), nowMs, DEFAULT_THROTTLE_MS),
      });
    case 400: {
      const hint = /routing.?key|integration key/i.test(detail) ? '; routingKeyFrom must hold the 32-character integration key of an Events API v2 integration' : '';
      return new SinkError(`${prefix}: PagerDuty refused the event (HTTP 400${suffix})${hint}`, { kind: 'permanent' });
    }
    case 413:
      return new SinkError(`${prefix}: the event is larger than PagerDuty accepts (512 KB) (HTTP 413${suffix})`, { kind: 'permanent' });
  }
  const { kind, reason } = statusFailure(res.status) ?? { kind: 'permanent', reason: 'client' };
  const redirect = res.status >= 300 && res.status < 400 ? ' (redirects are not followed: configure the final URL)' : '';
  return new SinkError(`${prefix}: HTTP ${res.status}${redirect}${suffix}`, { kind, reason });
}
