// CronJobs on the simulator: what the real kubectl sees (defaults, `get cj`
// columns, `create job --from=cronjob/…`, validation) and what the CronJob
// controller does on a stopped clock stepped by the test: Jobs named after
// the scheduled minute, status, history limits, concurrency policies,
// startingDeadlineSeconds and missed schedules.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jobNameFor, rfc1123z } from '../../src/sim/controllers/cronjob.ts';
import type { Job } from '../../src/sim/controllers/job.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import type { KObject } from '../../src/sim/types.ts';
import { Kubectl } from '../helpers/kubectl.ts';

const NS = 'cron';
// 30 s past a minute: the first activation of "* * * * *" is 30 s away
const START = new Date('2025-03-01T10:00:30Z');

function cronYaml(name: string, o: { schedule?: string; behavior?: string; spec?: string; crashAfter?: number } = {}): string {
  return `
apiVersion: batch/v1
kind: CronJob
metadata: {name: ${name}, namespace: ${NS}}
spec:
  schedule: "${o.schedule ?? '*/1 * * * *'}"
${o.spec ?? ''}
  jobTemplate:
    spec:
      backoffLimit: 0
      template:
        metadata:
          annotations:
            sim.kubeherald.io/behavior: ${o.behavior ?? 'complete'}
            sim.kubeherald.io/crash-after: "${o.crashAfter ?? 3}"
        spec:
          restartPolicy: Never
          containers:
          - {name: main, image: busybox:1.36, command: [/bin/sh, -c, report]}
`;
}

