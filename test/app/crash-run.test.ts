// `kubeherald run` killed with SIGKILL at random moments, 20 times, while a
// scenario plays on an in-process simulator, restarted each time on the same
// state file; a webhook receiver records what arrives. What should have
// arrived comes from what the scenario did, as the simulator recorded it
// (which pods crash-looped, were OOM-killed, could not pull their image, were
// deleted), and from a listener in this process that is never killed; no
// count depends on how fast the machine played the scenario. Reported:
// expected, delivered (distinct), lost and unexpected (both must be 0), and
// duplicated: every request beyond the first for a notification, whether it
// repeats a webhook-id or re-delivers the same notification under a new one
// (at most one per kill: a request the receiver took just before a kill,
// whose success was not yet committed; a receiver that dedupes by webhook-id
// sees none, so a new key must never happen).

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import type { KubeObject } from '../../src/model/kube.ts';
import { PODS } from '../../src/sim/refs.ts';
import { State } from '../../src/model/notification.ts';
import { startSim } from '../../src/sim/sim.ts';
import { FakeWebhooks } from '../fakes/webhook.ts';
import { type RunProcess, spawnRun as spawnRunProcess } from '../helpers/run-process.ts';
import { referenceListener } from '../helpers/ha-replicas.ts';
import { account, pairOf } from '../helpers/delivery-account.ts';

const KILLS = 20;

/** What a pod went through, in the notification reasons that tell of it. */
function troublesOf(pod: KubeObject): string[] {
  const out: string[] = [];
  const statuses = ((pod.status as { containerStatuses?: { state?: any; lastState?: any }[] } | undefined)?.containerStatuses ?? []);
  for (const s of statuses) {
    const waiting = s.state?.waiting?.reason;
    if (waiting === 'CrashLoopBackOff') out.push('CrashLoopBackOff');
    if (waiting === 'ErrImagePull' || waiting === 'ImagePullBackOff') out.push('image');
    if (s.state?.terminated?.reason === 'OOMKilled' || s.lastState?.terminated?.reason === 'OOMKilled') out.push('OOMKilled');
  }
  return out;
}

