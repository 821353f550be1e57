// The simulator's audit webhook backend: every finished API request becomes
// an audit.k8s.io/v1 Event (at the level a typical policy asks for) and is
// posted to a webhook in small EventList batches, the way kube-apiserver's
// webhook backend does in batch mode (--audit-webhook-mode=batch): a batch
// goes when it is full or has waited long enough, failed posts are retried
// with back-off, and what still fails is dropped and counted.

import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AccessLogEntry } from './apiserver.ts';
import type { UserInfo } from './types.ts';

export type AuditLevel = 'None' | 'Metadata' | 'Request' | 'RequestResponse';

export interface SimAuditOptions {
  /** the webhook's URL, as the webhook kubeconfig's `server` (e.g. https://127.0.0.1:8443/audit) */
  url: string;
  /** PEM of the CA that signed the webhook's certificate */
  caCert?: string;
  /** sent as `Authorization: Bearer …` (the webhook kubeconfig's user token) */
  token?: string;
  /** a client certificate (the webhook kubeconfig's client-certificate/-key) */
  clientCert?: { cert: string; key: string };
  /** events per batch at most (kube-apiserver: --audit-webhook-batch-max-size, 400) */
  batchMaxSize?: number;
  /** how long the first event of a batch waits for company (kube-apiserver: --audit-webhook-batch-max-wait, 30s) */
  batchMaxWaitMs?: number;
  /** level for reads (get, list, watch): None (default) or Metadata, as policies commonly choose */
  reads?: 'None' | 'Metadata';
  /** attempts per batch before it is dropped (default 4) */
  attempts?: number;
  retryBackoffMs?: number;
}

export interface AuditEventJson {
  level: AuditLevel;
  auditID: string;
  stage: 'ResponseComplete';
  requestURI: string;
  verb: string;
  user: UserInfo;
  impersonatedUser?: UserInfo;
  sourceIPs?: string[];
  userAgent?: string;
  objectRef?: Record<string, string>;
  responseStatus: { metadata: Record<string, never>; code: number; status?: string };
  requestObject?: unknown;
  responseObject?: unknown;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations: Record<string, string>;
}

const WRITES = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
// bodies that must never leave the API server, whatever the level (as the documented policies do)
const METADATA_ONLY = new Set(['secrets', 'tokenreviews', 'serviceaccounts/token']);

/** The level the simulator's built-in policy gives a request. */
export function auditLevel(e: AccessLogEntry, reads: 'None' | 'Metadata'): AuditLevel {
  if (!e.info.isResourceRequest) return 'None';
  const resource = e.info.subresource ? `${e.info.resource}/${e.info.subresource}` : e.info.resource;
  if (!WRITES.has(e.info.verb)) return reads;
  if (METADATA_ONLY.has(e.info.resource) || METADATA_ONLY.has(resource)) return 'Metadata';
  return 'RequestResponse';
}

