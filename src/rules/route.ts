// One route compiled: its validation problems, its shorthand conditions and
// CEL condition as fast tests with explanations, its resolved sinks, and the
// values it requires (for the index).

import type { Notification } from '../model/notification.ts';
import { groupDimensionProblem } from '../contracts/delivery.ts';
import { type CelBindings, type CelPins, celBindings, type CompiledCel, compileCel, type PinDim, SEVERITY_NAMES, STATE_NAMES } from './cel.ts';
import { globRegExp, isGlob, namespaceGlobProblem, userGlobProblem } from './glob.ts';
import { compileSelector } from './selector.ts';
import { resolveSinkRef } from './sinks.ts';
import type { CompiledTimeInterval } from './time-interval.ts';
import { compileWindow, type RouteWindow } from './window.ts';
import type { KnownSink, RouteGrouping, RouteProblem, RouteSpec } from './types.ts';

/** What routes test, computed once per notification. */
export interface Facts {
  kind: string;
  /** "" for cluster-scoped objects */
  namespace: string;
  reason: string;
  severity: string;
  state: string;
  eventType: string;
  detector: string;
  /** "" when no user is known */
  user: string;
  /** the configured cluster's name */
  cluster: string;
  labels: Readonly<Record<string, string>>;
  n: Notification;
  bindings?: CelBindings;
}

export function factsOf(n: Notification): Facts {
  const o = n.involvedObject;
  return {
    kind: o?.kind ?? '',
    namespace: o?.namespace ?? '',
    reason: n.reason,
    severity: SEVERITY_NAMES[n.severity] ?? '',
    state: STATE_NAMES[n.state] ?? '',
    eventType: n.eventType,
    detector: n.detector,
    user: n.user?.username ?? '',
    cluster: n.cluster,
    labels: n.labels,
    n,
  };
}

interface Condition {
  test(f: Facts): boolean;
  why(f: Facts): string;
}

export interface CompiledRoute {
  spec: RouteSpec;
  /** position in the table's evaluation order */
  pos: number;
  sinkIds: string[];
  conditions: Condition[];
  cel?: Extract<CompiledCel, { ok: true }>;
  /** necessary values per dimension: the route cannot match a notification with another value */
  pins: Map<PinDim, string[]>;
  /** why, when it matches: which conditions it has */
  matchedWhy: string;
  /** the route's own grouping, handed on with each sink it adds (shared, frozen) */
  grouping?: RouteGrouping;
  /** its active/mute time intervals, when it names any */
  window?: RouteWindow;
}

export type Verdict = { matched: true } | { matched: false; why: string; celError?: string };

const SEVERITIES = ['critical', 'warning', 'info'];
const STATES = ['firing', 'resolved'];
const EVENT_TYPES = ['Normal', 'Warning'];

const show = (values: readonly string[]): string => `[${values.join(', ')}]`;

export type Path = (string | number)[];

/** A problem with its path relative to the route (`["match", "cel"]`), before it is named a field. */
export interface PathProblem {
  path: Path;
  reason: string;
  message: string;
}

/**
 * A path as a field name: "spec.match.cel" for custom resources, "match.cel"
 * for a config route; keys that hold dots or slashes (label keys) in brackets.
 */
