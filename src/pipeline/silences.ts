// Silences at work: a HoldCheck over the silences in force (cached, re-read
// only when the table changed), and their expiry on the pipeline's clock.
// When a silence ends — on time, by `expire` here, or expired by another
// process (the CLI) and noticed at the next refresh — `onEnded` is told, so
// the Outbox can release what it held.

import { randomBytes } from 'node:crypto';
import { compileSilence, type CompiledSilence, type Silence, silenceActive, silenceText } from '../rules/silence.ts';
import type { Store } from '../store/types.ts';
import type { Clock, Logger } from './clock.ts';
import type { HoldCheck } from './hold.ts';

/** A HoldCheck over a fixed list of silences (what `routes test` reads from the state database). */
export function silencesHold(silences: readonly Silence[], inInterval?: (name: string, now: number) => boolean): HoldCheck {
  const compiled = silences.map(compileSilence);
  return (n, _sink, now) => {
    for (const c of compiled) if (silenceActive(c.silence, now, inInterval) && c.matches(n)) return { by: 'silence', id: c.silence.id, text: silenceText(c.silence) };
    return undefined;
  };
}

export interface SilenceKeeperOptions {
  store: Store;
  clock: Clock;
  /** how often to look for silences another process added or expired (ms; default 5000) */
  refreshMs?: number;
  /** whether the named time interval holds at `now`; without it a silence's activeTimeIntervals are not consulted */
  inInterval?: (name: string, now: number) => boolean;
  /** a silence ended: release what it held */
  onEnded: (id: string, now: number) => void;
  log?: Logger;
}

export class SilenceKeeper {
  #o: SilenceKeeperOptions;
  #refreshMs: number;
  /** silences not ended, started or not */
  #open: CompiledSilence[] = [];
  #version: string | undefined;
  #timer: unknown;
  #running = false;

  constructor(opts: SilenceKeeperOptions) {
    this.#o = opts;
    this.#refreshMs = opts.refreshMs ?? 5000;
  }

  #hold: HoldCheck = () => undefined;

  /** The hold stage's check: the first silence in force that matches. */
  readonly check: HoldCheck = (n, sink, now) => this.#hold(n, sink, now);

  /** Silences in force now, as cached. */
  active(now = this.#o.clock.now().getTime()): Silence[] {
    return this.#open.filter((c) => silenceActive(c.silence, now, this.#o.inInterval)).map((c) => c.silence);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.refresh();
    // a silence expired by another process while this one was down: what it held is let go now
    const open = new Set(this.#open.map((c) => c.silence.id));
    const gone = new Set(this.#o.store.held.list().flatMap((r) => (r.by === 'silence' && !open.has(r.holderId) ? [r.holderId] : [])));
    const now = this.#o.clock.now().getTime();
    for (const id of gone) this.#o.onEnded(id, now);
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Adds a silence (already validated) and puts it in force at once. */
  add(s: Silence): void {
    this.#o.store.silences.add(s);
    this.refresh();
  }

  /** Ends a silence by hand; undefined when there is no such silence in force. What it held is released. */
  expire(id: string, by: string): Silence | undefined {
    const s = this.#o.store.silences.expire(id, this.#o.clock.now().getTime(), by);
    this.refresh();
    return s;
  }

  /**
   * Expires what ended, re-reads the table when it changed, tells onEnded of
   * every silence that ended since the last look, and sets the next timer.
   */
  refresh(): void {
    const now = this.#o.clock.now().getTime();
    const store = this.#o.store;
    const ended = new Set<string>();
    try {
      for (const s of store.silences.expireDue(now)) ended.add(s.id);
      const version = store.silences.version();
      if (version !== this.#version || ended.size > 0) {
        const open = store.silences.list({ now });
        const still = new Set(open.map((s) => s.id));
        for (const c of this.#open) if (!still.has(c.silence.id)) ended.add(c.silence.id);
        this.#open = open.map(compileSilence);
        this.#hold = silencesHold(open, this.#o.inInterval);
        // the version read before the list: a change another process makes after it is seen at the next refresh
        this.#version = version;
      }
    } catch (err) {
      this.#o.log?.error({ err: (err as Error).message }, 'cannot read silences from the state database; will try again');
    }
    for (const id of ended) {
      try {
        this.#o.onEnded(id, now);
      } catch (err) {
        this.#o.log?.error({ err: (err as Error).message, silence: id }, 'cannot release what a silence held; will try at its next end');
      }
    }
    this.#schedule(now);
  }

  #schedule(now: number): void {
    if (!this.#running) return;
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    let next = now + this.#refreshMs;
    try {
      const change = this.#o.store.silences.nextChangeAt(now);
      if (change !== undefined && change < next) next = change;
    } catch {
      // the refresh said so already
    }
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.refresh();
    }, Math.max(0, next - now));
  }
}

/** A new silence id: "s-" and 8 hex digits, short enough to type in chat. */
export function newSilenceId(): string {
  return `s-${randomBytes(4).toString('hex')}`;
}
