// `kubeherald plugin certs`: a private CA for kubeherald ↔ plugin traffic and
// the certificates it signs, laid out as cert-manager lays out a Secret
// (tls.crt, tls.key, ca.crt) so a directory becomes a Secret with
// `kubectl create secret generic NAME --from-file=DIR`. Plugin certificates
// are for serving only and kubeherald's for calling only, so a plugin's key
// cannot be used to call another plugin.

import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface Pem {
  cert: string;
  key: string;
}

export interface CertsOptions {
  /** where to write (created if missing) */
  out: string;
  /** namespace of the plugin Services, for their DNS names */
  namespace: string;
  /** plugin types to issue a server certificate for (Service kubeherald-plugin-<type>) */
  plugins: string[];
  /** client certificates besides kubeherald's own (e.g. a plugin outside Kubernetes registering with the Registry) */
  clients?: string[];
  /** more names for every server certificate (DNS names or IP addresses) */
  extraNames?: string[];
  /** validity of the leaf certificates (default 365 days; the CA gets ten times that) */
  days?: number;
  /** an existing CA to sign with (its certificate and key), instead of a new one */
  ca?: Pem;
  /** the Service name of a plugin type (default kubeherald-plugin-<type>) */
  serviceName?: (type: string) => string;
}

export interface IssuedDir {
  /** what the directory holds: kubeherald's client certificate, a plugin's server certificate, or another client's */
  role: 'kubeherald' | 'plugin' | 'client';
  name: string;
  dir: string;
  /** names the certificate carries */
  names: string[];
}

export interface CertsResult {
  caCertFile: string;
  /** undefined when an existing CA was given (its key stays where it was) */
  caKeyFile: string | undefined;
  issued: IssuedDir[];
}

// EC P-256: fast to generate and to handshake with, and accepted everywhere TLS 1.2+ is
const KEY = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' } as const;
const DAY_MS = 86_400_000;
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Reads a CA (PEM certificate and key), checking that it is one. */
export function readCa(certFile: string, keyFile: string): Pem {
  const cert = readFileSync(certFile, 'utf8');
  const key = readFileSync(keyFile, 'utf8');
  let x: X509Certificate;
  try {
    x = new X509Certificate(cert);
  } catch (err) {
    throw new Error(`${certFile}: not a PEM certificate (${(err as Error).message})`, { cause: err });
  }
  if (!x.ca) throw new Error(`${certFile}: not a CA certificate (basicConstraints CA:FALSE)`);
  return { cert, key };
}

function validity(days: number): { notBeforeDate: Date; notAfterDate: Date } {
  const now = Date.now();
  // backdated a little, so a node whose clock is slightly behind accepts it at once
  return { notBeforeDate: new Date(now - 3600_000), notAfterDate: new Date(now + days * DAY_MS) };
}

const isIp = (s: string): boolean => /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || s.includes(':');

async function leaf(cn: string, ca: Pem, days: number, usage: 'server' | 'client', names: string[]): Promise<Pem> {
  const altNames = names.map((n) => (isIp(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n }));
  const p = await generate([{ name: 'commonName', value: cn }], {
    ...KEY,
    ...validity(days),
    ca,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: usage === 'server', clientAuth: usage === 'client' },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { cert: p.cert, key: p.private };
}

/** Checks the options; an Error naming the flag otherwise. */
export function checkCertsOptions(o: CertsOptions): void {
  if (o.plugins.length === 0) throw new Error('--plugin: name at least one plugin type to issue a server certificate for (e.g. --plugin slack)');
  for (const t of [...o.plugins, ...(o.clients ?? [])]) {
    if (!NAME.test(t) || t.length > 63) throw new Error(`${JSON.stringify(t)}: expected a DNS-1123 label (lower-case letters, digits, "-")`);
  }
  if (!NAME.test(o.namespace)) throw new Error(`--namespace ${JSON.stringify(o.namespace)}: expected a DNS-1123 label`);
  const days = o.days ?? 365;
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new Error(`--days: expected a whole number of days, 1–3650, got ${o.days}`);
}

/** Issues the CA (unless given) and every certificate, and writes them under `out`. */
export async function issueCerts(o: CertsOptions): Promise<CertsResult> {
  checkCertsOptions(o);
  const days = o.days ?? 365;
  mkdirSync(o.out, { recursive: true, mode: 0o700 });
  let ca = o.ca;
  let caKeyFile: string | undefined;
  if (!ca) {
    const p = await generate([{ name: 'commonName', value: `kubeherald plugins CA (${o.namespace})` }], {
      ...KEY,
      ...validity(days * 10),
      extensions: [
        // pathLenConstraint 0: this CA signs leaves only, never another CA
        { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
    });
    ca = { cert: p.cert, key: p.private };
    caKeyFile = join(o.out, 'ca.key');
    writeFileSync(caKeyFile, ca.key, { mode: 0o600 });
  }
  const caCertFile = join(o.out, 'ca.crt');
  writeFileSync(caCertFile, ca.cert, { mode: 0o644 });

  const issued: IssuedDir[] = [];
  const write = (role: IssuedDir['role'], name: string, dirName: string, pem: Pem, names: string[]): void => {
    const dir = join(o.out, dirName);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'tls.crt'), pem.cert, { mode: 0o644 });
    writeFileSync(join(dir, 'tls.key'), pem.key, { mode: 0o600 });
    writeFileSync(join(dir, 'ca.crt'), ca.cert, { mode: 0o644 });
    issued.push({ role, name, dir, names });
  };

  write('kubeherald', 'kubeherald', 'kubeherald', await leaf('kubeherald', ca, days, 'client', ['kubeherald']), ['kubeherald']);
  const service = o.serviceName ?? ((t: string) => `kubeherald-plugin-${t}`);
  for (const type of o.plugins) {
    const svc = service(type);
    const names = [svc, `${svc}.${o.namespace}`, `${svc}.${o.namespace}.svc`, `${svc}.${o.namespace}.svc.cluster.local`, 'localhost', '127.0.0.1', ...(o.extraNames ?? [])];
    write('plugin', type, `plugin-${type}`, await leaf(svc, ca, days, 'server', names), names);
  }
  for (const name of o.clients ?? []) write('client', name, `client-${name}`, await leaf(name, ca, days, 'client', [name]), [name]);
  return { caCertFile, caKeyFile, issued };
}
