// An autoscaler held at its maximum, through the whole listening path: the
// simulator's HPA controller scales Deployment worker on the simulated load,
// the listener watches HorizontalPodAutoscalers over HTTPS, and "maxed" is
// one incident, FIRING once and RESOLVED once, when the load drops (the
// replicas stay up for the scale-down stabilization window, which does not
// hold the incident open).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HPAS } from '../../src/sim/controllers/hpa.ts';
import { DEPLOYMENTS } from '../../src/sim/refs.ts';
import { startHarness, summarize } from '../helpers/herald.ts';

const replicas = (h: Awaited<ReturnType<typeof startHarness>>): number =>
  (h.sim.ctx.store.get(DEPLOYMENTS.storage, 'demo', 'worker')?.spec as { replicas: number }).replicas;

describe('HorizontalPodAutoscaler detectors end to end against the simulator', () => {
  it('hpa-maxed: fires once after maxedMinSeconds at the maximum, resolves when the load drops', async () => {
    const h = await startHarness();
    try {
      h.sim.scenarios.start('hpa-maxed', { loadAfter: 10, calmAfter: 200 });
      await h.run(100_000);
      assert.equal(replicas(h), 4, 'scaled to maxReplicas');
      assert.deepEqual(h.notifications.map(summarize), ['FIRING RolloutCompleted Deployment/worker']);
      await h.run(140_000);
      assert.deepEqual(h.notifications.map(summarize), [
        'FIRING RolloutCompleted Deployment/worker',
        'FIRING HPAMaxedOut HorizontalPodAutoscaler/worker',
        'RESOLVED HPAMaxedOut HorizontalPodAutoscaler/worker',
      ]);
      const [, firing, resolved] = h.notifications;
      assert.equal(firing.detector, 'hpa');
      assert.equal(firing.fields.maxReplicas, '4');
      assert.equal(firing.fields.target, 'Deployment/worker');
      assert.match(resolved.message, /no longer wants more than 4 replicas/);
      // resolved while the scale-down stabilization still holds the replicas up
      assert.equal(replicas(h), 4);
      const rescales = h.sim.ctx.store.list('events', 'demo').filter((e) => e.reason === 'SuccessfulRescale').map((e) => e.message);
      assert.deepEqual(rescales, ['New size: 4; reason: cpu resource utilization (percentage of request) above target']);
      await h.run(300_000, 5000);
      // 20% of request on 4 pods against a 50% target asks for ceil(4 × 0.4) = 2
      assert.equal(replicas(h), 2, 'down after the 5-minute window');
      assert.equal(h.notifications.length, 3, 'scaling down notifies nothing');
    } finally {
      await h.close();
    }
  });

  it('an autoscaler without metrics cannot scale: one incident after unableMinSeconds, its warnings covered', async () => {
    const h = await startHarness();
    try {
      h.sim.scenarios.start('hpa-maxed', { loadAfter: 10_000, calmAfter: 0, name: 'nometrics' });
      // what a cluster without metrics-server gives: no utilization for the pods
      h.sim.ctx.store.mutate(DEPLOYMENTS, 'demo', 'nometrics', (d) => void delete d.metadata.annotations!['sim.kubeherald.io/cpu-utilization']);
      await h.run(200_000);
      assert.deepEqual(h.notifications.map(summarize), ['FIRING RolloutCompleted Deployment/nometrics', 'FIRING HPAUnableToScale HorizontalPodAutoscaler/nometrics']);
      assert.equal(h.notifications[1].fields.conditionReason, 'FailedGetResourceMetric');
      const hpa = h.sim.ctx.store.get(HPAS.storage, 'demo', 'nometrics');
      const active = (hpa?.status as { conditions: { type: string; status: string }[] }).conditions.find((c) => c.type === 'ScalingActive');
      assert.equal(active?.status, 'False');
      h.sim.ctx.store.mutate(DEPLOYMENTS, 'demo', 'nometrics', (d) => void (d.metadata.annotations!['sim.kubeherald.io/cpu-utilization'] = '40'));
      await h.run(20_000);
      assert.deepEqual(h.notifications.slice(2).map(summarize), ['RESOLVED HPAUnableToScale HorizontalPodAutoscaler/nometrics']);
    } finally {
      await h.close();
    }
  });
});
