// Job detectors:
// - jobFailed (level, warning): the Job has its Failed condition. A failed
//   Job stays failed until it is deleted, so the incident fires once and
//   resolves when the Job goes (deleted by hand, by its TTL, or replaced by a
//   re-run of the same name, which is a new object). The scheduled runs of a
//   CronJob are left to the CronJob detector (cronJobFailing), so one failing
//   schedule is one incident, not one per run; with cronJobFailing off, and
//   for runs made by hand from a CronJob, they are reported here. The message names the condition's
//   reason and the last failed pod's termination message, read from the
//   listener's cache of pods when one is passed.
// - jobCompleted (edge, info, off by default): the Job turned Complete, seen
//   as a transition, so a re-list never announces an old completion again.
// The Warning events the Job controller records with the failure
// (BackoffLimitExceeded, DeadlineExceeded, PodFailurePolicy) say the same
// thing and are not notified again (unless warningEvents.includeCovered),
// nor are the PodFailed edges of a Job's pods (the Job incident names them).

import type { KubeObject } from '../model/kube.ts';
import { Severity } from '../model/notification.ts';
import type { DetectorsConfig } from './config.ts';
import type { Delta, Observation } from './types.ts';
import { compactFields, condition, displayName, lastLine, ownerFields, parseTime, refOf } from './util.ts';

/** Cached objects of a kind in a namespace, as the listener holds them (read-only). */
export type RelatedLookup = (kind: string, namespace: string) => readonly KubeObject[];

/** Warning event reasons of the Job controller that a Job's failure incident already tells. */
export const JOB_FAILURE_EVENT_REASONS: readonly string[] = ['BackoffLimitExceeded', 'DeadlineExceeded', 'PodFailurePolicy'];

interface JobShape {
  spec?: { completions?: number; parallelism?: number; backoffLimit?: number; template?: { spec?: { containers?: { image?: string }[] } } };
  status?: { active?: number; succeeded?: number; failed?: number; startTime?: string; completionTime?: string };
}

interface PodShape {
  status?: {
    phase?: string;
    containerStatuses?: { name?: string; state?: { terminated?: { exitCode?: number; reason?: string; message?: string; finishedAt?: string } } }[];
  };
}

const jobKey = (uid: string, what: string): string => `job/${uid}/${what}`;

export function controlledBy(obj: KubeObject, kind: string): { name: string; uid?: string } | undefined {
  const ref = obj.metadata.ownerReferences?.find((r) => r.controller);
  return ref?.kind === kind ? { name: ref.name, uid: ref.uid } : undefined;
}

const isTrue = (obj: KubeObject | undefined, type: string): boolean => condition(obj, type)?.status === 'True';

/**
 * A run its CronJob started on schedule (the controller stamps the scheduled
 * time, and names it <cronjob>-<minutes>); not one made by hand with
 * `kubectl create job --from=cronjob/…`, which the CronJob's status never
 * counts, so its failure is reported as the Job's own.
 */
