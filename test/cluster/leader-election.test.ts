// Leader election against the simulated API server: one leader at a time,
// however candidates start, stop, race or lose the API; a leader cut off
// steps down at its renew deadline, before a standby may take over; the
// Lease reads, in kubectl, as client-go's would. Every wait is on an event
// (a callback, a log line); the clocks only measure.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { LeaderElector, type LeaderElectorOptions } from '../../src/cluster/leader-election.ts';
import { timingProblems } from '../../src/cluster/leader-election-config.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { recordingLog, type LogEntry } from '../helpers/log.ts';
import { Kubectl } from '../helpers/kubectl.ts';

// short, client-go-shaped timings: lease 3 s > renew deadline 2 s > retry 0.5 s × 1.2
const T = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };
const SA = 'system:serviceaccount:kubeherald:kubeherald';

type Kind = 'started' | 'stopped' | 'leader';

/** One candidate: its elector and what its callbacks said, with a wait for the n-th of each. */
class Candidate {
  readonly elector: LeaderElector;
  readonly events: { kind: Kind; at: number; value?: string | number }[] = [];
  readonly logs: LogEntry[];
  readonly name: string;
  #waiters: { kind: Kind; n: number; resolve: () => void }[] = [];

  constructor(name: string, kubeconfig: string, opts: Partial<LeaderElectorOptions> & { lease: string; peers: Candidate[] }) {
    this.name = name;
    const kc = new k8s.KubeConfig();
    kc.loadFromString(kubeconfig);
    const { log, entries } = recordingLog();
    this.logs = entries;
    this.elector = new LeaderElector({
      kc,
      namespace: 'default',
      name: opts.lease,
      identity: name,
      ...T,
      log,
      onStartedLeading: ({ transitions }) => {
        // the invariant, checked at the moment it could break: nobody else believes it leads
        for (const p of opts.peers) if (p !== this && p.elector.isLeader()) violations.push(`${name} started leading while ${p.name} still leads`);
        this.#event('started', transitions);
      },
      onStoppedLeading: () => this.#event('stopped'),
      onNewLeader: (id) => this.#event('leader', id),
      ...opts,
    });
    opts.peers.push(this);
  }

  #event(kind: Kind, value?: string | number): void {
    this.events.push({ kind, at: performance.now(), value });
    const n = this.count(kind);
    this.#waiters = this.#waiters.filter((w) => (w.kind === kind && w.n <= n ? (w.resolve(), false) : true));
  }

  count(kind: Kind): number {
    return this.events.filter((e) => e.kind === kind).length;
  }

  /** Resolves with the time of the n-th `kind` event, now if it has happened. */
  async nth(kind: Kind, n = 1): Promise<number> {
    if (this.count(kind) < n) await new Promise<void>((resolve) => this.#waiters.push({ kind, n, resolve }));
    return this.events.filter((e) => e.kind === kind)[n - 1].at;
  }

  /** Resolves once this candidate has observed `identity` holding the lease. */
  async sees(identity: string): Promise<void> {
    for (let n = 1; ; n++) {
      await this.nth('leader', n);
      if (this.events.filter((e) => e.kind === 'leader')[n - 1].value === identity) return;
    }
  }
}

let violations: string[] = [];

