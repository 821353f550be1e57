// The audit source without a cluster: parsing and refusing batches, the
// mapping from audit events to notifications, the correlation cache, and the
// HTTPS endpoint's authentication and error replies.

import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { type Notification, Severity, State } from '../../src/model/notification.ts';
import { ActorCorrelation } from '../../src/sources/audit-correlation.ts';
import { type AuditEvent, auditNotification, classifyChange, DEFAULT_AUDIT_FILTER, isNotifiableWrite, parseEventList } from '../../src/sources/audit-event.ts';
import { AuditSource } from '../../src/sources/audit.ts';
import { servingCert } from '../../src/sim/tls.ts';
import { silentLogger } from '../../src/model/logger.ts';

const quiet = silentLogger;

function event(over: Partial<AuditEvent> & Record<string, unknown> = {}): AuditEvent {
  return {
    level: 'RequestResponse',
    auditID: 'a1b2c3',
    stage: 'ResponseComplete',
    requestURI: '/apis/apps/v1/namespaces/shop/deployments/web/scale',
    verb: 'patch',
    user: { username: 'admin', groups: ['system:masters', 'system:authenticated'] },
    impersonatedUser: { username: 'expert@org.com', groups: ['system:authenticated'] },
    sourceIPs: ['10.0.0.7'],
    userAgent: 'kubectl/v1.32.4',
    objectRef: { resource: 'deployments', namespace: 'shop', name: 'web', apiGroup: 'apps', apiVersion: 'v1', subresource: 'scale' },
    responseStatus: { code: 200 },
    requestObject: { spec: { replicas: 3 } },
    responseObject: { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'web', namespace: 'shop', uid: 'dep-uid' }, spec: { replicas: 3 } },
    requestReceivedTimestamp: '2025-03-01T10:00:00.000000Z',
    stageTimestamp: '2025-03-01T10:00:00.004000Z',
    ...over,
  } as AuditEvent;
}

const list = (items: unknown[]): string => JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items });

describe('parseEventList', () => {
  test('accepts a webhook batch, items with or without TypeMeta', () => {
    const r = parseEventList(list([event(), { ...event({ auditID: 'x2' }), kind: 'Event', apiVersion: 'audit.k8s.io/v1' }]));
    assert.equal(r.ok, true);
    assert.deepEqual(r.ok && r.events.map((e) => e.auditID), ['a1b2c3', 'x2']);
  });

  test('an empty batch is fine', () => {
    assert.deepEqual(parseEventList(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {} })), { ok: true, events: [] });
  });

  test('refuses malformed bodies with the reason and the field', () => {
    const cases: [string, string, string][] = [
      ['{"kind": "EventList",', 'InvalidJSON', 'the body is not JSON'],
      ['[]', 'NotEventList', 'expected an audit.k8s.io/v1 EventList object'],
      [JSON.stringify({ kind: 'PodList', apiVersion: 'audit.k8s.io/v1', items: [] }), 'NotEventList', 'kind: expected kind EventList'],
      [JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1beta1', items: [] }), 'NotEventList', 'apiVersion: expected apiVersion audit.k8s.io/v1'],
      [JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: {} }), 'NotEventList', 'items: expected a list'],
      [list([event(), { ...event(), auditID: undefined }]), 'InvalidEvent', 'items[1].auditID:'],
      [list([{ ...event(), user: { groups: [] } }]), 'InvalidEvent', 'items[0].user.username: expected a string'],
      [list([{ ...event(), stage: 'Sometime' }]), 'InvalidEvent', 'items[0].stage:'],
      [list([{ ...event(), stageTimestamp: 'yesterday' }]), 'InvalidEvent', 'items[0].stageTimestamp: expected an RFC 3339 time'],
    ];
    for (const [body, reason, message] of cases) {
      const r = parseEventList(body);
      assert.equal(r.ok, false, body);
      if (r.ok) continue;
      assert.equal(r.reason, reason, body);
      assert.ok(r.message.startsWith(message), `${body}: ${r.message}`);
    }
  });
});

