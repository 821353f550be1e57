// The PersistentVolumeClaim and HorizontalPodAutoscaler detectors on
// hand-made objects: what fires, what waits by design, what covers which
// Warning events, and what the RESOLVED text says.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeResolved, detect } from '../../src/detect/index.ts';
import type { KubeObject } from '../../src/model/kube.ts';
import { at, config, t } from './fixtures.ts';

const PVC_UID = 'c1a1m000-0000-4000-8000-000000000001';
const HPA_UID = 'h9a00000-0000-4000-8000-000000000002';

function claim(o: { phase?: string; cls?: string | null; annotations?: Record<string, string>; conditions?: unknown[]; capacity?: string; request?: string; statuses?: Record<string, string> } = {}): KubeObject {
  const spec: Record<string, unknown> = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: o.request ?? '1Gi' } } };
  if (o.cls !== null) spec.storageClassName = o.cls ?? 'broken';
  const status: Record<string, unknown> = { phase: o.phase ?? 'Pending' };
  if (o.capacity) status.capacity = { storage: o.capacity };
  if (o.conditions) status.conditions = o.conditions;
  if (o.statuses) status.allocatedResourceStatuses = o.statuses;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace: 'demo', uid: PVC_UID, creationTimestamp: at(0), annotations: o.annotations ?? {} },
    spec,
    status,
  } as KubeObject;
}

const PROVISIONER = { 'volume.kubernetes.io/storage-provisioner': 'sim.kubeherald.io/failing' };

test('pvcPending: a claim waiting on its provisioner fires after minSeconds from its creation', () => {
  const [o, ...rest] = detect('PersistentVolumeClaim', { current: claim({ annotations: PROVISIONER }) }, t(10), config());
  assert.equal(rest.length, 0);
  assert.equal(o.key, `pvc/${PVC_UID}/ClaimPending`);
  assert.equal(o.kind, 'level');
  assert.equal(o.reason, 'ClaimPending');
  assert.equal(o.detector, 'pvcPending');
  assert.equal(o.since, at(0));
  assert.equal(o.minDurationMs, 120_000);
  assert.match(o.message, /waiting for provisioner sim\.kubeherald\.io\/failing to create a volume of storage class "broken"/);
  assert.deepEqual(o.involved, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'demo', name: 'data', uid: PVC_UID });
  assert.equal(o.fields?.provisioner, 'sim.kubeherald.io/failing');
});

test('pvcPending: a classless claim fires; a WaitForFirstConsumer claim without a pod does not; a bound or deleted one does not', () => {
  assert.match(detect('PersistentVolumeClaim', { current: claim({ cls: '' }) }, t(10), config())[0].message, /no storage class is set/);
  assert.equal(detect('PersistentVolumeClaim', { current: claim({ cls: null }) }, t(10), config()).length, 1);
  assert.deepEqual(detect('PersistentVolumeClaim', { current: claim({ cls: 'local' }) }, t(10), config()), []);
  // once the scheduler chose a node, the claim is expected to bind
  const chosen = detect('PersistentVolumeClaim', { current: claim({ cls: 'local', annotations: { 'volume.kubernetes.io/selected-node': 'sim-node-1' } }) }, t(10), config());
  assert.match(chosen[0].message, /for node sim-node-1/);
  assert.deepEqual(detect('PersistentVolumeClaim', { current: claim({ phase: 'Bound', capacity: '1Gi' }) }, t(10), config()), []);
  assert.deepEqual(detect('PersistentVolumeClaim', { current: claim({ annotations: PROVISIONER }) }, t(10), config({ pvcPending: { enabled: false } })), []);
});

test('pvcResizeFailed: the ControllerResizeError condition or an infeasible status, until the resize is done', () => {
  const failing = claim({
    phase: 'Bound',
    capacity: '1Gi',
    request: '20Gi',
    statuses: { storage: 'ControllerResizeInfeasible' },
    conditions: [{ type: 'ControllerResizeError', status: 'True', lastTransitionTime: at(30), message: 'requested size 20Gi exceeds the maximum' }],
  });
  const [o] = detect('PersistentVolumeClaim', { current: failing }, t(40), config());
  assert.equal(o.reason, 'VolumeResizeFailed');
  assert.equal(o.detector, 'pvcResizeFailed');
  assert.equal(o.since, at(30));
  assert.equal(o.minDurationMs, undefined);
  assert.match(o.message, /cannot grow from 1Gi to 20Gi: requested size 20Gi exceeds the maximum/);
  assert.equal(detect('PersistentVolumeClaim', { current: claim({ phase: 'Bound', capacity: '1Gi', request: '20Gi', statuses: { storage: 'NodeResizeInfeasible' } }) }, t(40), config()).length, 1);
  // an expansion in progress is not a failure
  assert.deepEqual(detect('PersistentVolumeClaim', { current: claim({ phase: 'Bound', capacity: '1Gi', request: '5Gi', statuses: { storage: 'ControllerResizeInProgress' }, conditions: [{ type: 'Resizing', status: 'True' }] }) }, t(40), config()), []);
  const done = claim({ phase: 'Bound', capacity: '1Gi', request: '1Gi' });
  assert.match(describeResolved(o, done), /no longer being resized \(capacity 1Gi\)/);
  assert.match(describeResolved(o, undefined), /was deleted/);
});

