// Type errors of built-in kinds as kube-apiserver's decoding reports them.
// The real server unmarshals a body into the kind's Go struct with
// sigs.k8s.io/json (encoding/json's rules): a value of the wrong JSON type is
// an UnmarshalTypeError naming the innermost struct, the JSON path of struct
// fields (map keys and list indexes are not part of it) and the Go type; the
// first such error wins, unless a custom unmarshaler (Quantity, Time) fails,
// which aborts at once. The OpenAPI schemas of src/sim/builtins.ts stand in
// for the Go types.

import { openapiName } from './builtins.ts';
import type { JSONSchemaProps } from './types.ts';

type S = JSONSchemaProps;
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const TIME = new Set(['io.k8s.apimachinery.pkg.apis.meta.v1.Time', 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime']);

/** A type error found while decoding, with where it was found. */
export interface DecodeError {
  /** encoding/json's message, e.g. `json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`. */
  message: string;
  /** The JSON path with list indexes, for server-side apply's `.spec.replicas` form. */
  path: string;
  /** What the schema wanted: numeric, string, boolean, map, list; undefined for value errors (quantities, times). */
  expected?: 'numeric' | 'string' | 'boolean' | 'map' | 'list';
  /** The offending value. */
  value: unknown;
  /** The Go type the value was meant for (reflect's String()), for type errors. */
  type?: string;
  /** A custom unmarshaler's own error, as it reads without the decoder's field context. */
  bare?: string;
}

/** encoding/json's name for the kind of a JSON value, as UnmarshalTypeError.Value. */
function jsonKind(v: unknown, forInt = false): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'number') return forInt ? `number ${goNumberText(v)}` : 'number';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  return 'object';
}

/** The literal as it appeared in JSON, near enough: JS prints 1e21 as "1e+21", Go quotes the input text. */
function goNumberText(n: number): string {
  return String(n);
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** The Go struct name and qualified type for a schema: from its OpenAPI name, else guessed from the field. */
function structNames(s: S, field: string): { struct: string; type: string } {
  const name = openapiName(s);
  if (name) {
    const parts = name.split('.');
    const struct = parts[parts.length - 1];
    return { struct, type: `${parts[parts.length - 2]}.${struct}` };
  }
  const struct = capitalize(field);
  return { struct, type: `v1.${struct}` };
}

function isStruct(s: S): boolean {
  return s.type === 'object' && s.additionalProperties === undefined;
}

function isMap(s: S): boolean {
  return s.type === 'object' && typeof s.additionalProperties === 'object';
}

/** reflect.Type.String() of the Go type a schema stands for. */
function goType(s: S, field: string): string {
  const name = openapiName(s);
  if (name === QUANTITY) return 'resource.Quantity';
  if (name === INT_OR_STRING) return 'intstr.IntOrString';
  if (name && TIME.has(name)) return `v1.${name.split('.').pop()}`;
  if (s.type === 'string') return s.format === 'byte' ? '[]uint8' : 'string';
  if (s.type === 'integer') return s.format === 'int32' ? 'int32' : 'int64';
  if (s.type === 'number') return 'float64';
  if (s.type === 'boolean') return 'bool';
  if (s.type === 'array') return `[]${s.items ? goType(s.items, field) : 'interface {}'}`;
  if (isMap(s)) {
    const elem = s.additionalProperties as S;
    // core/v1's ResourceList is a named map type
    if (openapiName(elem) === QUANTITY) return 'v1.ResourceList';
    return `map[string]${goType(elem, field)}`;
  }
  return structNames(s, field).type;
}

const QUANTITY_FORMAT = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const QUANTITY_SUFFIX = /^(|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][-+]?[0-9]+)$/;

