// Statements written once as plain SQL (shared with the PostgreSQL
// repositories, which run the same text) and prepared here for SQLite.

import type { DatabaseSync, StatementSync } from 'node:sqlite';

export function prepareAll<K extends string>(db: DatabaseSync, sql: Readonly<Record<K, string>>): Record<K, StatementSync> {
  return Object.fromEntries(Object.entries<string>(sql).map(([k, text]) => [k, db.prepare(text)])) as Record<K, StatementSync>;
}
