// The Kubernetes audit log (audit.k8s.io/v1), read: the shape of an EventList
// batch as the API server's webhook backend posts it, its validation with a
// reason a person can act on, and the pure mapping from an audit Event to a
// Notification ("deployment demo/web scaled to 3 by expert@org.com"). No I/O.

import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ActorSchema, type Actor, type Notification, NotificationSchema, ObjectRefSchema, Severity, State } from '../model/notification.ts';

const AUDIT_API_VERSION = 'audit.k8s.io/v1';

const userInfoSchema = z.looseObject({
  username: z.string({ error: 'expected a string' }),
  uid: z.string().nullish(),
  groups: z.array(z.string()).nullish(),
  extra: z.record(z.string(), z.array(z.string()).nullish()).nullish(),
});

const objectRefSchema = z.looseObject({
  resource: z.string().nullish(),
  namespace: z.string().nullish(),
  name: z.string().nullish(),
  uid: z.string().nullish(),
  apiGroup: z.string().nullish(),
  apiVersion: z.string().nullish(),
  resourceVersion: z.string().nullish(),
  subresource: z.string().nullish(),
});

const timeSchema = z.string().refine((s) => Number.isFinite(Date.parse(s)), { error: 'expected an RFC 3339 time' });

const eventSchema = z.looseObject({
  // items of a list usually carry no TypeMeta; when they do it must be right
  kind: z.literal('Event').nullish(),
  apiVersion: z.literal(AUDIT_API_VERSION).nullish(),
  level: z.enum(['None', 'Metadata', 'Request', 'RequestResponse']),
  auditID: z.string().min(1),
  stage: z.enum(['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic']),
  requestURI: z.string(),
  verb: z.string().min(1),
  user: userInfoSchema,
  impersonatedUser: userInfoSchema.nullish(),
  sourceIPs: z.array(z.string()).nullish(),
  userAgent: z.string().nullish(),
  objectRef: objectRefSchema.nullish(),
  responseStatus: z.looseObject({ code: z.number().nullish(), status: z.string().nullish(), reason: z.string().nullish(), message: z.string().nullish() }).nullish(),
  requestObject: z.unknown().optional(),
  responseObject: z.unknown().optional(),
  requestReceivedTimestamp: timeSchema.nullish(),
  stageTimestamp: timeSchema.nullish(),
  annotations: z.record(z.string(), z.string()).nullish(),
});

const eventListSchema = z.looseObject({
  kind: z.literal('EventList', { error: 'expected kind EventList' }),
  apiVersion: z.literal(AUDIT_API_VERSION, { error: `expected apiVersion ${AUDIT_API_VERSION}` }),
  items: z.array(eventSchema).nullish(),
});

export type AuditEvent = z.output<typeof eventSchema>;
export type AuditUser = z.output<typeof userInfoSchema>;
export type AuditObjectRef = z.output<typeof objectRefSchema>;

/** Why a batch was refused; the label of the malformed-payload counter. */
export type MalformedReason = 'InvalidJSON' | 'NotEventList' | 'InvalidEvent';

export type ParseResult = { ok: true; events: AuditEvent[] } | { ok: false; reason: MalformedReason; message: string };

/**
 * Parses a webhook request body. A batch with one malformed event is refused
 * as a whole: the API server never sends one, so it is not from an API
 * server, and half-accepting it would hide that.
 */
export function parseEventList(body: string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    return { ok: false, reason: 'InvalidJSON', message: `the body is not JSON: ${(err as Error).message}` };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, reason: 'NotEventList', message: `expected an ${AUDIT_API_VERSION} EventList object` };
  }
  const head = eventListSchema.omit({ items: true }).safeParse(raw);
  if (!head.success) return { ok: false, reason: 'NotEventList', message: issueText(head.error) };
  const items = (raw as { items?: unknown }).items;
  if (items !== undefined && items !== null && !Array.isArray(items)) return { ok: false, reason: 'NotEventList', message: 'items: expected a list' };
  const events: AuditEvent[] = [];
  for (const [i, item] of ((items as unknown[] | null | undefined) ?? []).entries()) {
    const r = eventSchema.safeParse(item);
    if (!r.success) return { ok: false, reason: 'InvalidEvent', message: issueText(r.error, `items[${i}]`) };
    events.push(r.data);
  }
  return { ok: true, events };
}

function issueText(err: z.ZodError, prefix = ''): string {
  const issue = err.issues[0];
  const path = [prefix, ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))].join('').replace(/^\./, '');
  return `${path || '(root)'}: ${issue.message}`;
}

// ---------------------------------------------------------------------------
// Which events are changes worth a notification.

export const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'] as const;

export interface AuditFilter {
  /** usernames (globs) whose changes are not notified: controllers, kubelets, kubeherald itself */
  ignoreUsers: string[];
  /** resources (plural, as in the URL) whose changes are not notified */
  ignoreResources: string[];
  /** subresources whose writes are not notified (status: controllers report, people do not change) */
  ignoreSubresources: string[];
}

