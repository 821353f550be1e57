// Silences on PostgreSQL, shared by every replica: the SQLite repository's
// statements, row mapping and audit records (../silences.ts) over a
// PgConnection. version() reads row_seq (a sequence, SQLite's rowid here):
// with the counts it changes whenever any process adds or expires one.

import type { Silence } from '../../rules/silence.ts';
import { expiredInOrder, SILENCE_SQL, silenceAddAudit, silenceExpireAudit, silenceFromRow, silenceValues } from '../silences.ts';
import type { AuditRepo, SilenceRepo } from '../types.ts';
import type { PgConnection } from './connection.ts';
import { numbered } from './sql.ts';

const VERSION = 'SELECT COUNT(*) AS n, COUNT(expired_at) AS e, MAX(row_seq) AS r FROM silences';

export class PgSilences implements SilenceRepo {
  #conn: PgConnection;
  #audit: AuditRepo;
  #tx: <T>(fn: () => T) => T;

  constructor(conn: PgConnection, audit: AuditRepo, transaction: <T>(fn: () => T) => T) {
    this.#conn = conn;
    this.#audit = audit;
    this.#tx = transaction;
  }

  #q(name: keyof typeof SILENCE_SQL, args: readonly unknown[] = []) {
    return this.#conn.query(numbered(SILENCE_SQL[name]), args);
  }

  add(s: Silence): void {
    this.#tx(() => {
      this.#q('add', silenceValues(s));
      this.#audit.append(silenceAddAudit(s));
    });
  }

  get(id: string): Silence | undefined {
    const r = this.#q('get', [id]).rows[0];
    return r ? silenceFromRow(r) : undefined;
  }

  list(opts: { all?: boolean; now?: number } = {}): Silence[] {
    const rows = opts.all ? this.#q('all').rows : this.#q('open', [opts.now ?? Date.now()]).rows;
    return rows.map(silenceFromRow);
  }

  active(now: number): Silence[] {
    return this.#q('active', [now, now]).rows.map(silenceFromRow);
  }

  expire(id: string, now: number, by: string): Silence | undefined {
    return this.#tx(() => {
      if (this.#q('expire', [now, by, id, now]).rowCount === 0) return undefined;
      this.#audit.append(silenceExpireAudit(id, now, by));
      return this.get(id);
    });
  }

  expireDue(now: number): Silence[] {
    return expiredInOrder(this.#q('expireDue', [now]).rows);
  }

  nextChangeAt(now: number): number | undefined {
    const t = this.#q('next', [now, now]).rows[0]?.t;
    return t === null || t === undefined ? undefined : Number(t);
  }

  version(): string {
    const r = this.#conn.query(VERSION).rows[0]!;
    return `${String(r.n)}:${String(r.e)}:${String(r.r)}`;
  }
}
