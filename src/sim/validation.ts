// Request validation with the real API server's rules and wording: name and
// metadata checks (apimachinery), unknown-field detection and pruning
// (structural schemas), CRD schema validation (kube-openapi as surfaced by
// apiextensions-apiserver) and the CRD object's own validation.

import type { StatusCause } from './errors.ts';
import type { JSONSchemaProps, KObject, PrinterColumn, ResourceType } from './types.ts';
import { objectMetaSchema, typeMetaProperties } from './builtins.ts';

type S = JSONSchemaProps;
type Obj = Record<string, unknown>;

// ---------------------------------------------------------------------------
// field.Error → StatusCause, formatted like apimachinery's ErrorBody.

/** How field.Error prints a bad value: strings quoted, scalars bare, the rest as JSON. */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

const withDetail = (head: string, detail?: string): string => (detail ? `${head}: ${detail}` : head);

export const fieldInvalid = (field: string, value: unknown, detail?: string): StatusCause => ({
  reason: 'FieldValueInvalid',
  message: withDetail(`Invalid value: ${formatValue(value)}`, detail),
  field,
});

export const fieldTypeInvalid = (field: string, value: unknown, detail?: string): StatusCause => ({
  reason: 'FieldValueTypeInvalid',
  message: withDetail(`Invalid value: ${formatValue(value)}`, detail),
  field,
});

export const fieldRequired = (field: string, detail?: string): StatusCause => ({
  reason: 'FieldValueRequired',
  message: withDetail('Required value', detail),
  field,
});

export const fieldForbidden = (field: string, detail?: string): StatusCause => ({
  reason: 'FieldValueForbidden',
  message: withDetail('Forbidden', detail),
  field,
});

export const fieldNotSupported = (field: string, value: unknown, supported: string[]): StatusCause => ({
  reason: 'FieldValueNotSupported',
  message: withDetail(
    `Unsupported value: ${formatValue(value)}`,
    supported.length ? `supported values: ${supported.map((v) => JSON.stringify(v)).join(', ')}` : undefined,
  ),
  field,
});

export const fieldTooLong = (field: string, maxBytes: number): StatusCause => ({
  reason: 'FieldValueTooLong',
  message: `Too long: ${maxBytes >= 0 ? `may not be more than ${maxBytes} ${maxBytes === 1 ? 'byte' : 'bytes'}` : 'value is too long'}`,
  field,
});

export const fieldTooMany = (field: string, actual: number, max: number): StatusCause => ({
  reason: 'FieldValueTooMany',
  message: [
    'Too many',
    ...(actual >= 0 ? [String(actual)] : []),
    max >= 0 ? `must have at most ${max} items` : 'has too many items',
  ].join(': '),
  field,
});

// ---------------------------------------------------------------------------
// apimachinery/pkg/util/validation: names, qualified names, label values.

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;

const full = (fmt: string): RegExp => new RegExp(`^${fmt}$`);
const DNS1123_LABEL = full(DNS1123_LABEL_FMT);
const DNS1123_SUBDOMAIN = full(DNS1123_SUBDOMAIN_FMT);
const DNS1035_LABEL = full(DNS1035_LABEL_FMT);
const QUALIFIED_NAME = full(QUALIFIED_NAME_FMT);
const LABEL_VALUE = full(LABEL_VALUE_FMT);

/** validation.RegexError: the examples are joined with "',  or '" exactly as Go does. */
function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

const maxLenError = (n: number): string => `must be no more than ${n} characters`;

export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!DNS1123_LABEL.test(value)) {
    errs.push(
      regexError(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        DNS1123_LABEL_FMT,
        'my-name',
        '123-abc',
      ),
    );
  }
  return errs;
}

export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!DNS1123_SUBDOMAIN.test(value)) {
    errs.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        DNS1123_SUBDOMAIN_FMT,
        'example.com',
      ),
    );
  }
  return errs;
}

export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!DNS1035_LABEL.test(value)) {
    errs.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        DNS1035_LABEL_FMT,
        'my-name',
        'abc-123',
      ),
    );
  }
  return errs;
}

const QUALIFIED_NAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!QUALIFIED_NAME.test(name)) {
    errs.push(`name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`);
  }
  return errs;
}

export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!LABEL_VALUE.test(value)) {
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        LABEL_VALUE_FMT,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  }
  return errs;
}

