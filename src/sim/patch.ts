// The PATCH verb's body handling, as kube-apiserver does it: JSON patch
// (evanphx/json-patch v4, which kube vendors, quirks included), JSON merge
// patch, strategic merge patch (apimachinery's strategicpatch, driven by a
// table of the built-in types' patchStrategy/patchMergeKey tags) and a
// server-side apply merge (structured-merge-diff's list ordering, without
// managedFields bookkeeping). Errors carry the status code, reason and wording
// the real handler produces (staging/.../endpoints/handlers/patch.go).

import { parse as parseYaml, YAMLParseError } from 'yaml';
import { converterError, decodeError, typedPatchError } from './decode.ts';
import { ApiError, badRequest } from './errors.ts';
import { unknownFields } from './validation.ts';
import { objectMetaSchema, typeMetaProperties } from './builtins.ts';
import type { JSONSchemaProps, Json, KObject } from './types.ts';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface PatchContext {
  group: string;
  kind: string;
  crd: boolean;
  /** The served version; lets server-side apply check the body's apiVersion like the real server. */
  version?: string;
  /** A custom resource's schema: server-side apply merges its lists by x-kubernetes-list-type. */
  schema?: JSONSchemaProps;
}

type JMap = { [k: string]: Json };

// ---------------------------------------------------------------------------
// Content types

const MEDIA: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

// In the order the real handlers list them (installer.go; crdHandler for custom resources).
const BUILTIN_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];
const CR_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];

function unsupportedMediaType(accepted: string[]): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

/**
 * Maps a request Content-Type to a PatchType, or throws 415 UnsupportedMediaType.
 * Like the real handler, parameters after the first ";" are dropped and the
 * comparison is exact (no case folding, no trimming). Custom resources do not
 * accept strategic merge patch.
 */
export function patchTypeOf(contentType: string | undefined, crd = false): PatchType {
  let ct = contentType ?? '';
  const idx = ct.indexOf(';');
  if (idx > 0) ct = ct.slice(0, idx);
  const accepted = crd ? CR_TYPES : BUILTIN_TYPES;
  if (!accepted.includes(ct)) throw unsupportedMediaType(accepted);
  return MEDIA[ct];
}

// ---------------------------------------------------------------------------
// Small JSON helpers

const isMap = (v: unknown): v is JMap => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Go's name for the JSON value kind, as in "cannot unmarshal <kind> into ...". */
function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  switch (typeof v) {
    case 'object':
      return 'object';
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'bool';
    default:
      return 'value';
  }
}