describe('audit events to notifications', () => {
  test('kubectl scale --as: Scaled, attributed to the impersonated user', () => {
    const n = auditNotification(event(), { cluster: 'prod' });
    assert.equal(n.reason, 'Scaled');
    assert.equal(n.severity, Severity.INFO);
    assert.equal(n.state, State.FIRING);
    assert.equal(n.detector, 'audit');
    assert.equal(n.cluster, 'prod');
    assert.deepEqual({ ...n.involvedObject, $typeName: undefined }, { $typeName: undefined, apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web', uid: '' });
    assert.equal(n.user?.username, 'expert@org.com');
    assert.deepEqual(n.user?.groups, ['system:authenticated']);
    assert.equal(n.title, 'Deployment shop/web scaled to 3 by expert@org.com');
    assert.deepEqual(n.fields, {
      verb: 'patch',
      responseCode: '200',
      requestURI: '/apis/apps/v1/namespaces/shop/deployments/web/scale',
      auditID: 'a1b2c3',
      userAgent: 'kubectl/v1.32.4',
      resource: 'deployments',
      subresource: 'scale',
      impersonatedBy: 'admin',
      sourceIP: '10.0.0.7',
      replicas: '3',
    });
    assert.equal(timestampDate(n.eventTime!).toISOString(), '2025-03-01T10:00:00.004Z');
    assert.equal(n.incidentKey, 'audit/a1b2c3');
    assert.match(n.idempotencyKey, /^[0-9a-f]{32}$/);
  });

  test('without impersonation the authenticated user is the actor', () => {
    const n = auditNotification(event({ impersonatedUser: undefined }), { cluster: 'c' });
    assert.equal(n.user?.username, 'admin');
    assert.equal(n.fields.impersonatedBy, undefined);
  });

  test('reasons: created, changed, rollout restart, deleted', () => {
    const base = { objectRef: { resource: 'deployments', namespace: 'shop', name: 'web', apiGroup: 'apps', apiVersion: 'v1' } };
    const restart = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-03-01T10:00:00Z' } } } } };
    assert.equal(classifyChange(event({ ...base, verb: 'create' })).reason, 'Created');
    assert.equal(classifyChange(event({ ...base, verb: 'update', requestObject: { spec: { replicas: 2 } } })).reason, 'Changed');
    assert.equal(classifyChange(event({ ...base, verb: 'patch', requestObject: { spec: { template: { spec: {} } } } })).reason, 'Changed');
    assert.equal(classifyChange(event({ ...base, verb: 'patch', requestObject: restart })).reason, 'RolloutRestarted');
    assert.equal(classifyChange(event({ ...base, verb: 'delete', requestObject: undefined })).reason, 'Deleted');
    // a JSON patch body is a list of operations
    const jsonPatch = [{ op: 'add', path: '/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt', value: '2025-03-01T10:00:00Z' }];
    assert.equal(classifyChange(event({ ...base, verb: 'patch', requestObject: jsonPatch })).reason, 'RolloutRestarted');
    assert.equal(classifyChange(event({ ...base, verb: 'patch', requestObject: [{ op: 'replace', path: '/spec/replicas', value: 2 }] })).reason, 'Changed');
    const n = auditNotification(event({ ...base, verb: 'patch', requestObject: restart, responseObject: { kind: 'Deployment', metadata: { uid: 'u-1', labels: { app: 'web' } } } }), { cluster: 'c' });
    assert.equal(n.fields.restartedAt, '2025-03-01T10:00:00Z');
    assert.equal(n.involvedObject?.uid, 'u-1');
    assert.deepEqual(n.labels, { app: 'web' });
  });

  test('only completed, successful, real writes by people are notified', () => {
    const f = DEFAULT_AUDIT_FILTER;
    assert.equal(isNotifiableWrite(event(), f), true);
    assert.equal(isNotifiableWrite(event({ verb: 'get' }), f), false);
    assert.equal(isNotifiableWrite(event({ stage: 'RequestReceived' }), f), false);
    assert.equal(isNotifiableWrite(event({ responseStatus: { code: 403 } }), f), false);
    assert.equal(isNotifiableWrite(event({ requestURI: '/apis/apps/v1/namespaces/shop/deployments/web/scale?dryRun=All' }), f), false);
    assert.equal(isNotifiableWrite(event({ objectRef: { resource: 'pods', namespace: 'shop', name: 'p', apiVersion: 'v1', subresource: 'status' } }), f), false);
    assert.equal(isNotifiableWrite(event({ objectRef: { resource: 'leases', namespace: 'kube-system', name: 'x', apiVersion: 'v1' } }), f), false);
    assert.equal(isNotifiableWrite(event({ impersonatedUser: undefined, user: { username: 'system:node:node-1', groups: [] } }), f), false);
    assert.equal(isNotifiableWrite(event({ impersonatedUser: undefined, user: { username: 'system:serviceaccount:ci:deployer', groups: [] } }), f), true);
  });
});

describe('ActorCorrelation', () => {
  const actor = (username: string) => ({ username, groups: [], uid: '' }) as never;
  test('finds the writer of the same object within the window, the closest write first', () => {
    const c = new ActorCorrelation({ windowMs: 5000 });
    const ref = { kind: 'Deployment', namespace: 'shop', name: 'web' };
    c.record(ref, new Date(10_000), actor('a@org.com'));
    c.record(ref, new Date(13_000), actor('b@org.com'));
    assert.equal(c.attributeUser(ref, new Date(10_500))?.username, 'a@org.com');
    assert.equal(c.attributeUser(ref, new Date(12_900))?.username, 'b@org.com');
    // the batch may arrive after the watch event: a write shortly after still counts
    assert.equal(c.attributeUser(ref, new Date(9_000))?.username, 'a@org.com');
    assert.equal(c.attributeUser(ref, new Date(18_001)), undefined);
    assert.equal(c.attributeUser({ ...ref, namespace: 'other' }, new Date(10_000)), undefined);
    assert.equal(c.attributeUser({ ...ref, kind: 'StatefulSet' }, new Date(10_000)), undefined);
  });

  test('a pod notification is attributed through its owner', () => {
    const c = new ActorCorrelation();
    c.record({ kind: 'Deployment', namespace: 'shop', name: 'web' }, new Date(1000), actor('expert@org.com'));
    const n = { involvedObject: { kind: 'Pod', namespace: 'shop', name: 'web-1' }, owner: { kind: 'Deployment', namespace: 'shop', name: 'web' } } as unknown as Notification;
    assert.equal(c.attributeNotification(n, new Date(2000))?.username, 'expert@org.com');
  });

  test('stays bounded', () => {
    const c = new ActorCorrelation({ maxObjects: 3 });
    for (let i = 0; i < 10; i++) c.record({ kind: 'Pod', namespace: 'a', name: `p${i}` }, new Date(0), actor('x'));
    assert.equal(c.size, 3);
    assert.equal(c.attributeUser({ kind: 'Pod', namespace: 'a', name: 'p0' }, new Date(0)), undefined);
    assert.equal(c.attributeUser({ kind: 'Pod', namespace: 'a', name: 'p9' }, new Date(0))?.username, 'x');
  });
});

describe('AuditSource endpoint', () => {
  let source: AuditSource;
  let url: string;
  let ca: string;
  const got: Notification[] = [];

  before(async () => {
    const tls = await servingCert(['127.0.0.1']);
    ca = tls.cert;
    source = new AuditSource({ host: '127.0.0.1', port: 0, tls, bearerToken: 's3cret-token', cluster: 'test', log: quiet, onNotification: (n) => got.push(n) });
    url = await source.listen();
  });
  after(() => source.close());

  function post(path: string, body: string, token: string | null = 's3cret-token', method = 'POST'): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
      const req = request(url + path, { method, ca, headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  test('a valid batch is accepted and notified', async () => {
    const r = await post('/audit', list([event(), event({ auditID: 'r1', verb: 'get' })]));
    assert.deepEqual(r, { status: 200, body: { accepted: 2 } });
    assert.equal(got.length, 1);
    assert.equal(got[0].user?.username, 'expert@org.com');
    assert.equal(source.stats.skipped, 1);
    assert.equal(source.attributeUser({ kind: 'Deployment', namespace: 'shop', name: 'web' }, new Date('2025-03-01T10:00:02Z'))?.username, 'expert@org.com');
  });

  test('malformed batches: 400 with the reason, counted, and the endpoint keeps serving', async () => {
    const before = { ...source.stats.malformed };
    const bad = await post('/audit', '{"kind":"EventList"');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.reason, 'InvalidJSON');
    assert.match(bad.body.error, /^the body is not JSON/);
    const wrong = await post('/audit', list([{ ...event(), verb: '' }]));
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.reason, 'InvalidEvent');
    assert.match(wrong.body.error, /^items\[0\]\.verb:/);
    assert.equal(source.stats.malformed.InvalidJSON, before.InvalidJSON + 1);
    assert.equal(source.stats.malformed.InvalidEvent, before.InvalidEvent + 1);
    assert.equal((await post('/audit', list([]))).status, 200);
  });

  test('bearer token: missing or wrong is 401 and counted; the token is never echoed', async () => {
    const n = source.stats.unauthorized;
    const none = await post('/audit', list([]), null);
    assert.equal(none.status, 401);
    const wrong = await post('/audit', list([]), 's3cret-tokeX');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, 'unauthorized: invalid bearer token');
    assert.equal(source.stats.unauthorized, n + 2);
  });

  test('other paths and methods', async () => {
    assert.equal((await post('/events', list([]))).status, 404);
    assert.equal((await post('/audit', '', 's3cret-token', 'PUT')).status, 405);
  });
});
