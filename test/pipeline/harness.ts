// A delivery pipeline on a temporary state database and a manual clock:
// Outbox in, Deliverer out, recording sinks at the end.

import type { Notification } from '../../src/model/notification.ts';
import { defaultSinkPolicy, type SinkPolicy, uniformPolicies } from '../../src/pipeline/config.ts';
import { type AttemptRecord, Deliverer, type DelivererOptions } from '../../src/pipeline/deliverer.ts';
import { type EnqueueResult, Outbox } from '../../src/pipeline/outbox.ts';
import type { HoldCheck } from '../../src/pipeline/hold.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import { ManualClock, RecordingSink, run, T0, tempStore, type TempStore } from './helpers.ts';
import { silentLogger } from '../../src/model/logger.ts';

/** No grouping, flood control or reminders unless a test turns them on. */
export const PLAIN: Partial<SinkPolicy> = { groupBy: [], floodWindowMs: 0, repeatIntervalMs: 0, rateLimits: [] };

export interface HarnessOptions {
  policy?: Partial<SinkPolicy>;
  /** per sink name, overriding `policy` */
  policies?: Record<string, Partial<SinkPolicy>>;
  sinks?: string[];
  sinkOptions?: Record<string, ConstructorParameters<typeof RecordingSink>[2]>;
  random?: () => number;
  openIncidents?: () => Iterable<string>;
  /** the deliverer's poll; long tests on a manual clock step through every one */
  pollIntervalMs?: number;
  tmp?: TempStore;
  clock?: ManualClock;
  /** the hold stage's checks (silences, inhibition, windows), for the Outbox and the Deliverer's reminders */
  holds?: HoldCheck[];
  /** the Deliverer's maxRun (default its own) */
  maxRun?: number;
  /** the Deliverer's leader term and what it calls when fenced */
  term?: DelivererOptions['term'];
  onFenced?: DelivererOptions['onFenced'];
}

export class Harness {
  readonly clock: ManualClock;
  readonly tmp: TempStore;
  readonly opts: HarnessOptions;
  readonly sinks = new Map<string, RecordingSink>();
  readonly attempts: AttemptRecord[] = [];
  readonly logs: { level: string; obj: object; msg: string }[] = [];
  store!: SqliteStore;
  outbox!: Outbox;
  deliverer!: Deliverer;

  constructor(opts: HarnessOptions = {}) {
    this.opts = opts;
    this.clock = opts.clock ?? new ManualClock(T0);
    this.tmp = opts.tmp ?? tempStore('kubeherald-pipeline-');
    for (const name of opts.sinks ?? ['chat']) this.sinks.set(name, new RecordingSink(name, this.clock, opts.sinkOptions?.[name]));
    this.open();
  }

  policyOf(sink: string): SinkPolicy {
    return defaultSinkPolicy({ ...PLAIN, ...this.opts.policy, ...this.opts.policies?.[sink] });
  }

  /** Opens the store and starts a deliverer, as a (re)started kubeherald would. */
  open(): void {
    this.store = this.tmp.open({ now: () => this.clock.ms() });
    const policies = { forSink: (name: string) => this.policyOf(name) };
    this.outbox = new Outbox({ store: this.store, sinks: this.sinks, policies, holds: this.opts.holds });
    const log = (level: string) => (obj: object, msg: string) => void this.logs.push({ level, obj, msg });
    this.deliverer = new Deliverer({
      store: this.store,
      sinks: this.sinks,
      policy: policies,
      clock: this.clock,
      sendTimer: this.clock,
      random: this.opts.random ?? (() => 0.5),
      openIncidents: this.opts.openIncidents,
      holds: this.opts.holds,
      pollIntervalMs: this.opts.pollIntervalMs,
      maxRun: this.opts.maxRun,
      term: this.opts.term,
      onFenced: this.opts.onFenced,
      log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => silentLogger },
      onAttempt: (a) => this.attempts.push(a),
    });
    this.deliverer.start();
  }

  sink(name = 'chat'): RecordingSink {
    return this.sinks.get(name)!;
  }

  /** Enqueues in one transaction, as the listener will, and wakes the deliverer. */
  enqueue(ns: Notification[], sinks: string[] = [...this.sinks.keys()]): EnqueueResult {
    const r = this.store.transaction(() => this.outbox.enqueue(ns, sinks, this.clock.ms()));
    this.deliverer.wake();
    return r;
  }

  run(ms: number): Promise<void> {
    return run(this.clock, this.deliverer, ms);
  }

  async restart(): Promise<void> {
    await this.deliverer.stop();
    this.store.close();
    this.open();
  }

  async close(): Promise<void> {
    await this.deliverer.stop();
    this.store.close();
    if (!this.opts.tmp) this.tmp.cleanup();
  }
}

/** A policy-wide uniform set, for tests that build their own Deliverer. */
export const uniform = (p: Partial<SinkPolicy> = {}) => uniformPolicies(defaultSinkPolicy({ ...PLAIN, ...p }));
