// Who changed an object, remembered for a few seconds: the audit source
// records the actor of each write, and whoever turns a watched change into a
// notification (a finished rollout, a deleted pod) asks who did it. Bounded
// in size; pure apart from the times it is given.

import type { Actor, Notification } from '../model/notification.ts';

export interface ObjectRefLike {
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
}

export interface CorrelationOptions {
  /** how far apart a write and a notification may be and still be linked (default 10 s) */
  windowMs?: number;
  /** objects remembered at most; the least recently written go first (default 10,000) */
  maxObjects?: number;
}

interface Seen {
  t: number;
  actor: Actor;
}

// writes remembered per object: a burst of edits by two people stays attributable
const PER_OBJECT = 8;

export class ActorCorrelation {
  #windowMs: number;
  #max: number;
  #byKey = new Map<string, Seen[]>();

  constructor(opts: CorrelationOptions = {}) {
    this.#windowMs = opts.windowMs ?? 10_000;
    this.#max = opts.maxObjects ?? 10_000;
  }

  get size(): number {
    return this.#byKey.size;
  }

  record(ref: ObjectRefLike, time: Date, actor: Actor): void {
    const t = time.getTime();
    if (!Number.isFinite(t) || !ref.name) return;
    for (const key of keysOf(ref)) {
      const list = this.#byKey.get(key) ?? [];
      // re-inserted so Map order is least recently written first
      this.#byKey.delete(key);
      list.push({ t, actor });
      if (list.length > PER_OBJECT) list.shift();
      this.#byKey.set(key, list);
    }
    while (this.#byKey.size > this.#max) this.#byKey.delete(this.#byKey.keys().next().value!);
  }

  /**
   * The actor of the write to this object closest to `time` (within the
   * window either side: the audit batch may arrive after the watch event),
   * preferring the uid when both sides know it.
   */
  attributeUser(ref: ObjectRefLike, time: Date): Actor | undefined {
    const t = time.getTime();
    if (!Number.isFinite(t)) return undefined;
    for (const key of keysOf(ref)) {
      const list = this.#byKey.get(key);
      if (!list) continue;
      let best: Seen | undefined;
      for (const s of list) {
        const d = Math.abs(s.t - t);
        if (d > this.#windowMs) continue;
        if (!best || d < Math.abs(best.t - t) || (d === Math.abs(best.t - t) && s.t >= best.t)) best = s;
      }
      if (best) return best.actor;
    }
    return undefined;
  }

  /** The actor for a notification: its object's, else its owner's (a pod of a Deployment someone just changed). */
  attributeNotification(n: Notification, time: Date): Actor | undefined {
    for (const ref of [n.involvedObject, n.owner]) {
      if (!ref?.name) continue;
      const a = this.attributeUser(ref, time);
      if (a) return a;
    }
    return undefined;
  }
}

function keysOf(ref: ObjectRefLike): string[] {
  const keys: string[] = [];
  if (ref.uid) keys.push(`uid\n${ref.uid}`);
  if (ref.name) keys.push(`ref\n${ref.kind}\n${ref.namespace ?? ''}\n${ref.name}`);
  return keys;
}
