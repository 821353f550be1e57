// Durable delivery: how many notifications per second go through the outbox
// to an in-process sink with every commit synced to disk, and how much
// latency the outbox adds at a steady 200 notifications/s — on each state
// backend: SQLite (synchronous=FULL, one process) and PostgreSQL (a server
// the bench starts, fsync on as a real one runs; claims fenced by a
// leader's term, as several replicas deliver).
//
//   throughput: N notifications, each enqueued in its own transaction (as the
//     listener commits each tracker change), delivered by the Deliverer; from
//     the first enqueue to the last delivery recorded. Once spread over 20
//     targets (chat channels), and once to a single target, where order
//     allows one send at a time and each needs its own commit before the
//     next (so about two synced commits per delivery: bounded by the disk,
//     and on PostgreSQL by the round trips too).
//   latency: one notification every 5 ms (BENCH_LATENCY_RATE: 200/s) on the
//     wall clock for a while; from just before its enqueue transaction to the
//     sink's send() being called. A backend that cannot keep that rate up
//     reports a lower latencyRate, and its latency is then a growing queue's.
//
// BENCH_DELIVERY_BACKENDS picks backends (default "sqlite,postgres"). SQLite's
// figures keep their names; PostgreSQL's are the same names prefixed
// `postgres`.

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
import { openStore } from '../src/store/open.ts';
import type { Store, Term } from '../src/store/types.ts';

const N = Number(process.env.BENCH_DELIVERIES ?? 20_000);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);
const LATENCY_RATE = Number(process.env.BENCH_LATENCY_RATE ?? 200);
const ENQUEUE_PER_TICK = Number(process.env.BENCH_ENQUEUE_PER_TICK ?? 50);
/** a measurement whose deliveries stop moving for this long fails the bench rather than hang it */
const STALL_MS = 60_000;
const BACKENDS = ['sqlite', 'postgres'] as const;
type BackendName = (typeof BACKENDS)[number];

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

/** Where one measurement's state lives: a fresh, empty store each time. */
interface Backend {
  readonly name: BackendName;
  /** figures about the backend itself (its sync settings), reported as they are */
  readonly settings: Record<string, string>;
  /** claims fenced by a leader's term: several replicas share this backend, and kubeherald then delivers so */
  readonly fenced: boolean;
  open(name: string): Promise<Store>;
  close(): Promise<void>;
}

