// zod schema → a CRD's openAPIV3Schema. zod's own converter (OpenAPI 3.0
// target) does most of it; this makes the result structural, as the API
// server requires: everything inline (no $ref), a type on every node,
// closed objects written without additionalProperties (the server prunes
// and, with strict field validation, rejects unknown fields anyway), open
// ones marked x-kubernetes-preserve-unknown-fields, and only keywords the
// apiextensions JSONSchemaProps knows. Anything it cannot make structural is
// an error at generation time, not a CRD the API server refuses.

import { z } from 'zod';

export type JSONSchemaProps = Record<string, unknown> & {
  type?: string;
  properties?: Record<string, JSONSchemaProps>;
  items?: JSONSchemaProps;
  additionalProperties?: JSONSchemaProps | boolean;
};

// what apiextensions.k8s.io/v1 JSONSchemaProps accepts (minus $ref, definitions, dependencies …)
const KEPT = new Set([
  'type',
  'format',
  'description',
  'default',
  'enum',
  'maximum',
  'minimum',
  'exclusiveMaximum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'multipleOf',
  'maxProperties',
  'minProperties',
  'required',
  'items',
  'properties',
  'additionalProperties',
  'nullable',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-int-or-string',
  'x-kubernetes-validations',
]);

const SAFE_INT = Number.MAX_SAFE_INTEGER;
// formats the API server validates; others are noise at best
const FORMATS = new Set(['int32', 'int64', 'float', 'double', 'byte', 'date', 'date-time', 'duration']);

/** The structural openAPIV3Schema of a zod schema. Throws naming the path of anything not structural. */
export function structuralSchema(schema: z.ZodType): JSONSchemaProps {
  const raw = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', reused: 'inline', cycles: 'throw', unrepresentable: 'throw' }) as JSONSchemaProps;
  return convert(raw, '');
}

function convert(node: JSONSchemaProps, path: string): JSONSchemaProps {
  const n: JSONSchemaProps = { ...node };
  if ('$ref' in n) throw new Error(`${path || '(root)'}: $ref cannot be made structural`);
  if ('const' in n) {
    n.enum = [n.const];
    delete n.const;
  }
  // a union of same-typed literals (z.union of z.literal) is one enum
  if (Array.isArray(n.anyOf) && !n.type) {
    const alts = n.anyOf as JSONSchemaProps[];
    const type = alts[0]?.type;
    if (type && alts.every((a) => a.type === type && Array.isArray(a.enum) && Object.keys(a).every((k) => k === 'type' || k === 'enum' || k === 'description'))) {
      n.type = type;
      n.enum = alts.flatMap((a) => a.enum as unknown[]);
      delete n.anyOf;
    }
  }
  for (const key of ['anyOf', 'oneOf', 'allOf', 'not']) {
    if (key in n) throw new Error(`${path || '(root)'}: ${key} with types is not structural; model it as one object with a refinement`);
  }
  if (n.type === 'integer') {
    if (n.maximum === SAFE_INT) delete n.maximum;
    if (n.minimum === -SAFE_INT) delete n.minimum;
  }
  if (typeof n.format === 'string' && !FORMATS.has(n.format)) delete n.format;

  if (n.properties) {
    n.properties = Object.fromEntries(Object.entries(n.properties).map(([k, v]) => [k, convert(v, `${path}.${k}`)]));
    if (Object.keys(n.properties).length === 0) delete n.properties;
  }
  if (n.items) {
    if (Array.isArray(n.items)) throw new Error(`${path}: tuple items are not structural`);
    n.items = convert(n.items, `${path}[]`);
  }
  const ap = n.additionalProperties;
  if (ap === false) {
    delete n.additionalProperties;
  } else if (ap === true || (typeof ap === 'object' && Object.keys(ap).length === 0)) {
    // an open object: fields we do not model are kept, not pruned
    delete n.additionalProperties;
    n['x-kubernetes-preserve-unknown-fields'] = true;
  } else if (typeof ap === 'object') {
    if (n.properties) throw new Error(`${path}: properties and additionalProperties cannot be combined`);
    n.additionalProperties = convert(ap, `${path}.*`);
  }
  if (Array.isArray(n.required) && n.required.length === 0) delete n.required;
  for (const k of Object.keys(n)) if (!KEPT.has(k)) delete n[k];
  if (!n.type && !n['x-kubernetes-preserve-unknown-fields'] && !n['x-kubernetes-int-or-string']) {
    throw new Error(`${path || '(root)'}: no type (a structural schema needs one on every node)`);
  }
  return n;
}
