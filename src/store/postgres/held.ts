// Notifications held back from chat sinks, on PostgreSQL: the SQLite
// repository's statements and row mapping (../held.ts) over a PgConnection.

import type { HoldKind } from '../../model/hold.ts';
import { HELD_SQL, heldFromRow, heldValues } from '../held.ts';
import type { HeldRepo, HeldRow } from '../types.ts';
import type { PgConnection } from './connection.ts';
import { numbered } from './sql.ts';

export class PgHeld implements HeldRepo {
  #conn: PgConnection;

  constructor(conn: PgConnection) {
    this.#conn = conn;
  }

  #q(name: keyof typeof HELD_SQL, args: readonly unknown[] = []) {
    return this.#conn.query(numbered(HELD_SQL[name]), args);
  }

  put(r: HeldRow): void {
    this.#q('put', heldValues(r));
  }

  get(sink: string, incidentKey: string): HeldRow | undefined {
    const r = this.#q('get', [sink, incidentKey]).rows[0];
    return r ? heldFromRow(r) : undefined;
  }

  delete(sink: string, incidentKey: string): boolean {
    return this.#q('delete', [sink, incidentKey]).rowCount > 0;
  }

  byHolder(by: HoldKind, holderId: string): HeldRow[] {
    return this.#q('byHolder', [by, holderId]).rows.map(heldFromRow);
  }

  list(): HeldRow[] {
    return this.#q('list').rows.map(heldFromRow);
  }

  count(): number {
    return Number(this.#q('count').rows[0]!.n);
  }
}
