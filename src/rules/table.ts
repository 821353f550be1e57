// The routing table: valid routes in evaluation order, indexed so that a
// notification is tested only against routes that can match it.
//
// Each route goes into exactly one index bucket: under one dimension
// (reason, namespace, …) and each value it requires there, or, if it requires
// nothing indexable, into `always`. A notification has one value per
// dimension, so it selects at most one bucket per dimension; merging those
// position-sorted buckets with `always` yields every route that can match, in
// table order, each once. Evaluation then follows the ordered semantics
// exactly: first match wins unless it says `continue`; a matching drop route
// delivers nothing.

import type { Notification } from '../model/notification.ts';
import type { PinDim } from './cel.ts';
import { type CompiledRoute, compileRoute, evaluate, type Facts, factsOf } from './route.ts';
import { sinkId } from './sinks.ts';
import type { CompiledTimeInterval } from './time-interval.ts';
import type { KnownSink, RouteDecision, RouteGrouping, RouteMute, RouteProblem, RouteSpec, RoutingResult, RoutingTable } from './types.ts';

/** Most selective first: a route is indexed under the first dimension it pins. */
const DIMENSIONS: PinDim[] = ['reason', 'namespace', 'user', 'kind', 'detector', 'eventType', 'severity', 'state'];

interface Index {
  dim: PinDim;
  buckets: Map<string, number[]>;
}

/** What routes may refer to besides sinks: the named time intervals of the config file. */
export interface CompileOptions {
  timeIntervals?: ReadonlyMap<string, CompiledTimeInterval>;
}

