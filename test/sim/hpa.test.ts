// HorizontalPodAutoscalers on the simulator through the real kubectl:
// `kubectl autoscale`, the simulated load (the sim.kubeherald.io/cpu-utilization
// annotation on the target, standing in for metrics-server), scaling up to
// maxReplicas, the 5-minute scale-down stabilization, the conditions and
// events the real controller gives, the autoscaling/v1 view, and the ways an
// autoscaler cannot scale. The clock is stepped, never waited on.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HPAS } from '../../src/sim/controllers/hpa.ts';
import { DEPLOYMENTS } from '../../src/sim/refs.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { Kubectl } from '../helpers/kubectl.ts';

interface Cond {
  type: string;
  status: string;
  reason: string;
  message: string;
}

describe('horizontal pod autoscaling through kubectl', () => {
  let sim: Sim;
  let k: Kubectl;
  const replicas = (name: string): number => (sim.ctx.store.get(DEPLOYMENTS.storage, 'hpa', name)?.spec as { replicas: number }).replicas;
  const conditions = (name: string): Record<string, Cond> =>
    Object.fromEntries(((sim.ctx.store.get(HPAS.storage, 'hpa', name)?.status as { conditions?: Cond[] } | undefined)?.conditions ?? []).map((c) => [c.type, c]));
  /** Steps the simulated clock a second at a time until `done` holds. */
  const until = async (what: string, done: () => boolean, limitS = 120): Promise<void> => {
    for (let s = 0; s < limitS && !done(); s++) await sim.clock.advance(1000);
    assert.ok(done(), `${what} within ${limitS} simulated seconds`);
  };
  const events = async (name: string): Promise<string> =>
    k.ok(['get', 'events', '-n', 'hpa', '--field-selector', `involvedObject.name=${name},involvedObject.kind=HorizontalPodAutoscaler`, '-o', 'custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message', '--no-headers']);

  before(async () => {
    sim = await startSim({ clockSpeed: 0 });
    k = new Kubectl(sim.kubeconfig);
    await k.ok(['create', 'namespace', 'hpa']);
    await k.ok(['create', 'deployment', 'web', '-n', 'hpa', '--image=nginx:1.27']);
    await k.ok(['set', 'resources', 'deployment', 'web', '-n', 'hpa', '--requests=cpu=100m']);
  });
  after(async () => {
    await sim.close();
  });

  it('kubectl autoscale: without metrics the autoscaler cannot compute a size, as without metrics-server', async () => {
    assert.match(await k.ok(['autoscale', 'deployment', 'web', '-n', 'hpa', '--max', '5', '--cpu-percent', '50']), /horizontalpodautoscaler.autoscaling\/web autoscaled/);
    await until('ScalingActive False', () => conditions('web').ScalingActive?.status === 'False');
    const [header, row] = (await k.ok(['get', 'hpa', '-n', 'hpa'])).trim().split('\n');
    assert.match(header, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/);
    assert.match(row, /^web\s+Deployment\/web\s+cpu: <unknown>\/50%\s+1\s+5\s+1\s+\d+s$/);
    const c = conditions('web');
    assert.equal(c.AbleToScale.reason, 'SucceededGetScale');
    assert.equal(c.ScalingActive.reason, 'FailedGetResourceMetric');
    assert.equal(c.ScalingActive.message, 'the HPA was unable to compute the replica count: failed to get cpu resource metric value: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API');
    const ev = await events('web');
    assert.match(ev, /Warning\s+FailedGetResourceMetric\s+failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API/);
    assert.match(ev, /Warning\s+FailedComputeMetricsReplicas\s+invalid metrics \(1 invalid out of 1\), first error is: failed to get cpu resource metric value/);
  });

  it('scales up on load, is held at maxReplicas with ScalingLimited TooManyReplicas', async () => {
    await k.ok(['annotate', 'deployment', 'web', '-n', 'hpa', 'sim.kubeherald.io/cpu-utilization=200']);
    await until('at the maximum', () => replicas('web') === 5 && conditions('web').ScalingLimited?.reason === 'TooManyReplicas');
    const c = conditions('web');
    assert.deepEqual([c.ScalingActive.status, c.ScalingActive.reason], ['True', 'ValidMetricFound']);
    assert.equal(c.ScalingActive.message, 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)');
    assert.deepEqual([c.ScalingLimited.status, c.ScalingLimited.message], ['True', 'the desired replica count is more than the maximum replica count']);
    await until('status caught up', () => (sim.ctx.store.get(HPAS.storage, 'hpa', 'web')?.status as { currentReplicas?: number }).currentReplicas === 5);
    assert.match((await k.ok(['get', 'hpa', 'web', '-n', 'hpa', '--no-headers'])).trim(), /^web\s+Deployment\/web\s+cpu: 200%\/50%\s+1\s+5\s+5\s+\d+s$/);
    // 200% of request on 1 pod against 50% asks for 4; then 4 pods ask for 16, held at 5
    assert.match(await events('web'), /Normal\s+SuccessfulRescale\s+New size: 4; reason: cpu resource utilization \(percentage of request\) above target\n.*New size: 5; reason: cpu resource utilization \(percentage of request\) above target/);
    const v2 = JSON.parse(await k.ok(['get', 'hpa', 'web', '-n', 'hpa', '-o', 'json']));
    assert.equal(v2.apiVersion, 'autoscaling/v2');
    assert.deepEqual(v2.status.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 200, averageValue: '200m' } } }]);
    assert.equal(v2.status.desiredReplicas, 5);
    assert.ok(v2.status.lastScaleTime);
  });

  it('serves the same object at autoscaling/v1, the conditions in an annotation', async () => {
    const v1 = JSON.parse(await k.ok(['get', '--raw', '/apis/autoscaling/v1/namespaces/hpa/horizontalpodautoscalers/web']));
    assert.equal(v1.apiVersion, 'autoscaling/v1');
    assert.equal(v1.spec.targetCPUUtilizationPercentage, 50);
    assert.equal(v1.spec.maxReplicas, 5);
    assert.equal(v1.status.currentCPUUtilizationPercentage, 200);
    assert.equal(v1.status.currentReplicas, 5);
    const conds = JSON.parse(v1.metadata.annotations['autoscaling.alpha.kubernetes.io/conditions']) as Cond[];
    assert.deepEqual(conds.map((c) => c.type), ['AbleToScale', 'ScalingActive', 'ScalingLimited']);
    assert.match(await k.ok(['api-resources', '--api-group=autoscaling', '--no-headers']), /^horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler$/m);
  });

  it('when the load drops it stops wanting more at once, and scales down only after the 5-minute stabilization window', async () => {
    await k.ok(['annotate', 'deployment', 'web', '-n', 'hpa', 'sim.kubeherald.io/cpu-utilization=10', '--overwrite']);
    await until('within range', () => conditions('web').ScalingLimited?.reason === 'DesiredWithinRange');
    const c = conditions('web');
    assert.equal(c.ScalingLimited.status, 'False');
    assert.deepEqual([c.AbleToScale.reason, c.AbleToScale.message], ['ScaleDownStabilized', 'recent recommendations were higher than current one, applying the highest recent recommendation']);
    assert.equal(replicas('web'), 5);
    await sim.clock.advance(240_000);
    assert.equal(replicas('web'), 5, 'still inside the window');
    await until('scaled down', () => replicas('web') === 1, 120);
    assert.match(await events('web'), /Normal\s+SuccessfulRescale\s+New size: 1; reason: All metrics below target/);
  });

  it('honours spec.behavior: one pod a minute up (ScaleUpLimit), no scale-down window; a lowered maxReplicas scales down at once', async () => {
    await k.ok(['create', 'deployment', 'batch', '-n', 'hpa', '--image=nginx:1.27']);
    await k.ok(['set', 'resources', 'deployment', 'batch', '-n', 'hpa', '--requests=cpu=200m']);
    await k.ok(['annotate', 'deployment', 'batch', '-n', 'hpa', 'sim.kubeherald.io/cpu-utilization=300']);
    await k.ok(['apply', '-f', '-'], `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: batch, namespace: hpa}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: batch}
  minReplicas: 1
  maxReplicas: 6
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
  behavior:
    scaleUp:
      policies: [{type: Pods, value: 1, periodSeconds: 60}]
    scaleDown:
      stabilizationWindowSeconds: 0
`);
    await until('first step', () => replicas('batch') === 2);
    assert.deepEqual([conditions('batch').ScalingLimited.status, conditions('batch').ScalingLimited.reason], ['True', 'ScaleUpLimit']);
    assert.equal(conditions('batch').ScalingLimited.message, 'the desired replica count is increasing faster than the maximum scale rate');
    // a minute later, one more
    await sim.clock.advance(45_000);
    assert.equal(replicas('batch'), 2, 'not again within the policy period');
    await until('second step', () => replicas('batch') === 3, 30);
    await k.ok(['patch', 'hpa', 'batch', '-n', 'hpa', '--type=merge', '-p', '{"spec":{"maxReplicas":2}}']);
    await until('down to the new maximum', () => replicas('batch') === 2, 5);
    assert.match(await events('batch'), /Normal\s+SuccessfulRescale\s+New size: 2; reason: Current number of replicas above Spec.MaxReplicas/);
    // no scale-down window: a calm load scales down on the next sync
    await k.ok(['patch', 'hpa', 'batch', '-n', 'hpa', '--type=merge', '-p', '{"spec":{"maxReplicas":6}}']);
    await k.ok(['annotate', 'deployment', 'batch', '-n', 'hpa', 'sim.kubeherald.io/cpu-utilization=10', '--overwrite']);
    await until('scaled down without waiting', () => replicas('batch') === 1, 20);
  });

  it('cannot scale a target that does not exist, a container without a request, and leaves a target scaled to zero alone', async () => {
    await k.ok(['autoscale', 'deployment', 'web', '-n', 'hpa', '--max', '3', '--name', 'ghost']);
    await k.ok(['patch', 'hpa', 'ghost', '-n', 'hpa', '--type=merge', '-p', '{"spec":{"scaleTargetRef":{"name":"nothere"}}}']);
    await until('AbleToScale False', () => conditions('ghost').AbleToScale?.status === 'False');
    assert.equal(conditions('ghost').AbleToScale.reason, 'FailedGetScale');
    assert.match(await events('ghost'), /Warning\s+FailedGetScale\s+deployments\.apps "nothere" not found/);

    await k.ok(['create', 'deployment', 'norequest', '-n', 'hpa', '--image=nginx:1.27']);
    await k.ok(['annotate', 'deployment', 'norequest', '-n', 'hpa', 'sim.kubeherald.io/cpu-utilization=90']);
    await until('running', () => (sim.ctx.store.get(DEPLOYMENTS.storage, 'hpa', 'norequest')?.status as { readyReplicas?: number } | undefined)?.readyReplicas === 1);
    await k.ok(['autoscale', 'deployment', 'norequest', '-n', 'hpa', '--max', '3']);
    await until('ScalingActive False', () => conditions('norequest').ScalingActive?.status === 'False');
    assert.match(conditions('norequest').ScalingActive.message, /failed to get cpu utilization: missing request for cpu in container nginx of Pod norequest-[a-z0-9]+-[a-z0-9]{5}$/);

    await k.ok(['scale', 'deployment', 'norequest', '-n', 'hpa', '--replicas=0']);
    await until('disabled', () => conditions('norequest').ScalingActive?.reason === 'ScalingDisabled');
    assert.equal(conditions('norequest').ScalingActive.message, 'scaling is disabled since the replica count of the target is zero');
    await sim.clock.advance(30_000);
    assert.equal(replicas('norequest'), 0, 'the autoscaler leaves it at zero');
  });

  it('refuses an autoscaler without maxReplicas and a class with an unknown binding mode, naming the field', async () => {
    const r = await k.run(['create', '-f', '-'], JSON.stringify({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'bad', namespace: 'hpa' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' } } }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /The HorizontalPodAutoscaler "bad" is invalid: spec\.maxReplicas: Invalid value: 0: must be greater than or equal to 1/);
    const sc = await k.run(['create', '-f', '-'], JSON.stringify({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'odd' }, provisioner: 'x', volumeBindingMode: 'Later' }));
    assert.notEqual(sc.code, 0);
    assert.match(sc.stderr, /volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"/);
  });
});
