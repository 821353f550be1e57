// The node side of the simulated cluster, controller by controller, on a
// stopped clock: exact objects and Events at exact virtual times.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  behaviorOf,
  defaultPullPolicy,
  effectiveKind,
  goDuration,
  imageId,
  imagePullError,
  imagePullMs,
  imageSizeBytes,
  normalizeImage,
} from '../../src/sim/behavior.ts';
import { SimClock } from '../../src/sim/clock.ts';
import { evictPod } from '../../src/sim/controllers/kubelet.ts';
import { deleteObject, startGarbageCollector } from '../../src/sim/controllers/gc.ts';
import { ensureNamespace, startNamespaceController } from '../../src/sim/controllers/namespaces.ts';
import { setNodePressure, setNodeReady, startNodes, startTaintEvictionController } from '../../src/sim/controllers/nodes.ts';
import { qosClass, startScheduler } from '../../src/sim/controllers/scheduler.ts';
import { parseQuantity } from '../../src/sim/quantity.ts';
import { startKubelet } from '../../src/sim/controllers/kubelet.ts';
import { EventRecorder } from '../../src/sim/events.ts';
import { LogStore } from '../../src/sim/logs.ts';
import { CONFIGMAPS, LEASES, NAMESPACES, NODES, PODS, REPLICASETS } from '../../src/sim/refs.ts';
import type { SimContext } from '../../src/sim/scenario.ts';
import type { Change } from '../../src/sim/store.ts';
import { ObjectStore } from '../../src/sim/store.ts';
import type { KObject } from '../../src/sim/types.ts';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString().replace('.000Z', 'Z');

interface Seen {
  t: number;
  c: Change;
}

function cluster(opts: { nodes?: number; kubelet?: boolean; scheduler?: boolean } = {}) {
  const clock = new SimClock({ speed: 0, start: new Date(T0) });
  const store = new ObjectStore({ clock });
  const ctx: SimContext = { store, clock, logs: new LogStore(), recorder: new EventRecorder(store) };
  const stops: (() => void)[] = [startNamespaceController(ctx), startGarbageCollector(ctx)];
  const nodes = startNodes(ctx, { nodes: opts.nodes ?? 3 });
  stops.push(() => nodes.stop());
  stops.push(startTaintEvictionController(ctx));
  if (opts.kubelet !== false) stops.push(startKubelet(ctx));
  if (opts.scheduler !== false) stops.push(startScheduler(ctx));
  const seen: Seen[] = [];
  store.subscribe((c) => seen.push({ t: (clock.nowMs() - T0) / 1000, c }));
  return {
    ctx,
    clock,
    store,
    seen,
    advance: (seconds: number) => clock.advance(seconds * 1000),
    stop() {
      for (const s of stops) s();
      clock.close();
    },
    /** events recorded after the cluster came up: [t, reason, type, message, count] */
    events(filter: (e: KObject) => boolean = () => true) {
      return seen
        .filter((s) => s.c.storage === 'events' && s.t >= 0 && s.c.type !== 'DELETED' && filter(s.c.object))
        .filter((s) => s.c.object.metadata.resourceVersion !== undefined)
        .map((s) => {
          const e = s.c.object as Record<string, any>;
          return [s.t, e.reason, e.type, e.message, e.count];
        });
    },
    pod: (ns: string, name: string) => store.get(PODS.storage, ns, name) as Record<string, any>,
  };
}

type Cluster = ReturnType<typeof cluster>;

function pod(name: string, o: { ns?: string; image?: string; annotations?: Record<string, string>; restartPolicy?: string; nodeName?: string; nodeSelector?: Record<string, string>; resources?: unknown; ownerReferences?: unknown[] } = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.ns ?? 'demo',
      ...(o.annotations ? { annotations: o.annotations } : {}),
      ...(o.ownerReferences ? { ownerReferences: o.ownerReferences as KObject['metadata']['ownerReferences'] } : {}),
    },
    spec: {
      containers: [{ name: 'app', image: o.image ?? 'nginx:1.27', ...(o.resources ? { resources: o.resources } : {}) }],
      restartPolicy: o.restartPolicy ?? 'Always',
      terminationGracePeriodSeconds: 30,
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
    },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

function createPod(k: Cluster, p: KObject): KObject {
  ensureNamespace(k.ctx, p.metadata.namespace!);
  return k.store.create(PODS, p);
}

/** One line per stored pod version: phase, container state, restarts, readiness. */
function podTimeline(k: Cluster, ns: string, name: string): string[] {
  return k.seen
    .filter((s) => s.c.storage === 'pods' && s.c.object.metadata.namespace === ns && s.c.object.metadata.name === name)
    .map((s) => {
      const p = s.c.object as Record<string, any>;
      if (s.c.type === 'DELETED') return `${s.t} DELETED`;
      const cs = p.status?.containerStatuses?.[0];
      const state = cs ? Object.keys(cs.state)[0] : '-';
      const reason = cs ? (cs.state[state].reason ?? '') : '';
      const ready = p.status?.conditions?.find((c: any) => c.type === 'Ready')?.status ?? '-';
      return `${s.t} ${p.status?.phase} ${state}${reason ? ':' + reason : ''} r${cs?.restartCount ?? '-'} Ready=${ready}${p.metadata.deletionTimestamp ? ' terminating' : ''}`;
    });
}