/** path.IsValidPathSegmentName, used for RBAC object names. */
export function isValidPathSegmentName(value: string): string[] {
  if (value === '.' || value === '..') return [`may not be '${value}'`];
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (value.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}

/** Which name rule the real registry applies to a resource. */
function nameRule(rt: ResourceType): (name: string) => string[] {
  if (rt.crd) return isDNS1123Subdomain;
  if (rt.group === '' && rt.resource === 'namespaces') return isDNS1123Label;
  if (rt.group === '' && rt.resource === 'services') return isDNS1035Label;
  if (rt.group === 'rbac.authorization.k8s.io') return isValidPathSegmentName;
  return isDNS1123Subdomain;
}

export function validateName(name: string, rt: ResourceType): StatusCause[] {
  if (!name) return [fieldRequired('metadata.name', 'name or generateName is required')];
  return nameRule(rt)(name).map((msg) => fieldInvalid('metadata.name', name, msg));
}

/** 256 KiB, apimachinery's TotalAnnotationSizeLimitB. */
const ANNOTATIONS_SIZE_LIMIT = 256 * 1024;

export function validateMetadata(obj: KObject, _rt: ResourceType): StatusCause[] {
  const meta = obj.metadata ?? {};
  const causes: StatusCause[] = [];
  for (const [key, value] of Object.entries(meta.labels ?? {})) {
    for (const msg of isQualifiedName(key)) causes.push(fieldInvalid('metadata.labels', key, msg));
    for (const msg of isValidLabelValue(String(value))) causes.push(fieldInvalid('metadata.labels', value, msg));
  }
  let annotationBytes = 0;
  for (const [key, value] of Object.entries(meta.annotations ?? {})) {
    // Annotation keys are qualified names, but case-insensitively.
    for (const msg of isQualifiedName(key.toLowerCase())) causes.push(fieldInvalid('metadata.annotations', key, msg));
    annotationBytes += Buffer.byteLength(key) + Buffer.byteLength(String(value));
  }
  if (annotationBytes > ANNOTATIONS_SIZE_LIMIT) causes.push(fieldTooLong('metadata.annotations', ANNOTATIONS_SIZE_LIMIT));
  causes.push(...validateOwnerReferences(meta.ownerReferences ?? []));
  for (const finalizer of meta.finalizers ?? []) {
    for (const msg of isQualifiedName(finalizer)) causes.push(fieldInvalid('metadata.finalizers', finalizer, msg));
  }
  return causes;
}

function validateOwnerReferences(refs: NonNullable<KObject['metadata']['ownerReferences']>): StatusCause[] {
  const path = 'metadata.ownerReferences';
  const causes: StatusCause[] = [];
  const controllers: string[] = [];
  for (const ref of refs) {
    const version = (ref.apiVersion ?? '').split('/').pop() ?? '';
    if (!version) causes.push(fieldInvalid(`${path}.apiVersion`, ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) causes.push(fieldInvalid(`${path}.kind`, ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) causes.push(fieldInvalid(`${path}.name`, ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) causes.push(fieldInvalid(`${path}.uid`, ref.uid ?? '', 'uid must not be empty'));
    if (ref.controller) controllers.push(`${ref.kind}/${ref.name}`);
  }
  if (controllers.length > 1) {
    causes.push(
      fieldInvalid(
        path,
        refs,
        `Only one reference can have Controller set to true. Found "true" in references for ${controllers.join(' and ')}`,
      ),
    );
  }
  return causes;
}

// ---------------------------------------------------------------------------
// Structural schema walking: unknown fields and pruning.

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const preserves = (s: S): boolean => s['x-kubernetes-preserve-unknown-fields'] === true;
const childPath = (path: string, key: string): string => (path ? `${path}.${key}` : key);

/** The properties an object may carry under a schema; embedded resources implicitly carry TypeMeta and ObjectMeta. */
function knownProperties(s: S): Record<string, S> {
  if (!s['x-kubernetes-embedded-resource']) return s.properties ?? {};
  return { ...typeMetaProperties(), metadata: objectMetaSchema(), ...(s.properties ?? {}) };
}

/** The schema for a key of an object, or undefined if the key is unknown; null means "anything goes". */
function schemaForKey(s: S, key: string): S | null | undefined {
  const props = knownProperties(s);
  if (Object.hasOwn(props, key)) return props[key];
  if (typeof s.additionalProperties === 'object') return s.additionalProperties;
  if (s.additionalProperties === true || preserves(s)) return null;
  return undefined;
}

/** Whether a schema describes an object's fields at all (a bare int-or-string or untyped schema does not). */
function describesFields(s: S): boolean {
  return s.type === 'object' || s.properties !== undefined || s.additionalProperties !== undefined || !!s['x-kubernetes-embedded-resource'];
}

export function unknownFields(obj: unknown, schema: JSONSchemaProps): string[] {
  const found: string[] = [];
  walkUnknown(obj, schema, '', found);
  return found;
}

function walkUnknown(value: unknown, s: S, path: string, found: string[]): void {
  if (Array.isArray(value)) {
    if (s.items) value.forEach((item, i) => walkUnknown(item, s.items!, `${path}[${i}]`, found));
    return;
  }
  if (!isObject(value) || !describesFields(s)) return;
  for (const [key, child] of Object.entries(value)) {
    const sub = schemaForKey(s, key);
    if (sub === undefined) found.push(childPath(path, key));
    else if (sub !== null) walkUnknown(child, sub, childPath(path, key), found);
  }
}

export function prune(value: unknown, schema: JSONSchemaProps): unknown {
  if (Array.isArray(value)) return schema.items ? value.map((item) => prune(item, schema.items!)) : structuredClone(value);
  if (!isObject(value) || !describesFields(schema)) return structuredClone(value);
  const out: Obj = {};
  for (const [key, child] of Object.entries(value)) {
    const sub = schemaForKey(schema, key);
    if (sub === undefined) continue;
    if (sub === null) {
      out[key] = structuredClone(child);
      continue;
    }
    // The apiserver drops nulls the schema does not allow before validating
    // (PruneNonNullableNullsWithoutDefaults), so they never reach validation.
    if (child === null && !sub.nullable && sub.default === undefined) continue;
    out[key] = prune(child, sub);
  }
  return out;
}

// ---------------------------------------------------------------------------
// OpenAPI value validation (kube-openapi's validator, as apiextensions-apiserver
// turns its errors into field errors).

/** The JSON type name kube-openapi reports for a value. */
function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value; // string, boolean, object
}

function allowedTypes(s: S): string[] {
  if (s['x-kubernetes-int-or-string']) return ['integer', 'string'];
  return s.type ? [s.type] : [];
}

function typeMatches(actual: string, allowed: string[]): boolean {
  return allowed.includes(actual) || (actual === 'integer' && allowed.includes('number'));
}

export function validateAgainstSchema(value: unknown, schema: JSONSchemaProps, path = ''): StatusCause[] {
  const causes: StatusCause[] = [];
  validateValue(value, schema, path, causes);
  return causes;
}

function validateValue(value: unknown, s: S, path: string, causes: StatusCause[]): void {
  const types = allowedTypes(s);
  if (value === null) {
    if (types.length && !s.nullable) causes.push(typeError(path, types, 'null'));
    return;
  }
  const actual = jsonType(value);
  if (types.length && !typeMatches(actual, types)) {
    causes.push(typeError(path, types, actual));
    return;
  }
  if (s.enum && !s.enum.some((e) => jsonEqual(e, value))) {
    causes.push(fieldNotSupported(path, value, s.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)))));
  }
  if (typeof value === 'string') validateString(value, s, path, causes);
  else if (typeof value === 'number') validateNumber(value, s, path, causes);
  else if (Array.isArray(value)) validateArray(value, s, path, causes);
  else if (isObject(value)) validateObject(value, s, path, causes);
  for (const sub of s.allOf ?? []) validateValue(value, sub, path, causes);
  validateAlternatives(value, s, path, causes);
}