/** fmt's %v of a decoded JSON value: map[k:v ...] with sorted keys, [a b], <nil>. */
function goFmt(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFmt).join(' ')}]`;
  if (isMap(v))
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goFmt(v[k])}`)
      .join(' ')}]`;
  if (typeof v === 'number') return goNumber(v);
  return String(v);
}

function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  // %v of a float64 uses the shortest repr with an exponent beyond 1e21 ("1e+21").
  const s = String(n);
  return s.replace(/e\+?(-?)(\d)$/, 'e+$10$2').replace('e+-', 'e-');
}

/** reflect.TypeOf(v).String() for decoded JSON values. */
function goType(v: unknown): string {
  if (v === null || v === undefined) return '%!s(<nil>)';
  if (Array.isArray(v)) return '[]interface {}';
  if (isMap(v)) return 'map[string]interface {}';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  return 'string';
}

/** %s of a value that is not necessarily a string. */
function goFmtS(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '%!s(<nil>)';
  return `%!s(${goType(v)}=${goFmt(v)})`;
}

/** strconv.Quote, for the characters JSON text can carry. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

// ---------------------------------------------------------------------------
// encoding/json's syntax errors, so a malformed body gets Go's exact message.

function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  const q = goQuote(c);
  return `'${q.slice(1, -1)}'`;
}

/** Returns Go's json syntax error message for `text`, or null when it is valid JSON. */
export function goJsonSyntaxError(text: string): string | null {
  let i = 0;
  const EOF = 'unexpected end of JSON input';
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = (msg: string): never => {
    throw new SyntaxError(msg);
  };
  const peek = (): string => (i < text.length ? text[i] : fail(EOF));
  const isDigit = (c: string) => c >= '0' && c <= '9';

  const literal = (word: string) => {
    for (let k = 0; k < word.length; k++) {
      const c = peek();
      if (c !== word[k]) fail(`invalid character ${quoteChar(c)} in literal ${word} (expecting ${quoteChar(word[k])})`);
      i++;
    }
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      const c = peek();
      i++;
      if (c === '"') return;
      if (c === '\\') {
        const e = peek();
        i++;
        if (e === 'u') {
          for (let k = 0; k < 4; k++) {
            const h = peek();
            if (!/[0-9a-fA-F]/.test(h)) fail(`invalid character ${quoteChar(h)} in \\u hexadecimal character escape`);
            i++;
          }
        } else if (!'"\\/bfnrt'.includes(e)) fail(`invalid character ${quoteChar(e)} in string escape code`);
      } else if (c.charCodeAt(0) < 0x20) fail(`invalid character ${quoteChar(c)} in string literal`);
    }
  };
  const number = () => {
    if (peek() === '-') {
      i++;
      const c = peek();
      if (!isDigit(c)) fail(`invalid character ${quoteChar(c)} in numeric literal`);
    }
    if (peek() === '0') i++;
    else while (i < text.length && isDigit(text[i])) i++;
    if (i < text.length && text[i] === '.') {
      i++;
      const c = peek();
      if (!isDigit(c)) fail(`invalid character ${quoteChar(c)} after decimal point in numeric literal`);
      while (i < text.length && isDigit(text[i])) i++;
    }
    if (i < text.length && (text[i] === 'e' || text[i] === 'E')) {
      i++;
      if (peek() === '+' || peek() === '-') i++;
      const c = peek();
      if (!isDigit(c)) fail(`invalid character ${quoteChar(c)} in exponent of numeric literal`);
      while (i < text.length && isDigit(text[i])) i++;
    }
  };
  const value = (): void => {
    ws();
    const c = peek();
    if (c === '{') {
      i++;
      ws();
      if (peek() === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        const k = peek();
        if (k !== '"') fail(`invalid character ${quoteChar(k)} looking for beginning of object key string`);
        string();
        ws();
        const colon = peek();
        if (colon !== ':') fail(`invalid character ${quoteChar(colon)} after object key`);
        i++;
        value();
        ws();
        const sep = peek();
        i++;
        if (sep === '}') return;
        if (sep !== ',') fail(`invalid character ${quoteChar(sep)} after object key:value pair`);
      }
    } else if (c === '[') {
      i++;
      ws();
      if (peek() === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        const sep = peek();
        i++;
        if (sep === ']') return;
        if (sep !== ',') fail(`invalid character ${quoteChar(sep)} after array element`);
      }
    } else if (c === '"') string();
    else if (c === '-' || isDigit(c)) number();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else fail(`invalid character ${quoteChar(c)} looking for beginning of value`);
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`invalid character ${quoteChar(text[i])} after top-level value`);
    return null;
  } catch (e) {
    if (e instanceof SyntaxError) return e.message;
    throw e;
  }
}

/** JSON.parse with Go's syntax error text; `onSyntax` builds the error to throw. */
function parseJson(body: string, onSyntax: (goMessage: string) => ApiError): unknown {
  const err = goJsonSyntaxError(body);
  if (err !== null) throw onSyntax(err);
  return JSON.parse(body);
}

// ---------------------------------------------------------------------------
// Errors shaped like the handler's

/** errors.NewGenericServerResponse(422, ...): the detail is dropped, as kubectl users know well. */
const unprocessable = (): ApiError =>
  new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});

/** A plain Go error reaching the handler: 500 with an empty (Unknown) reason. */
const internal = (message: string): ApiError => new ApiError(500, '', message);

/** The patched document could not be decoded into the kind: errors.NewInvalid(GroupKind{}, "", patch: Invalid value). */
function undecodable(value: string, detail: string): ApiError {
  const body = `Invalid value: ${goQuote(value)}: ${detail}`;
  return new ApiError(422, 'Invalid', ` "" is invalid: patch: ${body}`, {
    causes: [{ reason: 'FieldValueInvalid', message: body, field: 'patch' }],
  });
}

// ---------------------------------------------------------------------------
// Patch metadata for the built-in types: which lists merge, and by what key.

interface ListMeta {
  /** patchMergeKey; "" for a list of scalars merged as a set. */
  key: string;
  /** listMapKeys for server-side apply, when they differ from [key]. */
  ssaKeys?: string[];
  /** Default values structured-merge-diff assumes for omitted key fields. */
  defaults?: Record<string, Json>;
}

type Table = Map<string, ListMeta>;

const byName: ListMeta = { key: 'name' };
const byType: ListMeta = { key: 'type' };
const byIP: ListMeta = { key: 'ip' };

function objectMetaLists(prefix: string): [string, ListMeta][] {
  const p = prefix ? prefix + '.' : '';
  return [
    [`${p}metadata.finalizers`, { key: '' }],
    [`${p}metadata.ownerReferences`, { key: 'uid' }],
  ];
}

function containerLists(prefix: string): [string, ListMeta][] {
  return [
    [`${prefix}.ports`, { key: 'containerPort', ssaKeys: ['containerPort', 'protocol'], defaults: { protocol: 'TCP' } }],
    [`${prefix}.env`, byName],
    [`${prefix}.volumeMounts`, { key: 'mountPath' }],
    [`${prefix}.volumeDevices`, { key: 'devicePath' }],
  ];
}

/** PodSpec's merge lists (k8s.io/api/core/v1 tags), rooted at `spec`. */
function podSpecLists(spec: string): [string, ListMeta][] {
  return [
    [`${spec}.volumes`, byName],
    [`${spec}.containers`, byName],
    [`${spec}.initContainers`, byName],
    [`${spec}.ephemeralContainers`, byName],
    ...containerLists(`${spec}.containers[]`),
    ...containerLists(`${spec}.initContainers[]`),
    ...containerLists(`${spec}.ephemeralContainers[]`),
    [`${spec}.imagePullSecrets`, byName],
    [`${spec}.hostAliases`, byIP],
    [
      `${spec}.topologySpreadConstraints`,
      { key: 'topologyKey', ssaKeys: ['topologyKey', 'whenUnsatisfiable'] },
    ],
    [`${spec}.schedulingGates`, byName],
    [`${spec}.resourceClaims`, byName],
  ];
}

/** A pod template at `template`: its metadata and spec. */
const templateLists = (template: string): [string, ListMeta][] => [
  ...objectMetaLists(template),
  ...podSpecLists(`${template}.spec`),
];

const conditions: [string, ListMeta] = ['status.conditions', byType];

const KIND_LISTS: Record<string, [string, ListMeta][]> = {
  '/Pod': [...podSpecLists('spec'), conditions, ['status.podIPs', byIP], ['status.hostIPs', byIP], ['status.resourceClaimStatuses', byName]],
  '/PodTemplate': templateLists('template'),
  '/ReplicationController': [...templateLists('spec.template'), conditions],
  'apps/Deployment': [...templateLists('spec.template'), conditions],
  'apps/ReplicaSet': [...templateLists('spec.template'), conditions],
  'apps/StatefulSet': [...templateLists('spec.template'), conditions],
  'apps/DaemonSet': [...templateLists('spec.template'), conditions],
  'batch/Job': [...templateLists('spec.template'), conditions],
  'batch/CronJob': templateLists('spec.jobTemplate.spec.template'),
  '/Node': [['spec.podCIDRs', { key: '' }], conditions, ['status.addresses', byType]],
  '/Namespace': [conditions],
  '/Service': [['spec.ports', { key: 'port', ssaKeys: ['port', 'protocol'], defaults: { protocol: 'TCP' } }], conditions],
  '/PersistentVolumeClaim': [conditions],
  'autoscaling/HorizontalPodAutoscaler': [conditions],
  'policy/PodDisruptionBudget': [conditions],
};

// Maps server-side apply replaces whole (+structType=atomic / +mapType=atomic).
const SSA_ATOMIC_MAPS: Record<string, string[]> = {
  '/Pod': ['spec.nodeSelector'],
  '/Service': ['spec.selector'],
  '/ReplicationController': ['spec.selector', 'spec.template.spec.nodeSelector'],
  'apps/Deployment': ['spec.selector', 'spec.template.spec.nodeSelector'],
  'apps/ReplicaSet': ['spec.selector', 'spec.template.spec.nodeSelector'],
  'apps/StatefulSet': ['spec.selector', 'spec.template.spec.nodeSelector'],
  'apps/DaemonSet': ['spec.selector', 'spec.template.spec.nodeSelector'],
  'batch/Job': ['spec.selector', 'spec.template.spec.nodeSelector'],
  'batch/CronJob': ['spec.jobTemplate.spec.selector', 'spec.jobTemplate.spec.template.spec.nodeSelector'],
};

function tableFor(ctx: PatchContext): Table {
  return new Map([...objectMetaLists(''), ...(KIND_LISTS[`${ctx.group}/${ctx.kind}`] ?? [])]);
}

const child = (path: string, key: string): string => (path ? `${path}.${key}` : key);
const itemPath = (path: string): string => `${path}[]`;

// ---------------------------------------------------------------------------
// JSON patch (RFC 6902) with evanphx/json-patch v4 semantics.

const MAX_JSON_PATCH_OPERATIONS = 10000;

class OpError extends Error {}

type Container = JMap | Json[];

const decodeKey = (k: string): string => k.replaceAll('~1', '/').replaceAll('~0', '~');

/** strconv.Atoi. */
function atoi(key: string): number | null {
  return /^[+-]?\d+$/.test(key) ? Number(key) : null;
}

function containerGet(con: Container, key: string): Json | undefined {
  if (!Array.isArray(con)) return Object.hasOwn(con, key) ? con[key] : undefined;
  const idx = atoi(key);
  if (idx === null) throw new OpError(`value was not a proper array index: '${key}'`);
  if (idx < 0 || idx >= con.length) throw new OpError(`Unable to access invalid index: ${idx}`);
  return con[idx];
}

function containerSet(con: Container, key: string, val: Json): void {
  if (!Array.isArray(con)) {
    con[key] = val;
    return;
  }
  const idx = atoi(key)!;
  con[idx] = val;
}

function containerAdd(con: Container, key: string, val: Json): void {
  if (!Array.isArray(con)) {
    con[key] = val;
    return;
  }
  if (key === '-') {
    con.push(val);
    return;
  }
  let idx = atoi(key);
  if (idx === null) throw new OpError(`value was not a proper array index: '${key}'`);
  const size = con.length + 1;
  if (idx >= size || idx < -size) throw new OpError(`Unable to access invalid index: ${idx}`);
  // v4 supports negative indices counted from the end.
  if (idx < 0) idx += size;
  con.splice(idx, 0, val);
}

function containerRemove(con: Container, key: string): void {
  if (!Array.isArray(con)) {
    if (!Object.hasOwn(con, key)) throw new OpError(`Unable to remove nonexistent key: ${key}`);
    delete con[key];
    return;
  }
  let idx = atoi(key);
  if (idx === null) throw new OpError(`value was not a proper array index: '${key}'`);
  if (idx >= con.length || idx < -con.length) throw new OpError(`Unable to access invalid index: ${idx}`);
  if (idx < 0) idx += con.length;
  con.splice(idx, 1);
}

/**
 * evanphx's findObject: the container holding the path's last segment. The
 * first segment is skipped whatever it is; null values count as missing.
 */
function findObject(doc: JMap, path: string): { con: Container; key: string } | null {
  const split = path.split('/');
  if (split.length < 2) return null;
  let con: Container = doc;
  for (const part of split.slice(1, -1)) {
    let next: Json | undefined;
    try {
      next = containerGet(con, decodeKey(part));
    } catch {
      return null;
    }
    if (next === undefined || next === null || typeof next !== 'object') return null;
    con = next;
  }
  return { con, key: decodeKey(split[split.length - 1]) };
}

/** lazyNode.equal: objects are compared one way (extra keys in the patch value are ignored), scalars by their JSON text. */
function lazyEqual(n: Json, o: Json): boolean {
  if (isMap(n)) {
    if (!isMap(o)) return false;
    for (const [k, v] of Object.entries(n)) {
      if (!Object.hasOwn(o, k)) return false;
      const ov = o[k];
      if (v === null && ov === null) continue;
      if (v === null || ov === null) return false;
      if (!lazyEqual(v, ov)) return false;
    }
    return true;
  }
  if (Array.isArray(n)) return Array.isArray(o) && n.length === o.length && n.every((x, i) => lazyEqual(x, o[i]));
  if (isMap(o) || Array.isArray(o)) return false;
  return JSON.stringify(n) === JSON.stringify(o);
}

function opString(op: JMap, field: string): string | null {
  const v = op[field];
  return typeof v === 'string' ? v : null;
}

function applyOperation(doc: JMap, op: JMap | null): void {
  const kind = op && typeof op.op === 'string' ? op.op : 'unknown';
  const o = op ?? {};
  const path = opString(o, 'path');
  const need = (p: string | null, what: string): string => {
    if (p === null) throw new OpError(`${what} operation failed to decode path`);
    return p;
  };
  const value: Json = Object.hasOwn(o, 'value') ? o.value : null;
  switch (kind) {
    case 'add': {
      const p = need(path, 'add');
      const f = findObject(doc, p);
      if (!f) throw new OpError(`add operation does not apply: doc is missing path: "${p}"`);
      containerAdd(f.con, f.key, clone(value));
      return;
    }
    case 'remove': {
      const p = need(path, 'remove');
      const f = findObject(doc, p);
      if (!f) throw new OpError(`remove operation does not apply: doc is missing path: "${p}"`);
      containerRemove(f.con, f.key);
      return;
    }
    case 'replace': {
      const p = need(path, 'replace');
      const f = findObject(doc, p);
      if (!f) throw new OpError(`replace operation does not apply: doc is missing path: ${p}`);
      // A missing object key is not an error in v4: replace then behaves like add.
      containerGet(f.con, f.key);
      containerSet(f.con, f.key, clone(value));
      return;
    }
    case 'move': {
      const from = opString(o, 'from');
      if (from === null) throw new OpError('move operation failed to decode from');
      const f = findObject(doc, from);
      if (!f) throw new OpError(`move operation does not apply: doc is missing from path: ${from}`);
      const val = containerGet(f.con, f.key);
      containerRemove(f.con, f.key);
      const p = need(path, 'move');
      const t = findObject(doc, p);
      if (!t) throw new OpError(`move operation does not apply: doc is missing destination path: ${p}`);
      containerAdd(t.con, t.key, val ?? null);
      return;
    }
    case 'copy': {
      const from = opString(o, 'from');
      if (from === null) throw new OpError('copy operation failed to decode from');
      const f = findObject(doc, from);
      if (!f) throw new OpError(`copy operation does not apply: doc is missing from path: ${from}`);
      const val = containerGet(f.con, f.key);
      const p = need(path, 'copy');
      const t = findObject(doc, p);
      if (!t) throw new OpError(`copy operation does not apply: doc is missing destination path: ${p}`);
      // Copying a missing key adds null, as v4 does.
      containerAdd(t.con, t.key, clone(val ?? null));
      return;
    }
    case 'test': {
      const p = need(path, 'test');
      const f = findObject(doc, p);
      if (!f) throw new OpError(`test operation does not apply: is missing path: ${p}`);
      const val = containerGet(f.con, f.key);
      const hasValue = Object.hasOwn(o, 'value');
      if (val === undefined || val === null) {
        if (hasValue && o.value === null) return;
        throw new OpError(`testing value ${p} failed`);
      }
      if (!hasValue || !lazyEqual(val, o.value)) throw new OpError(`testing value ${p} failed`);
      return;
    }
    default:
      throw new OpError(`Unexpected kind: ${kind}`);
  }
}

function applyJsonPatch(doc: JMap, body: string): unknown {
  const ops = parseJson(body, (m) => badRequest(m));
  if (ops === null) return doc;
  if (!Array.isArray(ops)) throw badRequest(`json: cannot unmarshal ${jsonKind(ops)} into Go value of type jsonpatch.Patch`);
  for (const op of ops) {
    if (op !== null && !isMap(op))
      throw badRequest(`json: cannot unmarshal ${jsonKind(op)} into Go value of type jsonpatch.Operation`);
  }
  if (ops.length > MAX_JSON_PATCH_OPERATIONS)
    throw new ApiError(
      413,
      'RequestEntityTooLarge',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`,
    );
  try {
    for (const op of ops as (JMap | null)[]) applyOperation(doc, op);
  } catch (e) {
    if (e instanceof OpError) throw unprocessable();
    throw e;
  }
  return doc;
}