export function scheduledRun(job: KubeObject): boolean {
  const owner = controlledBy(job, 'CronJob');
  if (!owner) return false;
  if (job.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']) return true;
  const name = job.metadata.name ?? '';
  return name.startsWith(`${owner.name}-`) && /^\d+$/.test(name.slice(owner.name.length + 1));
}

export interface FailedPod {
  name: string;
  container?: string;
  exitCode?: number;
  reason?: string;
  /** the termination message's last line */
  message?: string;
}

/** The Job's failed pod that finished last, from the cached pods it controls. */
export function lastFailedPod(job: KubeObject, related: RelatedLookup | undefined): FailedPod | undefined {
  if (!related || !job.metadata.namespace) return undefined;
  let best: { at: number; pod: FailedPod } | undefined;
  for (const pod of related('Pod', job.metadata.namespace)) {
    const owner = controlledBy(pod, 'Job');
    if (!owner || (owner.uid ? owner.uid !== job.metadata.uid : owner.name !== job.metadata.name)) continue;
    const st = (pod as KubeObject & PodShape).status;
    if (st?.phase !== 'Failed') continue;
    const failed = (st.containerStatuses ?? []).find((c) => (c.state?.terminated?.exitCode ?? 0) !== 0);
    const term = failed?.state?.terminated;
    const at = parseTime(term?.finishedAt) ?? parseTime(pod.metadata.creationTimestamp) ?? 0;
    if (best && best.at > at) continue;
    best = {
      at,
      pod: { name: pod.metadata.name!, container: failed?.name, exitCode: term?.exitCode, reason: term?.reason, message: term?.message ? lastLine(term.message) : undefined },
    };
  }
  return best?.pod;
}

export function describeFailedPod(p: FailedPod): string {
  const exit = p.container ? `container ${p.container} exited with code ${p.exitCode}${p.reason ? ` (${p.reason})` : ''}` : 'failed';
  return `last failed pod ${p.name}: ${exit}${p.message ? `: ${p.message}` : ''}`;
}

/** The Job's failure as one clause: "BackoffLimitExceeded: Job has reached the specified backoff limit". */
export function failureOf(job: KubeObject): { reason: string; message: string } | undefined {
  const failed = condition(job, 'Failed');
  if (failed?.status !== 'True') return undefined;
  return { reason: failed.reason ?? 'Failed', message: failed.message ?? '' };
}

export function detectJob(delta: Delta, config: DetectorsConfig, related?: RelatedLookup): Observation[] {
  const job = delta.current;
  if (!job) return [];
  const out: Observation[] = [];
  const uid = job.metadata.uid ?? '';
  const name = displayName(job);
  const involved = refOf(job, 'batch/v1', 'Job');
  const st = (job as KubeObject & JobShape).status ?? {};
  const spec = (job as KubeObject & JobShape).spec ?? {};
  const base = compactFields({
    succeeded: st.succeeded ?? 0,
    failed: st.failed ?? 0,
    completions: spec.completions,
    backoffLimit: spec.backoffLimit,
    ...ownerFields(job),
  });

  const failure = failureOf(job);
  const leftToCronJob = scheduledRun(job) && config.cronJobFailing.enabled;
  if (failure && config.jobFailed.enabled && !leftToCronJob) {
    const pod = lastFailedPod(job, related);
    const cond = condition(job, 'Failed');
    out.push({
      kind: 'level',
      key: jobKey(uid, 'Failed'),
      state: 'firing',
      detector: 'jobFailed',
      severity: Severity.WARNING,
      reason: 'JobFailed',
      title: `Job ${name} failed`,
      message: `Job ${name} failed: ${failure.reason}${failure.message ? `: ${failure.message}` : ''} (${st.failed ?? 0} failed, ${st.succeeded ?? 0} succeeded)${pod ? `; ${describeFailedPod(pod)}` : ''}`,
      since: cond?.lastTransitionTime,
      fields: {
        ...base,
        ...compactFields({ conditionReason: failure.reason, pod: pod?.name, container: pod?.container, exitCode: pod?.exitCode, terminationMessage: pod?.message }),
      },
      involved,
    });
  }

  if (config.jobCompleted.enabled && isTrue(job, 'Complete') && delta.old && !isTrue(delta.old, 'Complete')) {
    const start = parseTime(st.startTime);
    const end = parseTime(st.completionTime);
    const took = start !== undefined && end !== undefined ? ` in ${Math.max(0, Math.round((end - start) / 1000))}s` : '';
    out.push({
      kind: 'edge',
      key: jobKey(uid, 'Complete'),
      state: 'firing',
      detector: 'jobCompleted',
      severity: Severity.INFO,
      reason: 'JobCompleted',
      title: `Job ${name} completed`,
      message: `Job ${name} completed${took}: ${st.succeeded ?? 0} succeeded${st.failed ? `, ${st.failed} failed on the way` : ''}`,
      since: st.completionTime,
      fields: base,
      involved,
    });
  }
  return out;
}

/**
 * A Warning event of the Job controller that repeats a Job failure the Job
 * (or CronJob) detector reports: not notified a second time.
 */
export function jobEventCovered(kind: string, reason: string, type: string, config: DetectorsConfig): boolean {
  if (type !== 'Warning' || kind !== 'Job' || config.warningEvents.includeCovered) return false;
  return JOB_FAILURE_EVENT_REASONS.includes(reason) && (config.jobFailed.enabled || config.cronJobFailing.enabled);
}

/** What recovered, for the RESOLVED notification of a Job incident. */
export function describeJobResolved(obs: Observation, job: KubeObject | undefined): string {
  const name = displayName(obs.involved ?? job);
  if (!job) return `job ${name} was deleted`;
  if (isTrue(job, 'Complete')) return `job ${name} completed`;
  return `job ${name} is no longer failed`;
}
