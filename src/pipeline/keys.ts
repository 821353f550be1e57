// Pure functions over notifications that the pipeline keys its state by:
// flood keys, group keys, member keys, the idempotency keys of groups and
// reminders, and the single message a sink without sendGroup gets for a group.

import { createHash } from 'node:crypto';
import { clone } from '@bufbuild/protobuf';
import { type Notification, NotificationSchema, Severity, State } from '../model/notification.ts';

const hash = (...parts: (string | number)[]): string =>
  createHash('sha256')
    .update(parts.map(String).join('\n'))
    .digest('hex')
    .slice(0, 32);

/** The workload behind a notification: its owner (a failing rollout's pods share one), else the object itself. */
function workload(n: Notification): string {
  const o = n.owner?.name ? n.owner : n.involvedObject;
  return o ? `${o.kind}/${o.name}` : '';
}

/**
 * cluster + namespace + owner kind/name + reason + severity + revision: one
 * failing rollout, one flood key. Only repeats of the same occurrence share
 * it: a change of severity, or a Deployment's next revision, is news of its
 * own. `route` (the route whose own grouping applies) keeps its floods apart
 * from the sink's, as its groups are.
 */
export function floodKeyOf(n: Notification, route?: string): string {
  const parts = [n.cluster, n.involvedObject?.namespace ?? '', workload(n), n.reason, Severity[n.severity] ?? String(n.severity), n.fields.revision ?? ''];
  return JSON.stringify(route === undefined ? parts : [{ route }, ...parts]);
}

function dimension(n: Notification, d: string): string {
  switch (d) {
    case 'cluster':
      return n.cluster;
    case 'namespace':
      return n.involvedObject?.namespace ?? '';
    case 'owner':
      return workload(n);
    case 'object':
      return n.involvedObject ? `${n.involvedObject.kind}/${n.involvedObject.name}` : '';
    case 'kind':
      return n.involvedObject?.kind ?? '';
    case 'reason':
      return n.reason;
    case 'severity':
      return Severity[n.severity] ?? String(n.severity);
    case 'detector':
      return n.detector;
    case 'node':
      return n.fields.node ?? '';
    default:
      return d.startsWith('label:') ? (n.labels[d.slice('label:'.length)] ?? '') : '';
  }
}

/**
 * The group a notification joins for one sink: the target (messages to
 * different channels are never one message), the cluster, and the groupBy
 * values in order. Under a route's own grouping the route's id leads, so two
 * groupings of one sink never make one group.
 */
export function groupKeyOf(n: Notification, groupBy: readonly string[], target: string, route?: string): string {
  const parts = [target, n.cluster, ...groupBy.map((d) => dimension(n, d))];
  return JSON.stringify(route === undefined ? parts : [{ route }, ...parts]);
}

/** One member per incident: its RESOLVED replaces its FIRING. Notifications without an incident stand alone. */
export function memberKeyOf(n: Notification): string {
  return n.incidentKey || `idempotency:${n.idempotencyKey}`;
}

/** Stable for one message of one group, so a sink can drop a repeat after a crash. */
export function groupIdempotencyKey(sink: string, groupKey: string, openedAt: number, update: number): string {
  return hash('group', sink, groupKey, openedAt, update);
}

/** The n-th reminder of a notification: a new idempotency key, marked as a reminder for the sink. */
export function reminderOf(n: Notification, repeat: number): Notification {
  const r = clone(NotificationSchema, n);
  r.idempotencyKey = hash('reminder', n.idempotencyKey, repeat);
  r.fields = { ...r.fields, reminder: String(repeat) };
  return r;
}

const LISTED = 5;

const eventMs = (n: Notification): number => (n.eventTime ? Number(n.eventTime.seconds) * 1000 + Math.floor(n.eventTime.nanos / 1e6) : 0);

/** 14:02 UTC */
const clockTime = (ms: number): string => `${new Date(ms).toISOString().slice(11, 16)} UTC`;

/** The member whose news is the latest: the one with the latest event time, a later member on a tie. */
function newest(ns: readonly Notification[]): Notification {
  return ns.reduce((a, b) => (eventMs(b) >= eventMs(a) ? b : a));
}

/**
 * For a sink that cannot send a group: one notification standing for it, the
 * newest member still firing (or the newest, when all resolved) with its own
 * text, counting and naming the others and saying since when they came: an
 * update never repeats an older member's text in place of a newer one's.
 */
export function summarizeGroup(ns: readonly Notification[]): Notification {
  if (ns.length === 0) throw new Error('summarizeGroup: empty group');
  const firing = ns.filter((n) => n.state !== State.RESOLVED);
  const lead = newest(firing.length ? firing : ns);
  if (ns.length === 1) return lead;
  const s = clone(NotificationSchema, lead);
  const others = ns.filter((n) => n !== lead);
  const names = others.slice(0, LISTED).map((n) => `${n.involvedObject?.name || n.title || n.reason}${n.state === State.RESOLVED ? ' (resolved)' : ''}`);
  const more = others.length > LISTED ? ', …' : '';
  const times = others.map(eventMs).filter((t) => t > 0);
  const since = times.length ? ` since ${clockTime(Math.min(...times))}` : '';
  s.message = `${lead.message} (and ${others.length} more${since}: ${names.join(', ')}${more})`;
  s.fields = { ...s.fields, groupSize: String(ns.length), groupFiring: String(firing.length), groupResolved: String(ns.length - firing.length) };
  return s;
}
