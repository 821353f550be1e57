// The audit trail of chat commands on PostgreSQL: ../audit.ts's repository
// over the connection, so both backends cut text and order records alike.

import { SqlAudit } from '../audit.ts';
import type { PgConnection } from './connection.ts';
import { pgPreparer } from './statements.ts';

export class PgAudit extends SqlAudit {
  constructor(conn: PgConnection) {
    super(pgPreparer(conn));
  }
}
