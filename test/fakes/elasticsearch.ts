// A local Elasticsearch for tests: an HTTP(S) server on 127.0.0.1 that
// enforces what a real 9.x node enforces for what the official client sends
// (product header, compatible-with media types, authentication, composable
// index templates, ILM policies, data streams created from a matching
// template on first write, `create`-only writes to data streams, _id
// conflicts, @timestamp, and a mapper that rejects documents the mapping does
// not fit) and records every request and document. Faults: whole-request
// errors with Retry-After, rejected bulk items, missing cluster privileges.

import { randomBytes, randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface FakeElasticsearchOptions {
  /** the accepted API key, in its encoded form (what the client sends after "ApiKey ") */
  apiKey?: string;
  /** accepted basic credentials */
  basic?: { username: string; password: string };
  /** send `x-elastic-product: Elasticsearch` (default true): the client refuses servers without it */
  productHeader?: boolean;
  /** the major version served (default 9): 9 accepts compatible-with 8 and 9, 8 accepts 7 and 8 */
  majorVersion?: 8 | 9;
  /** the version number GET / reports (default a recent release of majorVersion) */
  versionNumber?: string;
  /** serve HTTPS with this certificate */
  tls?: { cert: string; key: string };
  /** the clock for backing index names and timestamps (default Date.now) */
  now?: () => number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  status: number;
}

export interface StoredDocument {
  _id: string;
  _index: string;
  _source: Record<string, unknown>;
}

type Json = Record<string, any>;

interface IndexState {
  name: string;
  dataStream?: string;
  mappings: Json;
  settings: Json;
  docs: Map<string, Record<string, unknown>>;
  seqNo: number;
}

interface DataStreamState {
  name: string;
  template: string;
  indices: string[];
  generation: number;
}

export interface FakeElasticsearch {
  url: string;
  requests: RecordedRequest[];
  templates: Map<string, Json>;
  ilmPolicies: Map<string, Json>;
  dataStreams: Map<string, DataStreamState>;
  indices: Map<string, IndexState>;
  /** documents of a data stream (all its backing indices) or an index, in write order */
  documents(target: string): StoredDocument[];
  /** bulk requests only */
  bulkRequests(): RecordedRequest[];
  faults: {
    /** the next `times` requests (default 1) fail as a whole with this status */
    failNext(status: 429 | 500 | 502 | 503 | 504, opts?: { retryAfter?: string; times?: number; paths?: RegExp }): void;
    /** the next `count` bulk items are rejected with 429 es_rejected_execution_exception */
    rejectItems(count: number): void;
    /** template, ILM and data stream management answers 403, as for a key that may only write */
    denyManagement: boolean;
    /** GET / answers 403, as for a key without cluster:monitor/main */
    denyInfo: boolean;
  };
  close(): Promise<void>;
}

const VERSION: Record<8 | 9, Json> = {
  9: { number: '9.1.3', lucene_version: '10.2.2', minimum_wire_compatibility_version: '8.19.0', minimum_index_compatibility_version: '8.0.0' },
  8: { number: '8.19.3', lucene_version: '9.12.2', minimum_wire_compatibility_version: '7.17.0', minimum_index_compatibility_version: '7.0.0' },
};

class EsError extends Error {
  readonly status: number;
  readonly type: string;
  readonly extra: Json;
  readonly headers: Record<string, string | string[]>;
  constructor(status: number, type: string, reason: string, extra: Json = {}, headers: Record<string, string | string[]> = {}) {
    super(reason);
    this.status = status;
    this.type = type;
    this.extra = extra;
    this.headers = headers;
  }
  cause_(): Json {
    return { type: this.type, reason: this.message, ...this.extra };
  }
}

const KNOWN_TYPES = new Set([
  'text', 'keyword', 'match_only_text', 'wildcard', 'constant_keyword', 'long', 'integer', 'short', 'byte', 'double', 'float', 'half_float',
  'scaled_float', 'unsigned_long', 'date', 'date_nanos', 'boolean', 'ip', 'object', 'nested', 'flattened', 'geo_point', 'binary', 'alias', 'version',
]);
const NUMERIC = new Set(['long', 'integer', 'short', 'byte', 'double', 'float', 'half_float', 'scaled_float', 'unsigned_long']);
const STRINGY = new Set(['text', 'keyword', 'match_only_text', 'wildcard', 'constant_keyword', 'version', 'ip']);
const TEMPLATE_KEYS = new Set(['index_patterns', 'composed_of', 'template', 'priority', 'version', '_meta', 'data_stream', 'allow_auto_create', 'ignore_missing_component_templates', 'deprecated']);
const TEMPLATE_INNER_KEYS = new Set(['settings', 'mappings', 'aliases', 'lifecycle', 'data_stream_options']);
const ILM_PHASES: Record<string, Set<string>> = {
  hot: new Set(['rollover', 'set_priority', 'forcemerge', 'shrink', 'readonly', 'unfollow', 'searchable_snapshot', 'downsample']),
  warm: new Set(['set_priority', 'allocate', 'migrate', 'shrink', 'forcemerge', 'readonly', 'unfollow', 'downsample']),
  cold: new Set(['set_priority', 'allocate', 'migrate', 'searchable_snapshot', 'readonly', 'unfollow', 'downsample']),
  frozen: new Set(['searchable_snapshot', 'unfollow']),
  delete: new Set(['delete', 'wait_for_snapshot']),
};
const TIME = /^[0-9]+(d|h|m|s|ms|micros|nanos)$/;
const COMMON_PARAMS = ['pretty', 'human', 'error_trace', 'filter_path', 'format'];
const BULK_PARAMS = new Set([...COMMON_PARAMS, 'refresh', 'require_data_stream', 'require_alias', 'pipeline', 'routing', 'timeout', 'wait_for_active_shards', '_source', '_source_includes', '_source_excludes', 'include_source_on_error', 'list_executed_pipelines']);
const MGMT_PARAMS = new Set([...COMMON_PARAMS, 'create', 'master_timeout', 'timeout', 'cause']);

export async function startFakeElasticsearch(opts: FakeElasticsearchOptions = {}): Promise<FakeElasticsearch> {
  const now = opts.now ?? Date.now;
  const major = opts.majorVersion ?? 9;
  const requests: RecordedRequest[] = [];
  const templates = new Map<string, Json>();
  const ilmPolicies = new Map<string, Json>();
  const dataStreams = new Map<string, DataStreamState>();
  const indices = new Map<string, IndexState>();
  const clusterUuid = randomUUID();
  let failures: { status: number; retryAfter?: string; times: number; paths?: RegExp }[] = [];
  let rejectItems = 0;

  const faults = {
    failNext(status: 429 | 500 | 502 | 503 | 504, o: { retryAfter?: string; times?: number; paths?: RegExp } = {}) {
      failures.push({ status, retryAfter: o.retryAfter, times: o.times ?? 1, paths: o.paths });
    },
    rejectItems(count: number) {
      rejectItems += count;
    },
    denyManagement: false,
    denyInfo: false,
  };

  // ------------------------------------------------------------ HTTP plumbing

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      ...(opts.productHeader === false ? {} : { 'x-elastic-product': 'Elasticsearch' }),
      'content-type': 'application/vnd.elasticsearch+json;compatible-with=' + major,
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  };

  const sendError = (res: ServerResponse, e: EsError): void => {
    const cause = e.cause_();
    send(res, e.status, { error: { root_cause: [cause], ...cause }, status: e.status }, e.headers);
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const record: RecordedRequest = {
        method: req.method ?? 'GET',
        path: decodeURIComponent(url.pathname),
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status: 0,
      };
      requests.push(record);
      const reply = (status: number, body: unknown, headers?: Record<string, string | string[]>): void => {
        record.status = status;
        send(res, status, body, headers);
      };
      try {
        route(record, reply);
      } catch (err) {
        const e = err instanceof EsError ? err : new EsError(500, 'exception', (err as Error).message);
        record.status = e.status;
        sendError(res, e);
      }
    });
  };

  const server: Server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  // ------------------------------------------------------------ checks every request passes

  function checkMediaTypes(r: RecordedRequest, ndjson: boolean): void {
    const accept = header(r, 'accept');
    const contentType = header(r, 'content-type');
    const versionOf = (v: string | undefined) => v?.match(/compatible-with=(\d+)/)?.[1];
    const acceptVersion = versionOf(accept);
    const contentVersion = r.body ? versionOf(contentType) : undefined;
    const allowed = [String(major), String(major - 1)];
    for (const [name, v, value] of [['Accept', acceptVersion, accept], ['Content-Type', contentVersion, contentType]] as const) {
      if (v !== undefined && !allowed.includes(v)) {
        throw new EsError(400, 'media_type_header_exception', 'Invalid media-type value on headers [Accept, Content-Type]', {
          caused_by: { type: 'status_exception', reason: `${name} version must be either version ${major} or ${major - 1}, but found ${v}. ${name}=${value}` },
        });
      }
    }
    if (r.body && (acceptVersion !== undefined) !== (contentVersion !== undefined) && accept && !/^\*\/\*|^application\/json/.test(accept)) {
      throw new EsError(400, 'media_type_header_exception', 'Invalid media-type value on headers [Accept, Content-Type]', {
        caused_by: { type: 'status_exception', reason: `A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version. Accept=${accept}, Content-Type=${contentType}` },
      });
    }
    if (r.body) {
      const ok = ndjson ? /^application\/(vnd\.elasticsearch\+)?(x-ndjson|json)\b/ : /^application\/(vnd\.elasticsearch\+)?json\b/;
      if (!contentType || !ok.test(contentType)) {
        throw new EsError(406, 'media_type_header_exception', `Content-Type header [${contentType ?? ''}] is not supported`);
      }
    }
  }

  function authenticate(r: RecordedRequest): void {
    if (!opts.apiKey && !opts.basic) return;
    const auth = header(r, 'authorization');
    const challenge = { 'WWW-Authenticate': ['Basic realm="security", charset="UTF-8"', 'ApiKey'] };
    const refuse = (reason: string): never => {
      throw new EsError(401, 'security_exception', reason, { header: challenge }, challenge);
    };
    if (!auth) refuse(`missing authentication credentials for REST request [${r.path}]`);
    const [scheme, value = ''] = auth!.split(/\s+/, 2);
    if (scheme === 'ApiKey' && opts.apiKey && value === opts.apiKey) return;
    if (scheme === 'Basic' && opts.basic) {
      const [user, ...rest] = Buffer.from(value, 'base64').toString('utf8').split(':');
      if (user === opts.basic.username && rest.join(':') === opts.basic.password) return;
      refuse(`unable to authenticate user [${user}] for REST request [${r.path}]`);
    }
    refuse('unable to authenticate with provided credentials');
  }

  function checkParams(r: RecordedRequest, allowed: Set<string>): void {
    const unknown = Object.keys(r.query).filter((k) => !allowed.has(k));
    if (unknown.length) throw new EsError(400, 'illegal_argument_exception', `request [${r.path}] contains unrecognized parameter${unknown.length > 1 ? 's' : ''}: [${unknown.join('], [')}]`);
  }

  function denyManagement(action: string): void {
    if (!faults.denyManagement) return;
    throw new EsError(403, 'security_exception', `action [${action}] is unauthorized for API key id [writer] of user [kubeherald], this action is granted by the cluster privileges [manage_index_templates,manage,all]`);
  }

  function jsonBody(r: RecordedRequest): Json {
    if (!r.body) throw new EsError(400, 'parse_exception', 'request body is required');
    try {
      const v = JSON.parse(r.body) as unknown;
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
      return v as Json;
    } catch {
      throw new EsError(400, 'x_content_parse_exception', '[1:1] Unexpected token: the body is not a JSON object');
    }
  }

  // ------------------------------------------------------------ routes

  function route(r: RecordedRequest, reply: (status: number, body: unknown, headers?: Record<string, string | string[]>) => void): void {
    const segs = r.path.split('/').filter(Boolean);
    const m = r.method;
    const ndjson = segs[segs.length - 1] === '_bulk';
    checkMediaTypes(r, ndjson);
    authenticate(r);
    const failure = failures.find((f) => !f.paths || f.paths.test(r.path));
    if (failure) {
      failure.times -= 1;
      if (failure.times <= 0) failures = failures.filter((f) => f !== failure);
      const type = failure.status === 429 ? 'es_rejected_execution_exception' : failure.status === 503 ? 'unavailable_shards_exception' : 'exception';
      const reason = failure.status === 429 ? 'rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1024, max_coordinating_and_primary_bytes=0]' : `fake failure ${failure.status}`;
      throw new EsError(failure.status, type, reason, {}, failure.retryAfter ? { 'retry-after': failure.retryAfter } : {});
    }

    if (segs.length === 0 && (m === 'GET' || m === 'HEAD')) {
      if (faults.denyInfo) throw new EsError(403, 'security_exception', 'action [cluster:monitor/main] is unauthorized for API key id [writer] of user [kubeherald], this action is granted by the cluster privileges [monitor,manage,all]');
      return reply(200, {
        name: 'fake-es-0',
        cluster_name: 'kubeherald-test',
        cluster_uuid: clusterUuid,
        version: { ...VERSION[major], ...(opts.versionNumber ? { number: opts.versionNumber } : {}), build_flavor: 'default', build_type: 'docker', build_hash: 'fake', build_date: '2025-01-01T00:00:00.000Z', build_snapshot: false },
        tagline: 'You Know, for Search',
      });
    }
    if (segs[0] === '_index_template' && segs.length === 2) {
      checkParams(r, MGMT_PARAMS);
      if (m === 'PUT' || m === 'POST') {
        denyManagement('indices:admin/index_template/put');
        putTemplate(segs[1], jsonBody(r), r.query.create === 'true');
        return reply(200, { acknowledged: true });
      }
      if (m === 'GET') {
        const t = templates.get(segs[1]);
        if (!t) throw new EsError(404, 'resource_not_found_exception', `index template matching [${segs[1]}] not found`);
        return reply(200, { index_templates: [{ name: segs[1], index_template: t }] });
      }
    }
    if (segs[0] === '_ilm' && segs[1] === 'policy' && segs.length === 3) {
      checkParams(r, MGMT_PARAMS);
      if (m === 'PUT') {
        denyManagement('cluster:admin/ilm/put');
        putPolicy(segs[2], jsonBody(r));
        return reply(200, { acknowledged: true });
      }
      if (m === 'GET') {
        const p = ilmPolicies.get(segs[2]);
        if (!p) throw new EsError(404, 'resource_not_found_exception', `Lifecycle policy not found: ${segs[2]}`);
        return reply(200, { [segs[2]]: { version: 1, modified_date: new Date(now()).toISOString(), policy: p } });
      }
    }
    if (segs[0] === '_data_stream' && segs.length === 2) {
      checkParams(r, MGMT_PARAMS);
      if (m === 'PUT') {
        denyManagement('indices:admin/data_stream/create');
        if (dataStreams.has(segs[1])) throw new EsError(400, 'resource_already_exists_exception', `data_stream [${segs[1]}] already exists`);
        const t = matchingTemplate(segs[1]);
        if (!t || !t.template.data_stream) throw new EsError(400, 'illegal_argument_exception', `no matching index template found for data stream [${segs[1]}]`);
        createDataStream(segs[1], t.name, t.template);
        return reply(200, { acknowledged: true });
      }
      if (m === 'GET') {
        const ds = dataStreams.get(segs[1]);
        if (!ds) throw new EsError(404, 'index_not_found_exception', `no such index [${segs[1]}]`, { index: segs[1] });
        return reply(200, {
          data_streams: [
            {
              name: ds.name,
              timestamp_field: { name: '@timestamp' },
              indices: ds.indices.map((i) => ({ index_name: i, index_uuid: i })),
              generation: ds.generation,
              status: 'GREEN',
              template: ds.template,
              hidden: false,
              system: false,
              ...(indices.get(ds.indices[0])?.settings['index.lifecycle.name'] ? { ilm_policy: indices.get(ds.indices[0])!.settings['index.lifecycle.name'] } : {}),
            },
          ],
        });
      }
    }
    if (segs[segs.length - 1] === '_bulk' && segs.length <= 2 && (m === 'POST' || m === 'PUT')) {
      checkParams(r, BULK_PARAMS);
      return reply(200, bulk(r, segs.length === 2 ? segs[0] : undefined));
    }
    throw new EsError(400, 'illegal_argument_exception', `no handler found for uri [${r.path}] and method [${m}]`);
  }

  // ------------------------------------------------------------ templates and policies

  function putTemplate(name: string, body: Json, createOnly: boolean): void {
    for (const k of Object.keys(body)) if (!TEMPLATE_KEYS.has(k)) throw new EsError(400, 'x_content_parse_exception', `[1:2] [index_template] unknown field [${k}]`);
    const patterns = typeof body.index_patterns === 'string' ? [body.index_patterns] : body.index_patterns;
    if (!Array.isArray(patterns) || patterns.length === 0 || patterns.some((p) => typeof p !== 'string' || p === '')) {
      throw new EsError(400, 'action_request_validation_exception', 'Validation Failed: 1: index patterns are missing;');
    }
    if (createOnly && templates.has(name)) throw new EsError(400, 'illegal_argument_exception', `index template [${name}] already exists`);
    const priority = body.priority ?? 0;
    if (!Number.isInteger(priority) || priority < 0) throw new EsError(400, 'x_content_parse_exception', '[1:2] [index_template] failed to parse field [priority]');
    const inner = body.template ?? {};
    for (const k of Object.keys(inner)) if (!TEMPLATE_INNER_KEYS.has(k)) throw new EsError(400, 'x_content_parse_exception', `[1:2] [template] unknown field [${k}]`);
    if (inner.mappings) validateMapping(inner.mappings, '');
    if (body.data_stream) {
      const ts = inner.mappings?.properties?.['@timestamp'];
      if (ts && ts.type !== 'date' && ts.type !== 'date_nanos') {
        throw new EsError(400, 'illegal_argument_exception', `data stream timestamp field [@timestamp] is of type [${ts.type}], but [date,date_nanos] is expected`);
      }
    }
    for (const [other, t] of templates) {
      if (other === name || (t.priority ?? 0) !== priority) continue;
      const overlap = (t.index_patterns as string[]).some((a) => patterns.some((b: string) => globsOverlap(a, b)));
      if (overlap) {
        throw new EsError(
          400,
          'illegal_argument_exception',
          `index template [${name}] has index patterns [${patterns.join(', ')}] matching patterns from existing templates [${other}] with patterns (${other} => [${t.index_patterns.join(', ')}]) that have the same priority [${priority}], multiple index templates may not match during index creation, please use a different priority`,
        );
      }
    }
    templates.set(name, structuredClone({ ...body, index_patterns: patterns }));
  }

  function validateMapping(mapping: Json, path: string): void {
    if (mapping.dynamic !== undefined && ![true, false, 'true', 'false', 'strict', 'runtime'].includes(mapping.dynamic)) {
      throw new EsError(400, 'mapper_parsing_exception', `Failed to parse mapping: [dynamic] has unsupported value [${mapping.dynamic}]`);
    }
    for (const [field, m] of Object.entries((mapping.properties ?? {}) as Record<string, Json>)) {
      const full = path ? `${path}.${field}` : field;
      const type = m.type ?? 'object';
      if (!KNOWN_TYPES.has(type)) throw new EsError(400, 'mapper_parsing_exception', `Failed to parse mapping: No handler for type [${type}] declared on field [${field}]`);
      if (m.properties && type !== 'object' && type !== 'nested') throw new EsError(400, 'mapper_parsing_exception', `Failed to parse mapping: unknown parameter [properties] on mapper [${full}] of type [${type}]`);
      if (type === 'object' || type === 'nested') validateMapping(m, full);
      for (const sub of Object.values((m.fields ?? {}) as Record<string, Json>)) {
        if (!KNOWN_TYPES.has(sub.type)) throw new EsError(400, 'mapper_parsing_exception', `Failed to parse mapping: No handler for type [${sub.type}] declared on field [${full}]`);
      }
    }
  }

  function putPolicy(name: string, body: Json): void {
    for (const k of Object.keys(body)) if (k !== 'policy') throw new EsError(400, 'x_content_parse_exception', `[1:2] [put_lifecycle_request] unknown field [${k}]`);
    const policy = body.policy;
    if (!policy || typeof policy !== 'object') throw new EsError(400, 'x_content_parse_exception', '[1:2] [put_lifecycle_request] policy is required');
    for (const k of Object.keys(policy)) if (k !== 'phases' && k !== '_meta') throw new EsError(400, 'x_content_parse_exception', `[1:2] [lifecycle_policy] unknown field [${k}]`);
    for (const [phase, def] of Object.entries((policy.phases ?? {}) as Record<string, Json>)) {
      const actions = ILM_PHASES[phase];
      if (!actions) throw new EsError(400, 'illegal_argument_exception', `Timeseries lifecycle does not support phase [${phase}]`);
      if (def.min_age !== undefined && !TIME.test(def.min_age)) throw new EsError(400, 'illegal_argument_exception', `failed to parse setting [min_age] with value [${def.min_age}] as a time value`);
      for (const [action, conf] of Object.entries((def.actions ?? {}) as Record<string, Json>)) {
        if (!actions.has(action)) throw new EsError(400, 'illegal_argument_exception', `invalid action [${action}] defined in phase [${phase}]`);
        if (action === 'rollover') {
          const conditions = Object.keys(conf).filter((c) => c.startsWith('max_') || c.startsWith('min_'));
          if (!conditions.some((c) => c.startsWith('max_'))) throw new EsError(400, 'x_content_parse_exception', '[rollover] At least one max_* rollover condition must be set.');
          if (conf.max_age !== undefined && !TIME.test(conf.max_age)) throw new EsError(400, 'illegal_argument_exception', `failed to parse setting [max_age] with value [${conf.max_age}] as a time value`);
        }
      }
    }
    ilmPolicies.set(name, structuredClone(policy));
  }

  function matchingTemplate(target: string): { name: string; template: Json } | undefined {
    let best: { name: string; template: Json } | undefined;
    for (const [name, t] of templates) {
      if (!(t.index_patterns as string[]).some((p) => globMatch(p, target))) continue;
      if (!best || (t.priority ?? 0) > (best.template.priority ?? 0)) best = { name, template: t };
    }
    return best;
  }

  function createDataStream(name: string, templateName: string, t: Json): DataStreamState {
    const day = new Date(now()).toISOString().slice(0, 10).replaceAll('-', '.');
    const backing = `.ds-${name}-${day}-000001`;
    const mappings = structuredClone(t.template?.mappings ?? {});
    mappings.properties = { '@timestamp': { type: 'date' }, ...(mappings.properties ?? {}) };
    indices.set(backing, { name: backing, dataStream: name, mappings, settings: flatSettings(t.template?.settings ?? {}), docs: new Map(), seqNo: 0 });
    const ds = { name, template: templateName, indices: [backing], generation: 1 };
    dataStreams.set(name, ds);
    return ds;
  }

  // ------------------------------------------------------------ bulk

  function bulk(r: RecordedRequest, pathIndex: string | undefined): Json {
    if (!r.body) throw new EsError(400, 'action_request_validation_exception', 'Validation Failed: 1: no requests added;');
    if (!r.body.endsWith('\n')) throw new EsError(400, 'illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]');
    const lines = r.body.slice(0, -1).split('\n');
    const requireDataStream = r.query.require_data_stream === 'true';
    const started = now();
    const items: Json[] = [];
    for (let i = 0; i < lines.length; ) {
      let action: Json;
      try {
        action = JSON.parse(lines[i]) as Json;
      } catch {
        throw new EsError(400, 'x_content_parse_exception', `[1:1] Malformed action/metadata line [${i + 1}], expected START_OBJECT`);
      }
      const op = Object.keys(action)[0];
      if (Object.keys(action).length !== 1 || !['index', 'create', 'update', 'delete'].includes(op)) {
        throw new EsError(400, 'illegal_argument_exception', `Malformed action/metadata line [${i + 1}], expected one of [create, delete, index, update] but found [${op}]`);
      }
      const meta = (action[op] ?? {}) as Json;
      for (const k of Object.keys(meta)) {
        if (!['_index', '_id', 'routing', 'pipeline', 'require_alias', 'require_data_stream', 'dynamic_templates', 'if_seq_no', 'if_primary_term', 'version', 'version_type'].includes(k)) {
          throw new EsError(400, 'illegal_argument_exception', `Action/metadata line [${i + 1}] contains an unknown parameter [${k}]`);
        }
      }
      const hasSource = op !== 'delete';
      const source = hasSource ? lines[i + 1] : undefined;
      if (hasSource && source === undefined) throw new EsError(400, 'illegal_argument_exception', `The bulk request must be terminated by a newline [\\n]`);
      i += hasSource ? 2 : 1;
      items.push({ [op]: writeItem(op, meta, source, pathIndex, requireDataStream || meta.require_data_stream === true) });
    }
    return { errors: items.some((it) => Object.values(it)[0].status >= 300), took: Math.max(0, now() - started), items };
  }

  function writeItem(op: string, meta: Json, source: string | undefined, pathIndex: string | undefined, requireDataStream: boolean): Json {
    const target: string | undefined = meta._index ?? pathIndex;
    const id: string = meta._id ?? randomBytes(15).toString('base64url');
    const fail = (status: number, type: string, reason: string, extra: Json = {}): Json => ({ _index: target, _id: id, status, error: { type, reason, ...extra } });
    if (!target) return fail(400, 'action_request_validation_exception', 'Validation Failed: 1: index is missing;');
    if (Buffer.byteLength(id) > 512) return fail(400, 'action_request_validation_exception', `Validation Failed: 1: id [${id}] is too long, must be no longer than 512 bytes but was: ${Buffer.byteLength(id)};`);
    if (op === 'update' || op === 'delete') return fail(400, 'illegal_argument_exception', `the fake does not implement ${op}`);

    let ds = dataStreams.get(target);
    let index = ds ? indices.get(ds.indices[ds.indices.length - 1]) : indices.get(target);
    if (!index) {
      const t = matchingTemplate(target);
      if (t?.template.data_stream) {
        ds = createDataStream(target, t.name, t.template);
        index = indices.get(ds.indices[0]);
      } else if (!requireDataStream) {
        index = { name: target, mappings: structuredClone(t?.template.template?.mappings ?? {}), settings: flatSettings(t?.template.template?.settings ?? {}), docs: new Map(), seqNo: 0 };
        indices.set(target, index);
      }
    }
    if (requireDataStream && !ds) return fail(404, 'resource_not_found_exception', `[require_data_stream] request flag is [true] and [${target}] is not a data stream`);
    const name = index!.name;
    const failIn = (status: number, type: string, reason: string, extra: Json = {}): Json => ({ _index: name, _id: id, status, error: { type, reason, index_uuid: name, shard: '0', index: name, ...extra } });

    if (ds && op !== 'create') return fail(400, 'illegal_argument_exception', 'only write ops with an op_type of create are allowed in data streams');
    if (rejectItems > 0) {
      rejectItems -= 1;
      return fail(429, 'es_rejected_execution_exception', `rejected execution of primary operation [shard_detail=[${name}][0][P], shard_primary_bytes=0] [primary_operation_bytes=1024, max_coordinating_and_primary_bytes=0]`);
    }
    let doc: Json;
    try {
      doc = JSON.parse(source!) as Json;
      if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error();
    } catch {
      return failIn(400, 'document_parsing_exception', '[1:1] failed to parse: the source is not a JSON object');
    }
    if (op === 'create' && index!.docs.has(id)) {
      return failIn(409, 'version_conflict_engine_exception', `[${id}]: version conflict, document already exists (current version [1])`);
    }
    if (ds && (doc['@timestamp'] === undefined || doc['@timestamp'] === null)) {
      return failIn(400, 'document_parsing_exception', '[1:2] failed to parse: data stream timestamp field [@timestamp] is missing', {
        caused_by: { type: 'illegal_argument_exception', reason: 'data stream timestamp field [@timestamp] is missing' },
      });
    }
    const mappings = structuredClone(index!.mappings);
    const problem = mapDocument(mappings, doc, id);
    if (problem) return failIn(400, problem.type, problem.reason);
    index!.mappings = mappings;
    const existed = index!.docs.has(id);
    index!.docs.delete(id);
    index!.docs.set(id, doc);
    const seq = index!.seqNo++;
    return { _index: name, _id: id, _version: 1, result: existed ? 'updated' : 'created', _shards: { total: 2, successful: 1, failed: 0 }, _seq_no: seq, _primary_term: 1, status: existed ? 200 : 201 };
  }

  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    templates,
    ilmPolicies,
    dataStreams,
    indices,
    faults,
    documents(target) {
      const ds = dataStreams.get(target);
      const names = ds ? ds.indices : [target];
      return names.flatMap((n) => [...(indices.get(n)?.docs ?? new Map<string, Record<string, unknown>>())].map(([_id, _source]) => ({ _id, _index: n, _source })));
    },
    bulkRequests() {
      return requests.filter((r) => r.path.endsWith('/_bulk'));
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

// ------------------------------------------------------------ the mapper

interface Problem {
  type: string;
  reason: string;
}

/**
 * Indexes a document against a mapping as Elasticsearch's mapper would, for
 * what matters here: dotted keys expand into objects (outside flattened and
 * disabled objects), values must fit their field's type, an object cannot
 * replace a value or a value an object, `dynamic` decides what happens to
 * unmapped fields (strict: refused, false: ignored, true: mapped now, which
 * the mapping passed in records).
 */
function mapDocument(mappings: Json, doc: Json, id: string): Problem | undefined {
  const rootDynamic = mappings.dynamic ?? true;
  mappings.properties ??= {};
  return mapObject(mappings, doc, '', rootDynamic, id);
}

function mapObject(parent: Json, obj: Json, path: string, dynamic: unknown, id: string): Problem | undefined {
  for (const [key, value] of Object.entries(obj)) {
    const parts = key.split('.');
    let cur = parent;
    let curPath = path;
    let curDynamic = dynamic;
    let skip = false;
    for (const part of parts.slice(0, -1)) {
      const full = curPath ? `${curPath}.${part}` : part;
      let child = cur.properties?.[part] as Json | undefined;
      if (!child) {
        if (isStrict(curDynamic)) return strictProblem(part, curPath);
        if (isOff(curDynamic)) {
          skip = true;
          break;
        }
        cur.properties ??= {};
        child = cur.properties[part] = { properties: {} };
      }
      const type = child.type ?? 'object';
      if (type === 'flattened' || child.enabled === false) {
        skip = true;
        break;
      }
      if (type !== 'object' && type !== 'nested') {
        return {
          type: 'document_parsing_exception',
          reason: `[1:2] Could not dynamically add mapping for field [${path ? `${path}.${key}` : key}]. Existing mapping for [${full}] must be of type object but found [${type}].`,
        };
      }
      cur = child;
      curPath = full;
      curDynamic = child.dynamic ?? curDynamic;
    }
    if (skip) continue;
    const problem = mapValue(cur, parts[parts.length - 1], value, curPath, curDynamic, id);
    if (problem) return problem;
  }
  return undefined;
}

function mapValue(parent: Json, key: string, value: unknown, parentPath: string, dynamic: unknown, id: string): Problem | undefined {
  const path = parentPath ? `${parentPath}.${key}` : key;
  if (Array.isArray(value)) {
    for (const v of value) {
      const p = mapValue(parent, key, v, parentPath, dynamic, id);
      if (p) return p;
    }
    return undefined;
  }
  if (value === null) return undefined;
  let m = parent.properties?.[key] as Json | undefined;
  if (!m) {
    if (isStrict(dynamic)) return strictProblem(key, parentPath);
    if (isOff(dynamic)) return undefined;
    parent.properties ??= {};
    m = parent.properties[key] = dynamicMapping(value);
  }
  const type = m.type ?? 'object';
  const isObject = typeof value === 'object';
  const preview = JSON.stringify(value).slice(0, 40);
  const badValue = (): Problem => ({
    type: 'document_parsing_exception',
    reason: `[1:2] failed to parse field [${path}] of type [${type}] in document with id '${id}'. Preview of field's value: '${isObject ? preview : String(value)}'`,
  });
  if (type === 'object' || type === 'nested') {
    if (m.enabled === false) return undefined;
    if (!isObject) return { type: 'document_parsing_exception', reason: `[1:2] object mapping for [${path}] tried to parse field [${key}] as object, but found a concrete value` };
    return mapObject(m, value as Json, path, m.dynamic ?? dynamic, id);
  }
  if (type === 'flattened') return isObject ? undefined : badValue();
  if (isObject) return badValue();
  if (STRINGY.has(type)) return undefined;
  if (type === 'date' || type === 'date_nanos') {
    const ok = (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && (/^\d+$/.test(value) || (/^\d{4}-\d{2}-\d{2}/.test(value) && Number.isFinite(Date.parse(value)))));
    return ok ? undefined : badValue();
  }
  if (NUMERIC.has(type)) {
    const ok = typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)));
    return ok ? undefined : badValue();
  }
  if (type === 'boolean') return value === true || value === false || value === 'true' || value === 'false' || value === '' ? undefined : badValue();
  return undefined;
}