const podEvents = (k: Cluster, name: string) => k.events((e) => (e.involvedObject as { name: string }).name === name);

// ---------------------------------------------------------------- behaviour

describe('behavior', () => {
  test('defaults, per-container overrides and recovery', () => {
    const p: KObject = { metadata: { name: 'p', annotations: {} } };
    assert.deepEqual(behaviorOf(p, 'app'), { kind: 'run', readyAfterMs: 2000, crashAfterMs: 3000, exitCode: 1 });
    p.metadata.annotations = {
      'sim.kubeherald.io/behavior': 'crash',
      'sim.kubeherald.io/behavior.sidecar': 'never-ready',
      'sim.kubeherald.io/crash-after': '7',
      'sim.kubeherald.io/recover-after': '60',
      'sim.kubeherald.io/exit-code': '2',
      'sim.kubeherald.io/log': 'hello',
    };
    assert.deepEqual(behaviorOf(p, 'app'), { kind: 'crash', readyAfterMs: 2000, crashAfterMs: 7000, exitCode: 2, recoverAfterMs: 60_000, logLine: 'hello' });
    assert.equal(behaviorOf(p, 'sidecar').kind, 'never-ready');
    assert.equal(effectiveKind(behaviorOf(p, 'app'), 59_999), 'crash');
    assert.equal(effectiveKind(behaviorOf(p, 'app'), 60_000), 'run');
    p.metadata.annotations = { 'sim.kubeherald.io/behavior': 'explode', 'sim.kubeherald.io/crash-after': 'soon' };
    assert.deepEqual(behaviorOf(p, 'app'), { kind: 'run', readyAfterMs: 2000, crashAfterMs: 3000, exitCode: 1 });
  });

  test('images are normalized like containerd, and the simulated registry refuses the bad ones', () => {
    assert.deepEqual(normalizeImage('nginx'), { repository: 'docker.io/library/nginx', tag: 'latest', digest: undefined, ref: 'docker.io/library/nginx:latest' });
    assert.equal(normalizeImage('willwill/inexisting').ref, 'docker.io/willwill/inexisting:latest');
    assert.equal(normalizeImage('registry.k8s.io/pause:3.10').ref, 'registry.k8s.io/pause:3.10');
    assert.equal(normalizeImage('localhost:5000/app').ref, 'localhost:5000/app:latest');
    assert.equal(defaultPullPolicy('nginx'), 'Always');
    assert.equal(defaultPullPolicy('nginx:latest'), 'Always');
    assert.equal(defaultPullPolicy('nginx:1.27'), 'IfNotPresent');
    assert.match(imageId('nginx:1.27'), /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    assert.equal(imagePullError('nginx:1.27'), undefined);
    assert.equal(
      imagePullError('willwill/inexisting'),
      'failed to pull and unpack image "docker.io/willwill/inexisting:latest": failed to resolve reference "docker.io/willwill/inexisting:latest": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed',
    );
    assert.equal(
      imagePullError('nginx:does-not-exist'),
      'failed to pull and unpack image "docker.io/library/nginx:does-not-exist": failed to resolve reference "docker.io/library/nginx:does-not-exist": docker.io/library/nginx:does-not-exist: not found',
    );
  });

  test('durations print like Go', () => {
    assert.deepEqual([200, 1393, 2000, 2500, 10_000, 80_000, 160_000, 300_000].map(goDuration), ['200ms', '1.393s', '2s', '2.5s', '10s', '1m20s', '2m40s', '5m0s']);
  });

  test('quantities and QoS classes', () => {
    assert.equal(parseQuantity('500m'), 0.5);
    assert.equal(parseQuantity('64Mi'), 67108864);
    assert.equal(parseQuantity('1G'), 1e9);
    const withResources = (resources: unknown): KObject => ({ metadata: {}, spec: { containers: [{ name: 'a', resources }] } });
    assert.equal(qosClass(withResources({})), 'BestEffort');
    assert.equal(qosClass(withResources({ requests: { memory: '64Mi' } })), 'Burstable');
    assert.equal(qosClass(withResources({ limits: { cpu: '1', memory: '1Gi' } })), 'Guaranteed');
    assert.equal(qosClass(withResources({ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } })), 'Burstable');
  });
});

// ---------------------------------------------------------------- namespaces and nodes

