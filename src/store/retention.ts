// Retention on a schedule: what retention allows is deleted every interval,
// so the state file stays bounded however long kubeherald runs.

import type { PruneCounts, RetentionPolicy, Store } from './types.ts';
import type { Logger } from '../model/logger.ts';

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
