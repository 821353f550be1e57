// The thread behind connection.ts: one pg Client, one request at a time: a
// statement, and before it the statements the store deferred (BEGIN,
// SAVEPOINT, RELEASE), written together in pg's pipeline mode so they cost
// one round trip to the server instead of one each.
// The owning thread is blocked in Atomics.wait while a statement runs, so
// every reply is posted first and the flag raised after: when the owner
// wakes, the reply is already on its port.

import { workerData, type MessagePort } from 'node:worker_threads';
import pg from 'pg';

export interface WorkerSetup {
  port: MessagePort;
  flag: Int32Array;
  url: string;
  password: string | undefined;
  connectTimeoutMs: number;
  /** the server ends a session left this long inside a transaction */
  idleInTransactionMs: number;
  applicationName: string;
}

/** `before`: statements whose results nobody reads, run first (each as if sent alone, in one round trip) */
export type WorkerRequest = { kind: 'query'; sql: string; params: unknown[]; before?: { sql: string; params: unknown[] }[] } | { kind: 'close' };

export type WorkerReply =
  | { ok: true; rows: Record<string, unknown>[]; rowCount: number; command?: string }
  | { ok: false; message: string; code?: string; detail?: string };

const INT8 = 20;
const NUMERIC = 1700;

// ids and epoch-ms timestamps are int8 but well within 2^53; counts (COUNT(*)) are int8 too
const toNumber = (v: string): number => Number(v);
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (v: string) => unknown {
    if (oid === INT8 || oid === NUMERIC) return toNumber;
    return pg.types.getTypeParser(oid, format ?? 'text') as (v: string) => unknown;
  },
};

/** The url with the password given separately put in (pg would let a url's empty password override a separate one). */
function withPassword(url: string, password: string | undefined): string {
  if (!password) return url;
  const u = new URL(url);
  u.password = encodeURIComponent(password);
  return u.toString();
}

function failure(err: unknown): WorkerReply {
  const e = err as { message?: string; code?: string; detail?: string };
  const reply: WorkerReply = { ok: false, message: e?.message || String(err) };
  // SQLSTATEs are five characters; a Node error's code (ECONNREFUSED) is kept too, it says what happened
  if (typeof e?.code === 'string') reply.code = e.code;
  if (typeof e?.detail === 'string') reply.detail = e.detail;
  return reply;
}

const setup = workerData as WorkerSetup;
const { port, flag } = setup;

function answer(reply: WorkerReply): void {
  port.postMessage(reply);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

/** Parameters as pg takes them: a structured clone turned Buffers into plain Uint8Arrays. */
function prepare(params: unknown[]): unknown[] {
  return params.map((p) => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p));
}

/** Statement names per SQL text: a statement with parameters is parsed once per session. */
const names = new Map<string, string>();
const MAX_PREPARED = 500;

/** The session: replaced when the server ended the last one (a restart, a failover, an idle cut) and no transaction was open in it. */
let client: pg.Client;
/** why the session ended, while it has not been replaced */
let lost: Error | undefined;
/** a transaction is open in the session (BEGIN seen, no COMMIT or ROLLBACK yet) */
let inTransaction = false;

async function connect(): Promise<void> {
  const c = new pg.Client({
    connectionString: withPassword(setup.url, setup.password),
    connectionTimeoutMillis: setup.connectTimeoutMs,
    application_name: setup.applicationName,
    // our transactions never wait on anything but the server: a session idle in one belongs to a paused or
    // hung process, and its locks (a claim, a term's row) would hold up every replica until it woke
    idle_in_transaction_session_timeout: setup.idleInTransactionMs,
    keepAlive: true,
    types,
    // each query keeps its own Sync, so the server runs them exactly as if sent one by one
    pipeline: true,
  });
  // a session lost while idle: noted, and the next statement outside a transaction opens a new one
  c.on('error', (err) => {
    if (c === client) lost ??= err;
  });
  c.on('end', () => {
    if (c === client) lost ??= new Error('the server ended the session');
  });
  await c.connect();
  client = c;
  lost = undefined;
}

try {
  await connect();
  answer({ ok: true, rows: [], rowCount: 0 });
} catch (err) {
  answer(failure(err));
  port.close();
}

const BEGIN = /^\s*(BEGIN|START TRANSACTION)\b/i;
// ROLLBACK TO (a savepoint) leaves the transaction open
const END = /^\s*(COMMIT|END|ROLLBACK(?!\s+TO\b))\b/i;

function queryConfig(sql: string, params: unknown[]): pg.QueryConfig {
  if (!params.length) return { text: sql };
  let name = names.get(sql);
  // texts built from filters vary: past a bound they run unprepared rather than pile up in the session
  if (name === undefined && names.size < MAX_PREPARED) names.set(sql, (name = `kh${names.size + 1}`));
  return { ...(name ? { name } : {}), text: sql, values: prepare(params) };
}

/** Runs one statement, in a new session if the last one is gone (never inside a transaction: its earlier statements went with the session). */
async function run(req: Extract<WorkerRequest, { kind: 'query' }>): Promise<WorkerReply> {
  if (lost) {
    if (inTransaction) {
      // the server rolled it back when the session went: a ROLLBACK says so, anything else fails
      if (END.test(req.sql)) {
        inTransaction = false;
        if (/^\s*ROLLBACK/i.test(req.sql)) return { ok: true, rows: [], rowCount: 0 };
      }
      return { ok: false, message: `PostgreSQL session lost inside a transaction (${lost.message}); the transaction was rolled back`, code: '08006' };
    }
    await connect();
  }
  const statements = [...(req.before ?? []), req];
  try {
    // all written before any answer is read; the first failure is the one to report, as if they had run one by one
    const settled = await Promise.allSettled(statements.map((s) => client.query(queryConfig(s.sql, s.params))));
    const texts = statements.map((s) => s.sql);
    if (settled.some((r, i) => r.status === 'fulfilled' && BEGIN.test(texts[i]))) inTransaction = true;
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const result = (settled[settled.length - 1] as PromiseFulfilledResult<pg.QueryResult | pg.QueryResult[]>).value;
    // several statements in one text (a migration): the last one's result
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    return { ok: true, rows: last?.rows ?? [], rowCount: last?.rowCount ?? 0, ...(last?.command ? { command: last.command } : {}) };
  } finally {
    // a COMMIT or ROLLBACK ends the transaction even when it fails
    if (END.test(req.sql)) inTransaction = false;
  }
}

port.on('message', async (req: WorkerRequest) => {
  if (req.kind === 'close') {
    try {
      await client.end();
    } catch {
      // ending a broken session: nothing more to do
    }
    answer({ ok: true, rows: [], rowCount: 0 });
    port.close();
    return;
  }
  try {
    answer(await run(req));
  } catch (err) {
    answer(failure(err));
  }
});
