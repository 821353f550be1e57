// The admission plugins that read cluster policy objects, as kube-apiserver
// applies them on create, and the resource quota controller's arithmetic:
// usage of a namespace (object counts, pod requests and limits, claimed
// storage), refusal of a create that would go beyond a quota's hard limits
// (403 "exceeded quota: …"), LimitRanger's default requests/limits and
// min/max checks for containers, and Priority's resolution of a pod's
// priorityClassName. Pure functions over the store; ClusterOps.admit runs
// them on create, the quota controller calls quotaStatus().

import { parseQuantity } from './quantity.ts';
import { ApiError } from './errors.ts';
import { LIMITRANGES, PRIORITYCLASSES, RESOURCEQUOTAS } from './refs.ts';
import type { ObjectStore } from './store.ts';
import type { KObject, ResourceType } from './types.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Legacy quota names for object counts, and the storage each counts. */
const LEGACY_COUNTS: Record<string, string> = {
  pods: 'pods',
  services: 'services',
  configmaps: 'configmaps',
  secrets: 'secrets',
  persistentvolumeclaims: 'persistentvolumeclaims',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
};

const COMPUTE = ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory', 'cpu', 'memory'] as const;

/** Quota resources computed from one kind's spec: storage requested by claims, load balancers and node ports of services. */
const DERIVED: Record<string, { storage: string; of: (spec: Obj) => number }> = {
  'requests.storage': {
    storage: 'persistentvolumeclaims',
    of: (spec) => parseQuantity((isObj(spec.resources) && isObj(spec.resources.requests) ? spec.resources.requests.storage : undefined) as string | undefined),
  },
  'services.loadbalancers': { storage: 'services', of: (spec) => (spec.type === 'LoadBalancer' ? 1 : 0) },
  'services.nodeports': {
    storage: 'services',
    of: (spec) => (spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? (Array.isArray(spec.ports) ? spec.ports.length : 0) : 0),
  },
};

/** count/<resource>[.<group>] → storage key. */
function countStorage(name: string): string | undefined {
  if (LEGACY_COUNTS[name]) return LEGACY_COUNTS[name];
  if (!name.startsWith('count/')) return undefined;
  const rest = name.slice('count/'.length);
  const dot = rest.indexOf('.');
  return dot < 0 ? rest : `${rest.slice(dot + 1)}/${rest.slice(0, dot)}`;
}

interface Container {
  name?: string;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
}

const containersOf = (pod: KObject, key: 'containers' | 'initContainers'): Container[] => {
  const spec = isObj(pod.spec) ? pod.spec : {};
  return Array.isArray(spec[key]) ? (spec[key] as Container[]) : [];
};

/** A pod's effective request or limit for cpu/memory: max(sum of containers, largest init container). */
function podResource(pod: KObject, kind: 'requests' | 'limits', resource: 'cpu' | 'memory'): number {
  const value = (c: Container): number => parseQuantity(c.resources?.[kind]?.[resource] as string | undefined);
  const sum = containersOf(pod, 'containers').reduce((a, c) => a + value(c), 0);
  const init = containersOf(pod, 'initContainers').reduce((a, c) => Math.max(a, value(c)), 0);
  return Math.max(sum, init);
}

/** Whether quota still charges for a pod: not terminal, and not past its deletion grace. */
export function podCounts(pod: KObject, nowMs: number): boolean {
  const phase = isObj(pod.status) ? pod.status.phase : undefined;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const deleted = pod.metadata.deletionTimestamp;
  if (!deleted) return true;
  const grace = (pod.metadata.deletionGracePeriodSeconds as number | undefined) ?? 0;
  return Date.parse(deleted) + grace * 1000 > nowMs;
}

/** What one object adds to each named quota resource. */
function usageOf(storage: string, obj: KObject, names: string[], nowMs: number): Map<string, number> {
  const out = new Map<string, number>();
  const spec = isObj(obj.spec) ? obj.spec : {};
  for (const name of names) {
    if (countStorage(name) === storage) out.set(name, storage === 'pods' && !podCounts(obj, nowMs) ? 0 : 1);
    const derived = DERIVED[name];
    if (derived && derived.storage === storage) out.set(name, derived.of(spec));
    if (storage !== 'pods' || !(COMPUTE as readonly string[]).includes(name) || !podCounts(obj, nowMs)) continue;
    const [kind, resource] = name.includes('.') ? (name.split('.') as ['requests' | 'limits', 'cpu' | 'memory']) : (['requests', name] as ['requests', 'cpu' | 'memory']);
    out.set(name, podResource(obj, kind, resource));
  }
  return out;
}

