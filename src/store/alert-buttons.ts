// Alert buttons' actions behind short tokens, on SQLite: the Telegram sink
// puts a row when a button's action would not fit in 64 bytes of
// callback_data, and the chat side (maybe another process on the same file)
// reads it back when the button is pressed.

import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { prepareAll } from './statements.ts';
import type { AlertButtonRepo, AlertButtonRow } from './types.ts';

type Row = Record<string, unknown>;

/** An alert_buttons row (either backend's: the same columns). */
export const alertButtonFromRow = (r: Row): AlertButtonRow => ({ token: String(r.token), actionId: String(r.action_id), value: String(r.value), channel: String(r.channel), expiresAt: Number(r.expires_at) });

/** The statements both backends run (`?` placeholders). */
export const ALERT_BUTTON_SQL = {
  // a token is random: a clash is a bug, and refusing it is safer than pointing a posted button elsewhere
  put: 'INSERT INTO alert_buttons (token, action_id, value, channel, expires_at) VALUES (?, ?, ?, ?, ?)',
  get: 'SELECT * FROM alert_buttons WHERE token = ?',
  deleteExpired: 'DELETE FROM alert_buttons WHERE expires_at < ?',
} as const;

export const alertButtonValues = (r: AlertButtonRow): (string | number)[] => [r.token, r.actionId, r.value, r.channel, r.expiresAt];

export class SqliteAlertButtons implements AlertButtonRepo {
  #s: Record<keyof typeof ALERT_BUTTON_SQL, StatementSync>;

  constructor(db: DatabaseSync) {
    this.#s = prepareAll(db, ALERT_BUTTON_SQL);
  }

  put(r: AlertButtonRow): void {
    this.#s.put.run(...alertButtonValues(r));
  }

  get(token: string): AlertButtonRow | undefined {
    const r = this.#s.get.get(token) as Row | undefined;
    return r ? alertButtonFromRow(r) : undefined;
  }

  deleteExpired(before: number): number {
    return Number(this.#s.deleteExpired.run(before).changes);
  }
}
