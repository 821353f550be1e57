// The stop side of a process's components, as a stack. Whoever creates a
// component registers its stop right there; stop() runs them in reverse
// order of registration, each once, whether the start finished or failed
// midway, all within one grace deadline (controller-runtime's runnable
// groups are the model). A group is a place in the stack kept for stops
// registered later: servers that start last but must stop after the work
// they report on.
//
// Each stop is handed an AbortSignal that fires at the deadline, so one that
// can give up (the deliverer's sends in flight) does so. A stop still running
// at the deadline is cut: it is left running, named in the log and the
// report, and the stops below it still run (a synchronous one, such as
// closing a database, still completes).

import type { Logger } from '../model/logger.ts';

export interface StopReport {
  /** components whose stop was still running at the deadline */
  cut: string[];
  /** components whose stop threw or rejected */
  failed: string[];
}

export interface LifecycleOptions {
  log: Logger;
  /** how long stop() may take in all */
  graceMs: number;
}

type Deadline = { reached: Promise<void>; signal: AbortSignal };
type Stop = (signal: AbortSignal) => unknown;
type Entry = { name: string; run: (deadline: Deadline, report: StopReport) => Promise<void> };

const CUT = Symbol('cut');

export class Lifecycle {
  #o: LifecycleOptions;
  #entries: Entry[] = [];
  #stopping = false;
  #stopped: Promise<StopReport> | undefined;

  constructor(o: LifecycleOptions) {
    this.#o = o;
  }

  /** Registers a component's stop. Once stop() has begun, a late one is stopped at once. */
  add(name: string, stop: Stop): void {
    const entry: Entry = { name, run: (deadline, report) => this.#runOne(name, stop, deadline, report) };
    if (this.#stopping) void entry.run({ reached: new Promise<void>(() => {}), signal: new AbortController().signal }, { cut: [], failed: [] });
    else this.#entries.push(entry);
  }

  /** A place in the stack, here, for stops registered into it later; they stop in reverse order among themselves. */
  group(name: string): Lifecycle {
    const child = new Lifecycle(this.#o);
    if (this.#stopping) void child.stop();
    else this.#entries.push({ name, run: (deadline, report) => child.#stopAll(deadline, report) });
    return child;
  }

  /** Stops everything registered, last first, once; later calls return the same promise. */
  stop(): Promise<StopReport> {
    this.#stopped ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const abort = new AbortController();
      const reached = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          abort.abort(new Error(`stop: the grace period of ${this.#o.graceMs} ms is over`));
          resolve();
        }, this.#o.graceMs);
        timer.unref();
      });
      const report: StopReport = { cut: [], failed: [] };
      try {
        await this.#stopAll({ reached, signal: abort.signal }, report);
      } finally {
        clearTimeout(timer);
      }
      return report;
    })();
    return this.#stopped;
  }

  async #stopAll(deadline: Deadline, report: StopReport): Promise<void> {
    // taken out first: a stop that registers more (or a second stop()) cannot run any twice
    this.#stopping = true;
    const entries = this.#entries.splice(0).reverse();
    for (const e of entries) await e.run(deadline, report);
  }

  async #runOne(name: string, stop: Stop, deadline: Deadline, report: StopReport): Promise<void> {
    let done: Promise<unknown>;
    try {
      done = Promise.resolve(stop(deadline.signal));
    } catch (err) {
      done = Promise.reject(err);
    }
    // the stop's own outcome first: one that already finished wins over a deadline already past
    const outcome = await Promise.race([done.then(() => undefined), deadline.reached.then(() => CUT)]).catch((err: unknown) => err as Error);
    if (outcome === CUT) {
      report.cut.push(name);
      this.#o.log.warn({ component: name, graceMs: this.#o.graceMs }, 'stop still running at the grace deadline; left behind');
      // whenever it does end, a failure is still worth a line
      done.catch((err: Error) => this.#o.log.error({ component: name, err: err?.message }, 'stop failed after the grace deadline'));
    } else if (outcome !== undefined) {
      report.failed.push(name);
      this.#o.log.error({ component: name, err: outcome instanceof Error ? outcome.message : String(outcome) }, 'stop failed; stopping the rest');
    } else {
      this.#o.log.debug({ component: name }, 'stopped');
    }
  }
}