const inBody = (path: string): string => `${path} in body`;

function typeError(path: string, types: string[], actual: string): StatusCause {
  return fieldTypeInvalid(path, actual, `${inBody(path)} must be of type ${types.join(',')}: ${JSON.stringify(actual)}`);
}

function validateString(value: string, s: S, path: string, causes: StatusCause[]): void {
  const length = [...value].length;
  if (s.maxLength !== undefined && length > s.maxLength) causes.push(fieldTooLong(path, -1));
  if (s.minLength !== undefined && length < s.minLength) {
    causes.push(fieldInvalid(path, value, `${inBody(path)} should be at least ${s.minLength} chars long`));
  }
  if (s.pattern !== undefined && !safeRegExp(s.pattern)?.test(value)) {
    causes.push(fieldInvalid(path, value, `${inBody(path)} should match '${s.pattern}'`));
  }
}

function safeRegExp(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
}

function validateNumber(value: number, s: S, path: string, causes: StatusCause[]): void {
  const exclusiveMax = s.exclusiveMaximum === true;
  const exclusiveMin = s.exclusiveMinimum === true;
  if (s.maximum !== undefined && (exclusiveMax ? value >= s.maximum : value > s.maximum)) {
    causes.push(fieldInvalid(path, value, `${inBody(path)} should be less than ${exclusiveMax ? '' : 'or equal to '}${s.maximum}`));
  }
  if (s.minimum !== undefined && (exclusiveMin ? value <= s.minimum : value < s.minimum)) {
    causes.push(fieldInvalid(path, value, `${inBody(path)} should be greater than ${exclusiveMin ? '' : 'or equal to '}${s.minimum}`));
  }
  const multipleOf = s.multipleOf as number | undefined;
  if (multipleOf && !Number.isInteger(value / multipleOf)) {
    causes.push(fieldInvalid(path, value, `${inBody(path)} should be a multiple of ${multipleOf}`));
  }
}

