// The way into durable delivery. enqueue() takes notifications and the sinks
// each goes to, and for every (notification, sink) pair, in the caller's
// transaction:
//
//   dedup  → a pair already enqueued once is dropped (persisted, so also
//            after a restart);
//   record → a record sink (Elasticsearch, jsonl, webhook, console) gets
//            every notification on its own, at once: nothing below applies;
//   flood  → where the sink groups, within floodWindow after a FIRING, a
//            FIRING of the same occurrence (flood key: workload, reason,
//            severity, revision) joins the first's group rather than one of
//            its own; the first's RESOLVED ends the occurrence, so what fires
//            after it is news of its own. Nothing is ever dropped here;
//   group  → with groupBy set, held in its group for groupWait and sent as
//            one message with the others; a group that went out gets one
//            update after groupInterval when more joined or resolved (what
//            joins it meanwhile is "folded": it waits for that update);
//   outbox → else written as one pending delivery.
//
// Before all of these, the hold stage (hold.ts): a notification a silence,
// an inhibiting cause or a time window holds back reaches record sinks
// marked, and chat sinks not at all until release() (outcome 'held').
//
// Reminders and group messages come out of the same tables: remind() and
// flushGroups() are called on a timer (the Deliverer does both).
//
// A pair may carry the grouping of the route that chose the sink (a route's
// `group:`): it replaces the sink's groupBy, groupWait and groupInterval for
// that notification, and its groups and flood windows are the route's own.

import type { Notification } from '../model/notification.ts';
import { State } from '../model/notification.ts';
import type { Sink } from '../contracts/sink.ts';
import type { GroupRow, HeldRow, Store } from '../store/types.ts';
import type { HoldKind, HoldReason } from '../model/hold.ts';
import type { Logger } from './clock.ts';
import { type DeliveryPolicies, type GroupOverride, type SinkPolicy, withGroupOverride } from './config.ts';
import { firstHold, type HoldCheck, markHeld, markReleased } from './hold.ts';
import { floodKeyOf, groupIdempotencyKey, groupKeyOf, memberKeyOf, reminderOf } from './keys.ts';
import { decodeNotification, encodeNotification } from './payload.ts';
import { dueReminders, nextReminderAt, staleReminders } from './reminders.ts';
import { isStormGroup, StormDigests } from './storm.ts';

/** What the outbox needs to know of a sink: its name and, if it has several, the target of a notification. */
export type SinkTargets = ReadonlyMap<string, Pick<Sink, 'name'> & { targetOf?(n: Notification): string }>;

export interface OutboxOptions {
  store: Store;
  sinks: SinkTargets;
  policies: DeliveryPolicies;
  log?: Logger;
  /** what became of each (notification, sink) pair: for metrics and `routes test` */
  onDecision?: (d: EnqueueDecision) => void;
  /** what may hold a notification back from chat (silences, inhibition, time windows): asked in order, first answer wins */
  holds?: readonly HoldCheck[];
  /**
   * Whether a FIRING may be reminded of later (default: every one).
   * Reminders go only to incidents still open (the Deliverer's
   * openIncidents), so a reminder row for anything else (a Warning event, a
   * command notice) was written only to be deleted at the next look: on a
   * storm of events, a write per notification for nothing.
   */
  remindable?: (n: Notification) => boolean;
}

export interface EnqueueResult {
  /** deliveries written to the outbox now */
  queued: number;
  /** notifications held in (or added to) a group */
  grouped: number;
  /** (notification, sink) pairs enqueued before */
  deduplicated: number;
  /** of those grouped, the ones that joined a group whose message had already gone out: they wait for its next update */
  folded: number;
  /** (notification, chat sink) pairs held back (hold.ts); absent when none */
  held?: number;
  /** absorbed into their target's storm digest (storm.ts) */
  digested?: number;
}

/** What enqueue() did with one notification for one sink. */
export interface EnqueueDecision {
  sink: string;
  notification: Notification;
  /**
   * queued: a delivery of its own, now; grouped: held in a group whose first
   * message has not gone out yet; folded: joined a group whose message went
   * out, so it reaches the sink with that group's next update;
   * deduplicated: enqueued for this sink before; held: kept out of this chat
   * sink by `hold` (a RESOLVED of an incident held while firing is held too:
   * chat never saw it fire).
   */
  outcome: 'queued' | 'grouped' | 'folded' | 'deduplicated' | 'held' | 'digested';
  /** why it was held back: outcome 'held', or, for a record sink, what its copy is marked with */
  hold?: HoldReason;
  /** the group it joined */
  groupKey?: string;
  /** true when the flood window of an earlier notification of the same occurrence chose the group */
  byFlood?: boolean;
  /** when its message is due (epoch ms): now for queued, the group's flush time otherwise */
  dueAt?: number;
}

