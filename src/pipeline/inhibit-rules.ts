// Causal inhibition, the pure part: which notifications are causes (a node
// NotReady, a rollout that is stuck, a namespace being deleted), which are
// effects of an open cause, and how a cause names what it explains. No I/O
// and no state: the Inhibitor (inhibitor.ts) keeps the open causes and asks
// these functions.
//
// Why these pairs: a node that stops posting status takes its pods' readiness
// with it (the node controller marks them NotReady, then evicts them), and a
// workload whose unavailable pods all sit on such nodes is unavailable for the
// node's reason, not its own. A stuck rollout's new pods that cannot pull or
// crash-loop are the rollout's story. Told separately, each reads as an
// incident of its own.

import type { KubeObject } from '../model/kube.ts';
import { type Notification, State } from '../model/notification.ts';
import { condition, ownerFields } from '../detect/util.ts';
import { statefulSetRolloutDone } from '../detect/statefulset.ts';
import { daemonSetRolloutComplete } from '../detect/daemonset.ts';

export type CauseKind = 'node' | 'rollout' | 'namespace' | 'rule';

/** An open cause, as the Inhibitor keeps it. */
export interface Cause {
  /** the cause's incident key: the HoldReason id */
  key: string;
  kind: CauseKind;
  reason: string;
  cluster: string;
  /** node causes: the node's name */
  node?: string;
  /** rollout and namespace causes */
  namespace?: string;
  /** rollout causes: the workload */
  workload?: WorkloadRef;
  /** rollout stories (opened by a pod failure during a workload's update): the revision (a DaemonSet's template generation) */
  revision?: string;
  /** one line for people: "NodeNotReady node/sim-node-2" */
  label: string;
}

export interface WorkloadRef {
  kind: string;
  namespace: string;
  name: string;
}

/** Which built-in causes are in force (config `inhibit`). */
export interface InhibitSwitches {
  node: boolean;
  rollout: boolean;
  namespace: boolean;
}

export const ALL_CAUSES: InhibitSwitches = { node: true, rollout: true, namespace: true };

const NODE_REASONS = new Set(['NodeNotReady']);
const ROLLOUT_REASONS: ReadonlyMap<string, string> = new Map([
  ['ProgressDeadlineExceeded', 'Deployment'],
  ['StatefulSetRolloutStuck', 'StatefulSet'],
  ['DaemonSetRolloutStuck', 'DaemonSet'],
]);
/** A Namespace notification with one of these says the namespace is going away. */
const NAMESPACE_REASONS = new Set(['NamespaceTerminating', 'NamespaceDeleting', 'NamespaceDeletionFailed']);

/** What a dead node does to the pods on it (incidents and the node controller's / kubelet's Events). */
export const NODE_POD_EFFECTS: ReadonlySet<string> = new Set([
  'PodNotReady', 'Evicted', 'PodFailed', 'NodeNotReady', 'TaintManagerEviction', 'NodeControllerEviction', 'NodeShutdown', 'Shutdown', 'NodeAffinity',
]);
/** A workload's availability incidents. */
export const WORKLOAD_AVAILABILITY: ReadonlyMap<string, string> = new Map([
  ['MinimumReplicasUnavailable', 'Deployment'],
  ['StatefulSetUnavailable', 'StatefulSet'],
  ['DaemonSetUnavailable', 'DaemonSet'],
]);
/** What a failing rollout's new pods say. */
export const ROLLOUT_POD_EFFECTS: ReadonlySet<string> = new Set([
  'ErrImagePull', 'ImagePullBackOff', 'RegistryUnavailable', 'InvalidImageName', 'CrashLoopBackOff', 'CreateContainerConfigError', 'RunContainerError', 'PodNotReady', 'BackOff', 'Failed',
]);

const kindOf = (n: Notification): string => n.involvedObject?.kind ?? '';
const nsOf = (n: Notification): string => n.involvedObject?.namespace ?? '';

