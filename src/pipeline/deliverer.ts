// The delivery workers: take pending deliveries from the outbox and hand them
// to their sinks, durably.
//
// - Queues: deliveries sharing (sink, ordering key) — one target, e.g. one
//   Slack channel — go one at a time in id order; a queue's next delivery
//   waits until the one before is delivered or dead, so a channel never sees
//   its messages out of order. Different queues run in parallel, up to the
//   sink's concurrency.
// - Runs: a queue's head is claimed with up to maxRun - 1 deliveries due
//   behind it (within the rate limits) in the same commit, and each is sent
//   as soon as the one before it was accepted, their outcomes recorded
//   together when the run ends (or by any pump meanwhile). One target is then bounded by its sink's answers
//   rather than by an fsync per delivery (issue 20: one webhook target took
//   ~160 deliveries/s, the disk's commit rate). A failure ends the run: what
//   was not sent stays pending behind the failed one. The store counts each
//   run delivery's attempt when its outcome is recorded; until then it is
//   pending there, and a crash sends it again, as it would an inflight row.
// - Before every attempt the target's rate limit is consulted; an empty
//   bucket schedules the attempt for when a token frees.
// - Failures follow retry.ts: backoff with full jitter, Retry-After exactly,
//   permanent errors and deliveries past their max age to dead letters.
// - When what a sink waited for is back (a plugin type had no healthy
//   instance and now has one), retryWaiting() cuts its deliveries' backoff
//   short; a Retry-After and the rate limits still hold.
// - Each pump is one transaction: the outcomes of finished sends, due group
//   messages and reminders, and the next claims commit together (one fsync
//   however many deliveries finished meanwhile), and a send starts only once
//   its claim is committed. A send the sink accepted just before a crash,
//   whose outcome was not yet committed, is sent again after the restart:
//   rows left inflight return to pending when the store opens.
//
// The store is the truth; memory holds only each queue's first row and what
// is being sent, and is rebuilt from the store if a transaction fails.

import type { Notification } from '../model/notification.ts';
import { type FailureReason, type Sink, SinkError, type SinkErrorKind } from '../contracts/sink.ts';
import type { DeliveryMeta, Store, Term } from '../store/types.ts';
import { type Clock, type Logger, realClock, silentLogger } from './clock.ts';
import type { DeliveryPolicies, SinkPolicy } from './config.ts';
import { summarizeGroup } from './keys.ts';
import type { HoldCheck } from './hold.ts';
import { Outbox } from './outbox.ts';
import { isStormGroup } from './storm.ts';
import { decodePayload } from './payload.ts';
import { RateLimiter } from './ratelimit.ts';
import { afterFailure, classify, expired, failureReason } from './retry.ts';

export interface DelivererOptions {
  store: Store;
  sinks: ReadonlyMap<string, Sink>;
  policy: DeliveryPolicies;
  clock?: Clock;
  /**
   * What times a send out (default realClock). A sink's answer takes physical
   * time however fast `clock` runs (the demo runs it 20× faster), so only
   * tests that step time hand their clock in here too.
   */
  sendTimer?: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  log?: Logger;
  /** uniform in [0, 1), for backoff jitter (default Math.random); tests pin it */
  random?: () => number;
  /** how often to look for deliveries another process added, e.g. `dlq replay` (default 1000 ms) */
  pollIntervalMs?: number;
  /** keys of incidents still firing (the tracker's), for repeat reminders; without it no reminders are sent */
  openIncidents?: () => Iterable<string>;
  /** what may hold a reminder back from chat (the Outbox's holds: silences, inhibition, time windows) */
  holds?: readonly HoldCheck[];
  /** after each attempt is recorded: for metrics */
  onAttempt?: (a: AttemptRecord) => void;
  /** deliveries of one queue claimed and sent one after another without a commit between them (default 16; 1 turns runs off) */
  maxRun?: number;
  /**
   * The leader's term, when several processes share the state: undefined
   * while this process does not lead (nothing is claimed, flushed or
   * reminded), and every claim is fenced by it (a term the store no longer
   * holds as current claims nothing). Runs are off: each delivery is claimed
   * under the term on its own.
   */
  term?: () => Term | undefined;
  /** a claim was refused because a newer term began: this process no longer leads */
  onFenced?: (term: Term) => void;
}

