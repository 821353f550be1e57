// The columns `kubectl get` prints for each kind a command may name, computed
// the way kubectl's printers compute them (pkg/printers/internalversion), from
// the typed objects @kubernetes/client-node returns. Pure.

import type * as k8s from '@kubernetes/client-node';
import { age, humanDuration, toMs } from '../format.ts';
import type { KindName } from '../types.ts';

// Every row function gets the object and the time "now" is.
type Row<T> = (o: T, now: Date) => string[];

interface KindTable<T> {
  columns: string[];
  row: Row<T>;
}

const none = (s: string | undefined | null): string => (s === undefined || s === null || s === '' ? '<none>' : s);
const num = (n: number | undefined | null): string => String(n ?? 0);

// ---------------------------------------------------------------------------
// pods

function isRestartableInit(c: k8s.V1Container | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

/** READY, STATUS and RESTARTS of a pod, as kubectl's printPod works them out. */
export function podSummary(pod: k8s.V1Pod, now: Date): { ready: string; status: string; restarts: string } {
  const spec = pod.spec;
  const st = pod.status ?? {};
  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = spec?.containers?.length ?? 0;
  let readyContainers = 0;
  let lastRestart = 0;
  let lastRestartableInitRestart = 0;
  let reason = st.reason || st.phase || '';
  for (const c of st.conditions ?? []) if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';

  const inits = new Map((spec?.initContainers ?? []).map((c) => [c.name, c] as const));
  for (const c of spec?.initContainers ?? []) if (isRestartableInit(c)) totalContainers++;

  let initializing = false;
  const initStatuses = st.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i];
    restarts += c.restartCount ?? 0;
    const finished = toMs(c.lastState?.terminated?.finishedAt) ?? 0;
    if (finished > lastRestart) lastRestart = finished;
    const restartable = isRestartableInit(inits.get(c.name));
    if (restartable) {
      restartableInitRestarts += c.restartCount ?? 0;
      if (finished > lastRestartableInitRestart) lastRestartableInitRestart = finished;
    }
    const term = c.state?.terminated;
    const wait = c.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (restartable && c.started) {
      if (c.ready) readyContainers++;
      continue;
    }
    if (term) {
      reason = term.reason ? `Init:${term.reason}` : term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
    } else if (wait?.reason && wait.reason !== 'PodInitializing') {
      reason = `Init:${wait.reason}`;
    } else {
      reason = `Init:${i}/${spec?.initContainers?.length ?? 0}`;
    }
    initializing = true;
    break;
  }

  const initialized = (st.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = st.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i];
      restarts += c.restartCount ?? 0;
      const finished = toMs(c.lastState?.terminated?.finishedAt) ?? 0;
      if (finished > lastRestart) lastRestart = finished;
      const term = c.state?.terminated;
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = (st.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata?.deletionTimestamp && st.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && st.phase !== 'Succeeded' && st.phase !== 'Failed') reason = 'Terminating';

  const restartsText = restarts !== 0 && lastRestart > 0 ? `${restarts} (${humanDuration(now.getTime() - lastRestart)} ago)` : String(restarts);
  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartsText };
}

const pods: KindTable<k8s.V1Pod> = {
  columns: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
  row: (p, now) => {
    const s = podSummary(p, now);
    return [p.metadata?.name ?? '', s.ready, s.status, s.restarts, age(p.metadata?.creationTimestamp, now)];
  },
};

// ---------------------------------------------------------------------------
// nodes

