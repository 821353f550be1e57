// metadata.managedFields as kube-apiserver's field manager keeps them
// (structured-merge-diff): which manager owns which field, in the FieldsV1
// encoding; ownership moving on updates; server-side apply's conflicts and
// its removal of fields an applier stopped specifying. Pure: the handlers
// feed it the live and the new object and store what it returns.

import { openapiName } from './builtins.ts';
import { ApiError, type StatusCause } from './errors.ts';
import type { JSONSchemaProps, KObject } from './types.ts';

type S = JSONSchemaProps;
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Obj;
  subresource?: string;
}

/** Who writes, how, through which endpoint. */
export interface Writer {
  manager: string;
  apiVersion: string;
  subresource?: string;
  time: string;
  /** The kind's schema: list types and keys decide how list items are named. */
  schema?: S;
  /** Whether the kind has a status subresource (then only /status owns status). */
  hasStatus: boolean;
}

// ---------------------------------------------------------------------------
// Paths: a path is its FieldsV1 elements ("f:spec", "k:{\"name\":\"web\"}",
// "v:\"x\"", "i:0") joined with NUL, which no element contains.

const SEP = '\u0000';
const join = (els: string[]): string => els.join(SEP);
const split = (key: string): string[] => (key === '' ? [] : key.split(SEP));

interface Fields {
  /** path → JSON of the value at a leaf, '' for a list item's own membership */
  leaves: Map<string, string>;
}

/** Metadata the server owns: never part of anyone's field set. */
const SERVER_META = new Set([
  'name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'selfLink',
  'managedFields', 'deletionTimestamp', 'deletionGracePeriodSeconds',
]);

function schemaChild(s: S | undefined, key: string): S | undefined {
  if (!s) return undefined;
  if (s.properties && Object.hasOwn(s.properties, key)) return s.properties[key];
  return typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
}

/** The key element of an associative list item: k:{…} with the key fields sorted by name. */
function keyElement(item: unknown, s: S | undefined): string | undefined {
  const keys = s?.['x-kubernetes-list-map-keys'] ?? [];
  if (!isObj(item) || keys.length === 0) return undefined;
  const k: Obj = {};
  for (const name of [...keys].sort()) {
    let v = item[name];
    if (v === undefined || v === null) v = s?.items?.properties?.[name]?.default ?? (name === 'protocol' ? 'TCP' : undefined);
    if (v === undefined) continue;
    k[name] = v;
  }
  return `k:${JSON.stringify(k)}`;
}

/** Marks a map or struct node among the leaves: present or not, never a changed value. */
const NODE = '\u0001';

/**
 * Whether a struct field is a Go value (never absent in a typed object), as
 * spec, status, metadata, templates, strategies and resource requirements
 * are; pointers and maps can be absent. Custom resources have no Go type:
 * every node of theirs can be absent.
 */
function isValueStruct(s: S | undefined): boolean {
  const name = s ? openapiName(s) : undefined;
  if (!name || typeof s?.additionalProperties === 'object') return false;
  return /(Spec|Status|ObjectMeta|Strategy|ResourceRequirements)$/.test(name);
}

function collect(v: unknown, s: S | undefined, path: string[], out: Fields): void {
  if (v === null || v === undefined) return;
  if (isObj(v) && s?.['x-kubernetes-map-type'] !== 'atomic' && !s?.['x-kubernetes-int-or-string']) {
    const entries = Object.entries(v).filter(([, c]) => c !== null && c !== undefined);
    if (entries.length === 0 && path.length) out.leaves.set(join(path), '{}');
    // a map or a pointer to a struct can be absent, so an update that brings it owns it too ("." in FieldsV1)
    else if (path.length && !isValueStruct(s)) out.leaves.set(join(path), NODE);
    for (const [k, c] of entries) collect(c, schemaChild(s, k), [...path, `f:${k}`], out);
    return;
  }
  const listType = s?.['x-kubernetes-list-type'];
  if (Array.isArray(v) && (listType === 'map' || listType === 'set')) {
    // a list that can be absent is owned by the update that brings it, like a map; PodSpec's
    // containers is never absent (no omitempty: the zero object has containers: null)
    if (path.length && v.length && path[path.length - 1] !== 'f:containers') out.leaves.set(join(path), NODE);
    for (const item of v) {
      const el = listType === 'set' ? `v:${JSON.stringify(item)}` : keyElement(item, s);
      if (!el) {
        // an item without its keys cannot be named: the list is owned whole
        out.leaves.set(join(path), JSON.stringify(v));
        return;
      }
      const p = [...path, el];
      out.leaves.set(join(p), '');
      if (listType === 'map' && isObj(item)) {
        for (const [k, c] of Object.entries(item)) collect(c, schemaChild(s?.items, k), [...p, `f:${k}`], out);
      }
    }
    return;
  }
  if (path.length) out.leaves.set(join(path), JSON.stringify(v));
}

