// Which kubeherald the benches start: the compiled build users run (dist/,
// what the published package and the image hold) unless BENCH_FROM_SOURCE=1
// asks for the TypeScript sources. Type stripping costs start-up time and
// memory a user never pays, so a figure from the sources is not the
// product's. A build older than any source file is rebuilt first
// (`npm run build`), so a bench never measures stale code.
// BENCH_BUILD=<commit> (e.g. HEAD) builds that commit instead, in a
// directory of its own under the temp dir (kept for the next bench): what a
// shared working tree holds mid-edit does not get in the way, and two
// commits can be measured one after the other.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const SRC = join(ROOT, 'src');
const BUILD_INFO = join(ROOT, 'dist', 'build-info.json');

export interface Entry {
  /** the file `node` runs */
  main: string;
  /** Node's flags from bin/kubeherald.js's shebang: the process users run has them */
  flags: string[];
  /** 'build' (dist/), 'build <commit>' (BENCH_BUILD) or 'source' (src/, types stripped) */
  kind: string;
}

/** The newest modification time (ms) of the files under dir. */
export function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Pure: the Node flags of a `#!/usr/bin/env -S node <flags>` line; none for a plain `#!/usr/bin/env node`. */
export function shebangFlags(line: string): string[] {
  const m = /^#!\/usr\/bin\/env\s+(?:-S\s+)?node(?:\s+(.*))?$/.exec(line.trim());
  if (!m) throw new Error(`bin/kubeherald.js: not a node shebang: ${line}`);
  return (m[1] ?? '').split(/\s+/).filter(Boolean);
}

const flagsOf = (root: string): string[] => shebangFlags(readFileSync(join(root, 'bin', 'kubeherald.js'), 'utf8').split('\n')[0]);

/** Pure: a build is stale when it is missing or older than a source. */
export function buildIsStale(buildMtime: number | undefined, newestSource: number): boolean {
  return buildMtime === undefined || buildMtime < newestSource;
}

let built: Entry | undefined;

/** The entry point to run; builds dist/ once per bench process when it is missing or stale. */
export function kubeheraldEntry(env: NodeJS.ProcessEnv = process.env): Entry {
  if (env.BENCH_FROM_SOURCE === '1') return { main: join(SRC, 'cli', 'main.ts'), flags: flagsOf(ROOT), kind: 'source' };
  if (built) return built;
  if (env.BENCH_BUILD) return (built = commitBuild(env.BENCH_BUILD));
  const buildMtime = existsSync(BUILD_INFO) ? statSync(BUILD_INFO).mtimeMs : undefined;
  if (buildIsStale(buildMtime, newestMtime(SRC))) {
    process.stderr.write('bench: dist/ is missing or older than src/: npm run build\n');
    try {
      execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    } catch (err) {
      // tsc names the errors on stdout
      const out = `${(err as { stdout?: string }).stdout ?? ''}`.trim().split('\n').slice(0, 5).join('\n');
      throw new Error(`npm run build failed; fix the build or run the sources with BENCH_FROM_SOURCE=1:\n${out}`);
    }
  }
  built = { main: join(ROOT, 'dist', 'cli', 'main.js'), flags: flagsOf(ROOT), kind: 'build' };
  return built;
}

/** `rev` exported with git archive and built in a directory of its own (reused when it was built before). */
function commitBuild(rev: string): Entry {
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  let sha: string;
  try {
    sha = git('rev-parse', '--verify', `${rev}^{commit}`);
  } catch {
    throw new Error(`BENCH_BUILD=${rev}: not a commit`);
  }
  const dir = join(tmpdir(), `kubeherald-bench-build-${sha.slice(0, 12)}`);
  const main = join(dir, 'dist', 'cli', 'main.js');
  if (!existsSync(join(dir, 'dist', 'build-info.json'))) {
    process.stderr.write(`bench: building ${rev} (${sha.slice(0, 12)}) in ${dir}\n`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git archive ${sha} src scripts bin package.json tsconfig.json tsconfig.build.json | tar -x -C "${dir}"`], { cwd: ROOT });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    try {
      execFileSync(process.execPath, [join(dir, 'scripts', 'build.ts')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    } catch (err) {
      const out = `${(err as { stdout?: string }).stdout ?? ''}`.trim().split('\n').slice(0, 5).join('\n');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`BENCH_BUILD=${rev}: the build failed:\n${out}`);
    }
  }
  return { main, flags: flagsOf(dir), kind: `build ${sha.slice(0, 12)}` };
}
