// The V8 flags kubeherald ships with (bin/kubeherald.js's first line says why)
// are given by both ways users start it: the installed command's shebang and
// the container image's ENTRYPOINT. Node reads them only at start, so one
// left out of either runs a process with the default young generation.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '../..');

function shebangFlags(): string[] {
  const first = readFileSync(join(root, 'bin/kubeherald.js'), 'utf8').split('\n')[0];
  const m = /^#!\/usr\/bin\/env -S node((?: --[\w-]+(?:=\S+)?)*)$/.exec(first);
  assert.ok(m, `bin/kubeherald.js's first line is not "#!/usr/bin/env -S node --flag…": ${first}`);
  return m[1].trim().split(' ').filter(Boolean);
}

function entrypointFlags(): string[] {
  const line = readFileSync(join(root, 'Dockerfile'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('ENTRYPOINT '));
  assert.ok(line, 'the Dockerfile has an ENTRYPOINT');
  const argv = JSON.parse(line.slice('ENTRYPOINT '.length)) as string[];
  assert.equal(argv[0], '/nodejs/bin/node');
  assert.equal(argv.at(-1), '/app/bin/kubeherald.js');
  return argv.slice(1, -1);
}

test('the shebang and the image ENTRYPOINT give Node the same V8 flags, --optimize-for-size among them', () => {
  const flags = shebangFlags();
  assert.ok(flags.includes('--optimize-for-size'), `no --optimize-for-size in ${flags.join(' ')}`);
  assert.deepEqual(entrypointFlags(), flags);
});

test('the pinned Node accepts the flags, and they keep the young generation smaller than it grows by default', () => {
  const flags = shebangFlags();
  // short-lived objects with some surviving a while, as a watch storm makes them: V8 grows the young generation for them
  const script =
    "let k=[];for(let i=0;i<2e7;i++){const o={a:i,b:'x'+i};if(i%50===0)k.push(o);if(k.length>2e4)k=[]}" +
    "console.log(require('node:v8').getHeapSpaceStatistics().find((s)=>s.space_name==='new_space').space_size)";
  const newSpace = (args: string[]): number => {
    const run = spawnSync(process.execPath, [...args, '-e', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    return Number(run.stdout.trim());
  };
  const shipped = newSpace(flags);
  const uncapped = newSpace([]);
  // --optimize-for-size keeps the semi-spaces at 1 MiB; by default they grew to 64 MiB each here
  assert.ok(shipped > 0 && shipped <= 4 * 1024 * 1024, `new_space ${shipped} bytes with ${flags.join(' ')}`);
  assert.ok(uncapped > 4 * shipped, `by default new_space reached ${uncapped} bytes, with the flags ${shipped}: they change nothing`);
});
