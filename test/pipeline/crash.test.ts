// Crash safety: a process that enqueues and delivers is killed with SIGKILL
// mid-delivery, again and again, and restarted on the same state file.
// Nothing enqueued is lost; the only repeats are deliveries the sink took
// just before a kill, before their success was committed (one per kill, the
// sink having one target), and rows left inflight return to pending on open.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { tempStore } from './helpers.ts';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const tmp = tempStore('kubeherald-crash-');
after(() => tmp.cleanup());

/** Runs the child; kills it with SIGKILL when it prints a line matching `killOn`, else lets it exit. Resolves with its lines. */
function runChild(args: string[], killOn?: RegExp): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (killOn?.test(line)) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (killOn ? signal === 'SIGKILL' : code === 0) resolve(lines);
      else reject(new Error(`child ended with ${signal ?? code}: ${stderr}`));
    });
  });
}

describe('crash safety', () => {
  it('SIGKILL mid-enqueue keeps whole transactions only', async () => {
    const db = join(tmp.dir, 'enqueue.db');
    const log = join(tmp.dir, 'enqueue.log');
    writeFileSync(log, '');
    // killed as soon as the 30th notification is committed, while more batches follow
    const lines = await runChild([db, log, '5000', '0'], /^COMMITTED 30$/);
    assert.ok(lines.includes('COMMITTED 30'));
    const store = openSqliteStore({ path: db, recover: false });
    try {
      const c = store.outbox.counts();
      const total = c.pending + c.inflight + c.delivered + c.dead;
      assert.ok(total >= 30, `${total} rows, 30 were reported committed`);
      assert.equal(total % 10, 0, `${total} rows: a transaction of ten was split by the kill`);
    } finally {
      store.close();
    }
  });

  /**
   * Five SIGKILLs mid-delivery, then a last run. `maxRun` 1: one delivery at
   * a time per target, so each kill repeats exactly the one the sink took
   * uncommitted. Runs (deliverer.ts) send a queue's next before the one
   * before it is recorded: a kill repeats at most a run's worth.
   */
  async function fiveKills(name: string, maxRun: number): Promise<void> {
    const db = join(tmp.dir, `${name}.db`);
    const log = join(tmp.dir, `${name}.log`);
    writeFileSync(log, '');
    const N = 200;
    const hung: string[] = [];
    for (let kill = 0; kill < 5; kill++) {
      const lines = await runChild([db, log, kill === 0 ? String(N) : '0', String(17 + kill * 7), String(maxRun)], /^HANG /);
      hung.push(lines.find((l) => l.startsWith('HANG '))!.slice(5));
      const peek = openSqliteStore({ path: db, recover: false });
      try {
        const c = peek.outbox.counts();
        // what the kill left: the hung delivery in flight (a run's later ones are pending in the store until recorded)
        if (maxRun === 1) assert.equal(c.inflight, 1, `after kill ${kill + 1}`);
        else assert.ok(c.inflight <= 1, `after kill ${kill + 1}: ${c.inflight} inflight`);
        assert.equal(c.pending + c.inflight + c.delivered, N, 'every enqueued row is still there');
      } finally {
        peek.close();
      }
    }
    // the last restart delivers the rest and exits by itself
    const last = await runChild([db, log, '0', '0', String(maxRun)]);
    assert.equal(last.at(-1), 'DONE');
    const store = openSqliteStore({ path: db, recover: false });
    try {
      const c = store.outbox.counts();
      assert.deepEqual([c.pending, c.inflight, c.delivered], [0, 0, N]);
    } finally {
      store.close();
    }
    const keys = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    const unique = new Set(keys);
    const expected = Array.from({ length: N }, (_, i) => `key-${i}`);
    const lost = expected.filter((k) => !unique.has(k));
    assert.deepEqual(lost, [], 'lost');
    const repeats = keys.length - unique.size;
    if (maxRun === 1) {
      // each kill left exactly the delivery the sink had taken uncommitted: it, and only it, went twice
      assert.equal(repeats, hung.length, 'one repeat per kill');
      const repeated = [...unique].filter((k) => keys.indexOf(k) !== keys.lastIndexOf(k));
      assert.deepEqual(repeated.sort(), [...hung].sort());
    } else {
      assert.ok(repeats >= hung.length && repeats <= hung.length * maxRun, `${repeats} repeats for ${hung.length} kills with runs of ${maxRun}`);
    }
    // and in order: the sink has one target, so each key first arrives in enqueue order
    assert.deepEqual([...unique], expected);
  }

  it('five kills mid-delivery, one at a time: nothing lost, one repeat per kill, inflight back to pending', async () => {
    await fiveKills('deliver', 1);
  });

  it('five kills mid-delivery in runs: nothing lost, in order, at most a run repeated per kill', async () => {
    await fiveKills('deliver-runs', 8);
  });
});
