// The Preparer of the PostgreSQL store (see ../statements.ts): a statement
// written with `?` placeholders runs over the connection with PostgreSQL's
// numbered ones, so the repositories shared with SQLite run unchanged. The
// connection prepares each text once per session.

import type { Preparer, Statement } from '../statements.ts';
import type { PgConnection } from './connection.ts';
import type { DeferringSession } from './session.ts';
import { numbered } from './sql.ts';

export function pgPreparer(conn: PgConnection | DeferringSession): Preparer {
  return {
    dialect: 'postgres',
    prepare(sql: string): Statement {
      const text = numbered(sql);
      return {
        all: (...args) => conn.query(text, args).rows,
        get: (...args) => conn.query(text, args).rows[0],
        run: (...args) => ({ changes: conn.query(text, args).rowCount }),
        ...('later' in conn ? { runLater: (...args) => conn.later(text, args) } : {}),
      };
    },
  };
}