export function nodeStatus(n: k8s.V1Node): string {
  const ready = (n.status?.conditions ?? []).find((c) => c.type === 'Ready');
  const parts = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (n.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

export function nodeRoles(n: k8s.V1Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(n.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

const nodes: KindTable<k8s.V1Node> = {
  columns: ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
  row: (n, now) => [n.metadata?.name ?? '', nodeStatus(n), nodeRoles(n), age(n.metadata?.creationTimestamp, now), n.status?.nodeInfo?.kubeletVersion ?? ''],
};

// ---------------------------------------------------------------------------
// events

/** When an event was last seen: the series' last observation, lastTimestamp, eventTime, firstTimestamp, creation. */
export function eventLastSeen(e: k8s.CoreV1Event): number | undefined {
  return (
    toMs(e.series?.lastObservedTime) ??
    toMs(e.lastTimestamp) ??
    toMs(e.eventTime) ??
    toMs(e.firstTimestamp) ??
    toMs(e.metadata?.creationTimestamp)
  );
}

const events: KindTable<k8s.CoreV1Event> = {
  columns: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
  row: (e, now) => {
    const seen = eventLastSeen(e);
    const obj = e.involvedObject;
    return [
      seen === undefined ? '<unknown>' : humanDuration(now.getTime() - seen),
      e.type ?? '',
      e.reason ?? '',
      `${(obj.kind ?? '').toLowerCase()}/${obj.name ?? ''}`,
      (e.message ?? '').replace(/\s+/g, ' ').trim(),
    ];
  },
};

// ---------------------------------------------------------------------------
// workloads

const deployments: KindTable<k8s.V1Deployment> = {
  columns: ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
  row: (d, now) => [
    d.metadata?.name ?? '',
    `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`,
    num(d.status?.updatedReplicas),
    num(d.status?.availableReplicas),
    age(d.metadata?.creationTimestamp, now),
  ],
};

const replicasets: KindTable<k8s.V1ReplicaSet> = {
  columns: ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'],
  row: (r, now) => [r.metadata?.name ?? '', num(r.spec?.replicas ?? 1), num(r.status?.replicas), num(r.status?.readyReplicas), age(r.metadata?.creationTimestamp, now)],
};

const statefulsets: KindTable<k8s.V1StatefulSet> = {
  columns: ['NAME', 'READY', 'AGE'],
  row: (s, now) => [s.metadata?.name ?? '', `${s.status?.readyReplicas ?? 0}/${s.spec?.replicas ?? 1}`, age(s.metadata?.creationTimestamp, now)],
};

const selectorText = (m: Record<string, string> | undefined): string =>
  none(
    Object.entries(m ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
  );

const daemonsets: KindTable<k8s.V1DaemonSet> = {
  columns: ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'],
  row: (d, now) => [
    d.metadata?.name ?? '',
    num(d.status?.desiredNumberScheduled),
    num(d.status?.currentNumberScheduled),
    num(d.status?.numberReady),
    num(d.status?.updatedNumberScheduled),
    num(d.status?.numberAvailable),
    selectorText(d.spec?.template?.spec?.nodeSelector),
    age(d.metadata?.creationTimestamp, now),
  ],
};

export function jobStatus(j: k8s.V1Job): string {
  const cond = (type: string): boolean => (j.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
  if (cond('Complete')) return 'Complete';
  if (cond('Failed')) return 'Failed';
  if (j.metadata?.deletionTimestamp) return 'Terminating';
  if (cond('FailureTarget')) return 'FailureTarget';
  if (cond('SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  if (cond('Suspended')) return 'Suspended';
  return 'Running';
}

const jobs: KindTable<k8s.V1Job> = {
  columns: ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE'],
  row: (j, now) => {
    const completions = j.spec?.completions;
    const parallelism = j.spec?.parallelism ?? 1;
    const done = j.status?.succeeded ?? 0;
    const comp = completions !== undefined ? `${done}/${completions}` : parallelism > 1 ? `${done}/1 of ${parallelism}` : `${done}/1`;
    const start = toMs(j.status?.startTime);
    const end = toMs(j.status?.completionTime) ?? now.getTime();
    return [j.metadata?.name ?? '', jobStatus(j), comp, start === undefined ? '' : humanDuration(end - start), age(j.metadata?.creationTimestamp, now)];
  },
};

const cronjobs: KindTable<k8s.V1CronJob> = {
  columns: ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE'],
  row: (c, now) => [
    c.metadata?.name ?? '',
    c.spec?.schedule ?? '',
    none(c.spec?.timeZone),
    c.spec?.suspend ? 'True' : 'False',
    String(c.status?.active?.length ?? 0),
    c.status?.lastScheduleTime ? age(c.status.lastScheduleTime, now) : '<none>',
    age(c.metadata?.creationTimestamp, now),
  ],
};

const ACCESS_MODE: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };

const persistentvolumeclaims: KindTable<k8s.V1PersistentVolumeClaim> = {
  columns: ['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE'],
  row: (p, now) => {
    const bound = p.status?.phase === 'Bound';
    return [
      p.metadata?.name ?? '',
      p.metadata?.deletionTimestamp ? 'Terminating' : (p.status?.phase ?? ''),
      p.spec?.volumeName ?? '',
      bound ? (p.status?.capacity?.storage ?? '') : '',
      bound ? (p.status?.accessModes ?? []).map((m) => ACCESS_MODE[m] ?? m).join(',') : '',
      p.spec?.storageClassName ?? '',
      p.spec?.volumeAttributesClassName ?? '<unset>',
      age(p.metadata?.creationTimestamp, now),
    ];
  },
};

/** TARGETS of an HPA: `cpu: 45%/80%`, `<unknown>/80%` before metrics arrive. */
export function hpaTargets(h: k8s.V2HorizontalPodAutoscaler): string {
  const specs = h.spec?.metrics ?? [];
  if (specs.length === 0) return '<none>';
  const current = h.status?.currentMetrics ?? [];
  const parts = specs.map((m, i) => {
    if (m.type === 'Resource' && m.resource) {
      const name = m.resource.name;
      const cur = current.find((c, j) => c.type === 'Resource' && (c.resource?.name === name || (c.resource === undefined && j === i)))?.resource?.current;
      const t = m.resource.target;
      if (t.averageUtilization !== undefined) {
        const now = cur?.averageUtilization !== undefined ? `${cur.averageUtilization}%` : '<unknown>';
        return `${name}: ${now}/${t.averageUtilization}%`;
      }
      const now = cur?.averageValue ?? '<unknown>';
      return `${name}: ${now}/${t.averageValue ?? t.value ?? '<unset>'}`;
    }
    return `<unknown>/${m.type}`;
  });
  return parts.join(', ');
}

const horizontalpodautoscalers: KindTable<k8s.V2HorizontalPodAutoscaler> = {
  columns: ['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE'],
  row: (h, now) => [
    h.metadata?.name ?? '',
    `${h.spec?.scaleTargetRef.kind ?? ''}/${h.spec?.scaleTargetRef.name ?? ''}`,
    hpaTargets(h),
    String(h.spec?.minReplicas ?? 1),
    String(h.spec?.maxReplicas ?? ''),
    num(h.status?.currentReplicas),
    age(h.metadata?.creationTimestamp, now),
  ],
};

export function servicePorts(s: k8s.V1Service): string {
  const ports = s.spec?.ports ?? [];
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

export function serviceExternalIp(s: k8s.V1Service): string {
  const type = s.spec?.type ?? 'ClusterIP';
  if (type === 'ExternalName') return s.spec?.externalName ?? '<none>';
  const external = [...(s.spec?.externalIPs ?? [])];
  if (type === 'LoadBalancer') {
    const ingress = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter(Boolean);
    external.unshift(...ingress);
    if (external.length === 0) return '<pending>';
  }
  return external.length ? external.join(',') : '<none>';
}

const services: KindTable<k8s.V1Service> = {
  columns: ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
  row: (s, now) => [s.metadata?.name ?? '', s.spec?.type ?? 'ClusterIP', none(s.spec?.clusterIP), serviceExternalIp(s), servicePorts(s), age(s.metadata?.creationTimestamp, now)],
};

const namespaces: KindTable<k8s.V1Namespace> = {
  columns: ['NAME', 'STATUS', 'AGE'],
  row: (n, now) => [n.metadata?.name ?? '', n.status?.phase ?? '', age(n.metadata?.creationTimestamp, now)],
};

/** The typed object each kind lists as. */
export interface KindObjects {
  pod: k8s.V1Pod;
  node: k8s.V1Node;
  event: k8s.CoreV1Event;
  deployment: k8s.V1Deployment;
  replicaset: k8s.V1ReplicaSet;
  statefulset: k8s.V1StatefulSet;
  daemonset: k8s.V1DaemonSet;
  job: k8s.V1Job;
  cronjob: k8s.V1CronJob;
  persistentvolumeclaim: k8s.V1PersistentVolumeClaim;
  horizontalpodautoscaler: k8s.V2HorizontalPodAutoscaler;
  service: k8s.V1Service;
  namespace: k8s.V1Namespace;
}

const TABLES: { [K in KindName]: KindTable<KindObjects[K]> } = {
  pod: pods,
  node: nodes,
  event: events,
  deployment: deployments,
  replicaset: replicasets,
  statefulset: statefulsets,
  daemonset: daemonsets,
  job: jobs,
  cronjob: cronjobs,
  persistentvolumeclaim: persistentvolumeclaims,
  horizontalpodautoscaler: horizontalpodautoscalers,
  service: services,
  namespace: namespaces,
};

/** Columns and rows as `kubectl get` prints them; `withNamespace` adds the NAMESPACE column of `-A`. */
export function kindTable<K extends KindName>(kind: K, items: readonly KindObjects[K][], now: Date, withNamespace = false): { columns: string[]; rows: string[][] } {
  const t = TABLES[kind] as KindTable<KindObjects[K]>;
  const rows = items.map((o) => {
    const r = t.row(o, now);
    return withNamespace ? [(o as { metadata?: k8s.V1ObjectMeta }).metadata?.namespace ?? '', ...r] : r;
  });
  return { columns: withNamespace ? ['NAMESPACE', ...t.columns] : [...t.columns], rows };
}
