// Three `kubeherald run` replicas on one PostgreSQL server and one simulated
// cluster, electing a leader on a Lease with short timings; the leader is
// SIGKILLed over and over while a scenario plays, and a new replica takes the
// killed one's place (as a Deployment's would). A webhook receiver records
// what arrives; what should have arrived is what a listener in this process,
// never killed, detected. Every expected notification must arrive, none
// under a second key; a request repeated under its own key (a send the killed
// leader made but had not recorded) at most once per kill.
//
// The handover is measured at each kill: a Warning Event is created right
// after the kill, and the time from the kill to its delivery is the time
// the new leader took to take over and send (reported, not asserted: a
// figure, not a verdict; `npm run bench -- handover` measures it properly).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { State } from '../../src/model/notification.ts';
import { FakeWebhooks, type Received } from '../fakes/webhook.ts';
import { Rng } from '../helpers/fuzz.ts';
import { account, pairOf } from '../helpers/delivery-account.ts';
import { leaseHolder, referenceListener, replicaConfig, startHaWorld, warningEvent } from '../helpers/ha-replicas.ts';
import { type RunProcess, spawnRun } from '../helpers/run-process.ts';

const KILLS = Number(process.env.HA_KILLS ?? 10);
const REPLICAS = 3;
const LEASE = 'kubeherald';

interface Delivered {
  pair: string;
  id: string;
  reason: string;
  name: string;
}

const acceptedByAny = (receiver: FakeWebhooks): Received[] => receiver.received.filter((r) => r.path.startsWith('/hook/') && r.status >= 200 && r.status < 300);

const stats = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[0]}/${s[Math.floor(s.length / 2)]}/${s[s.length - 1]}`;
};

describe('three replicas on one PostgreSQL, the leader SIGKILLed over and over', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-ha-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  // the timeout only stops a hang: every wait awaits an event
  it(`loses nothing and sends nothing twice over ${KILLS} leader kills`, { timeout: 600_000 }, async () => {
    const seed = Number(process.env.HA_SEED ?? Date.now() % 100_000);
    const rng = new Rng(seed);
    const w = await startHaWorld(dir);
    const { pg, sim, receiver, kubeconfig, kc } = w;
    const { listener: ref, seen: reference } = await referenceListener(kc, 'ha');

    // replicas by identity (POD_NAME); one that exits on its own (a lost Lease) is replaced, as the kubelet would
    const replicas = new Map<string, RunProcess>();
    const killed = new Set<string>();
    let generation = 0;
    let exitedOnTheirOwn = 0;
    let stopping = false;
    const spawnReplica = (): RunProcess => {
      const id = `replica-${generation++}`;
      const run = spawnRun(['--config', replicaConfig({ dir, id, hookUrl: (p) => receiver.url(p), stateUrl: pg.url, lease: LEASE }), '--kubeconfig', kubeconfig, '--log-level', 'info'], { ...process.env, POD_NAME: id });
      replicas.set(id, run);
      void run.exited.then(() => {
        replicas.delete(id);
        if (stopping || killed.has(id)) return;
        exitedOnTheirOwn++;
        spawnReplica();
      });
      return run;
    };
    /** the replica that leads and has begun its term (it logged so) */
    const leader = async (): Promise<string> => {
      for (;;) {
        const id = await leaseHolder(kc, LEASE);
        const run = replicas.get(id);
        if (run) {
          await Promise.race([run.logged(/"msg":"leader term began"/), run.exited]);
          if (replicas.has(id)) return id;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const received = (): Delivered[] =>
      acceptedByAny(receiver).map((r) => {
        const b = r.body as { incidentKey: string; state: string; reason: string; involvedObject?: { name: string } };
        return { pair: pairOf(String(b.incidentKey), b.state === 'STATE_FIRING'), id: String(r.headers['webhook-id']), reason: b.reason, name: b.involvedObject?.name ?? '' };
      });

    try {
      for (let i = 0; i < REPLICAS; i++) spawnReplica();
      await Promise.all([...replicas.values()].map((r) => r.listening));
      for (let i = 0; i < 3; i++) {
        sim.scenarios.start('crashloop', { name: `crash-${i}` });
        sim.scenarios.start('bad-image', { name: `image-${i}` });
        sim.scenarios.start('oom', { name: `oom-${i}` });
      }
      const handovers: number[] = [];
      const leaders: string[] = [];
      for (let kill = 0; kill < KILLS; kill++) {
        const id = await leader();
        leaders.push(id);
        // let it work a while: some kills land mid-send, some while idle
        await new Promise((r) => setTimeout(r, 300 + Math.floor(rng.next() * 1700)));
        if (!replicas.has(id)) continue;
        killed.add(id);
        const run = replicas.get(id)!;
        run.child.kill('SIGKILL');
        const killedAt = Date.now();
        assert.equal(await run.exited, 'SIGKILL', run.err());
        spawnReplica();
        // something to send right after the kill: its delivery times the handover
        const probe = `handover-${kill}`;
        await warningEvent(kc, probe);
        await receiver.until(() => acceptedByAny(receiver).some((r) => (r.body as { message?: string }).message === probe));
        handovers.push(Date.now() - killedAt);
      }

      // the reference has seen the cluster up to now; everything it made must arrive
      await ref.caughtUp(sim.ctx.store.resourceVersion);
      const expected = (): string[] => [...new Set(reference.map((n) => pairOf(n.incidentKey, n.state === State.FIRING)))];
      const delivered = (): Set<string> => new Set(received().map((d) => d.pair));
      const want = expected();
      await receiver.until(() => want.every((p) => delivered().has(p)));
      stopping = true;
      for (const r of replicas.values()) r.child.kill('SIGTERM');
      await Promise.all([...replicas.values()].map((r) => r.exited));

      const all = received();
      const got = delivered();
      const { lost, unexpected, duplicated, underNewKey } = account(reference, all, want);
      const report = {
        seed,
        kills: KILLS,
        leaders: new Set(leaders).size,
        exitedOnTheirOwn,
        expected: new Set(expected()).size,
        delivered: got.size,
        requests: all.length,
        lost: lost.length,
        unexpected: unexpected.length,
        duplicated,
        duplicatedAfterDedupByWebhookId: underNewKey,
        handoverMs: stats(handovers),
      };
      process.stdout.write(`# ha failover: ${JSON.stringify(report)}\n`);
      assert.equal(new Set(leaders).size, KILLS, `each kill took down another replica: ${leaders.join(', ')}`);
      assert.deepEqual(unexpected, [], `delivered but never made by the reference (seed ${seed})`);
      assert.equal(underNewKey, 0, `re-delivered under a new key (seed ${seed})`);
      assert.ok(duplicated <= KILLS, `${duplicated} duplicates for ${KILLS} kills (seed ${seed})`);
    } finally {
      stopping = true;
      for (const r of replicas.values()) r.child.kill('SIGKILL');
      ref.stop();
      await w.close();
    }
  });
});

