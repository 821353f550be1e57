// `npm run build`: the package as it is published. tsc compiles src/ into
// dist/ (relative `.ts` imports rewritten to `.js`, since Node does not strip
// types under node_modules); the generated protobuf code is JavaScript
// already and is copied as is; dist/build-info.json records the commit built,
// for `kubeherald version`.

import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
// tsc from this project's node_modules, with the Node running this script
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

/** Files under dir (recursively) that tsc does not emit but the program loads. */
function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return jsFiles(p);
    return e.name.endsWith('.js') ? [p] : [];
  });
}
const src = join(root, 'src');
const copied = jsFiles(src);
for (const file of copied) cpSync(file, join(dist, relative(src, file)));

let commit: string | undefined;
try {
  commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
} catch {
  // not a git checkout (a source tarball): the version says "unknown"
}
writeFileSync(join(dist, 'build-info.json'), `${JSON.stringify({ ...(commit ? { commit } : {}), builtAt: new Date().toISOString() }, null, 2)}\n`);
console.log(`built dist/ (${copied.length} generated files copied${commit ? `, commit ${commit.slice(0, 12)}` : ''})`);
