// `kubeherald demo --chat`: the demo cluster with the terminal as a chat
// platform. Three chat users come with it: alice (Kubernetes user
// alice@example.com, who may edit namespace demo), bob (bob@example.com, who
// may only view it), carol (carol@example.com in group sre, who may edit it
// and approve alice's requests) and mallory (not mapped). Commands wait until the demo's
// first incidents have happened, so there is something to look at; a line
// `as <user>` switches who is typing (carol approving what alice asked); the
// notifications go to stderr so stdout carries only the replies. The audit
// trail goes to the state database at `state.path` (default
// ./.kubeherald/state.db), where `kubeherald audit list` reads it.

import * as k8s from '@kubernetes/client-node';
import { startChatOps } from '../app/chatops.ts';
import { startHerald } from '../app/herald.ts';
import { createLogger } from '../app/log.ts';
import { ConsoleAdapter } from '../chatops/console/adapter.ts';
import type { IdentityConfig } from '../chatops/config.ts';
import { type Config, loadConfig } from '../config/index.ts';
import { openSqliteStore } from '../store/sqlite.ts';
import { ensureNamespace } from '../sim/controllers/namespaces.ts';
import { startSim, type Sim } from '../sim/sim.ts';
import { demoDefaults, simListenerClock } from './demo.ts';

export const DEMO_NAMESPACE = 'demo';

/** The demo's chat users and the Kubernetes identities and roles they get in namespace demo; mallory is deliberately absent. */
export const DEMO_CHAT_USERS: readonly { chatUser: string; kubernetesUser: string; groups: string[]; clusterRole: 'edit' | 'view' }[] = [
  { chatUser: 'alice', kubernetesUser: 'alice@example.com', groups: [], clusterRole: 'edit' },
  { chatUser: 'bob', kubernetesUser: 'bob@example.com', groups: [], clusterRole: 'view' },
  // a second person with rights, who may approve what alice asks for
  { chatUser: 'carol', kubernetesUser: 'carol@example.com', groups: ['sre'], clusterRole: 'edit' },
];

/** Cluster seconds of the demo scenario played before piped commands run: crashloop has crashed (it has a previous log), the OOM kill happened. */
const READY_AFTER_MS = 35_000;

export interface DemoChatOptions {
  speed: number;
  configFile?: string;
  logLevel: string;
  as: string;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** where notifications are printed (default stderr) */
  notifications?: NodeJS.WritableStream;
  interactive?: boolean;
}

/** The demo config with the chat users mapped (unless the file maps console users itself) and namespace demo as the default. */
export function demoChatConfig(config: Config): Config {
  const out = structuredClone(config);
  if (!out.chatops.identities.some((i) => i.platform === 'console')) {
    const mapped: IdentityConfig[] = DEMO_CHAT_USERS.map((u) => ({ platform: 'console', user: u.chatUser, kubernetes: { user: u.kubernetesUser, groups: [...u.groups] } }));
    out.chatops.identities.push(...mapped);
  }
  if (out.chatops.defaultNamespace === 'default') out.chatops.defaultNamespace = DEMO_NAMESPACE;
  return out;
}

async function grantDemoRoles(sim: Sim, kc: k8s.KubeConfig): Promise<void> {
  ensureNamespace(sim.ctx, DEMO_NAMESPACE);
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  for (const u of DEMO_CHAT_USERS) {
    await rbac.createNamespacedRoleBinding({
      namespace: DEMO_NAMESPACE,
      body: {
        metadata: { name: `demo-chat-${u.chatUser}` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: u.clusterRole },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: u.kubernetesUser }],
      },
    });
  }
}

export async function runDemoChat(opts: DemoChatOptions): Promise<void> {
  const loaded = await loadConfig({ file: opts.configFile, env: {}, flags: { clusterName: 'demo', logLevel: opts.logLevel } });
  // the pipeline keeps the demo's state in memory; the audit trail is kept where `audit list` finds it
  const auditPath = loaded.state.path === ':memory:' || loaded.state.path === '' ? ':memory:' : loaded.state.path;
  const config = demoChatConfig(await demoDefaults(loaded, opts.configFile));
  const log = createLogger('kubeherald-demo', config.log.level, config.log.format);
  const sim = await startSim({ clockSpeed: opts.speed, nodes: 3, bookmarkIntervalMs: 250 });
  const stops: (() => unknown)[] = [() => sim.close()];
  const stopAll = async (): Promise<void> => {
    for (const s of stops.splice(0).reverse()) await s();
  };
  try {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    await grantDemoRoles(sim, kc);
    const herald = await startHerald({ config, kc, log, clock: simListenerClock(sim), stdout: opts.notifications ?? process.stderr });
    stops.push(() => herald.stop());
    const started = sim.clock.nowMs();
    sim.scenarios.start('demo');
    const ready = new Promise<void>((resolve) => sim.clock.setTimeout(resolve, Math.max(0, READY_AFTER_MS - (sim.clock.nowMs() - started))));
    const audit = openSqliteStore({ path: auditPath, synchronous: config.state.synchronous, recover: false, log });
    stops.push(() => audit.close());
    // `as carol` switches who types: the demo's users are its own, so a script can ask as alice and approve as carol
    const users = [...new Set([...DEMO_CHAT_USERS.map((u) => u.chatUser), 'mallory', opts.as])];
    const consoleAdapter = new ConsoleAdapter({ input: opts.input, output: opts.output, as: opts.as, ready, interactive: opts.interactive, users });
    const chat = await startChatOps({ config, kc, store: audit, log, adapters: [consoleAdapter], platforms: false, submit: herald.submit, clusterNow: () => sim.clock.now() });
    stops.push(() => chat.stop());
    const interrupted = new Promise<void>((resolve) => process.once('SIGINT', resolve));
    await Promise.race([consoleAdapter.done, interrupted]);
  } finally {
    await stopAll();
  }
}
