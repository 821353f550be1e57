// Shared by the pipeline tests: a clock that only moves when told, a sink
// that records and can be told to fail, notifications, and a state database
// in a temporary directory.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { type Notification, NotificationSchema, Severity, State } from '../../src/model/notification.ts';
import type { Clock } from '../../src/pipeline/clock.ts';
import type { Silence } from '../../src/rules/silence.ts';
import type { Sink, SinkGroupInfo } from '../../src/sinks/types.ts';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.ts';

export const T0 = Date.parse('2025-03-04T12:00:00Z');

/** Timers fire, in order, only inside advance(). */
export class ManualClock implements Clock {
  #now: number;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;

  constructor(start = T0) {
    this.#now = start;
  }

  now(): Date {
    return new Date(this.#now);
  }

  ms(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Moves time forward, firing each timer at its own time. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.#timers) if (e[1].at <= end && (!first || e[1].at < first[1].at)) first = e;
      if (!first) break;
      this.#timers.delete(first[0]);
      this.#now = Math.max(this.#now, first[1].at);
      first[1].fn();
    }
    this.#now = end;
  }

  set(ms: number): void {
    this.advance(ms - this.#now);
  }

  /** when the earliest timer is due */
  nextAt(): number | undefined {
    let min: number | undefined;
    for (const t of this.#timers.values()) if (min === undefined || t.at < min) min = t.at;
    return min;
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Waits until the deliverer has done all it can at the current clock time.
 * Sends still in flight after a full event-loop turn with nothing scheduled
 * wait for something else (the clock, the test): they do not hold this up.
 */
export async function settle(d: { idle(): boolean; stats: { sending: number } }): Promise<void> {
  for (;;) {
    if (d.idle() && d.stats.sending === 0) return;
    await tick();
    if (d.idle()) {
      await tick();
      if (d.idle()) return;
    }
  }
}

/**
 * Lets `ms` of clock time pass the way it would for real: timer by timer,
 * letting the deliverer finish what each one started before time moves on.
 */
export async function run(clock: ManualClock, d: { idle(): boolean; stats: { sending: number } }, ms: number): Promise<void> {
  const end = clock.ms() + ms;
  await settle(d);
  for (;;) {
    const next = clock.nextAt();
    if (next === undefined || next > end) break;
    clock.set(Math.max(next, clock.ms()));
    await settle(d);
  }
  clock.set(end);
  await settle(d);
}

export interface SentRecord {
  at: number;
  /** idempotency keys of what went out (several for a group) */
  keys: string[];
  group?: SinkGroupInfo;
  notifications: Notification[];
}

/** A sink that records every call and answers with whatever `respond` says. */
export class RecordingSink implements Sink {
  readonly name: string;
  readonly type: string;
  readonly calls: SentRecord[] = [];
  /** throw to fail the attempt; default accepts */
  respond: (n: Notification[], call: number) => void | Promise<void> = () => undefined;
  #clock: Clock;

  constructor(name: string, clock: Clock, opts: { type?: string; targetOf?: (n: Notification) => string; groups?: boolean } = {}) {
    this.name = name;
    this.type = opts.type ?? 'recording';
    this.#clock = clock;
    if (opts.targetOf) this.targetOf = opts.targetOf;
    if (opts.groups === false) this.sendGroup = undefined;
  }

  targetOf?: (n: Notification) => string;

  async send(n: Notification): Promise<void> {
    this.calls.push({ at: this.#clock.now().getTime(), keys: [n.idempotencyKey], notifications: [n] });
    await this.respond([n], this.calls.length);
  }

  sendGroup?: (ns: readonly Notification[], group: SinkGroupInfo) => Promise<void> = async (ns, group) => {
    this.calls.push({ at: this.#clock.now().getTime(), keys: ns.map((n) => n.idempotencyKey), group, notifications: [...ns] });
    await this.respond([...ns], this.calls.length);
  };

  /** every notification's idempotency key, in the order sent */
  keys(): string[] {
    return this.calls.flatMap((c) => c.keys);
  }

  async close(): Promise<void> {}
}

export interface NotificationSpec {
  key?: string;
  incident?: string;
  state?: State;
  reason?: string;
  namespace?: string;
  pod?: string;
  owner?: string;
  cluster?: string;
  time?: number;
}

let seq = 0;

export function note(s: NotificationSpec = {}): Notification {
  const pod = s.pod ?? `pod-${++seq}`;
  const reason = s.reason ?? 'CrashLoopBackOff';
  const incident = s.incident ?? `pod/${pod}/app/${reason}`;
  const state = s.state ?? State.FIRING;
  return create(NotificationSchema, {
    idempotencyKey: s.key ?? `${incident}/${state === State.RESOLVED ? 'resolved' : 'firing'}`,
    incidentKey: incident,
    eventTime: timestampFromDate(new Date(s.time ?? T0)),
    severity: Severity.CRITICAL,
    state,
    reason,
    title: `${reason} ${pod}`,
    message: `container app of ${pod}: ${reason}`,
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: s.namespace ?? 'shop', name: pod, uid: `uid-${pod}` },
    owner: s.owner === '' ? undefined : { apiVersion: 'apps/v1', kind: 'Deployment', namespace: s.namespace ?? 'shop', name: s.owner ?? 'web', uid: 'uid-web' },
    cluster: s.cluster ?? 'prod',
    count: 1,
    detector: 'crashLoopBackOff',
  });
}

/** A silence of 30 minutes from T0 on namespace shop, by alice from the CLI. */
export const silence = (o: Partial<Silence> = {}): Silence => ({
  id: 's-1',
  matchers: { namespace: 'shop' },
  startsAt: T0,
  endsAt: T0 + 30 * 60_000,
  createdBy: 'alice',
  comment: 'node drain',
  source: 'cli',
  createdAt: T0,
  ...o,
});

export interface TempStore {
  dir: string;
  path: string;
  open(opts?: { recover?: boolean; now?: () => number }): SqliteStore;
  cleanup(): void;
}

export function tempStore(prefix = 'kubeherald-store-'): TempStore {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const path = join(dir, 'state.db');
  return {
    dir,
    path,
    open: (opts = {}) => openSqliteStore({ path, ...opts }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
