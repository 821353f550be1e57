import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detect, recheckAt } from '../../src/detect/index.ts';
import type { Observation } from '../../src/detect/types.ts';
import { Severity } from '../../src/model/notification.ts';
import { at, config, cs, IMAGE, pod, POD_UID, running, t, terminated, waiting } from './fixtures.ts';

const DEFAULTS = config();
const run = (p: ReturnType<typeof pod>, now = 100, cfg = DEFAULTS): Observation[] => detect('Pod', { current: p }, t(now), cfg);
/** key suffix after "pod/<uid>/" and state, for compact assertions */
const brief = (obs: Observation[]): string[] => obs.map((o) => `${o.key.replace(`pod/${POD_UID}/`, '')} ${o.kind} ${o.state}`);

const crashLooping = (restarts = 3, extra: Partial<Parameters<typeof cs>[0]> = {}) =>
  cs({
    state: waiting('CrashLoopBackOff', `back-off 40s restarting failed container=app pod=web_demo(${POD_UID})`),
    last: terminated('Error', 1, 46, 49, 'starting app\nfatal: could not connect to database\nexiting with status 1'),
    restarts,
    ...extra,
  });

test('CrashLoopBackOff: critical level observation with restarts, last exit and the Deployment as owner', () => {
  const p = pod({
    name: 'web-5d4f8b7c9-x2x7k',
    labels: { app: 'web', 'pod-template-hash': '5d4f8b7c9' },
    owner: { kind: 'ReplicaSet', name: 'web-5d4f8b7c9', uid: 'rs-uid' },
    statuses: [crashLooping(3)],
    ready: ['False', 49],
  });
  const obs = run(p, 60);
  assert.deepEqual(brief(obs), ['app/CrashLoopBackOff level firing', 'NotReady level holding']);
  assert.deepEqual(obs[0], {
    kind: 'level',
    involved: { apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: 'web-5d4f8b7c9-x2x7k', uid: POD_UID },
    key: `pod/${POD_UID}/app/CrashLoopBackOff`,
    detector: 'crashLoopBackOff',
    severity: Severity.CRITICAL,
    reason: 'CrashLoopBackOff',
    title: 'Pod demo/web-5d4f8b7c9-x2x7k: container app is crash-looping',
    message: 'Container app of pod demo/web-5d4f8b7c9-x2x7k keeps crashing: 3 restarts, last exit code 1 (Error)',
    count: 3,
    fields: {
      node: 'sim-node-1',
      ownerApiVersion: 'apps/v1',
      ownerKind: 'Deployment',
      ownerName: 'web',
      container: 'app',
      restarts: '3',
      image: IMAGE,
      waitingReason: 'CrashLoopBackOff',
      exitCode: '1',
      message: 'starting app\nfatal: could not connect to database\nexiting with status 1',
    },
    state: 'firing',
  });
});

test('CrashLoopBackOff holds between back-offs and is gone once the container is ready for stableSeconds', () => {
  const justExited = cs({ state: terminated('Error', 1, 46, 49), last: terminated('Error', 1, 22, 25), restarts: 2 });
  assert.deepEqual(brief(run(pod({ statuses: [justExited], ready: ['False', 49] }), 50)), ['app/CrashLoopBackOff level holding', 'NotReady level holding']);

  const upNotReady = cs({ state: running(90), last: terminated('Error', 1, 46, 49), restarts: 3, ready: false });
  assert.deepEqual(brief(run(pod({ statuses: [upNotReady], ready: ['False', 49] }), 91)), ['app/CrashLoopBackOff level holding', 'NotReady level holding']);

  const readyNotLong = cs({ state: running(90), last: terminated('Error', 1, 46, 49), restarts: 3, ready: true });
  assert.deepEqual(brief(run(pod({ statuses: [readyNotLong], ready: ['True', 91] }), 149)), ['app/CrashLoopBackOff level holding']);
  // stable: running, ready and up for stableSeconds (60 by default)
  assert.deepEqual(brief(run(pod({ statuses: [readyNotLong], ready: ['True', 91] }), 150)), []);
  assert.deepEqual(brief(run(pod({ statuses: [readyNotLong], ready: ['True', 91] }), 110, config({ crashLoopBackOff: { stableSeconds: 20 } }))), []);
});

