// The `audit:` section of the config: where kubeherald listens for the API
// server's audit webhook, with which certificate, and how callers prove
// themselves (a bearer token read like any credential, or a client
// certificate signed by clientCAFile).

import { z } from 'zod';
import { strict } from '../config-kit/fields.ts';
import { credentialRefSchema } from '../sinks/credential.ts';

export const auditConfigSchema = strict({
  enabled: z.boolean().default(false),
  /** host:port; without a host (":8443") the loopback. The API server posts from outside the pod: in a cluster, 0.0.0.0:8443 */
  listen: z
    .string()
    .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}$/, { error: 'expected host:port, e.g. 127.0.0.1:8443, or 0.0.0.0:8443 for every interface' })
    .default('127.0.0.1:8443'),
  tls: strict({
    certFile: z.string().default(''),
    keyFile: z.string().default(''),
    /** require client certificates signed by this CA */
    clientCAFile: z.string().default(''),
  }).default({ certFile: '', keyFile: '', clientCAFile: '' }),
  /** the bearer token the webhook kubeconfig sends: `{env: NAME}` or `{file: PATH}` */
  tokenFrom: credentialRefSchema.optional(),
  /** with clientCAFile (then required): only these certificate subjects (CN) may post */
  clientCertNames: z.array(z.string().min(1)).default([]),
}).superRefine((a, ctx) => {
  if (!a.enabled) return;
  if (!a.tls.certFile) ctx.addIssue({ code: 'custom', path: ['tls', 'certFile'], message: 'required when audit is enabled (the API server only posts over HTTPS)' });
  if (!a.tls.keyFile) ctx.addIssue({ code: 'custom', path: ['tls', 'keyFile'], message: 'required when audit is enabled' });
  // a CA alone would let in every certificate it ever signed (a tenant's too): name who may post
  if (a.tls.clientCAFile && a.clientCertNames.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['clientCertNames'], message: 'required with tls.clientCAFile: the certificate names (CN) that may post, e.g. [kube-apiserver-audit]; a CA alone admits every certificate it signed' });
  }
  if (!a.tokenFrom && !a.tls.clientCAFile) {
    ctx.addIssue({ code: 'custom', path: ['tokenFrom'], message: 'give tokenFrom or tls.clientCAFile: an audit endpoint anyone can post to would let anyone forge "who changed what"' });
  }
});

export type AuditConfig = z.output<typeof auditConfigSchema>;

/** host and port of a listen address; no host is the loopback (every interface only when asked for: 0.0.0.0). */
export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(listen.slice(i + 1)) };
}