// ---------------------------------------------------------------------------
// JSON merge patch (RFC 7386), as evanphx's MergePatch.

const BAD_JSON_PATCH = 'Invalid JSON Patch';

/** Drops null members of objects, recursing into arrays (whose null elements stay). */
function pruneNulls(v: Json): Json {
  if (Array.isArray(v)) return v.map((x) => (x === null ? x : pruneNulls(x)));
  if (isMap(v)) {
    const out: JMap = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = pruneNulls(x);
    return out;
  }
  return v;
}

function mergeDocs(doc: JMap, patch: JMap): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete doc[k];
      continue;
    }
    const cur = Object.hasOwn(doc, k) ? doc[k] : null;
    if (cur === null) doc[k] = pruneNulls(v);
    else if (!isMap(cur)) doc[k] = pruneNulls(v);
    else if (!isMap(v)) doc[k] = v;
    else mergeDocs(cur, v);
  }
}

function applyMergePatch(doc: JMap, body: string): unknown {
  const patch = parseJson(body, () => badRequest(BAD_JSON_PATCH)) as Json;
  if (isMap(patch)) {
    mergeDocs(doc, patch);
    return doc;
  }
  // A top-level array replaces the document (which then fails to decode); anything else is rejected.
  if (Array.isArray(patch)) return pruneNulls(patch);
  throw badRequest(BAD_JSON_PATCH);
}

