// A kubeconfig for the simulator, the same file kubectl and client-node read
// for a real cluster: one cluster, one user per token, one context per user.

import { stringify } from 'yaml';

export interface KubeconfigUser {
  name: string;
  token: string;
}

export function kubeconfigYaml(opts: { server: string; caCert: string; users: KubeconfigUser[]; currentUser?: string; cluster?: string; namespace?: string }): string {
  const cluster = opts.cluster ?? 'kubeherald-sim';
  const current = opts.currentUser ?? opts.users[0]?.name;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: opts.server, 'certificate-authority-data': Buffer.from(opts.caCert).toString('base64') } }],
    users: opts.users.map((u) => ({ name: u.name, user: { token: u.token } })),
    contexts: opts.users.map((u) => ({
      name: u.name === current ? cluster : `${cluster}-${u.name}`,
      context: { cluster, user: u.name, ...(opts.namespace ? { namespace: opts.namespace } : {}) },
    })),
    'current-context': cluster,
    preferences: {},
  });
}
