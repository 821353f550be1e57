// Alert buttons' actions behind short tokens, on PostgreSQL: a replica that
// posted the button and the one that hears the press share the table. The
// statements and row mapping are the SQLite repository's (../alert-buttons.ts).

import { ALERT_BUTTON_SQL, alertButtonFromRow, alertButtonValues } from '../alert-buttons.ts';
import type { AlertButtonRepo, AlertButtonRow } from '../types.ts';
import type { PgConnection } from './connection.ts';
import { numbered } from './sql.ts';

export class PgAlertButtons implements AlertButtonRepo {
  #conn: PgConnection;

  constructor(conn: PgConnection) {
    this.#conn = conn;
  }

  put(r: AlertButtonRow): void {
    this.#conn.query(numbered(ALERT_BUTTON_SQL.put), alertButtonValues(r));
  }

  get(token: string): AlertButtonRow | undefined {
    const r = this.#conn.query(numbered(ALERT_BUTTON_SQL.get), [token]).rows[0];
    return r ? alertButtonFromRow(r) : undefined;
  }

  deleteExpired(before: number): number {
    return this.#conn.query(numbered(ALERT_BUTTON_SQL.deleteExpired), [before]).rowCount;
  }
}