// ---------------------------------------------------------------------------
// Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch), server side:
// MergeParallelList and IgnoreUnmatchedNulls both on.

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList';
const SET_ORDER = '$setElementOrder';

const ERR_BAD_PRIMITIVE_LIST = 'invalid patch format of primitive list';
const ERR_BAD_RETAIN_KEYS = 'invalid patch format of retainKeys';
const ERR_BAD_SET_ORDER = 'invalid patch format of setElementOrder list';

const errNoMergeKey = (m: unknown, k: string) => internal(`map: ${goFmt(m)} does not contain declared merge key: ${k}`);
const errBadArgType = (expected: string, actual: unknown) =>
  internal(`expected a ${expected}, but received a ${goType(actual)}`);
const errBadPatchType = (t: unknown, m: unknown) => internal(`unknown patch type: ${goFmtS(t)} in map: ${goFmt(m)}`);

const isDirectiveKey = (k: string): boolean =>
  k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(`${SET_ORDER}/`) || k.startsWith(`${DELETE_PRIMITIVE}/`);

/**
 * A patch value taken as is: nulls are discarded (discardNullValuesFromPatch)
 * and directive keys dropped, as decoding into the typed object drops them.
 */
function sanitize(v: Json): Json {
  if (Array.isArray(v)) return v.map(sanitize);
  if (isMap(v)) {
    const out: JMap = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && !isDirectiveKey(k)) out[k] = sanitize(x);
    return out;
  }
  return v;
}

/** Go's reflect kind of a decoded value, for sliceElementType's "same type" rule. */
function elemKind(v: Json): string {
  if (Array.isArray(v)) return 'slice';
  if (isMap(v)) return 'map';
  if (v === null) return 'nil';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return typeof v;
}

function sliceElementKind(...slices: Json[][]): string {
  let prev: string | null = null;
  for (const s of slices) {
    for (const v of s) {
      const k = elemKind(v);
      if (prev === null) {
        prev = k;
        if (k === 'slice') throw unprocessable(); // ErrNoListOfLists
      } else if (prev !== k) {
        throw internal(`list element types are not identical: ${goFmt(slices)}`);
      }
    }
  }
  if (prev === null) throw internal('no elements in any of the given slices');
  return prev;
}

function extractKey(s: string, prefix: string): string {
  const slash = s.indexOf('/');
  if (slash < 0 || s.slice(0, slash) !== prefix)
    throw badRequest(prefix === DELETE_PRIMITIVE ? ERR_BAD_PRIMITIVE_LIST : ERR_BAD_SET_ORDER);
  return s.slice(slash + 1);
}

function findMapInSlice(list: Json[], key: string, value: Json): number {
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    if (!isMap(m)) throw internal(`value for key ${i} is not a map.`);
    if (Object.hasOwn(m, key) && m[key] === value) return i;
  }
  return -1;
}

/** strategicpatch's index(): position of an item by merge key (maps) or value (scalars). */
function indexOf(list: Json[], item: Json, mergeKey: string, kind: string): number {
  const val = (x: Json): Json => (kind === 'map' ? (isMap(x) && Object.hasOwn(x, mergeKey) ? x[mergeKey] : null) : x);
  const want = val(item);
  return list.findIndex((x) => val(x) === want);
}

