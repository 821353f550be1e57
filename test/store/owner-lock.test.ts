// One delivering process per state file: the owner lock beside the database,
// refused to a second process with the holder named, free again once the
// holder is SIGKILLed; the CLI's readers and short writers still open the file.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { acquireOwnerLock, readLockHolder, StateLockedError } from '../../src/store/owner-lock.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubeherald-owner-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const dbPath = (): string => join(dir, `state-${++n}.db`);

/** A child process that holds the lock of `path` until killed; resolves once it holds it. */
async function holder(path: string): Promise<ChildProcess> {
  const c = spawn(process.execPath, [join(import.meta.dirname, 'owner-lock-holder.ts'), path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    c.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('held')) resolve();
    });
    c.on('exit', (code) => reject(new Error(`holder exited (${code}) before it held the lock:\n${err}`)));
  });
  return c;
}

async function kill9(c: ChildProcess): Promise<void> {
  const gone = once(c, 'exit');
  c.kill('SIGKILL');
  await gone;
}

describe('owner lock', () => {
  it('is refused to a second process with the file and the holder named, and free once the holder is SIGKILLed', async () => {
    const path = dbPath();
    const child = await holder(path);
    try {
      assert.throws(
        () => openSqliteStore({ path }),
        (err: unknown) => {
          assert.ok(err instanceof StateLockedError);
          assert.equal(err.holder?.pid, child.pid);
          assert.equal(err.holder?.host, hostname());
          assert.ok(!Number.isNaN(Date.parse(err.holder!.since)));
          assert.match(err.message, new RegExp(`state database ${path.replace(/[.]/g, '\\.')} is in use by another kubeherald \\(pid ${child.pid} on host `));
          return true;
        },
      );
      assert.equal(readLockHolder(path)?.pid, child.pid);
    } finally {
      await kill9(child);
    }
    // the kernel dropped the dead holder's lock: no stale file to remove by hand
    const store = openSqliteStore({ path });
    assert.equal(readLockHolder(path)?.pid, process.pid);
    store.close();
  });

  it('leaves the CLI readers and writers (recover: false) beside a running owner', async () => {
    const path = dbPath();
    openSqliteStore({ path }).close();
    const child = await holder(path);
    try {
      const cli = openSqliteStore({ path, recover: false, mustExist: true });
      const id = cli.transaction(() => cli.outbox.insert({ sink: 's', target: 't', orderingKey: 'k', idempotencyKey: 'i', payload: new Uint8Array([1]), members: 1, createdAt: 1 }));
      assert.equal(cli.outbox.get(id)?.state, 'pending');
      cli.close();
      // and one that asks for the lock explicitly is refused like an owner
      assert.throws(() => openSqliteStore({ path, recover: false, exclusive: true }), StateLockedError);
    } finally {
      await kill9(child);
    }
  });

  it('a second owner refused touches nothing: the holder\'s inflight rows stay inflight', async () => {
    const path = dbPath();
    const seed = openSqliteStore({ path });
    const id = seed.transaction(() => seed.outbox.insert({ sink: 's', target: 't', orderingKey: 'k', idempotencyKey: 'i', payload: new Uint8Array([1]), members: 1, createdAt: 1 }));
    seed.transaction(() => seed.outbox.markInflight(id, 2));
    seed.close();
    const child = await holder(path);
    try {
      // the holder recovered it at its start; claim it again as if it were sending
      const cli = openSqliteStore({ path, recover: false });
      assert.equal(cli.transaction(() => cli.outbox.markInflight(id, 3)), true);
      assert.throws(() => openSqliteStore({ path }), StateLockedError);
      assert.equal(cli.outbox.get(id)?.state, 'inflight');
      cli.close();
    } finally {
      await kill9(child);
    }
  });

  it('of several processes started at once on a fresh file, exactly one holds it, and the file names that one', async () => {
    const path = dbPath();
    const starts = Array.from({ length: 4 }, () => {
      const c = spawn(process.execPath, [join(import.meta.dirname, 'owner-lock-holder.ts'), path], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      // each either says it holds the lock or exits refused
      const outcome = new Promise<'held' | 'refused'>((resolve, reject) => {
        c.stdout!.on('data', () => out.includes('held') && resolve('held'));
        c.on('exit', (code) => (/StateLockedError/.test(out) && code !== 0 ? resolve('refused') : reject(new Error(`exited ${code}:\n${out}`))));
      });
      return { c, outcome };
    });
    try {
      const outcomes = await Promise.all(starts.map((s) => s.outcome));
      const holders = starts.filter((_, i) => outcomes[i] === 'held');
      assert.equal(holders.length, 1, `outcomes: ${outcomes.join(', ')}`);
      assert.equal(readLockHolder(path)?.pid, holders[0]!.c.pid);
    } finally {
      for (const s of starts) if (s.c.exitCode === null && s.c.signalCode === null) await kill9(s.c);
    }
  });

  it('is shared within one process and freed when the last user releases it', () => {
    const path = dbPath();
    const a = openSqliteStore({ path });
    const b = openSqliteStore({ path });
    a.close();
    a.close();
    assert.equal(readLockHolder(path)?.pid, process.pid);
    b.close();
    // free: taking it directly works, and a second release is harmless
    const l = acquireOwnerLock(path);
    l.release();
    l.release();
  });
});
