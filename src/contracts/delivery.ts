// The delivery settings every sink's config takes in: the `delivery:`
// section's schema (defaults for every sink), the per-sink overrides a sink
// schema spreads in (`...sinkDeliveryFields`), a route's `group:` and the
// rate-limit rule a sink type declares. A contract between the sinks, the
// routes and the pipeline that resolves them, so it imports only the config
// kit: sinks and rules need not import pipeline/.

import { z } from 'zod';
import { count, section, strict } from '../config-kit/fields.ts';

/** What a group key can be made of; `label:<name>` is the value of one object label. */
export const GROUP_DIMENSIONS = ['cluster', 'namespace', 'owner', 'object', 'kind', 'reason', 'severity', 'detector', 'node'] as const;

export const DEFAULT_GROUP_BY = ['namespace', 'owner', 'reason'];

/** A group dimension, as a regular expression (RE2-compatible: the custom resources' schema uses it too). */
export const GROUP_DIMENSION_PATTERN = `^(${GROUP_DIMENSIONS.join('|')}|label:[A-Za-z0-9./_-]+)$`;
const GROUP_DIMENSION_RE = new RegExp(GROUP_DIMENSION_PATTERN);

const groupDimension = z.string().regex(GROUP_DIMENSION_RE, {
  error: `expected one of ${GROUP_DIMENSIONS.join(', ')} or label:<name>`,
});

/** A number of seconds > 0 that may have a fraction (0.5 for half a second). */
function seconds() {
  return z.number().superRefine((n, ctx) => {
    if (!Number.isFinite(n) || n <= 0) ctx.addIssue({ code: 'custom', message: `expected a number of seconds > 0, got ${n}` });
  });
}

function atLeastOne() {
  return z.number().superRefine((n, ctx) => {
    if (!Number.isFinite(n) || n < 1) ctx.addIssue({ code: 'custom', message: `expected a number ≥ 1, got ${n}` });
  });
}

const backoffSchema = strict({
  baseSeconds: seconds().default(1),
  factor: atLeastOne().default(2),
  maxSeconds: seconds().default(300),
});

const groupBySchema = z.preprocess((v) => (v === null ? [] : v), z.array(groupDimension).default(() => [...DEFAULT_GROUP_BY]));

/**
 * `delivery.storm` (and a sink's `delivery.storm`): when one chat target
 * would get more than `threshold` notifications a minute, it gets one digest
 * message updated in place instead, until the rate stays below for
 * quietSeconds. threshold unset: the sink type's (STORM_THRESHOLDS); 0: never.
 */
const stormSchema = strict({
  threshold: count(0).optional(),
  quietSeconds: count(1).default(120),
  updateSeconds: count(1).default(30),
});

const sinkStormSchema = strict({
  threshold: count(0).optional(),
  quietSeconds: count(1).optional(),
  updateSeconds: count(1).optional(),
});

export const deliverySchema = strict({
  concurrency: count(1).default(8),
  maxAgeSeconds: count(1).default(86_400),
  sendTimeoutSeconds: count(1).default(30),
  backoff: section(backoffSchema),
  repeatIntervalSeconds: count(0).default(14_400),
  floodWindowSeconds: count(0).default(600),
  groupBy: groupBySchema,
  groupWaitSeconds: count(0).default(10),
  groupIntervalSeconds: count(1).default(300),
  storm: section(stormSchema),
});

export type DeliveryConfig = z.output<typeof deliverySchema>;

const rateRuleSchema = strict({
  count: count(1),
  perSeconds: seconds(),
  /** target: each target (channel, chat) has its own allowance; sink: all targets share one */
  scope: z.enum(['target', 'sink']).default('target'),
  /** only targets matching this regular expression (e.g. "^-" for Telegram groups) */
  targets: z
    .string()
    .refine(
      (s) => {
        try {
          new RegExp(s);
          return true;
        } catch {
          return false;
        }
      },
      { error: 'expected a regular expression' },
    )
    .optional(),
});

export type RateRuleConfig = z.output<typeof rateRuleSchema>;

/** The same keys as `delivery:`, each optional (unset: the global value), plus the sink's rate limits. */
export const sinkDeliverySchema = strict({
  concurrency: count(1).optional(),
  maxAgeSeconds: count(1).optional(),
  sendTimeoutSeconds: count(1).optional(),
  backoff: strict({ baseSeconds: seconds().optional(), factor: atLeastOne().optional(), maxSeconds: seconds().optional() }).optional(),
  repeatIntervalSeconds: count(0).optional(),
  floodWindowSeconds: count(0).optional(),
  groupBy: z.preprocess((v) => (v === null ? [] : v), z.array(groupDimension).optional()),
  groupWaitSeconds: count(0).optional(),
  groupIntervalSeconds: count(1).optional(),
  /** replaces the platform's default limits; [] for none */
  rateLimits: z.array(rateRuleSchema).optional(),
  /** the storm digest of this sink's targets (chat sinks only) */
  storm: sinkStormSchema.optional(),
});

export type SinkDeliveryConfig = z.output<typeof sinkDeliverySchema>;

/**
 * A route's `group:` (config routes and Route/ClusterRoute): how what the
 * route sends is grouped, in place of the sink's groupBy, groupWaitSeconds
 * and groupIntervalSeconds; an omitted key keeps the sink's value, `by: []`
 * sends what the route matched ungrouped.
 */
export const routeGroupSchema = strict({
  by: z.preprocess((v) => (v === null ? [] : v), z.array(groupDimension).optional()),
  waitSeconds: count(0).optional(),
  intervalSeconds: count(1).optional(),
});

/** Why `d` is not a group dimension, or undefined when it is one (for specs that did not come through a schema). */
export function groupDimensionProblem(d: unknown): string | undefined {
  if (typeof d === 'string' && GROUP_DIMENSION_RE.test(d)) return undefined;
  return `expected one of ${GROUP_DIMENSIONS.join(', ')} or label:<name>, got ${JSON.stringify(d)}`;
}

/** Spread into a sink's schema: `strict({ name, type, ..., ...sinkDeliveryFields })`. */
export const sinkDeliveryFields = {
  delivery: z.preprocess((v) => (v === null ? undefined : v), sinkDeliverySchema.optional()),
};

export interface RateRule {
  count: number;
  perMs: number;
  scope: 'target' | 'sink';
  /** a regular expression source; the rule applies to matching targets only */
  targets?: string;
}
