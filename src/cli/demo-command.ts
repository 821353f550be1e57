// `kubeherald demo`: the command's flags; the demo itself (simulator,
// listener, pipeline) is loaded only when it runs, so other commands start
// without it.

import type { Command } from 'commander';

interface DemoFlags {
  once?: boolean;
  speed: string;
  config?: string;
  logLevel: string;
  chat?: boolean;
  as: string;
}

/** The interactive demo runs until interrupted: say how to stop it and where to go from here. */
export function demoNextSteps(): string {
  return (
    `It runs until you press Ctrl-C.\n` +
    `Next: \`npm run demo:fakes -- slack\` (in a checkout) delivers the same incidents through the real Slack, Telegram, Teams, DingTalk,\n` +
    `webhook and Elasticsearch clients to local fakes; \`kubeherald demo --chat\` answers chat commands typed here;\n` +
    `\`kubeherald run -c kubeherald.yaml\` watches a real cluster (\`kubeherald config example\` prints a config to start from,\n` +
    `\`kubeherald doctor -c kubeherald.yaml\` checks it).\n\n`
  );
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run kubeherald against the embedded simulated cluster playing every incident kind')
    .option('--once', 'play the scenario to the end, print expected vs notified, exit 0 only if every incident was notified exactly once')
    .option('--speed <factor>', 'cluster seconds per real second', '20')
    .option('-c, --config <file>', 'config file for sinks and detectors (default: one console sink)')
    .option('--log-level <level>', 'log level for kubeherald itself (stderr)', 'warn')
    .option('--chat', 'also take chat commands from the terminal (notifications go to stderr); reads stdin line by line when it is not a terminal')
    .option('--as <chat-user>', 'with --chat: the chat user typing (alice may edit namespace demo, bob may view it, mallory is not mapped)', 'alice')
    .action(async (flags: DemoFlags) => {
      const speed = Number(flags.speed);
      if (!(speed > 0)) throw new Error(`--speed: expected a positive number, got "${flags.speed}"`);
      if (flags.chat) {
        if (flags.once) throw new Error('--chat and --once cannot be combined: --once judges the notifications of a whole scenario');
        const { runDemoChat } = await import('./demo-chat.ts');
        await runDemoChat({ speed, configFile: flags.config, logLevel: flags.logLevel, as: flags.as, input: process.stdin, output: process.stdout });
        return;
      }
      const [{ runDemo }, { formatReport }, { DEMO_DURATION_MS }] = await Promise.all([import('./demo.ts'), import('../app/demo-check.ts'), import('../sim/scenarios/demo.ts')]);
      process.stderr.write(
        `kubeherald demo: a simulated 3-node cluster plays CrashLoopBackOff, OOMKilled, a bad image, pod and node NotReady,\n` +
          `an eviction, a good and a failed rollout and Warning events over ${DEMO_DURATION_MS / 60_000} cluster minutes (${speed}× speed).\n` +
          (flags.once ? '\n' : demoNextSteps()),
      );
      const run = await runDemo({ once: !!flags.once, speed, configFile: flags.config, logLevel: flags.logLevel });
      if (run.report) {
        process.stdout.write(formatReport(run.report));
        process.exitCode = run.report.ok ? 0 : 1;
      }
    });
}
