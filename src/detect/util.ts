// Small readers shared by the detectors. Objects arrive as the listener
// trimmed them, so every field may be missing: readers never throw.

import type { KubeObject } from '../model/kube.ts';
import type { Observation } from './types.ts';

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
}

export type ObjectRefFields = NonNullable<Observation['involved']>;

export function conditions(obj: KubeObject | undefined): Condition[] {
  const status = obj?.status as { conditions?: unknown } | undefined;
  return Array.isArray(status?.conditions) ? (status.conditions as Condition[]) : [];
}

export function condition(obj: KubeObject | undefined, type: string): Condition | undefined {
  return conditions(obj).find((c) => c?.type === type);
}

/** Milliseconds since the epoch of an RFC 3339 time, or undefined. */
export function parseTime(s: unknown): number | undefined {
  if (typeof s !== 'string' || s === '') return undefined;
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? ms : undefined;
}

/** A time as the API server writes metav1.Time: RFC 3339, seconds. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "demo/web" for namespaced objects, "sim-node-1" for cluster-scoped ones. */
export function displayName(obj: KubeObject | ObjectRefFields | undefined): string {
  if (!obj) return '';
  const meta = 'metadata' in obj ? obj.metadata : obj;
  const name = meta.name ?? '';
  return meta.namespace ? `${meta.namespace}/${name}` : name;
}

/**
 * The reference notifications carry. The kind and apiVersion are given by the
 * detector: objects from a list response have neither set.
 */
export function refOf(obj: KubeObject, apiVersion: string, kind: string): ObjectRefFields {
  return {
    apiVersion: obj.apiVersion || apiVersion,
    kind: obj.kind || kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name ?? '',
    uid: obj.metadata.uid ?? '',
  };
}

/** Drops empty values, so sinks never show "restarts: undefined". */
export function compactFields(fields: Record<string, string | number | undefined | null>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || v === null || v === '') continue;
    out[k] = String(v);
  }
  return out;
}

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

const WORKLOAD_API: Record<string, string> = {
  Deployment: 'apps/v1',
  ReplicaSet: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
};

/**
 * The workload behind an object, as fields the tracker turns into
 * Notification.owner. Pods of a Deployment are owned by a ReplicaSet named
 * "<deployment>-<pod-template-hash>"; people think of them by the Deployment,
 * so that is what is reported (its uid is not on the pod, so it stays empty).
 */
export function ownerFields(obj: KubeObject): Record<string, string> {
  const refs = obj.metadata.ownerReferences ?? [];
  const ref = refs.find((r) => r.controller);
  if (!ref) return {};
  const hash = obj.metadata.labels?.[POD_TEMPLATE_HASH_LABEL];
  if (ref.kind === 'ReplicaSet' && hash && ref.name.endsWith(`-${hash}`) && ref.name.length > hash.length + 1) {
    return { ownerApiVersion: 'apps/v1', ownerKind: 'Deployment', ownerName: ref.name.slice(0, -(hash.length + 1)) };
  }
  return compactFields({ ownerApiVersion: ref.apiVersion || WORKLOAD_API[ref.kind], ownerKind: ref.kind, ownerName: ref.name, ownerUid: ref.uid });
}

/** Go-style short duration for messages: 45s, 2m30s, 1h5m. */
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
}

/** First line of a (possibly long, log-derived) message, cut to a readable length. */
export function firstLine(s: string | undefined, max = 300): string {
  if (!s) return '';
  const line = s.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The last non-empty line: termination messages taken from logs end with the cause. */
export function lastLine(s: string | undefined, max = 300): string {
  if (!s) return '';
  const lines = s.split('\n').filter((l) => l.trim() !== '');
  const line = lines.at(-1) ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
