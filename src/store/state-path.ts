// Where the state database may live: a directory that exists or can be
// created, on a real file system (not /proc, /sys or /dev, where creating
// it fails in ways a recursive mkdir retries forever). Checked by `config
// validate` and before `run` opens the database.

import { accessSync, constants, mkdirSync, statfsSync, statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';

// statfs f_type of pseudo file systems (linux/magic.h)
const PSEUDO_FS: Record<number, string> = {
  0x9fa0: 'proc',
  0x62656572: 'sysfs',
  0x1cd1: 'devpts',
  0x64626720: 'debugfs',
  0x73636673: 'securityfs',
  0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2',
  0x6e736673: 'nsfs',
  0xcafe4a11: 'bpf',
};
const PSEUDO_DIRS = ['/proc', '/sys', '/dev'];

/** The nearest ancestor of `dir` (itself included) that exists. */
function nearestExisting(dir: string): string {
  let d = dir;
  for (;;) {
    try {
      statSync(d);
      return d;
    } catch {
      const up = dirname(d);
      if (up === d) return d;
      d = up;
    }
  }
}

/** Why the database cannot live at `path` (a file path), or undefined when it can. Does not create anything. */
export function statePathProblem(path: string): string | undefined {
  const file = resolve(path);
  const dir = dirname(file);
  const pseudo = PSEUDO_DIRS.find((p) => dir === p || dir.startsWith(`${p}${sep}`));
  if (pseudo) return `${file} is under ${pseudo}, not a real file system`;
  const existing = nearestExisting(dir);
  let st;
  try {
    st = statSync(existing);
  } catch (err) {
    return `cannot check ${existing}: ${(err as Error).message}`;
  }
  if (!st.isDirectory()) return `${existing} is not a directory, so ${dir} cannot be created`;
  try {
    const fs = PSEUDO_FS[Number(statfsSync(existing).type)];
    if (fs) return `${existing} is on a ${fs} file system, not a real one`;
  } catch {
    // statfs is an extra check: where it is unavailable the writes below still tell
  }
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch {
    return existing === dir ? `${dir} is not writable` : `${dir} does not exist and ${existing} is not writable, so it cannot be created`;
  }
  try {
    if (statSync(file).isDirectory()) return `${file} is a directory`;
  } catch {
    // not there yet: created on first start
  }
  return undefined;
}

/**
 * mkdir -p that cannot spin: each missing directory is created once, top
 * down, and the first failure is thrown (node's recursive mkdirSync retries
 * forever where mkdir says ENOENT of a parent that exists, as in /proc).
 */
export function ensureDir(dir: string, mode = 0o700): void {
  const missing: string[] = [];
  let d = resolve(dir);
  for (;;) {
    try {
      if (!statSync(d).isDirectory()) throw new Error(`${d} is not a directory`);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      missing.push(d);
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m, { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create ${m}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
}
