// A DaemonSet rollout that gets stuck and is fixed: the DaemonSet becomes
// available on every node, then is updated to an image whose container
// crashes. With maxUnavailable 1 the controller replaces one node's pod,
// the new pod crash-loops and never becomes available, so the rollout stops
// there; later the image is fixed and the rollout finishes. The scenario only
// writes the DaemonSet as `kubectl apply` would; the controller, scheduler
// and kubelet do the rest. The demo plays the same steps (demoDaemonSetSteps).

import type { TimerHandle } from '../clock.ts';
import { BEHAVIOR_ANNOTATION, CRASH_AFTER_ANNOTATION } from '../behavior.ts';
import type { DaemonSet } from '../controllers/daemonset.ts';
import { ensureNamespace } from '../controllers/namespaces.ts';
import { daemonSetUpdateMeta } from '../daemonset-defaults.ts';
import { applyCreateDefaults, applyUpdateDefaults } from '../defaults.ts';
import { DAEMONSETS } from '../refs.ts';
import type { Scenario, SimContext } from '../scenario.ts';
import type { KObject } from '../types.ts';
import { scenarioNamespace } from './pods.ts';

export const DAEMONSET_IMAGE = 'fluent/fluent-bit:3.1';
export const DAEMONSET_CRASHING_IMAGE = 'fluent/fluent-bit:3.2-broken';
export const DAEMONSET_FIXED_IMAGE = 'fluent/fluent-bit:3.2.1';
/**
 * A crashing container is Ready for a moment after each start; a real
 * DaemonSet's minReadySeconds keeps that from counting as available (and
 * from letting the rollout move on to the next node).
 */
const MIN_READY_SECONDS = 5;

/** The DaemonSet as `kubectl apply` of a plain manifest leaves it after defaulting. */
export function daemonSetObject(namespace: string, name: string, image: string): KObject {
  const labels = { app: name };
  const obj: KObject = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace, labels },
    spec: {
      selector: { matchLabels: { ...labels } },
      minReadySeconds: MIN_READY_SECONDS,
      template: {
        metadata: { labels: { ...labels } },
        spec: {
          containers: [
            {
              name: 'agent',
              image,
              resources: { requests: { cpu: '50m', memory: '64Mi' } },
              volumeMounts: [{ name: 'varlog', mountPath: '/var/log', readOnly: true }],
            },
          ],
          volumes: [{ name: 'varlog', hostPath: { path: '/var/log', type: '' } }],
        },
      },
    },
  };
  applyCreateDefaults(DAEMONSETS.storage, obj);
  return obj;
}

/** An update through the API: defaults applied, generation bumped when the spec changed. */
export function updateDaemonSet(ctx: SimContext, namespace: string, name: string, fn: (spec: DaemonSet['spec']) => void): void {
  if (!ctx.store.get(DAEMONSETS.storage, namespace, name)) return; // deleted meanwhile
  ctx.store.mutate(DAEMONSETS, namespace, name, (d) => {
    const current = structuredClone(d);
    const spec = d.spec as DaemonSet['spec'];
    const before = JSON.stringify(spec);
    fn(spec);
    applyUpdateDefaults(DAEMONSETS.storage, d);
    if (JSON.stringify(spec) === before) return false;
    d.metadata.generation = (d.metadata.generation ?? 1) + 1;
    daemonSetUpdateMeta(current, d);
  });
}

/** `kubectl set image` to a crashing build: the container exits a few seconds after each start. */
export const breakDaemonSet = (spec: DaemonSet['spec']): void => {
  const tpl = spec.template!;
  (tpl.spec!.containers as Record<string, unknown>[])[0].image = DAEMONSET_CRASHING_IMAGE;
  tpl.metadata = { ...(tpl.metadata ?? {}), annotations: { ...(tpl.metadata?.annotations ?? {}), [BEHAVIOR_ANNOTATION]: 'crash', [CRASH_AFTER_ANNOTATION]: '3' } };
};

/** The fixed build: a healthy container again. */
export const fixDaemonSet = (spec: DaemonSet['spec']): void => {
  const tpl = spec.template!;
  (tpl.spec!.containers as Record<string, unknown>[])[0].image = DAEMONSET_FIXED_IMAGE;
  const annotations = { ...(tpl.metadata?.annotations ?? {}) };
  delete annotations[BEHAVIOR_ANNOTATION];
  delete annotations[CRASH_AFTER_ANNOTATION];
  if (tpl.metadata) {
    if (Object.keys(annotations).length) tpl.metadata.annotations = annotations;
    else delete tpl.metadata.annotations;
  }
};

