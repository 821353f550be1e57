// Retention on a schedule: what retention allows is deleted every interval,
// so the state file stays bounded however long kubeherald runs.

import type { OutboxRepo, PruneCounts, RetentionPolicy, Store } from './types.ts';
import type { Logger } from '../model/logger.ts';

/** What pruneRows deletes from: a store whose outbox can drop dead letters by age. */
export type PrunableStore = Pick<Store, 'dedup' | 'flood' | 'groups' | 'reminders' | 'threads' | 'audit' | 'requests' | 'alertButtons'> & {
  outbox: OutboxRepo & { deleteDeadBefore(before: number): number };
};

/** Deletes what retention allows, table by table (the caller makes it one transaction); both backends' prune. */
export function pruneRows(s: PrunableStore, now: number, policy: RetentionPolicy): PruneCounts {
  return {
    delivered: s.outbox.deleteDelivered(now - policy.deliveredMs),
    dead: policy.deadMs > 0 ? s.outbox.deleteDeadBefore(now - policy.deadMs) : 0,
    dedup: s.dedup.deleteBefore(now - policy.dedupMs),
    flood: s.flood.deleteExpired(now, now - policy.dedupMs),
    groups: s.groups.deleteExpired(now),
    // an incident still firing is re-sent (and re-stamped) every repeat interval, so only the forgotten get this old
    reminders: s.reminders.deleteBefore(now - policy.dedupMs),
    threads: s.threads.deleteBefore(now - policy.threadsMs),
    audit: policy.auditMs > 0 ? s.audit.deleteBefore(now - policy.auditMs) : 0,
    // only final requests go: one still awaiting or executing is kept whatever its age
    requests: policy.requestsMs > 0 ? s.requests.deleteBefore(now - policy.requestsMs) : 0,
    // kept a week past expiry so a late press hears "too old" rather than "unknown button"
    alertButtons: s.alertButtons.deleteExpired(now - 7 * 86_400_000),
  };
}

export interface PrunerClock {
  now(): Date;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface PrunerOptions {
  store: Store;
  policy: RetentionPolicy;
  intervalMs: number;
  clock: PrunerClock;
  log: Logger;
  /** after each run, e.g. to update a size metric */
  onPruned?: (counts: PruneCounts, sizeBytes: number) => void;
}

export class Pruner {
  #o: PrunerOptions;
  #timer: unknown;
  #running = false;

  constructor(opts: PrunerOptions) {
    this.#o = opts;
  }

  /** Prunes now, then every interval. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#tick();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  runOnce(): PruneCounts {
    const { store, policy, log } = this.#o;
    const t0 = performance.now();
    const counts = store.prune(this.#o.clock.now().getTime(), policy);
    const sizeBytes = store.sizeBytes();
    const removed = Object.values(counts).reduce((a, b) => a + b, 0);
    if (removed > 0) log.info({ ...counts, sizeBytes, ms: Math.round(performance.now() - t0) }, 'state database pruned');
    this.#o.onPruned?.(counts, sizeBytes);
    return counts;
  }

  #tick(): void {
    if (!this.#running) return;
    try {
      this.runOnce();
    } catch (err) {
      // a busy or full disk now may be fine at the next interval
      this.#o.log.error({ err: (err as Error).message }, 'pruning the state database failed');
    }
    this.#timer = this.#o.clock.setTimeout(() => this.#tick(), this.#o.intervalMs);
  }
}
