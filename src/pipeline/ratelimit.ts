// Rate limits per target, consulted before every attempt. Each rule "count
// per perMs" is a bucket of `count` tokens in which every token taken comes
// back exactly perMs later (a sliding window). A bucket that refills
// continuously would allow up to twice `count` in some windows, and a
// platform such as DingTalk, which blocks a robot for ten minutes after 21
// messages in a minute, counts windows exactly. An empty bucket is not an
// error: wait() says when the next token frees, and the delivery waits.

import type { RateRule } from './config.ts';

class Bucket {
  /** when each of the last `count` tokens was taken, oldest first */
  #taken: number[] = [];
  readonly count: number;
  readonly perMs: number;

  constructor(count: number, perMs: number) {
    this.count = count;
    this.perMs = perMs;
  }

  wait(now: number): number {
    if (this.#taken.length < this.count) return 0;
    return Math.max(0, this.#taken[0] + this.perMs - now);
  }

  take(now: number): void {
    this.#taken.push(now);
    if (this.#taken.length > this.count) this.#taken.shift();
  }

  /** every token is back: the bucket can be forgotten */
  idle(now: number): boolean {
    return this.#taken.length === 0 || this.#taken[this.#taken.length - 1] + this.perMs <= now;
  }
}

export class RateLimiter {
  #rules: (sink: string) => RateRule[];
  #buckets = new Map<string, Bucket>();
  /** target (or sink) → the time a platform told us not to send before */
  #blocked = new Map<string, number>();
  #calls = 0;
  #patterns = new Map<string, RegExp>();

  constructor(rules: (sink: string) => RateRule[]) {
    this.#rules = rules;
  }

  #bucketsFor(sink: string, target: string): Bucket[] {
    const out: Bucket[] = [];
    this.#rules(sink).forEach((r, i) => {
      if (r.targets !== undefined && !this.#pattern(r.targets).test(target)) return;
      const key = r.scope === 'sink' ? `${i}\0${sink}` : `${i}\0${sink}\0${target}`;
      let b = this.#buckets.get(key);
      if (!b) this.#buckets.set(key, (b = new Bucket(r.count, r.perMs)));
      out.push(b);
    });
    return out;
  }

  #pattern(source: string): RegExp {
    let re = this.#patterns.get(source);
    if (!re) this.#patterns.set(source, (re = new RegExp(source)));
    return re;
  }

  /** ms until a send to this target is allowed (0: now). */
  wait(sink: string, target: string, now: number): number {
    let wait = Math.max(0, (this.#blocked.get(`${sink}\0${target}`) ?? 0) - now);
    for (const b of this.#bucketsFor(sink, target)) wait = Math.max(wait, b.wait(now));
    return wait;
  }

  /** Takes a token from every bucket the target is subject to; call only when wait() is 0. */
  take(sink: string, target: string, now: number): void {
    for (const b of this.#bucketsFor(sink, target)) b.take(now);
    if (++this.#calls % 1024 === 0) this.#sweep(now);
  }

  /** Nothing goes to this target before `until` (a platform's Retry-After). */
  block(sink: string, target: string, until: number): void {
    const key = `${sink}\0${target}`;
    if ((this.#blocked.get(key) ?? 0) < until) this.#blocked.set(key, until);
  }

  /** Buckets and blocks that no longer hold anything back, so memory follows the active targets only. */
  #sweep(now: number): void {
    for (const [k, b] of this.#buckets) if (b.idle(now)) this.#buckets.delete(k);
    for (const [k, until] of this.#blocked) if (until <= now) this.#blocked.delete(k);
  }
}
