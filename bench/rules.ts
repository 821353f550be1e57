// `npm run bench -- rules`: notifications routed per second on one core with
// 10, 100 and 1,000 routes (half with a CEL condition next to their
// shorthand selectors, a third with `continue`), and the worst case of 100
// routes that are CEL only (nothing to index, so every route is evaluated).
// Routes and notifications come from a seeded generator: runs compare.

import { create } from '@bufbuild/protobuf';
import { type Notification, NotificationSchema, Severity, State } from '../src/model/notification.ts';
import { compileRoutes, type KnownSink, type RouteSpec, type RoutingTable } from '../src/rules/index.ts';

const REASONS = [
  'CrashLoopBackOff', 'OOMKilled', 'ErrImagePull', 'ImagePullBackOff', 'CreateContainerConfigError', 'PodNotReady', 'PodFailed', 'Evicted',
  'NodeNotReady', 'MemoryPressure', 'DiskPressure', 'RolloutStuck', 'RolloutCompleted', 'Unavailable', 'BackOff', 'FailedScheduling',
  'FailedMount', 'Unhealthy', 'FailedCreate', 'Killing', 'Pulled', 'Scheduled', 'Started', 'ScalingReplicaSet', 'SuccessfulCreate',
  'FailedAttachVolume', 'NetworkNotReady', 'ProbeWarning', 'FailedSync', 'Rebooted',
];
const KINDS = ['Pod', 'Deployment', 'Node', 'ReplicaSet', 'Job', 'StatefulSet'];
const NAMESPACES = [...Array.from({ length: 50 }, (_, i) => `team-${i}`), 'kube-system', 'default'];
const SEVERITIES = ['critical', 'warning', 'info'] as const;
const USERS = ['expert@org.com', 'alice@org.com', 'bob@org.com', 'system:serviceaccount:kube-system:deployment-controller'];

/** mulberry32: a small seeded PRNG, so every run routes the same notifications through the same routes */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(count: number, seed: number, celOnly = false): { routes: RouteSpec[]; sinks: KnownSink[] } {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const sinks: KnownSink[] = [...Array.from({ length: 10 }, (_, i) => ({ name: `cluster-${i}`, kind: 'ClusterSink' as const })), ...NAMESPACES.map((ns) => ({ name: 'team', namespace: ns, kind: 'Sink' as const }))];
  const celFor = (i: number): string => {
    switch (i % 4) {
      case 0:
        return `labels["team"] == "${pick(NAMESPACES)}" || count > ${Math.floor(r() * 20)}`;
      case 1:
        return `has(labels.tier) && labels.tier == "${pick(['frontend', 'backend', 'db'])}"`;
      case 2:
        return `message.contains("${pick(['timeout', 'refused', 'limit', 'exit code'])}")`;
      default:
        return `user.endsWith("@org.com") && count >= ${Math.floor(r() * 5)}`;
    }
  };
  const routes: RouteSpec[] = [];
  for (let i = 0; i < count; i++) {
    const shape = i % 10;
    const base = { order: i, continue: r() < 0.33 };
    if (celOnly) {
      routes.push({ ...base, id: `ClusterRoute/cel-${i}`, name: `cel-${i}`, source: 'ClusterRoute', match: { cel: `labels["team"] == "${pick(NAMESPACES)}" && count > ${1 + Math.floor(r() * 50)}` }, sinks: [{ name: pick(sinks.slice(0, 10)).name, kind: 'ClusterSink' }] });
      continue;
    }
    const cel = i % 2 === 1 ? { cel: celFor(i >> 1) } : {};
    if (shape <= 5) {
      routes.push({
        ...base,
        id: `ClusterRoute/r-${i}`,
        name: `r-${i}`,
        source: 'ClusterRoute',
        match: { reasons: r() < 0.7 ? [pick(REASONS)] : [pick(REASONS), pick(REASONS)], ...(r() < 0.3 ? { kinds: [pick(KINDS)] } : {}), ...(r() < 0.2 ? { namespaces: [`team-${Math.floor(r() * 5)}*`] } : {}), ...cel },
        sinks: [{ name: `cluster-${i % 10}`, kind: 'ClusterSink' }],
      });
    } else if (shape <= 7) {
      const ns = pick(NAMESPACES);
      routes.push({ ...base, id: `Route/${ns}/r-${i}`, name: `r-${i}`, namespace: ns, source: 'Route', match: { ...(r() < 0.5 ? { severities: [pick(SEVERITIES)] } : {}), ...cel }, sinks: [{ name: 'team' }] });
    } else if (shape === 8) {
      routes.push({ ...base, id: `ClusterRoute/k-${i}`, name: `k-${i}`, source: 'ClusterRoute', match: { kinds: [pick(KINDS)], severities: [pick(SEVERITIES)], ...cel }, sinks: [{ name: `cluster-${i % 10}`, kind: 'ClusterSink' }] });
    } else {
      routes.push({ ...base, id: `ClusterRoute/n-${i}`, name: `n-${i}`, source: 'ClusterRoute', match: { namespaces: [pick(NAMESPACES), pick(NAMESPACES)], ...cel }, sinks: [{ name: `cluster-${i % 10}`, kind: 'ClusterSink' }] });
    }
  }
  return { routes, sinks };
}

