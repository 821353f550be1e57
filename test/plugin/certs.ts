// Certificates for the TLS tests: a CA, a server certificate for 127.0.0.1
// and client certificates signed by it (and by a CA nobody trusts), as PEM
// files in a temporary directory.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authority, leaf } from '../helpers/pki.ts';

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

export async function makeCerts(): Promise<TestCerts> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-plugin-tls-'));
  const ca = await authority('kubeherald test CA');
  const other = await authority('someone else');
  const server = await leaf('plugin', ca, { serverAuth: true });
  const client = await leaf('router', ca, { clientAuth: true });
  const rogue = await leaf('rogue', other, { clientAuth: true });
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
    serverKeyFile: write('server-key.pem', server.key),
    client: { cert: client.cert, key: client.key, certFile: write('client.pem', client.cert), keyFile: write('client-key.pem', client.key) },
    rogue,
  };
}
