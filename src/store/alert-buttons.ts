// Alert buttons' actions behind short tokens: the Telegram sink puts a row
// when a button's action would not fit in 64 bytes of callback_data, and the
// chat side (maybe another process on the same file or database) reads it
// back when the button is pressed. One class for both backends, over a
// Preparer (statements.ts).

import type { DatabaseSync } from 'node:sqlite';
import { prepareEach, sqlitePreparer, type Preparer, type Statement } from './statements.ts';
import type { AlertButtonRepo, AlertButtonRow } from './types.ts';

type Row = Record<string, unknown>;

const row = (r: Row): AlertButtonRow => ({ token: String(r.token), actionId: String(r.action_id), value: String(r.value), channel: String(r.channel), expiresAt: Number(r.expires_at) });

const SQL = {
  // a token is random: a clash is a bug, and refusing it is safer than pointing a posted button elsewhere
  put: 'INSERT INTO alert_buttons (token, action_id, value, channel, expires_at) VALUES (?, ?, ?, ?, ?)',
  get: 'SELECT * FROM alert_buttons WHERE token = ?',
  deleteExpired: 'DELETE FROM alert_buttons WHERE expires_at < ?',
} as const;

/** The alert_buttons table on either backend (the PostgreSQL store's is postgres/alert-buttons.ts). */
export class SqlAlertButtons implements AlertButtonRepo {
  #s: Record<keyof typeof SQL, Statement>;

  constructor(p: Preparer) {
    this.#s = prepareEach(p, SQL);
  }

  put(r: AlertButtonRow): void {
    this.#s.put.run(r.token, r.actionId, r.value, r.channel, r.expiresAt);
  }

  get(token: string): AlertButtonRow | undefined {
    const r = this.#s.get.get(token) as Row | undefined;
    return r ? row(r) : undefined;
  }

  deleteExpired(before: number): number {
    return Number(this.#s.deleteExpired.run(before).changes);
  }
}

export class SqliteAlertButtons extends SqlAlertButtons {
  constructor(db: DatabaseSync) {
    super(sqlitePreparer(db));
  }
}
