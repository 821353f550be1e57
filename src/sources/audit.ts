// The audit webhook source: an HTTPS endpoint (/audit) the API server's
// webhook backend posts audit.k8s.io/v1 EventList batches to. Completed
// writes become notifications that say who did it (kubectl --as included),
// and every write is remembered for a few seconds so a notification about
// the same object from the watches can be attributed (attributeUser).
// A malformed batch gets 400 with the reason and is counted; the endpoint
// keeps serving. See docs/audit.md for the API server flags and policy.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Actor, Notification } from '../model/notification.ts';
import type { Logger } from '../model/logger.ts';
import { ActorCorrelation, type CorrelationOptions, type ObjectRefLike } from './audit-correlation.ts';
import { discard, readBody } from './http-body.ts';
import {
  actorOf,
  type AuditEvent,
  auditNotification,
  type AuditFilter,
  DEFAULT_AUDIT_FILTER,
  globMatch,
  involvedOf,
  isNotifiableWrite,
  type MalformedReason,
  parseEventList,
} from './audit-event.ts';
import { listen } from '../model/listen.ts';

/** PEM files (mounted from a Secret), re-read by reloadTls(); or PEM text (tests). */
export type AuditTls = { certFile: string; keyFile: string; clientCAFile?: string } | { cert: string; key: string; clientCA?: string };

export interface AuditSourceOptions {
  /** default 127.0.0.1; the API server reaches it through a Service or the node's address, so a pod sets 0.0.0.0 */
  host?: string;
  /** default 8443; 0 picks a free one */
  port?: number;
  tls: AuditTls;
  /** the token the webhook kubeconfig's user sends (`token:`); compared in constant time */
  bearerToken?: string;
  /**
   * Require a client certificate signed by the TLS clientCA (the webhook
   * kubeconfig's client-certificate). allowedNames limits the subject CN.
   */
  clientCert?: { allowedNames?: string[] };
  cluster: string;
  onNotification: (n: Notification) => void;
  log: Logger;
  filter?: Partial<AuditFilter>;
  correlation?: CorrelationOptions;
  /** the webhook backend's batches are up to 400 events; RequestResponse events can be large (default 32 MiB) */
  maxBodyBytes?: number;
  /** batches read at once; more get 503 with Retry-After (default 4) */
  maxConcurrent?: number;
}

export type AuditRejectReason = MalformedReason | 'TooLarge';

/** Counters for metrics (kubeherald_audit_*). */
export interface AuditStats {
  batches: number;
  events: number;
  notifications: number;
  /** events that were not notifiable writes (reads, failures, ignored users and resources) */
  skipped: number;
  /** batches refused with 400/413, by reason */
  malformed: Record<AuditRejectReason, number>;
  unauthorized: number;
}

const DEFAULT_MAX_BODY = 32 * 1024 * 1024;
// the API server's webhook backend sends one batch at a time per server: a few at once is plenty
const DEFAULT_MAX_CONCURRENT = 4;

export class AuditSource {
  #o: AuditSourceOptions;
  #filter: AuditFilter;
  #correlation: ActorCorrelation;
  #server: Server | undefined;
  #tokenDigest: Buffer | undefined;
  #reading = 0;
  readonly stats: AuditStats = {
    batches: 0,
    events: 0,
    notifications: 0,
    skipped: 0,
    malformed: { InvalidJSON: 0, NotEventList: 0, InvalidEvent: 0, TooLarge: 0 },
    unauthorized: 0,
  };

  constructor(opts: AuditSourceOptions) {
    this.#o = opts;
    this.#filter = { ...DEFAULT_AUDIT_FILTER, ...opts.filter };
    this.#correlation = new ActorCorrelation(opts.correlation);
    if (opts.bearerToken !== undefined) {
      if (!opts.bearerToken) throw new Error('audit: bearerToken is empty');
      this.#tokenDigest = digest(opts.bearerToken);
    }
    if (opts.clientCert && !clientCAOf(opts.tls)) throw new Error('audit: clientCert needs a client CA (tls.clientCAFile)');
  }

  /** Starts serving; resolves with the base URL (https://host:port). */
  async listen(): Promise<string> {
    const server = createServer(
      { ...this.#secureContext(), requestCert: !!this.#o.clientCert, rejectUnauthorized: false },
      (req, res) => this.#handle(req, res),
    );
    // node would answer 417 and drop the connection under a body still arriving, losing the answer
    server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
      discard(req);
      reply(res, 417, { error: 'expectation failed: only Expect: 100-continue is understood' });
    });
    this.#server = server;
    await listen(server, this.#o.port ?? 8443, this.#o.host ?? '127.0.0.1');
    if (!this.#tokenDigest && !this.#o.clientCert) {
      this.#o.log.warn({}, 'audit webhook accepts batches without credentials: anyone who can reach it can post changes');
    }
    const addr = server.address() as AddressInfo;
    const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return `https://${h}:${addr.port}`;
  }

  /** Re-reads the certificate files (after cert-manager or a person rotated the Secret). */
  reloadTls(): void {
    this.#server?.setSecureContext(this.#secureContext());
  }

