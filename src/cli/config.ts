// `kubeherald config validate FILE` and `kubeherald config example`: check a
// config file before deploying it, and start one from the documented example.

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ConfigError, formatIssue, loadConfig } from '../config/index.ts';

export const EXAMPLE_CONFIG_PATH = fileURLToPath(new URL('../../examples/kubeherald.yaml', import.meta.url));

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Validates one file on its own (no environment or flags): prints
 * `FILE: valid (N sinks, M detectors enabled)` and returns 0, or prints
 * every issue, one per line, and returns 1.
 */
export async function validateConfigFile(file: string, io: Io): Promise<number> {
  try {
    const cfg = await loadConfig({ file, env: {} });
    const enabled = Object.values(cfg.detectors).filter((d) => d.enabled).length;
    io.stdout.write(`${file}: valid (${plural(cfg.sinks.length, 'sink')}, ${plural(enabled, 'detector')} enabled)\n`);
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
    .description('validate a config file: every problem with its line, exit status 1 if any')
    .argument('<file>', 'the YAML config file')
    .action(async (file: string) => {
      process.exitCode = await validateConfigFile(file, { stdout: process.stdout, stderr: process.stderr });
    });
  config
    .command('example')
    .description('print an example config file with every key explained (defaults shown)')
    .action(async () => {
      process.stdout.write(await exampleConfig());
    });
}
