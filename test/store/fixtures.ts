// Rows the store tests write: a delivery (a fresh idempotency key each) and
// a tracked incident, with what a test sets over them; and a retention policy.

import type { TrackedIncident } from '../../src/detect/tracker.ts';
import { Severity } from '../../src/model/notification.ts';
import type { NewDelivery, RetentionPolicy } from '../../src/store/types.ts';
import { T0 } from '../pipeline/helpers.ts';

let seq = 0;

export function delivery(over: Partial<NewDelivery> = {}): NewDelivery {
  return { sink: 's', target: 't', orderingKey: 't', idempotencyKey: `k${++seq}`, payload: new Uint8Array([1, 2, 3]), members: 1, createdAt: T0, ...over };
}

export function incident(key: string, extra: Partial<TrackedIncident> = {}): TrackedIncident {
  return {
    key,
    objectUid: `uid-${key}`,
    openedAt: '2025-03-04T12:00:00Z',
    since: '2025-03-04T12:00:00Z',
    dueAt: T0,
    notified: true,
    holding: false,
    observation: { kind: 'level', key, state: 'firing', detector: 'crashLoopBackOff', severity: Severity.CRITICAL, reason: 'CrashLoopBackOff', title: 't', message: 'm' },
    labels: {},
    ...extra,
  };
}

/** an hour for delivered rows, a week for dead letters and dedup keys, 30 days for thread refs and requests, 90 for audit */
export const RETAIN: RetentionPolicy = { deliveredMs: 3600_000, deadMs: 7 * 86_400_000, dedupMs: 7 * 86_400_000, threadsMs: 30 * 86_400_000, auditMs: 90 * 86_400_000, requestsMs: 30 * 86_400_000 };
