// A real PostgreSQL server for tests, from Debian's packages (.ci/run
// installs `postgresql`): initdb in a temporary directory, the server on a
// free port of 127.0.0.1 with its socket in that directory, the test user
// trusted (or asked for a password, when a test wants one), fsync off. As
// root, initdb and the server run as the `postgres` user: initdb refuses root.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  /** postgres://kubeherald@127.0.0.1:<port>/kubeherald (no password in it, even when the server wants one) */
  url: string;
  stop(): Promise<void>;
}

const USER = 'kubeherald';
const START_TIMEOUT_MS = 60_000;

/** The newest installed PostgreSQL's bin directory. */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  if (!versions.length) {
    throw new Error(`PostgreSQL's server binaries (initdb, postgres) are not installed under ${root}/<version>/bin: install Debian's postgresql package (apt-get install postgresql; .ci/run does)`);
  }
  versions.sort((a, b) => Number(b) - Number(a) || b.localeCompare(a));
  return join(root, versions[0], 'bin');
}

/** A port free on 127.0.0.1 now (the kernel's pick). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whom initdb and the server run as: the `postgres` user when we are root (spawn's uid/gid, so the child we signal is the server itself). */
interface RunAs {
  uid?: number;
  gid?: number;
}

function runAs(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  let uid: number;
  let gid: number;
  try {
    uid = id('-u');
    gid = id('-g');
  } catch {
    throw new Error('running as root, and there is no `postgres` user to run initdb and the server as (initdb refuses root): install Debian\'s postgresql package, which creates it');
  }
  return { uid, gid };
}

const running = new Set<{ child: ChildProcess; dir: string }>();

// a test file that ends without stop() (a failed before(), an exit) must not leave a server behind
process.once('exit', () => {
  for (const r of running) {
    r.child.kill('SIGKILL');
    try {
      rmSync(r.dir, { recursive: true, force: true });
    } catch {
      // the directory goes with the next tmp clean-up
    }
  }
});

/** Waits until the server accepts a session, or fails with its log when it exits or does not come up in time. */
async function untilAccepting(url: string, child: ChildProcess, output: () => string): Promise<void> {
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited (${signal ?? `code ${code}`})`;
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  // the server writes "ready to accept connections" to its log: each line it writes is a moment to try
  for (;;) {
    if (exited) throw new Error(`PostgreSQL ${exited} while starting:\n${output()}`);
    const client = adminClient(url, 'postgres');
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections within ${START_TIMEOUT_MS / 1000} s (${(err as Error).message}):\n${output()}`);
    }
    await new Promise<void>((resolve) => {
      const done = (): void => {
        child.stderr?.off('data', done);
        child.off('exit', done);
        clearTimeout(timer);
        resolve();
      };
      // a line from the server, its exit, or (a log line missed between our try and this wait) a second
      child.stderr?.once('data', done);
      child.once('exit', done);
      const timer = setTimeout(done, 1_000);
    });
  }
}

export interface StartOptions {
  /**
   * Sync as a production server does (fsync, synchronous_commit and
   * full_page_writes at the server's defaults, on): for benchmarks. Tests
   * leave them off, which is faster and loses nothing a test needs.
   */
  durable?: boolean;
  /**
   * Require this password of the test user on TCP (scram-sha-256), to see
   * a password reach the server; without it, any connection is trusted.
   */
  password?: string;
}

/** The test user's password per server (host:port), for this helper's own sessions. */
const passwords = new Map<string, string>();

/** A session as the test user on the server of `url`, to `database`. */
function adminClient(url: string, database: string): pg.Client {
  const u = new URL(url);
  // a config object, not a url: pg lets a url's (empty) password override a separate one
  const client = new pg.Client({ host: u.hostname, port: Number(u.port), user: USER, database, password: passwords.get(u.host), connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  return client;
}

/** Starts a PostgreSQL server with an empty database `kubeherald` owned by the test user. */
export async function startPostgres(opts: StartOptions = {}): Promise<TestPostgres> {
  const bin = binDir();
  const as = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'kh-pg-'));
  const data = join(dir, 'data');
  if (as.uid !== undefined) chownSync(dir, as.uid, as.gid!);
  try {
    const auth = ['-A', 'trust'];
    if (opts.password !== undefined) {
      const pwfile = join(dir, 'pw');
      writeFileSync(pwfile, `${opts.password}\n`, { mode: 0o600 });
      if (as.uid !== undefined) chownSync(pwfile, as.uid, as.gid!);
      auth.splice(0, 2, '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`);
    }
    execFileSync(join(bin, 'initdb'), ['-D', data, ...auth, '-U', USER, '--no-sync', '-E', 'UTF8', '--locale', 'C'], { ...as, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`initdb failed: ${e.stderr?.toString() || e.message}`);
  }
  const port = await freePort();
  const args = [
    '-D', data,
    '-p', String(port),
    '-k', dir,
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'max_connections=200',
    ...(opts.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
  ];
  const child = spawn(join(bin, 'postgres'), args, { ...as, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    log = (log + chunk).slice(-8_000);
  });
  const entry = { child, dir };
  running.add(entry);
  const url = `postgres://${USER}@127.0.0.1:${port}/${USER}`;
  if (opts.password !== undefined) passwords.set(`127.0.0.1:${port}`, opts.password);
  const stop = async (): Promise<void> => {
    if (!running.delete(entry)) return;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // SIGINT: PostgreSQL's fast shutdown (sessions cut, no checkpoint wait worth having with fsync off)
      child.kill('SIGINT');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // initdb made the databases postgres and template1; the test user's own comes next
    await untilAccepting(url, child, () => log);
    await createDatabase(url, USER);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}

async function createDatabase(url: string, name: string): Promise<void> {
  const client = adminClient(url, 'postgres');
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}

let fresh = 0;

/** A new empty database on the server of `url` (each test its own schema, one server per file); returns its url. */
export async function freshDatabase(url: string): Promise<string> {
  const name = `t${process.pid}_${++fresh}`;
  await createDatabase(url, name);
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
