// Routes from the config file (`routes:`), and the default when no route is
// configured anywhere: every notification to every config sink, which is
// what kubeherald did before routing existed.

import { compileRoutes } from './table.ts';
import { compileTimeIntervals } from './time-interval.ts';
import type { KnownSink, MatchSpec, RouteGroup, RouteSpec, RoutingTable, SinkRef } from './types.ts';

/** One entry of the config file's `routes:` (see docs/routes.md). */
export interface ConfigRoute {
  name: string;
  match?: MatchSpec;
  /** sink names, or references to a namespaced Sink or a ClusterSink */
  sinks?: (string | SinkRef)[];
  drop?: boolean;
  continue?: boolean;
  /** group what this route sends its own way: `by`, `waitSeconds`, `intervalSeconds` */
  group?: RouteGroup;
  /** names of `timeIntervals:`: the route sends only within one of them */
  activeTimeIntervals?: string[];
  /** names of `timeIntervals:`: the route sends nothing within any of them */
  muteTimeIntervals?: string[];
}

/** Config routes as RouteSpecs: id "config/<name>", order = position in the list. */
export function configRoutes(routes: readonly ConfigRoute[]): RouteSpec[] {
  return routes.map((r, i) => ({
    id: `config/${r.name}`,
    name: r.name,
    source: 'config',
    order: i,
    match: r.match ?? {},
    sinks: (r.sinks ?? []).map((s) => (typeof s === 'string' ? { name: s } : s)),
    ...(r.drop ? { drop: true } : {}),
    ...(r.continue ? { continue: true } : {}),
    ...(r.group ? { group: { ...r.group } } : {}),
    ...(r.activeTimeIntervals?.length ? { activeTimeIntervals: [...r.activeTimeIntervals] } : {}),
    ...(r.muteTimeIntervals?.length ? { muteTimeIntervals: [...r.muteTimeIntervals] } : {}),
  }));
}

export function configSinks(sinks: readonly { name: string }[]): KnownSink[] {
  return sinks.map((s) => ({ name: s.name, kind: 'config' }));
}

/** The table used when no route is configured at all: one route, everything to every config sink. */
export function defaultRoutes(sinks: readonly KnownSink[]): RouteSpec[] {
  const targets = sinks.filter((s) => s.kind === 'config');
  if (targets.length === 0) return [];
  return [{ id: 'config/default', name: 'default', source: 'config', order: 0, match: {}, sinks: targets.map((s) => ({ name: s.name })) }];
}

/** The routes to compile: the given ones, or the default when there are none. */
export function effectiveRoutes(routes: readonly RouteSpec[], sinks: readonly KnownSink[]): RouteSpec[] {
  return routes.length ? [...routes] : defaultRoutes(sinks);
}

/**
 * The table for a config file alone, or merged with routes and sinks from
 * elsewhere (the custom resources): what `kubeherald run` routes with. Sink
 * ids of config sinks are "config/<name>".
 */
export function tableFromConfig(config: { routes: readonly ConfigRoute[]; sinks: readonly { name: string }[]; timeIntervals?: unknown }, extra: { routes?: RouteSpec[]; sinks?: KnownSink[] } = {}): RoutingTable {
  const sinks = [...configSinks(config.sinks), ...(extra.sinks ?? [])];
  // the config schema has checked them; an invalid one is left out, and routes naming it report it
  const { intervals } = compileTimeIntervals(config.timeIntervals);
  return compileRoutes(effectiveRoutes([...configRoutes(config.routes), ...(extra.routes ?? [])], sinks), sinks, { timeIntervals: intervals });
}
