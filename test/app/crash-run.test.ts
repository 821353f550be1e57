// `kubeherald run` killed with SIGKILL at random moments, 20 times, while a
// scenario plays on an in-process simulator, restarted each time on the same
// state file; a webhook receiver records what arrives. A listener in this
// process that is never killed says what should have arrived. Reported:
// expected, delivered, lost (must be 0) and duplicated (at most one per
// kill: a request the receiver took just before a kill, whose success was
// not yet committed; a receiver that dedupes by webhook-id sees none).

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { Listener } from '../../src/cluster/listener.ts';
import { DEFAULT_DETECTORS } from '../../src/detect/config.ts';
import { type Notification, State } from '../../src/model/notification.ts';
import { startSim } from '../../src/sim/sim.ts';
import { FakeWebhooks } from '../fakes/webhook.ts';
import { silentLogger } from '../../src/model/logger.ts';

const bin = join(import.meta.dirname, '../../bin/kubeherald.js');
const KILLS = 20;
const quiet = silentLogger;
const pairOf = (incidentKey: string, firing: boolean): string => `${firing ? 'FIRING' : 'RESOLVED'} ${incidentKey}`;

/** A small seeded generator, so a failing run can be replayed (the seed is in the report). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('kubeherald run under SIGKILL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-crash-run-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`loses nothing and repeats at most one delivery per kill over ${KILLS} kills`, { timeout: 90_000 }, async () => {
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 100_000);
    const random = mulberry32(seed);
    // cluster time is wall time: the killed process and the reference judge durations alike
    const sim = await startSim({ clockSpeed: 1, bookmarkIntervalMs: 100 });
    const receiver = await FakeWebhooks.start();
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, sim.kubeconfig);
    const cfg = join(dir, 'kubeherald.yaml');
    writeFileSync(
      cfg,
      [
        'cluster: {name: crash}',
        'sinks:',
        `  - {name: hook, type: webhook, urls: ["${receiver.url('/hook')}"], sign: false}`,
        // one request per notification, so what arrived can be counted against what should have
        'delivery: {groupBy: [], floodWindowSeconds: 0, repeatIntervalSeconds: 0}',
        'state: {path: state.db}',
      ].join('\n'),
    );
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    const reference: Notification[] = [];
    const ref = new Listener({
      kc,
      log: quiet,
      onNotification: (n) => reference.push(n),
      config: { cluster: 'crash', namespaceAllowed: () => true, eventsApi: 'core', extraResources: [], watchdogSeconds: 30, pageSize: 500, detectors: DEFAULT_DETECTORS },
    });
    await ref.start();

    let child: ChildProcess | undefined;
    const spawnRun = (): { exited: Promise<NodeJS.Signals | number | null>; listening: Promise<void>; err: () => string } => {
      const c = spawn(process.execPath, [bin, 'run', '--config', cfg, '--kubeconfig', kubeconfig, '--log-level', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] });
      child = c;
      let stderr = '';
      let onListening: () => void = () => undefined;
      const listening = new Promise<void>((r) => (onListening = r));
      c.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('"msg":"listening"')) onListening();
      });
      return { exited: new Promise((r) => c.on('exit', (code, signal) => r(signal ?? code))), listening, err: () => stderr };
    };

    const pods = kc.makeApiClient(k8s.CoreV1Api);
    try {
      // incidents of every shape: level ones that stay, ones whose pod is deleted (RESOLVED), edges (events)
      for (let i = 0; i < 4; i++) {
        sim.scenarios.start('crashloop', { name: `crash-${i}` });
        sim.scenarios.start('bad-image', { name: `image-${i}` });
        sim.scenarios.start('oom', { name: `oom-${i}` });
      }
      /** the receiver has the crash loop of this pod FIRING: deleting it now must later bring its RESOLVED */
      const told = (name: string): boolean =>
        receiver.accepted('/hook').some((r) => {
          const b = r.body as { reason: string; state: string; involvedObject?: { name: string } };
          return b.reason === 'CrashLoopBackOff' && b.state === 'STATE_FIRING' && b.involvedObject?.name === name;
        });
      let killedListening = 0;
      const deleted: string[] = [];
      let lastDeletion = -Infinity;
      for (let kill = 0; kill < KILLS; kill++) {
        const run = spawnRun();
        // every other kill mid-start-up (store open, restored deliveries going out, first lists), the rest while it runs
        let up = false;
        void run.listening.then(() => (up = true));
        if (kill % 2 === 1) await run.listening;
        await new Promise((r) => setTimeout(r, kill % 2 === 1 ? Math.floor(random() * 1000) : 200 + Math.floor(random() * 1300)));
        if (up) killedListening++;
        child!.kill('SIGKILL');
        assert.equal(await run.exited, 'SIGKILL', run.err());
        // pods deleted while kubeherald is down: their incidents must still resolve. Each is deleted once its
        // FIRING has arrived (a crash loop that begins and ends unseen cannot be told of: between two crashes a
        // restarted listener without its state sees a running container, which opens no incident)
        const next = `crash-${deleted.length}`;
        if (kill % 2 === 0 && deleted.length < 2 && kill - lastDeletion >= 4 && told(next)) {
          for (const name of [next, `image-${deleted.length}`]) await pods.deleteNamespacedPod({ name, namespace: 'demo', gracePeriodSeconds: 0 });
          deleted.push(next);
          lastDeletion = kill;
        }
      }
      if (deleted.length === 0) {
        // on a loaded machine no FIRING may have arrived between two kills: delete one pod while down now
        const run = spawnRun();
        await run.listening;
        const until = Date.now() + 30_000;
        await new Promise<void>((resolve) => {
          const check = (): void => (told('crash-0') || Date.now() > until ? resolve() : void setTimeout(check, 50));
          check();
        });
        assert.ok(told('crash-0'), 'the crash loop of crash-0 was notified within 30 s');
        child!.kill('SIGKILL');
        assert.equal(await run.exited, 'SIGKILL', run.err());
        for (const name of ['crash-0', 'image-0']) await pods.deleteNamespacedPod({ name, namespace: 'demo', gracePeriodSeconds: 0 });
        deleted.push('crash-0');
      }
      // the last start runs until everything the reference saw has arrived
      const last = spawnRun();
      await last.listening;
      const delivered = (): Set<string> => new Set(receiver.accepted('/hook').map((r) => pairOf(String((r.body as { incidentKey: string }).incidentKey), (r.body as { state: string }).state === 'STATE_FIRING')));
      const expected = (): string[] => [...new Set(reference.map((n) => pairOf(n.incidentKey, n.state === State.FIRING)))];
      const deadline = Date.now() + 20_000;
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (expected().every((p) => delivered().has(p)) || Date.now() > deadline) resolve();
          else setTimeout(check, 100);
        };
        check();
      });
      child!.kill('SIGTERM');
      assert.equal(await last.exited, 0, last.err());

      const ids = receiver.accepted('/hook').map((r) => String(r.headers['webhook-id']));
      const unique = new Set(ids);
      const want = expected();
      const got = delivered();
      const lost = want.filter((p) => !got.has(p));
      const duplicated = ids.length - unique.size;
      const report = { seed, deletedWhileDown: deleted.length, kills: KILLS, killedAfterListening: killedListening, expected: want.length, delivered: unique.size, lost: lost.length, duplicated, duplicatedAfterDedupByWebhookId: 0 };
      process.stdout.write(`# crash run: ${JSON.stringify(report)}\n`);
      // 12 pods failing, 4 of them deleted (RESOLVED), and whatever else the detectors saw
      assert.ok(want.length >= 16, `the scenario produced ${want.length} notifications`);
      assert.ok(want.some((p) => p.startsWith('RESOLVED')), 'deleted pods resolved');
      const describe = (p: string): string => {
        const n = reference.find((r) => pairOf(r.incidentKey, r.state === State.FIRING) === p)!;
        return `${p} (${n.involvedObject?.name}, ${n.reason})`;
      };
      assert.deepEqual(lost.map(describe), [], `lost (seed ${seed})`);
      assert.ok(duplicated <= KILLS, `${duplicated} duplicates for ${KILLS} kills (seed ${seed})`);
      // a repeat is the same request again: same webhook-id, same body
      for (const id of unique) {
        const bodies = new Set(receiver.accepted('/hook').filter((r) => r.headers['webhook-id'] === id).map((r) => (r.body as { idempotencyKey: string }).idempotencyKey));
        assert.deepEqual([...bodies], [id]);
      }
    } finally {
      child?.kill('SIGKILL');
      ref.stop();
      await receiver.close();
      await sim.close();
    }
  });
});
