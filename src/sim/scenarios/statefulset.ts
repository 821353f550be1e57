// A StatefulSet whose rollout gets stuck and is fixed the way the Kubernetes
// documentation says it must be ("Forced rollback"): StatefulSet db (3 ×
// postgres) becomes ready, is updated to an image that
// cannot be pulled, so its highest pod is replaced by one that never starts
// and the OrderedReady rollout stops there; later it is rolled back like
// `kubectl rollout undo` and the broken pod deleted (reverting the template
// alone leaves the controller waiting for that pod forever, as a real one
// does). The scenario only writes what a user would; the controllers and
// the kubelet do the rest.

import type { StatefulSet } from '../controllers/statefulset.ts';
import { podRevision, sortRevisions, statefulSetRolloutDone, templateOfRevision, type ControllerRevision } from '../controllers/statefulset.ts';
import { deleteObject } from '../controllers/gc.ts';
import { controllerOf } from '../controllers/replicaset.ts';
import { ensureNamespace } from '../controllers/namespaces.ts';
import { applyCreateDefaults, applyUpdateDefaults } from '../defaults.ts';
import { CONTROLLERREVISIONS, PODS, STATEFULSETS } from '../refs.ts';
import type { Scenario, SimContext } from '../scenario.ts';
import type { KObject } from '../types.ts';
import { scenarioNamespace, schedule } from './pods.ts';
import { FAILED_IMAGE } from './rollout.ts';

export const STATEFULSET_NAME = 'db';
export const STATEFULSET_IMAGE = 'postgres:16.4-alpine';

/** Step times in seconds after the start: created, updated to a bad image, rolled back. */
export const STATEFULSET_STEPS = {
  create: 0,
  update: 20,
  /** after the stuck rollout has been notified (statefulSetRollout.progressSeconds, 180 s, from the bad pod's creation ~21 s), with room for a slow start */
  rollback: 240,
} as const;

/** A StatefulSet as `kubectl apply` of a plain manifest leaves it after defaulting. */
export function statefulSetObject(namespace: string, name: string, replicas: number, image: string): KObject {
  const labels = { app: name };
  const obj: KObject = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace, labels },
    spec: {
      serviceName: name,
      replicas,
      selector: { matchLabels: { ...labels } },
      template: {
        metadata: { labels: { ...labels } },
        spec: {
          containers: [
            {
              name: 'postgres',
              image,
              ports: [{ containerPort: 5432, name: 'postgres' }],
            },
          ],
        },
      },
    },
  };
  applyCreateDefaults(STATEFULSETS.storage, obj);
  return obj;
}

/** An update through the API: defaults applied, generation bumped when the spec changed. */
export function updateStatefulSet(ctx: SimContext, namespace: string, name: string, fn: (spec: StatefulSet['spec']) => void): void {
  if (!ctx.store.get(STATEFULSETS.storage, namespace, name)) return;
  ctx.store.mutate(STATEFULSETS, namespace, name, (o) => {
    const spec = o.spec as StatefulSet['spec'];
    const before = JSON.stringify(spec);
    fn(spec);
    applyUpdateDefaults(STATEFULSETS.storage, o);
    if (JSON.stringify(spec) === before) return false;
    o.metadata.generation = (o.metadata.generation ?? 1) + 1;
  });
}

const setImage = (image: string) => (spec: StatefulSet['spec']): void => {
  const containers = spec.template?.spec?.containers as Record<string, unknown>[] | undefined;
  if (containers?.[0]) containers[0].image = image;
};

/**
 * `kubectl rollout undo statefulset/<name>`: the template of the revision
 * before the newest, then the forced-rollback step: delete the pods at the
 * bad revision that are not running and ready.
 */
export function rollBackStatefulSet(ctx: SimContext, namespace: string, name: string): void {
  const set = ctx.store.get(STATEFULSETS.storage, namespace, name) as StatefulSet | undefined;
  if (!set) return;
  const revisions = sortRevisions(
    (ctx.store.list(CONTROLLERREVISIONS.storage, namespace) as ControllerRevision[]).filter((r) => controllerOf(r)?.uid === set.metadata.uid),
  );
  if (revisions.length < 2) return;
  const bad = revisions[revisions.length - 1].metadata.name;
  const previous = templateOfRevision(revisions[revisions.length - 2]);
  updateStatefulSet(ctx, namespace, name, (spec) => {
    spec.template = previous;
  });
  for (const pod of ctx.store.list(PODS.storage, namespace)) {
    if (controllerOf(pod)?.uid !== set.metadata.uid || podRevision(pod) !== bad) continue;
    const st = pod.status as { phase?: string; conditions?: { type: string; status: string }[] } | undefined;
    const ready = st?.phase === 'Running' && st.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (!ready) deleteObject(ctx, PODS, namespace, pod.metadata.name!);
  }
}

/** Schedules the StatefulSet's steps from now; returns the function that cancels them. */
export function startStatefulSetStuck(ctx: SimContext, namespace: string, steps: { create: number; update: number; rollback: number } = STATEFULSET_STEPS): () => void {
  const s = (seconds: number): number => seconds * 1000;
  const create = (): void => {
    ensureNamespace(ctx, namespace);
    if (!ctx.store.get(STATEFULSETS.storage, namespace, STATEFULSET_NAME)) {
      ctx.store.create(STATEFULSETS, statefulSetObject(namespace, STATEFULSET_NAME, 3, STATEFULSET_IMAGE));
    }
  };
  if (steps.create === 0) create();
  // the update waits for the creation to be rolled out: on a loaded machine a
  // real-time clock falls behind, and an update landing while db-1 is still
  // starting would create db-1 (not db-2) on the bad image
  let cancelWait = (): void => {};
  const cancelSteps = schedule(ctx, [
    ...(steps.create === 0 ? [] : ([[s(steps.create), create]] as [number, () => void][])),
    [s(steps.update), () => (cancelWait = whenStatefulSetRolledOut(ctx, namespace, STATEFULSET_NAME, () => updateStatefulSet(ctx, namespace, STATEFULSET_NAME, setImage(FAILED_IMAGE))))],
    [
      s(steps.rollback),
      () => {
        cancelWait();
        rollBackStatefulSet(ctx, namespace, STATEFULSET_NAME);
      },
    ],
  ]);
  return () => {
    cancelWait();
    cancelSteps();
  };
}

/** Calls fn once, as soon as the StatefulSet's rollout is done (at once if it is); returns a cancel function. */
function whenStatefulSetRolledOut(ctx: SimContext, namespace: string, name: string, fn: () => void): () => void {
  let done = false;
  const check = (): void => {
    if (done || !statefulSetRolloutDone(ctx.store.get(STATEFULSETS.storage, namespace, name))) return;
    done = true;
    unsubscribe();
    fn();
  };
  const unsubscribe = ctx.store.subscribe((c) => {
    if (c.storage === STATEFULSETS.storage && c.object.metadata.namespace === namespace && c.object.metadata.name === name) check();
  });
  check();
  return () => {
    done = true;
    unsubscribe();
  };
}

export const statefulSetStuckScenario: Scenario = {
  name: 'statefulset-stuck',
  description: `StatefulSet db (3 × ${STATEFULSET_IMAGE}) becomes ready, at 20 s is updated to ${FAILED_IMAGE}: db-2 cannot pull and the rollout stops; at 240 s it is rolled back and db-2 deleted, and it completes`,
  start(ctx, opts) {
    return startStatefulSetStuck(ctx, scenarioNamespace(opts));
  },
};
