// A log's tail from a table: the newest `limit` rows matching the filter,
// returned oldest first (newest last), as `kubeherald audit` and `requests`
// print them.

import type { Preparer } from './statements.ts';

export interface TailQuery {
  table: string;
  /** conditions joined with AND; their `?` values in args, in order */
  where: readonly string[];
  args: readonly (string | number)[];
  /** newest first, e.g. "at DESC, id DESC" */
  newestFirst: string;
  limit?: number;
}

export function tail<R>(p: Preparer, q: TailQuery): R[] {
  const args = [...q.args];
  let sql = `SELECT * FROM ${q.table}${q.where.length ? ` WHERE ${q.where.join(' AND ')}` : ''} ORDER BY ${q.newestFirst}`;
  if (q.limit !== undefined) {
    sql += ' LIMIT ?';
    args.push(Math.max(0, Math.trunc(q.limit)));
  }
  return (p.prepare(sql).all(...args) as R[]).reverse();
}
