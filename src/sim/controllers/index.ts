// Everything that runs "inside" the simulated cluster, started in the order
// a real one comes up: namespaces, garbage collector, nodes with their
// kubelets, scheduler, then the workload controllers.

import type { SimContext } from '../scenario.ts';
import { startDaemonSetController } from './daemonset.ts';
import { startCronJobController } from './cronjob.ts';
import { startDeploymentControllers } from './deployment.ts';
import { startDisruptionController } from './disruption.ts';
import { startEndpointControllers } from './endpoints.ts';
import { startGarbageCollector } from './gc.ts';
import { startHPAController } from './hpa.ts';
import { startJobController } from './job.ts';
import { startKubelet } from './kubelet.ts';
import { startNamespaceController } from './namespaces.ts';
import { startNodes, startTaintEvictionController } from './nodes.ts';
import { startResourceQuotaController } from './resourcequota.ts';
import { startScheduler } from './scheduler.ts';
import { startStatefulSetController } from './statefulset.ts';
import { startVolumeBinder } from './volumes.ts';

export { evictPod } from './kubelet.ts';
export { setNodePressure, setNodeReady } from './nodes.ts';

export interface Controllers {
  /** names of the simulated nodes */
  nodes: string[];
  stop(): void;
}

export function startControllers(ctx: SimContext, opts: { nodes?: number } & Record<string, unknown> = {}): Controllers {
  const stops: (() => void)[] = [];
  stops.push(startNamespaceController(ctx));
  stops.push(startGarbageCollector(ctx));
  const nodes = startNodes(ctx, { nodes: opts.nodes });
  stops.push(() => nodes.stop());
  stops.push(startTaintEvictionController(ctx));
  stops.push(startKubelet(ctx));
  stops.push(startVolumeBinder(ctx));
  stops.push(startScheduler(ctx));
  stops.push(startDeploymentControllers(ctx));
  stops.push(startStatefulSetController(ctx));
  stops.push(startJobController(ctx));
  stops.push(startCronJobController(ctx));
  stops.push(startDaemonSetController(ctx));
  stops.push(startEndpointControllers(ctx));
  stops.push(startHPAController(ctx));
  stops.push(startDisruptionController(ctx));
  stops.push(startResourceQuotaController(ctx));
  return {
    nodes: nodes.names,
    stop() {
      for (const stop of stops.reverse()) stop();
    },
  };
}
