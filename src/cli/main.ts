// The `kubeherald` command line: kubectl-style verbs, one subcommand each.

import { Command } from 'commander';
import { registerConfig } from './config.ts';
import { registerDemo } from './demo-command.ts';
import { registerAudit } from './audit.ts';
import { registerRequests } from './requests.ts';
import { registerSilence } from './silence.ts';
import { registerDlq } from './dlq.ts';
import { registerRun } from './run.ts';
import { registerRoutes } from './routes.ts';
import { crdRouteSource } from './routes-crd.ts';
import { registerSim } from './sim.ts';
import { registerPlugin } from './plugin.ts';
import { registerChat } from './chat.ts';
import { registerVersion } from './version.ts';
import { registerDoctor } from './doctor.ts';
import { PACKAGE_VERSION } from '../app/build-info.ts';

const program = new Command()
  .name('kubeherald')
  .description('Watches Kubernetes clusters, tells people what matters where they talk, and lets them act back safely.')
  .version(PACKAGE_VERSION)
  .showHelpAfterError();

registerDemo(program);
registerRun(program);
registerChat(program);
registerSim(program);
registerPlugin(program);
registerConfig(program);
registerDlq(program);
registerAudit(program);
registerRequests(program);
registerSilence(program);
registerRoutes(program, [crdRouteSource]);
registerDoctor(program);
registerVersion(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`kubeherald: ${(err as Error).message}\n`);
  process.exit(1);
});