test('a container that never restarted is not in a crash loop; a finished pod no longer holds one', () => {
  assert.deepEqual(brief(run(pod({ statuses: [cs({ state: running(3), ready: true })], ready: ['True', 5] }))), []);
  const failed = pod({ phase: 'Failed', statuses: [cs({ state: terminated('Error', 1, 46, 49), last: terminated('Error', 1, 22, 25), restarts: 2 })], ready: ['False', 49] });
  assert.deepEqual(brief(run(failed, 60)), ['Failed edge firing']);
});

test('a crash loop that restarted and then stays up unready is no longer covering the pod NotReady', () => {
  const p = pod({ statuses: [cs({ state: running(100), last: terminated('Error', 1, 46, 49), restarts: 3 })], ready: ['False', 49] });
  assert.deepEqual(brief(run(p, 159)), ['app/CrashLoopBackOff level holding', 'NotReady level holding']);
  assert.deepEqual(brief(run(p, 160)), ['app/CrashLoopBackOff level holding', 'NotReady level firing']);
});

test('OOMKilled: fires on the kill, through the back-off, until the container has run stableSeconds since', () => {
  const killed = pod({ memoryLimit: '128Mi', statuses: [cs({ state: terminated('OOMKilled', 137, 3, 9), restarts: 0 })], ready: ['False', 9] });
  const obs = run(killed, 9);
  assert.deepEqual(brief(obs), ['app/OOMKilled level firing', 'NotReady level holding']);
  assert.deepEqual(
    { ...obs[0], involved: undefined },
    {
      kind: 'level',
      involved: undefined,
      key: `pod/${POD_UID}/app/OOMKilled`,
      state: 'firing',
      detector: 'oomKilled',
      severity: Severity.CRITICAL,
      reason: 'OOMKilled',
      title: 'Pod demo/web: container app was OOMKilled',
      message: 'Container app of pod demo/web was killed for running out of memory (limit 128Mi), exit code 137',
      since: at(9),
      count: 0,
      fields: { node: 'sim-node-1', container: 'app', restarts: '0', image: IMAGE, exitCode: '137', memoryLimit: '128Mi' },
    },
  );
  const backingOff = pod({ statuses: [cs({ state: waiting('CrashLoopBackOff'), last: terminated('OOMKilled', 137, 10, 15), restarts: 1 })], ready: ['False', 15] });
  assert.deepEqual(brief(run(backingOff, 20)), ['app/CrashLoopBackOff level firing', 'app/OOMKilled level firing', 'NotReady level holding']);
  assert.equal(run(backingOff, 20)[1].since, at(15));

  const up = (now: number, ready: boolean) =>
    brief(run(pod({ statuses: [cs({ state: running(26), last: terminated('OOMKilled', 137, 10, 15), restarts: 2, ready })], ready: [ready ? 'True' : 'False', 27] }), now));
  assert.deepEqual(up(50, true), ['app/CrashLoopBackOff level holding', 'app/OOMKilled level firing']);
  assert.deepEqual(up(86, true), []);
  // readiness failing long after the kill is not a new OOM kill
  assert.deepEqual(up(86, false), ['app/CrashLoopBackOff level holding', 'NotReady level firing']);
});

