// Posting one event to the Events API v2. The routing key travels in the
// body only, and appears in nothing this returns or throws.

import type { EgressPolicy } from '../egress.ts';
import { type HttpResult, postJson } from '../http.ts';
import type { PagerDutyEvent } from './format.ts';

export function postPagerDuty(url: string, routingKey: string, event: PagerDutyEvent, opts: { timeoutMs: number; egress?: EgressPolicy; signal?: AbortSignal }): Promise<HttpResult> {
  return postJson(url, JSON.stringify({ routing_key: routingKey, ...event }), { timeoutMs: opts.timeoutMs, egress: opts.egress, signal: opts.signal });
}
