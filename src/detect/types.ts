// What detectors produce. Detectors are pure: from an object's previous and
// current state (and the time) to observations. The incident tracker turns
// observations into firing and resolved notifications, once each.

import type { KubeObject } from '../model/kube.ts';
import type { Severity } from '../model/notification.ts';

/** One object's change as the listener saw it. `old` is undefined for a first sighting, `current` for a deletion. */
export interface Delta {
  old?: KubeObject;
  current?: KubeObject;
  /** seen in the first list after start: it existed before we looked (not a creation we saw) */
  initial?: boolean;
}

/**
 * level: a condition of the object that holds while the object stays so
 *   ("firing"), may linger without re-firing ("holding", e.g. a crash loop
 *   that is running but not yet stable), and resolves when no longer observed.
 * edge: something that happened once (a Warning event, a finished rollout);
 *   notified once per key, never resolved.
 */
export type ObservationKind = 'level' | 'edge';

export interface Observation {
  kind: ObservationKind;
  /** stable incident key, e.g. "pod/<uid>/app/CrashLoopBackOff" */
  key: string;
  /** for level observations; edge observations are always "firing" */
  state: 'firing' | 'holding';
  /** detector name as in config, e.g. "crashLoopBackOff" */
  detector: string;
  severity: Severity;
  reason: string;
  title: string;
  message: string;
  /** when the condition began (RFC 3339); level incidents with minDurationMs fire only once it has held that long */
  since?: string;
  minDurationMs?: number;
  /** occurrences so far (restarts, Event count) */
  count?: number;
  /** extra facts for sinks: container, restarts, exitCode, node … */
  fields?: Record<string, string>;
  /** for notifications made from Events */
  eventType?: string;
  /** the object the observation is about, when not the delta's own object (Events point at their involvedObject) */
  involved?: { apiVersion: string; kind: string; namespace: string; name: string; uid: string };
}
