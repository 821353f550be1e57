// `kubectl describe`-like text for a chat reply: the fields people read
// first (status, containers with their state, last state and restarts,
// conditions) and the object's recent events. Pods, deployments and nodes
// get their own layout; other kinds their metadata plus spec and status.
// Pure: the caller fetches the object and its events.

import type * as k8s from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { age, DescribeWriter, renderTable, rfc3339, toMs } from '../format.ts';
import { nodeRoles, podSummary } from './tables.ts';

type Meta = k8s.V1ObjectMeta | undefined;

// kubectl describe leaves out the whole last applied manifest, and so do we
const HIDDEN_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);

function annotations(m: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(m ?? {}).filter(([k]) => !HIDDEN_ANNOTATIONS.has(k)));
}

function header(w: DescribeWriter, meta: Meta, namespaced: boolean): void {
  w.kv(0, 'Name', meta?.name ?? '');
  if (namespaced) w.kv(0, 'Namespace', meta?.namespace ?? '');
  w.map(0, 'Labels', meta?.labels);
  w.map(0, 'Annotations', annotations(meta?.annotations), ': ');
  w.kv(0, 'CreationTimestamp', rfc3339(meta?.creationTimestamp));
}

function conditionsTable(w: DescribeWriter, rows: string[][], columns: string[]): void {
  if (rows.length === 0) {
    w.kv(0, 'Conditions', '<none>');
    return;
  }
  w.kv(0, 'Conditions');
  for (const l of renderTable(columns, [columns.map((c) => '-'.repeat(c.length)), ...rows]).split('\n')) w.line(1, l);
}

/** The Events: section, newest last, as describe prints it: `3s (x12 over 3m)` for repeated events. */
export function eventsSection(w: DescribeWriter, events: readonly k8s.CoreV1Event[] | undefined, now: Date, unavailable?: string): void {
  if (unavailable) {
    w.kv(0, 'Events', `<not shown: ${unavailable}>`);
    return;
  }
  if (!events || events.length === 0) {
    w.kv(0, 'Events', '<none>');
    return;
  }
  const sorted = [...events].sort((a, b) => (lastSeen(a) ?? 0) - (lastSeen(b) ?? 0));
  const rows = sorted.map((e) => {
    const last = lastSeen(e);
    const first = toMs(e.firstTimestamp) ?? toMs(e.eventTime) ?? last;
    const n = e.series?.count ?? e.count ?? 1;
    const lastAge = last === undefined ? '<unknown>' : age(new Date(last), now);
    const when = n > 1 && first !== undefined ? `${lastAge} (x${n} over ${age(new Date(first), now)})` : lastAge;
    return [e.type ?? '', e.reason ?? '', when, e.source?.component || e.reportingComponent || '', (e.message ?? '').replace(/\s+/g, ' ').trim()];
  });
  const columns = ['Type', 'Reason', 'Age', 'From', 'Message'];
  w.kv(0, 'Events');
  for (const l of renderTable(columns, [columns.map((c) => '-'.repeat(c.length)), ...rows]).split('\n')) w.line(1, l);
}

function lastSeen(e: k8s.CoreV1Event): number | undefined {
  return toMs(e.series?.lastObservedTime) ?? toMs(e.lastTimestamp) ?? toMs(e.eventTime) ?? toMs(e.firstTimestamp) ?? toMs(e.metadata?.creationTimestamp);
}

function containerState(w: DescribeWriter, level: number, key: string, s: k8s.V1ContainerState | undefined): void {
  if (s?.running) {
    w.kv(level, key, 'Running');
    w.kv(level + 1, 'Started', rfc3339(s.running.startedAt));
  } else if (s?.waiting) {
    w.kv(level, key, 'Waiting');
    if (s.waiting.reason) w.kv(level + 1, 'Reason', s.waiting.reason);
    if (s.waiting.message) w.kv(level + 1, 'Message', s.waiting.message);
  } else if (s?.terminated) {
    const t = s.terminated;
    w.kv(level, key, 'Terminated');
    if (t.reason) w.kv(level + 1, 'Reason', t.reason);
    if (t.message) w.kv(level + 1, 'Message', t.message);
    w.kv(level + 1, 'Exit Code', t.exitCode);
    if (t.signal) w.kv(level + 1, 'Signal', t.signal);
    w.kv(level + 1, 'Started', rfc3339(t.startedAt));
    w.kv(level + 1, 'Finished', rfc3339(t.finishedAt));
  } else {
    w.kv(level, key, key === 'State' ? 'Waiting' : '');
  }
}

