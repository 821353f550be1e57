// The simulated cluster the chatops tests run commands on: the crashloop
// and rollout scenarios played for 200 s of cluster time (the crash loop has
// restarted, web has rolled out nginx:1.28 as revision 2), and two chat users'
// Kubernetes identities with different rights:
//   alice@corp  edit in demo; patch/list nodes and list events cluster-wide
//               only through her group sre (so the groups must reach the server)
//   bob@corp    view in demo
// kubeherald's own credentials are the simulator's admin, which may impersonate.

import * as k8s from '@kubernetes/client-node';
import { impersonatingClients, type KubeClients } from '../../src/chatops/kube.ts';
import type { KubeIdentity } from '../../src/chatops/types.ts';
import type { AccessLogEntry } from '../../src/sim/apiserver.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';

export const T0 = Date.parse('2025-03-01T10:00:00Z');
export const ALICE: KubeIdentity = { user: 'alice@corp', groups: ['sre', 'team-a'] };
export const BOB: KubeIdentity = { user: 'bob@corp', groups: [] };

export interface ChatSim {
  sim: Sim;
  admin: k8s.KubeConfig;
  alice: KubeClients;
  bob: KubeClients;
}

/** Starts the simulator; every request it serves is pushed onto `log`. */
export async function startChatSim(log: AccessLogEntry[]): Promise<ChatSim> {
  const sim = await startSim({ clockSpeed: 0, start: new Date(T0), scenario: ['crashloop', 'rollout'], onRequest: (e) => log.push(e) });
  await sim.clock.advance(200_000);
  const admin = new k8s.KubeConfig();
  admin.loadFromString(sim.kubeconfig);
  await bindRoles(admin);
  return { sim, admin, alice: impersonatingClients(admin, ALICE), bob: impersonatingClients(admin, BOB) };
}

async function bindRoles(kc: k8s.KubeConfig): Promise<void> {
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const subject = (kind: 'User' | 'Group', name: string) => ({ kind, name, apiGroup: 'rbac.authorization.k8s.io' });
  await rbac.createNamespacedRoleBinding({
    namespace: 'demo',
    body: { metadata: { name: 'alice-edit' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [subject('User', 'alice@corp')] },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: 'demo',
    body: { metadata: { name: 'bob-view' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [subject('User', 'bob@corp')] },
  });
  // cluster-scoped rights only through a group: proves the groups reach the server
  await rbac.createClusterRole({
    body: {
      metadata: { name: 'chatops-node-operator' },
      rules: [
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'patch'] },
        { apiGroups: [''], resources: ['events', 'pods'], verbs: ['list'] },
      ],
    },
  });
  await rbac.createClusterRoleBinding({
    body: { metadata: { name: 'sre-nodes' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'chatops-node-operator' }, subjects: [subject('Group', 'sre')] },
  });
}
