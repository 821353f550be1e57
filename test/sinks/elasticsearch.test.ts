// The elasticsearch sink: the exact document per incident kind, the exact
// template and mapping, error classification, and delivery through the
// official client against the local fake (test/fakes/elasticsearch.ts).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ConfigError } from '../../src/config-kit/errors.ts';
import { parseConfigText } from '../../src/config/index.ts';
import { type Notification, NotificationSchema, Severity, State } from '../../src/model/notification.ts';
import { classifyItem, classifyRequestError, DEFAULT_RATE_LIMIT_DELAY_MS, retryAfterMs } from '../../src/sinks/elasticsearch/classify.ts';
import {
  createElasticsearchSink,
  documentId,
  documentMappings,
  type ElasticsearchSink,
  elasticsearchSinkSchema,
  formatDocument,
  ilmPolicy,
  indexTemplate,
} from '../../src/sinks/elasticsearch/index.ts';
import { createSink, SinkError } from '../../src/sinks/index.ts';
import { servingCert } from '../../src/sim/tls.ts';
import { type FakeElasticsearch, type FakeElasticsearchOptions, startFakeElasticsearch } from '../fakes/elasticsearch.ts';
import { type LogEntry, recordingLog } from '../helpers/log.ts';

const EVENT_TIME = '2025-03-04T12:01:05.250Z';
const NOW = new Date('2025-03-04T12:05:00.000Z');
const FAKE_NOW = Date.parse('2025-03-04T12:05:01.000Z');
const BACKING = '.ds-kubeherald-events-2025.03.04-000001';

type Init = Omit<MessageInitShape<typeof NotificationSchema>, '$typeName'>;

const POD = { apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: 'web-7d9c-abcde', uid: 'uid-pod' };
const DEPLOY = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo', name: 'web', uid: 'uid-deploy' };
const NODE = { apiVersion: 'v1', kind: 'Node', name: 'sim-node-2', uid: 'uid-node' };
const LABELS = { app: 'web', 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/part-of': 'shop', 'pod-template-hash': '7d9c' };

function notification(init: Init): Notification {
  return create(NotificationSchema, { eventTime: timestampFromDate(new Date(EVENT_TIME)), cluster: 'prod', state: State.FIRING, ...init });
}

const ECS_BASE = { module: 'kubeherald', dataset: 'kubeherald.notification', created: NOW.toISOString() };

// ------------------------------------------------------------ the incident kinds, each with its exact document

function podCase(name: string, init: Init, event: Record<string, unknown>, level: string, kubeherald: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    name,
    n: notification({ involvedObject: POD, owner: DEPLOY, labels: LABELS, ...init }),
    doc: {
      '@timestamp': EVENT_TIME,
      message: init.message,
      ecs: { version: '8.17.0' },
      event: { ...event, ...ECS_BASE },
      log: { level },
      orchestrator: { type: 'kubernetes', cluster: { name: 'prod' }, namespace: 'demo', resource: { type: 'pod', name: 'web-7d9c-abcde', id: 'uid-pod', parent: { type: 'Deployment' } } },
      kubernetes: {
        namespace: 'demo',
        involved_object: { api_version: 'v1', kind: 'Pod', name: 'web-7d9c-abcde', namespace: 'demo', uid: 'uid-pod' },
        owner: { api_version: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'demo', uid: 'uid-deploy' },
        pod: { name: 'web-7d9c-abcde', uid: 'uid-pod' },
        deployment: { name: 'web' },
        labels: LABELS,
        ...extra,
      },
      kubeherald,
    },
  };
}