function validateArray(value: unknown[], s: S, path: string, causes: StatusCause[]): void {
  if (s.items) value.forEach((item, i) => validateValue(item, s.items!, `${path}[${i}]`, causes));
  if (s.minItems !== undefined && value.length < s.minItems) {
    causes.push(fieldInvalid(path, value.length, `${inBody(path)} should have at least ${s.minItems} items`));
  }
  // apiextensions reads the limit from a field kube-openapi leaves unset, hence "has too many items".
  if (s.maxItems !== undefined && value.length > s.maxItems) causes.push(fieldTooMany(path, value.length, -1));
}

function validateObject(value: Obj, s: S, path: string, causes: StatusCause[]): void {
  const count = Object.keys(value).length;
  const maxProperties = s.maxProperties as number | undefined;
  const minProperties = s.minProperties as number | undefined;
  if (maxProperties !== undefined && count > maxProperties) {
    causes.push(fieldTooMany(path, maxProperties, -1));
    return;
  }
  if (minProperties !== undefined && count < minProperties) {
    causes.push(fieldInvalid(path, minProperties, `${inBody(path)} should have at least ${minProperties} properties`));
    return;
  }
  const props = s.properties ?? {};
  const dropped = new Set<string>();
  for (const [key, child] of Object.entries(value)) {
    const sub = Object.hasOwn(props, key) ? props[key] : typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
    // The apiserver drops nulls of non-nullable fields without a default
    // before validating (PruneNonNullableNullsWithoutDefaults).
    if (child === null && sub && !sub.nullable && sub.default === undefined) dropped.add(key);
    else if (sub) validateValue(child, sub, childPath(path, key), causes);
    else if (s.additionalProperties === false) causes.push(fieldInvalid(path, key, `${path}.${key} in body is a forbidden property`));
  }
  for (const key of s.required ?? []) {
    if (!Object.hasOwn(value, key) || dropped.has(key)) causes.push(fieldRequired(childPath(path, key)));
  }
}

/** anyOf/oneOf only constrain values here (structural schemas keep fields out of them). */
function validateAlternatives(value: unknown, s: S, path: string, causes: StatusCause[]): void {
  if (s.anyOf && !s['x-kubernetes-int-or-string']) {
    const results = s.anyOf.map((sub) => validateAgainstSchema(value, sub, path));
    if (!results.some((r) => r.length === 0)) {
      causes.push(...results.flat(), fieldInvalid(path, value, `${inBody(path)} must validate at least one schema (anyOf)`));
    }
  }
  if (s.oneOf) {
    const results = s.oneOf.map((sub) => validateAgainstSchema(value, sub, path));
    const passing = results.filter((r) => r.length === 0).length;
    if (passing === 0) causes.push(...results.flat(), fieldInvalid(path, value, `${inBody(path)} must validate one and only one schema (oneOf)`));
    else if (passing > 1) causes.push(fieldInvalid(path, value, `${inBody(path)} must validate one and only one schema (oneOf). Found ${passing} valid alternatives`));
  }
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => jsonEqual((a as Obj)[k], (b as Obj)[k]));
}

// ---------------------------------------------------------------------------
// CustomResourceDefinitions.

interface CRDNames {
  plural?: string;
  singular?: string;
  kind?: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
}

interface CRDVersion {
  name?: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: S };
  subresources?: { status?: object; scale?: { specReplicasPath?: string; statusReplicasPath?: string; labelSelectorPath?: string } };
  additionalPrinterColumns?: { name?: string; type?: string; format?: string; description?: string; priority?: number; jsonPath?: string }[];
}

