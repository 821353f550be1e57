// The transport to one plugin instance: a gRPC client over one HTTP/2
// connection (plain or TLS, mutual TLS with a client certificate), Describe
// for its capabilities, grpc.health.v1 Check, and deliveries: multiplexed
// over one long-lived DeliverStream when the plugin serves it (one stream
// carries thousands per second where unary calls manage about a thousand),
// unary Deliver otherwise.
//
// Every failure here that is not the plugin's own answer rejects with a
// TransportError: the router then tries another instance. Deadlines on the
// stream are enforced by one periodic sweep per instance instead of a timer
// per delivery, which keeps the hot path free of timer churn.

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ClientHttp2Stream, Http2Session, SecureClientSessionOptions } from 'node:http2';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { Health, HealthCheckResponse_ServingStatus } from '../gen/grpc/health/v1/health_pb.js';
import {
  Capability,
  type DeliverRequest,
  type DeliverResponse,
  DeliverResponseSchema,
  type DeliverStreamRequest,
  DeliverStreamRequestSchema,
  type DeliverStreamResponse,
  type DescribeResponse,
  Outcome,
  SinkPlugin,
} from '../gen/kubeherald/v1/plugin_pb.js';
import { hostOfAddress } from './discovery/common.ts';
import { PushQueue } from './push-queue.ts';
import type { PluginEndpoint, TlsFiles } from './types.ts';

/** The service name plugins report health for (grpc.health.v1 Check). */
export const HEALTH_SERVICE = 'kubeherald.v1.SinkPlugin';

/**
 * A call that did not get the plugin's answer: connection refused or reset,
 * the stream broke, the deadline passed, UNAVAILABLE, the instance is going
 * away. Not the platform's verdict, so another instance may well succeed.
 */
export class TransportError extends Error {
  /** the gRPC code when the failure came as one */
  readonly code: Code | undefined;

  constructor(message: string, opts: { code?: Code; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'TransportError';
    this.code = opts.code;
  }
}

/** TLS material, read once at start. */
export interface LoadedTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  serverName?: string;
}

/** Reads the TLS files (at start, so a bad path fails loudly and early). */
export function loadTls(files: TlsFiles): LoadedTls {
  const out: LoadedTls = {};
  const read = (key: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new Error(`plugins.tls.${key} ${path}: cannot read it (${code}); kubeherald's client certificate toward plugins, e.g. the kubeherald-plugin-client-tls Secret (kubeherald plugin certs)`, { cause: err });
    }
  };
  if (files.caFile) out.ca = read('caFile', files.caFile);
  if (files.certFile) out.cert = read('certFile', files.certFile);
  if (files.keyFile) out.key = read('keyFile', files.keyFile);
  if ((out.cert === undefined) !== (out.key === undefined)) {
    throw new Error('plugin TLS: certFile and keyFile go together (client certificate for mutual TLS)');
  }
  if (files.serverName) out.serverName = files.serverName;
  return out;
}

export interface InstanceOptions {
  /** a delivery without an answer after this long is a transport failure */
  callTimeoutMs: number;
  /** deadline of Describe and health checks */
  healthTimeoutMs: number;
  /** TLS toward the plugin; plain HTTP/2 when absent */
  tls?: LoadedTls;
  /** concurrent DeliverStreams per instance (default 1) */
  streams?: number;
  /** largest gRPC message sent or read (default 4 MiB) */
  maxMessageBytes?: number;
}

interface Pending {
  resolve: (r: DeliverResponse) => void;
  reject: (e: TransportError) => void;
  /** performance.now() past which the sweep fails it */
  deadline: number;
}

/** One DeliverStream and the deliveries waiting for their answer on it. */
class DeliveryStream {
  readonly queue = new PushQueue<DeliverStreamRequest>();
  readonly abort = new AbortController();
  /** insertion order is deadline order (one timeout for all), which the sweep relies on */
  readonly pending = new Map<string, Pending>();
  closed = false;
}


export class PluginInstance {
  readonly endpoint: PluginEndpoint;
  /** the plugin's Describe answer, once it was fetched */
  description: DescribeResponse | undefined;
  /** deliveries go over DeliverStream (the plugin advertises CAPABILITY_STREAM) */
  streaming = false;
  /** the plugin sends a group as one message (CAPABILITY_GROUPS) */
  groups = false;

  readonly #opts: InstanceOptions;
  readonly #sessions: Http2SessionManager;
  readonly #client: Client<typeof SinkPlugin>;
  readonly #health: Client<typeof Health>;
  /** the delivery streams, opened on demand; deliveries take turns */
  readonly #streams: (DeliveryStream | undefined)[];
  /** every stream whose read loop runs, including ended ones still answering */
  readonly #live = new Set<DeliveryStream>();
  #turn = 0;
  #sweep: NodeJS.Timeout | undefined;
  #unary = 0;
  #closed = false;

