// Showing a state url to people (logs, doctor, errors) without its
// password. Kept apart from the PostgreSQL backend so a process on SQLite
// that only describes its state loads none of it.

/**
 * The url with its password (in the userinfo or a `password=` parameter)
 * replaced by ***, for logs, errors and `kubeherald doctor`.
 */
export function redactUrl(url: string): string {
  let out = url.replace(/([?&]password=)[^&#]*/gi, '$1***');
  const scheme = out.indexOf('://');
  if (scheme < 0) return out;
  const start = scheme + 3;
  const end = firstIndex(out, ['?', '#'], start);
  // the last @ before the query: a password written unencoded may hold / or @ itself
  const at = out.lastIndexOf('@', end - 1);
  if (at < start) return out;
  const colon = out.indexOf(':', start);
  if (colon < 0 || colon > at) return out;
  out = `${out.slice(0, colon + 1)}***${out.slice(at)}`;
  return out;
}

function firstIndex(s: string, chars: string[], from: number): number {
  const found = chars.map((c) => s.indexOf(c, from)).filter((i) => i >= 0);
  return found.length ? Math.min(...found) : s.length;
}
