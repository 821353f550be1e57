// CronJob detectors, read from the CronJob's own status (lastScheduleTime,
// lastSuccessfulTime, active), which the CronJob controller updates when a
// run finishes, so the incident moves with the CronJob object:
// - cronJobFailing (level, warning): the latest run finished without
//   succeeding (no success since it was scheduled, nothing active) and the
//   runs scheduled since the last success number at least `failedRuns`
//   (counted from the schedule, so runs whose Jobs the history limit already
//   deleted still count). It resolves with the next successful run; while a
//   new run is under way an open incident stays open. The last run's Job and
//   pods, when the listener's cache has them, add the failure's reason and
//   termination message.
// - cronJobMissedSchedule (edge, warning): the CronJob controller's Warning
//   events MissSchedule (a run not started within startingDeadlineSeconds)
//   and TooManyMissedTimes, notified under this detector's reason instead
//   of as plain Warning events.

import { mostRecentSchedule, parseCron } from '../model/cron.ts';
import type { KubeObject } from '../model/kube.ts';
import { Severity } from '../model/notification.ts';
import type { DetectorsConfig } from './config.ts';
import { eventView, type EventView } from './event.ts';
import { describeFailedPod, failureOf, jobEventCovered, lastFailedPod, type RelatedLookup } from './job.ts';
import type { Observation } from './types.ts';
import { compactFields, displayName, parseTime, refOf } from './util.ts';

export const MISSED_SCHEDULE_EVENT_REASONS: readonly string[] = ['MissSchedule', 'TooManyMissedTimes'];
/** counting scheduled runs stops here: "at least this many" is all a message needs */
const COUNT_CAP = 1000;

interface CronJobShape {
  spec?: { schedule?: string; timeZone?: string; suspend?: boolean };
  status?: { active?: unknown[]; lastScheduleTime?: string; lastSuccessfulTime?: string };
}

const cronKey = (uid: string, what: string): string => `cronjob/${uid}/${what}`;

/** The Job the CronJob controller names for a scheduled time: <cronjob>-<minutes since the epoch>. */
export function runName(cronJob: string, scheduledMs: number): string {
  return `${cronJob}-${Math.floor(scheduledMs / 60_000)}`;
}

/**
 * Runs scheduled in (after, lastSchedule], lastSchedule included: how many
 * runs in a row did not succeed. 1 when the schedule cannot be read.
 */
export function runsSince(spec: CronJobShape['spec'], afterMs: number, lastScheduleMs: number): number {
  try {
    const s = parseCron(spec?.schedule ?? '');
    return Math.max(1, mostRecentSchedule(s, afterMs, lastScheduleMs, spec?.timeZone, COUNT_CAP).missed);
  } catch {
    return 1;
  }
}

export function detectCronJob(cj: KubeObject, config: DetectorsConfig, related?: RelatedLookup): Observation[] {
  if (!config.cronJobFailing.enabled) return [];
  const { spec, status = {} } = cj as KubeObject & CronJobShape;
  const lastSchedule = parseTime(status.lastScheduleTime);
  if (lastSchedule === undefined) return [];
  const lastSuccess = parseTime(status.lastSuccessfulTime);
  if (lastSuccess !== undefined && lastSuccess >= lastSchedule) return [];
  const name = displayName(cj);
  const uid = cj.metadata.uid ?? '';
  const since = lastSuccess ?? parseTime(cj.metadata.creationTimestamp) ?? lastSchedule - 1;
  const running = (status.active ?? []).length > 0;
  // the newest run is still going: it is not a failure (yet), the ones before it may be
  const failedRuns = running ? runsSince(spec, since, lastSchedule) - 1 : runsSince(spec, since, lastSchedule);
  const lastRun = runName(cj.metadata.name ?? '', lastSchedule);
  const job = related?.('Job', cj.metadata.namespace ?? '').find((j) => j.metadata.name === lastRun);
  const failure = job && !running ? failureOf(job) : undefined;
  const pod = failure ? lastFailedPod(job!, related) : undefined;
  const runs = failedRuns === 1 ? 'the last run' : `the last ${failedRuns >= COUNT_CAP ? `${COUNT_CAP}+` : failedRuns} runs`;
  return [
    {
      kind: 'level',
      key: cronKey(uid, 'Failing'),
      state: running || failedRuns < config.cronJobFailing.failedRuns ? 'holding' : 'firing',
      detector: 'cronJobFailing',
      severity: Severity.WARNING,
      reason: 'CronJobFailing',
      title: `CronJob ${name} is failing`,
      message:
        `CronJob ${name}: ${runs} did not succeed (last run ${lastRun}, scheduled ${status.lastScheduleTime}` +
        `${status.lastSuccessfulTime ? `; last success ${status.lastSuccessfulTime}` : '; no successful run yet'})` +
        `${failure ? `: ${failure.reason}${failure.message ? `: ${failure.message}` : ''}` : ''}${pod ? `; ${describeFailedPod(pod)}` : ''}`,
      // failing since the last success: stable while run after run fails
      since: status.lastSuccessfulTime ?? cj.metadata.creationTimestamp,
      count: failedRuns,
      fields: compactFields({
        schedule: spec?.schedule,
        failedRuns,
        lastRun,
        lastScheduleTime: status.lastScheduleTime,
        lastSuccessfulTime: status.lastSuccessfulTime,
        conditionReason: failure?.reason,
        pod: pod?.name,
        exitCode: pod?.exitCode,
        terminationMessage: pod?.message,
      }),
      involved: refOf(cj, 'batch/v1', 'CronJob'),
    },
  ];
}

/** A CronJob's missed-schedule Warning event as its own notification; undefined for any other event. */
export function detectCronJobEvent(ev: KubeObject, v: EventView, config: DetectorsConfig): Observation[] | undefined {
  if (v.type !== 'Warning' || v.involved.kind !== 'CronJob' || !MISSED_SCHEDULE_EVENT_REASONS.includes(v.reason)) return undefined;
  if (!config.cronJobMissedSchedule.enabled) return undefined;
  const target = displayName(v.involved);
  return [
    {
      kind: 'edge',
      key: `event/${ev.metadata.uid ?? `${ev.metadata.namespace}/${ev.metadata.name}`}`,
      state: 'firing',
      detector: 'cronJobMissedSchedule',
      severity: Severity.WARNING,
      reason: 'CronJobMissedSchedule',
      title: `CronJob ${target} missed its schedule`,
      message: `CronJob ${target}: ${v.message}`,
      since: v.time,
      count: v.count,
      eventType: v.type,
      fields: compactFields({ eventReason: v.reason, component: v.component }),
      involved: v.involved,
    },
  ];
}

/** What recovered, for the RESOLVED notification of a CronJob incident. */
export function describeCronJobResolved(obs: Observation, cj: KubeObject | undefined): string {
  const name = displayName(obs.involved ?? cj);
  if (!cj) return `cronjob ${name} was deleted`;
  const status = (cj as KubeObject & CronJobShape).status ?? {};
  return status.lastSuccessfulTime ? `cronjob ${name} ran successfully at ${status.lastSuccessfulTime}` : `cronjob ${name} is no longer failing`;
}

/**
 * What the batch detectors make of an Event: a CronJob's missed schedule as
 * its own notification, nothing for a Job failure event the Job or CronJob
 * incident already tells, undefined for everything else (the event detector's).
 */
export function detectBatchEvent(ev: KubeObject, config: DetectorsConfig): Observation[] | undefined {
  const v = eventView(ev);
  if (jobEventCovered(v.involved.kind, v.reason, v.type, config)) return [];
  return detectCronJobEvent(ev, v, config);
}
