// A failed Bot API call as a SinkError: 429 waits for retry_after, 5xx and
// network failures retry, and 4xx (chat not found, blocked, bad token, bad
// markup) wait for someone to change something.

import { GrammyError, HttpError } from 'grammy';
import { redact } from '../credential.ts';
import { abortReason } from '../failure.ts';
import { type FailureReason, SinkError } from '../types.ts';

// What a person should do about the common permanent ones
const HINTS: [RegExp, string][] = [
  [/chat not found/i, 'check chatId, and that the bot was added to the chat'],
  [/message thread not found|topic/i, 'check messageThreadId (the forum topic)'],
  [/bot was blocked|bot was kicked|not a member|have no rights|not enough rights/i, 'add the bot to the chat again, with the right to post'],
  [/can't parse entities/i, 'the message markup was rejected'],
];

export function classifyTelegramError(err: unknown, ctx: { sink: string; secrets?: readonly string[] }): SinkError {
  const prefix = `telegram sink "${ctx.sink}": sendMessage`;
  const secrets = ctx.secrets ?? [];
  const make = (detail: string, kind: SinkError['kind'], retryAfterMs?: number, reason?: FailureReason): SinkError =>
    new SinkError(redact(`${prefix}: ${detail}`, secrets), { kind, reason, retryAfterMs, cause: safeCause(err, secrets) });

  if (err instanceof GrammyError) {
    const code = err.error_code;
    const description = err.description;
    const retryAfter = err.parameters?.retry_after;
    if (code === 429) {
      return make(`${code} ${description}`, 'rate-limited', typeof retryAfter === 'number' ? retryAfter * 1000 : undefined);
    }
    if (code >= 500) return make(`${code} ${description}`, 'retryable');
    const migrated = err.parameters?.migrate_to_chat_id;
    if (migrated !== undefined) return make(`${code} ${description} (the group is now the supergroup ${migrated}: set chatId to it)`, 'permanent');
    const hint = HINTS.find(([re]) => re.test(description))?.[1];
    if (code === 401 || code === 404) return make(`${code} ${description} (the bot token is not valid: check tokenFrom)`, 'permanent', undefined, 'auth');
    return make(`${code} ${description}${hint ? ` (${hint})` : ''}`, 'permanent');
  }
  if (err instanceof HttpError) {
    // no answer, a timeout, or an answer that was not the Bot API's JSON (a proxy's error page)
    const inner = err.error instanceof Error ? err.error.message : String(err.error);
    if (/timed out/i.test(inner)) return make('timed out', 'retryable', undefined, 'timeout');
    return make(`request failed: ${inner}`, 'retryable', undefined, abortReason(err.error) ?? 'network');
  }
  return make(err instanceof Error ? err.message : String(err), 'retryable');
}

/** node-fetch errors quote the request URL, which holds the token: keep only a redacted message. */
function safeCause(err: unknown, secrets: readonly string[]): Error {
  const inner = err instanceof HttpError && err.error instanceof Error ? `: ${err.error.message}` : '';
  const out = new Error(redact(`${err instanceof Error ? err.message : String(err)}${inner}`, secrets));
  out.name = err instanceof Error ? err.name : 'Error';
  return out;
}
