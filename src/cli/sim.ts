// `kubeherald sim`: the simulated cluster on a port, with a kubeconfig for
// kubectl, until Ctrl-C.

import { resolve } from 'node:path';
import type { Command } from 'commander';
import pino from 'pino';

interface SimFlags {
  port: string;
  host: string;
  kubeconfigOut: string;
  scenario: string[];
  speed: string;
  nodes: string;
  dropWatchesEvery?: string;
  latency?: string;
  emptyWatches?: string;
  accessLog?: boolean;
  user: string[];
}

function intFlag(name: string, value: string, min = 0): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer ≥ ${min}, got "${value}"`);
  return n;
}

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('run the simulated Kubernetes API server (kubectl and client libraries work against it)')
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', '6443')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--kubeconfig-out <file>', 'where to write the kubeconfig', './kubeherald-sim.kubeconfig')
    .option('-s, --scenario <name>', 'start a scenario (repeatable): crashloop, oom, bad-image, node-notready, pod-notready, evicted, rollout, rollout-failed, crashloop-deployment, background, storm', collect, [])
    .option('--speed <factor>', 'cluster clock speed: virtual seconds per real second', '1')
    .option('--nodes <n>', 'simulated nodes', '3')
    .option('--drop-watches-every <seconds>', 'fault: close every open watch this often')
    .option('--latency <ms>', 'fault: added latency per request')
    .option('--empty-watches <resource>', 'fault: every watch of this resource (plural, e.g. events; * for all) ends at once with no events')
    .option('--user <name[:group,group]>', 'an extra user with a token and kubeconfig context (repeatable)', collect, [])
    .option('--access-log', 'log every request as a JSON line on stderr')
    .action(async (flags: SimFlags) => {
      const log = pino({ name: 'kubeherald-sim' }, pino.destination(2));
      const kubeconfigPath = resolve(flags.kubeconfigOut);
      const users = flags.user.map((u) => {
        const [name, groups] = u.split(':');
        if (!name) throw new Error(`--user: expected name[:group,group], got "${u}"`);
        return { name, groups: groups ? groups.split(',') : [] };
      });
      const { startSim } = await import('../sim/sim.ts');
      const sim = await startSim({
        port: intFlag('port', flags.port),
        host: flags.host,
        kubeconfigPath,
        clockSpeed: Number(flags.speed),
        nodes: intFlag('nodes', flags.nodes, 1),
        users,
        faults: {
          dropWatchesEverySeconds: flags.dropWatchesEvery ? intFlag('drop-watches-every', flags.dropWatchesEvery, 1) : undefined,
          latencyMs: flags.latency ? intFlag('latency', flags.latency) : undefined,
          emptyWatchesOf: flags.emptyWatches,
        },
        // the entry also carries bodies (for audit): the access log names the request only
        onRequest: flags.accessLog ? (e) => log.info({ method: e.method, path: e.path, user: e.user, verb: e.verb, status: e.status }, 'request') : undefined,
      });
      for (const name of flags.scenario) {
        if (!sim.scenarios.names().includes(name)) {
          await sim.close();
          throw new Error(`--scenario: unknown scenario "${name}"; known: ${sim.scenarios.names().join(', ')}`);
        }
        sim.scenarios.start(name);
      }
      process.stdout.write(
        [
          `kubeherald sim: Kubernetes API at ${sim.url}`,
          `kubeconfig written to ${kubeconfigPath}`,
          '',
          'Try:',
          `  export KUBECONFIG=${kubeconfigPath}`,
          '  kubectl get nodes',
          '  kubectl get pods -A -w',
          '',
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
      const stop = async (): Promise<void> => {
        await sim.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
