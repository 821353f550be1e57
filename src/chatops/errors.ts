// What went wrong talking to the API server, as one line for the chat: the
// Kubernetes Status message when the server answered ("deployments.apps
// \"web\" not found"), else what kept the request from an answer (timeout,
// cancelled, unreachable). Never a stack trace, never a header or a token.

import { ApiException } from '@kubernetes/client-node';

export interface ApiFailure {
  /** HTTP status when the server answered */
  status?: number;
  /** the Status reason: NotFound, Conflict, Forbidden, Invalid, Timeout … */
  reason?: string;
  message: string;
  /** the server refused on authorization grounds (403) */
  forbidden: boolean;
}

const MAX_MESSAGE = 500;

export function describeApiError(err: unknown, signal?: AbortSignal): ApiFailure {
  if (signal?.aborted) {
    const r = signal.reason as { name?: string } | undefined;
    return { message: r?.name === 'TimeoutError' ? 'the Kubernetes API did not answer in time' : 'cancelled', forbidden: false };
  }
  if (err instanceof ApiException) {
    const status = err.code;
    const body = statusBody(err.body);
    const reason = typeof body?.reason === 'string' ? body.reason : undefined;
    const message = typeof body?.message === 'string' && body.message ? body.message : `the Kubernetes API answered HTTP ${status}`;
    return { status, ...(reason ? { reason } : {}), message: clip(message), forbidden: status === 403 };
  }
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return { message: 'the Kubernetes API did not answer in time', forbidden: false };
  const code = e?.code ?? e?.cause?.code;
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') {
    return { message: 'the Kubernetes API did not answer in time', forbidden: false };
  }
  if (code) return { message: `could not reach the Kubernetes API (${code})`, forbidden: false };
  return { message: clip(e?.message ?? String(err)), forbidden: false };
}

function statusBody(body: unknown): { message?: unknown; reason?: unknown } | undefined {
  if (body && typeof body === 'object') return body as { message?: unknown; reason?: unknown };
  if (typeof body !== 'string') return undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as { message?: unknown; reason?: unknown }) : undefined;
  } catch {
    return undefined;
  }
}

function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > MAX_MESSAGE ? `${one.slice(0, MAX_MESSAGE - 1)}…` : one;
}
