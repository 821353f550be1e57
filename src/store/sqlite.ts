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
import { SqlGroups } from './groups.ts';
import { SqliteHeld } from './held.ts';
import { SqlStorms } from './storms.ts';
import { SqlOutbox } from './outbox.ts';
import { SqliteRequests } from './requests.ts';
import { SqliteSilences } from './silences.ts';
import { adoptUnnamedClusterRows, SqlHeartbeat } from './heartbeat.ts';
import { SqlLeadership } from './leadership.ts';
import { SqlDedup, SqlFlood, SqlReminders, SqlThreads, SqlTracker } from './state.ts';
import { sqlitePreparer, type Preparer } from './statements.ts';
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

export class SqliteStore implements Store {
  readonly path: string;
  readonly outbox: SqlOutbox;
  readonly dedup: SqlDedup;
  readonly leadership: SqlLeadership;
  readonly flood: SqlFlood;
  readonly reminders: SqlReminders;
  readonly groups: SqlGroups;
  readonly threads: SqlThreads;
  readonly audit: SqliteAudit;
  readonly requests: SqliteRequests;
  readonly held: SqliteHeld;
  readonly silences: SqliteSilences;
  readonly storms: SqlStorms;
  readonly alertButtons: SqliteAlertButtons;
  /** the underlying connection, for tests and diagnostics */
  readonly db: DatabaseSync;
  #depth = 0;
  #lock: OwnerLock | undefined;
  #rollbackHooks: (() => void)[] = [];
  /** the repositories' statements, prepared on this.db */
  #p: Preparer;
  #trackers = new Map<string, SqlTracker>();
  #heartbeats = new Map<string, SqlHeartbeat>();

  constructor(opts: SqliteStoreOptions) {
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
      this.#p = sqlitePreparer(this.db);
      const applied = migrate(this.db);
      if (applied.length) opts.log?.info({ path: opts.path, versions: applied }, 'state database migrated');
      this.outbox = new SqlOutbox(this.#p);
      this.dedup = new SqlDedup(this.#p);
      this.leadership = new SqlLeadership(this.#p);
      this.flood = new SqlFlood(this.#p);
      this.reminders = new SqlReminders(this.#p);
      this.groups = new SqlGroups(this.#p);
      this.storms = new SqlStorms(this.#p);
      this.alertButtons = new SqliteAlertButtons(this.db);
      this.threads = new SqlThreads(this.#p, opts.now ?? Date.now);
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

  tracker(cluster: string): SqlTracker {
    let t = this.#trackers.get(cluster);
    if (!t) this.#trackers.set(cluster, (t = new SqlTracker(this.#p, this, cluster)));
    return t;
  }

  heartbeat(cluster: string): SqlHeartbeat {
    let h = this.#heartbeats.get(cluster);
    if (!h) this.#heartbeats.set(cluster, (h = new SqlHeartbeat(this.#p, cluster)));
    return h;
  }

  adoptUnnamedCluster(cluster: string): void {
    this.transaction(() => adoptUnnamedClusterRows(this.#p, cluster));
    this.#trackers.get(cluster)?.forget();
  }

  transaction<T>(fn: () => T): T {
    const depth = this.#depth;
    this.db.exec(depth === 0 ? 'BEGIN IMMEDIATE' : `SAVEPOINT s${depth}`);
    this.#depth++;
    let result: T;
    try {
      result = fn();
      if (typeof (result as { then?: unknown } | undefined)?.then === 'function') {
        throw new Error('store.transaction(fn): fn returned a promise; a transaction must not span an await');
      }
    } catch (err) {
      this.#depth--;
      this.#rollback(depth);
      throw err;
    }
    this.#depth--;
    if (depth > 0) {
      this.db.exec(`RELEASE s${depth}`);
      return result;
    }
    try {
      this.db.exec('COMMIT');
    } catch (err) {
      // a failed COMMIT (disk full, I/O error) may leave the transaction open
      this.#rollback(0);
      throw err;
    }
    this.#rollbackHooks = [];
    return result;
  }

  onRollback(fn: () => void): void {
    this.#rollbackHooks.push(fn);
  }

  #rollback(depth: number): void {
    if (depth === 0) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
    } else {
      this.db.exec(`ROLLBACK TO s${depth}`);
      this.db.exec(`RELEASE s${depth}`);
    }
    // caches of what was written are dropped whichever level rolled back: cheap, and always safe
    const hooks = this.#rollbackHooks;
    if (depth === 0) this.#rollbackHooks = [];
    for (const h of hooks) h();
  }

  prune(now: number, policy: RetentionPolicy): PruneCounts {
    const counts = this.transaction(
      (): PruneCounts => ({
        delivered: this.outbox.deleteDelivered(now - policy.deliveredMs),
        dead: policy.deadMs > 0 ? this.outbox.deleteDeadBefore(now - policy.deadMs) : 0,
        dedup: this.dedup.deleteBefore(now - policy.dedupMs),
        flood: this.flood.deleteExpired(now, now - policy.dedupMs),
        groups: this.groups.deleteExpired(now),
        // an incident still firing is re-sent (and re-stamped) every repeat interval, so only the forgotten get this old
        reminders: this.reminders.deleteBefore(now - policy.dedupMs),
        threads: this.threads.deleteBefore(now - policy.threadsMs),
        audit: policy.auditMs > 0 ? this.audit.deleteBefore(now - policy.auditMs) : 0,
        // only final requests go: one still awaiting or executing is kept whatever its age
        requests: policy.requestsMs > 0 ? this.requests.deleteBefore(now - policy.requestsMs) : 0,
        // kept a week past expiry so a late press hears "too old" rather than "unknown button"
        alertButtons: this.alertButtons.deleteExpired(now - 7 * 86_400_000),
      }),
    );
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