  constructor(endpoint: PluginEndpoint, opts: InstanceOptions) {
    this.endpoint = endpoint;
    this.#opts = opts;
    const tls = opts.tls;
    const baseUrl = `${tls ? 'https' : 'http'}://${endpoint.address}`;
    let nodeOptions: SecureClientSessionOptions | undefined;
    if (tls) {
      nodeOptions = {};
      if (tls.ca) nodeOptions.ca = tls.ca;
      if (tls.cert) nodeOptions.cert = tls.cert;
      if (tls.key) nodeOptions.key = tls.key;
      // SNI may not carry an IP address; the certificate check then uses the IP itself
      const name = tls.serverName?.replaceAll('{type}', endpoint.type) ?? hostOfAddress(endpoint.address);
      if (tls.serverName || !isIP(name)) nodeOptions.servername = name;
    }
    // One connection for deliveries and health checks: a check that passes
    // says the connection deliveries use works. Pings find a peer that
    // vanished without closing the socket (a partitioned node).
    this.#sessions = new GuardedSessionManager(baseUrl, { pingIntervalMs: 10_000, pingTimeoutMs: 5_000 }, nodeOptions);
    const maxBytes = opts.maxMessageBytes ?? 4 * 1024 * 1024;
    const transport = createGrpcTransport({ baseUrl, sessionManager: this.#sessions, readMaxBytes: maxBytes, writeMaxBytes: maxBytes });
    this.#client = createClient(SinkPlugin, transport);
    this.#health = createClient(Health, transport);
    this.#streams = new Array<DeliveryStream | undefined>(Math.max(1, opts.streams ?? 1)).fill(undefined);
  }

  /** Deliveries sent and not yet answered. */
  get inFlight(): number {
    let n = this.#unary;
    for (const s of this.#live) n += s.pending.size;
    return n;
  }

  /** Fetches Describe and adopts its capabilities. Rejects with a TransportError. */
  async describe(): Promise<DescribeResponse> {
    try {
      const d = await this.#client.describe({}, { timeoutMs: this.#opts.healthTimeoutMs });
      this.description = d;
      this.streaming = d.capabilities.includes(Capability.STREAM);
      this.groups = d.capabilities.includes(Capability.GROUPS);
      return d;
    } catch (err) {
      throw transportError('Describe', err);
    }
  }

  /**
   * grpc.health.v1 Check for the plugin service. A plugin without the
   * Health service counts as serving when Describe answers (a minimal
   * plugin in another language may skip it). Rejects with a TransportError.
   */
  async check(): Promise<HealthCheckResponse_ServingStatus> {
    try {
      const r = await this.#health.check({ service: HEALTH_SERVICE }, { timeoutMs: this.#opts.healthTimeoutMs });
      return r.status;
    } catch (err) {
      if (err instanceof ConnectError && err.code === Code.Unimplemented) {
        await this.describe();
        return HealthCheckResponse_ServingStatus.SERVING;
      }
      throw transportError('health check', err);
    }
  }

  /**
   * Sends one delivery; resolves with the plugin's answer (whatever its
   * outcome), rejects with a TransportError when there is none.
   */
  deliver(req: DeliverRequest, signal?: AbortSignal): Promise<DeliverResponse> {
    if (signal?.aborted) return Promise.reject(new TransportError('delivery abandoned'));
    if (this.#closed) return Promise.reject(new TransportError('instance closed'));
    if (this.streaming) {
      const slot = this.#turn;
      this.#turn = slot + 1 === this.#streams.length ? 0 : slot + 1;
      let s = this.#streams[slot];
      // an ended stream (drained) takes no more requests; its answers still arrive
      if (!s || s.closed || s.queue.ended) s = this.#openStream(slot);
      // two answers for one id could not be told apart on one stream
      if (!s.pending.has(req.deliveryId)) {
        const deadline = performance.now() + this.#opts.callTimeoutMs;
        return new Promise<DeliverResponse>((resolve, reject) => {
          const entry = { resolve, reject, deadline };
          s.pending.set(req.deliveryId, entry);
          s.queue.push(create(DeliverStreamRequestSchema, { delivery: req }));
          // the stream goes on for the others; this caller stops waiting for its answer
          signal?.addEventListener(
            'abort',
            () => {
              if (s.pending.get(req.deliveryId) !== entry) return;
              s.pending.delete(req.deliveryId);
              reject(new TransportError('delivery abandoned'));
            },
            { once: true },
          );
        });
      }
    }
    return this.#deliverUnary(req, signal);
  }

  /** Ends the delivery stream once it is idle (draining); in-flight answers still arrive. */
  endStream(): void {
    for (const s of this.#live) if (!s.closed && s.pending.size === 0) s.queue.end();
  }

  /** Drops the connection: every pending delivery fails as a transport failure. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopSweep();
    for (const s of this.#live) {
      failPending(s, new TransportError('instance closed'));
      s.abort.abort();
    }
    this.#sessions.abort();
  }

  async #deliverUnary(req: DeliverRequest, signal: AbortSignal | undefined): Promise<DeliverResponse> {
    this.#unary++;
    try {
      return await this.#client.deliver(req, { timeoutMs: this.#opts.callTimeoutMs, ...(signal ? { signal } : {}) });
    } catch (err) {
      // the plugin refusing the request itself is its verdict, not the instance failing
      if (err instanceof ConnectError && (err.code === Code.InvalidArgument || err.code === Code.FailedPrecondition)) {
        return create(DeliverResponseSchema, { deliveryId: req.deliveryId, outcome: Outcome.PERMANENT, message: err.rawMessage });
      }
      throw transportError('Deliver', err);
    } finally {
      this.#unary--;
    }
  }

  #openStream(slot: number): DeliveryStream {
    const s = new DeliveryStream();
    this.#streams[slot] = s;
    this.#live.add(s);
    this.#startSweep();
    void this.#readStream(s, slot);
    return s;
  }

  async #readStream(s: DeliveryStream, slot: number): Promise<void> {
    let failure: TransportError | undefined;
    try {
      const responses: AsyncIterable<DeliverStreamResponse> = this.#client.deliverStream(s.queue, { signal: s.abort.signal });
      for await (const res of responses) {
        const r = res.result;
        if (!r) continue;
        const p = s.pending.get(r.deliveryId);
        // an answer after its deadline: the delivery was already retried elsewhere
        if (!p) continue;
        s.pending.delete(r.deliveryId);
        p.resolve(r);
      }
    } catch (err) {
      failure = transportError('DeliverStream', err);
      // a plugin that claims streaming but does not serve it still gets deliveries
      if (failure.code === Code.Unimplemented) this.streaming = false;
    }
    s.closed = true;
    s.queue.end();
    failPending(s, failure ?? new TransportError('DeliverStream ended by the plugin'));
    if (this.#streams[slot] === s) this.#streams[slot] = undefined;
    this.#live.delete(s);
    if (this.#live.size === 0) this.#stopSweep();
  }

  #startSweep(): void {
    if (this.#sweep) return;
    const every = Math.min(1000, Math.max(5, Math.floor(this.#opts.callTimeoutMs / 10)));
    this.#sweep = setInterval(() => this.#expire(), every);
    this.#sweep.unref();
  }

  #stopSweep(): void {
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = undefined;
  }

  /** Fails stream deliveries past their deadline; oldest first, stops at the first still in time. */
  #expire(): void {
    const now = performance.now();
    for (const s of this.#live) {
      if (s.pending.size === 0) continue;
      for (const [id, p] of s.pending) {
        if (p.deadline > now) break;
        s.pending.delete(id);
        p.reject(new TransportError(`no answer within ${this.#opts.callTimeoutMs} ms`, { code: Code.DeadlineExceeded }));
      }
    }
  }
}

const sessionsGuarded = new WeakSet<Http2Session>();
const ignore = (): void => {};

/**
 * Http2SessionManager with every connection it opens carrying an 'error'
 * listener of its own. The manager drops its listeners when it moves to a
 * new connection, and a connection it destroyed itself (a GOAWAY with no
 * open streams) emits 'error' on the next tick: with a request arriving in
 * between, that error had no listener and took the process down. The
 * manager and the streams still see every error; this only keeps it from
 * being uncaught. (connectrpc/connect-es#1768, fix pending in #1769; a plugin
 * process shutting down sends exactly such a GOAWAY.)
 */
class GuardedSessionManager extends Http2SessionManager {
  override async request(...args: Parameters<Http2SessionManager['request']>): Promise<ClientHttp2Stream> {
    const stream = await super.request(...args);
    const session = stream.session;
    if (session && !sessionsGuarded.has(session)) {
      sessionsGuarded.add(session);
      session.on('error', ignore);
    }
    return stream;
  }
}

function failPending(s: DeliveryStream, err: TransportError): void {
  if (s.pending.size === 0) return;
  const all = [...s.pending.values()];
  s.pending.clear();
  for (const p of all) p.reject(err);
}

function transportError(what: string, err: unknown): TransportError {
  if (err instanceof TransportError) return err;
  if (err instanceof ConnectError) {
    return new TransportError(`${what}: ${Code[err.code] ?? err.code}: ${err.rawMessage}`, { code: err.code, cause: err });
  }
  return new TransportError(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
