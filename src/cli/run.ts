// `kubeherald run`: watch a cluster and notify every configured sink, until
// SIGINT/SIGTERM. A bad config stops it before it touches the cluster.

import type { Command } from 'commander';
import { createLogger } from '../app/log.ts';
import { clustersOf, type ConfigFlags, type ConfigIssue, formatIssue, loadConfig } from '../config/index.ts';
import { applyWebhookOverrides } from '../sinks/webhook/config.ts';
import { resolveLeaderElection } from '../cluster/leader-election-config.ts';

export interface CommonFlags {
  config?: string;
  kubeconfig?: string;
  context?: string;
  clusterName?: string;
  namespace: string[];
  excludeNamespace: string[];
  logLevel?: string;
  url: string[];
  secret?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The flags `run` shares with other commands that read the config. */
export function withConfigFlags(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'config file (YAML); see `kubeherald config example`')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster)')
    .option('--context <name>', 'kubeconfig context')
    .option('--cluster-name <name>', 'cluster name shown in notifications')
    .option('-n, --namespace <glob>', 'only this namespace (glob; repeatable)', collect, [])
    .option('--exclude-namespace <glob>', 'never this namespace (glob; repeatable)', collect, [])
    .option('--log-level <level>', 'trace, debug, info, warn or error')
    .option('--url <url>', 'webhook sink URL (repeatable; replaces KUBEHERALD_WEBHOOKS and the config\'s urls)', collect, [])
    .option('--secret <secret>', 'webhook signing secret (overrides KUBEHERALD_WEBHOOK_SECRET)');
}

export function configFlags(f: CommonFlags): Partial<ConfigFlags> {
  const out: Partial<ConfigFlags> = {};
  if (f.kubeconfig) out.kubeconfig = f.kubeconfig;
  if (f.context) out.context = f.context;
  if (f.clusterName) out.clusterName = f.clusterName;
  if (f.namespace.length) out.namespace = f.namespace;
  if (f.excludeNamespace.length) out.excludeNamespace = f.excludeNamespace;
  if (f.logLevel) out.logLevel = f.logLevel;
  return out;
}

export function registerRun(program: Command): void {
  const run = withConfigFlags(program.command('run').description('watch a cluster and send notifications to the configured sinks'))
    .option('--strict', 'refuse to start on a config warning (a route matching a reason, kind or detector that nothing produces); leave such Route custom resources out')
    .option('--grace-period <seconds>', 'on SIGTERM/SIGINT, how long the deliveries in flight may take to finish before kubeherald exits anyway (keep it below the pod\'s terminationGracePeriodSeconds)', '25');
  run.action(async (flags: CommonFlags & { strict?: boolean; gracePeriod: string }) => {
    const graceSeconds = Number(flags.gracePeriod);
    if (!(graceSeconds > 0)) throw new Error(`--grace-period: expected a positive number of seconds, got "${flags.gracePeriod}"`);
    const warnings: ConfigIssue[] = [];
    const loaded = await loadConfig({ file: flags.config, env: process.env, flags: configFlags(flags), strict: flags.strict, onWarning: (w) => void warnings.push(w) });
    // the webhook URL/secret flags and variables; the secret travels in env, never in the config
    const { config, env } = applyWebhookOverrides(loaded, process.env, { url: flags.url, secret: flags.secret });
    const log = createLogger('kubeherald', config.log.level, config.log.format);
    for (const w of warnings) log.warn({ file: w.file, ...(w.line !== undefined ? { line: w.line } : {}), path: w.path }, `config: ${formatIssue(w)}`);
    // loaded here, not at the top: every other command (a plugin process above all) starts faster without the Kubernetes client
    const [{ startHerald }, { loadClusterKubeConfigs }] = await Promise.all([import('../app/herald.ts'), import('../cluster/connect.ts')]);
    // every cluster's KubeConfig before anything starts: a missing file or context is a config error, named
    const clusters = clustersOf(config);
    const kcs = loadClusterKubeConfigs(clusters);
    const kc = kcs.get(clusters[0].name)!;
        let stopping = false;
    let ready = false;
    // a lost Lease stops the process as a signal would, but exits 1: Kubernetes starts it again, as a standby
    const stop = async (signal: string, code = 0): Promise<void> => {
      if (stopping) return;
      stopping = true;
      if (!ready) {
        // still starting (waiting for the API server, a lock, a sink's check): nothing is in flight yet, and the outbox is durable
        log.info({ signal }, 'stopped during start-up');
        process.exit(1);
      }
      log.info({ signal, gracePeriodSeconds: graceSeconds }, 'stopping: finishing the deliveries in flight');
      // a send that hangs past the grace period is abandoned: it stays in flight in the state database and goes out again after the restart
      try {
        const report = await (await started).stop();
        if (report.cut.length) {
          log.warn({ gracePeriodSeconds: graceSeconds, cut: report.cut }, 'deliveries still in flight at the end of the grace period; they are sent again after the next start');
          process.exit(1);
        }
      } catch {
        process.exit(1);
      }
      log.info('stopped');
      process.exit(code);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
    log.info({ clusters: clusters.map((c) => c.name) }, 'starting');
    const started = startHerald({
      config,
      kc,
      kcs,
      log,
      env,
      ...(flags.strict ? { strict: true } : {}),
      graceMs: graceSeconds * 1000,
      // replicas sharing a state database elect one leader (leaderElection.enabled auto: when state.url is set)
      election: resolveLeaderElection(config.leaderElection, { kc, stateUrl: config.state.url, customResourcesNamespace: config.customResources.namespace, env: process.env }),
      onLeadershipLost: () => void stop('lost leadership', 1),
      // the tracker has moved past what the database holds: a restart re-derives it from the cluster
      onFatal: () => process.exit(1),
    });
    await started;
    ready = true;
  });
}
