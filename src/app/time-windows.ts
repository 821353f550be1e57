// Routes' time windows in a running kubeherald. Routing (rules/window.ts)
// says which matching routes a time interval mutes at the pipeline's clock;
// here that becomes the Outbox's hold stage for chat sinks:
//
//   - a muted route's chat sinks are still handed to the Outbox, and the
//     window's HoldCheck holds them back (outcome 'held', reason "window",
//     kept in the held table): the FIRING reaches chat with releasedFrom =
//     the interval once the window opens, if the incident still fires, and a
//     RESOLVED that comes first only ends the held row;
//   - a muted route's record sinks get nothing from it: a window on a route
//     to a record sink is the user's choice that it is not active then;
//   - a timer on the same clock notices each interval's edges (minute
//     resolution: times are HH:MM) and asks the Outbox to release what that
//     interval held.

import type { Clock } from '../model/clock.ts';
import type { HoldReason } from '../model/hold.ts';
import type { Logger } from '../model/logger.ts';
import type { Notification } from '../model/notification.ts';
import type { HoldCheck } from '../pipeline/hold.ts';
import type { CompiledTimeInterval } from '../rules/time-interval.ts';
import type { RouteMute, RoutingTable } from '../rules/types.ts';

export interface TimeWindows {
  /** the window's hold, for the Outbox's `holds` */
  hold: HoldCheck;
  /** the muted chat sinks to hand the Outbox besides the routed ones (so they are held, not lost) */
  heldSinks(n: Notification): string[];
  /** starts watching the intervals' edges; `release(name, now)` ends what one held */
  start(release: (interval: string, now: number) => void): void;
  stop(): void;
}

export interface TimeWindowDeps {
  clock: Clock;
  log?: Logger;
  /** the named intervals in force (they change with the config file) */
  intervals: () => ReadonlyMap<string, CompiledTimeInterval>;
  /** what routing decided for a notification it routed (RoutingHub.mutedFor) */
  mutedFor: (n: Notification) => Readonly<Record<string, RouteMute>> | undefined;
  /** the table in force, to route again a copy routing did not see (a released notification) */
  table: () => RoutingTable;
  /** whether a sink (by id) takes records (Elasticsearch, jsonl, webhook, console); unknown ids are not held */
  isRecords: (sink: string) => boolean | undefined;
}

const MINUTE = 60_000;

/** The hold reason of a window, in `routes test`'s words. */
export function windowReason(m: RouteMute): HoldReason {
  const route = m.route.slice(m.route.lastIndexOf('/') + 1);
  return { by: 'window', id: m.interval, text: `route ${route}: ${m.text}` };
}

export function createTimeWindows(deps: TimeWindowDeps): TimeWindows {
  const mutedOf = (n: Notification, now: number): Readonly<Record<string, RouteMute>> => deps.mutedFor(n) ?? deps.table().match(n, now).muted ?? {};
  let timer: unknown;
  let stopped = false;
  let last = new Map<string, boolean>();
  const tick = (release: (interval: string, now: number) => void): void => {
    timer = undefined;
    if (stopped) return;
    const now = deps.clock.now().getTime();
    const next = new Map<string, boolean>();
    for (const [name, i] of deps.intervals()) {
      const inside = i.contains(now);
      next.set(name, inside);
      // an edge either way ends what the interval held: held while inside (mute) or outside (active)
      if (last.has(name) && last.get(name) !== inside) {
        try {
          release(name, now);
        } catch (err) {
          deps.log?.error({ err: (err as Error).message, interval: name }, 'time windows: cannot release what the interval held');
        }
      }
    }
    last = next;
    // at the next whole minute (a little after, so the clock has passed it)
    timer = deps.clock.setTimeout(() => tick(release), MINUTE - (now % MINUTE) + 1);
  };
  return {
    hold(n, sink, now) {
      const m = mutedOf(n, now)[sink];
      return m ? windowReason(m) : undefined;
    },
    heldSinks(n) {
      const muted = deps.mutedFor(n);
      return muted ? Object.keys(muted).filter((s) => deps.isRecords(s) === false) : [];
    },
    start(release) {
      if (stopped || timer !== undefined) return;
      tick(release);
    },
    stop() {
      stopped = true;
      if (timer !== undefined) deps.clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