export function fieldName(spec: Pick<RouteSpec, 'source'>, path: Path): string {
  let out = spec.source === 'config' || path[0] === 'metadata' ? '' : 'spec';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export function compileRoute(spec: RouteSpec, known: ReadonlyMap<string, KnownSink>, intervals?: ReadonlyMap<string, CompiledTimeInterval>): { route?: Omit<CompiledRoute, 'pos'>; problems: RouteProblem[] } {
  const { route, problems } = compileRouteAt(spec, known, intervals);
  return { route, problems: problems.map((p) => ({ routeId: spec.id, field: fieldName(spec, p.path), reason: p.reason, message: p.message })) };
}

/** compileRoute with problems as paths (the config schema reports them at their YAML line). */
export function compileRouteAt(spec: RouteSpec, known: ReadonlyMap<string, KnownSink>, intervals?: ReadonlyMap<string, CompiledTimeInterval>): { route?: Omit<CompiledRoute, 'pos'>; problems: PathProblem[] } {
  const problems: PathProblem[] = [];
  const problem = (path: Path, reason: string, message: string): void => {
    problems.push({ path, reason, message });
  };
  const match = spec.match ?? {};
  const conditions: Condition[] = [];
  const pins = new Map<PinDim, string[]>();
  const names: string[] = [];

  if (spec.source === 'Route') {
    const own = spec.namespace;
    if (!own) problem(['metadata', 'namespace'], 'InvalidRoute', 'a namespaced Route needs a namespace');
    else {
      names.push('namespace');
      pins.set('namespace', [own]);
      conditions.push({
        test: (f) => f.namespace === own,
        why: (f) => (f.namespace === '' ? `namespace: the object is cluster-scoped; a Route only sees objects in its namespace "${own}"` : `namespace: the object is in "${f.namespace}"; a Route only sees objects in its namespace "${own}"`),
      });
    }
  }

  /** a list of exact values: `field: "value" not in [a, b]` */
  const exact = (key: 'kinds' | 'reasons' | 'severities' | 'eventTypes' | 'states' | 'detectors', dim: PinDim, allowed?: string[]): void => {
    const values = match[key] as unknown;
    if (values === undefined || values === null) return;
    if (!Array.isArray(values)) return problem(['match', key], 'InvalidMatch', 'expected a list');
    let bad = false;
    values.forEach((v, i) => {
      if (typeof v !== 'string' || v === '') {
        bad = true;
        problem(['match', key, i], 'InvalidMatch', `expected a non-empty string, got ${JSON.stringify(v)}`);
      } else if (allowed && !allowed.includes(v)) {
        bad = true;
        problem(['match', key, i], 'InvalidMatch', `expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
      }
    });
    // an empty list is the same as leaving the field out, as with Kubernetes' omitempty
    if (bad || values.length === 0) return;
    const set = new Set<string>(values);
    names.push(key);
    if (!pins.has(dim)) pins.set(dim, [...set]);
    conditions.push({ test: (f) => set.has(f[dim]), why: (f) => `${key}: ${JSON.stringify(f[dim])} not in ${show(values)}` });
  };

  exact('kinds', 'kind');
  exact('reasons', 'reason');
  exact('severities', 'severity', SEVERITIES);
  exact('states', 'state', STATES);
  exact('eventTypes', 'eventType', EVENT_TYPES);
  exact('detectors', 'detector');

  /** a list of globs over one fact; exact entries still index */
  const globs = (key: 'namespaces' | 'users', dim: 'namespace' | 'user', check: (g: unknown) => string | undefined): void => {
    const values = match[key] as unknown;
    if (values === undefined || values === null) return;
    if (!Array.isArray(values)) return problem(['match', key], 'InvalidGlob', 'expected a list of globs');
    let bad = false;
    values.forEach((g, i) => {
      const p = check(g);
      if (p) {
        bad = true;
        problem(['match', key, i], 'InvalidGlob', p);
      }
    });
    if (bad || values.length === 0) return;
    const patterns = values as string[];
    const exactSet = new Set(patterns.filter((g) => !isGlob(g)));
    const regexps = patterns.filter(isGlob).map(globRegExp);
    names.push(key);
    if (regexps.length === 0 && !pins.has(dim)) pins.set(dim, [...exactSet]);
    if (dim === 'namespace') {
      // "" (cluster-scoped) matches only an explicit "": `*` means any namespace, not "no namespace"
      conditions.push({
        test: (f) => exactSet.has(f.namespace) || (f.namespace !== '' && regexps.some((r) => r.test(f.namespace))),
        why: (f) => (f.namespace === '' ? `namespaces: the object is cluster-scoped (namespace ""), matching none of ${show(patterns)}` : `namespaces: "${f.namespace}" matches none of ${show(patterns)}`),
      });
    } else {
      conditions.push({
        test: (f) => f.user !== '' && (exactSet.has(f.user) || regexps.some((r) => r.test(f.user))),
        why: (f) => (f.user === '' ? `users: no user is known for this notification` : `users: ${JSON.stringify(f.user)} matches none of ${show(patterns)}`),
      });
    }
  };
  globs('namespaces', 'namespace', namespaceGlobProblem);
  globs('users', 'user', userGlobProblem);

  // exact names, as `kinds`; not an index dimension: a process watches a handful of clusters
  const clusters = match.clusters as unknown;
  if (clusters !== undefined && clusters !== null) {
    if (!Array.isArray(clusters)) problem(['match', 'clusters'], 'InvalidMatch', 'expected a list');
    else {
      let bad = false;
      clusters.forEach((c, i) => {
        if (typeof c === 'string' && c !== '') return;
        bad = true;
        problem(['match', 'clusters', i], 'InvalidMatch', `expected a cluster name, got ${JSON.stringify(c)}`);
      });
      if (!bad && clusters.length) {
        const set = new Set<string>(clusters as string[]);
        names.push('clusters');
        conditions.push({ test: (f) => set.has(f.cluster), why: (f) => `clusters: ${JSON.stringify(f.cluster)} not in ${show(clusters as string[])}` });
      }
    }
  }

  if (match.labelSelector !== undefined && match.labelSelector !== null) {
    const { selector, problems: sp } = compileSelector(match.labelSelector);
    for (const p of sp) problem(['match', 'labelSelector', ...p.path], 'InvalidSelector', p.message);
    if (selector) {
      names.push('labelSelector');
      conditions.push({ test: (f) => selector.test(f.labels), why: (f) => `labelSelector: ${selector.why(f.labels)}` });
    }
  }

  let cel: CompiledRoute['cel'];
  if (match.cel !== undefined && match.cel !== null) {
    if (typeof match.cel !== 'string') problem(['match', 'cel'], 'InvalidCEL', `expected a CEL expression (a string), got ${JSON.stringify(match.cel)}`);
    else if (match.cel.trim() !== '') {
      const c = compileCel(match.cel);
      if (!c.ok) problem(['match', 'cel'], 'InvalidCEL', c.error);
      else {
        cel = c;
        names.push('cel');
        mergePins(pins, c.pins);
      }
    }
  }

  const sinkIds: string[] = [];
  const refs = spec.sinks ?? [];
  if (!Array.isArray(refs)) problem(['sinks'], 'InvalidSinkRef', 'expected a list of sink references');
  else if (spec.drop) {
    if (refs.length) problem(['sinks'], 'DropWithSinks', 'a drop route delivers nothing: remove either its sinks or drop: true');
  } else if (refs.length === 0) {
    problem(['sinks'], 'NoSinks', 'a route needs at least one sink (or drop: true to discard what it matches)');
  } else {
    refs.forEach((ref, i) => {
      const r = resolveSinkRef(spec, ref, known);
      if ('id' in r) {
        if (!sinkIds.includes(r.id)) sinkIds.push(r.id);
      } else problem(['sinks', i], r.reason, r.message);
    });
  }

  const grouping = compileGroup(spec, problem);
  const window = compileWindow(spec, intervals ?? new Map(), problem);

  if (problems.length) return { problems };
  return {
    problems,
    route: {
      spec,
      sinkIds,
      conditions,
      cel,
      pins,
      matchedWhy: names.length ? `matched: ${names.join(', ')}` : 'matched: empty match (every notification)',
      ...(grouping ? { grouping } : {}),
      ...(window ? { window } : {}),
    },
  };
}

const GROUP_KEYS = ['by', 'waitSeconds', 'intervalSeconds'];

/** A route's `group`, checked (it may come from a custom resource that no schema has seen), as handed on by matches. */
function compileGroup(spec: RouteSpec, problem: (path: Path, reason: string, message: string) => void): RouteGrouping | undefined {
  const group = spec.group as unknown;
  if (group === undefined || group === null) return undefined;
  if (typeof group !== 'object' || Array.isArray(group)) {
    problem(['group'], 'InvalidGroup', 'expected a mapping of by, waitSeconds and intervalSeconds');
    return undefined;
  }
  if (spec.drop) problem(['group'], 'DropWithGroup', 'a drop route sends nothing to group: remove either group or drop: true');
  const g = group as Record<string, unknown>;
  const out: RouteGrouping = { route: spec.id };
  for (const key of Object.keys(g)) if (!GROUP_KEYS.includes(key) && g[key] !== undefined) problem(['group', key], 'InvalidGroup', `unknown key (known keys: ${GROUP_KEYS.join(', ')})`);
  if (g.by !== undefined && g.by !== null) {
    if (!Array.isArray(g.by)) problem(['group', 'by'], 'InvalidGroup', 'expected a list of group dimensions');
    else {
      g.by.forEach((d, i) => {
        const p = groupDimensionProblem(d);
        if (p) problem(['group', 'by', i], 'InvalidGroup', p);
      });
      out.by = [...(g.by as string[])];
    }
  }
  const seconds = (key: 'waitSeconds' | 'intervalSeconds', min: number): void => {
    const v = g[key];
    if (v === undefined || v === null) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) problem(['group', key], 'InvalidGroup', `expected an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    else out[key] = v;
  };
  seconds('waitSeconds', 0);
  seconds('intervalSeconds', 1);
  return Object.freeze(out);
}

/** CEL pins narrow further only where the shorthand has none (both are necessary, either indexes correctly). */
function mergePins(into: Map<PinDim, string[]>, from: CelPins): void {
  for (const [dim, values] of from) if (!into.has(dim)) into.set(dim, values);
}

/** Whether the route matches; `why` says which condition failed first. */
export function evaluate(route: CompiledRoute, f: Facts): Verdict {
  for (const c of route.conditions) if (!c.test(f)) return { matched: false, why: c.why(f) };
  if (route.cel) {
    const r = route.cel.evaluate((f.bindings ??= celBindings(f.n)));
    if ('error' in r) return { matched: false, why: `cel: error: ${r.error}`, celError: r.error };
    if (!r.value) return { matched: false, why: 'cel: false' };
  }
  return { matched: true };
}
