// The store's backends for contract tests: a test written once runs against
// SQLite (a file in a temporary directory) and PostgreSQL (a real server,
// one per test file, started on first use; an empty database per test):
//
//   for (const b of backends) describe(b.name, () => { … const db = await b.fresh(); const store = db.open(); … });
//
// Stores opened through a backend are closed, and the server stopped, when
// the file's tests end (after() below), so a failed test leaks nothing.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { Logger } from '../../src/model/logger.ts';
import type { SQLInputValue } from 'node:sqlite';
import { numbered } from '../../src/store/postgres/sql.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { Store } from '../../src/store/types.ts';
import { freshDatabase, startPostgres, type TestPostgres } from '../helpers/postgres.ts';

export interface OpenOptions {
  /** return inflight rows to pending on open; default false on both (PostgreSQL's default; SQLite's own default is true) */
  recover?: boolean;
  now?: () => number;
  log?: Logger;
}

/** One empty database of a backend; open() may be called again after close() (a restart). */
export interface TestDatabase {
  open(opts?: OpenOptions): Store;
  /** where it is: the SQLite file's path, or the PostgreSQL url (no password) */
  readonly location: string;
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  fresh(): Promise<TestDatabase>;
  /** Runs SQL (`?` placeholders) on a store of this backend, past its repositories: rows a test plants or inspects. */
  sql(store: Store, text: string, params?: unknown[]): Record<string, unknown>[];
}

const opened: Store[] = [];
const dirs: string[] = [];
let server: Promise<TestPostgres> | undefined;

function track<S extends Store>(s: S): S {
  opened.push(s);
  return s;
}

const sqlite: Backend = {
  name: 'sqlite',
  async fresh() {
    const dir = mkdtempSync(join(tmpdir(), 'kh-store-'));
    dirs.push(dir);
    const path = join(dir, 'state.db');
    // exclusive: false: a test holding two stores on one file (two processes) is the point, not a mistake
    return { location: path, open: (o = {}) => track(new SqliteStore({ path, recover: o.recover ?? false, exclusive: false, now: o.now, log: o.log })) };
  },
  sql: (store, text, params = []) => (store as SqliteStore).db.prepare(text).all(...(params as SQLInputValue[])) as Record<string, unknown>[],
};

const postgres: Backend = {
  name: 'postgres',
  async fresh() {
    server ??= startPostgres();
    const url = await freshDatabase((await server).url);
    return { location: url, open: (o = {}) => track(new PostgresStore({ url, recover: o.recover ?? false, now: o.now, log: o.log })) };
  },
  sql: (store, text, params = []) => (store as PostgresStore).conn.query(numbered(text), params).rows,
};

export const backends: readonly Backend[] = [sqlite, postgres];

/** The PostgreSQL server of this test file (started if need be), for tests that need more than a store. */
export async function testServer(): Promise<TestPostgres> {
  server ??= startPostgres();
  return server;
}

after(async () => {
  for (const s of opened.splice(0)) {
    try {
      s.close();
    } catch {
      // closed already, or its connection was given up by the test
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  if (server) await (await server).stop();
});
