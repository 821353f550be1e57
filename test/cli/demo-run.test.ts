// `kubeherald demo --once` and `kubeherald run` as processes, the way a
// newcomer and an operator start them.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startSim } from '../../src/sim/sim.ts';
import { demoExpectations } from '../../src/sim/scenarios/demo.ts';
import { FakeWebhooks } from '../fakes/webhook.ts';

const bin = join(import.meta.dirname, '../../bin/kubeherald.js');

function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}) {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

describe('kubeherald demo and run', () => {
  it('demo --once plays every incident kind and passes its own check', async () => {
    const p = runCli(['demo', '--once', '--speed', '30']);
    assert.equal(await p.exited, 0, p.out() + p.err());
    const n = demoExpectations().length;
    assert.match(p.out(), new RegExp(`${n} of ${n} expected incidents notified exactly once; 0 unexpected — PASS`));
    assert.match(p.out(), /FIRING +critical CrashLoopBackOff/);
  });

  it('run refuses a bad config before touching the cluster, naming file, line and key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeherald-run-'));
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(cfg, 'cluster:\n  name: x\ndetectors:\n  podNotReady:\n    minSecond: 5\n');
    const p = runCli(['run', '--config', cfg, '--kubeconfig', join(dir, 'does-not-exist')]);
    assert.equal(await p.exited, 1);
    assert.match(p.err(), new RegExp(`${cfg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5: detectors.podNotReady.minSecond: unknown key; did you mean "minSeconds"\\?`));
    assert.doesNotMatch(p.err(), /does-not-exist/);
  });

  it('run watches a cluster and writes notifications to a jsonl sink', async () => {
    const sim = await startSim({ clockSpeed: 30 });
    const dir = mkdtempSync(join(tmpdir(), 'kubeherald-run-'));
    const kubeconfig = join(dir, 'kc');
    writeFileSync(kubeconfig, sim.kubeconfig);
    const out = join(dir, 'notifications.jsonl');
    const cfg = join(dir, 'kubeherald.yaml');
    writeFileSync(cfg, `cluster:\n  name: e2e\nsinks:\n  - name: file\n    type: jsonl\n    path: ${out}\n`);
    const p = runCli(['run', '--config', cfg, '--kubeconfig', kubeconfig, '--log-level', 'warn']);
    try {
      sim.scenarios.start('crashloop');
      // the crash loop reaches CrashLoopBackOff ~22 cluster seconds in; wait for the line, driven by the file growing
      const line = await new Promise<string>((resolve, reject) => {
        p.exited.then((c) => reject(new Error(`run exited ${c}: ${p.err()}`)));
        const check = (): void => {
          const text = existsSync(out) ? readFileSync(out, 'utf8') : '';
          const hit = text.split('\n').find((l) => l.includes('CrashLoopBackOff'));
          if (hit) resolve(hit);
          else sim.clock.setTimeout(check, 1000);
        };
        check();
      });
      const n = JSON.parse(line);
      assert.equal(n.cluster, 'e2e');
      assert.equal(n.state, 'STATE_FIRING');
      assert.equal(n.involvedObject.name, 'crashloop');
      p.child.kill('SIGTERM');
      assert.equal(await p.exited, 0);
    } finally {
      p.child.kill('SIGKILL');
      await sim.close();
    }
  });

  it('run --url --secret sends signed webhooks with no config file at all', async () => {
    const sim = await startSim({ clockSpeed: 30 });
    const receiver = await FakeWebhooks.start({ secret: 's3cret' });
    const dir = mkdtempSync(join(tmpdir(), 'kubeherald-run-'));
    const kubeconfig = join(dir, 'kc');
    writeFileSync(kubeconfig, sim.kubeconfig);
    const p = runCli(['run', '--kubeconfig', kubeconfig, '--url', receiver.url('/hook'), '--secret', 's3cret', '--log-level', 'warn'], { env: { KUBEHERALD_WEBHOOKS: 'http://127.0.0.1:9/ignored' } });
    try {
      sim.scenarios.start('crashloop');
      const got = await new Promise<(typeof receiver.received)[number]>((resolve, reject) => {
        p.exited.then((c) => reject(new Error(`run exited ${c}: ${p.err()}`)));
        const check = (): void => {
          const hit = receiver.accepted('/hook').find((r) => JSON.stringify(r.body).includes('CrashLoopBackOff'));
          if (hit) resolve(hit);
          else sim.clock.setTimeout(check, 1000);
        };
        check();
      });
      assert.equal(got.verified, true, 'the documented receiver code verifies the signature');
      assert.doesNotMatch(p.err(), /s3cret/, 'the secret never reaches the log');
    } finally {
      p.child.kill('SIGKILL');
      await receiver.close();
      await sim.close();
    }
  });
});
