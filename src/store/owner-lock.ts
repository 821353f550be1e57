// One delivering process per state file. Two `kubeherald run` on one SQLite
// file would each reset the other's inflight rows at start and split the
// deliveries between them, so the owner holds a lock beside the database:
// `<db>.lock`, a small SQLite file on which the owner keeps a write
// transaction (a RESERVED lock) open for as long as it runs.
//
// Why SQLite's lock and not a pid file: the lock is the kernel's (fcntl), so
// it goes with the process however the process ends — SIGKILL, an OOM kill,
// a node lost with its volume moved elsewhere — where a pid file would stay
// behind naming a pid that a new container (pid 1 again, another host name)
// cannot judge. And why not locking_mode=EXCLUSIVE on the database itself:
// in WAL mode that shuts out every other connection, readers included, and
// `dlq list`, `audit list` and `silence add` work beside a running process.
//
// RESERVED still lets readers in, so a refused process reads who holds it
// (pid, host, since) from the same file and says so.

import { closeSync, openSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the holder took the lock */
  since: string;
}

/** A second owner on a state file that another process holds. */
export class StateLockedError extends Error {
  readonly holder: LockHolder | undefined;
  readonly lockPath: string;
  constructor(dbPath: string, lockPath: string, holder: LockHolder | undefined) {
    const who = holder ? `pid ${holder.pid} on host ${holder.host}, since ${holder.since}` : 'a process that has not said who it is yet';
    super(
      `state database ${dbPath} is in use by another kubeherald (${who}; lock ${lockPath}): ` +
        'one process per state file — stop that one, or give this one its own state.path',
    );
    this.name = 'StateLockedError';
    this.holder = holder;
    this.lockPath = lockPath;
  }
}

/** Held locks of this process by lock file: opening the same file twice in one process shares the lock. */
const held = new Map<string, { db: DatabaseSync; count: number }>();

/** How often a start that lost a simultaneous race for a free lock tries again before it reports. */
const RACE_TRIES = 3;

export interface OwnerLock {
  readonly path: string;
  /** Gives the lock up (the last holder in this process closes its file). Idempotent. */
  release(): void;
}

/**
 * Takes the owner lock of the state database at `dbPath`, or throws
 * StateLockedError naming the holder. Waits no more than a second: a
 * second owner is a mistake to report, not a turn to wait for.
 */
export function acquireOwnerLock(dbPath: string, now: () => number = Date.now): OwnerLock {
  const path = `${resolve(dbPath)}.lock`;
  let entry = held.get(path);
  if (!entry) {
    entry = { db: take(dbPath, path, now), count: 0 };
    held.set(path, entry);
  }
  entry.count++;
  const e = entry;
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      if (--e.count > 0) return;
      held.delete(path);
      if (e.db.isOpen) e.db.close();
    },
  };
}

/** Who holds the lock of `dbPath`, as its file says; undefined when nobody has written there. Read-only. */
export function readLockHolder(dbPath: string): LockHolder | undefined {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(`${resolve(dbPath)}.lock`, { readOnly: true, timeout: 1000 });
  } catch {
    return undefined;
  }
  try {
    return holderOf(db);
  } finally {
    db.close();
  }
}

function take(dbPath: string, path: string, now: () => number): DatabaseSync {
  // the owner's file alone, like the database (SQLite would use the umask's mode)
  closeSync(openSync(path, 'a', 0o600));
  // a moment's patience: a refused start reads the holder under a SHARED lock, which a holder's COMMIT
  // (at its own start) must wait out rather than fail on; a lock held for good still refuses within a second
  const db = new DatabaseSync(path, { timeout: 1000 });
  try {
    // the lock file says only who holds it: losing it to a power cut costs nothing
    db.exec('PRAGMA synchronous = OFF');
    const me: LockHolder = { pid: process.pid, host: hostname(), since: new Date(now()).toISOString() };
    for (let attempt = 1; ; attempt++) {
      if (!tryBegin(db)) throw new StateLockedError(dbPath, path, holderOf(db));
      db.exec('CREATE TABLE IF NOT EXISTS holder (one INTEGER PRIMARY KEY CHECK (one = 1), pid INTEGER NOT NULL, host TEXT NOT NULL, since TEXT NOT NULL)');
      db.prepare('INSERT OR REPLACE INTO holder (one, pid, host, since) VALUES (1, ?, ?, ?)').run(me.pid, me.host, me.since);
      // committed so that a refused process can read it; the lock is then taken again at once
      db.exec('COMMIT');
      if (tryBegin(db)) {
        const h = holderOf(db);
        // another start slipped into the gap and wrote itself: write ourselves again
        if (h && h.pid === me.pid && h.host === me.host && h.since === me.since) return db;
        db.exec('ROLLBACK');
      }
      if (attempt >= RACE_TRIES) throw new StateLockedError(dbPath, path, holderOf(db));
    }
  } catch (err) {
    db.close();
    throw err;
  }
}

/** BEGIN IMMEDIATE takes the RESERVED lock; false when another process has it. */
function tryBegin(db: DatabaseSync): boolean {
  try {
    db.exec('BEGIN IMMEDIATE');
    return true;
  } catch (err) {
    if ((err as { errcode?: number }).errcode === 5 /* SQLITE_BUSY */) return false;
    throw err;
  }
}

function holderOf(db: DatabaseSync): LockHolder | undefined {
  try {
    const r = db.prepare('SELECT pid, host, since FROM holder WHERE one = 1').get() as { pid: number; host: string; since: string } | undefined;
    return r ? { pid: Number(r.pid), host: String(r.host), since: String(r.since) } : undefined;
  } catch {
    // no table yet (the holder has not written), or a reader shut out for a moment
    return undefined;
  }
}
