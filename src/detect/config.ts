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
  warningEvents: {
    enabled: boolean;
    /** Event reasons never notified */
    excludeReasons: string[];
    /** also notify Warning events that repeat what a state detector reports (BackOff, Failed image pulls, Evicted, Unhealthy …) */
    includeCovered: boolean;
  };
  /** Normal events are not incidents; enable to route them (info severity) */
  normalEvents: { enabled: boolean };
  /** created / changed / deleted notifications (info) for the extra resources under watch.resources */
  resourceChanges: { enabled: boolean; created: boolean; updated: boolean; deleted: boolean };
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
  warningEvents: { enabled: true, excludeReasons: [], includeCovered: false },
  normalEvents: { enabled: false },
  resourceChanges: { enabled: true, created: true, updated: true, deleted: true },
};
