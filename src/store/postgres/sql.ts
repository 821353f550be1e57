// The SQL the PostgreSQL store shares with SQLite is written once, with
// SQLite's `?` placeholders; PostgreSQL numbers its own. None of that SQL has
// a `?` inside a string literal, so each `?` is a parameter.

const cache = new Map<string, string>();

/** `?, ?` → `$1, $2`. */
export function numbered(sql: string): string {
  let out = cache.get(sql);
  if (out === undefined) {
    let i = 0;
    out = sql.replace(/\?/g, () => `$${++i}`);
    // statements built from a filter vary; the cache only keeps the fixed ones worth keeping
    if (cache.size < 500) cache.set(sql, out);
  }
  return out;
}