test('OOMKilled with restartPolicy Never: the pod is Failed and the kill is its final state', () => {
  const p = pod({ phase: 'Failed', statuses: [cs({ state: terminated('OOMKilled', 137, 3, 9) })], ready: ['False', 9] });
  assert.deepEqual(brief(run(p, 10)), ['app/OOMKilled level firing', 'Failed edge firing']);
  const evictedAfterOom = pod({ phase: 'Failed', reason: 'Evicted', statuses: [cs({ state: terminated('Error', 137, 20, 30), last: terminated('OOMKilled', 137, 3, 9), restarts: 1 })], ready: ['False', 30] });
  assert.deepEqual(brief(run(evictedAfterOom, 31)), ['Evicted edge firing']);
});

test('image pull failures: ErrImagePull and ImagePullBackOff share one key; other bad reasons have their own', () => {
  const msg = 'failed to pull and unpack image "docker.io/willwill/inexisting:latest": pull access denied';
  const pulling = (reason: string, message: string) =>
    run(pod({ phase: 'Pending', statuses: [cs({ state: waiting(reason, message), image: 'willwill/inexisting' })], ready: ['False', 0] }), 12);
  const a = pulling('ErrImagePull', msg);
  const b = pulling('ImagePullBackOff', 'Back-off pulling image "willwill/inexisting"');
  assert.deepEqual(brief(a), ['app/image-pull level firing']);
  assert.equal(a[0].key, b[0].key);
  assert.deepEqual([a[0].reason, b[0].reason, a[0].severity, a[0].detector], ['ErrImagePull', 'ImagePullBackOff', Severity.WARNING, 'badWaiting']);
  assert.equal(a[0].title, `Pod demo/web: cannot pull image ${IMAGE}`);
  assert.equal(a[0].message, `Container app of pod demo/web is waiting: ErrImagePull: ${msg}`);
  assert.deepEqual(a[0].fields, { node: 'sim-node-1', container: 'app', restarts: '0', image: IMAGE, waitingReason: 'ErrImagePull', message: msg });

  const configErr = run(pod({ phase: 'Pending', statuses: [cs({ state: waiting('CreateContainerConfigError', 'configmap "app-config" not found') })] }));
  assert.deepEqual(brief(configErr), ['app/CreateContainerConfigError level firing']);
  assert.equal(configErr[0].title, 'Pod demo/web: container app cannot start (CreateContainerConfigError)');
  assert.deepEqual(brief(run(pod({ phase: 'Pending', statuses: [cs({ state: waiting('ContainerCreating') })] }))), []);
  assert.deepEqual(brief(run(pod({ phase: 'Pending', statuses: [cs({ state: waiting('ErrImagePull', msg) })] }), 12, config({ badWaiting: { reasons: ['CreateContainerConfigError'] } }))), []);
  assert.deepEqual(brief(run(pod({ phase: 'Pending', statuses: [cs({ state: waiting('ErrImagePull', msg) })] }), 12, config({ badWaiting: { enabled: false } }))), []);
});

test('init containers are watched too; one that completed is done for good', () => {
  const p = pod({
    phase: 'Pending',
    initContainers: ['migrate'],
    initStatuses: [cs({ name: 'migrate', state: waiting('CrashLoopBackOff'), last: terminated('Error', 2, 5, 6), restarts: 2, image: 'busybox:1.36' })],
    statuses: [cs({ state: waiting('PodInitializing') })],
  });
  const obs = run(p, 30);
  assert.deepEqual(brief(obs), ['migrate/CrashLoopBackOff level firing']);
  assert.equal(obs[0].title, 'Pod demo/web: init container migrate is crash-looping');
  assert.equal(obs[0].fields?.initContainer, 'true');
  assert.equal(obs[0].fields?.image, 'busybox:1.36');
  const done = pod({
    initContainers: ['migrate'],
    initStatuses: [cs({ name: 'migrate', state: terminated('Completed', 0, 30, 31), last: terminated('Error', 2, 5, 6), restarts: 2, ready: true })],
    statuses: [cs({ state: running(32), ready: true })],
    ready: ['True', 33],
  });
  assert.deepEqual(brief(run(done, 34)), []);
});

