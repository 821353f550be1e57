// The configuration file's shape, its defaults and its rules. Every key is
// documented in docs/config.md and examples/kubeherald.yaml; keep the three
// in step (test/config/docs.test.ts checks).

import { z } from 'zod';
import { DEFAULT_DETECTORS, type DetectorsConfig } from '../detect/config.ts';
import { CONDITION_STATUSES } from '../detect/conditions.ts';
import { defaultSinks, platformOf, SINK_TYPES, sinkSchemas } from '../sinks/registry.ts';
import { count, list, section, strict } from '../config-kit/fields.ts';
import { deliverySchema, sinkDeliveryProblems, sinkDeliverySchema } from '../pipeline/config.ts';
import { inhibitSchema } from '../pipeline/inhibit-config.ts';
import { silencesSchema } from '../pipeline/silence-config.ts';
import { stateSchema } from '../store/config.ts';
import { leaderElectionSchema } from '../cluster/leader-election-config.ts';
import { checkRouteTimeIntervals, routesSchema, timeIntervalsSchema } from '../rules/schema.ts';
import { pluginsSchema } from '../router/config.ts';
import { auditConfigSchema } from '../sources/audit-config.ts';
import { isAllowEntry } from '../sinks/egress.ts';
import { chatopsSchema } from '../chatops/config.ts';
import { channelClusterProblems } from '../chatops/clusters.ts';
import { checkClusters, clusterSchema, clustersOf, clustersSchema } from './clusters.ts';

/** Namespace names are DNS-1123 labels; globs add `*` and `?`. */
const namespaceGlob = z
  .string()
  .max(63, { error: 'expected at most 63 characters' })
  .regex(/^[a-z0-9*?-]+$/, { error: 'expected a namespace name or glob (lowercase letters, digits, "-", "*" and "?")' });

/** A condition's type, as metav1.Condition validates it: a qualified name (an optional DNS prefix and "/"). */
const CONDITION_TYPE = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

const resourceSchema = strict({
  group: z
    .string()
    .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$/, { error: 'expected an API group ("" for the core group, else a DNS subdomain such as apps or example.com)' })
    .default(''),
  version: z.string().regex(/^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$/, { error: 'expected an API version such as v1, v1beta1 or v2alpha1' }),
  resource: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'expected a resource name: lowercase and plural, as in `kubectl api-resources` (e.g. configmaps)' }),
  // the generic condition detector (src/detect/conditions.ts): condition type → the status that is bad
  conditions: z
    .record(
      z.string(),
      z.enum(CONDITION_STATUSES, { error: 'expected "True", "False" or "Unknown"' }),
    )
    .optional(),
  /** how long a bad condition must hold before it notifies; default detectors.conditions.minSeconds */
  minSeconds: count(0).optional(),
}).superRefine((r, ctx) => {
  for (const type of Object.keys(r.conditions ?? {})) {
    if (!CONDITION_TYPE.test(type)) ctx.addIssue({ code: 'custom', path: ['conditions', type], message: `expected a condition type such as Ready or Stalled as the key, got ${JSON.stringify(type)}` });
  }
  if (r.minSeconds !== undefined && !Object.keys(r.conditions ?? {}).length) {
    ctx.addIssue({ code: 'custom', path: ['minSeconds'], message: 'applies to conditions only: name the bad conditions in conditions (e.g. { Ready: "False" })' });
  }
});