export const DEFAULT_AUDIT_FILTER: AuditFilter = {
  ignoreUsers: ['system:kube-controller-manager', 'system:kube-scheduler', 'system:apiserver', 'system:kube-proxy', 'system:node:*', 'system:serviceaccount:kube-system:*'],
  ignoreResources: ['events', 'leases', 'tokenreviews', 'subjectaccessreviews', 'selfsubjectaccessreviews', 'localsubjectaccessreviews', 'selfsubjectrulesreviews', 'selfsubjectreviews', 'endpoints', 'endpointslices'],
  ignoreSubresources: ['status'],
};

/** `*` any characters, `?` one. */
export function globMatch(glob: string, s: string): boolean {
  const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(s);
}

/** The person behind a request: the impersonated user when there is one (kubectl --as), else the authenticated one. */
export function actorOf(e: AuditEvent): Actor {
  const u = e.impersonatedUser?.username ? e.impersonatedUser : e.user;
  return create(ActorSchema, { username: u.username, groups: u.groups ?? [], uid: u.uid ?? '' });
}

/** Whether an event reports a completed, successful write that the filter lets through. */
export function isNotifiableWrite(e: AuditEvent, filter: AuditFilter): boolean {
  if (e.stage !== 'ResponseComplete') return false;
  if (!(WRITE_VERBS as readonly string[]).includes(e.verb)) return false;
  const ref = e.objectRef;
  if (!ref?.resource) return false;
  const code = e.responseStatus?.code ?? 0;
  if (code < 200 || code >= 300) return false;
  if (isDryRun(e.requestURI)) return false;
  if (filter.ignoreResources.includes(ref.resource)) return false;
  if (ref.subresource && filter.ignoreSubresources.includes(ref.subresource)) return false;
  const actor = actorOf(e).username;
  if (filter.ignoreUsers.some((g) => globMatch(g, actor))) return false;
  return true;
}

function isDryRun(uri: string): boolean {
  const q = uri.indexOf('?');
  return q >= 0 && new URLSearchParams(uri.slice(q + 1)).getAll('dryRun').length > 0;
}

// ---------------------------------------------------------------------------
// From an event to a notification.

