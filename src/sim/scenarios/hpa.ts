// hpa-maxed: Deployment worker (1 replica, 100m cpu requested) with a
// HorizontalPodAutoscaler (1–4 replicas, 50% cpu). The load is the
// simulator's metrics source, the sim.kubeherald.io/cpu-utilization
// annotation on the Deployment (see controllers/hpa.ts): 30% at first, 300%
// from loadAfter (the autoscaler wants 6 and more, is held at 4:
// ScalingLimited TooManyReplicas), back to 20% at calmAfter (it no longer
// wants more than 4; the replicas come down after the 5-minute scale-down
// stabilization).

import { ensureNamespace } from '../controllers/namespaces.ts';
import { HPAS, utilizationAnnotation } from '../controllers/hpa.ts';
import { DEPLOYMENTS } from '../refs.ts';
import type { Scenario, SimContext } from '../scenario.ts';
import { DEMO_IMAGE, scenarioNamespace, schedule, secondsOption } from './pods.ts';
import { deploymentObject } from './rollout.ts';

export const HPA_MAX_REPLICAS = 4;
export const HPA_TARGET_CPU = 50;
export const IDLE_LOAD = 30;
export const HIGH_LOAD = 300;
export const CALM_LOAD = 20;
export const HPA_LOAD_AFTER_SECONDS = 10;
export const HPA_CALM_AFTER_SECONDS = 200;

export interface AutoscaledOptions {
  namespace: string;
  name: string;
  /** ms after now the load rises; never when undefined */
  loadAt?: number;
  /** ms after now the load falls back */
  calmAt?: number;
}

/** Sets the cpu utilization the simulated metrics report for a Deployment's pods. */
export function setCpuLoad(ctx: SimContext, namespace: string, name: string, percent: number): void {
  ctx.store.mutate(DEPLOYMENTS, namespace, name, (d) => {
    (d.metadata.annotations ??= {})[utilizationAnnotation('cpu')] = String(percent);
  });
}

/** Creates the Deployment and its autoscaler now; schedules the load. Returns the cancel function. */
export function autoscaledSteps(ctx: SimContext, o: AutoscaledOptions): () => void {
  ensureNamespace(ctx, o.namespace);
  const deployment = deploymentObject(o.namespace, {
    name: o.name,
    replicas: 1,
    container: { name: 'worker', image: DEMO_IMAGE, resources: { requests: { cpu: '100m', memory: '64Mi' } } },
  });
  deployment.metadata.annotations = { [utilizationAnnotation('cpu')]: String(IDLE_LOAD) };
  ctx.store.create(DEPLOYMENTS, deployment);
  ctx.store.create(HPAS, {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: o.name },
      minReplicas: 1,
      maxReplicas: HPA_MAX_REPLICAS,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: HPA_TARGET_CPU } } }],
    },
  });
  const steps: [number, () => void][] = [];
  if (o.loadAt !== undefined) steps.push([o.loadAt, () => setCpuLoad(ctx, o.namespace, o.name, HIGH_LOAD)]);
  if (o.calmAt !== undefined) steps.push([o.calmAt, () => setCpuLoad(ctx, o.namespace, o.name, CALM_LOAD)]);
  return schedule(ctx, steps);
}

export const hpaMaxedScenario: Scenario = {
  name: 'hpa-maxed',
  description: `Deployment worker (opts.name) with a HorizontalPodAutoscaler (1–${HPA_MAX_REPLICAS} replicas, ${HPA_TARGET_CPU}% cpu); the cpu load rises to ${HIGH_LOAD}% opts.loadAfter seconds in (default ${HPA_LOAD_AFTER_SECONDS}) and the autoscaler is held at its maximum until the load falls to ${CALM_LOAD}% opts.calmAfter seconds in (default ${HPA_CALM_AFTER_SECONDS}; 0 never)`,
  start(ctx, opts) {
    const loadAfter = secondsOption(opts, 'loadAfter') ?? HPA_LOAD_AFTER_SECONDS;
    const calmAfter = secondsOption(opts, 'calmAfter') ?? HPA_CALM_AFTER_SECONDS;
    return autoscaledSteps(ctx, {
      namespace: scenarioNamespace(opts),
      name: typeof opts.name === 'string' ? opts.name : 'worker',
      loadAt: loadAfter * 1000,
      calmAt: calmAfter > 0 ? calmAfter * 1000 : undefined,
    });
  },
};

/** The demo's autoscaler (seconds after the demo starts): load from 50 s, calm from 230 s. */
export const DEMO_HPA_STEPS = { load: 50, calm: 230 } as const;

/** The demo's part: Deployment worker with its HPA at 0, held at 4 replicas from ~60 (HPAMaxedOut ~180), calm at 230 (resolved ~240). */
export function demoAutoscalerSteps(ctx: SimContext, namespace: string): () => void {
  return autoscaledSteps(ctx, { namespace, name: 'worker', loadAt: DEMO_HPA_STEPS.load * 1000, calmAt: DEMO_HPA_STEPS.calm * 1000 });
}