describe('namespaces and nodes', () => {
  test('the system namespaces exist from the start', () => {
    const k = cluster();
    assert.deepEqual(
      k.store.list(NAMESPACES.storage).map((n) => [n.metadata.name, n.metadata.labels, n.spec, n.status]),
      ['default', 'kube-node-lease', 'kube-public', 'kube-system'].map((n) => [n, { 'kubernetes.io/metadata.name': n }, { finalizers: ['kubernetes'] }, { phase: 'Active' }]),
    );
    k.stop();
  });

  test('nodes register Ready with the kubelet events a fresh node shows', () => {
    const k = cluster();
    const nodes = k.store.list(NODES.storage);
    assert.deepEqual(nodes.map((n) => n.metadata.name), ['sim-node-1', 'sim-node-2', 'sim-node-3']);
    const n = nodes[1] as Record<string, any>;
    assert.deepEqual(n.metadata.labels, {
      'beta.kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': 'sim-node-2',
      'kubernetes.io/os': 'linux',
    });
    assert.deepEqual(n.spec, { podCIDR: '10.244.2.0/24', podCIDRs: ['10.244.2.0/24'] });
    assert.deepEqual(n.status.addresses, [
      { type: 'InternalIP', address: '10.0.0.12' },
      { type: 'Hostname', address: 'sim-node-2' },
    ]);
    assert.deepEqual(n.status.capacity, { cpu: '4', 'ephemeral-storage': '102626232Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '16374584Ki', pods: '110' });
    assert.equal(n.status.nodeInfo.kubeletVersion, 'v1.32.0');
    assert.equal(n.status.nodeInfo.containerRuntimeVersion, 'containerd://1.7.24');
    assert.deepEqual(n.status.conditions, [
      { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: at(0), lastTransitionTime: at(0), reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
      { type: 'DiskPressure', status: 'False', lastHeartbeatTime: at(0), lastTransitionTime: at(0), reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
      { type: 'PIDPressure', status: 'False', lastHeartbeatTime: at(0), lastTransitionTime: at(0), reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
      { type: 'Ready', status: 'True', lastHeartbeatTime: at(0), lastTransitionTime: at(0), reason: 'KubeletReady', message: 'kubelet is posting ready status' },
    ]);
    const events = k.store
      .list('events', 'default')
      .filter((e) => (e.involvedObject as { name: string }).name === 'sim-node-2')
      .map((e) => [e.reason, e.message, (e.source as { component: string }).component, (e.involvedObject as { uid: string }).uid === 'sim-node-2']);
    assert.deepEqual(
      events.sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      [
        ['NodeAllocatableEnforced', 'Updated Node Allocatable limit across pods', 'kubelet', true],
        ['NodeHasNoDiskPressure', 'Node sim-node-2 status is now: NodeHasNoDiskPressure', 'kubelet', true],
        ['NodeHasSufficientMemory', 'Node sim-node-2 status is now: NodeHasSufficientMemory', 'kubelet', true],
        ['NodeHasSufficientPID', 'Node sim-node-2 status is now: NodeHasSufficientPID', 'kubelet', true],
        ['NodeReady', 'Node sim-node-2 status is now: NodeReady', 'kubelet', true],
        ['RegisteredNode', 'Node sim-node-2 event: Registered Node sim-node-2 in Controller', 'node-controller', false],
        ['Starting', 'Starting kubelet.', 'kubelet', true],
      ],
    );
    k.stop();
  });

  test('node leases renew every 10 seconds while the kubelet runs', async () => {
    const k = cluster({ nodes: 1 });
    const node = k.store.get(NODES.storage, undefined, 'sim-node-1')!;
    const lease = () => k.store.get(LEASES.storage, 'kube-node-lease', 'sim-node-1') as Record<string, any>;
    assert.deepEqual(lease().spec, { holderIdentity: 'sim-node-1', leaseDurationSeconds: 40, renewTime: '2025-03-01T10:00:00.000000Z' });
    assert.deepEqual(lease().metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'sim-node-1', uid: node.metadata.uid }]);
    const renewals = () => k.seen.filter((s) => s.c.storage === LEASES.storage && s.c.type === 'MODIFIED').map((s) => [s.t, (s.c.object.spec as { renewTime: string }).renewTime]);
    await k.advance(25);
    assert.deepEqual(renewals(), [
      [10, '2025-03-01T10:00:10.000000Z'],
      [20, '2025-03-01T10:00:20.000000Z'],
    ]);
    setNodeReady(k.ctx, 'sim-node-1', false);
    await k.advance(30);
    assert.equal(renewals().length, 2, 'a stopped kubelet does not renew');
    setNodeReady(k.ctx, 'sim-node-1', true);
    await k.advance(10);
    assert.deepEqual(renewals().slice(2), [
      [55, '2025-03-01T10:00:55.000000Z'],
      [60, '2025-03-01T10:01:00.000000Z'],
    ]);
    k.stop();
  });
});

// ---------------------------------------------------------------- scheduler

describe('scheduler', () => {
  test('binds pending pods to the least busy nodes, in turn', async () => {
    const k = cluster({ kubelet: false });
    for (const name of ['a', 'b', 'c', 'd']) createPod(k, pod(name));
    await k.advance(0);
    const placed = ['a', 'b', 'c', 'd'].map((n) => k.pod('demo', n).spec.nodeName);
    assert.deepEqual(placed, ['sim-node-1', 'sim-node-2', 'sim-node-3', 'sim-node-1']);
    assert.deepEqual(k.pod('demo', 'a').status.conditions, [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: at(0) }]);
    const ev = k.store.list('events', 'demo').find((e) => (e.involvedObject as { name: string }).name === 'b') as Record<string, any>;
    assert.equal(ev.reason, 'Scheduled');
    assert.equal(ev.type, 'Normal');
    assert.equal(ev.message, 'Successfully assigned demo/b to sim-node-2');
    assert.deepEqual(ev.source, { component: 'default-scheduler' });
    assert.equal(ev.action, 'Binding');
    k.stop();
  });

  test('a pod that fits nowhere is Unschedulable until a node matches', async () => {
    const k = cluster({ kubelet: false, nodes: 2 });
    createPod(k, pod('picky', { nodeSelector: { disktype: 'ssd' } }));
    await k.advance(0);
    const msg = "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.";
    assert.deepEqual(k.pod('demo', 'picky').status.conditions, [
      { type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: at(0), reason: 'Unschedulable', message: msg },
    ]);
    assert.deepEqual(podEvents(k, 'picky'), [[0, 'FailedScheduling', 'Warning', msg, 1]]);
    await k.advance(5);
    k.store.mutate(NODES, undefined, 'sim-node-2', (n) => {
      n.metadata.labels!.disktype = 'ssd';
    });
    await k.advance(0);
    assert.equal(k.pod('demo', 'picky').spec.nodeName, 'sim-node-2');
    assert.deepEqual(k.pod('demo', 'picky').status.conditions, [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: at(5) }]);
    k.stop();
  });

  test('taints and resources in the FailedScheduling message; no nodes at all', async () => {
    const k = cluster({ kubelet: false, nodes: 2 });
    setNodeReady(k.ctx, 'sim-node-1', false);
    createPod(k, pod('big', { resources: { requests: { cpu: '8' } } }));
    await k.advance(0);
    assert.deepEqual(podEvents(k, 'big').map((e) => e[3]), [
      '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.',
    ]);
    for (const n of ['sim-node-1', 'sim-node-2']) k.store.delete(NODES, undefined, n);
    await k.advance(0);
    assert.equal(podEvents(k, 'big').at(-1)![3], 'no nodes available to schedule pods');
    k.stop();
  });
});

// ---------------------------------------------------------------- kubelet

describe('kubelet', () => {
  test('runs a pod to Ready with the statuses and events kubelet posts', async () => {
    const k = cluster();
    const created = createPod(k, pod('web'));
    await k.advance(10);
    // nginx:1.27 pulls in 200 ms: sandbox 1 s, pull, PLEG 1 s later, ready 2 s after start
    assert.deepEqual(podTimeline(k, 'demo', 'web'), [
      '0 Pending - r- Ready=-',
      '0 Pending - r- Ready=-',
      '0 Pending waiting:ContainerCreating r0 Ready=False',
      '2 Running running r0 Ready=False',
      '3.2 Running running r0 Ready=True',
    ]);
    assert.deepEqual(podEvents(k, 'web'), [
      [0, 'Scheduled', 'Normal', 'Successfully assigned demo/web to sim-node-1', 1],
      [1, 'Pulling', 'Normal', 'Pulling image "nginx:1.27"', 1],
      [1.2, 'Pulled', 'Normal', `Successfully pulled image "nginx:1.27" in 200ms (200ms including waiting). Image size: ${imageSizeBytes('nginx:1.27')} bytes.`, 1],
      [1.2, 'Created', 'Normal', 'Created container app', 1],
      [1.2, 'Started', 'Normal', 'Started container app', 1],
    ]);
    const started = k.store.list('events', 'demo').find((e) => e.reason === 'Started') as Record<string, any>;
    assert.deepEqual(started.source, { component: 'kubelet', host: 'sim-node-1' });
    assert.equal(started.involvedObject.fieldPath, 'spec.containers{app}');
    const p = k.pod('demo', 'web');
    const cid = p.status.containerStatuses[0].containerID;
    assert.match(cid, /^containerd:\/\/[0-9a-f]{64}$/);
    assert.deepEqual(p.status, {
      phase: 'Running',
      conditions: [
        { type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: null, lastTransitionTime: at(2) },
        { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: at(0) },
        { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: at(3) },
        { type: 'ContainersReady', status: 'True', lastProbeTime: null, lastTransitionTime: at(3) },
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: at(0) },
      ],
      hostIP: '10.0.0.11',
      hostIPs: [{ ip: '10.0.0.11' }],
      podIP: '10.244.1.2',
      podIPs: [{ ip: '10.244.1.2' }],
      startTime: at(0),
      containerStatuses: [
        {
          name: 'app',
          state: { running: { startedAt: at(1) } },
          lastState: {},
          ready: true,
          restartCount: 0,
          image: 'docker.io/library/nginx:1.27',
          imageID: imageId('nginx:1.27'),
          containerID: cid,
          started: true,
        },
      ],
      qosClass: 'BestEffort',
    });
    assert.equal(created.metadata.uid, p.metadata.uid);
    assert.deepEqual(k.ctx.logs.read('demo', 'web', 'app')!.map((l) => l.text).slice(0, 3), [
      'starting app (docker.io/library/nginx:1.27)',
      'listening on :8080',
      'GET /api/items 200 1ms',
    ]);
    k.stop();
  });

  test('a second pod on the node finds the image already present', async () => {
    const k = cluster({ nodes: 1 });
    createPod(k, pod('one'));
    await k.advance(5);
    createPod(k, pod('two'));
    await k.advance(5);
    assert.deepEqual(podEvents(k, 'two').map((e) => [e[0], e[1], e[3]]), [
      [5, 'Scheduled', 'Successfully assigned demo/two to sim-node-1'],
      [6, 'Pulled', 'Container image "nginx:1.27" already present on machine'],
      [6, 'Created', 'Created container app'],
      [6, 'Started', 'Started container app'],
    ]);
    assert.equal(k.pod('demo', 'two').status.podIP, '10.244.1.3');
    k.stop();
  });

  test('graceful deletion: Killing, terminated containers, then the pod is gone within a second', async () => {
    const k = cluster();
    createPod(k, pod('web'));
    await k.advance(10);
    // what the API server does on DELETE of a pod bound to a node
    k.store.mutate(PODS, 'demo', 'web', (p) => {
      p.metadata.deletionTimestamp = at(40);
      p.metadata.deletionGracePeriodSeconds = 30;
    });
    await k.advance(2);
    assert.deepEqual(podTimeline(k, 'demo', 'web').slice(-3), ['10 Running running r0 Ready=True terminating', '11 Succeeded terminated:Completed r0 Ready=False terminating', '11 DELETED']);
    const last = k.seen.filter((s) => s.c.storage === 'pods').at(-2)!.c.object as Record<string, any>;
    assert.deepEqual(last.status.conditions.map((c: any) => [c.type, c.status, c.reason]), [
      ['PodReadyToStartContainers', 'False', undefined],
      ['Initialized', 'True', 'PodCompleted'],
      ['Ready', 'False', 'PodCompleted'],
      ['ContainersReady', 'False', 'PodCompleted'],
      ['PodScheduled', 'True', undefined],
    ]);
    assert.deepEqual(last.status.containerStatuses[0].state.terminated, {
      exitCode: 0,
      reason: 'Completed',
      startedAt: at(1),
      finishedAt: at(11),
      containerID: last.status.containerStatuses[0].containerID,
    });
    assert.deepEqual(podEvents(k, 'web').at(-1), [10, 'Killing', 'Normal', 'Stopping container app', 1]);
    assert.equal(k.ctx.logs.read('demo', 'web', 'app'), undefined, 'logs go with the pod');
    k.stop();
  });

  test('restartPolicy decides: Never fails, OnFailure completes', async () => {
    const k = cluster();
    createPod(k, pod('once', { restartPolicy: 'Never', annotations: { 'sim.kubeherald.io/behavior': 'crash' } }));
    createPod(k, pod('job', { restartPolicy: 'OnFailure', annotations: { 'sim.kubeherald.io/behavior': 'complete' } }));
    await k.advance(30);
    assert.deepEqual(podTimeline(k, 'demo', 'once').slice(-2), ['3.2 Running running r0 Ready=True', '5.2 Failed terminated:Error r0 Ready=False']);
    assert.deepEqual(podTimeline(k, 'demo', 'job').slice(-1), ['5.2 Succeeded terminated:Completed r0 Ready=False']);
    const failed = k.pod('demo', 'once').status;
    assert.deepEqual(failed.conditions.map((c: any) => [c.type, c.status, c.reason]), [
      ['PodReadyToStartContainers', 'False', undefined],
      ['Initialized', 'True', undefined],
      ['Ready', 'False', 'PodFailed'],
      ['ContainersReady', 'False', 'PodFailed'],
      ['PodScheduled', 'True', undefined],
    ]);
    assert.equal(failed.containerStatuses[0].state.terminated.exitCode, 1);
    k.stop();
  });

  test('evictPod does what the eviction manager does', async () => {
    const k = cluster();
    createPod(k, pod('hog', { resources: { requests: { memory: '64Mi' } } }));
    await k.advance(10);
    evictPod(k.ctx, 'demo', 'hog', 'memory');
    await k.advance(30);
    const msg =
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 88412Ki. Container app was using 1428684Ki, request is 64Mi, has larger consumption of memory. ';
    const s = k.pod('demo', 'hog').status;
    assert.equal(s.phase, 'Failed');
    assert.equal(s.reason, 'Evicted');
    assert.equal(s.message, msg);
    assert.deepEqual(s.conditions.map((c: any) => [c.type, c.status, c.reason, c.lastTransitionTime]), [
      ['DisruptionTarget', 'True', 'TerminationByKubelet', at(10)],
      ['PodReadyToStartContainers', 'False', undefined, at(10)],
      ['Initialized', 'True', undefined, at(0)],
      ['Ready', 'False', 'PodFailed', at(10)],
      ['ContainersReady', 'False', 'PodFailed', at(10)],
      ['PodScheduled', 'True', undefined, at(0)],
    ]);
    assert.deepEqual(Object.keys(s), ['phase', 'conditions', 'message', 'reason', 'hostIP', 'hostIPs', 'podIP', 'podIPs', 'startTime', 'containerStatuses', 'qosClass']);
    assert.equal(s.containerStatuses[0].state.terminated.exitCode, 137);
    assert.deepEqual(podEvents(k, 'hog').slice(-2), [
      [10, 'Evicted', 'Warning', msg, 1],
      [10, 'Killing', 'Normal', 'Stopping container app', 1],
    ]);
    assert.deepEqual(k.events((e) => e.reason === 'EvictionThresholdMet'), [[10, 'EvictionThresholdMet', 'Warning', 'Attempting to reclaim memory', 1]]);
    assert.equal(podTimeline(k, 'demo', 'hog').at(-1), '10 Failed terminated:Error r0 Ready=False', 'the kubelet writes nothing after the eviction');
    k.stop();
  });
});