export interface AttemptRecord {
  id: number;
  sink: string;
  target: string;
  /** 1 for the first attempt */
  attempt: number;
  /** notifications in the delivery (a group has several) */
  members: number;
  outcome: 'delivered' | 'retry' | 'dead';
  /** false for a delivery dead-lettered without being tried (too old, sink gone) */
  attempted: boolean;
  /** how long the sink took */
  durationMs: number;
  /** queued → delivered, in clock time (delivered only) */
  latencyMs?: number;
  kind?: SinkErrorKind;
  /** why the attempt failed (auth, rate-limited, client, server, timeout, canceled, network) */
  reason?: FailureReason;
  error?: string;
  /** what the sink answered, when it said more than success or an error message */
  response?: string;
  retryAt?: number;
  deadReason?: string;
}

export interface DelivererStats {
  attempts: number;
  delivered: number;
  retried: number;
  dead: number;
  /** sends in flight now */
  sending: number;
}

interface Queue {
  sink: string;
  orderingKey: string;
  head: DeliveryMeta | undefined;
  /** its head is being sent, or its outcome not yet recorded */
  busy: boolean;
}

interface Completion {
  meta: DeliveryMeta;
  ok: boolean;
  err?: unknown;
  response: string | null;
  durationMs: number;
  /** abandoned because kubeherald is stopping: the delivery goes back to pending as it was */
  canceled?: boolean;
}

const RETRY_AFTER_STORE_ERROR_MS = 1000;
const MAX_RESPONSE_CHARS = 1000;

const queueKey = (sink: string, orderingKey: string): string => `${sink}\0${orderingKey}`;

function responseText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return s.length > MAX_RESPONSE_CHARS ? `${s.slice(0, MAX_RESPONSE_CHARS)}…` : s;
}

export class Deliverer {
  #store: Store;
  #sinks: ReadonlyMap<string, Sink>;
  #policies: DeliveryPolicies;
  #clock: Clock;
  #sendTimer: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  #log: Logger;
  #random: () => number;
  #pollMs: number;
  #openIncidents: (() => Iterable<string>) | undefined;
  #onAttempt: ((a: AttemptRecord) => void) | undefined;
  #outbox: Outbox;
  #limiter: RateLimiter;

  #queues = new Map<string, Queue>();
  #maxSeenId = 0;
  /** delivery id → sink, for sends started and not yet recorded */
  #sending = new Map<number, string>();
  #sendingBySink = new Map<string, number>();
  /** delivery id → abandons its send (stop's deadline) */
  #cancels = new Map<number, () => void>();
  #completions: Completion[] = [];
  #running = false;
  #pumpScheduled = false;
  #timer: unknown;
  #timerAt: number | undefined;
  #nextReminderAt: number | undefined;
  /** set while the store refused the last pump: outcomes wait for the retry timer */
  #storeFailed = false;
  #reminderCheckedAt = -Infinity;
  #waiters: (() => void)[] = [];
  #warnedSinks = new Set<string>();
  /** sinks whose deliveries waiting out a backoff are tried at the next pump */
  #retryNow: ((sink: string) => boolean)[] = [];
  #maxRun: number;
  #term: (() => Term | undefined) | undefined;
  #onFenced: ((term: Term) => void) | undefined;
  /** by queue key: a run's deliveries not sent yet, and how many of it are not recorded yet */
  #runs = new Map<string, { rest: DeliveryMeta[]; open: number }>();
  /** run deliveries claimed without markInflight: the store counts their attempt when the outcome is recorded */
  #unmarked = new Set<number>();
  readonly stats: DelivererStats = { attempts: 0, delivered: 0, retried: 0, dead: 0, sending: 0 };

  constructor(opts: DelivererOptions) {
    this.#store = opts.store;
    this.#sinks = opts.sinks;
    this.#policies = opts.policy;
    this.#clock = opts.clock ?? realClock;
    this.#sendTimer = opts.sendTimer ?? realClock;
    this.#log = opts.log ?? silentLogger;
    this.#random = opts.random ?? Math.random;
    this.#pollMs = opts.pollIntervalMs ?? 1000;
    this.#term = opts.term;
    this.#onFenced = opts.onFenced;
    this.#maxRun = opts.term ? 1 : Math.max(1, opts.maxRun ?? 16);
    this.#openIncidents = opts.openIncidents;
    this.#onAttempt = opts.onAttempt;
    this.#outbox = new Outbox({ store: opts.store, sinks: opts.sinks, policies: opts.policy, holds: opts.holds });
    this.#limiter = new RateLimiter((sink) => this.#policy(sink)?.rateLimits ?? []);
  }