const CASES = [
  podCase(
    'crash loop, firing',
    {
      idempotencyKey: 'k-crash-firing',
      incidentKey: 'pod/uid-pod/app/CrashLoopBackOff',
      severity: Severity.CRITICAL,
      reason: 'CrashLoopBackOff',
      title: 'web-7d9c-abcde is crash-looping',
      message: 'container app restarted 5 times: back-off 40s restarting failed container',
      detector: 'crashLoopBackOff',
      count: 5,
      fields: { container: 'app', restarts: '5', exitCode: '1' },
    },
    { id: 'k-crash-firing', kind: 'alert', action: 'firing', reason: 'CrashLoopBackOff', provider: 'crashLoopBackOff', severity: 3 },
    'critical',
    { incident_key: 'pod/uid-pod/app/CrashLoopBackOff', title: 'web-7d9c-abcde is crash-looping', count: 5, fields: { container: 'app', restarts: '5', exitCode: '1' } },
    { container: { name: 'app' } },
  ),
  podCase(
    'crash loop, resolved',
    {
      idempotencyKey: 'k-crash-resolved',
      incidentKey: 'pod/uid-pod/app/CrashLoopBackOff',
      severity: Severity.CRITICAL,
      state: State.RESOLVED,
      reason: 'CrashLoopBackOff',
      title: 'web-7d9c-abcde recovered',
      message: 'container app is running again',
      detector: 'crashLoopBackOff',
      count: 5,
      fields: { container: 'app' },
    },
    { id: 'k-crash-resolved', kind: 'alert', action: 'resolved', reason: 'CrashLoopBackOff', provider: 'crashLoopBackOff', severity: 3 },
    'critical',
    { incident_key: 'pod/uid-pod/app/CrashLoopBackOff', title: 'web-7d9c-abcde recovered', count: 5, fields: { container: 'app' } },
    { container: { name: 'app' } },
  ),
  podCase(
    'OOM kill (annotations from the raw object, never last-applied-configuration)',
    {
      idempotencyKey: 'k-oom',
      incidentKey: 'pod/uid-pod/app/OOMKilled',
      severity: Severity.CRITICAL,
      reason: 'OOMKilled',
      title: 'Container app was OOM-killed',
      message: 'container app used more than its 128Mi limit\nexit code 137',
      detector: 'oomKilled',
      count: 1,
      fields: { container: 'app', exitCode: '137', memoryLimit: '128Mi' },
      rawObject: {
        kind: 'Pod',
        metadata: {
          name: 'web-7d9c-abcde',
          annotations: { 'team.example.com/oncall': 'shop', 'kubectl.kubernetes.io/last-applied-configuration': '{"spec":{"env":[{"value":"s3cret"}]}}' },
        },
      },
    },
    { id: 'k-oom', kind: 'alert', action: 'firing', reason: 'OOMKilled', provider: 'oomKilled', severity: 3 },
    'critical',
    { incident_key: 'pod/uid-pod/app/OOMKilled', title: 'Container app was OOM-killed', count: 1, fields: { container: 'app', exitCode: '137', memoryLimit: '128Mi' } },
    { container: { name: 'app' }, annotations: { 'team.example.com/oncall': 'shop' } },
  ),
  podCase(
    'image pull error',
    {
      idempotencyKey: 'k-image',
      incidentKey: 'pod/uid-pod/app/ErrImagePull',
      severity: Severity.WARNING,
      reason: 'ErrImagePull',
      title: 'web-7d9c-abcde cannot pull its image',
      message: 'failed to pull image "ghcr.io/kubeherald/demo-app:9.9.9": not found',
      detector: 'badWaiting',
      count: 1,
      fields: { container: 'app' },
    },
    { id: 'k-image', kind: 'alert', action: 'firing', reason: 'ErrImagePull', provider: 'badWaiting', severity: 2 },
    'warning',
    { incident_key: 'pod/uid-pod/app/ErrImagePull', title: 'web-7d9c-abcde cannot pull its image', count: 1, fields: { container: 'app' } },
    { container: { name: 'app' } },
  ),
  podCase(
    'pod not ready',
    {
      idempotencyKey: 'k-notready',
      incidentKey: 'pod/uid-pod/NotReady',
      severity: Severity.WARNING,
      reason: 'PodNotReady',
      title: 'web-7d9c-abcde is not ready',
      message: 'containers with unready status: [app]',
      detector: 'podNotReady',
      fields: { unready: 'app', conditionReason: 'ContainersNotReady' },
    },
    { id: 'k-notready', kind: 'alert', action: 'firing', reason: 'PodNotReady', provider: 'podNotReady', severity: 2 },
    'warning',
    { incident_key: 'pod/uid-pod/NotReady', title: 'web-7d9c-abcde is not ready', fields: { unready: 'app', conditionReason: 'ContainersNotReady' } },
  ),
  podCase(
    'eviction',
    {
      idempotencyKey: 'k-evicted',
      incidentKey: 'pod/uid-pod/Evicted',
      severity: Severity.WARNING,
      reason: 'Evicted',
      title: 'web-7d9c-abcde was evicted',
      message: 'The node was low on resource: memory.',
      detector: 'evicted',
      fields: { node: 'sim-node-1' },
    },
    { id: 'k-evicted', kind: 'alert', action: 'firing', reason: 'Evicted', provider: 'evicted', severity: 2 },
    'warning',
    { incident_key: 'pod/uid-pod/Evicted', title: 'web-7d9c-abcde was evicted', fields: { node: 'sim-node-1' } },
    { node: { name: 'sim-node-1' } },
  ),
  podCase(
    'Warning event',
    {
      idempotencyKey: 'k-event',
      incidentKey: 'event/uid-event',
      severity: Severity.WARNING,
      reason: 'FailedMount',
      title: 'FailedMount on web-7d9c-abcde',
      message: 'MountVolume.SetUp failed for volume "config" : configmap "web-config" not found',
      detector: 'warningEvents',
      eventType: 'Warning',
      count: 3,
      fields: { component: 'kubelet', node: 'sim-node-1' },
    },
    { id: 'k-event', kind: 'alert', action: 'firing', reason: 'FailedMount', provider: 'warningEvents', severity: 2 },
    'warning',
    { incident_key: 'event/uid-event', title: 'FailedMount on web-7d9c-abcde', count: 3, fields: { component: 'kubelet', node: 'sim-node-1' } },
    { node: { name: 'sim-node-1' }, event: { type: 'Warning' } },
  ),
  {
    name: 'node not ready (cluster-scoped: no namespace)',
    n: notification({
      idempotencyKey: 'k-node',
      incidentKey: 'node/uid-node/NotReady',
      severity: Severity.CRITICAL,
      reason: 'NodeNotReady',
      title: 'sim-node-2 is not ready',
      message: 'Kubelet stopped posting node status.',
      involvedObject: NODE,
      labels: { 'kubernetes.io/hostname': 'sim-node-2', 'node-role.kubernetes.io/worker': '' },
      detector: 'nodeNotReady',
      fields: { node: 'sim-node-2', status: 'Unknown', conditionReason: 'NodeStatusUnknown' },
    }),
    doc: {
      '@timestamp': EVENT_TIME,
      message: 'Kubelet stopped posting node status.',
      ecs: { version: '8.17.0' },
      event: { id: 'k-node', kind: 'alert', action: 'firing', reason: 'NodeNotReady', provider: 'nodeNotReady', severity: 3, ...ECS_BASE },
      log: { level: 'critical' },
      orchestrator: { type: 'kubernetes', cluster: { name: 'prod' }, resource: { type: 'node', name: 'sim-node-2', id: 'uid-node' } },
      kubernetes: {
        involved_object: { api_version: 'v1', kind: 'Node', name: 'sim-node-2', uid: 'uid-node' },
        node: { name: 'sim-node-2' },
        // an empty label value is a value
        labels: { 'kubernetes.io/hostname': 'sim-node-2', 'node-role.kubernetes.io/worker': '' },
      },
      kubeherald: { incident_key: 'node/uid-node/NotReady', title: 'sim-node-2 is not ready', fields: { node: 'sim-node-2', status: 'Unknown', conditionReason: 'NodeStatusUnknown' } },
    },
  },
  {
    name: 'node pressure',
    n: notification({
      idempotencyKey: 'k-pressure',
      incidentKey: 'node/uid-node/DiskPressure',
      severity: Severity.WARNING,
      reason: 'DiskPressure',
      title: 'sim-node-2 reports DiskPressure',
      message: 'kubelet has disk pressure',
      involvedObject: NODE,
      detector: 'nodePressure',
      fields: { node: 'sim-node-2', condition: 'DiskPressure', conditionReason: 'KubeletHasDiskPressure' },
    }),
    doc: {
      '@timestamp': EVENT_TIME,
      message: 'kubelet has disk pressure',
      ecs: { version: '8.17.0' },
      event: { id: 'k-pressure', kind: 'alert', action: 'firing', reason: 'DiskPressure', provider: 'nodePressure', severity: 2, ...ECS_BASE },
      log: { level: 'warning' },
      orchestrator: { type: 'kubernetes', cluster: { name: 'prod' }, resource: { type: 'node', name: 'sim-node-2', id: 'uid-node' } },
      kubernetes: {
        involved_object: { api_version: 'v1', kind: 'Node', name: 'sim-node-2', uid: 'uid-node' },
        node: { name: 'sim-node-2' },
      },
      kubeherald: {
        incident_key: 'node/uid-node/DiskPressure',
        title: 'sim-node-2 reports DiskPressure',
        fields: { node: 'sim-node-2', condition: 'DiskPressure', conditionReason: 'KubeletHasDiskPressure' },
      },
    },
  },
  {
    name: 'rollout stuck, changed by a user (audit)',
    n: notification({
      idempotencyKey: 'k-rollout',
      incidentKey: 'deployment/uid-deploy/ProgressDeadlineExceeded',
      severity: Severity.WARNING,
      reason: 'ProgressDeadlineExceeded',
      title: 'Rollout of web is stuck',
      message: 'ReplicaSet "web-5f6b" has timed out progressing.',
      involvedObject: DEPLOY,
      labels: { app: 'web' },
      user: { username: 'expert@org.com', groups: ['system:authenticated', 'sre'], uid: 'u-1' },
      detector: 'rollout',
      fields: { replicas: '3', available: '1' },
    }),
    doc: {
      '@timestamp': EVENT_TIME,
      message: 'ReplicaSet "web-5f6b" has timed out progressing.',
      ecs: { version: '8.17.0' },
      event: { id: 'k-rollout', kind: 'alert', action: 'firing', reason: 'ProgressDeadlineExceeded', provider: 'rollout', severity: 2, ...ECS_BASE },
      log: { level: 'warning' },
      orchestrator: { type: 'kubernetes', cluster: { name: 'prod' }, namespace: 'demo', resource: { type: 'deployment', name: 'web', id: 'uid-deploy' } },
      kubernetes: {
        namespace: 'demo',
        involved_object: { api_version: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'demo', uid: 'uid-deploy' },
        deployment: { name: 'web' },
        labels: { app: 'web' },
      },
      user: { name: 'expert@org.com', id: 'u-1', group: { name: ['system:authenticated', 'sre'] } },
      kubeherald: { incident_key: 'deployment/uid-deploy/ProgressDeadlineExceeded', title: 'Rollout of web is stuck', fields: { replicas: '3', available: '1' } },
    },
  },
  {
    name: 'rollout completed (info: an event, not an alert)',
    n: notification({
      idempotencyKey: 'k-done',
      incidentKey: 'deployment/uid-deploy/rollout/5',
      severity: Severity.INFO,
      reason: 'RolloutCompleted',
      title: 'web rolled out',
      message: 'deployment "web" successfully rolled out (generation 5)',
      involvedObject: DEPLOY,
      detector: 'rollout',
    }),
    doc: {
      '@timestamp': EVENT_TIME,
      message: 'deployment "web" successfully rolled out (generation 5)',
      ecs: { version: '8.17.0' },
      event: { id: 'k-done', kind: 'event', action: 'firing', reason: 'RolloutCompleted', provider: 'rollout', severity: 1, ...ECS_BASE },
      log: { level: 'info' },
      orchestrator: { type: 'kubernetes', cluster: { name: 'prod' }, namespace: 'demo', resource: { type: 'deployment', name: 'web', id: 'uid-deploy' } },
      kubernetes: {
        namespace: 'demo',
        involved_object: { api_version: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'demo', uid: 'uid-deploy' },
        deployment: { name: 'web' },
      },
      kubeherald: { incident_key: 'deployment/uid-deploy/rollout/5', title: 'web rolled out' },
    },
  },
];

