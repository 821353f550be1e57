// The Job controller, after k8s.io/kubernetes pkg/controller/job as of 1.32:
// runs pods until spec.completions of them succeeded (or, without
// completions, until one did and the rest stopped), replaces failed pods
// after an exponential back-off (10 s doubling, at most 6 min), fails the Job
// past spec.backoffLimit, spec.activeDeadlineSeconds or a FailJob rule of
// spec.podFailurePolicy, and sets the interim conditions (FailureTarget,
// SuccessCriteriaMet) before the terminal ones (Failed, Complete) once no pod
// is left running. Pods carry the batch.kubernetes.io/job-tracking finalizer
// until they are counted. Also the TTL-after-finished controller's one job:
// deleting a finished Job after spec.ttlSecondsAfterFinished.
// Indexed completion mode: one pod per index (annotation and label
// batch.kubernetes.io/job-completion-index, JOB_COMPLETION_INDEX, hostname
// <job>-<index>), status.completedIndexes; backoffLimitPerIndex is not
// simulated.

import { ApiError } from '../errors.ts';
import { JOBS, PODS } from '../refs.ts';
import type { SimContext } from '../scenario.ts';
import type { Change } from '../store.ts';
import type { KObject } from '../types.ts';
import { refusedCreate } from './admission.ts';
import { deleteObject } from './gc.ts';
import {
  claim,
  controllerOf,
  CREATE_RETRY_MS,
  isPodReady,
  namespaceAcceptsCreates,
  newControllerRef,
  nsKey,
  podFromTemplate,
  randomString,
  selectorOf,
  splitKey,
  WorkQueue,
  type MetaLabelSelector,
  type Pod,
  type PodTemplate,
} from './replicaset.ts';

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_MAX_MS = 360_000;
export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
const JOB_COMPONENT = { component: 'job-controller' };
const BURST = 500;

export interface JobCondition {
  type: string;
  status: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface PodFailurePolicyRule {
  action: string;
  onExitCodes?: { containerName?: string; operator: string; values: number[] };
  onPodConditions?: { type: string; status?: string }[];
}

export interface Job extends KObject {
  spec: {
    parallelism?: number;
    completions?: number;
    completionMode?: string;
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    ttlSecondsAfterFinished?: number;
    suspend?: boolean;
    podReplacementPolicy?: string;
    podFailurePolicy?: { rules?: PodFailurePolicyRule[] };
    selector?: MetaLabelSelector;
    template?: PodTemplate;
  };
  status?: {
    conditions?: JobCondition[];
    startTime?: string;
    completionTime?: string;
    active?: number;
    succeeded?: number;
    failed?: number;
    terminating?: number;
    completedIndexes?: string;
    ready?: number;
    uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
  };
}

// ---------------------------------------------------------------------------
// Pure rules.

/** The Job's terminal condition type, if it has one. */
export function jobFinished(job: Job): 'Complete' | 'Failed' | undefined {
  for (const c of job.status?.conditions ?? []) {
    if (c.status === 'True' && (c.type === 'Complete' || c.type === 'Failed')) return c.type;
  }
  return undefined;
}

/** The delay before the next pod after `failures` consecutive failures. */
export function backoffDelayMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(BACKOFF_BASE_MS * 2 ** (failures - 1), BACKOFF_MAX_MS);
}

interface Terminated {
  exitCode?: number;
}

function containerStatuses(pod: Pod): { name?: string; state?: { terminated?: Terminated } }[] {
  return ((pod.status?.containerStatuses ?? []) as { name?: string; state?: { terminated?: Terminated } }[]);
}

/**
 * The first rule of spec.podFailurePolicy matching a failed pod, as
 * matchPodFailurePolicy: its action, and for FailJob the message the Job's
 * condition carries.
 */
