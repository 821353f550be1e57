// How much the simulator can hold and stream, so it is never the bottleneck
// when kubeherald is measured against it: 10,000 pods held, and watch events
// streamed over HTTPS to one @kubernetes/client-node watcher.

import * as k8s from '@kubernetes/client-node';
import { PODS } from '../src/sim/refs.ts';
import { startSim } from '../src/sim/sim.ts';

const POD_COUNT = Number(process.env.BENCH_PODS ?? 10_000);
const UPDATES = Number(process.env.BENCH_UPDATES ?? 50_000);
const STORM_SECONDS = Number(process.env.BENCH_STORM_SECONDS ?? 10);
const STORM_RATE = Number(process.env.BENCH_STORM_RATE ?? 5_000);

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
const yieldToIO = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Counts events on one watch until `target` arrive; resolves with the elapsed ms from `start()`. */
async function countingWatch(kc: k8s.KubeConfig, path: string, rv: string, count: (type: string, obj: k8s.KubernetesObject) => boolean) {
  let seen = 0;
  let target = Infinity;
  let t0 = 0;
  let done!: (ms: number) => void;
  const finished = new Promise<number>((r) => (done = r));
  const req = await new k8s.Watch(kc).watch(
    path,
    { resourceVersion: rv },
    (type, obj) => {
      if (count(type, obj) && ++seen >= target) done(performance.now() - t0);
    },
    (err) => {
      if (err && (err as Error).name !== 'AbortError') throw err;
    },
  );
  return {
    start(n: number) {
      target = n;
      t0 = performance.now();
      if (seen >= target) done(0);
    },
    finished,
    seen: () => seen,
    stop: () => req.abort(),
  };
}

export async function benchSim(): Promise<Record<string, unknown>> {
  // a stopped clock: the benchmark steps cluster time itself
  const sim = await startSim({ clockSpeed: 0, nodes: 3, historySize: Math.max(20_000, UPDATES) });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const store = sim.ctx.store;
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;

  // 1. hold POD_COUNT pods (the storm scenario creates them bound and Running)
  let t = performance.now();
  const stopStorm = sim.scenarios.start('storm', { namespace: 'storm', pods: POD_COUNT, eventsPerSecond: 0 });
  while (store.count(PODS.storage) < POD_COUNT) await sim.clock.advance(100);
  const createMs = performance.now() - t;
  global.gc?.();
  const heapWithPods = process.memoryUsage().heapUsed;

  // 2. list them all through the API, in one response and in pages of 500
  t = performance.now();
  const all = await core.listPodForAllNamespaces();
  const listAllMs = performance.now() - t;
  t = performance.now();
  let pages = 0;
  let token: string | undefined;
  do {
    const page = await core.listPodForAllNamespaces({ limit: 500, _continue: token });
    token = page.metadata?._continue;
    pages++;
  } while (token);
  const listPagedMs = performance.now() - t;

  // 3. stream UPDATES pod changes to one watcher
  const watch = await countingWatch(kc, '/api/v1/pods', all.metadata!.resourceVersion!, (type) => type === 'MODIFIED');
  const pods = store.list(PODS.storage);
  watch.start(UPDATES);
  t = performance.now();
  for (let i = 0; i < UPDATES; i++) {
    const p = pods[i % pods.length];
    store.mutate(PODS, p.metadata.namespace, p.metadata.name!, (o) => {
      o.metadata.annotations = { ...o.metadata.annotations, 'bench/seq': String(i) };
    });
    if (i % 1000 === 999) await yieldToIO();
  }
  const writeMs = performance.now() - t;
  const streamMs = await watch.finished;
  watch.stop();

  // 4. the storm scenario: Events at STORM_RATE per virtual second, watched
  const eventsRV = String(store.resourceVersion);
  const evWatch = await countingWatch(kc, '/api/v1/events', eventsRV, (type) => type === 'ADDED' || type === 'MODIFIED');
  stopStorm();
  const stopStorm2 = sim.scenarios.start('storm', { namespace: 'storm', pods: POD_COUNT, eventsPerSecond: STORM_RATE });
  const expected = STORM_RATE * STORM_SECONDS;
  evWatch.start(expected);
  t = performance.now();
  for (let s = 0; s < STORM_SECONDS * 10; s++) {
    await sim.clock.advance(100);
    await yieldToIO();
  }
  const stormGenMs = performance.now() - t;
  const stormMs = await evWatch.finished;
  evWatch.stop();
  stopStorm2();
  global.gc?.();
  const heapEnd = process.memoryUsage().heapUsed;
  await sim.close();

  return {
    pods: POD_COUNT,
    createPodsMs: Math.round(createMs),
    heapPerPodKB: Math.round(((heapWithPods - heapBefore) / POD_COUNT / 1024) * 10) / 10,
    heapWithPodsMB: mb(heapWithPods),
    listAllPodsMs: Math.round(listAllMs),
    listPagedPodsMs: Math.round(listPagedMs),
    listPages: pages,
    podUpdates: UPDATES,
    podUpdateWriteMs: Math.round(writeMs),
    podWatchEventsPerSec: Math.round(UPDATES / (streamMs / 1000)),
    stormEvents: expected,
    stormEventsGeneratedMs: Math.round(stormGenMs),
    stormWatchEventsPerSec: Math.round(expected / (stormMs / 1000)),
    heapEndMB: mb(heapEnd),
  };
}
