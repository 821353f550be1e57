// The fault switch: the failures a real control plane produces under load or
// during upgrades, on demand, so every client path that handles them is
// exercised (watch EOF, 410 Gone, 429 with Retry-After, 5xx, slowness,
// watches that end at once with nothing in them).

export interface StatusFault {
  code: number;
  retryAfterSeconds?: number;
  /** how many more requests get it */
  remaining: number;
  /** only requests with these verbs (default: every resource request) */
  verbs?: string[];
}

export interface FaultOptions {
  /** added to every resource request, in ms */
  latencyMs?: number;
  /** close every open watch every N seconds (0 = never) */
  dropWatchesEverySeconds?: number;
  /** every watch of this resource (plural, or "*" for all) ends at once, empty: see emptyWatches() */
  emptyWatchesOf?: string;
}

type WatchCloser = (how: 'drop' | 'truncate') => void;

export class Faults {
  latencyMs = 0;
  #status: StatusFault[] = [];
  #expireWatches = 0;
  #truncateWatches = 0;
  /** resource (plural, or '*') → how many more watches end at once, empty */
  #emptyWatches = new Map<string, number>();
  #watches = new Set<WatchCloser>();
  #dropTimer: NodeJS.Timeout | undefined;

  constructor(opts: FaultOptions = {}) {
    this.set(opts);
  }

  set(opts: FaultOptions): void {
    if (opts.latencyMs !== undefined) this.latencyMs = opts.latencyMs;
    if (opts.dropWatchesEverySeconds !== undefined) this.dropWatchesEvery(opts.dropWatchesEverySeconds);
    if (opts.emptyWatchesOf) this.emptyWatches({ resource: opts.emptyWatchesOf });
  }

  /** The next `count` resource requests (optionally only these verbs) fail with `code`. */
  failNext(code: number, opts: { count?: number; retryAfterSeconds?: number; verbs?: string[] } = {}): void {
    this.#status.push({ code, remaining: opts.count ?? 1, retryAfterSeconds: opts.retryAfterSeconds, verbs: opts.verbs });
  }

  /** The next `count` watches are answered with a 410 Expired ERROR event. */
  expireNextWatch(count = 1): void {
    this.#expireWatches += count;
  }

  /** The next `count` watches are cut off in the middle of an event. */
  truncateNextWatch(count = 1): void {
    this.#truncateWatches += count;
  }

  /**
   * The next `count` watches (default: every one until clear()) of
   * `resource` (plural, e.g. "events"; default: any) are answered with a
   * 200 that ends at once with no events, not even a bookmark: what
   * kube-apiserver has done to Events watches. A client that simply
   * re-watches busy-loops on it.
   */
  emptyWatches(opts: { resource?: string; count?: number } = {}): void {
    const count = opts.count ?? Infinity;
    if (!(count > 0)) throw new Error(`emptyWatches: count must be positive, got ${count}`);
    this.#emptyWatches.set(opts.resource ?? '*', count);
  }

  /** Closes every open watch now, as an apiserver restart or a load balancer idle timeout does. */
  dropWatches(): number {
    const n = this.#watches.size;
    for (const close of [...this.#watches]) close('drop');
    return n;
  }

  dropWatchesEvery(seconds: number): void {
    if (this.#dropTimer) clearInterval(this.#dropTimer);
    this.#dropTimer = undefined;
    if (seconds > 0) {
      this.#dropTimer = setInterval(() => this.dropWatches(), seconds * 1000);
      this.#dropTimer.unref();
    }
  }

  clear(): void {
    this.latencyMs = 0;
    this.#status = [];
    this.#expireWatches = 0;
    this.#truncateWatches = 0;
    this.#emptyWatches.clear();
    this.dropWatchesEvery(0);
  }

  get openWatches(): number {
    return this.#watches.size;
  }

  // --- used by the server ---

  takeStatusFault(verb: string): StatusFault | undefined {
    const i = this.#status.findIndex((f) => !f.verbs || f.verbs.includes(verb));
    if (i < 0) return undefined;
    const f = this.#status[i];
    if (--f.remaining <= 0) this.#status.splice(i, 1);
    return f;
  }

  takeWatchExpiry(): boolean {
    if (this.#expireWatches <= 0) return false;
    this.#expireWatches--;
    return true;
  }

  takeEmptyWatch(resource: string): boolean {
    for (const k of [resource, '*']) {
      const left = this.#emptyWatches.get(k);
      if (left === undefined) continue;
      if (left <= 1) this.#emptyWatches.delete(k);
      else this.#emptyWatches.set(k, left - 1);
      return true;
    }
    return false;
  }

  takeWatchTruncation(): boolean {
    if (this.#truncateWatches <= 0) return false;
    this.#truncateWatches--;
    return true;
  }

  registerWatch(close: WatchCloser): () => void {
    this.#watches.add(close);
    return () => this.#watches.delete(close);
  }
}
