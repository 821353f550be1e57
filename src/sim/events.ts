// Records core/v1 Events the way client-go's EventRecorder and its
// EventCorrelator do: a repeat of the same event (same object, reason,
// message, source) bumps `count` and `lastTimestamp` on the existing Event
// instead of creating a new one. Detectors downstream rely on that shape.

import type { ObjectStore } from './store.ts';
import { EVENTS } from './refs.ts';
import type { KObject } from './types.ts';

export interface EventSource {
  /** e.g. "kubelet", "deployment-controller", "default-scheduler", "node-controller" */
  component: string;
  /** node name for kubelet events */
  host?: string;
}

export interface EventInput {
  /** the object the event is about */
  object: KObject;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  source: EventSource;
  /** e.g. "spec.containers{app}" */
  fieldPath?: string;
  action?: string;
}

export class EventRecorder {
  #store: ObjectStore;
  /** aggregation key → event name */
  #seen = new Map<string, string>();

  constructor(store: ObjectStore) {
    this.#store = store;
  }

  record(e: EventInput): KObject {
    const meta = e.object.metadata;
    const ns = meta.namespace || 'default';
    const involved: Record<string, unknown> = {
      kind: e.object.kind,
      namespace: meta.namespace,
      name: meta.name,
      uid: meta.uid,
      apiVersion: e.object.apiVersion,
      resourceVersion: meta.resourceVersion,
    };
    if (e.fieldPath) involved.fieldPath = e.fieldPath;
    if (!meta.namespace) delete involved.namespace;
    const aggKey = [e.source.component, e.source.host, meta.uid, e.fieldPath, e.type, e.reason, e.message].join('\u0000');
    const now = this.#store.clock.nowIso();
    const existing = this.#seen.get(aggKey);
    if (existing && this.#store.get(EVENTS.storage, ns, existing)) {
      return this.#store.mutate(EVENTS, ns, existing, (ev) => {
        ev.count = ((ev.count as number) ?? 1) + 1;
        ev.lastTimestamp = now;
      });
    }
    const source: Record<string, string> = { component: e.source.component };
    if (e.source.host) source.host = e.source.host;
    // the real recorder names events "<object>.<unix nanos in hex>"
    const name = `${meta.name}.${(BigInt(this.#store.clock.nowMs()) * 1_000_000n + BigInt(this.#seen.size % 1_000_000)).toString(16)}`;
    const ev = this.#store.create(EVENTS, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject: involved,
      reason: e.reason,
      message: e.message,
      source,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type: e.type,
      eventTime: null,
      reportingComponent: e.source.component,
      reportingInstance: e.source.host ?? '',
      ...(e.action ? { action: e.action } : {}),
    });
    this.#seen.set(aggKey, name);
    return ev;
  }
}
