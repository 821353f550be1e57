// proto/ is the contract other languages build plugins from: it must lint
// clean (buf's STANDARD rules, except the issue-given service names), and
// src/gen must be exactly what `npm run generate` makes of it today.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'node_modules', '.bin');
const out = mkdtempSync(join(tmpdir(), 'kubeherald-buf-'));
after(() => rmSync(out, { recursive: true, force: true }));

function buf(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    // protoc-gen-es is found on PATH, as npm scripts put node_modules/.bin there
    execFile(join(BIN, 'buf'), args, { cwd: ROOT, env: { ...process.env, PATH: `${BIN}:${process.env.PATH}` } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('proto/', () => {
  test('buf lint is clean', async () => {
    const r = await buf(['lint']);
    assert.equal(r.code, 0, r.output);
  });

  test('src/gen is what buf generate makes of it now', async () => {
    const r = await buf(['generate', '-o', out]);
    assert.equal(r.code, 0, r.output);
    const fresh = join(out, 'src', 'gen');
    const committed = join(ROOT, 'src', 'gen');
    const names = (d: string) => files(d).map((f) => relative(d, f)).sort();
    assert.deepEqual(names(committed), names(fresh), 'run `npm run generate`');
    for (const name of names(fresh)) assert.equal(readFileSync(join(committed, name), 'utf8'), readFileSync(join(fresh, name), 'utf8'), `src/gen/${name} is stale: run \`npm run generate\``);
  });
});