interface CRDSpec {
  group?: string;
  scope?: string;
  names?: CRDNames;
  versions?: CRDVersion[];
  preserveUnknownFields?: boolean;
}

const crdSpec = (crd: KObject): CRDSpec => (isObject(crd.spec) ? (crd.spec as CRDSpec) : {});

/**
 * The CRD as the apiserver stores it after defaulting: singular and listKind
 * derived from kind, conversion strategy None, scope-less fields untouched.
 */
export function defaultCRD(crd: KObject): KObject {
  const out = structuredClone(crd);
  const spec = (out.spec ??= {}) as CRDSpec & { conversion?: { strategy?: string } };
  const names = (spec.names ??= {});
  if (!names.singular && names.kind) names.singular = names.kind.toLowerCase();
  if (!names.listKind && names.kind) names.listKind = `${names.kind}List`;
  spec.conversion ??= { strategy: 'None' };
  return out;
}

/** Reverse-domain OpenAPI definition prefix of a CRD group: "kubeherald.io" → "io.kubeherald". */
export function reverseDomain(group: string): string {
  return group.split('.').reverse().join('.');
}

export function crdResourceTypes(crd: KObject): ResourceType[] {
  const spec = crdSpec(defaultCRD(crd));
  const names = spec.names ?? {};
  const group = spec.group ?? '';
  const plural = names.plural ?? '';
  const kind = names.kind ?? '';
  return (spec.versions ?? [])
    .filter((v) => v.served)
    .map((v) => {
      const subresources: string[] = [];
      if (v.subresources?.scale) subresources.push('scale');
      if (v.subresources?.status) subresources.push('status');
      const rt: ResourceType = {
        group,
        version: v.name ?? '',
        resource: plural,
        singular: names.singular ?? kind.toLowerCase(),
        kind,
        listKind: names.listKind ?? `${kind}List`,
        namespaced: spec.scope === 'Namespaced',
        verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
        subresources,
        storage: `${group}/${plural}`,
        schema: customResourceSchema(v.schema?.openAPIV3Schema, group, v.name ?? '', kind),
        crd: true,
      };
      if (names.shortNames?.length) rt.shortNames = [...names.shortNames];
      if (names.categories?.length) rt.categories = [...names.categories];
      if (v.additionalPrinterColumns?.length) rt.printerColumns = v.additionalPrinterColumns.map(printerColumn);
      return rt;
    });
}

function printerColumn(c: NonNullable<CRDVersion['additionalPrinterColumns']>[number]): PrinterColumn {
  const col: PrinterColumn = { name: c.name ?? '', type: c.type ?? 'string', jsonPath: c.jsonPath ?? '' };
  if (c.description) col.description = c.description;
  if (c.priority !== undefined) col.priority = c.priority;
  if (c.format) col.format = c.format;
  return col;
}

/** The version's schema as served: TypeMeta and ObjectMeta added at the root, tagged with the GVK. */
function customResourceSchema(root: S | undefined, group: string, version: string, kind: string): S {
  const base: S = root ? structuredClone(root) : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  return {
    ...base,
    type: 'object',
    properties: { ...typeMetaProperties(), ...(base.properties ?? {}), metadata: objectMetaSchema() },
    'x-kubernetes-group-version-kind': [{ group, kind, version }],
  };
}

const SCOPES = ['Cluster', 'Namespaced'];
const SCHEMA_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const COLUMN_FORMATS = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];

