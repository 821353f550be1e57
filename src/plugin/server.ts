// The plugin host: one sink type served as kubeherald.v1.SinkPlugin (and
// grpc.health.v1.Health) over HTTP/2, gRPC protocol (Connect and gRPC-Web
// are accepted too). `kubeherald plugin <type>` runs it; tests start it in
// process.

import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { create } from '@bufbuild/protobuf';
import type { TLSSocket } from 'node:tls';
import { Code, ConnectError, type ConnectRouter, createContextKey, createContextValues, type Interceptor } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { Health, HealthCheckResponse_ServingStatus as Status } from '../gen/grpc/health/v1/health_pb.js';
import { Capability, type DeliverRequest, DeliverRequestSchema, SinkPlugin } from '../gen/kubeherald/v1/plugin_pb.js';
import type { SinkConfig } from '../config/schema.ts';
import { formatHostPort, isLoopbackHost, parseHostPort } from './address.ts';
import { SINK_TYPE_INFO } from './catalog.ts';
import { parsePluginSettings, pluginType } from './config.ts';
import { type DeliverAnswer, Deliverer } from './deliver.ts';
import type { Logger } from '../model/logger.ts';
import { healthService, HealthState } from './health.ts';
import { optionsJsonSchema } from './options.ts';
import { type CreateSink, sinkFactory } from './running.ts';
import { SinkCache } from './sink-cache.ts';
import { serveDeliverStream } from './stream.ts';


/** The plugin server's TLS: its certificate, and with clientCaFile, mutual TLS (clients without a certificate it signed are refused). */
export interface PluginTlsFiles {
  certFile: string;
  keyFile: string;
  clientCaFile?: string;
}

/** Largest gRPC message a plugin reads or writes by default: a group of notifications with raw objects fits many times over. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
// the health port answers one tiny request; nothing bigger has a reason to arrive there
const HEALTH_MAX_MESSAGE_BYTES = 16 * 1024;

/**
 * Why the plugin must not listen as asked, or undefined when it may: off
 * the loopback, only clients with a certificate from its client CA may call
 * it, unless the operator said `insecure` (then it is only warned about).
 */
export function listenRefusal(host: string, tls: PluginTlsFiles | undefined, insecure: boolean): string | undefined {
  if (isLoopbackHost(host) || tls?.clientCaFile || insecure) return undefined;
  const where = host === '' ? 'every interface' : host;
  const what = tls ? 'TLS without client certificates lets anyone who can reach it deliver' : 'plaintext without client certificates lets anyone who can reach it deliver';
  return `refusing to listen on ${where} without authenticating callers (${what}): give mutual TLS (--tls-dir with tls.crt, tls.key and ca.crt, or --tls-cert, --tls-key and --tls-client-ca; \`kubeherald plugin certs\` makes them), listen on a loopback address, or pass --insecure`;
}

export interface PluginServerOptions {
  /** the sink type served, e.g. "webhook" */
  type: string;
  /**
   * The plugin's sink: the keys of one `sinks:` entry (name optional,
   * default the type; type optional, must match), as written or parsed.
   * Its credentials are read from `env` and files, as in the main config.
   */
  base: Record<string, unknown>;
  /** host:port; port 0 picks a free one; ":50051" is the loopback, "0.0.0.0:50051" every interface */
  listen: string;
  tls?: PluginTlsFiles;
  /** serve off the loopback without mutual TLS (warned about at every start) */
  insecure?: boolean;
  /** largest gRPC message read or written (default 4 MiB); a bigger request is refused with RESOURCE_EXHAUSTED */
  maxMessageBytes?: number;
  /**
   * host:port of a second, plaintext listener serving only grpc.health.v1
   * (no deliveries): for kubelet gRPC probes, which cannot present a
   * client certificate.
   */
  healthListen?: string;
  log: Logger;
  /** where credentials are read (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** reported by Describe (default package.json's) */
  version?: string;
  /** tests: how sinks are made (default src/sinks createSink) */
  createSink?: CreateSink;
  /** how long close() waits for deliveries in flight (default 30 s) */
  graceMs?: number;
  /** deliveries in flight per DeliverStream (default 256) */
  streamConcurrency?: number;
  /** distinct effective configs kept running besides the plugin's own (default 64) */
  maxSinks?: number;
  /** delivered ids remembered for repeats (default 50,000) */
  rememberDeliveries?: number;
}

export interface PluginServer {
  /** the bound host:port */
  readonly address: string;
  /** the health listener's bound host:port, when healthListen was given */
  readonly healthAddress: string | undefined;
  /** Graceful: NOT_SERVING, refuse new deliveries, finish those in flight (within the grace period), close sinks and the server. */
  close(): Promise<void>;
}

export const PACKAGE_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const EMPTY_REQUEST: DeliverRequest = create(DeliverRequestSchema);

/** Why the caller's certificate was not accepted; undefined when it was (or when no client certificate is asked for). */
const CLIENT_CERT_PROBLEM = createContextKey<string | undefined>(undefined);

