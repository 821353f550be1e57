// The plugin router: one deliver(type, delivery) entry in front of every
// out-of-process sink. It keeps a pool per plugin type from what the
// discovery sources report, picks an instance per call, and when a call gets
// no answer (the instance died, the stream broke, the deadline passed) it
// tries the same delivery on another instance before giving up. Giving up
// is a retryable SinkError: the caller's durable outbox keeps the delivery
// and backs off, so nothing is lost when every instance is down.
//
// The plugin's own verdicts (retryable, rate-limited, permanent) come back
// as they are, at once: a platform's answer is not the instance's fault and
// another instance would hear the same.

import { create, toBinary } from '@bufbuild/protobuf';
import type { Duration } from '@bufbuild/protobuf/wkt';
import { realClock, type Clock } from '../model/clock.ts';
import type { Logger } from '../model/logger.ts';
import { type DeliverRequest, DeliverRequestSchema, type DeliverResponse, NotificationGroupSchema, Outcome } from '../gen/kubeherald/v1/plugin_pb.js';
import { type SendOptions, SinkError } from '../contracts/sink.ts';
import { hostOfAddress, isLoopbackHost } from './discovery/common.ts';
import { type InstanceOptions, type LoadedTls, loadTls, PluginInstance, TransportError } from './instance.ts';
import { MAX_EJECTION_MS } from './outlier.ts';
import { type InstanceTransport, PluginPool, type PoolMember } from './pool.ts';
import type { DiscoverySource, InstanceState, PluginCallRecord, PluginDelivery, PluginEndpoint, TlsFiles } from './types.ts';

export interface PluginRouterOptions {
  /** TLS toward every plugin (CA, client certificate for mutual TLS, server name); plain HTTP/2 when absent, to loopback addresses only unless insecure */
  tls?: TlsFiles;
  /** without tls, talk plaintext to plugins off the loopback too (warned about) */
  insecure?: boolean;
  /** largest gRPC message sent to or read from a plugin (default 4 MiB); a bigger delivery fails permanently */
  maxMessageBytes?: number;
  /** a call without an answer after this long is a transport failure (default 30 s) */
  callTimeoutMs?: number;
  /** active health checks this often (default 5 s) */
  healthIntervalMs?: number;
  /** failed checks in a row that make an instance unhealthy (default 2) */
  unhealthyThreshold?: number;
  /** passing checks in a row that make it healthy again (default 1) */
  healthyThreshold?: number;
  /** transport failures in a row that eject an instance (default 5) */
  consecutiveFailures?: number;
  /** ejection time × times ejected, capped at 5 min (default 30 s) */
  baseEjectionMs?: number;
  /** at most this share of a pool ejected at once; one may always go when it has ≥ 2 (default 50) */
  maxEjectionPercent?: number;
  /** distinct instances one deliver() tries on transport failures (default 3) */
  maxAttemptsPerDelivery?: number;
  /** DeliverStreams per streaming instance, deliveries take turns (default 1; one carries thousands a second) */
  streamsPerInstance?: number;
  log: Logger;
  /** every call to an instance, for metrics */
  onCall?: (r: PluginCallRecord) => void;
  /** ejection timing and health-check scheduling (tests step it); call deadlines use real time */
  clock?: Clock;
  /** the P2C draws (tests pin them) */
  random?: () => number;
}

export const ROUTER_DEFAULTS = {
  callTimeoutMs: 30_000,
  healthIntervalMs: 5_000,
  unhealthyThreshold: 2,
  healthyThreshold: 1,
  consecutiveFailures: 5,
  baseEjectionMs: 30_000,
  maxEjectionPercent: 50,
  maxAttemptsPerDelivery: 3,
  streamsPerInstance: 1,
  maxMessageBytes: 4 * 1024 * 1024,
} as const;

/** One instance as logs, metrics and the CLI show it. */
export interface PluginInstanceInfo {
  type: string;
  id: string;
  address: string;
  source: PluginEndpoint['source'];
  state: InstanceState;
  /** calls in flight */
  outstanding: number;
  /** calls answered DELIVERED */
  delivered: number;
  /** calls that ended otherwise (transport failure or a non-delivered answer) */
  failed: number;
}

interface SourceEntry {
  src: DiscoverySource;
  endpoints: readonly PluginEndpoint[];
}

