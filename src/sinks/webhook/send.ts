// Sending one webhook request: the signature headers (the layout of
// standardwebhooks.com: webhook-id, webhook-timestamp, webhook-signature)
// and the POST. docs/webhook-verification.md is the receiver's side.

import { createHmac } from 'node:crypto';
import type { EgressPolicy } from '../egress.ts';
import { type HttpResult, postJson } from '../http.ts';
import type { WebhookRequest } from './format.ts';

/**
 * `v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`. The id is
 * signed so a captured request cannot be replayed under a fresh id, and the
 * timestamp so receivers can refuse old ones.
 */
export function webhookSignature(secret: string, deliveryId: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${deliveryId}.${timestampSeconds}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

/** The headers a request carries besides the configured ones; the signature only with a secret. */
export function webhookHeaders(req: WebhookRequest, nowMs: number, secret: string | undefined): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  const headers: Record<string, string> = { 'webhook-id': req.deliveryId, 'webhook-timestamp': String(timestamp) };
  if (secret !== undefined) headers['webhook-signature'] = webhookSignature(secret, req.deliveryId, timestamp, req.body);
  return headers;
}

export interface WebhookSendOptions {
  timeoutMs: number;
  /** configured headers, ${NAME} references already expanded */
  headers: Record<string, string>;
  secret?: string;
  nowMs: number;
  egress?: EgressPolicy;
  signal?: AbortSignal;
}

export function postWebhook(url: string, req: WebhookRequest, opts: WebhookSendOptions): Promise<HttpResult> {
  // configured headers first: the sink's own cannot be overridden (the schema refuses them too)
  return postJson(url, req.body, { timeoutMs: opts.timeoutMs, headers: { ...opts.headers, ...webhookHeaders(req, opts.nowMs, opts.secret) }, egress: opts.egress, signal: opts.signal });
}
