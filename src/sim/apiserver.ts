// The HTTP face of the simulator: authentication, impersonation, RBAC,
// faults, discovery and OpenAPI, then the resource handlers. Everything a
// client sees goes through here, exactly as it would through kube-apiserver.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { SimClock } from './clock.ts';
import { aggregatedDiscovery, AGGREGATED_CONTENT_TYPE, apiGroupList, apiResourceList, apiVersions, SERVER_VERSION, wantsAggregated } from './discovery.ts';
import { ApiError, methodNotAllowed, unauthorized } from './errors.ts';
import type { ClusterOps } from './cluster-ops.ts';
import type { Faults } from './faults.ts';
import { Handlers, type Reply } from './handlers.ts';
import type { LogStore } from './logs.ts';
import { openapiDocument, openapiIndex } from './openapi.ts';
import { servePodLog } from './podlog.ts';
import { decodeK8sProtobuf, PROTOBUF_CONTENT_TYPE } from './protobuf.ts';
import { authenticate, type Authorizer, forbiddenError, impersonate, reviewAccess, selfSubjectReview } from './rbac.ts';
import type { ResourceRegistry } from './registry.ts';
import { parseRequest, type RequestInfo } from './request.ts';
import type { ObjectStore } from './store.ts';
import { toTable } from './table.ts';
import type { KObject, ResourceType, UserInfo } from './types.ts';
import { serveWatch, TABLE_CONTENT_TYPE } from './watch.ts';
import { listen } from '../model/listen.ts';

export interface ApiServerDeps {
  store: ObjectStore;
  registry: ResourceRegistry;
  clock: SimClock;
  logs: LogStore;
  faults: Faults;
  authz: Authorizer;
  /** bearer token → user; a request without a token is system:anonymous */
  tokens: Map<string, UserInfo>;
  bookmarkIntervalMs?: number;
  /** called once per completed request (for the access log) */
  onRequest?: (entry: AccessLogEntry) => void;
  /** evictions, service account tokens, token reviews and quota/limit admission */
  ops?: ClusterOps;
}

export interface AccessLogEntry {
  method: string;
  path: string;
  user: string;
  verb: string;
  status: number;
  /** what an audit event needs (src/sim/audit.ts) */
  requestURI: string;
  info: RequestInfo;
  /** cluster clock */
  received: Date;
  finished: Date;
  userAgent?: string;
  sourceIP?: string;
  /** the authenticated user, and who it acted as (impersonation headers) */
  requester?: UserInfo;
  impersonated?: UserInfo;
  /** the request body as JSON text (protobuf decoded), and the object replied */
  requestBody?: string;
  responseBody?: unknown;
}

const MAX_BODY = 3 * 1024 * 1024; // the real server's default request size limit

export class ApiServer {
  #d: ApiServerDeps;
  #handlers: Handlers;
  #server: Server | undefined;

  constructor(deps: ApiServerDeps) {
    this.#d = deps;
    this.#handlers = new Handlers({ store: deps.store, registry: deps.registry, clock: deps.clock, admit: deps.ops?.admit });
  }

