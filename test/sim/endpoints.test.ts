// The Endpoints and EndpointSlice controllers on a stopped clock: exact
// objects after each pod and Service change, and readiness reaching the
// slice at the same virtual instant as the pod.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimClock } from '../../src/sim/clock.ts';
import {
  ENDPOINTSLICE_CONTROLLER_NAME,
  endpointSubsets,
  findPort,
  MANAGED_BY_LABEL,
  SERVICE_NAME_LABEL,
  startEndpointControllers,
  TRIGGER_TIME_ANNOTATION,
  type EndpointSlice,
  type Service,
} from '../../src/sim/controllers/endpoints.ts';
import { deleteObject, startGarbageCollector } from '../../src/sim/controllers/gc.ts';
import { startControllers } from '../../src/sim/controllers/index.ts';
import { ensureNamespace, startNamespaceController } from '../../src/sim/controllers/namespaces.ts';
import { setNodeReady, startNodes } from '../../src/sim/controllers/nodes.ts';
import { applyCreateDefaults } from '../../src/sim/defaults.ts';
import { EventRecorder } from '../../src/sim/events.ts';
import { LogStore } from '../../src/sim/logs.ts';
import { ENDPOINTS, ENDPOINTSLICES, PODS, SERVICES } from '../../src/sim/refs.ts';
import type { SimContext } from '../../src/sim/scenario.ts';
import { simPod } from '../../src/sim/scenarios/pods.ts';
import { ObjectStore } from '../../src/sim/store.ts';
import type { KObject } from '../../src/sim/types.ts';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString().replace('.000Z', 'Z');

/** Only nodes, GC and the endpoint controllers: pods are written by hand, as a kubelet would. */
function bare() {
  const clock = new SimClock({ speed: 0, start: new Date(T0) });
  const store = new ObjectStore({ clock });
  const ctx: SimContext = { store, clock, logs: new LogStore(), recorder: new EventRecorder(store) };
  const nodes = startNodes(ctx, { nodes: 2 });
  const seq = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
  let i = 0;
  const stops = [startNamespaceController(ctx), startGarbageCollector(ctx), startEndpointControllers(ctx, { random: () => seq[i++ % seq.length] })];
  ensureNamespace(ctx, 'demo');
  return {
    ctx,
    clock,
    store,
    advance: (s: number) => clock.advance(s * 1000),
    stop() {
      for (const s of stops) s();
      nodes.stop();
      clock.close();
    },
    endpoints: (name: string) => store.get(ENDPOINTS.storage, 'demo', name) as Record<string, any> | undefined,
    slices: (svc: string) =>
      (store.list(ENDPOINTSLICES.storage, 'demo') as EndpointSlice[]).filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === svc),
  };
}
type Bare = ReturnType<typeof bare>;

function service(name: string, o: { selector?: Record<string, string> | null; ports?: Record<string, unknown>[]; labels?: Record<string, string>; publishNotReadyAddresses?: boolean; clusterIP?: string } = {}): KObject {
  const svc: KObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'demo', ...(o.labels ? { labels: o.labels } : {}) },
    spec: {
      ...(o.selector === null ? {} : { selector: o.selector ?? { app: name } }),
      ports: o.ports ?? [{ name: 'http', port: 80, targetPort: 'http' }],
      ...(o.publishNotReadyAddresses ? { publishNotReadyAddresses: true } : {}),
      ...(o.clusterIP ? { clusterIP: o.clusterIP } : {}),
    },
  };
  applyCreateDefaults(SERVICES.storage, svc);
  return svc;
}

/** A pod as its kubelet leaves it: bound, with an IP, Ready or not. */
function podObject(name: string, o: { app?: string; node?: string; ip?: string; ready?: boolean; readySince?: number; port?: number; phase?: string } = {}): KObject {
  const pod = simPod({ name, namespace: 'demo', labels: { app: o.app ?? 'web' } }) as Record<string, any>;
  pod.spec.containers[0].ports = [{ name: 'http', containerPort: o.port ?? 8080, protocol: 'TCP' }];
  pod.spec.nodeName = o.node ?? 'sim-node-1';
  pod.status = {
    phase: o.phase ?? 'Running',
    conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: at(o.readySince ?? 0) }],
    ...(o.ip ? { podIP: o.ip, podIPs: [{ ip: o.ip }] } : {}),
  };
  return pod as KObject;
}

