// What the real API server fills in on a batch/v1 Job or CronJob: the
// SetDefaults_* of pkg/apis/batch/v1 plus the Job strategy's generated
// selector (PrepareForCreate → generateSelectorIfNeeded), which needs the
// uid, so a Job's uid is assigned here rather than by the store.

import { randomUUID } from 'node:crypto';
import { defaultPodSpec } from './defaults.ts';
import type { KObject } from './types.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
/** the pre-1.27 labels, still written beside the prefixed ones */
const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
const LEGACY_JOB_NAME_LABEL = 'job-name';

function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined) o[key] = value;
}

function templateOf(spec: Obj): Obj {
  if (!isObj(spec.template)) spec.template = {};
  return spec.template as Obj;
}

/** SetDefaults_Job on the spec alone (also the shape inside a CronJob's jobTemplate when created as a Job). */
export function defaultJobSpec(spec: Obj): void {
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', spec.backoffLimitPerIndex === undefined ? 6 : 2147483647);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'manualSelector', false);
  setDefault(spec, 'podReplacementPolicy', isObj(spec.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed');
  const rules = isObj(spec.podFailurePolicy) ? spec.podFailurePolicy.rules : undefined;
  if (Array.isArray(rules)) {
    for (const r of rules) {
      if (isObj(r) && Array.isArray(r.onPodConditions)) for (const c of r.onPodConditions) if (isObj(c)) setDefault(c, 'status', 'True');
    }
  }
  const tpl = templateOf(spec);
  if (isObj(tpl.spec)) defaultPodSpec(tpl.spec);
}

/** A new Job: defaults, then the generated selector and pod labels unless spec.manualSelector. */
export function defaultNewJob(job: KObject): void {
  const o = job as Obj;
  const spec = (isObj(o.spec) ? o.spec : (o.spec = {})) as Obj;
  defaultJobSpec(spec);
  if (spec.manualSelector !== true) {
    const uid = (job.metadata.uid ??= randomUUID());
    const tpl = templateOf(spec);
    const meta = (isObj(tpl.metadata) ? tpl.metadata : (tpl.metadata = {})) as Obj;
    const labels = { ...((meta.labels as Record<string, string> | undefined) ?? {}) };
    labels[CONTROLLER_UID_LABEL] = uid;
    labels[JOB_NAME_LABEL] = job.metadata.name!;
    labels[LEGACY_CONTROLLER_UID_LABEL] = uid;
    labels[LEGACY_JOB_NAME_LABEL] = job.metadata.name!;
    meta.labels = labels;
    spec.selector = { matchLabels: { [CONTROLLER_UID_LABEL]: uid } };
  }
  // SetDefaults_Job: a Job without labels takes its pod template's
  const tplLabels = (templateOf(spec).metadata as Obj | undefined)?.labels as Record<string, string> | undefined;
  if (!job.metadata.labels || Object.keys(job.metadata.labels).length === 0) {
    if (tplLabels && Object.keys(tplLabels).length) job.metadata.labels = { ...tplLabels };
  }
  o.status = {};
}

/** SetDefaults_CronJob, and pod defaults inside the job template. */
export function defaultCronJob(cj: KObject, create: boolean): void {
  const o = cj as Obj;
  const spec = (isObj(o.spec) ? o.spec : (o.spec = {})) as Obj;
  setDefault(spec, 'concurrencyPolicy', 'Allow');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  const jt = isObj(spec.jobTemplate) ? spec.jobTemplate : undefined;
  const js = jt && isObj(jt.spec) ? jt.spec : undefined;
  const tpl = js && isObj(js.template) ? js.template : undefined;
  if (tpl && isObj(tpl.spec)) defaultPodSpec(tpl.spec);
  if (create) o.status = {};
}

/** On update: pod defaults in the templates, as the decoder applies them to every write. */
export function defaultUpdatedBatch(storage: string, obj: KObject): void {
  const o = obj as Obj;
  if (storage === 'batch/cronjobs') return defaultCronJob(obj, false);
  if (storage === 'batch/jobs' && isObj(o.spec)) {
    const tpl = isObj(o.spec.template) ? o.spec.template : undefined;
    if (tpl && isObj(tpl.spec)) defaultPodSpec(tpl.spec);
  }
}