const watchSchema = strict({
  namespaces: section(
    strict({
      include: list(namespaceGlob),
      exclude: list(namespaceGlob),
    }),
  ),
  eventsApi: z.enum(['core', 'events.k8s.io']).default('core'),
  resources: list(resourceSchema).superRefine(
    (rs, ctx) => {
      if (!Array.isArray(rs)) return;
      // two versions of one resource are the same objects: they would be watched, and notified, twice
      const seen = new Map<string, number>();
      rs.forEach((r: { group?: unknown; resource?: unknown } | undefined, i) => {
        // runs even when another entry is invalid (when: below), so look before trusting the shape
        const group = r?.group ?? '';
        if (typeof group !== 'string' || typeof r?.resource !== 'string') return;
        const key = `${group}/${r.resource}`;
        const first = seen.get(key);
        if (first === undefined) seen.set(key, i);
        else ctx.addIssue({ code: 'custom', path: [i], message: `duplicate of watch.resources[${first}] (${group || 'core'} ${r.resource})` });
      });
    },
    { when: () => true },
  ),
  watchdogSeconds: count(1).default(300),
  pageSize: count(1).default(500),
});

// The detectors section mirrors DetectorsConfig key for key, derived from its
// defaults so a detector added in src/detect is configurable at once.
function detectorFieldSchema(where: string, value: unknown): z.ZodType {
  if (typeof value === 'boolean') return z.boolean();
  if (typeof value === 'number') return count(0);
  if (typeof value === 'string') return z.string();
  if (Array.isArray(value)) return z.array(z.string().min(1));
  throw new Error(`detectors.${where}: no config schema for a default of ${JSON.stringify(value)}`);
}

const detectorsSchema = strict(
  Object.fromEntries(
    Object.entries(DEFAULT_DETECTORS).map(([name, defaults]) => [
      name,
      section(strict(Object.fromEntries(Object.entries(defaults).map(([key, value]) => [key, detectorFieldSchema(`${name}.${key}`, value).optional()])))),
    ]),
  ),
).transform((given): DetectorsConfig => {
  // every key is optional: what is given replaces the default, lists included
  const merged: Record<string, unknown> = {};
  for (const [name, defaults] of Object.entries(DEFAULT_DETECTORS)) {
    const overrides = Object.fromEntries(Object.entries((given[name] ?? {}) as Record<string, unknown>).filter(([, v]) => v !== undefined));
    merged[name] = structuredClone({ ...defaults, ...overrides });
  }
  return merged as unknown as DetectorsConfig;
});

// the sink types are the registry's (src/sinks/registry.ts): one schema each, told apart by `type`
export { SINK_TYPES };

const sinkSchema = z.discriminatedUnion('type', sinkSchemas());


