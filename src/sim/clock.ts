// The simulator's notion of "now". Scenarios span minutes of cluster time
// (back-off doubling, NotReady thresholds, progress deadlines), so tests run
// the clock faster than real time, or stop it and step it by hand.

interface Timer {
  id: number;
  due: number;
  fn: () => void;
}

export interface TimerHandle {
  readonly id: number;
}

export class SimClock {
  #speed: number;
  #virtualBase: number;
  #realBase: number;
  #timers: Timer[] = [];
  #nextId = 1;
  #wakeup: NodeJS.Timeout | undefined;
  /** while firing timers during advance(), time stands at the timer's due time */
  #frozenAt: number | undefined;
  #closed = false;

  /**
   * @param speed virtual milliseconds per real millisecond: 1 is real time,
   *   60 runs a minute per second, 0 stops the clock (only advance() moves it).
   */
  constructor(opts: { start?: Date; speed?: number } = {}) {
    this.#speed = opts.speed ?? 1;
    this.#virtualBase = (opts.start ?? new Date()).getTime();
    this.#realBase = performance.now();
  }

  get speed(): number {
    return this.#speed;
  }

  nowMs(): number {
    if (this.#frozenAt !== undefined) return this.#frozenAt;
    return Math.floor(this.#virtualBase + (performance.now() - this.#realBase) * this.#speed);
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  /** RFC 3339 with second precision, the form metav1.Time serializes to. */
  nowIso(): string {
    return isoSeconds(this.nowMs());
  }

  /** RFC 3339 with microseconds, the form metav1.MicroTime serializes to. */
  nowMicroIso(): string {
    return new Date(this.nowMs()).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  }

  setSpeed(speed: number): void {
    const now = this.nowMs();
    this.#virtualBase = now;
    this.#realBase = performance.now();
    this.#speed = speed;
    this.#schedule();
  }

  setTimeout(fn: () => void, virtualMs: number): TimerHandle {
    const timer = { id: this.#nextId++, due: this.nowMs() + Math.max(0, virtualMs), fn };
    this.#insert(timer);
    this.#schedule();
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const i = this.#timers.findIndex((t) => t.id === handle.id);
    if (i >= 0) this.#timers.splice(i, 1);
  }

  /** Number of timers waiting; lets tests assert a scenario has settled. */
  get pending(): number {
    return this.#timers.length;
  }

  /**
   * Moves virtual time forward by `ms`, firing every timer that falls due,
   * in order, each one seeing the clock at its own due time.
   */
  async advance(ms: number): Promise<void> {
    const target = this.nowMs() + ms;
    for (;;) {
      const next = this.#timers[0];
      if (!next || next.due > target) break;
      this.#timers.shift();
      this.#frozenAt = next.due;
      try {
        next.fn();
      } finally {
        this.#frozenAt = undefined;
      }
      this.#jumpTo(next.due);
      // let promise chains started by the timer settle before the next one
      await new Promise<void>((r) => setImmediate(r));
    }
    this.#jumpTo(target);
    this.#schedule();
  }

  close(): void {
    this.#closed = true;
    this.#timers = [];
    if (this.#wakeup) clearTimeout(this.#wakeup);
  }

  #jumpTo(virtual: number): void {
    if (virtual <= this.nowMs()) return;
    this.#virtualBase = virtual;
    this.#realBase = performance.now();
  }

  #insert(timer: Timer): void {
    let i = this.#timers.length;
    while (i > 0 && this.#timers[i - 1].due > timer.due) i--;
    this.#timers.splice(i, 0, timer);
  }

  #schedule(): void {
    if (this.#wakeup) clearTimeout(this.#wakeup);
    this.#wakeup = undefined;
    if (this.#closed || this.#speed <= 0 || this.#timers.length === 0) return;
    const wait = Math.max(0, (this.#timers[0].due - this.nowMs()) / this.#speed);
    this.#wakeup = setTimeout(() => this.#fireDue(), Math.min(wait, 2 ** 31 - 1));
    this.#wakeup.unref();
  }

  #fireDue(): void {
    const now = this.nowMs();
    while (this.#timers.length && this.#timers[0].due <= now) {
      const t = this.#timers.shift()!;
      try {
        t.fn();
      } catch (err) {
        // a failing controller step must not stop the clock for everyone else
        process.emitWarning(`sim clock timer failed: ${(err as Error).stack ?? err}`);
      }
    }
    this.#schedule();
  }
}

export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
