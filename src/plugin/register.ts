// For plugins outside Kubernetes: tell a kubeherald's Registry where this
// plugin serves, keep telling it (heartbeats at the interval it asks for),
// and say goodbye on the way out. A registry that forgot the instance (it
// restarted, or the instance expired) or could not be reached gets a fresh
// Register, so the instance comes back by itself once the registry does.

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { durationMs } from '@bufbuild/protobuf/wkt';
import type http2 from 'node:http2';
import { Registry } from '../gen/kubeherald/v1/plugin_pb.js';
import type { TlsFiles } from '../router/types.ts';
import type { Logger } from '../model/logger.ts';

export interface RegistrationOptions {
  /** the kubeherald serving kubeherald.v1.Registry, http://host:port or https://host:port */
  registryUrl: string;
  /** the sink type served */
  type: string;
  /** host:port where the router reaches this plugin */
  advertise: string;
  /** stable for the process; default `<type>-<hostname>-<advertise>`, so a restart at the same address replaces itself */
  instanceId?: string;
  version?: string;
  /** https: the registry's CA (caFile), a client certificate for mutual TLS (certFile, keyFile), serverName */
  tls?: TlsFiles;
  log: Logger;
  /** first retry after a failure, doubling up to maxRetryMs (defaults 1 s and 30 s) */
  minRetryMs?: number;
  maxRetryMs?: number;
  /** per call (default 5 s) */
  callTimeoutMs?: number;
}

export interface Registration {
  readonly instanceId: string;
  /** Stops heartbeating and deregisters (bounded by the call timeout; a registry that is down expires the instance by itself). */
  stop(): Promise<void>;
}

const DEFAULT_HEARTBEAT_MS = 5_000;

export function defaultInstanceId(type: string, advertise: string): string {
  return `${type}-${hostname()}-${advertise}`.replace(/[^A-Za-z0-9._:-]+/g, '-');
}

export function startRegistration(opts: RegistrationOptions): Registration {
  const instanceId = opts.instanceId ?? defaultInstanceId(opts.type, opts.advertise);
  const log = opts.log;
  const minRetry = opts.minRetryMs ?? 1_000;
  const maxRetry = opts.maxRetryMs ?? 30_000;
  const timeoutMs = opts.callTimeoutMs ?? 5_000;
  // our own session manager, so stop() can close the connection and let the process exit
  const sessions = new Http2SessionManager(opts.registryUrl, {}, clientTls(opts.tls));
  const client = createClient(Registry, createGrpcTransport({ baseUrl: opts.registryUrl, sessionManager: sessions }));
  const fields = { registry: opts.registryUrl, instanceId, address: opts.advertise, type: opts.type };

  let registered = false;
  let everRegistered = false;
  let intervalMs = DEFAULT_HEARTBEAT_MS;
  let failures = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let call: AbortController | undefined;
  let running: Promise<void> | undefined;

  const schedule = (ms: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      running = tick().finally(() => (running = undefined));
    }, ms);
  };

  const tick = async (): Promise<void> => {
    call = new AbortController();
    const callOpts = { timeoutMs, signal: call.signal };
    try {
      if (!registered) {
        const res = await client.register({ type: opts.type, address: opts.advertise, instanceId, version: opts.version ?? '' }, callOpts);
        intervalMs = res.heartbeatInterval ? Math.max(1, durationMs(res.heartbeatInterval)) : DEFAULT_HEARTBEAT_MS;
        registered = true;
        everRegistered = true;
        log.info({ ...fields, heartbeatMs: intervalMs, ttlMs: res.ttl ? durationMs(res.ttl) : undefined, afterFailures: failures || undefined }, 'plugin: registered');
      } else {
        const res = await client.heartbeat({ instanceId }, callOpts);
        if (!res.known) {
          registered = false;
          log.warn(fields, 'plugin: the registry does not know this instance (expired, or the registry restarted); registering again');
          failures = 0;
          schedule(0);
          return;
        }
        log.debug(fields, 'plugin: heartbeat');
      }
      failures = 0;
      schedule(intervalMs);
    } catch (err) {
      if (stopped) return;
      // whether the registry restarted or only the network failed, a Register puts the instance back either way
      registered = false;
      failures++;
      const retryMs = Math.min(maxRetry, intervalMs, minRetry * 2 ** Math.min(failures - 1, 20));
      const entry = { ...fields, err: (err as Error).message, failures, retryMs };
      if (failures === 1) log.warn(entry, 'plugin: registry unreachable; will register again');
      else log.debug(entry, 'plugin: registry still unreachable');
      schedule(retryMs);
    } finally {
      call = undefined;
    }
  };

  schedule(0);

  return {
    instanceId,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      call?.abort();
      await running?.catch(() => undefined);
      if (everRegistered) {
        try {
          await client.deregister({ instanceId }, { timeoutMs });
          log.info(fields, 'plugin: deregistered');
        } catch (err) {
          log.warn({ ...fields, err: (err as Error).message }, 'plugin: could not deregister; the registry expires the instance after its ttl');
        }
      }
      sessions.abort();
    },
  };
}

function clientTls(tls: TlsFiles | undefined): http2.SecureClientSessionOptions | undefined {
  if (!tls) return undefined;
  const out: http2.SecureClientSessionOptions = {};
  if (tls.caFile) out.ca = readFileSync(tls.caFile);
  if (tls.certFile) out.cert = readFileSync(tls.certFile);
  if (tls.keyFile) out.key = readFileSync(tls.keyFile);
  if (tls.serverName) out.servername = tls.serverName;
  return out;
}