interface Waiter {
  done: () => boolean;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class PluginRouter {
  readonly #log: Logger;
  readonly #onCall: ((r: PluginCallRecord) => void) | undefined;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #maxAttempts: number;
  readonly #o: Required<Omit<PluginRouterOptions, 'tls' | 'insecure' | 'log' | 'onCall' | 'clock' | 'random'>>;
  /** plaintext (no tls) and not insecure: instances off the loopback are refused */
  readonly #loopbackOnly: boolean;
  /** refused endpoint ids, each logged once */
  readonly #refused = new Map<string, string>();
  readonly #instanceOptions: InstanceOptions;
  readonly #sources: SourceEntry[] = [];
  readonly #pools = new Map<string, PluginPool>();
  #waiters: Waiter[] = [];
  /** types with a usable instance at the last change */
  #available = new Set<string>();
  #recoveryListeners = new Set<(type: string) => void>();
  #closed = false;

  constructor(opts: PluginRouterOptions) {
    this.#log = opts.log;
    this.#onCall = opts.onCall;
    this.#clock = opts.clock ?? realClock;
    this.#random = opts.random ?? Math.random;
    const o = {
      callTimeoutMs: opts.callTimeoutMs ?? ROUTER_DEFAULTS.callTimeoutMs,
      healthIntervalMs: opts.healthIntervalMs ?? ROUTER_DEFAULTS.healthIntervalMs,
      unhealthyThreshold: opts.unhealthyThreshold ?? ROUTER_DEFAULTS.unhealthyThreshold,
      healthyThreshold: opts.healthyThreshold ?? ROUTER_DEFAULTS.healthyThreshold,
      consecutiveFailures: opts.consecutiveFailures ?? ROUTER_DEFAULTS.consecutiveFailures,
      baseEjectionMs: opts.baseEjectionMs ?? ROUTER_DEFAULTS.baseEjectionMs,
      maxEjectionPercent: opts.maxEjectionPercent ?? ROUTER_DEFAULTS.maxEjectionPercent,
      maxAttemptsPerDelivery: opts.maxAttemptsPerDelivery ?? ROUTER_DEFAULTS.maxAttemptsPerDelivery,
      streamsPerInstance: opts.streamsPerInstance ?? ROUTER_DEFAULTS.streamsPerInstance,
      maxMessageBytes: opts.maxMessageBytes ?? ROUTER_DEFAULTS.maxMessageBytes,
    };
    for (const [k, v] of Object.entries(o)) {
      if (!Number.isFinite(v) || v < (k === 'maxEjectionPercent' ? 0 : 1)) throw new RangeError(`plugin router: ${k} must be a positive number, got ${v}`);
    }
    this.#o = o;
    this.#maxAttempts = o.maxAttemptsPerDelivery;
    let tls: LoadedTls | undefined;
    if (opts.tls) tls = loadTls(opts.tls);
    this.#loopbackOnly = !tls && opts.insecure !== true;
    if (!tls && opts.insecure === true) this.#log.warn({}, 'plugin router: INSECURE: plaintext to plugins off the loopback (plugins.insecure); anyone on the path can read and forge deliveries');
    this.#instanceOptions = {
      callTimeoutMs: o.callTimeoutMs,
      maxMessageBytes: o.maxMessageBytes,
      // a check slower than its interval would overlap the next one
      healthTimeoutMs: Math.min(o.callTimeoutMs, Math.max(1_000, o.healthIntervalMs)),
      streams: o.streamsPerInstance,
      ...(tls ? { tls } : {}),
    };
  }

