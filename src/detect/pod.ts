// Pod detectors: per container (init containers too) CrashLoopBackOff,
// OOMKilled and waiting reasons that mean the container cannot start; per
// pod NotReady for longer than the configured minimum, Failed and Evicted.
//
// Severities: a crash loop or an OOM kill takes the workload down again and
// again, so they are critical; a container that cannot start, a pod that is
// not ready, a failed or evicted pod are warnings.
//
// Keys ("pod/<uid>/<container>/<what>") hold across restarts and re-lists and
// change when the pod is replaced (new uid), so a replaced pod's incident
// resolves with the old pod's deletion and the new pod gets its own.

import type { KubeObject } from '../model/kube.ts';
import { Severity } from '../model/notification.ts';
import type { DetectorsConfig } from './config.ts';
import type { Observation } from './types.ts';
import { compactFields, condition, displayName, lastLine, ownerFields, parseTime, plural, refOf, type ObjectRefFields } from './util.ts';

interface Terminated {
  exitCode?: number;
  signal?: number;
  reason?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
}

interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: Terminated;
}

interface ContainerStatus {
  name: string;
  state?: ContainerState;
  lastState?: ContainerState;
  ready?: boolean;
  restartCount?: number;
  image?: string;
}

interface ContainerSpec {
  name: string;
  image?: string;
  resources?: { limits?: Record<string, string> };
}

interface PodShape {
  spec?: { nodeName?: string; containers?: ContainerSpec[]; initContainers?: ContainerSpec[] };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

/** Pull failures alternate with ImagePullBackOff: one incident for all of them. */
const IMAGE_PULL_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'RegistryUnavailable', 'SignatureValidationFailed']);
export const IMAGE_PULL_KEY = 'image-pull';
/** How much of a termination message (often the tail of the logs) rides along in fields. */
const MESSAGE_FIELD_MAX = 1000;

export const podKey = (uid: string, ...parts: string[]): string => ['pod', uid, ...parts].join('/');
const isTerminal = (phase: string | undefined): boolean => phase === 'Succeeded' || phase === 'Failed';
const tail = (s: string | undefined): string | undefined => (s && s.length > MESSAGE_FIELD_MAX ? `…${s.slice(-MESSAGE_FIELD_MAX)}` : s);

/** Everything about the pod that every observation repeats. */
interface PodInfo {
  uid: string;
  name: string;
  phase?: string;
  terminal: boolean;
  node?: string;
  involved: ObjectRefFields;
  base: Record<string, string>;
}

function podInfo(pod: KubeObject): PodInfo {
  const p = pod as KubeObject & PodShape;
  const node = p.spec?.nodeName;
  return {
    uid: pod.metadata.uid ?? '',
    name: displayName(pod),
    phase: p.status?.phase,
    terminal: isTerminal(p.status?.phase),
    node,
    involved: refOf(pod, 'v1', 'Pod'),
    base: { ...compactFields({ node }), ...ownerFields(pod) },
  };
}

export function detectPod(pod: KubeObject, now: Date, config: DetectorsConfig): Observation[] {
  const info = podInfo(pod);
  const p = pod as KubeObject & PodShape;
  const out: Observation[] = [];
  const specs = [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])];
  const statuses = [
    ...(p.status?.initContainerStatuses ?? []).map((s) => ({ s, init: true })),
    ...(p.status?.containerStatuses ?? []).map((s) => ({ s, init: false })),
  ];
  let covered = false;
  for (const { s, init } of statuses) {
    if (!s?.name) continue;
    const found = containerObservations(info, s, specs.find((c) => c.name === s.name), init, now.getTime(), config);
    out.push(...found);
    covered ||= found.some((o) => o.state === 'firing' || (o.detector === 'crashLoopBackOff' && inLoop(s, now.getTime(), config)));
  }
  const notReady = podNotReady(pod, info, covered, config);
  if (notReady) out.push(notReady);
  const failed = podFailed(pod, info, config);
  if (failed) out.push(failed);
  return out;
}

// ---------------------------------------------------------------- containers

/**
 * Running, ready and up for stableSeconds: the crash loop is over. An init
 * container that ran to completion is done for good.
 */
