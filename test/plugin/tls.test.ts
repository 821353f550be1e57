// The plugin server over TLS, and with mutual TLS: only clients with a
// certificate signed by the configured CA get in.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Code, ConnectError } from '@connectrpc/connect';
import { Outcome } from '../../src/gen/kubeherald/v1/plugin_pb.js';
import { startPluginServer, type PluginServer } from '../../src/plugin/server.ts';
import type { Sink } from '../../src/sinks/types.ts';
import { makeCerts, type TestCerts } from './certs.ts';
import { notification, pluginClient, recordingLog } from './helpers.ts';

const sink: Sink = { name: 'c', type: 'console', send: async () => undefined, close: async () => undefined };
const delivery = { deliveryId: 'tls-1', sink: 'c', payload: { case: 'notification' as const, value: notification('tls-1') }, attempt: 1 };

describe('plugin server TLS', () => {
  let certs: TestCerts;
  before(async () => {
    certs = await makeCerts();
  });
  after(() => rmSync(certs.dir, { recursive: true, force: true }));

  it('serves TLS to a client that trusts its CA, and not to one that does not', async () => {
    const server = await startPluginServer({ type: 'console', base: {}, listen: '127.0.0.1:0', log: recordingLog(), tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile }, createSink: async () => sink });
    const good = pluginClient(server.address, { https: { ca: certs.ca } });
    const untrusting = pluginClient(server.address, { https: {} });
    const plain = pluginClient(server.address);
    try {
      assert.equal((await good.plugin.deliver(delivery)).outcome, Outcome.DELIVERED);
      await assert.rejects(untrusting.plugin.describe({}), /unable to verify the first certificate/);
      await assert.rejects(plain.plugin.describe({}, { timeoutMs: 5000 }));
    } finally {
      for (const c of [good, untrusting, plain]) c.close();
      await server.close();
    }
  });

  describe('mutual TLS', () => {
    let server: PluginServer;
    let sent = 0;
    const log = recordingLog();
    const counting: Sink = { ...sink, send: async () => void sent++ };
    const refusals = () => log.entries.filter((e) => e.msg === 'plugin: caller refused: no valid client certificate').map((e) => String(e.obj.err));
    before(async () => {
      server = await startPluginServer({
        type: 'console',
        base: {},
        listen: '127.0.0.1:0',
        log,
        tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, clientCaFile: certs.caFile },
        createSink: async () => counting,
      });
    });
    after(() => server.close());

    it('accepts a client certificate signed by the client CA', async () => {
      const c = pluginClient(server.address, { https: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key } });
      try {
        assert.equal((await c.plugin.deliver(delivery)).outcome, Outcome.DELIVERED);
        assert.equal((await c.plugin.describe({})).type, 'console');
        assert.equal(sent, 1);
        assert.deepEqual(refusals(), []);
      } finally {
        c.close();
      }
    });

    it('refuses a client without a certificate', async () => {
      const c = pluginClient(server.address, { https: { ca: certs.ca } });
      try {
        await assert.rejects(c.plugin.deliver({ ...delivery, deliveryId: 'no-cert' }, { timeoutMs: 5000 }), (err: unknown) => {
          // the caller learns why, and no method ran
          assert.ok(err instanceof ConnectError);
          assert.equal(err.code, Code.Unauthenticated);
          assert.match(err.rawMessage, /client certificate required, signed by this plugin's client CA: none was presented/);
          return true;
        });
        assert.equal(sent, 1);
        assert.match(refusals().join('\n'), /none was presented/);
      } finally {
        c.close();
      }
    });

    it('refuses a client certificate from another CA', async () => {
      const c = pluginClient(server.address, { https: { ca: certs.ca, cert: certs.rogue.cert, key: certs.rogue.key } });
      try {
        await assert.rejects(c.plugin.deliver({ ...delivery, deliveryId: 'rogue' }, { timeoutMs: 5000 }), (err: unknown) => err instanceof ConnectError && err.code === Code.Unauthenticated && /the one presented was refused/.test(err.rawMessage));
        assert.equal(sent, 1);
      } finally {
        c.close();
      }
    });
  });
});
