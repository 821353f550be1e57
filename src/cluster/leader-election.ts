// Leader election on a coordination.k8s.io/v1 Lease, with client-go's
// semantics (tools/leaderelection + resourcelock.LeaseLock), so replicas of
// kubeherald and `kubectl get lease` read the record the way every Kubernetes
// controller writes it.
//
// Two clocks, on purpose. Whether another holder's lease has expired is judged
// by when WE last saw its record change, on our own monotonic clock, plus its
// leaseDurationSeconds: never by comparing its renewTime with our wall clock,
// which may be skewed. Whether WE still lead is judged from when we SENT the
// last write that succeeded: a standby can only have observed that write after
// it was sent, so it waits at least leaseDuration from then, and we step down
// renewDeadline (< leaseDuration) from then. A process paused past its
// deadline (SIGSTOP, a long GC) answers isLeader() false the moment it runs
// again, before any timer of ours has had a chance to fire.

import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../model/logger.ts';
import { JITTER_FACTOR, type LeaderElectionSettings, timingProblems } from './leader-election-config.ts';

/** The Lease's spec as client-go's LeaderElectionRecord holds it. */
export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions: number;
}

/** Milliseconds on a clock that never goes back (performance.now()); tests move it by hand. */
export interface MonotonicClock {
  now(): number;
}

export interface LeaderTransition {
  kind: 'started-leading' | 'stopped-leading' | 'new-leader';
  /** who leads after it ('' when nobody does) */
  leader: string;
  transitions: number;
  at: Date;
  reason?: string;
}

/** The Lease, who we are and the timings (resolved from the config: leader-election-config.ts), plus what a running elector needs. */
export interface LeaderElectorOptions extends LeaderElectionSettings {
  log: Logger;
  clock?: MonotonicClock;
  /** the times written into the Lease (acquireTime, renewTime): wall clock by default */
  wallClock?: () => Date;
  /** each API call's timeout; default renewDeadline / 2, never more than the renew deadline */
  callTimeoutMs?: number;
  /** a term begins: `transitions` is the Lease's leaseTransitions as written by this acquisition */
  onStartedLeading(info: { transitions: number }): void;
  /** the term ended (renew deadline passed, or stop()); stop() awaits a returned promise before releasing */
  onStoppedLeading(): void | Promise<void>;
  /** the observed holder changed (ourselves included) */
  onNewLeader?(identity: string): void;
  /** added to the pause before each acquire attempt while not leading, read at each (several Leases spread across replicas) */
  acquireDelayMs?: () => number;
}