/** RFC 3339 with microseconds, as metav1.MicroTime is written. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function userJson(u: UserInfo): UserInfo {
  const out: UserInfo = { username: u.username, groups: [...u.groups] };
  if (u.uid) out.uid = u.uid;
  if (u.extra && Object.keys(u.extra).length) out.extra = u.extra;
  return out;
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // YAML bodies: the request level keeps what it can
  }
}

/** The audit Event for a finished request, or undefined when the policy says None. */
export function auditEvent(e: AccessLogEntry, reads: 'None' | 'Metadata' = 'None'): AuditEventJson | undefined {
  const level = auditLevel(e, reads);
  if (level === 'None') return undefined;
  const i = e.info;
  const objectRef: Record<string, string> = { resource: i.resource };
  if (i.namespace) objectRef.namespace = i.namespace;
  const response = e.responseBody as { kind?: string; metadata?: { name?: string; uid?: string } } | undefined;
  const name = i.name ?? (i.verb === 'create' && response?.kind !== 'Status' ? response?.metadata?.name : undefined);
  if (name) objectRef.name = name;
  if (i.group) objectRef.apiGroup = i.group;
  objectRef.apiVersion = i.version;
  if (i.subresource) objectRef.subresource = i.subresource;
  const ev: AuditEventJson = {
    level,
    auditID: randomUUID(),
    stage: 'ResponseComplete',
    requestURI: e.requestURI,
    verb: i.verb,
    user: e.requester ? userJson(e.requester) : { username: 'system:anonymous', groups: ['system:unauthenticated'] },
    objectRef,
    responseStatus: { metadata: {}, code: e.status, ...(e.status >= 400 ? { status: 'Failure' } : {}) },
    requestReceivedTimestamp: microTime(e.received),
    stageTimestamp: microTime(e.finished),
    annotations: {
      'authorization.k8s.io/decision': e.status === 403 ? 'forbid' : 'allow',
      'authorization.k8s.io/reason': '',
    },
  };
  if (e.impersonated) ev.impersonatedUser = userJson(e.impersonated);
  if (e.sourceIP) ev.sourceIPs = [e.sourceIP.replace(/^::ffff:/, '')];
  if (e.userAgent) ev.userAgent = e.userAgent;
  if (level === 'RequestResponse') {
    const req = parseJson(e.requestBody);
    if (req !== undefined) ev.requestObject = req;
    if (e.status < 400 && e.responseBody !== undefined) ev.responseObject = e.responseBody;
  }
  return ev;
}

export interface SimAuditStats {
  events: number;
  batches: number;
  /** failed posts (each retry counts) */
  failures: number;
  /** events given up on after every attempt failed */
  dropped: number;
}

export class AuditWebhook {
  #o: SimAuditOptions;
  #queue: AuditEventJson[] = [];
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> = Promise.resolve();
  #closed = false;
  readonly stats: SimAuditStats = { events: 0, batches: 0, failures: 0, dropped: 0 };

  constructor(opts: SimAuditOptions) {
    this.#o = opts;
  }

  /** Called for every finished request (the API server's onRequest hook). */
  record(entry: AccessLogEntry): void {
    if (this.#closed) return;
    const ev = auditEvent(entry, this.#o.reads ?? 'None');
    if (!ev) return;
    this.stats.events++;
    this.#queue.push(ev);
    if (this.#queue.length >= (this.#o.batchMaxSize ?? 20)) this.#cut();
    else this.#timer ??= setTimeout(() => this.#cut(), this.#o.batchMaxWaitMs ?? 50);
  }

  /** Sends whatever is waiting and resolves once every batch so far has been posted (or dropped). */
  async flush(): Promise<void> {
    this.#cut();
    await this.#sending;
  }

  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
  }

  /** Closes the current batch and queues its post behind the ones before (order is kept). */
  #cut(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const max = this.#o.batchMaxSize ?? 20;
    while (this.#queue.length) {
      const batch = this.#queue.splice(0, max);
      this.#sending = this.#sending.then(() => this.#deliver(batch));
    }
  }

  async #deliver(items: AuditEventJson[]): Promise<void> {
    const body = JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items });
    const attempts = this.#o.attempts ?? 4;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const status = await this.#post(body).catch(() => 0);
      if (status >= 200 && status < 300) {
        this.stats.batches++;
        return;
      }
      this.stats.failures++;
      // a 400 will be a 400 again; anything else may pass on a later try
      if (status === 400 || attempt === attempts) break;
      await new Promise((r) => setTimeout(r, (this.#o.retryBackoffMs ?? 100) * 2 ** (attempt - 1)));
    }
    this.stats.dropped += items.length;
  }

  #post(body: string): Promise<number> {
    const url = new URL(this.#o.url);
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(body),
            'User-Agent': 'kubeherald-sim/audit-webhook',
            ...(this.#o.token ? { Authorization: `Bearer ${this.#o.token}` } : {}),
          },
          ...(this.#o.caCert ? { ca: this.#o.caCert } : {}),
          ...(this.#o.clientCert ? { cert: this.#o.clientCert.cert, key: this.#o.clientCert.key } : {}),
          timeout: 10_000,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('audit webhook timed out')));
      req.on('error', reject);
      req.end(body);
    });
  }
}
