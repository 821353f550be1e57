import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detect } from '../../src/detect/index.ts';
import { Severity } from '../../src/model/notification.ts';
import type { DetectorsConfig } from '../../src/detect/config.ts';
import type { KubeObject } from '../../src/model/kube.ts';
import { at, config, CONTAINER_REF, coreEvent, EVENT_UID, IMAGE, POD_UID, t } from './fixtures.ts';

const run = (ev: KubeObject, cfg = config()) => detect('Event', { current: ev }, t(100), cfg);

test('a core/v1 Warning event is an edge keyed by the Event uid, about its involved object', () => {
  const obs = run(coreEvent({ count: 4, first: 11, last: 59 }));
  assert.deepEqual(obs, [
    {
      kind: 'edge',
      key: `event/${EVENT_UID}`,
      state: 'firing',
      detector: 'warningEvents',
      severity: Severity.WARNING,
      reason: 'FailedPostStartHook',
      title: 'FailedPostStartHook: Pod demo/web',
      message: 'PostStartHook failed',
      since: at(59),
      count: 4,
      eventType: 'Warning',
      fields: { component: 'kubelet', node: 'sim-node-1', fieldPath: 'spec.containers{app}', container: 'app' },
      involved: { apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: 'web', uid: POD_UID },
    },
  ]);
  // the same Event object counting up keeps its key
  assert.equal(run(coreEvent({ count: 9, last: 99 }))[0].key, obs[0].key);
});

test('an events.k8s.io/v1 Event: regarding, note, series and deprecated fields', () => {
  // the scheduler records through events.k8s.io/v1
  const ev = {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'web.1829a0b1c2d3e4f5', namespace: 'demo', uid: 'ev-2' },
    eventTime: '2025-03-01T10:00:05.000000Z',
    series: { count: 7, lastObservedTime: '2025-03-01T10:01:40.123456Z' },
    reportingController: 'default-scheduler',
    reportingInstance: 'default-scheduler-sim-control-plane',
    action: 'Scheduling',
    reason: 'FailedScheduling',
    regarding: { kind: 'Pod', namespace: 'demo', name: 'web', uid: POD_UID, apiVersion: 'v1', resourceVersion: '1234' },
    note: '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
    type: 'Warning',
    deprecatedCount: 7,
  };
  const [o] = run(ev);
  assert.deepEqual(
    [o.key, o.title, o.message, o.count, o.since, o.fields, o.involved],
    [
      'event/ev-2',
      'FailedScheduling: Pod demo/web',
      '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
      7,
      '2025-03-01T10:01:40.123456Z',
      { component: 'default-scheduler' },
      { apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: 'web', uid: POD_UID },
    ],
  );
  const old = { ...ev, series: undefined, deprecatedCount: 3, deprecatedLastTimestamp: at(30), deprecatedSource: { component: 'kubelet', host: 'sim-node-2' } };
  const [p] = run(old);
  assert.deepEqual([p.count, p.since, p.fields], [3, at(30), { component: 'default-scheduler', node: 'sim-node-2' }]);
});

test('excluded reasons and Normal events (unless enabled, then info)', () => {
  assert.equal(run(coreEvent()).length, 1);
  assert.deepEqual(run(coreEvent(), config({ warningEvents: { excludeReasons: ['FailedPostStartHook'] } })), []);
  assert.deepEqual(run(coreEvent(), config({ warningEvents: { enabled: false } })), []);
  const normal = coreEvent({ type: 'Normal', reason: 'Pulled', message: 'Container image "nginx:1.28" already present on machine' });
  assert.deepEqual(run(normal), []);
  const [o] = run(normal, config({ normalEvents: { enabled: true } }));
  assert.deepEqual([o.kind, o.detector, o.severity, o.eventType, o.title], ['edge', 'normalEvents', Severity.INFO, 'Normal', 'Pulled: Pod demo/web']);
});

// Warning events that repeat what a state detector reports about the same
// object ("covered"): one per reason/kind pair the filter knows, in the
// shape its recorder writes.
const POD_REF = { kind: 'Pod', namespace: 'demo', name: 'web', uid: POD_UID, apiVersion: 'v1', resourceVersion: '1234' };
/** kubelet's node reference: the node name as uid, no apiVersion */
const NODE_REF = { kind: 'Node', name: 'sim-node-2', uid: 'sim-node-2', namespace: '' };
const KUBELET = { component: 'kubelet', host: 'sim-node-2' };
const NODE_CONTROLLER = { component: 'node-controller' };
const PULL_ERROR = `Failed to pull image "${IMAGE}": rpc error: code = NotFound desc = failed to pull and unpack image "${IMAGE}": not found`;

