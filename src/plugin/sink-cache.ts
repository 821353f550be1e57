// One running sink per distinct effective config: deliveries to the same
// channel share a client, its connections and its state (Slack threads,
// DingTalk's rate window), while the number of distinct configs a router can
// make the plugin keep is bounded. An evicted sink is closed once the sends
// that are using it have finished.

import type { Sink } from '../sinks/types.ts';

export interface RunningSink {
  sink: Sink;
  /** credential values the sink read, replaced in any message that leaves the plugin */
  secrets: readonly string[];
}

interface Entry {
  ready: Promise<RunningSink>;
  users: number;
  evicted: boolean;
  pinned: boolean;
}

export interface SinkCacheOptions {
  /** most unpinned sinks kept running (default 64) */
  max?: number;
  create: (key: string) => Promise<RunningSink>;
  /** a sink failed to close; the cache goes on */
  onCloseError?: (key: string, err: unknown) => void;
}

export class SinkCache {
  readonly #max: number;
  readonly #create: (key: string) => Promise<RunningSink>;
  readonly #onCloseError: (key: string, err: unknown) => void;
  // insertion order is recency: a use moves its entry to the end
  readonly #entries = new Map<string, Entry>();
  readonly #closing = new Set<Promise<void>>();

  constructor(opts: SinkCacheOptions) {
    this.#max = opts.max ?? 64;
    this.#create = opts.create;
    this.#onCloseError = opts.onCloseError ?? (() => undefined);
  }

  /** Creates the sink for `key` now and keeps it for the cache's life (the plugin's own config). */
  async pin(key: string): Promise<RunningSink> {
    const entry = this.#entry(key);
    entry.pinned = true;
    return entry.ready;
  }

  /** Runs `fn` with the sink for `key`, created on first use; the sink stays open until `fn` settles. */
  async use<T>(key: string, fn: (s: RunningSink) => Promise<T>): Promise<T> {
    const entry = this.#entry(key);
    entry.users++;
    try {
      return await fn(await entry.ready);
    } finally {
      entry.users--;
      if (entry.evicted && entry.users === 0) this.#close(key, entry);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Closes every sink (each waits for its own sends in flight). */
  async close(): Promise<void> {
    const entries = [...this.#entries];
    this.#entries.clear();
    for (const [key, entry] of entries) {
      entry.evicted = true;
      if (entry.users === 0) this.#close(key, entry);
    }
    // those still in use are closed by their last user; wait for every close started
    while (this.#closing.size > 0) await Promise.allSettled([...this.#closing]);
  }

  #entry(key: string): Entry {
    let entry = this.#entries.get(key);
    if (entry) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      return entry;
    }
    const ready = this.#create(key);
    entry = { ready, users: 0, evicted: false, pinned: false };
    const created = entry;
    // a sink that could not be created is not cached: the next delivery tries again
    ready.catch(() => {
      if (this.#entries.get(key) === created) this.#entries.delete(key);
    });
    this.#entries.set(key, entry);
    this.#evict();
    return entry;
  }

  #evict(): void {
    let unpinned = 0;
    for (const e of this.#entries.values()) if (!e.pinned) unpinned++;
    for (const [key, e] of this.#entries) {
      if (unpinned <= this.#max) break;
      if (e.pinned) continue;
      this.#entries.delete(key);
      unpinned--;
      e.evicted = true;
      if (e.users === 0) this.#close(key, e);
    }
  }

  #close(key: string, entry: Entry): void {
    const p = entry.ready
      .then(
        (s) => s.sink.close().catch((err: unknown) => this.#onCloseError(key, err)),
        // never created: nothing to close (the delivery that wanted it was told why)
        () => undefined,
      )
      .finally(() => this.#closing.delete(p));
    this.#closing.add(p);
  }
}
