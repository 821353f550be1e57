// CEL conditions of routes: the environment a route's `cel` expression sees
// (the notification as top-level variables, see docs/routes.md), compiling
// (parse, type-check to bool, plan) once per table build, and evaluating.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as CelLib from '@bufbuild/cel';
import type * as CelExt from '@bufbuild/cel/ext';
import { type Notification, Severity, State } from '../model/notification.ts';
import { type CelTy, checkExpr, type Expr, fromCelType, showTy } from './check.ts';

/** The variables an expression may use (their CEL types: celLibrary().variables). */
export const CEL_VARIABLE_NAMES = [
  // `namespace` is a reserved word in CEL: the object's namespace is `ns` or `object.namespace`
  'object', 'kind', 'ns', 'name', 'owner', 'reason', 'title', 'message', 'severity', 'state',
  'cluster', 'detector', 'eventType', 'user', 'groups', 'labels', 'fields', 'count', 'incidentKey',
] as const;

export type CelVariable = (typeof CEL_VARIABLE_NAMES)[number];
export type CelBindings = Record<CelVariable, string | bigint | string[] | Map<string, string>>;

/**
 * The CEL library (and the RE2 engine under it) loads on the first
 * expression compiled, not with the routing table: most configs route
 * without CEL, and a `kubeherald run` that never compiles one never holds
 * that code. Loaded synchronously (require of the ES module, the same
 * instance an import would give) since compiling is synchronous.
 */
interface CelLibrary {
  cel: typeof CelLib;
  env: ReturnType<typeof CelLib.celEnv>;
  varTypes: Map<string, CelTy>;
  overloads: Map<string, { target?: CelTy; args: CelTy[]; result: CelTy }[]>;
}

let library: CelLibrary | undefined;

function celLibrary(): CelLibrary {
  if (library) return library;
  const load = createRequire(import.meta.url);
  const esm = (specifier: string): unknown => load(fileURLToPath(import.meta.resolve(specifier)));
  const cel = esm('@bufbuild/cel') as typeof CelLib;
  const { strings } = esm('@bufbuild/cel/ext') as typeof CelExt;
  const STRING = cel.CelScalar.STRING;
  const STRING_MAP = cel.mapType(cel.CelScalar.STRING, cel.CelScalar.STRING);
  const variables = {
    object: STRING_MAP,
    kind: STRING,
    ns: STRING,
    name: STRING,
    owner: STRING_MAP,
    reason: STRING,
    title: STRING,
    message: STRING,
    severity: STRING,
    state: STRING,
    cluster: STRING,
    detector: STRING,
    eventType: STRING,
    user: STRING,
    groups: cel.listType(cel.CelScalar.STRING),
    labels: STRING_MAP,
    fields: STRING_MAP,
    count: cel.CelScalar.INT,
    incidentKey: STRING,
  } as const satisfies Record<CelVariable, CelLib.CelType>;
  const env = cel.celEnv({ funcs: strings, variables });
  const overloads = new Map<string, { target?: CelTy; args: CelTy[]; result: CelTy }[]>();
  for (const f of env.funcs) {
    let list = overloads.get(f.name);
    if (!list) overloads.set(f.name, (list = []));
    list.push({ target: f.target && fromCelType(f.target), args: f.arguments.map(fromCelType), result: fromCelType(f.result) });
  }
  library = { cel, env, varTypes: new Map(Object.entries(variables).map(([k, t]) => [k, fromCelType(t)])), overloads };
  return library;
}

export const SEVERITY_NAMES: Record<number, string> = { [Severity.CRITICAL]: 'critical', [Severity.WARNING]: 'warning', [Severity.INFO]: 'info' };
export const STATE_NAMES: Record<number, string> = { [State.FIRING]: 'firing', [State.RESOLVED]: 'resolved' };