interface Delivered {
  pair: string;
  id: string;
  pod: string;
  reason: string;
}

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

  // the timeout only stops a hang: every wait below awaits an event, and nothing is judged by the clock
  it(`loses nothing and repeats at most one delivery per kill over ${KILLS} kills`, { timeout: 600_000 }, async () => {
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 100_000);
    const random = mulberry32(seed);
    // cluster time is wall time: the killed process and the reference judge durations alike
    const sim = await startSim({ clockSpeed: 1, bookmarkIntervalMs: 100 });
    // the simulator's record of what the scenario did: per pod, each trouble at the version it first showed
    const troubles = new Map<string, Map<string, number>>();
    const deletedBySim: string[] = [];
    const unrecord = sim.ctx.store.subscribe((c) => {
      if (c.storage !== PODS.storage || c.object.metadata?.namespace !== 'demo') return;
      const name = c.object.metadata.name!;
      if (c.type === 'DELETED') return void deletedBySim.push(name);
      let seen = troubles.get(name);
      if (!seen) troubles.set(name, (seen = new Map()));
      for (const t of troublesOf(c.object as KubeObject)) if (!seen.has(t)) seen.set(t, c.rv);
    });
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
        'state: {path: state.db}',
      ].join('\n'),
    );
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    const { listener: ref, seen: reference } = await referenceListener(kc, 'crash');

    let child: ChildProcess | undefined;
    const spawnRun = (): RunProcess => {
      const run = spawnRunProcess(['--config', cfg, '--kubeconfig', kubeconfig, '--log-level', 'info']);
      child = run.child;
      return run;
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
        // killed before it listens on purpose: that rejection is expected here
        void run.listening.then(() => (up = true), () => undefined);
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
        await receiver.until(() => told('crash-0'));
        child!.kill('SIGKILL');
        assert.equal(await run.exited, 'SIGKILL', run.err());
        for (const name of ['crash-0', 'image-0']) await pods.deleteNamespacedPod({ name, namespace: 'demo', gracePeriodSeconds: 0 });
        deleted.push('crash-0');
      }
      // the last start runs until everything the reference saw has arrived
      const last = spawnRun();
      await last.listening;
      const received = (): Delivered[] =>
        receiver.accepted('/hook').map((r) => {
          const b = r.body as { incidentKey: string; state: string; reason: string; involvedObject?: { name: string } };
          return { pair: pairOf(String(b.incidentKey), b.state === 'STATE_FIRING'), id: String(r.headers['webhook-id']), pod: b.involvedObject?.name ?? '', reason: b.reason };
        });
      const delivered = (): Set<string> => new Set(received().map((d) => d.pair));
      const expected = (): string[] => [...new Set(reference.map((n) => pairOf(n.incidentKey, n.state === State.FIRING)))];
      // the reference has seen the cluster up to now: what the simulator recorded until here must be in what it expects
      const upTo = sim.ctx.store.resourceVersion;
      await ref.caughtUp(upTo);
      const fromSim = [...troubles].flatMap(([pod, seen]) => [...seen].filter(([, rv]) => rv <= upTo).map(([t]) => ({ pod, trouble: t })));
      const tells = (n: { involvedObject?: { name: string }; reason: string }, pod: string, trouble: string): boolean =>
        n.involvedObject?.name === pod && (trouble === 'image' ? n.reason === 'ErrImagePull' || n.reason === 'ImagePullBackOff' : n.reason === trouble);
      const unexplained = fromSim.filter(({ pod, trouble }) => !reference.some((n) => n.state === State.FIRING && tells(n, pod, trouble)));
      assert.deepEqual(unexplained, [], 'every trouble the simulator recorded was detected by the reference listener');
      // awaited, not timed: a notification that never arrives fails the test by its timeout, and shows in `lost` below
      await Promise.race([receiver.until(() => expected().every((p) => delivered().has(p))), last.exited.then((how) => Promise.reject(new Error(`kubeherald run exited (${how}):\n${last.err()}`)))]);
      const want = expected();
      child!.kill('SIGTERM');
      assert.equal(await last.exited, 0, last.err());
      unrecord();

      const all = received();
      const got = delivered();
      // judged after the stop, so a notification both made at the same moment is not a difference between them
      const { lost, unexpected, duplicated, underNewKey } = account(reference, all, want);
      const deletedPods = [...new Set(deletedBySim)].sort();
      const report = {
        seed,
        kills: KILLS,
        killedAfterListening: killedListening,
        deletedWhileDown: deletedPods.length,
        troublesRecorded: fromSim.length,
        expected: new Set(expected()).size,
        delivered: got.size,
        requests: all.length,
        lost: lost.length,
        unexpected: unexpected.length,
        duplicated,
        duplicatedAfterDedupByWebhookId: underNewKey,
      };
      process.stdout.write(`# crash run: ${JSON.stringify(report)}\n`);
      const describe = (p: string): string => {
        const n = reference.find((r) => pairOf(r.incidentKey, r.state === State.FIRING) === p) ?? all.find((d) => d.pair === p);
        return `${p} (${n && 'pod' in n ? n.pod : n?.involvedObject?.name}, ${n?.reason})`;
      };
      // the pods deleted are those the test deleted: a crash loop and a bad image each round
      assert.deepEqual(deletedPods, deleted.flatMap((c) => [c, c.replace('crash-', 'image-')]).sort());
      // what the simulator recorded reached the receiver: each trouble as a FIRING, each deleted pod's incidents as RESOLVED
      assert.deepEqual(fromSim.filter(({ pod, trouble }) => !all.some((d) => d.pair.startsWith('FIRING') && tells({ involvedObject: { name: d.pod }, reason: d.reason }, pod, trouble))), [], `troubles never notified (seed ${seed})`);
      const unresolved = all.filter((d) => d.pair.startsWith('FIRING') && deletedPods.includes(d.pod) && !got.has(d.pair.replace(/^FIRING/, 'RESOLVED')));
      assert.deepEqual(unresolved.map((d) => d.pair), [], `deleted pods whose incidents never resolved (seed ${seed})`);
      // the distinct notifications delivered are exactly those expected
      assert.deepEqual(lost.map(describe), [], `lost (seed ${seed})`);
      assert.deepEqual(unexpected.map(describe), [], `delivered but never made by the reference (seed ${seed})`);
      assert.equal(underNewKey, 0, `re-delivered under a new key (seed ${seed})`);
      assert.ok(duplicated <= KILLS, `${duplicated} duplicates for ${KILLS} kills (seed ${seed})`);
      // a repeat is the same request again: same webhook-id, same body
      for (const id of new Set(all.map((d) => d.id))) {
        const bodies = new Set(receiver.accepted('/hook').filter((r) => r.headers['webhook-id'] === id).map((r) => (r.body as { idempotencyKey: string }).idempotencyKey));
        assert.deepEqual([...bodies], [id]);
      }
    } finally {
      unrecord();
      child?.kill('SIGKILL');
      ref.stop();
      await receiver.close();
      await sim.close();
    }
  });
});
