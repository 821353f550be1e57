// A CEL type checker for route conditions. @bufbuild/cel parses and
// evaluates but (as of 0.6) does not type-check calls, so a typo such as
// `reasn == "x"` or a non-bool `reason` would only show up, per
// notification, at run time. This checks an expression against the declared
// variables and the overloads the environment really has, so every such
// mistake is a compile-time problem naming its position.

import type { CelType, parse } from '@bufbuild/cel';

export type Expr = ReturnType<typeof parse>['expr'];

type Scalar = 'bool' | 'int' | 'uint' | 'double' | 'string' | 'bytes' | 'null' | 'dyn' | 'type' | 'timestamp' | 'duration';
export type CelTy = { k: Scalar } | { k: 'list'; e: CelTy } | { k: 'map'; key: CelTy; val: CelTy };

export interface Overload {
  target?: CelTy;
  args: CelTy[];
  result: CelTy;
}

export interface CheckEnv {
  vars: ReadonlyMap<string, CelTy>;
  overloads: ReadonlyMap<string, Overload[]>;
  /** "line:col" of an expression id, or "" */
  position(id: bigint): string;
}

const T = (k: Scalar): CelTy => ({ k });
const DYN = T('dyn');
const BOOL = T('bool');
const INT = T('int');

export function fromCelType(t: CelType): CelTy {
  switch (t.kind) {
    case 'list':
      return { k: 'list', e: fromCelType(t.element) };
    case 'map':
      return { k: 'map', key: fromCelType(t.key), val: fromCelType(t.value) };
    case 'object':
      if (t.name === 'google.protobuf.Timestamp') return T('timestamp');
      if (t.name === 'google.protobuf.Duration') return T('duration');
      return DYN;
    default:
      return T(t.scalar === 'null_type' ? 'null' : t.scalar);
  }
}

export function showTy(t: CelTy): string {
  if (t.k === 'list') return `list(${showTy(t.e)})`;
  if (t.k === 'map') return `map(${showTy(t.key)}, ${showTy(t.val)})`;
  if (t.k === 'null') return 'null_type';
  if (t.k === 'timestamp') return 'google.protobuf.Timestamp';
  if (t.k === 'duration') return 'google.protobuf.Duration';
  return t.k;
}

/** Whether a value of type `arg` may be passed where `param` is declared. */
function assignable(param: CelTy, arg: CelTy): boolean {
  if (param.k === 'dyn' || arg.k === 'dyn') return true;
  if (param.k === 'list') return arg.k === 'list' && assignable(param.e, arg.e);
  if (param.k === 'map') return arg.k === 'map' && assignable(param.key, arg.key) && assignable(param.val, arg.val);
  return param.k === arg.k;
}

function same(a: CelTy, b: CelTy): boolean {
  return showTy(a) === showTy(b);
}

function join(a: CelTy, b: CelTy): CelTy {
  if (same(a, b)) return a;
  if (a.k === 'list' && b.k === 'list') return { k: 'list', e: join(a.e, b.e) };
  return DYN;
}

const NUMERIC = new Set(['int', 'uint', 'double']);
const TYPE_NAMES = new Set(['bool', 'int', 'uint', 'double', 'string', 'bytes', 'list', 'map', 'null_type', 'type', 'dyn']);