/** The variables for one notification; built once per notification, shared by every route's expression. */
export function celBindings(n: Notification): CelBindings {
  const o = n.involvedObject;
  return {
    object: refMap(o),
    kind: o?.kind ?? '',
    ns: o?.namespace ?? '',
    name: o?.name ?? '',
    owner: refMap(n.owner),
    reason: n.reason,
    title: n.title,
    message: n.message,
    severity: SEVERITY_NAMES[n.severity] ?? '',
    state: STATE_NAMES[n.state] ?? '',
    cluster: n.cluster,
    detector: n.detector,
    eventType: n.eventType,
    user: n.user?.username ?? '',
    groups: n.user?.groups ?? [],
    labels: new Map(Object.entries(n.labels)),
    fields: new Map(Object.entries(n.fields)),
    count: BigInt(n.count),
    incidentKey: n.incidentKey,
  };
}

// every key present even without an owner, so `owner.kind == "Deployment"` is false rather than an error
function refMap(r: Notification['owner']): Map<string, string> {
  return new Map([
    ['apiVersion', r?.apiVersion ?? ''],
    ['kind', r?.kind ?? ''],
    ['namespace', r?.namespace ?? ''],
    ['name', r?.name ?? ''],
    ['uid', r?.uid ?? ''],
  ]);
}

/** What a top-level conjunct of an expression pins a variable to, e.g. `reason == "OOMKilled"`; used to index routes. */
export type CelPins = Map<PinDim, string[]>;

export type CompiledCel =
  | { ok: true; source: string; evaluate(b: CelBindings): { value: boolean } | { error: string }; pins: CelPins }
  | { ok: false; source: string; error: string };

const cache = new Map<string, CompiledCel>();

/**
 * Parses, type-checks (the result must be bool) and plans an expression.
 * Identical expressions share one compiled form, so a table rebuild costs
 * nothing for expressions it has seen.
 */
export function compileCel(source: string): CompiledCel {
  const hit = cache.get(source);
  if (hit) return hit;
  const compiled = compileUncached(source);
  // bounded: a long-running controller sees edited expressions come and go
  if (cache.size >= 10_000) cache.clear();
  cache.set(source, compiled);
  return compiled;
}

/** How deep parentheses, lists and maps may nest in an expression: the parser and checker recurse per level. */
export const MAX_CEL_NESTING = 32;

/** The deepest nesting of (), [] and {} outside string literals. */
export function celNesting(source: string): number {
  let depth = 0;
  let max = 0;
  let quote: string | undefined;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (quote) {
      if (c === '\\') i++;
      else if (source.startsWith(quote, i)) {
        i += quote.length - 1;
        quote = undefined;
      }
      continue;
    }
    if (c === '"' || c === "'") quote = source.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
    if (quote && quote.length === 3) i += 2;
    else if (c === '(' || c === '[' || c === '{') max = Math.max(max, ++depth);
    else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
  }
  return max;
}

const TOO_DEEP = `nested too deeply (limit ${MAX_CEL_NESTING})`;

function compileUncached(source: string): CompiledCel {
  if (celNesting(source) > MAX_CEL_NESTING) return { ok: false, source, error: TOO_DEEP };
  try {
    return compileChecked(source);
  } catch (err) {
    // long operator chains nest without brackets: whatever still overflows the stack is said the same way
    if (err instanceof RangeError) return { ok: false, source, error: `${TOO_DEEP.replace(/ \(.*/, '')} (too many nested operators)` };
    throw err;
  }
}