function setReady(b: Bare, name: string, ready: boolean): void {
  b.store.mutate(PODS, 'demo', name, (p) => {
    const c = (p.status as any).conditions[0];
    c.status = ready ? 'True' : 'False';
    c.lastTransitionTime = b.ctx.clock.nowIso();
  });
}

const ref = (pod: KObject) => ({ kind: 'Pod', namespace: 'demo', name: pod.metadata.name, uid: pod.metadata.uid });

test('findPort resolves numeric and named target ports like the real FindPort', () => {
  const pod = podObject('p', { port: 9090 });
  assert.equal(findPort(pod, { port: 80, targetPort: 8080 }), 8080);
  assert.equal(findPort(pod, { port: 80 }), 80);
  assert.equal(findPort(pod, { port: 80, targetPort: 'http', protocol: 'TCP' }), 9090);
  assert.equal(findPort(pod, { port: 80, targetPort: 'http', protocol: 'UDP' }), undefined);
  assert.equal(findPort(pod, { port: 80, targetPort: 'metrics' }), undefined);
});

test('endpointSubsets: ready and not-ready addresses, sorted by IP, repacked by port set; unresolvable pods left out', () => {
  const svc = service('web', { ports: [{ name: 'http', port: 80, targetPort: 'http' }] }) as Service;
  const mk = (name: string, ip: string, ready: boolean, port = 8080): KObject => {
    const p = podObject(name, { ip, ready, port });
    p.metadata.uid = `uid-${name}`;
    return p;
  };
  const noPort = mk('d', '10.244.1.9', true);
  (noPort.spec as any).containers[0].ports = [];
  const pods = [mk('a', '10.244.1.5', true), mk('b', '10.244.1.10', false), mk('c', '10.244.1.3', true), mk('e', '10.244.2.4', true, 9000), noPort];
  const addr = (name: string, ip: string) => ({ ip, nodeName: 'sim-node-1', targetRef: { kind: 'Pod', namespace: 'demo', name, uid: `uid-${name}` } });
  assert.deepEqual(endpointSubsets(svc, pods), [
    {
      addresses: [addr('c', '10.244.1.3'), addr('a', '10.244.1.5')],
      notReadyAddresses: [addr('b', '10.244.1.10')],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    },
    { addresses: [addr('e', '10.244.2.4')], ports: [{ name: 'http', port: 9000, protocol: 'TCP' }] },
  ]);
  const publish = service('web', { publishNotReadyAddresses: true }) as Service;
  assert.deepEqual(endpointSubsets(publish, [pods[1]])[0].addresses, [addr('b', '10.244.1.10')]);
});

