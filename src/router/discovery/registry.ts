// Plugin instances that announce themselves: kubeherald serves
// kubeherald.v1.Registry; a plugin outside Kubernetes registers its address,
// then heartbeats; one whose heartbeats stop for ttl is dropped, one that
// deregisters is dropped at once (the router drains what it had in flight).
// State lives in memory only: after a kubeherald restart a heartbeat answers
// known=false and the plugin registers again.

import { readFile } from 'node:fs/promises';
import * as http2 from 'node:http2';
import { Code, ConnectError, type ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { Registry } from '../../gen/kubeherald/v1/plugin_pb.js';
import { type Clock, realClock } from '../../model/clock.ts';
import type { DiscoverySource, PluginEndpoint } from '../types.ts';
import { canonicalAddress, diffEndpoints, fingerprint, formatHostPort, isLoopbackHost, parseHostPort, pluginTypeProblem, sortEndpoints } from './common.ts';
import type { Logger } from '../../model/logger.ts';
import { listen } from '../../model/listen.ts';

export const DEFAULT_TTL_MS = 15_000;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;
/** a bound on what one misbehaving client can make us hold */
export const DEFAULT_MAX_INSTANCES = 1_000;

const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;

export interface RegistryOptions {
  /** an instance with no heartbeat for this long is dropped (default 15 s) */
  ttlMs?: number;
  /** told to plugins when they register (default 5 s) */
  heartbeatIntervalMs?: number;
  maxInstances?: number;
  /** wall clock by default; tests hand in a fake one */
  clock?: Clock;
  log: Logger;
}

export interface PluginRegistry {
  /** the registered instances as a discovery source named 'registry' */
  readonly source: DiscoverySource;
  /** mounts kubeherald.v1.Registry on a connect router */
  routes(router: ConnectRouter): void;
  /** what is registered now, sorted by id */
  instances(): PluginEndpoint[];
}

interface Entry {
  endpoint: PluginEndpoint;
  version: string;
  lastSeenMs: number;
}

const invalid = (field: string, problem: string): ConnectError => new ConnectError(`${field}: ${problem}`, Code.InvalidArgument);

function durationOf(ms: number): { seconds: bigint; nanos: number } {
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

function checkInstanceId(id: string, field = 'instance_id'): void {
  if (id === '') throw invalid(field, 'must not be empty');
  if (id.length > 253) throw invalid(field, 'must be at most 253 characters');
  if (!INSTANCE_ID.test(id)) throw invalid(field, 'may hold only letters, digits and . _ : @ - and must start with a letter or digit');
}

export function createRegistry(opts: RegistryOptions): PluginRegistry {
  const ttlMs = opts.ttlMs ?? DEFAULT_TTL_MS;
  const heartbeatMs = opts.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const maxInstances = opts.maxInstances ?? DEFAULT_MAX_INSTANCES;
  const clock = opts.clock ?? realClock;
  const log = opts.log;
  const entries = new Map<string, Entry>();
  let report: ((endpoints: readonly PluginEndpoint[]) => void) | undefined;
  let last: PluginEndpoint[] = [];
  let closed = false;
  let timer: unknown;
  let timerAtMs = Infinity;
  const now = (): number => clock.now().getTime();

  const instances = (): PluginEndpoint[] => sortEndpoints([...entries.values()].map((e) => e.endpoint));

  const changed = (): void => {
    if (!report) return;
    const current = instances();
    if (fingerprint(current) === fingerprint(last)) return;
    const diff = diffEndpoints(last, current);
    last = current;
    log.info({ source: 'registry', instances: current.length, ...diff }, 'plugin instances changed');
    report(current);
  };

  const sweep = (): void => {
    timer = undefined;
    timerAtMs = Infinity;
    if (closed) return;
    const t = now();
    let removed = false;
    for (const [id, e] of entries) {
      if (t - e.lastSeenMs < ttlMs) continue;
      entries.delete(id);
      removed = true;
      log.warn({ source: 'registry', instance: e.endpoint.id, type: e.endpoint.type, address: e.endpoint.address, silentMs: t - e.lastSeenMs }, 'plugin instance expired: no heartbeat within ttl');
    }
    if (removed) changed();
    schedule();
  };

  // one timer, at the earliest moment an instance can expire
  const schedule = (): void => {
    if (closed || entries.size === 0) return;
    let earliest = Infinity;
    for (const e of entries.values()) earliest = Math.min(earliest, e.lastSeenMs + ttlMs);
    if (earliest >= timerAtMs) return;
    if (timer !== undefined) clock.clearTimeout(timer);
    timerAtMs = earliest;
    timer = clock.setTimeout(sweep, Math.max(0, earliest - now()));
  };

  const unavailable = (): void => {
    if (closed) throw new ConnectError('registry is shutting down', Code.Unavailable);
  };

  const source: DiscoverySource = {
    name: 'registry',
    async start(update) {
      if (report) throw new Error('registry discovery already started');
      report = update;
      last = instances();
      update(last);
    },
    async close() {
      closed = true;
      report = undefined;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    },
  };

  return {
    source,
    instances,
    routes(router) {
      router.service(Registry, {
        register(req) {
          unavailable();
          const typeProblem = pluginTypeProblem(req.type);
          if (typeProblem) throw invalid('type', typeProblem);
          if (req.address === '') throw invalid('address', 'must not be empty');
          const parsed = parseHostPort(req.address);
          if ('problem' in parsed) throw invalid('address', `${JSON.stringify(req.address)} ${parsed.problem}`);
          checkInstanceId(req.instanceId);
          if (req.version.length > 128) throw invalid('version', 'must be at most 128 characters');
          const address = canonicalAddress(parsed);
          const id = `registry/${req.instanceId}`;
          const prior = entries.get(id);
          if (!prior && entries.size >= maxInstances) throw new ConnectError(`registry holds its maximum of ${maxInstances} instances`, Code.ResourceExhausted);
          // a process restarted under a new id at the same address: the old id is that same server, stale
          for (const [otherId, e] of entries) {
            if (otherId !== id && e.endpoint.type === req.type && e.endpoint.address === address) {
              entries.delete(otherId);
              log.info({ source: 'registry', instance: otherId, replacedBy: id, address }, 'plugin instance replaced by a new registration at its address');
            }
          }
          const endpoint: PluginEndpoint = { id, type: req.type, address, source: 'registry' };
          entries.set(id, { endpoint, version: req.version, lastSeenMs: now() });
          log.info({ source: 'registry', instance: id, type: req.type, address, version: req.version, again: !!prior }, 'plugin instance registered');
          changed();
          schedule();
          return { heartbeatInterval: durationOf(heartbeatMs), ttl: durationOf(ttlMs) };
        },
        heartbeat(req) {
          unavailable();
          checkInstanceId(req.instanceId);
          const e = entries.get(`registry/${req.instanceId}`);
          if (!e) {
            log.debug({ source: 'registry', instanceId: req.instanceId }, 'heartbeat from an unknown instance: it must register again');
            return { known: false };
          }
          e.lastSeenMs = now();
          // no reschedule: the pending sweep finds it alive and re-arms for the new deadline
          return { known: true };
        },
        deregister(req) {
          unavailable();
          checkInstanceId(req.instanceId);
          const id = `registry/${req.instanceId}`;
          const e = entries.get(id);
          // idempotent: a plugin may retry a deregistration whose answer it lost
          if (!e) return {};
          entries.delete(id);
          log.info({ source: 'registry', instance: id, type: e.endpoint.type, address: e.endpoint.address }, 'plugin instance deregistered');
          changed();
          return {};
        },
      });
    },
  };
}

export interface RegistryServerOptions {
  registry: PluginRegistry;
  /** "host:port"; ":port" is the loopback, "0.0.0.0:port" every interface; port 0 picks a free one */
  listen: string;
  /** file paths; empty strings count as unset. clientCaFile set: plugins must present a certificate it signed */
  tls?: { certFile: string; keyFile: string; clientCaFile?: string };
  /** serve off the loopback without client certificates (warned about at every start) */
  insecure?: boolean;
  /** largest gRPC message read or written (default 64 KiB: a registration is a few hundred bytes) */
  maxMessageBytes?: number;
  log?: Logger;
}

export const DEFAULT_REGISTRY_MAX_MESSAGE_BYTES = 64 * 1024;

export interface RegistryServer {
  /** host:port it listens on (the real port when 0 was asked) */
  address: string;
  close(): Promise<void>;
}

/** Parses a listen address; no host is the loopback (every interface only when asked for: 0.0.0.0 or [::]). */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\[\]\s]*)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`registry listen address ${JSON.stringify(listen)}: expected host:port, [v6]:port or :port (port 0–65535)`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? '127.0.0.1' : host, port };
}

