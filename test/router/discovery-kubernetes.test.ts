// Kubernetes discovery: the pure reading of EndpointSlices, then the source
// against the simulated cluster (real API server, real watches): labelled
// Services only, scale up and down, terminating pods draining then gone,
// and the same set after dropped watches, 410s, compaction and 503s.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { endpointsFromSlices, endpointState, kubernetesSource, slicePort, type EndpointSliceLike, type KubernetesSource } from '../../src/router/discovery/kubernetes.ts';
import type { PluginEndpoint } from '../../src/router/types.ts';
import { ENDPOINTSLICES, PODS } from '../../src/sim/refs.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { silentLogger } from '../../src/model/logger.ts';
type KObject = k8s.KubernetesObject & Record<string, unknown>;

const quiet = silentLogger;

function slice(o: { ns?: string; name?: string; type?: string; service?: string; addressType?: string; ports?: EndpointSliceLike['ports']; endpoints: EndpointSliceLike['endpoints'] }): EndpointSliceLike {
  return {
    metadata: {
      name: o.name ?? 'web-abcde',
      namespace: o.ns ?? 'demo',
      labels: { ...(o.type !== undefined ? { 'kubeherald.io/plugin': o.type } : {}), 'kubernetes.io/service-name': o.service ?? 'web' },
    },
    addressType: o.addressType ?? 'IPv4',
    ports: o.ports === undefined ? [{ name: 'grpc', port: 50051, protocol: 'TCP' }] : o.ports,
    endpoints: o.endpoints,
  };
}
const pod = (name: string, uid = `uid-${name}`) => ({ kind: 'Pod', name, namespace: 'demo', uid });
const ready = { ready: true, serving: true, terminating: false };

