// In-process plugin instances for the router tests: kubeherald.v1.SinkPlugin
// and grpc.health.v1.Health served by connect on 127.0.0.1, with answers the
// test decides, a switchable health status, and kill() that drops every
// connection the way a SIGKILLed process does. Plus a discovery source the
// test sets by hand.

import * as http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { Health, HealthCheckResponse_ServingStatus } from '../../src/gen/grpc/health/v1/health_pb.js';
import {
  Capability,
  type DeliverRequest,
  type DeliverResponse,
  DeliverResponseSchema,
  type DeliverStreamRequest,
  type DeliverStreamResponse,
  DeliverStreamResponseSchema,
  Outcome,
  SinkPlugin,
} from '../../src/gen/kubeherald/v1/plugin_pb.js';
import { PushQueue } from '../../src/router/push-queue.ts';
import { type Logger, silentLogger } from '../../src/model/logger.ts';
import type { DiscoverySource, PluginEndpoint } from '../../src/router/types.ts';

export interface FakeAnswer {
  outcome: Outcome;
  message?: string;
  retryAfterMs?: number;
}

export interface FakePluginOptions {
  /** what Describe says (default "fake") */
  type?: string;
  /** default STREAM, GROUPS, IDEMPOTENT */
  capabilities?: Capability[];
  /** the answer to each delivery (default DELIVERED at once); may hold it back */
  handle?: (req: DeliverRequest) => FakeAnswer | Promise<FakeAnswer>;
  /** serve TLS; requireClientCert demands a client certificate signed by ca */
  tls?: { cert: string; key: string; ca?: string; requireClientCert?: boolean };
  /** listen here (a restart keeps its port); default a free one */
  port?: number;
  /** leave out grpc.health.v1 (a minimal plugin) */
  noHealth?: boolean;
}

const DELIVERED: FakeAnswer = { outcome: Outcome.DELIVERED };

export class FakePlugin {
  readonly opts: FakePluginOptions;
  port = 0;
  /** delivery ids in the order they arrived */
  readonly received: string[] = [];
  /** the requests themselves */
  readonly requests: DeliverRequest[] = [];
  /** ids answered DELIVERED */
  readonly delivered: string[] = [];
  /** arrived and not answered yet */
  inFlight = 0;
  streamsOpened = 0;
  unaryCalls = 0;
  status: HealthCheckResponse_ServingStatus = HealthCheckResponse_ServingStatus.SERVING;
  healthChecks = 0;
  /** deliveries fail with UNAVAILABLE (a broken instance whose health checks still pass) */
  refuse = false;
  #server: http2.Http2Server | http2.Http2SecureServer | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  #onArrive: (() => void)[] = [];

  constructor(opts: FakePluginOptions = {}) {
    this.opts = opts;
    if (opts.port) this.port = opts.port;
  }