describe('CronJobs on the simulator', () => {
  let sim: Sim;
  let k: Kubectl;

  before(async () => {
    sim = await startSim({ clockSpeed: 0, start: START });
    k = new Kubectl(sim.kubeconfig);
    await k.ok(['create', 'namespace', NS]);
  });
  after(async () => {
    await sim.close();
  });

  type CronJob = KObject & { status?: { active?: { name: string }[]; lastScheduleTime?: string; lastSuccessfulTime?: string } };
  const cj = (name: string): CronJob => sim.ctx.store.get('batch/cronjobs', NS, name) as CronJob;
  const jobsOf = (name: string): Job[] =>
    (sim.ctx.store.list('batch/jobs', NS) as Job[])
      .filter((j) => j.metadata.ownerReferences?.some((r) => r.kind === 'CronJob' && r.name === name))
      .sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  const finished = (j: Job): string | undefined => j.status?.conditions?.find((c) => c.status === 'True' && (c.type === 'Complete' || c.type === 'Failed'))?.type;
  const events = (name: string, reason: string): { message: string; type: string }[] =>
    sim.ctx.store
      .list('events', NS)
      .filter((e) => (e as { involvedObject?: { name?: string } }).involvedObject?.name === name && (e as { reason?: string }).reason === reason) as never;
  async function until(done: () => boolean, stepMs = 1000, maxSteps = 2000): Promise<void> {
    for (let i = 0; i < maxSteps && !done(); i++) await sim.clock.advance(stepMs);
    assert.ok(done(), 'condition not reached in simulated time');
  }

  it('serves batch/v1 cronjobs (short name cj) with defaults; kubectl get cj prints its columns', async () => {
    await k.ok(['apply', '-f', '-'], cronYaml('nightly', { schedule: '0 3 * * *', spec: '  timeZone: Europe/Berlin' }));
    const c = JSON.parse(await k.ok(['get', 'cj', 'nightly', '-n', NS, '-o', 'json']));
    assert.equal(c.spec.concurrencyPolicy, 'Allow');
    assert.equal(c.spec.suspend, false);
    assert.equal(c.spec.successfulJobsHistoryLimit, 3);
    assert.equal(c.spec.failedJobsHistoryLimit, 1);
    assert.equal(c.spec.jobTemplate.spec.template.spec.dnsPolicy, 'ClusterFirst');
    const table = await k.ok(['get', 'cj', '-n', NS]);
    assert.match(table, /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$/m);
    assert.match(table, /^nightly\s+0 3 \* \* \*\s+Europe\/Berlin\s+False\s+0\s+<none>\s+\d+s$/m);
    await k.ok(['delete', 'cj', 'nightly', '-n', NS]);
  });

  it('refuses an unparseable schedule, an unknown time zone and a name too long, naming the field', async () => {
    const bad = await k.run(['apply', '-f', '-'], cronYaml('bad', { schedule: 'every minute' }));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /spec\.schedule: Invalid value: "every minute": expected exactly 5 fields, found 2/);
    const tz = await k.run(['apply', '-f', '-'], cronYaml('tz', { spec: '  timeZone: Mars/Olympus' }));
    assert.notEqual(tz.code, 0);
    assert.match(tz.stderr, /spec\.timeZone: Invalid value: "Mars\/Olympus": unknown time zone Mars\/Olympus/);
    const long = await k.run(['apply', '-f', '-'], cronYaml('x'.repeat(53)));
    assert.notEqual(long.code, 0);
    assert.match(long.stderr, /metadata\.name: Invalid value: "x{53}": must be no more than 52 characters/);
  });

  it('runs a Job named <cronjob>-<scheduled minute> at each activation, keeps status and the last 3 successful Jobs', async () => {
    await k.ok(['apply', '-f', '-'], cronYaml('every-minute'));
    await until(() => jobsOf('every-minute').length === 1);
    const first = jobsOf('every-minute')[0];
    const scheduled = Date.parse('2025-03-01T10:01:00Z');
    assert.equal(first.metadata.name, jobNameFor('every-minute', scheduled));
    assert.equal(first.metadata.name, `every-minute-${scheduled / 60_000}`);
    assert.equal(first.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2025-03-01T10:01:00Z');
    assert.equal(first.metadata.ownerReferences?.[0].controller, true);
    assert.equal(cj('every-minute').status?.lastScheduleTime, '2025-03-01T10:01:00Z');
    assert.deepEqual(cj('every-minute').status?.active?.map((r) => r.name), [first.metadata.name]);
    await until(() => !!cj('every-minute').status?.lastSuccessfulTime && !cj('every-minute').status?.active);
    assert.ok(events('every-minute', 'SawCompletedJob').length >= 1);
    // five more runs: only the newest three successful Jobs are kept
    await until(() => jobsOf('every-minute').filter((j) => finished(j) === 'Complete').length === 3 && events('every-minute', 'SuccessfulDelete').length >= 2, 5000);
    const table = await k.ok(['get', 'cj', 'every-minute', '-n', NS]);
    assert.match(table, /^every-minute\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+[01]\s+\d+s\s+\d+m\d*s?$/m);
    await k.ok(['delete', 'cj', 'every-minute', '-n', NS]);
    await until(() => jobsOf('every-minute').length === 0);
  });

  it('kubectl create job --from=cronjob/… creates a Job from the template that kubectl wait sees complete', async () => {
    await k.ok(['apply', '-f', '-'], cronYaml('manual', { schedule: '0 0 1 1 *' }));
    await k.ok(['create', 'job', 'manual-run', '--from=cronjob/manual', '-n', NS]);
    const created = JSON.parse(await k.ok(['get', 'job', 'manual-run', '-n', NS, '-o', 'json']));
    assert.equal(created.metadata.annotations['cronjob.kubernetes.io/instantiate'], 'manual');
    assert.equal(created.metadata.ownerReferences[0].kind, 'CronJob');
    assert.equal(created.spec.backoffLimit, 0);
    const wait = k.run(['wait', '--for=condition=complete', 'job/manual-run', '-n', NS, '--timeout=120s']);
    await until(() => finished(sim.ctx.store.get('batch/jobs', NS, 'manual-run') as Job) === 'Complete');
    const r = await wait;
    assert.equal(r.code, 0, r.stderr);
    // the controller did not create it: reported as the real one does, never in status.active
    assert.match(events('manual', 'UnexpectedJob')[0]?.message ?? '', /^Saw a job that the controller did not create or forgot: manual-run$/);
    assert.equal(cj('manual').status?.active, undefined);
    await k.ok(['delete', 'cj', 'manual', '-n', NS]);
  });

  it('concurrencyPolicy Forbid skips an activation while a run is active; Replace deletes the old run', async () => {
    await k.ok(['apply', '-f', '-'], cronYaml('forbid', { behavior: 'run', spec: '  concurrencyPolicy: Forbid' }));
    await until(() => events('forbid', 'JobAlreadyActive').length > 0);
    assert.equal(jobsOf('forbid').length, 1);
    assert.equal(events('forbid', 'JobAlreadyActive')[0].message, 'Not starting job because prior execution is running and concurrency policy is Forbid');
    await k.ok(['delete', 'cj', 'forbid', '-n', NS]);

    await k.ok(['apply', '-f', '-'], cronYaml('replace', { behavior: 'run', spec: '  concurrencyPolicy: Replace' }));
    await until(() => jobsOf('replace').length === 1);
    const firstRun = jobsOf('replace')[0].metadata.name;
    await until(() => jobsOf('replace').some((j) => j.metadata.name !== firstRun) && !jobsOf('replace').some((j) => j.metadata.name === firstRun));
    assert.equal(cj('replace').status?.active?.length, 1);
    assert.ok(events('replace', 'SuccessfulDelete').some((e) => e.message === `Deleted job ${firstRun}`));
    await k.ok(['delete', 'cj', 'replace', '-n', NS]);
  });

  it('a run that could not start within startingDeadlineSeconds is skipped; too many missed times are reported', async () => {
    await k.ok(['apply', '-f', '-'], cronYaml('late', { spec: '  suspend: true\n  startingDeadlineSeconds: 10' }));
    await k.ok(['apply', '-f', '-'], cronYaml('long-gone', { spec: '  suspend: true' }));
    // over 2 h suspended (130 activations go by), resumed 30 s past a minute
    const toHalfMinute = (90_000 - (sim.clock.nowMs() % 60_000)) % 60_000;
    await sim.clock.advance(130 * 60_000 + toHalfMinute);
    const now = sim.clock.nowMs();
    assert.ok(now % 60_000 > 20_000, 'resumed more than 10 s after the last activation');
    await k.ok(['patch', 'cj', 'late', '-n', NS, '--type=merge', '-p', '{"spec":{"suspend":false}}']);
    await k.ok(['patch', 'cj', 'long-gone', '-n', NS, '--type=merge', '-p', '{"spec":{"suspend":false}}']);
    await sim.clock.advance(100);
    // as the v2 controller: the window of startingDeadlineSeconds bounds the search, so the
    // activation 30 s ago is skipped without a Job (and without a MissSchedule event)
    assert.equal(jobsOf('late').length, 0);
    assert.equal(events('late', 'MissSchedule').length, 0);
    assert.equal(events('late', 'TooManyMissedTimes').length, 0);
    const tooMany = events('long-gone', 'TooManyMissedTimes');
    assert.equal(tooMany.length, 1);
    assert.match(tooMany[0].message, /^too many missed start times: 1\d\d\. Set or decrease \.spec\.startingDeadlineSeconds or check clock skew$/);
    // it still starts the most recent one
    assert.deepEqual(jobsOf('long-gone').map((j) => j.metadata.name), [jobNameFor('long-gone', Math.floor(now / 60_000) * 60_000)]);
    // the next activation is on time
    await until(() => jobsOf('late').length === 1);
    await k.ok(['delete', 'cj', 'late', 'long-gone', '-n', NS]);
  });

  it('rfc1123z prints times as the MissSchedule event does', () => {
    assert.equal(rfc1123z(Date.parse('2025-03-01T10:01:00Z')), 'Sat, 01 Mar 2025 10:01:00 +0000');
  });

  it('suspend: no runs while suspended', async () => {
    await k.ok(['apply', '-f', '-'], cronYaml('held', { spec: '  suspend: true' }));
    await sim.clock.advance(5 * 60_000);
    assert.equal(jobsOf('held').length, 0);
    assert.match(await k.ok(['get', 'cj', 'held', '-n', NS]), /^held\s+\S+ \S+ \S+ \S+ \S+\s+<none>\s+True\s+0\s+<none>\s/m);
  });
});
