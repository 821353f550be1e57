// `npm run test:loaded [-- [--load node|stress-ng] [--workers N] [ARGS…]]`:
// the suite exactly as `npm test` runs it (ARGS appended as to `npm test`),
// while another process keeps every core busy, so a test that only passes
// on an idle machine fails here rather than in someone's CI. The load is
// `stress-ng --cpu N` when it is installed, else N busy loops in Node; each
// load process is a child on an IPC channel and ends when that channel
// closes, so the load stops when the tests end, fail, are interrupted, or
// this script itself is killed (and in any case after MAX_LOAD_SECONDS).

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const WORKER_FLAG = '--load-worker';
/** a bound on any load process, whatever happens to this script */
export const MAX_LOAD_SECONDS = 3 * 3600;
/** a busy loop yields this often, so it hears its parent go away */
const SLICE_MS = 50;

export type LoadKind = 'stress-ng' | 'node';

export interface LoadedRun {
  /** the test command's exit status (1 when it died of a signal) */
  code: number;
  load: LoadKind;
  workers: number;
  /** how long the test command ran */
  ms: number;
}

export interface LoadedOptions {
  /** the command under load and its arguments (default: `npm test`) */
  command?: string;
  args?: string[];
  /** load processes (default: one per core) */
  workers?: number;
  /** default: stress-ng when it is on PATH, else node */
  load?: LoadKind;
  /** progress lines (default: stderr) */
  log?: (line: string) => void;
  /** called with the load processes' pids once they all run (tests check they are gone afterwards) */
  onLoad?: (pids: number[]) => void;
  /** called with the test command's process once started (main forwards signals to it) */
  onTests?: (child: ChildProcess) => void;
}

export function hasStressNg(): boolean {
  return spawnSync('stress-ng', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** `npm test` as npm itself would run it: the npm that runs this script when there is one. */
export function npmTest(args: string[], env: NodeJS.ProcessEnv = process.env): { command: string; args: string[] } {
  const extra = args.length ? ['--', ...args] : [];
  const cli = env.npm_execpath;
  return cli && /\.c?js$/.test(cli) ? { command: process.execPath, args: [cli, 'test', ...extra] } : { command: 'npm', args: ['test', ...extra] };
}

/** Starts the load processes; resolves once each one runs. */
async function startLoad(kind: LoadKind, workers: number): Promise<ChildProcess[]> {
  const self = fileURLToPath(import.meta.url);
  // stress-ng gets one watchdog child for all its workers; the node load is one busy child per core
  const children = kind === 'stress-ng' ? [spawn(process.execPath, [self, WORKER_FLAG, 'stress-ng', String(workers)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })] : Array.from({ length: workers }, () => spawn(process.execPath, [self, WORKER_FLAG, 'node'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve, reject) => {
          c.once('message', () => resolve());
          c.once('exit', (code, signal) => reject(new Error(`a load process exited before it started (${signal ?? code})`)));
        }),
    ),
  );
  return children;
}

/** Stops the load processes and waits until they are gone. */
async function stopLoad(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (c) => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      // closing the channel is the worker's signal to stop; SIGTERM as well, in case it is mid-slice
      if (c.connected) c.disconnect();
      c.kill('SIGTERM');
      await exited;
    }),
  );
}

/** Runs the test command while the load runs; the load is stopped whatever the outcome. */
export async function runLoaded(opts: LoadedOptions = {}): Promise<LoadedRun> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const load = opts.load ?? (hasStressNg() ? 'stress-ng' : 'node');
  const workers = opts.workers ?? availableParallelism();
  const { command, args } = opts.command ? { command: opts.command, args: opts.args ?? [] } : npmTest(opts.args ?? []);
  const children = await startLoad(load, workers);
  try {
    opts.onLoad?.(children.map((c) => c.pid!));
    log(`test:loaded: ${workers} core${workers === 1 ? '' : 's'} kept busy by ${load === 'stress-ng' ? `stress-ng --cpu ${workers}` : `${workers} node busy loop${workers === 1 ? '' : 's'}`}; running ${[command, ...args].join(' ')}`);
    const t0 = performance.now();
    const tests = spawn(command, args, { stdio: 'inherit' });
    opts.onTests?.(tests);
    const code = await new Promise<number>((resolve) => {
      tests.once('error', (err) => {
        log(`test:loaded: cannot run ${command}: ${err.message}`);
        resolve(127);
      });
      tests.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    });
    const ms = performance.now() - t0;
    log(`test:loaded: exit status ${code} after ${(ms / 1000).toFixed(1)} s under load`);
    return { code, load, workers, ms };
  } finally {
    await stopLoad(children);
  }
}

