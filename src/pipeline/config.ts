// Delivery settings: the `delivery:` config section (defaults for every
// sink), the per-sink overrides sink schemas can take in
// (`...sinkDeliveryFields`), the platforms' own rate limits, and the policy
// each sink's deliveries follow once all of that is resolved.

import { type DeliveryConfig, deliverySchema, type RateRule, type SinkDeliveryConfig } from '../contracts/delivery.ts';
import { platformOf, SINK_DESCRIPTORS } from '../sinks/registry.ts';
import type { StormPolicy } from './digest.ts';

export { DEFAULT_GROUP_BY, deliverySchema, GROUP_DIMENSION_PATTERN, GROUP_DIMENSIONS, groupDimensionProblem, routeGroupSchema, sinkDeliveryFields, sinkDeliverySchema } from '../contracts/delivery.ts';
export type { DeliveryConfig, RateRule, RateRuleConfig, SinkDeliveryConfig } from '../contracts/delivery.ts';

// What each sink type decides about its deliveries is its descriptor's
// `delivery` (src/sinks/<type>/descriptor.ts, where the platforms' limits are
// explained); these tables are read off the registry.

/** What the platforms allow, so kubeherald does not earn 429s, by type; types not listed are unlimited. */
export const PLATFORM_RATE_LIMITS: Record<string, RateRule[]> = Object.fromEntries(
  SINK_DESCRIPTORS.filter((d) => d.delivery.rateLimits.length > 0).map((d) => [d.type, structuredClone(d.delivery.rateLimits) as RateRule[]]),
);

/**
 * How many notifications a minute one chat target takes before it switches
 * to a storm digest, by type: about what a channel's readers can follow and
 * under what the platform tolerates. A chat type not listed (a plugin of a
 * type kubeherald does not know) gets DEFAULT_STORM_THRESHOLD; record sinks
 * never storm.
 */
export const STORM_THRESHOLDS: Record<string, number> = Object.fromEntries(
  SINK_DESCRIPTORS.flatMap((d): [string, number][] => (!d.delivery.records && d.delivery.stormThreshold !== undefined ? [[d.type, d.delivery.stormThreshold]] : [])),
);
export const DEFAULT_STORM_THRESHOLD = 20;

/**
 * Sink types whose every notification is a record — an archive, a program,
 * a log — and so is delivered on its own, at once: never grouped, never
 * folded, whatever `delivery:` or a route's `group:` says. Every other type
 * (the chat platforms, a plugin of a type kubeherald does not know) is a chat
 * sink: grouping and flood control apply.
 */
export const RECORD_SINK_TYPES: readonly string[] = SINK_DESCRIPTORS.filter((d) => d.delivery.records).map((d) => d.type);

/** Whether a sink of this platform (a plugin sink's: its plugin type) takes every notification as a record. */
export function isRecordSink(platform: string): boolean {
  return RECORD_SINK_TYPES.includes(platform);
}

/**
 * What a sink's type decides about its deliveries, before any `delivery:`
 * setting: the one place the per-type defaults are defined. Config-file sinks,
 * Sink/ClusterSink custom resources and plugin sinks (by their plugin type)
 * all resolve through sinkPolicy(), so they get the same.
 */
export interface SinkTypeDefaults {
  /** every notification a record: no grouping, no flood control */
  records: boolean;
  rateLimits: RateRule[];
  /** notifications a minute to one target before its storm digest; 0 for record sinks */
  stormThreshold: number;
}

export function sinkTypeDefaults(platform: string): SinkTypeDefaults {
  const records = isRecordSink(platform);
  return { records, rateLimits: structuredClone(PLATFORM_RATE_LIMITS[platform] ?? []), stormThreshold: records ? 0 : (STORM_THRESHOLDS[platform] ?? DEFAULT_STORM_THRESHOLD) };
}