/** resource.ParseQuantity's errors, for what Quantity.UnmarshalJSON was given. */
function quantityError(value: unknown): string | undefined {
  if (value === null) return undefined;
  const text = (typeof value === 'string' ? value : JSON.stringify(value)).trim();
  const m = QUANTITY_FORMAT.exec(text);
  if (!m) return "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(m[1])) return 'unable to parse numeric part of quantity';
  if (!QUANTITY_SUFFIX.test(m[2])) return "unable to parse quantity's suffix";
  return undefined;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

class Abort extends Error {
  readonly found: DecodeError;
  constructor(found: DecodeError) {
    super(found.message);
    this.found = found;
  }
}

interface Ctx {
  /** The innermost Go struct and the JSON path of struct fields that led here. */
  struct: string;
  fields: string[];
  /** The path with list indexes (server-side apply's form). */
  path: string;
  /** The same place in the stored object, when there is one: what is unchanged there was accepted before. */
  base?: unknown;
}

class Walker {
  first: DecodeError | undefined;

  save(ctx: Ctx, value: unknown, type: string, expected: DecodeError['expected'], forInt = false): void {
    if (this.first) return;
    const where = ctx.fields.length ? `Go struct field ${ctx.struct}.${ctx.fields.join('.')}` : 'Go value';
    this.first = { message: `json: cannot unmarshal ${jsonKind(value, forInt)} into ${where} of type ${type}`, path: ctx.path, expected, value, type };
  }

  walk(value: unknown, s: S, ctx: Ctx, field: string): void {
    // encoding/json leaves a field alone when given null
    if (value === null || value === undefined) return;
    if (ctx.base !== undefined && JSON.stringify(ctx.base) === JSON.stringify(value)) return;
    const name = openapiName(s);
    if (name === QUANTITY) {
      const msg = quantityError(value);
      if (msg) throw new Abort({ message: msg, path: ctx.path, value });
      return;
    }
    if (name === INT_OR_STRING) {
      if (typeof value === 'string') return;
      // IntOrString.UnmarshalJSON decodes anything but a string into its int32
      if (typeof value !== 'number' || !Number.isInteger(value) || value > 2147483647 || value < -2147483648) {
        throw new Abort({ ...this.typeError(ctx, value, 'int32', true), expected: 'numeric' });
      }
      return;
    }
    if (name && TIME.has(name)) {
      // metav1.Time.UnmarshalJSON reads a string, then parses it as RFC 3339
      if (typeof value !== 'string') throw new Abort({ ...this.typeError(ctx, value, 'string', false), expected: 'string' });
      if (!RFC3339.test(value)) {
        throw new Abort({ message: `parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(value)} as "2006"`, path: ctx.path, value });
      }
      return;
    }
    if (s['x-kubernetes-int-or-string']) return;
    if (s.type === 'array') {
      if (!Array.isArray(value)) return this.save(ctx, value, goType(s, field), 'list');
      const base = Array.isArray(ctx.base) ? ctx.base : [];
      if (s.items) value.forEach((item, i) => this.walk(item, s.items!, { ...ctx, path: `${ctx.path}[${i}]`, base: base[i] }, field));
      return;
    }
    if (s.type === 'object') {
      if (!isObj(value)) return this.save(ctx, value, goType(s, field), 'map');
      if (isMap(s)) {
        // map values keep the struct context: keys are not part of encoding/json's path
        for (const [k, v] of Object.entries(value)) this.walk(v, s.additionalProperties as S, { ...ctx, path: `${ctx.path}.${k}`, base: child(ctx.base, k) }, field);
        return;
      }
      if (!isStruct(s) || !s.properties) return;
      const { struct } = structNames(s, field);
      for (const [k, v] of Object.entries(value)) {
        if (!Object.hasOwn(s.properties, k)) continue; // unknown fields are strict validation's business
        this.walk(v, s.properties[k], { struct, fields: [...ctx.fields, k], path: `${ctx.path}.${k}`, base: child(ctx.base, k) }, k);
      }
      return;
    }
    if (s.type === 'string') {
      if (typeof value !== 'string') return this.save(ctx, value, goType(s, field), 'string');
      if (s.format === 'byte' && !isBase64(value)) {
        // base64 errors are saved like type errors, not wrapped
        if (!this.first) this.first = { message: `illegal base64 data at input byte ${base64ErrorOffset(value)}`, path: ctx.path, value };
      }
      return;
    }
    if (s.type === 'integer') {
      const bits = s.format === 'int32' ? 31 : 63;
      const ok = typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 2 ** bits;
      if (!ok) this.save(ctx, value, goType(s, field), 'numeric', typeof value === 'number');
      return;
    }
    if (s.type === 'number') {
      if (typeof value !== 'number') this.save(ctx, value, 'float64', 'numeric');
      return;
    }
    if (s.type === 'boolean' && typeof value !== 'boolean') this.save(ctx, value, 'bool', 'boolean');
  }

  typeError(ctx: Ctx, value: unknown, type: string, forInt: boolean): DecodeError {
    const where = ctx.fields.length ? `Go struct field ${ctx.struct}.${ctx.fields.join('.')}` : 'Go value';
    const kind = jsonKind(value, forInt);
    return { message: `json: cannot unmarshal ${kind} into ${where} of type ${type}`, path: ctx.path, value, bare: `json: cannot unmarshal ${kind} into Go value of type ${type}` };
  }
}

const child = (base: unknown, key: string): unknown => (isObj(base) ? base[key] : undefined);

function isBase64(s: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0;
}

/** Where base64.StdEncoding gives up, near enough: the first bad character, else the end. */
function base64ErrorOffset(s: string): number {
  const bad = s.search(/[^A-Za-z0-9+/=]/);
  if (bad >= 0) return bad;
  const pad = s.indexOf('=');
  if (pad >= 0 && pad < s.length - 2) return pad;
  return s.length - (s.length % 4);
}

/**
 * The first error decoding `obj` into the Go type `schema` describes, or
 * undefined when it decodes. `kind` names the root struct. Parts equal to
 * the same place in `stored` (the object as stored, for updates and patches)
 * are not checked again: the simulator's schemas are approximations, and what
 * it stored itself must not make a client's write fail.
 */
export function decodeError(obj: unknown, schema: JSONSchemaProps, kind: string, stored?: unknown): DecodeError | undefined {
  const w = new Walker();
  try {
    w.walk(obj, schema, { struct: kind, fields: [], path: '', base: stored }, kind);
  } catch (e) {
    if (e instanceof Abort) return e.found;
    throw e;
  }
  return w.first;
}

/** A decoded Go object has no nulls: a null member is a nil or zero field, which is omitted. */
export function dropNullMembers(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNullMembers);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNullMembers(x);
  return out;
}

