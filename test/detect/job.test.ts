// The Job and CronJob detectors alone: pure functions of the object (and,
// for messages, a read-only lookup of related cached objects), through the
// incident tracker where FIRING/RESOLVED matter.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detect } from '../../src/detect/index.ts';
import { IncidentTracker } from '../../src/detect/tracker.ts';
import type { KubeObject } from '../../src/model/kube.ts';
import { State } from '../../src/model/notification.ts';
import { at, config, t } from './fixtures.ts';

const JOB_UID = 'a1b2c3d4-0000-4000-8000-000000000001';
const CJ_UID = 'c1c2c3c4-0000-4000-8000-000000000002';

function job(opts: { name?: string; conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[]; failed?: number; succeeded?: number; cron?: boolean; uid?: string } = {}): KubeObject {
  const name = opts.name ?? 'migrate';
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: 'demo',
      uid: opts.uid ?? JOB_UID,
      ...(opts.cron ? { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'report', uid: CJ_UID, controller: true }] } : {}),
    },
    spec: { backoffLimit: 1, completions: 1 },
    status: { conditions: opts.conditions ?? [], failed: opts.failed, succeeded: opts.succeeded, startTime: at(0), ...(opts.succeeded ? { completionTime: at(30) } : {}) },
  } as KubeObject;
}

const failedConditions = [
  { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastTransitionTime: at(20) },
  { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastTransitionTime: at(20) },
];
const completeConditions = [
  { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', lastTransitionTime: at(30) },
  { type: 'Complete', status: 'True', reason: 'CompletionsReached', lastTransitionTime: at(30) },
];

function failedPod(name: string, finishedS: number, message: string, jobUid = JOB_UID): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'demo', uid: `pod-${name}`, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'migrate', uid: jobUid, controller: true }] },
    spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] },
    status: {
      phase: 'Failed',
      containerStatuses: [{ name: 'main', ready: false, restartCount: 0, image: 'busybox', state: { terminated: { exitCode: 1, reason: 'Error', message, finishedAt: at(finishedS) } } }],
    },
  } as KubeObject;
}

test('a failed Job is one level incident with its reason and the last failed pod\'s termination message', () => {
  const pods = [failedPod('migrate-aaaaa', 5, 'connecting\nfatal: relation "users" already exists'), failedPod('migrate-bbbbb', 18, 'boom\nfatal: lock timeout'), failedPod('other-ccccc', 19, 'not ours', 'someone-else')];
  const related = (kind: string, ns: string): KubeObject[] => (kind === 'Pod' && ns === 'demo' ? pods : []);
  const [o, ...rest] = detect('Job', { current: job({ conditions: failedConditions, failed: 2 }) }, t(25), config(), related);
  assert.equal(rest.length, 0);
  assert.equal(o.kind, 'level');
  assert.equal(o.reason, 'JobFailed');
  assert.equal(o.detector, 'jobFailed');
  assert.equal(o.since, at(20));
  assert.equal(
    o.message,
    'Job demo/migrate failed: BackoffLimitExceeded: Job has reached the specified backoff limit (2 failed, 0 succeeded); last failed pod migrate-bbbbb: container main exited with code 1 (Error): fatal: lock timeout',
  );
  assert.equal(o.fields?.terminationMessage, 'fatal: lock timeout');
  assert.equal(o.fields?.conditionReason, 'BackoffLimitExceeded');
  // without the lookup the decision is the same, the message shorter
  const [bare] = detect('Job', { current: job({ conditions: failedConditions, failed: 2 }) }, t(25), config());
  assert.equal(bare.key, o.key);
  assert.doesNotMatch(bare.message, /last failed pod/);
});

test('a running Job, a FailureTarget alone, or jobFailed switched off: nothing', () => {
  assert.deepEqual(detect('Job', { current: job() }, t(1), config()), []);
  assert.deepEqual(detect('Job', { current: job({ conditions: [failedConditions[0]] }) }, t(1), config()), []);
  assert.deepEqual(detect('Job', { current: job({ conditions: failedConditions }) }, t(1), config({ jobFailed: { enabled: false } })), []);
});

test('a CronJob\'s failed scheduled run is left to cronJobFailing, unless that is off; a run made by hand is the Job\'s own', () => {
  const current = job({ name: 'report-29013735', conditions: failedConditions, cron: true });
  assert.deepEqual(detect('Job', { current }, t(25), config()), []);
  assert.equal(detect('Job', { current }, t(25), config({ cronJobFailing: { enabled: false } }))[0].reason, 'JobFailed');
  const stamped = job({ name: 'renamed', conditions: failedConditions, cron: true });
  stamped.metadata.annotations = { 'batch.kubernetes.io/cronjob-scheduled-timestamp': at(0) };
  assert.deepEqual(detect('Job', { current: stamped }, t(25), config()), []);
  // kubectl create job report-manual --from=cronjob/report
  const manual = job({ name: 'report-manual', conditions: failedConditions, cron: true });
  manual.metadata.annotations = { 'cronjob.kubernetes.io/instantiate': 'manual' };
  assert.equal(detect('Job', { current: manual }, t(25), config())[0].reason, 'JobFailed');
});