test('pod NotReady: only Running pods not being deleted, since the Ready transition, after minSeconds', () => {
  const notReady = pod({ statuses: [cs({ state: running(3) })], ready: ['False', 0] });
  const [o] = run(notReady, 30);
  assert.deepEqual(o, {
    kind: 'level',
    key: `pod/${POD_UID}/NotReady`,
    state: 'firing',
    detector: 'podNotReady',
    severity: Severity.WARNING,
    reason: 'PodNotReady',
    title: 'Pod demo/web is not ready',
    message: `Pod demo/web has not been ready since ${at(0)}: containers with unready status: [app]`,
    since: at(0),
    minDurationMs: 60_000,
    fields: { node: 'sim-node-1', unready: 'app', conditionReason: 'ContainersNotReady' },
    involved: { apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: 'web', uid: POD_UID },
  });
  assert.equal(run(notReady, 30, config({ podNotReady: { minSeconds: 120 } }))[0].minDurationMs, 120_000);
  assert.deepEqual(brief(run(notReady, 30, config({ podNotReady: { enabled: false } }))), []);
  assert.deepEqual(brief(run(pod({ phase: 'Pending', statuses: [cs({ state: waiting('ContainerCreating') })], ready: ['False', 0] }))), []);
  assert.deepEqual(brief(run(pod({ deleting: true, statuses: [cs({ state: running(3) })], ready: ['False', 0] }))), []);
  assert.deepEqual(brief(run(pod({ statuses: [cs({ state: running(3), ready: true })], ready: ['True', 5] }))), []);
});

test('pod Failed and Evicted are edges keyed by the pod uid, each behind its own switch', () => {
  const failed = pod({ phase: 'Failed', statuses: [cs({ state: terminated('Error', 3, 1, 4, 'boom') })], ready: ['False', 4] });
  const [f] = run(failed);
  assert.deepEqual(
    [f.kind, f.key, f.detector, f.reason, f.title, f.message, f.severity],
    ['edge', `pod/${POD_UID}/Failed`, 'podFailed', 'PodFailed', 'Pod demo/web failed', 'Pod demo/web failed: container app exited with code 3 (Error): boom', Severity.WARNING],
  );
  assert.deepEqual(f.fields, { node: 'sim-node-1', container: 'app', exitCode: '3' });
  assert.deepEqual(brief(run(failed, 100, config({ podFailed: { enabled: false } }))), []);

  const message = 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 88412Ki. ';
  const evicted = pod({ phase: 'Failed', reason: 'Evicted', message, statuses: [cs({ state: terminated('Error', 137, 3, 21) })], ready: ['False', 21] });
  const [e] = run(evicted);
  assert.deepEqual(
    [e.kind, e.key, e.detector, e.reason, e.title, e.message],
    ['edge', `pod/${POD_UID}/Evicted`, 'evicted', 'Evicted', 'Pod demo/web was evicted', `Pod demo/web was evicted from node sim-node-1: ${message.trim()}`],
  );
  assert.deepEqual(brief(run(evicted, 100, config({ evicted: { enabled: false } }))), []);
  assert.deepEqual(brief(run(evicted, 100, config({ podFailed: { enabled: false } }))), ['Evicted edge firing']);
});

test('owners: a ReplicaSet without the template hash, a StatefulSet, and no controller at all', () => {
  const base = { statuses: [crashLooping()], ready: ['False', 49] as [string, number] };
  const owner = (p: ReturnType<typeof pod>) => {
    const f = run(p)[0].fields!;
    return [f.ownerApiVersion, f.ownerKind, f.ownerName, f.ownerUid];
  };
  assert.deepEqual(owner(pod({ ...base, owner: { kind: 'ReplicaSet', name: 'standalone', uid: 'rs-1' } })), ['apps/v1', 'ReplicaSet', 'standalone', 'rs-1']);
  assert.deepEqual(owner(pod({ ...base, owner: { kind: 'StatefulSet', name: 'db', uid: 'ss-1' } })), ['apps/v1', 'StatefulSet', 'db', 'ss-1']);
  assert.deepEqual(owner(pod({ ...base, owner: { kind: 'Job', name: 'backup-28', uid: 'job-1', apiVersion: 'batch/v1' } })), ['batch/v1', 'Job', 'backup-28', 'job-1']);
  assert.deepEqual(owner(pod(base)), [undefined, undefined, undefined, undefined]);
});

