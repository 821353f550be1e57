// The read verbs: pods, get, describe, events, logs, whoami. Every call goes
// through the impersonating clients with names as parameters, never spliced
// into a path by us.

import type * as k8s from '@kubernetes/client-node';
import { Observable as k8sObservable, ResponseContext as k8sResponseContext } from '@kubernetes/client-node';
import { describeApiError } from '../errors.ts';
import { tableReply, textReply } from '../format.ts';
import { kindInfo } from '../kinds.ts';
import type { ChatReply, KindName, ParsedCommand } from '../types.ts';
import { CommandError, type ExecContext } from './context.ts';
import { describeDeployment, describeGeneric, describeNode, describePod } from './describe.ts';
import { eventLastSeen, type KindObjects, kindTable } from './tables.ts';

type Scope = { namespace?: string; labelSelector?: string; fieldSelector?: string };
type Lister<K extends KindName> = (x: ExecContext, s: Scope) => Promise<{ items: KindObjects[K][] }>;
type Reader<K extends KindName> = (x: ExecContext, name: string, namespace: string) => Promise<KindObjects[K]>;

const opt = (x: ExecContext) => x.clients.call(x.signal);

/**
 * A pod list keeps, before client-node turns it into typed objects, only what
 * the table reads. Typing every field of a thousand pods (volumes,
 * tolerations, managedFields…) costs several times the JSON parse itself and
 * most of a `pods -A` reply on a large cluster.
 */
type Json = Record<string, unknown>;

function trimPod(p: Json): Json {
  const m = (p.metadata ?? {}) as Json;
  const spec = (p.spec ?? {}) as { containers?: Json[]; initContainers?: Json[] };
  return {
    metadata: { name: m.name, namespace: m.namespace, creationTimestamp: m.creationTimestamp, deletionTimestamp: m.deletionTimestamp },
    spec: {
      containers: (spec.containers ?? []).map((c) => ({ name: c.name })),
      ...(spec.initContainers ? { initContainers: spec.initContainers.map((c) => ({ name: c.name, restartPolicy: c.restartPolicy })) } : {}),
    },
    status: p.status,
  };
}

const trimPodList: k8s.ObservableMiddleware = {
  pre: (ctx) => new k8sObservable(Promise.resolve(ctx)),
  post: (res) =>
    new k8sObservable(
      (async () => {
        if (res.httpStatusCode !== 200) return res;
        const list = JSON.parse(await res.body.text()) as { items?: Json[] };
        if (Array.isArray(list.items)) list.items = list.items.map(trimPod);
        const out = JSON.stringify(list);
        return new k8sResponseContext(res.httpStatusCode, res.headers, {
          text: () => Promise.resolve(out),
          binary: () => Promise.resolve(Buffer.from(out)),
          stream: () => null,
        } as unknown as k8s.ResponseBody);
      })(),
    ),
};

/** Call options for a pod list read only for its table. */
const podTableOpt = (x: ExecContext): k8s.ConfigurationOptions => {
  const o = opt(x);
  return { ...o, middleware: [...(o.middleware ?? []), trimPodList] };
};
const sel = (s: Scope) => ({
  ...(s.labelSelector ? { labelSelector: s.labelSelector } : {}),
  ...(s.fieldSelector ? { fieldSelector: s.fieldSelector } : {}),
});