/** Every field of an object a writer could own, as the field manager counts them. */
function fieldsOf(obj: unknown, w: Writer): Fields {
  const out: Fields = { leaves: new Map() };
  if (!isObj(obj)) return out;
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    const onlyStatus = w.hasStatus && w.subresource === 'status';
    if (k === 'status' && w.hasStatus && !onlyStatus) continue;
    if (onlyStatus && k !== 'status') continue;
    if (k === 'metadata' && isObj(v)) {
      for (const [mk, mv] of Object.entries(v)) {
        if (!SERVER_META.has(mk)) collect(mv, schemaChild(schemaChild(w.schema, 'metadata'), mk), ['f:metadata', `f:${mk}`], out);
      }
      continue;
    }
    collect(v, schemaChild(w.schema, k), [`f:${k}`], out);
  }
  return out;
}

interface Comparison {
  changed: Set<string>; // added or modified
  removed: Set<string>;
}

function compare(before: Fields, after: Fields): Comparison {
  const changed = new Set<string>();
  const removed = new Set<string>();
  for (const [p, v] of after.leaves) if (before.leaves.get(p) !== v) changed.add(p);
  for (const p of before.leaves.keys()) if (!after.leaves.has(p)) removed.add(p);
  return { changed, removed };
}

// ---------------------------------------------------------------------------
// FieldsV1 encoding.

interface Node {
  self: boolean;
  children: Map<string, Node>;
}

export function encodeFieldsV1(paths: Iterable<string>): Obj {
  const root: Node = { self: false, children: new Map() };
  for (const key of paths) {
    let n = root;
    for (const el of split(key)) {
      let c = n.children.get(el);
      if (!c) n.children.set(el, (c = { self: false, children: new Map() }));
      n = c;
    }
    n.self = true;
  }
  const render = (n: Node): Obj => {
    const out: Obj = {};
    if (n.self && n.children.size) out['.'] = {};
    for (const el of [...n.children.keys()].sort(compareElements)) out[el] = render(n.children.get(el)!);
    return out;
  };
  return render(root);
}