interface CoveredCase {
  reason: string;
  involved: Record<string, unknown>;
  message: string;
  source?: { component: string; host?: string };
  /** the state detector that already reports it */
  detector: keyof DetectorsConfig;
  title: string;
}

const COVERED_CASES: CoveredCase[] = [
  { reason: 'BackOff', involved: CONTAINER_REF, message: `Back-off restarting failed container app in pod web_demo(${POD_UID})`, detector: 'crashLoopBackOff', title: 'BackOff: Pod demo/web' },
  { reason: 'Failed', involved: CONTAINER_REF, message: PULL_ERROR, detector: 'badWaiting', title: 'Failed: Pod demo/web' },
  { reason: 'Failed', involved: CONTAINER_REF, message: 'Error: ErrImagePull', detector: 'badWaiting', title: 'Failed: Pod demo/web' },
  { reason: 'Failed', involved: CONTAINER_REF, message: 'Error: secret "web-env" not found', detector: 'badWaiting', title: 'Failed: Pod demo/web' },
  { reason: 'ErrImagePull', involved: CONTAINER_REF, message: PULL_ERROR, detector: 'badWaiting', title: 'ErrImagePull: Pod demo/web' },
  { reason: 'ImagePullBackOff', involved: CONTAINER_REF, message: `Back-off pulling image "${IMAGE}"`, detector: 'badWaiting', title: 'ImagePullBackOff: Pod demo/web' },
  {
    reason: 'Evicted',
    involved: POD_REF,
    message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 91556Ki. Container app was using 120Mi, request is 64Mi, has larger consumption of memory. ',
    source: KUBELET,
    detector: 'evicted',
    title: 'Evicted: Pod demo/web',
  },
  { reason: 'Unhealthy', involved: CONTAINER_REF, message: 'Readiness probe failed: HTTP probe failed with statuscode: 503', detector: 'podNotReady', title: 'Unhealthy: Pod demo/web' },
  { reason: 'NodeNotReady', involved: POD_REF, message: 'Node is not ready', source: NODE_CONTROLLER, detector: 'podNotReady', title: 'NodeNotReady: Pod demo/web' },
  { reason: 'NodeNotReady', involved: NODE_REF, message: 'Node sim-node-2 status is now: NodeNotReady', source: NODE_CONTROLLER, detector: 'nodeNotReady', title: 'NodeNotReady: Node sim-node-2' },
  { reason: 'EvictionThresholdMet', involved: NODE_REF, message: 'Attempting to reclaim memory', source: KUBELET, detector: 'nodePressure', title: 'EvictionThresholdMet: Node sim-node-2' },
];
/** every detector but the event ones */
const STATE_DETECTORS = (Object.keys(config()) as (keyof DetectorsConfig)[]).filter((d) => d !== 'warningEvents' && d !== 'normalEvents');

const coveredEvent = (c: CoveredCase): KubeObject => coreEvent({ reason: c.reason, involved: c.involved, message: c.message, source: c.source });
/** the defaults with these detectors switched off */
const disabled = (...detectors: (keyof DetectorsConfig)[]): DetectorsConfig => {
  const cfg = config();
  for (const d of detectors) cfg[d].enabled = false;
  return cfg;
};
const INCLUDE_COVERED = config({ warningEvents: { includeCovered: true } });
const label = (c: CoveredCase): string => `${c.reason} on ${c.involved.kind} (${c.message.slice(0, 30)})`;
const brief = (obs: ReturnType<typeof run>): string[] => obs.map((o) => `${o.detector} ${o.severity} ${o.title}`);
const notified = (title: string): string[] => [`warningEvents ${Severity.WARNING} ${title}`];

test('covered Warning events are not notified while the detector that reports the same state is enabled', () => {
  for (const c of COVERED_CASES) {
    assert.deepEqual(run(coveredEvent(c)), [], `${label(c)}: defaults`);
    // every other state detector off: suppressed by its own detector alone
    const others = STATE_DETECTORS.filter((d) => d !== c.detector);
    assert.deepEqual(run(coveredEvent(c), disabled(...others)), [], `${label(c)}: only ${c.detector} enabled`);
  }
  // read through events.k8s.io/v1 (regarding, note) it is the same event
  const ev = {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'web.18296a4b3c2d1e0f', namespace: 'demo', uid: EVENT_UID },
    type: 'Warning',
    reason: 'BackOff',
    regarding: CONTAINER_REF,
    note: `Back-off restarting failed container app in pod web_demo(${POD_UID})`,
    reportingController: 'kubelet',
    deprecatedCount: 4,
  };
  assert.deepEqual(run(ev), []);
  assert.deepEqual(brief(run(ev, disabled('crashLoopBackOff'))), notified('BackOff: Pod demo/web'));
});