export function matchPodFailurePolicy(job: Job, pod: Pod): { action: string; index: number; message?: string } | undefined {
  const rules = job.spec.podFailurePolicy?.rules ?? [];
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    if (r.onExitCodes) {
      const { containerName, operator, values } = r.onExitCodes;
      for (const cs of containerStatuses(pod)) {
        if (containerName && cs.name !== containerName) continue;
        const code = cs.state?.terminated?.exitCode;
        if (code === undefined || code === 0) continue;
        const listed = (values ?? []).includes(code);
        if (operator === 'In' ? listed : operator === 'NotIn' ? !listed : false) {
          const message = `Container ${cs.name} for pod ${pod.metadata.namespace}/${pod.metadata.name} failed with exit code ${code} matching ${r.action} rule at index ${i}`;
          return { action: r.action, index: i, message };
        }
      }
    }
    for (const pattern of r.onPodConditions ?? []) {
      const hit = (pod.status?.conditions ?? []).find((c) => c.type === pattern.type && c.status === (pattern.status ?? 'True'));
      if (hit) {
        const message = `Pod ${pod.metadata.namespace}/${pod.metadata.name} has condition ${hit.type} matching ${r.action} rule at index ${i}`;
        return { action: r.action, index: i, message };
      }
    }
  }
  return undefined;
}

