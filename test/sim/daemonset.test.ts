// The DaemonSet controller: the real kubectl drives a DaemonSet on the
// simulator (apply, get, rollout status/restart/history), and the
// controller's own rules run on a stopped clock (taints and tolerations,
// nodes joining, node-by-node rolling updates within maxUnavailable,
// surging, OnDelete, failed pods, history).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CONTROLLERREVISIONS, DAEMONSETS, EVENTS, NODES, PODS } from '../../src/sim/refs.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { applyCreateDefaults, applyUpdateDefaults } from '../../src/sim/defaults.ts';
import { BEHAVIOR_ANNOTATION } from '../../src/sim/behavior.ts';
import { daemonSetUpdateMeta } from '../../src/sim/daemonset-defaults.ts';
import { daemonPodTolerations, nodeShouldRunDaemonPod, targetNodeName, type DaemonSet } from '../../src/sim/controllers/daemonset.ts';
import { nodeObject, setNodeReady, type Taint } from '../../src/sim/controllers/nodes.ts';
import { isPodReady, type Pod } from '../../src/sim/controllers/replicaset.ts';
import type { KObject } from '../../src/sim/types.ts';
import { Kubectl } from '../helpers/kubectl.ts';

const manifest = (image: string, extra = ''): string => `
apiVersion: v1
kind: Namespace
metadata:
  name: infra
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: infra
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: agent
        image: ${image}
${extra}`;

