// Nothing missed while kubeherald was down: a heartbeat in the state
// database says when the process was last alive, and at the next start the
// listener's first list is read for what happened in between
// (detect/gap.ts). The heartbeat only moves on once that start's gap has
// been told and stored, so a crash during a start tells the gap again (the
// evidence keys make the repeat a dedup drop), never loses it.

import type { DetectorsConfig } from '../detect/config.ts';
import { gapNotifications, type GapKind } from '../detect/gap.ts';
import type { TrackerState } from '../detect/tracker.ts';
import type { Clock } from '../model/clock.ts';
import type { KubeObject } from '../model/kube.ts';
import type { Logger } from '../model/logger.ts';
import type { Notification } from '../model/notification.ts';
import type { HeartbeatRepo } from '../store/types.ts';

/** How often the heartbeat is written: a crash (no stop to beat at) makes the next gap start at most this much early. */
export const HEARTBEAT_INTERVAL_MS = 10_000;

export interface GapHookOptions {
  heartbeat: HeartbeatRepo;
  clock: Clock;
  cluster: string;
  detectors: DetectorsConfig;
  namespaceAllowed: (namespace: string) => boolean;
  /** the tracker state restored at start: incidents and edges the normal path tells */
  restored: TrackerState;
  /** incident keys open after the first list (FIRING, or pending) */
  openNow: () => Iterable<string>;
  log: Logger;
}

/**
 * The listener's afterFirstList hook for this start, or undefined on a
 * state that has never seen a heartbeat (a first start has no gap).
 */
export function gapHook(o: GapHookOptions): ((list: (kind: GapKind) => readonly KubeObject[]) => Notification[]) | undefined {
  const fromMs = o.heartbeat.lastSeen();
  const toMs = o.clock.now().getTime();
  if (fromMs === undefined || fromMs >= toMs) return undefined;
  const restored = new Set([...o.restored.incidents.map((i) => i.key), ...o.restored.edges.map(([key]) => key)]);
  return (list) => {
    const open = new Set(o.openNow());
    const window = { fromMs, toMs };
    const out = gapNotifications({ window, cluster: o.cluster, config: o.detectors, list, namespaceAllowed: o.namespaceAllowed, known: (k) => restored.has(k) || open.has(k) });
    o.log.info({ downFrom: new Date(fromMs).toISOString(), downUntil: new Date(toMs).toISOString(), notifications: out.length }, 'read what happened while kubeherald was down');
    return out;
  };
}

/** Beats now and every interval until stopped, and once more at the stop. */
export function startHeartbeat(o: { heartbeat: HeartbeatRepo; clock: Clock; log: Logger; intervalMs?: number }): { stop(): void } {
  let timer: unknown;
  let stopped = false;
  const beat = (): void => {
    try {
      o.heartbeat.beat(o.clock.now().getTime());
    } catch (err) {
      // a missed beat only widens the next gap: the deliveries matter more than failing here
      o.log.warn({ err: (err as Error).message }, 'could not record the heartbeat');
    }
  };
  const loop = (): void => {
    beat();
    if (!stopped) timer = o.clock.setTimeout(loop, o.intervalMs ?? HEARTBEAT_INTERVAL_MS);
  };
  loop();
  return {
    stop() {
      stopped = true;
      if (timer !== undefined) o.clock.clearTimeout(timer);
      beat();
    },
  };
}
