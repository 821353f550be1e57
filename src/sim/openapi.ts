// OpenAPI v3 documents as kube-apiserver serves them under /openapi/v3.
// kubectl reads them to decide whether the server validates fields itself: it
// looks for a PATCH operation tagged with the object's GVK whose parameters
// include an inline `fieldValidation` query parameter
// (cli-runtime/pkg/resource/query_param_verifier_v3.go). A `$ref` parameter
// would not do: kube-openapi does not resolve it, so its name reads as empty.
// `kubectl explain` and strategic-merge patching read the schemas.

import { createHash } from 'node:crypto';
import type { JSONSchemaProps, ResourceType } from './types.ts';
import { listMetaSchema, openapiName, subresourceSchemas, typeMetaProperties } from './builtins.ts';
import { SERVER_VERSION } from './discovery.ts';
import { reverseDomain } from './validation.ts';

type S = JSONSchemaProps;
type Obj = Record<string, unknown>;
type GVK = { group: string; kind: string; version: string };

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const ref = (name: string): S => ({ $ref: `#/components/schemas/${name}` });

/** "api/v1" for the core group, "apis/<group>/<version>" otherwise, as in the index. */
export function groupVersionPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function parseGroupVersionPath(path: string): { group: string; version: string } | undefined {
  const parts = path.replace(/^\/+|\/+$/g, '').split('/');
  if (parts.length === 2 && parts[0] === 'api') return { group: '', version: parts[1] };
  if (parts.length === 3 && parts[0] === 'apis') return { group: parts[1], version: parts[2] };
  return undefined;
}

// ---------------------------------------------------------------------------
// GET /openapi/v3 and /openapi/v3/<gv>

export function openapiIndex(types: ResourceType[]): { paths: Record<string, { serverRelativeURL: string }> } {
  const gvs = [...new Set(types.map((t) => groupVersionPath(t.group, t.version)))].sort();
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of gvs) {
    const doc = openapiDocument(types, gv)!;
    paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${contentHash(doc)}` };
  }
  return { paths };
}

/** The hash clients use as a cache key: uppercase hex SHA-512 of the document, as the real server computes it. */
export function contentHash(doc: object): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
}

export function openapiDocument(types: ResourceType[], gvPath: string): object | undefined {
  const gv = parseGroupVersionPath(gvPath);
  if (!gv) return undefined;
  const served = types.filter((t) => t.group === gv.group && t.version === gv.version);
  if (served.length === 0) return undefined;
  const defs = new Map<string, S>();
  const paths: Record<string, Obj> = {};
  for (const rt of served) addResource(rt, paths, defs);
  addMetaDefinitions(defs, gv.group, gv.version);
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: SERVER_VERSION.gitVersion },
    paths: sortedByKey(paths),
    components: {
      schemas: sortedByKey(Object.fromEntries(defs)),
      securitySchemes: {
        BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' },
      },
    },
    security: [{ BearerToken: [] }],
  };
}

function sortedByKey<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

// ---------------------------------------------------------------------------
// components.schemas: named sub-schemas are hoisted and referenced by $ref.

function define(defs: Map<string, S>, name: string, schema: S): void {
  if (defs.has(name)) return;
  defs.set(name, {}); // reserve first: named schemas may refer to themselves
  defs.set(name, hoist(schema, defs));
}

function refOrInline(schema: S, defs: Map<string, S>): S {
  const name = openapiName(schema);
  if (!name) return hoist(schema, defs);
  define(defs, name, schema);
  return ref(name);
}

function hoist(schema: S, defs: Map<string, S>): S {
  const out: S = { ...schema };
  if (schema.properties) {
    out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, refOrInline(v, defs)]));
  }
  if (schema.items) out.items = refOrInline(schema.items, defs);
  if (typeof schema.additionalProperties === 'object') out.additionalProperties = refOrInline(schema.additionalProperties, defs);
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (schema[key]) out[key] = schema[key].map((s) => refOrInline(s, defs));
  }
  return out;
}

/** The definition name of a resource's kind: the builtin's real name, or reverse-domain group + version + kind for CRs. */
function kindDefinitionName(rt: ResourceType): string {
  const named = rt.schema && openapiName(rt.schema);
  if (named) return named;
  const prefix = rt.group ? reverseDomain(rt.group) : 'io.k8s.api.core';
  return `${prefix}.${rt.version}.${rt.kind}`;
}

/** Registers the kind and its list; returns their definition names. */
function defineKind(rt: ResourceType, defs: Map<string, S>): { kind: string; list: string } {
  const name = kindDefinitionName(rt);
  const base: S = rt.schema ?? {
    type: 'object',
    properties: typeMetaProperties(),
    'x-kubernetes-preserve-unknown-fields': true,
  };
  define(defs, name, {
    ...base,
    'x-kubernetes-group-version-kind': base['x-kubernetes-group-version-kind'] ?? [
      { group: rt.group, kind: rt.kind, version: rt.version },
    ],
  });
  const list = name.endsWith(rt.kind) ? name.slice(0, -rt.kind.length) + rt.listKind : `${name}List`;
  define(defs, list, {
    description: `${rt.listKind} is a list of ${rt.kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      ...typeMetaProperties(),
      items: { type: 'array', items: ref(name) },
      metadata: listMetaSchema(),
    },
    'x-kubernetes-group-version-kind': [{ group: rt.group, kind: rt.listKind, version: rt.version }],
  });
  return { kind: name, list };
}