describe('formatDocument', () => {
  for (const c of CASES) {
    it(`is the exact document for: ${c.name}`, () => {
      assert.deepEqual(formatDocument(c.n, { includeRawObject: false, now: NOW }), c.doc);
    });
  }

  it('stamps @timestamp with the event time, not the processing time (event.created)', () => {
    const doc = formatDocument(CASES[0].n, { includeRawObject: false, now: NOW }) as { '@timestamp': string; event: { created: string } };
    assert.equal(doc['@timestamp'], EVENT_TIME);
    assert.equal(doc.event.created, NOW.toISOString());
  });

  it('falls back to the processing time only when the notification has no event time', () => {
    const n = notification({ idempotencyKey: 'k', reason: 'X' });
    n.eventTime = undefined;
    assert.equal(formatDocument(n, { includeRawObject: false, now: NOW })['@timestamp'], NOW.toISOString());
  });

  it('keeps dotted label keys as they are, next to a key that is their prefix', () => {
    const doc = formatDocument(CASES[0].n, { includeRawObject: false, now: NOW }) as { kubernetes: { labels: Record<string, string> } };
    assert.deepEqual(Object.keys(doc.kubernetes.labels), ['app', 'app.kubernetes.io/name', 'app.kubernetes.io/part-of', 'pod-template-hash']);
  });

  it('adds the raw object (kubernetes.object) only with includeRawObject', () => {
    const oom = CASES[2].n;
    const without = formatDocument(oom, { includeRawObject: false, now: NOW }) as { kubernetes: Record<string, unknown> };
    const withRaw = formatDocument(oom, { includeRawObject: true, now: NOW }) as { kubernetes: Record<string, unknown> };
    assert.equal('object' in without.kubernetes, false);
    assert.equal(JSON.stringify(without).includes('s3cret'), false);
    assert.deepEqual(withRaw.kubernetes.object, oom.rawObject);
    assert.deepEqual({ ...withRaw.kubernetes, object: undefined }, { ...without.kubernetes, object: undefined });
  });
});