/** One list call per kind: in a namespace, or across all of them when `namespace` is undefined. */
const LIST: { [K in KindName]: Lister<K> } = {
  pod: (x, s) => (s.namespace ? x.clients.core.listNamespacedPod({ namespace: s.namespace, ...sel(s) }, opt(x)) : x.clients.core.listPodForAllNamespaces(sel(s), opt(x))),
  node: (x, s) => x.clients.core.listNode(sel(s), opt(x)),
  event: (x, s) => (s.namespace ? x.clients.core.listNamespacedEvent({ namespace: s.namespace, ...sel(s) }, opt(x)) : x.clients.core.listEventForAllNamespaces(sel(s), opt(x))),
  service: (x, s) => (s.namespace ? x.clients.core.listNamespacedService({ namespace: s.namespace, ...sel(s) }, opt(x)) : x.clients.core.listServiceForAllNamespaces(sel(s), opt(x))),
  namespace: (x, s) => x.clients.core.listNamespace(sel(s), opt(x)),
  persistentvolumeclaim: (x, s) =>
    s.namespace ? x.clients.core.listNamespacedPersistentVolumeClaim({ namespace: s.namespace, ...sel(s) }, opt(x)) : x.clients.core.listPersistentVolumeClaimForAllNamespaces(sel(s), opt(x)),
  deployment: (x, s) => (s.namespace ? x.clients.apps.listNamespacedDeployment({ namespace: s.namespace, ...sel(s) }, opt(x)) : x.clients.apps.listDeploymentForAllNamespaces(sel(s), opt(x))),
  replicaset: (x, s) => (s.namespace ? x.clients.apps.listNamespacedReplicaSet({ namespace: s.namespace, ...sel(s) }, opt(x)) : x.clients.apps.listReplicaSetForAllNamespaces(sel(s), opt(x))),
  statefulset: (x, s) => (s.namespace ? x.clients.apps.listNamespacedStatefulSet({ namespace: s.namespace, ...sel(s) }, opt(x)) : x.clients.apps.listStatefulSetForAllNamespaces(sel(s), opt(x))),
  daemonset: (x, s) => (s.namespace ? x.clients.apps.listNamespacedDaemonSet({ namespace: s.namespace, ...sel(s) }, opt(x)) : x.clients.apps.listDaemonSetForAllNamespaces(sel(s), opt(x))),
  job: (x, s) => (s.namespace ? x.clients.batch.listNamespacedJob({ namespace: s.namespace, ...sel(s) }, opt(x)) : x.clients.batch.listJobForAllNamespaces(sel(s), opt(x))),
  cronjob: (x, s) => (s.namespace ? x.clients.batch.listNamespacedCronJob({ namespace: s.namespace, ...sel(s) }, opt(x)) : x.clients.batch.listCronJobForAllNamespaces(sel(s), opt(x))),
  horizontalpodautoscaler: (x, s) =>
    s.namespace
      ? x.clients.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: s.namespace, ...sel(s) }, opt(x))
      : x.clients.autoscaling.listHorizontalPodAutoscalerForAllNamespaces(sel(s), opt(x)),
};

const READ: { [K in KindName]: Reader<K> } = {
  pod: (x, name, namespace) => x.clients.core.readNamespacedPod({ name, namespace }, opt(x)),
  node: (x, name) => x.clients.core.readNode({ name }, opt(x)),
  event: (x, name, namespace) => x.clients.core.readNamespacedEvent({ name, namespace }, opt(x)),
  service: (x, name, namespace) => x.clients.core.readNamespacedService({ name, namespace }, opt(x)),
  namespace: (x, name) => x.clients.core.readNamespace({ name }, opt(x)),
  persistentvolumeclaim: (x, name, namespace) => x.clients.core.readNamespacedPersistentVolumeClaim({ name, namespace }, opt(x)),
  deployment: (x, name, namespace) => x.clients.apps.readNamespacedDeployment({ name, namespace }, opt(x)),
  replicaset: (x, name, namespace) => x.clients.apps.readNamespacedReplicaSet({ name, namespace }, opt(x)),
  statefulset: (x, name, namespace) => x.clients.apps.readNamespacedStatefulSet({ name, namespace }, opt(x)),
  daemonset: (x, name, namespace) => x.clients.apps.readNamespacedDaemonSet({ name, namespace }, opt(x)),
  job: (x, name, namespace) => x.clients.batch.readNamespacedJob({ name, namespace }, opt(x)),
  cronjob: (x, name, namespace) => x.clients.batch.readNamespacedCronJob({ name, namespace }, opt(x)),
  horizontalpodautoscaler: (x, name, namespace) => x.clients.autoscaling.readNamespacedHorizontalPodAutoscaler({ name, namespace }, opt(x)),
};

const now = (x: ExecContext): Date => (x.now ? x.now() : new Date());

/**
 * A kind the server does not serve at all (a 404 that is not "x not found":
 * no such API) reads as kubectl says it.
 */
async function unlessUnserved<T>(kind: KindName, x: ExecContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const f = describeApiError(err, x.signal);
    if (f.status === 404 && !/ not found$/.test(f.message)) {
      throw new CommandError(`the server doesn't have a resource type "${kindInfo(kind).resource}"`);
    }
    throw err;
  }
}

async function listKind<K extends KindName>(x: ExecContext, kind: K, scope: Scope): Promise<KindObjects[K][]> {
  return (await unlessUnserved(kind, x, () => LIST[kind](x, scope))).items;
}

function readKind<K extends KindName>(x: ExecContext, kind: K, name: string): Promise<KindObjects[K]> {
  return unlessUnserved(kind, x, () => READ[kind](x, name, x.namespace));
}

