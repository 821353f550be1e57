// Durable delivery: how many notifications per second go through the outbox
// to an in-process sink with every commit synced to disk (synchronous=FULL),
// and how much latency the outbox adds at a steady 200 notifications/s.
//
//   throughput: N notifications, each enqueued in its own transaction (as the
//     listener commits each tracker change), delivered by the Deliverer; from
//     the first enqueue to the last delivery recorded. Once spread over 20
//     targets (chat channels), and once to a single target, where order
//     allows one send at a time and each needs its own commit before the
//     next (so about two fsyncs per delivery: bounded by the disk).
//   latency: one notification every 5 ms on the wall clock for a while; from
//     just before its enqueue transaction to the sink's send() being called.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { type Notification, NotificationSchema, Severity, State } from '../src/model/notification.ts';
import { defaultSinkPolicy, uniformPolicies } from '../src/pipeline/config.ts';
import { Deliverer } from '../src/pipeline/deliverer.ts';
import { Outbox } from '../src/pipeline/outbox.ts';
import type { Sink } from '../src/sinks/types.ts';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite.ts';

const N = Number(process.env.BENCH_DELIVERIES ?? 20_000);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);
const LATENCY_RATE = 200;
const ENQUEUE_PER_TICK = Number(process.env.BENCH_ENQUEUE_PER_TICK ?? 50);

const POLICIES = uniformPolicies(defaultSinkPolicy({ groupBy: [], floodWindowMs: 0, repeatIntervalMs: 0, rateLimits: [], concurrency: 32 }));

export function notification(i: number, targets: number): Notification {
  return create(NotificationSchema, {
    idempotencyKey: `bench-${i}`,
    incidentKey: `pod/uid-${i}/app/CrashLoopBackOff`,
    eventTime: timestampFromDate(new Date()),
    severity: Severity.CRITICAL,
    state: State.FIRING,
    reason: 'CrashLoopBackOff',
    title: `Container app of web-${i} is crash-looping`,
    message: `back-off 40s restarting failed container app in pod web-${i}`,
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: `team-${i % targets}`, name: `web-${i}`, uid: `uid-${i}` },
    owner: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: `team-${i % targets}`, name: 'web', uid: 'uid-web' },
    cluster: 'bench',
    labels: { app: 'web', 'app.kubernetes.io/part-of': 'shop' },
    count: 5,
    fields: { container: 'app', restarts: '5' },
    detector: 'crashLoopBackOff',
  });
}

interface Rig {
  store: SqliteStore;
  outbox: Outbox;
  deliverer: Deliverer;
  commits: () => number;
  close(): Promise<void>;
}

function rig(dir: string, name: string, sink: Sink, onDelivered: () => void): Rig {
  const store = openSqliteStore({ path: join(dir, `${name}.db`), synchronous: 'full' });
  let commits = 0;
  let depth = 0;
  const transaction = store.transaction.bind(store);
  store.transaction = <T>(fn: () => T): T => {
    depth++;
    try {
      return transaction(fn);
    } finally {
      if (--depth === 0) commits++;
    }
  };
  const sinks = new Map([[sink.name, sink]]);
  const outbox = new Outbox({ store, sinks, policies: POLICIES });
  const deliverer = new Deliverer({ store, sinks, policy: POLICIES, onAttempt: (a) => a.outcome === 'delivered' && onDelivered() });
  deliverer.start();
  return {
    store,
    outbox,
    deliverer,
    commits: () => commits,
    async close() {
      await deliverer.stop();
      store.close();
    },
  };
}

async function throughput(dir: string, targets: number): Promise<Record<string, number>> {
  const ns = Array.from({ length: N }, (_, i) => notification(i, targets));
  let delivered = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const sink: Sink = { name: 'bench', type: 'bench', targetOf: (n) => n.involvedObject!.namespace, send: async () => undefined, close: async () => undefined };
  const r = rig(dir, `throughput-${targets}`, sink, () => ++delivered === N && done());
  const t0 = performance.now();
  let produced = 0;
  const produce = (): void => {
    for (let i = 0; i < ENQUEUE_PER_TICK && produced < N; i++, produced++) {
      const n = ns[produced];
      r.store.transaction(() => r.outbox.enqueue([n], ['bench'], Date.now()));
    }
    r.deliverer.wake();
    if (produced < N) setImmediate(produce);
  };
  produce();
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  const out = {
    deliveriesPerSecond: Math.round(N / seconds),
    seconds: Math.round(seconds * 100) / 100,
    commits: r.commits(),
    stateBytes: r.store.sizeBytes(),
  };
  await r.close();
  return out;
}

async function latency(dir: string): Promise<Record<string, number>> {
  const total = LATENCY_SECONDS * LATENCY_RATE;
  const ns = Array.from({ length: total }, (_, i) => notification(i, 20));
  const started = new Map<string, number>();
  const added: number[] = [];
  let delivered = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const sink: Sink = {
    name: 'bench',
    type: 'bench',
    targetOf: (n) => n.involvedObject!.namespace,
    send: async (n) => {
      added.push(performance.now() - started.get(n.idempotencyKey)!);
    },
    close: async () => undefined,
  };
  const r = rig(dir, 'latency', sink, () => ++delivered === total && done());
  const t0 = performance.now();
  let produced = 0;
  // paced against the wall clock, so a late timer catches up instead of lowering the rate
  const timer = setInterval(() => {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * LATENCY_RATE) + 1);
    for (; produced < due; produced++) {
      const n = ns[produced];
      started.set(n.idempotencyKey, performance.now());
      r.store.transaction(() => r.outbox.enqueue([n], ['bench'], Date.now()));
      r.deliverer.wake();
    }
    if (produced >= total) clearInterval(timer);
  }, 1000 / LATENCY_RATE);
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  await r.close();
  added.sort((a, b) => a - b);
  const pct = (p: number): number => Math.round(added[Math.min(added.length - 1, Math.floor((p / 100) * added.length))] * 100) / 100;
  return { rate: Math.round(total / seconds), samples: added.length, p50Ms: pct(50), p99Ms: pct(99), maxMs: pct(100) };
}

export async function benchDelivery(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-bench-delivery-'));
  try {
    const one = await throughput(dir, 1);
    const twenty = await throughput(dir, 20);
    const lat = await latency(dir);
    const figures = {
      synchronous: 'full',
      deliveries: N,
      enqueueTransactions: N,
      twentyTargetsPerSecond: twenty.deliveriesPerSecond,
      twentyTargetsCommits: twenty.commits,
      oneTargetPerSecond: one.deliveriesPerSecond,
      oneTargetCommits: one.commits,
      stateBytes: twenty.stateBytes,
      latencyRate: lat.rate,
      latencyP50Ms: lat.p50Ms,
      latencyP99Ms: lat.p99Ms,
      latencyMaxMs: lat.maxMs,
      throughputTargetMet: twenty.deliveriesPerSecond >= 2000,
      latencyTargetMet: lat.p99Ms <= 50,
    };
    process.stderr.write(
      `delivery: ${twenty.deliveriesPerSecond}/s over 20 targets, ${one.deliveriesPerSecond}/s to one target (in strict order), every commit fsynced (target ≥ 2000/s); ` +
        `added latency at ${lat.rate}/s: p50 ${lat.p50Ms} ms, p99 ${lat.p99Ms} ms, max ${lat.maxMs} ms (target p99 ≤ 50 ms)\n`,
    );
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify({ bench: 'delivery', ...(await benchDelivery()) })}\n`);
}
