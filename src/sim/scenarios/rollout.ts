// Scenarios around Deployments: a rollout that succeeds, one that gets stuck
// on an image that cannot be pulled until its progress deadline passes, and
// a crash-looping workload with many pods. They only write Deployments the
// way `kubectl apply` / `kubectl set image` would; the controllers and the
// kubelet do the rest, so what clients observe is what a cluster shows.

import type { TimerHandle } from '../clock.ts';
import { BEHAVIOR_ANNOTATION } from '../behavior.ts';
import type { Deployment } from '../controllers/deployment.ts';
import { ensureNamespace } from '../controllers/namespaces.ts';
import { applyCreateDefaults, applyUpdateDefaults } from '../defaults.ts';
import { DEPLOYMENTS } from '../refs.ts';
import type { Scenario, SimContext } from '../scenario.ts';
import type { KObject } from '../types.ts';
import { scenarioNamespace } from './pods.ts';

/** How long a scenario lets a healthy Deployment sit before changing it. */
export const UPDATE_AFTER_MS = 30_000;

interface DeploymentSpec {
  name: string;
  replicas: number;
  container: Record<string, unknown>;
  podAnnotations?: Record<string, string>;
  progressDeadlineSeconds?: number;
}

/** A Deployment as `kubectl apply` of a plain manifest leaves it after defaulting. */
export function deploymentObject(namespace: string, s: DeploymentSpec): KObject {
  const labels = { app: s.name };
  const obj: KObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: s.name, namespace, labels },
    spec: {
      replicas: s.replicas,
      selector: { matchLabels: { ...labels } },
      template: {
        metadata: { labels: { ...labels }, ...(s.podAnnotations ? { annotations: s.podAnnotations } : {}) },
        spec: { containers: [structuredClone(s.container)] },
      },
      ...(s.progressDeadlineSeconds !== undefined ? { progressDeadlineSeconds: s.progressDeadlineSeconds } : {}),
    },
  };
  applyCreateDefaults(DEPLOYMENTS.storage, obj);
  return obj;
}

/** Creates the Deployment unless one of that name exists (a scenario started twice reuses it). */
function ensureDeployment(ctx: SimContext, namespace: string, s: DeploymentSpec): void {
  if (ctx.store.get(DEPLOYMENTS.storage, namespace, s.name)) return;
  ctx.store.create(DEPLOYMENTS, deploymentObject(namespace, s));
}

/** An update through the API: defaults applied, generation bumped when the spec changed. */
export function updateDeployment(ctx: SimContext, namespace: string, name: string, fn: (spec: Deployment['spec']) => void): void {
  if (!ctx.store.get(DEPLOYMENTS.storage, namespace, name)) return; // deleted meanwhile: nothing to roll
  ctx.store.mutate(DEPLOYMENTS, namespace, name, (d) => {
    const spec = d.spec as Deployment['spec'];
    const before = JSON.stringify(spec);
    fn(spec);
    applyUpdateDefaults(DEPLOYMENTS.storage, d);
    if (JSON.stringify(spec) === before) return false;
    d.metadata.generation = (d.metadata.generation ?? 1) + 1;
  });
}

/** What `kubectl rollout status` calls done, plus the controller's own NewReplicaSetAvailable. */
export function rolloutComplete(d: KObject | undefined): boolean {
  if (!d) return false;
  const spec = d.spec as { replicas?: number };
  const st = (d.status ?? {}) as {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: { type: string; status: string; reason?: string }[];
  };
  const want = spec.replicas ?? 1;
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  return (
    (st.observedGeneration ?? 0) >= (d.metadata.generation ?? 1) &&
    (st.updatedReplicas ?? 0) === want &&
    (st.replicas ?? 0) === want &&
    (st.availableReplicas ?? 0) === want &&
    progressing?.reason === 'NewReplicaSetAvailable'
  );
}

/** Calls fn once, the first time the Deployment's rollout is complete; returns a cancel function. */
export function onRolloutComplete(ctx: SimContext, namespace: string, name: string, fn: () => void): () => void {
  let done = false;
  const check = (): void => {
    if (done || !rolloutComplete(ctx.store.get(DEPLOYMENTS.storage, namespace, name))) return;
    done = true;
    unsubscribe();
    fn();
  };
  const unsubscribe = ctx.store.subscribe((c) => {
    if (c.storage === DEPLOYMENTS.storage && c.object.metadata.namespace === namespace && c.object.metadata.name === name) check();
  });
  check();
  return () => {
    done = true;
    unsubscribe();
  };
}

/** Runs `step` UPDATE_AFTER_MS after the Deployment first became available. */
function updateWhenSettled(ctx: SimContext, namespace: string, name: string, step: () => void): () => void {
  let timer: TimerHandle | undefined;
  const cancelWatch = onRolloutComplete(ctx, namespace, name, () => {
    timer = ctx.clock.setTimeout(() => {
      timer = undefined;
      step();
    }, UPDATE_AFTER_MS);
  });
  return () => {
    cancelWatch();
    ctx.clock.clearTimeout(timer);
  };
}

const setImage = (image: string) => (spec: Deployment['spec']): void => {
  const containers = spec.template?.spec?.containers as Record<string, unknown>[] | undefined;
  if (containers?.[0]) containers[0].image = image;
};

export const rolloutScenario: Scenario = {
  name: 'rollout',
  description: 'Deployment web (3 × nginx:1.27) becomes available, then 30 s later rolls out nginx:1.28 successfully',
  start(ctx, opts) {
    const ns = scenarioNamespace(opts);
    ensureNamespace(ctx, ns);
    ensureDeployment(ctx, ns, {
      name: 'web',
      replicas: 3,
      container: { name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }] },
    });
    return updateWhenSettled(ctx, ns, 'web', () => updateDeployment(ctx, ns, 'web', setImage('nginx:1.28')));
  },
};

export const FAILED_IMAGE = 'willwill/inexisting:1.0';

export const rolloutFailedScenario: Scenario = {
  name: 'rollout-failed',
  description: `Deployment api becomes available, then is updated to ${FAILED_IMAGE} with progressDeadlineSeconds 60: the new pods cannot pull and the rollout reaches ProgressDeadlineExceeded`,
  start(ctx, opts) {
    const ns = scenarioNamespace(opts);
    ensureNamespace(ctx, ns);
    ensureDeployment(ctx, ns, {
      name: 'api',
      replicas: 3,
      container: { name: 'api', image: 'hashicorp/http-echo:1.0', args: ['-listen=:8080', '-text=ok'], ports: [{ containerPort: 8080 }] },
    });
    return updateWhenSettled(ctx, ns, 'api', () =>
      updateDeployment(ctx, ns, 'api', (spec) => {
        setImage(FAILED_IMAGE)(spec);
        spec.progressDeadlineSeconds = 60;
      }),
    );
  },
};

export const crashloopDeploymentScenario: Scenario = {
  name: 'crashloop-deployment',
  description: 'Deployment worker with 5 replicas whose pods all crash-loop: one workload, many pods failing the same way',
  start(ctx, opts) {
    const ns = scenarioNamespace(opts);
    ensureNamespace(ctx, ns);
    ensureDeployment(ctx, ns, {
      name: 'worker',
      replicas: 5,
      podAnnotations: { [BEHAVIOR_ANNOTATION]: 'crash' },
      container: { name: 'worker', image: 'busybox:1.36', command: ['/bin/sh', '-c', 'exec /app/worker --queue=jobs'] },
    });
    return () => {};
  },
};

export const rolloutScenarios: Scenario[] = [rolloutScenario, rolloutFailedScenario, crashloopDeploymentScenario];