test('a covered Warning event is notified when the detector that would report its state is disabled', () => {
  for (const c of COVERED_CASES) {
    const obs = run(coveredEvent(c), disabled(c.detector));
    assert.deepEqual(brief(obs), notified(c.title), label(c));
    assert.deepEqual([obs[0].kind, obs[0].key, obs[0].reason, obs[0].message], ['edge', `event/${EVENT_UID}`, c.reason, c.message], label(c));
  }
  // the cluster-scoped involved object: no namespace in the title or the reference
  const [node] = run(coveredEvent(COVERED_CASES.at(-1)!), disabled('nodePressure'));
  assert.deepEqual([node.involved, node.fields], [{ apiVersion: '', kind: 'Node', namespace: '', name: 'sim-node-2', uid: 'sim-node-2' }, { component: 'kubelet', node: 'sim-node-2' }]);
});

test('includeCovered: true notifies every covered Warning event; excludeReasons and enabled: false still win', () => {
  for (const c of COVERED_CASES) assert.deepEqual(brief(run(coveredEvent(c), INCLUDE_COVERED)), notified(c.title), label(c));
  const backOff = coveredEvent(COVERED_CASES[0]);
  assert.deepEqual(run(backOff, config({ warningEvents: { includeCovered: true, excludeReasons: ['BackOff'] } })), []);
  assert.deepEqual(run(backOff, config({ warningEvents: { includeCovered: true, enabled: false } })), []);
});

test('BackOff "Back-off pulling image" is tied to badWaiting (ImagePullBackOff), not to crashLoopBackOff', () => {
  const pulling = coreEvent({ reason: 'BackOff', message: `Back-off pulling image "${IMAGE}"` });
  assert.deepEqual(run(pulling), []);
  assert.deepEqual(run(pulling, disabled('crashLoopBackOff')), [], 'badWaiting still reports it');
  assert.deepEqual(brief(run(pulling, disabled('badWaiting'))), notified('BackOff: Pod demo/web'));
  assert.deepEqual(brief(run(pulling, INCLUDE_COVERED)), notified('BackOff: Pod demo/web'));
  // and the restart back-off the other way round
  const restarting = coveredEvent(COVERED_CASES[0]);
  assert.deepEqual(run(restarting, disabled('badWaiting')), []);
  // kubelet records the pull back-off as Normal: only normalEvents decides, as info
  const normal = coreEvent({ type: 'Normal', reason: 'BackOff', message: `Back-off pulling image "${IMAGE}"` });
  assert.deepEqual(run(normal), []);
  assert.deepEqual(brief(run(normal, config({ normalEvents: { enabled: true } }))), [`normalEvents ${Severity.INFO} BackOff: Pod demo/web`]);
});

test('a covered reason about another kind of object is notified: the state detectors only report their own kind', () => {
  const DEPLOY_REF = { kind: 'Deployment', namespace: 'demo', name: 'web', uid: 'deploy-uid', apiVersion: 'apps/v1' };
  const cases: [string, Record<string, unknown>, string][] = [
    ['BackOff', NODE_REF, 'BackOff: Node sim-node-2'],
    ['Unhealthy', DEPLOY_REF, 'Unhealthy: Deployment demo/web'],
    ['Failed', DEPLOY_REF, 'Failed: Deployment demo/web'],
    ['Evicted', NODE_REF, 'Evicted: Node sim-node-2'],
    ['NodeNotReady', DEPLOY_REF, 'NodeNotReady: Deployment demo/web'],
    ['EvictionThresholdMet', POD_REF, 'EvictionThresholdMet: Pod demo/web'],
  ];
  for (const [reason, involved, title] of cases) {
    assert.deepEqual(brief(run(coreEvent({ reason, involved, message: 'something went wrong' }))), notified(title), title);
  }
  // an unknown reason about a Pod is not covered either
  assert.deepEqual(brief(run(coreEvent({ reason: 'FailedMount', involved: POD_REF, message: 'MountVolume.SetUp failed for volume "config" : configmap "web-config" not found' }))), notified('FailedMount: Pod demo/web'));
});

test('reasons and kinds that are names of Object.prototype members are plain strings', () => {
  for (const [reason, kind] of [['__proto__', 'constructor'], ['constructor', 'name'], ['toString', 'name']]) {
    const involved = { kind, namespace: 'demo', name: 'web', uid: 'x' };
    assert.deepEqual(brief(run(coreEvent({ reason, involved, message: 'm' }))), notified(`${reason}: ${kind} demo/web`));
  }
});
