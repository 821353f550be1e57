// What happened while kubeherald was down, from what the cluster still
// shows. Pure: given the first list of every resource, the gap [last seen
// alive, start] and the incident keys the normal path already tells (open
// now, or restored from the stored state), it returns one notification per
// piece of evidence that falls in the gap:
// - a container whose last termination (lastState.terminated.finishedAt) is
//   in the gap and that has run again since for crashLoopBackOff.stableSeconds:
//   a crash or an OOM kill that started and ended while down;
// - image pull failures (Warning Events ErrImagePull, ImagePullBackOff,
//   Failed/BackOff about pulling) in the gap for a pod no longer waiting on
//   its image: one per pod and container;
// - a node Ready again whose Ready condition turned in the gap: a flap;
// - a Deployment whose rollout completed in the gap (Progressing's
//   lastUpdateTime), unless that revision was told before.
// Anything still wrong now is left to the normal detectors, which fire it
// from the first list with its "since" from the object. What started and
// ended in the gap is sent once as RESOLVED, marked "while kubeherald was
// down, 14:02–14:09 UTC" (title and the whileDown field), so it never waits
// for a RESOLVED that cannot come. The idempotency key comes from the
// evidence (object uid and restartCount and finishedAt, Event uids,
// revision, the condition's lastTransitionTime), so the outbox's dedup keeps
// it exactly once however often kubeherald restarts.

import { createHash } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { KubeObject } from '../model/kube.ts';
import { type Notification, NotificationSchema, ObjectRefSchema, Severity, State } from '../model/notification.ts';
import type { DetectorsConfig } from './config.ts';
import { deployKey, revisionOf, rolloutComplete } from './deployment.ts';
import { eventView } from './event.ts';
import { nodeKey } from './node.ts';
import { IMAGE_PULL_KEY, podKey } from './pod.ts';
import { condition, displayName, type ObjectRefFields, ownerFields, parseTime, plural, refOf } from './util.ts';

export interface GapWindow {
  /** epoch ms: when kubeherald was last seen alive */
  fromMs: number;
  /** epoch ms: when it started again */
  toMs: number;
}

export type GapKind = 'Pod' | 'Node' | 'Event' | 'Deployment';

export interface GapInput {
  window: GapWindow;
  cluster: string;
  config: DetectorsConfig;
  /** the cached objects of a built-in kind, as first listed */
  list: (kind: GapKind) => readonly KubeObject[];
  /** an incident or edge key the normal path tells (open now, or in the restored state) */
  known: (key: string) => boolean;
  /** is an object of this namespace watched? */
  namespaceAllowed: (namespace: string) => boolean;
}

interface ContainerStatus {
  name: string;
  restartCount?: number;
  image?: string;
  state?: { waiting?: { reason?: string }; running?: { startedAt?: string }; terminated?: unknown };
  lastState?: { terminated?: { reason?: string; exitCode?: number; finishedAt?: string; startedAt?: string } };
}

interface PodShape {
  status?: { phase?: string; containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] };
}

const PULL_EVENT_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff']);

/** Every notification the gap's evidence makes, oldest first. */
export function gapNotifications(input: GapInput): Notification[] {
  const out: { at: number; n: Notification }[] = [];
  const mark = whileDownText(input.window);
  const push = (at: number, n: NotificationParts): void => void out.push({ at, n: build(input, mark, at, n) });
  podTerminations(input, push);
  imagePulls(input, push);
  nodeFlaps(input, push);
  rollouts(input, push);
  return out.sort((a, b) => a.at - b.at || (a.n.idempotencyKey < b.n.idempotencyKey ? -1 : 1)).map((x) => x.n);
}

/** "while kubeherald was down, 14:02–14:09 UTC" (dates too when the gap spans midnight). */
export function whileDownText(w: GapWindow): string {
  const from = new Date(w.fromMs).toISOString();
  const to = new Date(w.toMs).toISOString();
  const sameDay = from.slice(0, 10) === to.slice(0, 10);
  const span = sameDay ? `${from.slice(11, 16)}–${to.slice(11, 16)}` : `${from.slice(0, 10)} ${from.slice(11, 16)} – ${to.slice(0, 10)} ${to.slice(11, 16)}`;
  return `while kubeherald was down, ${span} UTC`;
}

/** Stable for the same evidence: a later start that sees it again makes the same key. */
export function gapIdempotencyKey(evidence: string): string {
  return createHash('sha256').update(`gap\n${evidence}`).digest('hex').slice(0, 32);
}

interface NotificationParts {
  evidence: string;
  incidentKey: string;
  state: State;
  severity: Severity;
  detector: string;
  reason: string;
  title: string;
  message: string;
  involved: ObjectRefFields;
  object?: KubeObject;
  count?: number;
  fields: Record<string, string>;
}

type Push = (at: number, n: NotificationParts) => void;

const inGap = (w: GapWindow, t: number | undefined): t is number => t !== undefined && t > w.fromMs && t <= w.toMs;