describe('documentId', () => {
  it('is the idempotency key', () => {
    assert.equal(documentId(CASES[0].n), 'k-crash-firing');
  });

  it('hashes a key longer than the 512 bytes an _id may have', () => {
    const key = 'x'.repeat(513);
    assert.equal(documentId(notification({ idempotencyKey: key })), createHash('sha256').update(key).digest('hex'));
    assert.equal(documentId(notification({ idempotencyKey: 'y'.repeat(512) })), 'y'.repeat(512));
  });

  it('identifies a notification without a key by its content', () => {
    const a = documentId(notification({ reason: 'X', message: 'm' }));
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal(documentId(notification({ reason: 'X', message: 'm' })), a);
    assert.notEqual(documentId(notification({ reason: 'X', message: 'other' })), a);
  });
});

// ------------------------------------------------------------ template, mapping, ILM

const KW = { type: 'keyword', ignore_above: 1024 };
const TEXT_KW = { type: 'text', fields: { keyword: KW } };
const REF = { properties: { api_version: KW, kind: KW, name: KW, namespace: KW, uid: KW } };

const EXPECTED_MAPPINGS = {
  dynamic: false,
  properties: {
    '@timestamp': { type: 'date' },
    message: TEXT_KW,
    ecs: { properties: { version: KW } },
    event: {
      properties: {
        id: KW,
        kind: KW,
        action: KW,
        reason: KW,
        provider: KW,
        module: KW,
        dataset: KW,
        severity: { type: 'long' },
        created: { type: 'date' },
      },
    },
    log: { properties: { level: KW } },
    orchestrator: {
      properties: {
        type: KW,
        namespace: KW,
        cluster: { properties: { name: KW } },
        resource: { properties: { type: KW, name: KW, id: KW, parent: { properties: { type: KW } } } },
      },
    },
    kubernetes: {
      properties: {
        namespace: KW,
        involved_object: REF,
        owner: REF,
        pod: { properties: { name: KW, uid: KW } },
        node: { properties: { name: KW } },
        container: { properties: { name: KW } },
        deployment: { properties: { name: KW } },
        event: { properties: { type: KW } },
        labels: { type: 'flattened' },
        annotations: { type: 'flattened' },
        object: { type: 'object', enabled: false },
      },
    },
    user: { properties: { name: KW, id: KW, group: { properties: { name: KW } } } },
    kubeherald: { properties: { incident_key: KW, title: TEXT_KW, count: { type: 'long' }, fields: { type: 'flattened' } } },
  },
};

