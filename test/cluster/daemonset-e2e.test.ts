// DaemonSet detectors through the whole listening path: the simulator plays
// daemonset-stuck (a DaemonSet updated to a crashing image, stuck, then
// fixed), the real Listener watches it over HTTPS, and exactly the expected
// notifications come out, once each.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { State } from '../../src/model/notification.ts';
import { deleteObject } from '../../src/sim/controllers/gc.ts';
import { PODS } from '../../src/sim/refs.ts';
import { breakDaemonSet, ensureDaemonSet, fixDaemonSet, updateDaemonSet } from '../../src/sim/scenarios/daemonset.ts';
import { startHarness, summarize } from '../helpers/herald.ts';

describe('DaemonSet detectors end to end against the simulator', () => {
  it('daemonset-stuck: completed, stuck once and resolved by the fix, completed again; the crashing pod too', async () => {
    const h = await startHarness();
    try {
      h.sim.scenarios.start('daemonset-stuck');
      await h.run(300_000, 2000);
      const lines = h.notifications.map(summarize);
      const ds = lines.filter((l) => l.includes('DaemonSet/'));
      assert.deepEqual(ds, [
        'FIRING DaemonSetRolloutCompleted DaemonSet/node-agent',
        'FIRING DaemonSetRolloutStuck DaemonSet/node-agent',
        'RESOLVED DaemonSetRolloutStuck DaemonSet/node-agent',
        'FIRING DaemonSetRolloutCompleted DaemonSet/node-agent',
      ]);
      const completed = h.notifications.filter((n) => n.reason === 'DaemonSetRolloutCompleted');
      assert.deepEqual(completed.map((n) => n.fields.generation), ['1', '3'], 'the broken generation never completed');
      const stuck = h.notifications.filter((n) => n.reason === 'DaemonSetRolloutStuck');
      assert.equal(stuck[0].incidentKey, stuck[1].incidentKey);
      assert.equal(stuck[0].fields.updatedNumberScheduled, '1');
      assert.equal(stuck[0].fields.numberAvailable, '2');
      assert.match(stuck[0].message, /has not progressed for 3m: 1 of 3 nodes updated, 2 available/);
      // it fired once the counts had not moved for progressSeconds after the break at 30 s
      const fired = Number(h.notifications.find((n) => n.reason === 'DaemonSetRolloutStuck' && n.state === State.FIRING)!.eventTime!.seconds);
      const start = Number(completed[0].eventTime!.seconds);
      assert.ok(fired - start >= 20 && fired - start <= 40, `stuck since ${fired - start} s after the first rollout`);
      assert.match(stuck[1].message, /was changed \(generation 3\): its rollout starts again/);
      // the one crashing pod: a crash loop, resolved when the fix replaced it; deleted while crashing, the
      // kubelet ends it in phase Failed (its last exit was 1), which the podFailed detector reports
      const pods = lines.filter((l) => l.includes('Pod/'));
      assert.equal(pods.length, 3, lines.join('\n'));
      const pod = /Pod\/(node-agent-[a-z0-9]{5})$/.exec(pods[0])?.[1];
      assert.deepEqual(pods, [`FIRING CrashLoopBackOff Pod/${pod}`, `FIRING PodFailed Pod/${pod}`, `RESOLVED CrashLoopBackOff Pod/${pod}`]);
      const crash = h.notifications.find((n) => n.reason === 'CrashLoopBackOff')!;
      assert.equal(crash.owner?.kind, 'DaemonSet');
      assert.equal(crash.owner?.name, 'node-agent');
      assert.equal(lines.length, 7, lines.join('\n'));
      assert.ok(!lines.some((l) => l.includes('DaemonSetUnavailable')), 'one node short is what maxUnavailable allows');
    } finally {
      await h.close();
    }
  });

  it('OnDelete: a crashing daemon pod outside a rollout is DaemonSetUnavailable after unavailableMinSeconds, never stuck', async () => {
    const h = await startHarness();
    try {
      const ns = 'demo';
      ensureDaemonSet(h.sim.ctx, ns, 'agent');
      updateDaemonSet(h.sim.ctx, ns, 'agent', (spec) => {
        spec.updateStrategy = { type: 'OnDelete' };
      });
      await h.run(20_000);
      assert.deepEqual(h.notifications.map(summarize), ['FIRING DaemonSetRolloutCompleted DaemonSet/agent']);
      // a crashing template, and one pod deleted by hand: OnDelete puts the new template there
      updateDaemonSet(h.sim.ctx, ns, 'agent', breakDaemonSet);
      const victim = h.sim.ctx.store.list(PODS.storage, ns).find((p) => (p.spec as { nodeName?: string }).nodeName === 'sim-node-1')!;
      deleteObject(h.sim.ctx, PODS, ns, victim.metadata.name!);
      await h.run(50_000);
      assert.ok(!h.notifications.some((n) => n.reason === 'DaemonSetUnavailable'), 'not before a minute');
      await h.run(40_000);
      const ds = h.notifications.map(summarize).filter((l) => l.includes('DaemonSet/'));
      assert.deepEqual(ds, ['FIRING DaemonSetRolloutCompleted DaemonSet/agent', 'FIRING DaemonSetUnavailable DaemonSet/agent']);
      const unavailable = h.notifications.find((n) => n.reason === 'DaemonSetUnavailable')!;
      assert.match(unavailable.message, /has 2 of 3 daemon pods available/);
      // fixed, and the crashing pod deleted: available again
      updateDaemonSet(h.sim.ctx, ns, 'agent', fixDaemonSet);
      const crashing = h.sim.ctx.store.list(PODS.storage, ns).find((p) => (p.spec as { nodeName?: string }).nodeName === 'sim-node-1' && !p.metadata.deletionTimestamp)!;
      deleteObject(h.sim.ctx, PODS, ns, crashing.metadata.name!);
      await h.run(60_000);
      const after = h.notifications.map(summarize).filter((l) => l.includes('DaemonSet/'));
      assert.deepEqual(after, ['FIRING DaemonSetRolloutCompleted DaemonSet/agent', 'FIRING DaemonSetUnavailable DaemonSet/agent', 'RESOLVED DaemonSetUnavailable DaemonSet/agent']);
      assert.match(h.notifications.find((n) => n.reason === 'DaemonSetUnavailable' && n.state === State.RESOLVED)!.message, /available again \(3 of 3\)/);
    } finally {
      await h.close();
    }
  });
});