/**
 * Under mutual TLS the handshake asks for a certificate but lets the caller
 * in either way, so that a caller without one, or with one from another CA,
 * gets UNAUTHENTICATED saying why instead of a connection cut mid-handshake;
 * no method of any service runs for it.
 */
function requireClientCert(log: Logger): Interceptor {
  return (next) => async (req) => {
    const problem = req.contextValues.get(CLIENT_CERT_PROBLEM);
    if (problem !== undefined) {
      log.debug({ method: req.method.name, err: problem }, 'plugin: caller refused: no valid client certificate');
      throw new ConnectError(`client certificate required, signed by this plugin's client CA: ${problem}`, Code.Unauthenticated);
    }
    return next(req);
  };
}

function clientCertProblem(socket: TLSSocket): string | undefined {
  if (socket.authorized) return undefined;
  const peer = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return 'none was presented';
  const err = socket.authorizationError as unknown;
  const why = typeof err === 'string' ? err : err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message) : 'not verified';
  return `the one presented was refused (${why})`;
}

export async function startPluginServer(opts: PluginServerOptions): Promise<PluginServer> {
  const type = pluginType(opts.type);
  const listen = parseHostPort(opts.listen, 'listen', { allowAnyHost: true, allowPortZero: true });
  const healthListen = opts.healthListen ? parseHostPort(opts.healthListen, 'health listen', { allowAnyHost: true, allowPortZero: true }) : undefined;
  const { sink: base, allow } = parsePluginSettings(type, opts.base);
  const log = opts.log;
  const graceMs = opts.graceMs ?? 30_000;
  const maxBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (!Number.isInteger(maxBytes) || maxBytes < 1024) throw new RangeError(`maxMessageBytes: expected an integer ≥ 1024, got ${maxBytes}`);
  const refusal = listenRefusal(listen.host, opts.tls, opts.insecure === true);
  if (refusal) throw new Error(`${opts.listen}: ${refusal}`);
  if (!isLoopbackHost(listen.host) && !opts.tls?.clientCaFile) {
    // every start, at warn: an unauthenticated plugin off the loopback must never go unnoticed
    log.warn({ listen: opts.listen, tls: Boolean(opts.tls) }, 'plugin: INSECURE: serving off the loopback without client certificates (--insecure); anyone who can reach this port can send messages through it');
  }
  const tls = opts.tls ? readTls(opts.tls) : undefined;

  const makeSink = sinkFactory({ env: opts.env ?? process.env, log, createSink: opts.createSink });
  const sinks = new SinkCache({
    max: opts.maxSinks,
    create: (key) => makeSink(JSON.parse(key) as SinkConfig),
    onCloseError: (_key, err) => log.warn({ err: (err as Error).message }, 'plugin: a sink failed to close'),
  });
  const deliverer = new Deliverer({ type, base, allow, sinks, log, rememberDeliveries: opts.rememberDeliveries });
  // the plugin's own sink starts now: a missing credential stops the plugin before it listens
  const own = await sinks.pin(deliverer.baseKey);

  const health = new HealthState();
  const shutdown = new AbortController();
  let inflight = 0;
  let idle: (() => void) | undefined;
  const tracked = async (req: DeliverRequest | undefined): Promise<DeliverAnswer> => {
    inflight++;
    try {
      return await deliverer.deliver(req ?? EMPTY_REQUEST);
    } finally {
      if (--inflight === 0) idle?.();
    }
  };
  const refuseWhenStopping = (): void => {
    if (shutdown.signal.aborted) throw new ConnectError('the plugin is shutting down: send to another instance', Code.Unavailable);
  };

  const capabilities = [Capability.STREAM, Capability.IDEMPOTENT];
  if (own.sink.sendGroup) capabilities.unshift(Capability.GROUPS);
  const describe = {
    type,
    version: opts.version ?? PACKAGE_VERSION,
    capabilities,
    optionsSchemaJson: JSON.stringify(optionsJsonSchema(type, base, allow)),
    targetOption: SINK_TYPE_INFO[type].targetOption,
  };

  const routes = (router: ConnectRouter): void => {
    router.service(SinkPlugin, {
      describe: () => describe,
      async deliver(req) {
        refuseWhenStopping();
        return tracked(req);
      },
      deliverStream(requests, ctx) {
        refuseWhenStopping();
        return serveDeliverStream(requests, { deliver: tracked, limit: opts.streamConcurrency, shutdown: shutdown.signal, signal: ctx.signal });
      },
    });
    router.service(Health, healthService(health));
  };
  const mutual = Boolean(tls?.requestCert);
  const handler = connectNodeAdapter({
    routes,
    readMaxBytes: maxBytes,
    writeMaxBytes: maxBytes,
    ...(mutual
      ? {
          interceptors: [requireClientCert(log)],
          contextValues: (req) => createContextValues().set(CLIENT_CERT_PROBLEM, clientCertProblem(req.socket as TLSSocket)),
        }
      : {}),
  });
  const server = tls
    ? http2.createSecureServer({ ...tls, allowHTTP1: false }, handler)
    : http2.createServer({}, handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s: http2.ServerHttp2Session) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  const streams = new Set<http2.ServerHttp2Stream>();
  server.on('stream', (st: http2.ServerHttp2Stream) => {
    streams.add(st);
    st.once('close', () => streams.delete(st));
  });
  // a client refused by (mutual) TLS is the client's problem: noted for debugging, not warned about on every attempt
  server.on('tlsClientError', (err: Error) => log.debug({ err: err.message }, 'plugin: TLS handshake refused'));

  const healthServer = healthListen
    ? http2.createServer({}, connectNodeAdapter({ routes: (r) => void r.service(Health, healthService(health)), readMaxBytes: HEALTH_MAX_MESSAGE_BYTES, writeMaxBytes: HEALTH_MAX_MESSAGE_BYTES }))
    : undefined;
  const healthSessions = new Set<http2.ServerHttp2Session>();
  healthServer?.on('session', (s: http2.ServerHttp2Session) => {
    healthSessions.add(s);
    s.once('close', () => healthSessions.delete(s));
  });

  try {
    await listenOn(server, listen, opts.listen);
    if (healthServer && healthListen) await listenOn(healthServer, healthListen, opts.healthListen!);
  } catch (err) {
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    await sinks.close();
    throw err;
  }
  const bound = server.address() as AddressInfo;
  const address = formatHostPort(bound.address, bound.port);
  const healthBound = healthServer?.address() as AddressInfo | undefined;
  const healthAddress = healthBound ? formatHostPort(healthBound.address, healthBound.port) : undefined;

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    const deadline = Date.now() + graceMs;
    health.set(Status.NOT_SERVING);
    shutdown.abort();
    log.info({ address, inflight, graceMs }, 'plugin: shutting down');
    if (inflight > 0) {
      const finished = await within(new Promise<void>((resolve) => (idle = resolve)), deadline - Date.now());
      if (!finished) log.warn({ inflight }, 'plugin: grace period over with deliveries still in flight');
    }
    if (!(await within(sinks.close(), deadline - Date.now()))) log.warn({}, 'plugin: sinks still closing at the end of the grace period');
    health.end();
    // after the grace period, open calls get a moment to flush what they have written, no more
    const waitMs = Math.max(100, Math.min(1000, deadline - Date.now()));
    await Promise.all([closeServer(server, sessions, streams, waitMs), healthServer ? closeServer(healthServer, healthSessions, new Set(), waitMs) : undefined]);
    log.info({ address }, 'plugin: stopped');
  };

  return {
    address,
    healthAddress,
    close: () => (closing ??= close()),
  };
}

