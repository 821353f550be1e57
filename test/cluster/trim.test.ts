// What the listener caches: trimmed objects, except pods while a sink sends
// them whole, which keep everything but managedFields (kubectl does not
// show those either).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trimObject } from '../../src/cluster/trim.ts';
import type { KubeObject } from '../../src/model/kube.ts';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function pod(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      namespace: 'shop',
      uid: 'u1',
      annotations: { [LAST_APPLIED]: '{"kind":"Pod"}', team: 'sre' },
      managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
    },
    spec: {
      nodeName: 'n1',
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      containers: [{ name: 'app', image: 'web:1', imagePullPolicy: 'IfNotPresent', resources: { limits: { memory: '128Mi' } } }],
    },
    status: { phase: 'Running' },
  } as KubeObject;
}

test('pods are trimmed to what detection reads by default', () => {
  const input = pod();
  const before = structuredClone(input);
  const out = trimObject(input);
  // the memory limit stays: the OOMKilled message quotes it
  assert.deepEqual(out.spec, { nodeName: 'n1', restartPolicy: 'Always', containers: [{ name: 'app', image: 'web:1', resources: { limits: { memory: '128Mi' } } }] });
  assert.equal(out.metadata.managedFields, undefined);
  assert.deepEqual(out.metadata.annotations, { team: 'sre' });
  assert.deepEqual(input, before, 'the input is not changed');
});

test('with wholePods a pod keeps every field but managedFields; other kinds are trimmed as ever', () => {
  const input = pod();
  const before = structuredClone(input);
  const out = trimObject(input, { wholePods: true });
  const { managedFields: _m, ...metadata } = before.metadata;
  assert.deepEqual(out, { ...before, metadata });
  assert.deepEqual(input, before, 'the input is not changed');

  const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', managedFields: [{}] }, status: { images: [{ names: ['x'] }], phase: 'Running' } } as KubeObject;
  assert.deepEqual(trimObject(node, { wholePods: true }), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { phase: 'Running' } });
});

// A production-shaped pod template: env, probes, volumes, resources, security context.
function verboseTemplate(extra = 0): Record<string, unknown> {
  const env = Array.from({ length: 20 + extra }, (_, i) => ({ name: `VAR_${i}`, value: 'x'.repeat(40) }));
  return {
    metadata: { labels: { app: 'web' }, annotations: { 'prometheus.io/scrape': 'true', [LAST_APPLIED]: '{"big":true}' } },
    spec: {
      serviceAccountName: 'web',
      nodeSelector: { pool: 'general' },
      tolerations: [{ key: 'dedicated', operator: 'Exists' }],
      volumes: [{ name: 'cfg', configMap: { name: 'web' } }],
      containers: [
        {
          name: 'app',
          image: 'web:2',
          env,
          resources: { requests: { cpu: '100m' }, limits: { memory: '256Mi' } },
          readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
          volumeMounts: [{ name: 'cfg', mountPath: '/etc/web' }],
        },
        { name: 'sidecar', image: 'proxy:1', args: ['--verbose'] },
      ],
      initContainers: [{ name: 'migrate', image: 'web:2', command: ['migrate'] }],
    },
  };
}

const TRIMMED_TEMPLATE = {
  metadata: { labels: { app: 'web' }, annotations: { 'prometheus.io/scrape': 'true' } },
  spec: { nodeName: undefined, restartPolicy: undefined, containers: [{ name: 'app', image: 'web:2' }, { name: 'sidecar', image: 'proxy:1' }], initContainers: [{ name: 'migrate', image: 'web:2' }] },
};

function workload(kind: string, apiVersion: string, spec: Record<string, unknown>, status: Record<string, unknown> = { replicas: 3, readyReplicas: 2 }): KubeObject {
  return { apiVersion, kind, metadata: { name: 'web', namespace: 'shop', uid: `u-${kind}`, managedFields: [{ manager: 'kube-controller-manager' }], annotations: { [LAST_APPLIED]: '{}' } }, spec, status } as KubeObject;
}

