// Issue #16, part 1, from an attacker's side: a plugin off the loopback
// refuses to start without mutual TLS (unless --insecure, warned about), a
// caller without a certificate or with one from another CA is refused, a
// delivery cannot choose a new URL or turn signing off, an oversized message
// is refused; and with the certificates `kubeherald plugin certs` issues, the
// router delivers through mutual TLS, by Service name.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { HealthCheckResponse_ServingStatus } from '../../src/gen/grpc/health/v1/health_pb.js';
import { Outcome } from '../../src/gen/kubeherald/v1/plugin_pb.js';
import { NotificationSchema } from '../../src/model/notification.ts';
import { issueCerts, readCa, type CertsResult } from '../../src/plugin/certs.ts';
import { startPluginServer } from '../../src/plugin/server.ts';
import { PluginRouter } from '../../src/router/router.ts';
import type { DiscoverySource, PluginEndpoint } from '../../src/router/types.ts';
import { SinkError } from '../../src/sinks/types.ts';
import { FakeWebhooks } from '../fakes/webhook.ts';
import { notification, pluginClient, recordingLog, SECRET, webhookPlugin } from './helpers.ts';

const one = (id: string) => ({ deliveryId: id, sink: 'hooks', payload: { case: 'notification' as const, value: notification(id) }, attempt: 1 });

function fixedSource(endpoints: PluginEndpoint[]): DiscoverySource {
  return { name: 'static', start: async (update) => update(endpoints), close: async () => undefined };
}

