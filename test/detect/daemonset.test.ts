import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_DETECTORS, type DetectorsConfig } from '../../src/detect/config.ts';
import { allowedUnavailable, daemonSetRolloutComplete } from '../../src/detect/daemonset.ts';
import { describeResolved, detect, IncidentTracker } from '../../src/detect/index.ts';
import type { Delta } from '../../src/detect/types.ts';
import type { KubeObject } from '../../src/model/kube.ts';
import { Severity, State } from '../../src/model/notification.ts';

const UID = 'ds-uid-1';

interface Counts {
  generation?: number;
  observed?: number;
  desired?: number;
  updated?: number;
  available?: number;
  ready?: number;
  unavailable?: number;
  strategy?: 'RollingUpdate' | 'OnDelete';
  maxUnavailable?: number | string;
}

function ds(c: Counts = {}): KubeObject {
  const generation = c.generation ?? 1;
  const desired = c.desired ?? 3;
  const available = c.available ?? desired;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'infra', uid: UID, generation, labels: { app: 'agent' } },
    spec: {
      updateStrategy: c.strategy === 'OnDelete' ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: c.maxUnavailable ?? 1, maxSurge: 0 } },
      template: { spec: { containers: [{ name: 'agent', image: 'agent:2' }] } },
    },
    status: {
      currentNumberScheduled: desired,
      numberMisscheduled: 0,
      desiredNumberScheduled: desired,
      numberReady: c.ready ?? available,
      observedGeneration: c.observed ?? generation,
      updatedNumberScheduled: c.updated ?? desired,
      numberAvailable: available,
      numberUnavailable: c.unavailable ?? desired - available,
    },
  } as KubeObject;
}

const config = (over: Partial<DetectorsConfig['daemonSetRollout']> = {}): DetectorsConfig => ({
  ...structuredClone(DEFAULT_DETECTORS),
  daemonSetRollout: { ...DEFAULT_DETECTORS.daemonSetRollout, ...over },
});
const run = (delta: Delta, cfg = config()) => detect('DaemonSet', delta, new Date('2025-03-01T10:00:00Z'), cfg);
const keys = (delta: Delta, cfg = config()) => run(delta, cfg).map((o) => `${o.key.replace(`daemonset/${UID}/`, '')} ${o.kind}`);

test('complete as kubectl rollout status says it: generation observed, every node updated and available', () => {
  assert.equal(daemonSetRolloutComplete(ds()), true);
  assert.equal(daemonSetRolloutComplete(ds({ generation: 2, observed: 1 })), false);
  assert.equal(daemonSetRolloutComplete(ds({ updated: 2 })), false);
  assert.equal(daemonSetRolloutComplete(ds({ available: 2 })), false);
  assert.equal(daemonSetRolloutComplete(undefined), false);
  assert.equal(allowedUnavailable(ds({ maxUnavailable: '50%', desired: 3 })), 2, 'percentages round up');
  assert.equal(allowedUnavailable(ds({ strategy: 'OnDelete' })), 0);
});

test('rollout completed: an edge on the transition to complete, keyed by the generation', () => {
  const obs = run({ old: ds({ generation: 2, updated: 2, available: 2 }), current: ds({ generation: 2 }) });
  assert.deepEqual(obs, [
    {
      kind: 'edge',
      key: `daemonset/${UID}/rollout/2`,
      state: 'firing',
      detector: 'daemonSetRollout',
      severity: Severity.INFO,
      reason: 'DaemonSetRolloutCompleted',
      title: 'DaemonSet infra/agent rolled out',
      message: 'DaemonSet infra/agent finished rolling out generation 2: 3 of 3 nodes updated and available (agent:2)',
      fields: { generation: '2', desiredNumberScheduled: '3', updatedNumberScheduled: '3', numberAvailable: '3', numberReady: '3', images: 'agent:2' },
      involved: { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: 'infra', name: 'agent', uid: UID },
    },
  ]);
  // a new DaemonSet: the object as created, before the controller saw it
  assert.deepEqual(keys({ old: ds({ observed: 0, desired: 0 }), current: ds() }), ['rollout/1 edge']);
});

test('rollout completed is never announced without a transition, nor when switched off', () => {
  assert.deepEqual(keys({ current: ds(), initial: true }), [], 'the initial list');
  assert.deepEqual(keys({ old: ds(), current: ds() }), [], 'a status write of a complete DaemonSet');
  const rolling = ds({ generation: 2, updated: 1, available: 2 });
  assert.deepEqual(keys({ old: rolling, current: ds({ generation: 2 }) }, config({ completed: false })), []);
  assert.deepEqual(keys({ old: rolling, current: ds({ generation: 2 }) }, config({ enabled: false })), []);
  assert.deepEqual(keys({ old: rolling, current: rolling }, config({ enabled: false })), []);
});

