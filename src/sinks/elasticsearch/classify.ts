// What an Elasticsearch answer means for a notification: indexed, already
// there (a 409 on `create` is the same document delivered before: success),
// or a SinkError that says whether retrying can help. Pure: one bulk item, or
// the error the client threw for a whole request.

import { EGRESS_REFUSED, egressErrorOf } from '../egress.ts';
import { statusFailure } from '../failure.ts';
import { type FailureReason, SinkError } from '../types.ts';

export type Outcome = { status: 'indexed' } | { status: 'duplicate' } | { status: 'failed'; error: SinkError };

/** Elasticsearch's error object, as in a bulk item or an error response. */
export interface EsErrorCause {
  type?: string;
  reason?: string | null;
  caused_by?: EsErrorCause;
}

/** One bulk response item (the value under its `create` key). */
export interface BulkItemResult {
  status: number;
  error?: EsErrorCause | null;
}

/**
 * How long to wait after a 429 that names no time. Elasticsearch's own
 * rejections (es_rejected_execution_exception) never do; this is what its
 * bulk helper waits before retrying them.
 */
export const DEFAULT_RATE_LIMIT_DELAY_MS = 5_000;

// Reasons can quote the document ("Preview of field's value: …"): enough to diagnose, not a copy
const MAX_REASON = 300;

// TLS failures an operator has to fix (caFile, the certificate): retrying the
// same request cannot help. The client keeps only the message of the socket's
// error, so it is recognised by Node's wording.
const TLS_FAILURE = /self[- ]signed certificate|unable to verify the first certificate|unable to get (local )?issuer certificate|certificate signature failure|certificate is not trusted|certificate has expired|certificate is not yet valid|does not match certificate's altnames/i;

export function classifyItem(prefix: string, item: BulkItemResult): Outcome {
  if (item.status >= 200 && item.status < 300) return { status: 'indexed' };
  // create on an existing _id: this notification was indexed before (a retry, or a second delivery)
  if (item.status === 409 && (!item.error?.type || item.error.type === 'version_conflict_engine_exception')) return { status: 'duplicate' };
  // the bulk helper passes a 429 item on without its error
  const what = item.error ? describe(item.error) : item.status === 429 ? 'too many requests' : 'error';
  const message = `${prefix}: document rejected: ${item.status} ${what}`;
  if (item.status === 429) return failed(message, 'rate-limited', 'rate-limited', DEFAULT_RATE_LIMIT_DELAY_MS);
  // mapping errors (400), missing data stream (404), privileges (401/403): the same document fails again until someone fixes something
  const f = statusFailure(item.status) ?? { kind: 'permanent', reason: 'client' };
  return failed(message, f.kind, f.reason);
}

/** A request that failed as a whole: the same for every notification in it. */
export function classifyRequestError(prefix: string, err: unknown, nowMs: number): SinkError {
  const e = err as { name?: string; message?: string; statusCode?: number; body?: unknown; headers?: Record<string, string | string[] | undefined>; cause?: unknown };
  switch (e?.name) {
    case 'ResponseError':
      return responseError(prefix, e.statusCode ?? 0, e.body, e.headers ?? {}, nowMs, err);
    case 'ProductNotSupportedError':
      return new SinkError(`${prefix}: the server is not Elasticsearch (its response lacks "x-elastic-product: Elasticsearch")`, { kind: 'permanent', cause: err });
    case 'ConnectionError':
      // the transport keeps only the message of what the connector threw
      if (egressErrorOf(err) || EGRESS_REFUSED.test(e.message ?? '')) return new SinkError(`${prefix}: ${e.message}`, { kind: 'permanent', reason: 'client', cause: err });
      if (TLS_FAILURE.test(e.message ?? '')) {
        return new SinkError(`${prefix}: TLS: ${e.message}; set caFile to the CA that signed the cluster's certificate`, { kind: 'permanent', reason: 'network', cause: err });
      }
      return new SinkError(`${prefix}: cannot connect: ${e.message}`, { kind: 'retryable', reason: 'network', cause: err });
    case 'TimeoutError':
      return new SinkError(`${prefix}: ${e.message}`, { kind: 'retryable', reason: 'timeout', cause: err });
    case 'RequestAbortedError':
      return new SinkError(`${prefix}: ${e.message}`, { kind: 'retryable', reason: 'canceled', cause: err });
    case 'NoLivingConnectionsError':
      return new SinkError(`${prefix}: ${e.message}`, { kind: 'retryable', reason: 'network', cause: err });
    case 'DeserializationError':
      // a proxy's error page fails to deserialize too: transient, like the proxy's trouble
      return new SinkError(`${prefix}: ${e.message}`, { kind: 'retryable', cause: err });
    case 'ConfigurationError':
    case 'SerializationError':
      return new SinkError(`${prefix}: ${e.message}`, { kind: 'permanent', cause: err });
    default:
      return new SinkError(`${prefix}: ${(err as Error)?.message ?? String(err)}`, { kind: 'retryable', cause: err });
  }
}

function responseError(prefix: string, status: number, body: unknown, headers: Record<string, string | string[] | undefined>, nowMs: number, cause: unknown): SinkError {
  const esError = errorOf(body);
  let message = `${prefix}: ${status} ${describe(esError)}`;
  const retryAfter = retryAfterMs(headers['retry-after'], nowMs);
  if (status === 429) return new SinkError(message, { kind: 'rate-limited', retryAfterMs: retryAfter ?? DEFAULT_RATE_LIMIT_DELAY_MS, cause });
  if (status === 503 && retryAfter !== undefined) return new SinkError(message, { kind: 'rate-limited', reason: 'server', retryAfterMs: retryAfter, cause });
  const { kind, reason } = statusFailure(status) ?? { kind: 'permanent', reason: 'client' };
  if (kind !== 'permanent') return new SinkError(message, { kind, reason, cause });
  if (status === 401) message += ' (check apiKeyFrom, or usernameFrom and passwordFrom)';
  else if (status === 403) message += ' (the credentials lack a privilege; see the README for the ones needed)';
  else if (esError?.type === 'media_type_header_exception') message += ' (for Elasticsearch 8.x set compatibleWith: 8)';
  return new SinkError(message, { kind, reason, cause });
}

/** Retry-After as delta-seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, nowMs: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

function errorOf(body: unknown): EsErrorCause | undefined {
  if (body && typeof body === 'object') {
    const error = (body as { error?: unknown }).error;
    if (error && typeof error === 'object') return error as EsErrorCause;
    if (typeof error === 'string') return { reason: error };
  }
  if (typeof body === 'string' && body) return { reason: body };
  return undefined;
}

/** `type: reason (caused by: type: reason)`, cut short. */
function describe(e: EsErrorCause | null | undefined): string {
  if (!e) return 'error';
  const own = [e.type, e.reason].filter(Boolean).join(': ') || 'error';
  const inner = e.caused_by && e.caused_by.reason !== e.reason ? ` (caused by ${describe(e.caused_by)})` : '';
  const text = own + inner;
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text;
}

function failed(message: string, kind: SinkError['kind'], reason: FailureReason, retryAfterMs?: number): Outcome {
  return { status: 'failed', error: new SinkError(message, retryAfterMs === undefined ? { kind, reason } : { kind, reason, retryAfterMs }) };
}