describe('reading EndpointSlices (pure)', () => {
  it('endpointState follows the documented nil rules', () => {
    assert.equal(endpointState(undefined), 'usable');
    assert.equal(endpointState({}), 'usable');
    assert.equal(endpointState({ ready: true }), 'usable');
    assert.equal(endpointState({ ready: false }), undefined);
    assert.equal(endpointState({ ready: false, serving: true, terminating: false }), undefined);
    assert.equal(endpointState({ ready: false, serving: true, terminating: true }), 'draining');
    assert.equal(endpointState({ ready: false, serving: false, terminating: true }), undefined);
    assert.equal(endpointState({ ready: false, terminating: true }), undefined, 'serving nil defers to ready');
    assert.equal(endpointState({ ready: true, terminating: true }), 'draining', 'publishNotReadyAddresses: ready but terminating gets no new work');
  });

  it('slicePort: portName, else "grpc", else the only port', () => {
    const two = slice({ ports: [{ name: 'metrics', port: 9090 }, { name: 'grpc', port: 50051 }], endpoints: [] });
    assert.equal(slicePort(two), 50051);
    assert.equal(slicePort(two, 'metrics'), 9090);
    assert.deepEqual(slicePort(two, 'admin'), { problem: 'has no port named "admin"' });
    assert.equal(slicePort(slice({ ports: [{ name: '', port: 7000 }], endpoints: [] })), 7000);
    assert.deepEqual(slicePort(slice({ ports: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }], endpoints: [] })), {
      problem: 'has 2 ports and none named "grpc": name the plugin port "grpc" or set portName',
    });
    assert.deepEqual(slicePort(slice({ ports: [{ name: 'grpc', port: null }], endpoints: [] })), { problem: 'port "grpc" has no usable number' });
    assert.deepEqual(slicePort(slice({ ports: [{ name: 'grpc', port: 53, protocol: 'UDP' }], endpoints: [] })), { problem: 'has no TCP port' });
    assert.equal(slicePort(slice({ ports: null, endpoints: null })), undefined, 'the placeholder slice');
  });

  it('usable, draining and left-out endpoints; ids name namespace, pod and address', () => {
    const { endpoints, problems } = endpointsFromSlices([
      slice({
        type: 'webhook',
        endpoints: [
          { addresses: ['10.244.1.5', '10.244.9.9'], conditions: ready, targetRef: pod('web-1') },
          { addresses: ['10.244.1.6'], conditions: { ready: false, serving: true, terminating: true }, targetRef: pod('web-2') },
          { addresses: ['10.244.1.7'], conditions: { ready: false, serving: false, terminating: false }, targetRef: pod('web-3') },
          { addresses: ['10.244.1.8'], conditions: {} },
          { addresses: [], conditions: ready },
        ],
      }),
    ]);
    assert.deepEqual(problems, []);
    assert.deepEqual(endpoints, [
      { id: 'kubernetes/demo/10.244.1.8/10.244.1.8:50051', type: 'webhook', address: '10.244.1.8:50051', source: 'kubernetes' },
      { id: 'kubernetes/demo/web-1/10.244.1.5:50051', type: 'webhook', address: '10.244.1.5:50051', source: 'kubernetes' },
      { id: 'kubernetes/demo/web-2/10.244.1.6:50051', type: 'webhook', address: '10.244.1.6:50051', source: 'kubernetes', draining: true },
    ]);
  });

  it('merges the slices of a Service; one endpoint in two slices counts once, usable over draining', () => {
    const { endpoints } = endpointsFromSlices([
      slice({ name: 'web-a', type: 'slack', endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: false, serving: true, terminating: true }, targetRef: pod('p1') }] }),
      slice({ name: 'web-b', type: 'slack', endpoints: [{ addresses: ['10.0.0.1'], conditions: ready, targetRef: pod('p1') }, { addresses: ['10.0.0.2'], conditions: ready, targetRef: pod('p2') }] }),
    ]);
    assert.deepEqual(endpoints, [
      { id: 'kubernetes/demo/p1/10.0.0.1:50051', type: 'slack', address: '10.0.0.1:50051', source: 'kubernetes' },
      { id: 'kubernetes/demo/p2/10.0.0.2:50051', type: 'slack', address: '10.0.0.2:50051', source: 'kubernetes' },
    ]);
  });

  it('IPv6 addresses get brackets; a dual-stack pod counts once, by its IPv4 address', () => {
    const v6 = slice({ name: 'web-v6', type: 'slack', addressType: 'IPv6', endpoints: [{ addresses: ['fd00::1'], conditions: ready, targetRef: pod('p1') }, { addresses: ['fd00::2'], conditions: ready, targetRef: pod('p2') }] });
    const v4 = slice({ name: 'web-v4', type: 'slack', endpoints: [{ addresses: ['10.0.0.1'], conditions: ready, targetRef: pod('p1') }] });
    const expected = [
      { id: 'kubernetes/demo/p1/10.0.0.1:50051', type: 'slack', address: '10.0.0.1:50051', source: 'kubernetes' },
      { id: 'kubernetes/demo/p2/[fd00::2]:50051', type: 'slack', address: '[fd00::2]:50051', source: 'kubernetes' },
    ];
    assert.deepEqual(endpointsFromSlices([v6, v4]).endpoints, expected);
    assert.deepEqual(endpointsFromSlices([v4, v6]).endpoints, expected);
  });

  it('slices with a bad type label or no usable port are left out and named', () => {
    const { endpoints, problems } = endpointsFromSlices([
      slice({ name: 'a-1', type: '', endpoints: [{ addresses: ['10.0.0.1'], conditions: ready }] }),
      slice({ name: 'b-1', type: 'Bad_Type', endpoints: [{ addresses: ['10.0.0.2'], conditions: ready }] }),
      slice({ name: 'c-1', type: 'slack', ports: [{ name: 'x', port: 1 }, { name: 'y', port: 2 }], endpoints: [{ addresses: ['10.0.0.3'], conditions: ready }] }),
      slice({ name: 'd-1', type: 'slack', addressType: 'Unix', endpoints: [{ addresses: ['/x'], conditions: ready }] }),
      slice({ name: 'e-1', type: 'teams', ports: [{ name: 'x', port: 1 }, { name: 'y', port: 2 }], endpoints: null }),
    ]);
    assert.deepEqual(endpoints, []);
    assert.deepEqual(problems, [
      { slice: 'demo/a-1', problem: 'label kubeherald.io/plugin="" must not be empty' },
      { slice: 'demo/b-1', problem: 'label kubeherald.io/plugin="Bad_Type" must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit' },
      { slice: 'demo/c-1', problem: 'has 2 ports and none named "grpc": name the plugin port "grpc" or set portName' },
      { slice: 'demo/d-1', problem: 'unknown addressType "Unix"' },
    ]);
  });
});