/** structured-merge-diff orders field names before keys, values and indexes. */
function compareElements(a: string, b: string): number {
  const rank = (e: string): number => ['f', 'k', 'v', 'i'].indexOf(e[0]);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

export function decodeFieldsV1(fields: unknown): Set<string> {
  const out = new Set<string>();
  const walk = (n: unknown, path: string[]): void => {
    if (!isObj(n)) return;
    const keys = Object.keys(n).filter((k) => k !== '.');
    if (path.length && (keys.length === 0 || Object.hasOwn(n, '.'))) out.add(join(path));
    for (const k of keys) walk(n[k], [...path, k]);
  };
  walk(fields, []);
  return out;
}

// ---------------------------------------------------------------------------
// Managers.

interface Owner {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource?: string;
  time?: string;
  set: Set<string>;
  /** the set as it was read, so an unchanged entry keeps its time */
  before?: string;
}

/** BuildManagerIdentifier: appliers are one manager whatever the version they apply with. */
const identity = (o: Pick<Owner, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string =>
  JSON.stringify([o.manager, o.operation, o.operation === 'Apply' ? '' : o.apiVersion, o.subresource ?? '']);

function readOwners(entries: unknown): Owner[] {
  if (!Array.isArray(entries)) return [];
  const owners: Owner[] = [];
  for (const e of entries) {
    if (!isObj(e) || typeof e.manager !== 'string') continue;
    const set = decodeFieldsV1(e.fieldsV1);
    owners.push({
      manager: e.manager,
      operation: e.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: typeof e.apiVersion === 'string' ? e.apiVersion : '',
      subresource: typeof e.subresource === 'string' && e.subresource ? e.subresource : undefined,
      time: typeof e.time === 'string' ? e.time : undefined,
      set,
      before: [...set].sort().join('\n'),
    });
  }
  return owners;
}

/** What a write starts from: the request's managedFields if it set some, else the live object's. */
function startingOwners(live: KObject | undefined, next: KObject, fromLiveOnly: boolean): Owner[] {
  const liveOwners = readOwners(live?.metadata.managedFields);
  if (fromLiveOnly) return liveOwners;
  const given = (next.metadata as Obj).managedFields;
  // [] or [{}] resets them; absent (or unreadable) keeps the live ones, so clients unaware of the field lose nothing
  if (Array.isArray(given) && (given.length === 0 || (given.length === 1 && isObj(given[0]) && Object.keys(given[0]).length === 0))) return [];
  const requested = readOwners(given);
  return requested.length ? requested : liveOwners;
}

function writeOwners(owners: Owner[], w: Writer, touched: string): ManagedFieldsEntry[] {
  const kept = owners.filter((o) => o.set.size > 0);
  const entries = kept.map((o): ManagedFieldsEntry => {
    // an entry whose fields did not change keeps its time, so a no-op write stays a no-op
    const unchanged = o.before !== undefined && o.before === [...o.set].sort().join('\n');
    const e: ManagedFieldsEntry = {
      manager: o.manager,
      operation: o.operation,
      apiVersion: o.apiVersion,
      time: !unchanged && identity(o) === touched ? w.time : o.time,
      fieldsType: 'FieldsV1',
      fieldsV1: encodeFieldsV1(o.set),
    };
    if (e.time === undefined) delete e.time;
    if (o.subresource) e.subresource = o.subresource;
    return e;
  });
  // sortEncodedManagedFields: operation, time, manager, apiVersion, subresource
  return entries.sort(
    (p, q) =>
      cmp(p.operation, q.operation) || cmp(p.time ?? '', q.time ?? '') || cmp(p.manager, q.manager) || cmp(p.apiVersion, q.apiVersion) || cmp(p.subresource ?? '', q.subresource ?? ''),
  );
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function ownerFor(owners: Owner[], w: Writer, operation: 'Apply' | 'Update'): Owner {
  const id = identity({ manager: w.manager, operation, apiVersion: w.apiVersion, subresource: w.subresource });
  let o = owners.find((x) => identity(x) === id);
  if (!o) owners.push((o = { manager: w.manager, operation, apiVersion: w.apiVersion, subresource: w.subresource, set: new Set() }));
  o.apiVersion = w.apiVersion;
  return o;
}

/**
 * managedFields after a create, update, patch or subresource write by `w`:
 * the writer owns what it changed; nobody else owns a field it changed or
 * removed any more.
 */
export function recordUpdate(live: KObject | undefined, next: KObject, w: Writer): ManagedFieldsEntry[] {
  const owners = startingOwners(live, next, !!w.subresource);
  const diff = compare(fieldsOf(live, w), fieldsOf(next, w));
  const me = ownerFor(owners, w, 'Update');
  for (const o of owners) {
    if (o === me) continue;
    for (const p of diff.changed) o.set.delete(p);
  }
  for (const o of owners) for (const p of diff.removed) o.set.delete(p);
  for (const p of diff.changed) me.set.add(p);
  return writeOwners(owners, w, identity(me));
}

// ---------------------------------------------------------------------------
// Server-side apply.

/** fieldpath.Path.String(): .spec.containers[name="web"].image */
export function pathString(key: string): string {
  return split(key)
    .map((el) => {
      const body = el.slice(2);
      if (el.startsWith('f:')) return `.${body}`;
      if (el.startsWith('k:')) {
        const k = JSON.parse(body) as Obj;
        return `[${Object.entries(k).map(([n, v]) => `${n}=${JSON.stringify(v)}`).join(',')}]`;
      }
      if (el.startsWith('v:')) return `[=${body}]`;
      return `[${body}]`;
    })
    .join('');
}

/** How a conflict names the other manager (printManager). */
function describe(o: Owner): string {
  let s = JSON.stringify(o.manager);
  if (o.subresource) s += ` with subresource ${JSON.stringify(o.subresource)}`;
  if (o.operation === 'Update') s += ` using ${o.apiVersion}`;
  return s;
}

export function applyConflict(conflicts: { owner: Owner; path: string }[]): ApiError {
  const sorted = [...conflicts].sort((a, b) => cmp(a.owner.manager, b.owner.manager) || cmp(pathString(a.path), pathString(b.path)));
  const causes = sorted.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${describe(c.owner)}`, field: pathString(c.path) }));
  let message: string;
  if (sorted.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${describe(sorted[0].owner)}: ${pathString(sorted[0].path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of sorted) {
      const k = describe(c.owner);
      byManager.set(k, [...(byManager.get(k) ?? []), pathString(c.path)]);
    }
    const lines: string[] = [];
    for (const [m, paths] of [...byManager].sort(([a], [b]) => cmp(a, b))) {
      lines.push(`conflict with ${m}:`, ...paths.map((p) => `- ${p}`));
    }
    message = `Apply failed with ${sorted.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

function removePath(obj: Obj, els: string[]): void {
  if (els.length === 0) return;
  const [head, ...rest] = els;
  const name = head.slice(2);
  if (head.startsWith('f:')) {
    if (!isObj(obj)) return;
    if (rest.length === 0) delete obj[name];
    else {
      const child = obj[name];
      if (Array.isArray(child) && rest[0] && !rest[0].startsWith('f:')) removeFromList(obj, name, rest);
      else if (isObj(child)) {
        removePath(child, rest);
        // an object left empty by the removal goes too, as the merge would never have created it
        if (Object.keys(child).length === 0) delete obj[name];
      }
    }
  }
}

function removeFromList(parent: Obj, name: string, els: string[]): void {
  const list = parent[name] as unknown[];
  const [el, ...rest] = els;
  const body = el.slice(2);
  const matches = (item: unknown): boolean => {
    if (el.startsWith('v:')) return JSON.stringify(item) === body;
    if (el.startsWith('k:') && isObj(item)) {
      const k = JSON.parse(body) as Obj;
      return Object.entries(k).every(([n, v]) => JSON.stringify(item[n] ?? (n === 'protocol' ? 'TCP' : undefined)) === JSON.stringify(v));
    }
    return false;
  };
  if (rest.length === 0) {
    parent[name] = list.filter((item) => !matches(item));
    if ((parent[name] as unknown[]).length === 0) delete parent[name];
    return;
  }
  for (const item of list) if (matches(item) && isObj(item)) removePath(item, rest);
}

export interface ApplyResult {
  object: KObject;
  managedFields: ManagedFieldsEntry[];
}

/**
 * Server-side apply's ownership step. `merged` is the live object with the
 * configuration merged in; `config` the applied configuration. Throws 409
 * on conflicts unless `force`; removes what the applier alone owned and no
 * longer specifies.
 */
export function recordApply(live: KObject | undefined, merged: KObject, config: unknown, w: Writer, force: boolean): ApplyResult {
  const owners = readOwners(live?.metadata.managedFields);
  const me = ownerFor(owners, w, 'Apply');
  const lastSet = new Set(me.set);
  // an applier owns what its configuration sets: leaves and list items, not the maps on the way
  const configSet = new Set([...fieldsOf(config, w).leaves].filter(([, v]) => v !== NODE).map(([p]) => p));
  const liveFields = fieldsOf(live, w);
  const diff = compare(liveFields, fieldsOf(merged, w));
  const conflicts: { owner: Owner; path: string }[] = [];
  for (const o of owners) {
    if (o === me) continue;
    for (const p of diff.changed) if (o.set.has(p)) conflicts.push({ owner: o, path: p });
  }
  if (conflicts.length && !force && !upgradesClientSideApply(live, conflicts, w)) throw applyConflict(conflicts);
  for (const o of owners) if (o !== me) for (const p of diff.changed) o.set.delete(p);
  me.set = configSet;

  // fields the applier owned before, does not specify now, and nobody else owns are removed
  const owned = (p: string): boolean => owners.some((o) => [...o.set].some((q) => q === p || q.startsWith(p + SEP)));
  const object = structuredClone(merged) as KObject;
  // shortest first: a list item goes whole before its fields (which name it by its keys) could be stripped
  const gone = [...lastSet].filter((p) => !configSet.has(p) && !owned(p)).sort((a, b) => split(a).length - split(b).length);
  for (const p of gone) removePath(object as unknown as Obj, split(p));
  const removed = compare(fieldsOf(merged, w), fieldsOf(object, w)).removed;
  for (const o of owners) if (o !== me) for (const p of removed) o.set.delete(p);
  syncLastApplied(live, object, config, w);
  return { object, managedFields: writeOwners(owners, w, identity(me)) };
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function lastApplied(obj: KObject | undefined): string | undefined {
  const v = obj?.metadata.annotations?.[LAST_APPLIED];
  return typeof v === 'string' && v ? v : undefined;
}

/**
 * kube-apiserver's lastAppliedManager: `kubectl apply --server-side` on an
 * object kubectl applied client-side takes over the fields of the
 * last-applied configuration that still hold its values, without conflicts.
 */
function upgradesClientSideApply(live: KObject | undefined, conflicts: { path: string }[], w: Writer): boolean {
  const text = lastApplied(live);
  if (w.manager !== 'kubectl' || !text) return false;
  let last: unknown;
  try {
    last = JSON.parse(text);
  } catch {
    return false;
  }
  const lastFields = fieldsOf(last, w).leaves;
  const liveFields = fieldsOf(live, w).leaves;
  return conflicts.every((c) => lastFields.has(c.path) && lastFields.get(c.path) === liveFields.get(c.path));
}

/** kube-apiserver's lastAppliedUpdater: kubectl's server-side applies keep an existing last-applied annotation current. */
function syncLastApplied(live: KObject | undefined, object: KObject, config: unknown, w: Writer): void {
  if (w.manager !== 'kubectl' || !lastApplied(live) || !isObj(config)) return;
  const applied = structuredClone(config) as Obj;
  const meta = isObj(applied.metadata) ? applied.metadata : undefined;
  if (meta && isObj(meta.annotations)) {
    delete meta.annotations[LAST_APPLIED];
    if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  }
  object.metadata.annotations = { ...(object.metadata.annotations ?? {}), [LAST_APPLIED]: sortedJson(applied) };
}

/** Go's json.Marshal of a map: keys in order. */
function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (isObj(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${sortedJson(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

const GO_ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\' };

/** strconv.Quote, as field errors print a string value. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    if (GO_ESCAPES[ch]) out += GO_ESCAPES[ch];
    else if (/\p{C}/u.test(ch)) {
      const c = ch.codePointAt(0)!;
      out += c < 0x100 ? `\\x${c.toString(16).padStart(2, '0')}` : c < 0x10000 ? `\\u${c.toString(16).padStart(4, '0')}` : `\\U${c.toString(16).padStart(8, '0')}`;
    } else out += ch;
  }
  return out + '"';
}

/** ValidateFieldManager: at most 128 bytes, printable characters only. */
export function fieldManagerCauses(manager: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (Buffer.byteLength(manager) > 128) causes.push({ reason: 'FieldValueTooLong', message: 'Too long: may not be more than 128 bytes', field: 'fieldManager' });
  let at = 0;
  for (const ch of manager) {
    if (/\p{C}/u.test(ch)) {
      const u = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
      causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${goQuote(manager)}: invalid character ${u} (at position ${at})`, field: 'fieldManager' });
    }
    at += Buffer.byteLength(ch);
  }
  return causes;
}

/**
 * The manager of a write: fieldManager, else what precedes the first "/" of
 * the User-Agent with unprintable characters dropped, at most 128 bytes
 * (kube-apiserver's prefixFromUserAgent).
 */
export function managerOf(fieldManager: string | null, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  const prefix = (userAgent ?? '').split('/')[0];
  let out = '';
  for (const ch of prefix) {
    if (/\p{C}/u.test(ch)) continue;
    if (Buffer.byteLength(out + ch) > 128) break;
    out += ch;
  }
  return out;
}
