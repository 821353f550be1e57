// The audit endpoint refuses what it cannot trust before reading it: a
// client certificate whose name is not listed (a CA alone admits nothing),
// a body that is not JSON, a declared size above the cap (before
// authentication), and more batches at once than it reads. The config
// requires clientCertNames with clientCAFile.

import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { parseConfigText } from '../../src/config/index.ts';
import { silentLogger } from '../../src/model/logger.ts';
import { AuditSource } from '../../src/sources/audit.ts';
import { authority, leaf, type Pem } from '../helpers/pki.ts';

const body = JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [] });

interface Posted {
  status: number;
  text: string;
}

function post(url: string, ca: string, opts: { client?: Pem; type?: string; length?: number; token?: string; data?: string } = {}): Promise<Posted> {
  return new Promise((resolve, reject) => {
    const data = opts.data ?? body;
    const headers: Record<string, string | number> = { 'Content-Type': opts.type ?? 'application/json', 'Content-Length': opts.length ?? Buffer.byteLength(data) };
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    const req = request(`${url}/audit`, { method: 'POST', ca, headers, ...(opts.client ? { cert: opts.client.cert, key: opts.client.key } : {}) }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    // a declared length larger than what is sent: the server must answer without waiting for the rest
    if (opts.length !== undefined && opts.length > Buffer.byteLength(data)) req.write(data);
    else req.end(data);
  });
}

describe('audit endpoint hardening', () => {
  let source: AuditSource;
  let url: string;
  let ca: Pem;
  let apiserver: Pem;
  let tenant: Pem;
  let stranger: Pem;

  before(async () => {
    ca = await authority('audit-ca');
    const serving = await leaf('kubeherald-audit', ca, { serverAuth: true }, [{ type: 7, ip: '127.0.0.1' }]);
    apiserver = await leaf('kube-apiserver-audit', ca, { clientAuth: true });
    tenant = await leaf('random-tenant-user', ca, { clientAuth: true });
    const other = await authority('other-ca');
    stranger = await leaf('kube-apiserver-audit', other, { clientAuth: true });
    source = new AuditSource({
      host: '127.0.0.1',
      port: 0,
      tls: { cert: serving.cert, key: serving.key, clientCA: ca.cert },
      clientCert: { allowedNames: ['kube-apiserver-audit'] },
      maxBodyBytes: 1024,
      cluster: 'test',
      log: silentLogger,
      onNotification: () => undefined,
    });
    url = await source.listen();
  });
  after(() => source.close());

  it('the named certificate posts; an unnamed one from the same CA, one from another CA and none are refused', async () => {
    assert.equal((await post(url, ca.cert, { client: apiserver })).status, 200);
    const unnamed = await post(url, ca.cert, { client: tenant });
    assert.equal(unnamed.status, 401);
    assert.match(unnamed.text, /common name is not allowed/);
    assert.equal((await post(url, ca.cert, { client: stranger })).status, 401);
    assert.equal((await post(url, ca.cert)).status, 401);
  });

  it('a CA with no names admits nobody', async () => {
    const serving = await leaf('kubeherald-audit', ca, { serverAuth: true }, [{ type: 7, ip: '127.0.0.1' }]);
    const open = new AuditSource({ host: '127.0.0.1', port: 0, tls: { cert: serving.cert, key: serving.key, clientCA: ca.cert }, clientCert: {}, cluster: 't', log: silentLogger, onNotification: () => undefined });
    const u = await open.listen();
    try {
      assert.equal((await post(u, ca.cert, { client: tenant })).status, 401);
    } finally {
      await open.close();
    }
  });

  it('text/plain is refused with 415, before anything is read', async () => {
    const r = await post(url, ca.cert, { client: apiserver, type: 'text/plain' });
    assert.equal(r.status, 415);
    assert.match(r.text, /application\/json/);
  });

  it('a declared size above the cap is refused with 413 before authentication and before the body arrives', async () => {
    // no certificate at all: the size is told first
    const r = await post(url, ca.cert, { length: 300 * 1024 * 1024, data: '{' });
    assert.equal(r.status, 413);
    assert.equal((await post(url, ca.cert, { client: apiserver, data: `{"x":"${'a'.repeat(2000)}"}`, length: undefined })).status, 413);
  });

  it('the config requires clientCertNames with clientCAFile', () => {
    assert.throws(
      () => parseConfigText('audit: {enabled: true, tls: {certFile: c, keyFile: k, clientCAFile: ca}}\n', 'a.yaml'),
      (e: unknown) => /audit\.clientCertNames: required with tls\.clientCAFile/.test(String((e as { issues?: { path: string; message: string }[] }).issues?.map((i) => `${i.path}: ${i.message}`))),
    );
    const ok = parseConfigText('audit: {enabled: true, tls: {certFile: c, keyFile: k, clientCAFile: ca}, clientCertNames: [kube-apiserver-audit]}\n', 'a.yaml');
    assert.deepEqual(ok.audit.clientCertNames, ['kube-apiserver-audit']);
  });
});
