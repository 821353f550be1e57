// Transaction control on PostgreSQL without round trips of its own. BEGIN,
// SAVEPOINT and RELEASE answer nothing anyone reads, so they wait here and
// go to the server with the next statement, pipelined in its round trip;
// so do writes inside a transaction whose result nobody reads (later()):
// their failure fails the statement they ride with, or COMMIT at the
// latest, and a failed statement fails the whole transaction anyway.
// What would change nothing is not sent at all: a RELEASE right before
// COMMIT (COMMIT releases every savepoint), a savepoint nothing ran under,
// a transaction that ran nothing. ROLLBACK and ROLLBACK TO go at once,
// alone: a rollback must not wait behind statements that could fail first.

import { PgError, type PgConnection, type PgResult, type PgRow, type PgStatement } from './connection.ts';
import type { TransactionDb } from '../transactions.ts';

export class DeferringSession implements PgConnection, TransactionDb {
  readonly begin = 'BEGIN';
  #conn: PgConnection;
  /** statements not sent yet, in order */
  #pending: PgStatement[] = [];
  /** store.transaction() began one, not yet committed or rolled back */
  #open = false;
  /** the RELEASE that follows a ROLLBACK TO of a savepoint never sent: nothing to release */
  #skipRelease: string | undefined;

  constructor(conn: PgConnection) {
    this.#conn = conn;
  }

  query<R = PgRow>(sql: string, params: readonly unknown[] = [], before: readonly PgStatement[] = []): PgResult<R> {
    const pending = this.#pending;
    this.#pending = [];
    return this.#conn.query<R>(sql, params, [...pending, ...before]);
  }

  /** Runs a statement whose result nobody reads: inside a transaction, with the next statement; outside, now. */
  later(sql: string, params: readonly unknown[]): void {
    if (this.#open) this.#pending.push({ sql, params });
    else this.query(sql, params);
  }

  get closed(): string | undefined {
    return this.#conn.closed;
  }

  close(): void {
    this.#conn.close();
  }

  /** The session's transaction state is the server's to know; a ROLLBACK outside one only warns. */
  inTransaction(): boolean {
    return true;
  }

  /** store.transaction()'s control statements (transactions.ts): BEGIN, SAVEPOINT sN, RELEASE sN, COMMIT, ROLLBACK, ROLLBACK TO sN. */
  exec(sql: string): void {
    const pending = this.#pending;
    // nothing of the transaction has reached the server yet
    const unsent = pending[0] === 'BEGIN';
    if (sql === 'BEGIN' || sql.startsWith('SAVEPOINT ')) {
      if (sql === 'BEGIN') {
        // as a BEGIN sent at once would: a transaction on a dead connection fails where it starts
        const closed = this.#conn.closed;
        if (closed !== undefined) throw new PgError(`PostgreSQL connection is closed (${closed})`);
        this.#open = true;
      }
      pending.push(sql);
    } else if (sql.startsWith('RELEASE ')) {
      const name = sql.slice('RELEASE '.length);
      if (this.#skipRelease === name) this.#skipRelease = undefined;
      else if (pending.at(-1) === `SAVEPOINT ${name}`) pending.pop();
      else pending.push(sql);
    } else if (sql === 'COMMIT') {
      this.#pending = [];
      this.#open = false;
      if (unsent && pending.every((s) => typeof s === 'string')) return;
      const r = this.#conn.query('COMMIT', [], pending.filter((s) => typeof s !== 'string' || !s.startsWith('RELEASE ')));
      // the server answers COMMIT of a failed transaction with ROLLBACK, and no error; a RELEASE, dropped above, would have failed
      if (r.command === 'ROLLBACK') throw new PgError('the transaction was rolled back at COMMIT: a statement in it had failed', '25P02');
    } else if (sql === 'ROLLBACK') {
      this.#pending = [];
      this.#open = false;
      if (!unsent) this.#conn.query(sql);
    } else if (sql.startsWith('ROLLBACK TO ')) {
      const name = sql.slice('ROLLBACK TO '.length);
      const at = pending.indexOf(`SAVEPOINT ${name}`);
      if (at >= 0) {
        // nothing ran since the savepoint was asked for: there is nothing to undo
        pending.length = at;
        this.#skipRelease = name;
        return;
      }
      // what is pending was asked for after the savepoint, and the rollback undoes it
      this.#pending = [];
      this.#conn.query(sql);
    } else {
      this.query(sql);
    }
  }
}
