// The words a route can match on and expect to see: the reasons the
// detectors give, the reasons Kubernetes' own components put on Events, the
// kinds notifications are about, and the detectors' names. A route naming
// something else is most likely a typo (`RolloutComplete`), and
// `config validate`, `run`, `routes list|test` and the Route status say so
// (src/rules/lint.ts). Kept in step with the detectors and the simulator by
// test/detect/vocabulary.test.ts.

import { DETECTOR as CONDITIONS_DETECTOR, fallbackReason } from './conditions.ts';
import type { DetectorsConfig } from './config.ts';

/**
 * Reasons on Events that Kubernetes' own components record (kubelet, the
 * scheduler, the controller manager's controllers, the volume and
 * service controllers) and the node problem detector adds: what a Warning
 * (or, when enabled, Normal) event notification carries as its reason.
 */
export const KUBERNETES_EVENT_REASONS: readonly string[] = [
  // kubelet: containers and images
  'Created', 'Started', 'Failed', 'Killing', 'Preempting', 'BackOff', 'ExceededGracePeriod', 'Pulling', 'Pulled',
  'InspectFailed', 'ErrImageNeverPull', 'ErrImagePull', 'ImagePullBackOff', 'FailedPostStartHook', 'FailedPreStopHook',
  'FailedKillPod', 'FailedCreatePodContainer', 'FailedCreatePodSandBox', 'FailedPodSandBoxStatus', 'SandboxChanged',
  'Unhealthy', 'ProbeWarning', 'FailedSync', 'FailedValidation', 'NetworkNotReady', 'UnexpectedAdmissionError',
  'OutOfcpu', 'OutOfmemory', 'OutOfpods', 'NodeAffinity', 'NodeShutdown', 'Shutdown', 'Evicted', 'Preempted',
  // kubelet: volumes
  'FailedMount', 'FailedAttachVolume', 'FailedMapVolume', 'AlreadyMountedVolume', 'SuccessfulAttachVolume',
  'SuccessfulMountVolume', 'VolumeResizeFailed', 'VolumeResizeSuccessful', 'FileSystemResizeFailed',
  'FileSystemResizeSuccessful', 'FailedMountOnFilesystemMismatch',
  // kubelet: the node
  'Starting', 'NodeReady', 'NodeNotReady', 'NodeSchedulable', 'NodeNotSchedulable', 'NodeAllocatableEnforced',
  'FailedNodeAllocatableEnforcement', 'KubeletSetupFailed', 'Rebooted', 'ContainerGCFailed', 'ImageGCFailed',
  'FreeDiskSpaceFailed', 'InvalidDiskCapacity', 'EvictionThresholdMet', 'SystemOOM', 'NodeHasSufficientMemory',
  'NodeHasInsufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasDiskPressure', 'NodeHasSufficientPID',
  'NodeHasInsufficientPID', 'CIDRNotAvailable', 'CIDRAssignmentFailed',
  // node problem detector
  'OOMKilling', 'KernelOops', 'TaskHung', 'FrequentKubeletRestart', 'FrequentContainerdRestart', 'FrequentDockerRestart',
  'ContainerdStart', 'DockerStart', 'KubeletStart', 'CorruptDockerOverlay2', 'ReadonlyFilesystem',
  // scheduler, cluster autoscaler
  'Scheduled', 'FailedScheduling', 'NotTriggerScaleUp', 'TriggeredScaleUp', 'ScaleDown', 'ScaleDownFailed',
  // node lifecycle and taint eviction
  'RegisteredNode', 'RemovingNode', 'DeletingNode', 'DeletingAllPods', 'TaintManagerEviction', 'NodeControllerEviction',
  // workload controllers
  'ScalingReplicaSet', 'DeploymentRollback', 'DeploymentPaused', 'DeploymentResumed', 'DeploymentRollbackRevisionNotFound',
  'SuccessfulCreate', 'SuccessfulDelete', 'FailedCreate', 'FailedDelete', 'SuccessfulUpdate', 'FailedUpdate', 'SelectingAll', 'RecreatingFailedPod', 'RecreatingTerminatedPod',
  'FailedDaemonPod', 'SucceededDaemonPod', 'FailedPlacement', 'Completed', 'BackoffLimitExceeded', 'DeadlineExceeded', 'PodFailurePolicy',
  'SuspendedJob', 'ResumedJob', 'TooManyActivePods', 'TooManySucceededPods', 'FailedUpdateStatus', 'SawCompletedJob',
  'MissSchedule', 'UnexpectedJob', 'FailedNeedsStart', 'TooManyMissedTimes', 'JobAlreadyActive', 'FailedGet',
  'FailedList', 'OwnerRefInvalidNamespace',
  // horizontal pod autoscaler
  'SuccessfulRescale', 'FailedRescale', 'FailedGetScale', 'FailedComputeMetricsReplicas', 'FailedGetResourceMetric',
  'FailedGetPodsMetric', 'FailedGetObjectMetric', 'FailedGetExternalMetric', 'FailedGetContainerResourceMetric',
  'InvalidSelector', 'AmbiguousSelector', 'InvalidMetricSourceType',
  // persistent volumes and claims
  'ProvisioningSucceeded', 'ProvisioningFailed', 'ExternalProvisioning', 'Provisioning', 'FailedBinding',
  'VolumeMismatch', 'WaitForFirstConsumer', 'WaitForPodScheduled', 'VolumeFailedDelete', 'VolumeDelete', 'ClaimLost',
  'ClaimMisbound', 'Resizing', 'ExternalExpanding', 'FileSystemResizeRequired', 'FailedDetachVolume',
  'SuccessfulDetachVolume', 'VolumeConditionAbnormal',
  // services, endpoints, load balancers
  'FailedToUpdateEndpoint', 'FailedToUpdateEndpointSlices', 'FailedToCreateEndpoint', 'EnsuringLoadBalancer',
  'EnsuredLoadBalancer', 'SyncLoadBalancerFailed', 'DeletingLoadBalancer', 'DeletedLoadBalancer',
  'UpdatedLoadBalancer', 'CreatedLoadBalancer', 'LoadBalancerUpdateFailed', 'ClusterIPNotAllocated',
  'ClusterIPAlreadyAllocated', 'PortNotAllocated',
  // disruption budgets, leader election, namespaces
  'NoPods', 'NoControllers', 'CalculateExpectedPodCountFailed', 'LeaderElection', 'NamespaceDeletionFailed',
];