/** Canonical quantity text the quota controller writes: cpu in cores or millicores, memory in binary units. */
export function formatQuantity(name: string, v: number): string {
  if (name.endsWith('cpu')) {
    const milli = Math.round(v * 1000);
    return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
  }
  if (name.endsWith('memory') || name.endsWith('storage')) {
    for (const [suffix, size] of [['Ti', 1024 ** 4], ['Gi', 1024 ** 3], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) {
      if (v !== 0 && v % size === 0) return `${v / size}${suffix}`;
    }
    return String(Math.round(v));
  }
  return String(Math.round(v));
}

/** A namespace's usage of each resource a quota names. */
export function usage(store: ObjectStore, namespace: string, names: string[], nowMs: number): Map<string, number> {
  const totals = new Map<string, number>(names.map((n) => [n, 0]));
  const storages = new Set(names.map(countStorage).filter((s): s is string => !!s));
  if (names.some((n) => (COMPUTE as readonly string[]).includes(n))) storages.add('pods');
  for (const n of names) if (DERIVED[n]) storages.add(DERIVED[n].storage);
  for (const storage of storages) {
    for (const o of store.list(storage, namespace)) {
      for (const [k, v] of usageOf(storage, o, names, nowMs)) totals.set(k, (totals.get(k) ?? 0) + v);
    }
  }
  return totals;
}

const forbiddenFor = (rt: ResourceType, name: string, message: string): ApiError =>
  new ApiError(403, 'Forbidden', `${rt.group ? `${rt.resource}.${rt.group}` : rt.resource} "${name}" is forbidden: ${message}`, {
    name,
    group: rt.group || undefined,
    kind: rt.resource,
  });

const pretty = (m: Map<string, string>): string => [...m.keys()].sort().map((k) => `${k}=${m.get(k)}`).join(',');

/** The ResourceQuota admission plugin: refuses a create that would exceed any quota of the namespace. */
export function admitQuota(store: ObjectStore, rt: ResourceType, obj: KObject, nowMs: number): void {
  const ns = obj.metadata.namespace;
  if (!ns || !rt.namespaced) return;
  for (const quota of store.list(RESOURCEQUOTAS.storage, ns)) {
    const hard = isObj(quota.spec) && isObj(quota.spec.hard) ? (quota.spec.hard as Record<string, string | number>) : {};
    const names = Object.keys(hard);
    const delta = usageOf(rt.storage, obj, names, nowMs);
    if (rt.storage === 'pods' && podCounts(obj, nowMs)) {
      // a quota on compute resources needs every container to say what it uses
      const missing: string[] = [];
      for (const name of names.filter((n) => (COMPUTE as readonly string[]).includes(n)).sort()) {
        const [kind, resource] = name.includes('.') ? name.split('.') : ['requests', name];
        const without = containersOf(obj, 'containers').filter((c) => c.resources?.[kind as 'requests' | 'limits']?.[resource] === undefined);
        if (without.length) missing.push(`${name} for: ${without.map((c) => c.name).join(',')}`);
      }
      if (missing.length) throw forbiddenFor(rt, obj.metadata.name ?? '', `failed quota: ${quota.metadata.name}: must specify ${missing.join('; ')}`);
    }
    if (![...delta.values()].some((v) => v > 0)) continue;
    const used = usage(store, ns, names, nowMs);
    const requested = new Map<string, string>();
    const usedText = new Map<string, string>();
    const limited = new Map<string, string>();
    for (const [name, add] of delta) {
      if (add <= 0) continue;
      const limit = parseQuantity(hard[name] as string);
      const have = used.get(name) ?? 0;
      if (have + add > limit + 1e-9) {
        requested.set(name, formatQuantity(name, add));
        usedText.set(name, formatQuantity(name, have));
        limited.set(name, String(hard[name]));
      }
    }
    if (requested.size) {
      throw forbiddenFor(rt, obj.metadata.name ?? '', `exceeded quota: ${quota.metadata.name}, requested: ${pretty(requested)}, used: ${pretty(usedText)}, limited: ${pretty(limited)}`);
    }
  }
}

/** The LimitRanger admission plugin for pods: container defaults, then min/max. */
export function admitLimitRanges(store: ObjectStore, rt: ResourceType, obj: KObject): void {
  if (rt.storage !== 'pods' || !obj.metadata.namespace) return;
  const ranges = store.list(LIMITRANGES.storage, obj.metadata.namespace);
  if (!ranges.length) return;
  const notes: string[] = [];
  const problems: string[] = [];
  const items = ranges.flatMap((lr) => (isObj(lr.spec) && Array.isArray(lr.spec.limits) ? (lr.spec.limits as Obj[]) : [])).filter((l) => l.type === 'Container');
  const all: [string, Container][] = [
    ...containersOf(obj, 'initContainers').map((c): [string, Container] => ['init container', c]),
    ...containersOf(obj, 'containers').map((c): [string, Container] => ['container', c]),
  ];
  for (const [what, c] of all) {
    const res = (c.resources ??= {});
    const setRequests = new Set<string>();
    const setLimits = new Set<string>();
    for (const item of items) {
      const dflt = (item.default ?? {}) as Record<string, string>;
      // the API server defaults defaultRequest to default when a LimitRange is stored
      const dfltRequest = { ...dflt, ...((item.defaultRequest ?? {}) as Record<string, string>) };
      for (const [r, v] of Object.entries(dflt)) {
        if ((res.limits ??= {})[r] === undefined) {
          res.limits[r] = v;
          setLimits.add(r);
        }
      }
      for (const [r, v] of Object.entries(dfltRequest)) {
        if ((res.requests ??= {})[r] === undefined) {
          res.requests[r] = v;
          setRequests.add(r);
        }
      }
      for (const [r, v] of Object.entries((item.min ?? {}) as Record<string, string>)) {
        const req = res.requests?.[r];
        if (req === undefined) problems.push(`minimum ${r} usage per Container is ${v}.  No request is specified`);
        else if (parseQuantity(req as string) < parseQuantity(v)) problems.push(`minimum ${r} usage per Container is ${v}, but request is ${req}`);
      }
      for (const [r, v] of Object.entries((item.max ?? {}) as Record<string, string>)) {
        const lim = res.limits?.[r];
        if (lim === undefined) problems.push(`maximum ${r} usage per Container is ${v}.  No limit is specified`);
        else if (parseQuantity(lim as string) > parseQuantity(v)) problems.push(`maximum ${r} usage per Container is ${v}, but limit is ${lim}`);
      }
    }
    if (res.limits && !Object.keys(res.limits).length) delete res.limits;
    if (res.requests && !Object.keys(res.requests).length) delete res.requests;
    if (setRequests.size) notes.push(`${[...setRequests].sort().join(', ')} request for ${what} ${c.name ?? ''}`);
    if (setLimits.size) notes.push(`${[...setLimits].sort().join(', ')} limit for ${what} ${c.name ?? ''}`);
  }
  if (problems.length) throw forbiddenFor(rt, obj.metadata.name ?? '', problems.length === 1 ? problems[0] : `[${problems.join(', ')}]`);
  if (!notes.length) return;
  obj.metadata.annotations = { ...obj.metadata.annotations, 'kubernetes.io/limit-ranger': `LimitRanger plugin set: ${notes.join('; ')}` };
}

/**
 * The Priority admission plugin for pods: a priorityClassName resolves to its
 * value and preemption policy (an unknown one is refused); without one, a
 * globalDefault class applies if there is one.
 */
export function admitPriority(store: ObjectStore, rt: ResourceType, obj: KObject): void {
  if (rt.storage !== 'pods') return;
  const spec = (isObj(obj.spec) ? obj.spec : {}) as Obj;
  const name = typeof spec.priorityClassName === 'string' && spec.priorityClassName ? spec.priorityClassName : undefined;
  const pc = name
    ? store.get(PRIORITYCLASSES.storage, undefined, name)
    : store.list(PRIORITYCLASSES.storage).find((c) => (c as Obj).globalDefault === true);
  if (name && !pc) throw forbiddenFor(rt, obj.metadata.name ?? '', `no PriorityClass with name ${name} was found`);
  if (!pc) return;
  const value = (pc as Obj).value as number;
  if (!name) spec.priorityClassName = pc.metadata.name;
  spec.priority = value;
  spec.preemptionPolicy = ((pc as Obj).preemptionPolicy as string | undefined) ?? 'PreemptLowerPriority';
}

/** ResourceQuota status as the resource quota controller writes it. */
export function quotaStatus(store: ObjectStore, quota: KObject, nowMs: number): { hard: Record<string, unknown>; used: Record<string, string> } {
  const hard = isObj(quota.spec) && isObj(quota.spec.hard) ? (quota.spec.hard as Record<string, unknown>) : {};
  const names = Object.keys(hard);
  const totals = usage(store, quota.metadata.namespace!, names, nowMs);
  const used: Record<string, string> = {};
  for (const n of names.sort()) used[n] = formatQuantity(n, totals.get(n) ?? 0);
  return { hard: { ...hard }, used };
}