/** A problem with a sink's `delivery:` for its type, at a path under `delivery`. */
export interface DeliveryProblem {
  path: string[];
  message: string;
}

/**
 * Settings a sink's own `delivery:` gives that could do nothing for it, so
 * are refused rather than silently ignored: grouping and flood keys on a
 * record sink, and flood control where the same block turns grouping off
 * (a notification folds into the group of the first of its kind).
 */
export function sinkDeliveryProblems(platform: string, d: SinkDeliveryConfig | undefined): DeliveryProblem[] {
  if (!d) return [];
  const out: DeliveryProblem[] = [];
  if (isRecordSink(platform)) {
    const why = `${/^[aeiou]/.test(platform) ? 'an' : 'a'} ${platform} sink never groups or folds: every notification is a record, delivered on its own at once`;
    if (d.groupBy !== undefined && d.groupBy.length > 0) out.push({ path: ['groupBy'], message: `${why}; remove it` });
    if (d.groupWaitSeconds !== undefined && d.groupWaitSeconds > 0) out.push({ path: ['groupWaitSeconds'], message: `${why}; remove it` });
    if (d.groupIntervalSeconds !== undefined) out.push({ path: ['groupIntervalSeconds'], message: `${why}; remove it` });
    if (d.floodWindowSeconds !== undefined && d.floodWindowSeconds > 0) out.push({ path: ['floodWindowSeconds'], message: `${why}; remove it` });
    if (d.storm !== undefined) out.push({ path: ['storm'], message: `${why}, so it never switches to a storm digest; remove it` });
  } else if (d.floodWindowSeconds !== undefined && d.floodWindowSeconds > 0 && d.groupBy !== undefined && d.groupBy.length === 0) {
    out.push({ path: ['floodWindowSeconds'], message: 'flood control folds a notification into the group of the first of its kind, and this sink groups nothing: set floodWindowSeconds: 0, or group' });
  }
  return out;
}

export interface BackoffPolicy {
  baseMs: number;
  factor: number;
  capMs: number;
}

/** How one sink's deliveries are made; every time in ms (0 turns repeat, flood and grouping features off). */
export interface SinkPolicy {
  /** every notification a record (RECORD_SINK_TYPES): never grouped or folded, a route's grouping included */
  records: boolean;
  /** deliveries in flight at once, over different targets */
  concurrency: number;
  backoff: BackoffPolicy;
  /** a delivery not done this long after it was queued is dead-lettered */
  maxAgeMs: number;
  /** a send that has not settled by then counts as failed (retryable) */
  sendTimeoutMs: number;
  rateLimits: RateRule[];
  /** 0: no reminders */
  repeatIntervalMs: number;
  /** 0: no flood control; it acts only where notifications are grouped */
  floodWindowMs: number;
  /** []: no grouping */
  groupBy: string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  /** the storm digest of each target (digest.ts); absent or threshold 0: never (record sinks) */
  storm?: StormPolicy;
}

export interface DeliveryPolicies {
  forSink(name: string): SinkPolicy;
}

/**
 * The grouping of the route that sent a notification to a sink, when that
 * route has `group:`: each key given replaces the sink's. Groups made under
 * it belong to the route (its id is in their key), so they never merge with
 * the sink's own groups or another route's.
 */
export interface GroupOverride {
  /** the route's id, e.g. "config/crashloops" or "Route/shop/pods" */
  route: string;
  by?: readonly string[];
  waitSeconds?: number;
  intervalSeconds?: number;
}

/** A sink's policy with a route's grouping applied (the policy itself when there is none). */
export function withGroupOverride(p: SinkPolicy, o: GroupOverride | undefined): SinkPolicy {
  if (!o || p.records) return p;
  return {
    ...p,
    groupBy: o.by ? [...o.by] : p.groupBy,
    groupWaitMs: o.waitSeconds !== undefined ? o.waitSeconds * 1000 : p.groupWaitMs,
    groupIntervalMs: o.intervalSeconds !== undefined ? o.intervalSeconds * 1000 : p.groupIntervalMs,
  };
}