function podTerminations(input: GapInput, push: Push): void {
  const c = input.config;
  for (const pod of input.list('Pod')) {
    const ns = pod.metadata.namespace ?? '';
    if (!input.namespaceAllowed(ns)) continue;
    const st = (pod as KubeObject & PodShape).status ?? {};
    // a finished pod runs nothing again: its final state is the normal detectors' story
    if (st.phase === 'Succeeded' || st.phase === 'Failed') continue;
    const uid = pod.metadata.uid ?? '';
    const name = displayName(pod);
    for (const s of [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])]) {
      const t = s.lastState?.terminated;
      const finished = parseTime(t?.finishedAt);
      if (!t || !inGap(input.window, finished)) continue;
      // still waiting (a back-off, a bad image): not over, the normal detectors fire it
      if (s.state?.waiting || s.state?.terminated) continue;
      // running again, but not yet for stableSeconds: a crash loop between back-offs, or an OOM kill the
      // detectors still report; the normal path follows it from the first list
      const started = parseTime(s.state?.running?.startedAt);
      if (started === undefined || input.window.toMs - started < c.crashLoopBackOff.stableSeconds * 1000) continue;
      const oom = t.reason === 'OOMKilled';
      if (oom ? !c.oomKilled.enabled : !c.crashLoopBackOff.enabled) continue;
      const oomKey = podKey(uid, s.name, 'OOMKilled');
      const loopKey = podKey(uid, s.name, 'CrashLoopBackOff');
      if (input.known(oomKey) || input.known(loopKey)) continue;
      const restarts = s.restartCount ?? 0;
      const exit = `exit code ${t.exitCode ?? '?'}${t.reason ? ` (${t.reason})` : ''}`;
      push(finished, {
        evidence: `pod/${uid}/${s.name}/restart/${restarts}/${t.finishedAt}`,
        incidentKey: oom ? oomKey : loopKey,
        state: State.RESOLVED,
        severity: Severity.CRITICAL,
        detector: oom ? 'oomKilled' : 'crashLoopBackOff',
        reason: oom ? 'OOMKilled' : 'CrashLoopBackOff',
        title: oom ? `Pod ${name}: container ${s.name} was OOMKilled` : `Pod ${name}: container ${s.name} crashed and restarted`,
        message:
          `Container ${s.name} of pod ${name} ${oom ? 'was killed for running out of memory' : 'crashed'} at ${t.finishedAt}, last ${exit}; ` +
          `${plural(restarts, 'restart')} so far, running again now`,
        involved: refOf(pod, 'v1', 'Pod'),
        object: pod,
        count: restarts,
        fields: { container: s.name, restarts: String(restarts), exitCode: String(t.exitCode ?? ''), terminationReason: t.reason ?? '', finishedAt: t.finishedAt ?? '' },
      });
    }
  }
}

function imagePulls(input: GapInput, push: Push): void {
  if (!input.config.badWaiting.enabled) return;
  const byContainer = new Map<string, { first: number; last: number; uids: string[]; count: number; view: ReturnType<typeof eventView>; container: string; backOff: boolean }>();
  for (const ev of input.list('Event')) {
    const v = eventView(ev);
    if (v.type !== 'Warning' || v.involved.kind !== 'Pod' || !input.namespaceAllowed(v.involved.namespace)) continue;
    const pull = PULL_EVENT_REASONS.has(v.reason) || ((v.reason === 'Failed' || v.reason === 'BackOff') && /pull(ing)? image/i.test(v.message));
    const at = parseTime(v.time);
    if (!pull || !inGap(input.window, at)) continue;
    const container = /^spec\.(?:init)?[cC]ontainers\{([^}]+)\}/.exec(v.fieldPath ?? '')?.[1] ?? '';
    const id = `${v.involved.uid}/${container}`;
    const g = byContainer.get(id);
    const backOff = v.reason === 'ImagePullBackOff' || v.reason === 'BackOff';
    if (!g) byContainer.set(id, { first: at, last: at, uids: [ev.metadata.uid ?? ev.metadata.name ?? ''], count: v.count, view: v, container, backOff });
    else {
      g.backOff ||= backOff;
      g.first = Math.min(g.first, at);
      g.last = Math.max(g.last, at);
      g.uids.push(ev.metadata.uid ?? ev.metadata.name ?? '');
      g.count += v.count;
    }
  }
  const pods = new Map(input.list('Pod').map((p) => [p.metadata.uid ?? '', p]));
  for (const [id, g] of byContainer) {
    const [podUid] = id.split('/');
    const pod = pods.get(podUid);
    const key = podKey(podUid, g.container, IMAGE_PULL_KEY);
    if (input.known(key)) continue;
    const waiting = ((pod as (KubeObject & PodShape) | undefined)?.status?.containerStatuses ?? []).find((s) => s.name === g.container)?.state?.waiting?.reason;
    // still failing to pull: the normal detector fires it
    if (waiting && /image/i.test(waiting)) continue;
    const name = g.view.involved.namespace ? `${g.view.involved.namespace}/${g.view.involved.name}` : g.view.involved.name;
    const fixed = pod ? `the image is pulled now` : `the pod is gone now`;
    push(g.last, {
      evidence: `pull/${podUid}/${g.container}/${[...g.uids].sort().join(',')}`,
      incidentKey: key,
      state: State.RESOLVED,
      severity: Severity.WARNING,
      detector: 'badWaiting',
      // the furthest it got, whatever order the Events are listed in
      reason: g.backOff ? 'ImagePullBackOff' : 'ErrImagePull',
      title: `Pod ${name}: could not pull image${g.container ? ` for container ${g.container}` : ''}`,
      message: `Pod ${name} failed to pull its image ${plural(g.count, 'time')} between ${new Date(g.first).toISOString()} and ${new Date(g.last).toISOString()}: ${g.view.message}; ${fixed}`,
      involved: g.view.involved,
      object: pod,
      count: g.count,
      fields: { ...(g.container ? { container: g.container } : {}) },
    });
  }
}

