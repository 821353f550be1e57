// The Registry RPC, served over a real HTTP/2 server and called with a
// connect gRPC client: registration, heartbeats, expiry on an injected
// clock, deregistration, field validation, and mutual TLS.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { Registry } from '../../src/gen/kubeherald/v1/plugin_pb.js';
import type { Clock } from '../../src/model/clock.ts';
import { createRegistry, parseListen, serveRegistry, type PluginRegistry, type RegistryServer } from '../../src/router/discovery/registry.ts';
import type { PluginEndpoint } from '../../src/router/types.ts';
import { servingCert } from '../../src/sim/tls.ts';
import { authority, leaf } from '../helpers/pki.ts';
import { silentLogger } from '../../src/model/logger.ts';

const quiet = silentLogger;

/** Virtual time: timers fire only when advance() passes them. */
class FakeClock implements Clock {
  ms = Date.parse('2025-03-01T10:00:00Z');
  timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;
  now(): Date {
    return new Date(this.ms);
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.timers.set(id, { at: this.ms + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  advance(ms: number): void {
    const end = this.ms + ms;
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.ms = due[1].at;
      due[1].fn();
    }
    this.ms = end;
  }
}

/** Collects reports; next() resolves with the next one. */
function recorder() {
  const reports: PluginEndpoint[][] = [];
  let waiter: ((e: PluginEndpoint[]) => void) | undefined;
  return {
    reports,
    update: (e: readonly PluginEndpoint[]) => {
      reports.push([...e]);
      waiter?.([...e]);
      waiter = undefined;
    },
    next: () => new Promise<PluginEndpoint[]>((r) => (waiter = r)),
    get last() {
      return reports.at(-1);
    },
  };
}

const ep = (instance: string, type: string, address: string): PluginEndpoint => ({ id: `registry/${instance}`, type, address, source: 'registry' });

async function codeOf(p: Promise<unknown>): Promise<{ code: Code; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = ConnectError.from(err);
    return { code: e.code, message: e.rawMessage };
  }
  throw new Error('expected the call to fail');
}

describe('registry over gRPC', () => {
  let clock: FakeClock;
  let registry: PluginRegistry;
  let server: RegistryServer;
  let client: Client<typeof Registry>;
  const rec = recorder();

  before(async () => {
    clock = new FakeClock();
    registry = createRegistry({ ttlMs: 15_000, heartbeatIntervalMs: 5_000, clock, log: quiet });
    server = await serveRegistry({ registry, listen: '127.0.0.1:0', log: quiet });
    client = createClient(Registry, createGrpcTransport({ baseUrl: `http://${server.address}` }));
    await registry.source.start(rec.update);
  });
  after(async () => {
    await registry.source.close();
    await server.close();
  });

  it('starts by reporting the empty set, and listens where it says', () => {
    assert.equal(registry.source.name, 'registry');
    assert.deepEqual(rec.reports, [[]]);
    assert.match(server.address, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(server.address, '127.0.0.1:0');
  });

  it('register → reported, and the answer carries heartbeat interval and ttl', async () => {
    const res = await client.register({ type: 'slack', address: '10.0.0.5:50051', instanceId: 'slack-a', version: '1.2.3' });
    assert.equal(res.heartbeatInterval?.seconds, 5n);
    assert.equal(res.heartbeatInterval?.nanos, 0);
    assert.equal(res.ttl?.seconds, 15n);
    assert.deepEqual(rec.last, [ep('slack-a', 'slack', '10.0.0.5:50051')]);
    await client.register({ type: 'slack', address: '[2001:DB8::7]:50051', instanceId: 'slack-b' });
    assert.deepEqual(rec.last, [ep('slack-a', 'slack', '10.0.0.5:50051'), ep('slack-b', 'slack', '[2001:db8::7]:50051')]);
    assert.equal(rec.reports.length, 3);
  });

  it('re-register of the same id updates it; an identical one reports nothing new', async () => {
    const n = rec.reports.length;
    await client.register({ type: 'slack', address: '10.0.0.5:50051', instanceId: 'slack-a' });
    assert.equal(rec.reports.length, n, 'nothing changed');
    await client.register({ type: 'slack', address: '10.0.0.9:50051', instanceId: 'slack-a' });
    assert.deepEqual(rec.last, [ep('slack-a', 'slack', '10.0.0.9:50051'), ep('slack-b', 'slack', '[2001:db8::7]:50051')]);
    assert.deepEqual(registry.instances(), rec.last);
  });

  it('heartbeats renew; silence for ttl expires the instance; an expired one is unknown', async () => {
    // both were last seen at t0
    clock.advance(10_000);
    assert.deepEqual((await client.heartbeat({ instanceId: 'slack-a' })).known, true);
    clock.advance(4_999);
    assert.equal(rec.last?.length, 2, 'slack-b still inside its ttl');
    clock.advance(1);
    assert.deepEqual(rec.last, [ep('slack-a', 'slack', '10.0.0.9:50051')], 'slack-b expired at exactly ttl');
    assert.equal((await client.heartbeat({ instanceId: 'slack-b' })).known, false);
    clock.advance(9_999);
    assert.equal(rec.last?.length, 1, 'slack-a renewed 10 s ago');
    clock.advance(1);
    assert.deepEqual(rec.last, []);
    assert.equal((await client.heartbeat({ instanceId: 'slack-a' })).known, false);
    assert.equal(clock.timers.size, 0, 'nothing left to sweep');
  });

  it('deregister removes at once and is idempotent', async () => {
    await client.register({ type: 'teams', address: 'plugin-host:7000', instanceId: 'teams-1' });
    assert.deepEqual(rec.last, [ep('teams-1', 'teams', 'plugin-host:7000')]);
    await client.deregister({ instanceId: 'teams-1' });
    assert.deepEqual(rec.last, []);
    const n = rec.reports.length;
    await client.deregister({ instanceId: 'teams-1' });
    assert.equal(rec.reports.length, n);
    assert.equal(clock.timers.size, 1, 'the sweep timer of teams-1 may still be armed');
    clock.advance(15_000);
    assert.equal(rec.reports.length, n, 'and finds nothing to expire');
  });

  it('a new instance id at an address already registered for that type replaces the old one', async () => {
    await client.register({ type: 'webhook', address: '10.1.1.1:50051', instanceId: 'old' });
    await client.register({ type: 'webhook', address: '10.1.1.1:50051', instanceId: 'new' });
    assert.deepEqual(rec.last, [ep('new', 'webhook', '10.1.1.1:50051')]);
    assert.equal((await client.heartbeat({ instanceId: 'old' })).known, false);
    await client.deregister({ instanceId: 'new' });
  });

  it('invalid fields are INVALID_ARGUMENT naming the field', async () => {
    const cases: [Parameters<typeof client.register>[0], string][] = [
      [{ type: '', address: 'a:1', instanceId: 'x' }, 'type: must not be empty'],
      [{ type: 'Slack', address: 'a:1', instanceId: 'x' }, 'type: must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit'],
      [{ type: 'slack', address: '', instanceId: 'x' }, 'address: must not be empty'],
      [{ type: 'slack', address: '10.0.0.1', instanceId: 'x' }, 'address: "10.0.0.1" needs a port (host:port)'],
      [{ type: 'slack', address: '::1:80', instanceId: 'x' }, 'address: "::1:80" an IPv6 address needs brackets, e.g. [::1]:50051'],
      [{ type: 'slack', address: 'a:70000', instanceId: 'x' }, 'address: "a:70000" port 70000 is outside 1–65535'],
      [{ type: 'slack', address: 'a:1', instanceId: '' }, 'instance_id: must not be empty'],
      [{ type: 'slack', address: 'a:1', instanceId: 'a b' }, 'instance_id: may hold only letters, digits and . _ : @ - and must start with a letter or digit'],
      [{ type: 'slack', address: 'a:1', instanceId: 'x', version: 'v'.repeat(129) }, 'version: must be at most 128 characters'],
    ];
    for (const [req, message] of cases) {
      assert.deepEqual(await codeOf(client.register(req)), { code: Code.InvalidArgument, message }, JSON.stringify(req));
    }
    assert.deepEqual(await codeOf(client.heartbeat({ instanceId: '' })), { code: Code.InvalidArgument, message: 'instance_id: must not be empty' });
    assert.deepEqual(await codeOf(client.deregister({ instanceId: '/' })), {
      code: Code.InvalidArgument,
      message: 'instance_id: may hold only letters, digits and . _ : @ - and must start with a letter or digit',
    });
    assert.deepEqual(rec.last, [], 'nothing invalid got in');
  });
});

describe('registry without a server', () => {
  it('holds registrations made before start and reports them first; refuses past maxInstances; closes', async () => {
    const clock = new FakeClock();
    const registry = createRegistry({ clock, log: quiet, maxInstances: 2 });
    const server = await serveRegistry({ registry, listen: '127.0.0.1:0' });
    const client = createClient(Registry, createGrpcTransport({ baseUrl: `http://${server.address}` }));
    try {
      const res = await client.register({ type: 'slack', address: 'a:1', instanceId: 'one' });
      assert.equal(res.ttl?.seconds, 15n, 'default ttl');
      assert.equal(res.heartbeatInterval?.seconds, 5n, 'default heartbeat interval');
      await client.register({ type: 'slack', address: 'a:2', instanceId: 'two' });
      assert.deepEqual(await codeOf(client.register({ type: 'slack', address: 'a:3', instanceId: 'three' })), {
        code: Code.ResourceExhausted,
        message: 'registry holds its maximum of 2 instances',
      });
      // re-registering a known one is still fine at the limit
      await client.register({ type: 'slack', address: 'a:1', instanceId: 'one' });
      const rec = recorder();
      await registry.source.start(rec.update);
      assert.deepEqual(rec.reports, [[ep('one', 'slack', 'a:1'), ep('two', 'slack', 'a:2')]]);
      await registry.source.close();
      assert.equal(clock.timers.size, 0);
      assert.deepEqual(await codeOf(client.heartbeat({ instanceId: 'one' })), { code: Code.Unavailable, message: 'registry is shutting down' });
    } finally {
      await server.close();
    }
  });

  it('parseListen accepts host:port, :port and [v6]:port', () => {
    assert.deepEqual(parseListen('0.0.0.0:50060'), { host: '0.0.0.0', port: 50060 });
    assert.deepEqual(parseListen(':50060'), { host: '127.0.0.1', port: 50060 }); // no host is the loopback
    assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
    assert.throws(() => parseListen('50060'), { message: 'registry listen address "50060": expected host:port, [v6]:port or :port (port 0–65535)' });
    assert.throws(() => parseListen('h:70000'), /port 0–65535/);
  });
});

describe('registry over mutual TLS', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kh-registry-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts a plugin with a certificate the client CA signed, refuses one without', async () => {
    const serving = await servingCert(['127.0.0.1']);
    const clientCa = await authority('plugin client CA');
    const clientPems = await leaf('slack-plugin', clientCa, { clientAuth: true });
    const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), clientCaFile: join(dir, 'client-ca.crt') };
    await writeFile(files.certFile, serving.cert);
    await writeFile(files.keyFile, serving.key);
    await writeFile(files.clientCaFile, clientCa.cert);
    const registry = createRegistry({ clock: new FakeClock(), log: quiet });
    const server = await serveRegistry({ registry, listen: '127.0.0.1:0', tls: files });
    const baseUrl = `https://${server.address}`;
    try {
      const withCert = createClient(Registry, createGrpcTransport({ baseUrl, nodeOptions: { ca: serving.cert, cert: clientPems.cert, key: clientPems.key } }));
      await withCert.register({ type: 'slack', address: 'a:1', instanceId: 'tls-1' });
      assert.deepEqual(registry.instances(), [ep('tls-1', 'slack', 'a:1')]);
      const without = createClient(Registry, createGrpcTransport({ baseUrl, nodeOptions: { ca: serving.cert } }));
      const failed = await codeOf(without.register({ type: 'slack', address: 'a:2', instanceId: 'tls-2' }));
      // TLS 1.3 refuses after the handshake, with the "certificate required" alert (connect reports it as internal)
      assert.equal(failed.code, Code.Internal, failed.message);
      assert.match(failed.message, /certificate required/);
      assert.deepEqual(registry.instances().map((e) => e.id), ['registry/tls-1']);
    } finally {
      await server.close();
    }
  });
});