test('a Service gets an empty Endpoints and a placeholder slice, then its pods as they get IPs and turn ready', async () => {
  const b = bare();
  const svc = b.store.create(SERVICES, service('web', { labels: { 'kubeherald.io/plugin': 'slack', app: 'web' } }));
  await b.advance(0);
  assert.deepEqual(b.endpoints('web'), {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name: 'web',
      namespace: 'demo',
      labels: { app: 'web', 'kubeherald.io/plugin': 'slack' },
      uid: b.endpoints('web')!.metadata.uid,
      resourceVersion: b.endpoints('web')!.metadata.resourceVersion,
      creationTimestamp: at(0),
      generation: 1,
    },
  });
  const [placeholder] = b.slices('web');
  assert.equal(b.slices('web').length, 1);
  assert.equal(placeholder.metadata.name, 'web-dhlnr');
  assert.equal(placeholder.metadata.generateName, 'web-');
  assert.deepEqual(placeholder.metadata.labels, {
    app: 'web',
    [MANAGED_BY_LABEL]: ENDPOINTSLICE_CONTROLLER_NAME,
    'kubeherald.io/plugin': 'slack',
    [SERVICE_NAME_LABEL]: 'web',
  });
  assert.deepEqual(placeholder.metadata.ownerReferences, [
    { apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true },
  ]);
  assert.equal(placeholder.metadata.annotations, undefined);
  assert.equal(placeholder.addressType, 'IPv4');
  assert.equal(placeholder.endpoints, null);
  assert.equal(placeholder.ports, null);

  // a pod without an IP yet is in neither
  await b.advance(1);
  b.store.create(PODS, podObject('web-1'));
  await b.advance(0);
  assert.equal(b.endpoints('web')!.subsets, undefined);
  assert.equal(b.slices('web')[0].endpoints, null);

  // the sandbox is up: not ready
  await b.advance(1);
  b.store.mutate(PODS, 'demo', 'web-1', (p) => {
    Object.assign(p.status as object, { podIP: '10.244.1.2', podIPs: [{ ip: '10.244.1.2' }] });
    (p.status as any).conditions[0].lastTransitionTime = at(2);
  });
  await b.advance(0);
  const pod = b.store.get(PODS.storage, 'demo', 'web-1')!;
  assert.deepEqual(b.endpoints('web')!.subsets, [
    { notReadyAddresses: [{ ip: '10.244.1.2', nodeName: 'sim-node-1', targetRef: ref(pod) }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
  ]);
  assert.equal(b.endpoints('web')!.metadata.annotations[TRIGGER_TIME_ANNOTATION], at(2));
  const [slice] = b.slices('web');
  assert.equal(slice.metadata.name, 'web-dhlnr', 'the placeholder is reused');
  assert.equal(slice.metadata.generation, 2);
  assert.deepEqual(slice.endpoints, [
    { addresses: ['10.244.1.2'], conditions: { ready: false, serving: false, terminating: false }, targetRef: ref(pod), nodeName: 'sim-node-1' },
  ]);
  assert.deepEqual(slice.ports, [{ name: 'http', protocol: 'TCP', port: 8080 }]);
  assert.equal(slice.metadata.annotations?.[TRIGGER_TIME_ANNOTATION], at(2));

  // readiness lands at the same instant
  await b.advance(3);
  setReady(b, 'web-1', true);
  await b.advance(0);
  assert.equal(b.clock.nowMs(), T0 + 5000);
  assert.deepEqual(b.endpoints('web')!.subsets, [
    { addresses: [{ ip: '10.244.1.2', nodeName: 'sim-node-1', targetRef: ref(pod) }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
  ]);
  assert.deepEqual(b.slices('web')[0].endpoints![0].conditions, { ready: true, serving: true, terminating: false });
  assert.equal(b.slices('web')[0].metadata.annotations?.[TRIGGER_TIME_ANNOTATION], at(5));
  b.stop();
});

test('terminating pods leave Endpoints but stay in the slice as terminating; the last one gone leaves the placeholder', async () => {
  const b = bare();
  b.store.create(SERVICES, service('web'));
  b.store.create(PODS, podObject('web-1', { ip: '10.244.1.2', ready: true }));
  b.store.create(PODS, podObject('web-2', { ip: '10.244.2.2', ready: true, node: 'sim-node-2' }));
  await b.advance(0);
  const [slice] = b.slices('web');
  assert.deepEqual(slice.endpoints!.map((e) => [e.targetRef.name, e.nodeName, e.conditions.ready]), [
    ['web-1', 'sim-node-1', true],
    ['web-2', 'sim-node-2', true],
  ]);
  await b.advance(1);
  assert.equal(deleteObject(b.ctx, PODS, 'demo', 'web-1'), 'terminating');
  await b.advance(0);
  assert.deepEqual(b.endpoints('web')!.subsets[0].addresses.map((a: any) => a.targetRef.name), ['web-2']);
  assert.equal(b.endpoints('web')!.subsets[0].notReadyAddresses, undefined);
  assert.deepEqual(b.slices('web')[0].endpoints!.map((e) => [e.targetRef.name, e.conditions]), [
    ['web-1', { ready: false, serving: true, terminating: true }],
    ['web-2', { ready: true, serving: true, terminating: false }],
  ]);
  // the kubelet stops the containers and removes the pod
  setReady(b, 'web-1', false);
  b.store.delete(PODS, 'demo', 'web-1');
  await b.advance(0);
  assert.deepEqual(b.slices('web')[0].endpoints!.map((e) => e.targetRef.name), ['web-2']);
  // a finished pod counts no more
  b.store.mutate(PODS, 'demo', 'web-2', (p) => {
    (p.status as any).phase = 'Failed';
  });
  await b.advance(0);
  assert.equal(b.endpoints('web')!.subsets, undefined);
  const slices = b.slices('web');
  assert.equal(slices.length, 1);
  assert.equal(slices[0].metadata.name, slice.metadata.name, 'emptied slice becomes the placeholder');
  assert.equal(slices[0].endpoints, null);
  assert.equal(slices[0].ports, null);
  b.stop();
});

test('Service changes: selector, labels and ports are followed; selector-less Services are left alone', async () => {
  const b = bare();
  b.store.create(SERVICES, service('web'));
  b.store.create(PODS, podObject('web-1', { ip: '10.244.1.2', ready: true }));
  b.store.create(PODS, podObject('api-1', { app: 'api', ip: '10.244.1.3', ready: true, port: 9000 }));
  await b.advance(0);
  b.store.mutate(SERVICES, 'demo', 'web', (s) => {
    (s.spec as any).selector = { app: 'api' };
    (s.spec as any).ports = [{ name: 'grpc', port: 90, targetPort: 9001, protocol: 'TCP', appProtocol: 'grpc' }];
    s.metadata.labels = { team: 'core' };
  });
  await b.advance(0);
  const api = b.store.get(PODS.storage, 'demo', 'api-1')!;
  assert.deepEqual(b.endpoints('web')!.subsets, [
    { addresses: [{ ip: '10.244.1.3', nodeName: 'sim-node-1', targetRef: ref(api) }], ports: [{ name: 'grpc', port: 9001, protocol: 'TCP', appProtocol: 'grpc' }] },
  ]);
  assert.deepEqual(b.endpoints('web')!.metadata.labels, { team: 'core' });
  const slices = b.slices('web');
  assert.equal(slices.length, 1, 'the slice of the old port set is reused for the new one');
  assert.deepEqual(slices[0].ports, [{ name: 'grpc', protocol: 'TCP', port: 9001, appProtocol: 'grpc' }]);
  assert.deepEqual(slices[0].endpoints!.map((e) => e.targetRef.name), ['api-1']);
  assert.equal(slices[0].metadata.labels?.team, 'core');

  b.store.create(SERVICES, service('external', { selector: null }));
  await b.advance(0);
  assert.equal(b.endpoints('external'), undefined);
  assert.equal(b.slices('external').length, 0);
  b.stop();
});

test('a headless Service is labelled so, and pods with hostname+subdomain get their hostname', async () => {
  const b = bare();
  b.store.create(SERVICES, service('db', { clusterIP: 'None', ports: [{ port: 5432 }] }));
  const pod = podObject('db-0', { app: 'db', ip: '10.244.1.7', ready: true });
  Object.assign(pod.spec as object, { hostname: 'db-0', subdomain: 'db' });
  b.store.create(PODS, pod);
  await b.advance(0);
  assert.equal(b.endpoints('db')!.metadata.labels['service.kubernetes.io/headless'], '');
  assert.equal(b.endpoints('db')!.subsets[0].addresses[0].hostname, 'db-0');
  const [slice] = b.slices('db');
  assert.equal(slice.metadata.labels?.['service.kubernetes.io/headless'], '');
  assert.equal(slice.endpoints![0].hostname, 'db-0');
  assert.deepEqual(slice.ports, [{ name: '', protocol: 'TCP', port: 5432 }]);
  b.stop();
});

test('more than 100 endpoints spread over several slices', async () => {
  const b = bare();
  b.store.create(SERVICES, service('big', { ports: [{ port: 80, targetPort: 8080 }] }));
  for (let i = 0; i < 150; i++) b.store.create(PODS, podObject(`big-${String(i).padStart(3, '0')}`, { app: 'big', ip: `10.244.1.${i + 2}`, ready: true }));
  await b.advance(0);
  const sizes = b.slices('big').map((s) => s.endpoints!.length).sort((x, y) => x - y);
  assert.deepEqual(sizes, [50, 100]);
  assert.equal(b.endpoints('big')!.subsets[0].addresses.length, 150);
  // one more ready pod goes into the slice with room
  b.store.create(PODS, podObject('big-150', { app: 'big', ip: '10.244.2.2', ready: true, node: 'sim-node-2' }));
  await b.advance(0);
  assert.deepEqual(b.slices('big').map((s) => s.endpoints!.length).sort((x, y) => x - y), [51, 100]);
  b.stop();
});

test('deleting the Service deletes its Endpoints; the garbage collector removes its slices; deleted Endpoints come back', async () => {
  const b = bare();
  b.store.create(SERVICES, service('web'));
  b.store.create(PODS, podObject('web-1', { ip: '10.244.1.2', ready: true }));
  await b.advance(0);
  b.store.delete(ENDPOINTS, 'demo', 'web');
  await b.advance(0);
  assert.equal(b.endpoints('web')!.subsets[0].addresses.length, 1);
  b.store.delete(SERVICES, 'demo', 'web');
  await b.advance(0);
  assert.equal(b.endpoints('web'), undefined);
  assert.equal(b.slices('web').length, 0);
  b.stop();
});

test('with the whole cluster: a new pod shows up in the slice at the instant it turns Ready, and leaves when its node goes NotReady', async () => {
  const clock = new SimClock({ speed: 0, start: new Date(T0) });
  const store = new ObjectStore({ clock });
  const ctx: SimContext = { store, clock, logs: new LogStore(), recorder: new EventRecorder(store) };
  const controllers = startControllers(ctx, { nodes: 3 });
  ensureNamespace(ctx, 'demo');
  store.create(SERVICES, service('plugin', { labels: { 'kubeherald.io/plugin': 'slack' } }));
  const pod = simPod({ name: 'plugin-1', namespace: 'demo', labels: { app: 'plugin' } }) as Record<string, any>;
  pod.spec.containers[0].ports = [{ name: 'http', containerPort: 8080, protocol: 'TCP' }];
  store.create(PODS, pod as KObject);
  const podReadyAt: number[] = [];
  const sliceReadyAt: number[] = [];
  store.subscribe((c) => {
    if (c.storage === PODS.storage && (c.object.status as any)?.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True')) podReadyAt.push(clock.nowMs() - T0);
    if (c.storage === ENDPOINTSLICES.storage && (c.object as EndpointSlice).endpoints?.some((e) => e.conditions.ready)) sliceReadyAt.push(clock.nowMs() - T0);
  });
  await clock.advance(10_000);
  assert.ok(podReadyAt.length > 0);
  assert.equal(sliceReadyAt[0], podReadyAt[0]);
  const slice = (store.list(ENDPOINTSLICES.storage, 'demo') as EndpointSlice[])[0];
  assert.equal(slice.metadata.labels?.['kubeherald.io/plugin'], 'slack');
  const node = (store.get(PODS.storage, 'demo', 'plugin-1')!.spec as any).nodeName;
  assert.deepEqual(slice.endpoints!.map((e) => [e.targetRef.name, e.nodeName, e.conditions.ready]), [['plugin-1', node, true]]);

  setNodeReady(ctx, node, false);
  await clock.advance(0);
  const after = (store.list(ENDPOINTSLICES.storage, 'demo') as EndpointSlice[])[0];
  assert.deepEqual(after.endpoints![0].conditions, { ready: false, serving: false, terminating: false });
  assert.equal((store.get(ENDPOINTS.storage, 'demo', 'plugin') as any).subsets[0].notReadyAddresses[0].targetRef.name, 'plugin-1');
  controllers.stop();
  clock.close();
});
