// The instances of one plugin type and who gets the next delivery:
// membership from discovery (a vanished instance is drained, not cut off),
// active health checks with thresholds, passive outlier ejection, and the
// power-of-two-choices pick over least outstanding requests. The decisions
// themselves live in pure modules (p2c, health-state, outlier); this file
// keeps the per-instance state and the timers.

import type { Clock } from '../model/clock.ts';
import type { Logger } from '../model/logger.ts';
import { HealthCheckResponse_ServingStatus } from '../gen/grpc/health/v1/health_pb.js';
import { type HealthState, type HealthThresholds, initialHealth, observeCheck } from './health-state.ts';
import type { PluginInstance } from './instance.ts';
import { decayedTimes, ejectionMs, type OutlierOptions, shouldEject } from './outlier.ts';
import { pickTwoChoices } from './p2c.ts';
import type { InstanceState, PluginEndpoint } from './types.ts';

/** What the pool needs of an instance's transport (PluginInstance; fakes in unit tests). */
export type InstanceTransport = Pick<
  PluginInstance,
  'endpoint' | 'description' | 'streaming' | 'groups' | 'inFlight' | 'describe' | 'check' | 'deliver' | 'endStream' | 'close'
>;

export interface PoolOptions {
  type: string;
  healthIntervalMs: number;
  thresholds: HealthThresholds;
  outlier: OutlierOptions;
  clock: Clock;
  random: () => number;
  log: Logger;
  connect: (endpoint: PluginEndpoint) => InstanceTransport;
  /** any state or membership change (the router re-checks its waiters) */
  onChange: () => void;
}

/** One instance in its pool. */
export class PoolMember {
  readonly endpoint: PluginEndpoint;
  readonly transport: InstanceTransport;
  health: HealthState = initialHealth();
  /** no new deliveries; in-flight ones finish */
  draining = false;
  /** gone from discovery: closed once its in-flight deliveries finished */
  removed = false;
  ejected = false;
  ejectedUntil = 0;
  timesEjected = 0;
  /** clock ms when the last ejection ended (for decaying timesEjected) */
  returnedAt = 0;
  consecutiveFailures = 0;
  /** calls sent and not yet ended */
  outstanding = 0;
  /** calls the plugin answered DELIVERED */
  delivered = 0;
  /** calls that ended otherwise: a transport failure or a non-delivered answer */
  failed = 0;
  /** cached: healthy, not ejected, not draining (the hot path reads only this) */
  usable = false;
  /** Describe again at the next check (new, or back from unhealthy: it may be a new process) */
  needsDescribe = true;
  checking = false;
  checkTimer: unknown = undefined;
  ejectTimer: unknown = undefined;

  constructor(endpoint: PluginEndpoint, transport: InstanceTransport) {
    this.endpoint = endpoint;
    this.transport = transport;
  }

  get state(): InstanceState {
    if (this.draining) return 'draining';
    if (this.ejected) return 'ejected';
    return this.health.healthy ? 'healthy' : 'unhealthy';
  }
}

const loadOf = (m: PoolMember): number => m.outstanding;

export class PluginPool {
  readonly type: string;
  readonly #o: PoolOptions;
  readonly #byId = new Map<string, PoolMember>();
  /** the current members (not removed), for listing and ejection limits */
  #members: PoolMember[] = [];
  /** members a delivery may go to now; rebuilt on every state change */
  #usable: PoolMember[] = [];
  /** removed members still finishing their in-flight deliveries */
  readonly #retiring = new Set<PoolMember>();
  #closed = false;
  #idle: (() => void)[] = [];

  constructor(o: PoolOptions) {
    this.type = o.type;
    this.#o = o;
  }

