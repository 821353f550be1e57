// How fast and how lean the listener is, against the simulator's storm in
// another process: watch events processed per CPU-second of the listener,
// latency from the simulator creating a Warning event to its notification
// being written by the jsonl sink, and peak RSS with 10,000 pods and 1,000
// nodes cached.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { startHerald } from '../src/app/herald.ts';
import { createLogger } from '../src/app/log.ts';
import { defaultConfig } from '../src/config/index.ts';

const PODS = Number(process.env.BENCH_PODS ?? 10_000);
const NODES = Number(process.env.BENCH_NODES ?? 1_000);
const STORM_RATE = Number(process.env.BENCH_STORM_RATE ?? 20_000);
const STORM_SECONDS = Number(process.env.BENCH_STORM_SECONDS ?? 10);
const MARKER_RATE = Number(process.env.BENCH_MARKER_RATE ?? 1_000);
const MARKER_SECONDS = Number(process.env.BENCH_MARKER_SECONDS ?? 10);

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

export async function benchListen(): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, [new URL('./sim-server.ts', import.meta.url).pathname, String(NODES)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface(child.stdout!)[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => JSON.parse((await lines.next()).value as string);
  const send = (cmd: object): void => void child.stdin!.write(JSON.stringify(cmd) + '\n');
  const { kubeconfig } = (await next()) as { kubeconfig: string };

  global.gc?.();
  const rssBaseline = process.memoryUsage().rss;
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const latencies: number[] = [];
  let markerWaiter: (() => void) | undefined;
  let markersSeen = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const now = Date.now();
      for (const line of chunk.toString().split('\n')) {
        const m = /"reason":"BenchMarker".*?"message":"sent (\d+)"/.exec(line);
        if (m) {
          latencies.push(now - Number(m[1]));
          if (++markersSeen >= MARKER_RATE * MARKER_SECONDS) markerWaiter?.();
        }
      }
      cb();
    },
  });

  const config = defaultConfig();
  config.sinks = [{ name: 'bench', type: 'jsonl', path: '-', includeRawObject: false } as (typeof config.sinks)[number]];
  const kc = new k8s.KubeConfig();
  kc.loadFromString(kubeconfig);
  const herald = await startHerald({ config, kc, log: createLogger('bench', 'error'), stdout: sink });
  const reflector = (kind: string) => herald.listener.reflectors.find((r) => r.stats && (r as unknown as { list(): { kind?: string }[] }).list()[0]?.kind === kind);

  // 1. cache 10,000 pods (and the 1,000 nodes already there)
  let t = performance.now();
  send({ cmd: 'storm', pods: PODS, eventsPerSecond: 0 });
  while ((reflector('Pod')?.size ?? 0) < PODS) await new Promise((r) => setTimeout(r, 50));
  const cachePodsMs = performance.now() - t;
  global.gc?.();
  const rssCached = process.memoryUsage().rss;
  const heapCached = process.memoryUsage().heapUsed;

  // 2. a storm of events: how many watch events the listener handles per CPU-second
  const deltas0 = herald.listener.stats.deltas;
  const cpu0 = process.cpuUsage();
  t = performance.now();
  send({ cmd: 'storm', pods: PODS, eventsPerSecond: STORM_RATE });
  await new Promise((r) => setTimeout(r, STORM_SECONDS * 1000));
  send({ cmd: 'stopStorm' });
  const cpu = process.cpuUsage(cpu0);
  const wallS = (performance.now() - t) / 1000;
  const processed = herald.listener.stats.deltas - deltas0;
  const cpuS = (cpu.user + cpu.system) / 1e6;

  // 3. latency at a steady rate
  await new Promise((r) => setTimeout(r, 2000));
  const markersDone = new Promise<void>((r) => (markerWaiter = r));
  send({ cmd: 'markers', rate: MARKER_RATE, seconds: MARKER_SECONDS });
  await Promise.race([markersDone, new Promise((r) => setTimeout(r, (MARKER_SECONDS + 30) * 1000))]);

  clearInterval(sampler);
  await herald.stop();
  child.stdin!.end();
  await new Promise((r) => child.on('exit', r));
  return {
    podsCached: reflector('Pod')?.size ?? PODS,
    nodesCached: NODES,
    cachePodsMs: Math.round(cachePodsMs),
    rssBaselineMB: round(rssBaseline / 2 ** 20),
    rssWithCacheMB: round(rssCached / 2 ** 20),
    heapWithCacheMB: round(heapCached / 2 ** 20),
    stormEventsProcessed: processed,
    stormEventsPerSec: Math.round(processed / wallS),
    eventsPerCpuSecond: Math.round(processed / cpuS),
    listenerCpuPercent: Math.round((cpuS / wallS) * 100),
    markerRate: MARKER_RATE,
    markersNotified: latencies.length,
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    peakRssMB: round(peakRss / 2 ** 20),
  };
}