function validateMergeKeyInLists(mergeKey: string, ...lists: Json[][]): void {
  for (const list of lists)
    for (const item of list) {
      if (!isMap(item)) throw errBadArgType('map[string]interface {}', item);
      if (!Object.hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    }
}

function extractToDeleteItems(list: Json[]): { keep: Json[]; del: Json[] } {
  const keep: Json[] = [];
  const del: Json[] = [];
  for (const v of list) {
    if (!isMap(v)) throw errBadArgType('map[string]interface {}', v);
    (v[DIRECTIVE] === 'delete' ? del : keep).push(v);
  }
  return { keep, del };
}

/** normalizeSliceOrder; Go's sort.SliceStable is an insertion sort at these sizes, run here with the same comparator. */
function normalizeSliceOrder(toSort: Json[], order: Json[], mergeKey: string, kind: string): Json[] {
  let items = [...toSort];
  let toDelete: Json[] = [];
  if (kind === 'map') {
    validateMergeKeyInLists(mergeKey, items, order);
    const split = extractToDeleteItems(items);
    items = split.keep;
    toDelete = split.del;
  }
  const less = (a: Json, b: Json): boolean => {
    const ia = indexOf(order, a, mergeKey, kind);
    if (ia >= 0) {
      const ib = indexOf(order, b, mergeKey, kind);
      if (ib >= 0) return ia < ib;
    }
    return true;
  };
  for (let i = 1; i < items.length; i++) {
    for (let j = i; j > 0 && less(items[j], items[j - 1]); j--) [items[j], items[j - 1]] = [items[j - 1], items[j]];
  }
  return [...items, ...toDelete];
}

/** mergeSortedSlice: interleave server-only items (left) into patch items (right) by their live order. */
function mergeSortedSlice(left: Json[], right: Json[], serverOrder: Json[], mergeKey: string, kind: string): Json[] {
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexOf(serverOrder, left[i], mergeKey, kind);
      const ri = indexOf(serverOrder, right[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

function normalizeElementOrder(
  patch: Json[],
  serverOnly: Json[],
  patchOrder: Json[],
  serverOrder: Json[],
  mergeKey: string,
  kind: string,
): Json[] {
  const p = normalizeSliceOrder(patch, patchOrder, mergeKey, kind);
  const s = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(s, p, serverOrder, mergeKey, kind);
}

function partitionPrimitives(list: Json[], by: Json[]): { patch: Json[]; serverOnly: Json[] } {
  const inBy = (v: Json) => by.some((b) => b === v || (typeof v === 'object' && deepEqual(b, v)));
  return { patch: list.filter(inBy), serverOnly: list.filter((v) => !inBy(v)) };
}

function partitionMaps(list: Json[], by: Json[], mergeKey: string): { patch: Json[]; serverOnly: Json[] } {
  const patch: Json[] = [];
  const serverOnly: Json[] = [];
  for (const v of list) {
    if (!isMap(v)) throw errBadArgType('map[string]interface {}', v);
    if (!Object.hasOwn(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
    (findMapInSlice(by, mergeKey, v[mergeKey]) >= 0 ? patch : serverOnly).push(v);
  }
  return { patch, serverOnly };
}

/** Go's in-place deduplication (swap with last), order restored afterwards by normalizeElementOrder. */
function deduplicateScalars(s: Json[]): Json[] {
  const out = [...s];
  let length = out.length - 1;
  for (let i = 0; i < length; i++) {
    for (let j = i + 1; j <= length; j++) {
      if (out[i] === out[j]) {
        out[j] = out[length];
        out.length = length;
        length--;
        j--;
      }
    }
  }
  return out;
}

class StrategicMerger {
  private table: Table;
  constructor(table: Table) {
    this.table = table;
  }

  mergeMap(original: JMap, patch: JMap, path: string): JMap {
    if (Object.hasOwn(patch, DIRECTIVE)) return this.directiveInMap(patch[DIRECTIVE], patch);
    this.applyRetainKeys(original, patch);
    this.mergeSetElementOrder(original, patch, path);
    for (const [rawKey, patchV] of Object.entries(patch)) {
      let k = rawKey;
      let isDeleteList = false;
      if (rawKey.startsWith(DELETE_PRIMITIVE)) {
        k = extractKey(rawKey, DELETE_PRIMITIVE);
        isDeleteList = true;
      }
      if (patchV === null) {
        delete original[k];
        continue;
      }
      if (!Object.hasOwn(original, k) || original[k] === null) {
        if (!isDeleteList) original[k] = sanitize(patchV);
        continue;
      }
      const ov = original[k];
      if (elemKind(ov) !== elemKind(patchV)) {
        if (!isDeleteList) original[k] = sanitize(patchV);
        continue;
      }
      const p = child(path, k);
      if (isMap(ov) && isMap(patchV)) original[k] = this.mergeMap(ov, patchV, p);
      else if (Array.isArray(ov) && Array.isArray(patchV)) original[k] = this.mergeSliceHandler(ov, patchV, p, isDeleteList);
      else original[k] = patchV;
    }
    return original;
  }

  private directiveInMap(directive: Json, patch: JMap): JMap {
    if (directive === 'replace') {
      const rest = { ...patch };
      delete rest[DIRECTIVE];
      return sanitize(rest) as JMap;
    }
    if (directive === 'delete') return {};
    throw errBadPatchType(directive, patch);
  }

  private applyRetainKeys(original: JMap, patch: JMap): void {
    if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
    const retain = patch[RETAIN_KEYS];
    delete patch[RETAIN_KEYS];
    if (!Array.isArray(retain)) throw badRequest(ERR_BAD_RETAIN_KEYS);
    const keep = new Set<Json>(retain);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || k.startsWith(DELETE_PRIMITIVE) || k.startsWith(SET_ORDER)) continue;
      if (!keep.has(k)) throw badRequest(ERR_BAD_RETAIN_KEYS);
    }
    for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
  }

  /** mergePatchIntoOriginal: $setElementOrder/<list> and the list it orders. */
  private mergeSetElementOrder(original: JMap, patch: JMap, path: string): void {
    for (const key of Object.keys(patch)) {
      if (!key.startsWith(SET_ORDER)) continue;
      const order = patch[key];
      delete patch[key];
      if (!Array.isArray(order)) throw errBadArgType('[]interface {}', order);
      const listKey = extractKey(key, SET_ORDER);
      const foundOriginal = Object.hasOwn(original, listKey);
      const foundPatch = Object.hasOwn(patch, listKey);
      const originalList = original[listKey];
      const patchList = patch[listKey];
      if (foundOriginal && !Array.isArray(originalList)) throw errBadArgType('[]interface {}', originalList);
      if (foundPatch && !Array.isArray(patchList)) throw errBadArgType('[]interface {}', patchList);
      const origValue = foundOriginal ? (originalList as Json[]) : [];
      const patchValue = foundPatch ? (patchList as Json[]) : [];
      const p = child(path, listKey);
      const mergeKey = this.table.get(p)?.key ?? '';
      this.validateSetOrder(patchValue, order, mergeKey);
      let merged: Json[];
      if (foundOriginal && foundPatch) merged = this.mergeSliceHandler(origValue, patchValue, p, false);
      else if (foundOriginal) merged = origValue;
      else if (foundPatch) merged = sanitize(patchValue) as Json[];
      else continue;
      const parts = mergeKey === '' ? partitionPrimitives(merged, order) : partitionMaps(merged, order, mergeKey);
      const kind = sliceElementKind(origValue, patchValue);
      original[listKey] = normalizeElementOrder(parts.patch, parts.serverOnly, order, origValue, mergeKey, kind);
      delete patch[listKey];
    }
  }

  private validateSetOrder(patchList: Json[], order: Json[], mergeKey: string): void {
    if (order.length === 0 || patchList.length === 0) return;
    const items = mergeKey ? extractToDeleteItems(patchList).keep : patchList;
    let pi = 0;
    let si = 0;
    while (pi < items.length && si < order.length) {
      const item = items[pi];
      if (isMap(item) && Object.hasOwn(item, DIRECTIVE)) {
        pi++;
        continue;
      }
      if (this.mergeKeyValueEqual(item, order[si], mergeKey)) pi++;
      si++;
    }
    if (pi < items.length && si >= order.length)
      throw internal(`The order in patch list:\n${goFmt(patchList)}\n doesn't match ${SET_ORDER} list:\n${goFmt(order)}\n`);
  }

  private mergeKeyValueEqual(left: Json, right: Json, mergeKey: string): boolean {
    if (!mergeKey) return left === right;
    if (!isMap(left)) throw errBadArgType('map[string]interface {}', left);
    if (!isMap(right)) throw errBadArgType('map[string]interface {}', right);
    if (!Object.hasOwn(left, mergeKey)) throw errNoMergeKey(left, mergeKey);
    if (!Object.hasOwn(right, mergeKey)) throw errNoMergeKey(right, mergeKey);
    return left[mergeKey] === right[mergeKey];
  }

  private mergeSliceHandler(original: Json[], patch: Json[], path: string, isDeleteList: boolean): Json[] {
    const meta = this.table.get(path);
    // Lists without patchStrategy:"merge" are replaced, even by a deletion list.
    if (!meta) return sanitize(patch) as Json[];
    return this.mergeSlice(original, patch, meta.key, path, isDeleteList);
  }

  private mergeSlice(original: Json[], patch: Json[], mergeKey: string, path: string, isDeleteList: boolean): Json[] {
    if (original.length === 0 && patch.length === 0) return original;
    const kind = sliceElementKind(original, patch);
    let merged: Json[];
    let live = original;
    let items = patch;
    if (kind !== 'map') {
      if (isDeleteList) return original.filter((v) => !patch.includes(v));
      merged = deduplicateScalars([...original, ...patch]);
    } else {
      if (mergeKey === '') throw internal(`cannot merge lists without merge key for ${path}`);
      ({ live, items } = this.mergeSpecialElements(original, patch, mergeKey));
      merged = this.mergeWithoutSpecialElements(live, items, mergeKey, path);
    }
    const parts = mergeKey === '' ? partitionPrimitives(merged, items) : partitionMaps(merged, items, mergeKey);
    return normalizeElementOrder(parts.patch, parts.serverOnly, items, live, mergeKey, kind);
  }

  /** $patch directives inside list elements: delete by key, replace the whole list; merge is refused. */
  private mergeSpecialElements(original: Json[], patch: Json[], mergeKey: string): { live: Json[]; items: Json[] } {
    let live = original;
    const plain: Json[] = [];
    let replace = false;
    for (const v of patch) {
      const m = v as JMap;
      if (!Object.hasOwn(m, DIRECTIVE)) {
        plain.push(v);
        continue;
      }
      const directive = m[DIRECTIVE];
      if (directive === 'delete') {
        if (!Object.hasOwn(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
        const value = m[mergeKey];
        const kept: Json[] = [];
        for (let i = 0; i < live.length; i++) {
          const item = live[i];
          if (!isMap(item)) throw internal(`value for key ${i} is not a map.`);
          if (!(Object.hasOwn(item, mergeKey) && item[mergeKey] === value)) kept.push(item);
        }
        live = kept;
      } else if (directive === 'replace') {
        replace = true;
      } else if (directive === 'merge') {
        throw internal('merging lists cannot yet be specified in the patch');
      } else {
        throw errBadPatchType(directive, m);
      }
    }
    if (replace) return { live: sanitize(plain) as Json[], items: [] };
    return { live, items: plain };
  }

  private mergeWithoutSpecialElements(original: Json[], patch: Json[], mergeKey: string, path: string): Json[] {
    const out = [...original];
    for (const v of patch) {
      const m = v as JMap;
      if (!Object.hasOwn(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
      const idx = findMapInSlice(out, mergeKey, m[mergeKey]);
      if (idx >= 0) out[idx] = this.mergeMap(clone(out[idx] as JMap), clone(m), itemPath(path));
      else out.push(sanitize(m));
    }
    return out;
  }
}

function applyStrategic(doc: JMap, body: string, ctx: PatchContext): unknown {
  const patch = parseJson(body, (m) => badRequest(m));
  if (patch === null) return doc;
  if (!isMap(patch)) throw badRequest(`json: cannot unmarshal ${jsonKind(patch)} into Go value of type map[string]interface {}`);
  return new StrategicMerger(tableFor(ctx)).mergeMap(doc, patch, '');
}

// ---------------------------------------------------------------------------
// Server-side apply: the applied configuration merged over the live object
// (structured-merge-diff's Merge), with no ownership tracking.

type ListKind = { type: 'atomic' } | { type: 'set' } | { type: 'map'; keys: string[]; defaults: Record<string, Json> };

interface ApplySchema {
  listAt(path: string, node: JSONSchemaProps | undefined): ListKind;
  atomicMap(path: string, node: JSONSchemaProps | undefined): boolean;
}

function builtinApplySchema(ctx: PatchContext): ApplySchema {
  const table = tableFor(ctx);
  const atomic = new Set(SSA_ATOMIC_MAPS[`${ctx.group}/${ctx.kind}`] ?? []);
  return {
    listAt(path) {
      const meta = table.get(path);
      if (!meta) return { type: 'atomic' };
      if (meta.key === '') return { type: 'set' };
      return { type: 'map', keys: meta.ssaKeys ?? [meta.key], defaults: meta.defaults ?? {} };
    },
    atomicMap: (path) => atomic.has(path),
  };
}

/** Custom resources: list and map types come from the CRD schema's x-kubernetes-* extensions. */
function crdApplySchema(ctx: PatchContext): ApplySchema {
  const meta = new Map(objectMetaLists(''));
  return {
    listAt(path, node) {
      const m = meta.get(path);
      if (m) return m.key === '' ? { type: 'set' } : { type: 'map', keys: [m.key], defaults: {} };
      const t = node?.['x-kubernetes-list-type'];
      if (t === 'set') return { type: 'set' };
      if (t === 'map') {
        const keys = node?.['x-kubernetes-list-map-keys'] ?? [];
        const defaults: Record<string, Json> = {};
        for (const k of keys) {
          const d = node?.items?.properties?.[k]?.default;
          if (d !== undefined) defaults[k] = d;
        }
        return { type: 'map', keys, defaults };
      }
      return { type: 'atomic' };
    },
    atomicMap: (_path, node) => node?.['x-kubernetes-map-type'] === 'atomic',
  };
}

function schemaChild(node: JSONSchemaProps | undefined, key: string): JSONSchemaProps | undefined {
  if (!node) return undefined;
  if (node.properties && Object.hasOwn(node.properties, key)) return node.properties[key];
  return typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined;
}

class ApplyMerger {
  private schema: ApplySchema;
  private gvk: string;
  constructor(schema: ApplySchema, gvk: string) {
    this.schema = schema;
    this.gvk = gvk;
  }

  mergeMap(live: Json | undefined, applied: JMap, path: string, node: JSONSchemaProps | undefined): JMap {
    const out: JMap = isMap(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(applied)) {
      const p = child(path, k);
      const n = schemaChild(node, k);
      if (v === null) delete out[k];
      else out[k] = this.mergeValue(out[k], v, p, n);
    }
    return out;
  }

  private mergeValue(live: Json | undefined, applied: Json, path: string, node: JSONSchemaProps | undefined): Json {
    if (isMap(applied)) {
      if (this.schema.atomicMap(path, node)) return pruneNulls(applied);
      return this.mergeMap(live, applied, path, node);
    }
    if (Array.isArray(applied)) {
      const kind = this.schema.listAt(path, node);
      if (kind.type === 'atomic' || !Array.isArray(live)) {
        if (kind.type === 'map') this.keysOf(applied, kind, path); // validates key fields
        return pruneNulls(applied);
      }
      return this.mergeList(live, applied, kind, path, node?.items);
    }
    return applied;
  }

  private keysOf(list: Json[], kind: ListKind, path: string): string[] {
    return list.map((item, i) => {
      if (kind.type !== 'map') return JSON.stringify(item);
      if (!isMap(item)) throw internal(`failed to create typed patch object (${this.gvk}): .${path}: element ${i}: expected map, got ${jsonKind(item)}`);
      return JSON.stringify(
        kind.keys.map((k) => {
          if (Object.hasOwn(item, k) && item[k] !== null) return item[k];
          if (Object.hasOwn(kind.defaults, k)) return kind.defaults[k];
          throw internal(
            `failed to create typed patch object (${this.gvk}): .${path}: element ${i}: associative list with keys has an element that omits key field ${goQuote(k)} (and doesn't have default value)`,
          );
        }),
      );
    });
  }

  /** structured-merge-diff's visitListItems ordering: live order, with applied items placed as the applied list orders them. */
  private mergeList(lhs: Json[], rhs: Json[], kind: ListKind, path: string, items: JSONSchemaProps | undefined): Json[] {
    const lKeys = this.keysOf(lhs, kind, path);
    const rKeys = this.keysOf(rhs, kind, path);
    const observedL = new Map<string, Json>();
    lKeys.forEach((k, i) => observedL.has(k) || observedL.set(k, lhs[i]));
    const observedR = new Map<string, Json>();
    rKeys.forEach((k, i) => observedR.has(k) || observedR.set(k, rhs[i]));
    const shared = rKeys.filter((k) => observedL.has(k));
    let nextShared = shared.shift();
    const mergedR = new Set<string>();
    const merge = (l: Json | undefined, r: Json): Json =>
      kind.type === 'map' && isMap(r) ? this.mergeMap(l, r, itemPath(path), items) : pruneNulls(r);
    const out: Json[] = [];
    let l = 0;
    let r = 0;
    while (l < lKeys.length || r < rKeys.length) {
      if (l < lKeys.length && r < rKeys.length) {
        const pe = lKeys[l];
        if (pe === rKeys[r]) {
          mergedR.add(pe);
          out.push(merge(observedL.get(pe), observedR.get(pe)!));
          l++;
          r++;
          nextShared = shared.shift();
          continue;
        }
        if (observedR.has(pe) && nextShared !== undefined && nextShared !== pe) {
          l++;
          continue;
        }
      }
      if (l < lKeys.length) {
        const pe = lKeys[l];
        if (!observedR.has(pe)) {
          out.push(lhs[l]);
          l++;
          continue;
        }
        if (mergedR.has(pe)) {
          l++;
          continue;
        }
      }
      if (r < rKeys.length) {
        const pe = rKeys[r];
        mergedR.add(pe);
        out.push(merge(observedL.get(pe), observedR.get(pe)!));
        r++;
        if (nextShared !== undefined && nextShared === pe) nextShared = shared.shift();
      }
    }
    return out;
  }
}

function yamlErrorMessage(e: YAMLParseError): string {
  const line = e.linePos?.[0]?.line;
  const first = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  return `error converting YAML to JSON: yaml: ${line ? `line ${line}: ` : ''}${first}`;
}

/** Every kind's schema carries TypeMeta and ObjectMeta, whether or not a CRD's schema spells them out. */
function withObjectFields(schema: JSONSchemaProps): JSONSchemaProps {
  if (schema.properties?.metadata && schema.properties.apiVersion && schema.properties.kind) return schema;
  return { ...schema, properties: { ...typeMetaProperties(), metadata: objectMetaSchema(), ...(schema.properties ?? {}) } };
}

function metaString(meta: Json | undefined, key: string): string {
  const v = isMap(meta) ? meta[key] : undefined;
  return typeof v === 'string' ? v : '';
}

function gvString(apiVersion: unknown): string {
  return typeof apiVersion === 'string' ? apiVersion : '';
}

function applyServerSide(doc: JMap, body: string, ctx: PatchContext, originalApiVersion: string | undefined): unknown {
  let cfg: unknown;
  try {
    cfg = parseYaml(body, { uniqueKeys: false });
  } catch (e) {
    if (e instanceof YAMLParseError) throw badRequest(`error decoding YAML: ${yamlErrorMessage(e)}`);
    throw e;
  }
  if (cfg === null || cfg === undefined) cfg = {};
  if (!isMap(cfg))
    throw badRequest(
      `error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonKind(cfg)} into Go value of type map[string]interface {}`,
    );
  const applied = JSON.parse(JSON.stringify(cfg)) as JMap;
  const expected = ctx.version !== undefined ? (ctx.group ? `${ctx.group}/${ctx.version}` : ctx.version) : originalApiVersion;
  if (expected !== undefined && gvString(applied.apiVersion) !== expected)
    throw badRequest(
      `Incorrect version specified in apply patch. Specified patch version: ${gvString(applied.apiVersion)}, expected: ${expected}`,
    );
  const meta = applied.metadata;
  if (isMap(meta) && meta.managedFields !== undefined && meta.managedFields !== null)
    throw badRequest('metadata.managedFields must be nil');
  const gv = expected ?? gvString(applied.apiVersion);
  // objectGVKNN: the applied configuration's own namespace/name, then its GroupVersionKind
  const nn = `${metaString(meta, 'namespace')}/${metaString(meta, 'name')}`;
  const gvk = `${nn}; ${gv.includes('/') ? gv : '/' + gv}, Kind=${ctx.kind}`;
  // the applied configuration becomes a typed value before anything merges: wrong types and
  // unknown fields fail whatever fieldValidation says
  const typeErr = !ctx.crd && ctx.schema ? decodeError(applied, ctx.schema, ctx.kind) : undefined;
  if (typeErr) throw internal(`failed to create typed patch object (${gvk}): ${typedPatchError(typeErr)}`);
  const unknown = ctx.schema ? unknownFields(applied, withObjectFields(ctx.schema)) : [];
  if (unknown.length) {
    const errs = unknown.map((p) => `.${p}: field not declared in schema`);
    throw internal(`failed to create typed patch object (${gvk}): ${errs.length === 1 ? errs[0] : `errors:\n  ${errs.join('\n  ')}`}`);
  }
  const schema = ctx.crd ? crdApplySchema(ctx) : builtinApplySchema(ctx);
  return new ApplyMerger(schema, gvk).mergeMap(doc, applied, '', ctx.crd ? ctx.schema : undefined);
}

// ---------------------------------------------------------------------------

/** Null object members vanish when the result is decoded into the kind. */
function dropNullMembers(v: Json): Json {
  if (Array.isArray(v)) return v.map(dropNullMembers);
  if (isMap(v)) {
    const out: JMap = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNullMembers(x);
    return out;
  }
  return v;
}

/** Checks the patched document decodes as an object of the kind, like runtime.DecodeInto after patching. */
function finish(result: unknown, original: KObject, ctx: PatchContext, strategicPatch?: unknown): KObject {
  if (!isMap(result))
    throw undecodable(
      JSON.stringify(result),
      `couldn't get version/kind; json parse error: json: cannot unmarshal ${jsonKind(result)} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`,
    );
  const meta = result.metadata;
  if (meta !== undefined && meta !== null && !isMap(meta))
    throw undecodable(
      JSON.stringify(result),
      `json: cannot unmarshal ${jsonKind(meta)} into Go struct field ${ctx.kind}.metadata of type v1.ObjectMeta`,
    );
  const out = dropNullMembers(result) as JMap;
  // the patched document is decoded into the kind's Go type (runtime.DecodeInto), which fails on wrong types
  const typeErr = !ctx.crd && ctx.schema ? decodeError(out, ctx.schema, ctx.kind, original) : undefined;
  if (typeErr) {
    // a strategic merge patch is converted from its map (FromUnstructured, the patch printed with %+v); the others decode JSON
    if (strategicPatch !== undefined) throw undecodable(goFmt(strategicPatch), converterError(typeErr));
    throw undecodable(JSON.stringify(result), typeErr.message);
  }
  if (!isMap(out.metadata)) out.metadata = {};
  // The kind always comes back from the codec, whatever the patch removed.
  if (out.apiVersion === undefined && original.apiVersion !== undefined) out.apiVersion = original.apiVersion;
  if (out.kind === undefined && original.kind !== undefined) out.kind = original.kind;
  return out as unknown as KObject;
}

/**
 * Applies a patch body (raw request text) to `original` (never mutated) and
 * returns the new object. For server-side apply on a missing object, pass
 * `{ metadata: {} }` as `original`.
 */
export function applyPatch(type: PatchType, original: KObject, body: string, ctx: PatchContext): KObject {
  const doc = clone(original) as unknown as JMap;
  let result: unknown;
  switch (type) {
    case 'json':
      result = applyJsonPatch(doc, body);
      break;
    case 'merge':
      result = applyMergePatch(doc, body);
      break;
    case 'strategic':
      // The CRD handler does not offer strategic merge patch at all.
      if (ctx.crd) throw unsupportedMediaType(CR_TYPES);
      result = applyStrategic(doc, body, ctx);
      break;
    case 'apply':
      result = applyServerSide(doc, body, ctx, original.apiVersion);
      break;
    default:
      throw unsupportedMediaType(ctx.crd ? CR_TYPES : BUILTIN_TYPES);
  }
  return finish(result, original, ctx, type === 'strategic' ? JSON.parse(body) : undefined);
}
