// store.transaction() for both backends: one transaction at the outside,
// savepoints for the nested ones, and the rollback hooks repositories use to
// forget caches of what a rolled-back transaction wrote. Only how a
// statement is sent and how a transaction begins differ by backend.

export interface TransactionDb {
  exec(sql: string): void;
  /** "BEGIN IMMEDIATE" on SQLite (take the write lock now), "BEGIN" on PostgreSQL */
  readonly begin: string;
  /** whether a transaction is open (a failed COMMIT may or may not have ended it) */
  inTransaction(): boolean;
}

export class Transactions {
  #db: TransactionDb;
  #depth = 0;
  #hooks: (() => void)[] = [];

  constructor(db: TransactionDb) {
    this.#db = db;
  }

  run<T>(fn: () => T): T {
    const depth = this.#depth;
    this.#db.exec(depth === 0 ? this.#db.begin : `SAVEPOINT s${depth}`);
    this.#depth++;
    let result: T;
    try {
      result = fn();
      if (typeof (result as { then?: unknown } | undefined)?.then === 'function') {
        throw new Error('store.transaction(fn): fn returned a promise; a transaction must not span an await');
      }
    } catch (err) {
      this.#depth--;
      this.#rollback(depth, err);
      throw err;
    }
    this.#depth--;
    if (depth > 0) {
      this.#db.exec(`RELEASE s${depth}`);
      return result;
    }
    try {
      this.#db.exec('COMMIT');
    } catch (err) {
      // a failed COMMIT (disk full, I/O error, a lost connection) may leave the transaction open
      this.#rollback(0, err);
      throw err;
    }
    this.#hooks = [];
    return result;
  }

  onRollback(fn: () => void): void {
    this.#hooks.push(fn);
  }

  /** Rolls back to `depth`; a rollback that fails too (the connection is gone) does not hide why it was needed. */
  #rollback(depth: number, cause: unknown): void {
    try {
      if (depth === 0) {
        if (this.#db.inTransaction()) this.#db.exec('ROLLBACK');
      } else {
        this.#db.exec(`ROLLBACK TO s${depth}`);
        this.#db.exec(`RELEASE s${depth}`);
      }
    } catch {
      // the caller rethrows `cause`; the database drops the transaction with the session
      void cause;
    } finally {
      // caches of what was written are dropped whichever level rolled back: cheap, and always safe
      const hooks = this.#hooks;
      if (depth === 0) this.#hooks = [];
      for (const h of hooks) h();
    }
  }
}