function addMetaDefinitions(defs: Map<string, S>, group: string, version: string): void {
  const here = (kind: string): GVK[] => {
    const core = { group: '', kind, version: 'v1' };
    return group === '' && version === 'v1' ? [core] : [core, { group, kind, version }];
  };
  define(defs, `${META}.StatusCause`, {
    type: 'object',
    properties: { field: { type: 'string' }, message: { type: 'string' }, reason: { type: 'string' } },
  });
  define(defs, `${META}.StatusDetails`, {
    type: 'object',
    properties: {
      causes: { type: 'array', items: ref(`${META}.StatusCause`), 'x-kubernetes-list-type': 'atomic' },
      group: { type: 'string' },
      kind: { type: 'string' },
      name: { type: 'string' },
      retryAfterSeconds: { type: 'integer', format: 'int32' },
      uid: { type: 'string' },
    },
  });
  define(defs, `${META}.Status`, {
    description: 'Status is a return value for calls that don\'t return other objects.',
    type: 'object',
    properties: {
      ...typeMetaProperties(),
      code: { type: 'integer', format: 'int32' },
      details: { ...ref(`${META}.StatusDetails`), 'x-kubernetes-list-type': 'atomic' },
      message: { type: 'string' },
      metadata: listMetaSchema(),
      reason: { type: 'string' },
      status: { type: 'string' },
    },
    'x-kubernetes-group-version-kind': here('Status'),
  });
  define(defs, `${META}.Preconditions`, {
    type: 'object',
    properties: { resourceVersion: { type: 'string' }, uid: { type: 'string' } },
  });
  define(defs, `${META}.DeleteOptions`, {
    description: 'DeleteOptions may be provided when deleting an API object.',
    type: 'object',
    properties: {
      ...typeMetaProperties(),
      dryRun: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'atomic' },
      gracePeriodSeconds: { type: 'integer', format: 'int64' },
      ignoreStoreReadErrorWithClusterBreakingPotential: { type: 'boolean' },
      orphanDependents: { type: 'boolean' },
      preconditions: ref(`${META}.Preconditions`),
      propagationPolicy: { type: 'string' },
    },
    'x-kubernetes-group-version-kind': here('DeleteOptions'),
  });
  define(defs, `${META}.Patch`, {
    description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
    type: 'object',
  });
  define(defs, 'io.k8s.apimachinery.pkg.runtime.RawExtension', {
    description: 'RawExtension is used to hold extensions in external versions.',
    type: 'object',
  });
  define(defs, `${META}.WatchEvent`, {
    description: 'Event represents a single event to a watched resource.',
    type: 'object',
    required: ['type', 'object'],
    properties: { object: ref('io.k8s.apimachinery.pkg.runtime.RawExtension'), type: { type: 'string' } },
    'x-kubernetes-group-version-kind': here('WatchEvent'),
  });
  define(defs, `${META}.ListMeta`, listMetaSchema());
}