/**
 * Kinds a notification can be about: the objects kubeherald watches itself
 * and the ones Kubernetes' components record Events about (a Warning event
 * about a ReplicaSet or a Job is notified with that object as its subject).
 */
export const KUBERNETES_KINDS: readonly string[] = [
  'Pod', 'Node', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'ReplicationController',
  'Service', 'Endpoints', 'EndpointSlice', 'Ingress', 'PersistentVolumeClaim', 'PersistentVolume', 'StorageClass',
  'VolumeAttachment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'ConfigMap', 'Secret', 'ServiceAccount',
  'Namespace', 'Lease', 'ResourceQuota', 'LimitRange', 'NetworkPolicy', 'CustomResourceDefinition',
  'APIService', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'CertificateSigningRequest',
];

/** What the detectors say as a notification's reason, for the detectors as configured. */
export function detectorReasons(config: DetectorsConfig): string[] {
  return [
    // crashLoopBackOff, oomKilled, podNotReady, podFailed, evicted (pods)
    'CrashLoopBackOff', 'OOMKilled', 'PodNotReady', 'PodFailed', 'Evicted',
    // badWaiting: the container's waiting reason, as configured
    ...config.badWaiting.reasons,
    // nodeNotReady, nodePressure: the condition's type, as configured
    'NodeNotReady', ...config.nodePressure.conditions,
    // rollout: completed, stuck, and the Available condition's reasons
    'RolloutCompleted', 'ProgressDeadlineExceeded', 'MinimumReplicasUnavailable',
    // statefulSetRollout: completed, stuck, pods not ready
    'StatefulSetRolloutCompleted', 'StatefulSetRolloutStuck', 'StatefulSetUnavailable',
    // daemonSetRollout: completed, stuck, daemon pods unavailable
    'DaemonSetRolloutCompleted', 'DaemonSetRolloutStuck', 'DaemonSetUnavailable',
    // jobFailed, jobCompleted, cronJobFailing, cronJobMissedSchedule
    'JobFailed', 'JobCompleted', 'CronJobFailing', 'CronJobMissedSchedule',
    // pvcPending, pvcResizeFailed (PersistentVolumeClaims); hpa: maxed out, unable to scale
    'ClaimPending', 'VolumeResizeFailed', 'HPAMaxedOut', 'HPAUnableToScale',
    // namespaceTerminating: being deleted, and not finishing
    'NamespaceTerminating', 'NamespaceDeletionFailed',
    // resourceChanges (the extra resources under watch.resources)
    'Created', 'Changed', 'Deleted',
  ];
}

/** The words routes are checked against (see src/rules/lint.ts for how). */
export interface Vocabulary {
  /** reasons notifications carry: the detectors' and Kubernetes' event reasons */
  reasons: readonly string[];
  /** kinds notifications are about */
  kinds: readonly string[];
  /** plural resource names of watch.resources: their kinds are known only from discovery */
  resources: readonly string[];
  /** detector names, as in the config's `detectors:` */
  detectors: readonly string[];
  /**
   * detectors whose reasons come from the objects, not from kubeherald (the
   * condition detector: a condition's own reason): a route that names one of
   * them in its detectors is not checked for reasons
   */
  openDetectors: readonly string[];
}

/** The vocabulary for a configuration: its detectors' settings and the extra resources it watches. */
export function vocabulary(opts: { detectors: DetectorsConfig; resources?: readonly { resource: string; conditions?: Record<string, string> }[] }): Vocabulary {
  // a bad condition without a reason of its own is told as <Type><Status> (ReadyFalse)
  const conditionReasons = (opts.resources ?? []).flatMap((r) => Object.entries(r.conditions ?? {}).map(([type, status]) => fallbackReason(type, status)));
  return {
    reasons: [...new Set([...detectorReasons(opts.detectors), ...conditionReasons, ...KUBERNETES_EVENT_REASONS])],
    kinds: KUBERNETES_KINDS,
    resources: (opts.resources ?? []).map((r) => r.resource),
    detectors: Object.keys(opts.detectors),
    openDetectors: [CONDITIONS_DETECTOR],
  };
}
