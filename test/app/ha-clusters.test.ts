// Two replicas on one PostgreSQL server watching two simulated clusters:
// the home cluster's Lease (`kubeherald`) carries delivery and the home
// cluster's detection, the other cluster's detection has a Lease of its own
// (`kubeherald-b`). Both clusters' notifications arrive, each with its
// cluster; the holder of b's Lease is SIGKILLed and b's detection moves to
// the other replica without losing b's next notification. Whether the two
// Leases went to different replicas is reported (it depends on which started
// first), not asserted.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startSim } from '../../src/sim/sim.ts';
import { FakeWebhooks } from '../fakes/webhook.ts';
import { leaseHolder, replicaConfig, warningEvent } from '../helpers/ha-replicas.ts';
import { startPostgres } from '../helpers/postgres.ts';
import { type RunProcess, spawnRun } from '../helpers/run-process.ts';

describe('two clusters, two replicas: a Lease per cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-ha-clusters-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("each cluster's notifications arrive with its cluster, also after the holder of the other cluster's Lease is killed", { timeout: 300_000 }, async () => {
    const pg = await startPostgres();
    const sims = [await startSim({ clockSpeed: 1, bookmarkIntervalMs: 100 }), await startSim({ clockSpeed: 1, bookmarkIntervalMs: 100 })];
    const receiver = await FakeWebhooks.start();
    const runs = new Map<string, RunProcess>();
    try {
      const names = ['home', 'b'];
      const kcs = sims.map((sim, i) => {
        writeFileSync(join(dir, `${names[i]}.kubeconfig`), sim.kubeconfig);
        const kc = new k8s.KubeConfig();
        kc.loadFromString(sim.kubeconfig);
        return kc;
      });
      const clusters = names.map((name) => ({ name, kubeconfig: join(dir, `${name}.kubeconfig`) }));
      let generation = 0;
      const start = (): RunProcess => {
        const id = `replica-${generation++}`;
        const run = spawnRun(['--config', replicaConfig({ dir, id, hookUrl: (p) => receiver.url(p), stateUrl: pg.url, lease: 'kubeherald', clusters }), '--log-level', 'info'], { ...process.env, POD_NAME: id });
        runs.set(id, run);
        return run;
      };
      start();
      start();
      await Promise.all([...runs.values()].map((r) => r.listening));
      const arrived = (message: string): Promise<{ cluster: string; path: string }> =>
        receiver
          .until(() => receiver.received.some((r) => r.status === 200 && (r.body as { message?: string } | undefined)?.message === message))
          .then(() => {
            const r = receiver.received.find((x) => x.status === 200 && (x.body as { message?: string }).message === message)!;
            return { cluster: (r.body as { cluster: string }).cluster, path: r.path };
          });
      // each Lease held, and its holder's term begun (the Leases live in the home cluster)
      const termOf = async (lease: string): Promise<string> => {
        for (;;) {
          const id = await leaseHolder(kcs[0], lease);
          const run = runs.get(id);
          if (run) {
            await Promise.race([run.logged(new RegExp(`"scope":"default/${lease}"[^\\n]*"msg":"leader term began"`)), run.exited]);
            if (runs.has(id)) return id;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      const homeLeader = await termOf('kubeherald');
      const bLeader = await termOf('kubeherald-b');
      await warningEvent(kcs[0], 'in-home');
      await warningEvent(kcs[1], 'in-b');
      assert.equal((await arrived('in-home')).cluster, 'home');
      const b = await arrived('in-b');
      assert.equal(b.cluster, 'b');
      // delivered by the home Lease's holder, whichever replica detected it
      assert.equal(b.path, `/hook/${homeLeader}`);

      const victim = runs.get(bLeader)!;
      victim.child.kill('SIGKILL');
      assert.equal(await victim.exited, 'SIGKILL');
      runs.delete(bLeader);
      start();
      await warningEvent(kcs[1], 'in-b-after-kill');
      assert.equal((await arrived('in-b-after-kill')).cluster, 'b');
      const holders = { home: await leaseHolder(kcs[0], 'kubeherald'), b: await leaseHolder(kcs[0], 'kubeherald-b') };
      assert.notEqual(holders.b, bLeader, "b's Lease moved off the killed replica");
      process.stdout.write(`# ha clusters: ${JSON.stringify({ first: { home: homeLeader, b: bLeader, spread: homeLeader !== bLeader }, afterKill: holders })}\n`);
    } finally {
      for (const r of runs.values()) r.child.kill('SIGKILL');
      await receiver.close();
      for (const sim of sims) await sim.close();
      await pg.stop();
    }
  });
});