/** The body of kube-apiserver's 400 for an object that cannot be decoded (transformDecodeError). */
export function cannotBeHandled(kind: string, version: string, err: DecodeError): string {
  return `${kind} in version ${JSON.stringify(version)} cannot be handled as a ${kind}: ${err.message}`;
}

/** reflect.Kind of an unstructured value, as runtime.DefaultUnstructuredConverter names it. */
function goKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (Array.isArray(v)) return 'slice';
  return 'map';
}

/**
 * The error runtime.DefaultUnstructuredConverter.FromUnstructured gives for
 * a decode error, which is what a strategic merge patch of the wrong type
 * meets: JSON's conversions between numbers and strings are refused, kinds
 * it cannot convert are "unrecognized".
 */
export function converterError(err: DecodeError): string {
  if (!err.type) return err.bare ?? err.message;
  const from = goKind(err.value);
  const to = err.type;
  if (to.startsWith('[]')) return `cannot restore slice from ${from}`;
  if (to.startsWith('map[') || to === 'v1.ResourceList') return `cannot restore map from ${from}`;
  if (err.expected === 'map') return `cannot restore struct from: ${from}`;
  // Go converts integers to floats, ints and strings, and whole floats to ints
  if (from === 'int64' && to === 'string') return 'cannot convert int64 to string';
  if (from === 'float64' && /^u?int/.test(to)) return `cannot convert float64 to ${to}`;
  return `unrecognized type: ${to}`;
}

/** Go's %T of the unstructured value structured-merge-diff was given. */
function goDynamicType(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

/** structured-merge-diff's validation error for an applied configuration of the wrong type. */
export function typedPatchError(err: DecodeError): string {
  const at = err.path || '.';
  switch (err.expected) {
    case 'numeric':
      return `${at}: expected numeric (int or float), got ${goDynamicType(err.value)}`;
    case 'string':
      return `${at}: expected string, got ${goDynamicType(err.value)}`;
    case 'boolean':
      return `${at}: expected boolean, got ${goDynamicType(err.value)}`;
    case 'map':
      return `${at}: expected map, got ${goDynamicType(err.value)}`;
    case 'list':
      return `${at}: expected list, got ${goDynamicType(err.value)}`;
    default:
      return `${at}: ${err.message}`;
  }
}