// ------------------------------------------------------------------ workers

function busyNode(): void {
  const until = Date.now() + MAX_LOAD_SECONDS * 1000;
  let sink = 0;
  const slice = (): void => {
    if (Date.now() > until) process.exit(0);
    const end = performance.now() + SLICE_MS;
    while (performance.now() < end) sink = (sink + Math.sqrt(sink + 1)) % 1e9;
    setImmediate(slice);
  };
  process.send!('running');
  slice();
}

function stressNg(workers: number): void {
  // its own process group, so its workers go with it
  const stress = spawn('stress-ng', ['--cpu', String(workers), '--timeout', `${MAX_LOAD_SECONDS}s`, '--quiet'], { stdio: 'ignore', detached: true });
  const stop = (): void => {
    try {
      process.kill(-stress.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  process.on('disconnect', () => {
    stop();
    process.exit(0);
  });
  process.on('SIGTERM', () => {
    stop();
    process.exit(0);
  });
  stress.once('spawn', () => process.send!('running'));
  stress.once('exit', (code) => process.exit(code ?? 0));
}

function worker(kind: string, workers: number): void {
  if (kind === 'stress-ng') return stressNg(workers);
  // the parent is gone (tests ended, or it was killed): so is the reason to burn a core
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  busyNode();
}

/** `--name value` / `--name=value` options of `names` at the start of argv; everything after goes to the tests as it is. */
export function leadingOptions(argv: readonly string[], names: readonly string[]): { values: Record<string, string | undefined>; rest: string[] } {
  const values: Record<string, string | undefined> = {};
  let i = 0;
  for (; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m || !names.includes(m[1])) break;
    if (m[2] !== undefined) values[m[1]] = m[2];
    else if (i + 1 < argv.length) values[m[1]] = argv[++i];
    else throw new Error(`--${m[1]}: expected a value`);
  }
  return { values, rest: argv.slice(i) };
}

/**
 * `test-loaded [--load node|stress-ng] [--workers N] [ARGS…]`: ARGS go to
 * `npm test -- ARGS`. On SIGINT/SIGTERM the tests get the signal, the load
 * stops, and the exit status is 130. `opts` replaces the command (tests).
 */
export async function main(argv: string[], opts: Pick<LoadedOptions, 'command' | 'args' | 'onLoad' | 'log'> = {}): Promise<number> {
  const { values, rest: positionals } = leadingOptions(argv, ['load', 'workers']);
  const load = values.load;
  if (load !== undefined && load !== 'node' && load !== 'stress-ng') throw new Error(`--load: expected node or stress-ng, got ${JSON.stringify(load)}`);
  if (load === 'stress-ng' && !hasStressNg()) throw new Error('--load stress-ng: stress-ng is not installed (apt-get install stress-ng), or leave --load out for the node busy loop');
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1)) throw new Error(`--workers: expected a whole number ≥ 1, got ${JSON.stringify(values.workers)}`);
  let tests: ChildProcess | undefined;
  let interrupted: NodeJS.Signals | undefined;
  const forward = (signal: NodeJS.Signals): void => {
    // ctrl-C reaches the whole process group; a kill of this script alone still has to end the tests
    interrupted = signal;
    tests?.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    const args = opts.command ? opts.args : positionals;
    const r = await runLoaded({ ...opts, args, ...(load ? { load } : {}), ...(workers ? { workers } : {}), onTests: (c) => (tests = c) });
    return interrupted ? 130 : r.code;
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}

if (process.argv[2] === WORKER_FLAG) worker(process.argv[3], Number(process.argv[4] ?? 1));
else if (import.meta.main) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`test:loaded: ${(err as Error).message}\n`);
    process.exitCode = 2;
  }
}
