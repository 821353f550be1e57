// An async iterable fed by push(): the request side of a long-lived gRPC
// stream (connect takes an AsyncIterable of requests). One consumer.
// Queued items are handed out without a fresh promise per item when the
// consumer lags, which is what keeps a busy stream cheap.

export class PushQueue<T> implements AsyncIterableIterator<T> {
  #items: T[] = [];
  #head = 0;
  #waiter: ((r: IteratorResult<T>) => void) | undefined;
  #failWaiter: ((err: unknown) => void) | undefined;
  #ended = false;
  #error: unknown = undefined;

  get ended(): boolean {
    return this.#ended;
  }

  /** Items pushed and not yet taken. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    if (this.#ended) return;
    const w = this.#waiter;
    if (w) {
      this.#waiter = this.#failWaiter = undefined;
      w({ value: item, done: false });
    } else {
      this.#items.push(item);
    }
  }

  /** No more items: the consumer finishes once it took what is queued. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#wake();
  }

  /** The consumer's next next() rejects with `err` once the queue is drained. */
  fail(err: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = err ?? new Error('queue failed');
    this.#wake();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head];
      this.#items[this.#head++] = undefined as T;
      // compact now and then instead of shift()ing every item
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) {
      return this.#error !== undefined ? Promise.reject(this.#error) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.#waiter = resolve;
      this.#failWaiter = reject;
    });
  }

  /** The consumer stopped (break or error): drop what is left. */
  return(): Promise<IteratorResult<T>> {
    this.#ended = true;
    this.#items = [];
    this.#head = 0;
    this.#wake();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** The consumer aborts (connect calls this): drop what is left and rethrow, as a generator without a catch would. */
  throw(err?: unknown): Promise<IteratorResult<T>> {
    void this.return();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #wake(): void {
    const w = this.#waiter;
    const f = this.#failWaiter;
    if (!w || !f) return;
    this.#waiter = this.#failWaiter = undefined;
    if (this.#error !== undefined) f(this.#error);
    else w({ value: undefined, done: true });
  }
}
