// What build is running: the package's version, the Node running it, and the
// commit it was built from when known (dist/build-info.json, written by
// `npm run build`; in a checkout, git's HEAD). `kubeherald version` prints
// it and /metrics exports it as kubeherald_build_info.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface BuildInfo {
  version: string;
  node: string;
  /** the git commit built, when known */
  commit?: string;
}

// src/app/ and dist/app/ are both two levels below the package root
const root = new URL('../../', import.meta.url);

export const PACKAGE_VERSION: string = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string }).version;

function commitBuilt(): string | undefined {
  try {
    const info = JSON.parse(readFileSync(new URL('../build-info.json', import.meta.url), 'utf8')) as { commit?: unknown };
    if (typeof info.commit === 'string' && info.commit) return info.commit;
  } catch {
    // not a build: a checkout, or a build made without git
  }
  if (!existsSync(new URL('.git', root))) return undefined;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: fileURLToPath(root), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The version and Node; the commit only with `commit: true` (it may run git). */
export function buildInfo(opts: { commit?: boolean } = {}): BuildInfo {
  const out: BuildInfo = { version: PACKAGE_VERSION, node: process.version };
  if (opts.commit) {
    const commit = commitBuilt();
    if (commit) out.commit = commit;
  }
  return out;
}
