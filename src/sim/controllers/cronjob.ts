// The CronJob controller, after pkg/controller/cronjob (the v2 controller of
// 1.32): on the simulator's clock it creates a Job named
// <cronjob>-<scheduled time in minutes> at each activation of spec.schedule
// (in spec.timeZone, UTC otherwise), honours suspend, concurrencyPolicy
// (Allow, Forbid, Replace) and startingDeadlineSeconds, reports missed
// schedules (MissSchedule, TooManyMissedTimes), keeps status.active,
// lastScheduleTime and lastSuccessfulTime, and deletes finished Jobs past
// the history limits.

import { applyCreateDefaults } from '../defaults.ts';
import { isoSeconds } from '../clock.ts';
import { mostRecentSchedule, nextActivation, parseCron, type CronSchedule } from '../../model/cron.ts';
import { ApiError } from '../errors.ts';
import { CRONJOBS, JOBS } from '../refs.ts';
import type { SimContext } from '../scenario.ts';
import type { Change } from '../store.ts';
import type { KObject } from '../types.ts';
import { deleteObject } from './gc.ts';
import { jobFinished, type Job } from './job.ts';
import { controllerOf, newControllerRef, nsKey, sortedMap, splitKey, WorkQueue } from './replicaset.ts';

export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
const CJ_COMPONENT = { component: 'cronjob-controller' };
/** the controller requeues a little after the next activation, as nextScheduleTimeDuration adds */
const REQUEUE_SLACK_MS = 100;

interface ObjectRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface CronJob extends KObject {
  spec: {
    schedule?: string;
    timeZone?: string;
    suspend?: boolean;
    concurrencyPolicy?: string;
    startingDeadlineSeconds?: number;
    successfulJobsHistoryLimit?: number;
    failedJobsHistoryLimit?: number;
    jobTemplate?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Job['spec'] };
  };
  status?: { active?: ObjectRef[]; lastScheduleTime?: string; lastSuccessfulTime?: string };
}

/** getJobName: the scheduled time in minutes since the epoch, so a rerun of one activation collides. */
export function jobNameFor(cronJobName: string, scheduledMs: number): string {
  return `${cronJobName}-${Math.floor(scheduledMs / 60_000)}`;
}

