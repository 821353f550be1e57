// Two real `kubeherald run` processes on one state file: the second is
// refused at once, non-zero, naming the file and the first one's pid; the
// CLI's readers and writers still work beside the first; after the first is
// SIGKILLed a new one starts on the same file without anything cleaned up.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startSim } from '../../src/sim/sim.ts';

const bin = join(import.meta.dirname, '../../bin/kubeherald.js');

interface Run {
  child: ChildProcess;
  exited: Promise<number | NodeJS.Signals | null>;
  listening: Promise<void>;
  output: () => string;
}

function kubeherald(args: string[]): Run {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let onListening: () => void = () => undefined;
  const heard = new Promise<void>((r) => (onListening = r));
  const take = (d: Buffer): void => {
    out += d.toString();
    if (out.includes('"msg":"listening"')) onListening();
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<number | NodeJS.Signals | null>((r) => child.on('exit', (code, signal) => r(signal ?? code)));
  // a process that exits before it listens rejects, so a test waiting for it fails instead of hanging
  const listening = Promise.race([heard, exited.then((how) => Promise.reject(new Error(`kubeherald exited (${how}) before it listened:\n${out}`)))]);
  listening.catch(() => undefined);
  return { child, exited, listening, output: () => out };
}

describe('kubeherald run: one process per state file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-owner-run-'));
  const running: ChildProcess[] = [];
  after(async () => {
    for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the second, names the holder, leaves the CLI in, and starts again after a SIGKILL', { timeout: 120_000 }, async () => {
    const sim = await startSim({ clockSpeed: 1 });
    try {
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(kubeconfig, sim.kubeconfig);
      const cfg = join(dir, 'kubeherald.yaml');
      writeFileSync(cfg, ['cluster: {name: lock}', 'sinks:', '  - {name: out, type: jsonl, path: out.jsonl}', 'state: {path: state.db}'].join('\n'));
      const db = join(dir, 'state.db');
      const runArgs = ['run', '--config', cfg, '--kubeconfig', kubeconfig];

      const first = kubeherald(runArgs);
      running.push(first.child);
      await first.listening;

      const second = kubeherald(runArgs);
      running.push(second.child);
      assert.equal(await second.exited, 1);
      assert.match(second.output(), new RegExp(`state database ${db.replace(/[.]/g, '\\.')} is in use by another kubeherald \\(pid ${first.child.pid} on host [^ ]+, since \\d{4}-`));
      assert.doesNotMatch(second.output(), /"msg":"listening"/);

      // short CLI transactions beside the running owner, as before the lock
      const silence = kubeherald(['silence', 'add', '--db', db, '--namespace', 'demo', '--for', '1h', '--comment', 'maintenance', '--author', 'test']);
      assert.equal(await silence.exited, 0, silence.output());
      const list = kubeherald(['silence', 'list', '--db', db]);
      assert.equal(await list.exited, 0, list.output());
      assert.match(list.output(), /maintenance/);
      const dlq = kubeherald(['dlq', 'list', '--state', db]);
      assert.equal(await dlq.exited, 0, dlq.output());

      const gone = once(first.child, 'exit');
      first.child.kill('SIGKILL');
      await gone;
      const third = kubeherald(runArgs);
      running.push(third.child);
      await third.listening;
      const stopped = third.exited;
      third.child.kill('SIGTERM');
      await stopped;
    } finally {
      await sim.close();
    }
  });
});
