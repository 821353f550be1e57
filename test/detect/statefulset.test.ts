import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detect, IncidentTracker } from '../../src/detect/index.ts';
import type { Delta } from '../../src/detect/types.ts';
import type { KubeObject } from '../../src/model/kube.ts';
import { Severity, State } from '../../src/model/notification.ts';
import { config, t } from './fixtures.ts';

const UID = 'sts-uid-1';

interface Opts {
  generation?: number;
  observed?: number;
  replicas?: number;
  ready?: number;
  updated?: number;
  current?: string;
  update?: string;
  partition?: number;
  onDelete?: boolean;
}

function sts(o: Opts = {}): KubeObject {
  const replicas = o.replicas ?? 3;
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'demo', uid: UID, generation: o.generation ?? 1 },
    spec: {
      replicas,
      updateStrategy: o.onDelete ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate: { partition: o.partition ?? 0 } },
      template: { spec: { containers: [{ name: 'pg', image: 'postgres:16' }] } },
    },
    status: {
      observedGeneration: o.observed ?? o.generation ?? 1,
      replicas,
      readyReplicas: o.ready ?? replicas,
      updatedReplicas: o.updated ?? replicas,
      currentRevision: o.current ?? 'db-1',
      updateRevision: o.update ?? o.current ?? 'db-1',
      availableReplicas: o.ready ?? replicas,
    },
  } as KubeObject;
}

const run = (delta: Delta, cfg = config()) => detect('StatefulSet', delta, t(100), cfg);
const keys = (delta: Delta, cfg = config()) => run(delta, cfg).map((o) => `${o.key.replace(`statefulset/${UID}/`, '')} ${o.kind}`);

const done = (rev: string, gen = 2) => sts({ generation: gen, current: rev });
const rolling = (from: string, to: string, updated: number, ready = 3, gen = 2) => sts({ generation: gen, current: from, update: to, updated, ready });

test('rollout completed: an edge on the transition to done, keyed by the update revision', () => {
  const obs = run({ old: rolling('db-1', 'db-2', 2, 2), current: done('db-2') });
  assert.equal(obs.length, 1);
  assert.deepEqual(obs[0], {
    kind: 'edge',
    key: `statefulset/${UID}/rollout/db-2`,
    state: 'firing',
    detector: 'statefulSetRollout',
    severity: Severity.INFO,
    reason: 'StatefulSetRolloutCompleted',
    title: 'StatefulSet demo/db rolled out revision db-2',
    message: 'StatefulSet demo/db finished rolling out revision db-2: 3 of 3 pods updated, 3 ready (postgres:16)',
    fields: { revision: 'db-2', currentRevision: 'db-2', replicas: '3', updatedReplicas: '3', readyReplicas: '3', images: 'postgres:16' },
    involved: { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'demo', name: 'db', uid: UID },
  });
  // a partition: done once the pods from the partition up are updated
  assert.deepEqual(keys({ old: sts({ partition: 2, current: 'db-1', update: 'db-2', updated: 0 }), current: sts({ partition: 2, current: 'db-1', update: 'db-2', updated: 1 }) }), ['rollout/db-2 edge']);
});

test('rollout completed is never announced without a transition seen, nor for OnDelete or when switched off', () => {
  assert.deepEqual(keys({ current: done('db-2') }), [], 'first sighting');
  assert.deepEqual(keys({ old: rolling('db-1', 'db-2', 2, 2), current: done('db-2'), initial: true }), [], 'the initial list');
  assert.deepEqual(keys({ old: done('db-2'), current: done('db-2') }), [], 'a status write of a finished set');
  // not yet observed by the controller
  assert.deepEqual(keys({ old: rolling('db-1', 'db-2', 2, 2), current: sts({ generation: 3, observed: 2, current: 'db-2' }) }).filter((k) => k.includes('rollout/')), []);
  assert.deepEqual(keys({ old: rolling('db-1', 'db-2', 2, 2), current: done('db-2') }, config({ statefulSetRollout: { completed: false } })), []);
  assert.deepEqual(keys({ old: rolling('db-1', 'db-2', 2, 2), current: done('db-2') }, config({ statefulSetRollout: { enabled: false } })), []);
  const onDelete = (updated: number) => sts({ onDelete: true, current: 'db-1', update: 'db-2', updated });
  assert.deepEqual(keys({ old: onDelete(2), current: onDelete(3) }), []);
});