function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-bench-delivery-'));
  return {
    name: 'sqlite',
    settings: { synchronous: 'full' },
    fenced: false,
    // as kubeherald opens its state (openStore), from the state: section it would have
    open: async (name) => openStore({ path: join(dir, `${name}.db`), url: '', synchronous: 'full' }),
    close: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function postgresBackend(): Promise<Backend> {
  // loaded only here: bench/grpc.ts imports this module for notification()
  const { startPostgres, freshDatabase } = await import('../test/helpers/postgres.ts');
  const server = await startPostgres({ durable: true });
  try {
    const settings = await serverSettings(server.url);
    // a server that does not sync would make the figures a memory benchmark
    if (settings.fsync !== 'on' || settings.synchronousCommit !== 'on') {
      throw new Error(`the bench's PostgreSQL must sync every commit, as a real one does: fsync=${settings.fsync}, synchronous_commit=${settings.synchronousCommit}`);
    }
    return {
      name: 'postgres',
      settings,
      fenced: true,
      open: async () => openStore({ path: '', url: await freshDatabase(server.url), synchronous: 'full' }, { env: {} }),
      close: () => server.stop(),
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

async function serverSettings(url: string): Promise<Record<string, string>> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const show = async (name: string): Promise<string> => String((await client.query(`SHOW ${name}`)).rows[0][name]);
    return { fsync: await show('fsync'), synchronousCommit: await show('synchronous_commit'), serverVersion: await show('server_version') };
  } finally {
    await client.end();
  }
}

interface Rig {
  store: Store;
  outbox: Outbox;
  deliverer: Deliverer;
  commits: () => number;
  close(): Promise<void>;
}

async function rig(backend: Backend, name: string, sink: Sink, progress: Progress): Promise<Rig> {
  const store = await backend.open(name);
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
  let term: Term | undefined;
  if (backend.fenced) term = store.leadership.begin('bench', 'bench-0', 1, Date.now());
  const sinks = new Map([[sink.name, sink]]);
  const outbox = new Outbox({ store, sinks, policies: POLICIES });
  const deliverer = new Deliverer({
    store,
    sinks,
    policy: POLICIES,
    onAttempt: (a) => a.outcome === 'delivered' && progress.delivered(),
    ...(term ? { term: () => term, onFenced: () => progress.fail(new Error(`${backend.name}: the bench's own term was fenced, yet nothing else begins one`)) } : {}),
  });
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

interface Progress {
  delivered(): void;
  fail(err: Error): void;
  /** resolves once every delivery is made */
  done: Promise<void>;
}

/** Counts deliveries to `total`; `done` rejects, naming what stalled, when none arrives for STALL_MS. */
function completion(total: number, what: string): Progress {
  let count = 0;
  let seen = 0;
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const watchdog = setInterval(() => {
    if (count === seen) {
      clearInterval(watchdog);
      reject(new Error(`${what}: ${count} of ${total} deliveries, none for ${STALL_MS / 1000} s`));
    }
    seen = count;
  }, STALL_MS);
  return {
    delivered() {
      if (++count === total) {
        clearInterval(watchdog);
        resolve();
      }
    },
    fail(err) {
      clearInterval(watchdog);
      reject(err);
    },
    done,
  };
}

async function throughput(backend: Backend, targets: number): Promise<Record<string, number>> {
  const ns = Array.from({ length: N }, (_, i) => notification(i, targets));
  const progress = completion(N, `${backend.name} throughput to ${targets} target(s)`);
  const sink: Sink = { name: 'bench', type: 'bench', targetOf: (n) => n.involvedObject!.namespace, send: async () => undefined, close: async () => undefined };
  const r = await rig(backend, `throughput-${targets}`, sink, progress);
  try {
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
    await progress.done;
    const seconds = (performance.now() - t0) / 1000;
    return {
      deliveriesPerSecond: Math.round(N / seconds),
      seconds: Math.round(seconds * 100) / 100,
      commits: r.commits(),
      stateBytes: r.store.sizeBytes(),
    };
  } finally {
    await r.close();
  }
}

async function latency(backend: Backend): Promise<Record<string, number>> {
  const total = LATENCY_SECONDS * LATENCY_RATE;
  const ns = Array.from({ length: total }, (_, i) => notification(i, 20));
  const started = new Map<string, number>();
  const added: number[] = [];
  const progress = completion(total, `${backend.name} latency`);
  const sink: Sink = {
    name: 'bench',
    type: 'bench',
    targetOf: (n) => n.involvedObject!.namespace,
    send: async (n) => {
      added.push(performance.now() - started.get(n.idempotencyKey)!);
    },
    close: async () => undefined,
  };
  const r = await rig(backend, 'latency', sink, progress);
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
  try {
    await progress.done;
  } finally {
    clearInterval(timer);
    await r.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  added.sort((a, b) => a - b);
  const pct = (p: number): number => Math.round(added[Math.min(added.length - 1, Math.floor((p / 100) * added.length))] * 100) / 100;
  return { rate: Math.round(total / seconds), samples: added.length, p50Ms: pct(50), p99Ms: pct(99), maxMs: pct(100) };
}

/** One backend's figures, under the names SQLite's have always had. */
async function measure(backend: Backend): Promise<Record<string, unknown>> {
  const one = await throughput(backend, 1);
  const twenty = await throughput(backend, 20);
  const lat = await latency(backend);
  process.stderr.write(
    `delivery (${backend.name}${backend.fenced ? ', claims fenced by a term' : ''}; ${Object.entries(backend.settings).map(([k, v]) => `${k}=${v}`).join(', ')}): ` +
      `${twenty.deliveriesPerSecond}/s over 20 targets, ${one.deliveriesPerSecond}/s to one target (in strict order), every commit synced (target ≥ 2000/s); ` +
      `added latency at ${lat.rate}/s (asked ${LATENCY_RATE}/s): p50 ${lat.p50Ms} ms, p99 ${lat.p99Ms} ms, max ${lat.maxMs} ms (target p99 ≤ 50 ms)\n`,
  );
  return {
    ...backend.settings,
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
}

/** BENCH_DELIVERY_BACKENDS: a comma-separated list of backends; both when unset. */
export function deliveryBackends(text: string | undefined): BackendName[] {
  if (text === undefined || text.trim() === '') return [...BACKENDS];
  const names = text.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!(BACKENDS as readonly string[]).includes(n)) throw new Error(`BENCH_DELIVERY_BACKENDS: unknown backend ${JSON.stringify(n)}; known: ${BACKENDS.join(', ')}`);
  }
  return names as BackendName[];
}

const prefixed = (prefix: string, figures: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(figures).map(([k, v]) => [`${prefix}${k[0].toUpperCase()}${k.slice(1)}`, v]));

export async function benchDelivery(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const name of deliveryBackends(process.env.BENCH_DELIVERY_BACKENDS)) {
    const backend = name === 'sqlite' ? sqliteBackend() : await postgresBackend();
    try {
      const figures = await measure(backend);
      Object.assign(out, name === 'sqlite' ? figures : prefixed(name, figures));
    } finally {
      await backend.close();
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify({ bench: 'delivery', ...(await benchDelivery()) })}\n`);
}
