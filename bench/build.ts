// Which kubeherald the benches start: the compiled build users run (dist/,
// what the published package and the image hold) unless BENCH_FROM_SOURCE=1
// asks for the TypeScript sources. Type stripping costs start-up time and
// memory a user never pays, so a figure from the sources is not the
// product's. A build older than any source file is rebuilt first
// (`npm run build`), so a bench never measures stale code.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const SRC = join(ROOT, 'src');
const BUILD_INFO = join(ROOT, 'dist', 'build-info.json');

export interface Entry {
  /** the file `node` runs */
  main: string;
  /** 'build' (dist/) or 'source' (src/, types stripped) */
  kind: 'build' | 'source';
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

/** Pure: a build is stale when it is missing or older than a source. */
export function buildIsStale(buildMtime: number | undefined, newestSource: number): boolean {
  return buildMtime === undefined || buildMtime < newestSource;
}

let built: Entry | undefined;

/** The entry point to run; builds dist/ once per bench process when it is missing or stale. */
export function kubeheraldEntry(env: NodeJS.ProcessEnv = process.env): Entry {
  if (env.BENCH_FROM_SOURCE === '1') return { main: join(SRC, 'cli', 'main.ts'), kind: 'source' };
  if (built) return built;
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
  built = { main: join(ROOT, 'dist', 'cli', 'main.js'), kind: 'build' };
  return built;
}