function ports(c: k8s.V1Container): string {
  const p = (c.ports ?? []).map((x) => `${x.containerPort}/${x.protocol ?? 'TCP'}`);
  return p.length ? p.join(', ') : '<none>';
}

function containers(w: DescribeWriter, title: string, specs: readonly k8s.V1Container[], statuses: readonly k8s.V1ContainerStatus[]): void {
  if (specs.length === 0) return;
  w.kv(0, title);
  for (const c of specs) {
    const st = statuses.find((s) => s.name === c.name);
    w.kv(1, c.name);
    if (st?.containerID) w.kv(2, 'Container ID', st.containerID);
    w.kv(2, 'Image', c.image ?? '');
    if (st?.imageID) w.kv(2, 'Image ID', st.imageID);
    w.kv(2, 'Port', ports(c));
    if (c.command?.length) w.kv(2, 'Command', c.command.join(' '));
    if (c.args?.length) w.kv(2, 'Args', c.args.join(' '));
    containerState(w, 2, 'State', st?.state);
    if (st?.lastState?.running || st?.lastState?.waiting || st?.lastState?.terminated) containerState(w, 2, 'Last State', st.lastState);
    w.kv(2, 'Ready', st?.ready ? 'True' : 'False');
    w.kv(2, 'Restart Count', st?.restartCount ?? 0);
    const limits = Object.entries(c.resources?.limits ?? {});
    const requests = Object.entries(c.resources?.requests ?? {});
    if (limits.length) w.kv(2, 'Limits', limits.map(([k, v]) => `${k}: ${v}`).join(', '));
    if (requests.length) w.kv(2, 'Requests', requests.map(([k, v]) => `${k}: ${v}`).join(', '));
    // names only: a chat channel is wider than a terminal, and people put credentials in env values
    const env = (c.env ?? []).map((e) => e.name);
    w.kv(2, 'Environment', env.length ? `${env.join(', ')} (values not shown)` : '<none>');
  }
}

export function describePod(pod: k8s.V1Pod, events: readonly k8s.CoreV1Event[] | undefined, now: Date, eventsUnavailable?: string): string {
  const w = new DescribeWriter();
  const m = pod.metadata;
  w.kv(0, 'Name', m?.name ?? '');
  w.kv(0, 'Namespace', m?.namespace ?? '');
  w.kv(0, 'Priority', pod.spec?.priority ?? 0);
  w.kv(0, 'Service Account', pod.spec?.serviceAccountName ?? 'default');
  w.kv(0, 'Node', pod.spec?.nodeName ? `${pod.spec.nodeName}/${pod.status?.hostIP ?? ''}` : '<none>');
  if (pod.status?.startTime) w.kv(0, 'Start Time', rfc3339(pod.status.startTime));
  w.map(0, 'Labels', m?.labels);
  w.map(0, 'Annotations', annotations(m?.annotations), ': ');
  const summary = podSummary(pod, now);
  w.kv(0, 'Status', m?.deletionTimestamp ? 'Terminating' : (pod.status?.phase ?? ''));
  if (m?.deletionTimestamp) w.kv(0, 'Termination Grace Period', `${pod.spec?.terminationGracePeriodSeconds ?? 30}s`);
  if (pod.status?.reason) w.kv(0, 'Reason', pod.status.reason);
  if (pod.status?.message) w.kv(0, 'Message', pod.status.message);
  w.kv(0, 'IP', pod.status?.podIP ?? '');
  const owner = (m?.ownerReferences ?? []).find((o) => o.controller);
  w.kv(0, 'Controlled By', owner ? `${owner.kind}/${owner.name}` : '<none>');
  w.kv(0, 'Ready', summary.ready);
  containers(w, 'Init Containers', pod.spec?.initContainers ?? [], pod.status?.initContainerStatuses ?? []);
  containers(w, 'Containers', pod.spec?.containers ?? [], pod.status?.containerStatuses ?? []);
  conditionsTable(
    w,
    (pod.status?.conditions ?? []).map((c) => [c.type, c.status]),
    ['Type', 'Status'],
  );
  w.kv(0, 'QoS Class', pod.status?.qosClass ?? '');
  w.map(0, 'Node-Selectors', pod.spec?.nodeSelector);
  eventsSection(w, events, now, eventsUnavailable);
  return w.toString();
}