// plural → Kind for what people commonly change; anything else falls back
// to the kind of the object in the event, then to the resource itself
const KINDS: Record<string, string> = {
  pods: 'Pod',
  nodes: 'Node',
  namespaces: 'Namespace',
  services: 'Service',
  configmaps: 'ConfigMap',
  secrets: 'Secret',
  serviceaccounts: 'ServiceAccount',
  persistentvolumeclaims: 'PersistentVolumeClaim',
  persistentvolumes: 'PersistentVolume',
  deployments: 'Deployment',
  replicasets: 'ReplicaSet',
  statefulsets: 'StatefulSet',
  daemonsets: 'DaemonSet',
  jobs: 'Job',
  cronjobs: 'CronJob',
  ingresses: 'Ingress',
  networkpolicies: 'NetworkPolicy',
  horizontalpodautoscalers: 'HorizontalPodAutoscaler',
  poddisruptionbudgets: 'PodDisruptionBudget',
  roles: 'Role',
  rolebindings: 'RoleBinding',
  clusterroles: 'ClusterRole',
  clusterrolebindings: 'ClusterRoleBinding',
  customresourcedefinitions: 'CustomResourceDefinition',
  sinks: 'Sink',
  clustersinks: 'ClusterSink',
  routes: 'Route',
  clusterroutes: 'ClusterRoute',
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function metadataOf(v: unknown): Obj | undefined {
  return isObj(v) && isObj(v.metadata) ? v.metadata : undefined;
}

/** The object the request was about, as a notification names it. */
export function involvedOf(e: AuditEvent): { apiVersion: string; kind: string; namespace: string; name: string; uid: string } {
  const ref = e.objectRef ?? {};
  const resource = ref.resource ?? '';
  // a subresource's body is something else (a Scale, a Binding): only the main resource's object names the kind
  const body = ref.subresource ? undefined : isObj(e.responseObject) ? e.responseObject : isObj(e.requestObject) ? e.requestObject : undefined;
  const bodyKind = body && typeof body.kind === 'string' && body.kind !== 'Status' ? body.kind : undefined;
  const kind = KINDS[resource] ?? bodyKind ?? resource;
  const apiVersion = ref.apiGroup ? `${ref.apiGroup}/${ref.apiVersion ?? ''}` : (ref.apiVersion ?? '');
  const meta = metadataOf(e.responseObject);
  const uid = ref.uid || (ref.subresource ? '' : typeof meta?.uid === 'string' ? meta.uid : '');
  return { apiVersion, kind, namespace: ref.namespace ?? '', name: ref.name ?? '', uid };
}

const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** The restartedAt annotation a patch sets (kubectl rollout restart), if it does. */
function restartedAt(e: AuditEvent): string | undefined {
  if (e.verb !== 'patch' && e.verb !== 'update') return undefined;
  if (Array.isArray(e.requestObject)) return restartedAtInJsonPatch(e.requestObject);
  const spec = isObj(e.requestObject) ? e.requestObject.spec : undefined;
  const template = isObj(spec) ? spec.template : undefined;
  const annotations = metadataOf(template)?.annotations;
  const v = isObj(annotations) ? annotations[RESTARTED_AT] : undefined;
  if (typeof v !== 'string') return undefined;
  // an update carries the whole object: only a patch says "restart now"; an update says it if the value changed, which we cannot see
  return e.verb === 'patch' ? v : undefined;
}

/** A JSON patch (a list of operations) that sets the annotation, as `kubectl patch --type=json` would. */
function restartedAtInJsonPatch(ops: unknown[]): string | undefined {
  const annotationPath = '/spec/template/metadata/annotations';
  for (const op of ops) {
    if (!isObj(op) || (op.op !== 'add' && op.op !== 'replace')) continue;
    if (op.path === `${annotationPath}/${RESTARTED_AT.replace(/~/g, '~0').replace(/\//g, '~1')}` && typeof op.value === 'string') return op.value;
    if (op.path === annotationPath && isObj(op.value) && typeof op.value[RESTARTED_AT] === 'string') return op.value[RESTARTED_AT] as string;
  }
  return undefined;
}

function replicasOf(e: AuditEvent): number | undefined {
  for (const o of [e.responseObject, e.requestObject]) {
    const spec = isObj(o) ? o.spec : undefined;
    if (isObj(spec) && typeof spec.replicas === 'number') return spec.replicas;
  }
  return undefined;
}

export type ChangeReason = 'Created' | 'Changed' | 'Scaled' | 'RolloutRestarted' | 'Deleted';

export interface ChangeKind {
  reason: ChangeReason;
  /** past tense for titles: "scaled to 3" */
  verbPhrase: string;
}

export function classifyChange(e: AuditEvent): ChangeKind {
  const sub = e.objectRef?.subresource ?? '';
  if (e.verb === 'delete' || e.verb === 'deletecollection') return { reason: 'Deleted', verbPhrase: 'deleted' };
  if (e.verb === 'create' && !sub) return { reason: 'Created', verbPhrase: 'created' };
  if (sub === 'scale') {
    const n = replicasOf(e);
    return { reason: 'Scaled', verbPhrase: n === undefined ? 'scaled' : `scaled to ${n}` };
  }
  if (!sub && restartedAt(e) !== undefined) return { reason: 'RolloutRestarted', verbPhrase: 'restarted (rollout restart)' };
  return { reason: 'Changed', verbPhrase: sub ? `changed (${sub})` : 'changed' };
}

export interface AuditNotificationOptions {
  cluster: string;
}

/** The notification for one notifiable write (see isNotifiableWrite). */
export function auditNotification(e: AuditEvent, opts: AuditNotificationOptions): Notification {
  const involved = involvedOf(e);
  const change = classifyChange(e);
  const actor = actorOf(e);
  const where = involved.namespace ? `${involved.namespace}/${involved.name}` : involved.name;
  const target = `${involved.kind} ${where || `(all ${e.objectRef?.resource ?? ''})`}`.trim();
  const fields: Record<string, string> = {
    verb: e.verb,
    responseCode: String(e.responseStatus?.code ?? ''),
    requestURI: e.requestURI,
    auditID: e.auditID,
  };
  if (e.userAgent) fields.userAgent = e.userAgent;
  if (e.objectRef?.resource) fields.resource = e.objectRef.resource;
  if (e.objectRef?.subresource) fields.subresource = e.objectRef.subresource;
  if (e.impersonatedUser?.username) fields.impersonatedBy = e.user.username;
  if (e.sourceIPs?.length) fields.sourceIP = e.sourceIPs[0];
  if (change.reason === 'Scaled' && replicasOf(e) !== undefined) fields.replicas = String(replicasOf(e));
  if (change.reason === 'RolloutRestarted') fields.restartedAt = restartedAt(e)!;
  const meta = metadataOf(e.responseObject) ?? metadataOf(e.requestObject);
  const labels: Record<string, string> = {};
  if (isObj(meta?.labels)) for (const [k, v] of Object.entries(meta.labels)) if (typeof v === 'string') labels[k] = v;
  const time = new Date(e.stageTimestamp ?? e.requestReceivedTimestamp ?? 0);
  const key = `audit/${e.auditID}`;
  return create(NotificationSchema, {
    idempotencyKey: createHash('sha256').update(key).digest('hex').slice(0, 32),
    incidentKey: key,
    eventTime: timestampFromDate(Number.isFinite(time.getTime()) ? time : new Date(0)),
    severity: Severity.INFO,
    state: State.FIRING,
    reason: change.reason,
    title: `${target} ${change.verbPhrase} by ${actor.username}`,
    message: `${actor.username} ${e.verb} ${e.objectRef?.resource ?? ''}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''} ${where}`.replace(/\s+/g, ' ').trim(),
    involvedObject: create(ObjectRefSchema, involved),
    cluster: opts.cluster,
    labels,
    user: actor,
    count: 1,
    fields,
    detector: 'audit',
  });
}