  async listen(port: number, host: string, tls: { cert: string; key: string }): Promise<string> {
    const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      this.#handle(req, res).catch((err) => this.#fail(res, err));
    });
    server.keepAliveTimeout = 65_000;
    this.#server = server;
    const addr = await listen(server, port, host);
    const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return `https://${h}:${addr.port}`;
  }

  async close(): Promise<void> {
    const s = this.#server;
    if (!s) return;
    this.#d.faults.dropWatches();
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const info = parseRequest(method, req.url ?? '/');
    info.userAgent = req.headers['user-agent'];
    let username = 'system:anonymous';
    const received = this.#d.clock.now();
    const audit: Pick<AccessLogEntry, 'requester' | 'impersonated' | 'requestBody' | 'responseBody'> = {};
    res.on('finish', () =>
      this.#d.onRequest?.({
        method, path: info.path, user: username, verb: info.verb, status: res.statusCode,
        requestURI: req.url ?? '/', info, received, finished: this.#d.clock.now(),
        userAgent: req.headers['user-agent'], sourceIP: req.socket.remoteAddress, ...audit,
      }),
    );
    const body = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : await readBody(req);
    let ct = req.headers['content-type'];
    let raw: string;
    if (body.length && ct?.split(';')[0].trim() === PROTOBUF_CONTENT_TYPE) {
      // kubectl's typed clients send protobuf; everything past here speaks JSON
      raw = JSON.stringify(decodeK8sProtobuf(body));
      ct = 'application/json';
    } else {
      raw = body.toString('utf8');
    }

    if (raw) audit.requestBody = raw;
    const requester = this.#authenticate(req);
    audit.requester = requester;
    const user = impersonate(this.#d.authz, requester, req.headersDistinct);
    if (user !== requester) audit.impersonated = user;
    username = user.username;

    if (!info.isResourceRequest) {
      const allowed = this.#d.authz.authorize(user, { verb: method.toLowerCase(), path: info.path });
      if (!allowed.allowed) {
        throw new ApiError(403, 'Forbidden', `forbidden: User "${user.username}" cannot ${method.toLowerCase()} path "${info.path}"`, {});
      }
      return this.#nonResource(req, res, info);
    }

    const rt = this.#d.registry.lookup(info.group, info.version, info.resource);
    const attrs = {
      verb: info.verb,
      group: info.group,
      version: info.version,
      resource: info.resource,
      subresource: info.subresource,
      // kube-apiserver authorizes a request for one namespace as being in that
      // namespace, so a RoleBinding there may grant `get namespaces`
      namespace: info.resource === 'namespaces' && info.group === '' && info.name ? info.name : info.namespace,
      name: info.name,
    };
    const decision = this.#d.authz.authorize(user, attrs);
    if (!decision.allowed) throw forbiddenError(user, attrs);

    if (this.#d.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, this.#d.faults.latencyMs));
    const fault = this.#d.faults.takeStatusFault(info.verb);
    if (fault) return this.#statusFault(res, fault.code, fault.retryAfterSeconds);

    if (!rt) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
    this.#checkVerb(rt, info);

    if (rt.group === 'authorization.k8s.io' && info.verb === 'create') {
      const body = JSON.parse(raw || '{}') as KObject;
      const reviewed = reviewAccess(this.#d.authz, rt.kind as 'SubjectAccessReview', body, user, info.namespace);
      return this.#send(req, res, rt, info, { status: 201, body: reviewed });
    }
    if (rt.group === 'authentication.k8s.io' && rt.resource === 'selfsubjectreviews' && info.verb === 'create') {
      return this.#send(req, res, rt, info, { status: 201, body: selfSubjectReview(user, this.#d.clock.nowIso()) });
    }
    const served = this.#d.ops?.serve(rt, info, raw, this.#handlers, (token) => authenticate(this.#d.tokens, token));
    if (served) return this.#send(req, res, rt, info, served);
    if (info.subresource === 'log' && rt.storage === 'pods' && info.verb === 'get') {
      return servePodLog(this.#d.store, this.#d.logs, info, req, res, () => this.#d.clock.nowMs());
    }
    if (info.verb === 'watch') {
      return serveWatch(
        { store: this.#d.store, faults: this.#d.faults, now: () => this.#d.clock.now(), bookmarkIntervalMs: this.#d.bookmarkIntervalMs ?? 5000 },
        rt,
        info,
        req,
        res,
        tableRequest(req.headers.accept),
      );
    }
    const h = this.#handlers;
    let reply: Reply;
    switch (info.verb) {
      case 'get':
        reply = h.get(rt, info);
        break;
      case 'list':
        reply = h.list(rt, info);
        break;
      case 'create':
        reply = h.create(rt, info, raw, ct);
        break;
      case 'update':
        reply = h.update(rt, info, raw, ct);
        break;
      case 'patch':
        reply = h.patch(rt, info, raw, ct);
        break;
      case 'delete':
        reply = h.delete(rt, info, raw);
        break;
      case 'deletecollection':
        reply = h.deleteCollection(rt, info, raw);
        break;
      default:
        throw methodNotAllowed();
    }
    audit.responseBody = reply.body;
    this.#send(req, res, rt, info, reply);
  }

  #authenticate(req: IncomingMessage): UserInfo {
    const auth = req.headers.authorization;
    const bearer = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
    // a service account token minted here authenticates as its service account
    const sa = bearer && !this.#d.tokens.has(bearer) ? this.#d.ops?.authenticate(bearer) : undefined;
    const user = sa ? authenticate(new Map([[bearer!, sa]]), bearer) : authenticate(this.#d.tokens, bearer);
    if (!user) throw unauthorized();
    return user;
  }

  #checkVerb(rt: ResourceType, info: RequestInfo): void {
    if (info.subresource) {
      if (!rt.subresources.includes(info.subresource)) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
      const allowed = info.subresource === 'log' ? ['get'] : info.subresource === 'eviction' || info.subresource === 'token' ? ['create'] : ['get', 'update', 'patch'];
      if (!allowed.includes(info.verb)) throw methodNotAllowed();
      return;
    }
    if (!rt.verbs.includes(info.verb)) throw methodNotAllowed();
    if (!rt.namespaced && info.namespace && info.resource !== 'namespaces') {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
    }
    if (rt.namespaced && !info.namespace && !['list', 'watch'].includes(info.verb)) {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
    }
  }

  #nonResource(req: IncomingMessage, res: ServerResponse, info: RequestInfo): void {
    const types = this.#d.registry.all();
    const path = info.path.replace(/\/+$/, '') || '/';
    const aggregated = wantsAggregated(req.headers.accept);
    if (path === '/version') return json(res, 200, SERVER_VERSION);
    if (path === '/healthz' || path === '/livez' || path === '/readyz') return text(res, 200, 'ok');
    if (path === '/api') {
      if (aggregated) return json(res, 200, aggregatedDiscovery(types, true, aggregated), AGGREGATED_CONTENT_TYPE.replace('v=v2', `v=${aggregated}`));
      return json(res, 200, apiVersions(req.headers.host ?? '127.0.0.1'));
    }
    if (path === '/apis') {
      if (aggregated) return json(res, 200, aggregatedDiscovery(types, false, aggregated), AGGREGATED_CONTENT_TYPE.replace('v=v2', `v=${aggregated}`));
      return json(res, 200, apiGroupList(types));
    }
    const legacy = /^\/api\/([^/]+)$/.exec(path);
    const grouped = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    const gv = legacy ? { group: '', version: legacy[1] } : grouped ? { group: grouped[1], version: grouped[2] } : undefined;
    if (gv) {
      const list = apiResourceList(types, gv.group, gv.version);
      if (list) return json(res, 200, list);
    }
    const group = /^\/apis\/([^/]+)$/.exec(path);
    if (group) {
      const list = apiGroupList(types) as { groups: { name: string }[] };
      const g = list.groups.find((x) => x.name === group[1]);
      if (g) return json(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...g });
    }
    if (path === '/openapi/v3') return json(res, 200, openapiIndex(types));
    if (path.startsWith('/openapi/v3/')) {
      const doc = openapiDocument(types, path.slice('/openapi/v3/'.length));
      if (doc) return json(res, 200, doc);
    }
    return text(res, 404, '404 page not found\n');
  }

  #send(req: IncomingMessage, res: ServerResponse, rt: ResourceType, info: RequestInfo, reply: Reply): void {
    const body = reply.body as Record<string, unknown>;
    const table = tableRequest(req.headers.accept);
    if (table.asTable && (info.verb === 'get' || info.verb === 'list') && body?.kind !== 'Status' && info.subresource === undefined) {
      const objects = info.verb === 'list' ? (body.items as KObject[]) : [body as KObject];
      const meta = (body.metadata ?? {}) as Record<string, string>;
      const t = toTable(rt, objects.map((o) => ({ ...o, apiVersion: o.apiVersion ?? body.apiVersion, kind: o.kind ?? rt.kind }) as KObject), {
        now: this.#d.clock.now(),
        resourceVersion: String(meta.resourceVersion ?? ''),
        continueToken: info.verb === 'list' ? meta.continue : undefined,
        includeObject: table.includeObject,
      });
      return json(res, reply.status, t, TABLE_CONTENT_TYPE, reply.headers);
    }
    json(res, reply.status, reply.body, 'application/json', reply.headers);
  }

  #statusFault(res: ServerResponse, code: number, retryAfter: number | undefined): void {
    const reasons: Record<number, string> = { 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout' };
    const err = new ApiError(code, reasons[code] ?? 'InternalError', code === 429 ? 'the server has received too many requests and has asked us to try again later' : 'the server is currently unable to handle the request', retryAfter ? { retryAfterSeconds: retryAfter } : {});
    json(res, code, err.toStatus(), 'application/json', retryAfter ? { 'Retry-After': String(retryAfter) } : undefined);
  }

  #fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof ApiError) {
      const headers: Record<string, string> = {};
      if (err.code === 401) headers['WWW-Authenticate'] = 'Bearer realm="kubernetes"';
      json(res, err.code, err.toStatus(), 'application/json', headers);
      return;
    }
    // never crash on input: anything unexpected is a 500 Status
    const e = new ApiError(500, 'InternalError', `Internal error occurred: ${(err as Error)?.message ?? String(err)}`, {});
    json(res, 500, e.toStatus());
  }
}

function tableRequest(accept: string | undefined): { asTable: boolean; includeObject?: 'None' | 'Metadata' | 'Object' } {
  if (!accept) return { asTable: false };
  const first = accept.split(',')[0];
  if (!/as=Table/.test(first) || !/g=meta\.k8s\.io/.test(first)) return { asTable: false };
  return { asTable: true };
}

function json(res: ServerResponse, status: number, body: unknown, contentType = 'application/json', headers?: Record<string, string>): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728', {}));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