/** The cause a FIRING notification opens, if it is one (whatever its state: a RESOLVED closes the same key). */
export function causeOf(n: Notification, on: InhibitSwitches = ALL_CAUSES): Cause | undefined {
  const name = n.involvedObject?.name ?? '';
  if (!n.incidentKey || !name) return undefined;
  const base = { key: n.incidentKey, reason: n.reason, cluster: n.cluster };
  if (on.node && kindOf(n) === 'Node' && NODE_REASONS.has(n.reason)) {
    return { ...base, kind: 'node', node: name, label: `${n.reason} node/${name}` };
  }
  const workloadKind = ROLLOUT_REASONS.get(n.reason);
  if (on.rollout && workloadKind && kindOf(n) === workloadKind) {
    const workload = { kind: workloadKind, namespace: nsOf(n), name };
    return { ...base, kind: 'rollout', namespace: workload.namespace, workload, label: `${n.reason} ${workloadKind.toLowerCase()}/${workload.namespace}/${name}` };
  }
  if (on.namespace && kindOf(n) === 'Namespace' && NAMESPACE_REASONS.has(n.reason)) {
    return { ...base, kind: 'namespace', namespace: name, label: `${n.reason} namespace/${name}` };
  }
  return undefined;
}

/** The workload a pod notification is about (its `owner`), as a comparable ref. */
export function ownerOf(n: Notification): WorkloadRef | undefined {
  const o = n.owner;
  if (!o?.kind || !o.name) return undefined;
  return { kind: o.kind, namespace: o.namespace || nsOf(n), name: o.name };
}

const sameWorkload = (a: WorkloadRef | undefined, b: WorkloadRef | undefined): boolean =>
  a !== undefined && b !== undefined && a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;

/** The workload a workload-availability notification is about, when it is one. */
export function availabilityWorkload(n: Notification): WorkloadRef | undefined {
  const kind = WORKLOAD_AVAILABILITY.get(n.reason);
  if (!kind || kindOf(n) !== kind || !n.involvedObject?.name) return undefined;
  return { kind, namespace: nsOf(n), name: n.involvedObject.name };
}

/**
 * The open cause a notification is an effect of, from what the notification
 * says alone (pods on a dead node, a stuck rollout's pods, objects of a
 * namespace being deleted). Workload availability needs the pods: see
 * workloadCause. A cause is never its own effect, and never another cause's.
 */
export function podOrObjectCause(n: Notification, causes: Iterable<Cause>): Cause | undefined {
  if (causeOf(n) !== undefined) return undefined;
  const kind = kindOf(n);
  for (const c of causes) {
    if (c.cluster !== n.cluster || c.key === n.incidentKey) continue;
    if (c.kind === 'node' && kind === 'Pod' && n.fields.node === c.node && NODE_POD_EFFECTS.has(n.reason)) return c;
    if (c.kind === 'rollout' && kind === 'Pod' && ROLLOUT_POD_EFFECTS.has(n.reason) && sameWorkload(ownerOf(n), c.workload)) return c;
    if (c.kind === 'namespace' && nsOf(n) === c.namespace) return c;
  }
  return undefined;
}

/** The pod shape the workload rule reads. */
interface PodLike extends KubeObject {
  spec?: { nodeName?: string };
  status?: { phase?: string };
}

const isOwnedBy = (pod: KubeObject, w: WorkloadRef): boolean => {
  const f = ownerFields(pod);
  return pod.metadata.namespace === w.namespace && f.ownerKind === w.kind && f.ownerName === w.name;
};

const unready = (pod: PodLike): boolean => {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  return condition(pod, 'Ready')?.status !== 'True';
};

/**
 * The node cause a workload's availability incident is an effect of: every
 * one of its unready pods (there is at least one) is on a node an open node
 * cause names. The first such cause (by the unready pods' order) is named.
 */
