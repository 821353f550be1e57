// The kinds a chat command may name: those kubeherald watches, with the
// names kubectl accepts for them (singular, plural, short). Pure data.

import type { KindName } from './types.ts';

export interface KindInfo {
  kind: KindName;
  /** as Kubernetes spells it in objects */
  title: string;
  group: string;
  version: string;
  /** the plural resource name in URLs and RBAC rules */
  resource: string;
  namespaced: boolean;
  /** what a user may type: singular, plural and kubectl's short names */
  aliases: string[];
}

export const KINDS: readonly KindInfo[] = [
  { kind: 'pod', title: 'Pod', group: '', version: 'v1', resource: 'pods', namespaced: true, aliases: ['pod', 'pods', 'po'] },
  { kind: 'node', title: 'Node', group: '', version: 'v1', resource: 'nodes', namespaced: false, aliases: ['node', 'nodes', 'no'] },
  { kind: 'event', title: 'Event', group: '', version: 'v1', resource: 'events', namespaced: true, aliases: ['event', 'events', 'ev'] },
  { kind: 'service', title: 'Service', group: '', version: 'v1', resource: 'services', namespaced: true, aliases: ['service', 'services', 'svc'] },
  { kind: 'namespace', title: 'Namespace', group: '', version: 'v1', resource: 'namespaces', namespaced: false, aliases: ['namespace', 'namespaces', 'ns'] },
  { kind: 'persistentvolumeclaim', title: 'PersistentVolumeClaim', group: '', version: 'v1', resource: 'persistentvolumeclaims', namespaced: true, aliases: ['persistentvolumeclaim', 'persistentvolumeclaims', 'pvc'] },
  { kind: 'deployment', title: 'Deployment', group: 'apps', version: 'v1', resource: 'deployments', namespaced: true, aliases: ['deployment', 'deployments', 'deploy'] },
  { kind: 'replicaset', title: 'ReplicaSet', group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true, aliases: ['replicaset', 'replicasets', 'rs'] },
  { kind: 'statefulset', title: 'StatefulSet', group: 'apps', version: 'v1', resource: 'statefulsets', namespaced: true, aliases: ['statefulset', 'statefulsets', 'sts'] },
  { kind: 'daemonset', title: 'DaemonSet', group: 'apps', version: 'v1', resource: 'daemonsets', namespaced: true, aliases: ['daemonset', 'daemonsets', 'ds'] },
  { kind: 'job', title: 'Job', group: 'batch', version: 'v1', resource: 'jobs', namespaced: true, aliases: ['job', 'jobs'] },
  { kind: 'cronjob', title: 'CronJob', group: 'batch', version: 'v1', resource: 'cronjobs', namespaced: true, aliases: ['cronjob', 'cronjobs', 'cj'] },
  { kind: 'horizontalpodautoscaler', title: 'HorizontalPodAutoscaler', group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', namespaced: true, aliases: ['horizontalpodautoscaler', 'horizontalpodautoscalers', 'hpa'] },
];

const BY_ALIAS = new Map(KINDS.flatMap((k) => k.aliases.map((a) => [a, k] as const)));
const BY_KIND = new Map(KINDS.map((k) => [k.kind, k] as const));

/** The kind a user typed (case-insensitive; `deployment.apps` and `deployments.apps/v1` too), or undefined. */
export function lookupKind(typed: string): KindInfo | undefined {
  const lower = typed.toLowerCase();
  const direct = BY_ALIAS.get(lower);
  if (direct) return direct;
  const dot = lower.indexOf('.');
  if (dot < 0) return undefined;
  const k = BY_ALIAS.get(lower.slice(0, dot));
  const group = lower.slice(dot + 1).replace(/\/v[0-9a-z]+$/, '');
  return k && k.group === group ? k : undefined;
}

export function kindInfo(kind: KindName): KindInfo {
  const k = BY_KIND.get(kind);
  if (!k) throw new Error(`unknown kind ${kind}`);
  return k;
}