test('claim incidents resolve with the volume bound', () => {
  const [o] = detect('PersistentVolumeClaim', { current: claim({ annotations: PROVISIONER }) }, t(10), config());
  const bound = { ...claim({ phase: 'Bound', capacity: '1Gi' }), spec: { storageClassName: 'broken', volumeName: 'pv-1' } } as KubeObject;
  assert.equal(describeResolved(o, bound), 'PersistentVolumeClaim demo/data is Bound to volume pv-1');
});

test('ProvisioningFailed and VolumeResizeFailed events are covered by the claim detectors, but for a missing class', () => {
  const ev = (reason: string, message: string): KubeObject =>
    ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e', namespace: 'demo', uid: `ev-${reason}` },
      type: 'Warning',
      reason,
      message,
      involvedObject: { kind: 'PersistentVolumeClaim', namespace: 'demo', name: 'data', uid: PVC_UID },
    }) as KubeObject;
  assert.deepEqual(detect('Event', { current: ev('ProvisioningFailed', 'failed to provision volume with StorageClass "broken": rpc error') }, t(1), config()), []);
  assert.deepEqual(detect('Event', { current: ev('VolumeResizeFailed', 'resize volume failed') }, t(1), config()), []);
  assert.equal(detect('Event', { current: ev('ProvisioningFailed', 'storageclass.storage.k8s.io "nope" not found') }, t(1), config()).length, 1);
  // with the state detector off, the event speaks
  assert.equal(detect('Event', { current: ev('ProvisioningFailed', 'failed to provision volume') }, t(1), config({ pvcPending: { enabled: false } })).length, 1);
});

function hpa(conds: { type: string; status: string; reason: string; at?: number; message?: string }[]): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'worker', namespace: 'demo', uid: HPA_UID, creationTimestamp: at(0) },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'worker' }, minReplicas: 1, maxReplicas: 4 },
    status: {
      currentReplicas: 4,
      desiredReplicas: 4,
      conditions: conds.map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message ?? '', lastTransitionTime: at(c.at ?? 0) })),
    },
  } as KubeObject;
}

const OK = [
  { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale' },
  { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound' },
];

test('hpa maxed: ScalingLimited True with TooManyReplicas, after maxedMinSeconds; not ScaleUpLimit, not within range', () => {
  const maxed = hpa([...OK, { type: 'ScalingLimited', status: 'True', reason: 'TooManyReplicas', at: 65 }]);
  const [o, ...rest] = detect('HorizontalPodAutoscaler', { current: maxed }, t(70), config());
  assert.equal(rest.length, 0);
  assert.equal(o.key, `hpa/${HPA_UID}/Maxed`);
  assert.equal(o.reason, 'HPAMaxedOut');
  assert.equal(o.since, at(65));
  assert.equal(o.minDurationMs, 120_000);
  assert.equal(o.fields?.target, 'Deployment/worker');
  assert.match(o.title, /at its maximum of 4 replicas/);
  assert.deepEqual(detect('HorizontalPodAutoscaler', { current: hpa([...OK, { type: 'ScalingLimited', status: 'True', reason: 'ScaleUpLimit' }]) }, t(70), config()), []);
  const calm = hpa([...OK, { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange' }]);
  assert.deepEqual(detect('HorizontalPodAutoscaler', { current: calm }, t(70), config()), []);
  assert.match(describeResolved(o, calm), /no longer wants more than 4 replicas \(running 4, desired 4\)/);
  assert.deepEqual(detect('HorizontalPodAutoscaler', { current: maxed }, t(70), config({ hpa: { enabled: false } })), []);
});

test('hpa unable to scale: AbleToScale or ScalingActive False, but not ScalingDisabled', () => {
  const noMetrics = hpa([
    { type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale' },
    { type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', at: 5, message: 'the HPA was unable to compute the replica count: no metrics' },
  ]);
  const [o] = detect('HorizontalPodAutoscaler', { current: noMetrics }, t(10), config());
  assert.equal(o.reason, 'HPAUnableToScale');
  assert.equal(o.key, `hpa/${HPA_UID}/ScalingActiveFalse`);
  assert.equal(o.fields?.conditionReason, 'FailedGetResourceMetric');
  assert.equal(o.minDurationMs, 120_000);
  assert.match(o.message, /unable to compute the replica count: no metrics/);
  const noTarget = detect('HorizontalPodAutoscaler', { current: hpa([{ type: 'AbleToScale', status: 'False', reason: 'FailedGetScale' }]) }, t(10), config());
  assert.equal(noTarget[0].key, `hpa/${HPA_UID}/AbleToScaleFalse`);
  assert.deepEqual(detect('HorizontalPodAutoscaler', { current: hpa([OK[0], { type: 'ScalingActive', status: 'False', reason: 'ScalingDisabled' }]) }, t(10), config()), []);
  assert.equal(describeResolved(o, hpa(OK)), 'HorizontalPodAutoscaler demo/worker can scale again (ScalingActive: ValidMetricFound)');
  // the autoscaler's metric warnings are that incident
  const ev = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'demo', uid: 'ev-1' }, type: 'Warning', reason: 'FailedGetResourceMetric', message: 'no metrics', involvedObject: { kind: 'HorizontalPodAutoscaler', namespace: 'demo', name: 'worker', uid: HPA_UID } } as KubeObject;
  assert.deepEqual(detect('Event', { current: ev }, t(1), config()), []);
});
