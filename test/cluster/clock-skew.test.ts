// The simulated cluster's clock ten minutes ahead of kubeherald's, through
// the whole listening path: every timestamp the cluster writes is in
// kubeherald's future. What must still happen: an OOM kill of a
// crash-looping container is notified (it was not, when its due time came
// from the pod's own timestamps and every new kill moved it on), and a
// NotReady pod fires its minimum duration after kubeherald saw it, not ten
// minutes later.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { startHarness, summarize } from '../helpers/herald.ts';

const AHEAD_MS = 10 * 60_000;

describe('the cluster clock ahead of kubeherald’s', () => {
  it('an OOM kill of a crash-looping container is notified, and so is the crash loop', async () => {
    const h = await startHarness({ behindMs: AHEAD_MS });
    try {
      h.sim.scenarios.start('oom');
      await h.run(120_000);
      assert.deepEqual(h.notifications.map(summarize), ['FIRING OOMKilled Pod/oom', 'FIRING CrashLoopBackOff Pod/oom']);
      const [oom] = h.notifications;
      assert.equal(oom.fields.exitCode, '137');
      // the event time is the cluster's own, still in kubeherald's future
      assert.ok(timestampDate(oom.eventTime!).getTime() > h.sim.clock.nowMs() - AHEAD_MS);
    } finally {
      await h.close();
    }
  });

  it('a pod NotReady longer than its minimum fires a minimum after kubeherald saw it, then resolves', async () => {
    const h = await startHarness({ behindMs: AHEAD_MS });
    try {
      h.sim.scenarios.start('pod-notready');
      // Ready again 90 s after the pod started: long before the cluster's timestamps plus ten minutes
      await h.run(200_000);
      assert.deepEqual(h.notifications.map(summarize), ['FIRING PodNotReady Pod/pod-notready', 'RESOLVED PodNotReady Pod/pod-notready']);
    } finally {
      await h.close();
    }
  });
});
