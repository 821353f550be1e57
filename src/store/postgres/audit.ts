// The audit trail of chat commands on PostgreSQL: the SQLite repository's
// statements and row mapping (../audit.ts), run over a PgConnection, so the
// two backends cut text and order records alike.

import type { AuditEntry, AuditFilter } from '../../model/audit.ts';
import { AUDIT_INSERT, auditFromRow, auditTail, auditValues } from '../audit.ts';
import type { AuditRepo } from '../types.ts';
import type { PgConnection, PgRow } from './connection.ts';
import { numbered, pgTail } from './sql.ts';

export class PgAudit implements AuditRepo {
  #conn: PgConnection;

  constructor(conn: PgConnection) {
    this.#conn = conn;
  }

  append(e: AuditEntry): number {
    const r = this.#conn.query<{ id: number }>(`${numbered(AUDIT_INSERT)} RETURNING id`, auditValues(e));
    return Number(r.rows[0]!.id);
  }

  list(filter: AuditFilter = {}): AuditEntry[] {
    return pgTail<PgRow>(this.#conn, auditTail(filter)).map(auditFromRow);
  }

  deleteBefore(before: number): number {
    return this.#conn.query('DELETE FROM audit WHERE at < $1', [Math.trunc(before)]).rowCount;
  }
}
