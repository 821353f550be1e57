// The `kubeherald` command line: kubectl-style verbs, one subcommand each.

import { Command } from 'commander';
import { PACKAGE_VERSION } from '../app/build-info.ts';

const program = new Command()
  .name('kubeherald')
  .description('Watches Kubernetes clusters, tells people what matters where they talk, and lets them act back safely.')
  .version(PACKAGE_VERSION)
  .showHelpAfterError();

// Each verb's module is loaded only when that verb runs: `run` never loads
// what `plugin` (gRPC, certificate issuing) or `routes` need, and their
// imports stay out of its memory. Help, and a word that is no verb (commander
// suggests the nearest), load them all.
const VERBS: Record<string, () => Promise<(program: Command) => void>> = {
  demo: async () => (await import('./demo-command.ts')).registerDemo,
  run: async () => (await import('./run.ts')).registerRun,
  chat: async () => (await import('./chat.ts')).registerChat,
  sim: async () => (await import('./sim.ts')).registerSim,
  plugin: async () => (await import('./plugin.ts')).registerPlugin,
  config: async () => (await import('./config.ts')).registerConfig,
  dlq: async () => (await import('./dlq.ts')).registerDlq,
  audit: async () => (await import('./audit.ts')).registerAudit,
  requests: async () => (await import('./requests.ts')).registerRequests,
  silence: async () => (await import('./silence.ts')).registerSilence,
  routes: async () => {
    const [{ registerRoutes }, { crdRouteSource }] = await Promise.all([import('./routes.ts'), import('./routes-crd.ts')]);
    return (p) => registerRoutes(p, [crdRouteSource]);
  },
  doctor: async () => (await import('./doctor.ts')).registerDoctor,
  version: async () => (await import('./version.ts')).registerVersion,
};

const verb = process.argv[2];
for (const name of verb !== undefined && Object.hasOwn(VERBS, verb) ? [verb] : Object.keys(VERBS)) (await VERBS[name]())(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`kubeherald: ${(err as Error).message}\n`);
  process.exit(1);
});