export function workloadCause(n: Notification, causes: Iterable<Cause>, pods: readonly KubeObject[]): Cause | undefined {
  const w = availabilityWorkload(n);
  if (!w) return undefined;
  const byNode = new Map<string, Cause>();
  for (const c of causes) if (c.kind === 'node' && c.node && c.cluster === n.cluster) byNode.set(c.node, c);
  if (byNode.size === 0) return undefined;
  const down = pods.filter((p) => isOwnedBy(p, w) && unready(p as PodLike));
  if (down.length === 0) return undefined;
  let first: Cause | undefined;
  for (const p of down) {
    const c = byNode.get((p as PodLike).spec?.nodeName ?? '');
    if (!c) return undefined;
    first ??= c;
  }
  return first;
}

/** Pods on a node, by the workload that owns them ("default/fleet" → 25); bare pods count under their own names. */
export function podsOnNode(pods: readonly KubeObject[], node: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of pods) {
    if ((p as PodLike).spec?.nodeName !== node) continue;
    const phase = (p as PodLike).status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    const f = ownerFields(p);
    // DaemonSet pods belong to the node: their loss is the node's, but they are not what people look for
    const key = f.ownerName ? `${p.metadata.namespace}/${f.ownerName}` : `${p.metadata.namespace}/${p.metadata.name}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

/**
 * What a cause explains, one sentence for its message: "25 pods of
 * default/fleet affected on this node", "3 pods affected on this node: 2 of
 * default/web, 1 of default/db", "holding back 4 notifications". Empty when
 * there is nothing to say.
 */
export function explains(c: Cause, pods: ReadonlyMap<string, number> | undefined, held: number): string {
  const parts: string[] = [];
  if (c.kind === 'node' && pods && pods.size > 0) {
    const total = [...pods.values()].reduce((a, b) => a + b, 0);
    const sorted = [...pods.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const word = total === 1 ? 'pod' : 'pods';
    if (sorted.length === 1) parts.push(`${total} ${word} of ${sorted[0][0]} affected on this node`);
    else {
      const shown = sorted.slice(0, 5).map(([w, k]) => `${k} of ${w}`);
      if (sorted.length > 5) shown.push(`${sorted.length - 5} more workloads`);
      parts.push(`${total} ${word} affected on this node: ${shown.join(', ')}`);
    }
  }
  if (held > 0) parts.push(`${held} related ${held === 1 ? 'notification' : 'notifications'} held back as its effects`);
  return parts.join('; ');
}

/** The cause's message with what it explains: the detector's message, then the sentence. */
export function withExplanation(message: string, explanation: string): string {
  return explanation ? `${message.replace(/\.$/, '')}. ${cap(explanation)}.` : message;
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

export const isFiring = (n: Notification): boolean => n.state !== State.RESOLVED;

// ------------------------------------------------------------ user rules

/** Alertmanager-style: a source matching notification inhibits a target matching one when the `equal` labels/fields agree. */
export interface UserRule {
  name: string;
  source: Matchers;
  target: Matchers;
  equal: string[];
}

/** Exact values per attribute: reason, kind, namespace, severity, cluster, detector, label.<k>, field.<k>. */
export type Matchers = Readonly<Record<string, string>>;

const MATCHABLE = new Set(['reason', 'kind', 'namespace', 'name', 'severity', 'cluster', 'detector']);

/** The value of a matcher/equal attribute on a notification. */
export function attribute(n: Notification, key: string): string | undefined {
  switch (key) {
    case 'reason': return n.reason;
    case 'kind': return kindOf(n);
    case 'namespace': return nsOf(n);
    case 'name': return n.involvedObject?.name;
    case 'severity': return ['unspecified', 'info', 'warning', 'critical'][n.severity] ?? String(n.severity);
    case 'cluster': return n.cluster;
    case 'detector': return n.detector;
    case 'node': return n.fields.node;
    case 'owner': return n.owner?.name ? `${n.owner.kind}/${n.owner.namespace || nsOf(n)}/${n.owner.name}` : undefined;
  }
  if (key.startsWith('label.')) return n.labels[key.slice(6)];
  if (key.startsWith('field.')) return n.fields[key.slice(6)];
  return undefined;
}

export const matches = (n: Notification, m: Matchers): boolean => Object.entries(m).every(([k, v]) => attribute(n, k) === v);

/** Does source inhibit target under rule r? */
export function ruleApplies(r: UserRule, source: Notification, target: Notification): boolean {
  if (source.incidentKey === target.incidentKey) return false;
  // a cause in one cluster explains nothing in another, whatever names they share
  if (source.cluster !== target.cluster) return false;
  if (!matches(source, r.source) || !matches(target, r.target)) return false;
  return r.equal.every((k) => attribute(source, k) !== undefined && attribute(source, k) === attribute(target, k));
}

/** Problems of a user rule, each naming its field: `inhibit.rules[0].source.reson: unknown attribute`. */
export function validateRule(raw: unknown, path: string): string[] {
  const out: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [`${path}: expected an object with source, target and equal`];
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!['name', 'source', 'target', 'equal'].includes(k)) out.push(`${path}.${k}: unknown key (known keys: name, source, target, equal)`);
  for (const side of ['source', 'target'] as const) {
    const m = r[side];
    if (typeof m !== 'object' || m === null || Array.isArray(m)) {
      out.push(`${path}.${side}: expected matchers (an object of attribute: value)`);
      continue;
    }
    if (Object.keys(m).length === 0) out.push(`${path}.${side}: needs at least one matcher (an empty one would match everything)`);
    for (const [k, v] of Object.entries(m)) {
      if (!knownAttribute(k)) out.push(`${path}.${side}.${k}: unknown attribute (use ${[...MATCHABLE].join(', ')}, node, owner, label.<key> or field.<key>)`);
      if (typeof v !== 'string') out.push(`${path}.${side}.${k}: expected a string`);
    }
  }
  if (r.equal !== undefined && (!Array.isArray(r.equal) || r.equal.some((e) => typeof e !== 'string'))) out.push(`${path}.equal: expected a list of attribute names`);
  else for (const [i, e] of ((r.equal as string[] | undefined) ?? []).entries()) if (!knownAttribute(e)) out.push(`${path}.equal[${i}]: unknown attribute "${e}"`);
  return out;
}

const knownAttribute = (k: string): boolean => MATCHABLE.has(k) || k === 'node' || k === 'owner' || (/^(label|field)\.[^.\s][^\s]*$/.test(k));

// ------------------------------------------------------------ rollout stories

/** What a failing rollout's new pods say on their own, before any deadline passes. */
export const ROLLOUT_STORY_REASONS: ReadonlySet<string> = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'RunContainerError', 'CrashLoopBackOff']);

/**
 * A Deployment in the middle of an update (not its creation): revision 2 or
 * later, and its Progressing condition does not yet say the new ReplicaSet
 * is available. Its pods failing to pull or crash-looping now are the
 * rollout's story. Returns the revision, or undefined.
 */
export function rollingRevision(d: KubeObject | undefined): string | undefined {
  if (!d) return undefined;
  const revision = d.metadata.annotations?.['deployment.kubernetes.io/revision'];
  if (!revision || Number(revision) < 2) return undefined;
  const p = condition(d, 'Progressing');
  if (!p || p.reason === 'NewReplicaSetAvailable') return undefined;
  return revision;
}

/** Pod labels the StatefulSet and DaemonSet controllers put on their pods: which revision a pod is of. */
const REVISION_HASH_LABEL = 'controller-revision-hash';
const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
/** The API server keeps a DaemonSet's template generation here (its generation also moves for other spec changes). */
const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

/** The workloads whose updates have rollout stories. */
export const STORY_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

interface RevisionStatus {
  status?: { currentRevision?: string; updateRevision?: string };
}

/**
 * A StatefulSet in the middle of an update: its update revision is not yet
 * its current one (on creation they are the same) and the rollout is not
 * done. Returns the update revision, or undefined.
 */
export function statefulSetRollingRevision(s: KubeObject | undefined): string | undefined {
  const st = (s as (KubeObject & RevisionStatus) | undefined)?.status;
  if (!s || !st?.updateRevision || !st.currentRevision || st.currentRevision === st.updateRevision) return undefined;
  return statefulSetRolloutDone(s) ? undefined : st.updateRevision;
}

/**
 * A DaemonSet in the middle of an update: template generation 2 or later
 * (1 is its creation) and not yet rolled out. Returns the template
 * generation, which its new pods carry in their pod-template-generation label.
 */
export function daemonSetRollingGeneration(d: KubeObject | undefined): string | undefined {
  if (!d) return undefined;
  const generation = d.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION] ?? String(d.metadata.generation ?? 1);
  if (!(Number(generation) >= 2) || daemonSetRolloutComplete(d)) return undefined;
  return generation;
}

/** A pod of the revision being rolled out, by its label; a notification without the label (an Event's) is taken as one. */
const ofRevision = (n: Notification, label: string, revision: string): boolean => {
  const v = n.labels[label];
  return v === undefined || v === revision;
};

/**
 * The revision whose rollout a failing pod belongs to, when its workload (as
 * cached) is being updated and the pod is one of the new ones; undefined
 * otherwise. Deployments: the Deployment's revision (its pods are the new
 * ReplicaSet's, or the rollout would not be failing); StatefulSets: the
 * update revision, matched against the pod's controller-revision-hash;
 * DaemonSets: the template generation, matched against pod-template-generation.
 */
export function storyRevision(n: Notification, workload: KubeObject | undefined): string | undefined {
  switch (ownerOf(n)?.kind) {
    case 'Deployment':
      return rollingRevision(workload);
    case 'StatefulSet': {
      const revision = statefulSetRollingRevision(workload);
      return revision !== undefined && ofRevision(n, REVISION_HASH_LABEL, revision) ? revision : undefined;
    }
    case 'DaemonSet': {
      const generation = daemonSetRollingGeneration(workload);
      return generation !== undefined && ofRevision(n, TEMPLATE_GENERATION_LABEL, generation) ? generation : undefined;
    }
  }
  return undefined;
}

/** DaemonSets count their rollouts by template generation, as their detector and `kubectl rollout status` say. */
const revisionWord = (kind: string | undefined): string => (kind === 'DaemonSet' ? 'generation' : 'revision');

/** The revision a rollout story's explanation names ("rollout of default/web revision 2: …"), after a restart. */
export function storyRevisionOf(explanation: string): string | undefined {
  return /^rollout of \S+ (?:revision|generation) (\S+):/.exec(explanation)?.[1];
}

/** The rollout story a pod failure opens: its workload's rollout, keyed by the pod's incident (the story's first message). */
export function rolloutStory(n: Notification, revision: string): Cause | undefined {
  const w = ownerOf(n);
  if (!w || !STORY_KINDS.has(w.kind) || !ROLLOUT_STORY_REASONS.has(n.reason) || kindOf(n) !== 'Pod' || !n.incidentKey) return undefined;
  return { key: n.incidentKey, kind: 'rollout', reason: n.reason, cluster: n.cluster, namespace: w.namespace, workload: w, revision, label: `rollout of ${w.kind.toLowerCase()}/${w.namespace}/${w.name} ${revisionWord(w.kind)} ${revision}` };
}

/** A rollout story holds its workload's other pod failures and its stuck-rollout incident: one story. */
export function storyEffect(n: Notification, c: Cause): boolean {
  if (c.kind !== 'rollout' || !c.revision || c.cluster !== n.cluster || c.key === n.incidentKey) return false;
  if (kindOf(n) === 'Pod') return ROLLOUT_POD_EFFECTS.has(n.reason) && sameWorkload(ownerOf(n), c.workload);
  return kindOf(n) === c.workload?.kind && nsOf(n) === c.workload.namespace && n.involvedObject?.name === c.workload.name && (ROLLOUT_REASONS.has(n.reason) || WORKLOAD_AVAILABILITY.has(n.reason));
}

/** What a rollout story explains: "3 new pods of default/web cannot start (ImagePullBackOff)". */
export function explainsStory(c: Cause, pods: number): string {
  const w = c.workload;
  if (!w) return '';
  return `rollout of ${w.namespace}/${w.name} ${revisionWord(w.kind)} ${c.revision}: ${pods} new ${pods === 1 ? 'pod' : 'pods'} cannot start (${c.reason})`;
}
