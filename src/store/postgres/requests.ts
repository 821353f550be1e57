// Chat write requests on PostgreSQL, shared by every replica: ../requests.ts's
// repository over the connection (a decision's read locks the request FOR
// UPDATE there, so two approvers on two replicas are judged one after the other).

import { SqlRequests } from '../requests.ts';
import type { PgConnection } from './connection.ts';
import { pgPreparer } from './statements.ts';

export class PgRequests extends SqlRequests {
  /** `tx` runs fn in the store's transaction (nested ones are savepoints). */
  constructor(conn: PgConnection, tx: <T>(fn: () => T) => T) {
    super(pgPreparer(conn), tx);
  }
}
