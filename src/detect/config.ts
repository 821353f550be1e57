// Detector switches and thresholds. The config file's `detectors:` section
// is validated against this shape (src/config) and merged over DEFAULTS.

export interface DetectorsConfig {
  crashLoopBackOff: { enabled: boolean; /** resolved once the container is ready and has not restarted for this long */ stableSeconds: number };
  oomKilled: { enabled: boolean };
  /** waiting reasons that mean the container cannot start (not ContainerCreating/PodInitializing) */
  badWaiting: { enabled: boolean; reasons: string[] };
  podNotReady: { enabled: boolean; /** notReadyMinTime */ minSeconds: number };
  podFailed: { enabled: boolean };
  evicted: { enabled: boolean };
  nodeNotReady: { enabled: boolean; minSeconds: number };
  nodePressure: { enabled: boolean; conditions: string[] };
  rollout: { enabled: boolean; /** notify completed rollouts */ completed: boolean };
  statefulSetRollout: {
    enabled: boolean;
    /** notify completed StatefulSet rollouts */
    completed: boolean;
    /** a rollout with no pod updated or becoming ready for this long is stuck (StatefulSets have no progress deadline of their own) */
    progressSeconds: number;
    /** fewer ready pods than replicas for this long notifies */
    unavailableMinSeconds: number;
  };
  daemonSetRollout: {
    enabled: boolean;
    /** notify completed DaemonSet rollouts */
    completed: boolean;
    /** a RollingUpdate rollout whose counts (nodes updated, available) have not moved for this long is stuck */
    progressSeconds: number;
    /** more nodes without an available daemon pod than the rollout allows, for this long, notifies */
    unavailableMinSeconds: number;
  };
  warningEvents: {
    enabled: boolean;
    /** Event reasons never notified */
    excludeReasons: string[];
    /** also notify Warning events that repeat what a state detector reports (BackOff, Failed image pulls, Evicted, Unhealthy …) */
    includeCovered: boolean;
  };
  /** a Job with the Failed condition (not a CronJob's scheduled run while cronJobFailing is on) */
  jobFailed: { enabled: boolean };
  /** a Job turned Complete (info) */
  jobCompleted: { enabled: boolean };
  /** a CronJob's runs keep failing: fires once this many runs in a row did not succeed; resolves on the next success */
  cronJobFailing: { enabled: boolean; failedRuns: number };
  /** a CronJob's MissSchedule / TooManyMissedTimes Warning events */
  cronJobMissedSchedule: { enabled: boolean };
  /** a PersistentVolumeClaim Pending (not bound, nothing provisioned) for this long */
  pvcPending: { enabled: boolean; minSeconds: number };
  /** a PersistentVolumeClaim expansion the resizer reports as failing */
  pvcResizeFailed: { enabled: boolean };
  /** HorizontalPodAutoscalers: wanting more than maxReplicas for maxedMinSeconds; unable to scale (AbleToScale or ScalingActive False) for unableMinSeconds */
  hpa: { enabled: boolean; maxedMinSeconds: number; unableMinSeconds: number };
  /** a Namespace being deleted (NamespaceTerminating, until it is gone), and its deletion not finishing (NamespaceDeletionFailed: content, finalizers or a failure reported for failedMinSeconds) */
  namespaceTerminating: { enabled: boolean; failedMinSeconds: number };
  /** Normal events are not incidents; enable to route them (info severity) */
  normalEvents: { enabled: boolean };
  /** created / changed / deleted notifications (info) for the extra resources under watch.resources */
  resourceChanges: { enabled: boolean; created: boolean; updated: boolean; deleted: boolean };
  /** the conditions watch.resources[].conditions names as bad (any resource, custom ones included); minSeconds for an entry without its own */
  conditions: { enabled: boolean; minSeconds: number };
}

export const DEFAULT_DETECTORS: DetectorsConfig = {
  crashLoopBackOff: { enabled: true, stableSeconds: 60 },
  oomKilled: { enabled: true },
  badWaiting: {
    enabled: true,
    reasons: ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError'],
  },
  podNotReady: { enabled: true, minSeconds: 60 },
  podFailed: { enabled: true },
  evicted: { enabled: true },
  nodeNotReady: { enabled: true, minSeconds: 0 },
  nodePressure: { enabled: true, conditions: ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'] },
  rollout: { enabled: true, completed: true },
  // one pod at a time is replaced: three minutes without any pod updating or becoming ready is well past a normal step
  statefulSetRollout: { enabled: true, completed: true, progressSeconds: 180, unavailableMinSeconds: 60 },
  // nodes are replaced one at a time by default: three minutes without one more node updated or available is well past an image pull and start
  daemonSetRollout: { enabled: true, completed: true, progressSeconds: 180, unavailableMinSeconds: 60 },
  jobFailed: { enabled: true },
  jobCompleted: { enabled: false },
  cronJobFailing: { enabled: true, failedRuns: 1 },
  cronJobMissedSchedule: { enabled: true },
  warningEvents: { enabled: true, excludeReasons: [], includeCovered: false },
  // a dynamically provisioned volume takes seconds; two minutes Pending is a provisioner that is failing or absent
  pvcPending: { enabled: true, minSeconds: 120 },
  pvcResizeFailed: { enabled: true },
  // a load spike that two minutes of maxReplicas does not absorb; metrics missing for two minutes (a new HPA's first sync often has none)
  hpa: { enabled: true, maxedMinSeconds: 120, unableMinSeconds: 120 },
  // pods get 30 s to terminate by default; content still there after five minutes is a finalizer or a failure nobody is handling
  namespaceTerminating: { enabled: true, failedMinSeconds: 300 },
  normalEvents: { enabled: false },
  resourceChanges: { enabled: true, created: true, updated: true, deleted: true },
  // a controller's condition flapping through a retry (a certificate renewal, a reconcile) is not an incident; five minutes of it is
  conditions: { enabled: true, minSeconds: 300 },
};
