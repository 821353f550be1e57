// The Ready condition kubeherald writes on the custom resources it reads
// (Routes, Sinks, ChatIdentities, ChatPolicies), the way Kubernetes
// controllers do: lastTransitionTime kept while the status stays the same,
// and no write when the object already says it. Pure.

import type { KubeObject } from '../model/kube.ts';

export interface ReadyCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** Longer messages are cut: the API server refuses a status larger than it takes. */
export const MAX_CONDITION_MESSAGE = 32_000;

/** The Ready condition the object carries now. */
export function previousReady(obj: KubeObject): ReadyCondition | undefined {
  const conditions = (obj.status as { conditions?: unknown } | undefined)?.conditions;
  if (!Array.isArray(conditions)) return undefined;
  return conditions.find((c: ReadyCondition | null) => c?.type === 'Ready') as ReadyCondition | undefined;
}

/** A Ready condition following `previous`: the message cut to size, lastTransitionTime kept while the status stays the same. */
export function readyFor(previous: ReadyCondition | undefined, c: { status: 'True' | 'False'; reason: string; message: string; generation: number }, now: Date): ReadyCondition {
  const message = c.message.length > MAX_CONDITION_MESSAGE ? `${c.message.slice(0, MAX_CONDITION_MESSAGE - 1)}…` : c.message;
  const lastTransitionTime = previous?.status === c.status && previous.lastTransitionTime ? previous.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { type: 'Ready', status: c.status, reason: c.reason, message, observedGeneration: c.generation, lastTransitionTime };
}

/** Whether the object's status already says this (so no write is needed): its generation and Ready condition. */
export function readyUpToDate(obj: KubeObject, want: { observedGeneration: number; conditions: readonly ReadyCondition[] }): boolean {
  const cur = (obj.status ?? {}) as { observedGeneration?: number };
  const prev = previousReady(obj);
  const w = want.conditions[0];
  return cur.observedGeneration === want.observedGeneration && !!prev && prev.status === w.status && prev.reason === w.reason && prev.message === w.message && prev.observedGeneration === w.observedGeneration;
}