test('through the tracker: FIRING once while the Job stays failed, RESOLVED when it is deleted', () => {
  const tracker = new IncidentTracker({ cluster: 'c' });
  const cfg = config();
  const current = job({ conditions: failedConditions, failed: 2 });
  const first = tracker.observe(JOB_UID, current, detect('Job', { current }, t(25), cfg), t(25));
  assert.deepEqual(first.map((n) => n.state), [State.FIRING]);
  assert.equal(tracker.observe(JOB_UID, current, detect('Job', { old: current, current }, t(60), cfg), t(60)).length, 0);
  const gone = tracker.observe(JOB_UID, undefined, [], t(90));
  assert.deepEqual(gone.map((n) => n.state), [State.RESOLVED]);
  assert.equal(gone[0].message, 'job demo/migrate was deleted');
});

test('jobCompleted: off by default; when on, an edge only on the transition to Complete', () => {
  const running = job();
  const done = job({ conditions: completeConditions, succeeded: 1 });
  assert.deepEqual(detect('Job', { old: running, current: done }, t(31), config()), []);
  const on = config({ jobCompleted: { enabled: true } });
  const [o] = detect('Job', { old: running, current: done }, t(31), on);
  assert.equal(o.kind, 'edge');
  assert.equal(o.reason, 'JobCompleted');
  assert.equal(o.message, 'Job demo/migrate completed in 30s: 1 succeeded');
  // a re-list of an old completion, or a later update of a completed Job, is no completion
  assert.deepEqual(detect('Job', { current: done, initial: true }, t(31), on), []);
  assert.deepEqual(detect('Job', { old: done, current: done }, t(40), on), []);
});

function cronJob(status: Record<string, unknown>, schedule = '*/5 * * * *'): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'report', namespace: 'demo', uid: CJ_UID, creationTimestamp: at(-3600) },
    spec: { schedule },
    status,
  } as KubeObject;
}

test('cronJobFailing: the latest run finished without success; counts runs since the last success from the schedule', () => {
  // last success at 10:00:40 (the 10:00 run); runs at 10:05, 10:10, 10:15 did not succeed
  const cj = cronJob({ lastScheduleTime: at(900), lastSuccessfulTime: at(40) });
  const [o] = detect('CronJob', { current: cj }, t(930), config());
  assert.equal(o.kind, 'level');
  assert.equal(o.state, 'firing');
  assert.equal(o.reason, 'CronJobFailing');
  assert.equal(o.count, 3);
  assert.equal(o.since, at(40));
  assert.match(o.message, /^CronJob demo\/report: the last 3 runs did not succeed \(last run report-29013735, scheduled 2025-03-01T10:15:00Z; last success 2025-03-01T10:00:40Z\)$/);
  // below the threshold it never opens (holding), at it it fires
  assert.equal(detect('CronJob', { current: cj }, t(930), config({ cronJobFailing: { failedRuns: 4 } }))[0].state, 'holding');
  assert.equal(detect('CronJob', { current: cj }, t(930), config({ cronJobFailing: { failedRuns: 3 } }))[0].state, 'firing');
});

test('cronJobFailing: a run under way holds an open incident; a success or no run yet is nothing', () => {
  const running = cronJob({ lastScheduleTime: at(900), lastSuccessfulTime: at(40), active: [{ name: 'report-29013735' }] });
  const [o] = detect('CronJob', { current: running }, t(930), config());
  assert.equal(o.state, 'holding');
  assert.equal(o.count, 2);
  assert.deepEqual(detect('CronJob', { current: cronJob({ lastScheduleTime: at(900), lastSuccessfulTime: at(905) }) }, t(930), config()), []);
  assert.deepEqual(detect('CronJob', { current: cronJob({}) }, t(930), config()), []);
  assert.deepEqual(detect('CronJob', { current: cronJob({ lastScheduleTime: at(900) }) }, t(930), config({ cronJobFailing: { enabled: false } })), []);
  // no success ever: counted since creation
  const never = detect('CronJob', { current: cronJob({ lastScheduleTime: at(0) }) }, t(30), config())[0];
  assert.equal(never.count, 12); // 09:05 … 10:00
  assert.match(never.message, /no successful run yet/);
});

