// PodDisruptionBudgets and the Eviction subresource, driven by the real
// kubectl (get pdb, cordon, drain, uncordon) and raw requests where the wire
// answer itself is the point (429 with the DisruptionBudget cause, 500 for two
// budgets, 404, dry run, RBAC on pods/eviction).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PDBS, PODS } from '../../src/sim/refs.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import type { KObject } from '../../src/sim/types.ts';
import { simRequest } from '../helpers/http.ts';
import { Kubectl } from '../helpers/kubectl.ts';

const NS = 'drain';

const workload = `
apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${NS}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 2
      containers: [{name: web, image: nginx:1.27}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ${NS}}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: busybox:1.36}]
`;

const pdb = (spec: string, name = 'web'): string => `
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: ${name}, namespace: ${NS}}
spec:
  selector: {matchLabels: {app: web}}
  ${spec}
`;

/** Resolves once `check` holds for the store, re-checking on every change (no sleeping). */
function until(sim: Sim, check: () => boolean, what: string): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const stop = sim.ctx.store.subscribe(() => {
      try {
        if (!check()) return;
      } catch (err) {
        stop();
        return reject(err);
      }
      stop();
      resolve();
    });
    // a store that stops changing before the condition holds fails the test instead of hanging it
    sim.ctx.clock.setTimeout(() => {
      stop();
      if (check()) resolve();
      else reject(new Error(`never happened: ${what}`));
    }, 10 * 60_000);
  });
}

const pdbStatus = (sim: Sim, name = 'web'): Record<string, any> | undefined => sim.ctx.store.get(PDBS.storage, NS, name)?.status as Record<string, any> | undefined;
const webPods = (sim: Sim): KObject[] => sim.ctx.store.list(PODS.storage, NS).filter((p) => p.metadata.labels?.app === 'web');
const running = (sim: Sim): KObject[] =>
  webPods(sim).filter((p) => !p.metadata.deletionTimestamp && (p.status as any)?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));

const evictBody = (name: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: NS }, ...extra });

