import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinResourceTypes, openapiName } from '../../src/sim/builtins.ts';
import type { JSONSchemaProps, KObject, ResourceType } from '../../src/sim/types.ts';
import {
  crdResourceTypes,
  defaultCRD,
  isQualifiedName,
  prune,
  unknownFields,
  validateAgainstSchema,
  validateCRD,
  validateMetadata,
  validateName,
} from '../../src/sim/validation.ts';

const types = builtinResourceTypes();
const rt = (group: string, resource: string): ResourceType => types.find((t) => t.group === group && t.resource === resource)!;

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

describe('validateName', () => {
  it('accepts valid names', () => {
    assert.deepEqual(validateName('web-1.shop', rt('', 'pods')), []);
    assert.deepEqual(validateName('shop', rt('', 'namespaces')), []);
    assert.deepEqual(validateName('web', rt('', 'services')), []);
    assert.deepEqual(validateName('system:controller:foo', rt('rbac.authorization.k8s.io', 'clusterroles')), []);
  });

  it('uses DNS-1123 subdomains for most kinds', () => {
    assert.deepEqual(validateName('Web_1', rt('apps', 'deployments')), [
      { reason: 'FieldValueInvalid', message: `Invalid value: "Web_1": ${SUBDOMAIN_MSG}`, field: 'metadata.name' },
    ]);
    const long = 'a'.repeat(254);
    assert.deepEqual(validateName(long, rt('', 'configmaps')), [
      { reason: 'FieldValueInvalid', message: `Invalid value: "${long}": must be no more than 253 characters`, field: 'metadata.name' },
    ]);
  });

  it('uses DNS-1123 labels for namespaces and DNS-1035 labels for services', () => {
    assert.deepEqual(validateName('a.b', rt('', 'namespaces')), [
      { reason: 'FieldValueInvalid', message: `Invalid value: "a.b": ${LABEL_MSG}`, field: 'metadata.name' },
    ]);
    assert.deepEqual(validateName('1web', rt('', 'services')), [
      { reason: 'FieldValueInvalid', message: `Invalid value: "1web": ${DNS1035_MSG}`, field: 'metadata.name' },
    ]);
    assert.deepEqual(validateName('1web', rt('', 'pods')), []);
  });

  it('uses path segment rules for RBAC objects', () => {
    assert.deepEqual(validateName('a/b', rt('rbac.authorization.k8s.io', 'roles')), [
      { reason: 'FieldValueInvalid', message: `Invalid value: "a/b": may not contain '/'`, field: 'metadata.name' },
    ]);
    assert.deepEqual(validateName('..', rt('rbac.authorization.k8s.io', 'rolebindings'))[0].message, `Invalid value: "..": may not be '..'`);
  });

  it('requires a name', () => {
    assert.deepEqual(validateName('', rt('', 'pods')), [
      { reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' },
    ]);
  });
});

describe('validateMetadata', () => {
  const pod = (meta: KObject['metadata']): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ...meta } });

  it('accepts valid labels, annotations and finalizers', () => {
    const obj = pod({
      labels: { app: 'web', 'app.kubernetes.io/name': 'web', empty: '' },
      annotations: { 'Kubectl.kubernetes.io/Last-Applied': '{}' },
      finalizers: ['kubernetes.io/pvc-protection'],
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true }],
    });
    assert.deepEqual(validateMetadata(obj, rt('', 'pods')), []);
  });

  it('reports bad label keys and values like apimachinery', () => {
    const causes = validateMetadata(pod({ labels: { 'bad key': 'v', ok: 'bad value!' } }), rt('', 'pods'));
    assert.deepEqual(causes, [
      {
        reason: 'FieldValueInvalid',
        message:
          "Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        field: 'metadata.labels',
      },
      {
        reason: 'FieldValueInvalid',
        message:
          "Invalid value: \"bad value!\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        field: 'metadata.labels',
      },
    ]);
    const long = 'v'.repeat(64);
    assert.deepEqual(validateMetadata(pod({ labels: { a: long } }), rt('', 'pods')), [
      { reason: 'FieldValueInvalid', message: `Invalid value: "${long}": must be no more than 63 characters`, field: 'metadata.labels' },
    ]);
  });

  it('checks qualified-name prefixes', () => {
    assert.deepEqual(isQualifiedName('Example.com/x'), [`prefix part ${SUBDOMAIN_MSG}`]);
    assert.deepEqual(isQualifiedName('/x'), ['prefix part must be non-empty']);
    assert.equal(isQualifiedName('a/b/c').length, 1);
  });

  it('limits the total annotation size to 256 KiB', () => {
    const causes = validateMetadata(pod({ annotations: { big: 'x'.repeat(262144) } }), rt('', 'pods'));
    assert.deepEqual(causes, [
      { reason: 'FieldValueTooLong', message: 'Too long: may not be more than 262144 bytes', field: 'metadata.annotations' },
    ]);
  });

  it('checks owner references', () => {
    const causes = validateMetadata(pod({ ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: '' }] }), rt('', 'pods'));
    assert.deepEqual(causes, [
      { reason: 'FieldValueInvalid', message: 'Invalid value: "": uid must not be empty', field: 'metadata.ownerReferences.uid' },
    ]);
  });
});

