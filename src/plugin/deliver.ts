// One DeliverRequest, start to answer: the effective config (options over
// the plugin's own), a repeat check, the sink's send, and the outcome the
// router's outbox acts on. Shared by the unary and the streaming RPC.

import type { JsonObject } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { ConfigError } from '../config-kit/errors.ts';
import type { SinkConfig } from '../config/schema.ts';
import type { DeliverRequest, DeliverResponse } from '../gen/kubeherald/v1/plugin_pb.js';
import { Outcome } from '../gen/kubeherald/v1/plugin_pb.js';
import type { Notification } from '../model/notification.ts';
import type { Logger } from '../model/logger.ts';
import type { PluginSinkType } from './catalog.ts';
import { DeliveryMemory } from './idempotency.ts';
import { type DeliveryAllowList, effectiveConfig } from './options.ts';
import { DELIVERED, type DeliveryResult, outcomeName, permanent, resultOfError } from './outcome.ts';
import type { RunningSink, SinkCache } from './sink-cache.ts';

export type DeliverAnswer = Pick<DeliverResponse, 'deliveryId' | 'outcome' | 'message'> & { retryAfter?: DeliverResponse['retryAfter'] };

export interface DelivererOptions {
  type: PluginSinkType;
  /** the plugin's own config, parsed */
  base: SinkConfig;
  /** what a delivery may choose (default: only its target) */
  allow?: DeliveryAllowList;
  /** running sinks, keyed by configKey() of their config */
  sinks: SinkCache;
  log: Logger;
  /** delivered ids remembered (default 50,000) */
  rememberDeliveries?: number;
  /** distinct (target, options) pairs whose validated config is remembered (default 1,024) */
  maxConfigs?: number;
  now?: () => number;
}

/** The cache key of a config: its JSON (keys in schema order, as zod produces them). */
export function configKey(cfg: SinkConfig): string {
  return JSON.stringify(cfg);
}

type Resolved = { ok: true; key: string } | { ok: false; message: string };

export class Deliverer {
  readonly #o: DelivererOptions;
  readonly #memory: DeliveryMemory<DeliveryResult>;
  readonly #baseKey: string;
  readonly #maxConfigs: number;
  // (target, options JSON) → its validated config's key: the router repeats the same few options on every delivery
  readonly #configs = new Map<string, Resolved>();
  readonly #now: () => number;

  constructor(opts: DelivererOptions) {
    this.#o = opts;
    this.#memory = new DeliveryMemory(opts.rememberDeliveries);
    this.#baseKey = configKey(opts.base);
    this.#maxConfigs = opts.maxConfigs ?? 1024;
    this.#now = opts.now ?? Date.now;
  }

  get baseKey(): string {
    return this.#baseKey;
  }

  /** Delivers one request; never rejects (every failure is an outcome). */
  async deliver(req: DeliverRequest): Promise<DeliverAnswer> {
    const started = this.#now();
    const id = req.deliveryId;
    let result: DeliveryResult;
    let target = req.target;
    let repeat = false;
    if (id === '') {
      result = permanent('delivery_id is empty: every delivery needs one (repeats are dropped by it)');
    } else if (this.#memory.delivered(id)) {
      repeat = true;
      result = { outcome: Outcome.DELIVERED, message: 'already delivered' };
    } else {
      repeat = this.#memory.running(id) !== undefined;
      result = await this.#memory.run(
        id,
        async () => {
          const r = await this.#run(req);
          target = r.target;
          return r.result;
        },
        (r) => r.outcome === Outcome.DELIVERED,
      );
    }
    this.#logResult(req, target, result, this.#now() - started, repeat);
    return answer(id, result);
  }

  async #run(req: DeliverRequest): Promise<{ result: DeliveryResult; target: string }> {
    const resolved = this.#resolve(req.target, req.options);
    if (!resolved.ok) return { result: permanent(resolved.message), target: req.target };
    let target = req.target;
    try {
      const result = await this.#o.sinks.use(resolved.key, async (running) => {
        const first = firstOf(req);
        if (first && running.sink.targetOf) target = running.sink.targetOf(first);
        return send(running, req);
      });
      return { result, target };
    } catch (err) {
      // creating the sink failed: a missing credential or a setting only the sink checks; retrying cannot fix it
      if (err instanceof ConfigError) return { result: permanent(err.message), target };
      return { result: resultOfError(err), target };
    }
  }

  #resolve(target: string, options: JsonObject | undefined): Resolved {
    const empty = options === undefined || isEmpty(options);
    if (empty && target === '') return { ok: true, key: this.#baseKey };
    const memoKey = `${target}\u0000${empty ? '' : JSON.stringify(options)}`;
    const known = this.#configs.get(memoKey);
    if (known) return known;
    const eff = effectiveConfig(this.#o.type, this.#o.base, options, target, this.#o.allow);
    const resolved: Resolved = eff.ok ? { ok: true, key: configKey(eff.config) } : { ok: false, message: eff.message };
    this.#configs.set(memoKey, resolved);
    if (this.#configs.size > this.#maxConfigs) this.#configs.delete(this.#configs.keys().next().value!);
    return resolved;
  }

  #logResult(req: DeliverRequest, target: string, r: DeliveryResult, durationMs: number, repeat: boolean): void {
    const fields: Record<string, unknown> = { deliveryId: req.deliveryId, sink: req.sink, target, outcome: outcomeName(r.outcome), durationMs, attempt: req.attempt };
    if (repeat) fields.repeat = true;
    if (r.outcome === Outcome.DELIVERED) {
      this.#o.log.info(fields, 'delivery');
      return;
    }
    fields.message = r.message;
    if (r.retryAfterMs !== undefined) fields.retryAfterMs = r.retryAfterMs;
    this.#o.log.warn(fields, 'delivery failed');
  }
}

function isEmpty(o: JsonObject): boolean {
  for (const _ in o) return false;
  return true;
}

function firstOf(req: DeliverRequest): Notification | undefined {
  if (req.payload.case === 'notification') return req.payload.value;
  if (req.payload.case === 'group') return req.payload.value.members[0];
  return undefined;
}

async function send(running: RunningSink, req: DeliverRequest): Promise<DeliveryResult> {
  const { sink, secrets } = running;
  try {
    switch (req.payload.case) {
      case 'notification':
        await sink.send(req.payload.value);
        return DELIVERED;
      case 'group': {
        const g = req.payload.value;
        if (g.members.length === 0) return permanent('group has no members');
        // without sendGroup the first member stands for the group, as the protocol says
        if (sink.sendGroup) await sink.sendGroup(g.members, { key: g.key, update: g.update });
        else await sink.send(g.members[0]);
        return DELIVERED;
      }
      default:
        return permanent('no payload: a delivery carries a notification or a group');
    }
  } catch (err) {
    return resultOfError(err, secrets);
  }
}

function answer(deliveryId: string, r: DeliveryResult): DeliverAnswer {
  const out: DeliverAnswer = { deliveryId, outcome: r.outcome, message: r.message };
  if (r.retryAfterMs !== undefined) out.retryAfter = durationFromMs(r.retryAfterMs);
  return out;
}

