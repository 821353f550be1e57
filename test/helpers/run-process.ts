// `kubeherald run` as a child process, for tests that kill it: resolves
// `listening` once it logged so, and rejects it if the process exits first.

import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const bin = join(import.meta.dirname, '../../bin/kubeherald.js');

export interface RunProcess {
  child: ChildProcess;
  /** how it ended: the signal, else the exit code */
  exited: Promise<NodeJS.Signals | number | null>;
  /** resolves once it logged "listening"; rejects if it exits before */
  listening: Promise<void>;
  /** its stderr (the JSON log) so far */
  err(): string;
  /** resolves at the first log line matching */
  logged(pattern: RegExp): Promise<void>;
}

export function spawnRun(args: string[], env: NodeJS.ProcessEnv = process.env): RunProcess {
  const child = spawn(process.execPath, [bin, 'run', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of [...waiters]) {
      if (!w.pattern.test(stderr)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const exited = new Promise<NodeJS.Signals | number | null>((r) => child.on('exit', (code, signal) => r(signal ?? code)));
  const logged = (pattern: RegExp): Promise<void> => (pattern.test(stderr) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ pattern, resolve })));
  // a process that dies before it listens must fail the test, not hang it
  const listening = Promise.race([logged(/"msg":"listening"/), exited.then((how) => Promise.reject(new Error(`kubeherald run exited (${how}) before it listened:\n${stderr}`)))]);
  listening.catch(() => undefined);
  return { child, exited, listening, err: () => stderr, logged };
}