// ---------------------------------------------------------------------------
// Parameters, inline as the real documents have them.

const query = (name: string, type: string, description: string): Obj => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});

const P = {
  pretty: query('pretty', 'string', "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget)."),
  dryRun: query('dryRun', 'string', 'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed'),
  fieldManager: query('fieldManager', 'string', 'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.'),
  patchFieldManager: query('fieldManager', 'string', 'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint. This field is required for apply requests (application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch, StrategicMergePatch).'),
  fieldValidation: query('fieldValidation', 'string', 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.'),
  force: query('force', 'boolean', 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.'),
  gracePeriodSeconds: query('gracePeriodSeconds', 'integer', 'The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately.'),
  ignoreStoreReadError: query('ignoreStoreReadErrorWithClusterBreakingPotential', 'boolean', 'if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error. A resource is considered corrupt if it can not be retrieved from the underlying storage successfully because of a) its data can not be transformed e.g. decryption failure, or b) it fails to decode into an object. NOTE: unsafe deletion ignores finalizer constraints, skips precondition checks, and removes the object from the storage. WARNING: This may potentially break the cluster if the workload associated with the resource being unsafe-deleted relies on normal deletion flow. Use only if you REALLY know what you are doing. The default value is false, and the user must opt in to enable it'),
  orphanDependents: query('orphanDependents', 'boolean', 'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the "orphan" finalizer will be added to/removed from the object\'s finalizers list. Either this field or PropagationPolicy may be set, but not both.'),
  propagationPolicy: query('propagationPolicy', 'string', "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground."),
  allowWatchBookmarks: query('allowWatchBookmarks', 'boolean', 'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server\'s discretion. Clients should not assume bookmarks are returned at any specific interval, nor may they assume the server will send any BOOKMARK event during a session. If this is not a watch, this field is ignored.'),
  continue: query('continue', 'string', 'The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue) and the server may reject a continue value it does not recognize.'),
  fieldSelector: query('fieldSelector', 'string', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  labelSelector: query('labelSelector', 'string', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  limit: query('limit', 'integer', 'limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results.'),
  resourceVersion: query('resourceVersion', 'string', 'resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset'),
  resourceVersionMatch: query('resourceVersionMatch', 'string', 'resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly recommended that resourceVersionMatch be set for list calls where resourceVersion is set See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset'),
  sendInitialEvents: query('sendInitialEvents', 'boolean', '`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection. Once all such events have been sent, a synthetic "Bookmark" event  will be sent.'),
  timeoutSeconds: query('timeoutSeconds', 'integer', 'Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.'),
  watch: query('watch', 'boolean', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.'),
  namespace: { name: 'namespace', in: 'path', description: 'object name and auth scope, such as for teams and projects', required: true, schema: { type: 'string', uniqueItems: true } },
};

const nameParam = (kind: string): Obj => ({
  name: 'name',
  in: 'path',
  description: `name of the ${kind}`,
  required: true,
  schema: { type: 'string', uniqueItems: true },
});

const LIST_PARAMS = [
  P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit,
  P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch,
];
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];
const PATCH_PARAMS = [P.dryRun, P.force, P.patchFieldManager, P.fieldValidation];
const DELETE_PARAMS = [P.dryRun, P.gracePeriodSeconds, P.ignoreStoreReadError, P.orphanDependents, P.propagationPolicy];
const DELETE_COLLECTION_PARAMS = [
  P.continue, P.dryRun, P.fieldSelector, P.gracePeriodSeconds, P.ignoreStoreReadError, P.labelSelector, P.limit,
  P.orphanDependents, P.propagationPolicy, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds,
];

const LOG_PARAMS = [
  query('container', 'string', 'The container for which to stream logs. Defaults to only container if there is one container in the pod.'),
  query('follow', 'boolean', 'Follow the log stream of the pod. Defaults to false.'),
  query('insecureSkipTLSVerifyBackend', 'boolean', "insecureSkipTLSVerifyBackend indicates that the apiserver should not confirm the validity of the serving certificate of the backend it is connecting to.  This will make the HTTPS connection between the apiserver and the backend insecure. This means the apiserver cannot verify the log data it is receiving came from the real kubelet.  If the kubelet is configured to verify the apiserver's TLS credentials, it does not mean the connection to the real kubelet is vulnerable to a man in the middle attack (e.g. an attacker could not intercept the actual log data coming from the real kubelet)."),
  query('limitBytes', 'integer', 'If set, the number of bytes to read from the server before terminating the log output. This may not display a complete final line of logging, and may return slightly more or slightly less than the specified limit.'),
  query('previous', 'boolean', 'Return previous terminated container logs. Defaults to false.'),
  query('sinceSeconds', 'integer', 'A relative time in seconds before the current time from which to show logs. If this value precedes the time a pod was started, only logs since the pod start will be returned. If this value is in the future, no logs will be returned. Only one of sinceSeconds or sinceTime may be specified.'),
  query('stream', 'string', 'Specify which container log stream to return to the client. Acceptable values are "All", "Stdout" and "Stderr". If not specified, "All" is used, and both stdout and stderr are returned interleaved. Note that when "TailLines" is specified, "Stream" can only be set to nil or "All".'),
  query('tailLines', 'integer', 'If set, the number of lines from the end of the logs to show. If not specified, logs are shown from the creation of the container or sinceSeconds or sinceTime. Note that when "TailLines" is specified, "Stream" can only be set to nil or "All".'),
  query('timestamps', 'boolean', 'If true, add an RFC3339 or RFC3339Nano timestamp at the beginning of every line of log output. Defaults to false.'),
];

const STREAM_PARAMS = (withCommand: boolean): Obj[] => [
  ...(withCommand ? [query('command', 'string', 'Command is the remote command to execute. argv array. Not executed within a shell.')] : []),
  query('container', 'string', 'Container in which to execute the command. Defaults to only container if there is only one container in the pod.'),
  query('stderr', 'boolean', 'Redirect the standard error stream of the pod for this call.'),
  query('stdin', 'boolean', 'Redirect the standard input stream of the pod for this call. Defaults to false.'),
  query('stdout', 'boolean', 'Redirect the standard output stream of the pod for this call.'),
  query('tty', 'boolean', 'TTY if true indicates that a tty will be allocated for the exec call. Defaults to false.'),
];

// ---------------------------------------------------------------------------
// Operations.

interface ResourceNaming {
  tag: string;
  /** e.g. "CoreV1", "AppsV1", "KubeheraldIoV1alpha1" */
  id: string;
  /** "Namespaced" for namespaced resources, "" otherwise */
  scope: string;
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Operation IDs and tags: the group without ".k8s.io", camel-cased ("rbac.authorization.k8s.io" → "rbacAuthorization"). */
function naming(rt: ResourceType): ResourceNaming {
  const words = (rt.group ? rt.group.replace(/\.k8s\.io$/, '') : 'core').split(/[.-]/).filter(Boolean);
  const camel = words.map((w, i) => (i === 0 ? w : capitalize(w))).join('');
  return { tag: `${camel}_${rt.version}`, id: capitalize(camel) + capitalize(rt.version), scope: rt.namespaced ? 'Namespaced' : '' };
}

const MEDIA = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const CR_MEDIA = ['application/json', 'application/yaml'];
const WATCH_MEDIA = [
  'application/json',
  'application/json;stream=watch',
  'application/vnd.kubernetes.protobuf',
  'application/vnd.kubernetes.protobuf;stream=watch',
  'application/yaml',
];

function content(schema: S, media: string[]): Obj {
  return Object.fromEntries(media.map((m) => [m, { schema }]));
}

function responses(codes: Record<string, string>, schema: S, media: string[]): Obj {
  return Object.fromEntries(Object.entries(codes).map(([code, description]) => [code, { description, content: content(schema, media) }]));
}

const OK = { '200': 'OK' };
const WRITTEN = { '200': 'OK', '201': 'Created' };
const CREATED = { '200': 'OK', '201': 'Created', '202': 'Accepted' };
const DELETED = { '200': 'OK', '202': 'Accepted' };

interface OpSpec {
  action: string;
  gvk: GVK;
  description: string;
  operationId: string;
  tag: string;
  parameters?: Obj[];
  requestBody?: Obj;
  responses: Obj;
}

function operation(o: OpSpec): Obj {
  const op: Obj = { tags: [o.tag], description: o.description, operationId: o.operationId };
  if (o.parameters?.length) op.parameters = o.parameters;
  if (o.requestBody) op.requestBody = o.requestBody;
  op.responses = o.responses;
  op['x-kubernetes-action'] = o.action;
  op['x-kubernetes-group-version-kind'] = o.gvk;
  return op;
}

const bodyOf = (schema: S): Obj => ({ content: { '*/*': { schema } }, required: true });

function patchBody(crd: boolean): Obj {
  const types = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json'];
  if (!crd) types.push('application/strategic-merge-patch+json');
  return { content: Object.fromEntries(types.map((t) => [t, { schema: ref(`${META}.Patch`) }])), required: true };
}

/** Adds a path's operations, merging with what is already there. */
function addPath(paths: Record<string, Obj>, path: string, ops: Record<string, Obj | undefined>, parameters: Obj[]): void {
  const defined = Object.entries(ops).filter(([, op]) => op !== undefined);
  if (defined.length === 0) return;
  const item = (paths[path] ??= {});
  for (const [method, op] of defined) item[method] = op;
  item.parameters = parameters;
}

function addResource(rt: ResourceType, paths: Record<string, Obj>, defs: Map<string, S>): void {
  const names = defineKind(rt, defs);
  const n = naming(rt);
  const verbs = new Set(rt.verbs);
  const gvk: GVK = { group: rt.group, kind: rt.kind, version: rt.version };
  const media = rt.crd ? CR_MEDIA : MEDIA;
  const kindRef = ref(names.kind);
  const listRef = ref(names.list);
  const statusRef = ref(`${META}.Status`);
  const prefix = '/' + groupVersionPath(rt.group, rt.version);
  const nsSegment = rt.namespaced ? '/namespaces/{namespace}' : '';
  const collection = `${prefix}${nsSegment}/${rt.resource}`;
  const item = `${collection}/{name}`;
  const nsParams = rt.namespaced ? [P.namespace] : [];
  const scoped = `${n.id}${n.scope}${rt.kind}`;
  const op = (action: string, description: string, operationId: string, rest: Partial<OpSpec>): Obj =>
    operation({ action, gvk, description, operationId, tag: n.tag, responses: {}, ...rest });

  addPath(
    paths,
    collection,
    {
      get: verbs.has('list')
        ? op('list', `list or watch objects of kind ${rt.kind}`, `list${scoped}`, {
            parameters: LIST_PARAMS,
            responses: responses(OK, listRef, rt.crd ? CR_MEDIA : [...MEDIA, 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch']),
          })
        : undefined,
      post: verbs.has('create')
        ? op('post', `create ${article(rt.kind)} ${rt.kind}`, `create${scoped}`, {
            parameters: WRITE_PARAMS,
            requestBody: bodyOf(kindRef),
            responses: responses(CREATED, kindRef, media),
          })
        : undefined,
      delete: verbs.has('deletecollection')
        ? op('deletecollection', `delete collection of ${rt.kind}`, `delete${n.id}Collection${n.scope}${rt.kind}`, {
            parameters: DELETE_COLLECTION_PARAMS,
            requestBody: { content: { '*/*': { schema: ref(`${META}.DeleteOptions`) } } },
            responses: responses(OK, statusRef, media),
          })
        : undefined,
    },
    [...nsParams, P.pretty],
  );

  addPath(
    paths,
    item,
    {
      get: verbs.has('get')
        ? op('get', `read the specified ${rt.kind}`, `read${scoped}`, { responses: responses(OK, kindRef, media) })
        : undefined,
      put: verbs.has('update')
        ? op('put', `replace the specified ${rt.kind}`, `replace${scoped}`, {
            parameters: WRITE_PARAMS,
            requestBody: bodyOf(kindRef),
            responses: responses(WRITTEN, kindRef, media),
          })
        : undefined,
      patch: verbs.has('patch')
        ? op('patch', `partially update the specified ${rt.kind}`, `patch${scoped}`, {
            parameters: PATCH_PARAMS,
            requestBody: patchBody(!!rt.crd),
            responses: responses(WRITTEN, kindRef, media),
          })
        : undefined,
      delete: verbs.has('delete')
        ? op('delete', `delete ${article(rt.kind)} ${rt.kind}`, `delete${scoped}`, {
            parameters: DELETE_PARAMS,
            requestBody: { content: { '*/*': { schema: ref(`${META}.DeleteOptions`) } } },
            responses: responses(DELETED, statusRef, media),
          })
        : undefined,
    },
    [nameParam(rt.kind), ...nsParams, P.pretty],
  );

  if (rt.namespaced && verbs.has('list')) {
    addPath(
      paths,
      `${prefix}/${rt.resource}`,
      {
        get: op('list', `list or watch objects of kind ${rt.kind}`, `list${n.id}${rt.kind}ForAllNamespaces`, {
          responses: responses(OK, listRef, rt.crd ? CR_MEDIA : [...MEDIA, 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch']),
        }),
      },
      [...LIST_PARAMS, P.pretty],
    );
  }

  if (verbs.has('watch')) {
    const watchEvent = ref(`${META}.WatchEvent`);
    const watchMedia = rt.crd ? ['application/json', 'application/json;stream=watch', 'application/yaml'] : WATCH_MEDIA;
    const watchOp = (action: string, description: string, operationId: string): Obj =>
      op(action, description, operationId, { responses: responses(OK, watchEvent, watchMedia) });
    addPath(
      paths,
      `${prefix}/watch${nsSegment}/${rt.resource}`,
      {
        get: watchOp(
          'watchlist',
          `watch individual changes to a list of ${rt.kind}. deprecated: use the 'watch' parameter with a list operation instead.`,
          `watch${scoped}List`,
        ),
      },
      [...LIST_PARAMS, ...nsParams, P.pretty],
    );
    addPath(
      paths,
      `${prefix}/watch${nsSegment}/${rt.resource}/{name}`,
      {
        get: watchOp(
          'watch',
          `watch changes to an object of kind ${rt.kind}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.`,
          `watch${scoped}`,
        ),
      },
      [...LIST_PARAMS, nameParam(rt.kind), ...nsParams, P.pretty],
    );
    if (rt.namespaced) {
      addPath(
        paths,
        `${prefix}/watch/${rt.resource}`,
        {
          get: watchOp(
            'watchlist',
            `watch individual changes to a list of ${rt.kind}. deprecated: use the 'watch' parameter with a list operation instead.`,
            `watch${n.id}${rt.kind}ListForAllNamespaces`,
          ),
        },
        [...LIST_PARAMS, P.pretty],
      );
    }
  }

  for (const sub of rt.subresources) addSubresource(rt, sub, { paths, defs, n, gvk, media, kindRef, item, nsParams });
}

const article = (word: string): string => (/^[AEIOU]/.test(word) ? 'an' : 'a');

interface SubContext {
  paths: Record<string, Obj>;
  defs: Map<string, S>;
  n: ResourceNaming;
  gvk: GVK;
  media: string[];
  kindRef: S;
  item: string;
  nsParams: Obj[];
}

const PROXY_METHODS = ['delete', 'get', 'head', 'options', 'patch', 'post', 'put'];

/** A subresource's operations; the body kind is the parent's unless the subresource has its own (scale, binding …). */
function addSubresource(rt: ResourceType, sub: string, c: SubContext): void {
  const path = `${c.item}/${sub}`;
  const Sub = capitalize(sub);
  const scoped = `${c.n.id}${c.n.scope}${rt.kind}${Sub}`;
  const op = (action: string, gvk: GVK, description: string, operationId: string, rest: Partial<OpSpec> = {}): Obj =>
    operation({ action, gvk, description, operationId, tag: c.n.tag, responses: {}, ...rest });
  const own = subresourceSchemas()[sub];
  const bodyGvk = own ? (own['x-kubernetes-group-version-kind']![0] as GVK) : c.gvk;
  const bodyRef = own ? ref(defineOwn(sub, own, c.defs)) : c.kindRef;
  const params = [nameParam(bodyGvk.kind), ...c.nsParams, P.pretty];
  const stringResponse = responses(OK, { type: 'string' }, ['*/*']);
  const connect = (options: string, extra: Obj[], methods: string[], at = path, extraPathParams: Obj[] = []): void => {
    const gvk = { group: '', kind: `${rt.kind}${options}`, version: 'v1' };
    const pathParams = [nameParam(gvk.kind), ...c.nsParams, ...extraPathParams];
    const ops: Record<string, Obj> = {};
    for (const m of methods) {
      ops[m] = op('connect', gvk, `connect ${m.toUpperCase()} requests to ${sub} of ${rt.kind}`, `connect${c.n.id}${capitalize(m)}${c.n.scope}${rt.kind}${Sub}${at === path ? '' : 'WithPath'}`, {
        parameters: extra,
        responses: stringResponse,
      });
    }
    addPath(c.paths, at, ops, pathParams);
  };

  switch (sub) {
    case 'log':
      addPath(c.paths, path, {
        get: op('get', c.gvk, `read log of the specified ${rt.kind}`, `read${c.n.id}${c.n.scope}${rt.kind}Log`, {
          parameters: LOG_PARAMS,
          responses: responses(OK, { type: 'string' }, ['text/plain', 'application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']),
        }),
      }, params);
      return;
    case 'exec':
      connect('ExecOptions', STREAM_PARAMS(true), ['get', 'post']);
      return;
    case 'attach':
      connect('AttachOptions', STREAM_PARAMS(false), ['get', 'post']);
      return;
    case 'portforward':
      connect('PortForwardOptions', [query('ports', 'integer', 'List of ports to forward Required when using WebSockets')], ['get', 'post']);
      return;
    case 'proxy': {
      const pathQuery = [query('path', 'string', `Path is the URL path to use for the current proxy request to ${rt.kind.toLowerCase()}.`)];
      connect('ProxyOptions', pathQuery, PROXY_METHODS);
      const pathParam = { name: 'path', in: 'path', description: 'path to the resource', required: true, schema: { type: 'string', uniqueItems: true } };
      connect('ProxyOptions', pathQuery, PROXY_METHODS, `${path}/{path}`, [pathParam]);
      return;
    }
    case 'binding':
    case 'eviction':
    case 'token':
      addPath(c.paths, path, {
        post: op('post', bodyGvk, `create ${Sub.toLowerCase()} of ${article(rt.kind)} ${rt.kind}`, `create${scoped}`, {
          parameters: WRITE_PARAMS,
          requestBody: bodyOf(bodyRef),
          responses: responses(CREATED, bodyRef, c.media),
        }),
      }, params);
      return;
    case 'finalize':
      addPath(c.paths, path, {
        put: op('put', c.gvk, `replace finalize of the specified ${rt.kind}`, `replace${scoped}`, {
          parameters: WRITE_PARAMS,
          requestBody: bodyOf(bodyRef),
          responses: responses(WRITTEN, bodyRef, c.media),
        }),
      }, params);
      return;
    default:
      // status, scale, ephemeralcontainers, resize: read, replace, patch
      addPath(c.paths, path, {
        get: op('get', bodyGvk, `read ${sub} of the specified ${rt.kind}`, `read${scoped}`, { responses: responses(OK, bodyRef, c.media) }),
        put: op('put', bodyGvk, `replace ${sub} of the specified ${rt.kind}`, `replace${scoped}`, {
          parameters: WRITE_PARAMS,
          requestBody: bodyOf(bodyRef),
          responses: responses(WRITTEN, bodyRef, c.media),
        }),
        patch: op('patch', bodyGvk, `partially update ${sub} of the specified ${rt.kind}`, `patch${scoped}`, {
          parameters: PATCH_PARAMS,
          requestBody: patchBody(!!rt.crd),
          responses: responses(WRITTEN, bodyRef, c.media),
        }),
      }, params);
  }
}

function defineOwn(sub: string, schema: S, defs: Map<string, S>): string {
  const name = openapiName(schema) ?? `io.k8s.api.${sub}`;
  define(defs, name, schema);
  return name;
}
