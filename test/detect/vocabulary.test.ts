// The vocabulary routes are checked against (src/detect/vocabulary.ts) keeps
// up with what really happens: every scenario of the simulated cluster plays
// for a while on a stopped clock, every stored Pod, Node, Deployment and
// Event version goes through the detectors, and each reason they give, each
// reason the simulated kubelet and controllers put on Events, and each kind
// those Events are about must be in it. A detector or a simulated component
// that learns a new reason fails here until the vocabulary knows it, so
// `config validate` never warns of a route that can match.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_DETECTORS } from '../../src/detect/config.ts';
import { detect } from '../../src/detect/index.ts';
import { detectorReasons, KUBERNETES_EVENT_REASONS, KUBERNETES_KINDS, vocabulary } from '../../src/detect/vocabulary.ts';
import type { KubeObject } from '../../src/model/kube.ts';
import { DEPLOYMENTS, EVENTS, NODES, PODS, STATEFULSETS } from '../../src/sim/refs.ts';
import { startSim } from '../../src/sim/sim.ts';

const KINDS: Record<string, string> = { [PODS.storage]: 'Pod', [NODES.storage]: 'Node', [DEPLOYMENTS.storage]: 'Deployment', [EVENTS.storage]: 'Event', [STATEFULSETS.storage]: 'StatefulSet', 'apps/daemonsets': 'DaemonSet', persistentvolumeclaims: 'PersistentVolumeClaim', 'autoscaling/horizontalpodautoscalers': 'HorizontalPodAutoscaler' };
// every detector on, Normal events too, so every reason anything gives is seen
const ALL_ON = { ...structuredClone(DEFAULT_DETECTORS), normalEvents: { enabled: true }, warningEvents: { enabled: true, excludeReasons: [], includeCovered: true } };

test('every reason the detectors and the simulated cluster give, and every kind its Events are about, is in the vocabulary', { timeout: 300_000 }, async () => {
  const sim = await startSim({ clockSpeed: 0, nodes: 3 });
  const reasons = new Map<string, string>();
  const kinds = new Map<string, string>();
  const unsubscribe = sim.ctx.store.subscribe((c) => {
    const kind = KINDS[c.storage];
    if (!kind || c.type === 'DELETED') return;
    const obj = c.object as KubeObject;
    if (kind === 'Event') {
      const e = obj as KubeObject & { reason?: string; involvedObject?: { kind?: string } };
      if (e.reason) reasons.set(e.reason, `an Event of ${e.involvedObject?.kind}`);
      if (e.involvedObject?.kind) kinds.set(e.involvedObject.kind, `an Event's involvedObject (${e.reason})`);
    }
    for (const o of detect(kind, { old: c.prev as KubeObject | undefined, current: obj }, sim.clock.now(), ALL_ON)) reasons.set(o.reason, `the ${o.detector} detector`);
  });
  try {
    for (const name of sim.scenarios.names()) sim.scenarios.start(name, { namespace: `v-${name}`, pods: 20, eventsPerSecond: 5 });
    // long enough for every scenario's steps: crash loops back off, rollouts finish and fail, nodes go and come back
    for (let s = 0; s < 600; s += 5) await sim.clock.advance(5000);
  } finally {
    unsubscribe();
    sim.scenarios.stopAll();
    await sim.close();
  }
  const v = vocabulary({ detectors: DEFAULT_DETECTORS });
  const unknownReasons = [...reasons].filter(([r]) => !v.reasons.includes(r)).map(([r, from]) => `${r} (from ${from})`);
  const unknownKinds = [...kinds].filter(([k]) => !v.kinds.includes(k)).map(([k, from]) => `${k} (from ${from})`);
  assert.deepEqual(unknownReasons, [], 'reasons the vocabulary does not know');
  assert.deepEqual(unknownKinds, [], 'kinds the vocabulary does not know');
  // the run saw the detectors' own reasons, so the check above had something to check
  for (const r of ['CrashLoopBackOff', 'OOMKilled', 'RolloutCompleted', 'ProgressDeadlineExceeded', 'NodeNotReady', 'Evicted', 'BackOff', 'FailedScheduling', 'ScalingReplicaSet']) assert.ok(reasons.has(r), `saw ${r}`);
  for (const r of ['StatefulSetRolloutCompleted', 'StatefulSetRolloutStuck', 'StatefulSetUnavailable']) assert.ok(reasons.has(r), `saw ${r}`);
});

test('the configured detectors add their own reasons; the lists hold no duplicates', () => {
  const cfg = { ...structuredClone(DEFAULT_DETECTORS), badWaiting: { enabled: true, reasons: ['PreCreateHookError'] }, nodePressure: { enabled: true, conditions: ['GPUPressure'] } };
  const v = vocabulary({ detectors: cfg, resources: [{ resource: 'certificates' }] });
  assert.ok(v.reasons.includes('PreCreateHookError') && v.reasons.includes('GPUPressure'));
  assert.ok(detectorReasons(DEFAULT_DETECTORS).includes('ErrImagePull'));
  assert.deepEqual(v.resources, ['certificates']);
  assert.deepEqual(v.detectors, Object.keys(DEFAULT_DETECTORS));
  for (const [name, list] of [['KUBERNETES_EVENT_REASONS', KUBERNETES_EVENT_REASONS], ['KUBERNETES_KINDS', KUBERNETES_KINDS]] as const) {
    assert.deepEqual(list.filter((x, i) => list.indexOf(x) !== i), [], `${name} has duplicates`);
  }
});