/** Creates the DaemonSet unless one of that name exists. */
export function ensureDaemonSet(ctx: SimContext, namespace: string, name: string, image = DAEMONSET_IMAGE): void {
  ensureNamespace(ctx, namespace);
  if (!ctx.store.get(DAEMONSETS.storage, namespace, name)) ctx.store.create(DAEMONSETS, daemonSetObject(namespace, name, image));
}

/** What `kubectl rollout status ds/…` calls done. */
export function daemonSetRolloutDone(d: KObject | undefined): boolean {
  if (!d) return false;
  const st = (d.status ?? {}) as { observedGeneration?: number; desiredNumberScheduled?: number; updatedNumberScheduled?: number; numberAvailable?: number };
  const desired = st.desiredNumberScheduled ?? 0;
  return (st.observedGeneration ?? 0) >= (d.metadata.generation ?? 1) && (st.updatedNumberScheduled ?? 0) >= desired && (st.numberAvailable ?? 0) >= desired;
}

/** Calls fn once, as soon as the DaemonSet's rollout is done (at once if it is); returns a cancel function. */
function whenRolledOut(ctx: SimContext, namespace: string, name: string, fn: () => void): () => void {
  let done = false;
  const check = (): void => {
    if (done || !daemonSetRolloutDone(ctx.store.get(DAEMONSETS.storage, namespace, name))) return;
    done = true;
    unsubscribe();
    fn();
  };
  const unsubscribe = ctx.store.subscribe((c) => {
    if (c.storage === DAEMONSETS.storage && c.object.metadata.namespace === namespace && c.object.metadata.name === name) check();
  });
  check();
  return () => {
    done = true;
    unsubscribe();
  };
}

/**
 * Schedules the break at `breakAtMs` and the fix at `fixAtMs` (virtual ms
 * from now) of an existing DaemonSet; returns the function that cancels
 * what has not happened yet. The break waits for the first rollout to be
 * done: on a loaded machine a real-time clock can fall behind and fire the
 * kubelet's and the break's timers together, and a rollout started over
 * pods not yet available would replace them all at once.
 */
export function scheduleStuckRollout(ctx: SimContext, namespace: string, name: string, breakAtMs: number, fixAtMs: number): () => void {
  let cancelWait = (): void => {};
  const timers: TimerHandle[] = [
    ctx.clock.setTimeout(() => {
      cancelWait = whenRolledOut(ctx, namespace, name, () => updateDaemonSet(ctx, namespace, name, breakDaemonSet));
    }, breakAtMs),
    ctx.clock.setTimeout(() => {
      cancelWait();
      updateDaemonSet(ctx, namespace, name, fixDaemonSet);
    }, fixAtMs),
  ];
  return () => {
    cancelWait();
    for (const t of timers) ctx.clock.clearTimeout(t);
  };
}

/** When the scenario breaks the rollout, and when it fixes it: past the default progressSeconds (180) of the stuck detector. */
export const STUCK_BREAK_AT_MS = 30_000;
export const STUCK_FIX_AT_MS = 240_000;

export const daemonSetStuckScenario: Scenario = {
  name: 'daemonset-stuck',
  description: `DaemonSet node-agent (${DAEMONSET_IMAGE}) on every node; at 30 s updated to a crashing image: one node's pod is replaced, crash-loops, and the rollout stops (maxUnavailable 1); fixed at 240 s, the rollout completes`,
  start(ctx, opts) {
    const ns = scenarioNamespace(opts);
    ensureDaemonSet(ctx, ns, 'node-agent');
    return scheduleStuckRollout(ctx, ns, 'node-agent', STUCK_BREAK_AT_MS, STUCK_FIX_AT_MS);
  },
};

/** The demo's DaemonSet log-agent: created at 0 s, broken at `breakAt` s, fixed at `fixAt` s. */
export function demoDaemonSetSteps(ctx: SimContext, namespace: string, breakAt: number, fixAt: number): () => void {
  ensureDaemonSet(ctx, namespace, 'log-agent');
  return scheduleStuckRollout(ctx, namespace, 'log-agent', breakAt * 1000, fixAt * 1000);
}

/**
 * The demo's DaemonSet slot, in seconds: log-agent created at 0 (on
 * sim-node-1 and -2 only: it does not tolerate the edge node's
 * dedicated=edge taint, so that node's flap at 210 leaves it alone; the
 * memory pressure on sim-node-2 is tolerated like every daemon's), broken
 * at 25, stuck from ~26 (DaemonSetRolloutStuck at ~206), fixed at 240:
 * half a minute of room for the stuck notification on a loaded machine,
 * and as much after the rollout completes (~262) before the demo ends.
 */
export const DEMO_DAEMONSET_STEPS = { breakAt: 25, fixAt: 240 } as const;
