// Runs the real kubectl binary against a simulator, with its own discovery
// cache so tests never see each other's (or the user's) cached API lists.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Kubectl {
  readonly kubeconfigPath: string;
  readonly cacheDir: string;

  constructor(kubeconfig: string) {
    const dir = mkdtempSync(join(tmpdir(), 'kubeherald-kubectl-'));
    this.kubeconfigPath = join(dir, 'kubeconfig');
    this.cacheDir = join(dir, 'cache');
    writeFileSync(this.kubeconfigPath, kubeconfig, { mode: 0o600 });
  }

  #args(args: string[]): string[] {
    return ['--kubeconfig', this.kubeconfigPath, '--cache-dir', this.cacheDir, ...args];
  }

  /** Runs kubectl to completion; never throws on a non-zero exit. */
  run(args: string[], input?: string, timeoutMs = 60_000): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const child = execFile('kubectl', this.#args(args), { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err && typeof (err as NodeJS.ErrnoException).code === 'string') return reject(err);
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
      if (input !== undefined) child.stdin!.end(input);
    });
  }

  /** Runs kubectl and fails the test with its stderr unless it exits 0. */
  async ok(args: string[], input?: string): Promise<string> {
    const r = await this.run(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  /** Starts a long-running kubectl (e.g. get -w); the caller kills it. */
  spawn(args: string[]): ChildProcess {
    return spawn('kubectl', this.#args(args), { stdio: ['ignore', 'pipe', 'pipe'] });
  }
}

/** Resolves with everything a process printed once `predicate` holds for its stdout. */
export function waitForOutput(child: ChildProcess, predicate: (out: string) => boolean): Promise<string> {
  const p = new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (predicate(out)) resolve(out);
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`process exited (${code}) before the expected output:\n${out}\n${err}`)));
  });
  // a test that fails first and kills the process must not leave an unhandled rejection behind
  p.catch(() => {});
  return p;
}

/** An expected answer of `kubectl auth can-i <args…> --as <user>`: the args, then "yes" or "no". */
export type CanICheck = [args: string[], answer: 'yes' | 'no'];

/**
 * Asks `kubectl auth can-i` every check as `as` (in parallel) and returns
 * the checks answered otherwise, each as "<args> → <answer>", so one
 * assert.deepEqual against [] names every wrong answer at once.
 */
export async function wrongCanI(kubectl: Kubectl, as: string, checks: readonly CanICheck[]): Promise<string[]> {
  const answers = await Promise.all(checks.map(async ([args]) => (await kubectl.run(['auth', 'can-i', ...args, '--as', as])).stdout.trim()));
  return checks.flatMap(([args, want], i) => (answers[i] === want ? [] : [`${args.join(' ')} → ${answers[i] || '(no answer)'}, expected ${want}`]));
}

/** Repeats a kubectl read until it yields a value (a simulator's clock runs fast, so this is quick; the test's timeout bounds it). */
export async function pollKubectl<T>(read: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    await new Promise((r) => setImmediate(r));
  }
}
