// Scenarios around Jobs and CronJobs: a Job whose pods exit 1 until its
// backoffLimit is spent (then deleted, as someone cleaning up would), and a
// CronJob whose runs fail a few times in a row until its job template is
// fixed. They only write what `kubectl apply` / `kubectl delete` would; the
// Job and CronJob controllers and the kubelet do the rest.

import { BEHAVIOR_ANNOTATION, CRASH_AFTER_ANNOTATION, EXIT_CODE_ANNOTATION, TERMINATION_MESSAGE_ANNOTATION } from '../behavior.ts';
import type { TimerHandle } from '../clock.ts';
import type { CronJob } from '../controllers/cronjob.ts';
import { deleteObject } from '../controllers/gc.ts';
import { jobFinished, type Job } from '../controllers/job.ts';
import { ensureNamespace } from '../controllers/namespaces.ts';
import { controllerOf } from '../controllers/replicaset.ts';
import { applyCreateDefaults, applyUpdateDefaults } from '../defaults.ts';
import { CRONJOBS, JOBS } from '../refs.ts';
import type { Scenario, ScenarioOptions, SimContext } from '../scenario.ts';
import type { KObject } from '../types.ts';
import { scenarioNamespace } from './pods.ts';

export const BATCH_IMAGE = 'busybox:1.36';

const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const str = (v: unknown, fallback: string): string => (typeof v === 'string' && v !== '' ? v : fallback);

/** What the demo's migration writes to its termination log before it exits 1. */
export const MIGRATE_MESSAGE = 'migration 0042_add_orders_index failed: relation "orders_created_at_idx" already exists';

/** Pod annotations of a run that fails: exits `exitCode` a few seconds after it starts, leaving `message` as its termination message. */
function failing(exitCode: number, message?: string): Record<string, string> {
  const a = { [BEHAVIOR_ANNOTATION]: 'crash', [CRASH_AFTER_ANNOTATION]: '3', [EXIT_CODE_ANNOTATION]: String(exitCode) };
  return message ? { ...a, [TERMINATION_MESSAGE_ANNOTATION]: message } : a;
}

const succeeding = (): Record<string, string> => ({ [BEHAVIOR_ANNOTATION]: 'complete', [CRASH_AFTER_ANNOTATION]: '3' });

function podTemplate(annotations: Record<string, string>, command: string[]): Record<string, unknown> {
  return {
    metadata: { annotations },
    spec: {
      restartPolicy: 'Never',
      containers: [{ name: 'main', image: BATCH_IMAGE, command, terminationMessagePolicy: 'FallbackToLogsOnError' }],
    },
  };
}

/** A Job as `kubectl apply` of a plain manifest leaves it after defaulting. */
export function jobObject(namespace: string, name: string, opts: { backoffLimit: number; exitCode: number; message?: string; command?: string[] }): KObject {
  const job: KObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace },
    spec: { backoffLimit: opts.backoffLimit, template: podTemplate(failing(opts.exitCode, opts.message), opts.command ?? ['/bin/sh', '-c', 'run-migrations']) },
  };
  applyCreateDefaults(JOBS.storage, job);
  return job;
}

/** A CronJob running every minute whose runs fail (backoffLimit 0: one pod per run). */
export function cronJobObject(namespace: string, name: string, opts: { schedule: string; exitCode: number }): KObject {
  const cj: KObject = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace },
    spec: {
      schedule: opts.schedule,
      jobTemplate: { spec: { backoffLimit: 0, template: podTemplate(failing(opts.exitCode), ['/bin/sh', '-c', 'make-report']) } },
    },
  };
  applyCreateDefaults(CRONJOBS.storage, cj);
  return cj;
}

/** Calls fn with each Job of the CronJob `name` that fails, once per Job; returns a cancel function. */
function onFailedRun(ctx: SimContext, namespace: string, name: string, fn: (failedSoFar: number) => void): () => void {
  const seen = new Set<string>();
  return ctx.store.subscribe((c) => {
    if (c.storage !== JOBS.storage || c.type === 'DELETED' || c.object.metadata.namespace !== namespace) return;
    const owner = controllerOf(c.object);
    if (owner?.kind !== 'CronJob' || owner.name !== name) return;
    if (jobFinished(c.object as Job) !== 'Failed' || seen.has(c.object.metadata.uid!)) return;
    seen.add(c.object.metadata.uid!);
    fn(seen.size);
  });
}

/** The CronJob's runs succeed from now on, as `kubectl apply` of a fixed template would make them. */
function fixCronJob(ctx: SimContext, namespace: string, name: string): void {
  if (!ctx.store.get(CRONJOBS.storage, namespace, name)) return;
  ctx.store.mutate(CRONJOBS, namespace, name, (o) => {
    const tpl = (o as CronJob).spec.jobTemplate?.spec?.template;
    if (tpl?.metadata) tpl.metadata.annotations = succeeding();
    applyUpdateDefaults(CRONJOBS.storage, o);
    o.metadata.generation = (o.metadata.generation ?? 1) + 1;
  });
}

