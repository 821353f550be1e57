// `kubeherald config validate FILE` and `kubeherald config example`: check a
// config file before deploying it, and start one from the documented example.

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { type ConfigIssue, ConfigError, formatIssue, loadConfig } from '../config/index.ts';

export const EXAMPLE_CONFIG_PATH = fileURLToPath(new URL('../../examples/kubeherald.yaml', import.meta.url));

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Validates one file on its own (no environment or flags): prints each
 * warning (a route matching a reason nothing gives …) to stderr, then
 * `FILE: valid (N sinks, M detectors enabled)`, and returns 0; or prints
 * every issue, one per line, and returns 1. With `strict`, warnings are
 * issues.
 */
export async function validateConfigFile(file: string, io: Io, opts: { strict?: boolean } = {}): Promise<number> {
  try {
    const warnings: ConfigIssue[] = [];
    const cfg = await loadConfig({ file, env: {}, strict: opts.strict, onWarning: (w) => void warnings.push(w) });
    const enabled = Object.values(cfg.detectors).filter((d) => d.enabled).length;
    io.stderr.write(warnings.map((w) => `${formatIssue(w)}\n`).join(''));
    const noted = warnings.length ? `, ${plural(warnings.length, 'warning')}` : '';
    io.stdout.write(`${file}: valid (${plural(cfg.sinks.length, 'sink')}, ${plural(enabled, 'detector')} enabled${noted})\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr.write(err.issues.map((i) => `${formatIssue(i)}\n`).join(''));
    return 1;
  }
}

export async function exampleConfig(): Promise<string> {
  return readFile(EXAMPLE_CONFIG_PATH, 'utf8');
}

export function registerConfig(program: Command): void {
  const config = program.command('config').description('check a configuration file, or print a documented example');
  config
    .command('validate')
    .description('validate a config file: every problem with its line, exit status 1 if any (warnings too with --strict)')
    .argument('<file>', 'the YAML config file')
    .option('--strict', 'warnings are errors: a route matching a reason, kind or detector that nothing produces, or a config sink name that may be a ClusterSink')
    .action(async (file: string, flags: { strict?: boolean }) => {
      process.exitCode = await validateConfigFile(file, { stdout: process.stdout, stderr: process.stderr }, { strict: flags.strict });
    });
  config
    .command('example')
    .description('print an example config file with every key explained (defaults shown)')
    .action(async () => {
      process.stdout.write(await exampleConfig());
    });
}