describe('unknownFields', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
          items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          byName: { type: 'object', additionalProperties: { type: 'object', properties: { n: { type: 'integer' } } } },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'object', properties: {} } } },
          template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', properties: {} } } },
          empty: { type: 'object' },
        },
      },
    },
  };

  it('reports unknown fields with dotted paths and list indexes', () => {
    const value = {
      spec: {
        port: 'http',
        items: [{ name: 'a' }, { name: 'b', bogus: 1 }],
        labels: { anything: 'x' },
        byName: { x: { n: 1, m: 2 } },
        free: { whatever: { deep: true }, known: { nope: 1 } },
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', bad: 1 }, spec: { x: 1 } },
        empty: { a: 1 },
        extra: 1,
      },
      top: 1,
    };
    assert.deepEqual(unknownFields(value, schema), [
      'spec.items[1].bogus',
      'spec.byName.x.m',
      'spec.free.known.nope',
      'spec.template.metadata.bad',
      'spec.template.spec.x',
      'spec.empty.a',
      'spec.extra',
      'top',
    ]);
  });

  it('finds nothing in a conforming value and ignores type mismatches', () => {
    assert.deepEqual(unknownFields({ spec: { port: 80, items: 'oops', labels: null } }, schema), []);
  });
});

describe('prune', () => {
  it('drops unknown fields, keeps preserved ones, and does not modify its input', () => {
    const schema: JSONSchemaProps = {
      type: 'object',
      properties: {
        apiVersion: { type: 'string' },
        spec: {
          type: 'object',
          properties: {
            a: { type: 'string' },
            list: { type: 'array', items: { type: 'object', properties: { k: { type: 'string' } } } },
            free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            n: { type: 'string', nullable: true },
            d: { type: 'string', default: 'x' },
          },
        },
      },
    };
    const input = {
      apiVersion: 'v1',
      spec: { a: 'x', b: 'y', list: [{ k: '1', z: 2 }], free: { q: { r: 1 } }, gone: null, a2: null, n: null, d: null },
      status: { x: 1 },
    };
    const copy = structuredClone(input);
    assert.deepEqual(prune(input, schema), {
      apiVersion: 'v1',
      spec: { a: 'x', list: [{ k: '1' }], free: { q: { r: 1 } }, n: null, d: null },
    });
    assert.deepEqual(input, copy);
  });

  it('drops nulls of non-nullable fields', () => {
    const schema: JSONSchemaProps = { type: 'object', properties: { a: { type: 'string' }, b: { type: 'object', properties: {} } } };
    assert.deepEqual(prune({ a: null, b: null }, schema), {});
  });
});

