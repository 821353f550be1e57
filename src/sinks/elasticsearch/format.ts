// A Notification as an Elasticsearch document (ECS names, see mapping.ts and
// the README), and the document's _id. Pure: the processing time comes in as
// `now`.

import { createHash } from 'node:crypto';
import { toJsonString } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { type Notification, NotificationSchema, type ObjectRef, Severity, State } from '../../model/notification.ts';
import { ECS_VERSION } from './mapping.ts';

export interface FormatOptions {
  includeRawObject: boolean;
  /** processing time: event.created, and @timestamp for a notification without an event time */
  now: Date;
}

export type Document = Record<string, unknown>;

/** Elasticsearch refuses longer _ids. */
export const MAX_ID_BYTES = 512;

// last-applied-configuration is the whole object again (env values included): never copied into annotations
const SKIPPED_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);

const SEVERITY_WORD: Record<number, string> = { [Severity.INFO]: 'info', [Severity.WARNING]: 'warning', [Severity.CRITICAL]: 'critical' };
const STATE_WORD: Record<number, string> = { [State.FIRING]: 'firing', [State.RESOLVED]: 'resolved' };

/**
 * The document's _id: the idempotency key, so a second delivery of the same
 * notification is a conflict rather than a second document. A key too long
 * for an _id is hashed; a notification without a key is identified by its
 * content, so a repeat of it is still caught.
 */
export function documentId(n: Notification): string {
  const key = n.idempotencyKey;
  if (key && Buffer.byteLength(key) <= MAX_ID_BYTES) return key;
  return createHash('sha256')
    .update(key || toJsonString(NotificationSchema, n))
    .digest('hex');
}

export function formatDocument(n: Notification, opts: FormatOptions): Document {
  const involved = n.involvedObject;
  const owner = n.owner?.name ? n.owner : undefined;
  const kind = involved?.kind ?? '';
  const namespace = involved?.namespace ?? '';
  const doc = compact({
    '@timestamp': (n.eventTime ? timestampDate(n.eventTime) : opts.now).toISOString(),
    message: n.message,
    ecs: { version: ECS_VERSION },
    event: {
      id: n.idempotencyKey,
      // info notifications (completed rollouts, Normal events) are news, not alerts
      kind: n.severity === Severity.INFO ? 'event' : 'alert',
      action: STATE_WORD[n.state],
      reason: n.reason,
      provider: n.detector,
      module: 'kubeherald',
      dataset: 'kubeherald.notification',
      severity: n.severity === Severity.UNSPECIFIED ? undefined : n.severity,
      created: opts.now.toISOString(),
    },
    log: { level: SEVERITY_WORD[n.severity] },
    orchestrator: {
      type: 'kubernetes',
      cluster: { name: n.cluster },
      namespace,
      resource: {
        type: kind.toLowerCase(),
        name: involved?.name,
        id: involved?.uid,
        parent: { type: owner?.kind },
      },
    },
    kubernetes: {
      namespace,
      involved_object: involved && ref(involved),
      owner: owner && ref(owner),
      pod: kind === 'Pod' ? { name: involved?.name, uid: involved?.uid } : undefined,
      node: { name: kind === 'Node' ? involved?.name : n.fields.node },
      container: { name: n.fields.container },
      deployment: { name: kind === 'Deployment' ? involved?.name : owner?.kind === 'Deployment' ? owner.name : undefined },
      event: { type: n.eventType },
    },
    user: n.user && {
      name: n.user.username,
      id: n.user.uid,
      group: { name: n.user.groups.length ? [...n.user.groups] : undefined },
    },
    kubeherald: {
      incident_key: n.incidentKey,
      title: n.title,
      count: n.count || undefined,
    },
  });
  // maps go in as they are, after compact(): an empty label value is a value
  const annotations = annotationsOf(n);
  if (Object.keys(n.labels).length) child(doc, 'kubernetes').labels = { ...n.labels };
  if (annotations) child(doc, 'kubernetes').annotations = annotations;
  if (opts.includeRawObject && n.rawObject) child(doc, 'kubernetes').object = n.rawObject;
  if (Object.keys(n.fields).length) child(doc, 'kubeherald').fields = { ...n.fields };
  return doc;
}

function ref(r: ObjectRef): Record<string, string> {
  return { api_version: r.apiVersion, kind: r.kind, name: r.name, namespace: r.namespace, uid: r.uid };
}

function annotationsOf(n: Notification): Record<string, string> | undefined {
  const metadata = n.rawObject?.metadata;
  const given = metadata && typeof metadata === 'object' && !Array.isArray(metadata) ? metadata.annotations : undefined;
  if (!given || typeof given !== 'object' || Array.isArray(given)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(given)) if (typeof v === 'string' && !SKIPPED_ANNOTATIONS.has(k)) out[k] = v;
  return Object.keys(out).length ? out : undefined;
}

function child(doc: Document, key: string): Record<string, unknown> {
  return (doc[key] ??= {}) as Record<string, unknown>;
}

/** Drops undefined, "" and what is left empty, so a document holds only what is known. */
function compact(value: Record<string, unknown>): Document {
  const out: Document = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || v === '') continue;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const inner = compact(v as Record<string, unknown>);
      if (Object.keys(inner).length) out[k] = inner;
    } else out[k] = v;
  }
  return out;
}