test('the workload family keeps its spec and status, its pod template only container names and images', () => {
  const cases: [string, string, Record<string, unknown>][] = [
    ['Deployment', 'apps/v1', { replicas: 3, selector: { matchLabels: { app: 'web' } }, strategy: { type: 'RollingUpdate' }, progressDeadlineSeconds: 600 }],
    ['StatefulSet', 'apps/v1', { replicas: 3, serviceName: 'web', podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } }],
    ['DaemonSet', 'apps/v1', { selector: { matchLabels: { app: 'web' } }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } }],
    ['Job', 'batch/v1', { completions: 5, parallelism: 2, backoffLimit: 4, activeDeadlineSeconds: 600, podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] } }],
  ];
  for (const [kind, apiVersion, rest] of cases) {
    const input = workload(kind, apiVersion, { ...rest, template: verboseTemplate() });
    const before = structuredClone(input);
    const out = trimObject(input);
    assert.deepEqual(out.spec, { ...rest, template: TRIMMED_TEMPLATE }, kind);
    assert.deepEqual(out.status, before.status, kind);
    assert.equal(out.metadata.managedFields, undefined, kind);
    assert.deepEqual(out.metadata.annotations, {}, kind);
    assert.deepEqual(input, before, `${kind}: the input is not changed`);
  }
});

test('a CronJob: its job template keeps the Job settings, its pod template names and images; a StatefulSet claim template its name, class and size', () => {
  const cj = workload('CronJob', 'batch/v1', {
    schedule: '*/5 * * * *',
    concurrencyPolicy: 'Forbid',
    suspend: false,
    jobTemplate: { metadata: { labels: { app: 'report' } }, spec: { backoffLimit: 2, template: verboseTemplate() } },
  }, { lastScheduleTime: '2025-03-01T10:00:00Z', active: [{ name: 'web-1' }] });
  const out = trimObject(cj);
  assert.deepEqual(out.spec, {
    schedule: '*/5 * * * *',
    concurrencyPolicy: 'Forbid',
    suspend: false,
    jobTemplate: { metadata: { labels: { app: 'report' } }, spec: { backoffLimit: 2, template: TRIMMED_TEMPLATE } },
  });
  assert.deepEqual(out.status, { lastScheduleTime: '2025-03-01T10:00:00Z', active: [{ name: 'web-1' }] });

  const sts = workload('StatefulSet', 'apps/v1', {
    replicas: 1,
    template: verboseTemplate(),
    volumeClaimTemplates: [
      { metadata: { name: 'data', annotations: { note: 'x'.repeat(500) } }, spec: { storageClassName: 'fast', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } }, selector: { matchLabels: { tier: 'db' } } } },
    ],
  });
  assert.deepEqual((trimObject(sts).spec as { volumeClaimTemplates: unknown }).volumeClaimTemplates, [
    { metadata: { name: 'data' }, spec: { storageClassName: 'fast', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } } },
  ]);
});

test('PersistentVolumeClaims and HorizontalPodAutoscalers are small: only bookkeeping metadata goes', () => {
  const pvc = workload('PersistentVolumeClaim', 'v1', { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'standard' }, { phase: 'Pending' });
  const hpa = workload('HorizontalPodAutoscaler', 'autoscaling/v2', { minReplicas: 1, maxReplicas: 5, scaleTargetRef: { kind: 'Deployment', name: 'web' } }, { currentReplicas: 5, desiredReplicas: 5, conditions: [{ type: 'ScalingLimited', status: 'True', reason: 'TooManyReplicas' }] });
  for (const o of [pvc, hpa]) {
    const out = trimObject(o);
    assert.deepEqual(out.spec, o.spec);
    assert.deepEqual(out.status, o.status);
    assert.equal(out.metadata.managedFields, undefined);
  }
});

test('a cached workload grows with its containers, not with how verbose its template is', () => {
  const size = (o: KubeObject) => JSON.stringify(trimObject(o)).length;
  for (const [kind, apiVersion] of [['Deployment', 'apps/v1'], ['StatefulSet', 'apps/v1'], ['DaemonSet', 'apps/v1'], ['Job', 'batch/v1']]) {
    const small = workload(kind, apiVersion, { template: verboseTemplate(0) });
    const big = workload(kind, apiVersion, { template: verboseTemplate(500) });
    assert.ok(JSON.stringify(big).length > JSON.stringify(small).length + 20_000, kind);
    assert.equal(size(big), size(small), kind);
  }
  const cron = (extra: number) => workload('CronJob', 'batch/v1', { schedule: '@hourly', jobTemplate: { spec: { template: verboseTemplate(extra) } } });
  assert.equal(size(cron(500)), size(cron(0)));
});
