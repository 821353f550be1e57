// What the PagerDuty sink sends, pure: one Events API v2 alert event per
// notification. A FIRING notification triggers, a RESOLVED one resolves,
// both under a dedup_key derived from the incident key only, so the resolve
// (sent after any number of restarts or retries) finds the alert its trigger
// opened. The routing key is added by send.ts: nothing here is secret.

import { createHash } from 'node:crypto';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { type Notification, State } from '../../model/notification.ts';
import { cleanLine as clean, allFacts, whereOf, refText, severityWord, type SeverityWord, summarize, truncate } from '../summary.ts';
import type { PagerDutySeverity } from './config.ts';

/** PagerDuty's limits (Events API v2, "Send an Alert Event"). */
export const MAX_SUMMARY = 1024;
export const MAX_DEDUP_KEY = 255;
/** Long detector texts and crash logs are cut so one event stays far below PagerDuty's 512 KB. */
const MAX_DETAIL = 4000;

export interface PagerDutyPayload {
  summary: string;
  source: string;
  severity: PagerDutySeverity;
  timestamp?: string;
  component?: string;
  group?: string;
  class?: string;
  custom_details?: Record<string, string>;
}

export type PagerDutyEvent =
  | { event_action: 'trigger'; dedup_key: string; payload: PagerDutyPayload; client: string; client_url?: string }
  | { event_action: 'resolve'; dedup_key: string };

export interface PagerDutyFormatOptions {
  severities: Record<SeverityWord, PagerDutySeverity>;
  sendResolved: boolean;
  clientUrl?: string;
}

export const CLIENT = 'kubeherald';

/**
 * The alert's dedup_key: the incident key as it is when PagerDuty can take
 * it, else a hash of it (the same every time). A notification without an
 * incident key is one occurrence: its idempotency key keeps retries of it
 * from opening a second alert.
 */
export function dedupKeyOf(n: Notification): string {
  const key = n.incidentKey || n.idempotencyKey;
  if (key.length <= MAX_DEDUP_KEY) return key;
  return `kubeherald:sha256:${createHash('sha256').update(key).digest('hex')}`;
}

function details(n: Notification): Record<string, string> {
  const s = summarize(n);
  const out: Record<string, string> = {};
  if (s.message) out.message = truncate(s.message, MAX_DETAIL);
  for (const { label, value } of allFacts(s)) out[label] = truncate(value, MAX_DETAIL);
  if (n.detector) out.detector = clean(n.detector);
  const crash = n.crashReport;
  if (crash?.log) out['crash log'] = truncate(crash.log.slice(-MAX_DETAIL), MAX_DETAIL);
  else if (crash?.error) out['crash log'] = truncate(clean(crash.error), MAX_DETAIL);
  return out;
}

function trigger(n: Notification, opts: PagerDutyFormatOptions, key: string): PagerDutyEvent {
  const s = summarize(n);
  const cluster = clean(n.cluster);
  const namespace = clean(n.involvedObject?.namespace ?? '');
  // a phone call reads the summary aloud: the cluster first, since the same workload runs in several
  const summary = truncate(cluster ? `[${cluster}] ${s.title}` : s.title, MAX_SUMMARY);
  const payload: PagerDutyPayload = {
    summary,
    // "the unique location of the affected system": the object, which PagerDuty's event rules can match
    source: whereOf(s) || cluster || CLIENT,
    severity: opts.severities[severityWord(n)],
  };
  const at = n.eventTime ? timestampDate(n.eventTime) : undefined;
  if (at && Number.isFinite(at.getTime())) payload.timestamp = at.toISOString();
  const owner = refText(n.owner);
  if (owner !== '-') payload.component = owner;
  const group = [cluster, namespace].filter(Boolean).join('/');
  if (group) payload.group = group;
  if (s.reason) payload.class = s.reason;
  const custom = details(n);
  if (Object.keys(custom).length > 0) payload.custom_details = custom;
  return { event_action: 'trigger', dedup_key: key, payload, client: CLIENT, ...(opts.clientUrl ? { client_url: opts.clientUrl } : {}) };
}

/**
 * The event for one notification; undefined when nothing is to be sent (a
 * resolve the configuration leaves to people). A notification neither
 * firing nor resolved reports something: it triggers.
 */
export function formatPagerDuty(n: Notification, opts: PagerDutyFormatOptions): PagerDutyEvent | undefined {
  const key = dedupKeyOf(n);
  if (n.state === State.RESOLVED) return opts.sendResolved ? { event_action: 'resolve', dedup_key: key } : undefined;
  return trigger(n, opts, key);
}

/**
 * A group's members as the events to send: one per incident, its latest
 * state, in the order those states arrived (a group's update repeats the
 * members already sent; PagerDuty takes a repeated trigger as the same alert).
 */
export function latestPerIncident(ns: readonly Notification[]): Notification[] {
  const last = new Map<string, number>();
  ns.forEach((n, i) => last.set(dedupKeyOf(n), i));
  return ns.filter((n, i) => last.get(dedupKeyOf(n)) === i);
}
