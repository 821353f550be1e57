// `kubeherald version`: the version, the Node running it and the commit built.

import type { Command } from 'commander';
import { buildInfo } from '../app/build-info.ts';

export function registerVersion(program: Command): void {
  program
    .command('version')
    .description('print the kubeherald version, the Node.js version and the git commit built (when known)')
    .option('-o, --output <format>', 'text or json', 'text')
    .action((flags: { output: string }) => {
      if (flags.output !== 'text' && flags.output !== 'json') throw new Error(`--output: expected text or json, got "${flags.output}"`);
      const info = buildInfo({ commit: true });
      if (flags.output === 'json') {
        process.stdout.write(`${JSON.stringify(info)}\n`);
        return;
      }
      process.stdout.write(`kubeherald ${info.version}\nnode ${info.node}\ncommit ${info.commit ?? 'unknown'}\n`);
    });
}