const sinksSchema = z.preprocess(
  (v) => (v === null ? undefined : v),
  z
    .array(sinkSchema)
    .min(1, { error: 'expected at least one sink (leave `sinks` out for a console sink)' })
    .superRefine(
      (sinks, ctx) => {
        if (!Array.isArray(sinks)) return;
        const seen = new Map<string, number>();
        sinks.forEach((s, i) => {
          // runs even when another sink is invalid (when: below), so look before trusting the shape
          const name = (s as { name?: unknown } | undefined)?.name;
          if (typeof name !== 'string') return;
          const first = seen.get(name);
          if (first === undefined) seen.set(name, i);
          else ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate sink name "${name}" (also sinks[${first}])` });
        });
        // delivery keys that could do nothing for the sink's type are refused, not ignored
        sinks.forEach((s, i) => {
          const sink = s as { type?: unknown; delivery?: unknown } | undefined;
          if (typeof sink?.type !== 'string') return;
          // a delivery block with mistakes of its own is reported for those first
          const delivery = sinkDeliverySchema.safeParse(sink.delivery ?? undefined);
          if (!delivery.success) return;
          const platform = platformOf({ ...sink, type: sink.type });
          for (const p of sinkDeliveryProblems(platform, delivery.data)) ctx.addIssue({ code: 'custom', path: [i, 'delivery', ...p.path], message: p.message });
        });
      },
      { when: () => true },
    )
    .default(() => defaultSinks()),
);

const logSchema = strict({
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
  format: z.enum(['json', 'pretty']).default('json'),
});

/** Prometheus metrics over HTTP; off unless an address is given. */
const metricsSchema = strict({
  /** host:port for /metrics, e.g. 0.0.0.0:9090; empty = off */
  listen: z
    .string()
    .regex(/^$|^(\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}$/, { error: 'expected host:port (e.g. 0.0.0.0:9090) or "" for off' })
    .default(''),
});

/** /healthz and /readyz on a listener of their own (they are on the metrics listener too). */
const healthSchema = strict({
  /** host:port, e.g. 0.0.0.0:8081; empty = only on metrics.listen */
  listen: z
    .string()
    .regex(/^$|^(\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}$/, { error: 'expected host:port (e.g. 0.0.0.0:8081) or "" for off' })
    .default(''),
});

/** The opt-in check for a newer release: reads the registry's dist-tags, logs, never upgrades. */
const updatesSchema = strict({
  check: z.boolean().default(false),
  /** an npm registry (a mirror works): GET <registry>/kubeherald gives the dist-tags */
  registry: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL of an npm registry' }).default('https://registry.npmjs.org'),
  intervalHours: count(1).default(24),
});

/** Routes and Sinks from the kubeherald.io custom resources, next to the file's. */
const customResourcesSchema = strict({
  enabled: z.boolean().default(false),
  /** where kubeherald runs: ClusterSinks' Secrets are read here (default: the kubeconfig context's namespace, else "default") */
  namespace: z.string().default(''),
  /** what namespaced Sinks may reach besides public addresses (docs/security.md) */
  egress: section(
    strict({
      allow: list(z.string().refine(isAllowEntry, { error: 'expected a CIDR (10.1.0.0/16), an address, or a host name (hooks.internal.example, *.example.com)' })),
    }),
  ),
});

export const ConfigSchema = section(
  strict({
    cluster: section(clusterSchema),
    clusters: clustersSchema,
    watch: section(watchSchema),
    detectors: section(detectorsSchema),
    sinks: sinksSchema,
    routes: routesSchema,
    timeIntervals: timeIntervalsSchema,
    customResources: section(customResourcesSchema),
    audit: section(auditConfigSchema),
    metrics: section(metricsSchema),
    health: section(healthSchema),
    updates: section(updatesSchema),
    delivery: section(deliverySchema),
    inhibit: section(inhibitSchema),
    silences: section(silencesSchema),
    chatops: section(chatopsSchema),
    plugins: section(pluginsSchema),
    state: section(stateSchema),
    leaderElection: section(leaderElectionSchema),
    log: section(logSchema),
  })
    .superRefine(checkRouteTimeIntervals, { when: () => true })
    .superRefine(checkClusters)
    // a chat channel's default cluster is one of the configured clusters
    .superRefine((c, ctx) => {
      for (const p of channelClusterProblems(c.chatops, clustersOf(c).map((x) => x.name))) ctx.addIssue({ code: 'custom', path: ['chatops', ...p.path], message: p.message });
    })
    // several replicas: only the leader runs ChatOps, and a Service would hand inbound chat requests to any replica
    .superRefine((c, ctx) => {
      const electing = c.leaderElection.enabled === true || (c.leaderElection.enabled === 'auto' && c.state.url !== '');
      if (!electing) return;
      const why = 'with several replicas (leaderElection) only the leader answers chat, and requests sent to a Service would reach standbys too';
      if (c.chatops.slack.enabled && c.chatops.slack.mode === 'http') ctx.addIssue({ code: 'custom', path: ['chatops', 'slack', 'mode'], message: `http cannot be used ${why}: use socket (Socket Mode connects out from the leader)` });
      if (c.chatops.telegram.enabled && c.chatops.telegram.mode === 'webhook') ctx.addIssue({ code: 'custom', path: ['chatops', 'telegram', 'mode'], message: `webhook cannot be used ${why}: use polling (the leader fetches the updates)` });
    }),
);

export type Config = z.infer<typeof ConfigSchema>;
export type SinkConfig = Config['sinks'][number];

/** The configuration used when there is no file, environment or flag: a single console sink. */
export function defaultConfig(): Config {
  return ConfigSchema.parse(undefined);
}
