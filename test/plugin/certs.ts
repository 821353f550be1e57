// Certificates for the TLS tests: a CA, a server certificate for 127.0.0.1
// and client certificates signed by it (and by a CA nobody trusts), as PEM
// files in a temporary directory.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface TestCerts {
  dir: string;
  caFile: string;
  ca: string;
  serverCertFile: string;
  serverKeyFile: string;
  client: { cert: string; key: string; certFile: string; keyFile: string };
  /** signed by another CA */
  rogue: { cert: string; key: string };
}

const validity = () => ({ notBeforeDate: new Date(Date.now() - 3600_000), notAfterDate: new Date(Date.now() + 24 * 3600_000) });

async function makeCa(cn: string) {
  return generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ...validity(),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
}

async function leaf(cn: string, ca: { private: string; cert: string }, usage: 'server' | 'client') {
  return generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ...validity(),
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: usage === 'server', clientAuth: usage === 'client' },
      ...(usage === 'server' ? [{ name: 'subjectAltName' as const, altNames: [{ type: 7 as const, ip: '127.0.0.1' }, { type: 2 as const, value: 'localhost' }] }] : []),
    ],
  });
}

export async function makeCerts(): Promise<TestCerts> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-plugin-tls-'));
  const ca = await makeCa('kubeherald test CA');
  const other = await makeCa('someone else');
  const server = await leaf('plugin', ca, 'server');
  const client = await leaf('router', ca, 'client');
  const rogue = await leaf('rogue', other, 'client');
  const write = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text, { mode: 0o600 });
    return p;
  };
  return {
    dir,
    ca: ca.cert,
    caFile: write('ca.pem', ca.cert),
    serverCertFile: write('server.pem', server.cert),
    serverKeyFile: write('server-key.pem', server.private),
    client: { cert: client.cert, key: client.private, certFile: write('client.pem', client.cert), keyFile: write('client-key.pem', client.private) },
    rogue: { cert: rogue.cert, key: rogue.private },
  };
}