/** Every field path the mapping indexes, e.g. `kubernetes.pod.name` (flattened and disabled objects are leaves). */
function mappedFields(m: { properties?: Record<string, any> }, prefix = ''): string[] {
  return Object.entries(m.properties ?? {}).flatMap(([k, v]) => (v.properties ? mappedFields(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

/** Every leaf path of a document, stopping at mapped flattened and disabled fields. */
function documentFields(doc: Record<string, unknown>, leaves: Set<string>, prefix = ''): string[] {
  return Object.entries(doc).flatMap(([k, v]) => {
    const path = `${prefix}${k}`;
    if (leaves.has(path) || v === null || typeof v !== 'object' || Array.isArray(v)) return [path];
    return documentFields(v as Record<string, unknown>, leaves, `${path}.`);
  });
}

describe('index template and mapping', () => {
  const cfg = elasticsearchSinkSchema.parse({ name: 'es', type: 'elasticsearch' });

  it('is exactly this template', () => {
    assert.deepEqual(indexTemplate(cfg), {
      index_patterns: ['kubeherald-events'],
      data_stream: {},
      priority: 200,
      version: 1,
      _meta: { managed_by: 'kubeherald', description: 'kubeherald notifications (ECS)', ecs_version: '8.17.0' },
      template: { settings: {}, mappings: EXPECTED_MAPPINGS },
    });
  });

  it('attaches the ILM policy when one is named', () => {
    const withIlm = elasticsearchSinkSchema.parse({ name: 'es', type: 'elasticsearch', ilmPolicy: 'kubeherald', dataStream: 'k8s-events', templatePriority: 250 });
    const t = indexTemplate(withIlm);
    assert.deepEqual(t.template?.settings, { 'index.lifecycle.name': 'kubeherald' });
    assert.deepEqual(t.index_patterns, ['k8s-events']);
    assert.equal(t.priority, 250);
  });

  it('is exactly this ILM policy, without a delete phase when ilmDeleteAfter is ""', () => {
    assert.deepEqual(ilmPolicy(cfg), {
      policy: {
        _meta: { managed_by: 'kubeherald' },
        phases: {
          hot: { min_age: '0ms', actions: { rollover: { max_age: '30d', max_primary_shard_size: '50gb' } } },
          delete: { min_age: '90d', actions: { delete: {} } },
        },
      },
    });
    assert.deepEqual(ilmPolicy({ ilmRolloverMaxAge: '7d', ilmDeleteAfter: '' }).policy?.phases, {
      hot: { min_age: '0ms', actions: { rollover: { max_age: '7d', max_primary_shard_size: '50gb' } } },
    });
  });

  it('maps every field a document can have', () => {
    const leaves = new Set(mappedFields(documentMappings()));
    for (const c of CASES) {
      for (const path of documentFields(formatDocument(c.n, { includeRawObject: true, now: NOW }), leaves)) {
        assert.ok(leaves.has(path), `${c.name}: ${path} is not in the mapping`);
      }
    }
  });

  it('is documented field by field in the README', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Elasticsearch'));
    assert.ok(section.length > 0 && readme.includes('### Elasticsearch'), 'README.md has an Elasticsearch section');
    for (const field of mappedFields(documentMappings())) assert.ok(section.includes(`\`${field}\``), `README.md does not document ${field}`);
  });
});

// ------------------------------------------------------------ classification

describe('classifyItem and classifyRequestError', () => {
  const P = 'elasticsearch sink "es"';

  it('counts a 409 on create as already indexed, and a 2xx as indexed', () => {
    assert.deepEqual(classifyItem(P, { status: 201 }), { status: 'indexed' });
    assert.deepEqual(classifyItem(P, { status: 409, error: { type: 'version_conflict_engine_exception', reason: '[k]: version conflict, document already exists (current version [1])' } }), { status: 'duplicate' });
  });

  it('makes a rejected item rate-limited, a mapping error or missing stream permanent, a shard failure retryable', () => {
    const kind = (status: number, type?: string) => {
      const o = classifyItem(P, { status, error: type ? { type, reason: 'r' } : null });
      assert.equal(o.status, 'failed');
      return o.status === 'failed' ? [o.error.kind, o.error.retryAfterMs, o.error.message] : [];
    };
    assert.deepEqual(kind(429), ['rate-limited', DEFAULT_RATE_LIMIT_DELAY_MS, `${P}: document rejected: 429 too many requests`]);
    assert.deepEqual(kind(400, 'document_parsing_exception'), ['permanent', undefined, `${P}: document rejected: 400 document_parsing_exception: r`]);
    assert.deepEqual(kind(404, 'resource_not_found_exception').slice(0, 2), ['permanent', undefined]);
    assert.deepEqual(kind(403, 'security_exception').slice(0, 2), ['permanent', undefined]);
    assert.deepEqual(kind(503, 'unavailable_shards_exception').slice(0, 2), ['retryable', undefined]);
    // a 409 that is not a version conflict is not a duplicate
    assert.deepEqual(kind(409, 'other_exception').slice(0, 2), ['permanent', undefined]);
  });

  it('quotes the cause, cut short', () => {
    const o = classifyItem(P, { status: 400, error: { type: 'document_parsing_exception', reason: 'x'.repeat(500), caused_by: { type: 'illegal_argument_exception', reason: 'why' } } });
    assert.ok(o.status === 'failed' && o.error.message.length < P.length + 340 && o.error.message.endsWith('…'));
  });

  it('classifies whole-request failures by status, with Retry-After', () => {
    const response = (statusCode: number, headers: Record<string, string> = {}, body: unknown = { error: { type: 't', reason: 'r' }, status: statusCode }) =>
      classifyRequestError(P, { name: 'ResponseError', statusCode, headers, body, message: 'x' }, 0);
    assert.deepEqual([response(429).kind, response(429).retryAfterMs], ['rate-limited', DEFAULT_RATE_LIMIT_DELAY_MS]);
    assert.deepEqual([response(429, { 'retry-after': '7' }).kind, response(429, { 'retry-after': '7' }).retryAfterMs], ['rate-limited', 7000]);
    assert.deepEqual([response(503, { 'retry-after': '2' }).kind, response(503, { 'retry-after': '2' }).retryAfterMs], ['rate-limited', 2000]);
    assert.equal(response(503).kind, 'retryable');
    assert.equal(response(502, {}, '<html>bad gateway</html>').kind, 'retryable');
    assert.equal(response(401).kind, 'permanent');
    assert.match(response(401).message, /check apiKeyFrom/);
    assert.equal(response(403).kind, 'permanent');
    assert.equal(response(400).kind, 'permanent');
    assert.match(response(400, {}, { error: { type: 'media_type_header_exception', reason: 'Invalid media-type value' } }).message, /compatibleWith: 8/);
  });

  it('classifies the client errors', () => {
    const kind = (name: string, message = 'm') => classifyRequestError(P, { name, message }, 0).kind;
    assert.equal(kind('ConnectionError', 'connect ECONNREFUSED 127.0.0.1:9200'), 'retryable');
    assert.equal(kind('ConnectionError', 'self-signed certificate'), 'permanent');
    assert.equal(kind('ConnectionError', 'unable to verify the first certificate'), 'permanent');
    assert.equal(kind('TimeoutError'), 'retryable');
    assert.equal(kind('NoLivingConnectionsError'), 'retryable');
    assert.equal(kind('ProductNotSupportedError'), 'permanent');
    assert.equal(kind('ConfigurationError'), 'permanent');
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    assert.equal(retryAfterMs('30', 0), 30_000);
    assert.equal(retryAfterMs(['5'], 0), 5000);
    assert.equal(retryAfterMs('Tue, 04 Mar 2025 12:00:10 GMT', Date.parse('2025-03-04T12:00:00Z')), 10_000);
    assert.equal(retryAfterMs('Tue, 04 Mar 2025 11:00:00 GMT', Date.parse('2025-03-04T12:00:00Z')), 0);
    assert.equal(retryAfterMs('soon', 0), undefined);
    assert.equal(retryAfterMs(undefined, 0), undefined);
  });
});

// ------------------------------------------------------------ config

describe('elasticsearch sink config', () => {
  it('defaults every key', () => {
    assert.deepEqual(parseConfigText('sinks: [{ name: es, type: elasticsearch }]', 'x').sinks[0], {
      name: 'es',
      type: 'elasticsearch',
      nodes: ['http://localhost:9200'],
      dataStream: 'kubeherald-events',
      manageTemplate: true,
      templateName: '',
      templatePriority: 200,
      ilmPolicy: '',
      ilmRolloverMaxAge: '30d',
      ilmDeleteAfter: '90d',
      apiKeyFrom: null,
      usernameFrom: null,
      passwordFrom: null,
      caFile: '',
      compatibleWith: 9,
      timeoutSeconds: 30,
      includeRawObject: false,
    });
  });

  it('reports every problem with its key', () => {
    const problems = (yaml: string): string[] => {
      try {
        parseConfigText(yaml, 'x');
      } catch (err) {
        return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
      }
      return [];
    };
    assert.deepEqual(problems('sinks: [{ name: es, type: elasticsearch, nodes: ["https://elastic:pw@es:9200", "es:9200"], dataStream: Events, ilmDeleteAfter: 3w, compatibleWith: 7 }]'), [
      'sinks[0].nodes[0]: credentials in the URL are not allowed; use apiKeyFrom, or usernameFrom and passwordFrom',
      'sinks[0].nodes[1]: expected an http:// or https:// URL',
      'sinks[0].dataStream: expected a lowercase name (letters, digits, ".", "_", "+" and "-", starting with a letter or digit)',
      'sinks[0].ilmDeleteAfter: expected a time such as 30d, 12h or 90m, or "" for never',
      'sinks[0].compatibleWith: expected 8 or 9',
    ]);
    assert.deepEqual(problems('sinks: [{ name: es, type: elasticsearch, apiKeyFrom: { env: K }, usernameFrom: { env: U } }]'), [
      'sinks[0].apiKeyFrom: cannot be combined with usernameFrom/passwordFrom: choose one way to authenticate',
      'sinks[0].usernameFrom: needs passwordFrom too',
    ]);
  });

  it('is in the sink registry', async () => {
    const cfg = parseConfigText('sinks: [{ name: es, type: elasticsearch }]', 'x').sinks[0];
    const sink = await createSink(cfg, { env: {} });
    assert.deepEqual([sink.name, sink.type], ['es', 'elasticsearch']);
    await sink.close();
  });
});

// ------------------------------------------------------------ delivery through the official client

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!();
});

const tmp = mkdtempSync(join(tmpdir(), 'kubeherald-es-'));
after(() => rmSync(tmp, { recursive: true, force: true }));


async function fakeEs(opts: FakeElasticsearchOptions = {}): Promise<FakeElasticsearch> {
  const fake = await startFakeElasticsearch({ now: () => FAKE_NOW, ...opts });
  open.push(() => fake.close());
  return fake;
}

function sinkFor(nodes: string[], over: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}, logs: LogEntry[] = []): ElasticsearchSink {
  const cfg = elasticsearchSinkSchema.parse({ name: 'events', type: 'elasticsearch', nodes, ...over });
  const sink = createElasticsearchSink(cfg, { env, now: () => NOW, log: recordingLog(logs).log });
  open.push(() => sink.close());
  return sink;
}

