// `kubeherald run` holds only the code it uses: another verb's modules (the
// plugin server's certificate issuing), the CEL library while no
// route has an expression, a chat platform's SDK while ChatOps is off. Each
// such module is memory in every running process (docs/scale.md). The
// modules a run loaded are recorded by test/helpers/loaded-modules.ts.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSim, type Sim } from '../../src/sim/sim.ts';

const bin = join(import.meta.dirname, '../../bin/kubeherald.js');
const preload = join(import.meta.dirname, '../helpers/loaded-modules.ts');
let dir: string;
let sim: Sim;
let kubeconfig: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubeherald-run-modules-'));
  sim = await startSim({ clockSpeed: 0 });
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, sim.kubeconfig);
});
after(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts run with `config` until it listens, stops it; the module URLs it loaded. */
async function modulesOfRun(name: string, config: string): Promise<string[]> {
  const file = join(dir, `${name}.yaml`);
  const list = join(dir, `${name}.modules`);
  writeFileSync(file, `${config}\nstate: { path: ":memory:" }\n`);
  const c: ChildProcess = spawn(process.execPath, ['--import', preload, bin, 'run', '--config', file, '--kubeconfig', kubeconfig], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, KUBEHERALD_LOADED_MODULES: list },
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => c.on('exit', (code) => resolve(code)));
  try {
    await Promise.race([
      new Promise<void>((resolve) =>
        c.stderr!.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (stderr.includes('"msg":"listening"')) resolve();
        }),
      ),
      exited.then((code) => assert.fail(`run exited (${code}) before it listened:\n${stderr}`)),
    ]);
  } finally {
    c.kill('SIGTERM');
    await exited;
  }
  return readFileSync(list, 'utf8').split('\n').filter(Boolean);
}

const of = (urls: string[], pkg: string): string[] => urls.filter((u) => u.includes(`/node_modules/${pkg}/`));

describe('what kubeherald run loads', () => {
  it('with a console sink and no CEL route: none of plugin certificates, CEL, Slack Socket Mode, grammy or other verbs', async () => {
    const urls = await modulesOfRun('plain', 'sinks: [{ name: out, type: console }]\nroutes: [{ name: all, match: { reasons: [CrashLoopBackOff] }, sinks: [out] }]');
    assert.ok(urls.some((u) => u.endsWith('/cli/run.ts')), 'the run verb itself');
    for (const pkg of ['selfsigned', '@peculiar/x509', '@bufbuild/cel', '@bufbuild/re2', '@slack/socket-mode', 'grammy']) {
      assert.deepEqual(of(urls, pkg), [], `run loaded ${pkg}`);
    }
    for (const verb of ['plugin', 'routes', 'doctor', 'demo', 'dlq', 'audit']) {
      assert.ok(!urls.some((u) => u.endsWith(`/cli/${verb}.ts`)), `run loaded cli/${verb}.ts`);
    }
    // a state in SQLite: nothing of the PostgreSQL backend
    assert.deepEqual(urls.filter((u) => u.includes('/store/postgres/')), [], 'run on SQLite loaded the PostgreSQL store');
  });

  it('a route with a CEL expression loads the CEL library', async () => {
    const urls = await modulesOfRun('cel', 'sinks: [{ name: out, type: console }]\nroutes: [{ name: prod, match: { cel: \'ns == "prod"\' }, sinks: [out] }]');
    assert.ok(of(urls, '@bufbuild/cel').length > 0, 'CEL not loaded though a route uses it');
  });
});
