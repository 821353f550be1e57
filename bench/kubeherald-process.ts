// `kubeherald run` as users run it, in a process of its own: the compiled
// build (bench/build.ts) through the pinned Node (process.execPath), a config
// file and its state database in a temporary directory (never ./.kubeherald),
// metrics on a loopback port the bench scrapes. BENCH_STATE_SYNCHRONOUS=normal
// runs it without an fsync per commit, to see what the disk costs. The same directory can be
// started again (a restart keeps its state). BENCH_KUBEHERALD_NODE_FLAGS adds
// Node flags to kubeherald's own process only (e.g. "--cpu-prof
// --cpu-prof-dir=/tmp/prof" to profile it without profiling the bench).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeheraldEntry } from './build.ts';

export interface KubeheraldProcess {
  pid: number;
  /** resolves when /readyz answers 200 */
  ready(): Promise<void>;
  /** the sum of a metric's samples, by name (all label sets); `absent` when it has none yet (else it throws) */
  metric(name: string, absent?: number): Promise<number>;
  /** the lines of /metrics whose name starts with one of `prefixes`, for a failure's message */
  metricLines(...prefixes: string[]): Promise<string>;
  /** the last 4,000 characters of its log and stderr */
  stderr(): string;
  /** SIGTERM, and resolves with its exit code once it has exited; removes its directory unless it was lent */
  stop(): Promise<number | null>;
}

/** A config and state directory kubeherald can be started in, again and again. */
export interface KubeheraldDir {
  dir: string;
  port: number;
  remove(): void;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

/** Sums the samples of one metric in Prometheus text; undefined when it has none. */
export function sumMetric(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    sum = (sum ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** `configYaml`: the config's `sinks:` (and any other) lines; state and metrics are added. */
export async function kubeheraldDir(kubeconfig: string, configYaml: string): Promise<KubeheraldDir> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-bench-'));
  const port = await freePort();
  writeFileSync(join(dir, 'kubeconfig'), kubeconfig);
  writeFileSync(join(dir, 'kubeherald.yaml'), [configYaml, `state: { path: "${join(dir, 'state.db')}"${process.env.BENCH_STATE_SYNCHRONOUS ? `, synchronous: ${process.env.BENCH_STATE_SYNCHRONOUS}` : ''} }`, `metrics: { listen: "127.0.0.1:${port}" }`, ''].join('\n'));
  return { dir, port, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A run in a directory of its own, removed when it stops; `env` carries what the config reads from the environment. */
export async function startKubeherald(kubeconfig: string, configYaml: string, env: Record<string, string> = {}): Promise<KubeheraldProcess> {
  return runKubeherald(await kubeheraldDir(kubeconfig, configYaml), env, true);
}

/** `kubeherald run` in `d`; its directory is removed at stop() only when `owned`. */
export function runKubeherald(d: KubeheraldDir, env: Record<string, string> = {}, owned = false): KubeheraldProcess {
  const { dir, port } = d;
  const entry = kubeheraldEntry();
  const extra = (process.env.BENCH_KUBEHERALD_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...entry.flags, ...extra, entry.main, 'run', '--config', join(dir, 'kubeherald.yaml'), '--kubeconfig', join(dir, 'kubeconfig')], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  // its log (stdout) and stderr, the tail kept for a failure's message
  const keep = (d: Buffer): void => void (stderr = (stderr + d.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const base = `http://127.0.0.1:${port}`;
  const died = (): Error => new Error(`kubeherald run exited early; its last output:\n${stderr}`);

  return {
    pid: child.pid!,
    async ready() {
      for (;;) {
        if (gone) throw died();
        const ok = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
        if (ok) return;
        await Promise.race([exited, new Promise((r) => setTimeout(r, 200))]);
      }
    },
    async metric(name, absent) {
      if (gone) throw died();
      const text = await (await fetch(`${base}/metrics`)).text();
      const v = sumMetric(text, name) ?? absent;
      if (v === undefined) throw new Error(`kubeherald's /metrics has no ${name}`);
      return v;
    },
    async metricLines(...prefixes) {
      if (gone) return '(exited)';
      const text = await (await fetch(`${base}/metrics`)).text();
      return text
        .split('\n')
        .filter((l) => prefixes.some((p) => l.startsWith(p)))
        .join('; ');
    },
    stderr: () => stderr,
    async stop() {
      if (!gone) child.kill('SIGTERM');
      const code = await exited;
      if (owned) d.remove();
      return code;
    },
  };
}
