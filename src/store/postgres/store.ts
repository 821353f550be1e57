// The PostgreSQL store: the state shared by several kubeherald replicas,
// behind the same Store interface as SQLite. One connection (a session, so a
// transaction's statements are one transaction), the same repositories as
// SQLite's where the SQL is the same (over pgPreparer), PostgreSQL's own for
// the chat tables (audit, requests, held, silences, alert buttons).
//
// Isolation is PostgreSQL's default, READ COMMITTED: the repositories'
// compare-and-set statements (a claim, a request's transition) re-check
// their condition against the row another process just committed, so of two
// replicas exactly one wins. A statement that fails inside a transaction
// aborts the whole transaction (SQLite would undo only that statement):
// callers here let such an error end the transaction, never carry on in it.

import type { Logger } from '../../model/logger.ts';
import { pruneRows } from '../retention.ts';
import { SqlStore } from '../sql-store.ts';
import type { PruneCounts, RetentionPolicy, Store } from '../types.ts';
import { PgAlertButtons } from './alert-buttons.ts';
import { PgAudit } from './audit.ts';
import { connectPostgres, redactUrl } from './connection.ts';
import { PgHeld } from './held.ts';
import { migratePostgres, PG_LATEST_VERSION, pgCurrentVersion } from './migrations.ts';
import { PgRequests } from './requests.ts';
import { PgSilences } from './silences.ts';
import { DeferringSession } from './session.ts';
import { pgPreparer } from './statements.ts';

export interface PostgresStoreOptions {
  /** postgres:// or postgresql:// url; a password in it is never logged */
  url: string;
  /** the password when not in the url (KUBEHERALD_STATE_PASSWORD) */
  password?: string;
  /**
   * Return inflight rows to pending on open (default false). Replicas share
   * the database: a process opening it cannot tell a dead process's claims
   * from a live one's, so only the leader recovers, when its term begins.
   */
  recover?: boolean;
  /** migrate at open (default true); false: a reader that changes no schema (doctor), refusing a newer one */
  migrate?: boolean;
  connectTimeoutMs?: number;
  queryTimeoutMs?: number;
  applicationName?: string;
  /** the time thread refs are stamped with (default Date.now) */
  now?: () => number;
  log?: Logger;
}

export class PostgresStore extends SqlStore implements Store {
  /** the url, password redacted */
  readonly path: string;
  readonly audit: PgAudit;
  readonly requests: PgRequests;
  readonly held: PgHeld;
  readonly silences: PgSilences;
  readonly alertButtons: PgAlertButtons;
  /** the connection, for tests and diagnostics; a statement through it runs inside store.transaction() as the repositories' do */
  readonly conn: DeferringSession;

  constructor(opts: PostgresStoreOptions) {
    super();
    this.path = redactUrl(opts.url);
    // transaction control rides with the statements: one round trip fewer per BEGIN, SAVEPOINT and RELEASE
    this.conn = new DeferringSession(
      connectPostgres({
        url: opts.url,
        password: opts.password,
        connectTimeoutMs: opts.connectTimeoutMs,
        queryTimeoutMs: opts.queryTimeoutMs,
        applicationName: opts.applicationName,
      }),
    );
    try {
      const conn = this.conn;
      if (opts.migrate ?? true) {
        const applied = migratePostgres(conn);
        if (applied.length) opts.log?.info({ url: this.path, versions: applied }, 'state database migrated');
      } else {
        const version = pgCurrentVersion(conn);
        if (version > PG_LATEST_VERSION) throw new Error(`the state database is at schema version ${version}, newer than this kubeherald knows (${PG_LATEST_VERSION}): upgrade kubeherald`);
      }
      this.openRepos(pgPreparer(conn), conn, opts.now ?? Date.now);
      const transaction = <T>(fn: () => T): T => this.transaction(fn);
      this.alertButtons = new PgAlertButtons(conn);
      this.audit = new PgAudit(conn);
      this.requests = new PgRequests(conn, transaction);
      this.held = new PgHeld(conn);
      this.silences = new PgSilences(conn, this.audit, transaction);
      if (opts.recover) {
        const recovered = this.transaction(() => this.outbox.recoverInflight(opts.now?.() ?? Date.now()));
        if (recovered) opts.log?.warn({ url: this.path, deliveries: recovered }, 'deliveries in flight when kubeherald last stopped will be attempted again');
      }
    } catch (err) {
      this.conn.close();
      throw err;
    }
  }

  /** Deletes what retention allows in one transaction; the space is the server's autovacuum's to reuse. */
  prune(now: number, policy: RetentionPolicy): PruneCounts {
    return this.transaction(() => pruneRows(this, now, policy));
  }

  /** The database's size on the server (every table and index of it). */
  sizeBytes(): number {
    return Number(this.conn.query<{ n: number }>('SELECT pg_database_size(current_database()) AS n').rows[0]?.n ?? 0);
  }

  schemaVersion(): number {
    return pgCurrentVersion(this.conn);
  }

  close(): void {
    this.conn.close();
  }
}

/** Connects to and migrates a PostgreSQL state database. */
export function openPostgresStore(opts: PostgresStoreOptions): PostgresStore {
  return new PostgresStore(opts);
}
