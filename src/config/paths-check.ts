// The files a config names, checked without reading them: a credential,
// certificate or CA file that exists must be a regular file within the size
// cap (a missing one is reported by what reads it, naming the sink), and
// the state path must be somewhere a database can live. `config validate`
// and `run` both go through this, so /dev/zero or /proc fail at once with
// the key named.

import { checkRegularFile } from '../config-kit/files.ts';
import { statePathProblem } from '../store/state-path.ts';
import { isMemoryPath } from '../store/config.ts';
import type { Config } from './schema.ts';

export interface PathProblem {
  path: (string | number)[];
  message: string;
}

function walk(value: unknown, path: (string | number)[], out: PathProblem[]): void {
  if (Array.isArray(value)) return value.forEach((v, i) => walk(v, [...path, i], out));
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    // credential references ({file: PATH}) and certificate/CA files
    const file = k.endsWith('From') && v && typeof v === 'object' && typeof (v as { file?: unknown }).file === 'string' ? (v as { file: string }).file : /File$/.test(k) && typeof v === 'string' && v ? v : undefined;
    if (file !== undefined) {
      const why = checkRegularFile(file);
      if (why && why !== 'no such file') out.push({ path: k.endsWith('From') ? [...path, k, 'file'] : [...path, k], message: `${file} ${why.startsWith('is ') ? why : `cannot be read: ${why}`}` });
      continue;
    }
    walk(v, [...path, k], out);
  }
}

export function configPathProblems(config: Config): PathProblem[] {
  const out: PathProblem[] = [];
  walk(config, [], out);
  // with state.url the state is in PostgreSQL and state.path is never opened (a pod of several replicas has no
  // writable directory for it: the default beside a read-only ConfigMap mount must not stop the start)
  if (!config.state.url && !isMemoryPath(config.state.path)) {
    const why = statePathProblem(config.state.path);
    if (why) out.push({ path: ['state', 'path'], message: why });
  }
  return out;
}