test('a rollout waiting for progress is a pending level keyed by its progress; fewer ready pods than replicas is another', () => {
  const stuck = run({ old: rolling('db-1', 'db-2', 1, 2), current: rolling('db-1', 'db-2', 1, 2) });
  assert.deepEqual(
    stuck.map((o) => [o.key.replace(`statefulset/${UID}/`, ''), o.reason, o.minDurationMs, o.severity]),
    [
      ['StatefulSetRolloutStuck/db-2:1:2', 'StatefulSetRolloutStuck', 180_000, Severity.WARNING],
      ['StatefulSetUnavailable', 'StatefulSetUnavailable', 60_000, Severity.WARNING],
    ],
  );
  assert.equal(stuck[0].message, 'StatefulSet demo/db revision db-2 has not progressed for 3m: 1 of 3 pods updated, 2 ready');
  // a pod updated: another wait
  assert.deepEqual(keys({ current: rolling('db-1', 'db-2', 2, 2) }), ['StatefulSetRolloutStuck/db-2:2:2 level', 'StatefulSetUnavailable level']);
  // a crashed pod of a finished set is unavailable, not a rollout
  assert.deepEqual(keys({ current: sts({ current: 'db-2', ready: 2 }) }), ['StatefulSetUnavailable level']);
  // OnDelete: no rollout to get stuck, but pods can be unready
  assert.deepEqual(keys({ current: sts({ onDelete: true, current: 'db-1', update: 'db-2', updated: 1, ready: 2 }) }), ['StatefulSetUnavailable level']);
  assert.deepEqual(keys({ current: done('db-2') }), []);
  assert.deepEqual(keys({ current: rolling('db-1', 'db-2', 1, 2) }, config({ statefulSetRollout: { enabled: false } })), []);
});

test('through the tracker: stuck fires after progressSeconds and resolves on completion; scaling a finished set is no rollout', () => {
  const tracker = new IncidentTracker({ cluster: 'c', includeRaw: false });
  const seq: [number, KubeObject][] = [
    [0, sts({ generation: 1, observed: 1, replicas: 3, ready: 0, updated: 0 })],
    [5, sts({ generation: 1, ready: 3, current: 'db-1' })],
    [20, rolling('db-1', 'db-2', 0, 3)],
    [21, rolling('db-1', 'db-2', 1, 2)],
    [300, rolling('db-1', 'db-2', 1, 2)],
    [310, done('db-2')],
    [400, sts({ generation: 3, observed: 3, replicas: 5, ready: 3, updated: 5, current: 'db-2' })],
    [410, sts({ generation: 3, observed: 3, replicas: 5, ready: 5, updated: 5, current: 'db-2' })],
  ];
  const out: string[] = [];
  let prev: KubeObject | undefined;
  for (const [s, obj] of seq) {
    // the listener ticks the tracker every second; stepping to the next change is enough here
    for (const n of tracker.tick(t(s))) out.push(`${s} ${State[n.state]} ${n.reason}`);
    for (const n of tracker.observe(UID, obj, detect('StatefulSet', { old: prev, current: obj }, t(s), config()), t(s))) out.push(`${s} ${State[n.state]} ${n.reason}`);
    prev = obj;
  }
  assert.deepEqual(out, [
    '5 FIRING StatefulSetRolloutCompleted',
    '300 FIRING StatefulSetUnavailable',
    '300 FIRING StatefulSetRolloutStuck',
    '310 FIRING StatefulSetRolloutCompleted',
    '310 RESOLVED StatefulSetRolloutStuck',
    '310 RESOLVED StatefulSetUnavailable',
  ]);
});

test('resolved texts: completed, progressing again, all ready again, deleted', async () => {
  const { describeResolved } = await import('../../src/detect/index.ts');
  const [stuck, unavailable] = run({ current: rolling('db-1', 'db-2', 1, 2) });
  assert.equal(describeResolved(stuck, done('db-2')), 'statefulset demo/db rolled out revision db-2 (3 of 3 pods ready)');
  assert.equal(describeResolved(stuck, rolling('db-1', 'db-2', 2, 2)), 'statefulset demo/db is progressing again (2 of 3 pods updated, 2 ready)');
  assert.equal(describeResolved(unavailable, done('db-2')), 'statefulset demo/db has all pods ready again (3 of 3)');
  assert.equal(describeResolved(stuck, undefined), 'statefulset demo/db was deleted');
});

test('a StatefulSet deleted while stuck resolves its incidents', () => {
  const tracker = new IncidentTracker({ cluster: 'c', includeRaw: false });
  const obj = rolling('db-1', 'db-2', 1, 2);
  tracker.observe(UID, obj, run({ current: obj }), t(0));
  const fired = tracker.tick(t(200)).map((n) => `${State[n.state]} ${n.reason}`);
  assert.deepEqual(fired.sort(), ['FIRING StatefulSetRolloutStuck', 'FIRING StatefulSetUnavailable']);
  const gone = tracker.observe(UID, undefined, [], t(201)).map((n) => `${State[n.state]} ${n.reason} ${n.message}`);
  assert.deepEqual(gone.sort(), ['RESOLVED StatefulSetRolloutStuck statefulset demo/db was deleted', 'RESOLVED StatefulSetUnavailable statefulset demo/db was deleted']);
});
