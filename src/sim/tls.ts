// A serving certificate for the simulator. kubectl (client-go) does not send
// bearer tokens over plain HTTP, and real clusters are HTTPS anyway, so the
// simulator serves TLS with a fresh self-signed certificate that doubles as
// the cluster CA in the kubeconfig.

import { generate } from 'selfsigned';

export interface ServingCert {
  cert: string;
  key: string;
}

export async function servingCert(hosts: string[]): Promise<ServingCert> {
  const now = Date.now();
  const altNames = [
    { type: 2 as const, value: 'localhost' },
    { type: 2 as const, value: 'kubernetes.default.svc' },
    ...hosts.map((h) => (/^[\d.]+$|:/.test(h) ? { type: 7 as const, ip: h } : { type: 2 as const, value: h })),
  ];
  const pems = await generate([{ name: 'commonName', value: 'kubeherald-sim' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 3600_000),
    notAfterDate: new Date(now + 365 * 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