/** Go's time.RFC1123Z in UTC, as the MissSchedule event prints the time. */
export function rfc1123z(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** getJobFromTemplate2: the Job a CronJob starts for one activation. */
export function jobFromTemplate(cj: CronJob, scheduledMs: number): Job {
  const tpl = cj.spec.jobTemplate ?? {};
  const annotations = { ...(tpl.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP_ANNOTATION]: isoSeconds(scheduledMs) };
  const metadata: Job['metadata'] = {
    name: jobNameFor(cj.metadata.name!, scheduledMs),
    namespace: cj.metadata.namespace,
    annotations: sortedMap(annotations),
    ownerReferences: [newControllerRef(cj, 'batch/v1', 'CronJob')],
  };
  if (tpl.metadata?.labels && Object.keys(tpl.metadata.labels).length) metadata.labels = sortedMap(tpl.metadata.labels);
  return { apiVersion: 'batch/v1', kind: 'Job', metadata, spec: structuredClone(tpl.spec ?? {}) };
}

class CronJobController {
  #ctx: SimContext;
  #queue: WorkQueue;

  constructor(ctx: SimContext) {
    this.#ctx = ctx;
    this.#queue = new WorkQueue(ctx.clock, (key) => this.#sync(key));
  }

  start(): () => void {
    const unsubscribe = this.#ctx.store.subscribe((c) => this.#onChange(c));
    for (const cj of this.#ctx.store.list(CRONJOBS.storage)) this.#queue.add(nsKey(cj.metadata.namespace, cj.metadata.name!));
    return () => {
      unsubscribe();
      this.#queue.stop();
    };
  }

  #onChange(c: Change): void {
    if (c.storage === CRONJOBS.storage) {
      if (c.type !== 'DELETED') this.#queue.add(nsKey(c.object.metadata.namespace, c.object.metadata.name!));
      return;
    }
    if (c.storage !== JOBS.storage) return;
    const ref = controllerOf(c.object);
    if (ref?.kind === 'CronJob') this.#queue.add(nsKey(c.object.metadata.namespace, ref.name));
  }

  #sync(key: string): void {
    const [ns, name] = splitKey(key);
    const { store, clock, recorder } = this.#ctx;
    const cj = store.get(CRONJOBS.storage, ns, name) as CronJob | undefined;
    if (!cj || cj.metadata.deletionTimestamp) return;
    const jobs = (store.list(JOBS.storage, ns) as Job[]).filter((j) => controllerOf(j)?.uid === cj.metadata.uid);
    const status = structuredClone(cj.status ?? {});
    const now = clock.nowMs();

    // cleanupFinishedJobs' bookkeeping half: finished Jobs leave status.active
    let active = status.active ?? [];
    for (const job of jobs) {
      const done = jobFinished(job);
      const listed = active.some((r) => r.uid === job.metadata.uid);
      if (!done && !listed && !job.metadata.deletionTimestamp) {
        // as the real controller: a running Job it did not create (`kubectl create job --from=cronjob/…`)
        // is reported, not adopted into status.active
        recorder.record({ object: cj, type: 'Warning', reason: 'UnexpectedJob', message: `Saw a job that the controller did not create or forgot: ${job.metadata.name}`, source: CJ_COMPONENT });
        continue;
      }
      if (done && listed) {
        active = active.filter((r) => r.uid !== job.metadata.uid);
        recorder.record({ object: cj, type: 'Normal', reason: 'SawCompletedJob', message: `Saw completed job: ${job.metadata.name}, condition: ${done}`, source: CJ_COMPONENT });
      }
      if (done === 'Complete' && job.status?.completionTime) {
        if (!status.lastSuccessfulTime || Date.parse(job.status.completionTime) > Date.parse(status.lastSuccessfulTime)) {
          status.lastSuccessfulTime = job.status.completionTime;
        }
      }
    }
    for (const r of active) {
      if (!jobs.some((j) => j.metadata.uid === r.uid)) {
        active = active.filter((x) => x.uid !== r.uid);
        recorder.record({ object: cj, type: 'Normal', reason: 'MissingJob', message: `Active job went missing: ${r.name}`, source: CJ_COMPONENT });
      }
    }
    status.active = active;

    this.#scheduleNext(key, cj, status, now);
    this.#cleanupHistory(cj, jobs);
    this.#writeStatus(cj, status);
  }

  /** syncCronJob's scheduling half: starts the Job of the most recent unmet activation. */
  #scheduleNext(key: string, cj: CronJob, status: NonNullable<CronJob['status']>, now: number): void {
    const { recorder } = this.#ctx;
    if (cj.spec.suspend) return;
    let sched: CronSchedule;
    try {
      sched = parseCron(cj.spec.schedule ?? '');
    } catch (err) {
      recorder.record({ object: cj, type: 'Warning', reason: 'UnparseableSchedule', message: `unparseable schedule: ${JSON.stringify(cj.spec.schedule)} : ${(err as Error).message}`, source: CJ_COMPONENT });
      return;
    }
    const tz = cj.spec.timeZone;
    let earliest = Date.parse(status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? '') || now;
    const deadline = cj.spec.startingDeadlineSeconds;
    if (deadline !== undefined && deadline !== null) earliest = Math.max(earliest, now - deadline * 1000);
    const { mostRecent, missed } = mostRecentSchedule(sched, earliest, now, tz);
    const requeue = (): void => {
      const next = nextActivation(sched, now, tz);
      if (next !== undefined) this.#queue.addAfter(key, next - now + REQUEUE_SLACK_MS);
    };
    if (missed > 100) {
      recorder.record({
        object: cj,
        type: 'Warning',
        reason: 'TooManyMissedTimes',
        message: `too many missed start times: ${missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`,
        source: CJ_COMPONENT,
      });
    }
    if (mostRecent === undefined) return requeue();
    if (deadline !== undefined && deadline !== null && mostRecent + deadline * 1000 < now) {
      recorder.record({ object: cj, type: 'Warning', reason: 'MissSchedule', message: `Missed scheduled time to start a job: ${rfc1123z(mostRecent)}`, source: CJ_COMPONENT });
      return requeue();
    }
    const jobName = jobNameFor(cj.metadata.name!, mostRecent);
    if ((status.active ?? []).some((r) => r.name === jobName)) return requeue();
    const policy = cj.spec.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && (status.active ?? []).length > 0) {
      recorder.record({ object: cj, type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid', source: CJ_COMPONENT });
      return requeue();
    }
    if (policy === 'Replace') {
      for (const r of status.active ?? []) {
        try {
          deleteObject(this.#ctx, JOBS, cj.metadata.namespace, r.name!);
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 404)) throw err;
        }
        recorder.record({ object: cj, type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted job ${r.name}`, source: CJ_COMPONENT });
      }
      status.active = [];
    }
    const job = jobFromTemplate(cj, mostRecent);
    applyCreateDefaults(JOBS.storage, job);
    let created: Job;
    try {
      created = this.#ctx.store.create(JOBS, job) as Job;
    } catch (err) {
      if (err instanceof ApiError && err.code === 409) {
        // this activation already ran (its Job may have finished before we saw it)
        status.lastScheduleTime = isoSeconds(mostRecent);
        return requeue();
      }
      throw err;
    }
    recorder.record({ object: cj, type: 'Normal', reason: 'SuccessfulCreate', message: `Created job ${created.metadata.name}`, source: CJ_COMPONENT });
    status.active = [...(status.active ?? []), jobRef(created)];
    status.lastScheduleTime = isoSeconds(mostRecent);
    requeue();
  }

  /** cleanupFinishedJobs: the oldest finished Jobs beyond the history limits go. */
  #cleanupHistory(cj: CronJob, jobs: Job[]): void {
    const byStart = (a: Job, b: Job): number => startOf(a) - startOf(b);
    const prune = (kind: 'Complete' | 'Failed', limit: number | undefined): void => {
      if (limit === undefined || limit === null) return;
      const done = jobs.filter((j) => jobFinished(j) === kind && !j.metadata.deletionTimestamp).sort(byStart);
      for (const j of done.slice(0, Math.max(0, done.length - limit))) {
        try {
          deleteObject(this.#ctx, JOBS, j.metadata.namespace, j.metadata.name!);
        } catch (err) {
          if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) throw err;
          continue;
        }
        this.#ctx.recorder.record({ object: cj, type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted job ${j.metadata.name}`, source: CJ_COMPONENT });
      }
    };
    prune('Complete', cj.spec.successfulJobsHistoryLimit);
    prune('Failed', cj.spec.failedJobsHistoryLimit);
  }

  #writeStatus(cj: CronJob, status: NonNullable<CronJob['status']>): void {
    // field order and omitempty as batch/v1 CronJobStatus serializes
    const next: NonNullable<CronJob['status']> = {};
    if (status.active?.length) next.active = status.active;
    if (status.lastScheduleTime) next.lastScheduleTime = status.lastScheduleTime;
    if (status.lastSuccessfulTime) next.lastSuccessfulTime = status.lastSuccessfulTime;
    if (JSON.stringify(next) === JSON.stringify(cj.status ?? {})) return;
    try {
      this.#ctx.store.mutate(CRONJOBS, cj.metadata.namespace, cj.metadata.name!, (o) => {
        (o as CronJob).status = next;
      });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }
}

function jobRef(job: Job): ObjectRef {
  return { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, namespace: job.metadata.namespace, resourceVersion: job.metadata.resourceVersion, uid: job.metadata.uid };
}

function startOf(job: Job): number {
  return Date.parse(job.status?.startTime ?? job.metadata.creationTimestamp ?? '') || 0;
}

/** Starts the CronJob controller; returns the function that stops it. */
export function startCronJobController(ctx: SimContext): () => void {
  return new CronJobController(ctx).start();
}
