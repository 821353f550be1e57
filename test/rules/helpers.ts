// Notifications and routes for the rules tests, written as briefly as the
// tests need them.

import { create } from '@bufbuild/protobuf';
import { type Notification, NotificationSchema, Severity, State } from '../../src/model/notification.ts';
import type { KnownSink, MatchSpec, RouteSpec } from '../../src/rules/index.ts';

export interface N {
  kind?: string;
  ns?: string;
  name?: string;
  reason?: string;
  severity?: 'critical' | 'warning' | 'info';
  state?: 'firing' | 'resolved';
  eventType?: string;
  detector?: string;
  user?: string;
  groups?: string[];
  labels?: Record<string, string>;
  fields?: Record<string, string>;
  count?: number;
  message?: string;
  owner?: { kind: string; name: string };
}

const SEV = { critical: Severity.CRITICAL, warning: Severity.WARNING, info: Severity.INFO };

export function notification(n: N = {}): Notification {
  return create(NotificationSchema, {
    reason: n.reason ?? 'CrashLoopBackOff',
    severity: SEV[n.severity ?? 'critical'],
    state: n.state === 'resolved' ? State.RESOLVED : State.FIRING,
    eventType: n.eventType ?? '',
    detector: n.detector ?? 'crashLoopBackOff',
    involvedObject: { apiVersion: 'v1', kind: n.kind ?? 'Pod', namespace: n.ns ?? 'prod', name: n.name ?? 'web-1', uid: 'u-1' },
    owner: n.owner,
    user: n.user !== undefined ? { username: n.user, groups: n.groups ?? [] } : undefined,
    labels: n.labels ?? {},
    fields: n.fields ?? {},
    count: n.count ?? 1,
    message: n.message ?? '',
    cluster: 'test',
  });
}

/** A config route; `sinks` default to ["a"]. */
export function route(name: string, match: MatchSpec, extra: Partial<RouteSpec> = {}): RouteSpec {
  return { id: `config/${name}`, name, source: 'config', order: 0, match, sinks: [{ name: 'a' }], ...extra };
}

/** Config routes in the given order. */
export function ordered(...routes: RouteSpec[]): RouteSpec[] {
  return routes.map((r, i) => ({ ...r, order: i }));
}

export const CONFIG_SINKS: KnownSink[] = ['a', 'b', 'c'].map((name) => ({ name, kind: 'config' }));
