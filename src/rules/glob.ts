// Globs in route matches: `*` any run of characters, `?` exactly one, the
// whole value matched. Compiled once to a RegExp per route.

const NAMESPACE_GLOB = /^[a-z0-9*?-]{0,63}$/;

export function isGlob(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

export function globRegExp(pattern: string): RegExp {
  let src = '';
  for (const ch of pattern) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[\\^$.|+()[\]{}/-]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 's');
}

/** Why a namespace glob is invalid, or undefined. "" is valid: it means cluster-scoped objects. */
export function namespaceGlobProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string') return `expected a string, got ${JSON.stringify(pattern)}`;
  if (!NAMESPACE_GLOB.test(pattern)) return `${JSON.stringify(pattern)} is not a namespace name or glob (at most 63 lowercase letters, digits, "-", "*" and "?")`;
  return undefined;
}

/** Why a user glob is invalid, or undefined. Usernames may hold any character but control characters. */
export function userGlobProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string') return `expected a string, got ${JSON.stringify(pattern)}`;
  if (pattern === '') return 'expected a username or glob, got ""';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(pattern)) return `${JSON.stringify(pattern)} contains a control character`;
  return undefined;
}
