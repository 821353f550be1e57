// The storm digest, pure: when one chat target (a Slack channel, a Telegram
// chat) would get more than `threshold` messages a minute, what it would
// have got is counted here instead — by reason and by object — and shown as
// one message updated in place, until the rate stays below the threshold for
// `quietMs`; then one summary. Nothing here sends or stores: storm.ts keeps a
// StormState per (sink, target) in the state database and turns these parts
// into deliveries.

import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { type Notification, NotificationSchema, Severity, State } from '../model/notification.ts';

/** A sink's storm settings, resolved (config.ts: per-type threshold, `delivery.storm`). */
export interface StormPolicy {
  /** more than this many notifications to one target within a minute start a storm; 0: never */
  threshold: number;
  /** a storm ends once nothing pushed the rate over the threshold for this long */
  quietMs: number;
  /** the digest message is updated (or, where the platform cannot edit, posted again) at most this often */
  updateMs: number;
}

/** The rate is measured over this window: "N messages a minute". */
export const STORM_WINDOW_MS = 60_000;

/** How many objects and reasons a digest names; the rest are counted as "others". */
export const DIGEST_TOP = 5;

/** What is kept of one target's recent traffic and, during a storm, of what the digest absorbed. */
export interface StormState {
  /** arrival times within the last minute, newest last; at most threshold + 1 are kept (enough to see the rate cross it) */
  recent: number[];
  /** when the current storm started; null outside a storm */
  startedAt: number | null;
  /** the last time an arrival found the rate over the threshold: the quiet period counts from here */
  lastStormyAt: number | null;
  /** notifications absorbed by the digest in this storm */
  absorbed: number;
  byReason: Record<string, number>;
  byObject: Record<string, number>;
  /** incidents whose latest absorbed notification is FIRING: incident key → object */
  firing: Record<string, string>;
  /** incidents that resolved while absorbed */
  resolved: number;
  /** `absorbed` when the digest message was last written: more than that is news for its next update */
  shown: number;
}

export function emptyStorm(): StormState {
  return { recent: [], startedAt: null, lastStormyAt: null, absorbed: 0, byReason: {}, byObject: {}, firing: {}, resolved: 0, shown: 0 };
}

export const inStorm = (s: StormState): boolean => s.startedAt !== null;

/** When the storm ends if nothing more pushes the rate over the threshold. */
export function stormEndsAt(s: StormState, p: StormPolicy): number | undefined {
  return s.lastStormyAt === null ? undefined : s.lastStormyAt + p.quietMs;
}

/** Who a notification is about, for "top objects": its workload when it has one, else its object. */
export function objectOf(n: Notification): string {
  const o = n.owner?.name ? n.owner : n.involvedObject;
  if (!o?.name) return n.title || n.reason || '(unknown)';
  return o.namespace ? `${o.namespace}/${o.name}` : o.name;
}

/**
 * One notification arrives for the target at `now`: the rate is measured and,
 * in a storm (or as the arrival that starts one), the notification is
 * absorbed. Returns the new state and whether it was absorbed; the state
 * given is not changed.
 */
export function arrive(s: StormState, n: Notification, now: number, p: StormPolicy): { state: StormState; absorbed: boolean } {
  if (p.threshold <= 0) return { state: s, absorbed: false };
  const state = copyStorm(s);
  return { state, absorbed: arriveInPlace(state, n, now, p) };
}

/**
 * arrive(), changing `s` itself: what the durable side uses, so a
 * notification costs the same however much a storm has absorbed (copying
 * the counts per notification made a long storm quadratic).
 */
export function arriveInPlace(s: StormState, n: Notification, now: number, p: StormPolicy): boolean {
  if (p.threshold <= 0) return false;
  // at most threshold + 1 arrivals: cheap to rebuild
  s.recent = [...s.recent.filter((t) => t > now - STORM_WINDOW_MS), now].slice(-(p.threshold + 1));
  const over = s.recent.length > p.threshold;
  if (!inStorm(s) && !over) return false;
  s.startedAt ??= now;
  if (over) s.lastStormyAt = now;
  countInPlace(s, n);
  return true;
}

/**
 * Counts a notification into the digest without metering it: what arrive()
 * absorbs, and what waited in the target's groups, unsent, when the storm
 * started (the digest takes their place).
 */
export function count(s: StormState, n: Notification): StormState {
  const next = copyStorm(s);
  countInPlace(next, n);
  return next;
}

/** count(), changing `s` itself. */
export function countInPlace(s: StormState, n: Notification): void {
  s.absorbed++;
  bump(s.byReason, n.reason || '(none)');
  bump(s.byObject, objectOf(n));
  if (n.incidentKey) {
    if (n.state === State.RESOLVED) {
      if (s.firing[n.incidentKey] !== undefined) delete s.firing[n.incidentKey];
      s.resolved++;
    } else s.firing[n.incidentKey] = objectOf(n);
  }
}