function listenOn(server: http2.Http2Server | http2.Http2SecureServer, at: { host: string; port: number }, asWritten: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (err: Error): void => reject(new Error(`cannot listen on ${asWritten}: ${err.message}`, { cause: err }));
    server.once('error', failed);
    const done = (): void => {
      server.off('error', failed);
      resolve();
    };
    if (at.host === '') server.listen(at.port, done);
    else server.listen(at.port, at.host, done);
  });
}

function readTls(files: PluginTlsFiles): http2.SecureServerOptions {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`cannot read the TLS ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
  };
  const out: http2.SecureServerOptions = { cert: read('certificate', files.certFile), key: read('key', files.keyFile), minVersion: 'TLSv1.2' };
  if (files.clientCaFile) {
    out.ca = read('client CA', files.clientCaFile);
    out.requestCert = true;
    // checked per call (requireClientCert): refused with UNAUTHENTICATED and the reason
    out.rejectUnauthorized = false;
  }
  return out;
}

/** Resolves true when `p` settles within `ms`, false otherwise. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms))));
  try {
    return await Promise.race([p.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Stops listening, lets open calls end (GOAWAY), then cuts what is left. A
 * call whose answer is complete while its caller still has the request side
 * open (a DeliverStream ended with UNAVAILABLE) is reset with NO_ERROR, as
 * HTTP/2 allows a server that has answered without reading the whole request.
 */
async function closeServer(server: http2.Http2Server | http2.Http2SecureServer, sessions: Set<http2.ServerHttp2Session>, streams: Set<http2.ServerHttp2Stream>, waitMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // the answer is complete once its trailers (END_STREAM) are out: the stream is then half-closed on our side
  const resetWhenAnswered = (st: http2.ServerHttp2Stream): void => {
    if (st.closed || st.destroyed) return;
    if (st.state.state === http2.constants.NGHTTP2_STREAM_STATE_HALF_CLOSED_LOCAL) st.close(http2.constants.NGHTTP2_NO_ERROR);
    else setTimeout(() => resetWhenAnswered(st), 5).unref();
  };
  for (const st of streams) resetWhenAnswered(st);
  for (const s of sessions) s.close();
  if (!(await within(closed, waitMs))) {
    for (const s of sessions) s.destroy();
    await closed;
  }
}
