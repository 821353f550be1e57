// Re-applying a set of watched custom resources after they change (the
// ChatIdentity, ChatPolicy and Silence sources): changes within a debounce
// window become one run, runs never overlap, and a change during a run asks
// for exactly one more after it. The sources differ only in what a run does.

import type { ReflectorDelta } from './reflector.ts';

export interface SerialApplyOptions {
  apply: () => Promise<void>;
  /** a failed run: the source keeps what it had and says so */
  onError: (err: Error) => void;
  debounceMs?: number;
  /** runs are scheduled only once this holds (e.g. the watch exists) */
  ready?: () => boolean;
}

export class SerialApply {
  #o: SerialApplyOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(opts: SerialApplyOptions) {
    this.#o = opts;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** A run after the debounce window, unless one is already waiting. */
  schedule(): void {
    if (this.#stopped || this.#timer || this.#o.ready?.() === false) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.run();
    }, this.#o.debounceMs ?? 50);
  }

  /** A run now, or, while one is running, one more after it. */
  run(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#o
      .apply()
      .catch((err) => this.#o.onError(err as Error))
      .finally(() => {
        this.#running = undefined;
        if (this.#again && !this.#stopped) {
          this.#again = false;
          this.schedule();
        }
      });
    return this.#running;
  }

  /** No more runs; resolves once the current one is done. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** Resolves once nothing is scheduled or running. */
  async settled(): Promise<void> {
    while (this.#timer || this.#running) {
      if (this.#running) await this.#running;
      else await new Promise((r) => setTimeout(r, this.#o.debounceMs ?? 50));
    }
  }
}

/** A change of status alone (a source's own status writes among them): nothing a source applies changed. */
export function statusOnly(d: ReflectorDelta): boolean {
  return d.type === 'MODIFIED' && !!d.old && !!d.current && d.old.metadata.generation === d.current.metadata.generation && d.old.metadata.uid === d.current.metadata.uid;
}