export function validateCRD(crd: KObject): StatusCause[] {
  const defaulted = defaultCRD(crd);
  const spec = crdSpec(defaulted);
  const names = spec.names ?? {};
  const causes: StatusCause[] = [];

  const name = crd.metadata?.name ?? '';
  if (!name) causes.push(fieldRequired('metadata.name', 'name or generateName is required'));
  else {
    for (const msg of isDNS1123Subdomain(name)) causes.push(fieldInvalid('metadata.name', name, msg));
    if (name !== `${names.plural ?? ''}.${spec.group ?? ''}`) {
      causes.push(fieldInvalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
    }
  }

  const group = spec.group ?? '';
  if (!group) causes.push(fieldRequired('spec.group'));
  else if (isDNS1123Subdomain(group).length) causes.push(fieldInvalid('spec.group', group, isDNS1123Subdomain(group).join(',')));
  else if (group.split('.').length < 2) causes.push(fieldInvalid('spec.group', group, 'should be a domain with at least one dot'));

  if (!spec.scope) causes.push(fieldRequired('spec.scope'));
  else if (!SCOPES.includes(spec.scope)) causes.push(fieldNotSupported('spec.scope', spec.scope, SCOPES));

  causes.push(...validateVersions(spec));
  causes.push(...validateNames(names));
  return causes;
}

function validateVersions(spec: CRDSpec): StatusCause[] {
  const versions = spec.versions ?? [];
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  let unique = true;
  versions.forEach((v, i) => {
    const path = `spec.versions[${i}]`;
    const vname = v.name ?? '';
    if (seen.has(vname)) unique = false;
    seen.add(vname);
    const nameErrs = isDNS1035Label(vname);
    if (nameErrs.length) causes.push(fieldInvalid(`${path}.name`, vname, nameErrs.join(',')));
    const schema = v.schema?.openAPIV3Schema;
    if (!schema && !spec.preserveUnknownFields && v.served) {
      causes.push(fieldRequired(`${path}.schema.openAPIV3Schema`, 'because otherwise all fields are pruned'));
    }
    if (schema) causes.push(...validateCRDSchema(schema, `${path}.schema.openAPIV3Schema`));
    causes.push(...validateSubresources(v.subresources, `${path}.subresources`));
    (v.additionalPrinterColumns ?? []).forEach((c, j) => causes.push(...validateColumn(c, `${path}.additionalPrinterColumns[${j}]`)));
  });
  if (!unique) causes.push(fieldInvalid('spec.versions', versions, 'must contain unique version names'));
  if (versions.filter((v) => v.storage).length !== 1) {
    causes.push(fieldInvalid('spec.versions', versions, 'must have exactly one version marked as storage version'));
  }
  return causes;
}

function validateNames(names: CRDNames): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const key of ['plural', 'singular', 'kind', 'listKind'] as const) {
    if (!names[key]) causes.push(fieldRequired(`spec.names.${key}`));
  }
  const label = (key: 'plural' | 'singular', value?: string) => {
    const errs = value ? isDNS1035Label(value) : [];
    if (errs.length) causes.push(fieldInvalid(`spec.names.${key}`, value, errs.join(',')));
  };
  const mixedCase = (key: 'kind' | 'listKind', value?: string) => {
    const errs = value ? isDNS1035Label(value.toLowerCase()) : [];
    if (errs.length) causes.push(fieldInvalid(`spec.names.${key}`, value, `may have mixed case, but should otherwise match: ${errs.join(',')}`));
  };
  label('plural', names.plural);
  label('singular', names.singular);
  mixedCase('kind', names.kind);
  mixedCase('listKind', names.listKind);
  (names.shortNames ?? []).forEach((s, i) => {
    const errs = isDNS1035Label(s);
    if (errs.length) causes.push(fieldInvalid(`spec.names.shortNames[${i}]`, s, errs.join(',')));
  });
  if (names.kind && names.kind === names.listKind) {
    causes.push(fieldInvalid('spec.names.listKind', names.listKind, 'kind and listKind may not be the same'));
  }
  (names.categories ?? []).forEach((c, i) => {
    const errs = isDNS1035Label(c);
    if (errs.length) causes.push(fieldInvalid(`spec.names.categories[${i}]`, c, errs.join(',')));
  });
  return causes;
}

function validateSubresources(sub: CRDVersion['subresources'], path: string): StatusCause[] {
  const scale = sub?.scale;
  if (!scale) return [];
  const causes: StatusCause[] = [];
  const check = (key: 'specReplicasPath' | 'statusReplicasPath', prefix: string, where: string) => {
    const value = scale[key];
    if (!value) causes.push(fieldRequired(`${path}.scale.${key}`));
    else if (!value.startsWith(prefix)) causes.push(fieldInvalid(`${path}.scale.${key}`, value, `should be a json path under ${where}`));
  };
  check('specReplicasPath', '.spec.', '.spec');
  check('statusReplicasPath', '.status.', '.status');
  const selector = scale.labelSelectorPath;
  if (selector && !selector.startsWith('.spec.') && !selector.startsWith('.status.')) {
    causes.push(fieldInvalid(`${path}.scale.labelSelectorPath`, selector, 'should be a json path under either .spec or .status'));
  }
  return causes;
}