  /** Starts a discovery source; resolves once it reported its first set. Instances of all sources are merged by id. */
  async addSource(src: DiscoverySource): Promise<void> {
    if (this.#closed) throw new Error('plugin router closed');
    const entry: SourceEntry = { src, endpoints: [] };
    this.#sources.push(entry);
    try {
      await src.start((endpoints) => {
        if (this.#closed) return;
        entry.endpoints = endpoints;
        this.#reconcile();
      });
    } catch (err) {
      this.#sources.splice(this.#sources.indexOf(entry), 1);
      this.#reconcile();
      throw err;
    }
  }

  /**
   * Delivers through one instance of `type`. Resolves once the plugin
   * answered DELIVERED; rejects with a SinkError: the plugin's own verdict
   * as it is, or `retryable` when no instance could be reached.
   */
  async deliver(type: string, d: PluginDelivery, opts: SendOptions = {}): Promise<void> {
    const { signal } = opts;
    // the deliverer gave up on it (timed out, stopping): no instance is tried, and none is blamed
    const abandoned = (): SinkError => new SinkError(`${type} plugin: delivery ${d.deliveryId} abandoned`, { kind: 'retryable', reason: 'canceled' });
    if (signal?.aborted) throw abandoned();
    const pool = this.#pools.get(type);
    if (this.#closed || !pool) {
      const refused = this.#closed ? 0 : this.#refusedOf(type);
      const why = this.#closed
        ? 'the plugin router is closed'
        : refused > 0
          ? `no usable instances: ${refused} refused, plaintext to an address off the loopback (set plugins.tls for mutual TLS)`
          : 'no instances known';
      throw new SinkError(`${type} plugin: delivery ${d.deliveryId} not sent: ${why}`, { kind: 'retryable' });
    }
    const req = toRequest(d);
    // the plugin would refuse it (and, on a stream, with every delivery sharing it): no instance can take it
    const size = toBinary(DeliverRequestSchema, req).byteLength;
    if (size > this.#o.maxMessageBytes - 16) {
      throw new SinkError(`${type} plugin: delivery ${d.deliveryId} is ${size} bytes, over the plugin message limit of ${this.#o.maxMessageBytes} (plugins.maxMessageBytes)`, { kind: 'permanent' });
    }
    let firstMember: DeliverRequest | undefined;
    let tried: PoolMember[] | undefined;
    let last: TransportError | undefined;
    for (let attempt = 0; attempt < this.#maxAttempts; attempt++) {
      const m = pool.pick(tried);
      if (!m) break;
      let r = req;
      // a plugin without CAPABILITY_GROUPS gets the group's first member
      if (req.payload.case === 'group' && !m.transport.groups && req.payload.value.members.length > 0) {
        r = firstMember ??= create(DeliverRequestSchema, { ...req, payload: { case: 'notification', value: req.payload.value.members[0] } });
      }
      pool.begin(m);
      const t0 = performance.now();
      let res: DeliverResponse;
      try {
        res = await m.transport.deliver(r, signal);
      } catch (err) {
        if (signal?.aborted) {
          pool.abandoned(m);
          throw abandoned();
        }
        const te = err instanceof TransportError ? err : new TransportError(err instanceof Error ? err.message : String(err), { cause: err });
        pool.transportFailed(m, te.message);
        this.#record(type, m, d, 'transport', t0, te.message);
        last = te;
        (tried ??= []).push(m);
        if (this.#closed) break;
        continue;
      }
      const delivered = res.outcome === Outcome.DELIVERED;
      pool.answered(m, delivered);
      if (delivered) {
        this.#record(type, m, d, 'delivered', t0, undefined);
        return;
      }
      const err = verdict(type, m.endpoint.id, d.deliveryId, res);
      this.#record(type, m, d, err.kind, t0, res.message || undefined);
      throw err;
    }
    const n = tried?.length ?? 0;
    throw new SinkError(
      `${type} plugin: delivery ${d.deliveryId} not sent: ${n ? `${n} instance(s) failed` : 'no usable instance'} (${pool.describeStates()})` +
        (last ? `; last error: ${last.message}` : ''),
      { kind: 'retryable', cause: last },
    );
  }

  /** Every instance of every type, removed ones still draining included. */
  instances(): PluginInstanceInfo[] {
    const out: PluginInstanceInfo[] = [];
    for (const pool of this.#pools.values()) {
      for (const m of pool.members()) {
        out.push({
          type: pool.type,
          id: m.endpoint.id,
          address: m.endpoint.address,
          source: m.endpoint.source,
          state: m.state,
          outstanding: m.outstanding,
          delivered: m.delivered,
          failed: m.failed,
        });
      }
    }
    return out;
  }

  /** Resolves once at least `count` instances of `type` take deliveries. */
  waitForReady(type: string, count: number): Promise<void> {
    return this.#waitFor(() => (this.#pools.get(type)?.usableCount ?? 0) >= count);
  }

  /** Resolves once instance `id` is in `state` (or gone from every pool, for 'removed'). */
  waitForState(id: string, state: InstanceState | 'removed'): Promise<void> {
    return this.#waitFor(() => {
      const i = this.instances().find((x) => x.id === id);
      return state === 'removed' ? i === undefined : i?.state === state;
    });
  }

  /**
   * Calls `cb` with a plugin type each time it goes from no usable instance
   * to one (the first instance found healthy, or one back after all were
   * down or ejected): deliveries waiting for that type need not wait out
   * their backoff. Returns the unsubscribe.
   */
  onRecovered(cb: (type: string) => void): () => void {
    this.#recoveryListeners.add(cb);
    return () => this.#recoveryListeners.delete(cb);
  }

  /** Stops discovery, lets in-flight calls finish (within their deadline), closes every connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled(this.#sources.map((s) => s.src.close()));
    await Promise.all([...this.#pools.values()].map((p) => p.close()));
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(new Error('plugin router closed'));
  }

  #waitFor(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error('plugin router closed'));
    return new Promise((resolve, reject) => this.#waiters.push({ done, resolve, reject }));
  }

  #changed(): void {
    this.#announceRecoveries();
    if (this.#waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.done()) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
  }

  #announceRecoveries(): void {
    if (this.#closed) return;
    for (const [type, pool] of this.#pools) {
      const usable = pool.usableCount > 0;
      if (usable === this.#available.has(type)) continue;
      if (!usable) {
        this.#available.delete(type);
        continue;
      }
      this.#available.add(type);
      for (const cb of this.#recoveryListeners) {
        try {
          cb(type);
        } catch (err) {
          this.#log.error({ type, err: (err as Error).message }, 'plugin recovery handler failed');
        }
      }
    }
  }

  /** Merges every source's set (union by id, first source wins) and hands each pool its type's share. */
  #reconcile(): void {
    const byType = new Map<string, PluginEndpoint[]>();
    const seen = new Set<string>();
    const refusedNow = new Map<string, string>();
    for (const s of this.#sources) {
      for (const ep of s.endpoints) {
        if (seen.has(ep.id)) continue;
        seen.add(ep.id);
        if (this.#loopbackOnly && !isLoopbackHost(hostOfAddress(ep.address))) {
          refusedNow.set(ep.id, ep.type);
          if (!this.#refused.has(ep.id)) {
            this.#log.error(
              { type: ep.type, instance: ep.id, address: ep.address },
              'plugin instance refused: plaintext to an address off the loopback; set plugins.tls (mutual TLS, `kubeherald plugin certs`) or, knowingly, plugins.insecure: true',
            );
          }
          continue;
        }
        let list = byType.get(ep.type);
        if (!list) byType.set(ep.type, (list = []));
        list.push(ep);
      }
    }
    this.#refused.clear();
    for (const [id, type] of refusedNow) this.#refused.set(id, type);
    for (const type of byType.keys()) if (!this.#pools.has(type)) this.#pools.set(type, this.#newPool(type));
    for (const [type, pool] of this.#pools) pool.update(byType.get(type) ?? []);
    this.#changed();
  }

  #refusedOf(type: string): number {
    let n = 0;
    for (const t of this.#refused.values()) if (t === type) n++;
    return n;
  }

  #newPool(type: string): PluginPool {
    const o = this.#o;
    return new PluginPool({
      type,
      healthIntervalMs: o.healthIntervalMs,
      thresholds: { unhealthyThreshold: o.unhealthyThreshold, healthyThreshold: o.healthyThreshold },
      outlier: {
        consecutiveFailures: o.consecutiveFailures,
        baseEjectionMs: o.baseEjectionMs,
        maxEjectionMs: Math.max(MAX_EJECTION_MS, o.baseEjectionMs),
        maxEjectionPercent: o.maxEjectionPercent,
      },
      clock: this.#clock,
      random: this.#random,
      log: this.#log,
      connect: (ep): InstanceTransport => new PluginInstance(ep, this.#instanceOptions),
      onChange: () => this.#changed(),
    });
  }

  #record(type: string, m: PoolMember, d: PluginDelivery, outcome: PluginCallRecord['outcome'], t0: number, message: string | undefined): void {
    const r: PluginCallRecord = {
      type,
      instance: m.endpoint.id,
      deliveryId: d.deliveryId,
      sink: d.sink,
      outcome,
      durationMs: performance.now() - t0,
    };
    if (message !== undefined) r.message = message;
    this.#onCall?.(r);
    this.#log.debug(r, 'plugin call');
  }
}

