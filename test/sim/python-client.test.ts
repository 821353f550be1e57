// The official Python client (Debian's python3-kubernetes, which CI
// installs) against the simulator: it lists, watches from the list's
// version (watch=True on the wire), raises ApiException 410 for a version
// older than the watch window, and keeps a timeout_seconds=0 watch open.
// test/sim/fixtures/python-watch.py does the client side, step by step.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startSim } from '../../src/sim/sim.ts';

const SCRIPT = join(import.meta.dirname, 'fixtures', 'python-watch.py');

/**
 * A python3 that can import the client: the one on PATH, else Debian's
 * (python3-kubernetes installs into /usr/bin/python3's packages, which a
 * pyenv or venv python3 first on PATH does not see).
 */
function pythonWithClient(): string {
  const errors: string[] = [];
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(python, ['-c', 'import kubernetes'], { stdio: 'pipe' });
      return python;
    } catch (err) {
      errors.push(`${python}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return assert.fail(
    `the official Python Kubernetes client is required for this test and is missing: install Debian's python3-kubernetes (apt-get install -y python3-kubernetes; .ci/run does). Tried ${errors.join('; ')}`,
  );
}

type Step = { step: string; [k: string]: unknown };

describe('the official Python client', () => {
  it('lists, watches ADDED/MODIFIED/DELETED, gets 410 for a too-old version, and keeps a timeout_seconds=0 watch open', async () => {
    const python = pythonWithClient();
    const sim = await startSim({ clockSpeed: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'kubeherald-python-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, sim.kubeconfig, { mode: 0o600 });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const ns = 'py';
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'keep' } } });

    const py = spawn(python, [SCRIPT, kubeconfig, ns], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    py.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => py.on('exit', (code) => r(code)));
    const steps: Step[] = [];
    try {
      const lines = createInterface({ input: py.stdout })[Symbol.asyncIterator]();
      const next = async (): Promise<Step> => {
        const r = await lines.next();
        if (r.done) assert.fail(`the Python script ended early (exit ${await exited}):\n${stderr}`);
        const s = JSON.parse(r.value) as Step;
        steps.push(s);
        return s;
      };

      const list = await next();
      assert.equal(list.step, 'list');
      assert.deepEqual(list.names, []);
      assert.match(String(list.rv), /^\d+$/);
      assert.equal((await next()).step, 'watching');

      // the changes the Python watch must see, made after its list
      await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'py-pod' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } });
      await core.patchNamespacedPod({ name: 'py-pod', namespace: ns, body: { metadata: { labels: { seen: 'yes' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      await core.deleteNamespacedPod({ name: 'py-pod', namespace: ns, gracePeriodSeconds: 0 });
      const events: Step[] = [];
      for (let s = await next(); ; s = await next()) {
        assert.equal(s.step, 'event', JSON.stringify(s));
        events.push(s);
        if (s.type === 'DELETED') break;
      }
      const types = events.map((e) => e.type);
      assert.equal(types[0], 'ADDED');
      assert.equal(types.at(-1), 'DELETED');
      assert.ok(types.slice(1, -1).every((t) => t === 'MODIFIED') && types.length >= 3, types.join(' '));
      assert.ok(events.some((e) => e.type === 'MODIFIED' && (e.labels as Record<string, string>).seen === 'yes'), 'the label change arrived');

      const expired = await next();
      assert.equal(expired.step, 'expired');
      assert.equal(expired.status, 410, JSON.stringify(expired));
      assert.match(String(expired.reason), /^Expired: too old resource version: 1 \(\d+\)$/);

      assert.equal((await next()).step, 'open0');
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'later' } } });
      assert.equal((await next()).step, 'still-open', 'a timeout_seconds=0 watch stayed open for a later change');
      assert.equal((await next()).step, 'done');
      assert.equal(await exited, 0, stderr);
    } finally {
      py.kill();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
