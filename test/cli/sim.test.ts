// `kubeherald sim` as a newcomer runs it: a process that prints its URL,
// writes a kubeconfig, serves kubectl, and stops cleanly on Ctrl-C.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Kubectl, waitForOutput } from '../helpers/kubectl.ts';

const bin = join(import.meta.dirname, '../../bin/kubeherald.js');

describe('kubeherald sim', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-sim-cli-'));
  const kubeconfig = join(dir, 'kc');
  const child = spawn(process.execPath, [bin, 'sim', '--port', '0', '--kubeconfig-out', kubeconfig, '--scenario', 'crashloop', '--speed', '60', '--user', 'bob:devs', '--empty-watches', 'events'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  after(() => {
    child.kill('SIGKILL');
  });

  it('prints where it listens, writes a kubeconfig kubectl can use, and exits on SIGINT', async () => {
    const out = await waitForOutput(child, (o) => o.includes('Press Ctrl-C'));
    assert.match(out, /Kubernetes API at https:\/\/127\.0\.0\.1:\d+/);
    assert.match(out, new RegExp(`export KUBECONFIG=${kubeconfig}`));
    const k = new Kubectl(readFileSync(kubeconfig, 'utf8'));
    assert.match(await k.ok(['get', 'nodes']), /sim-node-1\s+Ready/);
    assert.match(await k.ok(['get', 'pods', '-n', 'demo']), /crashloop/);
    assert.equal((await k.run(['auth', 'can-i', 'list', 'pods', '--context', 'kubeherald-sim-bob'])).stdout.trim(), 'no');
    // --empty-watches events: every Events watch is a 200 that ends at once, empty
    assert.equal(await k.ok(['get', '--raw', '/api/v1/events?watch=1']), '');
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  });

  it('rejects an unknown scenario naming the flag', async () => {
    const bad = spawn(process.execPath, [bin, 'sim', '--port', '0', '--kubeconfig-out', join(dir, 'kc2'), '--scenario', 'nope'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    bad.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => bad.on('exit', (c) => r(c)));
    assert.equal(code, 1);
    assert.match(err, /--scenario: unknown scenario "nope"; known: .*crashloop/);
  });
});