  async close(): Promise<void> {
    const s = this.#server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  /** Who changed this object near `time`, per the audit log (undefined if nobody we heard of). */
  attributeUser(ref: ObjectRefLike, time: Date): Actor | undefined {
    return this.#correlation.attributeUser(ref, time);
  }

  /** attributeUser for a notification's object, else its owner. */
  attributeNotification(n: Notification, time: Date): Actor | undefined {
    return this.#correlation.attributeNotification(n, time);
  }

  /** Handles one parsed batch (also the entry point for tests without HTTP). */
  ingest(events: AuditEvent[]): number {
    this.stats.batches++;
    let produced = 0;
    for (const e of events) {
      this.stats.events++;
      if (!isNotifiableWrite(e, this.#filter)) {
        this.stats.skipped++;
        continue;
      }
      const time = new Date(e.stageTimestamp ?? e.requestReceivedTimestamp ?? 0);
      this.#correlation.record(involvedOf(e), time, actorOf(e));
      const n = auditNotification(e, { cluster: this.#o.cluster });
      this.stats.notifications++;
      produced++;
      try {
        this.#o.onNotification(n);
      } catch (err) {
        // a failing consumer must not make the API server retry the whole batch forever
        this.#o.log.error({ err: (err as Error).message, auditID: e.auditID }, 'audit notification handler failed');
      }
    }
    return produced;
  }

  #secureContext(): { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer } {
    const t = this.#o.tls;
    if ('certFile' in t) {
      return { cert: readFileSync(t.certFile), key: readFileSync(t.keyFile), ...(t.clientCAFile ? { ca: readFileSync(t.clientCAFile) } : {}) };
    }
    return { cert: t.cert, key: t.key, ...(t.clientCA ? { ca: t.clientCA } : {}) };
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/audit' || req.method !== 'POST') discard(req);
    if (path === '/healthz' && req.method === 'GET') return reply(res, 200, { status: 'ok' });
    if (path !== '/audit') return reply(res, 404, { error: 'not found: the audit webhook is at /audit' });
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return reply(res, 405, { error: 'method not allowed: POST an audit.k8s.io/v1 EventList' });
    }
    const max = this.#o.maxBodyBytes ?? DEFAULT_MAX_BODY;
    // told before anything is read: the declared size, the media type, and how many are being read already
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > max) {
      discard(req);
      return this.#reject(res, 413, 'TooLarge', `the body is larger than ${max} bytes`);
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') {
      discard(req);
      return reply(res, 415, { error: 'unsupported media type: POST an audit.k8s.io/v1 EventList as application/json' });
    }
    // the API server sends plain JSON; a compressed body would only fail as "not JSON"
    const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
    if (encoding !== '' && encoding !== 'identity') {
      discard(req);
      return reply(res, 415, { error: 'unsupported content encoding: POST the EventList uncompressed' });
    }
    if (this.#reading >= (this.#o.maxConcurrent ?? DEFAULT_MAX_CONCURRENT)) {
      discard(req);
      res.setHeader('Retry-After', '1');
      return reply(res, 503, { error: 'too many audit batches at once; retry' });
    }
    const denied = this.#authenticate(req);
    if (denied) {
      this.stats.unauthorized++;
      this.#o.log.warn({ remote: req.socket.remoteAddress, why: denied }, 'audit batch refused: not authenticated');
      discard(req);
      if (this.#tokenDigest) res.setHeader('WWW-Authenticate', 'Bearer realm="kubeherald-audit"');
      return reply(res, 401, { error: `unauthorized: ${denied}` });
    }
    this.#reading++;
    let counted = true;
    const release = (): void => {
      if (counted) this.#reading--;
      counted = false;
    };
    res.on('close', release);
    void readBody(req, max).then((r) => {
      release();
      if (!r.ok) return r.why === 'too-large' ? this.#reject(res, 413, 'TooLarge', `the body is larger than ${max} bytes`) : res.destroy();
      const parsed = parseEventList(r.body.toString('utf8'));
      if (!parsed.ok) return this.#reject(res, 400, parsed.reason, parsed.message);
      const produced = this.ingest(parsed.events);
      this.#o.log.debug({ events: parsed.events.length, notifications: produced }, 'audit batch');
      reply(res, 200, { accepted: parsed.events.length });
    });
  }

  #reject(res: ServerResponse, code: number, reason: AuditRejectReason, message: string): void {
    this.stats.malformed[reason]++;
    this.#o.log.warn({ reason, message }, 'malformed audit batch refused');
    reply(res, code, { error: message, reason });
  }

  /** undefined when allowed, else why not (never echoing what was sent). */
  #authenticate(req: IncomingMessage): string | undefined {
    if (this.#o.clientCert) {
      const socket = req.socket as TLSSocket;
      if (!socket.authorized) return 'a client certificate signed by the configured CA is required';
      const allowed = this.#o.clientCert.allowedNames;
      // no names, nobody: a CA alone admits every certificate it ever signed
      const cn = socket.getPeerCertificate()?.subject?.CN;
      const name = Array.isArray(cn) ? cn[0] : cn;
      if (!allowed?.length || !name || !allowed.some((g) => globMatch(g, name))) return 'the client certificate’s common name is not allowed';
    }
    if (this.#tokenDigest) {
      const auth = req.headers.authorization ?? '';
      const m = /^Bearer\s+(.+)$/i.exec(auth);
      if (!m) return 'a bearer token is required';
      // digests have equal lengths, so timingSafeEqual neither throws nor leaks the token's length
      if (!timingSafeEqual(digest(m[1].trim()), this.#tokenDigest)) return 'invalid bearer token';
    }
    return undefined;
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function clientCAOf(t: AuditTls): string | undefined {
  return 'certFile' in t ? t.clientCAFile : t.clientCA;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload);
}
