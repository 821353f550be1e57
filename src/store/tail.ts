// A log's tail from a table: the newest `limit` rows matching the filter,
// returned oldest first (newest last), as `kubeherald audit` and `requests`
// print them.

import type { DatabaseSync } from 'node:sqlite';

export interface TailQuery {
  table: string;
  /** conditions joined with AND; their `?` values in args, in order */
  where: readonly string[];
  args: readonly (string | number)[];
  /** newest first, e.g. "at DESC, id DESC" */
  newestFirst: string;
  limit?: number;
}

/** The tail's SELECT (newest first, `?` placeholders) and its values: run it, then reverse the rows. */
export function tailQuery(q: TailQuery): { sql: string; args: (string | number)[] } {
  const args = [...q.args];
  let sql = `SELECT * FROM ${q.table}${q.where.length ? ` WHERE ${q.where.join(' AND ')}` : ''} ORDER BY ${q.newestFirst}`;
  if (q.limit !== undefined) {
    sql += ' LIMIT ?';
    args.push(Math.max(0, Math.trunc(q.limit)));
  }
  return { sql, args };
}

export function tail<R>(db: DatabaseSync, q: TailQuery): R[] {
  const { sql, args } = tailQuery(q);
  return (db.prepare(sql).all(...args) as R[]).reverse();
}
