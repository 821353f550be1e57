// The config file's `routes:` section (docs/routes.md): its shape, and the
// same checks compileRoutes makes (CEL type errors, globs, selectors), so
// `kubeherald config validate` reports a bad route at its line. Whether a
// sink name exists is left to compileRoutes: a config route may name a
// ClusterSink that only the cluster knows.

import { z } from 'zod';
import { dnsLabel, labelSelector, strict } from '../config-kit/fields.ts';
import { routeGroupSchema } from '../contracts/delivery.ts';
import { type ConfigRoute, configRoutes } from './config.ts';
import { compileRouteAt, type PathProblem } from './route.ts';
import { compileTimeIntervals, type NamedTimeInterval } from './time-interval.ts';
import type { LabelSelectorRequirement } from './types.ts';

const names = z.array(z.string().min(1, { error: 'expected a non-empty string' }));

// operators are checked with the rest of the selector later, in Kubernetes' words
const labelSelectorSchema = labelSelector(z.string().transform((op) => op as LabelSelectorRequirement['operator']));

const matchSchema = strict({
  kinds: names.optional(),
  namespaces: z.array(z.string()).optional(),
  reasons: names.optional(),
  severities: z.array(z.enum(['critical', 'warning', 'info'])).optional(),
  eventTypes: z.array(z.enum(['Normal', 'Warning'])).optional(),
  labelSelector: labelSelectorSchema.optional(),
  users: z.array(z.string()).optional(),
  states: z.array(z.enum(['firing', 'resolved'])).optional(),
  detectors: names.optional(),
  clusters: names.optional(),
  cel: z.string().optional(),
});

const sinkRefSchema = z.union([
  z.string().min(1, { error: 'expected a sink name' }),
  strict({
    name: z.string().min(1),
    namespace: z.string().min(1).optional(),
    kind: z.enum(['Sink', 'ClusterSink']).optional(),
  }),
]);

const routeSchema = strict({
  name: dnsLabel,
  match: z.preprocess((v) => (v === null ? {} : v), matchSchema.prefault({})),
  sinks: z.preprocess((v) => (v === null ? undefined : v), z.array(sinkRefSchema).default([])),
  drop: z.boolean().default(false),
  continue: z.boolean().default(false),
  /** the route's own grouping of what it sends; `group:` left empty is no group (the sinks' own) */
  group: z.preprocess((v) => (v === null ? undefined : v), routeGroupSchema.optional()),
  /** names of `timeIntervals:` (checked against them by checkRouteTimeIntervals) */
  activeTimeIntervals: names.optional(),
  muteTimeIntervals: names.optional(),
});

/**
 * `timeIntervals:` — named intervals routes (and silences) refer to; the
 * shape mirrors Alertmanager's time_intervals (time-interval.ts checks it).
 */
export const timeIntervalsSchema = z.preprocess(
  (v) => (v === null ? undefined : v),
  z
    .unknown()
    .superRefine((v, ctx) => {
      for (const p of compileTimeIntervals(v).problems) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
    })
    .transform((v) => (v ?? []) as NamedTimeInterval[]),
);

/**
 * The config file's routes name only time intervals it defines; an interval
 * that is itself invalid is reported once, where it is defined.
 */
export function checkRouteTimeIntervals(config: unknown, ctx: z.RefinementCtx): void {
  if (config === null || typeof config !== 'object') return;
  const { routes, timeIntervals } = config as { routes?: unknown; timeIntervals?: unknown };
  if (!Array.isArray(routes)) return;
  const defined = Array.isArray(timeIntervals) ? timeIntervals.flatMap((t) => (t !== null && typeof t === 'object' && typeof (t as { name?: unknown }).name === 'string' ? [(t as { name: string }).name] : [])) : [];
  routes.forEach((r, i) => {
    if (r === null || typeof r !== 'object') return;
    for (const key of ['activeTimeIntervals', 'muteTimeIntervals'] as const) {
      const list = (r as Record<string, unknown>)[key];
      if (!Array.isArray(list)) continue;
      list.forEach((name, j) => {
        if (typeof name === 'string' && name !== '' && !defined.includes(name)) {
          const route = (r as { name?: unknown }).name;
          ctx.addIssue({ code: 'custom', path: ['routes', i, key, j], message: `route "${String(route)}" names time interval "${name}", which is not defined (${defined.length ? `timeIntervals: ${defined.join(', ')}` : 'no timeIntervals are defined'})` });
        }
      });
    }
  });
}

/** `routes:` — evaluated in list order; none means every notification to every sink. */
export const routesSchema = z.preprocess(
  (v) => (v === null ? undefined : v),
  z
    .array(routeSchema)
    .superRefine(
      (routes, ctx) => {
        if (!Array.isArray(routes)) return;
        const seen = new Map<string, number>();
        routes.forEach((r, i) => {
          // runs even when another route is invalid (when: below), so look before trusting the shape
          const name = (r as { name?: unknown } | undefined)?.name;
          if (typeof name !== 'string') return;
          const first = seen.get(name);
          if (first === undefined) seen.set(name, i);
          else ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate route name "${name}" (also routes[${first}])` });
        });
        routes.forEach((r, i) => {
          for (const p of semanticProblems(r)) ctx.addIssue({ code: 'custom', path: [i, ...p.path], message: p.message });
        });
      },
      { when: () => true },
    )
    .default([]),
);

/**
 * What compileRoutes would reject but the shapes above do not check (CEL,
 * globs, selectors, sinks with drop), so no issue is reported twice. Sink
 * names are left out (see above). Runs on routes whose other keys are wrong
 * too, so it looks before trusting the shape.
 */
function semanticProblems(route: unknown): PathProblem[] {
  if (route === null || typeof route !== 'object' || Array.isArray(route)) return [];
  const r = route as Partial<ConfigRoute>;
  const match = r.match !== null && typeof r.match === 'object' && !Array.isArray(r.match) ? r.match : {};
  const sinks = Array.isArray(r.sinks) ? r.sinks : r.sinks === undefined || r.sinks === null ? [] : undefined;
  if (!sinks) return [];
  // the group's own shape is the schema's to check; only how it goes with drop is left
  const group = r.group !== null && typeof r.group === 'object' && !Array.isArray(r.group) ? {} : undefined;
  const [spec] = configRoutes([{ name: typeof r.name === 'string' ? r.name : '', match, sinks, drop: r.drop === true, continue: false, group }]);
  // time interval names are checked against the file's timeIntervals (checkRouteTimeIntervals)
  return compileRouteAt(spec, new Map()).problems.filter((p) => p.reason !== 'UnknownSink' && p.reason !== 'InvalidMatch' && p.reason !== 'UnknownTimeInterval');
}