describe('validateAgainstSchema', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    required: ['spec'],
    properties: {
      spec: {
        type: 'object',
        required: ['replicas', 'name'],
        properties: {
          replicas: { type: 'integer', minimum: 1, maximum: 10 },
          name: { type: 'string', minLength: 3, maxLength: 5, pattern: '^[a-z]+$' },
          color: { type: 'string', enum: ['red', 'blue'] },
          ratio: { type: 'number', exclusiveMinimum: true, minimum: 0 },
          port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
          tags: { type: 'array', minItems: 1, maxItems: 2, items: { type: 'string' } },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          note: { type: 'string', nullable: true },
          flag: { type: 'boolean' },
        },
      },
    },
  };

  it('accepts a valid value', () => {
    const ok = { spec: { replicas: 3, name: 'abc', color: 'red', ratio: 0.5, port: 'http', tags: ['a'], labels: { x: 'y' }, note: null } };
    assert.deepEqual(validateAgainstSchema(ok, schema), []);
    assert.deepEqual(validateAgainstSchema({ spec: { replicas: 1, name: 'abc', port: 8080 } }, schema), []);
  });

  it('reports type errors like kube-openapi', () => {
    assert.deepEqual(validateAgainstSchema({ spec: { replicas: 'string', name: 'abc' } }, schema), [
      {
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
        field: 'spec.replicas',
      },
    ]);
    assert.deepEqual(validateAgainstSchema({ spec: { replicas: 1.5, name: 'abc', flag: 'yes', port: true } }, schema), [
      {
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "number": spec.replicas in body must be of type integer: "number"',
        field: 'spec.replicas',
      },
      {
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "string": spec.flag in body must be of type boolean: "string"',
        field: 'spec.flag',
      },
      {
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
        field: 'spec.port',
      },
    ]);
  });

  it('reports missing required fields, and nulls of non-nullable fields as missing', () => {
    assert.deepEqual(validateAgainstSchema({}, schema), [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec' }]);
    assert.deepEqual(validateAgainstSchema({ spec: { replicas: null } }, schema), [
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.replicas' },
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.name' },
    ]);
  });

  it('reports enum, pattern, length and range violations', () => {
    const causes = validateAgainstSchema({ spec: { replicas: 0, name: 'AB', color: 'green', ratio: 0 } }, schema);
    assert.deepEqual(causes, [
      { reason: 'FieldValueInvalid', message: 'Invalid value: 0: spec.replicas in body should be greater than or equal to 1', field: 'spec.replicas' },
      { reason: 'FieldValueInvalid', message: 'Invalid value: "AB": spec.name in body should be at least 3 chars long', field: 'spec.name' },
      { reason: 'FieldValueInvalid', message: "Invalid value: \"AB\": spec.name in body should match '^[a-z]+$'", field: 'spec.name' },
      { reason: 'FieldValueNotSupported', message: 'Unsupported value: "green": supported values: "red", "blue"', field: 'spec.color' },
      { reason: 'FieldValueInvalid', message: 'Invalid value: 0: spec.ratio in body should be greater than 0', field: 'spec.ratio' },
    ]);
    assert.deepEqual(validateAgainstSchema({ spec: { replicas: 11, name: 'abcdef' } }, schema), [
      { reason: 'FieldValueInvalid', message: 'Invalid value: 11: spec.replicas in body should be less than or equal to 10', field: 'spec.replicas' },
      { reason: 'FieldValueTooLong', message: 'Too long: value is too long', field: 'spec.name' },
    ]);
  });

  it('reports item count violations and validates items and map values', () => {
    assert.deepEqual(validateAgainstSchema({ spec: { replicas: 1, name: 'abc', tags: [] } }, schema), [
      { reason: 'FieldValueInvalid', message: 'Invalid value: 0: spec.tags in body should have at least 1 items', field: 'spec.tags' },
    ]);
    assert.deepEqual(validateAgainstSchema({ spec: { replicas: 1, name: 'abc', tags: ['a', 2, 'c'], labels: { k: 1 } } }, schema), [
      {
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "integer": spec.tags[1] in body must be of type string: "integer"',
        field: 'spec.tags[1]',
      },
      { reason: 'FieldValueTooMany', message: 'Too many: 3: has too many items', field: 'spec.tags' },
      {
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "integer": spec.labels.k in body must be of type string: "integer"',
        field: 'spec.labels.k',
      },
    ]);
  });

  it('prefixes paths when given one', () => {
    assert.deepEqual(validateAgainstSchema(5, { type: 'string' }, 'spec.x'), [
      { reason: 'FieldValueTypeInvalid', message: 'Invalid value: "integer": spec.x in body must be of type string: "integer"', field: 'spec.x' },
    ]);
  });
});

