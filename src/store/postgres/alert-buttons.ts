// Alert buttons' actions behind short tokens, on PostgreSQL: the replica that
// posted a button and the one that hears it pressed share the table.
// ../alert-buttons.ts's repository over the connection.

import { SqlAlertButtons } from '../alert-buttons.ts';
import type { PgConnection } from './connection.ts';
import { pgPreparer } from './statements.ts';

export class PgAlertButtons extends SqlAlertButtons {
  constructor(conn: PgConnection) {
    super(pgPreparer(conn));
  }
}
