// `kubeherald run` and the config checks: a route to a sink that does not
// exist stops it before it touches the cluster; a route matching a reason
// nothing produces is logged as a warning and run starts, unless --strict.
// `config validate` says the same, with --strict as an error.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { DEFAULT_DETECTORS } from '../../src/detect/config.ts';

const bin = join(import.meta.dirname, '../../bin/kubeherald.js');
let dir: string;
let sim: Sim;
let kubeconfig: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubeherald-run-config-'));
  sim = await startSim({ clockSpeed: 0 });
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, sim.kubeconfig);
});
after(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

function configFile(name: string, routes: string): string {
  const path = join(dir, name);
  writeFileSync(path, ['sinks: [{ name: console, type: console }]', 'state: { path: ":memory:" }', 'routes:', routes, ''].join('\n'));
  return path;
}

/** Runs the CLI to its exit. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: kubeconfig } });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const REASON = `"RolloutComplete" is not a reason kubeherald's detectors or Kubernetes' own components give; did you mean "RolloutCompleted"?`;

describe('run and config validate: what the config checks find', () => {
  it('a route to a sink that does not exist: run refuses to start, naming file:line; config validate exits 1', async () => {
    const file = configFile('unknown-sink.yaml', '  - { name: crashes, match: { reasons: [CrashLoopBackOff] }, sinks: [consol] }');
    const run = await cli(['run', '--config', file, '--kubeconfig', kubeconfig]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, `kubeherald: ${file}:4: routes[0].sinks[0]: no sink named "consol"; did you mean "console"?\n`);
    const v = await cli(['config', 'validate', file]);
    assert.equal(v.code, 1);
    assert.equal(v.stderr, `${file}:4: routes[0].sinks[0]: no sink named "consol"; did you mean "console"?\n`);
  });

  it('a reason nothing produces: config validate warns (exit 0), --strict makes it an error (exit 1)', async () => {
    const file = configFile('typo.yaml', '  - { name: rollouts, match: { reasons: [RolloutComplete] }, sinks: [console] }');
    const v = await cli(['config', 'validate', file]);
    assert.equal(v.code, 0);
    assert.equal(v.stderr, `${file}:4: routes[0].match.reasons[0]: warning: ${REASON}\n`);
    assert.equal(v.stdout, `${file}: valid (1 sink, ${Object.values(DEFAULT_DETECTORS).filter((d) => d.enabled).length} detectors enabled, 1 warning)\n`);
    const strict = await cli(['config', 'validate', '--strict', file]);
    assert.equal(strict.code, 1);
    assert.equal(strict.stderr, `${file}:4: routes[0].match.reasons[0]: ${REASON}\n`);
  });

  it('run --strict refuses the same config before it touches the cluster', async () => {
    const file = configFile('typo-strict.yaml', '  - { name: rollouts, match: { reasons: [RolloutComplete] }, sinks: [console] }');
    const run = await cli(['run', '--strict', '--config', file, '--kubeconfig', join(dir, 'no-such-kubeconfig')]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, `kubeherald: ${file}:4: routes[0].match.reasons[0]: ${REASON}\n`);
  });

  it('run without --strict logs the warning and starts', async () => {
    const file = configFile('typo-run.yaml', '  - { name: rollouts, match: { reasons: [RolloutComplete] }, sinks: [console] }');
    const c: ChildProcess = spawn(process.execPath, [bin, 'run', '--config', file, '--kubeconfig', kubeconfig], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => c.on('exit', (code) => resolve(code)));
    try {
      // awaited: the log line that says it listens, or the exit that says it did not
      await Promise.race([
        new Promise<void>((resolve) =>
          c.stderr!.on('data', (d: Buffer) => {
            stderr += d.toString();
            if (stderr.includes('"msg":"listening"')) resolve();
          }),
        ),
        exited.then((code) => assert.fail(`run exited (${code}) before it listened:\n${stderr}`)),
      ]);
      const lines = stderr.split('\n').filter((l) => l.includes('"level":40')).map((l) => JSON.parse(l) as { msg: string; line?: number; path?: string });
      const warned = lines.find((l) => l.msg.startsWith('config: '));
      assert.ok(warned, stderr);
      assert.equal(warned.msg, `config: ${file}:4: routes[0].match.reasons[0]: warning: ${REASON}`);
      assert.deepEqual([warned.line, warned.path], [4, 'routes[0].match.reasons[0]']);
    } finally {
      c.kill('SIGTERM');
      await exited;
    }
  });
});