function emptyMessage(kind: KindName, namespace: string | undefined): string {
  return namespace && kindInfo(kind).namespaced ? `No resources found in ${namespace} namespace.` : 'No resources found';
}

function listReply<K extends KindName>(kind: K, items: KindObjects[K][], x: ExecContext, allNamespaces: boolean, title?: string): ChatReply {
  const info = kindInfo(kind);
  if (items.length === 0) return { status: 'ok', blocks: [{ kind: 'text', text: emptyMessage(kind, allNamespaces ? undefined : x.namespace) }] };
  const t = kindTable(kind, items, now(x), allNamespaces && info.namespaced);
  return tableReply(t.columns, t.rows, { noun: info.resource, fileName: `${info.resource}.txt`, title });
}

async function listPodsForTable(x: ExecContext, s: Scope): Promise<k8s.V1Pod[]> {
  const o = podTableOpt(x);
  const list = s.namespace ? await x.clients.core.listNamespacedPod({ namespace: s.namespace, ...sel(s) }, o) : await x.clients.core.listPodForAllNamespaces(sel(s), o);
  return list.items;
}

export async function execPods(cmd: Extract<ParsedCommand, { verb: 'pods' }>, x: ExecContext): Promise<ChatReply> {
  const items = await listPodsForTable(x, { namespace: cmd.allNamespaces ? undefined : x.namespace, labelSelector: cmd.selector });
  return listReply('pod', items, x, cmd.allNamespaces);
}

export async function execGet(cmd: Extract<ParsedCommand, { verb: 'get' }>, x: ExecContext): Promise<ChatReply> {
  const info = kindInfo(cmd.kind);
  if (cmd.name) {
    const obj = await readKind(x, cmd.kind, cmd.name);
    if (cmd.kind === 'event') return listReply('event', [obj as KindObjects['event']], x, false);
    return listReply(cmd.kind, [obj], x, false);
  }
  const all = cmd.allNamespaces && info.namespaced;
  const scope = { namespace: info.namespaced && !cmd.allNamespaces ? x.namespace : undefined, labelSelector: cmd.selector };
  let items = cmd.kind === 'pod' ? ((await listPodsForTable(x, scope)) as KindObjects[typeof cmd.kind][]) : await listKind(x, cmd.kind, scope);
  if (cmd.kind === 'event') items = sortEvents(items as KindObjects['event'][]) as typeof items;
  return cmd.kind === 'event'
    ? eventsReply(items as KindObjects['event'][], x, all)
    : listReply(cmd.kind, items, x, all);
}

function sortEvents(events: k8s.CoreV1Event[]): k8s.CoreV1Event[] {
  return [...events].sort((a, b) => (eventLastSeen(a) ?? 0) - (eventLastSeen(b) ?? 0));
}

function eventsReply(events: k8s.CoreV1Event[], x: ExecContext, allNamespaces: boolean): ChatReply {
  if (events.length === 0) return { status: 'ok', blocks: [{ kind: 'text', text: emptyMessage('event', allNamespaces ? undefined : x.namespace) }] };
  const t = kindTable('event', events, now(x), allNamespaces);
  // newest last, and when cut, the newest are the ones kept
  return tableReply(t.columns, t.rows, { noun: 'events', fileName: 'events.txt', keepLast: true });
}

export async function execEvents(cmd: Extract<ParsedCommand, { verb: 'events' }>, x: ExecContext): Promise<ChatReply> {
  let fieldSelector: string | undefined;
  if (cmd.for) {
    const info = kindInfo(cmd.for.kind);
    fieldSelector = `involvedObject.kind=${info.title},involvedObject.name=${cmd.for.name}`;
  }
  const events = await listKind(x, 'event', { namespace: cmd.allNamespaces ? undefined : x.namespace, fieldSelector });
  return eventsReply(sortEvents(events), x, cmd.allNamespaces);
}

/** The events about one object, or why they could not be read (describe still shows the object). */
async function eventsFor(x: ExecContext, kind: KindName, name: string, namespace: string | undefined, uid: string | undefined): Promise<{ events?: k8s.CoreV1Event[]; unavailable?: string }> {
  const info = kindInfo(kind);
  const parts = [`involvedObject.kind=${info.title}`, `involvedObject.name=${name}`];
  if (uid) parts.push(`involvedObject.uid=${uid}`);
  try {
    const list = namespace
      ? await x.clients.core.listNamespacedEvent({ namespace, fieldSelector: parts.join(',') }, opt(x))
      : await x.clients.core.listEventForAllNamespaces({ fieldSelector: parts.join(',') }, opt(x));
    return { events: list.items };
  } catch (err) {
    if (x.signal?.aborted) throw err;
    const f = describeApiError(err, x.signal);
    return { unavailable: f.forbidden ? 'not allowed to list events' : f.message };
  }
}

