// Alert buttons' actions behind short tokens, on SQLite: the Telegram sink
// puts a row when a button's action would not fit in 64 bytes of
// callback_data, and the chat side (maybe another process on the same file)
// reads it back when the button is pressed.

import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { AlertButtonRepo, AlertButtonRow } from './types.ts';

type Row = Record<string, unknown>;

const row = (r: Row): AlertButtonRow => ({ token: String(r.token), actionId: String(r.action_id), value: String(r.value), channel: String(r.channel), expiresAt: Number(r.expires_at) });

export class SqliteAlertButtons implements AlertButtonRepo {
  #s: Record<string, StatementSync>;

  constructor(db: DatabaseSync) {
    this.#s = {
      // a token is random: a clash is a bug, and refusing it is safer than pointing a posted button elsewhere
      put: db.prepare('INSERT INTO alert_buttons (token, action_id, value, channel, expires_at) VALUES (?, ?, ?, ?, ?)'),
      get: db.prepare('SELECT * FROM alert_buttons WHERE token = ?'),
      deleteExpired: db.prepare('DELETE FROM alert_buttons WHERE expires_at < ?'),
    };
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
