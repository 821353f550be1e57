// The generic condition detector: any resource under watch.resources
// (custom resources included) whose status.conditions carry a type in a bad
// status, e.g. a cert-manager Certificate Ready=False, a Flux Kustomization
// Stalled=True, an Argo CD Application with a Degraded condition. What is
// bad is configuration (watch.resources[].conditions), not code, so any
// controller that follows the Kubernetes condition convention alerts
// without a detector of its own. One incident per object and condition
// type: it fires once the bad status has held minSeconds (counted from the
// condition's lastTransitionTime) and resolves when the status changes or
// the object goes away.

import type { KubeObject } from '../model/kube.ts';
import { Severity } from '../model/notification.ts';
import type { DetectorsConfig } from './config.ts';
import type { Observation } from './types.ts';
import { compactFields, conditions, displayName, refOf } from './util.ts';

export type ConditionStatus = 'True' | 'False' | 'Unknown';
export const CONDITION_STATUSES: readonly ConditionStatus[] = ['True', 'False', 'Unknown'];

/** What one watched resource says is bad: condition type → the status that is. */
export interface ConditionRule {
  conditions: Record<string, ConditionStatus>;
  /** how long the bad status must hold before FIRING; undefined: detectors.conditions.minSeconds */
  minSeconds?: number;
}

export const DETECTOR = 'conditions';

/** The reason when a condition gives none: `ReadyFalse`, `StalledTrue`. */
export const fallbackReason = (type: string, status: string): string => `${type}${status}`;

export function detectConditions(obj: KubeObject, apiVersion: string, kind: string, rule: ConditionRule, config: DetectorsConfig): Observation[] {
  if (!config.conditions.enabled) return [];
  const out: Observation[] = [];
  const uid = obj.metadata.uid ?? '';
  const name = displayName(obj);
  const minSeconds = rule.minSeconds ?? config.conditions.minSeconds;
  const seen = new Set<string>();
  for (const c of conditions(obj)) {
    if (typeof c?.type !== 'string' || seen.has(c.type)) continue;
    seen.add(c.type);
    const bad = Object.hasOwn(rule.conditions, c.type) ? rule.conditions[c.type] : undefined;
    if (bad === undefined || c.status !== bad) continue;
    const reason = typeof c.reason === 'string' && c.reason !== '' ? c.reason : fallbackReason(c.type, c.status);
    out.push({
      kind: 'level',
      key: `${kind}/${uid}/condition/${c.type}`,
      state: 'firing',
      detector: DETECTOR,
      severity: Severity.WARNING,
      reason,
      title: `${kind} ${name}: ${c.type} is ${c.status}`,
      message: typeof c.message === 'string' && c.message !== '' ? c.message : `${kind} ${name} has ${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}`,
      since: c.lastTransitionTime,
      minDurationMs: minSeconds * 1000,
      fields: compactFields({ condition: c.type, status: c.status, conditionReason: c.reason }),
      involved: refOf(obj, apiVersion, kind),
    });
  }
  return out;
}
