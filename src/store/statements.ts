// Statements written once as plain SQL (shared with the PostgreSQL
// repositories, which run the same text) and prepared here for SQLite.

import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';

export function prepareAll<K extends string>(db: DatabaseSync, sql: Readonly<Record<K, string>>): Record<K, StatementSync> {
  return Object.fromEntries(Object.entries<string>(sql).map(([k, text]) => [k, db.prepare(text)])) as Record<K, StatementSync>;
}

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
