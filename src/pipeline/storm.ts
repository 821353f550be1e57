// The storm digest's durable side (the counting is digest.ts's). Each
// chat-sink notification is metered per (sink, target) in the `storms`
// table; once a target is in a storm, what would have gone to it is absorbed
// into its digest instead: the pair's dedup is claimed as for any delivery,
// record sinks got the notification already (they never storm), and the
// counts are kept in the same transaction as the tracker's state.
//
// The digest's message is a group of its own (key `storm:<target>`, no
// members): its flushAt wakes the Deliverer for the next update and for the
// end of the storm, its openedAt/updates make each message's idempotency key,
// and a sink that edits group messages (Slack chat.update, Telegram
// editMessageText) edits the digest in place through sendGroup(update > 0).
// When the storm is over, one summary goes out as a message of its own; the
// incidents still firing are listed there rather than released one by one.

import { type Notification } from '../model/notification.ts';
import type { GroupRow, Store } from '../store/types.ts';
import type { SinkPolicy } from './config.ts';
import { arriveInPlace, countInPlace, digestNotification, emptyStorm, endStorm, inStorm, type StormState, stormEndsAt } from './digest.ts';
import { groupIdempotencyKey } from './keys.ts';
import { decodeNotification, encodeNotification } from './payload.ts';

const PREFIX = 'storm:';

/** Regular group keys are JSON arrays, so this prefix never meets one. */
export const stormGroupKey = (target: string): string => `${PREFIX}${target}`;
export const isStormGroup = (groupKey: string | null | undefined): boolean => typeof groupKey === 'string' && groupKey.startsWith(PREFIX);

