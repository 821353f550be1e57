// TLS toward plugins: the router checks the plugin's certificate against the
// configured CA (by IP or by serverName) and, for mutual TLS, presents a
// client certificate; a plugin that demands one keeps a router without it out.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { NotificationSchema } from '../../src/model/notification.ts';
import { PluginRouter } from '../../src/router/router.ts';
import type { PluginDelivery, TlsFiles } from '../../src/router/types.ts';
import { SinkError } from '../../src/sinks/types.ts';
import { authority, leaf } from '../helpers/pki.ts';
import { FakePlugin, type FakePluginOptions, quietLog, recordingLog, TestSource } from './plugin-fake.ts';

const delivery = (id: string): PluginDelivery => ({
  deliveryId: id,
  sink: 'chat',
  target: '',
  options: {},
  payload: { case: 'notification', value: create(NotificationSchema, { idempotencyKey: id }) },
  attempt: 1,
});

interface Pki {
  dir: string;
  ca: { cert: string; key: string };
  server: { cert: string; key: string };
  /** a server certificate naming only plugin.test (no IP) */
  named: { cert: string; key: string };
  client: { cert: string; key: string };
  /** a client certificate from a CA the plugin does not trust */
  stranger: { cert: string; key: string };
}

let pki: Pki;

before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kh-router-tls-'));
  const ca = await authority('kubeherald test CA');
  const other = await authority('someone else');
  pki = {
    dir,
    ca,
    server: await leaf('plugin', ca, { serverAuth: true }, [{ type: 7, ip: '127.0.0.1' }]),
    named: await leaf('plugin.test', ca, { serverAuth: true }, [{ type: 2, value: 'plugin.test' }]),
    client: await leaf('kubeherald-router', ca, { clientAuth: true }),
    stranger: await leaf('intruder', other, { clientAuth: true }),
  };
  await writeFile(join(dir, 'ca.pem'), ca.cert);
  await writeFile(join(dir, 'client.pem'), pki.client.cert);
  await writeFile(join(dir, 'client-key.pem'), pki.client.key);
  await writeFile(join(dir, 'stranger.pem'), pki.stranger.cert);
  await writeFile(join(dir, 'stranger-key.pem'), pki.stranger.key);
});

after(async () => {
  await rm(pki.dir, { recursive: true, force: true });
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(plugin: FakePluginOptions, tls: TlsFiles | undefined, log = quietLog): Promise<{ p: FakePlugin; r: PluginRouter }> {
  const p = await FakePlugin.start(plugin);
  cleanups.push(() => p.close());
  const r = new PluginRouter({ log, healthIntervalMs: 50, ...(tls ? { tls } : {}) });
  cleanups.push(() => r.close());
  await r.addSource(new TestSource([p.endpoint()]));
  return { p, r };
}

const f = (name: string): string => join(pki.dir, name);

describe('TLS toward plugins', () => {
  it('verifies the plugin certificate against caFile (by IP address)', async () => {
    const { p, r } = await setup({ tls: pki.server }, { caFile: f('ca.pem') });
    await r.waitForReady('fake', 1);
    await r.deliver('fake', delivery('tls-1'));
    assert.deepEqual(p.delivered, ['tls-1']);
  });

  it('checks the certificate against serverName when given', async () => {
    const { p, r } = await setup({ tls: pki.named }, { caFile: f('ca.pem'), serverName: 'plugin.test' });
    await r.waitForReady('fake', 1);
    await r.deliver('fake', delivery('named'));
    assert.deepEqual(p.delivered, ['named']);
  });

  it('keeps out a plugin whose certificate does not name the address', async () => {
    const rec = recordingLog();
    const { r } = await setup({ tls: pki.named }, { caFile: f('ca.pem') }, rec.log);
    const line = await rec.next('plugin instance not serving yet');
    assert.match(String(line.obj.reason), /altnames|IP: 127\.0\.0\.1 is not in the cert's list/i);
    assert.equal(r.instances()[0].state, 'unhealthy');
  });

  it('keeps out a plugin whose certificate the CA did not sign', async () => {
    const rec = recordingLog();
    const { r } = await setup({ tls: pki.server }, undefined, rec.log);
    // plain HTTP/2 to a TLS port fails; and TLS without the CA does not trust it
    await rec.next('plugin instance not serving yet');
    const rec2 = recordingLog();
    const { r: r2 } = await setup({ tls: pki.server }, {}, rec2.log);
    const line = await rec2.next('plugin instance not serving yet');
    assert.match(String(line.obj.reason), /self[- ]signed|unable to get local issuer|unable to verify/i);
    assert.equal(r.instances()[0].state, 'unhealthy');
    assert.equal(r2.instances()[0].state, 'unhealthy');
  });

  it('presents the client certificate for mutual TLS', async () => {
    const { p, r } = await setup(
      { tls: { ...pki.server, ca: pki.ca.cert, requireClientCert: true } },
      { caFile: f('ca.pem'), certFile: f('client.pem'), keyFile: f('client-key.pem') },
    );
    await r.waitForReady('fake', 1);
    await r.deliver('fake', delivery('mtls'));
    assert.deepEqual(p.delivered, ['mtls']);
  });

  it('cannot deliver to a plugin demanding a client certificate it does not have or trust', async () => {
    for (const tls of [
      { caFile: f('ca.pem') },
      { caFile: f('ca.pem'), certFile: f('stranger.pem'), keyFile: f('stranger-key.pem') },
    ]) {
      const rec = recordingLog();
      const { p, r } = await setup({ tls: { ...pki.server, ca: pki.ca.cert, requireClientCert: true } }, tls, rec.log);
      await rec.next('plugin instance not serving yet');
      try {
        await r.deliver('fake', delivery('nope'));
        assert.fail('delivered without a trusted client certificate');
      } catch (err) {
        assert.ok(err instanceof SinkError);
        assert.equal(err.kind, 'retryable');
        assert.match(err.message, /no usable instance \(1 known: 1 unhealthy\)/);
      }
      assert.deepEqual(p.received, []);
    }
  });

  it('refuses a certificate without its key', () => {
    assert.throws(() => new PluginRouter({ log: quietLog, tls: { certFile: f('client.pem') } }), /certFile and keyFile go together/);
  });
});