// ---------------------------------------------------------------- node lifecycle

describe('node lifecycle', () => {
  test('NotReady and back, as the node lifecycle controller and kubelet report it', async () => {
    const k = cluster({ nodes: 1 });
    createPod(k, pod('web'));
    await k.advance(10);
    setNodeReady(k.ctx, 'sim-node-1', false);
    await k.advance(20);
    const node = () => k.store.get(NODES.storage, undefined, 'sim-node-1') as Record<string, any>;
    assert.deepEqual(node().status.conditions.map((c: any) => [c.type, c.status, c.reason, c.message, c.lastHeartbeatTime, c.lastTransitionTime]), [
      ['MemoryPressure', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.', at(0), at(10)],
      ['DiskPressure', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.', at(0), at(10)],
      ['PIDPressure', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.', at(0), at(10)],
      ['Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.', at(0), at(10)],
    ]);
    assert.deepEqual(node().spec.taints, [
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: at(10) },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: at(10) },
    ]);
    const ready = k.pod('demo', 'web').status.conditions.find((c: any) => c.type === 'Ready');
    assert.deepEqual(ready, { type: 'Ready', status: 'False', lastProbeTime: null, lastTransitionTime: at(10) });
    assert.deepEqual(k.events((e) => e.reason === 'NodeNotReady'), [
      [10, 'NodeNotReady', 'Normal', 'Node sim-node-1 status is now: NodeNotReady', 1],
      [10, 'NodeNotReady', 'Warning', 'Node is not ready', 1],
    ]);
    const nodeEvent = k.store.list('events', 'default').find((e) => e.reason === 'NodeNotReady') as Record<string, any>;
    assert.deepEqual(nodeEvent.source, { component: 'node-controller' });

    setNodeReady(k.ctx, 'sim-node-1', true);
    await k.advance(1);
    assert.deepEqual(node().status.conditions.map((c: any) => [c.type, c.status, c.reason, c.lastHeartbeatTime, c.lastTransitionTime]), [
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', at(30), at(30)],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', at(30), at(30)],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID', at(30), at(30)],
      ['Ready', 'True', 'KubeletReady', at(30), at(30)],
    ]);
    assert.equal(node().spec.taints, undefined);
    assert.deepEqual(k.events((e) => e.reason === 'NodeReady' && e.count === 2), [[30, 'NodeReady', 'Normal', 'Node sim-node-1 status is now: NodeReady', 2]]);
    assert.deepEqual(podTimeline(k, 'demo', 'web').slice(-2), ['10 Running running r0 Ready=False', '30 Running running r0 Ready=True']);
    k.stop();
  });

  test('a crash while the kubelet is down is only handled when it returns', async () => {
    const k = cluster({ nodes: 1 });
    createPod(k, pod('c', { annotations: { 'sim.kubeherald.io/behavior': 'crash', 'sim.kubeherald.io/crash-after': '10' } }));
    await k.advance(5);
    setNodeReady(k.ctx, 'sim-node-1', false);
    await k.advance(55);
    assert.deepEqual(podTimeline(k, 'demo', 'c').slice(-1), ['5 Running running r0 Ready=False']);
    setNodeReady(k.ctx, 'sim-node-1', true);
    await k.advance(2);
    assert.deepEqual(podTimeline(k, 'demo', 'c').slice(-3), [
      '60 Running terminated:Error r0 Ready=False',
      '61 Running running r1 Ready=False',
      '62 Running running r1 Ready=True',
    ]);
    k.stop();
  });

  test('an unreachable node past the 300 s toleration: pods marked for deletion, finished when the kubelet returns', async () => {
    const k = cluster({ nodes: 1 });
    createPod(k, pod('web'));
    await k.advance(10);
    setNodeReady(k.ctx, 'sim-node-1', false);
    await k.advance(299);
    assert.equal(k.pod('demo', 'web').metadata.deletionTimestamp, undefined);
    await k.advance(1);
    const p = k.pod('demo', 'web');
    assert.equal(p.metadata.deletionTimestamp, at(340));
    assert.deepEqual(p.status.conditions.at(-1), {
      type: 'DisruptionTarget',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: at(310),
      reason: 'DeletionByTaintManager',
      message: 'Taint manager: deleting due to NoExecute taint',
    });
    const marked = k.store.list('events', 'demo').find((e) => e.reason === 'TaintManagerEviction') as Record<string, any>;
    assert.deepEqual(JSON.parse(JSON.stringify([marked.type, marked.message, marked.source, marked.involvedObject])), [
      'Normal',
      'Marking for deletion Pod demo/web',
      { component: 'taint-eviction-controller' },
      { kind: 'Pod', namespace: 'demo', name: 'web', apiVersion: 'v1' },
    ]);
    await k.advance(600);
    assert.ok(k.pod('demo', 'web'), 'Terminating until its kubelet is back');
    setNodeReady(k.ctx, 'sim-node-1', true);
    await k.advance(2);
    assert.equal(k.pod('demo', 'web'), undefined);
    assert.deepEqual(podEvents(k, 'web').at(-1), [910, 'Killing', 'Normal', 'Stopping container app', 1]);
    k.stop();
  });

  test('a pod with no toleration for the taint is evicted at once', async () => {
    const k = cluster({ nodes: 1 });
    const p = pod('strict');
    (p.spec as Record<string, unknown>).tolerations = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 }];
    createPod(k, p);
    await k.advance(10);
    setNodeReady(k.ctx, 'sim-node-1', false);
    await k.advance(0);
    assert.equal(k.pod('demo', 'strict').metadata.deletionTimestamp, at(40));
    k.stop();
  });

  test('memory pressure: condition, kubelet event, NoSchedule taint, and relief', async () => {
    const k = cluster({ nodes: 1, kubelet: false });
    await k.advance(3);
    setNodePressure(k.ctx, 'sim-node-1', 'memory', true);
    const node = () => k.store.get(NODES.storage, undefined, 'sim-node-1') as Record<string, any>;
    assert.deepEqual(node().status.conditions[0], {
      type: 'MemoryPressure',
      status: 'True',
      lastHeartbeatTime: at(3),
      lastTransitionTime: at(3),
      reason: 'KubeletHasInsufficientMemory',
      message: 'kubelet has insufficient memory available',
    });
    assert.deepEqual(node().spec.taints, [{ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule', timeAdded: at(3) }]);
    await k.advance(7);
    setNodePressure(k.ctx, 'sim-node-1', 'memory', false);
    assert.equal(node().status.conditions[0].reason, 'KubeletHasSufficientMemory');
    assert.equal(node().spec.taints, undefined);
    assert.deepEqual(k.events((e) => (e.involvedObject as { kind: string }).kind === 'Node' && (e.message as string).includes('Memory')).slice(-2), [
      [3, 'NodeHasInsufficientMemory', 'Normal', 'Node sim-node-1 status is now: NodeHasInsufficientMemory', 1],
      [10, 'NodeHasSufficientMemory', 'Normal', 'Node sim-node-1 status is now: NodeHasSufficientMemory', 2],
    ]);
    k.stop();
  });
});

describe('a stopped kubelet', () => {
  test('reports no pressure and evicts nothing; its return clears pressure taints', async () => {
    const k = cluster({ nodes: 1 });
    createPod(k, pod('web'));
    await k.advance(10);
    assert.equal(setNodePressure(k.ctx, 'sim-node-1', 'disk', true), true);
    assert.equal(setNodePressure(k.ctx, 'sim-node-1', 'disk', true), false, 'already under pressure');
    setNodeReady(k.ctx, 'sim-node-1', false);
    assert.equal(setNodePressure(k.ctx, 'sim-node-1', 'memory', true), false);
    assert.equal(evictPod(k.ctx, 'demo', 'web'), false);
    assert.equal(k.pod('demo', 'web').status.phase, 'Running');
    const taints = () => (k.store.get(NODES.storage, undefined, 'sim-node-1')!.spec as { taints?: { key: string }[] }).taints?.map((t) => t.key);
    assert.deepEqual(taints(), ['node.kubernetes.io/unreachable', 'node.kubernetes.io/disk-pressure', 'node.kubernetes.io/unreachable']);
    setNodeReady(k.ctx, 'sim-node-1', true);
    assert.equal(taints(), undefined);
    await k.advance(1);
    assert.equal(evictPod(k.ctx, 'demo', 'web'), true);
    assert.equal(evictPod(k.ctx, 'demo', 'web'), false, 'already evicted');
    k.stop();
  });
});

// ---------------------------------------------------------------- garbage collection

describe('garbage collector', () => {
  function owner(k: Cluster, name: string, finalizers?: string[]): KObject {
    ensureNamespace(k.ctx, 'demo');
    return k.store.create(REPLICASETS, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, namespace: 'demo', ...(finalizers ? { finalizers } : {}) },
      spec: { replicas: 1 },
    });
  }
  const ownedBy = (o: KObject) => [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.metadata.name!, uid: o.metadata.uid!, controller: true, blockOwnerDeletion: true }];

  test('deleting an owner deletes its dependents; running pods go through their kubelet', async () => {
    const k = cluster();
    const rs = owner(k, 'web-1');
    createPod(k, pod('web-1-a', { ownerReferences: ownedBy(rs) }));
    k.store.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'demo', ownerReferences: ownedBy(rs) } });
    const other = owner(k, 'keeper');
    k.store.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', namespace: 'demo', ownerReferences: [...ownedBy(rs), ...ownedBy(other)] } });
    await k.advance(10);
    k.store.delete(REPLICASETS, 'demo', 'web-1');
    await k.advance(0);
    assert.equal(k.store.get(CONFIGMAPS.storage, 'demo', 'cfg'), undefined);
    assert.deepEqual(k.store.get(CONFIGMAPS.storage, 'demo', 'shared')!.metadata.ownerReferences, ownedBy(other));
    assert.equal(k.pod('demo', 'web-1-a').metadata.deletionTimestamp, at(40), 'graceful, like the API server');
    await k.advance(1);
    assert.equal(k.pod('demo', 'web-1-a'), undefined);
    assert.deepEqual(podEvents(k, 'web-1-a').at(-1), [10, 'Killing', 'Normal', 'Stopping container app', 1]);
    k.stop();
  });

  test('foreground deletion waits for the dependents, then removes the owner', async () => {
    const k = cluster();
    const rs = owner(k, 'web-2', ['foregroundDeletion']);
    createPod(k, pod('web-2-a', { ownerReferences: ownedBy(rs) }));
    await k.advance(10);
    k.store.mutate(REPLICASETS, 'demo', 'web-2', (o) => {
      o.metadata.deletionTimestamp = at(10);
      o.metadata.deletionGracePeriodSeconds = 0;
    });
    await k.advance(0);
    assert.ok(k.store.get(REPLICASETS.storage, 'demo', 'web-2'), 'the owner waits');
    assert.ok(k.pod('demo', 'web-2-a').metadata.deletionTimestamp);
    await k.advance(1);
    assert.equal(k.pod('demo', 'web-2-a'), undefined);
    assert.equal(k.store.get(REPLICASETS.storage, 'demo', 'web-2'), undefined);
    k.stop();
  });

  test('deleteObject follows the API server: unbound pods and plain objects go at once', () => {
    const k = cluster({ scheduler: false });
    createPod(k, pod('pending'));
    assert.equal(deleteObject(k.ctx, PODS, 'demo', 'pending'), 'deleted');
    k.store.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', namespace: 'demo', finalizers: ['example.com/hold'] } });
    assert.equal(deleteObject(k.ctx, CONFIGMAPS, 'demo', 'held'), 'terminating');
    assert.equal(deleteObject(k.ctx, CONFIGMAPS, 'demo', 'nothing'), 'absent');
    k.stop();
  });

  test('pods of a deleted node are failed and removed after the pod GC quarantine', async () => {
    const k = cluster({ nodes: 1 });
    createPod(k, pod('stranded'));
    await k.advance(10);
    k.store.delete(NODES, undefined, 'sim-node-1');
    await k.advance(39);
    assert.ok(k.pod('demo', 'stranded'));
    await k.advance(1);
    assert.equal(k.pod('demo', 'stranded'), undefined);
    const lastVersion = k.seen.filter((s) => s.c.storage === 'pods' && s.c.type === 'MODIFIED').at(-1)!.c.object as Record<string, any>;
    assert.equal(lastVersion.status.phase, 'Failed');
    assert.deepEqual(lastVersion.status.conditions.at(-1), {
      type: 'DisruptionTarget',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: at(50),
      reason: 'DeletionByPodGC',
      message: 'PodGC: node no longer exists',
    });
    k.stop();
  });
});