  /** Members, then removed ones still draining. */
  members(): PoolMember[] {
    return [...this.#members, ...this.#retiring];
  }

  get usableCount(): number {
    return this.#usable.length;
  }

  /** "3 known: 1 healthy, 1 unhealthy, 1 ejected" for error messages. */
  describeStates(): string {
    const all = this.members();
    if (all.length === 0) return 'no instances known';
    const counts = new Map<InstanceState, number>();
    for (const m of all) counts.set(m.state, (counts.get(m.state) ?? 0) + 1);
    return `${all.length} known: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}`;
  }

  /** The whole current set of this type's endpoints (discovery reports sets, not deltas). */
  update(endpoints: readonly PluginEndpoint[]): void {
    if (this.#closed) return;
    const seen = new Set<string>();
    for (const ep of endpoints) {
      seen.add(ep.id);
      const m = this.#byId.get(ep.id);
      if (!m) {
        this.#join(ep);
      } else if (m.endpoint.address !== ep.address) {
        this.#retire(m, 'address changed');
        this.#join(ep);
      } else if (!!ep.draining !== m.draining) {
        if (ep.draining) this.#drain(m, 'terminating');
        else this.#undrain(m);
      }
    }
    for (const m of this.#members) if (!seen.has(m.endpoint.id)) this.#retire(m, 'gone from discovery');
    this.#members = [...this.#byId.values()];
    this.#changed();
  }

  /**
   * The member for the next call: P2C over least outstanding among the
   * usable ones not in `tried`; undefined when none is left.
   */
  pick(tried?: readonly PoolMember[]): PoolMember | undefined {
    if (!tried || tried.length === 0) return pickTwoChoices(this.#usable, loadOf, this.#o.random);
    return pickTwoChoices(this.#usable, loadOf, this.#o.random, (m) => !tried.includes(m));
  }

  /** A call to `m` starts. */
  begin(m: PoolMember): void {
    m.outstanding++;
  }

  /** The plugin answered (any outcome): the instance works. */
  answered(m: PoolMember, delivered: boolean): void {
    m.outstanding--;
    m.consecutiveFailures = 0;
    if (delivered) m.delivered++;
    else m.failed++;
    this.#ended(m);
  }

  /** The caller stopped waiting (its signal aborted): says nothing about the instance. */
  abandoned(m: PoolMember): void {
    m.outstanding--;
    this.#ended(m);
  }

  /** The call got no answer: counts toward ejection. */
  transportFailed(m: PoolMember, reason: string): void {
    m.outstanding--;
    m.failed++;
    m.consecutiveFailures++;
    if (!m.ejected && !m.draining && !this.#closed) this.#maybeEject(m, reason);
    this.#ended(m);
  }

  /** Stops timers, waits for in-flight calls (their deadlines bound this), closes every connection. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const m of this.members()) this.#stopTimers(m);
    this.#changed();
    while (this.members().some((m) => m.outstanding > 0)) {
      await new Promise<void>((resolve) => this.#idle.push(resolve));
    }
    for (const m of this.members()) m.transport.close();
    this.#retiring.clear();
  }

  #join(ep: PluginEndpoint): void {
    const m = new PoolMember(ep, this.#o.connect(ep));
    m.draining = !!ep.draining;
    this.#byId.set(ep.id, m);
    this.#log('info', m, 'plugin instance joined');
    // checked at once: a new instance is usable as soon as it answers
    if (!m.draining) void this.#check(m);
  }

  #drain(m: PoolMember, why: string): void {
    m.draining = true;
    this.#stopTimers(m);
    this.#log('info', m, 'plugin instance draining', { reason: why });
    if (m.outstanding === 0) this.#drained(m);
  }

  #undrain(m: PoolMember): void {
    m.draining = false;
    m.health = initialHealth();
    m.needsDescribe = true;
    this.#log('info', m, 'plugin instance no longer draining');
    void this.#check(m);
  }

  #retire(m: PoolMember, why: string): void {
    this.#byId.delete(m.endpoint.id);
    m.removed = true;
    this.#stopTimers(m);
    if (m.outstanding === 0) {
      m.draining = true;
      m.transport.close();
      this.#log('info', m, 'plugin instance removed', { reason: why });
      return;
    }
    if (!m.draining) {
      m.draining = true;
      this.#log('info', m, 'plugin instance draining', { reason: why });
    }
    this.#retiring.add(m);
  }

  /** Bookkeeping after a call to `m` ended. */
  #ended(m: PoolMember): void {
    if (m.draining && m.outstanding === 0) this.#drained(m);
    else if (this.#idle.length) this.#changed();
  }

  /** A draining member has nothing in flight any more. */
  #drained(m: PoolMember): void {
    if (m.removed) {
      this.#retiring.delete(m);
      m.transport.close();
      this.#log('info', m, 'plugin instance drained and removed');
    } else {
      m.transport.endStream();
      this.#log('info', m, 'plugin instance drained');
    }
    this.#changed();
  }

  #maybeEject(m: PoolMember, reason: string): void {
    const o = this.#o.outlier;
    let ejectedNow = 0;
    for (const x of this.#members) if (x.ejected) ejectedNow++;
    if (!shouldEject(o, m.consecutiveFailures, this.#members.length, ejectedNow)) return;
    const now = this.#o.clock.now().getTime();
    m.timesEjected = decayedTimes(m.timesEjected, now - m.returnedAt, o.baseEjectionMs) + 1;
    const ms = ejectionMs(o, m.timesEjected);
    m.ejected = true;
    m.ejectedUntil = now + ms;
    m.consecutiveFailures = 0;
    this.#log('warn', m, 'plugin instance ejected', { reason, ejectionMs: ms, timesEjected: m.timesEjected });
    // when the ejection ends a passing health check brings it back
    m.ejectTimer = this.#o.clock.setTimeout(() => {
      m.ejectTimer = undefined;
      void this.#check(m);
    }, ms);
    this.#changed();
  }

  async #check(m: PoolMember): Promise<void> {
    if (m.checking || m.removed || m.draining || this.#closed) return;
    m.checking = true;
    if (m.checkTimer !== undefined) this.#o.clock.clearTimeout(m.checkTimer);
    m.checkTimer = undefined;
    let ok = false;
    let reason: string | undefined;
    try {
      if (m.needsDescribe) {
        const d = await m.transport.describe();
        // a plugin of another type behind this address would get the wrong deliveries
        if (d.type !== this.type) throw new Error(`plugin describes itself as type "${d.type}", expected "${this.type}"`);
        m.needsDescribe = false;
      }
      const status = await m.transport.check();
      ok = status === HealthCheckResponse_ServingStatus.SERVING;
      if (!ok) reason = HealthCheckResponse_ServingStatus[status] ?? String(status);
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
    m.checking = false;
    if (m.removed || m.draining || this.#closed) return;

    const first = !m.health.checked;
    if (observeCheck(m.health, ok, this.#o.thresholds)) {
      if (m.health.healthy) {
        this.#log('info', m, 'plugin instance healthy', { description: describeLine(m) });
      } else {
        // it may come back as a new process: learn its capabilities again then
        m.needsDescribe = true;
        this.#log('warn', m, 'plugin instance unhealthy', { reason });
      }
    } else if (first && !ok) {
      this.#log('warn', m, 'plugin instance not serving yet', { reason });
    }
    if (ok && m.ejected && this.#o.clock.now().getTime() >= m.ejectedUntil) {
      m.ejected = false;
      m.returnedAt = this.#o.clock.now().getTime();
      if (m.ejectTimer !== undefined) this.#o.clock.clearTimeout(m.ejectTimer);
      m.ejectTimer = undefined;
      this.#log('info', m, 'plugin instance returned from ejection');
    }
    m.checkTimer = this.#o.clock.setTimeout(() => {
      m.checkTimer = undefined;
      void this.#check(m);
    }, this.#o.healthIntervalMs);
    this.#changed();
  }

  #stopTimers(m: PoolMember): void {
    if (m.checkTimer !== undefined) this.#o.clock.clearTimeout(m.checkTimer);
    if (m.ejectTimer !== undefined) this.#o.clock.clearTimeout(m.ejectTimer);
    m.checkTimer = m.ejectTimer = undefined;
  }

  #changed(): void {
    const usable: PoolMember[] = [];
    for (const m of this.#members) {
      m.usable = !this.#closed && !m.draining && !m.ejected && m.health.healthy;
      if (m.usable) usable.push(m);
    }
    this.#usable = usable;
    if (this.#idle.length && !this.members().some((m) => m.outstanding > 0)) {
      const waiters = this.#idle;
      this.#idle = [];
      for (const w of waiters) w();
    }
    this.#o.onChange();
  }

  #log(level: 'info' | 'warn', m: PoolMember, msg: string, extra?: object): void {
    this.#o.log[level](
      { type: this.type, instance: m.endpoint.id, address: m.endpoint.address, source: m.endpoint.source, state: m.state, ...extra },
      msg,
    );
  }
}

function describeLine(m: PoolMember): string | undefined {
  const d = m.transport.description;
  if (!d) return undefined;
  return `${d.type} ${d.version}${m.transport.streaming ? ' stream' : ''}${m.transport.groups ? ' groups' : ''}`;
}