test('cronJobFailing: the last run\'s Job and pod, when cached, tell why', () => {
  const cj = cronJob({ lastScheduleTime: at(900), lastSuccessfulTime: at(40) });
  const run = { ...job({ name: 'report-29013735', conditions: failedConditions, cron: true }) };
  const pod = failedPod('report-29013735-xxxxx', 905, 'exiting with status 1');
  const related = (kind: string): KubeObject[] => (kind === 'Job' ? [run] : kind === 'Pod' ? [pod] : []);
  const [o] = detect('CronJob', { current: cj }, t(930), config(), related);
  assert.match(o.message, /: BackoffLimitExceeded: Job has reached the specified backoff limit; last failed pod report-29013735-xxxxx: container main exited with code 1 \(Error\): exiting with status 1$/);
});

test('through the tracker: one FIRING across failed runs, RESOLVED on the next success', () => {
  const tracker = new IncidentTracker({ cluster: 'c' });
  const cfg = config();
  const steps: [Record<string, unknown>, number][] = [
    [{ lastScheduleTime: at(300), active: [{ name: 'a' }] }, 301],
    [{ lastScheduleTime: at(300) }, 310],
    [{ lastScheduleTime: at(600), active: [{ name: 'b' }] }, 601],
    [{ lastScheduleTime: at(600) }, 610],
    [{ lastScheduleTime: at(900), lastSuccessfulTime: at(905) }, 905],
  ];
  const out: string[] = [];
  for (const [status, s] of steps) {
    const current = cronJob(status);
    for (const n of tracker.observe(CJ_UID, current, detect('CronJob', { current }, t(s), cfg), t(s))) out.push(`${State[n.state]} ${n.reason}`);
  }
  assert.deepEqual(out, ['FIRING CronJobFailing', 'RESOLVED CronJobFailing']);
});

function event(reason: string, kind: string, type = 'Warning', message = 'm'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${kind}.${reason}`, namespace: 'demo', uid: `ev-${kind}-${reason}` },
    type,
    reason,
    message,
    involvedObject: { apiVersion: 'batch/v1', kind, namespace: 'demo', name: 'report', uid: CJ_UID },
    count: 1,
    lastTimestamp: at(60),
  } as KubeObject;
}

test('missed schedules: MissSchedule and TooManyMissedTimes events are CronJobMissedSchedule edges', () => {
  const [o] = detect('Event', { current: event('MissSchedule', 'CronJob', 'Warning', 'Missed scheduled time to start a job: Sat, 01 Mar 2025 10:01:00 +0000') }, t(61), config());
  assert.equal(o.kind, 'edge');
  assert.equal(o.reason, 'CronJobMissedSchedule');
  assert.equal(o.detector, 'cronJobMissedSchedule');
  assert.equal(o.fields?.eventReason, 'MissSchedule');
  assert.equal(o.involved?.kind, 'CronJob');
  assert.equal(detect('Event', { current: event('TooManyMissedTimes', 'CronJob') }, t(61), config())[0].reason, 'CronJobMissedSchedule');
  // switched off, they are plain Warning events again
  assert.equal(detect('Event', { current: event('MissSchedule', 'CronJob') }, t(61), config({ cronJobMissedSchedule: { enabled: false } }))[0].detector, 'warningEvents');
});

test('the Job controller\'s failure events are covered by the Job incident; includeCovered brings them back', () => {
  for (const reason of ['BackoffLimitExceeded', 'DeadlineExceeded', 'PodFailurePolicy']) {
    assert.deepEqual(detect('Event', { current: event(reason, 'Job') }, t(61), config()), [], reason);
    assert.equal(detect('Event', { current: event(reason, 'Job') }, t(61), config({ warningEvents: { includeCovered: true } }))[0].reason, reason);
  }
  assert.equal(detect('Event', { current: event('BackoffLimitExceeded', 'Job') }, t(61), config({ jobFailed: { enabled: false }, cronJobFailing: { enabled: false } }))[0].reason, 'BackoffLimitExceeded');
});

test('a Job\'s failed pods are not PodFailed notices while the Job detector reports them; other failed pods are', () => {
  const pod = failedPod('migrate-aaaaa', 5, 'fatal');
  assert.deepEqual(detect('Pod', { current: pod }, t(10), config()).filter((o) => o.reason === 'PodFailed'), []);
  assert.equal(detect('Pod', { current: pod }, t(10), config({ jobFailed: { enabled: false }, cronJobFailing: { enabled: false } })).filter((o) => o.reason === 'PodFailed').length, 1);
  const bare = { ...pod, metadata: { ...pod.metadata, ownerReferences: [] } } as KubeObject;
  assert.equal(detect('Pod', { current: bare }, t(10), config()).filter((o) => o.reason === 'PodFailed').length, 1);
});