/** A copy sharing nothing with `s` that a later change could reach. */
export function copyStorm(s: StormState): StormState {
  return { ...s, recent: [...s.recent], byReason: { ...s.byReason }, byObject: { ...s.byObject }, firing: { ...s.firing } };
}

/** The storm is over: counts start again, the rate measure stays. */
export function endStorm(s: StormState): StormState {
  return { ...emptyStorm(), recent: s.recent };
}

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

export interface Counted {
  name: string;
  count: number;
}

/** The largest counts first (ties by name), the first `top`, and how many the rest add up to. */
export function topOf(m: Record<string, number>, top = DIGEST_TOP): { top: Counted[]; others: number } {
  const all = Object.entries(m)
    .map(([name, count]) => ({ name, count }))
    .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  return { top: all.slice(0, top), others: all.slice(top).reduce((a, c) => a + c.count, 0) };
}

/** What a digest says, independent of any platform's rendering. */
export interface DigestParts {
  /** "412 notifications in the last 3 minutes" */
  headline: string;
  reasons: { top: Counted[]; others: number };
  objects: { top: Counted[]; others: number };
  /** incidents still firing among those absorbed */
  firing: number;
  firingObjects: { top: Counted[]; others: number };
  resolved: number;
  minutes: number;
}

export function digestParts(s: StormState, now: number): DigestParts {
  const minutes = Math.max(1, Math.ceil((now - (s.startedAt ?? now)) / 60_000));
  const firingCounts: Record<string, number> = {};
  for (const o of Object.values(s.firing)) firingCounts[o] = (firingCounts[o] ?? 0) + 1;
  return {
    headline: `${s.absorbed} notification${s.absorbed === 1 ? '' : 's'} in the last ${minutes} minute${minutes === 1 ? '' : 's'}`,
    reasons: topOf(s.byReason),
    objects: topOf(s.byObject),
    firing: Object.keys(s.firing).length,
    firingObjects: topOf(firingCounts),
    resolved: s.resolved,
    minutes,
  };
}

const list = (c: { top: Counted[]; others: number }, withParens: boolean): string =>
  [...c.top.map((x) => (withParens ? `${x.name} (${x.count})` : `${x.count} ${x.name}`)), ...(c.others > 0 ? [withParens ? `others (${c.others})` : `${c.others} others`] : [])].join(', ');

/** "412 notifications in the last 3 minutes: 300 PodNotReady, 100 CrashLoopBackOff; top: demo/web (120), …; 380 still firing" */
export function digestText(d: DigestParts): string {
  return `${d.headline}: ${list(d.reasons, false)}; top: ${list(d.objects, true)}; ${d.firing} still firing, ${d.resolved} resolved`;
}

/**
 * The summary once the storm passed. Incidents still firing are listed here
 * (their count and top objects), not released one by one: that would be the
 * storm again. Their next change (a RESOLVED, a reminder) reaches the
 * channel as usual.
 */
export function summaryText(d: DigestParts): string {
  const still = d.firing > 0 ? `${d.firing} still firing: ${list(d.firingObjects, true)}` : 'none still firing';
  return `Storm over after ${d.minutes} minute${d.minutes === 1 ? '' : 's'}: ${d.headline.replace(/ in the last .*$/, '')} (${list(d.reasons, false)}); ${d.resolved} resolved meanwhile; ${still}`;
}

/** A digest (or its summary) as a notification, so every chat sink can render it. */
export function digestNotification(s: StormState, opts: { sink: string; target: string; now: number; final: boolean }): Notification {
  const d = digestParts(s, opts.now);
  const text = opts.final ? summaryText(d) : digestText(d);
  const started = s.startedAt ?? opts.now;
  return create(NotificationSchema, {
    idempotencyKey: `storm/${opts.sink}/${opts.target}/${started}/${opts.final ? 'summary' : `digest/${s.absorbed}`}`,
    // no incident key: a digest is no incident's thread
    incidentKey: '',
    eventTime: timestampFromMs(opts.now),
    severity: Severity.WARNING,
    state: opts.final ? State.RESOLVED : State.FIRING,
    reason: opts.final ? 'NotificationStormEnded' : 'NotificationStorm',
    title: opts.final ? `Notification storm over (${opts.target})` : `Notification storm: ${d.headline}`,
    message: text,
    fields: {
      storm: opts.final ? 'summary' : 'digest',
      stormTarget: opts.target,
      stormStartedAt: new Date(started).toISOString(),
      absorbed: String(s.absorbed),
      stillFiring: String(d.firing),
    },
  });
}