// ---------------------------------------------------------------- namespace deletion

describe('namespace controller', () => {
  test('deleting a namespace removes its content, reports progress, then the namespace', async () => {
    const k = cluster();
    createPod(k, pod('web', { ns: 'team' }));
    k.store.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'team' } });
    await k.advance(10);
    // what the API server does on DELETE of a namespace
    k.store.mutate(NAMESPACES, undefined, 'team', (ns) => {
      ns.metadata.deletionTimestamp = at(10);
      ns.metadata.deletionGracePeriodSeconds = 0;
      (ns.status as Record<string, unknown>).phase = 'Terminating';
    });
    await k.advance(0);
    assert.equal(k.store.get(CONFIGMAPS.storage, 'team', 'cfg'), undefined);
    const ns = k.store.get(NAMESPACES.storage, undefined, 'team') as Record<string, any>;
    assert.deepEqual(ns.status, {
      phase: 'Terminating',
      conditions: [
        { type: 'NamespaceDeletionDiscoveryFailure', status: 'False', lastTransitionTime: at(10), reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
        { type: 'NamespaceDeletionGroupVersionParsingFailure', status: 'False', lastTransitionTime: at(10), reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
        { type: 'NamespaceDeletionContentFailure', status: 'False', lastTransitionTime: at(10), reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
        { type: 'NamespaceContentRemaining', status: 'True', lastTransitionTime: at(10), reason: 'SomeResourcesRemain', message: 'Some resources are remaining: pods. has 1 resource instances' },
        { type: 'NamespaceFinalizersRemaining', status: 'False', lastTransitionTime: at(10), reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
      ],
    });
    await k.advance(2);
    assert.equal(k.store.get(NAMESPACES.storage, undefined, 'team'), undefined);
    assert.equal(k.store.list('events', 'team').length, 0);
    const nsChanges = k.seen.filter((s) => s.c.storage === 'namespaces' && s.c.object.metadata.name === 'team').map((s) => [s.t, s.c.type]);
    assert.deepEqual(nsChanges, [
      [0, 'ADDED'],
      [10, 'MODIFIED'], // deletionTimestamp, phase Terminating (the API server)
      [10, 'MODIFIED'], // conditions: SomeResourcesRemain
      [11, 'MODIFIED'], // conditions: ContentRemoved, once the kubelet removed the pod
      [11, 'DELETED'],
    ]);
    k.stop();
  });
});

test('image pull durations are what the Pulled messages say', () => {
  assert.equal(imagePullMs('nginx:1.27'), 200);
  assert.equal(imagePullMs('ghcr.io/kubeherald/demo-app:1.4.2'), 2610);
});