test('detect: deletions give nothing; other kinds (extra watched resources) give change edges', () => {
  const p = pod({ statuses: [crashLooping()] });
  assert.deepEqual(detect('Pod', { old: p }, t(1), DEFAULTS), []);
  const cm = { metadata: { name: 'x', namespace: 'demo', uid: 'u', resourceVersion: '1' }, data: { a: '1' } };
  // already there when we started: not a creation we saw
  assert.deepEqual(detect('ConfigMap', { current: cm, initial: true }, t(1), DEFAULTS), []);
  assert.deepEqual(detect('ConfigMap', { current: cm }, t(1), DEFAULTS).map((o) => [o.key, o.reason, o.kind]), [['ConfigMap/u/created', 'Created', 'edge']]);
  const changed = { ...cm, metadata: { ...cm.metadata, resourceVersion: '2' }, data: { a: '2' } };
  assert.deepEqual(detect('ConfigMap', { old: cm, current: changed }, t(1), DEFAULTS).map((o) => [o.key, o.reason]), [['ConfigMap/u/changed/2', 'Changed']]);
  // a status-only write is not a change a person made
  const statusOnly = { ...cm, metadata: { ...cm.metadata, resourceVersion: '3' }, status: { phase: 'x' } };
  assert.deepEqual(detect('ConfigMap', { old: cm, current: statusOnly }, t(1), DEFAULTS), []);
  assert.deepEqual(detect('ConfigMap', { old: cm }, t(1), DEFAULTS).map((o) => [o.key, o.reason]), [['ConfigMap/u/deleted', 'Deleted']]);
  assert.deepEqual(detect('ConfigMap', { old: cm }, t(1), config({ resourceChanges: { enabled: false } })), []);
  // a pod the listener saw before kubelet posted anything
  assert.deepEqual(detect('Pod', { current: { metadata: { name: 'new', namespace: 'demo', uid: 'u' }, spec: {}, status: { phase: 'Pending' } } }, t(1), DEFAULTS), []);
});

test('recheckAt: when a restarted container becomes stable with no change to the pod', () => {
  const up = pod({ statuses: [cs({ state: running(90), last: terminated('Error', 1, 46, 49), restarts: 3, ready: true })], ready: ['True', 91] });
  assert.deepEqual(recheckAt('Pod', up, t(100), DEFAULTS), t(150));
  assert.deepEqual(recheckAt('Pod', up, t(100), config({ crashLoopBackOff: { stableSeconds: 20 } })), t(110));
  // already stable, never restarted, not running, or not a pod: nothing due
  assert.equal(recheckAt('Pod', up, t(150), DEFAULTS), undefined);
  assert.equal(recheckAt('Pod', pod({ statuses: [cs({ state: running(90), ready: true })] }), t(100), DEFAULTS), undefined);
  assert.equal(recheckAt('Pod', pod({ statuses: [crashLooping()] }), t(100), DEFAULTS), undefined);
  assert.equal(recheckAt('Node', up, t(100), DEFAULTS), undefined);
  assert.equal(recheckAt('Pod', undefined, t(100), DEFAULTS), undefined);
  // an OOM kill with no restart counted yet (the first kill, restartPolicy OnFailure) is watched too
  const afterOom = pod({ statuses: [cs({ state: running(20), last: terminated('OOMKilled', 137, 3, 9) })] });
  assert.deepEqual(recheckAt('Pod', afterOom, t(30), DEFAULTS), t(80));
});
