// Which detectors one watched resource's changes go through, made explicit:
// a built-in informer (pods, nodes, the workload family …) feeds only the
// detectors of its kind, and none yet means nothing; created/changed/deleted
// notices are for what a user listed under watch.resources; the generic
// condition detector runs where watch.resources names bad conditions. A
// built-in kind also listed under watch.resources gets both (one watch).

import { type ConditionRule, detectConditions } from './conditions.ts';
import type { DetectorsConfig } from './config.ts';
import { DETECTED_KINDS, detect } from './index.ts';
import { detectResourceChange } from './resource.ts';
import type { Delta, Observation } from './types.ts';

export interface WatchedResource {
  apiVersion: string;
  kind: string;
  /** one of the listener's own informers */
  builtin: boolean;
  /** listed under watch.resources: created/changed/deleted notices */
  changes: boolean;
  /** watch.resources[].conditions, when it names any */
  conditions?: ConditionRule;
}

export const hasDetectors = (kind: string): boolean => (DETECTED_KINDS as readonly string[]).includes(kind);

/** The cached objects of a built-in kind in a namespace (detect()'s related lookup). */
export type Related = Parameters<typeof detect>[4];

export function detectWatched(w: WatchedResource, delta: Delta, now: Date, config: DetectorsConfig, related?: Related): Observation[] {
  const out: Observation[] = [];
  // detect() gives a kind without detectors the change notices: those are decided below, not by the kind
  if (hasDetectors(w.kind)) out.push(...detect(w.kind, delta, now, config, related));
  if (w.changes) out.push(...detectResourceChange(w.kind, delta, config));
  if (w.conditions && delta.current) out.push(...detectConditions(delta.current, w.apiVersion, w.kind, w.conditions, config));
  return out;
}
