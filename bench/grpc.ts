// Sink plugins over gRPC: deliveries per second through the router to three
// `kubeherald plugin jsonl` processes on loopback (each writing to
// /dev/null, so the figure is the router, the gRPC hop and the plugin host,
// not a platform), and the latency the hop adds at a steady 500/s; once in
// plaintext and once over mutual TLS with certificates from
// `kubeherald plugin certs` (BENCH_GRPC_MODE=plain|mtls for one only), and
// what mutual TLS costs.
//
//   throughput: N deliveries kept CONCURRENCY in flight through
//     router.deliver(), from the first call to the last answer.
//   latency: one delivery every 2 ms on the wall clock; from the call to its
//     answer; the same sink in process at the same rate for comparison.

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
async function steady(send: (i: number) => Promise<void>): Promise<number[]> {
  const total = LATENCY_SECONDS * LATENCY_RATE;
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

export async function benchGrpc(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-bench-grpc-'));
  try {
    const config = join(dir, 'jsonl.yaml');
    writeFileSync(config, 'path: /dev/null\n');
    const out: Record<string, unknown> = {};
    for (const mode of MODES) out[mode] = await benchMode(mode, dir, config);
    const plain = out.plain as Record<string, number> | undefined;
    const mtls = out.mtls as Record<string, number> | undefined;
    if (plain && mtls) {
      out.mtlsThroughputCostPercent = +((1 - mtls.deliveriesPerSecond / plain.deliveriesPerSecond) * 100).toFixed(1);
      out.mtlsRouterP99AddedMs = +(mtls.routerP99Ms - plain.routerP99Ms).toFixed(2);
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchMode(mode: Mode, dir: string, config: string): Promise<Record<string, unknown>> {
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
  const plugins: PluginProcess[] = [];
  try {
    plugins.push(...(await Promise.all([0, 1, 2].map(() => spawnPlugin('jsonl', ['--listen', '127.0.0.1:0', '--config', config, ...pluginTls], { KUBEHERALD_LOG_LEVEL: 'warn' })))));
    await router.addSource(staticSource([{ type: 'jsonl', addresses: plugins.map((p) => p.address) }]));
    await router.waitForReady('jsonl', 3);

    // warm up connections, streams and the JIT
    await Promise.all(Array.from({ length: 2000 }, (_, i) => router.deliver('jsonl', delivery(i, 'warm'))));

    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < N) await router.deliver('jsonl', delivery(next++, 'bench'));
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const share = router.instances().map((i) => i.delivered);

    const viaRouter = await steady((i) => router.deliver('jsonl', delivery(i, 'steady')));
    const local = await createSink({ name: 'bench', type: 'jsonl', path: '/dev/null', includeRawObject: false });
    const inProcess = await steady((i) => local.send(notification(i, TARGETS)));
    await local.close();

    return {
      mode,
      plugins: 3,
      deliveries: N,
      concurrency: CONCURRENCY,
      deliveriesPerSecond: Math.round(N / seconds),
      perInstance: share,
      steadyRate: LATENCY_RATE,
      routerP50Ms: +percentile(viaRouter, 50).toFixed(2),
      routerP99Ms: +percentile(viaRouter, 99).toFixed(2),
      inProcessP99Ms: +percentile(inProcess, 99).toFixed(2),
      addedP99Ms: +(percentile(viaRouter, 99) - percentile(inProcess, 99)).toFixed(2),
    };
  } finally {
    await router.close();
    await Promise.all(plugins.map((p) => p.kill('SIGTERM')));
  }
}