/** Types every sub-expression; `type` is dyn where an error made it unknown. */
export function checkExpr(expr: Expr, env: CheckEnv): { type: CelTy; errors: string[] } {
  const errors: string[] = [];
  const scopes: Map<string, CelTy>[] = [];
  const fail = (e: Expr, message: string): CelTy => {
    const at = env.position(e.id);
    errors.push(at ? `${at}: ${message}` : message);
    return DYN;
  };

  const lookup = (name: string): CelTy | undefined => {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const t = scopes[i].get(name);
      if (t) return t;
    }
    return env.vars.get(name) ?? (TYPE_NAMES.has(name) ? T('type') : undefined);
  };

  const check = (e: Expr | undefined): CelTy => {
    if (!e) return DYN;
    const kind = e.exprKind;
    switch (kind.case) {
      case 'constExpr': {
        const c = kind.value.constantKind;
        switch (c.case) {
          case 'boolValue':
            return BOOL;
          case 'int64Value':
            return INT;
          case 'uint64Value':
            return T('uint');
          case 'doubleValue':
            return T('double');
          case 'stringValue':
            return T('string');
          case 'bytesValue':
            return T('bytes');
          case 'nullValue':
            return T('null');
          case 'durationValue':
            return T('duration');
          case 'timestampValue':
            return T('timestamp');
          default:
            return DYN;
        }
      }
      case 'identExpr':
        return lookup(kind.value.name) ?? fail(e, `undeclared reference to '${kind.value.name}'`);
      case 'selectExpr': {
        const operand = check(kind.value.operand);
        if (operand.k === 'dyn') return kind.value.testOnly ? BOOL : DYN;
        if (operand.k === 'map' && assignable(operand.key, T('string'))) return kind.value.testOnly ? BOOL : operand.val;
        return fail(e, `type '${showTy(operand)}' does not support field selection`);
      }
      case 'listExpr': {
        const types = kind.value.elements.map(check);
        return { k: 'list', e: types.length ? types.reduce(join) : DYN };
      }
      case 'structExpr': {
        if (kind.value.messageName) return fail(e, `unknown type '${kind.value.messageName}'`);
        let key: CelTy | undefined;
        let val: CelTy | undefined;
        for (const entry of kind.value.entries) {
          const k = entry.keyKind.case === 'mapKey' ? check(entry.keyKind.value) : DYN;
          const v = check(entry.value);
          key = key ? join(key, k) : k;
          val = val ? join(val, v) : v;
        }
        return { k: 'map', key: key ?? DYN, val: val ?? DYN };
      }
      case 'comprehensionExpr': {
        const c = kind.value;
        const range = check(c.iterRange);
        const vars = new Map<string, CelTy>();
        if (range.k === 'list') {
          if (c.iterVar2) vars.set(c.iterVar, INT).set(c.iterVar2, range.e);
          else vars.set(c.iterVar, range.e);
        } else if (range.k === 'map') {
          vars.set(c.iterVar, range.key);
          if (c.iterVar2) vars.set(c.iterVar2, range.val);
        } else if (range.k === 'dyn') {
          vars.set(c.iterVar, DYN);
          if (c.iterVar2) vars.set(c.iterVar2, DYN);
        } else {
          fail(c.iterRange ?? e, `expression of type '${showTy(range)}' cannot be the range of a comprehension (must be list, map, or dynamic)`);
          vars.set(c.iterVar, DYN);
          if (c.iterVar2) vars.set(c.iterVar2, DYN);
        }
        const init = check(c.accuInit);
        scopes.push(new Map([[c.accuVar, init]]), vars);
        check(c.loopCondition);
        const step = check(c.loopStep);
        scopes.pop();
        scopes.pop();
        // the accumulator's type is what the steps make of it (e.g. [] grows into list(int))
        const accu = init.k === 'list' && init.e.k === 'dyn' && step.k === 'list' ? step : join(init, step);
        scopes.push(new Map([[c.accuVar, accu]]));
        const result = check(c.result);
        scopes.pop();
        return result;
      }
      case 'callExpr':
        return checkCall(e, kind.value);
      default:
        return fail(e, 'empty expression');
    }
  };

  const checkCall = (e: Expr, call: Extract<Expr['exprKind'], { case: 'callExpr' }>['value']): CelTy => {
    const target = call.target ? check(call.target) : undefined;
    const args = call.args.map(check);
    const applied = (): string => `${target ? `${showTy(target)}.` : ''}(${args.map(showTy).join(', ')})`;
    const noOverload = (): CelTy => fail(e, `found no matching overload for '${call.function}' applied to '${applied()}'`);
    switch (call.function) {
      case '_&&_':
      case '_||_':
        return args.every((a) => assignable(BOOL, a)) ? BOOL : noOverload();
      case '@not_strictly_false':
        return BOOL;
      case '_?_:_':
        if (!assignable(BOOL, args[0])) return noOverload();
        return join(args[1], args[2]);
      case '_[_]': {
        const [c, i] = args;
        if (c.k === 'dyn') return DYN;
        if (c.k === 'list' && (i.k === 'int' || i.k === 'uint' || i.k === 'dyn')) return c.e;
        if (c.k === 'map' && assignable(c.key, i)) return c.val;
        return noOverload();
      }
      case '_==_':
      case '_!=_': {
        // the std declaration takes (dyn, dyn); CEL's checker wants comparable types, which catches `count == "5"`
        const [a, b] = args;
        const ok = assignable(a, b) || assignable(b, a) || (NUMERIC.has(a.k) && NUMERIC.has(b.k)) || a.k === 'null' || b.k === 'null';
        return ok ? BOOL : noOverload();
      }
    }
    const candidates = env.overloads.get(call.function);
    if (!candidates) return fail(e, `undeclared reference to '${call.function}'`);
    const matching = candidates.filter(
      (o) => (target ? o.target !== undefined && assignable(o.target, target) : o.target === undefined) && o.args.length === args.length && o.args.every((p, i) => assignable(p, args[i])),
    );
    if (matching.length === 0) return noOverload();
    const result = matching.map((o) => o.result).reduce((a, b) => (same(a, b) ? a : DYN));
    // list concatenation is declared on list(dyn); keep the element type when both sides agree
    if (call.function === '_+_' && args[0].k === 'list' && args[1].k === 'list') return join(args[0], args[1]);
    return result;
  };

  const type = check(expr);
  return { type, errors };
}