/** RFC 3339 with microseconds, as metav1.MicroTime is written. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function recordOf(lease: k8s.V1Lease): LeaseRecord {
  const s = lease.spec ?? {};
  // client-node hands MicroTime fields back as the strings they were
  const time = (v: unknown): string | undefined => (v instanceof Date ? microTime(v) : typeof v === 'string' ? v : undefined);
  return {
    holderIdentity: s.holderIdentity ?? '',
    leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
    acquireTime: time(s.acquireTime),
    renewTime: time(s.renewTime),
    leaseTransitions: s.leaseTransitions ?? 0,
  };
}

function specOf(r: LeaseRecord): k8s.V1LeaseSpec {
  // client-node types MicroTime as a Date subclass but serializes whatever it is given: the string keeps our microseconds
  return {
    holderIdentity: r.holderIdentity,
    leaseDurationSeconds: r.leaseDurationSeconds,
    acquireTime: r.acquireTime as unknown as k8s.V1MicroTime,
    renewTime: r.renewTime as unknown as k8s.V1MicroTime,
    leaseTransitions: r.leaseTransitions,
  };
}

function statusOf(err: unknown): number | undefined {
  return err instanceof k8s.ApiException ? err.code : undefined;
}

/** What went wrong, in one line: the API's own message, never the request (it carries the credentials). */
function describe(err: unknown): string {
  if (err instanceof k8s.ApiException) {
    // the body is the metav1.Status the server sent, as text
    let msg = '';
    try {
      const status = JSON.parse(String(err.body)) as { message?: unknown };
      if (typeof status.message === 'string') msg = status.message;
    } catch {
      msg = String(err.body ?? '').slice(0, 200);
    }
    return `HTTP ${err.code}${msg ? `: ${msg}` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** The AbortSignal on one call: the generated client takes it through a middleware, having no parameter for it. */
function withSignal(signal: AbortSignal): k8s.ConfigurationOptions {
  const pre = (ctx: k8s.RequestContext): k8s.Observable<k8s.RequestContext> => {
    ctx.setSignal(signal);
    return new k8s.Observable(Promise.resolve(ctx));
  };
  return { middleware: [{ pre, post: (res) => new k8s.Observable(Promise.resolve(res)) }], middlewareMergeStrategy: 'append' };
}

/** Resolves after `ms`, or at once when `signal` aborts; never rejects. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    t.unref();
    signal.addEventListener('abort', done, { once: true });
  });
}

const monotonic: MonotonicClock = { now: () => performance.now() };

export class LeaderElector {
  readonly lease: string;
  readonly identity: string;
  #o: LeaderElectorOptions;
  #api: k8s.CoordinationV1Api;
  #clock: MonotonicClock;
  #wall: () => Date;
  #callTimeoutMs: number;
  #log: Logger;

  /** the Lease as last read or written: its resourceVersion makes our writes conditional */
  #lease: k8s.V1Lease | undefined;
  #observed: LeaseRecord | undefined;
  #observedRaw = '';
  /** monotonic ms at which #observed last changed */
  #observedAt = 0;
  #reportedLeader: string | undefined;

  #leading = false;
  /** monotonic ms at which the last successful acquire or renew was sent */
  #renewedAt = 0;
  #deadline: NodeJS.Timeout | undefined;
  /** aborted when the current term ends: its in-flight call and its pause */
  #term: AbortController | undefined;

  #stopping = new AbortController();
  #loop: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;
  #lastTransition: LeaderTransition | undefined;

  constructor(opts: LeaderElectorOptions) {
    const problems = timingProblems(opts);
    if (problems.length) throw new Error(`leader election: ${problems.map((p) => `${p.key}Ms ${p.message}`).join('; ')}`);
    for (const key of ['namespace', 'name', 'identity'] as const) {
      if (!opts[key]) throw new Error(`leader election: ${key} must not be empty`);
    }
    if (opts.callTimeoutMs !== undefined && !(opts.callTimeoutMs > 0)) throw new Error(`leader election: callTimeoutMs must be greater than zero, got ${opts.callTimeoutMs}`);
    this.#o = opts;
    this.lease = `${opts.namespace}/${opts.name}`;
    this.identity = opts.identity;
    this.#api = opts.kc.makeApiClient(k8s.CoordinationV1Api);
    this.#clock = opts.clock ?? monotonic;
    this.#wall = opts.wallClock ?? (() => new Date());
    this.#callTimeoutMs = Math.min(opts.callTimeoutMs ?? opts.renewDeadlineMs / 2, opts.renewDeadlineMs);
    this.#log = opts.log.child({ lease: this.lease, identity: opts.identity });
  }

  /** Starts trying to acquire the Lease, in the background; once. */
  start(): void {
    if (this.#loop || this.#stopping.signal.aborted) return;
    this.#loop = this.#run().catch((err: unknown) => this.#log.error({ err: describe(err) }, 'leader election stopped on an unexpected error'));
  }

  /**
   * True while this process leads and its last successful renew was sent
   * less than renewDeadline ago on the monotonic clock: false at once
   * after a pause past the deadline, whatever the timers have done.
   */
  isLeader(now = this.#clock.now()): boolean {
    return this.#leading && now - this.#renewedAt < this.#o.renewDeadlineMs;
  }

  /** The holder last observed in the Lease ('' when released, undefined before the first read). */
  get leader(): string | undefined {
    return this.#observed?.holderIdentity;
  }

  /** The last change seen: became leader, lost leadership or another leader observed (for probes). */
  get lastTransition(): LeaderTransition | undefined {
    return this.#lastTransition;
  }

  /**
   * Stops trying. If leading, ends the term (awaiting onStoppedLeading)
   * and releases the Lease, as client-go's ReleaseOnCancel does, so a
   * standby takes over within its retry period instead of the lease
   * duration; `release: false` leaves it to expire (a crash, in tests).
   * Never throws: an unreachable API is logged.
   */
  stop(opts: { release?: boolean } = {}): Promise<void> {
    this.#stopped ??= this.#shutdown(opts.release ?? true);
    return this.#stopped;
  }

  async #shutdown(release: boolean): Promise<void> {
    this.#stopping.abort();
    await this.#loop;
    if (this.#leading) {
      const ended = this.#endTerm('stopped');
      try {
        await ended;
      } catch (err) {
        this.#log.error({ err: describe(err) }, 'onStoppedLeading failed');
      }
    }
    if (release) await this.#release();
  }

  async #run(): Promise<void> {
    const stopping = this.#stopping.signal;
    while (!stopping.aborted) {
      // a candidate told to hold back waits before its first try too
      const first = Math.max(0, this.#o.acquireDelayMs?.() ?? 0);
      if (first > 0) await pause(first, stopping);
      // acquire: jittered as client-go's JitterUntil, so standbys do not retry in step
      while (!stopping.aborted && !(await this.#tryAcquireOrRenew(stopping))) {
        await pause(this.#o.retryPeriodMs * (1 + Math.random() * JITTER_FACTOR) + Math.max(0, this.#o.acquireDelayMs?.() ?? 0), stopping);
      }
      if (stopping.aborted) return;
      const term = this.#beginTerm();
      // renew every retry period until the deadline timer ends the term (or stop() does)
      while (!term.aborted) {
        await pause(this.#o.retryPeriodMs, term);
        if (term.aborted) break;
        if (await this.#tryAcquireOrRenew(term)) continue;
        // someone else holds it now: nothing left to wait for (client-go would wait out the deadline)
        const holder = this.#observed?.holderIdentity;
        if (!term.aborted && this.#leading && holder !== this.identity) {
          this.#endTerm(`the Lease is held by ${holder}`).catch((err: unknown) => this.#log.error({ err: describe(err) }, 'onStoppedLeading failed'));
        }
      }
    }
  }

  #beginTerm(): AbortSignal {
    this.#term = new AbortController();
    this.#leading = true;
    const transitions = this.#observed?.leaseTransitions ?? 0;
    this.#transition({ kind: 'started-leading', leader: this.identity, transitions, at: this.#wall() }, 'became leader');
    this.#armDeadline();
    try {
      this.#o.onStartedLeading({ transitions });
    } catch (err) {
      // the term stands: the caller's bug must not leave a leader that no longer renews
      this.#log.error({ err: describe(err) }, 'onStartedLeading failed');
    }
    return AbortSignal.any([this.#term.signal, this.#stopping.signal]);
  }

  /** Ends the current term: no more renewals in it, onStoppedLeading called (its promise returned). */
  #endTerm(reason: string): Promise<void> {
    clearTimeout(this.#deadline);
    this.#leading = false;
    this.#term?.abort();
    const holder = this.#observed?.holderIdentity ?? '';
    this.#transition({ kind: 'stopped-leading', leader: holder === this.identity ? '' : holder, transitions: this.#observed?.leaseTransitions ?? 0, at: this.#wall(), reason }, 'lost leadership');
    return Promise.resolve().then(() => this.#o.onStoppedLeading());
  }

  #armDeadline(): void {
    clearTimeout(this.#deadline);
    const left = this.#renewedAt + this.#o.renewDeadlineMs - this.#clock.now();
    this.#deadline = setTimeout(() => {
      if (!this.#leading) return;
      // a renew that succeeded while this timer waited has re-armed it; the clock decides
      if (this.isLeader()) return this.#armDeadline();
      this.#endTerm(`no successful renew within the renew deadline (${this.#o.renewDeadlineMs / 1000} s)`).catch((err: unknown) =>
        this.#log.error({ err: describe(err) }, 'onStoppedLeading failed'),
      );
    }, Math.max(0, left));
    this.#deadline.unref();
  }

  #transition(t: LeaderTransition, msg: string): void {
    this.#lastTransition = t;
    this.#log.info({ leader: t.leader, transitions: t.transitions, ...(t.reason ? { reason: t.reason } : {}) }, msg);
  }

  /** Per call: the caller's signal, and a timeout so a hung connection cannot outlive the term. */
  #callSignal(signal: AbortSignal): AbortSignal {
    return AbortSignal.any([signal, AbortSignal.timeout(this.#callTimeoutMs)]);
  }

  #isLeaseValid(now: number): boolean {
    return this.#observedAt + (this.#observed?.leaseDurationSeconds ?? 0) * 1000 > now;
  }

  /** Whether the last observed holder is us (client-go's IsLeader, which ignores time). */
  #holding(): boolean {
    return this.#observed?.holderIdentity === this.identity;
  }

  #setObserved(r: LeaseRecord, raw?: string): void {
    this.#observed = r;
    this.#observedRaw = raw ?? JSON.stringify(r);
    this.#observedAt = this.#clock.now();
    if (r.holderIdentity === this.#reportedLeader) return;
    this.#reportedLeader = r.holderIdentity;
    if (!r.holderIdentity) return;
    if (r.holderIdentity !== this.identity) this.#transition({ kind: 'new-leader', leader: r.holderIdentity, transitions: r.leaseTransitions, at: this.#wall() }, 'new leader observed');
    try {
      this.#o.onNewLeader?.(r.holderIdentity);
    } catch (err) {
      this.#log.error({ err: describe(err) }, 'onNewLeader failed');
    }
  }

  /** The write succeeded: remember what we wrote and, when leading, move the deadline. */
  #wrote(lease: k8s.V1Lease, record: LeaseRecord, sentAt: number): void {
    this.#lease = lease;
    this.#setObserved(record);
    this.#renewedAt = sentAt;
    if (this.#leading) this.#armDeadline();
  }

  /** One attempt, as client-go's tryAcquireOrRenew: true when we hold the Lease afterwards. */
  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const sentAt = this.#clock.now();
    const nowIso = microTime(this.#wall());
    const record: LeaseRecord = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.#o.leaseDurationMs / 1000),
      acquireTime: nowIso,
      renewTime: nowIso,
      leaseTransitions: 0,
    };

    // 1. the leader's fast path: assume the Lease is as we last wrote it
    if (this.#holding() && this.#isLeaseValid(sentAt) && this.#lease) {
      const mine = { ...record, acquireTime: this.#observed!.acquireTime, leaseTransitions: this.#observed!.leaseTransitions };
      try {
        this.#wrote(await this.#replace(mine, signal), mine, sentAt);
        return true;
      } catch (err) {
        if (signal.aborted) return false;
        this.#log.debug({ err: describe(err) }, 'renewing the lease failed, reading it again');
      }
    }

    // 2. read it, or create it
    let current: k8s.V1Lease;
    try {
      current = await this.#api.readNamespacedLease({ name: this.#o.name, namespace: this.#o.namespace }, withSignal(this.#callSignal(signal)));
    } catch (err) {
      if (signal.aborted) return false;
      if (statusOf(err) !== 404) {
        this.#log.warn({ err: describe(err) }, 'reading the lease failed');
        return false;
      }
      const first = { ...record, leaseTransitions: 0 };
      try {
        const body: k8s.V1Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.#o.name, namespace: this.#o.namespace }, spec: specOf(first) };
        const created = await this.#api.createNamespacedLease({ namespace: this.#o.namespace, body }, withSignal(this.#callSignal(signal)));
        this.#wrote(created, first, sentAt);
        return true;
      } catch (createErr) {
        // 409: another candidate created it first; the next attempt reads theirs
        if (!signal.aborted) this.#log[statusOf(createErr) === 409 ? 'debug' : 'warn']({ err: describe(createErr) }, 'creating the lease failed');
        return false;
      }
    }
    this.#lease = current;

    // 3. what is in it: a record that changed restarts the expiry count, on our clock
    const seen = recordOf(current);
    const raw = JSON.stringify(seen);
    if (raw !== this.#observedRaw) this.#setObserved(seen, raw);
    if (seen.holderIdentity && seen.holderIdentity !== this.identity && this.#isLeaseValid(this.#clock.now())) return false;

    // 4. free, expired or ours: take it (a new holder counts one more transition)
    const next = this.#holding()
      ? { ...record, acquireTime: seen.acquireTime, leaseTransitions: seen.leaseTransitions }
      : { ...record, leaseTransitions: seen.leaseTransitions + 1 };
    try {
      this.#wrote(await this.#replace(next, signal), next, sentAt);
      return true;
    } catch (err) {
      // 409: someone else wrote it since we read it; they won this round
      if (!signal.aborted) this.#log[statusOf(err) === 409 ? 'debug' : 'warn']({ err: describe(err) }, 'updating the lease failed');
      return false;
    }
  }

  /** A conditional replace: carries the resourceVersion last seen, so a stale write is refused with 409. */
  #replace(record: LeaseRecord, signal: AbortSignal): Promise<k8s.V1Lease> {
    const body: k8s.V1Lease = { ...this.#lease!, spec: specOf(record) };
    return this.#api.replaceNamespacedLease({ name: this.#o.name, namespace: this.#o.namespace, body }, withSignal(this.#callSignal(signal)));
  }

  /** client-go's release: holder cleared, duration 1 s, so any standby may take it at its next attempt. */
  async #release(): Promise<void> {
    if (!this.#holding() || !this.#lease) return;
    const nowIso = microTime(this.#wall());
    const released: LeaseRecord = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: nowIso, renewTime: nowIso, leaseTransitions: this.#observed!.leaseTransitions };
    const signal = AbortSignal.timeout(this.#o.renewDeadlineMs);
    try {
      try {
        this.#lease = await this.#replace(released, signal);
      } catch (err) {
        // a renew cut short by stop() may still have landed, leaving our resourceVersion stale: read it, and release it if it is still ours
        if (statusOf(err) !== 409) throw err;
        this.#lease = await this.#api.readNamespacedLease({ name: this.#o.name, namespace: this.#o.namespace }, withSignal(this.#callSignal(signal)));
        if (recordOf(this.#lease).holderIdentity !== this.identity) return;
        this.#lease = await this.#replace(released, signal);
      }
      this.#setObserved(released);
      this.#log.info({ transitions: released.leaseTransitions }, 'released the lease');
    } catch (err) {
      this.#log.warn({ err: describe(err) }, 'releasing the lease failed; a standby takes over once it expires');
    }
  }
}

export { defaultIdentity, JITTER_FACTOR, timingProblems, type TimingProblem } from './leader-election-config.ts';
