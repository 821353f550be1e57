// What a DingTalk robot's answer means, pure. The robot answers HTTP 200
// with `{"errcode": N, "errmsg": "…"}` whatever happened, so the errcode
// decides: 0 sent; 130101 too many messages (20 a minute, then a 10-minute
// penalty); 310000 the robot's security settings refused the message (sign
// mismatch, timestamp outside the hour DingTalk accepts, missing keyword, IP
// not allowed), which no retry fixes; -1 DingTalk is busy.

import { statusFailure } from '../failure.ts';
import { SinkError } from '../types.ts';
import { bodySnippet, type HttpResult, retryAfterMs } from '../http.ts';
import { PENALTY_MS } from './limiter.ts';

export const ERR_OK = 0;
export const ERR_BUSY = -1;
export const ERR_TOO_FAST = 130101;
export const ERR_SECURITY = 310000;

/** Undefined when the robot took the message. `penalized`: DingTalk now refuses this robot for 10 minutes. */
export function classifyDingTalkResponse(prefix: string, res: HttpResult, nowMs: number): { error: SinkError; penalized?: boolean } | undefined {
  const failed = statusFailure(res.status);
  if (failed) {
    const { kind, reason } = failed;
    const why = `${prefix}: HTTP ${res.status}${bodySnippet(res.body) ? `: ${bodySnippet(res.body)}` : ''}`;
    if (kind === 'rate-limited') return { error: new SinkError(why, { kind, reason, retryAfterMs: retryAfterMs(res.headers.get('retry-after'), nowMs, 60_000) }) };
    return { error: new SinkError(why, { kind, reason }) };
  }
  let answer: { errcode?: unknown; errmsg?: unknown };
  try {
    answer = JSON.parse(res.body) as typeof answer;
  } catch {
    // DingTalk always answers JSON: this is something in between (a proxy), which may pass
    return { error: new SinkError(`${prefix}: unexpected answer (HTTP ${res.status}): ${bodySnippet(res.body) || 'empty body'}`, { kind: 'retryable' }) };
  }
  const code = typeof answer?.errcode === 'number' ? answer.errcode : Number(answer?.errcode);
  const msg = bodySnippet(typeof answer?.errmsg === 'string' ? answer.errmsg : '');
  if (code === ERR_OK) return undefined;
  const said = `errcode ${code}${msg ? `: ${msg}` : ''}`;
  if (code === ERR_TOO_FAST) {
    return { error: new SinkError(`${prefix}: DingTalk refuses messages for 10 minutes after 20 in a minute (${said})`, { kind: 'rate-limited', retryAfterMs: PENALTY_MS }), penalized: true };
  }
  if (code === ERR_BUSY) return { error: new SinkError(`${prefix}: DingTalk is busy (${said})`, { kind: 'retryable' }) };
  if (code === ERR_SECURITY) return { error: new SinkError(`${prefix}: ${securityAdvice(msg)} (${said})`, { kind: 'permanent', reason: 'auth' }) };
  if (/token/i.test(msg)) return { error: new SinkError(`${prefix}: the robot's access_token is not valid; was the robot removed? (${said})`, { kind: 'permanent', reason: 'auth' }) };
  // other codes are about the request itself (missing or bad parameters): the same request fails the same way
  return { error: new SinkError(`${prefix}: DingTalk refused the message (${said})`, { kind: 'permanent' }) };
}

/** errcode 310000 is four different problems; say which, and what to fix. */
function securityAdvice(errmsg: string): string {
  if (/sign/i.test(errmsg)) return "signature mismatch: the secret (secretFrom) is not the robot's signing secret (加签), or the robot does not sign";
  if (/timestamp/i.test(errmsg)) return "timestamp rejected: DingTalk accepts signatures for one hour; check this host's clock";
  if (/keyword/i.test(errmsg)) return "the message lacks the robot's security keyword: set keyword to one of the robot's keywords";
  if (/ip|whitelist/i.test(errmsg)) return "this host's address is not in the robot's IP allowlist";
  return "the robot's security settings refused the message";
}
