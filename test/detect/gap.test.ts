// What happened while kubeherald was down, from the first list alone: each
// kind of evidence, what is left to the normal detectors, and the keys that
// keep it exactly once.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_DETECTORS } from '../../src/detect/config.ts';
import { type GapInput, type GapKind, gapIdempotencyKey, gapNotifications, whileDownText } from '../../src/detect/gap.ts';
import type { KubeObject } from '../../src/model/kube.ts';
import { State } from '../../src/model/notification.ts';

// the gap is 7.5 minutes; what runs again 60 s (the default stableSeconds) before its end is over
const FROM = Date.parse('2026-03-04T14:02:00Z');
const TO = Date.parse('2026-03-04T14:09:30Z');
const inGap = (min: number): string => new Date(FROM + min * 60_000).toISOString();
const BEFORE = new Date(FROM - 60_000).toISOString();

function pod(name: string, containers: Record<string, unknown>[], extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, labels: { app: name } },
    status: { phase: 'Running', containerStatuses: containers },
    ...extra,
  } as KubeObject;
}

const restarted = (reason: string, finishedAt: string, restartCount = 3, exitCode = reason === 'OOMKilled' ? 137 : 1, startedAt = finishedAt): Record<string, unknown> => ({
  name: 'app',
  restartCount,
  state: { running: { startedAt } },
  lastState: { terminated: { reason, exitCode, finishedAt } },
});

function node(name: string, status: string, at: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, uid: `uid-${name}` }, status: { conditions: [{ type: 'Ready', status, lastTransitionTime: at }] } } as KubeObject;
}

function event(uid: string, reason: string, podName: string, at: string, count = 1, message = 'Failed to pull image "x:1"'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: uid, namespace: 'shop', uid },
    type: 'Warning',
    reason,
    message,
    count,
    lastTimestamp: at,
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: podName, uid: `uid-${podName}`, fieldPath: 'spec.containers{app}' },
  } as unknown as KubeObject;
}

function deployment(revision: string, updated: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', uid: 'uid-web', generation: 2, annotations: { 'deployment.kubernetes.io/revision': revision } },
    spec: { replicas: 2 },
    status: {
      observedGeneration: 2,
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
      conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', lastUpdateTime: updated, lastTransitionTime: BEFORE }],
    },
  } as KubeObject;
}

function run(objects: Partial<Record<GapKind, KubeObject[]>>, extra: Partial<GapInput> = {}): ReturnType<typeof gapNotifications> {
  return gapNotifications({
    window: { fromMs: FROM, toMs: TO },
    cluster: 'prod',
    config: DEFAULT_DETECTORS,
    list: (k) => objects[k] ?? [],
    known: () => false,
    namespaceAllowed: () => true,
    ...extra,
  });
}

test('the mark names the gap in UTC, with dates when it spans midnight', () => {
  assert.equal(whileDownText({ fromMs: FROM, toMs: TO }), 'while kubeherald was down, 14:02–14:09 UTC');
  assert.equal(
    whileDownText({ fromMs: Date.parse('2026-03-04T23:58:00Z'), toMs: Date.parse('2026-03-05T00:03:00Z') }),
    'while kubeherald was down, 2026-03-04 23:58 – 2026-03-05 00:03 UTC',
  );
});

test('a crash and an OOM kill that ended in the gap are each one RESOLVED notification, marked', () => {
  const ns = run({ Pod: [pod('crashy', [restarted('Error', inGap(2))]), pod('hungry', [restarted('OOMKilled', inGap(4), 1)])] });
  assert.deepEqual(
    ns.map((n) => [n.reason, n.state, n.involvedObject?.name, n.incidentKey]),
    [
      ['CrashLoopBackOff', State.RESOLVED, 'crashy', 'pod/uid-crashy/app/CrashLoopBackOff'],
      ['OOMKilled', State.RESOLVED, 'hungry', 'pod/uid-hungry/app/OOMKilled'],
    ],
  );
  for (const n of ns) {
    assert.match(n.title, /\(while kubeherald was down, 14:02–14:09 UTC\)$/);
    assert.equal(n.fields.whileDown, 'while kubeherald was down, 14:02–14:09 UTC');
    assert.equal(n.fields.downFrom, new Date(FROM).toISOString());
    assert.equal(n.cluster, 'prod');
  }
  assert.equal(ns[1].fields.exitCode, '137');
  assert.equal(ns[0].fields.restarts, '3');
  assert.match(ns[0].message, /exit code 1 \(Error\)/);
});

test('a termination before the gap, one still waiting, one the normal path knows, and a finished pod are not told', () => {
  const waiting = { ...restarted('Error', inGap(2)), state: { waiting: { reason: 'CrashLoopBackOff' } } };
  const ns = run(
    {
      Pod: [
        pod('old', [restarted('Error', BEFORE)]),
        pod('looping', [waiting]),
        pod('known', [restarted('OOMKilled', inGap(3))]),
        // up again, but for less than stableSeconds when kubeherald returned: the loop may not be over
        pod('between-backoffs', [restarted('Error', inGap(7), 5, 1, inGap(7))]),
        pod('done', [restarted('Error', inGap(3))], { status: { phase: 'Succeeded', containerStatuses: [restarted('Error', inGap(3))] } }),
      ],
    },
    { known: (k) => k === 'pod/uid-known/app/OOMKilled' },
  );
  assert.deepEqual(ns, []);
});

