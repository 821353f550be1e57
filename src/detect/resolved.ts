// The message of a RESOLVED notification, by the kind of object the incident
// is about; each detector module knows how its incidents end.

import type { KubeObject } from '../model/kube.ts';
import { describeDaemonSetResolved } from './daemonset.ts';
import { describeCronJobResolved } from './cronjob.ts';
import { describeDeploymentResolved } from './deployment.ts';
import { describeHPAResolved } from './hpa.ts';
import { describeJobResolved } from './job.ts';
import { describeNamespaceResolved } from './namespace.ts';
import { describeNodeResolved } from './node.ts';
import { describePodResolved } from './pod.ts';
import { describePVCResolved } from './pvc.ts';
import { describeStatefulSetResolved } from './statefulset.ts';
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
    case 'jobFailed':
      return describeJobResolved(obs, current);
    case 'cronJobFailing':
      return describeCronJobResolved(obs, current);
    case 'statefulSetRollout':
      return describeStatefulSetResolved(obs, current);
    case 'daemonSetRollout':
      return describeDaemonSetResolved(obs, current);
    case 'pvcPending':
    case 'pvcResizeFailed':
      return describePVCResolved(obs, current);
    case 'hpa':
      return describeHPAResolved(obs, current);
    case 'namespaceTerminating':
      return describeNamespaceResolved(obs, current);
    default:
      return `${obs.title}: resolved`;
  }
}