/** The policy of a chat sink with no overrides, no platform limits and no storm digest, for tests and benchmarks. */
export function defaultSinkPolicy(overrides: Partial<SinkPolicy> = {}): SinkPolicy {
  // no storm digest either, unless asked: a test's burst is not a storm
  const base = sinkPolicy(deliverySchema.parse({}), 'none', undefined);
  return { ...base, storm: { ...base.storm!, threshold: 0 }, ...overrides };
}

/**
 * A sink's policy: its type's defaults (sinkTypeDefaults), the global
 * `delivery:` section, then the sink's own `delivery:` on top. `sinkType` is
 * the platform: a plugin sink's plugin type.
 */
export function sinkPolicy(global: DeliveryConfig, sinkType: string, own: SinkDeliveryConfig | undefined): SinkPolicy {
  const o = own ?? {};
  const t = sinkTypeDefaults(sinkType);
  const b = { ...global.backoff, ...stripUndefined(o.backoff ?? {}) };
  return {
    records: t.records,
    concurrency: o.concurrency ?? global.concurrency,
    backoff: { baseMs: b.baseSeconds * 1000, factor: b.factor, capMs: b.maxSeconds * 1000 },
    maxAgeMs: (o.maxAgeSeconds ?? global.maxAgeSeconds) * 1000,
    sendTimeoutMs: (o.sendTimeoutSeconds ?? global.sendTimeoutSeconds) * 1000,
    rateLimits: o.rateLimits
      ? o.rateLimits.map((r) => ({ count: r.count, perMs: r.perSeconds * 1000, scope: r.scope, ...(r.targets !== undefined ? { targets: r.targets } : {}) }))
      : t.rateLimits,
    repeatIntervalMs: (o.repeatIntervalSeconds ?? global.repeatIntervalSeconds) * 1000,
    // a record sink never folds or groups (sinkDeliveryProblems refuses its own keys; the global ones are for chat sinks)
    floodWindowMs: t.records ? 0 : (o.floodWindowSeconds ?? global.floodWindowSeconds) * 1000,
    groupBy: t.records ? [] : [...(o.groupBy ?? global.groupBy)],
    groupWaitMs: t.records ? 0 : (o.groupWaitSeconds ?? global.groupWaitSeconds) * 1000,
    groupIntervalMs: (o.groupIntervalSeconds ?? global.groupIntervalSeconds) * 1000,
    storm: {
      // a type that never digests (PagerDuty: each incident must page and resolve on its own) ignores the
      // global threshold; only the sink's own `storm.threshold` can opt it in
      threshold: t.records ? 0 : (o.storm?.threshold ?? (t.stormThreshold === 0 ? 0 : (global.storm.threshold ?? t.stormThreshold))),
      quietMs: (o.storm?.quietSeconds ?? global.storm.quietSeconds) * 1000,
      updateMs: (o.storm?.updateSeconds ?? global.storm.updateSeconds) * 1000,
    },
  };
}

/** Every configured sink's policy; a sink config may carry `delivery` overrides (see sinkDeliveryFields). */
export function resolvePolicies(global: DeliveryConfig, sinks: readonly { name: string; type: string; plugin?: string; delivery?: SinkDeliveryConfig }[]): DeliveryPolicies {
  // a plugin sink takes the defaults of the platform its plugin talks to
  const byName = new Map(sinks.map((s) => [s.name, sinkPolicy(global, platformOf(s), s.delivery)]));
  return {
    forSink(name) {
      const p = byName.get(name);
      if (!p) throw new Error(`no delivery policy for sink "${name}": it is not configured`);
      return p;
    },
  };
}

/** The same policy for every sink (tests, benchmarks). */
export function uniformPolicies(p: SinkPolicy): DeliveryPolicies {
  return { forSink: () => p };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