describe('kubectl and a DaemonSet', () => {
  let sim: Sim;
  let k: Kubectl;

  before(async () => {
    sim = await startSim({ clockSpeed: 20 });
    k = new Kubectl(sim.kubeconfig);
  });
  after(async () => {
    await sim.close();
  });

  it('applies a DaemonSet, one pod per node, and waits for its rollout', async () => {
    const out = await k.ok(['apply', '-f', '-'], manifest('fluent/fluent-bit:3.1'));
    assert.match(out, /daemonset.apps\/agent created/);
    const status = await k.ok(['rollout', 'status', 'ds/agent', '-n', 'infra', '--timeout=60s']);
    assert.match(status, /daemon set "agent" successfully rolled out/);
    const table = await k.ok(['get', 'ds', '-n', 'infra']);
    assert.match(table, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE/);
    assert.match(table, /\nagent\s+3\s+3\s+3\s+3\s+3\s+<none>\s+/);
    const pods = JSON.parse(await k.ok(['get', 'pods', '-n', 'infra', '-l', 'app=agent', '-o', 'json'])).items as Pod[];
    assert.deepEqual(pods.map((p) => p.spec!.nodeName).sort(), ['sim-node-1', 'sim-node-2', 'sim-node-3']);
    for (const p of pods) {
      const spec = p.spec as Record<string, any>;
      assert.deepEqual(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms, [
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: [p.spec!.nodeName] }] },
      ]);
      assert.ok(p.metadata.labels!['controller-revision-hash']);
      assert.equal(p.metadata.labels!['pod-template-generation'], '1');
      assert.equal(p.metadata.ownerReferences![0].kind, 'DaemonSet');
      const keys = (spec.tolerations as { key: string; effect: string }[]).map((t) => `${t.key}:${t.effect}`);
      for (const k of ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/memory-pressure:NoSchedule', 'node.kubernetes.io/unschedulable:NoSchedule']) {
        assert.ok(keys.includes(k), `toleration ${k}`);
      }
    }
    const ds = JSON.parse(await k.ok(['get', 'ds', 'agent', '-n', 'infra', '-o', 'json']));
    assert.deepEqual(ds.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    assert.equal(ds.spec.revisionHistoryLimit, 10);
    assert.equal(ds.status.observedGeneration, 1);
    assert.equal(ds.metadata.annotations['deprecated.daemonset.template.generation'], '1');
    const events = await k.ok(['get', 'events', '-n', 'infra', '--field-selector', 'involvedObject.kind=DaemonSet', '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}']);
    assert.equal(events.trim().split('\n').filter((r) => r === 'SuccessfulCreate').length, 3);
  });

  it('restarts the rollout and keeps its history', async () => {
    assert.match(await k.ok(['rollout', 'restart', 'ds/agent', '-n', 'infra']), /daemonset.apps\/agent restarted/);
    await k.ok(['rollout', 'status', 'ds/agent', '-n', 'infra', '--timeout=60s']);
    await k.ok(['apply', '-f', '-'], manifest('fluent/fluent-bit:3.2'));
    await k.ok(['rollout', 'status', 'ds/agent', '-n', 'infra', '--timeout=60s']);
    const history = await k.ok(['rollout', 'history', 'ds/agent', '-n', 'infra']);
    assert.match(history, /daemonset.apps\/agent/);
    assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n3\s+<none>/);
    const revs = await k.ok(['get', 'controllerrevisions', '-n', 'infra', '--no-headers']);
    assert.equal(revs.trim().split('\n').length, 3);
    assert.match(revs, /daemonset.apps\/agent\s+3\s/);
    const pods = JSON.parse(await k.ok(['get', 'pods', '-n', 'infra', '-l', 'app=agent', '-o', 'json'])).items as Pod[];
    const live = pods.filter((p) => !p.metadata.deletionTimestamp);
    assert.equal(live.length, 3);
    for (const p of live) assert.equal((p.spec as { containers: { image: string }[] }).containers[0].image, 'fluent/fluent-bit:3.2');
    const ds = JSON.parse(await k.ok(['get', 'ds', 'agent', '-n', 'infra', '-o', 'json']));
    assert.equal(ds.status.updatedNumberScheduled, 3);
    assert.equal(ds.status.numberAvailable, 3);

    // the previous revision's template from its ControllerRevision, and back to it: that revision becomes the newest
    assert.match(await k.ok(['rollout', 'history', 'ds/agent', '-n', 'infra', '--revision=1']), /Image:\s+fluent\/fluent-bit:3\.1/);
    assert.match(await k.ok(['rollout', 'undo', 'ds/agent', '-n', 'infra']), /daemonset.apps\/agent rolled back/);
    await k.ok(['rollout', 'status', 'ds/agent', '-n', 'infra', '--timeout=60s']);
    assert.equal(await k.ok(['get', 'ds', 'agent', '-n', 'infra', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'fluent/fluent-bit:3.1');
    // the server counts template changes (restart, apply, undo); a client cannot set it
    await k.ok(['annotate', 'ds', 'agent', '-n', 'infra', '--overwrite', 'deprecated.daemonset.template.generation=9']);
    assert.equal(await k.ok(['get', 'ds', 'agent', '-n', 'infra', '-o', "jsonpath={.metadata.annotations['deprecated\\.daemonset\\.template\\.generation']}"]), '4');
    const undone = JSON.parse(await k.ok(['get', 'pods', '-n', 'infra', '-l', 'app=agent,pod-template-generation=4', '-o', 'json'])).items as Pod[];
    assert.equal(undone.filter((p) => !p.metadata.deletionTimestamp).length, 3);
    assert.match(await k.ok(['rollout', 'history', 'ds/agent', '-n', 'infra']), /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n3\s+<none>\n4\s+<none>/);
  });

  it('follows a node tainted and untainted with kubectl', async () => {
    const onNode3 = async () =>
      (JSON.parse(await k.ok(['get', 'pods', '-n', 'infra', '-l', 'app=agent', '--field-selector', 'spec.nodeName=sim-node-3', '-o', 'json'])).items as Pod[]).filter((p) => !p.metadata.deletionTimestamp);
    assert.equal((await onNode3()).length, 1);
    await k.ok(['taint', 'nodes', 'sim-node-3', 'dedicated=edge:NoExecute']);
    await k.ok(['wait', '--for=jsonpath={.status.desiredNumberScheduled}=2', 'ds/agent', '-n', 'infra', '--timeout=60s']);
    await k.ok(['wait', '--for=delete', 'pod', '-n', 'infra', '-l', 'app=agent', '--field-selector', 'spec.nodeName=sim-node-3', '--timeout=60s']);
    assert.match(await k.ok(['get', 'ds', 'agent', '-n', 'infra', '--no-headers']), /^agent\s+2\s+2\s+2\s+2\s+2\s/);
    await k.ok(['taint', 'nodes', 'sim-node-3', 'dedicated-']);
    await k.ok(['rollout', 'status', 'ds/agent', '-n', 'infra', '--timeout=60s']);
    await k.ok(['wait', '--for=jsonpath={.status.numberAvailable}=3', 'ds/agent', '-n', 'infra', '--timeout=60s']);
    assert.equal((await onNode3()).length, 1);
  });

  it('refuses a template that does not restart in place, naming the field', async () => {
    const r = await k.run(['apply', '-f', '-'], manifest('busybox:1.36', '      restartPolicy: Never\n').replace(/name: agent\n  namespace/, 'name: broken\n  namespace'));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec\.template\.spec\.restartPolicy: Unsupported value: "Never"/);
  });
});