function dynamicMapping(value: unknown): Json {
  if (typeof value === 'object') return { properties: {} };
  if (typeof value === 'boolean') return { type: 'boolean' };
  if (typeof value === 'number') return { type: Number.isInteger(value) ? 'long' : 'float' };
  return { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } };
}

const isStrict = (d: unknown): boolean => d === 'strict';
const isOff = (d: unknown): boolean => d === false || d === 'false';

function strictProblem(key: string, parentPath: string): Problem {
  return { type: 'strict_dynamic_mapping_exception', reason: `[1:2] mapping set to strict, dynamic introduction of [${key}] within [${parentPath || '_doc'}] is not allowed` };
}

// ------------------------------------------------------------ small helpers

function header(r: RecordedRequest, name: string): string | undefined {
  const v = r.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(name);
}

/** Close enough for the priority check: equal, or either matches the other read as a name. */
function globsOverlap(a: string, b: string): boolean {
  return a === b || globMatch(a, b.replaceAll('*', 'x')) || globMatch(b, a.replaceAll('*', 'x'));
}

/** `{ index: { lifecycle: { name } } }` and `{ 'index.lifecycle.name' }` alike, as Elasticsearch normalises them. */
function flatSettings(settings: Json, prefix = ''): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(settings)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatSettings(v as Json, key));
    else out[key.startsWith('index.') ? key : `index.${key}`] = v;
  }
  return out;
}
