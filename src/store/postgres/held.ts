// Notifications held back from chat sinks, on PostgreSQL: ../held.ts's
// repository over the connection.

import { SqlHeld } from '../held.ts';
import type { PgConnection } from './connection.ts';
import { pgPreparer } from './statements.ts';

export class PgHeld extends SqlHeld {
  constructor(conn: PgConnection) {
    super(pgPreparer(conn));
  }
}