function nodeFlaps(input: GapInput, push: Push): void {
  if (!input.config.nodeNotReady.enabled) return;
  for (const node of input.list('Node')) {
    const ready = condition(node, 'Ready');
    const at = parseTime(ready?.lastTransitionTime);
    if (ready?.status !== 'True' || !inGap(input.window, at)) continue;
    const uid = node.metadata.uid ?? '';
    const key = nodeKey(uid, 'NotReady');
    if (input.known(key)) continue;
    const name = node.metadata.name ?? '';
    push(at, {
      evidence: `node/${uid}/Ready/${ready.lastTransitionTime}`,
      incidentKey: key,
      state: State.RESOLVED,
      severity: Severity.CRITICAL,
      detector: 'nodeNotReady',
      reason: 'NodeNotReady',
      title: `Node ${name} was NotReady`,
      message: `Node ${name} was not Ready for a while and has been Ready again since ${ready.lastTransitionTime}`,
      involved: refOf(node, 'v1', 'Node'),
      object: node,
      fields: { node: name },
    });
  }
}

function rollouts(input: GapInput, push: Push): void {
  const c = input.config.rollout;
  if (!c.enabled || !c.completed) return;
  for (const d of input.list('Deployment')) {
    if (!input.namespaceAllowed(d.metadata.namespace ?? '') || !rolloutComplete(d)) continue;
    const progressing = condition(d, 'Progressing');
    const at = parseTime(progressing?.lastUpdateTime ?? progressing?.lastTransitionTime);
    if (!inGap(input.window, at)) continue;
    const uid = d.metadata.uid ?? '';
    const revision = revisionOf(d);
    const key = deployKey(uid, 'rollout', revision || String(d.metadata.generation ?? ''));
    if (input.known(key)) continue;
    const name = displayName(d);
    push(at, {
      evidence: `deployment/${uid}/rollout/${revision}/${d.metadata.generation ?? ''}`,
      incidentKey: key,
      // a rollout is news, not an incident: FIRING as the rollout detector sends it
      state: State.FIRING,
      severity: Severity.INFO,
      detector: 'rollout',
      reason: 'RolloutCompleted',
      title: `Deployment ${name} rolled out${revision ? ` revision ${revision}` : ''}`,
      message: `Deployment ${name} finished rolling out${revision ? ` revision ${revision}` : ''} at ${new Date(at).toISOString()}`,
      involved: refOf(d, 'apps/v1', 'Deployment'),
      object: d,
      fields: revision ? { revision } : {},
    });
  }
}

function build(input: GapInput, mark: string, at: number, p: NotificationParts): Notification {
  const owner = p.object ? ownerFields(p.object) : {};
  return create(NotificationSchema, {
    idempotencyKey: gapIdempotencyKey(p.evidence),
    incidentKey: p.incidentKey,
    eventTime: timestampFromDate(new Date(at)),
    severity: p.severity,
    state: p.state,
    reason: p.reason,
    title: `${p.title} (${mark})`,
    message: `${p.message} (${mark})`,
    involvedObject: create(ObjectRefSchema, p.involved),
    owner: owner.ownerKind
      ? create(ObjectRefSchema, { apiVersion: owner.ownerApiVersion ?? '', kind: owner.ownerKind, namespace: p.involved.namespace ?? '', name: owner.ownerName ?? '', uid: owner.ownerUid ?? '' })
      : undefined,
    cluster: input.cluster,
    labels: { ...(p.object?.metadata.labels ?? {}) },
    count: Math.max(1, Math.min(4294967295, Math.trunc(p.count ?? 1))),
    fields: {
      ...Object.fromEntries(Object.entries(p.fields).filter(([, v]) => v !== '')),
      whileDown: mark,
      downFrom: new Date(input.window.fromMs).toISOString(),
      downUntil: new Date(input.window.toMs).toISOString(),
    },
    detector: p.detector,
  });
}