describe('a plugin listening off the loopback', () => {
  it('refuses to start without mutual TLS, naming the way out', async () => {
    const log = recordingLog();
    await assert.rejects(
      startPluginServer({ type: 'console', base: {}, listen: '0.0.0.0:0', log }),
      /0\.0\.0\.0:0: refusing to listen on 0\.0\.0\.0 without authenticating callers \(plaintext without client certificates.*--tls-dir.*--insecure/,
    );
  });

  it('starts with --insecure, warning loudly at every start', async () => {
    for (let i = 0; i < 2; i++) {
      const log = recordingLog();
      const server = await startPluginServer({ type: 'console', base: {}, listen: '0.0.0.0:0', insecure: true, log });
      try {
        const warned = log.entries.filter((e) => e.level === 'warn' && /INSECURE/.test(e.msg));
        assert.equal(warned.length, 1);
      } finally {
        await server.close();
      }
    }
  });
});

describe('what a delivery may choose', () => {
  let fake: FakeWebhooks;
  let plugin: Awaited<ReturnType<typeof webhookPlugin>>;
  let steal: FakeWebhooks;
  before(async () => {
    fake = await FakeWebhooks.start({ secret: SECRET });
    steal = await FakeWebhooks.start({ secret: SECRET });
    plugin = await webhookPlugin(fake);
  });
  after(async () => {
    plugin.client.close();
    await plugin.server.close();
    await fake.close();
    await steal.close();
  });

  it('a per-call URL is refused, permanently, naming the option; nothing is sent anywhere', async () => {
    const r = await plugin.client.plugin.deliver({ ...one('u-1'), options: { urls: [steal.url('/steal')] } });
    assert.equal(r.outcome, Outcome.PERMANENT);
    assert.match(r.message, /^options\.urls: where the plugin's credentials and signed messages go, and whether they are signed, come from the plugin's own config only$/);
    assert.equal(steal.received.length, 0);
    assert.equal(fake.accepted('/hook').some((x) => x.headers['webhook-id'] === 'u-1'), false);
  });

  it('sign: false is refused, permanently, naming the option', async () => {
    const r = await plugin.client.plugin.deliver({ ...one('s-1'), options: { sign: false } });
    assert.equal(r.outcome, Outcome.PERMANENT);
    assert.match(r.message, /^options\.sign: /);
    assert.equal(fake.accepted('/hook').some((x) => x.headers['webhook-id'] === 's-1'), false);
  });

  it('an option the operator did not allow is refused; an allowed one still delivers, signed', async () => {
    const r = await plugin.client.plugin.deliver({ ...one('a-1'), options: { includeRawObject: true } });
    assert.deepEqual([r.outcome, r.message], [Outcome.PERMANENT, "options.includeRawObject: not allowed by this plugin's config (allow.options; it allows template, timeoutSeconds, payload)"]);
    const ok = await plugin.client.plugin.deliver({ ...one('a-2'), options: { timeoutSeconds: 3 } });
    assert.equal(ok.outcome, Outcome.DELIVERED);
    const got = fake.accepted('/hook').find((x) => x.headers['webhook-id'] === 'a-2');
    assert.equal(got?.verified, true);
  });

  it('Describe advertises only the allowed options', async () => {
    const d = await plugin.client.plugin.describe({});
    const schema = JSON.parse(d.optionsSchemaJson) as { properties: Record<string, unknown> };
    assert.deepEqual(Object.keys(schema.properties).sort(), ['payload', 'template', 'timeoutSeconds']);
  });
});

describe('message size limits', () => {
  it('an oversized Deliver is refused with RESOURCE_EXHAUSTED before it is read, and the plugin goes on serving', async () => {
    let sent = 0;
    const server = await startPluginServer({
      type: 'console',
      base: {},
      listen: '127.0.0.1:0',
      maxMessageBytes: 64 * 1024,
      log: recordingLog(),
      createSink: async () => ({ name: 'c', type: 'console', send: async () => void sent++, close: async () => undefined }),
    });
    const c = pluginClient(server.address);
    try {
      const big = create(NotificationSchema, { ...notification('big'), message: 'x'.repeat(200 * 1024) });
      await assert.rejects(c.plugin.deliver({ ...one('big'), payload: { case: 'notification', value: big } }), (err: unknown) => {
        assert.ok(err instanceof ConnectError);
        assert.equal(err.code, Code.ResourceExhausted);
        return true;
      });
      assert.equal(sent, 0);
      assert.equal((await c.plugin.deliver(one('small'))).outcome, Outcome.DELIVERED);
      assert.equal(sent, 1);
    } finally {
      c.close();
      await server.close();
    }
  });

  it('the router refuses an oversized delivery itself, permanently, naming the limit', async () => {
    const router = new PluginRouter({ log: recordingLog(), maxMessageBytes: 64 * 1024 });
    const server = await startPluginServer({ type: 'console', base: {}, listen: '127.0.0.1:0', log: recordingLog(), createSink: async () => ({ name: 'c', type: 'console', send: async () => undefined, close: async () => undefined }) });
    try {
      await router.addSource(fixedSource([{ id: 'static/a', type: 'console', address: server.address, source: 'static' }]));
      await router.waitForReady('console', 1);
      const big = create(NotificationSchema, { idempotencyKey: 'big', message: 'x'.repeat(100 * 1024) });
      await assert.rejects(router.deliver('console', { deliveryId: 'big', sink: 'c', target: '', options: {}, payload: { case: 'notification', value: big }, attempt: 1 }), (err: unknown) => {
        assert.ok(err instanceof SinkError);
        assert.equal(err.kind, 'permanent');
        assert.match(err.message, /is \d+ bytes, over the plugin message limit of 65536 \(plugins\.maxMessageBytes\)/);
        return true;
      });
    } finally {
      await router.close();
      await server.close();
    }
  });
});

describe('the router and plaintext', () => {
  it('refuses plaintext to a plugin off the loopback, and says why a delivery cannot go', async () => {
    const log = recordingLog();
    const router = new PluginRouter({ log });
    try {
      await router.addSource(fixedSource([{ id: 'static/10.0.0.5:50051', type: 'slack', address: '10.0.0.5:50051', source: 'static' }]));
      assert.ok(log.entries.some((e) => e.level === 'error' && /plaintext to an address off the loopback/.test(e.msg)));
      await assert.rejects(router.deliver('slack', { deliveryId: 'd', sink: 's', target: '', options: {}, payload: { case: 'notification', value: create(NotificationSchema, {}) }, attempt: 1 }), /no usable instances: 1 refused, plaintext/);
    } finally {
      await router.close();
    }
  });
});

describe('mutual TLS with the certificates `kubeherald plugin certs` issues', () => {
  let dir: string;
  let certs: CertsResult;
  let other: CertsResult;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kh-plugin-certs-'));
    certs = await issueCerts({ out: join(dir, 'ours'), namespace: 'kubeherald', plugins: ['console'], days: 2 });
    other = await issueCerts({ out: join(dir, 'theirs'), namespace: 'kubeherald', plugins: ['console'], days: 2 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lays out a CA and cert-manager-style directories, keys readable by the owner only', () => {
    const pluginDir = certs.issued.find((i) => i.role === 'plugin')!;
    assert.deepEqual(pluginDir.names.slice(0, 4), ['kubeherald-plugin-console', 'kubeherald-plugin-console.kubeherald', 'kubeherald-plugin-console.kubeherald.svc', 'kubeherald-plugin-console.kubeherald.svc.cluster.local']);
    for (const f of ['tls.crt', 'tls.key', 'ca.crt']) assert.ok(statSync(join(pluginDir.dir, f)).isFile());
    assert.equal(statSync(join(pluginDir.dir, 'tls.key')).mode & 0o077, 0);
    assert.equal(statSync(certs.caKeyFile!).mode & 0o077, 0);
    const ca = new X509Certificate(readFileSync(certs.caCertFile));
    const server = new X509Certificate(readFileSync(join(pluginDir.dir, 'tls.crt')));
    const client = new X509Certificate(readFileSync(join(certs.issued.find((i) => i.role === 'kubeherald')!.dir, 'tls.crt')));
    assert.ok(ca.ca);
    assert.ok(server.verify(ca.publicKey) && client.verify(ca.publicKey));
    assert.ok(server.checkHost('kubeherald-plugin-console.kubeherald.svc'));
    // a plugin's certificate serves only: it cannot be used to call another plugin
    assert.deepEqual(server.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.deepEqual(client.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.throws(() => readCa(join(pluginDir.dir, 'tls.crt'), join(pluginDir.dir, 'tls.key')), /not a CA certificate/);
  });

  it('the router delivers by Service name ({type}); callers without a certificate or with another CA\'s are refused', async () => {
    const dirOf = (r: CertsResult, role: string) => r.issued.find((i) => i.role === role)!.dir;
    const pluginDir = dirOf(certs, 'plugin');
    let sent = 0;
    const log = recordingLog();
    const server = await startPluginServer({
      type: 'console',
      base: {},
      // every interface, as in a pod: allowed because callers are authenticated
      listen: '0.0.0.0:0',
      tls: { certFile: join(pluginDir, 'tls.crt'), keyFile: join(pluginDir, 'tls.key'), clientCaFile: join(pluginDir, 'ca.crt') },
      healthListen: '127.0.0.1:0',
      log,
      createSink: async () => ({ name: 'c', type: 'console', send: async () => void sent++, close: async () => undefined }),
    });
    const port = server.address.slice(server.address.lastIndexOf(':') + 1);
    const address = `127.0.0.1:${port}`;
    const kh = dirOf(certs, 'kubeherald');
    const router = new PluginRouter({
      log: recordingLog(),
      tls: { caFile: join(kh, 'ca.crt'), certFile: join(kh, 'tls.crt'), keyFile: join(kh, 'tls.key'), serverName: 'kubeherald-plugin-{type}.kubeherald.svc' },
    });
    const ca = readFileSync(certs.caCertFile, 'utf8');
    const stranger = dirOf(other, 'kubeherald');
    const noCert = pluginClient(address, { https: { ca, servername: 'kubeherald-plugin-console' } });
    const wrongCa = pluginClient(address, { https: { ca, servername: 'kubeherald-plugin-console', cert: readFileSync(join(stranger, 'tls.crt')), key: readFileSync(join(stranger, 'tls.key')) } });
    // a plugin's own certificate is for serving: it cannot call a plugin
    const asPlugin = pluginClient(address, { https: { ca, servername: 'kubeherald-plugin-console', cert: readFileSync(join(pluginDir, 'tls.crt')), key: readFileSync(join(pluginDir, 'tls.key')) } });
    const health = pluginClient(server.healthAddress!);
    try {
      await router.addSource(fixedSource([{ id: 'static/a', type: 'console', address, source: 'static' }]));
      await router.waitForReady('console', 1);
      await router.deliver('console', { deliveryId: 'm-1', sink: 'c', target: '', options: {}, payload: { case: 'notification', value: create(NotificationSchema, { idempotencyKey: 'm-1' }) }, attempt: 1 });
      assert.equal(sent, 1);
      const refused = async (c: typeof noCert): Promise<string> => {
        try {
          await c.plugin.deliver(one('x'), { timeoutMs: 5000 });
        } catch (err) {
          assert.ok(err instanceof ConnectError);
          assert.equal(err.code, Code.Unauthenticated, err.message);
          return err.rawMessage;
        }
        assert.fail('delivered without a valid client certificate');
      };
      assert.equal(await refused(noCert), "client certificate required, signed by this plugin's client CA: none was presented");
      assert.match(await refused(wrongCa), /client certificate required, signed by this plugin's client CA: the one presented was refused \(\w+/);
      assert.match(await refused(asPlugin), /the one presented was refused \(\w+/);
      // Describe and health on the gRPC port are refused too: nothing runs for an unauthenticated caller
      await assert.rejects(noCert.plugin.describe({}), (err: unknown) => err instanceof ConnectError && err.code === Code.Unauthenticated);
      await assert.rejects(noCert.health.check({}), (err: unknown) => err instanceof ConnectError && err.code === Code.Unauthenticated);
      assert.equal(sent, 1);
      // the plaintext health port answers health, and nothing else
      assert.equal((await health.health.check({ service: 'kubeherald.v1.SinkPlugin' })).status, HealthCheckResponse_ServingStatus.SERVING);
      await assert.rejects(health.plugin.deliver(one('h-1')), (err: unknown) => err instanceof ConnectError && err.code === Code.Unimplemented);
      assert.equal(sent, 1);
    } finally {
      for (const c of [noCert, wrongCa, asPlugin, health]) c.close();
      await router.close();
      await server.close();
    }
  });
});

describe('the command line', () => {
  const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;
  const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [main, ...args], { env: { PATH: process.env.PATH, SLACK_BOT_TOKEN: 'xoxb-test' } }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    });

  it('kubeherald plugin certs writes the directories and says which Secrets to create', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kh-certs-cli-'));
    try {
      const r = await run(['plugin', 'certs', '--out', dir, '--namespace', 'alerts', '--plugin', 'slack,webhook', '--days', '30']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /kubectl -n alerts create secret generic kubeherald-plugin-client-tls --from-file=.*\/kubeherald\n/);
      assert.match(r.stdout, /kubectl -n alerts create secret generic kubeherald-plugin-webhook-tls --from-file=.*\/plugin-webhook\n/);
      const cert = new X509Certificate(readFileSync(join(dir, 'plugin-slack', 'tls.crt')));
      assert.ok(cert.checkHost('kubeherald-plugin-slack.alerts.svc'));
      const bad = await run(['plugin', 'certs', '--out', dir, '--plugin', 'Slack!']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /"Slack!": expected a DNS-1123 label/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('kubeherald plugin on every interface without mutual TLS exits 1 before listening, naming the flags', async () => {
    const r = await run(['plugin', 'console', '--listen', '0.0.0.0:0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--listen 0\.0\.0\.0:0: refusing to listen on 0\.0\.0\.0 without authenticating callers/);
    assert.doesNotMatch(r.stderr, /plugin listening/);
  });
});
