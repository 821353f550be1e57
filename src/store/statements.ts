// Statements written once as plain SQL with `?` placeholders, prepared by
// either backend: node:sqlite here, a PostgreSQL connection in
// postgres/statements.ts.

import type { DatabaseSync, SQLInputValue } from 'node:sqlite';

/**
 * What a repository needs of a prepared statement. node:sqlite's
 * StatementSync is one; the PostgreSQL store makes its own over a
 * connection (postgres/statements.ts), so a repository written against
 * this runs on either backend.
 */
export interface Statement {
  all(...args: SQLInputValue[]): unknown[];
  get(...args: SQLInputValue[]): unknown;
  run(...args: SQLInputValue[]): { changes: number | bigint };
  /** a write whose result nobody reads: PostgreSQL sends it with the next statement inside a transaction (node:sqlite has none) */
  runLater?(...args: SQLInputValue[]): void;
}

/** Runs a write whose result nobody reads, as soon as the backend finds cheapest (see Statement.runLater). */
export function runUnread(s: Statement, ...args: SQLInputValue[]): void {
  if (s.runLater) s.runLater(...args);
  else s.run(...args);
}

/** Prepares statements for one backend. */
export interface Preparer {
  prepare(sql: string): Statement;
  readonly dialect: 'sqlite' | 'postgres';
}

/** node:sqlite's database as a Preparer. */
export const sqlitePreparer = (db: DatabaseSync): Preparer => ({ prepare: (sql) => db.prepare(sql), dialect: 'sqlite' });

/** Every statement of a table of SQL texts, prepared by `p`. */
export function prepareEach<K extends string>(p: Preparer, sql: Readonly<Record<K, string>>): Record<K, Statement> {
  return Object.fromEntries(Object.entries<string>(sql).map(([k, text]) => [k, p.prepare(text)])) as Record<K, Statement>;
}