export async function execDescribe(cmd: Extract<ParsedCommand, { verb: 'describe' }>, x: ExecContext): Promise<ChatReply> {
  const info = kindInfo(cmd.kind);
  const namespace = info.namespaced ? x.namespace : undefined;
  const obj = await readKind(x, cmd.kind, cmd.name);
  const meta = (obj as { metadata?: k8s.V1ObjectMeta }).metadata;
  const ev = cmd.kind === 'event' ? { events: [] } : await eventsFor(x, cmd.kind, cmd.name, namespace, meta?.uid);
  const t = now(x);
  let text: string;
  switch (cmd.kind) {
    case 'pod':
      text = describePod(obj as k8s.V1Pod, ev.events, t, ev.unavailable);
      break;
    case 'deployment':
      text = describeDeployment(obj as k8s.V1Deployment, ev.events, t, ev.unavailable);
      break;
    case 'node':
      text = describeNode(obj as k8s.V1Node, ev.events, t, ev.unavailable);
      break;
    default:
      text = describeGeneric(obj as { metadata?: k8s.V1ObjectMeta; spec?: unknown; status?: unknown }, info.namespaced, ev.events, t, ev.unavailable);
  }
  return textReply(text, { fileName: `${cmd.name}.${cmd.kind}.txt`, keep: 'head', noun: 'lines', title: `${info.title} ${namespace ? `${namespace}/` : ''}${cmd.name}` });
}

/** The most of one log a command reads: a chat is no place for more, and kubeherald's memory is not either. */
export const MAX_LOG_BYTES = 4 * 1024 * 1024;

export async function execLogs(cmd: Extract<ParsedCommand, { verb: 'logs' }>, x: ExecContext): Promise<ChatReply> {
  const text = await x.clients.core.readNamespacedPodLog(
    {
      name: cmd.pod,
      namespace: x.namespace,
      limitBytes: MAX_LOG_BYTES,
      ...(cmd.container ? { container: cmd.container } : {}),
      ...(cmd.tail !== undefined ? { tailLines: cmd.tail } : {}),
      ...(cmd.previous ? { previous: true } : {}),
      ...(cmd.sinceSeconds !== undefined ? { sinceSeconds: cmd.sinceSeconds } : {}),
    },
    opt(x),
  );
  const which = `${cmd.previous ? 'previous ' : ''}log of ${x.namespace}/${cmd.pod}${cmd.container ? ` (${cmd.container})` : ''}`;
  if (!text) return { status: 'ok', title: which, blocks: [{ kind: 'text', text: `The ${which} is empty.` }] };
  const reply = textReply(text, { fileName: `${cmd.pod}.log`, keep: 'tail', noun: 'lines', title: which });
  // the server stops at limitBytes from the start: say so, and how to see the end
  if (Buffer.byteLength(text) >= MAX_LOG_BYTES) reply.notes = [...(reply.notes ?? []), 'the log is longer than 4 MiB: this is its first 4 MiB; use --tail or --since for the latest lines'];
  return reply;
}

export async function execWhoami(x: ExecContext): Promise<ChatReply> {
  const fields = [
    { label: 'Kubernetes user', value: x.identity.user },
    { label: 'Groups', value: x.identity.groups.length ? x.identity.groups.join(', ') : '<none>' },
  ];
  const notes: string[] = [];
  try {
    const review = await x.clients.authentication.createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } }, opt(x));
    const u = review.status?.userInfo;
    if (u) {
      fields.push({ label: 'API server sees', value: u.username ?? '' });
      fields.push({ label: 'with groups', value: (u.groups ?? []).join(', ') || '<none>' });
    }
  } catch (err) {
    if (x.signal?.aborted) throw err;
    const f = describeApiError(err, x.signal);
    // an API server without SelfSubjectReview (before 1.28) is no failure of whoami
    notes.push(f.status === 404 ? 'this API server does not answer SelfSubjectReview' : `could not ask the API server: ${f.message}`);
  }
  const reply: ChatReply = { status: 'ok', title: 'whoami', blocks: [{ kind: 'fields', fields }] };
  if (notes.length) reply.notes = notes;
  return reply;
}