function isStable(s: ContainerStatus, init: boolean, nowMs: number, stableMs: number): boolean {
  if (init && s.state?.terminated?.exitCode === 0) return true;
  const started = parseTime(s.state?.running?.startedAt);
  return started !== undefined && s.ready === true && nowMs - started >= stableMs;
}

/**
 * The container is between crashes: down, or up for less than stableSeconds.
 * Its pod being not ready then is the crash loop's doing, not news of its own.
 */
function inLoop(s: ContainerStatus, nowMs: number, config: DetectorsConfig): boolean {
  const started = parseTime(s.state?.running?.startedAt);
  return started === undefined || nowMs - started < config.crashLoopBackOff.stableSeconds * 1000;
}

function containerObservations(
  info: PodInfo,
  s: ContainerStatus,
  spec: ContainerSpec | undefined,
  init: boolean,
  nowMs: number,
  config: DetectorsConfig,
): Observation[] {
  const out: Observation[] = [];
  const restarts = s.restartCount ?? 0;
  const waiting = s.state?.waiting;
  const lastTerm = s.state?.terminated ?? s.lastState?.terminated;
  const what = init ? 'init container' : 'container';
  const fields = (extra: Record<string, string | number | undefined>): Record<string, string> => ({
    ...info.base,
    ...compactFields({
      container: s.name,
      initContainer: init ? 'true' : undefined,
      restarts,
      image: spec?.image ?? s.image,
      waitingReason: waiting?.reason,
      ...extra,
    }),
  });
  const common = { kind: 'level' as const, involved: info.involved };

  if (config.crashLoopBackOff.enabled) {
    const key = podKey(info.uid, s.name, 'CrashLoopBackOff');
    const lastExit = lastTerm ? `last exit code ${lastTerm.exitCode ?? '?'}${lastTerm.reason ? ` (${lastTerm.reason})` : ''}` : '';
    const obs = {
      ...common,
      key,
      detector: 'crashLoopBackOff',
      severity: Severity.CRITICAL,
      reason: 'CrashLoopBackOff',
      title: `Pod ${info.name}: ${what} ${s.name} is crash-looping`,
      message: `${cap(what)} ${s.name} of pod ${info.name} keeps crashing: ${plural(restarts, 'restart')}${lastExit ? `, ${lastExit}` : ''}`,
      count: restarts,
      fields: fields({ exitCode: lastTerm?.exitCode, message: tail(lastTerm?.message ?? waiting?.message) }),
    };
    if (waiting?.reason === 'CrashLoopBackOff') {
      out.push({ ...obs, state: 'firing' });
    } else if (!info.terminal && restarts > 0 && !isStable(s, init, nowMs, config.crashLoopBackOff.stableSeconds * 1000)) {
      // between back-offs the container runs for a while: the loop is not over yet
      out.push({ ...obs, state: 'holding' });
    }
  }

  if (config.oomKilled.enabled) {
    const oom = oomTermination(s, info.terminal, nowMs, config.crashLoopBackOff.stableSeconds * 1000);
    if (oom) {
      const limit = spec?.resources?.limits?.memory;
      out.push({
        ...common,
        key: podKey(info.uid, s.name, 'OOMKilled'),
        state: 'firing',
        detector: 'oomKilled',
        severity: Severity.CRITICAL,
        reason: 'OOMKilled',
        title: `Pod ${info.name}: ${what} ${s.name} was OOMKilled`,
        message:
          `${cap(what)} ${s.name} of pod ${info.name} was killed for running out of memory` +
          `${limit ? ` (limit ${limit})` : ''}, exit code ${oom.exitCode ?? 137}${restarts ? `; ${plural(restarts, 'restart')}` : ''}`,
        since: oom.finishedAt,
        count: restarts,
        fields: fields({ exitCode: oom.exitCode ?? 137, memoryLimit: limit, message: tail(oom.message) }),
      });
    }
  }

  if (config.badWaiting.enabled && waiting?.reason && config.badWaiting.reasons.includes(waiting.reason)) {
    const pull = IMAGE_PULL_REASONS.has(waiting.reason);
    const image = spec?.image ?? s.image ?? '';
    out.push({
      ...common,
      key: podKey(info.uid, s.name, pull ? IMAGE_PULL_KEY : waiting.reason),
      state: 'firing',
      detector: 'badWaiting',
      severity: Severity.WARNING,
      reason: waiting.reason,
      title: pull ? `Pod ${info.name}: cannot pull image ${image}` : `Pod ${info.name}: ${what} ${s.name} cannot start (${waiting.reason})`,
      message: `${cap(what)} ${s.name} of pod ${info.name} is waiting: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`,
      fields: fields({ message: tail(waiting.message) }),
    });
  }
  return out;
}

