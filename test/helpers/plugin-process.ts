// `kubeherald plugin <type>` as a real OS process: spawned with the pinned
// Node, its bound address read from its "plugin listening" log line.

import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

export interface PluginProcess {
  proc: ChildProcess;
  /** host:port it serves on */
  address: string;
  /** every log line it wrote (JSON, parsed) */
  logs: Record<string, unknown>[];
  /** resolves with the exit code (or signal name) */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

export async function spawnPlugin(type: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<PluginProcess> {
  const proc = spawn(process.execPath, [MAIN, 'plugin', type, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  let stderr = '';
  const address = new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: proc.stderr! });
    rl.on('line', (line) => {
      stderr += line + '\n';
      try {
        const o = JSON.parse(line) as Record<string, unknown>;
        logs.push(o);
        if (o.msg === 'plugin listening') resolve(String(o.address));
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => reject(new Error(`plugin ${type} exited (${code}) before listening:\n${stderr}`)));
  });
  proc.stdout!.resume();
  const p: PluginProcess = {
    proc,
    address: await address,
    logs,
    exited,
    async kill(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
  return p;
}

/** Waits until `done()` holds: state that other processes change has no event here to await, so it is checked every few ms. */
export async function until(done: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!done()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(5);
  }
}
