// The hold stage: what keeps a notification out of chat for a while without
// losing it. A HoldCheck (silences, causal inhibition, time windows) says
// whether a notification is held back for a sink, and why. The Outbox asks
// each in order, first answer wins:
//
//   record sink → delivered all the same, marked (fields.silencedBy,
//                 inhibitedBy or mutedBy = the holder's id): nothing is lost;
//   chat sink   → not delivered; its dedup is not claimed, and it is kept in
//                 the durable `held` table until its holder ends. Then
//                 Outbox.release(by, id, now) enqueues, for each incident
//                 it held that still fires and nothing else holds, one
//                 notification marked releasedFrom = id. A RESOLVED that
//                 arrives while held only drops the row: chat never saw it fire.

import { clone } from '@bufbuild/protobuf';
import type { HoldKind, HoldReason } from '../model/hold.ts';
import { type Notification, NotificationSchema } from '../model/notification.ts';

export { HOLD_KINDS, type HoldKind, type HoldReason, isHoldKind } from '../model/hold.ts';

/** Whether `n` is held back for `sink` at `now` (epoch ms), and why; undefined when not. */
export type HoldCheck = (n: Notification, sink: string, now: number) => HoldReason | undefined;

/** The field a record sink's copy carries the holder's id in. */
export const HOLD_FIELD: Readonly<Record<HoldKind, string>> = { silence: 'silencedBy', inhibition: 'inhibitedBy', window: 'mutedBy' };

/** The field a notification released from a hold carries the holder's id in. */
export const RELEASED_FIELD = 'releasedFrom';
/** …and what kind of holder that was (silence, inhibition, window), so a sink can word it. */
export const RELEASED_BY_FIELD = 'releasedBy';

/** The first hold that applies, in the order given. */
export function firstHold(holds: readonly HoldCheck[], n: Notification, sink: string, now: number): HoldReason | undefined {
  for (const h of holds) {
    const r = h(n, sink, now);
    if (r) return r;
  }
  return undefined;
}

/** A copy of `n` marked with its holder, for a record sink. */
export function markHeld(n: Notification, r: HoldReason): Notification {
  const c = clone(NotificationSchema, n);
  c.fields[HOLD_FIELD[r.by]] = r.id;
  return c;
}

/**
 * What a released notification says about why it comes now. A cause's id is
 * an incident key (node/<uid>/NotReady) that means nothing to people: the
 * hold's text ("inhibited by NodeNotReady node/sim-node-2") names it instead.
 */
export function releasedLine(by: HoldKind, id: string, text?: string): string {
  switch (by) {
    case 'silence':
      return `The silence ${id} ended while this still fires.`;
    case 'inhibition':
      return `Its cause (${causeName(id, text)}) resolved, but this persists.`;
    case 'window':
      return `The time window ${id} ended while this still fires.`;
  }
}

/** The cause as people know it: its hold's text without the "inhibited by", else its key. */
const causeName = (id: string, text: string | undefined): string => text?.replace(/^inhibited by\s+/, '').trim() || id;

/** A copy of `n` marked as released by the end of a holder (`text`: the hold's one line, as the held row kept it). */
export function markReleased(n: Notification, by: HoldKind, id: string, text?: string): Notification {
  const c = clone(NotificationSchema, n);
  c.fields[RELEASED_FIELD] = id;
  c.fields[RELEASED_BY_FIELD] = by;
  // every chat sink shows the message: the line says why this comes now, after the fact
  const line = releasedLine(by, id, text);
  c.message = c.message ? `${c.message}\n${line}` : line;
  return c;
}