/** A TCP relay to the API server that can be cut: connections then hang, as to a partitioned server. */
async function relay(target: string): Promise<{ kubeconfigFrom(kc: string): string; cut(): void; close(): Promise<void> }> {
  const url = new URL(target);
  const sockets = new Set<Socket>();
  let cut = false;
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (cut) return; // held open, never answered
    const upstream = connect(Number(url.port), url.hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    kubeconfigFrom: (kc) => kc.replace(target, `https://127.0.0.1:${port}`),
    cut() {
      cut = true;
      for (const s of sockets) s.destroy();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

async function readLease(sim: Sim, name: string, namespace = 'default'): Promise<k8s.V1Lease> {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  return kc.makeApiClient(k8s.CoordinationV1Api).readNamespacedLease({ name, namespace });
}

describe('LeaderElector', () => {
  let sim: Sim;
  let kubectl: Kubectl;
  type Req = { verb: string; status: number; path: string; user: string };
  const requests: Req[] = [];
  let requestWaiters: { pred: (r: Req) => boolean; resolve: () => void }[] = [];
  /** Resolves at the next Lease request (from now on) that `pred` accepts. */
  const nextRequest = (pred: (r: Req) => boolean): Promise<void> => new Promise((resolve) => requestWaiters.push({ pred, resolve }));
  before(async () => {
    sim = await startSim({
      clockSpeed: 0,
      nodes: 1,
      users: [{ name: SA, groups: ['system:serviceaccounts', 'system:serviceaccounts:kubeherald', 'system:authenticated'] }],
      onRequest: (e) => {
        if (!e.path.includes('/leases')) return;
        const r = { verb: e.verb, status: e.status, path: e.path, user: e.user };
        requests.push(r);
        requestWaiters = requestWaiters.filter((w) => (w.pred(r) ? (w.resolve(), false) : true));
      },
    });
    kubectl = new Kubectl(sim.kubeconfig);
  });
  after(() => sim?.close());

  const fresh = (t: { name: string }): { lease: string; peers: Candidate[] } => {
    violations = [];
    return { lease: t.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 50).replace(/-$/, ''), peers: [] };
  };

  it('one candidate creates the Lease and leads; kubectl shows it as client-go writes it; stop() releases it', { timeout: 30_000 }, async (t) => {
    const ctx = fresh(t);
    const a = new Candidate('a', sim.kubeconfig, ctx);
    a.elector.start();
    await a.nth('started');
    assert.equal(a.elector.isLeader(), true);
    assert.deepEqual(a.events.find((e) => e.kind === 'started')!.value, 0, 'a created Lease has had no transitions');
    assert.equal(a.elector.lastTransition?.kind, 'started-leading');
    assert.ok(a.logs.some((l) => l.msg === 'became leader' && l.obj.identity === 'a' && l.obj.lease === `default/${ctx.lease}` && l.obj.transitions === 0));

    const yaml = parse(await kubectl.ok(['get', 'lease', ctx.lease, '-n', 'default', '-o', 'yaml']));
    assert.equal(yaml.apiVersion, 'coordination.k8s.io/v1');
    assert.equal(yaml.spec.holderIdentity, 'a');
    assert.equal(yaml.spec.leaseDurationSeconds, 3);
    assert.equal(yaml.spec.leaseTransitions, 0);
    // metav1.MicroTime: RFC 3339 with six fractional digits, as client-go writes renewTime and acquireTime
    assert.match(yaml.spec.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.match(yaml.spec.acquireTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const wide = await kubectl.ok(['get', 'lease', ctx.lease, '-n', 'default']);
    assert.match(wide, new RegExp(`^${ctx.lease}\\s+a\\s+`, 'm'), `kubectl's HOLDER column:\n${wide}`);

    // renewals move renewTime, keep acquireTime
    const first = yaml.spec.renewTime as string;
    await nextRequest((r) => r.verb === 'update' && r.status === 200 && r.path.endsWith(`/${ctx.lease}`));
    const renewed = (await readLease(sim, ctx.lease)).spec!;
    assert.notEqual(String(renewed.renewTime), first);
    assert.equal(String(renewed.acquireTime), yaml.spec.acquireTime);

    await a.elector.stop();
    assert.equal(a.count('stopped'), 1);
    assert.equal(a.elector.isLeader(), false);
    const released = parse(await kubectl.ok(['get', 'lease', ctx.lease, '-n', 'default', '-o', 'yaml']));
    assert.equal(released.spec.holderIdentity, '', 'released as ReleaseOnCancel does');
    assert.equal(released.spec.leaseDurationSeconds, 1);
    assert.equal(released.spec.leaseTransitions, 0);
    assert.deepEqual(violations, []);
  });

  it('two candidates: exactly one leads; stop() releases and the standby takes over within its retry period, one transition more', { timeout: 30_000 }, async (t) => {
    const ctx = fresh(t);
    const a = new Candidate('a', sim.kubeconfig, ctx);
    const b = new Candidate('b', sim.kubeconfig, ctx);
    a.elector.start();
    b.elector.start();
    const first = await Promise.race([a.nth('started').then(() => a), b.nth('started').then(() => b)]);
    const second = first === a ? b : a;
    await second.sees(first.name);
    assert.equal(first.elector.isLeader(), true);
    assert.equal(second.elector.isLeader(), false);
    assert.equal(second.elector.leader, first.name);
    assert.equal(second.elector.lastTransition?.kind, 'new-leader');
    assert.ok(second.logs.some((l) => l.msg === 'new leader observed' && l.obj.leader === first.name));
    // a few renewals later, still one leader
    for (let i = 0; i < 3; i++) await nextRequest((r) => r.verb === 'update' && r.status === 200 && r.path.endsWith(`/${ctx.lease}`));
    assert.equal(second.count('started'), 0);

    const stoppedAt = performance.now();
    await first.elector.stop();
    const tookOver = await second.nth('started');
    // a released lease is free at the standby's next attempt (retry period × up to 2.2 with jitter), not after the lease duration
    assert.ok(tookOver - stoppedAt < T.leaseDurationMs, `took over ${Math.round(tookOver - stoppedAt)} ms after the release`);
    assert.equal(second.events.find((e) => e.kind === 'started')!.value, 1);
    assert.equal((await readLease(sim, ctx.lease)).spec!.leaseTransitions, 1);
    assert.ok(second.logs.some((l) => l.msg === 'became leader' && l.obj.transitions === 1));
    await second.elector.stop();
    assert.deepEqual(violations, []);
  });

  it('a leader cut off from the API stops leading at its renew deadline, before the standby takes over after the lease duration', { timeout: 30_000 }, async (t) => {
    const ctx = fresh(t);
    const link = await relay(sim.url);
    try {
      const a = new Candidate('a', link.kubeconfigFrom(sim.kubeconfig), ctx);
      const b = new Candidate('b', sim.kubeconfig, ctx);
      a.elector.start();
      await a.nth('started');
      b.elector.start();
      await b.sees('a');
      // a renewal of a's goes through, then the link goes dark: a's last successful renew was sent before this
      await nextRequest((r) => r.verb === 'update' && r.status === 200 && r.path.endsWith(`/${ctx.lease}`));
      const cutAt = performance.now();
      link.cut();
      const stoppedAt = await a.nth('stopped');
      assert.equal(a.elector.isLeader(), false);
      assert.ok(stoppedAt - cutAt <= T.renewDeadlineMs + 1000, `a stepped down ${Math.round(stoppedAt - cutAt)} ms after the cut (renew deadline ${T.renewDeadlineMs} ms)`);
      assert.ok(a.logs.some((l) => l.msg === 'lost leadership' && /renew deadline/.test(String(l.obj.reason))));

      const startedAt = await b.nth('started');
      assert.ok(stoppedAt < startedAt, 'the deposed leader stopped before the standby started');
      // b counts the lease duration from when it last saw the record change, which was after a's last renew: never sooner
      assert.ok(startedAt - cutAt >= T.leaseDurationMs - 100, `b took over ${Math.round(startedAt - cutAt)} ms after the cut`);
      assert.equal(b.events.find((e) => e.kind === 'started')!.value, 1);
      const lease = await readLease(sim, ctx.lease);
      assert.equal(lease.spec!.holderIdentity, 'b');
      assert.equal(lease.spec!.leaseTransitions, 1);
      assert.equal(a.count('started'), 1, 'a never led again while cut off');
      await b.elector.stop();
      // a cannot reach the API to release anything, and says so instead of throwing
      await a.elector.stop();
      assert.equal(a.count('stopped'), 1);
      assert.ok(a.logs.some((l) => l.level === 'warn' && l.msg === 'releasing the lease failed; a standby takes over once it expires'));
      assert.deepEqual(violations, []);
    } finally {
      await link.close();
    }
  });

  it('a leader that stops without releasing (a crash) is replaced once its lease expires', { timeout: 30_000 }, async (t) => {
    const ctx = fresh(t);
    const a = new Candidate('a', sim.kubeconfig, ctx);
    const b = new Candidate('b', sim.kubeconfig, ctx);
    a.elector.start();
    await a.nth('started');
    b.elector.start();
    await b.sees('a');
    const goneAt = performance.now();
    await a.elector.stop({ release: false });
    assert.equal((await readLease(sim, ctx.lease)).spec!.holderIdentity, 'a', 'not released');
    const startedAt = await b.nth('started');
    // a's last renew was at most a retry period before it went
    assert.ok(startedAt - goneAt >= T.leaseDurationMs - T.retryPeriodMs - 100, `b took over ${Math.round(startedAt - goneAt)} ms after a went`);
    assert.equal((await readLease(sim, ctx.lease)).spec!.leaseTransitions, 1);
    await b.elector.stop();
    assert.deepEqual(violations, []);
  });

  it('a leader whose Lease someone else took (kubectl) steps down at its next renew, not at its deadline', { timeout: 30_000 }, async (t) => {
    const ctx = fresh(t);
    const a = new Candidate('a', sim.kubeconfig, ctx);
    a.elector.start();
    await a.nth('started');
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    const api = kc.makeApiClient(k8s.CoordinationV1Api);
    // read, change, replace on the resourceVersion read, again when a renew of a's lands in between (409), as kubectl edit does
    for (;;) {
      const lease = await readLease(sim, ctx.lease);
      try {
        await api.replaceNamespacedLease({ name: ctx.lease, namespace: 'default', body: { ...lease, spec: { ...lease.spec, holderIdentity: 'intruder' } } });
        break;
      } catch (err) {
        if (!(err instanceof k8s.ApiException && err.code === 409)) throw err;
      }
    }
    const takenAt = performance.now();
    const stoppedAt = await a.nth('stopped');
    assert.ok(stoppedAt - takenAt < T.renewDeadlineMs, `a stepped down ${Math.round(stoppedAt - takenAt)} ms after the Lease was taken`);
    assert.equal(a.elector.isLeader(), false);
    assert.ok(a.logs.some((l) => l.msg === 'lost leadership' && l.obj.reason === 'the Lease is held by intruder' && l.obj.leader === 'intruder'));
    assert.equal(a.elector.leader, 'intruder');
    await a.elector.stop();
    assert.equal((await readLease(sim, ctx.lease)).spec!.holderIdentity, 'intruder', 'a does not release what is not its own');
  });

  it('a process paused past its renew deadline says it is not leader at once, before any timer runs', { timeout: 30_000 }, async (t) => {
    const ctx = fresh(t);
    let skew = 0;
    const a = new Candidate('a', sim.kubeconfig, { ...ctx, clock: { now: () => performance.now() + skew } });
    a.elector.start();
    await a.nth('started');
    assert.equal(a.elector.isLeader(), true);
    // what SIGSTOP then SIGCONT looks like from inside: the monotonic clock jumped, nothing else ran
    skew += T.renewDeadlineMs;
    assert.equal(a.elector.isLeader(), false);
    assert.equal(a.count('stopped'), 0, 'no timer has run yet');
    await a.elector.stop();
    assert.equal(a.count('stopped'), 1);
    assert.deepEqual(violations, []);
  });

  it('candidates racing for one expired Lease: conflicting replaces get 409 and never make two leaders', { timeout: 60_000 }, async (t) => {
    const ctx = fresh(t);
    // a Lease held by a candidate long gone: free for whoever first replaces it
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    await kc.makeApiClient(k8s.CoordinationV1Api).createNamespacedLease({
      namespace: 'default',
      body: { metadata: { name: ctx.lease }, spec: { holderIdentity: 'ghost', leaseDurationSeconds: 1, leaseTransitions: 7 } },
    });
    const conflictsBefore = requests.filter((r) => r.status === 409 && r.path.endsWith(`/${ctx.lease}`)).length;
    for (let round = 0; round < 3; round++) {
      const peers: Candidate[] = [];
      const cs = ['c0', 'c1', 'c2', 'c3'].map((n) => new Candidate(`${n}-${round}`, sim.kubeconfig, { lease: ctx.lease, peers }));
      for (const c of cs) c.elector.start();
      const winner = await Promise.race(cs.map((c) => c.nth('started').then(() => c)));
      await Promise.all(cs.filter((c) => c !== winner).map((c) => c.sees(winner.name)));
      assert.deepEqual(cs.filter((c) => c.elector.isLeader()).map((c) => c.name), [winner.name]);
      assert.equal(cs.reduce((n, c) => n + c.count('started'), 0), 1);
      // everyone stops at once: the winner releases, no standby may start after its own stop
      await Promise.all(cs.map((c) => c.elector.stop({ release: c === winner })));
    }
    const lease = (await readLease(sim, ctx.lease)).spec!;
    assert.equal(lease.leaseTransitions, 10, 'ghost → 3 winners, one transition each');
    const conflicts = requests.filter((r) => r.status === 409 && r.path.endsWith(`/${ctx.lease}`)).length - conflictsBefore;
    assert.ok(conflicts > 0, 'the candidates really raced: some replaces were refused as stale');
    assert.deepEqual(violations, []);
  });

  it('a ServiceAccount with the HA overlay\'s Lease Role may elect in its namespace, and is refused (logged, never leading) in another', { timeout: 30_000 }, async (t) => {
    const ctx = fresh(t);
    const manifests = ['deploy/namespace.yaml', 'deploy/serviceaccount.yaml', 'examples/overlays/ha/leader-election-rbac.yaml'].map((f) => readFileSync(new URL(`../../${f}`, import.meta.url), 'utf8'));
    await kubectl.ok(['apply', '-f', '-'], manifests.join('\n---\n'));
    const asSA = sim.kubeconfigFor(SA);
    const a = new Candidate('sa', asSA, { ...ctx, namespace: 'kubeherald' });
    const refused = new Candidate('sa-elsewhere', asSA, { ...ctx, namespace: 'default', peers: [] });
    a.elector.start();
    refused.elector.start();
    await a.nth('started');
    assert.equal((await readLease(sim, ctx.lease, 'kubeherald')).spec!.holderIdentity, 'sa');
    await nextRequest((r) => r.user === SA && r.status === 403);
    assert.equal(refused.count('started'), 0);
    await a.elector.stop();
    await refused.elector.stop();
    assert.ok(refused.logs.some((l) => l.level === 'warn' && /^HTTP 403: leases.coordination.k8s.io ".*" is forbidden/.test(String(l.obj.err))), JSON.stringify(refused.logs));
    assert.deepEqual(violations, []);
  });

  it('the simulator refuses a Lease replace carrying a stale resourceVersion with 409, as kube-apiserver does', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    const api = kc.makeApiClient(k8s.CoordinationV1Api);
    const created = await api.createNamespacedLease({ namespace: 'default', body: { metadata: { name: 'stale-write' }, spec: { holderIdentity: 'x', leaseDurationSeconds: 15 } } });
    await api.replaceNamespacedLease({ name: 'stale-write', namespace: 'default', body: { ...created, spec: { holderIdentity: 'y', leaseDurationSeconds: 15 } } });
    await assert.rejects(
      api.replaceNamespacedLease({ name: 'stale-write', namespace: 'default', body: { ...created, spec: { holderIdentity: 'z', leaseDurationSeconds: 15 } } }),
      (err: unknown) => err instanceof k8s.ApiException && err.code === 409,
    );
    assert.equal((await readLease(sim, 'stale-write')).spec!.holderIdentity, 'y');
  });

  it('refuses unsound timings, naming them', () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    const base = { kc, namespace: 'default', name: 'x', identity: 'i', log: recordingLog().log, onStartedLeading() {}, onStoppedLeading() {} };
    assert.throws(() => new LeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 }), /leaseDurationMs must be greater than the renew deadline/);
    assert.throws(() => new LeaderElector({ ...base, leaseDurationMs: 15_000, renewDeadlineMs: 2400, retryPeriodMs: 2000 }), /renewDeadlineMs must be greater than the retry period × 1.2/);
    assert.throws(() => new LeaderElector({ ...base, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 0 }), /retryPeriodMs must be greater than zero/);
    assert.throws(() => new LeaderElector({ ...base, ...T, identity: '' }), /identity must not be empty/);
    assert.deepEqual(timingProblems({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 }), []);
    assert.deepEqual(timingProblems({ leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 }), []);
  });
});