/**
 * The OOM kill that is still the container's story: it is dead by it now, or
 * it has not yet run for stableSeconds since. Readiness does not count here:
 * a container up for an hour after an OOM kill is past it even if a probe
 * fails, and that must not look like a new kill.
 */
function oomTermination(s: ContainerStatus, terminal: boolean, nowMs: number, stableMs: number): Terminated | undefined {
  if (s.state?.terminated) return s.state.terminated.reason === 'OOMKilled' ? s.state.terminated : undefined;
  // a finished pod will not run the container again: only its final state matters
  if (terminal) return undefined;
  const last = s.lastState?.terminated;
  if (last?.reason !== 'OOMKilled') return undefined;
  const started = parseTime(s.state?.running?.startedAt);
  if (started !== undefined && nowMs - started >= stableMs) return undefined;
  return last;
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

// ---------------------------------------------------------------- pod level

/**
 * Running pods whose Ready condition is not True. When a container incident
 * is firing, or a crash loop is between crashes, that explains the pod's
 * state already: then the observation only holds an incident that was open
 * before, so a crash loop does not also page as "pod not ready". A container
 * that restarted and then stays up but never gets ready is not explained by
 * the loop any more: its pod's NotReady fires.
 */
function podNotReady(pod: KubeObject, info: PodInfo, covered: boolean, config: DetectorsConfig): Observation | undefined {
  if (!config.podNotReady.enabled || info.phase !== 'Running' || pod.metadata.deletionTimestamp) return undefined;
  const ready = condition(pod, 'Ready');
  if (!ready || ready.status === 'True') return undefined;
  const p = pod as KubeObject & PodShape;
  const unready = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]
    .filter((s) => s && s.ready !== true && !(s.state?.terminated?.exitCode === 0))
    .map((s) => s.name);
  const detail = ready.message ?? condition(pod, 'ContainersReady')?.message ?? (unready.length ? `containers with unready status: [${unready.join(' ')}]` : '');
  return {
    kind: 'level',
    key: podKey(info.uid, 'NotReady'),
    state: covered ? 'holding' : 'firing',
    detector: 'podNotReady',
    severity: Severity.WARNING,
    reason: 'PodNotReady',
    title: `Pod ${info.name} is not ready`,
    message: `Pod ${info.name} has not been ready since ${ready.lastTransitionTime ?? 'it started'}${detail ? `: ${detail}` : ''}`,
    since: ready.lastTransitionTime,
    minDurationMs: config.podNotReady.minSeconds * 1000,
    fields: { ...info.base, ...compactFields({ unready: unready.join(','), conditionReason: ready.reason }) },
    involved: info.involved,
  };
}

function podFailed(pod: KubeObject, info: PodInfo, config: DetectorsConfig): Observation | undefined {
  if (info.phase !== 'Failed') return undefined;
  const p = pod as KubeObject & PodShape;
  const status = p.status ?? {};
  const evicted = status.reason === 'Evicted';
  if (evicted ? !config.evicted.enabled : !config.podFailed.enabled) return undefined;
  // a Job's failed pods are its attempts: the Job (or CronJob) incident reports them, with the last one's message
  const jobPod = p.metadata.ownerReferences?.some((r) => r.controller && r.kind === 'Job');
  if (!evicted && jobPod && (config.jobFailed.enabled || config.cronJobFailing.enabled)) return undefined;
  const failedContainer = (status.containerStatuses ?? []).find((s) => (s?.state?.terminated?.exitCode ?? 0) !== 0);
  const term = failedContainer?.state?.terminated;
  const summary = term
    ? `container ${failedContainer.name} exited with code ${term.exitCode}${term.reason ? ` (${term.reason})` : ''}${term.message ? `: ${lastLine(term.message)}` : ''}`
    : '';
  const detail = status.message ?? summary;
  return {
    kind: 'edge',
    key: podKey(info.uid, evicted ? 'Evicted' : 'Failed'),
    state: 'firing',
    detector: evicted ? 'evicted' : 'podFailed',
    severity: Severity.WARNING,
    reason: evicted ? 'Evicted' : 'PodFailed',
    title: evicted ? `Pod ${info.name} was evicted` : `Pod ${info.name} failed`,
    message: evicted
      ? `Pod ${info.name} was evicted${info.node ? ` from node ${info.node}` : ''}${detail ? `: ${detail.trim()}` : ''}`
      : `Pod ${info.name} failed${status.reason ? ` (${status.reason})` : ''}${detail ? `: ${detail.trim()}` : ''}`,
    fields: {
      ...info.base,
      ...compactFields({ container: failedContainer?.name, exitCode: term?.exitCode, podReason: status.reason, message: tail(status.message) }),
    },
    involved: info.involved,
  };
}