export function compileRoutes(routes: RouteSpec[], sinks: KnownSink[], opts: CompileOptions = {}): RoutingTable {
  const known = new Map(sinks.map((s) => [sinkId(s), s]));
  const problems: RouteProblem[] = [];
  const sorted = [...routes].sort((a, b) => a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const compiled: CompiledRoute[] = [];
  const seen = new Set<string>();
  for (const spec of sorted) {
    if (seen.has(spec.id)) {
      problems.push({ routeId: spec.id, field: spec.source === 'config' ? 'name' : 'metadata.name', reason: 'DuplicateRoute', message: `another route has the id "${spec.id}"` });
      continue;
    }
    seen.add(spec.id);
    let result: ReturnType<typeof compileRoute>;
    try {
      result = compileRoute(spec, known, opts.timeIntervals);
    } catch (err) {
      // malformed input from a custom resource must disable one route, never the table
      result = { problems: [{ routeId: spec.id, field: spec.source === 'config' ? '' : 'spec', reason: 'InvalidRoute', message: (err as Error).message }] };
    }
    problems.push(...result.problems);
    if (result.route) compiled.push({ ...result.route, pos: compiled.length });
  }
  return new Table(compiled, problems);
}

class Table implements RoutingTable {
  readonly routes: readonly RouteSpec[];
  readonly problems: readonly RouteProblem[];
  readonly #compiled: CompiledRoute[];
  readonly #indexes: Index[];
  readonly #always: number[] = [];

  constructor(compiled: CompiledRoute[], problems: RouteProblem[]) {
    this.#compiled = compiled;
    this.routes = Object.freeze(compiled.map((r) => r.spec));
    this.problems = Object.freeze(problems);
    const byDim = new Map<PinDim, Index>();
    for (const r of compiled) {
      const dim = DIMENSIONS.find((d) => r.pins.has(d));
      if (!dim) {
        this.#always.push(r.pos);
        continue;
      }
      let index = byDim.get(dim);
      if (!index) byDim.set(dim, (index = { dim, buckets: new Map() }));
      for (const value of new Set(r.pins.get(dim))) {
        let bucket = index.buckets.get(value);
        if (!bucket) index.buckets.set(value, (bucket = []));
        bucket.push(r.pos); // routes are visited in order, so buckets stay sorted
      }
    }
    this.#indexes = DIMENSIONS.flatMap((d) => byDim.get(d) ?? []);
  }

  match(n: Notification, now?: number): RoutingResult {
    const f = factsOf(n);
    const lists: number[][] = [];
    if (this.#always.length) lists.push(this.#always);
    for (const index of this.#indexes) {
      const bucket = index.buckets.get(f[index.dim]);
      if (bucket) lists.push(bucket);
    }
    const heads = new Array<number>(lists.length).fill(0);
    const sinks: string[] = [];
    const decisions: RouteDecision[] = [];
    let groups: Record<string, RouteGrouping> | undefined;
    let muted: Record<string, RouteMute> | undefined;
    for (;;) {
      // the next candidate in table order: the smallest head of the sorted lists
      let best = -1;
      let pos = Infinity;
      for (let i = 0; i < lists.length; i++) {
        const p = lists[i][heads[i]];
        if (p !== undefined && p < pos) {
          pos = p;
          best = i;
        }
      }
      if (best < 0) break;
      heads[best]++;
      const route = this.#compiled[pos];
      const v = evaluate(route, f);
      if (!v.matched) {
        if (v.celError !== undefined) decisions.push({ routeId: route.spec.id, matched: false, why: v.why, sinks: [] });
        continue;
      }
      if (route.spec.drop) {
        decisions.push({ routeId: route.spec.id, matched: true, why: `${route.matchedWhy} (drop)`, sinks: [] });
        return { sinks: [], dropped: true, decisions };
      }
      const mute = now === undefined ? undefined : route.window?.mutedAt(now, n.state);
      if (mute) {
        muted = muteSinks(sinks, route, mute, muted);
        decisions.push({ routeId: route.spec.id, matched: true, why: `${route.matchedWhy}; ${mute.text}`, sinks: [], muted: mute });
      } else {
        groups = addSinks(sinks, route, groups);
        decisions.push({ routeId: route.spec.id, matched: true, why: route.matchedWhy, sinks: [...route.sinkIds] });
      }
      if (!route.spec.continue) break;
    }
    return withMuted(withGroups({ sinks, dropped: false, decisions }, groups), sinks, muted);
  }

  explain(n: Notification, now?: number): RoutingResult {
    const f: Facts = factsOf(n);
    const sinks: string[] = [];
    const decisions: RouteDecision[] = [];
    let stoppedBy: string | undefined;
    let dropped = false;
    let groups: Record<string, RouteGrouping> | undefined;
    let muted: Record<string, RouteMute> | undefined;
    for (const route of this.#compiled) {
      const id = route.spec.id;
      if (stoppedBy !== undefined) {
        decisions.push({ routeId: id, matched: false, why: `not evaluated: ${stoppedBy}`, sinks: [] });
        continue;
      }
      const v = evaluate(route, f);
      if (!v.matched) {
        decisions.push({ routeId: id, matched: false, why: v.why, sinks: [] });
        continue;
      }
      if (route.spec.drop) {
        decisions.push({ routeId: id, matched: true, why: `${route.matchedWhy} (drop)`, sinks: [] });
        dropped = true;
        stoppedBy = `dropped by ${id}`;
        continue;
      }
      const mute = now === undefined ? undefined : route.window?.mutedAt(now, n.state);
      if (mute) {
        muted = muteSinks(sinks, route, mute, muted);
        decisions.push({ routeId: id, matched: true, why: `${route.matchedWhy}; ${mute.text}`, sinks: [], muted: mute });
      } else {
        groups = addSinks(sinks, route, groups);
        decisions.push({ routeId: id, matched: true, why: route.matchedWhy, sinks: [...route.sinkIds] });
      }
      if (!route.spec.continue) stoppedBy = `${id} matched first (without continue)`;
    }
    return dropped ? { sinks: [], dropped, decisions } : withMuted(withGroups({ sinks, dropped, decisions }, groups), sinks, muted);
  }
}

/** Adds a matched route's sinks not added yet; the route that adds a sink decides its grouping. */
function addSinks(sinks: string[], route: CompiledRoute, groups: Record<string, RouteGrouping> | undefined): Record<string, RouteGrouping> | undefined {
  for (const s of route.sinkIds) {
    if (sinks.includes(s)) continue;
    sinks.push(s);
    if (route.grouping) (groups ??= {})[s] = route.grouping;
  }
  return groups;
}

/** A muted route's sinks, unless an earlier route already added them; the first muting route is the one named. */
function muteSinks(sinks: string[], route: CompiledRoute, mute: RouteMute, muted: Record<string, RouteMute> | undefined): Record<string, RouteMute> | undefined {
  for (const s of route.sinkIds) if (!sinks.includes(s) && !muted?.[s]) (muted ??= {})[s] = mute;
  return muted;
}

/** The muted sinks that no later route (with continue) sent to after all. */
function withMuted(r: RoutingResult, sinks: string[], muted: Record<string, RouteMute> | undefined): RoutingResult {
  if (!muted) return r;
  const left = Object.entries(muted).filter(([s]) => !sinks.includes(s));
  if (left.length) r.muted = Object.fromEntries(left);
  return r;
}

function withGroups(r: RoutingResult, groups: Record<string, RouteGrouping> | undefined): RoutingResult {
  if (groups) r.groups = groups;
  return r;
}
