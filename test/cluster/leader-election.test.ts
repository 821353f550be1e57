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
import { LeaderElector, timingProblems, type LeaderElectorOptions } from '../../src/cluster/leader-election.ts';
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
});
