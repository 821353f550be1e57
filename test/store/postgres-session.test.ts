// Transaction control deferred onto the next statement (postgres/session.ts)
// against a real server: what is sent in how many requests, and that what
// commits and what rolls back is what store.transaction() promises.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectPostgres, PgError, type PgConnection, type PgResult, type PgStatement } from '../../src/store/postgres/connection.ts';
import { DeferringSession } from '../../src/store/postgres/session.ts';
import { Transactions } from '../../src/store/transactions.ts';
import { freshDatabase, startPostgres, type TestPostgres } from '../helpers/postgres.ts';

/** A connection that records each request: its statement and what was sent before it. */
function recording(conn: PgConnection): { conn: PgConnection; sent: string[][] } {
  const sent: string[][] = [];
  return {
    sent,
    conn: {
      query<R>(sql: string, params?: readonly unknown[], before: readonly PgStatement[] = []): PgResult<R> {
        sent.push([...before.map((b) => (typeof b === 'string' ? b : b.sql)), sql]);
        return conn.query<R>(sql, params, before);
      },
      close: () => conn.close(),
    },
  };
}

describe('DeferringSession', () => {
  let server: TestPostgres;
  let url: string;
  const open: PgConnection[] = [];
  let other: PgConnection;

  before(async () => {
    server = await startPostgres();
    url = await freshDatabase(server.url);
    other = connectPostgres({ url });
    open.push(other);
    other.query('CREATE TABLE t (v INT PRIMARY KEY)');
  });
  after(async () => {
    for (const c of open) c.close();
    await server?.stop();
  });

  const setUp = (): { session: DeferringSession; tx: Transactions; sent: string[][] } => {
    const raw = connectPostgres({ url });
    open.push(raw);
    const r = recording(raw);
    const session = new DeferringSession(r.conn);
    other.query('DELETE FROM t');
    return { session, tx: new Transactions(session), sent: r.sent };
  };
  const rows = (): number[] => other.query<{ v: number }>('SELECT v FROM t ORDER BY v').rows.map((r) => r.v);
  const insert = (s: DeferringSession, v: number): void => void s.query('INSERT INTO t VALUES ($1)', [v]);

  test('BEGIN and SAVEPOINT go with the first statement; a RELEASE before COMMIT is not sent', () => {
    const { session, tx, sent } = setUp();
    tx.run(() => tx.run(() => insert(session, 1)));
    assert.deepEqual(sent, [['BEGIN', 'SAVEPOINT s1', 'INSERT INTO t VALUES ($1)'], ['COMMIT']]);
    assert.deepEqual(rows(), [1]);
  });

  test('a RELEASE with statements after it goes with the next one, and the transaction holds across them', () => {
    const { session, tx, sent } = setUp();
    tx.run(() => {
      tx.run(() => insert(session, 1));
      assert.deepEqual(rows(), [], 'not visible before COMMIT');
      insert(session, 2);
    });
    assert.deepEqual(sent, [['BEGIN', 'SAVEPOINT s1', 'INSERT INTO t VALUES ($1)'], ['RELEASE s1', 'INSERT INTO t VALUES ($1)'], ['COMMIT']]);
    assert.deepEqual(rows(), [1, 2]);
  });

  test('a transaction or savepoint under which nothing ran sends nothing', () => {
    const { session, tx, sent } = setUp();
    tx.run(() => tx.run(() => undefined));
    assert.deepEqual(sent, []);
    tx.run(() => {
      insert(session, 1);
      tx.run(() => undefined);
    });
    assert.deepEqual(sent, [['BEGIN', 'INSERT INTO t VALUES ($1)'], ['COMMIT']]);
    assert.deepEqual(rows(), [1]);
  });

  test('a nested transaction that throws undoes only its own statements; the outer one goes on', () => {
    const { session, tx, sent } = setUp();
    tx.run(() => {
      insert(session, 1);
      assert.throws(() => tx.run(() => {
        insert(session, 2);
        throw new Error('boom');
      }), /boom/);
      // one that throws before it ran anything has nothing to roll back
      assert.throws(() => tx.run(() => {
        throw new Error('early');
      }), /early/);
      insert(session, 3);
    });
    assert.deepEqual(sent, [
      ['BEGIN', 'INSERT INTO t VALUES ($1)'],
      ['SAVEPOINT s1', 'INSERT INTO t VALUES ($1)'],
      ['ROLLBACK TO s1'],
      ['RELEASE s1', 'INSERT INTO t VALUES ($1)'],
      ['COMMIT'],
    ]);
    assert.deepEqual(rows(), [1, 3]);
  });

  test('a failed statement inside a savepoint is rolled back to it, and the transaction commits', () => {
    const { session, tx } = setUp();
    tx.run(() => {
      insert(session, 1);
      assert.throws(() => tx.run(() => insert(session, 1)), (err: unknown) => err instanceof PgError && err.code === '23505');
      insert(session, 2);
    });
    assert.deepEqual(rows(), [1, 2]);
  });

  test('an outer transaction that throws rolls everything back; one that ran nothing sends nothing', () => {
    const { session, tx, sent } = setUp();
    assert.throws(() => tx.run(() => {
      throw new Error('nothing ran');
    }), /nothing ran/);
    assert.deepEqual(sent, []);
    assert.throws(() => tx.run(() => {
      tx.run(() => insert(session, 1));
      throw new Error('after a write');
    }), /after a write/);
    assert.deepEqual(sent.at(-1), ['ROLLBACK']);
    assert.deepEqual(rows(), []);
    // the session is usable after
    tx.run(() => insert(session, 4));
    assert.deepEqual(rows(), [4]);
  });

  test('a write whose result nobody reads waits for the next statement inside a transaction, runs at once outside one', () => {
    const { session, tx, sent } = setUp();
    const text = 'INSERT INTO t VALUES ($1)';
    session.later(text, [1]);
    assert.deepEqual(sent, [[text]]);
    assert.deepEqual(rows(), [1]);
    tx.run(() => {
      session.later(text, [2]);
      session.later(text, [3]);
      assert.deepEqual(session.query<{ n: number }>('SELECT COUNT(*) AS n FROM t').rows[0].n, 3, 'the session reads its own writes');
      session.later(text, [4]);
    });
    assert.deepEqual(sent.slice(1), [
      ['BEGIN', text, text, 'SELECT COUNT(*) AS n FROM t'],
      [text, 'COMMIT'],
    ]);
    assert.deepEqual(rows(), [1, 2, 3, 4]);
    // rolled back before it was sent: never sent
    const before = sent.length;
    assert.throws(() => tx.run(() => {
      session.later(text, [5]);
      throw new Error('no');
    }), /no/);
    assert.equal(sent.length, before);
    // its failure is COMMIT's, and nothing of the transaction stays
    assert.throws(() => tx.run(() => {
      session.later(text, [6]);
      session.later(text, [1]);
    }), (err: unknown) => err instanceof PgError && err.code === '23505');
    assert.deepEqual(rows(), [1, 2, 3, 4]);
  });

  test('a failed statement swallowed inside the transaction makes COMMIT throw (the server rolled it back), where the dropped RELEASE would have', () => {
    const { session, tx } = setUp();
    assert.throws(
      () => tx.run(() => {
        insert(session, 1);
        tx.run(() => {
          try {
            insert(session, 1);
          } catch {
            // carrying on in a failed transaction: what callers must not do, and are told so
          }
        });
      }),
      (err: unknown) => err instanceof PgError && err.code === '25P02',
    );
    assert.deepEqual(rows(), []);
    tx.run(() => insert(session, 5));
    assert.deepEqual(rows(), [5]);
  });
});
