// The synchronous PostgreSQL connection against a real server: types both
// ways, errors with the server's message and code, one session per
// connection (a transaction holds across calls), the query timeout, and no
// password in an error.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectPostgres, PgError, redactUrl, type PgConnection, type PgRow } from '../../src/store/postgres/connection.ts';
import { freshDatabase, startPostgres, type TestPostgres } from '../helpers/postgres.ts';

describe('connectPostgres', () => {
  let server: TestPostgres;
  let url: string;
  const open: PgConnection[] = [];
  const connect = (opts: Partial<Parameters<typeof connectPostgres>[0]> = {}): PgConnection => {
    const c = connectPostgres({ url, ...opts });
    open.push(c);
    return c;
  };

  before(async () => {
    server = await startPostgres();
    url = await freshDatabase(server.url);
  });
  after(async () => {
    for (const c of open) c.close();
    await server?.stop();
  });

  test('int8 and numeric come back as numbers, bytea as bytes, booleans as booleans; Uint8Array goes in as bytea', () => {
    const c = connect();
    const r = c.query<{ big: number; n: number; b: Uint8Array; yes: boolean; t: string | null; c: number }>(
      "SELECT $1::bigint AS big, 12.5::numeric AS n, $2::bytea AS b, $3::boolean AS yes, NULL::text AS t, COUNT(*) AS c FROM (VALUES (1), (2)) v(x)",
      [1_765_000_000_123, new Uint8Array([0, 1, 255]), true],
    );
    assert.equal(r.rowCount, 1);
    assert.deepEqual(r.rows[0], { big: 1_765_000_000_123, n: 12.5, b: new Uint8Array([0, 1, 255]), yes: true, t: null, c: 2 });
    assert.ok(r.rows[0].b instanceof Uint8Array);
  });

  test("a failed statement throws the server's message and SQLSTATE; the connection goes on", () => {
    const c = connect();
    c.query('CREATE TABLE t (k TEXT PRIMARY KEY)');
    c.query('INSERT INTO t VALUES ($1)', ['a']);
    assert.throws(
      () => c.query('INSERT INTO t VALUES ($1)', ['a']),
      (err: unknown) => err instanceof PgError && err.code === '23505' && /duplicate key value violates unique constraint/.test(err.message),
    );
    assert.throws(() => c.query('SELEC 1'), (err: unknown) => err instanceof PgError && err.code === '42601');
    assert.equal(c.query<{ n: number }>('SELECT COUNT(*) AS n FROM t').rows[0].n, 1);
    // several statements in one text: the last one's rows
    assert.deepEqual(c.query('SELECT 1 AS a; SELECT 2 AS b').rows, [{ b: 2 }]);
    c.query('DROP TABLE t');
  });

  test('a transaction spans calls: one session per connection, invisible to another until committed', () => {
    const a = connect();
    const b = connect();
    a.query('CREATE TABLE tx (v INT)');
    a.query('BEGIN');
    a.query('INSERT INTO tx VALUES (1)');
    assert.equal(b.query<{ n: number }>('SELECT COUNT(*) AS n FROM tx').rows[0].n, 0);
    a.query('COMMIT');
    assert.equal(b.query<{ n: number }>('SELECT COUNT(*) AS n FROM tx').rows[0].n, 1);
    a.query('DROP TABLE tx');
  });

  test('a statement over the query timeout fails clearly and leaves the connection closed', () => {
    const c = connect({ queryTimeoutMs: 300 });
    const t0 = Date.now();
    assert.throws(() => c.query('SELECT pg_sleep(5)'), { message: 'PostgreSQL did not answer within 0.3 s' });
    assert.ok(Date.now() - t0 < 4_000, 'the wait ended at the timeout, not with the statement');
    assert.throws(() => c.query('SELECT 1'), /PostgreSQL connection is closed \(PostgreSQL did not answer within 0\.3 s\)/);
  });

  test('a closed connection refuses queries; close twice is harmless', () => {
    const c = connect();
    c.close();
    c.close();
    assert.throws(() => c.query('SELECT 1'), /connection is closed/);
  });

  /** Runs `sql` until it succeeds: the statement that meets the lost session may fail, the next opens a new one. */
  const afterLoss = (c: PgConnection, sql: string): PgRow[] => {
    let failures = 0;
    for (;;) {
      try {
        return c.query(sql).rows;
      } catch (err) {
        assert.ok(++failures <= 1, `more than one statement failed after the session was lost: ${(err as Error).message}`);
      }
    }
  };

  test('a session the server ends while idle is replaced by the next statement', () => {
    const c = connect();
    const admin = connect();
    const pid = c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid').rows[0].pid;
    // with a timeout, pg_terminate_backend returns once the session is gone
    assert.deepEqual(admin.query('SELECT pg_terminate_backend($1, 5000) AS t', [pid]).rows, [{ t: true }]);
    const [row] = afterLoss(c, 'SELECT pg_backend_pid() AS pid');
    assert.notEqual(row.pid, pid, 'a new session');
    assert.deepEqual(c.query('SELECT 1 AS one').rows, [{ one: 1 }]);
  });

  test('a session lost inside a transaction fails the transaction, never carries on without it', () => {
    const c = connect();
    const admin = connect();
    admin.query('CREATE TABLE lost (v INT)');
    c.query('BEGIN');
    c.query('INSERT INTO lost VALUES (1)');
    const pid = c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid').rows[0].pid;
    assert.deepEqual(admin.query('SELECT pg_terminate_backend($1, 5000) AS t', [pid]).rows, [{ t: true }]);
    // whichever way the loss shows (the driver's error or ours), the transaction's statements fail until it is rolled back
    assert.throws(() => c.query('INSERT INTO lost VALUES (2)'));
    assert.throws(() => c.query('INSERT INTO lost VALUES (3)'), /terminat|session lost inside a transaction|not queryable/);
    try {
      c.query('ROLLBACK');
    } catch {
      // the session is gone: so is its transaction
    }
    assert.deepEqual(afterLoss(c, 'SELECT COUNT(*) AS n FROM lost'), [{ n: 0 }], 'nothing of the transaction was written');
    c.query('INSERT INTO lost VALUES (4)');
    assert.deepEqual(admin.query('SELECT v FROM lost').rows, [{ v: 4 }], 'autocommit again in the new session');
    admin.query('DROP TABLE lost');
  });

  test("a session left idle inside a transaction (a paused process) is ended by the server, releasing its locks for the others", () => {
    // query timeout 3 s: the server ends a session idle in a transaction after half of it
    const paused = connect({ queryTimeoutMs: 3_000 });
    const other = connect();
    other.query('CREATE TABLE held_row (k INT PRIMARY KEY, v INT)');
    other.query('INSERT INTO held_row VALUES (1, 0)');
    paused.query('BEGIN');
    paused.query('UPDATE held_row SET v = 1 WHERE k = 1');
    // waits for the paused session's row lock: answered once the server has ended that session
    assert.equal(other.query('UPDATE held_row SET v = 2 WHERE k = 1').rowCount, 1);
    assert.throws(() => paused.query('COMMIT'));
    assert.deepEqual(other.query('SELECT v FROM held_row').rows, [{ v: 2 }], "the paused session's change was rolled back");
    other.query('DROP TABLE held_row');
  });

  test('a refused connection names the redacted url, never the password', () => {
    const port = new URL(server.url).port;
    const secret = 'hunter2-secret';
    // a database that does not exist: the server answers, with an error
    const bad = `postgres://kubeherald:${secret}@127.0.0.1:${port}/no_such_db`;
    assert.throws(
      () => connectPostgres({ url: bad, password: 'other-secret', connectTimeoutMs: 5_000 }),
      (err: unknown) => {
        const e = err as PgError;
        assert.match(e.message, /cannot connect to PostgreSQL at postgres:\/\/kubeherald:\*\*\*@127\.0\.0\.1:\d+\/no_such_db: database "no_such_db" does not exist/);
        assert.equal(e.code, '3D000');
        assert.ok(!e.message.includes(secret) && !e.message.includes('other-secret'));
        return true;
      },
    );
    // nobody listening
    assert.throws(() => connectPostgres({ url: `postgres://kubeherald:${secret}@127.0.0.1:1/x`, connectTimeoutMs: 2_000 }), (err: unknown) => {
      assert.match((err as Error).message, /cannot connect to PostgreSQL at postgres:\/\/kubeherald:\*\*\*@127\.0\.0\.1:1\/x: .*ECONNREFUSED/);
      assert.ok(!(err as Error).message.includes(secret));
      return true;
    });
  });
});

test('redactUrl hides the password wherever the url carries it', () => {
  assert.equal(redactUrl('postgres://kh:s3cret@db:5432/kh'), 'postgres://kh:***@db:5432/kh');
  assert.equal(redactUrl('postgresql://kh:p@ss/w@rd@db/kh?sslmode=require'), 'postgresql://kh:***@db/kh?sslmode=require');
  assert.equal(redactUrl('postgres://kh@db/kh?password=x&sslmode=require'), 'postgres://kh@db/kh?password=***&sslmode=require');
  assert.equal(redactUrl('postgres://db/kh'), 'postgres://db/kh');
  assert.equal(redactUrl('postgres://kh@db:5432/kh'), 'postgres://kh@db:5432/kh');
});