/** A sink, and the grouping of the route that chose it when that route has its own. */
export interface SinkChoice {
  sink: string;
  group?: GroupOverride;
}

/** Which sinks a notification goes to: the same for all, or decided per notification (routing rules). */
export type SinkSelection = readonly (string | SinkChoice)[] | ((n: Notification) => readonly (string | SinkChoice)[]);

const withHold = (hold: HoldReason | undefined): { hold?: HoldReason } => (hold ? { hold } : {});

const toMs = (t: number | Date): number => (typeof t === 'number' ? t : t.getTime());

/** Frames stored member bytes as size-delimited messages (varint length + message), without decoding them. */
function frame(parts: readonly Uint8Array[]): Uint8Array {
  const varint = (n: number): number[] => {
    const out: number[] = [];
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return out;
  };
  const chunks = parts.flatMap((p) => [Uint8Array.from(varint(p.length)), p]);
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A reminder's stored grouping; one that cannot be read falls back to the sink's. */
function groupingOf(stored: string | null): GroupOverride | undefined {
  if (stored === null) return undefined;
  try {
    const o = JSON.parse(stored) as GroupOverride;
    return typeof o?.route === 'string' ? o : undefined;
  } catch {
    return undefined;
  }
}

export class Outbox {
  #store: Store;
  #sinks: SinkTargets;
  #policies: DeliveryPolicies;
  #onDecision: ((d: EnqueueDecision) => void) | undefined;
  #holds: readonly HoldCheck[];
  #remindable: (n: Notification) => boolean;
  /** record sinks' marked copies → what marked them */
  #marked = new WeakMap<Notification, HoldReason>();
  #storms: StormDigests;

  constructor(opts: OutboxOptions) {
    this.#holds = opts.holds ?? [];
    this.#remindable = opts.remindable ?? (() => true);
    this.#store = opts.store;
    this.#sinks = opts.sinks;
    this.#policies = opts.policies;
    const decided = opts.onDecision;
    // a record sink's marked copy says what marked it, wherever below its decision is made
    this.#onDecision = decided && ((d) => decided(d.hold ? d : { ...d, ...withHold(this.#marked.get(d.notification)) }));
    this.#storms = new StormDigests(opts.store);
  }

  /**
   * Enqueues every (notification, sink) pair. Call it inside
   * store.transaction() together with the tracker's state change, so both
   * are kept or neither; then wake the Deliverer.
   */
  enqueue(notifications: readonly Notification[], sinks: SinkSelection, now: number | Date): EnqueueResult {
    const t = toMs(now);
    const result: EnqueueResult = { queued: 0, grouped: 0, deduplicated: 0, folded: 0 };
    this.#store.transaction(() => {
      for (const n of notifications) {
        for (const c of typeof sinks === 'function' ? sinks(n) : sinks) {
          if (typeof c === 'string') this.#accept(n, c, t, false, result, undefined);
          else this.#accept(n, c.sink, t, false, result, c.group);
        }
      }
      this.#storms.persist(t);
    });
    return result;
  }

  #targetOf(sink: string, n: Notification): string {
    const s = this.#sinks.get(sink);
    if (!s) throw new Error(`cannot enqueue for sink "${sink}": no such sink`);
    return s.targetOf?.(n) ?? s.name;
  }

  #accept(n: Notification, sink: string, now: number, reminder: boolean, r: EnqueueResult, override: GroupOverride | undefined, released = false): void {
    const p = withGroupOverride(this.#policies.forSink(sink), override);
    if (!released && this.#holds.length > 0) {
      const held = this.#hold(n, sink, now, reminder, p.records, override);
      if (held === undefined) {
        r.held = (r.held ?? 0) + 1;
        return;
      }
      n = held;
    }
    // a record sink takes no route's grouping (withGroupOverride kept its own), so no route's floods either
    const route = p.records ? undefined : override?.route;
    const target = this.#targetOf(sink, n);
    if (!this.#store.dedup.claim(sink, n.idempotencyKey, now)) {
      r.deduplicated++;
      this.#onDecision?.({ sink, notification: n, outcome: 'deduplicated' });
      return;
    }
    const grouping = p.groupBy.length > 0;
    const resolved = n.state === State.RESOLVED;
    let joinGroup: string | undefined;
    // flood control picks a group: without grouping there is nothing to fold into, and nothing is ever dropped
    if (!reminder && grouping && p.floodWindowMs > 0) {
      const flood = this.#store.flood;
      const key = floodKeyOf(n, route);
      const open = flood.get(sink, key);
      const live = open !== undefined && open.windowEndsAt > now;
      const member = memberKeyOf(n);
      if (resolved) {
        // the first of the occurrence ended: what fires after it is a new occurrence, not a repeat
        if (live && open.firstKey === member) flood.close(sink, key);
      } else if (live && open.firstKey !== member) {
        flood.fold(sink, key, now);
        joinGroup = open.groupKey ?? undefined;
      } else {
        flood.open({ sink, floodKey: key, firstKey: member, groupKey: this.#groupKeyFor(n, sink, p, target, route), openedAt: now, windowEndsAt: now + p.floodWindowMs });
      }
    }
    if (!reminder && p.repeatIntervalMs > 0 && n.incidentKey) {
      if (resolved) this.#store.reminders.delete(sink, n.incidentKey);
      else if (this.#remindable(n)) this.#store.reminders.put(sink, n.incidentKey, encodeNotification(n), now, route !== undefined && override ? JSON.stringify(override) : null);
    }
    // the RESOLVED of an incident whose FIRING is in a live group (made under another grouping) updates that group
    const toGroup = grouping || (resolved && !p.records && this.#liveMemberGroup(sink, n, now) !== undefined);
    // a chat target getting more messages a minute than its storm threshold gets its digest instead (storm.ts);
    // what joins a group adds no message of its own, so only what would make one is metered
    const storms = !p.records && (p.storm?.threshold ?? 0) > 0;
    if (storms && (!toGroup || this.#opensMessage(n, sink, p, target, now, joinGroup, route)) && this.#storms.absorb(n, sink, target, p, now)) {
      r.digested = (r.digested ?? 0) + 1;
      this.#onDecision?.({ sink, notification: n, outcome: 'digested', groupKey: `storm:${target}` });
      return;
    }
    if (toGroup) {
      const g = this.#addToGroup(n, sink, p, target, now, joinGroup, route !== undefined ? override : undefined);
      r.grouped++;
      const wentOut = g.lastFlushAt !== null;
      if (wentOut) r.folded++;
      this.#onDecision?.({ sink, notification: n, outcome: wentOut ? 'folded' : 'grouped', groupKey: g.groupKey, byFlood: joinGroup !== undefined && joinGroup === g.groupKey, dueAt: g.flushAt ?? now });
      return;
    }
    this.#store.outbox.insert({ sink, target, orderingKey: target, idempotencyKey: n.idempotencyKey, payload: encodeNotification(n), members: 1, createdAt: now });
    r.queued++;
    this.#onDecision?.({ sink, notification: n, outcome: 'queued', dueAt: now });
  }

  /**
   * The hold stage for one pair: undefined when it is held back from this
   * chat sink (decision made), else the notification to go on with (marked
   * for a record sink when a hold applies).
   */
  #hold(n: Notification, sink: string, now: number, reminder: boolean, records: boolean, override: GroupOverride | undefined): Notification | undefined {
    const resolved = n.state === State.RESOLVED;
    if (!records && resolved && n.incidentKey) {
      const row = this.#store.held.get(sink, n.incidentKey);
      if (row) {
        // chat never saw it fire: the story ends here for this sink
        this.#store.held.delete(sink, n.incidentKey);
        this.#onDecision?.({ sink, notification: n, outcome: 'held', hold: { by: row.by, id: row.holderId, text: row.text } });
        return undefined;
      }
    }
    const hold = firstHold(this.#holds, n, sink, now);
    if (!hold) return n;
    if (records) {
      const marked = markHeld(n, hold);
      this.#marked.set(marked, hold);
      return marked;
    }
    // sent before the hold began: the dedup stage says so
    if (this.#store.dedup.has(sink, n.idempotencyKey)) return n;
    if (!resolved && !reminder && n.incidentKey) {
      this.#store.held.put({
        sink,
        incidentKey: n.incidentKey,
        notification: encodeNotification(n),
        by: hold.by,
        holderId: hold.id,
        text: hold.text,
        heldAt: now,
        grouping: override?.route !== undefined ? JSON.stringify(override) : null,
      });
    }
    this.#onDecision?.({ sink, notification: n, outcome: 'held', hold });
    return undefined;
  }

  /**
   * A holder ended (a silence expired or was expired, a cause resolved, a
   * window closed): every incident it held back from a chat sink that still
   * fires (`open`, by incident key; without it every held one: a RESOLVED
   * while held drops its row) and that nothing else holds now is enqueued,
   * marked releasedFrom = id. What another holder holds now stays held, by
   * that one.
   */
  release(by: HoldKind, id: string, now: number | Date, open?: (incidentKey: string) => boolean): EnqueueResult {
    const t = toMs(now);
    const result: EnqueueResult = { queued: 0, grouped: 0, deduplicated: 0, folded: 0 };
    this.#store.transaction(() => {
      for (const row of this.#store.held.byHolder(by, id)) {
        if (!this.#sinks.has(row.sink) || (open && !open(row.incidentKey))) {
          this.#store.held.delete(row.sink, row.incidentKey);
          continue;
        }
        const n = decodeNotification(row.notification);
        const other = firstHold(this.#holds, n, row.sink, t);
        if (other && !(other.by === by && other.id === id)) {
          this.#store.held.put({ ...row, by: other.by, holderId: other.id, text: other.text });
          continue;
        }
        this.#store.held.delete(row.sink, row.incidentKey);
        this.#accept(markReleased(n, by, id, row.text), row.sink, t, false, result, groupingOf(row.grouping), true);
      }
      this.#storms.persist(t);
    });
    return result;
  }

  /** Writes the storm digests' counts not yet written (they are written at most once a second): as kubeherald stops. */
  writeStormCounts(now: number | Date): void {
    this.#store.transaction(() => this.#storms.persist(toMs(now), { all: true }));
  }

  /** Everything held back from chat sinks now. */
  held(): HeldRow[] {
    return this.#store.held.list();
  }

  /** A live (not yet expired) group, or undefined. */
  #liveGroup(sink: string, groupKey: string, now: number): GroupRow | undefined {
    const g = this.#store.groups.get(sink, groupKey);
    if (g && g.flushAt === null && g.expiresAt !== null && g.expiresAt <= now) {
      this.#store.groups.deleteGroup(sink, groupKey);
      return undefined;
    }
    return g;
  }

  /** The live group already holding this notification's incident, if any. */
  #liveMemberGroup(sink: string, n: Notification, now: number): GroupRow | undefined {
    const key = this.#store.groups.groupOfMember(sink, memberKeyOf(n));
    return key === undefined ? undefined : this.#liveGroup(sink, key, now);
  }

  /** Whether adding the notification to its group (as #addToGroup would) makes a message: a new group, or an update of one that went out. */
  #opensMessage(n: Notification, sink: string, p: SinkPolicy, target: string, now: number, preferred: string | undefined, route: string | undefined): boolean {
    const key = this.#store.groups.groupOfMember(sink, memberKeyOf(n)) ?? preferred;
    const g = (key === undefined ? undefined : this.#liveGroup(sink, key, now)) ?? this.#liveGroup(sink, groupKeyOf(n, p.groupBy, target, route), now);
    return g === undefined || g.flushAt === null;
  }

  /** Where a notification's member lives if it already has one in a group, else where groupBy puts it. */
  #groupKeyFor(n: Notification, sink: string, p: SinkPolicy, target: string, route: string | undefined): string {
    return this.#store.groups.groupOfMember(sink, memberKeyOf(n)) ?? groupKeyOf(n, p.groupBy, target, route);
  }

  /** Adds (or updates) the notification's member in its group; returns the group as it now is. */
  #addToGroup(n: Notification, sink: string, p: SinkPolicy, target: string, now: number, preferred: string | undefined, override: GroupOverride | undefined): GroupRow {
    const groups = this.#store.groups;
    const memberKey = memberKeyOf(n);
    let key = groups.groupOfMember(sink, memberKey) ?? preferred;
    let g = key === undefined ? undefined : this.#liveGroup(sink, key, now);
    if (!g) {
      key = groupKeyOf(n, p.groupBy, target, override?.route);
      g = this.#liveGroup(sink, key, now);
    }
    if (!g) {
      // a route's interval is kept with the group, so its updates follow it after a restart or a reload too
      const intervalMs = override?.intervalSeconds !== undefined ? override.intervalSeconds * 1000 : null;
      g = { sink, groupKey: key!, target, orderingKey: target, openedAt: now, flushAt: now + p.groupWaitMs, lastFlushAt: null, expiresAt: null, updates: 0, intervalMs };
    } else if (g.flushAt === null) {
      // it went out already: the update waits out groupInterval since that message
      g = { ...g, flushAt: Math.max(now, (g.lastFlushAt ?? now) + this.#intervalOf(g)) };
    }
    groups.upsertGroup(g);
    if (n.state !== State.RESOLVED) {
      // an incident that resolved and fires again before the group's next message: both are news, so the
      // RESOLVED keeps a place of its own rather than being replaced by the new FIRING
      const ended = groups.members(sink, g.groupKey).find((m) => m.memberKey === memberKey && m.resolved);
      if (ended) groups.renameMember(sink, g.groupKey, memberKey, `${memberKey}\u0000ended#${ended.seq}`);
    }
    groups.upsertMember(sink, g.groupKey, { memberKey, notification: encodeNotification(n), resolved: n.state === State.RESOLVED }, now);
    return g;
  }

  /**
   * Writes the message of every group due by `now` to the outbox; returns how
   * many. With `held`, every group holding something not yet sent goes out
   * now, due or not (`demo --once` at its end, so nothing stays behind).
   */
  flushGroups(now: number | Date, opts: { held?: boolean } = {}): number {
    const t = toMs(now);
    return this.#store.transaction(() => {
      const groups = this.#store.groups;
      let written = 0;
      for (const g of groups.due(opts.held ? Number.MAX_SAFE_INTEGER : t)) {
        if (isStormGroup(g.groupKey)) {
          written += this.#storms.flush(g, this.#policyOrNone(g.sink), t);
          continue;
        }
        const members = groups.members(g.sink, g.groupKey);
        if (members.length === 0) {
          groups.deleteGroup(g.sink, g.groupKey);
          continue;
        }
        this.#store.outbox.insert({
          sink: g.sink,
          target: g.target,
          orderingKey: g.orderingKey,
          idempotencyKey: groupIdempotencyKey(g.sink, g.groupKey, g.openedAt, g.updates),
          payload: frame(members.map((m) => m.notification)),
          members: members.length,
          groupKey: g.groupKey,
          groupUpdate: g.updates,
          createdAt: t,
        });
        written++;
        // a resolved member has been told; like Alertmanager, the next update no longer lists it
        groups.deleteResolvedMembers(g.sink, g.groupKey);
        if (members.every((m) => m.resolved)) {
          groups.deleteGroup(g.sink, g.groupKey);
          continue;
        }
        groups.upsertGroup({ ...g, flushAt: null, lastFlushAt: t, expiresAt: t + this.#intervalOf(g), updates: g.updates + 1 });
      }
      return written;
    });
  }

  /** The group's own interval (a route's), else its sink's; a sink removed from the config may still have groups: they close at once. */
  #intervalOf(g: GroupRow): number {
    if (g.intervalMs !== null) return g.intervalMs;
    try {
      return this.#policies.forSink(g.sink).groupIntervalMs;
    } catch {
      return 0;
    }
  }

  #policyOrNone(sink: string): SinkPolicy | undefined {
    try {
      return this.#policies.forSink(sink);
    } catch {
      return undefined;
    }
  }

  nextGroupFlushAt(): number | undefined {
    return this.#store.groups.nextFlushAt();
  }

  /**
   * Enqueues a reminder for every incident still firing (`openIncidents`, by
   * incident key) that was last sent to a sink at least its repeatInterval
   * ago; forgets incidents no longer open. Returns the reminders enqueued.
   */
  remind(openIncidents: Iterable<string>, now: number | Date): number {
    const t = toMs(now);
    const open = new Set(openIncidents);
    return this.#store.transaction(() => {
      let sent = 0;
      const r: EnqueueResult = { queued: 0, grouped: 0, deduplicated: 0, folded: 0 };
      for (const sink of this.#sinks.keys()) {
        const p = this.#policies.forSink(sink);
        if (p.repeatIntervalMs <= 0) continue;
        const rows = this.#store.reminders.list(sink);
        const lastSent = new Map(rows.map((row) => [row.incidentKey, row.lastSentAt]));
        for (const key of staleReminders(open, lastSent)) this.#store.reminders.delete(sink, key);
        const byKey = new Map(rows.map((row) => [row.incidentKey, row]));
        for (const key of dueReminders(open, lastSent, t, p.repeatIntervalMs)) {
          const row = byKey.get(key)!;
          this.#accept(reminderOf(decodeNotification(row.notification), row.repeats + 1), sink, t, true, r, groupingOf(row.grouping));
          this.#store.reminders.sent(sink, key, t);
          sent++;
        }
      }
      this.#storms.persist(t);
      return sent;
    });
  }

  /** When remind() next has something to do. */
  nextReminderAt(): number | undefined {
    let next: number | undefined;
    for (const { sink, lastSentAt } of this.#store.reminders.earliest()) {
      if (!this.#sinks.has(sink)) continue;
      const at = nextReminderAt([lastSentAt], this.#policies.forSink(sink).repeatIntervalMs);
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    return next;
  }
}
