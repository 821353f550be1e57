// The embedded store: one SQLite file through Node's built-in node:sqlite,
// in WAL mode so readers (the dlq command) never block the writer.
//
// Durability: in WAL mode synchronous=FULL fsyncs the log at every commit, so
// a commit survives power loss, not only a crash of this process; NORMAL
// syncs only at checkpoints and may lose the last commits on power loss. FULL
// costs about 0.1 ms per commit on the SSD we measured (NORMAL about 0.02 ms),
// well within the delivery targets, so it is the default.

import { closeSync, openSync, statSync } from 'node:fs';
import { ensureDir, statePathProblem } from './state-path.ts';
import { DatabaseSync } from 'node:sqlite';
import { dirname } from 'node:path';
import type { Logger } from '../model/logger.ts';
import { SqliteAlertButtons } from './alert-buttons.ts';
import { SqliteAudit } from './audit.ts';
import { acquireOwnerLock, type OwnerLock } from './owner-lock.ts';
import { currentVersion, migrate } from './migrations.ts';
import { SqliteHeld } from './held.ts';
import { SqliteRequests } from './requests.ts';
import { SqliteSilences } from './silences.ts';
import { SqlStore } from './sql-store.ts';
import { sqlitePreparer } from './statements.ts';
import { pruneRows } from './retention.ts';
import type { PruneCounts, RetentionPolicy, Store } from './types.ts';

export interface SqliteStoreOptions {
  /** the database file, created with its directory when missing; ":memory:" for tests */
  path: string;
  /** default "full": every commit durable (see above) */
  synchronous?: 'full' | 'normal';
  /**
   * Return rows left inflight by a process that died to pending (default
   * true). Only the process that delivers may do this: the dlq command opens
   * with false so it never touches a running kubeherald's deliveries.
   */
  recover?: boolean;
  /**
   * Hold the owner lock (`<path>.lock`, see owner-lock.ts): a second process
   * asking for it is refused with the holder named. Defaults to `recover`:
   * the delivering process owns the file; the CLI's short readers and
   * writers (dlq, audit, silence, requests) open it beside a running one.
   */
  exclusive?: boolean;
  /** refuse to create the file (the dlq command on a mistyped path) */
  mustExist?: boolean;
  /** how long to wait for another process's write lock (default 5 s) */
  busyTimeoutMs?: number;
  /** the time thread refs are stamped with (default Date.now) */
  now?: () => number;
  log?: Logger;
}

/** WAL files are truncated back to this after a checkpoint, so a burst does not leave a big file behind. */
const JOURNAL_SIZE_LIMIT = 16 * 1024 * 1024;

export class SqliteStore extends SqlStore implements Store {
  readonly path: string;
  readonly audit: SqliteAudit;
  readonly requests: SqliteRequests;
  readonly held: SqliteHeld;
  readonly silences: SqliteSilences;
  readonly alertButtons: SqliteAlertButtons;
  /** the underlying connection, for tests and diagnostics */
  readonly db: DatabaseSync;
  #lock: OwnerLock | undefined;

  constructor(opts: SqliteStoreOptions) {
    super();
    this.path = opts.path;
    const memory = opts.path === ':memory:';
    if (!memory) prepareFile(opts.path, opts.mustExist ?? false);
    // before the database is touched: a second owner must not recover the first one's inflight rows
    if (!memory && (opts.exclusive ?? opts.recover ?? true)) this.#lock = acquireOwnerLock(opts.path, opts.now);
    try {
      this.db = new DatabaseSync(opts.path, { timeout: opts.busyTimeoutMs ?? 5000 });
    } catch (err) {
      this.#lock?.release();
      throw err;
    }
    try {
      // only takes effect on a new, empty database, which is when it matters: freed pages can be returned
      this.db.exec('PRAGMA auto_vacuum = INCREMENTAL');
      if (!memory) {
        const mode = (this.db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string }).journal_mode;
        if (mode !== 'wal') throw new Error(`cannot switch ${opts.path} to WAL mode (journal mode is ${mode}): is it on a network file system?`);
      }
      this.db.exec(`PRAGMA synchronous = ${(opts.synchronous ?? 'full').toUpperCase()}`);
      this.db.exec(`PRAGMA journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
      const db = this.db;
      const applied = migrate(db);
      if (applied.length) opts.log?.info({ path: opts.path, versions: applied }, 'state database migrated');
      this.openRepos(sqlitePreparer(db), { exec: (sql) => db.exec(sql), begin: 'BEGIN IMMEDIATE', inTransaction: () => db.isTransaction }, opts.now ?? Date.now);
      this.alertButtons = new SqliteAlertButtons(this.db);
      this.audit = new SqliteAudit(this.db);
      this.requests = new SqliteRequests(this.db, (fn) => this.transaction(fn));
      this.held = new SqliteHeld(this.db);
      this.silences = new SqliteSilences(this.db, this.audit, (fn) => this.transaction(fn));
      if (opts.recover ?? true) {
        const recovered = this.transaction(() => this.outbox.recoverInflight(opts.now?.() ?? Date.now()));
        if (recovered) opts.log?.warn({ path: opts.path, deliveries: recovered }, 'deliveries in flight when kubeherald last stopped will be attempted again');
      }
    } catch (err) {
      this.db.close();
      this.#lock?.release();
      throw err;
    }
  }

  prune(now: number, policy: RetentionPolicy): PruneCounts {
    const counts = this.transaction(() => pruneRows(this, now, policy));
    // hand freed pages back, so the file shrinks after a burst instead of only ceasing to grow
    this.db.exec('PRAGMA incremental_vacuum');
    if (this.path !== ':memory:') this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    return counts;
  }

  sizeBytes(): number {
    if (this.path === ':memory:') {
      const pages = (this.db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count;
      const size = (this.db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size;
      return pages * size;
    }
    return fileSize(this.path) + fileSize(`${this.path}-wal`);
  }

  schemaVersion(): number {
    return currentVersion(this.db);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
    this.#lock?.release();
  }
}

/** Opens (creating if need be) and migrates a state database. */
export function openSqliteStore(opts: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(opts);
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

// Notifications can carry what the cluster says about itself: the file is
// the owner's alone (SQLite would create it with the umask's mode).
function prepareFile(path: string, mustExist: boolean): void {
  if (mustExist) {
    try {
      statSync(path);
    } catch {
      throw new Error(`no state database at ${path}`);
    }
    return;
  }
  const problem = statePathProblem(path);
  if (problem) throw new Error(`state.path: ${problem}`);
  ensureDir(dirname(path));
  closeSync(openSync(path, 'a', 0o600));
}