// ---------------------------------------------------------------------------
// The controller on a stopped clock.

const NS = 'kube-system';

async function stoppedSim(nodes = 3): Promise<Sim> {
  return startSim({ clockSpeed: 0, nodes });
}

function createDaemonSet(sim: Sim, name: string, spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}, annotations?: Record<string, string>): void {
  const ds: KObject = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: NS },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name }, ...(annotations ? { annotations } : {}) }, spec: { containers: [{ name, image: 'agent:1' }], ...podSpec } },
      ...spec,
    },
  };
  applyCreateDefaults(DAEMONSETS.storage, ds);
  sim.ctx.store.create(DAEMONSETS, ds);
}

/** An update as the API server takes it: generation and template generation move on. */
function updateDaemonSet(sim: Sim, name: string, fn: (ds: DaemonSet) => void): void {
  sim.ctx.store.mutate(DAEMONSETS, NS, name, (o) => {
    const current = structuredClone(o);
    fn(o as DaemonSet);
    applyUpdateDefaults(DAEMONSETS.storage, o);
    o.metadata.generation = (o.metadata.generation ?? 1) + 1;
    daemonSetUpdateMeta(current, o);
  });
}

const dsOf = (sim: Sim, name: string) => sim.ctx.store.get(DAEMONSETS.storage, NS, name) as DaemonSet;
const podsOf = (sim: Sim, name: string) =>
  (sim.ctx.store.list(PODS.storage, NS) as Pod[]).filter((p) => p.metadata.labels?.app === name && !p.metadata.deletionTimestamp);
const nodesOf = (pods: Pod[]) => pods.map((p) => p.spec?.nodeName).sort();
const setImage = (image: string, annotations?: Record<string, string>) => (ds: DaemonSet) => {
  (ds.spec.template!.spec!.containers as { image: string }[])[0].image = image;
  if (annotations) ds.spec.template!.metadata!.annotations = annotations;
};

function taint(sim: Sim, node: string, t: Taint | undefined): void {
  sim.ctx.store.mutate(NODES, undefined, node, (n) => {
    const spec = (n.spec ??= {}) as { taints?: Taint[] };
    const others = (spec.taints ?? []).filter((x) => x.key !== 'dedicated');
    spec.taints = t ? [...others, t] : others;
  });
}

async function advance(sim: Sim, seconds: number): Promise<void> {
  for (let i = 0; i < seconds; i++) await sim.clock.advance(1000);
}

