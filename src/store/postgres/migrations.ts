// The PostgreSQL schema: SQLite's migrations (../migrations.ts) version for
// version, translated, so a migration added there is one here too and the
// `migrations` table records the same versions on both. The translation
// keeps tables and columns and changes types: INTEGER is BIGINT (epoch-ms
// and ids outgrow 32 bits), an autoincrementing key BIGSERIAL, BLOB BYTEA,
// and TEXT is COLLATE "C" (SQLite compares and sorts text by its bytes,
// whatever the server's locale says); flags stay integers 0/1 so both
// backends' rows read alike. Several replicas share one database: each
// migration runs in a transaction holding an advisory lock, so two replicas
// starting together migrate once, one after the other.

import { MIGRATIONS, type Migration } from '../migrations.ts';
import type { PgConnection } from './connection.ts';

/** SQLite DDL in PostgreSQL's types (see above); what it cannot say, EXTRA adds. */
export function toPostgres(sql: string): string {
  return sql
    .replace(/\bINTEGER PRIMARY KEY AUTOINCREMENT\b/g, 'BIGSERIAL PRIMARY KEY')
    .replace(/\bINTEGER\b/g, 'BIGINT')
    .replace(/\bBLOB\b/g, 'BYTEA')
    .replace(/\bTEXT\b/g, 'TEXT COLLATE "C"')
    .replace(/\)\s*WITHOUT ROWID;/g, ');');
}

/** Statements a version needs on PostgreSQL beyond its translation. */
const EXTRA: Readonly<Record<number, string>> = {
  // row_seq: the insertion order SQLite's implicit rowid gives (requests' list tie-break, silences' version)
  5: 'ALTER TABLE requests ADD COLUMN row_seq BIGSERIAL NOT NULL;',
  6: 'ALTER TABLE silences ADD COLUMN row_seq BIGSERIAL NOT NULL;',
  // the rebuilt table copied its keys explicitly: its sequence starts after them
  13: "SELECT setval(pg_get_serial_sequence('tracker_edges', 'seq'), COALESCE(MAX(seq), 0) + 1, false) FROM tracker_edges;",
};

export const PG_MIGRATIONS: readonly Migration[] = MIGRATIONS.map((m) => ({ ...m, sql: `${toPostgres(m.sql)}\n${EXTRA[m.version] ?? ''}` }));

export const PG_LATEST_VERSION = Math.max(...PG_MIGRATIONS.map((m) => m.version));

/** Any constant both sides agree on: the advisory lock every replica migrates under. */
const MIGRATION_LOCK = 0x6b68_0001;

/** The highest migration recorded (0 for a fresh database); reads only, so a reader without DDL rights can ask. */
export function pgCurrentVersion(conn: PgConnection): number {
  const exists = conn.query<{ t: string | null }>("SELECT to_regclass('migrations')::text AS t").rows[0]?.t;
  if (!exists) return 0;
  return Number(conn.query<{ v: number | null }>('SELECT MAX(version) AS v FROM migrations').rows[0]?.v ?? 0);
}

/**
 * Applies every migration not recorded yet, each in its own transaction
 * under the advisory lock (a replica that waited for it finds the work done
 * and skips it); returns the versions applied.
 */
export function migratePostgres(conn: PgConnection, migrations: readonly Migration[] = PG_MIGRATIONS, now: () => number = Date.now): number[] {
  const known = Math.max(0, ...migrations.map((m) => m.version));
  const applied: number[] = [];
  const locked = <T>(fn: () => T): T => {
    conn.query('BEGIN');
    try {
      conn.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const out = fn();
      conn.query('COMMIT');
      return out;
    } catch (err) {
      conn.query('ROLLBACK');
      throw err;
    }
  };
  const done = locked(() => {
    conn.query('CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    return new Set(conn.query<{ version: number }>('SELECT version FROM migrations').rows.map((r) => Number(r.version)));
  });
  const from = Math.max(0, ...done);
  if (from > known) throw new Error(`the state database is at schema version ${from}, newer than this kubeherald knows (${known}): upgrade kubeherald or use another state database`);
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    try {
      const ran = locked(() => {
        // another replica may have migrated while we waited for the lock
        if (conn.query('SELECT 1 FROM migrations WHERE version = $1', [m.version]).rowCount) return false;
        conn.query(m.sql);
        conn.query('INSERT INTO migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, now()]);
        return true;
      });
      if (ran) applied.push(m.version);
    } catch (err) {
      throw new Error(`state database migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
    }
  }
  return applied;
}
