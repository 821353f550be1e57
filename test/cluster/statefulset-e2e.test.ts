// StatefulSet incidents through the whole listening path: the simulator plays
// statefulset-stuck (a StatefulSet rolled out to an image that cannot be
// pulled, later rolled back and its broken pod deleted), the listener
// watches it over HTTPS, and each incident is notified exactly once.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STATEFULSET_STEPS } from '../../src/sim/scenarios/statefulset.ts';
import { startHarness, summarize } from '../helpers/herald.ts';

describe('StatefulSet detectors end to end against the simulator', () => {
  it('statefulset-stuck: completed on creation, stuck and unavailable fire once and resolve once after the rollback, the bad pod once', async () => {
    const h = await startHarness();
    try {
      h.sim.scenarios.start('statefulset-stuck');
      await h.run(300_000);
      const lines = h.notifications.map(summarize);
      assert.deepEqual(lines, [
        'FIRING StatefulSetRolloutCompleted StatefulSet/db',
        'FIRING ErrImagePull Pod/db-2',
        'FIRING StatefulSetUnavailable StatefulSet/db',
        'FIRING StatefulSetRolloutStuck StatefulSet/db',
        // the rollback is progress: the update revision moved back
        'RESOLVED StatefulSetRolloutStuck StatefulSet/db',
        'RESOLVED ErrImagePull Pod/db-2',
        'RESOLVED StatefulSetUnavailable StatefulSet/db',
      ]);
      const at = (line: string): number => Number(h.notifications[lines.indexOf(line)].eventTime?.seconds ?? 0n);
      const start = at('FIRING StatefulSetRolloutCompleted StatefulSet/db');
      // the stuck wait began when the bad pod replaced db-2, just after the update (it fired 180 s later:
      // after StatefulSetUnavailable's 60 s above, before the rollback)
      const stuckSince = at('FIRING StatefulSetRolloutStuck StatefulSet/db') - start;
      assert.ok(stuckSince >= STATEFULSET_STEPS.update - 15 && stuckSince <= STATEFULSET_STEPS.update + 15, `stuck since +${stuckSince}s`);
      const stuck = h.notifications.find((n) => n.reason === 'StatefulSetRolloutStuck' && n.state === 2);
      assert.match(stuck?.message ?? '', /^statefulset demo\/db is progressing again \(2 of 3 pods updated, 2 ready\)$/);
      const pod = h.notifications.find((n) => n.reason === 'ErrImagePull');
      assert.equal(pod?.owner?.kind, 'StatefulSet');
      assert.equal(pod?.owner?.name, 'db');
      // the rollback went back to the first revision: its completion was already told
      const sts = h.sim.ctx.store.get('apps/statefulsets', 'demo', 'db') as { status?: { currentRevision?: string; updateRevision?: string; readyReplicas?: number } };
      assert.equal(sts.status?.readyReplicas, 3);
      assert.equal(sts.status?.currentRevision, sts.status?.updateRevision);
      assert.equal(h.notifications[0].fields.revision, sts.status?.updateRevision);
    } finally {
      await h.close();
    }
  });
});
