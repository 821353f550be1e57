// Which namespaces are watched: include and exclude globs (`*` any run of
// characters, `?` exactly one), exclude winning.

import type { Config } from './schema.ts';

/**
 * Whether objects in `namespace` are watched. An empty include list means
 * every namespace. Cluster-scoped objects (namespace "") are never filtered:
 * a node going NotReady matters whatever namespaces one cares about.
 */
export function namespaceAllowed(cfg: Config['watch']['namespaces'], namespace: string): boolean {
  if (namespace === '') return true;
  if (cfg.exclude.some((g) => globMatch(g, namespace))) return false;
  return cfg.include.length === 0 || cfg.include.some((g) => globMatch(g, namespace));
}

/** Whole-string glob match; linear, with backtracking only to the last `*`. */
export function globMatch(glob: string, text: string): boolean {
  let g = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (g < glob.length && (glob[g] === '?' || glob[g] === text[t])) {
      g++;
      t++;
    } else if (g < glob.length && glob[g] === '*') {
      star = g++;
      resume = t;
    } else if (star >= 0) {
      g = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === '*') g++;
  return g === glob.length;
}