async function sinkError(p: Promise<unknown>): Promise<SinkError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof SinkError, `expected a SinkError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the promise to reject');
}

const ndjson = (body: string): unknown[] =>
  body
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);

describe('elasticsearch sink against the fake', () => {
  it('installs the template, and the first write creates the data stream with the document under its key', async () => {
    const es = await fakeEs();
    const sink = sinkFor([es.url]);
    await sink.send(CASES[0].n);
    assert.deepEqual(
      es.requests.map((r) => `${r.method} ${r.path} ${new URLSearchParams(r.query)} ${r.status}`),
      ['GET /  200', 'PUT /_index_template/kubeherald-events  200', 'POST /_bulk require_data_stream=true 200'],
    );
    const cfg = elasticsearchSinkSchema.parse({ name: 'events', type: 'elasticsearch' });
    assert.deepEqual(es.templates.get('kubeherald-events'), JSON.parse(JSON.stringify(indexTemplate(cfg))));
    assert.deepEqual([...es.dataStreams.keys()], ['kubeherald-events']);
    assert.deepEqual(es.dataStreams.get('kubeherald-events')?.indices, [BACKING]);
    const bulk = es.bulkRequests()[0];
    assert.match(String(bulk.headers['content-type']), /^application\/vnd\.elasticsearch\+x-ndjson; compatible-with=9$/);
    assert.deepEqual(ndjson(bulk.body), [{ create: { _index: 'kubeherald-events', _id: 'k-crash-firing' } }, CASES[0].doc]);
    assert.deepEqual(es.documents('kubeherald-events'), [{ _id: 'k-crash-firing', _index: BACKING, _source: CASES[0].doc }]);
  });

  it('indexes every incident kind as its exact document, @timestamp the event time', async () => {
    const es = await fakeEs();
    const sink = sinkFor([es.url]);
    for (const c of CASES) await sink.send(c.n);
    const docs = es.documents('kubeherald-events');
    assert.deepEqual(
      docs.map((d) => [d._id, d._source]),
      CASES.map((c) => [c.n.idempotencyKey, c.doc]),
    );
    for (const d of docs) assert.equal(d._source['@timestamp'], EVENT_TIME);
  });

  it('counts a repeated delivery as success and keeps one document, across sink restarts too', async () => {
    const es = await fakeEs();
    const first = sinkFor([es.url]);
    await first.send(CASES[0].n);
    await first.send(CASES[0].n);
    await first.close();
    const second = sinkFor([es.url]);
    await second.send(CASES[0].n);
    assert.equal(es.bulkRequests().length, 3);
    assert.deepEqual(
      es.documents('kubeherald-events').map((d) => d._id),
      ['k-crash-firing'],
    );
  });

  it('sendBatch: one bulk request, an outcome per notification, a repeat within the batch sent once', async () => {
    const es = await fakeEs();
    const sink = sinkFor([es.url]);
    await sink.send(CASES[1].n);
    const outcomes = await sink.sendBatch([CASES[0].n, CASES[1].n, CASES[0].n, CASES[2].n]);
    assert.deepEqual(outcomes, [{ status: 'indexed' }, { status: 'duplicate' }, { status: 'duplicate' }, { status: 'indexed' }]);
    assert.equal(es.bulkRequests().length, 2);
    assert.deepEqual(
      ndjson(es.bulkRequests()[1].body).filter((_, i) => i % 2 === 0),
      ['k-crash-firing', 'k-crash-resolved', 'k-oom'].map((_id) => ({ create: { _index: 'kubeherald-events', _id } })),
    );
    assert.deepEqual(
      es.documents('kubeherald-events').map((d) => d._id),
      ['k-crash-resolved', 'k-crash-firing', 'k-oom'],
    );
  });

  it('gathers sends made together into one bulk request', async () => {
    const es = await fakeEs();
    const sink = sinkFor([es.url]);
    await sink.start();
    await Promise.all(CASES.slice(0, 4).map((c) => sink.send(c.n)));
    assert.equal(es.bulkRequests().length, 1);
    assert.equal(ndjson(es.bulkRequests()[0].body).length, 8);
    assert.equal(es.documents('kubeherald-events').length, 4);
  });

  it('a rejected item (429) is rate-limited with a delay; the retry indexes it', async () => {
    const es = await fakeEs();
    const sink = sinkFor([es.url]);
    await sink.start();
    es.faults.rejectItems(1);
    const outcomes = await sink.sendBatch([CASES[0].n, CASES[1].n]);
    assert.equal(outcomes[0].status, 'failed');
    assert.deepEqual(outcomes[1], { status: 'indexed' });
    const err = outcomes[0].status === 'failed' ? outcomes[0].error : undefined;
    assert.deepEqual([err?.kind, err?.retryAfterMs], ['rate-limited', DEFAULT_RATE_LIMIT_DELAY_MS]);
    await sink.send(CASES[0].n);
    assert.deepEqual(
      es.documents('kubeherald-events').map((d) => d._id),
      ['k-crash-resolved', 'k-crash-firing'],
    );
  });

  it('a whole request refused with 429 or 503 is rate-limited (Retry-After) or retryable', async () => {
    const es = await fakeEs();
    const sink = sinkFor([es.url]);
    await sink.start();
    es.faults.failNext(429, { retryAfter: '7' });
    const limited = await sinkError(sink.send(CASES[0].n));
    assert.deepEqual([limited.kind, limited.retryAfterMs], ['rate-limited', 7000]);
    assert.match(limited.message, /^elasticsearch sink "events": 429 es_rejected_execution_exception: rejected execution/);
    es.faults.failNext(503);
    const unavailable = await sinkError(sink.send(CASES[0].n));
    assert.deepEqual([unavailable.kind, unavailable.retryAfterMs], ['retryable', undefined]);
    await sink.send(CASES[0].n);
    assert.equal(es.documents('kubeherald-events').length, 1);
  });

  it('authenticates with an API key or basic credentials from the environment, never logging them', async () => {
    const key = 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==';
    const es = await fakeEs({ apiKey: key, basic: { username: 'writer', password: 'pa55word' } });
    const logs: LogEntry[] = [];
    await sinkFor([es.url], { apiKeyFrom: { env: 'ES_API_KEY' } }, { ES_API_KEY: key }, logs).send(CASES[0].n);
    assert.ok(es.requests.every((r) => r.headers.authorization === `ApiKey ${key}`));
    const file = join(tmp, 'password');
    writeFileSync(file, 'pa55word\n');
    await sinkFor([es.url], { usernameFrom: { env: 'ES_USER' }, passwordFrom: { file } }, { ES_USER: 'writer' }, logs).send(CASES[1].n);
    assert.equal(es.requests.at(-1)?.headers.authorization, `Basic ${Buffer.from('writer:pa55word').toString('base64')}`);
    assert.equal(es.documents('kubeherald-events').length, 2);
    assert.equal(JSON.stringify(logs).includes(key) || JSON.stringify(logs).includes('pa55word'), false);
  });

  it('a wrong or missing credential is permanent (401), and the error names no secret', async () => {
    const es = await fakeEs({ apiKey: 'right-key' });
    const logs: LogEntry[] = [];
    const wrong = sinkFor([es.url], { apiKeyFrom: { env: 'K' } }, { K: 'wrong-key' }, logs);
    const startErr = await sinkError(wrong.start());
    assert.equal(startErr.kind, 'permanent');
    assert.equal(startErr.message, 'elasticsearch sink "events": cannot reach the cluster: 401 security_exception: unable to authenticate with provided credentials (check apiKeyFrom, or usernameFrom and passwordFrom)');
    const sendErr = await sinkError(wrong.send(CASES[0].n));
    assert.equal(sendErr.kind, 'permanent');
    const none = await sinkError(sinkFor([es.url]).send(CASES[0].n));
    assert.match(none.message, /401 security_exception: missing authentication credentials for REST request \[\/\]/);
    assert.equal(JSON.stringify(logs).includes('wrong-key'), false);
    assert.ok(logs.some((l) => l.level === 'warn' && l.msg === 'elasticsearch sink cannot start'));
    assert.equal(es.documents('kubeherald-events').length, 0);
  });

  it('an unset credential variable stops the sink at creation, naming the variable', () => {
    const cfg = elasticsearchSinkSchema.parse({ name: 'events', type: 'elasticsearch', apiKeyFrom: { env: 'ES_API_KEY' } });
    assert.throws(() => createElasticsearchSink(cfg, { env: {} }), (err: Error) => err instanceof ConfigError && /elasticsearch sink "events" \(apiKeyFrom\.env\)/.test(err.message) && err.message.includes('ES_API_KEY'));
  });

  it('a document the mapping refuses is permanent, and nothing is indexed', async () => {
    const es = await fakeEs();
    // an operator-managed template that maps the pod name as a number
    const template = indexTemplate(elasticsearchSinkSchema.parse({ name: 'x', type: 'elasticsearch' })) as { template: { mappings: any } };
    template.template.mappings.properties.kubernetes.properties.pod.properties.name = { type: 'long' };
    es.templates.set('kubeherald-events', JSON.parse(JSON.stringify(template)));
    const sink = sinkFor([es.url], { manageTemplate: false });
    const err = await sinkError(sink.send(CASES[0].n));
    assert.equal(err.kind, 'permanent');
    assert.equal(
      err.message,
      "elasticsearch sink \"events\": document rejected: 400 document_parsing_exception: [1:2] failed to parse field [kubernetes.pod.name] of type [long] in document with id 'k-crash-firing'. Preview of field's value: 'web-7d9c-abcde'",
    );
    assert.equal(es.documents('kubeherald-events').length, 0);
    assert.equal(es.requests.some((r) => r.path.startsWith('/_index_template')), false, 'manageTemplate: false installs nothing');
  });

  it('flattened labels never conflict, where dynamically mapped labels would', async () => {
    const es = await fakeEs();
    // the same stream with labels left to dynamic mapping: `app` becomes a value, so `app.kubernetes.io/name` cannot be an object under it
    es.templates.set('dynamic-labels', { index_patterns: ['dynamic-labels'], data_stream: {}, priority: 200, template: { mappings: { dynamic: true } } });
    const dynamic = sinkFor([es.url], { dataStream: 'dynamic-labels', manageTemplate: false });
    const err = await sinkError(dynamic.send(CASES[0].n));
    assert.equal(err.kind, 'permanent');
    assert.match(err.message, /Could not dynamically add mapping for field \[kubernetes\.labels\.app\.kubernetes\.io\/name\]\. Existing mapping for \[kubernetes\.labels\.app\] must be of type object but found \[text\]/);
    await sinkFor([es.url]).send(CASES[0].n);
    assert.deepEqual(es.documents('kubeherald-events')[0]._source.kubernetes, CASES[0].doc.kubernetes);
  });

  it('without the template, the write fails permanently instead of creating a plain index; the next send installs it again', async () => {
    const es = await fakeEs();
    const sink = sinkFor([es.url]);
    await sink.start();
    es.templates.clear();
    const err = await sinkError(sink.send(CASES[0].n));
    assert.equal(err.kind, 'permanent');
    assert.match(err.message, /404 resource_not_found_exception: \[require_data_stream\] request flag is \[true\] and \[kubeherald-events\] is not a data stream/);
    assert.equal(es.indices.size, 0);
    await sink.send(CASES[0].n);
    assert.deepEqual([...es.templates.keys()], ['kubeherald-events']);
    assert.equal(es.documents('kubeherald-events').length, 1);
  });

  it('an unreachable cluster is retryable; a second node that answers takes over', async () => {
    const gone = await startFakeElasticsearch();
    const downUrl = gone.url;
    await gone.close();
    const down = sinkFor([downUrl]);
    const startErr = await sinkError(down.start());
    assert.equal(startErr.kind, 'retryable');
    assert.match(startErr.message, /^elasticsearch sink "events": cannot reach the cluster: cannot connect: .*ECONNREFUSED/);
    assert.equal((await sinkError(down.send(CASES[0].n))).kind, 'retryable');

    const es = await fakeEs();
    await sinkFor([downUrl, es.url]).send(CASES[0].n);
    assert.equal(es.documents('kubeherald-events').length, 1);
  });

  it('refuses a server without the x-elastic-product header (permanent)', async () => {
    const notEs = await fakeEs({ productHeader: false });
    const err = await sinkError(sinkFor([notEs.url]).send(CASES[0].n));
    assert.equal(err.kind, 'permanent');
    assert.equal(err.message, 'elasticsearch sink "events": cannot reach the cluster: the server is not Elasticsearch (its response lacks "x-elastic-product: Elasticsearch")');
    assert.equal(notEs.bulkRequests().length, 0);
  });

  it('missing privileges to install the template are permanent at start; writing needs none of them', async () => {
    const es = await fakeEs();
    es.faults.denyManagement = true;
    es.faults.denyInfo = true;
    const sink = sinkFor([es.url]);
    const err = await sinkError(sink.start());
    assert.equal(err.kind, 'permanent');
    assert.match(err.message, /^elasticsearch sink "events": cannot install index template kubeherald-events: 403 security_exception: action \[indices:admin\/index_template\/put\] is unauthorized/);
    // the operator installs it, or grants the privilege: the next start tries again
    es.faults.denyManagement = false;
    await sink.start();
    await sink.send(CASES[0].n);
    assert.equal(es.documents('kubeherald-events').length, 1);
  });

  it('installs the ILM policy before the template that names it', async () => {
    const es = await fakeEs();
    const over = { ilmPolicy: 'kubeherald', ilmRolloverMaxAge: '7d', ilmDeleteAfter: '30d' };
    await sinkFor([es.url], over).start();
    assert.deepEqual(
      es.requests.map((r) => `${r.method} ${r.path}`),
      ['GET /', 'PUT /_ilm/policy/kubeherald', 'PUT /_index_template/kubeherald-events'],
    );
    const cfg = elasticsearchSinkSchema.parse({ name: 'events', type: 'elasticsearch', ...over });
    assert.deepEqual(es.ilmPolicies.get('kubeherald'), ilmPolicy(cfg).policy);
    assert.deepEqual(es.templates.get('kubeherald-events')?.template.settings, { 'index.lifecycle.name': 'kubeherald' });
  });

  it('speaks compatible-with=8 to Elasticsearch 8 when told, and says so when not', async () => {
    const es8 = await fakeEs({ majorVersion: 8 });
    const err = await sinkError(sinkFor([es8.url]).start());
    assert.equal(err.kind, 'permanent');
    assert.match(err.message, /400 media_type_header_exception: Invalid media-type value on headers \[Accept, Content-Type\] \(caused by status_exception: Accept version must be either version 8 or 7, but found 9.*\(for Elasticsearch 8\.x set compatibleWith: 8\)$/);
    await sinkFor([es8.url], { compatibleWith: 8 }).send(CASES[0].n);
    assert.equal(es8.documents('kubeherald-events').length, 1);
    assert.equal(es8.bulkRequests()[0].headers['content-type'], 'application/vnd.elasticsearch+x-ndjson; compatible-with=8');
  });

  it('refuses a cluster older than 8.13 (no require_data_stream) before writing anything', async () => {
    const old = await fakeEs({ majorVersion: 8, versionNumber: '8.12.2' });
    const err = await sinkError(sinkFor([old.url], { compatibleWith: 8 }).send(CASES[0].n));
    assert.equal(err.kind, 'permanent');
    assert.equal(err.message, 'elasticsearch sink "events": Elasticsearch 8.12.2 is not supported (8.13 or later is needed)');
    assert.deepEqual(
      old.requests.map((r) => `${r.method} ${r.path}`),
      ['GET /'],
    );
  });

  it('trusts a private CA from caFile; without it the TLS failure is permanent', async () => {
    const cert = await servingCert(['127.0.0.1']);
    const es = await fakeEs({ tls: cert });
    const caFile = join(tmp, 'ca.pem');
    writeFileSync(caFile, cert.cert);
    const err = await sinkError(sinkFor([es.url]).start());
    assert.equal(err.kind, 'permanent');
    assert.match(err.message, /TLS: self-signed certificate.*set caFile/);
    await sinkFor([es.url], { caFile }).send(CASES[0].n);
    assert.equal(es.documents('kubeherald-events').length, 1);
    assert.throws(() => sinkFor([es.url], { caFile: join(tmp, 'missing.pem') }), (e: Error) => e instanceof ConfigError && /\(caFile\): cannot read/.test(e.message));
  });

  it('logs the cluster it writes to once ready', async () => {
    const es = await fakeEs();
    const logs: LogEntry[] = [];
    await sinkFor([es.url], {}, {}, logs).start();
    assert.deepEqual(logs, [
      {
        level: 'info',
        obj: { sink: 'events', dataStream: 'kubeherald-events', elasticsearch: '9.1.3', cluster: 'kubeherald-test', manageTemplate: true },
        msg: 'elasticsearch sink ready',
      },
    ]);
  });

  it('close() waits for sends in flight; later sends are refused', async () => {
    const es = await fakeEs();
    const sink = sinkFor([es.url]);
    const sent = sink.send(CASES[0].n);
    await sink.close();
    await sent;
    assert.equal(es.documents('kubeherald-events').length, 1);
    const err = await sinkError(sink.send(CASES[1].n));
    assert.equal(err.kind, 'permanent');
    await assert.rejects(sink.sendBatch([CASES[1].n]), SinkError);
  });
});
