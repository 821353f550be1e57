// What Mattermost's answer to an incoming webhook means, pure. A post taken
// is 200 with the body "ok". A refusal is an AppError, JSON `{"id":
// "web.incoming_webhook.…","message":…,"status_code":…}`: 400 for a webhook
// that does not exist (invalid) or a message it cannot take (text), 501 when
// the server has incoming webhooks turned off, 403 when the webhook is locked
// to its channel or may not post in the one asked for, 404 for a channel
// that does not exist. None of those changes by retrying. 429 comes from the
// server's rate limiting (with Retry-After), 5xx from a server in trouble.

import { statusFailure } from '../failure.ts';
import { SinkError } from '../types.ts';
import { bodySnippet, type HttpResult, retryAfterMs } from '../http.ts';

/** Without a Retry-After, how long a throttled post waits (Mattermost's limits are per second). */
export const DEFAULT_THROTTLE_MS = 5_000;

interface AppError {
  id: string;
  message: string;
}

function appError(body: string): AppError | undefined {
  try {
    const parsed = JSON.parse(body) as { id?: unknown; message?: unknown };
    if (typeof parsed?.id === 'string') return { id: parsed.id, message: typeof parsed.message === 'string' ? parsed.message : '' };
  } catch {
    // not JSON: a proxy's page
  }
  return undefined;
}

/** What to do about an AppError a retry cannot fix, by its id. */
const ADVICE: Record<string, string> = {
  'web.incoming_webhook.invalid.app_error': 'no such incoming webhook: it was deleted, or urlFrom holds a wrong URL',
  'web.incoming_webhook.disabled.app_error': 'incoming webhooks are turned off on this server (System Console > Integrations > Integration Management)',
  'web.incoming_webhook.channel_locked.app_error': 'the webhook is locked to its own channel: remove channel, or unlock the webhook',
  'web.incoming_webhook.channel.app_error': 'no such channel: check channel',
  'web.incoming_webhook.user.app_error': 'no such user for channel @…, or the webhook\'s owner is gone',
  'web.incoming_webhook.permissions.app_error': "the webhook's owner may not post in that channel",
  'web.incoming_webhook.text.app_error': 'Mattermost refused an empty message',
};

/** Undefined when Mattermost took the post; else the error to reject with, its kind saying whether to retry. */
export function classifyMattermostResponse(prefix: string, res: HttpResult, nowMs: number): SinkError | undefined {
  if (res.status >= 200 && res.status < 300) return undefined;
  const err = appError(res.body);
  const detail = err ? bodySnippet([err.id, err.message].filter(Boolean).join(': ')) : bodySnippet(res.body);
  const suffix = detail ? `: ${detail}` : '';
  if (res.status === 429) {
    return new SinkError(`${prefix}: throttled (HTTP 429${suffix})`, { kind: 'rate-limited', retryAfterMs: retryAfterMs(res.headers.get('retry-after'), nowMs, DEFAULT_THROTTLE_MS) });
  }
  // 501 is the server saying it will not, not that it failed
  const refused = res.status < 500 || res.status === 501;
  const advice = err ? ADVICE[err.id] : undefined;
  if (refused && advice) return new SinkError(`${prefix}: ${advice} (HTTP ${res.status}${suffix})`, { kind: 'permanent', reason: res.status === 403 ? 'auth' : 'client' });
  if (res.status === 501) return new SinkError(`${prefix}: HTTP 501${suffix}`, { kind: 'permanent', reason: 'client' });
  const { kind, reason } = statusFailure(res.status) ?? { kind: 'permanent', reason: 'client' };
  const redirect = res.status >= 300 && res.status < 400 ? ' (redirects are not followed: configure the final URL)' : '';
  return new SinkError(`${prefix}: HTTP ${res.status}${redirect}${suffix}`, { kind, reason });
}