  /** Starts delivering what the outbox holds, and whatever is added later (call wake() after adding). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#resync();
    this.#soon();
  }

  /** Something was enqueued: look now rather than at the next poll. */
  wake(): void {
    if (this.#running) this.#soon();
  }

  /**
   * What the matching sinks' failed deliveries waited for is back (a plugin
   * type has a healthy instance again): those waiting out a backoff are
   * tried now, in queue order, rather than at their scheduled retry. One the
   * platform told to wait (Retry-After) keeps waiting, and rate limits apply
   * as to any attempt. Only the in-memory schedule changes: after a restart
   * each waits for its stored time again.
   */
  retryWaiting(sinks: (sink: string) => boolean): void {
    if (!this.#running) return;
    this.#retryNow.push(sinks);
    this.#soon();
  }

  /**
   * Stops taking deliveries; resolves once every send in flight has finished
   * and its outcome is recorded. Does not close the store or the sinks.
   * When `signal` aborts (the shutdown's grace period is over) the sends
   * still in flight are aborted, and their deliveries go back to pending,
   * to be sent after the next start.
   */
  async stop(opts: { signal?: AbortSignal } = {}): Promise<void> {
    this.#running = false;
    this.#clearTimer();
    const cancel = (): void => {
      for (const c of [...this.#cancels.values()]) c();
    };
    if (opts.signal?.aborted) cancel();
    else opts.signal?.addEventListener('abort', cancel, { once: true });
    try {
      await this.#stopped();
    } finally {
      opts.signal?.removeEventListener('abort', cancel);
    }
  }

  async #stopped(): Promise<void> {
    for (;;) {
      if (this.#sending.size === 0 && this.#completions.length === 0 && !this.#pumpScheduled) return;
      const allAnswered = this.#sending.size === this.#completions.length;
      if (allAnswered && this.#storeFailed && !this.#pumpScheduled) {
        // one last try to record the outcomes; if the store still refuses, they are redone after the restart
        this.#pump();
        if (this.#storeFailed) {
          this.#log.warn({ deliveries: this.#completions.length }, 'stopping without recording some outcomes: those deliveries will be sent again');
          return;
        }
        continue;
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /**
   * Resolves when nothing is left to do at the clock's current time: no send
   * in flight, no outcome unrecorded, nothing due. For tests with a manual
   * clock: advance it, then await settled().
   */
  async settled(): Promise<void> {
    while (!this.#quiet()) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Nothing to do until a send in flight answers or a timer fires: no pump
   * scheduled, no outcome waiting to be recorded (sends may be in flight).
   */
  idle(): boolean {
    return !this.#pumpScheduled && (this.#completions.length === 0 || this.#storeFailed);
  }

  #quiet(): boolean {
    return this.idle() && this.#sending.size === this.#completions.length;
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  #policy(sink: string): SinkPolicy | undefined {
    if (!this.#sinks.has(sink)) return undefined;
    return this.#policies.forSink(sink);
  }

  #soon(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => this.#pump());
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = undefined;
  }

  #armTimer(at: number, now: number): void {
    // a timer due no later than needed can stay: firing early costs one idle pump, re-arming costs a timer per pump
    if (this.#timer !== undefined && this.#timerAt !== undefined && this.#timerAt <= at) return;
    this.#clearTimer();
    this.#timerAt = at;
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = undefined;
        this.#soon();
      },
      Math.max(0, at - now),
    );
  }

  /** Rebuilds the queues from the store: at start, and after a failed transaction. */
  #resync(): void {
    this.#queues.clear();
    const finished = new Set(this.#completions.map((c) => c.meta.id));
    for (const h of this.#store.outbox.queueHeads()) {
      this.#queues.set(queueKey(h.sink, h.orderingKey), { sink: h.sink, orderingKey: h.orderingKey, head: h, busy: this.#sending.has(h.id) || finished.has(h.id) });
    }
    this.#maxSeenId = this.#store.outbox.maxId();
  }

  #pump(): void {
    this.#pumpScheduled = false;
    const now = this.#clock.now().getTime();
    const done = this.#completions.splice(0);
    const records: AttemptRecord[] = [];
    let claims: { queue: Queue; meta: DeliveryMeta }[] = [];
    let wakeAt = Infinity;
    let groupAt: number | undefined;
    try {
      this.#store.transaction(() => {
        for (const c of done) records.push(this.#record(c, now));
        if (!this.#running) return;
        // not leading: what the leader does (claims, group flushes, reminders) is not ours to do
        if (this.#term && !this.#term()) return;
        this.#outbox.flushGroups(now);
        this.#remindIfDue(now);
        this.#discover();
        this.#cutBackoffs(now);
        const r = this.#claim(now, done, records);
        claims = r.claims;
        wakeAt = r.wakeAt;
        // read here, where a store that fails is handled: outside, its throw would escape the pump
        groupAt = this.#outbox.nextGroupFlushAt();
      });
    } catch (err) {
      // nothing of this pump happened: outcomes are recorded next time, claims were never sent
      this.#completions.unshift(...done);
      this.#storeFailed = true;
      // runs end: their sends in flight are recorded as single deliveries, the rest stays pending
      for (const run of this.#runs.values()) for (const r of run.rest) this.#unmarked.delete(r.id);
      this.#runs.clear();
      this.#log.error({ err: (err as Error).message }, 'the state database refused a delivery update; retrying');
      try {
        this.#resync();
      } catch {
        // the next pump resyncs again
      }
      if (this.#running) this.#armTimer(now + RETRY_AFTER_STORE_ERROR_MS, now);
      this.#notify();
      return;
    }
    this.#storeFailed = false;
    for (const c of done) this.#release(c.meta);
    for (const r of records) this.#report(r);
    for (const c of claims) this.#send(c.meta);
    if (this.#running) {
      const at = Math.min(wakeAt, groupAt ?? Infinity, this.#nextReminderAt ?? Infinity, now + this.#pollMs);
      this.#armTimer(at, now);
    }
    this.#notify();
  }

  #remindIfDue(now: number): void {
    if (!this.#openIncidents) return;
    // a new incident's reminder is due an interval after it was sent, never before the earliest known one,
    // so looking again once per poll is enough
    if (now - this.#reminderCheckedAt >= this.#pollMs) {
      this.#nextReminderAt = this.#outbox.nextReminderAt();
      this.#reminderCheckedAt = now;
    }
    if (this.#nextReminderAt === undefined || this.#nextReminderAt > now) return;
    const sent = this.#outbox.remind(this.#openIncidents(), now);
    if (sent) this.#log.info({ reminders: sent }, 'incidents still firing: reminders queued');
    this.#nextReminderAt = this.#outbox.nextReminderAt();
  }

  /** Queue heads of the sinks retryWaiting() named, waiting out a backoff (not a Retry-After), become due now. */
  #cutBackoffs(now: number): void {
    if (this.#retryNow.length === 0) return;
    const match = this.#retryNow.splice(0);
    let cut = 0;
    const sinks = new Set<string>();
    for (const q of this.#queues.values()) {
      const h = q.head;
      if (q.busy || !h || h.state !== 'pending' || h.attempts === 0 || h.nextAttemptAt <= now || !match.some((m) => m(q.sink))) continue;
      if (this.#toldToWait(h.id)) continue;
      q.head = { ...h, nextAttemptAt: now };
      cut++;
      sinks.add(q.sink);
    }
    if (cut) this.#log.info({ deliveries: cut, sinks: [...sinks] }, 'retrying deliveries now: what they waited for is back');
  }

  /** The last failure carried a Retry-After (recorded in the row's response as the deliverer classified it). */
  #toldToWait(id: number): boolean {
    const response = this.#store.outbox.get(id)?.lastResponse;
    if (!response) return false;
    try {
      return (JSON.parse(response) as { retryAfterMs?: unknown }).retryAfterMs !== undefined;
    } catch {
      return false;
    }
  }

  /** Pending rows added since the last look (by us, by enqueue, by another process) become queue heads where a queue has none. */
  #discover(): void {
    for (const row of this.#store.outbox.pendingAfter(this.#maxSeenId)) {
      this.#maxSeenId = Math.max(this.#maxSeenId, row.id);
      const key = queueKey(row.sink, row.orderingKey);
      const q = this.#queues.get(key);
      if (!q) this.#queues.set(key, { sink: row.sink, orderingKey: row.orderingKey, head: row, busy: false });
      else if (!q.head) q.head = row;
    }
  }

  #advance(q: Queue, afterId: number): void {
    q.busy = false;
    q.head = this.#store.outbox.nextInQueue(q.sink, q.orderingKey, afterId);
    if (!q.head) this.#queues.delete(queueKey(q.sink, q.orderingKey));
  }

  #record(c: Completion, now: number): AttemptRecord {
    const m = c.meta;
    const q = this.#queues.get(queueKey(m.sink, m.orderingKey)) ?? { sink: m.sink, orderingKey: m.orderingKey, head: m, busy: true };
    this.#queues.set(queueKey(m.sink, m.orderingKey), q);
    const base = { id: m.id, sink: m.sink, target: m.target, attempt: m.attempts, members: m.members, durationMs: c.durationMs, attempted: true };
    if (this.#unmarked.delete(m.id)) this.#store.outbox.markInflight(m.id, now);
    const runGoesOn = this.#recordedInRun(queueKey(m.sink, m.orderingKey));
    if (c.ok) {
      this.#store.outbox.markDelivered(m.id, now, c.response);
      // while its run goes on the queue stays busy: the next of it is being sent
      if (!runGoesOn) this.#advance(q, m.id);
      return { ...base, outcome: 'delivered', latencyMs: now - m.createdAt, ...(c.response !== null ? { response: c.response } : {}) };
    }
    const reason = failureReason(c.err);
    if (c.canceled) {
      // not the receiver's verdict: due again at once, with no backoff and no dead letter
      const cl = classify(c.err);
      this.#store.outbox.markRetry(m.id, now, now, cl.message, null);
      q.head = { ...m, state: 'pending', nextAttemptAt: now };
      q.busy = false;
      return { ...base, outcome: 'retry', kind: cl.kind, reason, error: cl.message, retryAt: now };
    }
    const p = this.#policy(m.sink);
    const decision = p ? afterFailure(c.err, m.attempts, m.createdAt, now, p, this.#random) : { action: 'dead' as const, reason: 'permanent' as const, classified: classify(c.err) };
    const cl = decision.classified;
    const response = c.response ?? JSON.stringify({ kind: cl.kind, ...(cl.retryAfterMs !== undefined ? { retryAfterMs: cl.retryAfterMs } : {}) });
    if (decision.action === 'retry') {
      this.#store.outbox.markRetry(m.id, now, decision.at, cl.message, response);
      // a platform's "not before" holds for the whole target, not only this delivery
      if (cl.kind === 'rate-limited' && cl.retryAfterMs !== undefined) this.#limiter.block(m.sink, m.target, decision.at);
      q.head = { ...m, state: 'pending', nextAttemptAt: decision.at };
      q.busy = false;
      return { ...base, outcome: 'retry', kind: cl.kind, reason, error: cl.message, retryAt: decision.at };
    }
    this.#store.outbox.markDead(m.id, now, decision.reason, cl.message, response);
    this.#advance(q, m.id);
    return { ...base, outcome: 'dead', kind: cl.kind, reason, error: cl.message, deadReason: decision.reason };
  }

  /** One of a run's deliveries was recorded: whether more of the run is still to come. */
  #recordedInRun(key: string): boolean {
    const run = this.#runs.get(key);
    if (!run) return false;
    run.open--;
    if (run.open > 0) return true;
    this.#runs.delete(key);
    return false;
  }

  /** Deliveries due right behind `head` in its queue, claimed with it (rate limits taken): the rest of its run. */
  #extendRun(q: Queue, head: DeliveryMeta, p: SinkPolicy, now: number): DeliveryMeta[] {
    const rest: DeliveryMeta[] = [];
    let last = head.id;
    while (rest.length < this.#maxRun - 1) {
      const next = this.#store.outbox.nextInQueue(q.sink, q.orderingKey, last);
      if (!next || next.nextAttemptAt > now || expired(next.createdAt, now, p.maxAgeMs) || this.#limiter.wait(q.sink, next.target, now) > 0) break;
      this.#limiter.take(q.sink, next.target, now);
      this.#unmarked.add(next.id);
      rest.push({ ...next, state: 'inflight', attempts: next.attempts + 1 });
      last = next.id;
    }
    if (rest.length) this.#runs.set(queueKey(q.sink, q.orderingKey), { rest, open: rest.length + 1 });
    return rest;
  }

  /** A run delivery answered: send the next of its run (true), or (failed, stopping, none left) leave the rest pending. */
  #continueRun(meta: DeliveryMeta, ok: boolean): boolean {
    const run = this.#runs.get(queueKey(meta.sink, meta.orderingKey));
    if (!run || run.rest.length === 0) return false;
    if (ok && this.#running && !this.#storeFailed) {
      this.#send(run.rest.shift()!);
      return true;
    }
    for (const r of run.rest) this.#unmarked.delete(r.id);
    run.open -= run.rest.length;
    run.rest = [];
    if (run.open <= 0) this.#runs.delete(queueKey(meta.sink, meta.orderingKey));
    return false;
  }

  #claim(now: number, done: Completion[], records: AttemptRecord[]): { claims: { queue: Queue; meta: DeliveryMeta }[]; wakeAt: number } {
    const claims: { queue: Queue; meta: DeliveryMeta }[] = [];
    let wakeAt = Infinity;
    const busy = new Map(this.#sendingBySink);
    for (const c of done) busy.set(c.meta.sink, (busy.get(c.meta.sink) ?? 1) - 1);
    for (const q of [...this.#queues.values()]) {
      if (q.busy || !q.head) continue;
      const p = this.#policy(q.sink);
      if (!p) {
        this.#deadUnknownSink(q, now, records);
        continue;
      }
      // what waited behind a blocked delivery may be past its max age by the time it is first
      while (q.head && expired(q.head.createdAt, now, p.maxAgeMs)) {
        const h = q.head;
        this.#store.outbox.markDead(h.id, now, 'expired', `not delivered within ${p.maxAgeMs / 1000} s`, null);
        records.push({ id: h.id, sink: h.sink, target: h.target, attempt: h.attempts, members: h.members, outcome: 'dead', attempted: false, durationMs: 0, deadReason: 'expired' });
        this.#advance(q, h.id);
      }
      const h = q.head;
      if (!h) continue;
      if (h.nextAttemptAt > now) {
        wakeAt = Math.min(wakeAt, h.nextAttemptAt);
        continue;
      }
      if ((busy.get(q.sink) ?? 0) >= p.concurrency) continue; // a finishing send pumps again
      const wait = this.#limiter.wait(q.sink, h.target, now);
      if (wait > 0) {
        wakeAt = Math.min(wakeAt, now + wait);
        continue;
      }
      const term = this.#term?.();
      if (this.#term && !term) break;
      if (!this.#store.outbox.markInflight(h.id, now, term)) {
        if (term && this.#store.outbox.get(h.id)?.state === 'pending') {
          // still pending, so the fence refused it: a newer leader's term began
          this.#log.error({ scope: term.scope, holder: term.holder, epoch: term.epoch }, 'a newer leader term began: this process claims nothing more');
          this.#onFenced?.(term);
          break;
        }
        // changed under us (another process's dlq purge, say): the queue goes on from what is pending
        this.#advance(q, h.id);
        continue;
      }
      this.#limiter.take(q.sink, h.target, now);
      q.busy = true;
      busy.set(q.sink, (busy.get(q.sink) ?? 0) + 1);
      claims.push({ queue: q, meta: { ...h, state: 'inflight', attempts: h.attempts + 1 } });
      if (this.#maxRun > 1) this.#extendRun(q, h, p, now);
    }
    return { claims, wakeAt };
  }

  /** A sink removed from the config: its deliveries become dead letters, replayable once it is back. */
  #deadUnknownSink(q: Queue, now: number, records: AttemptRecord[]): void {
    if (!this.#warnedSinks.has(q.sink)) {
      this.#warnedSinks.add(q.sink);
      this.#log.warn({ sink: q.sink }, 'deliveries for a sink that is no longer configured go to dead letters');
    }
    while (q.head) {
      const h = q.head;
      this.#store.outbox.markDead(h.id, now, 'no-such-sink', `sink "${q.sink}" is not configured`, null);
      records.push({ id: h.id, sink: h.sink, target: h.target, attempt: h.attempts, members: h.members, outcome: 'dead', attempted: false, durationMs: 0, deadReason: 'no-such-sink' });
      this.#advance(q, h.id);
    }
  }

  #release(m: DeliveryMeta): void {
    if (!this.#sending.delete(m.id)) return;
    this.#sendingBySink.set(m.sink, (this.#sendingBySink.get(m.sink) ?? 1) - 1);
    this.stats.sending = this.#sending.size;
  }

  #report(r: AttemptRecord): void {
    if (r.attempted) this.stats.attempts++;
    const fields = { id: r.id, sink: r.sink, target: r.target, attempt: r.attempt, ms: Math.round(r.durationMs * 10) / 10 };
    if (r.outcome === 'delivered') {
      this.stats.delivered++;
      // at debug: at thousands a second, info would be the busiest thing kubeherald does
      this.#log.debug({ ...fields, members: r.members, latencyMs: r.latencyMs, ...(r.response !== undefined ? { response: r.response } : {}) }, 'delivered');
    } else if (r.outcome === 'retry') {
      this.stats.retried++;
      this.#log.warn({ ...fields, kind: r.kind, err: r.error, retryInMs: r.retryAt! - this.#clock.now().getTime() }, 'delivery failed; will retry');
    } else {
      this.stats.dead++;
      this.#log.error({ ...fields, kind: r.kind, err: r.error, reason: r.deadReason }, 'delivery dead-lettered');
    }
    this.#onAttempt?.(r);
  }

  #send(meta: DeliveryMeta): void {
    this.#sending.set(meta.id, meta.sink);
    this.#sendingBySink.set(meta.sink, (this.#sendingBySink.get(meta.sink) ?? 0) + 1);
    this.stats.sending = this.#sending.size;
    const t0 = performance.now();
    let canceled = false;
    const finish = (ok: boolean, value: unknown): void => {
      const c: Completion = { meta, ok, durationMs: performance.now() - t0, response: ok ? responseText(value) : null };
      if (!ok) c.err = value;
      if (canceled) c.canceled = true;
      this.#completions.push(c);
      // while its run goes on, its outcome waits for the pump at the run's end (or any other): one commit a run
      if (this.#continueRun(meta, ok)) return;
      // after a refusal the retry timer records it; when stopping, stop() drives the pumps
      if (!this.#storeFailed) this.#soon();
      else this.#notify();
    };
    // A send given up on (no answer in time, or stopping) is answered at once with our error, and
    // its signal aborted so the sink's request ends: its retry cannot run beside it.
    const controller = new AbortController();
    let abandoned!: (err: SinkError) => void;
    const gaveUp = new Promise<never>((_, reject) => (abandoned = reject));
    const abandon = (err: SinkError, cause: DOMException): void => {
      abandoned(err);
      controller.abort(cause);
    };
    this.#cancels.set(meta.id, () => {
      canceled = true;
      abandon(new SinkError(`send to sink "${meta.sink}" canceled: kubeherald is stopping`, { kind: 'retryable', reason: 'canceled' }), new DOMException('kubeherald is stopping', 'AbortError'));
    });
    const p = this.#policy(meta.sink)!;
    const timer = this.#sendTimer.setTimeout(() => {
      const why = `no answer from sink "${meta.sink}" within ${p.sendTimeoutMs / 1000} s`;
      abandon(new SinkError(why, { kind: 'retryable', reason: 'timeout' }), new DOMException(why, 'TimeoutError'));
    }, p.sendTimeoutMs);
    let attempt: Promise<unknown>;
    try {
      attempt = this.#attempt(meta, controller.signal);
    } catch (err) {
      attempt = Promise.reject(err);
    }
    const settle = (): void => {
      this.#sendTimer.clearTimeout(timer);
      this.#cancels.delete(meta.id);
    };
    Promise.race([attempt, gaveUp]).then(
      (v) => {
        settle();
        finish(true, v);
      },
      (err: unknown) => {
        settle();
        finish(false, err);
      },
    );
  }

  /** One attempt: the row's notifications to the sink, as one message. */
  #attempt(meta: DeliveryMeta, signal: AbortSignal): Promise<unknown> {
    const row = this.#store.outbox.get(meta.id);
    if (!row) throw new SinkError(`delivery ${meta.id} vanished from the outbox`, { kind: 'permanent' });
    const sink = this.#sinks.get(meta.sink)!;
    let ns: Notification[];
    try {
      ns = decodePayload(row.payload, row.groupKey !== null);
    } catch (err) {
      throw new SinkError(`delivery ${meta.id}: unreadable notification in the state database: ${(err as Error).message}`, { kind: 'permanent', cause: err });
    }
    // a storm digest is one notification but a group message all the same: its updates edit it in place
    if (ns.length === 1 && !isStormGroup(row.groupKey)) return sink.send(ns[0], { signal });
    if (sink.sendGroup) return sink.sendGroup(ns, { key: row.groupKey ?? '', update: row.groupUpdate ?? 0, ...(isStormGroup(row.groupKey) ? { replace: true } : {}) }, { signal });
    return sink.send(summarizeGroup(ns), { signal });
  }
}
