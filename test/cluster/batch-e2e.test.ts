// Jobs and CronJobs through the whole listening path: the simulator's Job and
// CronJob controllers run the scenarios, the listener watches over HTTPS, and
// each incident is notified FIRING once and RESOLVED once, with nothing for
// the failed pods or the controllers' Warning events on top.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cronJobObject } from '../../src/sim/scenarios/batch.ts';
import { startHarness, summarize } from '../helpers/herald.ts';

describe('Job and CronJob detectors end to end against the simulator', () => {
  it('job-failed: one JobFailed with the reason and the last pod\'s message, resolved when the Job is deleted', async () => {
    const h = await startHarness();
    try {
      h.sim.scenarios.start('job-failed', { deleteAfter: 120 });
      await h.run(100_000);
      assert.deepEqual(h.notifications.map(summarize), ['FIRING JobFailed Job/job-failed']);
      const [firing] = h.notifications;
      assert.equal(firing.detector, 'jobFailed');
      assert.equal(firing.fields.conditionReason, 'BackoffLimitExceeded');
      assert.equal(firing.fields.exitCode, '1');
      assert.match(firing.message, /BackoffLimitExceeded: Job has reached the specified backoff limit \(3 failed, 0 succeeded\); last failed pod job-failed-[a-z0-9]{5}: container main exited with code 1 \(Error\): exiting with status 1/);
      assert.equal(firing.fields.terminationMessage, 'exiting with status 1');
      await h.run(40_000);
      assert.deepEqual(h.notifications.map(summarize), ['FIRING JobFailed Job/job-failed', 'RESOLVED JobFailed Job/job-failed']);
      assert.match(h.notifications[1].message, /was deleted/);
      assert.equal(h.notifications[0].incidentKey, h.notifications[1].incidentKey);
    } finally {
      await h.close();
    }
  });

  it('a failed Job left alone stays one open incident, its status updates and pod deletions notify nothing more', async () => {
    const h = await startHarness();
    try {
      h.sim.scenarios.start('job-failed', { deleteAfter: -1, backoffLimit: 0, message: 'schema drift detected in table orders' });
      await h.run(200_000, 5000);
      assert.deepEqual(h.notifications.map(summarize), ['FIRING JobFailed Job/job-failed']);
      // what the program wrote to its termination log is what the notification quotes
      assert.equal(h.notifications[0].fields.terminationMessage, 'schema drift detected in table orders');
      assert.match(h.notifications[0].message, /: schema drift detected in table orders$/);
    } finally {
      await h.close();
    }
  });

  it('cronjob-failing: one CronJobFailing across the failed runs, resolved by the first success; no JobFailed or PodFailed', async () => {
    const h = await startHarness();
    try {
      h.sim.scenarios.start('cronjob-failing', { failRuns: 3 });
      await h.run(300_000, 2000);
      assert.deepEqual(h.notifications.map(summarize), ['FIRING CronJobFailing CronJob/cronjob-failing', 'RESOLVED CronJobFailing CronJob/cronjob-failing']);
      const [firing, resolved] = h.notifications;
      assert.equal(firing.fields.failedRuns, '1');
      assert.match(firing.message, /the last run did not succeed \(last run cronjob-failing-\d+/);
      assert.match(resolved.message, /ran successfully at/);
    } finally {
      await h.close();
    }
  });

  it('cronJobFailing.failedRuns: fires only once that many runs in a row failed', async () => {
    const h = await startHarness({ detectors: { cronJobFailing: { enabled: true, failedRuns: 2 } } });
    try {
      h.sim.scenarios.start('cronjob-failing', { failRuns: 1 });
      await h.run(300_000, 2000);
      assert.deepEqual(h.notifications.map(summarize), []);
    } finally {
      await h.close();
    }
    const h2 = await startHarness({ detectors: { cronJobFailing: { enabled: true, failedRuns: 2 } } });
    try {
      h2.sim.scenarios.start('cronjob-failing', { failRuns: 3 });
      await h2.run(330_000, 2000);
      assert.deepEqual(h2.notifications.map(summarize), ['FIRING CronJobFailing CronJob/cronjob-failing', 'RESOLVED CronJobFailing CronJob/cronjob-failing']);
      assert.equal(h2.notifications[0].fields.failedRuns, '2');
    } finally {
      await h2.close();
    }
  });

  it('a CronJob resumed after more than 100 missed runs: one CronJobMissedSchedule from TooManyMissedTimes, and the run it starts succeeds', async () => {
    const h = await startHarness();
    try {
      const ref = { storage: 'batch/cronjobs', resource: 'cronjobs', group: 'batch' };
      h.sim.ctx.store.create({ storage: 'namespaces', resource: 'namespaces', group: '' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
      const cj = cronJobObject('demo', 'hourly-report', { schedule: '* * * * *', exitCode: 1 });
      (cj.spec as { suspend?: boolean }).suspend = true;
      const tpl = (cj.spec as { jobTemplate: { spec: { template: { metadata: { annotations: Record<string, string> } } } } }).jobTemplate.spec.template;
      tpl.metadata.annotations = {};
      h.sim.ctx.store.create(ref, cj);
      await h.run(102 * 60_000, 60_000);
      h.sim.ctx.store.mutate(ref, 'demo', 'hourly-report', (o) => {
        (o.spec as { suspend?: boolean }).suspend = false;
      });
      await h.run(20_000);
      assert.deepEqual(h.notifications.map(summarize), ['FIRING CronJobMissedSchedule CronJob/hourly-report']);
      assert.match(h.notifications[0].message, /too many missed start times: 10\d\. Set or decrease \.spec\.startingDeadlineSeconds or check clock skew/);
      assert.equal(h.notifications[0].fields.eventReason, 'TooManyMissedTimes');
      const runs = h.sim.ctx.store.list('batch/jobs', 'demo').sort((x, y) => x.metadata.name!.localeCompare(y.metadata.name!));
      assert.ok(runs.length >= 1);
      const conds = ((runs[0].status ?? {}) as { conditions?: { type: string; status: string }[] }).conditions ?? [];
      assert.ok(conds.some((c) => c.type === 'Complete' && c.status === 'True'), JSON.stringify(runs[0].status));
    } finally {
      await h.close();
    }
  });

  it('with cronJobFailing off, each failed run is a JobFailed of its own', async () => {
    const h = await startHarness({ detectors: { cronJobFailing: { enabled: false, failedRuns: 1 } } });
    try {
      h.sim.scenarios.start('cronjob-failing', { failRuns: 2 });
      await h.run(240_000, 2000);
      const lines = h.notifications.map(summarize);
      assert.equal(lines.filter((l) => /^FIRING JobFailed Job\/cronjob-failing-\d+$/.test(l)).length, 2, lines.join('\n'));
    } finally {
      await h.close();
    }
  });
});