describe('a leader paused (SIGSTOP) past its Lease, then resumed (SIGCONT)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-ha-pause-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('sends nothing once it wakes, though deliveries are due, and stops; the new leader sends them', { timeout: 300_000 }, async () => {
    const w = await startHaWorld(dir);
    const { pg, receiver, kubeconfig, kc } = w;
    const runs: RunProcess[] = [];
    const start = (id: string): RunProcess => {
      const run = spawnRun(['--config', replicaConfig({ dir, id, hookUrl: (p) => receiver.url(p), stateUrl: pg.url, lease: 'kubeherald-pause' }), '--kubeconfig', kubeconfig, '--log-level', 'info'], { ...process.env, POD_NAME: id });
      runs.push(run);
      return run;
    };
    const warn = (message: string): Promise<void> => warningEvent(kc, message);
    const sent = (path: string, message: string): boolean => receiver.received.some((r) => r.path === path && (r.body as { message?: string } | undefined)?.message === message);
    try {
      const a = start('first');
      await a.logged(/"msg":"leader term began"/);
      const b = start('second');
      await b.listening;
      await warn('before-the-pause');
      await receiver.until(() => sent('/hook/first', 'before-the-pause'));
      a.child.kill('SIGSTOP');
      const pausedAt = receiver.received.length;
      await b.logged(/"msg":"leader term began"/);
      assert.equal(await leaseHolder(kc, 'kubeherald-pause'), 'second');
      // the new leader's receiver fails for a while: deliveries stay pending, due again and again, when the old leader wakes
      receiver.script('/hook/second', ...Array.from({ length: 1000 }, () => ({ status: 503 })));
      await warn('while-paused');
      await receiver.until(() => receiver.received.some((r) => r.path === '/hook/second' && r.status === 503));
      a.child.kill('SIGCONT');
      // it finds its Lease gone and stops, having claimed nothing
      assert.equal(await a.exited, 1, a.err());
      assert.match(a.err(), /no longer the leader/);
      const fromPaused = receiver.received.slice(pausedAt).filter((r) => r.path === '/hook/first');
      assert.deepEqual(fromPaused.map((r) => r.raw), [], 'the paused leader sent nothing after it woke');
      // the new leader sends what waited once its receiver answers again
      receiver.unscript('/hook/second');
      await receiver.until(() => receiver.accepted('/hook/second').some((r) => (r.body as { message?: string }).message === 'while-paused'));
    } finally {
      for (const r of runs) r.child.kill('SIGKILL');
      await w.close();
    }
  });
});
