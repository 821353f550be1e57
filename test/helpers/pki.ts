// Throwaway PKI for TLS tests: a CA ("authority") and leaf certificates it
// signs, as PEM strings.

import { generate } from 'selfsigned';

export interface Pem {
  cert: string;
  key: string;
}

/** A subjectAltName entry: 2 = DNS name (value), 7 = IP address (ip). */
export interface AltName {
  type: 2 | 7;
  value?: string;
  ip?: string;
}

export interface Usage {
  serverAuth?: boolean;
  clientAuth?: boolean;
}

// EC P-256 rather than RSA: key generation takes milliseconds, keeping the TLS tests fast.
const keyOptions = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' } as const;

// Backdated an hour so clock skew between generation and the handshake never matters.
const validity = (): { notBeforeDate: Date; notAfterDate: Date } => ({
  notBeforeDate: new Date(Date.now() - 3600_000),
  notAfterDate: new Date(Date.now() + 24 * 3600_000),
});

export async function authority(cn: string): Promise<Pem> {
  const p = await generate([{ name: 'commonName', value: cn }], {
    ...keyOptions,
    ...validity(),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: p.cert, key: p.private };
}

/**
 * A certificate signed by `ca`. Without `altNames` it names its CN as a DNS
 * name, and a server certificate also names the loopback (127.0.0.1, localhost)
 * the test servers listen on.
 */
export async function leaf(cn: string, ca: Pem, usage: Usage, altNames?: AltName[]): Promise<Pem> {
  const names = altNames ?? [
    { type: 2, value: cn },
    ...(usage.serverAuth ? [{ type: 7 as const, ip: '127.0.0.1' }, { type: 2 as const, value: 'localhost' }] : []),
  ];
  const p = await generate([{ name: 'commonName', value: cn }], {
    ...keyOptions,
    ...validity(),
    ca,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: usage.serverAuth === true, clientAuth: usage.clientAuth === true },
      { name: 'subjectAltName', altNames: names },
    ],
  });
  return { cert: p.cert, key: p.private };
}