/** Frames one message as a size-delimited group payload (varint length + bytes). */
function framed(bytes: Uint8Array): Uint8Array {
  const len: number[] = [];
  let n = bytes.length;
  while (n > 0x7f) {
    len.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  len.push(n);
  const out = new Uint8Array(len.length + bytes.length);
  out.set(len, 0);
  out.set(bytes, len.length);
  return out;
}

function parse(json: string | undefined): StormState {
  if (json === undefined) return emptyStorm();
  try {
    return { ...emptyStorm(), ...(JSON.parse(json) as Partial<StormState>) };
  } catch {
    // an unreadable row is a lost rate measure, not a reason to stop delivering
    return emptyStorm();
  }
}

export interface StormEvent {
  sink: string;
  target: string;
  kind: 'started' | 'ended';
  absorbed: number;
}

/**
 * Each (sink, target)'s state as last read or changed, so a notification
 * neither parses nor copies the whole state (during a long storm, counts for
 * thousands of objects); those changed and not yet written are in `dirty`,
 * written by persist(). A rollback drops all three: the next read comes from
 * the database again. One per store, shared by every StormDigests on it (the
 * Outbox that enqueues and the Deliverer's that flushes), so none reads a
 * state another has moved on from.
 */
interface StormCache {
  states: Map<string, StormState>;
  dirty: Map<string, { sink: string; target: string; at: number }>;
  /** when each state was last written, and whether it was in a storm then */
  written: Map<string, { at: number; active: boolean }>;
}

/**
 * A storm's counts are written at most this often (by the notifications'
 * clock) while nothing else changes: a long storm's state is large (every
 * object and incident it absorbed), and writing it with every batch cost
 * more than everything else the listener does. A storm starting or ending,
 * and every digest update, is written at once. The price: after a crash
 * (not a stop), the digest's counts may miss what arrived in the last
 * second; no notification is sent twice or dropped from delivery for it,
 * since the dedup claims are written with every batch.
 */
export const STORM_PERSIST_MS = 1000;
const caches = new WeakMap<Store, StormCache>();

export class StormDigests {
  #store: Store;
  #onEvent: ((e: StormEvent) => void) | undefined;
  #states: Map<string, StormState>;
  #dirty: StormCache['dirty'];
  #written: StormCache['written'];

  constructor(store: Store, onEvent?: (e: StormEvent) => void) {
    this.#store = store;
    this.#onEvent = onEvent;
    let cache = caches.get(store);
    if (!cache) caches.set(store, (cache = { states: new Map(), dirty: new Map(), written: new Map() }));
    this.#states = cache.states;
    this.#dirty = cache.dirty;
    this.#written = cache.written;
  }

  #state(sink: string, target: string): StormState {
    const k = `${sink}\n${target}`;
    let s = this.#states.get(k);
    if (!s) this.#states.set(k, (s = parse(this.#store.storms.get(sink, target)?.state)));
    return s;
  }

  #changed(sink: string, target: string, at: number): void {
    if (this.#dirty.size === 0) {
      this.#store.onRollback(() => {
        this.#states.clear();
        this.#dirty.clear();
        this.#written.clear();
      });
    }
    this.#dirty.set(`${sink}\n${target}`, { sink, target, at });
  }

  #write(sink: string, target: string, s: StormState, at: number): void {
    const k = `${sink}\n${target}`;
    this.#states.set(k, s);
    this.#dirty.delete(k);
    this.#written.set(k, { at, active: inStorm(s) });
    this.#store.storms.put({ sink, target, state: JSON.stringify(s), active: inStorm(s), updatedAt: at });
  }

  /**
   * Writes the states absorb() changed: one that started or ended a storm at
   * once, the others at most every STORM_PERSIST_MS (`all`: every one, as
   * kubeherald stops). Call inside a transaction: the one that absorbed
   * them, before it ends (the Outbox does).
   */
  persist(now: number, opts: { all?: boolean } = {}): void {
    for (const [k, d] of this.#dirty) {
      const s = this.#states.get(k);
      const last = this.#written.get(k);
      if (!opts.all && s && last && last.active === inStorm(s) && now - last.at < STORM_PERSIST_MS) continue;
      if (s) this.#write(d.sink, d.target, s, d.at);
      else this.#dirty.delete(k);
    }
  }

  /**
   * One notification for a chat sink's target, after its dedup was claimed:
   * metered, and absorbed into the target's digest when the target is in a
   * storm (or this one starts it). True when absorbed: the caller delivers
   * nothing else for it. Call inside the enqueue transaction, then persist().
   */
  absorb(n: Notification, sink: string, target: string, p: SinkPolicy, now: number): boolean {
    const sp = p.storm;
    if (p.records || !sp || sp.threshold <= 0) return false;
    const state = this.#state(sink, target);
    const wasInStorm = inStorm(state);
    const absorbed = arriveInPlace(state, n, now, sp);
    if (absorbed && !wasInStorm) this.#takeUnsentGroups(sink, target, state);
    this.#changed(sink, target, now);
    if (!absorbed) return false;
    if (!wasInStorm) this.#onEvent?.({ sink, target, kind: 'started', absorbed: state.absorbed });
    const groups = this.#store.groups;
    const key = stormGroupKey(target);
    const g = groups.get(sink, key);
    if (!g) {
      // the first digest goes out at once: the channel learns at once why it went quiet
      groups.upsertGroup({ sink, groupKey: key, target, orderingKey: target, openedAt: now, flushAt: now, lastFlushAt: null, expiresAt: null, updates: 0, intervalMs: sp.updateMs });
    } else {
      const nextUpdate = Math.max(now, (g.lastFlushAt ?? now) + sp.updateMs);
      const flushAt = Math.min(g.flushAt ?? Number.POSITIVE_INFINITY, nextUpdate);
      // most of a storm's notifications change nothing here: no write for them
      if (flushAt !== g.flushAt || g.expiresAt !== null) groups.upsertGroup({ ...g, flushAt, expiresAt: null });
    }
    return true;
  }

  /**
   * The storm starts: the target's groups whose first message has not gone
   * out yet are counted into the digest and dropped, so the channel gets the
   * digest rather than a burst of group messages first. Groups that went out
   * keep their updates (one per groupInterval at most).
   */
  #takeUnsentGroups(sink: string, target: string, s: StormState): void {
    const groups = this.#store.groups;
    for (const g of groups.due(Number.MAX_SAFE_INTEGER)) {
      if (g.sink !== sink || g.target !== target || g.lastFlushAt !== null || isStormGroup(g.groupKey)) continue;
      for (const m of groups.members(sink, g.groupKey)) {
        try {
          countInPlace(s, decodeNotification(m.notification));
        } catch {
          // an unreadable member is counted all the same
          s.absorbed++;
        }
      }
      groups.deleteGroup(sink, g.groupKey);
    }
  }

  /**
   * A digest group is due: writes its update when something was absorbed
   * since the last one, or, once the storm is quiet, the summary; returns
   * the deliveries written. Called by Outbox.flushGroups in its transaction.
   */
  flush(g: GroupRow, p: SinkPolicy | undefined, now: number): number {
    const groups = this.#store.groups;
    const k = `${g.sink}\n${g.target}`;
    const known = this.#states.has(k) || this.#store.storms.get(g.sink, g.target) !== undefined;
    const s = known ? this.#state(g.sink, g.target) : undefined;
    const sp = p?.storm;
    if (!s || !inStorm(s) || !sp) {
      // the storm was forgotten or the sink is gone: nothing left to say
      groups.deleteGroup(g.sink, g.groupKey);
      if (s && inStorm(s)) this.#write(g.sink, g.target, endStorm(s), now);
      return 0;
    }
    // a sink whose threshold became 0 (a reload) no longer storms: its storm ends now, with its summary
    const endsAt = sp.threshold <= 0 ? now : (stormEndsAt(s, sp) ?? now);
    const opts = { sink: g.sink, target: g.target, now };
    if (endsAt <= now) {
      const summary = digestNotification(s, { ...opts, final: true });
      this.#store.outbox.insert({ sink: g.sink, target: g.target, orderingKey: g.orderingKey, idempotencyKey: summary.idempotencyKey, payload: encodeNotification(summary), members: 1, createdAt: now });
      this.#write(g.sink, g.target, endStorm(s), now);
      groups.deleteGroup(g.sink, g.groupKey);
      this.#onEvent?.({ sink: g.sink, target: g.target, kind: 'ended', absorbed: s.absorbed });
      return 1;
    }
    let written = 0;
    let next = g;
    if (s.absorbed > s.shown) {
      const digest = digestNotification(s, { ...opts, final: false });
      this.#store.outbox.insert({
        sink: g.sink,
        target: g.target,
        orderingKey: g.orderingKey,
        idempotencyKey: groupIdempotencyKey(g.sink, g.groupKey, g.openedAt, g.updates),
        payload: framed(encodeNotification(digest)),
        members: 1,
        groupKey: g.groupKey,
        groupUpdate: g.updates,
        createdAt: now,
      });
      s.shown = s.absorbed;
      this.#write(g.sink, g.target, s, now);
      next = { ...g, lastFlushAt: now, updates: g.updates + 1 };
      written = 1;
    }
    // what is absorbed meanwhile brings the next update forward (absorb()); else the storm's end is next
    groups.upsertGroup({ ...next, flushAt: endsAt, expiresAt: null });
    return written;
  }
}