/** "0-2,4" → {0,1,2,4}, as status.completedIndexes writes them. */
export function parseIndexes(s: string | undefined): Set<number> {
  const out = new Set<number>();
  for (const part of (s ?? '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    for (let i = Number(m[1]); i <= Number(m[2] ?? m[1]); i++) out.add(i);
  }
  return out;
}

/** {0,1,2,4} → "0-2,4". */
export function formatIndexes(set: Set<number>): string {
  const xs = [...set].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    parts.push(i === j ? String(xs[i]) : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The completion index of an Indexed Job's pod, or undefined. */
export function completionIndex(pod: Pod): number | undefined {
  const v = pod.metadata.annotations?.[COMPLETION_INDEX_ANNOTATION];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** pastBackoffLimitOnFailure: with restartPolicy OnFailure, container restarts count against the limit. */
export function pastBackoffLimitOnFailure(job: Job, activePods: Pod[]): boolean {
  if ((job.spec.template?.spec as { restartPolicy?: string } | undefined)?.restartPolicy !== 'OnFailure') return false;
  const limit = job.spec.backoffLimit ?? 6;
  let restarts = 0;
  for (const p of activePods) {
    for (const c of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) restarts += c.restartCount ?? 0;
  }
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

const isTerminal = (pod: Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

// ---------------------------------------------------------------------------
// The controller.

export interface JobControllerOptions {
  random?: () => number;
}

interface Tracking {
  /** pod uids already folded into status.succeeded/failed */
  counted: Set<string>;
  /** pods that vanished before they were counted, with their outcome */
  tombstones: Map<string, { pod: Pod; failed: boolean }>;
  /** failures since the last success and when the last one was counted, for the back-off */
  failuresInARow: number;
  lastFailureMs: number;
}

class JobController {
  #ctx: SimContext;
  #random: () => number;
  #queue: WorkQueue;
  #pods = new Map<string, Map<string, Pod>>();
  /** job uid → bookkeeping the real controller keeps in its expectations and finalizers */
  #tracking = new Map<string, Tracking>();
  /** pods whose deletion began while they still ran: they count as failed however they exit */
  #deletedWhileActive = new Set<string>();

  constructor(ctx: SimContext, opts: JobControllerOptions) {
    this.#ctx = ctx;
    this.#random = opts.random ?? Math.random;
    this.#queue = new WorkQueue(ctx.clock, (key) => this.#sync(key));
  }

  start(): () => void {
    const { store } = this.#ctx;
    for (const pod of store.list(PODS.storage)) this.#index(pod as Pod);
    const unsubscribe = store.subscribe((c) => this.#onChange(c));
    for (const job of store.list(JOBS.storage)) this.#queue.add(nsKey(job.metadata.namespace, job.metadata.name!));
    return () => {
      unsubscribe();
      this.#queue.stop();
    };
  }

  #index(pod: Pod): void {
    const ns = pod.metadata.namespace ?? '';
    let m = this.#pods.get(ns);
    if (!m) this.#pods.set(ns, (m = new Map()));
    m.set(pod.metadata.name!, pod);
  }

  #unindex(pod: Pod): void {
    const m = this.#pods.get(pod.metadata.namespace ?? '');
    m?.delete(pod.metadata.name!);
    if (m && m.size === 0) this.#pods.delete(pod.metadata.namespace ?? '');
  }

  #track(jobUid: string): Tracking {
    let t = this.#tracking.get(jobUid);
    if (!t) this.#tracking.set(jobUid, (t = { counted: new Set(), tombstones: new Map(), failuresInARow: 0, lastFailureMs: 0 }));
    return t;
  }

  #onChange(c: Change): void {
    if (c.storage === JOBS.storage) {
      if (c.type === 'DELETED') {
        this.#tracking.delete(c.object.metadata.uid!);
        this.#releaseOrphans(c.object);
      } else this.#queue.add(nsKey(c.object.metadata.namespace, c.object.metadata.name!));
      return;
    }
    if (c.storage !== PODS.storage) return;
    const pod = c.object as Pod;
    const ref = controllerOf(pod);
    if (c.type === 'DELETED') this.#unindex(pod);
    else this.#index(pod);
    if (ref?.kind !== 'Job') return;
    const uid = pod.metadata.uid!;
    if (pod.metadata.deletionTimestamp && !(c.prev as Pod | undefined)?.metadata.deletionTimestamp && !isTerminal(c.prev as Pod ?? pod)) {
      this.#deletedWhileActive.add(uid);
    }
    if (c.type === 'DELETED') {
      const t = this.#tracking.get(ref.uid);
      if (t && !t.counted.has(uid)) {
        t.tombstones.set(uid, { pod, failed: this.#deletedWhileActive.has(uid) || pod.status?.phase !== 'Succeeded' });
      }
      this.#deletedWhileActive.delete(uid);
    }
    this.#queue.add(nsKey(pod.metadata.namespace, ref.name));
  }

  /** The Job is gone: its pods must not keep the tracking finalizer. */
  #releaseOrphans(job: KObject): void {
    for (const pod of this.#pods.get(job.metadata.namespace ?? '')?.values() ?? []) {
      if (controllerOf(pod)?.uid === job.metadata.uid) this.#dropFinalizer(pod);
    }
  }

  #sync(key: string): void {
    const [ns, name] = splitKey(key);
    const { store, clock } = this.#ctx;
    const job = store.get(JOBS.storage, ns, name) as Job | undefined;
    if (!job || job.metadata.deletionTimestamp) return;
    const now = clock.nowMs();
    const t = this.#track(job.metadata.uid!);
    const selector = selectorOf(job.spec?.selector);
    const candidates = [...(this.#pods.get(ns)?.values() ?? [])];
    const pods = selector ? claim(store, PODS, job, newControllerRef(job, 'batch/v1', 'Job'), selector, candidates) : [];
    const finished = jobFinished(job);
    if (finished) {
      for (const p of pods) if (isTerminal(p)) this.#dropFinalizer(p);
      this.#scheduleTtl(key, job);
      return;
    }

    const status = structuredClone(job.status ?? {});
    const conditions = (status.conditions ??= []);
    const stamp = clock.nowIso();
    let succeeded = status.succeeded ?? 0;
    let failed = status.failed ?? 0;
    let failJob: { reason: string; message: string } | undefined;
    const newlyCounted: Pod[] = [];
    const indexed = job.spec.completionMode === 'Indexed';
    const doneIndexes = parseIndexes(status.completedIndexes);

    const count = (pod: Pod, podFailed: boolean): void => {
      t.counted.add(pod.metadata.uid!);
      newlyCounted.push(pod);
      if (!podFailed) {
        t.failuresInARow = 0;
        if (!indexed) {
          succeeded++;
          return;
        }
        // an index counts once, however many of its pods succeeded
        const idx = completionIndex(pod);
        if (idx !== undefined && idx < (job.spec.completions ?? 0)) doneIndexes.add(idx);
        succeeded = doneIndexes.size;
        return;
      }
      const rule = matchPodFailurePolicy(job, pod);
      if (rule?.action === 'Ignore') return;
      if (rule?.action === 'FailJob' && !failJob) failJob = { reason: 'PodFailurePolicy', message: rule.message! };
      failed++;
      t.failuresInARow++;
      t.lastFailureMs = now;
    };
    for (const p of pods) {
      if (t.counted.has(p.metadata.uid!)) continue;
      if (isTerminal(p)) count(p, this.#deletedWhileActive.has(p.metadata.uid!) || p.status?.phase === 'Failed');
    }
    for (const [uid, { pod, failed: f }] of t.tombstones) {
      t.tombstones.delete(uid);
      if (!t.counted.has(uid)) count(pod, f);
    }

    let active = pods.filter((p) => !isTerminal(p) && !p.metadata.deletionTimestamp);
    let terminating = pods.filter((p) => !isTerminal(p) && p.metadata.deletionTimestamp).length;

    const suspended = job.spec.suspend === true;
    if (!status.startTime && !suspended) status.startTime = stamp;
    const startMs = status.startTime ? Date.parse(status.startTime) : now;
    const has = (type: string): JobCondition | undefined => conditions.find((c) => c.type === type && c.status === 'True');
    const addCondition = (type: string, reason: string, message: string): void => {
      const existing = conditions.find((c) => c.type === type);
      const next = { type, status: 'True', lastProbeTime: stamp, lastTransitionTime: stamp, reason, message };
      if (existing) Object.assign(existing, next);
      else conditions.push(next);
    };

    const target = has('FailureTarget');
    if (!target && !has('SuccessCriteriaMet')) {
      const limit = job.spec.backoffLimit ?? 6;
      if (failJob) addCondition('FailureTarget', failJob.reason, failJob.message);
      else if (failed > limit || pastBackoffLimitOnFailure(job, active)) {
        addCondition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
      } else if (job.spec.activeDeadlineSeconds !== undefined && !suspended && now - startMs >= job.spec.activeDeadlineSeconds * 1000) {
        addCondition('FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline');
      } else if (this.#succeededEnough(job, succeeded, active.length)) {
        addCondition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods');
      }
    }

    const failure = has('FailureTarget');
    const success = has('SuccessCriteriaMet');
    if (failure || success) {
      // the Job is decided: nothing keeps running, the terminal condition waits for the pods to stop
      for (const p of active) this.#deletePod(job, p);
      terminating += active.length;
      active = [];
      if (terminating === 0) {
        if (failure) {
          addCondition('Failed', failure.reason!, failure.message!);
          this.#ctx.recorder.record({ object: job, type: 'Warning', reason: failure.reason!, message: failure.message!, source: JOB_COMPONENT });
        } else {
          addCondition('Complete', success!.reason!, success!.message!);
          status.completionTime = stamp;
          this.#ctx.recorder.record({ object: job, type: 'Normal', reason: 'Completed', message: 'Job completed', source: JOB_COMPONENT });
        }
      }
    } else if (suspended) {
      for (const p of active) this.#deletePod(job, p);
      terminating += active.length;
      active = [];
      if (!has('Suspended')) {
        addCondition('Suspended', 'JobSuspended', 'Job suspended');
        this.#ctx.recorder.record({ object: job, type: 'Normal', reason: 'Suspended', message: 'Job suspended', source: JOB_COMPONENT });
      }
    } else {
      const wasSuspended = conditions.find((c) => c.type === 'Suspended' && c.status === 'True');
      if (wasSuspended) {
        Object.assign(wasSuspended, { status: 'False', lastProbeTime: stamp, lastTransitionTime: stamp, reason: 'JobResumed', message: 'Job resumed' });
        status.startTime = stamp;
        this.#ctx.recorder.record({ object: job, type: 'Normal', reason: 'Resumed', message: 'Job resumed', source: JOB_COMPONENT });
      }
      active = this.#managePods(key, job, active, succeeded, terminating, t, now, indexed ? doneIndexes : undefined);
      if (job.spec.activeDeadlineSeconds !== undefined) {
        this.#queue.addAfter(key, Math.max(1, startMs + job.spec.activeDeadlineSeconds * 1000 - now));
      }
    }

    // field order and omitempty as batch/v1 JobStatus serializes
    const next: NonNullable<Job['status']> = {};
    if (conditions.length) next.conditions = conditions;
    if (status.startTime) next.startTime = status.startTime;
    if (status.completionTime) next.completionTime = status.completionTime;
    if (active.length) next.active = active.length;
    if (succeeded) next.succeeded = succeeded;
    if (failed) next.failed = failed;
    next.terminating = terminating;
    if (indexed && doneIndexes.size) next.completedIndexes = formatIndexes(doneIndexes);
    next.uncountedTerminatedPods = {};
    next.ready = active.filter(isPodReady).length;
    if (JSON.stringify(next) !== JSON.stringify(job.status ?? {})) {
      try {
        store.mutate(JOBS, ns, name, (o) => {
          (o as Job).status = next;
        });
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    // counted: the finalizer has done its job
    for (const p of newlyCounted) this.#dropFinalizer(p);
  }

  #succeededEnough(job: Job, succeeded: number, active: number): boolean {
    const completions = job.spec.completions;
    if (completions !== undefined && completions !== null) return succeeded >= completions;
    return succeeded > 0 && active === 0;
  }

  /** manageJob: creates or deletes pods toward the wanted number, honouring the failure back-off. */
  #managePods(key: string, job: Job, active: Pod[], succeeded: number, terminating: number, t: Tracking, now: number, doneIndexes?: Set<number>): Pod[] {
    const parallelism = job.spec.parallelism ?? 1;
    const completions = job.spec.completions;
    let want: number;
    if (completions === undefined || completions === null) want = succeeded > 0 ? 0 : parallelism;
    else want = Math.max(0, Math.min(parallelism, completions - succeeded));
    // podReplacementPolicy Failed: a terminating pod still holds its place
    if (job.spec.podReplacementPolicy === 'Failed') want = Math.max(0, want - terminating);
    const diff = want - active.length;
    if (diff > 0) {
      const wait = t.lastFailureMs + backoffDelayMs(t.failuresInARow) - now;
      if (t.failuresInARow > 0 && wait > 0) {
        this.#queue.addAfter(key, wait);
        return active;
      }
      const ns = job.metadata.namespace!;
      if (!namespaceAcceptsCreates(this.#ctx.store, ns)) return active;
      const ref = newControllerRef(job, 'batch/v1', 'Job');
      const created: Pod[] = [];
      // Indexed: the lowest indexes neither done nor running
      const free: number[] = [];
      if (doneIndexes) {
        const running = new Set(active.map(completionIndex));
        for (let i = 0; i < (job.spec.completions ?? 0) && free.length < diff; i++) if (!doneIndexes.has(i) && !running.has(i)) free.push(i);
      }
      for (let i = 0; i < Math.min(doneIndexes ? free.length : diff, BURST); i++) {
        const pod = podFromTemplate(this.#ctx.store, job, ref, job.spec.template ?? {}, this.#random);
        if (doneIndexes) this.#setIndex(job, pod, free[i]);
        pod.metadata.finalizers = [...(pod.metadata.finalizers ?? []), JOB_TRACKING_FINALIZER];
        const refused = refusedCreate(this.#ctx, PODS.storage, pod);
        if (refused) {
          // the real controller's sync fails and is retried with back-off; quota may free up meanwhile
          this.#ctx.recorder.record({ object: job, type: 'Warning', reason: 'FailedCreate', message: `Error creating: ${refused}`, source: JOB_COMPONENT });
          this.#queue.addAfter(key, CREATE_RETRY_MS);
          break;
        }
        const stored = this.#ctx.store.create(PODS, pod) as Pod;
        created.push(stored);
        this.#ctx.recorder.record({ object: job, type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: ${stored.metadata.name}`, source: JOB_COMPONENT });
      }
      return [...active, ...created];
    }
    if (diff < 0) {
      // the newest pods go first: they have done the least work
      const victims = [...active]
        .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''))
        .slice(0, -diff);
      for (const p of victims) this.#deletePod(job, p);
      return active.filter((p) => !victims.includes(p));
    }
    return active;
  }

  /** What the Job controller adds to an Indexed Job's pod: its index, a name and hostname carrying it. */
  #setIndex(job: Job, pod: Pod, index: number): void {
    const idx = String(index);
    pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [COMPLETION_INDEX_ANNOTATION]: idx };
    pod.metadata.labels = { ...(pod.metadata.labels ?? {}), [COMPLETION_INDEX_ANNOTATION]: idx };
    const generateName = `${job.metadata.name}-${idx}-`;
    let name: string;
    do name = generateName.slice(0, 58) + randomString(5, this.#random);
    while (this.#ctx.store.get(PODS.storage, pod.metadata.namespace, name));
    pod.metadata.name = name;
    pod.metadata.generateName = generateName;
    const spec = (pod.spec ??= {}) as Record<string, unknown>;
    spec.hostname ??= `${job.metadata.name}-${idx}`;
    for (const c of (spec.containers as { env?: unknown[] }[] | undefined) ?? []) {
      c.env = [{ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${COMPLETION_INDEX_ANNOTATION}']` } } }, ...(c.env ?? [])];
    }
  }

  #deletePod(job: Job, pod: Pod): void {
    this.#deletedWhileActive.add(pod.metadata.uid!);
    try {
      deleteObject(this.#ctx, PODS, pod.metadata.namespace, pod.metadata.name!);
    } catch (err) {
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return;
      throw err;
    }
    this.#ctx.recorder.record({ object: job, type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted pod: ${pod.metadata.name}`, source: JOB_COMPONENT });
  }

  /** Removes the tracking finalizer; a pod only waiting for it goes away. */
  #dropFinalizer(pod: Pod): void {
    const { store } = this.#ctx;
    const ns = pod.metadata.namespace;
    const cur = store.get(PODS.storage, ns, pod.metadata.name!) as Pod | undefined;
    if (!cur || cur.metadata.uid !== pod.metadata.uid || !cur.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)) return;
    try {
      const updated = store.mutate(PODS, ns, cur.metadata.name!, (o) => {
        const rest = (o.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
        if (rest.length) o.metadata.finalizers = rest;
        else delete o.metadata.finalizers;
      }) as Pod;
      const waitingOnlyForUs = updated.metadata.deletionTimestamp && !updated.metadata.finalizers?.length;
      if (waitingOnlyForUs && (isTerminal(updated) || !updated.spec?.nodeName)) {
        store.delete(PODS, ns, updated.metadata.name!, { precondition: { uid: updated.metadata.uid } });
      }
    } catch (err) {
      if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) throw err;
    }
  }

  /** The TTL-after-finished controller: a finished Job with a TTL is deleted when it runs out. */
  #scheduleTtl(key: string, job: Job): void {
    const ttl = job.spec.ttlSecondsAfterFinished;
    if (ttl === undefined || ttl === null) return;
    const done = job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    const finishedMs = Date.parse(job.status?.completionTime ?? done?.lastTransitionTime ?? '') || this.#ctx.clock.nowMs();
    const wait = finishedMs + ttl * 1000 - this.#ctx.clock.nowMs();
    if (wait > 0) {
      this.#queue.addAfter(key, wait);
      return;
    }
    try {
      deleteObject(this.#ctx, JOBS, job.metadata.namespace, job.metadata.name!);
    } catch (err) {
      if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) throw err;
    }
  }
}

/** Starts the Job controller; returns the function that stops it. */
export function startJobController(ctx: SimContext, opts: JobControllerOptions = {}): () => void {
  return new JobController(ctx, opts).start();
}
