// A synchronous PostgreSQL connection. The Store interface is synchronous
// (node:sqlite is, and the intake writes notifications with the tracker in
// one synchronous transaction), while every PostgreSQL driver is
// asynchronous: a worker thread runs the real driver (`pg`, one Client, so a
// transaction's statements share one session) and this thread blocks on
// Atomics.wait until the worker answers, then takes the reply off the port
// with receiveMessageOnPort (the pattern synckit uses). Each call blocks the
// event loop for one round trip to the server, as a node:sqlite call blocks
// it for one file access; a timeout bounds it when the server hangs.

import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './connection-worker.ts';
import { redactUrl } from '../state-url.ts';

export { redactUrl };

export type PgRow = Record<string, unknown>;

/** A statement as text alone, or with its parameters. */
export type PgStatement = string | { sql: string; params: readonly unknown[] };

export interface PgResult<R = PgRow> {
  rows: R[];
  rowCount: number;
  /** the server's command tag's verb (INSERT, COMMIT; ROLLBACK for a COMMIT of a failed transaction) */
  command?: string;
}

export interface PgConnection {
  /**
   * Runs one statement (or, without params, several separated by `;`); throws an Error with the server's message (and code) on failure.
   * `before`: statements whose results are not needed, run first in the same round trip (the first failure is thrown).
   */
  query<R = PgRow>(sql: string, params?: readonly unknown[], before?: readonly PgStatement[]): PgResult<R>;
  /** why the connection can no longer be used; undefined while it can */
  readonly closed?: string;
  close(): void;
}

export interface PgConnectOptions {
  /** postgres://user[:password]@host[:port]/database[?sslmode=…] */
  url: string;
  /** overrides a password in the url (KUBEHERALD_STATE_PASSWORD, a Secret) */
  password?: string;
  /** default 10 s */
  connectTimeoutMs?: number;
  /** how long one statement may take before the connection is given up (default 10 s) */
  queryTimeoutMs?: number;
  /** shown in pg_stat_activity (default "kubeherald") */
  applicationName?: string;
}

/** An error the server (or the driver) reported; `code` is PostgreSQL's SQLSTATE when the server sent one. */
export class PgError extends Error {
  readonly code: string | undefined;
  readonly detail: string | undefined;
  constructor(message: string, code?: string, detail?: string) {
    super(message);
    this.name = 'PgError';
    this.code = code;
    this.detail = detail;
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** closing waits this long for the worker to end its session politely before terminating it */
const CLOSE_WAIT_MS = 2_000;

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/** The worker's file beside this one: .ts when running from source, .js from the build (dist/). */
function workerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./connection-worker${ext}`, import.meta.url);
}

class SyncPgConnection implements PgConnection {
  #worker: Worker;
  #port: MessagePort;
  #flag: Int32Array;
  #queryTimeoutMs: number;
  #secrets: string[];
  /** why the connection can no longer be used; undefined while it can */
  #closed: string | undefined;

  constructor(opts: PgConnectOptions) {
    this.#queryTimeoutMs = opts.queryTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#secrets = [opts.password, passwordOf(opts.url)].filter((s): s is string => !!s && s.length >= 3);
    this.#flag = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    const setup: WorkerSetup = {
      port: port2,
      flag: this.#flag,
      url: opts.url,
      password: opts.password,
      connectTimeoutMs,
      // well inside the query timeout: another replica waiting on a paused one's locks gets them before it gives up
      idleInTransactionMs: Math.max(500, Math.floor(this.#queryTimeoutMs / 2)),
      applicationName: opts.applicationName ?? 'kubeherald',
    };
    this.#worker = new Worker(workerUrl(), { workerData: setup, transferList: [port2] });
    // a connection forgotten without close() must not keep the process alive
    this.#worker.unref();
    // the worker's startup (loading pg) is on top of the connect timeout
    const reply = this.#await(connectTimeoutMs + 10_000, `PostgreSQL at ${redactUrl(opts.url)} did not accept a connection within ${seconds(connectTimeoutMs)}`);
    if (!reply.ok) {
      this.#shutDown('connect failed');
      throw this.#error(reply, `cannot connect to PostgreSQL at ${redactUrl(opts.url)}: `);
    }
  }

  get closed(): string | undefined {
    return this.#closed;
  }

  query<R = PgRow>(sql: string, params: readonly unknown[] = [], before: readonly PgStatement[] = []): PgResult<R> {
    if (this.#closed !== undefined) throw new PgError(`PostgreSQL connection is closed (${this.#closed})`);
    const first = before.map((b) => (typeof b === 'string' ? { sql: b, params: [] } : { sql: b.sql, params: [...b.params] }));
    const request: WorkerRequest = { kind: 'query', sql, params: [...params], ...(first.length ? { before: first } : {}) };
    this.#post(request);
    const reply = this.#await(this.#queryTimeoutMs, `PostgreSQL did not answer within ${seconds(this.#queryTimeoutMs)}`);
    if (!reply.ok) throw this.#error(reply, '');
    return { rows: reply.rows as R[], rowCount: reply.rowCount, ...(reply.command ? { command: reply.command } : {}) };
  }

  close(): void {
    if (this.#closed !== undefined) return;
    try {
      this.#post({ kind: 'close' });
      this.#await(CLOSE_WAIT_MS, 'closing');
    } catch {
      // the session ends with the thread anyway
    }
    this.#shutDown('closed');
  }

  #post(request: WorkerRequest): void {
    Atomics.store(this.#flag, 0, 0);
    this.#port.postMessage(request);
  }

  /** Blocks until the worker answers; on a timeout the connection is given up (a reply arriving later would answer the wrong query). */
  #await(timeoutMs: number, timeoutMessage: string): WorkerReply {
    const woke = Atomics.wait(this.#flag, 0, 0, timeoutMs);
    const msg = receiveMessageOnPort(this.#port);
    if (msg) return msg.message as WorkerReply;
    const why = woke === 'timed-out' ? timeoutMessage : 'PostgreSQL connection worker stopped without answering';
    this.#shutDown(why);
    throw new PgError(why);
  }

  #shutDown(why: string): void {
    this.#closed = why;
    this.#port.close();
    // terminating the thread drops its socket: the server rolls back whatever was open
    void this.#worker.terminate();
  }

  #error(reply: Extract<WorkerReply, { ok: false }>, prefix: string): PgError {
    return new PgError(this.#scrub(prefix + reply.message), reply.code, reply.detail === undefined ? undefined : this.#scrub(reply.detail));
  }

  /** A driver's message could quote what it was given; the password is never passed on. */
  #scrub(s: string): string {
    let out = s;
    for (const secret of this.#secrets) out = out.split(secret).join('***');
    return out;
  }
}

function passwordOf(url: string): string | undefined {
  try {
    const p = new URL(url).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    return undefined;
  }
}

/** Connects (blocking until the server accepted the session or the timeout passed). */
export function connectPostgres(opts: PgConnectOptions): PgConnection {
  return new SyncPgConnection(opts);
}
