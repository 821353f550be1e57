// `kubeherald doctor`: the installation checked against its config and
// cluster; a table (or -o json) and exit 1 when any check failed.

import type { Command } from 'commander';
import { clustersOf, loadConfig } from '../config/index.ts';
import { applyWebhookOverrides } from '../sinks/webhook/config.ts';
import { type CommonFlags, configFlags, withConfigFlags } from './run.ts';

export function registerDoctor(program: Command): void {
  withConfigFlags(program.command('doctor').description('check the installation: API server and clock, RBAC, CRDs, sink credentials, state database, audit certificate'))
    .option('-o, --output <format>', 'table or json', 'table')
    .option('--send-test', 'also send a test message where a sink has no harmless check (webhook, Teams, DingTalk)')
    .action(async (flags: CommonFlags & { output: string; sendTest?: boolean }) => {
      if (flags.output !== 'table' && flags.output !== 'json') throw new Error(`--output: expected table or json, got "${flags.output}"`);
      const loaded = await loadConfig({ file: flags.config, env: process.env, flags: configFlags(flags) });
      const { config, env } = applyWebhookOverrides(loaded, process.env, { url: flags.url, secret: flags.secret });
      const [{ runDoctor, formatDoctor, doctorExitCode }, { clusterKubeConfig }, { KubeConfig }] = await Promise.all([import('../app/doctor.ts'), import('../cluster/connect.ts'), import('@kubernetes/client-node')]);
      // each cluster's KubeConfig on its own: one that cannot be loaded is a failed check of that cluster, not the end of doctor
      const clusters = clustersOf(config).map((c) => {
        try {
          return { name: c.name, kc: clusterKubeConfig(c) };
        } catch (err) {
          if (clustersOf(config).length === 1) throw err;
          return { name: c.name, error: (err as Error).message };
        }
      });
      // the home cluster without a kubeconfig: its checks say why; nothing else reads this one
      const home = clusters[0].kc ?? new KubeConfig();
      const results = await runDoctor({ config, kc: home, clusters, env, sendTest: !!flags.sendTest });
      process.stdout.write(flags.output === 'json' ? `${JSON.stringify({ ok: doctorExitCode(results) === 0, checks: results }, null, 2)}\n` : formatDoctor(results));
      process.exitCode = doctorExitCode(results);
    });
}
