// Sink plugins over gRPC: deliveries per second through the router to three
// `kubeherald plugin jsonl` processes on loopback (each writing to
// /dev/null, so the figure is the router, the gRPC hop and the plugin host,
// not a platform), and the latency the hop adds at a steady 500/s; once in
// plaintext and once over mutual TLS with certificates from
// `kubeherald plugin certs` (BENCH_GRPC_MODE=plain|mtls for one only), and
// what mutual TLS costs.
//
//   throughput: N deliveries kept CONCURRENCY in flight through
//     router.deliver(), from the first call to the last answer, in
//     BENCH_GRPC_ROUNDS rounds (default 5) alternating between the modes.
//   latency: one delivery every 2 ms on the wall clock; from the call to its
//     answer (LATENCY_SECONDS per mode, spread over the rounds); the same
//     sink in process at the same rate for comparison.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCerts } from '../src/plugin/certs.ts';
import { staticSource } from '../src/router/discovery/static.ts';
import { PluginRouter } from '../src/router/router.ts';
import type { PluginDelivery } from '../src/router/types.ts';
import { createSink } from '../src/sinks/index.ts';
import { type PluginProcess, spawnPlugin } from '../test/helpers/plugin-process.ts';
import { notification } from './delivery.ts';
import { silentLogger } from '../src/model/logger.ts';

const N = Number(process.env.BENCH_GRPC_DELIVERIES ?? 30_000);
const CONCURRENCY = Number(process.env.BENCH_GRPC_CONCURRENCY ?? 256);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);
const LATENCY_RATE = 500;
const MODES = (process.env.BENCH_GRPC_MODE ?? 'plain,mtls').split(',') as Mode[];
type Mode = 'plain' | 'mtls';
/** distinct namespaces the notifications spread over */
const TARGETS = 20;

const quiet = silentLogger;

const delivery = (i: number, prefix: string): PluginDelivery => ({
  deliveryId: `${prefix}-${i}`,
  sink: 'config/bench',
  target: '',
  options: {},
  payload: { case: 'notification', value: notification(i, TARGETS) },
  attempt: 1,
});

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Calls `send` LATENCY_RATE times a second on the wall clock; returns each call's latency in ms. */
async function steady(send: (i: number) => Promise<void>, seconds: number): Promise<number[]> {
  const total = Math.round(seconds * LATENCY_RATE);
  const interval = 1000 / LATENCY_RATE;
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const start = performance.now();
    pending.push(send(i).then(() => void latencies.push(performance.now() - start)));
  }
  await Promise.all(pending);
  return latencies.sort((a, b) => a - b);
}

interface Setup {
  mode: Mode;
  router: PluginRouter;
  plugins: PluginProcess[];
}

async function setUp(mode: Mode, dir: string, config: string): Promise<Setup> {
  let pluginTls: string[] = [];
  let router: PluginRouter;
  if (mode === 'mtls') {
    const certs = await issueCerts({ out: join(dir, 'certs'), namespace: 'kubeherald', plugins: ['jsonl'], days: 1 });
    const dirOf = (role: string): string => certs.issued.find((i) => i.role === role)!.dir;
    pluginTls = ['--tls-dir', dirOf('plugin')];
    const kh = dirOf('kubeherald');
    router = new PluginRouter({ log: quiet, tls: { caFile: join(kh, 'ca.crt'), certFile: join(kh, 'tls.crt'), keyFile: join(kh, 'tls.key') } });
  } else {
    router = new PluginRouter({ log: quiet });
  }
  const setup: Setup = { mode, router, plugins: [] };
  setup.plugins.push(...(await Promise.all([0, 1, 2].map(() => spawnPlugin('jsonl', ['--listen', '127.0.0.1:0', '--config', config, ...pluginTls], { KUBEHERALD_LOG_LEVEL: 'warn' })))));
  await router.addSource(staticSource([{ type: 'jsonl', addresses: setup.plugins.map((p) => p.address) }]));
  await router.waitForReady('jsonl', 3);
  // warm up connections, streams and the JIT
  await Promise.all(Array.from({ length: 2000 }, (_, i) => router.deliver('jsonl', delivery(i, 'warm'))));
  return setup;
}

async function throughput(router: PluginRouter, n: number, prefix: string): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await router.deliver('jsonl', delivery(next++, prefix));
    }),
  );
  return performance.now() - t0;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Each mode in turn, ROUNDS times (the order flipping every round), so a
 * machine that gets busier or quieter meanwhile weighs on both alike.
 */
export async function benchGrpc(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-bench-grpc-'));
  const setups: Setup[] = [];
  try {
    const config = join(dir, 'jsonl.yaml');
    writeFileSync(config, 'path: /dev/null\n');
    for (const mode of MODES) setups.push(await setUp(mode, dir, config));
    const rounds = Math.max(1, Number(process.env.BENCH_GRPC_ROUNDS ?? 5));
    const perRound = Math.ceil(N / rounds);
    const ms = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
    const latency = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
    const steadyEach = LATENCY_SECONDS / rounds;
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? setups : [...setups].reverse();
      for (const s of order) ms.get(s.mode)!.push(await throughput(s.router, perRound, `bench-${r}`));
      for (const s of order) latency.get(s.mode)!.push(...(await steady((i) => s.router.deliver('jsonl', delivery(i, `steady-${r}`)), steadyEach)));
    }
    const local = await createSink({ name: 'bench', type: 'jsonl', path: '/dev/null', includeRawObject: false });
    const inProcess = await steady((i) => local.send(notification(i, TARGETS)), LATENCY_SECONDS);
    await local.close();
    const inProcessP99 = percentile(inProcess, 99);

    const out: Record<string, unknown> = { plugins: 3, deliveries: perRound * rounds, rounds, concurrency: CONCURRENCY, steadyRate: LATENCY_RATE, inProcessP99Ms: +inProcessP99.toFixed(2) };
    for (const s of setups) {
      const times = ms.get(s.mode)!;
      const lat = latency.get(s.mode)!.sort((a, b) => a - b);
      out[s.mode] = {
        deliveriesPerSecond: Math.round((perRound * rounds) / (times.reduce((a, b) => a + b, 0) / 1000)),
        medianRoundPerSecond: Math.round(perRound / (median(times) / 1000)),
        perInstance: s.router.instances().map((i) => i.delivered),
        routerP50Ms: +percentile(lat, 50).toFixed(2),
        routerP99Ms: +percentile(lat, 99).toFixed(2),
        addedP99Ms: +(percentile(lat, 99) - inProcessP99).toFixed(2),
      };
    }
    const plain = out.plain as Record<string, number> | undefined;
    const mtls = out.mtls as Record<string, number> | undefined;
    if (plain && mtls) {
      out.mtlsThroughputCostPercent = +((1 - mtls.deliveriesPerSecond / plain.deliveriesPerSecond) * 100).toFixed(1);
      out.mtlsRouterP99AddedMs = +(mtls.routerP99Ms - plain.routerP99Ms).toFixed(2);
    }
    return out;
  } finally {
    for (const s of setups) {
      await s.router.close();
      await Promise.all(s.plugins.map((p) => p.kill('SIGTERM')));
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