function notifications(count: number, seed: number): Notification[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  return Array.from({ length: count }, (_, i) => {
    const kind = pick(KINDS);
    return create(NotificationSchema, {
      idempotencyKey: `n-${i}`,
      severity: pick([Severity.CRITICAL, Severity.WARNING, Severity.INFO]),
      state: r() < 0.8 ? State.FIRING : State.RESOLVED,
      reason: pick(REASONS),
      title: 'something happened',
      message: pick(['back-off restarting failed container', 'connection refused', 'memory limit exceeded', 'exit code 137', 'probe timeout']),
      involvedObject: { kind, namespace: kind === 'Node' ? '' : pick(NAMESPACES), name: `obj-${i % 97}` },
      labels: { app: `app-${i % 13}`, team: pick(NAMESPACES), ...(r() < 0.5 ? { tier: pick(['frontend', 'backend', 'db']) } : {}) },
      user: r() < 0.3 ? { username: pick(USERS), groups: ['system:authenticated'] } : undefined,
      count: Math.floor(r() * 30),
      detector: 'bench',
      eventType: r() < 0.5 ? 'Warning' : 'Normal',
    });
  });
}

/** Matches per second over at least `ms` of work, after a warm-up. */
function rate(fn: (n: Notification) => unknown, ns: Notification[], ms = 700): number {
  for (let i = 0; i < 2000; i++) fn(ns[i % ns.length]);
  let done = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 1000; i++) fn(ns[(done + i) % ns.length]);
    done += 1000;
    now = performance.now();
  }
  return Math.round(done / ((now - start) / 1000));
}

function table(count: number, celOnly = false): { table: RoutingTable; compileMs: number } {
  const { routes, sinks } = generate(count, 42 + count, celOnly);
  const t0 = performance.now();
  const t = compileRoutes(routes, sinks);
  const compileMs = Math.round((performance.now() - t0) * 10) / 10;
  if (t.problems.length) throw new Error(`bench routes have problems: ${JSON.stringify(t.problems.slice(0, 3))}`);
  return { table: t, compileMs };
}

export async function benchRules(): Promise<Record<string, unknown>> {
  const ns = notifications(5000, 7);
  const out: Record<string, unknown> = {};
  for (const count of [10, 100, 1000]) {
    const { table: t, compileMs } = table(count);
    const matched = ns.reduce((sum, n) => sum + (t.match(n).sinks.length ? 1 : 0), 0);
    out[`routes${count}PerSec`] = rate((n) => t.match(n), ns);
    out[`routes${count}CompileMs`] = compileMs;
    out[`routes${count}MatchedShare`] = Math.round((matched / ns.length) * 100) / 100;
  }
  const { table: big } = table(1000);
  // the same table without the index (every route in order): what the index buys
  out.routes1000UnindexedPerSec = rate((n) => big.explain(n), ns, 400);
  const { table: cel, compileMs } = table(100, true);
  out.celOnly100PerSec = rate((n) => cel.match(n), ns);
  out.celOnly100CompileMs = compileMs;
  out.target = '>= 20000/s at 1000 routes';
  return out;
}
