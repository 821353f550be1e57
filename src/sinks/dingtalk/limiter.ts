// DingTalk refuses a robot's 21st message within a minute (errcode 130101)
// and then every message for 10 minutes. This limiter keeps the sink under
// the limit on its own side: a send that would be one too many is refused
// here, with the time until a slot frees, and never reaches DingTalk. Pure
// bookkeeping on times the caller passes in.

export const WINDOW_MS = 60_000;
/** How long DingTalk refuses a robot that exceeded its limit. */
export const PENALTY_MS = 10 * 60_000;

export type Acquired = { ok: true } | { ok: false; retryAfterMs: number; penalized: boolean };

export class SendLimiter {
  readonly #max: number;
  #sent: number[] = [];
  #blockedUntil = 0;

  constructor(maxPerMinute: number) {
    this.#max = maxPerMinute;
  }

  /**
   * Takes a slot for a send now, or says how long until one frees. A request
   * counts once it is attempted, whatever its outcome: DingTalk counts what
   * reaches it, and a timed-out request may have.
   */
  tryAcquire(nowMs: number): Acquired {
    if (nowMs < this.#blockedUntil) return { ok: false, retryAfterMs: this.#blockedUntil - nowMs, penalized: true };
    // a sliding window: a slot frees exactly one minute after the send that took it
    while (this.#sent.length > 0 && this.#sent[0] <= nowMs - WINDOW_MS) this.#sent.shift();
    if (this.#sent.length >= this.#max) return { ok: false, retryAfterMs: this.#sent[0] + WINDOW_MS - nowMs, penalized: false };
    this.#sent.push(nowMs);
    return { ok: true };
  }

  /** DingTalk said 130101 anyway (another sender shares the robot, or a clock jumped): wait out its penalty before trying again. */
  penalize(nowMs: number): number {
    this.#blockedUntil = Math.max(this.#blockedUntil, nowMs + PENALTY_MS);
    return this.#blockedUntil - nowMs;
  }
}
