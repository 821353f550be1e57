// Silences on PostgreSQL, shared by every replica: ../silences.ts's
// repository over the connection (its version() reads row_seq).

import { SqlSilences } from '../silences.ts';
import type { AuditRepo } from '../types.ts';
import type { PgConnection } from './connection.ts';
import { pgPreparer } from './statements.ts';

export class PgSilences extends SqlSilences {
  constructor(conn: PgConnection, audit: AuditRepo, transaction: <T>(fn: () => T) => T) {
    super(pgPreparer(conn), audit, transaction);
  }
}