/** Serves the Registry over gRPC (HTTP/2, TLS when certFile is set). */
export async function serveRegistry(o: RegistryServerOptions): Promise<RegistryServer> {
  const { host, port } = parseListen(o.listen);
  const maxBytes = o.maxMessageBytes ?? DEFAULT_REGISTRY_MAX_MESSAGE_BYTES;
  const handler = connectNodeAdapter({ routes: (r) => o.registry.routes(r), readMaxBytes: maxBytes, writeMaxBytes: maxBytes });
  const loopback = host !== undefined && isLoopbackHost(host);
  // anyone who can reach an open registry can steer deliveries to an address of their choosing
  if (!loopback && !o.tls?.clientCaFile) {
    if (!o.insecure) {
      throw new Error(
        `plugin registry ${JSON.stringify(o.listen)}: refusing to serve off the loopback without client certificates (anyone who could reach it could point deliveries at an address of their choosing): set plugins.registry.tls (certFile, keyFile, clientCaFile), listen on a loopback address, or set plugins.registry.insecure: true`,
      );
    }
    o.log?.warn({ listen: o.listen, tls: !!o.tls?.certFile }, 'plugin registry: INSECURE: accepting registrations without client certificates (plugins.registry.insecure); anyone who can reach it can steer deliveries');
  }
  let server: http2.Http2Server | http2.Http2SecureServer;
  if (o.tls?.clientCaFile && !o.tls.certFile) throw new Error('registry TLS: clientCaFile needs certFile and keyFile too');
  if (o.tls?.certFile || o.tls?.keyFile) {
    if (!o.tls.certFile || !o.tls.keyFile) throw new Error('registry TLS needs both certFile and keyFile');
    const [cert, key, ca] = await Promise.all([readFile(o.tls.certFile), readFile(o.tls.keyFile), o.tls.clientCaFile ? readFile(o.tls.clientCaFile) : undefined]);
    const mutual = ca !== undefined;
    server = http2.createSecureServer({ cert, key, ...(mutual ? { ca, requestCert: true, rejectUnauthorized: true } : {}) }, handler);
  } else {
    server = http2.createServer(handler);
  }
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s: http2.ServerHttp2Session) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  const addr = await listen(server, port, host);
  const address = formatHostPort(host ?? addr.address, addr.port);
  o.log?.info({ address, tls: !!o.tls?.certFile, mutualTls: !!o.tls?.clientCaFile }, 'plugin registry listening');
  return {
    address,
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        // clients keep HTTP/2 sessions open; end them so close() returns (in-flight calls finish first)
        for (const s of sessions) s.close();
        const force = setTimeout(() => {
          for (const s of sessions) s.destroy();
        }, 2000);
        force.unref();
      });
    },
  };
}
