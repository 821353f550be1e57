// The listener under fire: the demo scenario played once undisturbed and
// once with every watch killed each second, 410 Gone answers, history
// compactions and a spell of 503s. Both runs must notify exactly the same
// incidents, each exactly once.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDemo } from '../../src/app/demo-check.ts';
import { type Notification, State } from '../../src/model/notification.ts';
import { DEMO_DURATION_MS, demoExpectations } from '../../src/sim/scenarios/demo.ts';
import { startHarness } from '../helpers/herald.ts';

/** Names made by controllers carry random suffixes; compare them by prefix. */
function shape(n: Notification): string {
  let name = (n.involvedObject?.name ?? '').replace(/-[a-z0-9]{8,10}-[a-z0-9]{5}$/, '-*');
  // a DaemonSet's pods are its name and five random characters
  if (n.owner?.kind === 'DaemonSet') name = name.replace(/-[a-z0-9]{5}$/, '-*');
  return `${n.state === State.FIRING ? 'FIRING' : 'RESOLVED'} ${n.reason} ${n.involvedObject?.kind}/${name}`;
}

async function playDemo(chaos: boolean): Promise<{ notifications: Notification[]; relists: number; watches: number }> {
  const h = await startHarness({ sim: { nodes: 3 } });
  try {
    h.sim.scenarios.start('demo');
    if (chaos) h.sim.faults.dropWatchesEvery(1);
    const steps = (DEMO_DURATION_MS + 15_000) / 1000;
    for (let s = 0; s < steps; s++) {
      if (chaos) {
        if (s % 40 === 10) h.sim.faults.expireNextWatch(2);
        if (s % 60 === 30) h.sim.ctx.store.compact();
        if (s % 90 === 45) h.sim.faults.failNext(503, { count: 4, retryAfterSeconds: 1, verbs: ['list', 'watch'] });
        if (s % 70 === 20) h.sim.faults.truncateNextWatch();
      }
      await h.run(1000);
    }
    const stats = h.listener.reflectors.map((r) => r.stats);
    return {
      notifications: [...h.notifications],
      relists: stats.reduce((a, x) => a + x.relistsAfterGone, 0),
      watches: stats.reduce((a, x) => a + x.watches, 0),
    };
  } finally {
    h.sim.faults.clear();
    await h.close();
  }
}

describe('listener chaos', () => {
  it('notifies the same incidents, once each, with watches dropped, 410s and 503s', async () => {
    const calm = await playDemo(false);
    const stormy = await playDemo(true);
    const calmReport = checkDemo(demoExpectations(), calm.notifications);
    const stormyReport = checkDemo(demoExpectations(), stormy.notifications);
    assert.ok(calmReport.ok, 'the undisturbed run notifies every expected incident once');
    assert.ok(stormyReport.ok, `the disturbed run too; unexpected: ${stormyReport.unexpected.map(shape).join(', ')}; ` + stormyReport.results.filter((r) => !r.ok).map((r) => JSON.stringify(r)).join(' '));
    assert.deepEqual(stormy.notifications.map(shape).sort(), calm.notifications.map(shape).sort());
    // the faults really happened
    assert.ok(stormy.relists >= 3, `re-listed after 410 ${stormy.relists} times`);
    assert.ok(stormy.watches > calm.watches + 20, `watches: ${stormy.watches} vs ${calm.watches}`);
  });
});