describe('evictions and PodDisruptionBudgets', { timeout: 120_000 }, () => {
  let sim: Sim;
  let k: Kubectl;

  before(async () => {
    sim = await startSim({ clockSpeed: 20, users: [{ name: 'eve' }] });
    k = new Kubectl(sim.kubeconfig);
    await k.ok(['apply', '-f', '-'], workload);
    await k.ok(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=60s']);
  });
  after(async () => {
    await sim.close();
  });

  it('computes a budget from minAvailable and prints it as kubectl get pdb does', async () => {
    await k.ok(['apply', '-f', '-'], pdb('minAvailable: 3'));
    await until(sim, () => pdbStatus(sim)?.expectedPods === 3 && pdbStatus(sim)?.currentHealthy === 3, 'pdb counted 3 pods');
    const st = pdbStatus(sim)!;
    assert.equal(st.desiredHealthy, 3);
    assert.equal(st.disruptionsAllowed, 0);
    assert.equal(st.observedGeneration, 1);
    const cond = st.conditions.find((c: any) => c.type === 'DisruptionAllowed');
    assert.equal(cond.status, 'False');
    assert.equal(cond.reason, 'InsufficientPods');
    const table = await k.ok(['get', 'pdb', '-n', NS]);
    assert.match(table, /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\n/);
    assert.match(table, /\nweb\s+3\s+N\/A\s+0\s+\S+\n/);
  });

  it('answers 429 with the DisruptionBudget cause when the budget has nothing to spare', async () => {
    const pod = running(sim)[0].metadata.name!;
    const r = await simRequest(sim, 'POST', `/api/v1/namespaces/${NS}/pods/${pod}/eviction`, { body: evictBody(pod) });
    assert.equal(r.status, 429);
    assert.equal(r.body.reason, 'TooManyRequests');
    assert.equal(r.body.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    assert.deepEqual(r.body.details.causes, [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 3 healthy pods and has 3 currently' }]);
    assert.equal(sim.ctx.store.get(PODS.storage, NS, pod)?.metadata.deletionTimestamp, undefined, 'the pod is untouched');
  });

  it('scales percentages against the owning Deployment', async () => {
    await k.ok(['apply', '-f', '-'], pdb('minAvailable: "50%"'));
    await until(sim, () => pdbStatus(sim)?.observedGeneration === 2, 'pdb resynced');
    assert.equal(pdbStatus(sim)!.desiredHealthy, 2, 'ceil(50% of 3)');
    assert.equal(pdbStatus(sim)!.disruptionsAllowed, 1);
    await k.ok(['apply', '-f', '-'], pdb('maxUnavailable: "34%"'));
    await until(sim, () => pdbStatus(sim)?.observedGeneration === 3, 'pdb resynced again');
    const st = pdbStatus(sim)!;
    assert.equal(st.expectedPods, 3);
    assert.equal(st.desiredHealthy, 1, '3 - ceil(34% of 3)');
    assert.equal(st.disruptionsAllowed, 2);
    assert.equal(st.conditions.find((c: any) => c.type === 'DisruptionAllowed').reason, 'SufficientPods');
    assert.match(await k.ok(['get', 'pdb', 'web', '-n', NS, '--no-headers']), /^web\s+N\/A\s+34%\s+2\s+/);
  });

  it('honours dryRun, 404s a missing pod and refuses a user without create on pods/eviction', async () => {
    const pod = running(sim)[0].metadata.name!;
    const dry = await simRequest(sim, 'POST', `/api/v1/namespaces/${NS}/pods/${pod}/eviction?dryRun=All`, { body: evictBody(pod) });
    assert.equal(dry.status, 201);
    assert.equal(dry.body.status, 'Success');
    assert.equal(sim.ctx.store.get(PODS.storage, NS, pod)?.metadata.deletionTimestamp, undefined);
    assert.equal(pdbStatus(sim)!.disruptionsAllowed, 2, 'a dry run spends nothing');

    const missing = await simRequest(sim, 'POST', `/api/v1/namespaces/${NS}/pods/nope/eviction`, { body: evictBody('nope') });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'pods "nope" not found');

    const mismatch = await simRequest(sim, 'POST', `/api/v1/namespaces/${NS}/pods/${pod}/eviction`, { body: evictBody('other') });
    assert.equal(mismatch.status, 400);

    const eve = sim.tokens.get('eve')!;
    const denied = await simRequest(sim, 'POST', `/api/v1/namespaces/${NS}/pods/${pod}/eviction`, { body: evictBody(pod), token: eve });
    assert.equal(denied.status, 403);
    assert.match(denied.body.message, /User "eve" cannot create resource "pods\/eviction" in API group "" in the namespace "drain"/);
    await k.ok(['create', 'role', 'evictor', '-n', NS, '--verb=create', '--resource=pods/eviction']);
    await k.ok(['create', 'rolebinding', 'evictor', '-n', NS, '--role=evictor', '--user=eve']);
    const allowed = await simRequest(sim, 'POST', `/api/v1/namespaces/${NS}/pods/${pod}/eviction?dryRun=All`, { body: evictBody(pod), token: eve });
    assert.equal(allowed.status, 201);
  });

  it('answers 500 when two budgets cover the pod', async () => {
    await k.ok(['apply', '-f', '-'], pdb('maxUnavailable: 1', 'web-too'));
    const pod = running(sim)[0].metadata.name!;
    const r = await simRequest(sim, 'POST', `/api/v1/namespaces/${NS}/pods/${pod}/eviction`, { body: evictBody(pod) });
    assert.equal(r.status, 500);
    assert.equal(r.body.message, 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    await k.ok(['delete', 'pdb', 'web-too', '-n', NS]);
  });

  it('spends a disruption on an allowed eviction (policy/v1beta1 too) and deletes the pod gracefully', async () => {
    await until(sim, () => running(sim).length === 3 && pdbStatus(sim)?.disruptionsAllowed === 2, 'budget back at 2');
    const pod = running(sim)[0].metadata.name!;
    const seen: Record<string, any>[] = [];
    const stopWatching = sim.ctx.store.subscribe((c) => {
      if (c.storage === PDBS.storage) seen.push(c.object.status as Record<string, any>);
    });
    const r = await simRequest(sim, 'POST', `/api/v1/namespaces/${NS}/pods/${pod}/eviction`, {
      body: JSON.stringify({ apiVersion: 'policy/v1beta1', kind: 'Eviction', metadata: { name: pod, namespace: NS } }),
    });
    assert.equal(r.status, 201);
    assert.deepEqual(r.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' });
    stopWatching();
    // the eviction itself spent the disruption and recorded the pod, before the controller's next look
    assert.equal(seen[0]?.disruptionsAllowed, 1);
    assert.ok(seen[0]?.disruptedPods?.[pod], 'the evicted pod is in disruptedPods');
    const evicted = sim.ctx.store.get(PODS.storage, NS, pod);
    assert.ok(evicted?.metadata.deletionTimestamp, 'deleted gracefully, not removed at once');
    assert.ok((evicted!.status as any).conditions.some((c: any) => c.type === 'DisruptionTarget' && c.reason === 'EvictionByEvictionAPI'));
    await until(sim, () => !sim.ctx.store.get(PODS.storage, NS, pod), 'evicted pod gone');
    await until(sim, () => running(sim).length === 3 && pdbStatus(sim)?.disruptionsAllowed === 2, 'replacement ready');
  });

  it('drains a node with kubectl when the budget allows, and refuses while it does not', async () => {
    // one disruption at a time: draining a node holding two web pods needs two rounds
    await k.ok(['apply', '-f', '-'], pdb('maxUnavailable: 0'));
    await until(sim, () => pdbStatus(sim)?.disruptionsAllowed === 0 && pdbStatus(sim)?.observedGeneration === 4, 'budget at 0');
    const node = (running(sim)[0].spec as any).nodeName as string;
    const refused = await k.run(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=6s']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr + refused.stdout, /Cannot evict pod as it would violate the pod's disruption budget\./);
    const cordoned = JSON.parse(await k.ok(['get', 'node', node, '-o', 'json']));
    assert.equal(cordoned.spec.unschedulable, true, 'drain cordoned the node first');
    assert.ok(webPods(sim).some((p) => (p.spec as any).nodeName === node && !p.metadata.deletionTimestamp), 'nothing was evicted');

    await k.ok(['apply', '-f', '-'], pdb('maxUnavailable: 1'));
    const withoutFlag = await k.run(['drain', node, '--delete-emptydir-data', '--timeout=5s']);
    assert.notEqual(withoutFlag.code, 0);
    assert.match(withoutFlag.stderr, /cannot delete DaemonSet-managed Pods \(use --ignore-daemonsets to ignore\): drain\/agent-/);
    const drained = await k.run(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=90s']);
    assert.equal(drained.code, 0, drained.stderr);
    const out = drained.stdout;
    assert.match(drained.stderr, /Warning: ignoring DaemonSet-managed Pods: drain\/agent-/);
    assert.match(out, new RegExp(`node/${node} drained`));
    assert.match(out, /evicting pod drain\/web-/);
    assert.ok(!webPods(sim).some((p) => (p.spec as any).nodeName === node), 'no web pod left on the drained node');
    assert.ok(
      sim.ctx.store.list(PODS.storage, NS).some((p) => p.metadata.labels?.app === 'agent' && (p.spec as any).nodeName === node && !p.metadata.deletionTimestamp),
      '--ignore-daemonsets leaves the DaemonSet pod on the node',
    );
    await k.ok(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=60s']);
    assert.ok(!running(sim).some((p) => (p.spec as any).nodeName === node), 'replacements avoid the cordoned node');

    assert.match(await k.ok(['uncordon', node]), new RegExp(`node/${node} uncordoned`));
    assert.equal(JSON.parse(await k.ok(['get', 'node', node, '-o', 'json'])).spec.unschedulable, undefined);
    assert.match(await k.ok(['cordon', node]), new RegExp(`node/${node} cordoned`));
    await k.ok(['uncordon', node]);
  });
});
