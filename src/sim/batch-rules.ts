// Validation the real API server does on batch/v1 Jobs and CronJobs beyond
// the schema (ValidateJob, ValidateCronJob): the 422s users actually hit — a
// Job pod that would restart forever, an unparseable schedule, an unknown
// time zone, a CronJob name too long for the Jobs it names.

import { parseCron, validTimeZone } from '../model/cron.ts';
import { semanticEqual } from './controllers/replicaset.ts';
import type { StatusCause } from './errors.ts';
import { podSpecCauses } from './kind-rules.ts';
import type { KObject } from './types.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** a CronJob's Jobs add "-" and 11 digits, and must stay a valid label value (63) */
const CRONJOB_NAME_MAX = 52;

function nonNegative(spec: Obj, field: string, path: string): StatusCause[] {
  const v = spec[field];
  if (v === undefined || v === null) return [];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    return [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(v)}: must be greater than or equal to 0`, field: `${path}.${field}` }];
  }
  return [];
}

/** ValidateJobSpec's common checks, at `path` (spec, or spec.jobTemplate.spec). */
export function jobSpecCauses(spec: unknown, path: string): StatusCause[] {
  if (!isObj(spec)) return [{ reason: 'FieldValueRequired', message: 'Required value', field: path }];
  const out: StatusCause[] = [];
  for (const f of ['parallelism', 'completions', 'backoffLimit', 'activeDeadlineSeconds', 'ttlSecondsAfterFinished']) out.push(...nonNegative(spec, f, path));
  if (spec.completionMode !== undefined && spec.completionMode !== 'NonIndexed' && spec.completionMode !== 'Indexed') {
    out.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(spec.completionMode)}: supported values: "NonIndexed", "Indexed"`, field: `${path}.completionMode` });
  }
  if (spec.completionMode === 'Indexed' && (spec.completions === undefined || spec.completions === null)) {
    out.push({ reason: 'FieldValueRequired', message: 'Required value: when completion mode is Indexed', field: `${path}.completions` });
  }
  if (spec.manualSelector === true && !isObj(spec.selector)) {
    out.push({ reason: 'FieldValueRequired', message: 'Required value', field: `${path}.selector` });
  }
  const tpl = isObj(spec.template) ? spec.template : undefined;
  const podSpec = tpl?.spec;
  out.push(...podSpecCauses(podSpec, `${path}.template.spec`));
  const policy = isObj(podSpec) ? podSpec.restartPolicy : undefined;
  if (policy !== 'OnFailure' && policy !== 'Never') {
    out.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(policy ?? '')}: supported values: "OnFailure", "Never"`,
      field: `${path}.template.spec.restartPolicy`,
    });
  }
  if (isObj(spec.podFailurePolicy) && policy === 'OnFailure') {
    out.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified`,
      field: `${path}.template.spec.restartPolicy`,
    });
  }
  return out;
}

export function jobCauses(obj: KObject): StatusCause[] {
  return jobSpecCauses(obj.spec, 'spec');
}

export function cronJobCauses(obj: KObject): StatusCause[] {
  const out: StatusCause[] = [];
  const name = obj.metadata.name ?? '';
  if (name.length > CRONJOB_NAME_MAX) {
    out.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(name)}: must be no more than ${CRONJOB_NAME_MAX} characters`, field: 'metadata.name' });
  }
  const spec = isObj(obj.spec) ? obj.spec : {};
  const schedule = spec.schedule;
  if (typeof schedule !== 'string' || schedule === '') {
    out.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.schedule' });
  } else {
    try {
      parseCron(schedule);
    } catch (err) {
      out.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(schedule)}: ${(err as Error).message}`, field: 'spec.schedule' });
    }
  }
  if (typeof spec.timeZone === 'string' && !validTimeZone(spec.timeZone)) {
    out.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(spec.timeZone)}: unknown time zone ${spec.timeZone}`, field: 'spec.timeZone' });
  }
  const policy = spec.concurrencyPolicy;
  if (policy !== undefined && policy !== 'Allow' && policy !== 'Forbid' && policy !== 'Replace') {
    out.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(policy)}: supported values: "Allow", "Forbid", "Replace"`, field: 'spec.concurrencyPolicy' });
  }
  out.push(...nonNegative(spec, 'startingDeadlineSeconds', 'spec'));
  const jt = isObj(spec.jobTemplate) ? spec.jobTemplate : undefined;
  out.push(...jobSpecCauses(jt?.spec, 'spec.jobTemplate.spec'));
  return out;
}

/**
 * ValidateJobSpecUpdate: what a Job's spec may not change once created. The
 * pod template may change only while the Job is suspended and has never
 * started (the real server narrows that further to scheduling directives).
 */
export function jobUpdateCauses(current: KObject, next: KObject): StatusCause[] {
  const cur = isObj(current.spec) ? current.spec : {};
  const nxt = isObj(next.spec) ? next.spec : {};
  const out: StatusCause[] = [];
  const immutable = (field: string): void => {
    if (!semanticEqual(cur[field], nxt[field])) {
      out.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(nxt[field] ?? null)}: field is immutable`, field: `spec.${field}` });
    }
  };
  for (const f of ['selector', 'completionMode', 'podFailurePolicy', 'manualSelector']) immutable(f);
  if (cur.completionMode !== 'Indexed') immutable('completions');
  const neverStarted = cur.suspend === true && !(isObj(current.status) && current.status.startTime);
  if (!neverStarted) immutable('template');
  return out;
}