export interface FailingJobOptions {
  name: string;
  backoffLimit: number;
  exitCode: number;
  /** the failing pods' termination message (else their last log lines) */
  message?: string;
  /** delete the Job this long after it was created (undefined: never) */
  deleteAfterMs?: number;
}

/** Creates the failing Job (unless it exists) and schedules its deletion; returns the cancel function. */
export function startFailingJob(ctx: SimContext, namespace: string, o: FailingJobOptions): () => void {
  ensureNamespace(ctx, namespace);
  if (!ctx.store.get(JOBS.storage, namespace, o.name)) {
    ctx.store.create(JOBS, jobObject(namespace, o.name, { backoffLimit: o.backoffLimit, exitCode: o.exitCode, message: o.message }));
  }
  let timer: TimerHandle | undefined;
  if (o.deleteAfterMs !== undefined) timer = ctx.clock.setTimeout(() => deleteObject(ctx, JOBS, namespace, o.name), o.deleteAfterMs);
  return () => ctx.clock.clearTimeout(timer);
}

export interface FailingCronJobOptions {
  name: string;
  schedule: string;
  exitCode: number;
  /** runs that fail before the template is fixed */
  failRuns: number;
}

/** Creates the CronJob whose first `failRuns` runs fail, then fixes it; returns the cancel function. */
export function startFailingCronJob(ctx: SimContext, namespace: string, o: FailingCronJobOptions): () => void {
  ensureNamespace(ctx, namespace);
  if (!ctx.store.get(CRONJOBS.storage, namespace, o.name)) {
    ctx.store.create(CRONJOBS, cronJobObject(namespace, o.name, { schedule: o.schedule, exitCode: o.exitCode }));
  }
  const unsubscribe = onFailedRun(ctx, namespace, o.name, (n) => {
    if (n === o.failRuns) fixCronJob(ctx, namespace, o.name);
  });
  return unsubscribe;
}

export const jobFailedScenario: Scenario = {
  name: 'job-failed',
  description:
    'A Job whose pods exit 1 until its backoffLimit is spent (BackoffLimitExceeded), deleted 120 s later; options: name, backoffLimit (2), exitCode (1), message (the termination message; default: the last log lines), deleteAfter seconds (120, negative: never)',
  start(ctx: SimContext, opts: ScenarioOptions): () => void {
    const deleteAfter = num(opts.deleteAfter, 120);
    return startFailingJob(ctx, scenarioNamespace(opts), {
      name: str(opts.name, 'job-failed'),
      backoffLimit: num(opts.backoffLimit, 2),
      exitCode: num(opts.exitCode, 1),
      message: typeof opts.message === 'string' ? opts.message : undefined,
      deleteAfterMs: deleteAfter >= 0 ? deleteAfter * 1000 : undefined,
    });
  },
};

export const cronJobFailingScenario: Scenario = {
  name: 'cronjob-failing',
  description:
    'A CronJob running every minute whose runs exit 1 until failRuns of them failed, then its job template is fixed and the next run succeeds; options: name, schedule ("*/1 * * * *"), failRuns (2), exitCode (1)',
  start(ctx: SimContext, opts: ScenarioOptions): () => void {
    return startFailingCronJob(ctx, scenarioNamespace(opts), {
      name: str(opts.name, 'cronjob-failing'),
      schedule: str(opts.schedule, '*/1 * * * *'),
      exitCode: num(opts.exitCode, 1),
      failRuns: num(opts.failRuns, 2),
    });
  },
};

export const batchScenarios: Scenario[] = [jobFailedScenario, cronJobFailingScenario];

/** The demo's batch part, in seconds after it starts (src/sim/scenarios/demo.ts). */
export const DEMO_BATCH_STEPS = {
  /** Job migrate created; its two pods exit 1 (backoffLimit 1): Failed ~55 */
  migrate: 35,
  /** migrate deleted, as someone cleaning up after reading the alert */
  migrateDeleted: 120,
  /** CronJob report-failing (every minute) fails its first runs, fixed after this many */
  reportFailRuns: 2,
} as const;

/** The demo's Job migrate and CronJob report-failing; returns the cancel function. */
export function startBatchDemo(ctx: SimContext, namespace: string): () => void {
  const S = DEMO_BATCH_STEPS;
  const cancels: (() => void)[] = [];
  const timer = ctx.clock.setTimeout(() => {
    cancels.push(startFailingJob(ctx, namespace, { name: 'migrate', backoffLimit: 1, exitCode: 1, message: MIGRATE_MESSAGE, deleteAfterMs: (S.migrateDeleted - S.migrate) * 1000 }));
  }, S.migrate * 1000);
  cancels.push(startFailingCronJob(ctx, namespace, { name: 'report-failing', schedule: '*/1 * * * *', exitCode: 1, failRuns: S.reportFailRuns }));
  return () => {
    ctx.clock.clearTimeout(timer);
    for (const c of cancels) c();
  };
}