export function describeDeployment(d: k8s.V1Deployment, events: readonly k8s.CoreV1Event[] | undefined, now: Date, eventsUnavailable?: string): string {
  const w = new DescribeWriter();
  header(w, d.metadata, true);
  w.kv(0, 'Selector', Object.entries(d.spec?.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>');
  const s = d.status ?? {};
  w.kv(0, 'Replicas', `${d.spec?.replicas ?? 1} desired | ${s.updatedReplicas ?? 0} updated | ${s.replicas ?? 0} total | ${s.availableReplicas ?? 0} available | ${s.unavailableReplicas ?? 0} unavailable`);
  w.kv(0, 'StrategyType', d.spec?.strategy?.type ?? 'RollingUpdate');
  w.kv(0, 'MinReadySeconds', d.spec?.minReadySeconds ?? 0);
  const ru = d.spec?.strategy?.rollingUpdate;
  if ((d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
    w.kv(0, 'RollingUpdateStrategy', `${ru?.maxUnavailable ?? '25%'} max unavailable, ${ru?.maxSurge ?? '25%'} max surge`);
  }
  if (d.spec?.paused) w.kv(0, 'Paused', 'true');
  w.kv(0, 'Pod Template');
  const tpl = d.spec?.template;
  const tw = new DescribeWriter();
  tw.map(0, 'Labels', tpl?.metadata?.labels);
  if (Object.keys(tpl?.metadata?.annotations ?? {}).length) tw.map(0, 'Annotations', annotations(tpl?.metadata?.annotations), ': ');
  containers(tw, 'Containers', tpl?.spec?.containers ?? [], []);
  for (const l of tw.toString().trimEnd().split('\n')) w.line(1, l);
  conditionsTable(
    w,
    (s.conditions ?? []).map((c) => [c.type, c.status, c.reason ?? '']),
    ['Type', 'Status', 'Reason'],
  );
  eventsSection(w, events, now, eventsUnavailable);
  return w.toString();
}

export function describeNode(n: k8s.V1Node, events: readonly k8s.CoreV1Event[] | undefined, now: Date, eventsUnavailable?: string): string {
  const w = new DescribeWriter();
  w.kv(0, 'Name', n.metadata?.name ?? '');
  w.kv(0, 'Roles', nodeRoles(n));
  w.map(0, 'Labels', n.metadata?.labels);
  w.map(0, 'Annotations', annotations(n.metadata?.annotations), ': ');
  w.kv(0, 'CreationTimestamp', rfc3339(n.metadata?.creationTimestamp));
  const taints = (n.spec?.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`);
  w.kv(0, 'Taints', taints.length ? taints[0] : '<none>');
  for (const t of taints.slice(1)) w.kv(0, '', t);
  w.kv(0, 'Unschedulable', n.spec?.unschedulable ? 'true' : 'false');
  conditionsTable(
    w,
    (n.status?.conditions ?? []).map((c) => [c.type, c.status, rfc3339(c.lastHeartbeatTime), rfc3339(c.lastTransitionTime), c.reason ?? '', c.message ?? '']),
    ['Type', 'Status', 'LastHeartbeatTime', 'LastTransitionTime', 'Reason', 'Message'],
  );
  w.kv(0, 'Addresses');
  for (const a of n.status?.addresses ?? []) w.kv(1, a.type, a.address);
  for (const [title, res] of [['Capacity', n.status?.capacity], ['Allocatable', n.status?.allocatable]] as const) {
    w.kv(0, title);
    for (const [k, v] of Object.entries(res ?? {})) w.kv(1, k, v);
  }
  const info = n.status?.nodeInfo;
  if (info) {
    w.kv(0, 'System Info');
    w.kv(1, 'Kernel Version', info.kernelVersion);
    w.kv(1, 'OS Image', info.osImage);
    w.kv(1, 'Container Runtime Version', info.containerRuntimeVersion);
    w.kv(1, 'Kubelet Version', info.kubeletVersion);
  }
  w.kv(0, 'PodCIDR', n.spec?.podCIDR ?? '<none>');
  eventsSection(w, events, now, eventsUnavailable);
  return w.toString();
}

/** Any other kind: its metadata, then spec and status as YAML. */
export function describeGeneric(
  obj: { metadata?: k8s.V1ObjectMeta; spec?: unknown; status?: unknown },
  namespaced: boolean,
  events: readonly k8s.CoreV1Event[] | undefined,
  now: Date,
  eventsUnavailable?: string,
): string {
  const w = new DescribeWriter();
  header(w, obj.metadata, namespaced);
  for (const [title, part] of [['Spec', obj.spec], ['Status', obj.status]] as const) {
    if (part === undefined || part === null) continue;
    const plain = JSON.parse(JSON.stringify(part)) as unknown;
    if (plain && typeof plain === 'object' && Object.keys(plain).length === 0) continue;
    w.kv(0, title);
    for (const l of stringify(plain, { lineWidth: 0 }).trimEnd().split('\n')) w.line(1, l);
  }
  eventsSection(w, events, now, eventsUnavailable);
  return w.toString();
}
