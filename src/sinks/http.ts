// One HTTP POST with a deadline, and the classification every HTTP sink
// shares: status codes, Retry-After, network failures. Used by the webhook
// sink and by the sinks that post to webhooks or HTTP APIs (teams, dingtalk,
// mattermost, pagerduty); no official SDK is needed for any of them, so this
// is Node's built-in fetch.

import { fetch as undiciFetch } from 'undici';
import { type EgressPolicy, EgressError, egressErrorOf } from './egress.ts';
import { abortReason } from './failure.ts';
import { type FailureReason, SinkError, type SinkErrorKind } from './types.ts';

export const USER_AGENT = 'kubeherald/0.1';

/** What came back: the body is read up to MAX_RESPONSE_BYTES (services answer in a few bytes; a proxy's error page can be large). */
export interface HttpResult {
  status: number;
  headers: Headers;
  body: string;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

export interface PostOptions {
  timeoutMs: number;
  headers?: Record<string, string>;
  /** a namespaced Sink's egress policy: the URL and every address it resolves to are checked, at connect time */
  egress?: EgressPolicy;
  /** the send's signal: aborting it closes the connection */
  signal?: AbortSignal;
}

/**
 * POSTs `body` as JSON. Resolves with whatever status came back; rejects
 * only when no response arrived (connection refused, DNS, TLS, timeout).
 * Redirects are not followed: a signed body must not travel to a host the
 * configuration did not name.
 */
export async function postJson(url: string, body: string, opts: PostOptions): Promise<HttpResult> {
  const headers = new Headers({ 'content-type': 'application/json; charset=utf-8', 'user-agent': USER_AGENT });
  // set, not append: a configured Content-Type or User-Agent replaces ours whatever its case
  for (const [name, value] of Object.entries(opts.headers ?? {})) headers.set(name, value);
  const init = { method: 'POST', headers, body, redirect: 'manual' as const, signal: withDeadline(opts.signal, opts.timeoutMs) };
  let res: Response;
  if (opts.egress) {
    const refused = opts.egress.checkUrl(url);
    if (refused) throw new EgressError(refused);
    // undici's own fetch with its own Agent: the dispatcher must come from the same undici as the fetch
    res = (await undiciFetch(url, { ...init, headers: Object.fromEntries(headers), dispatcher: opts.egress.dispatcher() })) as unknown as Response;
  } else {
    res = await fetch(url, init);
  }
  let text = '';
  try {
    text = await readCapped(res);
  } catch {
    // the status is what matters; a body cut off by the deadline reads as empty
  }
  return { status: res.status, headers: res.headers, body: text };
}

/** The request's own deadline, and the send's signal when it has one. */
export function withDeadline(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const deadline = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, deadline]) : deadline;
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= MAX_RESPONSE_BYTES) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8');
}

/** A URL as errors may show it: scheme, host and port only, since paths and queries of webhook URLs are often the secret. */
export function describeUrl(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an invalid URL';
  }
}

/** Why no response arrived, without the URL: "no response within 10s", "connection failed (ECONNREFUSED)". */
export function networkReason(err: unknown, timeoutMs: number): string {
  const refused = egressErrorOf(err);
  if (refused) return refused.message;
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no response within ${formatSeconds(timeoutMs)}`;
  if (e?.cause?.code) return `connection failed (${e.cause.code})`;
  return `request failed (${e?.cause?.message ?? e?.message ?? String(err)})`;
}

/** A failure to get any response: worth retrying, unless the egress policy refused the address (that will not change by itself). */
export function networkError(prefix: string, err: unknown, timeoutMs: number): SinkError {
  return new SinkError(`${prefix}: ${networkReason(err, timeoutMs)}`, { kind: networkKind(err), reason: networkFailureReason(err), cause: err });
}

/** timeout or canceled when the request was aborted, client when the egress policy refused it, else network. */
export function networkFailureReason(err: unknown): FailureReason {
  if (egressErrorOf(err)) return 'client';
  return abortReason(err) ?? 'network';
}

/** retryable, or permanent when the egress policy refused the connection. */
export function networkKind(err: unknown): SinkErrorKind {
  return egressErrorOf(err) ? 'permanent' : 'retryable';
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The most a Retry-After is honoured for: a longer one is more likely a bug than a plan. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); `fallbackMs` when absent or unreadable. */
export function retryAfterMs(value: string | null | undefined, nowMs: number, fallbackMs: number): number {
  if (value === null || value === undefined || value.trim() === '') return fallbackMs;
  const v = value.trim();
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    if (!Number.isFinite(at)) return fallbackMs;
    ms = at - nowMs;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/** A response body fit for an error message: one line, controls removed, at most `max` characters. */
export function bodySnippet(body: string, max = 200): string {
  const one = body.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}