// ---------------------------------------------------------------- resolution

function containerStatus(pod: KubeObject, name: string | undefined): ContainerStatus | undefined {
  const st = (pod as KubeObject & PodShape).status;
  return [...(st?.initContainerStatuses ?? []), ...(st?.containerStatuses ?? [])].find((s) => s?.name === name);
}

/** What recovered, for the RESOLVED notification of a pod incident. */
export function describePodResolved(obs: Observation, pod: KubeObject | undefined): string {
  const f = obs.fields ?? {};
  const name = displayName(obs.involved ?? pod);
  const container = f.container;
  const restarts = (s: ContainerStatus | undefined): string => plural(s?.restartCount ?? Number(f.restarts ?? 0), 'restart');
  if (!pod) {
    if (obs.detector === 'podNotReady') return `pod ${name} was deleted`;
    return `pod ${name} was deleted (container ${container}${obs.detector === 'crashLoopBackOff' ? `, ${restarts(undefined)}` : ''})`;
  }
  const phase = (pod as KubeObject & PodShape).status?.phase;
  const s = containerStatus(pod, container);
  switch (obs.detector) {
    case 'crashLoopBackOff':
      if (isTerminal(phase)) return `pod ${name} is ${phase}: container ${container} is no longer restarting (${restarts(s)})`;
      return `container ${container} is ready again after ${restarts(s)}`;
    case 'oomKilled': {
      const since = s?.state?.running?.startedAt;
      if (since) return `container ${container} has been running without an OOM kill since ${since} (${restarts(s)})`;
      return `container ${container} is no longer being OOMKilled (${restarts(s)})`;
    }
    case 'badWaiting':
      if (isTerminal(phase)) return `pod ${name} is ${phase}: container ${container} is no longer waiting`;
      if (obs.key.endsWith(`/${IMAGE_PULL_KEY}`) && (s?.state?.running || s?.state?.terminated)) {
        return `image ${f.image ?? s?.image ?? ''} was pulled and container ${container} started`;
      }
      return `container ${container} is no longer waiting with ${f.waitingReason ?? obs.reason}${s?.state?.waiting?.reason ? ` (now ${s.state.waiting.reason})` : ''}`;
    case 'podNotReady':
      if (pod.metadata.deletionTimestamp) return `pod ${name} is being deleted`;
      if (phase !== 'Running') return `pod ${name} is ${phase ?? 'no longer running'}`;
      return `pod ${name} is Ready again`;
    default:
      return `${obs.title}: resolved`;
  }
}

// ---------------------------------------------------------------- time

/**
 * When detectPod's answer for this very pod changes with time alone: a
 * restarted container becomes stable stableSeconds after it started (the
 * crash loop and OOM incidents resolve then). Undefined when nothing is due.
 */
export function podRecheckAt(pod: KubeObject, now: Date, config: DetectorsConfig): Date | undefined {
  const st = (pod as KubeObject & PodShape).status;
  if (isTerminal(st?.phase)) return undefined;
  const stableMs = config.crashLoopBackOff.stableSeconds * 1000;
  let next = Infinity;
  for (const s of [...(st?.initContainerStatuses ?? []), ...(st?.containerStatuses ?? [])]) {
    const started = parseTime(s?.state?.running?.startedAt);
    if (started === undefined) continue;
    const watched = (s.restartCount ?? 0) > 0 || s.lastState?.terminated?.reason === 'OOMKilled';
    const at = started + stableMs;
    if (watched && at > now.getTime() && at < next) next = at;
  }
  return next === Infinity ? undefined : new Date(next);
}