  static async start(opts: FakePluginOptions = {}): Promise<FakePlugin> {
    const p = new FakePlugin(opts);
    await p.listen();
    return p;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** A static endpoint for it. */
  endpoint(over: Partial<PluginEndpoint> = {}): PluginEndpoint {
    return { id: `static/${this.address}`, type: this.opts.type ?? 'fake', address: this.address, source: 'static', ...over };
  }

  /** Resolves once `n` deliveries arrived in total. */
  arrived(n: number): Promise<void> {
    if (this.received.length >= n) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.received.length >= n) resolve();
        else this.#onArrive.push(check);
      };
      this.#onArrive.push(check);
    });
  }

  async listen(): Promise<void> {
    const handler = connectNodeAdapter({ routes: (r) => this.#routes(r) });
    const t = this.opts.tls;
    const server = t
      ? http2.createSecureServer(
          { cert: t.cert, key: t.key, ...(t.ca ? { ca: t.ca } : {}), requestCert: !!t.requireClientCert, rejectUnauthorized: !!t.requireClientCert },
          handler,
        )
      : http2.createServer(handler);
    server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    server.on('session', (s) => {
      this.#sessions.add(s);
      s.on('close', () => this.#sessions.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Dies like a SIGKILLed process: every connection reset, nothing answered. */
  kill(): void {
    const server = this.#server;
    this.#server = undefined;
    server?.close();
    for (const s of this.#sessions) s.destroy();
    for (const s of this.#sockets) s.destroy();
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.kill();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #arrive(req: DeliverRequest): void {
    this.received.push(req.deliveryId);
    this.requests.push(req);
    this.inFlight++;
    const waiting = this.#onArrive;
    this.#onArrive = [];
    for (const w of waiting) w();
  }

  async #answer(req: DeliverRequest): Promise<DeliverResponse> {
    const a = this.opts.handle ? await this.opts.handle(req) : DELIVERED;
    this.inFlight--;
    if (a.outcome === Outcome.DELIVERED) this.delivered.push(req.deliveryId);
    return create(DeliverResponseSchema, {
      deliveryId: req.deliveryId,
      outcome: a.outcome,
      message: a.message ?? '',
      ...(a.retryAfterMs !== undefined
        ? { retryAfter: { seconds: BigInt(Math.floor(a.retryAfterMs / 1000)), nanos: (a.retryAfterMs % 1000) * 1e6 } }
        : {}),
    });
  }

  #routes(r: ConnectRouter): void {
    const caps = this.opts.capabilities ?? [Capability.STREAM, Capability.GROUPS, Capability.IDEMPOTENT];
    r.service(SinkPlugin, {
      describe: () => ({ type: this.opts.type ?? 'fake', version: 'test', capabilities: caps }),
      deliver: async (req) => {
        if (this.refuse) throw new ConnectError('refusing deliveries', Code.Unavailable);
        this.unaryCalls++;
        this.#arrive(req);
        return this.#answer(req);
      },
      deliverStream: (reqs: AsyncIterable<DeliverStreamRequest>): AsyncIterable<DeliverStreamResponse> => {
        if (!caps.includes(Capability.STREAM)) return failing(new ConnectError('no streaming', Code.Unimplemented));
        if (this.refuse) return failing(new ConnectError('refusing deliveries', Code.Unavailable));
        this.streamsOpened++;
        const out = new PushQueue<DeliverStreamResponse>();
        let open = 0;
        let inputDone = false;
        void (async () => {
          try {
            for await (const m of reqs) {
              const req = m.delivery;
              if (!req) continue;
              if (this.refuse) throw new ConnectError('refusing deliveries', Code.Unavailable);
              this.#arrive(req);
              open++;
              // answered concurrently, in whatever order the handler finishes
              void this.#answer(req).then((res) => {
                out.push(create(DeliverStreamResponseSchema, { result: res }));
                if (--open === 0 && inputDone) out.end();
              });
            }
            inputDone = true;
            if (open === 0) out.end();
          } catch (err) {
            out.fail(err);
          }
        })();
        return out;
      },
    });
    if (!this.opts.noHealth) {
      r.service(Health, {
        check: () => {
          this.healthChecks++;
          return { status: this.status };
        },
        watch: () => {
          throw new ConnectError('watch not served', Code.Unimplemented);
        },
      });
    }
  }
}

// eslint-disable-next-line require-yield
async function* failing(err: Error): AsyncGenerator<DeliverStreamResponse> {
  throw err;
}

/** A discovery source the test sets by hand. */
export class TestSource implements DiscoverySource {
  readonly name = 'static' as const;
  #endpoints: PluginEndpoint[];
  #update: ((eps: readonly PluginEndpoint[]) => void) | undefined;
  closed = false;

  constructor(endpoints: PluginEndpoint[] = []) {
    this.#endpoints = endpoints;
  }

  async start(update: (eps: readonly PluginEndpoint[]) => void): Promise<void> {
    this.#update = update;
    update(this.#endpoints);
  }

  set(endpoints: PluginEndpoint[]): void {
    this.#endpoints = endpoints;
    this.#update?.(endpoints);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A promise with its resolver, for answers the test releases. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export const quietLog: Logger = silentLogger;

export interface LogLine {
  level: string;
  msg: string;
  obj: Record<string, unknown>;
}

/** A logger that keeps what it was given, for asserting on state-change logs. */
export function recordingLog(): { log: Logger; lines: LogLine[]; next: (msg: string) => Promise<LogLine> } {
  const lines: LogLine[] = [];
  let waiting: { msg: string; resolve: (l: LogLine) => void }[] = [];
  const at =
    (level: string) =>
    (obj: object, msg: string): void => {
      const line = { level, msg, obj: obj as Record<string, unknown> };
      lines.push(line);
      const hit = waiting.filter((w) => w.msg === msg);
      waiting = waiting.filter((w) => w.msg !== msg);
      for (const w of hit) w.resolve(line);
    };
  const log: Logger = { debug: () => {}, info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return {
    log,
    lines,
    /** the next line with this message (or one already logged) */
    next: (msg) => {
      const seen = lines.find((l) => l.msg === msg);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiting.push({ msg, resolve }));
    },
  };
}