function toRequest(d: PluginDelivery): DeliverRequest {
  return create(DeliverRequestSchema, {
    deliveryId: d.deliveryId,
    sink: d.sink,
    target: d.target,
    options: d.options,
    payload:
      d.payload.case === 'notification'
        ? d.payload
        : { case: 'group', value: create(NotificationGroupSchema, { key: d.payload.value.key, update: d.payload.value.update, members: d.payload.value.members }) },
    attempt: d.attempt,
  });
}

/** The plugin's negative answer as the outbox understands it. */
function verdict(type: string, instance: string, deliveryId: string, res: DeliverResponse): SinkError {
  const retryAfterMs = res.retryAfter ? durationMs(res.retryAfter) : undefined;
  const what = res.message || Outcome[res.outcome] || `outcome ${res.outcome}`;
  const message = `${type} plugin (${instance}): delivery ${deliveryId}: ${what}`;
  switch (res.outcome) {
    case Outcome.PERMANENT:
      return new SinkError(message, { kind: 'permanent' });
    case Outcome.RATE_LIMITED:
      return new SinkError(message, { kind: 'rate-limited', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
    case Outcome.RETRYABLE:
      return new SinkError(message, { kind: 'retryable', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
    default:
      // a plugin bug (no outcome set): nothing says the delivery cannot work later
      return new SinkError(`${type} plugin (${instance}): delivery ${deliveryId}: answer without an outcome`, { kind: 'retryable' });
  }
}

function durationMs(d: Duration): number {
  return Math.max(0, Number(d.seconds) * 1000 + Math.round(d.nanos / 1e6));
}
