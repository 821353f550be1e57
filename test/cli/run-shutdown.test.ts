// `kubeherald run` on SIGTERM: unready, stops, exits 0 with "stopped" logged.
// (That the deliveries in flight finish first is the Deliverer's stop(), tested with the pipeline.)

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startSim } from '../../src/sim/sim.ts';

const bin = join(import.meta.dirname, '../../bin/kubeherald.js');

test('run: SIGTERM after start-up stops it cleanly, exit 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-shutdown-'));
  const sim = await startSim({ clockSpeed: 0 });
  try {
    writeFileSync(join(dir, 'kubeconfig'), sim.kubeconfig);
    writeFileSync(join(dir, 'k.yaml'), ['sinks: [{ name: out, type: console, color: never }]', `state: { path: "${join(dir, 'state.db')}" }`, ''].join('\n'));
    const c = spawn(process.execPath, [bin, 'run', '-c', join(dir, 'k.yaml'), '--kubeconfig', join(dir, 'kubeconfig'), '--grace-period', '20'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => c.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      c.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/"msg":"listening"/.test(stderr)) resolve();
      });
      void exited.then(() => reject(new Error(`run exited before listening: ${stderr}`)));
    });
    c.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    const lines = stderr.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; signal?: string; gracePeriodSeconds?: number });
    const stopping = lines.find((l) => l.msg.startsWith('stopping'));
    assert.equal(stopping?.signal, 'SIGTERM');
    assert.equal(stopping?.gracePeriodSeconds, 20);
    assert.equal(lines.at(-1)?.msg, 'stopped');
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run: a grace period that is not a positive number is refused before anything starts', async () => {
  const c = spawn(process.execPath, [bin, 'run', '--grace-period', 'soon'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => c.on('exit', resolve));
  assert.equal(code, 1);
  assert.equal(stderr, 'kubeherald: --grace-period: expected a positive number of seconds, got "soon"\n');
});
