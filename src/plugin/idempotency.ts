// Which deliveries this plugin has already delivered, so a retry whose first
// answer was lost (a stream broke, the router timed out) is not shown twice:
// bounded, the oldest forgotten first. A repeat that arrives while the first
// attempt is still running shares its outcome instead of racing it.

export class DeliveryMemory<R> {
  readonly #max: number;
  readonly #delivered = new Set<string>();
  readonly #running = new Map<string, Promise<R>>();

  /** `max` delivered ids are remembered (default 50,000: minutes of traffic at the bench's rate). */
  constructor(max = 50_000) {
    this.#max = max;
  }

  /** Whether `id` was delivered (and is still remembered). */
  delivered(id: string): boolean {
    return this.#delivered.has(id);
  }

  /** The run in flight for `id`, if one is. */
  running(id: string): Promise<R> | undefined {
    return this.#running.get(id);
  }

  /**
   * Runs `fn` for `id` unless it is already running (then its promise is
   * returned); `isDelivered` says which results to remember.
   */
  run(id: string, fn: () => Promise<R>, isDelivered: (r: R) => boolean): Promise<R> {
    const running = this.#running.get(id);
    if (running) return running;
    // a function that throws before its first await still ends as a rejected run, never a stuck one
    const p = Promise.resolve().then(fn).then(
      (r) => {
        this.#running.delete(id);
        if (isDelivered(r)) this.#remember(id);
        return r;
      },
      (err: unknown) => {
        this.#running.delete(id);
        throw err;
      },
    );
    this.#running.set(id, p);
    return p;
  }

  get size(): number {
    return this.#delivered.size;
  }

  #remember(id: string): void {
    this.#delivered.add(id);
    // a Set iterates in insertion order: the first key is the oldest
    if (this.#delivered.size > this.#max) this.#delivered.delete(this.#delivered.values().next().value!);
  }
}
