// A failed Slack call as a SinkError: retry later, retry after Slack's
// Retry-After, or give up until someone fixes the token, channel or app.

import { egressErrorOf } from '../egress.ts';
import { ErrorCode as WebErrorCode } from '@slack/web-api';
import { ErrorCode as HookErrorCode } from '@slack/webhook';
import { redact } from '../credential.ts';
import { abortReason, statusFailure } from '../failure.ts';
import { type FailureReason, SinkError } from '../types.ts';
import type { WithRetryAfter } from './send.ts';

// Web API error codes that say Slack had a passing problem; every other code
// (invalid_auth, channel_not_found, not_in_channel, msg_too_long,
// invalid_blocks …) needs someone to change something first.
const TRANSIENT_CODES = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_added_to_org']);
const RATE_LIMIT_CODES = new Set(['ratelimited', 'rate_limited', 'message_limit_exceeded']);
// Web API error codes about the credentials rather than the message
const AUTH_CODES = new Set(['not_authed', 'invalid_auth', 'account_inactive', 'token_revoked', 'token_expired', 'missing_scope', 'no_service', 'action_prohibited']);

// What a person should do about the common permanent ones
const HINTS: Record<string, string> = {
  not_authed: 'no token was sent',
  invalid_auth: 'the token is not valid: check tokenFrom',
  account_inactive: 'the token belongs to a deactivated user or workspace',
  token_revoked: 'the token was revoked: reinstall the app and update tokenFrom',
  token_expired: 'the token expired',
  missing_scope: 'the app lacks a scope (chat:write)',
  channel_not_found: 'no such channel, or the bot cannot see it: check channel and invite the bot',
  not_in_channel: 'the bot is not in the channel: invite it',
  is_archived: 'the channel is archived',
  msg_too_long: 'the message is too long',
  invalid_blocks: 'Slack rejected the message blocks',
  no_service: 'the webhook was removed or disabled: check webhookUrlFrom',
  channel_is_archived: 'the webhook channel is archived',
  action_prohibited: 'the workspace does not allow this webhook to post',
  invalid_payload: 'Slack could not read the message',
};

interface Coded {
  code?: unknown;
  data?: { error?: unknown };
  retryAfter?: unknown;
  statusCode?: unknown;
  body?: unknown;
  original?: unknown;
  message?: unknown;
}

function describe(code: string): string {
  return HINTS[code] ? `${code} (${HINTS[code]})` : code;
}

function isTimeout(err: unknown): boolean {
  const e = err as { name?: unknown; message?: unknown } | undefined;
  return e?.name === 'TimeoutError' || (e?.name === 'AbortError' && /timeout|timed out/i.test(String(e?.message ?? '')));
}

/**
 * `what` names the call (chat.postMessage, webhook); `secrets` are cut out of
 * any message taken from the error (a webhook URL is a credential).
 */
export function classifySlackError(err: unknown, ctx: { sink: string; what: string; secrets?: readonly string[] }): SinkError {
  const e = (err ?? {}) as Coded;
  const prefix = `slack sink "${ctx.sink}": ${ctx.what}`;
  const make = (detail: string, kind: SinkError['kind'], retryAfterMs?: number, reason?: FailureReason): SinkError =>
    new SinkError(redact(`${prefix}: ${detail}`, ctx.secrets ?? []), { kind, reason, retryAfterMs, cause: safeCause(err, ctx.secrets ?? []) });
  const requestFailed = (original: unknown): SinkError =>
    isTimeout(original) ? make('timed out', 'retryable', undefined, 'timeout') : make(`request failed: ${errorMessage(original)}`, 'retryable', undefined, abortReason(original) ?? 'network');

  // refused before any request: the Sink's URL must change
  const refused = egressErrorOf(err);
  if (refused) return make(refused.message, 'permanent');
  switch (e.code) {
    case WebErrorCode.RateLimitedError: {
      const seconds = Number(e.retryAfter);
      return make(`rate limited by Slack, retry after ${seconds}s`, 'rate-limited', Number.isFinite(seconds) ? seconds * 1000 : undefined);
    }
    case WebErrorCode.PlatformError: {
      const code = String(e.data?.error ?? 'unknown_error');
      if (RATE_LIMIT_CODES.has(code)) return make(`rate limited by Slack (${code})`, 'rate-limited');
      if (TRANSIENT_CODES.has(code)) return make(describe(code), 'retryable');
      return make(describe(code), 'permanent', undefined, AUTH_CODES.has(code) ? 'auth' : 'client');
    }
    case WebErrorCode.HTTPError:
      return httpError(Number(e.statusCode), undefined, make);
    case WebErrorCode.RequestError:
      return requestFailed(e.original);
    case HookErrorCode.HTTPError:
      return httpError(Number(e.statusCode), { body: String(e.body ?? '').trim(), retryAfterSeconds: (err as WithRetryAfter).retryAfterSeconds }, make);
    case HookErrorCode.RequestError:
      return requestFailed(e.original);
  }
  // a 429 without a usable Retry-After: the SDK says so in words only
  if (typeof e.message === 'string' && /rate limit|retry header/i.test(e.message)) return make('rate limited by Slack (no Retry-After)', 'rate-limited');
  return make(errorMessage(err), 'retryable');
}

function httpError(
  status: number,
  hook: { body: string; retryAfterSeconds?: number } | undefined,
  make: (detail: string, kind: SinkError['kind'], retryAfterMs?: number, reason?: FailureReason) => SinkError,
): SinkError {
  // webhook bodies are short codes (invalid_payload); anything longer is a proxy's page
  const code = hook && /^[a-z_]{1,64}$/.test(hook.body) ? hook.body : '';
  const detail = `HTTP ${status}${code ? ` ${describe(code)}` : ''}`;
  if (status === 429) {
    const after = hook?.retryAfterSeconds;
    return make(`rate limited by Slack (${detail})${after !== undefined ? `, retry after ${after}s` : ''}`, 'rate-limited', after !== undefined ? after * 1000 : undefined);
  }
  const { kind, reason } = statusFailure(status) ?? { kind: 'permanent', reason: 'client' };
  return make(detail, kind, undefined, reason);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The original error for logs, minus anything secret in its message (and without the request it may carry). */
function safeCause(err: unknown, secrets: readonly string[]): Error {
  const out = new Error(redact(errorMessage(err), secrets));
  out.name = err instanceof Error ? err.name : 'Error';
  return out;
}