describe('the DaemonSet controller', () => {
  it('follows taints, tolerations, node selectors and nodes joining', async () => {
    const sim = await stoppedSim();
    try {
      taint(sim, 'sim-node-3', { key: 'dedicated', value: 'edge', effect: 'NoSchedule' });
      createDaemonSet(sim, 'plain');
      createDaemonSet(sim, 'tolerant', {}, { tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }] });
      createDaemonSet(sim, 'picky', {}, { nodeSelector: { 'kubernetes.io/hostname': 'sim-node-2' } });
      await advance(sim, 5);
      assert.deepEqual(nodesOf(podsOf(sim, 'plain')), ['sim-node-1', 'sim-node-2']);
      assert.deepEqual(nodesOf(podsOf(sim, 'tolerant')), ['sim-node-1', 'sim-node-2', 'sim-node-3']);
      assert.deepEqual(nodesOf(podsOf(sim, 'picky')), ['sim-node-2']);
      assert.equal(dsOf(sim, 'plain').status!.desiredNumberScheduled, 2);
      assert.equal(dsOf(sim, 'plain').status!.numberReady, 2);

      // a NoSchedule taint keeps new pods out but lets running ones stay
      taint(sim, 'sim-node-1', { key: 'dedicated', value: 'db', effect: 'NoSchedule' });
      await advance(sim, 2);
      assert.deepEqual(nodesOf(podsOf(sim, 'plain')), ['sim-node-1', 'sim-node-2']);
      assert.equal(dsOf(sim, 'plain').status!.desiredNumberScheduled, 1);
      assert.equal(dsOf(sim, 'plain').status!.numberMisscheduled, 1);
      // NoExecute evicts it
      taint(sim, 'sim-node-1', { key: 'dedicated', value: 'db', effect: 'NoExecute' });
      await advance(sim, 35);
      assert.deepEqual(nodesOf(podsOf(sim, 'plain')), ['sim-node-2']);
      assert.ok(
        (sim.ctx.store.list(EVENTS.storage, NS) as { reason?: string; involvedObject?: { name?: string } }[]).some((e) => e.reason === 'SuccessfulDelete' && e.involvedObject?.name === 'plain'),
        'SuccessfulDelete recorded',
      );
      taint(sim, 'sim-node-1', undefined);
      await advance(sim, 5);
      assert.deepEqual(nodesOf(podsOf(sim, 'plain')), ['sim-node-1', 'sim-node-2']);

      // a node joins
      sim.ctx.store.create(NODES, nodeObject(4, sim.clock.nowIso()));
      await advance(sim, 2);
      assert.ok(nodesOf(podsOf(sim, 'tolerant')).includes('sim-node-4'));
      assert.equal(dsOf(sim, 'tolerant').status!.desiredNumberScheduled, 4);

      // a node NotReady keeps its daemon past the eviction timeout (unreachable:NoExecute tolerated), but the
      // unreachable:NoSchedule taint takes the node out of the desired ones, as in a real cluster
      setNodeReady(sim.ctx, 'sim-node-2', false);
      await advance(sim, 320);
      assert.ok(nodesOf(podsOf(sim, 'tolerant')).includes('sim-node-2'));
      assert.equal(dsOf(sim, 'tolerant').status!.desiredNumberScheduled, 3);
      assert.equal(dsOf(sim, 'tolerant').status!.numberMisscheduled, 1);
      setNodeReady(sim.ctx, 'sim-node-2', true);
      await advance(sim, 5);
      assert.equal(dsOf(sim, 'tolerant').status!.desiredNumberScheduled, 4);

      // a node removed: PodGC takes its pods after its quarantine, and the node no longer counts
      sim.ctx.store.delete(NODES, undefined, 'sim-node-4');
      await advance(sim, 60);
      assert.ok(!nodesOf(podsOf(sim, 'tolerant')).includes('sim-node-4'));
      assert.equal(dsOf(sim, 'tolerant').status!.desiredNumberScheduled, 3);
      assert.equal(dsOf(sim, 'tolerant').status!.currentNumberScheduled, 3);
    } finally {
      await sim.close();
    }
  });

  it('rolls node by node within maxUnavailable, and a crashing template stops the rollout', async () => {
    const sim = await stoppedSim(4);
    try {
      // a crashing container is Ready for a moment after each start: minReadySeconds does not count that
      createDaemonSet(sim, 'agent', { minReadySeconds: 5, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } });
      await advance(sim, 10);
      assert.equal(dsOf(sim, 'agent').status!.numberAvailable, 4);
      updateDaemonSet(sim, 'agent', setImage('agent:2', { [BEHAVIOR_ANNOTATION]: 'crash' }));
      let maxUnavailable = 0;
      const overlaps: string[] = [];
      const unsubscribe = sim.ctx.store.subscribe((c) => {
        // without surge, a node's new pod is created only once its old one is gone (no two at once, e.g. for hostPorts)
        if (c.storage === PODS.storage && c.type === 'ADDED' && c.object.metadata.labels?.app === 'agent') {
          const node = targetNodeName(c.object as Pod);
          const others = (sim.ctx.store.list(PODS.storage, NS) as Pod[]).filter((p) => p.metadata.labels?.app === 'agent' && p.metadata.name !== c.object.metadata.name && targetNodeName(p) === node);
          if (others.length) overlaps.push(`${node}: ${others.map((p) => p.metadata.name).join(',')}`);
        }
        if (c.storage !== DAEMONSETS.storage || c.object.metadata.name !== 'agent') return;
        maxUnavailable = Math.max(maxUnavailable, (c.object as DaemonSet).status?.numberUnavailable ?? 0);
      });
      await advance(sim, 60);
      unsubscribe();
      const st = dsOf(sim, 'agent').status!;
      assert.equal(st.updatedNumberScheduled, 2, 'two nodes took the crashing template');
      assert.equal(st.numberAvailable, 2, 'two old pods keep running');
      assert.equal(maxUnavailable, 2);
      assert.deepEqual(overlaps, []);
      const images = podsOf(sim, 'agent').map((p) => (p.spec as { containers: { image: string }[] }).containers[0].image).sort();
      assert.deepEqual(images, ['agent:1', 'agent:1', 'agent:2', 'agent:2']);

      // fixed: the crashing new pods are replaced at once, then the rest
      updateDaemonSet(sim, 'agent', setImage('agent:3', {}));
      await advance(sim, 40);
      const done = dsOf(sim, 'agent').status!;
      assert.equal(done.updatedNumberScheduled, 4);
      assert.equal(done.numberAvailable, 4);
      assert.equal(done.observedGeneration, 3);
      assert.equal(sim.ctx.store.list(CONTROLLERREVISIONS.storage, NS).length, 3);
    } finally {
      await sim.close();
    }
  });

  it('surges with maxSurge, and leaves pods alone with OnDelete', async () => {
    const sim = await stoppedSim();
    try {
      createDaemonSet(sim, 'surge', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
      createDaemonSet(sim, 'manual', { updateStrategy: { type: 'OnDelete' } });
      await advance(sim, 5);
      let minAvailable = Infinity;
      const unsubscribe = sim.ctx.store.subscribe((c) => {
        if (c.storage !== DAEMONSETS.storage || c.object.metadata.name !== 'surge') return;
        minAvailable = Math.min(minAvailable, (c.object as DaemonSet).status?.numberAvailable ?? 0);
      });
      updateDaemonSet(sim, 'surge', setImage('agent:2'));
      updateDaemonSet(sim, 'manual', setImage('agent:2'));
      await advance(sim, 30);
      unsubscribe();
      assert.equal(minAvailable, 3, 'a surge never takes a node down');
      assert.equal(dsOf(sim, 'surge').status!.updatedNumberScheduled, 3);
      assert.equal(dsOf(sim, 'manual').status!.updatedNumberScheduled ?? 0, 0, 'OnDelete replaces nothing by itself');
      const victim = podsOf(sim, 'manual')[0];
      sim.ctx.store.mutate(PODS, NS, victim.metadata.name!, (p) => {
        p.metadata.deletionTimestamp = sim.clock.nowIso();
      });
      sim.ctx.store.delete(PODS, NS, victim.metadata.name!);
      await advance(sim, 5);
      assert.equal(dsOf(sim, 'manual').status!.updatedNumberScheduled, 1);
    } finally {
      await sim.close();
    }
  });

  it('replaces a failed daemon pod with a FailedDaemonPod warning', async () => {
    const sim = await stoppedSim();
    try {
      createDaemonSet(sim, 'agent');
      await advance(sim, 5);
      const victim = podsOf(sim, 'agent').find((p) => p.spec?.nodeName === 'sim-node-1')!;
      sim.ctx.store.mutate(PODS, NS, victim.metadata.name!, (p) => {
        (p.status as Record<string, unknown>).phase = 'Failed';
      });
      await advance(sim, 5);
      const warnings = (sim.ctx.store.list(EVENTS.storage, NS) as { reason?: string; type?: string; message?: string }[]).filter((e) => e.reason === 'FailedDaemonPod');
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0].type, 'Warning');
      assert.match(warnings[0].message!, new RegExp(`Found failed daemon pod ${NS}/${victim.metadata.name} on node sim-node-1, will try to kill it`));
      const now = podsOf(sim, 'agent').filter((p) => p.spec?.nodeName === 'sim-node-1');
      assert.equal(now.length, 1);
      assert.notEqual(now[0].metadata.name, victim.metadata.name);
      assert.ok(isPodReady(now[0]));
    } finally {
      await sim.close();
    }
  });
});

