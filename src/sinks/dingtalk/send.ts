// Posting one message to a DingTalk robot, signed when the robot signs
// ("加签"): `timestamp` (milliseconds) and `sign` = base64 HMAC-SHA256 of
// "timestamp\nsecret" keyed by the secret, URL-encoded, added to the query.
// DingTalk accepts a signature for one hour. The URL carries the robot's
// access_token, so it appears in nothing this returns or throws.

import { createHmac } from 'node:crypto';
import type { EgressPolicy } from '../egress.ts';
import { type HttpResult, postJson } from '../http.ts';
import type { DingTalkMessage } from './format.ts';

/** The signature before URL-encoding (URLSearchParams encodes it: "+" "/" "=" become %2B %2F %3D). */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

/** The robot URL with timestamp and sign added (replacing any already there). */
export function signedUrl(url: string, secret: string | undefined, timestampMs: number): string {
  if (secret === undefined) return url;
  const u = new URL(url);
  u.searchParams.set('timestamp', String(timestampMs));
  u.searchParams.set('sign', dingtalkSign(secret, timestampMs));
  return u.href;
}

export function postDingTalk(url: string, message: DingTalkMessage, opts: { timeoutMs: number; secret?: string; nowMs: number; egress?: EgressPolicy; signal?: AbortSignal }): Promise<HttpResult> {
  return postJson(signedUrl(url, opts.secret, opts.nowMs), JSON.stringify(message), { timeoutMs: opts.timeoutMs, egress: opts.egress, signal: opts.signal });
}
