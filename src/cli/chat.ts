// `kubeherald chat --as <chat-user>`: the terminal as a chat platform against
// the configured cluster. Commands run exactly as they would from Slack or
// Telegram: the chat user's mapped Kubernetes identity (a `platform:
// console` entry in chatops.identities), RBAC checked, the audit trail
// written to the state database. The ChatOps module is loaded only when the
// command runs.

import type { Command } from 'commander';
import { createLogger } from '../app/log.ts';
import { clustersOf, loadConfig } from '../config/index.ts';
import { type CommonFlags, configFlags, withConfigFlags } from './run.ts';

interface ChatFlags extends CommonFlags {
  as: string;
}

export function registerChat(program: Command): void {
  withConfigFlags(
    program
      .command('chat')
      .description('run chat commands from the terminal as a chat user (their mapped Kubernetes identity); reads stdin line by line when it is not a terminal')
      .requiredOption('--as <chat-user>', 'the chat user: matched by chatops.identities entries with platform: console'),
  ).action(async (flags: ChatFlags) => {
    const config = await loadConfig({ file: flags.config, env: process.env, flags: configFlags(flags) });
    // replies go to stdout; kubeherald's own log to stderr, quiet unless asked
    const log = createLogger('kubeherald-chat', flags.logLevel ?? 'warn', config.log.format);
    const [{ startChatOps }, { loadClusterKubeConfigs }, { openStore, inMemoryOnly }, { ConsoleAdapter }, { storeSilencePort }, { maxDurationMs }] = await Promise.all([
      import('../app/chatops.ts'),
      import('../cluster/connect.ts'),
      import('../store/open.ts'),
      import('../chatops/console/adapter.ts'),
      import('../app/silence-port.ts'),
      import('../pipeline/silence-config.ts'),
    ]);
    // every configured cluster, for --cluster; the first is home
    const clusters = [...loadClusterKubeConfigs(clustersOf(config))].map(([name, kc]) => ({ name, kc }));
    const kc = clusters[0].kc;
    // only the audit table is written; a running kubeherald's deliveries are not touched
    const store = await openStore(config.state, { recover: false, log });
    const consoleAdapter = new ConsoleAdapter({ input: process.stdin, output: process.stdout, as: flags.as });
    // silences go to the state database, where a running kubeherald on the same file picks them up
    const silences = inMemoryOnly(config.state) ? undefined : storeSilencePort(store, maxDurationMs(config.silences));
    const chat = await startChatOps({ config, kc, clusters, store, log, adapters: [consoleAdapter], platforms: false, ...(silences ? { silences } : {}) });
    process.once('SIGINT', () => void consoleAdapter.stop());
    await consoleAdapter.done;
    await chat.stop();
    store.close();
  });
}
