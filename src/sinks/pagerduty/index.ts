// The PagerDuty sink: each notification as an Events API v2 alert event —
// FIRING triggers, RESOLVED resolves, one alert per incident. Config in
// config.ts, the event in format.ts, the POST in send.ts, what an answer
// means in classify.ts.

import type { Notification } from '../../model/notification.ts';
import { readCredential } from '../credential.ts';
import { lifecycle } from '../lifecycle.ts';
import type { SendOptions, Sink, SinkDeps } from '../types.ts';
import { networkError } from '../http.ts';
import { classifyPagerDutyResponse } from './classify.ts';
import type { PagerDutySinkConfig } from './config.ts';
import { formatPagerDuty, latestPerIncident, type PagerDutyFormatOptions } from './format.ts';
import { postPagerDuty } from './send.ts';

export { classifyPagerDutyResponse } from './classify.ts';
export { type PagerDutySinkConfig, pagerdutySinkSchema } from './config.ts';
export { dedupKeyOf, formatPagerDuty, latestPerIncident, type PagerDutyEvent } from './format.ts';

export interface PagerDutySinkDeps extends SinkDeps {
  /** for Retry-After dates (default Date.now) */
  now?: () => number;
}

export function createPagerDutySink(cfg: PagerDutySinkConfig, deps: PagerDutySinkDeps = {}): Sink {
  const label = `pagerduty sink "${cfg.name}"`;
  const routingKey = readCredential(cfg.routingKeyFrom, { owner: label, key: 'routingKeyFrom', env: deps.env ?? process.env });
  const format: PagerDutyFormatOptions = { severities: cfg.severities, sendResolved: cfg.sendResolved, clientUrl: cfg.clientUrl };
  const now = deps.now ?? Date.now;
  const timeoutMs = cfg.timeoutSeconds * 1000;
  const life = lifecycle('pagerduty', cfg.name);

  const sendOne = async (n: Notification, opts: SendOptions = {}): Promise<void> => {
    const event = formatPagerDuty(n, format);
    if (!event) return;
    let res;
    try {
      res = await postPagerDuty(cfg.url, routingKey, event, { timeoutMs, egress: deps.egress, signal: opts.signal });
    } catch (err) {
      throw networkError(label, err, timeoutMs);
    }
    const error = classifyPagerDutyResponse(label, res, now(), routingKey);
    if (error) throw error;
  };

  return {
    name: cfg.name,
    type: 'pagerduty',
    send: (n, opts) => life.run(() => sendOne(n, opts)),
    // an alert per incident, never one standing for others: a group is its incidents' events, in order
    sendGroup: (ns, _group, opts) =>
      life.run(async () => {
        for (const n of latestPerIncident(ns)) await sendOne(n, opts);
      }),
    close: () => life.close(),
  };
}
