// What Teams' answer means, pure. A Workflows trigger answers 202 with an
// empty body once it has queued the flow run; its errors are JSON
// `{"error":{"code","message"}}` (429 WorkflowRequestsThrottled with
// Retry-After, 404 WorkflowNotFound, 401/403 for a bad signature, 400 for a
// body the trigger refuses, 413 past the size limit). Teams' connector
// endpoint also reports throttling with a success status and a body saying
// "Microsoft Teams endpoint returned HTTP error 429", so the body is read
// even when the status says all is well.

import { statusKind, statusReason } from '../failure.ts';
import { SinkError } from '../types.ts';
import { bodySnippet, type HttpResult, retryAfterMs } from '../http.ts';

/** Without a Retry-After, how long a throttled request waits: Teams' connector windows run from a second to an hour, most are 30 s. */
export const DEFAULT_THROTTLE_MS = 30_000;

const EMBEDDED_STATUS = /Microsoft Teams endpoint returned HTTP error (\d{3})/i;
const THROTTLED = /throttl|too many requests|rate limit/i;

/** `code: message` from a Logic Apps / Power Automate error body, else the body's first characters. */
export function errorDetail(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    const code = typeof parsed?.error?.code === 'string' ? parsed.error.code : '';
    const msg = typeof parsed?.error?.message === 'string' ? parsed.error.message : '';
    if (code || msg) return bodySnippet([code, msg].filter(Boolean).join(': '));
  } catch {
    // not JSON: plain text or a proxy's page
  }
  return bodySnippet(body);
}

/** Undefined when Teams took the message; else the error to reject with, its kind saying whether to retry. */
export function classifyTeamsResponse(prefix: string, res: HttpResult, nowMs: number): SinkError | undefined {
  const detail = errorDetail(res.body);
  const retryAfter = (): number => retryAfterMs(res.headers.get('retry-after'), nowMs, DEFAULT_THROTTLE_MS);
  if (res.status >= 200 && res.status < 300) {
    const embedded = EMBEDDED_STATUS.exec(res.body);
    if (embedded) {
      const status = Number(embedded[1]);
      const kind = statusKind(status) ?? 'retryable';
      const reason = statusReason(status) ?? 'server';
      const why = `${prefix}: Teams answered ${res.status} but failed to deliver (${detail})`;
      return kind === 'rate-limited' ? new SinkError(why, { kind, reason, retryAfterMs: retryAfter() }) : new SinkError(why, { kind, reason });
    }
    if (THROTTLED.test(res.body)) return new SinkError(`${prefix}: throttled (${detail})`, { kind: 'rate-limited', retryAfterMs: retryAfter() });
    return undefined;
  }
  const suffix = detail ? `: ${detail}` : '';
  switch (res.status) {
    case 429:
      return new SinkError(`${prefix}: throttled (HTTP 429${suffix})`, { kind: 'rate-limited', retryAfterMs: retryAfter() });
    case 413:
      return new SinkError(`${prefix}: the message is larger than Teams accepts (about 28 KB) (HTTP 413${suffix})`, { kind: 'permanent' });
    case 401:
    case 403:
      return new SinkError(`${prefix}: the workflow refused the request (HTTP ${res.status}${suffix}); copy the URL again from the flow's trigger, and check the flow's owner can still post`, { kind: 'permanent', reason: 'auth' });
    case 404:
    case 410:
      return new SinkError(`${prefix}: no such workflow (HTTP ${res.status}${suffix}); the flow was deleted or turned off, or its URL changed`, { kind: 'permanent' });
    case 400:
      return new SinkError(`${prefix}: the workflow rejected the message (HTTP 400${suffix})`, { kind: 'permanent' });
  }
  const kind = statusKind(res.status) ?? 'permanent';
  const reason = statusReason(res.status) ?? 'client';
  if (res.status === 503 && res.headers.get('retry-after')) return new SinkError(`${prefix}: unavailable (HTTP 503${suffix})`, { kind: 'rate-limited', reason, retryAfterMs: retryAfter() });
  const redirect = res.status >= 300 && res.status < 400 ? ' (redirects are not followed: configure the final URL)' : '';
  return new SinkError(`${prefix}: HTTP ${res.status}${redirect}${suffix}`, { kind, reason });
}
