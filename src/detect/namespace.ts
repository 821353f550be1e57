// Namespace detectors, from the namespace's own state:
// - NamespaceTerminating (level, warning): status.phase Terminating, from the
//   deletionTimestamp until the API server removes the namespace (its
//   deletion resolves it). Warning, not info: while it lasts every workload
//   in it goes down, and it is the story standing for its objects'
//   incidents, which the inhibitor holds back (pipeline/inhibit-rules.ts
//   matches this reason): a story less severe than its effects would be
//   routed away from the chat channels they would have reached.
// - NamespaceDeletionFailed (level, warning): the namespace controller
//   reports that it cannot finish (a NamespaceDeletion*Failure condition, or
//   content / finalizers remaining) for namespaceTerminating.failedMinSeconds.
//   Content remains for a while in every deletion (pods terminate
//   gracefully), so only a condition that stays True is an incident: a
//   finalizer whose controller is gone, an API group that cannot be listed.

import type { KubeObject } from '../model/kube.ts';
import { Severity } from '../model/notification.ts';
import type { DetectorsConfig } from './config.ts';
import type { Observation } from './types.ts';
import { compactFields, type Condition, conditions, displayName, firstLine, parseTime, refOf } from './util.ts';

export const NAMESPACE_TERMINATING = 'NamespaceTerminating';
export const NAMESPACE_DELETION_FAILED = 'NamespaceDeletionFailed';

/** The namespace deleter's conditions that, True, say its work is not done. */
export const DELETION_BLOCKING_CONDITIONS: readonly string[] = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
];

const key = (uid: string, what: string): string => `namespace/${uid}/${what}`;
const phaseOf = (ns: KubeObject): string | undefined => (ns.status as { phase?: string } | undefined)?.phase;

/** The blocking conditions that are True, the longest-standing first. */
export function blockingConditions(ns: KubeObject): Condition[] {
  return conditions(ns)
    .filter((c) => c?.status === 'True' && DELETION_BLOCKING_CONDITIONS.includes(c.type))
    .sort((a, b) => (parseTime(a.lastTransitionTime) ?? 0) - (parseTime(b.lastTransitionTime) ?? 0));
}

export function detectNamespace(ns: KubeObject, config: DetectorsConfig): Observation[] {
  const cfg = config.namespaceTerminating;
  // the API server sets the phase with the deletionTimestamp; either one says so
  if (!cfg.enabled || (phaseOf(ns) !== 'Terminating' && !ns.metadata.deletionTimestamp)) return [];
  const uid = ns.metadata.uid ?? '';
  const name = displayName(ns);
  const involved = refOf(ns, 'v1', 'Namespace');
  const since = ns.metadata.deletionTimestamp;
  const out: Observation[] = [
    {
      kind: 'level',
      key: key(uid, 'Terminating'),
      state: 'firing',
      detector: 'namespaceTerminating',
      severity: Severity.WARNING,
      reason: NAMESPACE_TERMINATING,
      title: `Namespace ${name} is being deleted`,
      message: `Namespace ${name} is Terminating${since ? ` since ${since}` : ''}: everything in it is being deleted`,
      since,
      fields: compactFields({ namespace: name, phase: phaseOf(ns) ?? 'Terminating' }),
      involved,
    },
  ];
  const blocking = blockingConditions(ns);
  if (blocking.length > 0) {
    const first = blocking[0];
    out.push({
      kind: 'level',
      key: key(uid, 'DeletionFailed'),
      state: 'firing',
      detector: 'namespaceTerminating',
      severity: Severity.WARNING,
      reason: NAMESPACE_DELETION_FAILED,
      title: `Namespace ${name} cannot finish deleting`,
      message: `Namespace ${name} cannot finish deleting: ${blocking.map((c) => `${c.type} (${c.reason ?? 'True'})${c.message ? `: ${firstLine(c.message)}` : ''}`).join('; ')}`,
      since: first.lastTransitionTime,
      minDurationMs: cfg.failedMinSeconds * 1000,
      fields: compactFields({ namespace: name, conditions: blocking.map((c) => c.type).join(','), conditionReason: first.reason }),
      involved,
    });
  }
  return out;
}

/** What ended, for the RESOLVED notification of a namespace incident. */
export function describeNamespaceResolved(obs: Observation, ns: KubeObject | undefined): string {
  const name = obs.involved?.name ?? displayName(ns);
  if (!ns) return obs.reason === NAMESPACE_DELETION_FAILED ? `namespace ${name} finished deleting: it is gone` : `namespace ${name} was deleted`;
  if (obs.reason === NAMESPACE_DELETION_FAILED) return `namespace ${name} deletion is progressing again: nothing reports content, finalizers or failures remaining`;
  return `namespace ${name} is no longer Terminating (phase ${phaseOf(ns) ?? 'unknown'})`;
}
