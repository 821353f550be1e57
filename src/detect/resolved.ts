// The message of a RESOLVED notification, by the kind of object the incident
// is about; each detector module knows how its incidents end.

import type { KubeObject } from '../model/kube.ts';
import { describeDeploymentResolved } from './deployment.ts';
import { describeNodeResolved } from './node.ts';
import { describePodResolved } from './pod.ts';
import type { Observation } from './types.ts';

/**
 * The message of a RESOLVED notification: what recovered, told from the
 * incident's last observation and the object as it is now (undefined once it
 * was deleted).
 */
export function describeResolved(obs: Observation, current: KubeObject | undefined): string {
  switch (obs.detector) {
    case 'crashLoopBackOff':
    case 'oomKilled':
    case 'badWaiting':
    case 'podNotReady':
      return describePodResolved(obs, current);
    case 'nodeNotReady':
    case 'nodePressure':
      return describeNodeResolved(obs, current);
    case 'rollout':
      return describeDeploymentResolved(obs, current);
    default:
      return `${obs.title}: resolved`;
  }
}
