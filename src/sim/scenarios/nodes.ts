// A node whose kubelet stops: the node goes NotReady (conditions Unknown,
// unreachable taints, its pods marked not ready), then comes back.

import { READY_AFTER_ANNOTATION } from '../behavior.ts';
import { kubeletRunning, setNodeReady } from '../controllers/nodes.ts';
import { NODES } from '../refs.ts';
import type { Scenario, SimContext } from '../scenario.ts';
import { createPod, scenarioNamespace, schedule, secondsOption } from './pods.ts';

export const NOT_READY_AFTER_SECONDS = 5;
export const DOWN_FOR_SECONDS = 120;

/** The node to take down: opts.node, else the first node with a running kubelet. */
function pickNode(ctx: SimContext, wanted: unknown): string {
  if (typeof wanted === 'string') {
    if (!ctx.store.get(NODES.storage, undefined, wanted)) throw new Error(`node "${wanted}" not found`);
    return wanted;
  }
  const node = ctx.store.list(NODES.storage).find((n) => kubeletRunning(n));
  if (!node) throw new Error('no node with a running kubelet to take down');
  return node.metadata.name!;
}

export const nodeNotReadyScenario: Scenario = {
  name: 'node-notready',
  description:
    'A node (opts.node, default the first) whose kubelet stops opts.notReadyAfter seconds in (default 5): NotReady with NodeStatusUnknown, unreachable taints, its pods NotReady; it comes back opts.downFor seconds later (default 120). A pod is pinned to it so the effect shows',
  start(ctx, opts) {
    const node = pickNode(ctx, opts.node);
    createPod(ctx, {
      name: typeof opts.name === 'string' ? opts.name : 'node-notready',
      namespace: scenarioNamespace(opts),
      image: typeof opts.image === 'string' ? opts.image : undefined,
      labels: { app: 'node-notready' },
      // ready before the node goes down, so the pod shows the node's loss too
      annotations: { [READY_AFTER_ANNOTATION]: '1' },
      nodeSelector: { 'kubernetes.io/hostname': node },
    });
    const downAt = (secondsOption(opts, 'notReadyAfter') ?? NOT_READY_AFTER_SECONDS) * 1000;
    const downFor = (secondsOption(opts, 'downFor') ?? DOWN_FOR_SECONDS) * 1000;
    let down = false;
    const recover = (): void => {
      if (down && ctx.store.get(NODES.storage, undefined, node)) setNodeReady(ctx, node, true);
      down = false;
    };
    const cancel = schedule(ctx, [
      [
        downAt,
        () => {
          setNodeReady(ctx, node, false);
          down = true;
        },
      ],
      [downAt + downFor, recover],
    ]);
    // stopping the scenario early brings the node back
    return () => {
      cancel();
      recover();
    };
  },
};

export const nodeScenarios: Scenario[] = [nodeNotReadyScenario];