// ---------------------------------------------------------------- against the simulator

const NS = 'demo';
const APP = 'webhook-plugin';

function service(name: string, ns: string, labels: Record<string, string>, app: string): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels },
    spec: { selector: { app }, ports: [{ name: 'grpc', port: 50051, targetPort: 'grpc', protocol: 'TCP' }, { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' }] },
  };
}

function deployment(name: string, ns: string, app: string, replicas: number): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { app } },
    spec: {
      replicas,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: { containers: [{ name: 'plugin', image: 'ghcr.io/example/kubeherald:1.0', ports: [{ name: 'grpc', containerPort: 50051 }, { containerPort: 9090 }] }] },
      },
    },
  };
}

/** What the source should report, from the pods themselves: Ready → usable; Ready and terminating → draining. */
function expectedFromPods(sim: Sim, ns: string, app: string, type: string): PluginEndpoint[] {
  const out: PluginEndpoint[] = [];
  for (const p of sim.ctx.store.list(PODS.storage, ns) as any[]) {
    if (p.metadata.labels?.app !== app || !p.status?.podIP || p.status.phase !== 'Running') continue;
    const isReady = p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
    if (!isReady) continue;
    const address = `${p.status.podIP}:50051`;
    out.push({ id: `kubernetes/${ns}/${p.metadata.name}/${address}`, type, address, source: 'kubernetes', ...(p.metadata.deletionTimestamp ? { draining: true } : {}) });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}

describe('kubernetes source against the simulated cluster', () => {
  let sim: Sim;
  let kc: k8s.KubeConfig;
  let api: k8s.KubernetesObjectApi;
  let all: KubernetesSource;
  let demoOnly: KubernetesSource;
  const reports: { all: PluginEndpoint[][]; demo: PluginEndpoint[][] } = { all: [], demo: [] };
  const last = (which: 'all' | 'demo') => reports[which].at(-1) ?? [];
  const warnings: { obj: object; msg: string }[] = [];

  /** Advance cluster time, then wait until both sources have seen everything the server has. */
  async function step(ms: number): Promise<void> {
    await sim.clock.advance(ms);
    const rv = sim.ctx.store.resourceVersion;
    await Promise.all([all.caughtUp(rv), demoOnly.caughtUp(rv)]);
  }
  async function until(what: string, pred: (eps: PluginEndpoint[]) => boolean, stepMs = 500): Promise<PluginEndpoint[]> {
    await step(0);
    for (let i = 0; i < 120 && !pred(last('all')); i++) await step(stepMs);
    assert.ok(pred(last('all')), `${what}; last report: ${JSON.stringify(last('all'))}`);
    return last('all');
  }
  const webhooks = (eps: PluginEndpoint[]) => eps.filter((e) => e.id.startsWith(`kubernetes/${NS}/`));
  const usable = (eps: PluginEndpoint[]) => webhooks(eps).filter((e) => !e.draining);

  before(async () => {
    sim = await startSim({ clockSpeed: 0, bookmarkIntervalMs: 20, nodes: 2 });
    kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    api = k8s.KubernetesObjectApi.makeApiClient(kc);
    for (const ns of [NS, 'other']) await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    all = kubernetesSource({ kc, log: { ...quiet, warn: (obj, msg) => warnings.push({ obj, msg }) }, minBackoffMs: 20, maxBackoffMs: 200 });
    demoOnly = kubernetesSource({ kc, log: quiet, namespaces: [NS], minBackoffMs: 20, maxBackoffMs: 200 });
    await all.start((e) => reports.all.push([...e]));
    await demoOnly.start((e) => reports.demo.push([...e]));
  });
  after(async () => {
    sim.faults.clear();
    await all?.close();
    await demoOnly?.close();
    await sim?.close();
  });

  it('starts with the empty set', () => {
    assert.equal(all.name, 'kubernetes');
    assert.deepEqual(reports, { all: [[]], demo: [[]] });
  });

  it('reports the ready pods of a labelled Service, ignores unlabelled Services, and a namespace filter holds', async () => {
    await api.create(service('webhook-plugin', NS, { 'kubeherald.io/plugin': 'webhook', team: 'core' }, APP));
    await api.create(deployment('webhook-plugin', NS, APP, 2));
    // same shape, no label: not a plugin
    await api.create(service('web', NS, { app: 'web' }, 'web'));
    await api.create(deployment('web', NS, 'web', 2));
    // a plugin in another namespace
    await api.create(service('slack-plugin', 'other', { 'kubeherald.io/plugin': 'slack' }, 'slack-plugin'));
    await api.create(deployment('slack-plugin', 'other', 'slack-plugin', 1));

    const eps = await until('two usable webhook instances and one slack', (e) => usable(e).length === 2 && e.some((x) => x.type === 'slack'));
    assert.deepEqual(webhooks(eps), expectedFromPods(sim, NS, APP, 'webhook'));
    assert.deepEqual(eps.filter((e) => e.type === 'slack'), expectedFromPods(sim, 'other', 'slack-plugin', 'slack'));
    assert.equal(eps.length, 3, 'the unlabelled web Service contributes nothing');
    assert.ok(webhooks(eps).every((e) => /^kubernetes\/demo\/webhook-plugin-[a-z0-9]+-[a-z0-9]{5}\/10\.\d+\.\d+\.\d+:50051$/.test(e.id)), JSON.stringify(eps));
    // the unlabelled Service's pods are running and in its slice, so leaving them out was the selector's doing
    const webSlices = (sim.ctx.store.list(ENDPOINTSLICES.storage, NS) as any[]).filter((s) => s.metadata.labels['kubernetes.io/service-name'] === 'web');
    assert.equal(webSlices[0].endpoints.filter((e: any) => e.conditions.ready).length, 2);
    assert.deepEqual(last('demo'), webhooks(eps), 'the demo-only source sees demo only');
  });

  it('a new ready pod is reported promptly (scale up): by the watch event that carries the slice, no re-list', async () => {
    const before = usable(last('all'));
    const lists = all.stats.reduce((sum, s) => sum + s.lists, 0);
    // what the source reports once it has seen the slice's own version (and its report microtask ran): no wall clock
    let seenAtSlice: Promise<number> | undefined;
    const unsubscribe = sim.ctx.store.subscribe((c) => {
      if (seenAtSlice || c.storage !== ENDPOINTSLICES.storage || c.object.metadata.namespace !== NS) return;
      if (((c.object as any).endpoints ?? []).filter((e: any) => e.conditions.ready).length !== 3) return;
      const rv = Number(c.object.metadata.resourceVersion);
      seenAtSlice = all.caughtUp(rv).then(() => new Promise<number>((resolve) => setImmediate(() => resolve(usable(last('all')).length))));
    });
    const n = reports.all.length;
    const d = (await api.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: APP, namespace: NS } })) as any;
    d.spec.replicas = 3;
    await api.replace(d);
    const eps = await until('three usable webhook instances', (e) => usable(e).length === 3);
    unsubscribe();
    assert.deepEqual(webhooks(eps), expectedFromPods(sim, NS, APP, 'webhook'));
    const added = webhooks(eps).filter((e) => !before.some((b) => b.id === e.id));
    assert.equal(added.length, 1);
    // no intermediate report shows the new pod before it is ready, or anything else odd
    for (const r of reports.all.slice(n)) assert.ok(webhooks(r).length <= 3 && webhooks(r).every((e) => !e.draining), JSON.stringify(r));
    assert.ok(seenAtSlice, 'the slice with three ready endpoints was written');
    assert.equal(await seenAtSlice, 3, 'reported as soon as the watch delivered the slice');
    assert.equal(all.stats.reduce((sum, s) => sum + s.lists, 0), lists, 'from the watch, not a re-list');
  });

  it('a deleted pod drains (terminating) and then is gone', async () => {
    const victim = usable(last('all'))[0];
    const podName = victim.id.split('/')[2];
    await kc.makeApiClient(k8s.CoreV1Api).deleteNamespacedPod({ name: podName, namespace: NS });
    const draining = await until('the deleted pod draining', (e) => e.some((x) => x.id === victim.id && x.draining === true), 100);
    assert.deepEqual(webhooks(draining), expectedFromPods(sim, NS, APP, 'webhook'));
    assert.equal(usable(draining).length, 2, 'the other two stay usable');
    const gone = await until('the deleted pod gone and its replacement ready', (e) => !e.some((x) => x.id === victim.id) && usable(e).length === 3);
    assert.deepEqual(webhooks(gone), expectedFromPods(sim, NS, APP, 'webhook'));
    // it was reported draining, never usable again
    const seen = reports.all.map((r) => r.find((x) => x.id === victim.id)).filter((x) => x);
    const firstDraining = seen.findIndex((x) => x!.draining);
    assert.ok(firstDraining >= 0 && seen.slice(firstDraining).every((x) => x!.draining));
  });

  it('after dropped watches, a 410, a compaction, 503s and changes made meanwhile, the set is right', async () => {
    const stats0 = all.stats.map((s) => ({ ...s }));
    // the next watches fail or expire; everything open is cut
    sim.faults.expireNextWatch(2);
    sim.faults.failNext(503, { count: 2, retryAfterSeconds: 0, verbs: ['watch'] });
    sim.faults.dropWatches();
    // changes while the sources are away, then history that cannot be resumed from
    const d = (await api.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: APP, namespace: NS } })) as any;
    d.spec.replicas = 1;
    await api.replace(d);
    await sim.clock.advance(0);
    sim.ctx.store.compact();
    sim.faults.truncateNextWatch();
    const eps = await until('one usable webhook instance, nothing draining', (e) => webhooks(e).length === 1 && usable(e).length === 1);
    assert.deepEqual(webhooks(eps), expectedFromPods(sim, NS, APP, 'webhook'));
    assert.deepEqual(last('demo'), webhooks(eps));
    const relists = all.stats.reduce((a, s) => a + s.relistsAfterGone, 0) + demoOnly.stats.reduce((a, s) => a + s.relistsAfterGone, 0);
    assert.ok(relists >= 1, 're-listed after 410');
    assert.ok(all.stats[0].watches > stats0[0].watches, 'watched again');
    // a real change still flows after the storm
    const d2 = (await api.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: APP, namespace: NS } })) as any;
    d2.spec.replicas = 2;
    await api.replace(d2);
    const after = await until('two usable again', (e) => usable(e).length === 2 && webhooks(e).length === 2);
    assert.deepEqual(webhooks(after), expectedFromPods(sim, NS, APP, 'webhook'));
  });

  it('a plugin Service whose port cannot be chosen is left out with one warning', async () => {
    const odd = service('odd', NS, { 'kubeherald.io/plugin': 'teams' }, 'odd');
    (odd.spec as any).ports = [{ name: 'a', port: 1, targetPort: 50051 }, { name: 'b', port: 2, targetPort: 9090 }];
    await api.create(odd);
    await api.create(deployment('odd', NS, 'odd', 1));
    const ready = () => (sim.ctx.store.list(ENDPOINTSLICES.storage, NS) as any[]).some((s) => s.metadata.labels['kubernetes.io/service-name'] === 'odd' && s.endpoints?.some((e: any) => e.conditions.ready));
    for (let i = 0; i < 60 && !ready(); i++) await step(500);
    assert.ok(ready());
    await step(1000);
    assert.ok(!last('all').some((e) => e.type === 'teams'));
    const about = warnings.filter((w) => String((w.obj as any).slice).startsWith('demo/odd-'));
    assert.equal(about.length, 1, JSON.stringify(warnings));
    assert.equal(about[0].msg, 'EndpointSlice of a plugin Service ignored');
    assert.equal((about[0].obj as any).problem, 'has 2 ports and none named "grpc": name the plugin port "grpc" or set portName');
    await api.delete({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'odd', namespace: NS } });
  });

  it('removing the label or deleting the Service removes its endpoints', async () => {
    const svc = (await api.read({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'slack-plugin', namespace: 'other' } })) as any;
    delete svc.metadata.labels['kubeherald.io/plugin'];
    await api.replace(svc);
    await until('slack gone after its label went', (e) => !e.some((x) => x.type === 'slack'));
    await api.delete({ apiVersion: 'v1', kind: 'Service', metadata: { name: APP, namespace: NS } });
    const eps = await until('everything gone', (e) => e.length === 0);
    assert.deepEqual(eps, []);
    assert.deepEqual(last('demo'), []);
    // each report differs from the one before: no repeats of an unchanged set
    for (let i = 1; i < reports.all.length; i++) assert.notDeepEqual(reports.all[i], reports.all[i - 1]);
  });
});