describe('daemon pod placement rules', () => {
  const node = (taints: Taint[], labels: Record<string, string> = {}): KObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels }, spec: { taints } });

  it('adds the tolerations the real controller adds, network-unavailable only for hostNetwork', () => {
    const keys = (spec: Record<string, unknown>) => daemonPodTolerations(spec).map((t) => `${t.key}:${t.effect}`);
    assert.deepEqual(keys({}), [
      'node.kubernetes.io/not-ready:NoExecute',
      'node.kubernetes.io/unreachable:NoExecute',
      'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/pid-pressure:NoSchedule',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    assert.ok(keys({ hostNetwork: true }).includes('node.kubernetes.io/network-unavailable:NoSchedule'));
  });

  it('decides run / keep running from taints and affinity', () => {
    const tpl = (spec: Record<string, unknown>) => ({ spec });
    assert.deepEqual(nodeShouldRunDaemonPod(node([]), tpl({})), { shouldRun: true, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(node([{ key: 'x', effect: 'NoSchedule' }]), tpl({})), { shouldRun: false, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(node([{ key: 'x', effect: 'NoExecute' }]), tpl({})), { shouldRun: false, shouldContinueRunning: false });
    assert.deepEqual(nodeShouldRunDaemonPod(node([{ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }]), tpl({})), { shouldRun: true, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(node([{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]), tpl({ hostNetwork: true })), { shouldRun: true, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(node([]), tpl({ nodeSelector: { disk: 'ssd' } })), { shouldRun: false, shouldContinueRunning: false });
    assert.deepEqual(nodeShouldRunDaemonPod(node([], { disk: 'ssd' }), tpl({ nodeSelector: { disk: 'ssd' } })), { shouldRun: true, shouldContinueRunning: true });
    const affinity = (op: string) => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: op, values: ['a'] }] }] } } } });
    assert.equal(nodeShouldRunDaemonPod(node([], { zone: 'a' }), tpl(affinity('In'))).shouldRun, true);
    assert.equal(nodeShouldRunDaemonPod(node([], { zone: 'a' }), tpl(affinity('NotIn'))).shouldRun, false);
  });
});