test('stuck: a level that waits progressSeconds, keyed by the counts so progress starts the wait again', () => {
  const stuck = ds({ generation: 2, updated: 1, available: 2 });
  const obs = run({ old: stuck, current: stuck });
  assert.equal(obs.length, 1);
  assert.equal(obs[0].reason, 'DaemonSetRolloutStuck');
  assert.equal(obs[0].kind, 'level');
  assert.equal(obs[0].severity, Severity.WARNING);
  assert.equal(obs[0].minDurationMs, 180_000);
  assert.equal(obs[0].message, 'DaemonSet infra/agent has not progressed for 3m: 1 of 3 nodes updated, 2 available (agent:2)');
  const moved = run({ old: stuck, current: ds({ generation: 2, updated: 2, available: 2 }) });
  assert.notEqual(moved[0].key, obs[0].key);
  assert.deepEqual(keys({ current: ds({ generation: 2, updated: 1, available: 3, strategy: 'OnDelete' }) }), [], 'OnDelete waits for people');
  // …but a node without its daemon is unavailable whatever the strategy
  assert.deepEqual(keys({ current: ds({ generation: 2, updated: 1, available: 2, strategy: 'OnDelete' }) }), ['DaemonSetUnavailable level']);
  assert.equal(run({ current: stuck }, config({ progressSeconds: 30 }))[0].minDurationMs, 30_000);
});

test('unavailable: beyond maxUnavailable while replacing pods, any at all otherwise', () => {
  // one node down in a rollout allowing one: only the rollout speaks
  assert.deepEqual(keys({ current: ds({ generation: 2, updated: 1, available: 2 }) }), ['DaemonSetRolloutStuck/2/3/1/2 level']);
  // two down in a rollout allowing one
  assert.deepEqual(keys({ current: ds({ generation: 2, updated: 1, available: 1 }) }), ['DaemonSetRolloutStuck/2/3/1/1 level', 'DaemonSetUnavailable level']);
  // steady state: all updated, one pod not available
  const short = run({ current: ds({ available: 2, ready: 2 }) }).find((o) => o.reason === 'DaemonSetUnavailable')!;
  assert.equal(short.minDurationMs, 60_000);
  assert.equal(short.message, 'DaemonSet infra/agent has 2 of 3 daemon pods available (2 ready)');
  assert.deepEqual(keys({ current: ds() }), []);
});

test('through the tracker: stuck fires once after progressSeconds, resolves when fixed; completion once', () => {
  const tracker = new IncidentTracker({ cluster: 'c', includeRaw: false });
  const t0 = Date.parse('2025-03-01T10:00:00Z');
  const at = (s: number) => new Date(t0 + s * 1000);
  const feed = (old: KubeObject | undefined, current: KubeObject, s: number) => tracker.observe(UID, current, detect('DaemonSet', { old, current }, at(s), DEFAULT_DETECTORS), at(s));
  const v1 = ds();
  assert.deepEqual(feed(undefined, v1, 0), []);
  const updating = ds({ generation: 2, observed: 1, updated: 3 });
  assert.deepEqual(feed(v1, updating, 10), []);
  const stuck = ds({ generation: 2, updated: 1, available: 2 });
  assert.deepEqual(feed(updating, stuck, 11), []);
  assert.deepEqual(tracker.tick(at(100)), []);
  const fired = tracker.tick(at(192));
  assert.equal(fired.length, 1);
  assert.equal(fired[0].reason, 'DaemonSetRolloutStuck');
  assert.equal(fired[0].state, State.FIRING);
  const fixed = ds({ generation: 3, observed: 2, updated: 1, available: 2 });
  const resolved = feed(stuck, fixed, 200);
  assert.equal(resolved.length, 1);
  assert.equal(resolved[0].state, State.RESOLVED);
  assert.equal(resolved[0].message, 'daemonset infra/agent was changed (generation 3): its rollout starts again');
  // stuck again on the new generation, then a node more updated: progress
  const stuck3 = ds({ generation: 3, updated: 1, available: 2 });
  assert.deepEqual(feed(fixed, stuck3, 201), []);
  assert.equal(tracker.tick(at(400)).length, 1);
  const progressed = feed(stuck3, ds({ generation: 3, updated: 2, available: 2 }), 401);
  assert.equal(progressed[0].message, 'daemonset infra/agent is progressing again (2 of 3 nodes updated, 2 available)');
  const done = feed(fixed, ds({ generation: 3 }), 410);
  assert.deepEqual(done.map((n) => n.reason), ['DaemonSetRolloutCompleted']);
  assert.deepEqual(feed(ds({ generation: 3, available: 2 }), ds({ generation: 3 }), 420), [], 'the same generation is announced once');
  assert.equal(describeResolved({ ...fired[0], key: 'k', kind: 'level', state: 'firing', detector: 'daemonSetRollout', severity: Severity.WARNING, title: '', message: '', reason: 'DaemonSetRolloutStuck', involved: undefined }, undefined), 'daemonset  was deleted');
});
