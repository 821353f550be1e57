// The webhook sink: each notification as a signed JSON POST to every
// configured URL (k8svent's use, with retries and routing around it).
// Config in config.ts, the body in format.ts, signing and the POST in
// send.ts, what a failure means in classify.ts.

import type { Notification } from '../../model/notification.ts';
import { ConfigError } from '../../config-kit/errors.ts';
import { readCredential } from '../credential.ts';
import type { GroupSink, SendOptions, Sink, SinkDeps } from '../types.ts';
import { combineFailures, classifyWebhookResponse, type UrlFailure } from './classify.ts';
import type { WebhookSinkConfig } from './config.ts';
import { formatWebhook, type WebhookFormatOptions, type WebhookRequest } from './format.ts';
import { describeUrl, networkFailureReason, networkKind, networkReason } from '../http.ts';
import { lifecycle } from '../lifecycle.ts';
import { expandEnv } from '../secrets.ts';
import { postWebhook } from './send.ts';
import { parseTemplate } from '../template.ts';

export { applyWebhookOverrides, type WebhookFlags, type WebhookSinkConfig, webhookSinkSchema, webhookUrlsOverride } from './config.ts';
export { formatWebhook, podOf, webhookPayload, type WebhookRequest } from './format.ts';
export { webhookSignature } from './send.ts';

export interface WebhookSinkDeps extends SinkDeps {
  /** the clock for signature timestamps and Retry-After dates (default Date.now) */
  now?: () => number;
}

// how many partly delivered notifications are remembered, so a retry skips the URLs that accepted
const MAX_TRACKED = 10_000;

export function createWebhookSink(cfg: WebhookSinkConfig, deps: WebhookSinkDeps = {}): GroupSink {
  const label = `webhook sink "${cfg.name}"`;
  if (cfg.urls.length === 0) {
    throw new ConfigError([{ file: 'config', path: '', message: `${label}: no URLs; set its urls, KUBEHERALD_WEBHOOKS or --url` }]);
  }
  const env = deps.env ?? process.env;
  const secret = cfg.sign ? readCredential(cfg.secretFrom, { owner: label, key: 'secretFrom', env }) : undefined;
  const headers = Object.fromEntries(Object.entries(cfg.headers).map(([k, v]) => [k, expandEnv(v, label, `headers.${k}`, env)]));
  const format: WebhookFormatOptions = { payload: cfg.payload, includeRawObject: cfg.includeRawObject, template: cfg.template ? parseTemplate(cfg.template) : undefined };
  const now = deps.now ?? Date.now;
  const timeoutMs = cfg.timeoutSeconds * 1000;
  const targets = cfg.urls.map((url, i) => ({ url, name: `url[${i}] (${describeUrl(url)})` }));
  // delivery id → indexes of the URLs that accepted it; insertion order makes the oldest the first to go
  const accepted = new Map<string, Set<number>>();
  const life = lifecycle('webhook', cfg.name);

  const deliverOne = async (req: WebhookRequest, signal: AbortSignal | undefined): Promise<{ failures: UrlFailure[]; delivered: number }> => {
    const done = accepted.get(req.deliveryId) ?? new Set<number>();
    const pending = targets.flatMap((t, i) => (done.has(i) ? [] : [{ ...t, index: i }]));
    const results = await Promise.all(
      pending.map(async (t): Promise<UrlFailure | undefined> => {
        try {
          const res = await postWebhook(t.url, req, { timeoutMs, headers, secret, nowMs: now(), egress: deps.egress, signal });
          return classifyWebhookResponse(t.name, res, now());
        } catch (err) {
          return { target: t.name, kind: networkKind(err), reason: networkFailureReason(err), why: networkReason(err, timeoutMs) };
        }
      }),
    );
    const failures: UrlFailure[] = [];
    results.forEach((f, k) => (f ? failures.push(f) : done.add(pending[k].index)));
    accepted.delete(req.deliveryId);
    if (failures.length > 0) {
      accepted.set(req.deliveryId, done);
      if (accepted.size > MAX_TRACKED) accepted.delete(accepted.keys().next().value!);
    }
    return { failures, delivered: done.size };
  };

  const deliver = (input: Notification | readonly Notification[], opts?: SendOptions): Promise<void> =>
    life.run(async () => {
      const requests = formatWebhook(input, format);
      const outcomes = await Promise.all(requests.map((r) => deliverOne(r, opts?.signal)));
      const failures = outcomes.flatMap((o) => o.failures);
      if (failures.length === 0) return;
      const prefix = requests.length === 1 ? label : `${label}: ${outcomes.filter((o) => o.failures.length > 0).length} of ${requests.length} notifications`;
      const delivered = outcomes.reduce((sum, o) => sum + o.delivered, 0);
      throw combineFailures(prefix, failures, delivered, targets.length * requests.length);
    });

  return {
    name: cfg.name,
    type: 'webhook',
    sendsPods: cfg.payload === 'pod',
    send: (n, opts) => deliver(n, opts),
    sendGroup: (ns, _group, opts) => deliver(ns, opts),
    close: () => life.close(),
  };
}