test('disabled detectors and namespaces out of scope tell nothing', () => {
  const objects = { Pod: [pod('hungry', [restarted('OOMKilled', inGap(4))])], Node: [node('n1', 'True', inGap(5))] };
  assert.deepEqual(run(objects, { config: { ...DEFAULT_DETECTORS, oomKilled: { enabled: false }, nodeNotReady: { enabled: false, minSeconds: 0 } } }), []);
  assert.equal(run(objects, { namespaceAllowed: (ns) => ns !== 'shop' }).length, 1, 'nodes have no namespace: only the node is told');
});

test('image pull failures in the gap for a pod that runs now: one notification per container, counts summed', () => {
  const ns = run({
    Pod: [pod('puller', [{ name: 'app', restartCount: 0, state: { running: { startedAt: inGap(6) } } }])],
    Event: [event('e1', 'Failed', 'puller', inGap(1), 2), event('e2', 'ErrImagePull', 'puller', inGap(2), 3), event('e3', 'BackOff', 'puller', inGap(3), 1, 'Back-off pulling image "x:1"')],
  });
  assert.equal(ns.length, 1);
  const [n] = ns;
  assert.equal(n.state, State.RESOLVED);
  assert.equal(n.incidentKey, 'pod/uid-puller/app/image-pull');
  assert.equal(n.count, 6);
  assert.equal(n.fields.container, 'app');
  assert.match(n.message, /the image is pulled now/);
});

test('an image still failing to pull is the normal detector\'s; a crash-loop BackOff event is not a pull failure', () => {
  const stuck = pod('stuck', [{ name: 'app', state: { waiting: { reason: 'ImagePullBackOff' } } }]);
  assert.deepEqual(run({ Pod: [stuck], Event: [event('e1', 'ErrImagePull', 'stuck', inGap(1))] }), []);
  assert.deepEqual(run({ Event: [event('e2', 'BackOff', 'gone', inGap(1), 4, 'Back-off restarting failed container')] }), []);
});

test('a node Ready again since a transition in the gap flapped; one Ready since before, or NotReady now, did not', () => {
  const ns = run({ Node: [node('n1', 'True', inGap(5)), node('n2', 'True', BEFORE), node('n3', 'False', inGap(5))] });
  assert.deepEqual(
    ns.map((n) => [n.reason, n.state, n.involvedObject?.name, n.incidentKey]),
    [['NodeNotReady', State.RESOLVED, 'n1', 'node/uid-n1/NotReady']],
  );
});

test('a rollout completed in the gap is told as the rollout detector would, marked; a revision already told is not', () => {
  const ns = run({ Deployment: [deployment('3', inGap(3))] });
  assert.deepEqual(
    ns.map((n) => [n.reason, n.state, n.incidentKey, n.fields.revision]),
    [['RolloutCompleted', State.FIRING, 'deployment/uid-web/rollout/3', '3']],
  );
  assert.deepEqual(run({ Deployment: [deployment('3', inGap(3))] }, { known: (k) => k === 'deployment/uid-web/rollout/3' }), []);
  assert.deepEqual(run({ Deployment: [deployment('3', BEFORE)] }), []);
});

test('keys come from the evidence: the same evidence keeps its key across starts, new evidence gets a new one', () => {
  const first = run({ Pod: [pod('crashy', [restarted('Error', inGap(2), 3)])] });
  // a later start whose gap still covers the same termination (a crash soon after the first restart)
  const again = gapNotifications({
    window: { fromMs: FROM - 3_600_000, toMs: TO + 60_000 },
    cluster: 'prod',
    config: DEFAULT_DETECTORS,
    list: () => [pod('crashy', [restarted('Error', inGap(2), 3)])],
    known: () => false,
    namespaceAllowed: () => true,
  });
  assert.equal(again[0].idempotencyKey, first[0].idempotencyKey);
  assert.equal(first[0].idempotencyKey, gapIdempotencyKey(`pod/uid-crashy/app/restart/3/${inGap(2)}`));
  const later = run({ Pod: [pod('crashy', [restarted('Error', inGap(5), 4)])] });
  assert.notEqual(later[0].idempotencyKey, first[0].idempotencyKey);
  // the pull notification's key covers the Events it was made from, whatever order they are listed in
  const a = run({ Event: [event('e1', 'ErrImagePull', 'p', inGap(1)), event('e2', 'ErrImagePull', 'p', inGap(2))] });
  const b = run({ Event: [event('e2', 'ErrImagePull', 'p', inGap(2)), event('e1', 'ErrImagePull', 'p', inGap(1), 5)] });
  assert.equal(a[0].idempotencyKey, b[0].idempotencyKey);
});

test('what happened is told oldest first', () => {
  const ns = run({ Pod: [pod('late', [restarted('Error', inGap(6))])], Node: [node('n1', 'True', inGap(1))], Deployment: [deployment('2', inGap(3))] });
  assert.deepEqual(
    ns.map((n) => n.involvedObject?.name),
    ['n1', 'web', 'late'],
  );
});