const routeCRD = (): KObject => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'routes.kubeherald.io' },
  spec: {
    group: 'kubeherald.io',
    names: { plural: 'routes', kind: 'Route', shortNames: ['rt'], categories: ['kubeherald'] },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            required: ['spec'],
            properties: {
              spec: { type: 'object', properties: { sink: { type: 'string' }, replicas: { type: 'integer' } } },
              status: { type: 'object', properties: { replicas: { type: 'integer' } } },
            },
          },
        },
        subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
        additionalPrinterColumns: [{ name: 'Sink', type: 'string', jsonPath: '.spec.sink', priority: 1, description: 'where to' }],
      },
      { name: 'v1alpha0', served: false, storage: false, schema: { openAPIV3Schema: { type: 'object' } } },
      { name: 'v1beta1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
    ],
  },
});

describe('crdResourceTypes', () => {
  it('builds one type per served version', () => {
    const [alpha, beta] = crdResourceTypes(routeCRD());
    assert.equal(crdResourceTypes(routeCRD()).length, 2);
    const { schema, ...rest } = alpha;
    assert.deepEqual(rest, {
      group: 'kubeherald.io',
      version: 'v1alpha1',
      resource: 'routes',
      singular: 'route',
      kind: 'Route',
      listKind: 'RouteList',
      namespaced: true,
      verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
      subresources: ['scale', 'status'],
      storage: 'kubeherald.io/routes',
      crd: true,
      shortNames: ['rt'],
      categories: ['kubeherald'],
      printerColumns: [{ name: 'Sink', type: 'string', jsonPath: '.spec.sink', description: 'where to', priority: 1 }],
    });
    assert.equal(beta.version, 'v1beta1');
    assert.deepEqual(beta.subresources, []);
    assert.equal(beta.printerColumns, undefined);
    assert.equal(beta.storage, alpha.storage);
  });

  it('wraps the version schema with TypeMeta, ObjectMeta and the GVK', () => {
    const [alpha, beta] = crdResourceTypes(routeCRD());
    const s = alpha.schema!;
    assert.deepEqual(s['x-kubernetes-group-version-kind'], [{ group: 'kubeherald.io', kind: 'Route', version: 'v1alpha1' }]);
    assert.deepEqual(s.required, ['spec']);
    assert.deepEqual(Object.keys(s.properties!), ['apiVersion', 'kind', 'spec', 'status', 'metadata']);
    assert.equal(openapiName(s.properties!.metadata), 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    const cr = { apiVersion: 'kubeherald.io/v1alpha1', kind: 'Route', metadata: { name: 'r', namespace: 'n', labelz: 1 }, spec: { sink: 'slack', x: 1 } };
    assert.deepEqual(unknownFields(cr, s), ['metadata.labelz', 'spec.x']);
    assert.deepEqual(unknownFields({ ...cr, metadata: { name: 'r' }, anything: { goes: 1 } }, beta.schema!), []);
    assert.deepEqual(validateAgainstSchema({ ...cr, spec: { replicas: 'two' } }, s), [
      {
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
        field: 'spec.replicas',
      },
    ]);
  });

  it('serves cluster-scoped CRDs as cluster-scoped', () => {
    const crd = routeCRD();
    (crd.spec as { scope: string }).scope = 'Cluster';
    assert.equal(crdResourceTypes(crd)[0].namespaced, false);
  });

  it('defaults singular, listKind and the conversion strategy', () => {
    const spec = defaultCRD(routeCRD()).spec as { names: object; conversion: object };
    assert.deepEqual(spec.names, { plural: 'routes', kind: 'Route', shortNames: ['rt'], categories: ['kubeherald'], singular: 'route', listKind: 'RouteList' });
    assert.deepEqual(spec.conversion, { strategy: 'None' });
  });
});

describe('validateCRD', () => {
  const versions = (crd: KObject) => (crd.spec as { versions: Record<string, unknown>[] }).versions;

  it('accepts a valid CRD', () => {
    assert.deepEqual(validateCRD(routeCRD()), []);
  });

  it('requires metadata.name to be plural.group', () => {
    const crd = routeCRD();
    crd.metadata.name = 'route.kubeherald.io';
    assert.deepEqual(validateCRD(crd), [
      { reason: 'FieldValueInvalid', message: 'Invalid value: "route.kubeherald.io": must be spec.names.plural+"."+spec.group', field: 'metadata.name' },
    ]);
  });

  it('requires exactly one storage version', () => {
    const crd = routeCRD();
    versions(crd)[2].storage = true;
    const causes = validateCRD(crd);
    assert.equal(causes.length, 1);
    assert.equal(causes[0].field, 'spec.versions');
    assert.equal(causes[0].reason, 'FieldValueInvalid');
    assert.match(causes[0].message!, /^Invalid value: \[.*\]: must have exactly one version marked as storage version$/);
  });

  it('checks group, scope and names', () => {
    const crd: KObject = {
      metadata: { name: 'x.example' },
      spec: { group: 'example', scope: 'Global', names: { plural: 'Xs' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }] },
    };
    assert.deepEqual(validateCRD(crd), [
      { reason: 'FieldValueInvalid', message: 'Invalid value: "x.example": must be spec.names.plural+"."+spec.group', field: 'metadata.name' },
      { reason: 'FieldValueInvalid', message: 'Invalid value: "example": should be a domain with at least one dot', field: 'spec.group' },
      { reason: 'FieldValueNotSupported', message: 'Unsupported value: "Global": supported values: "Cluster", "Namespaced"', field: 'spec.scope' },
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.names.singular' },
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.names.kind' },
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.names.listKind' },
      { reason: 'FieldValueInvalid', message: `Invalid value: "Xs": ${DNS1035_MSG}`, field: 'spec.names.plural' },
    ]);
  });

  it('requires a schema for served versions', () => {
    const crd = routeCRD();
    delete versions(crd)[0].schema;
    assert.deepEqual(validateCRD(crd), [
      {
        reason: 'FieldValueRequired',
        message: 'Required value: because otherwise all fields are pruned',
        field: 'spec.versions[0].schema.openAPIV3Schema',
      },
    ]);
  });

  it('requires structural schemas', () => {
    const crd = routeCRD();
    versions(crd)[0].schema = {
      openAPIV3Schema: {
        type: 'object',
        properties: {
          spec: { properties: { a: { type: 'string' }, list: { type: 'array' } } },
          port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
          metadata: { type: 'object', properties: { labels: { type: 'object' } } },
        },
      },
    };
    assert.deepEqual(validateCRD(crd), [
      {
        reason: 'FieldValueForbidden',
        message: 'Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified',
        field: 'spec.versions[0].schema.openAPIV3Schema.properties[metadata]',
      },
      {
        reason: 'FieldValueRequired',
        message: 'Required value: must be specified',
        field: 'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[list].items',
      },
      {
        reason: 'FieldValueRequired',
        message: 'Required value: must not be empty for specified object fields',
        field: 'spec.versions[0].schema.openAPIV3Schema.properties[spec].type',
      },
    ]);
  });

  it('rejects unsupported schema keywords before checking structure', () => {
    const crd = routeCRD();
    versions(crd)[0].schema = {
      openAPIV3Schema: { type: 'object', properties: { a: { type: 'map' }, b: { $ref: '#/x' }, c: { type: 'array', uniqueItems: true, items: { type: 'string' } } } },
    };
    assert.deepEqual(validateCRD(crd), [
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "map": supported values: "array", "boolean", "integer", "number", "object", "string"',
        field: 'spec.versions[0].schema.openAPIV3Schema.properties[a].type',
      },
      { reason: 'FieldValueForbidden', message: 'Forbidden: $ref is not supported', field: 'spec.versions[0].schema.openAPIV3Schema.properties[b].$ref' },
      {
        reason: 'FieldValueForbidden',
        message: 'Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic',
        field: 'spec.versions[0].schema.openAPIV3Schema.properties[c].uniqueItems',
      },
    ]);
  });

  it('checks scale paths and printer columns', () => {
    const crd = routeCRD();
    versions(crd)[0].subresources = { scale: { specReplicasPath: '.status.replicas', statusReplicasPath: '' } };
    versions(crd)[0].additionalPrinterColumns = [{ name: 'X', type: 'text', jsonPath: '' }];
    assert.deepEqual(validateCRD(crd), [
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: ".status.replicas": should be a json path under .spec',
        field: 'spec.versions[0].subresources.scale.specReplicasPath',
      },
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.versions[0].subresources.scale.statusReplicasPath' },
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "text": supported values: "boolean", "date", "integer", "number", "string"',
        field: 'spec.versions[0].additionalPrinterColumns[0].type',
      },
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.versions[0].additionalPrinterColumns[0].JSONPath' },
    ]);
  });
});
