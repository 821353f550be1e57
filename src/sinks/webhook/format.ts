// What the webhook sink sends, pure: one request body per notification,
// with its delivery id. Receivers are programs, so a group is not merged into
// one message: each member is its own request with its own id, which keeps
// their parsing and their de-duplication simple.

import { createHash } from 'node:crypto';
import { type JsonObject, toJson } from '@bufbuild/protobuf';
import { type Notification, NotificationSchema } from '../../model/notification.ts';
import { jsonEscape, renderTemplate, type Template } from '../template.ts';

export interface WebhookFormatOptions {
  payload: 'notification' | 'pod';
  includeRawObject: boolean;
  /** parsed body template; absent sends the payload as JSON */
  template?: Template;
}

export interface WebhookRequest {
  /** stable across retries and restarts (the notification's idempotency key): receivers drop repeats by it */
  deliveryId: string;
  body: string;
}

/**
 * The data a request carries, before any template: the Notification in its
 * protobuf JSON mapping (as the jsonl sink writes it), or in pod mode
 * `{"pod": …}`. Undefined when pod mode has nothing to send: the
 * notification is not about a pod, or carries no object.
 */
export function webhookPayload(n: Notification, opts: Pick<WebhookFormatOptions, 'payload' | 'includeRawObject'>): JsonObject | undefined {
  if (opts.payload === 'pod') {
    const pod = podOf(n);
    return pod ? { pod } : undefined;
  }
  const message = opts.includeRawObject || !n.rawObject ? n : { ...n, rawObject: undefined };
  return toJson(NotificationSchema, message) as JsonObject;
}

/**
 * The Pod as `kubectl get pod -o json` shows it: apiVersion and kind first.
 * The notification's raw object is the object its detector looked at, which
 * for Event-based notifications is the Event, not the Pod: only an object
 * that is the involved pod itself is sent.
 */
export function podOf(n: Notification): JsonObject | undefined {
  const ref = n.involvedObject;
  const raw = n.rawObject;
  if (!ref || ref.kind !== 'Pod' || !raw) return undefined;
  const meta = raw.metadata as JsonObject | undefined;
  if (raw.kind !== undefined && raw.kind !== 'Pod') return undefined;
  if (ref.uid && meta && typeof meta.uid === 'string' && meta.uid !== ref.uid) return undefined;
  const { apiVersion, kind, ...rest } = raw;
  return { apiVersion: apiVersion ?? (ref.apiVersion || 'v1'), kind: kind ?? 'Pod', ...rest };
}

/** The requests for one notification or a group; empty when there is nothing to send. */
export function formatWebhook(input: Notification | readonly Notification[], opts: WebhookFormatOptions): WebhookRequest[] {
  const list = Array.isArray(input) ? input : [input as Notification];
  const out: WebhookRequest[] = [];
  for (const n of list) {
    const payload = webhookPayload(n, opts);
    if (payload === undefined) continue;
    const body = opts.template ? renderTemplate(opts.template, payload, jsonEscape) : JSON.stringify(payload);
    out.push({ deliveryId: deliveryId(n, body), body });
  }
  return out;
}

/** The idempotency key; a notification made without one gets a hash of its body, which is as stable as the body is. */
export function deliveryId(n: Notification, body: string): string {
  return n.idempotencyKey || createHash('sha256').update(body).digest('hex').slice(0, 32);
}