function compileChecked(source: string): CompiledCel {
  const { cel, env, varTypes, overloads } = celLibrary();
  let parsed: ReturnType<typeof cel.parse>;
  try {
    parsed = cel.parse(source);
  } catch (err) {
    let error = (err as Error).message.replace(/^<input>:/, '');
    if (/reserved identifier/.test(error) && /\bnamespace\b/.test(source)) error += ' (namespace is reserved in CEL: write ns or object.namespace)';
    return { ok: false, source, error };
  }
  const checked = checkExpr(parsed.expr, { vars: varTypes, overloads, position: (id) => position(source, parsed.sourceInfo?.positions[id.toString()]) });
  if (checked.errors.length) return { ok: false, source, error: checked.errors.join('; ') };
  if (checked.type.k !== 'bool' && checked.type.k !== 'dyn') {
    return { ok: false, source, error: `expected the expression to be bool, but it is ${showTy(checked.type)}` };
  }
  let run: (b: CelBindings) => unknown;
  try {
    run = cel.plan(env, parsed) as (b: CelBindings) => unknown;
  } catch (err) {
    return { ok: false, source, error: (err as Error).message };
  }
  return {
    ok: true,
    source,
    pins: pinsOf(parsed.expr),
    evaluate(b) {
      let r: unknown;
      try {
        r = run(b);
      } catch (err) {
        return { error: (err as Error).message };
      }
      if (cel.isCelError(r)) return { error: r.message };
      if (typeof r !== 'boolean') return { error: `expected bool, got ${typeof r === 'bigint' ? 'int' : typeof r}` };
      return { value: r };
    },
  };
}

function position(source: string, offset: number | undefined): string {
  if (offset === undefined) return '';
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - before.lastIndexOf('\n');
  return `${line}:${col}`;
}

/** The index dimensions, and the variables that name them. */
export type PinDim = 'kind' | 'namespace' | 'reason' | 'severity' | 'state' | 'detector' | 'eventType' | 'user';
const PINNABLE: Record<string, PinDim> = { kind: 'kind', ns: 'namespace', 'object.kind': 'kind', 'object.namespace': 'namespace', reason: 'reason', severity: 'severity', state: 'state', detector: 'detector', eventType: 'eventType', user: 'user' };

/**
 * Variables the expression requires to equal one of some constants: from
 * top-level `&&` conjuncts of the form `v == "c"`, `"c" == v` or
 * `v in ["a", "b"]`. Such an expression is false for any other value, so the
 * route need not be evaluated for notifications with another value.
 */
function pinsOf(expr: Expr): CelPins {
  const pins: CelPins = new Map();
  const visit = (e: Expr | undefined): void => {
    if (e?.exprKind.case !== 'callExpr') return;
    const call = e.exprKind.value;
    if (call.target) return;
    if (call.function === '_&&_') {
      call.args.forEach(visit);
      return;
    }
    if (call.function === '_==_' && call.args.length === 2) {
      const [a, b] = call.args;
      const dim = pinnable(a) ?? pinnable(b);
      const c = stringConst(pinnable(a) ? b : a);
      if (dim && c !== undefined && !pins.has(dim)) pins.set(dim, [c]);
    } else if (call.function === '@in' && call.args.length === 2) {
      const dim = pinnable(call.args[0]);
      const list = call.args[1].exprKind;
      if (!dim || pins.has(dim) || list.case !== 'listExpr' || list.value.optionalIndices.length) return;
      const values = list.value.elements.map(stringConst);
      if (values.every((x) => x !== undefined)) pins.set(dim, values as string[]);
    }
  };
  visit(expr);
  return pins;
}

/** `reason`, `ns`, `object.kind` …: a variable with an index dimension. */
function pinnable(e: Expr | undefined): PinDim | undefined {
  const k = e?.exprKind;
  if (k?.case === 'identExpr') return Object.hasOwn(PINNABLE, k.value.name) ? PINNABLE[k.value.name] : undefined;
  if (k?.case === 'selectExpr' && !k.value.testOnly && k.value.operand?.exprKind.case === 'identExpr' && k.value.operand.exprKind.value.name === 'object') {
    return PINNABLE[`object.${k.value.field}`];
  }
  return undefined;
}

function stringConst(e: Expr | undefined): string | undefined {
  if (e?.exprKind.case !== 'constExpr') return undefined;
  const c = e.exprKind.value.constantKind;
  return c.case === 'stringValue' ? c.value : undefined;
}
