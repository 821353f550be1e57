// A tiny kubeherald.v1.Registry for the plugin's tests (the real one lives
// in src/router/discovery/): records every call, answers a short heartbeat
// interval, can forget instances and go away.

import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import type { ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { Registry } from '../../src/gen/kubeherald/v1/plugin_pb.js';

export type Call = { rpc: 'register' | 'heartbeat' | 'deregister'; instanceId: string; type?: string; address?: string; version?: string };

export class TestRegistry {
  readonly calls: Call[] = [];
  readonly known = new Set<string>();
  heartbeatMs = 20;
  port = 0;
  #server: http2.Http2Server | undefined;
  #waiters: { pred: () => boolean; resolve: () => void }[] = [];

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  count(rpc: Call['rpc']): number {
    return this.calls.filter((c) => c.rpc === rpc).length;
  }

  /** Resolves once `pred` holds (checked after every call). */
  until(pred: () => boolean): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ pred, resolve }));
  }

  async start(): Promise<void> {
    const routes = (r: ConnectRouter): void => {
      r.service(Registry, {
        register: (req) => {
          this.known.add(req.instanceId);
          this.#record({ rpc: 'register', instanceId: req.instanceId, type: req.type, address: req.address, version: req.version });
          return { heartbeatInterval: durationFromMs(this.heartbeatMs), ttl: durationFromMs(this.heartbeatMs * 3) };
        },
        heartbeat: (req) => {
          this.#record({ rpc: 'heartbeat', instanceId: req.instanceId });
          return { known: this.known.has(req.instanceId) };
        },
        deregister: (req) => {
          this.known.delete(req.instanceId);
          this.#record({ rpc: 'deregister', instanceId: req.instanceId });
          return {};
        },
      });
    };
    const server = http2.createServer(connectNodeAdapter({ routes }));
    server.on('session', (s: http2.ServerHttp2Session) => this.#sessions.push(s));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Goes away, connections and all. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.#sessions.splice(0)) s.destroy();
    await closed;
  }

  #sessions: http2.ServerHttp2Session[] = [];

  #record(c: Call): void {
    this.calls.push(c);
    for (const w of [...this.#waiters]) {
      if (w.pred()) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }
}

export async function registry(): Promise<TestRegistry> {
  const r = new TestRegistry();
  await r.start();
  return r;
}