function validateColumn(c: NonNullable<CRDVersion['additionalPrinterColumns']>[number], path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!c.name) causes.push(fieldRequired(`${path}.name`));
  if (!c.type) causes.push(fieldRequired(`${path}.type`));
  else if (!COLUMN_TYPES.includes(c.type)) causes.push(fieldNotSupported(`${path}.type`, c.type, COLUMN_TYPES));
  if (c.format && !COLUMN_FORMATS.includes(c.format)) causes.push(fieldNotSupported(`${path}.format`, c.format, COLUMN_FORMATS));
  if (!c.jsonPath) causes.push(fieldRequired(`${path}.JSONPath`));
  return causes;
}

type Level = 'root' | 'item' | 'field';

/** Checks an openAPIV3Schema: allowed keywords and types first, then structural invariants. */
function validateCRDSchema(schema: S, path: string): StatusCause[] {
  const causes = validateSchemaKeywords(schema, path);
  // The apiserver only reports structural violations of an otherwise valid schema.
  if (causes.length) return causes;
  return validateStructural(schema, 'root', path).sort((a, b) =>
    `${a.field}: ${a.message}` < `${b.field}: ${b.message}` ? -1 : 1,
  );
}

function validateSchemaKeywords(s: S, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (s.$ref !== undefined) causes.push(fieldForbidden(`${path}.$ref`, '$ref is not supported'));
  if (s.type && !SCHEMA_TYPES.includes(s.type)) causes.push(fieldNotSupported(`${path}.type`, s.type, SCHEMA_TYPES));
  if (s.uniqueItems === true) {
    causes.push(fieldForbidden(`${path}.uniqueItems`, 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
  }
  if (s.additionalProperties !== undefined && s.properties !== undefined) {
    causes.push(fieldForbidden(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
  }
  for (const [key, sub] of Object.entries(s.properties ?? {})) causes.push(...validateSchemaKeywords(sub, `${path}.properties[${key}]`));
  if (s.items) causes.push(...validateSchemaKeywords(s.items, `${path}.items`));
  if (typeof s.additionalProperties === 'object') causes.push(...validateSchemaKeywords(s.additionalProperties, `${path}.additionalProperties`));
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    (s[key] ?? []).forEach((sub, i) => causes.push(...validateSchemaKeywords(sub, `${path}.${key}[${i}]`)));
  }
  return causes;
}

const TYPE_REQUIRED: Record<Level, string> = {
  root: 'must not be empty at the root',
  item: 'must not be empty for specified array items',
  field: 'must not be empty for specified object fields',
};

/** apiextensions-apiserver/pkg/apiserver/schema.validateStructuralInvariants, minus value-validation nesting. */
function validateStructural(s: S, level: Level, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const embedded = !!s['x-kubernetes-embedded-resource'];
  const intOrString = !!s['x-kubernetes-int-or-string'];
  if (s.type === 'array' && !s.items) causes.push(fieldRequired(`${path}.items`, 'must be specified'));
  if (s.items) causes.push(...validateStructural(s.items, 'item', `${path}.items`));
  for (const [key, sub] of Object.entries(s.properties ?? {})) causes.push(...validateStructural(sub, 'field', `${path}.properties[${key}]`));
  if (s.additionalProperties !== undefined && s.additionalProperties !== false) {
    if (level === 'root') causes.push(fieldForbidden(`${path}.additionalProperties`, 'must not be used at the root'));
    if (typeof s.additionalProperties === 'object') causes.push(...validateStructural(s.additionalProperties, 'field', `${path}.additionalProperties`));
  }
  if (intOrString && preserves(s)) {
    causes.push(fieldInvalid(`${path}.x-kubernetes-preserve-unknown-fields`, true, 'must be false if x-kubernetes-int-or-string is true'));
  }
  if (intOrString && embedded) {
    causes.push(fieldInvalid(`${path}.x-kubernetes-embedded-resource`, true, 'must be false if x-kubernetes-int-or-string is true'));
  }
  if (embedded && s.type !== 'object') {
    const detail = 'must be object if x-kubernetes-embedded-resource is true';
    causes.push(s.type ? fieldInvalid(`${path}.type`, s.type, detail) : fieldRequired(`${path}.type`, detail));
  } else if (!s.type && !intOrString && !preserves(s)) {
    causes.push(fieldRequired(`${path}.type`, TYPE_REQUIRED[level]));
  }
  if (embedded && s.additionalProperties !== undefined) {
    causes.push(fieldForbidden(`${path}.additionalProperties`, 'must not be used if x-kubernetes-embedded-resource is set'));
  }
  if (level === 'root' && s.type && s.type !== 'object') causes.push(fieldInvalid(`${path}.type`, s.type, 'must be object at the root'));
  if (level === 'root' || embedded) causes.push(...validateTypeMetaProperties(s, path));
  if (level === 'root') causes.push(...validateRootMetadata(s, path));
  if (embedded && !preserves(s) && Object.keys(s.properties ?? {}).length === 0) {
    causes.push(
      fieldRequired(`${path}.properties`, 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'),
    );
  }
  // The int-or-string idiom (anyOf: [{type: integer}, {type: string}], possibly
  // first in an allOf) is the one place types may appear in value validations.
  (s.anyOf ?? []).forEach((sub, i) => {
    if (!isIntOrStringAnyOf(s.anyOf)) causes.push(...validateNestedValueValidation(sub, `${path}.anyOf[${i}]`));
  });
  (s.allOf ?? []).forEach((sub, i) => {
    causes.push(...validateNestedValueValidation(sub, `${path}.allOf[${i}]`, i === 0 && isIntOrStringAnyOf(sub.anyOf)));
  });
  (s.oneOf ?? []).forEach((sub, i) => causes.push(...validateNestedValueValidation(sub, `${path}.oneOf[${i}]`)));
  return causes;
}

function isIntOrStringAnyOf(anyOf: S[] | undefined): boolean {
  return (
    anyOf?.length === 2 &&
    anyOf.every((a, i) => Object.keys(a).length === 1 && a.type === (i === 0 ? 'integer' : 'string'))
  );
}

function validateTypeMetaProperties(s: S, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const props = s.properties ?? {};
  for (const [key, type] of [['kind', 'string'], ['apiVersion', 'string'], ['metadata', 'object']] as const) {
    if (props[key] && props[key].type !== type) {
      causes.push(fieldInvalid(`${path}.properties[${key}].type`, props[key].type ?? '', `must be ${type}`));
    }
  }
  return causes;
}

/** Root metadata may only restrict name and generateName. */
function validateRootMetadata(s: S, path: string): StatusCause[] {
  const metadata = s.properties?.metadata;
  if (!metadata) return [];
  const rest = Object.keys(metadata).filter((k) => k !== 'type' && k !== 'properties');
  const props = Object.keys(metadata.properties ?? {}).filter((k) => k !== 'name' && k !== 'generateName');
  if (rest.length === 0 && props.length === 0) return [];
  return [
    fieldForbidden(
      `${path}.properties[metadata]`,
      'must not specify anything other than name and generateName, but metadata is implicitly specified',
    ),
  ];
}

/** Inside allOf/anyOf/oneOf a structural schema may only validate values, never declare types. */
function validateNestedValueValidation(s: S, path: string, skipAnyOf = false): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!skipAnyOf) (s.anyOf ?? []).forEach((sub, i) => causes.push(...validateNestedValueValidation(sub, `${path}.anyOf[${i}]`)));
  (s.allOf ?? []).forEach((sub, i) => causes.push(...validateNestedValueValidation(sub, `${path}.allOf[${i}]`)));
  (s.oneOf ?? []).forEach((sub, i) => causes.push(...validateNestedValueValidation(sub, `${path}.oneOf[${i}]`)));
  if (s.type) causes.push(fieldForbidden(`${path}.type`, 'must be empty to be structural'));
  if (s.additionalProperties !== undefined) causes.push(fieldForbidden(`${path}.additionalProperties`, 'must be undefined to be structural'));
  if (s.default !== undefined) causes.push(fieldForbidden(`${path}.default`, 'must be undefined to be structural'));
  if (s.description) causes.push(fieldForbidden(`${path}.description`, 'must be empty to be structural'));
  if (s.nullable) causes.push(fieldForbidden(`${path}.nullable`, 'must be false to be structural'));
  if (preserves(s)) causes.push(fieldForbidden(`${path}.x-kubernetes-preserve-unknown-fields`, 'must be false to be structural'));
  if (s['x-kubernetes-embedded-resource']) causes.push(fieldForbidden(`${path}.x-kubernetes-embedded-resource`, 'must be false to be structural'));
  if (s['x-kubernetes-int-or-string']) causes.push(fieldForbidden(`${path}.x-kubernetes-int-or-string`, 'must be false to be structural'));
  for (const [key, sub] of Object.entries(s.properties ?? {})) {
    if (key === 'metadata') causes.push(fieldForbidden(`${path}.properties[metadata]`, 'must not be specified in a nested context'));
    causes.push(...validateNestedValueValidation(sub, `${path}.properties[${key}]`));
  }
  if (s.items) causes.push(...validateNestedValueValidation(s.items, `${path}.items`));
  return causes;
}
