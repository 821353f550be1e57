// The notification the sink tests format and send:
// a crash-looping pod of a Deployment, with detector fields.

import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { type Notification, NotificationSchema, Severity, State } from '../../src/model/notification.ts';

export type NotificationInit = Omit<MessageInitShape<typeof NotificationSchema>, '$typeName'>;

export function crashLoop(over: NotificationInit = {}): Notification {
  return create(NotificationSchema, {
    idempotencyKey: 'k1',
    incidentKey: 'pod/uid-1/app/CrashLoopBackOff',
    eventTime: timestampFromDate(new Date('2025-03-04T12:01:05Z')),
    severity: Severity.CRITICAL,
    state: State.FIRING,
    reason: 'CrashLoopBackOff',
    title: 'web-7d9c-abcde is crash-looping',
    message: 'container app restarted 5 times: back-off 40s restarting failed container',
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: 'web-7d9c-abcde', uid: 'uid-1' },
    owner: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo', name: 'web', uid: 'uid-2' },
    cluster: 'prod',
    count: 5,
    fields: { container: 'app', restarts: '5' },
    ...over,
  });
}
