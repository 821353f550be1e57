// Kubernetes protobuf request bodies → the plain JSON objects the JSON API
// would carry, so the rest of the simulator never sees protobuf. kubectl's
// typed clients (create configmap/secret/deployment/…, auth can-i) send
// `application/vnd.kubernetes.protobuf`; responses stay JSON.
//
// Wire format: the magic "k8s\0", then a runtime.Unknown
// {typeMeta(1){apiVersion(1), kind(2)}, raw(2), contentEncoding(3), contentType(4)}
// whose raw is the object's message. Field numbers below come from the
// generated.proto files of k8s.io/api and k8s.io/apimachinery.

import { ApiError, badRequest } from './errors.ts';
import type { KObject } from './types.ts';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
const MAX_DEPTH = 64;

// ---------------------------------------------------------------------------
// Message descriptors.
//
// One string per field: "<number> <jsonName> <type><flag>".
// type: s (string), b (bool), i32, i64, y (bytes, base64 in JSON), or a
//   message name; [T] is repeated T, {T} is map<string, T>.
// Flags mirror the Go struct so decoding yields what encoding/json would:
//   scalars  – (none) value field with omitempty: a zero on the wire is dropped
//              !      value field without omitempty: zero kept
//              *      pointer: present on the wire iff set, kept as is
//   messages – (none) pointer: written only when set
//              !      value struct: always written (Time zero → null)
//              ^      embedded struct whose fields are inlined in JSON
// Special messages: Time, MicroTime, Quantity, IntOrString, RawExtension,
// FieldsV1 and StringList (authorization ExtraValue) have custom JSON forms.

const MESSAGES: Record<string, string[]> = {
  // k8s.io/apimachinery/pkg/apis/meta/v1
  ObjectMeta: [
    '1 name s', '2 generateName s', '3 namespace s', '4 selfLink s', '5 uid s', '6 resourceVersion s',
    '7 generation i64', '8 creationTimestamp Time!', '9 deletionTimestamp Time',
    '10 deletionGracePeriodSeconds i64*', '11 labels {s}', '12 annotations {s}',
    '13 ownerReferences [OwnerReference]', '14 finalizers [s]', '17 managedFields [ManagedFieldsEntry]',
  ],
  OwnerReference: ['5 apiVersion s!', '1 kind s!', '3 name s!', '4 uid s!', '6 controller b*', '7 blockOwnerDeletion b*'],
  ManagedFieldsEntry: [
    '1 manager s', '2 operation s', '3 apiVersion s', '4 time Time', '6 fieldsType s', '7 fieldsV1 FieldsV1', '8 subresource s',
  ],
  LabelSelector: ['1 matchLabels {s}', '2 matchExpressions [LabelSelectorRequirement]'],
  LabelSelectorRequirement: ['1 key s!', '2 operator s!', '3 values [s]'],
  Condition: [
    '1 type s!', '2 status s!', '3 observedGeneration i64', '4 lastTransitionTime Time!', '5 reason s!', '6 message s!',
  ],
  DeleteOptions: [
    '1 gracePeriodSeconds i64*', '2 preconditions Preconditions', '3 orphanDependents b*', '4 propagationPolicy s*', '5 dryRun [s]',
  ],
  Preconditions: ['1 uid s*', '2 resourceVersion s*'],

  // k8s.io/api/core/v1
  ConfigMap: ['1 metadata ObjectMeta!', '4 immutable b*', '2 data {s}', '3 binaryData {y}'],
  Secret: ['1 metadata ObjectMeta!', '5 immutable b*', '2 data {y}', '4 stringData {s}', '3 type s'],
  Namespace: ['1 metadata ObjectMeta!', '2 spec NamespaceSpec!', '3 status NamespaceStatus!'],
  NamespaceSpec: ['1 finalizers [s]'],
  NamespaceStatus: ['1 phase s', '2 conditions [NamespaceCondition]'],
  NamespaceCondition: ['1 type s!', '2 status s!', '4 lastTransitionTime Time!', '5 reason s', '6 message s'],
  ServiceAccount: [
    '1 metadata ObjectMeta!', '2 secrets [ObjectReference]', '3 imagePullSecrets [LocalObjectReference]',
    '4 automountServiceAccountToken b*',
  ],
  ObjectReference: [
    '1 kind s', '2 namespace s', '3 name s', '4 uid s', '5 apiVersion s', '6 resourceVersion s', '7 fieldPath s',
  ],
  LocalObjectReference: ['1 name s'],
  Service: ['1 metadata ObjectMeta!', '2 spec ServiceSpec!', '3 status ServiceStatus!'],
  ServiceSpec: [
    '1 ports [ServicePort]', '2 selector {s}', '3 clusterIP s', '18 clusterIPs [s]', '4 type s', '5 externalIPs [s]',
    '7 sessionAffinity s', '8 loadBalancerIP s', '9 loadBalancerSourceRanges [s]', '10 externalName s',
    '11 externalTrafficPolicy s', '12 healthCheckNodePort i32', '13 publishNotReadyAddresses b',
    '14 sessionAffinityConfig SessionAffinityConfig', '19 ipFamilies [s]', '17 ipFamilyPolicy s*',
    '20 allocateLoadBalancerNodePorts b*', '21 loadBalancerClass s*', '22 internalTrafficPolicy s*',
    '23 trafficDistribution s*',
  ],
  ServicePort: ['1 name s', '2 protocol s', '6 appProtocol s*', '3 port i32!', '4 targetPort IntOrString!', '5 nodePort i32'],
  SessionAffinityConfig: ['1 clientIP ClientIPConfig'],
  ClientIPConfig: ['1 timeoutSeconds i32*'],
  ServiceStatus: ['1 loadBalancer LoadBalancerStatus!', '2 conditions [Condition]'],
  LoadBalancerStatus: ['1 ingress [LoadBalancerIngress]'],
  LoadBalancerIngress: ['1 ip s', '2 hostname s', '3 ipMode s*', '4 ports [PortStatus]'],
  PortStatus: ['1 port i32!', '2 protocol s!', '3 error s*'],
  Pod: ['1 metadata ObjectMeta!', '2 spec PodSpec!', '3 status PodStatus!'],
  PodTemplateSpec: ['1 metadata ObjectMeta!', '2 spec PodSpec!'],
  PodSpec: [
    '1 volumes [Volume]', '20 initContainers [Container]', '2 containers [Container]', '3 restartPolicy s',
    '4 terminationGracePeriodSeconds i64*', '5 activeDeadlineSeconds i64*', '6 dnsPolicy s', '7 nodeSelector {s}',
    '8 serviceAccountName s', '9 serviceAccount s', '21 automountServiceAccountToken b*', '10 nodeName s',
    '11 hostNetwork b', '12 hostPID b', '13 hostIPC b', '27 shareProcessNamespace b*',
    '14 securityContext PodSecurityContext', '15 imagePullSecrets [LocalObjectReference]', '16 hostname s',
    '17 subdomain s', '18 affinity Affinity', '19 schedulerName s', '22 tolerations [Toleration]',
    '23 hostAliases [HostAlias]', '24 priorityClassName s', '25 priority i32*', '26 dnsConfig PodDNSConfig',
    '28 readinessGates [PodReadinessGate]', '29 runtimeClassName s*', '30 enableServiceLinks b*',
    '31 preemptionPolicy s*', '32 overhead {Quantity}', '33 topologySpreadConstraints [TopologySpreadConstraint]',
    '35 setHostnameAsFQDN b*', '36 os PodOS', '37 hostUsers b*', '38 schedulingGates [PodSchedulingGate]',
    '40 resources ResourceRequirements', '41 hostnameOverride s*',
  ],
  Container: [
    '1 name s!', '2 image s', '3 command [s]', '4 args [s]', '5 workingDir s', '6 ports [ContainerPort]',
    '19 envFrom [EnvFromSource]', '7 env [EnvVar]', '8 resources ResourceRequirements!',
    '23 resizePolicy [ContainerResizePolicy]', '24 restartPolicy s*', '9 volumeMounts [VolumeMount]',
    '21 volumeDevices [VolumeDevice]', '10 livenessProbe Probe', '11 readinessProbe Probe', '22 startupProbe Probe',
    '12 lifecycle Lifecycle', '13 terminationMessagePath s', '20 terminationMessagePolicy s', '14 imagePullPolicy s',
    '15 securityContext SecurityContext', '16 stdin b', '17 stdinOnce b', '18 tty b',
  ],
  ContainerPort: ['1 name s', '2 hostPort i32', '3 containerPort i32!', '4 protocol s', '5 hostIP s'],
  ContainerResizePolicy: ['1 resourceName s!', '2 restartPolicy s!'],
  VolumeDevice: ['1 name s!', '2 devicePath s!'],
  EnvFromSource: ['1 prefix s', '2 configMapRef ConfigMapEnvSource', '3 secretRef SecretEnvSource'],
  ConfigMapEnvSource: ['1 localObjectReference LocalObjectReference^', '2 optional b*'],
  SecretEnvSource: ['1 localObjectReference LocalObjectReference^', '2 optional b*'],
  EnvVar: ['1 name s!', '2 value s', '3 valueFrom EnvVarSource'],
  EnvVarSource: [
    '1 fieldRef ObjectFieldSelector', '2 resourceFieldRef ResourceFieldSelector',
    '3 configMapKeyRef ConfigMapKeySelector', '4 secretKeyRef SecretKeySelector',
  ],
  ObjectFieldSelector: ['1 apiVersion s', '2 fieldPath s!'],
  ResourceFieldSelector: ['1 containerName s', '2 resource s!', '3 divisor Quantity!'],
  ConfigMapKeySelector: ['1 localObjectReference LocalObjectReference^', '2 key s!', '3 optional b*'],
  SecretKeySelector: ['1 localObjectReference LocalObjectReference^', '2 key s!', '3 optional b*'],
  ResourceRequirements: ['1 limits {Quantity}', '2 requests {Quantity}', '3 claims [ResourceClaim]'],
  ResourceClaim: ['1 name s!', '2 request s'],
  VolumeMount: [
    '1 name s!', '2 readOnly b', '7 recursiveReadOnly s*', '3 mountPath s!', '4 subPath s', '5 mountPropagation s*',
    '6 subPathExpr s',
  ],
  Probe: [
    '1 handler ProbeHandler^', '2 initialDelaySeconds i32', '3 timeoutSeconds i32', '4 periodSeconds i32',
    '5 successThreshold i32', '6 failureThreshold i32', '7 terminationGracePeriodSeconds i64*',
  ],
  ProbeHandler: ['1 exec ExecAction', '2 httpGet HTTPGetAction', '3 tcpSocket TCPSocketAction', '4 grpc GRPCAction'],
  ExecAction: ['1 command [s]'],
  HTTPGetAction: ['1 path s', '2 port IntOrString!', '3 host s', '4 scheme s', '5 httpHeaders [HTTPHeader]'],
  HTTPHeader: ['1 name s!', '2 value s!'],
  TCPSocketAction: ['1 port IntOrString!', '2 host s'],
  GRPCAction: ['1 port i32!', '2 service s*'],
  Lifecycle: ['1 postStart LifecycleHandler', '2 preStop LifecycleHandler', '3 stopSignal s*'],
  LifecycleHandler: ['1 exec ExecAction', '2 httpGet HTTPGetAction', '3 tcpSocket TCPSocketAction', '4 sleep SleepAction'],
  SleepAction: ['1 seconds i64!'],
  SecurityContext: [
    '1 capabilities Capabilities', '2 privileged b*', '3 seLinuxOptions SELinuxOptions',
    '10 windowsOptions WindowsSecurityContextOptions', '4 runAsUser i64*', '8 runAsGroup i64*', '5 runAsNonRoot b*',
    '6 readOnlyRootFilesystem b*', '7 allowPrivilegeEscalation b*', '9 procMount s*', '11 seccompProfile SeccompProfile',
    '12 appArmorProfile AppArmorProfile',
  ],
  Capabilities: ['1 add [s]', '2 drop [s]'],
  SELinuxOptions: ['1 user s', '2 role s', '3 type s', '4 level s'],
  WindowsSecurityContextOptions: [
    '1 gmsaCredentialSpecName s*', '2 gmsaCredentialSpec s*', '3 runAsUserName s*', '4 hostProcess b*',
  ],
  SeccompProfile: ['1 type s!', '2 localhostProfile s*'],
  AppArmorProfile: ['1 type s!', '2 localhostProfile s*'],
  PodSecurityContext: [
    '1 seLinuxOptions SELinuxOptions', '8 windowsOptions WindowsSecurityContextOptions', '2 runAsUser i64*',
    '6 runAsGroup i64*', '3 runAsNonRoot b*', '4 supplementalGroups [i64]', '12 supplementalGroupsPolicy s*',
    '5 fsGroup i64*', '7 sysctls [Sysctl]', '9 fsGroupChangePolicy s*', '10 seccompProfile SeccompProfile',
    '11 appArmorProfile AppArmorProfile', '13 seLinuxChangePolicy s*',
  ],
  Sysctl: ['1 name s!', '2 value s!'],
  Toleration: ['1 key s', '2 operator s', '3 value s', '4 effect s', '5 tolerationSeconds i64*'],
  Volume: ['1 name s!', '2 volumeSource VolumeSource^'],
  VolumeSource: [
    '1 hostPath HostPathVolumeSource', '2 emptyDir EmptyDirVolumeSource', '6 secret SecretVolumeSource',
    '7 nfs NFSVolumeSource', '10 persistentVolumeClaim PersistentVolumeClaimVolumeSource',
    '16 downwardAPI DownwardAPIVolumeSource', '19 configMap ConfigMapVolumeSource',
    '26 projected ProjectedVolumeSource', '28 csi CSIVolumeSource', '30 image ImageVolumeSource',
  ],
  HostPathVolumeSource: ['1 path s!', '2 type s*'],
  EmptyDirVolumeSource: ['1 medium s', '2 sizeLimit Quantity'],
  SecretVolumeSource: ['1 secretName s', '2 items [KeyToPath]', '3 defaultMode i32*', '4 optional b*'],
  NFSVolumeSource: ['1 server s!', '2 path s!', '3 readOnly b'],
  PersistentVolumeClaimVolumeSource: ['1 claimName s!', '2 readOnly b'],
  DownwardAPIVolumeSource: ['1 items [DownwardAPIVolumeFile]', '2 defaultMode i32*'],
  DownwardAPIVolumeFile: [
    '1 path s!', '2 fieldRef ObjectFieldSelector', '3 resourceFieldRef ResourceFieldSelector', '4 mode i32*',
  ],
  ConfigMapVolumeSource: [
    '1 localObjectReference LocalObjectReference^', '2 items [KeyToPath]', '3 defaultMode i32*', '4 optional b*',
  ],
  KeyToPath: ['1 key s!', '2 path s!', '3 mode i32*'],
  ProjectedVolumeSource: ['1 sources [VolumeProjection]', '2 defaultMode i32*'],
  VolumeProjection: [
    '1 secret SecretProjection', '2 downwardAPI DownwardAPIProjection', '3 configMap ConfigMapProjection',
    '4 serviceAccountToken ServiceAccountTokenProjection',
  ],
  SecretProjection: ['1 localObjectReference LocalObjectReference^', '2 items [KeyToPath]', '4 optional b*'],
  ConfigMapProjection: ['1 localObjectReference LocalObjectReference^', '2 items [KeyToPath]', '4 optional b*'],
  DownwardAPIProjection: ['1 items [DownwardAPIVolumeFile]'],
  ServiceAccountTokenProjection: ['1 audience s', '2 expirationSeconds i64*', '3 path s!'],
  CSIVolumeSource: [
    '1 driver s!', '2 readOnly b*', '3 fsType s*', '4 volumeAttributes {s}', '5 nodePublishSecretRef LocalObjectReference',
  ],
  ImageVolumeSource: ['1 reference s', '2 pullPolicy s'],
  Affinity: ['1 nodeAffinity NodeAffinity', '2 podAffinity PodAffinity', '3 podAntiAffinity PodAntiAffinity'],
  NodeAffinity: [
    '1 requiredDuringSchedulingIgnoredDuringExecution NodeSelector',
    '2 preferredDuringSchedulingIgnoredDuringExecution [PreferredSchedulingTerm]',
  ],
  NodeSelector: ['1 nodeSelectorTerms [NodeSelectorTerm]'],
  NodeSelectorTerm: ['1 matchExpressions [NodeSelectorRequirement]', '2 matchFields [NodeSelectorRequirement]'],
  NodeSelectorRequirement: ['1 key s!', '2 operator s!', '3 values [s]'],
  PreferredSchedulingTerm: ['1 weight i32!', '2 preference NodeSelectorTerm!'],
  PodAffinity: [
    '1 requiredDuringSchedulingIgnoredDuringExecution [PodAffinityTerm]',
    '2 preferredDuringSchedulingIgnoredDuringExecution [WeightedPodAffinityTerm]',
  ],
  PodAntiAffinity: [
    '1 requiredDuringSchedulingIgnoredDuringExecution [PodAffinityTerm]',
    '2 preferredDuringSchedulingIgnoredDuringExecution [WeightedPodAffinityTerm]',
  ],
  PodAffinityTerm: [
    '1 labelSelector LabelSelector', '2 namespaces [s]', '3 topologyKey s!', '4 namespaceSelector LabelSelector',
    '5 matchLabelKeys [s]', '6 mismatchLabelKeys [s]',
  ],
  WeightedPodAffinityTerm: ['1 weight i32!', '2 podAffinityTerm PodAffinityTerm!'],
  HostAlias: ['1 ip s!', '2 hostnames [s]'],
  PodDNSConfig: ['1 nameservers [s]', '2 searches [s]', '3 options [PodDNSConfigOption]'],
  PodDNSConfigOption: ['1 name s', '2 value s*'],
  PodReadinessGate: ['1 conditionType s!'],
  TopologySpreadConstraint: [
    '1 maxSkew i32!', '2 topologyKey s!', '3 whenUnsatisfiable s!', '4 labelSelector LabelSelector',
    '5 minDomains i32*', '6 nodeAffinityPolicy s*', '7 nodeTaintsPolicy s*', '8 matchLabelKeys [s]',
  ],
  PodOS: ['1 name s!'],
  PodSchedulingGate: ['1 name s!'],
  PodStatus: [
    '17 observedGeneration i64', '1 phase s', '2 conditions [PodCondition]', '3 message s', '4 reason s',
    '11 nominatedNodeName s', '5 hostIP s', '16 hostIPs [HostIP]', '6 podIP s', '12 podIPs [PodIP]', '7 startTime Time',
    '10 initContainerStatuses [ContainerStatus]', '8 containerStatuses [ContainerStatus]', '9 qosClass s',
    '13 ephemeralContainerStatuses [ContainerStatus]', '14 resize s',
  ],
  PodCondition: [
    '1 type s!', '7 observedGeneration i64', '2 status s!', '3 lastProbeTime Time!', '4 lastTransitionTime Time!',
    '5 reason s', '6 message s',
  ],
  HostIP: ['1 ip s!'],
  PodIP: ['1 ip s!'],
  ContainerStatus: [
    '1 name s!', '2 state ContainerState!', '3 lastState ContainerState!', '4 ready b!', '5 restartCount i32!',
    '6 image s!', '7 imageID s!', '8 containerID s', '9 started b*', '10 allocatedResources {Quantity}',
    '11 resources ResourceRequirements', '12 volumeMounts [VolumeMountStatus]', '15 stopSignal s*',
  ],
  ContainerState: [
    '1 waiting ContainerStateWaiting', '2 running ContainerStateRunning', '3 terminated ContainerStateTerminated',
  ],
  ContainerStateWaiting: ['1 reason s', '2 message s'],
  ContainerStateRunning: ['1 startedAt Time!'],
  ContainerStateTerminated: [
    '1 exitCode i32!', '2 signal i32', '3 reason s', '4 message s', '5 startedAt Time!', '6 finishedAt Time!',
    '7 containerID s',
  ],
  VolumeMountStatus: ['1 name s!', '2 mountPath s!', '3 readOnly b', '4 recursiveReadOnly s*'],
  Event: [
    '1 metadata ObjectMeta!', '2 involvedObject ObjectReference!', '3 reason s', '4 message s',
    '5 source EventSource!', '6 firstTimestamp Time!', '7 lastTimestamp Time!', '8 count i32', '9 type s',
    '10 eventTime MicroTime!', '11 series EventSeries', '12 action s', '13 related ObjectReference',
    '14 reportingComponent s!', '15 reportingInstance s!',
  ],
  EventSeries: ['1 count i32', '2 lastObservedTime MicroTime!'],
  EventSource: ['1 component s', '2 host s'],
  Endpoints: ['1 metadata ObjectMeta!', '2 subsets [EndpointSubset]'],
  EndpointSubset: ['1 addresses [EndpointAddress]', '2 notReadyAddresses [EndpointAddress]', '3 ports [EndpointPort]'],
  EndpointAddress: ['1 ip s!', '3 hostname s', '4 nodeName s*', '2 targetRef ObjectReference'],
  EndpointPort: ['1 name s', '2 port i32!', '3 protocol s', '4 appProtocol s*'],
  ResourceQuota: ['1 metadata ObjectMeta!', '2 spec ResourceQuotaSpec!', '3 status ResourceQuotaStatus!'],
  ResourceQuotaSpec: ['1 hard {Quantity}', '2 scopes [s]', '3 scopeSelector ScopeSelector'],
  ResourceQuotaStatus: ['1 hard {Quantity}', '2 used {Quantity}'],
  ScopeSelector: ['1 matchExpressions [ScopedResourceSelectorRequirement]'],
  ScopedResourceSelectorRequirement: ['1 scopeName s!', '2 operator s!', '3 values [s]'],

  // k8s.io/api/apps/v1
  Deployment: ['1 metadata ObjectMeta!', '2 spec DeploymentSpec!', '3 status DeploymentStatus!'],
  DeploymentSpec: [
    '1 replicas i32*', '2 selector LabelSelector', '3 template PodTemplateSpec!', '4 strategy DeploymentStrategy!',
    '5 minReadySeconds i32', '6 revisionHistoryLimit i32*', '7 paused b', '9 progressDeadlineSeconds i32*',
  ],
  DeploymentStrategy: ['1 type s', '2 rollingUpdate RollingUpdateDeployment'],
  RollingUpdateDeployment: ['1 maxUnavailable IntOrString', '2 maxSurge IntOrString'],
  DeploymentStatus: [
    '1 observedGeneration i64', '2 replicas i32', '3 updatedReplicas i32', '7 readyReplicas i32',
    '4 availableReplicas i32', '5 unavailableReplicas i32', '6 conditions [DeploymentCondition]', '8 collisionCount i32*',
  ],
  DeploymentCondition: [
    '1 type s!', '2 status s!', '6 lastUpdateTime Time!', '7 lastTransitionTime Time!', '4 reason s', '5 message s',
  ],
  ReplicaSet: ['1 metadata ObjectMeta!', '2 spec ReplicaSetSpec!', '3 status ReplicaSetStatus!'],
  ReplicaSetSpec: ['1 replicas i32*', '4 minReadySeconds i32', '2 selector LabelSelector', '3 template PodTemplateSpec!'],
  ReplicaSetStatus: [
    '1 replicas i32!', '2 fullyLabeledReplicas i32', '4 readyReplicas i32', '5 availableReplicas i32',
    '3 observedGeneration i64', '6 conditions [ReplicaSetCondition]',
  ],
  ReplicaSetCondition: ['1 type s!', '2 status s!', '3 lastTransitionTime Time!', '4 reason s', '5 message s'],

  // k8s.io/api/rbac/v1
  Role: ['1 metadata ObjectMeta!', '2 rules [PolicyRule]'],
  ClusterRole: ['1 metadata ObjectMeta!', '2 rules [PolicyRule]', '3 aggregationRule AggregationRule'],
  AggregationRule: ['1 clusterRoleSelectors [LabelSelector]'],
  PolicyRule: ['1 verbs [s]', '2 apiGroups [s]', '3 resources [s]', '4 resourceNames [s]', '5 nonResourceURLs [s]'],
  RoleBinding: ['1 metadata ObjectMeta!', '2 subjects [Subject]', '3 roleRef RoleRef!'],
  ClusterRoleBinding: ['1 metadata ObjectMeta!', '2 subjects [Subject]', '3 roleRef RoleRef!'],
  RoleRef: ['1 apiGroup s!', '2 kind s!', '3 name s!'],
  Subject: ['1 kind s!', '2 apiGroup s', '3 name s!', '4 namespace s'],

  // k8s.io/api/authorization/v1
  SelfSubjectAccessReview: [
    '1 metadata ObjectMeta!', '2 spec SelfSubjectAccessReviewSpec!', '3 status SubjectAccessReviewStatus!',
  ],
  SelfSubjectAccessReviewSpec: ['1 resourceAttributes ResourceAttributes', '2 nonResourceAttributes NonResourceAttributes'],
  SubjectAccessReview: ['1 metadata ObjectMeta!', '2 spec SubjectAccessReviewSpec!', '3 status SubjectAccessReviewStatus!'],
  LocalSubjectAccessReview: [
    '1 metadata ObjectMeta!', '2 spec SubjectAccessReviewSpec!', '3 status SubjectAccessReviewStatus!',
  ],
  SubjectAccessReviewSpec: [
    '1 resourceAttributes ResourceAttributes', '2 nonResourceAttributes NonResourceAttributes', '3 user s',
    '4 groups [s]', '5 extra {StringList}', '6 uid s',
  ],
  SubjectAccessReviewStatus: ['1 allowed b!', '4 denied b', '2 reason s', '3 evaluationError s'],
  ResourceAttributes: [
    '1 namespace s', '2 verb s', '3 group s', '4 version s', '5 resource s', '6 subresource s', '7 name s',
    '8 fieldSelector FieldSelectorAttributes', '9 labelSelector LabelSelectorAttributes',
  ],
  FieldSelectorAttributes: ['1 rawSelector s', '2 requirements [FieldSelectorRequirement]'],
  FieldSelectorRequirement: ['1 key s!', '2 operator s!', '3 values [s]'],
  LabelSelectorAttributes: ['1 rawSelector s', '2 requirements [LabelSelectorRequirement]'],
  NonResourceAttributes: ['1 path s', '2 verb s'],
  SelfSubjectRulesReview: [
    '1 metadata ObjectMeta!', '2 spec SelfSubjectRulesReviewSpec!', '3 status SubjectRulesReviewStatus!',
  ],
  SelfSubjectRulesReviewSpec: ['1 namespace s'],
  SubjectRulesReviewStatus: [
    '1 resourceRules [ResourceRule]', '2 nonResourceRules [NonResourceRule]', '3 incomplete b!', '4 evaluationError s',
  ],
  ResourceRule: ['1 verbs [s]', '2 apiGroups [s]', '3 resources [s]', '4 resourceNames [s]'],
  NonResourceRule: ['1 verbs [s]', '2 nonResourceURLs [s]'],

  // k8s.io/api/authentication/v1
  TokenRequest: ['1 metadata ObjectMeta!', '2 spec TokenRequestSpec!', '3 status TokenRequestStatus!'],
  TokenRequestSpec: ['1 audiences [s]', '4 expirationSeconds i64*', '3 boundObjectRef BoundObjectReference'],
  BoundObjectReference: ['1 kind s', '2 apiVersion s', '3 name s', '4 uid s'],
  TokenRequestStatus: ['1 token s!', '2 expirationTimestamp Time!'],
  TokenReview: ['1 metadata ObjectMeta!', '2 spec TokenReviewSpec!', '3 status TokenReviewStatus!'],
  TokenReviewSpec: ['1 token s', '2 audiences [s]'],
  TokenReviewStatus: ['1 authenticated b', '2 user UserInfo!', '4 audiences [s]', '3 error s'],
  UserInfo: ['1 username s', '2 uid s', '3 groups [s]', '4 extra {StringList}'],
  // numbers from authentication/v1alpha1, whose types were promoted to v1 unchanged
  SelfSubjectReview: ['1 metadata ObjectMeta!', '2 status SelfSubjectReviewStatus!'],
  SelfSubjectReviewStatus: ['1 userInfo UserInfo!'],

  // k8s.io/api/coordination/v1
  Lease: ['1 metadata ObjectMeta!', '2 spec LeaseSpec!'],
  LeaseSpec: [
    '1 holderIdentity s*', '2 leaseDurationSeconds i32*', '3 acquireTime MicroTime', '4 renewTime MicroTime',
    '5 leaseTransitions i32*', '6 strategy s*', '7 preferredHolder s*',
  ],

  // k8s.io/api/discovery/v1
  EndpointSlice: [
    '1 metadata ObjectMeta!', '4 addressType s!', '2 endpoints [DiscoveryEndpoint]', '3 ports [DiscoveryEndpointPort]',
  ],
  DiscoveryEndpoint: [
    '1 addresses [s]', '2 conditions DiscoveryEndpointConditions!', '3 hostname s*', '4 targetRef ObjectReference',
    '5 deprecatedTopology {s}', '6 nodeName s*', '7 zone s*', '8 hints DiscoveryEndpointHints',
  ],
  DiscoveryEndpointConditions: ['1 ready b*', '2 serving b*', '3 terminating b*'],
  DiscoveryEndpointHints: ['1 forZones [DiscoveryForZone]'],
  DiscoveryForZone: ['1 name s!'],
  DiscoveryEndpointPort: ['1 name s*', '2 protocol s*', '3 port i32*', '4 appProtocol s*'],

  // k8s.io/api/batch/v1
  Job: ['1 metadata ObjectMeta!', '2 spec JobSpec!', '3 status JobStatus!'],
  JobSpec: [
    '1 parallelism i32*', '2 completions i32*', '3 activeDeadlineSeconds i64*', '7 backoffLimit i32*',
    '4 selector LabelSelector', '5 manualSelector b*', '6 template PodTemplateSpec!', '8 ttlSecondsAfterFinished i32*',
    '9 completionMode s*', '10 suspend b*',
  ],
  JobStatus: [
    '1 conditions [JobCondition]', '2 startTime Time', '3 completionTime Time', '4 active i32', '5 succeeded i32',
    '6 failed i32', '7 completedIndexes s',
  ],
  JobCondition: [
    '1 type s!', '2 status s!', '3 lastProbeTime Time!', '4 lastTransitionTime Time!', '5 reason s', '6 message s',
  ],
  JobTemplateSpec: ['1 metadata ObjectMeta!', '2 spec JobSpec!'],
  CronJob: ['1 metadata ObjectMeta!', '2 spec CronJobSpec!', '3 status CronJobStatus!'],
  CronJobSpec: [
    '1 schedule s!', '2 startingDeadlineSeconds i64*', '3 concurrencyPolicy s', '4 suspend b*',
    '5 jobTemplate JobTemplateSpec!', '6 successfulJobsHistoryLimit i32*', '7 failedJobsHistoryLimit i32*',
  ],
  CronJobStatus: ['1 active [ObjectReference]', '4 lastScheduleTime Time', '5 lastSuccessfulTime Time'],

  // k8s.io/api/policy/v1
  PodDisruptionBudget: [
    '1 metadata ObjectMeta!', '2 spec PodDisruptionBudgetSpec!', '3 status PodDisruptionBudgetStatus!',
  ],
  PodDisruptionBudgetSpec: ['1 minAvailable IntOrString', '2 selector LabelSelector', '3 maxUnavailable IntOrString'],
  PodDisruptionBudgetStatus: [
    '1 observedGeneration i64', '2 disruptedPods {Time}', '3 disruptionsAllowed i32!', '4 currentHealthy i32!',
    '5 desiredHealthy i32!', '6 expectedPods i32!', '7 conditions [Condition]',
  ],

  Eviction: ['1 metadata ObjectMeta!', '2 deleteOptions DeleteOptions'],

  // k8s.io/api/autoscaling/v1 (kubectl autoscale)
  HorizontalPodAutoscalerV1: ['1 metadata ObjectMeta!', '2 spec HorizontalPodAutoscalerSpecV1!', '3 status HorizontalPodAutoscalerStatusV1!'],
  HorizontalPodAutoscalerSpecV1: [
    '1 scaleTargetRef CrossVersionObjectReference!', '2 minReplicas i32*', '3 maxReplicas i32!', '4 targetCPUUtilizationPercentage i32*',
  ],
  CrossVersionObjectReference: ['1 kind s!', '2 name s!', '3 apiVersion s'],
  HorizontalPodAutoscalerStatusV1: [
    '1 observedGeneration i64*', '2 lastScaleTime Time', '3 currentReplicas i32!', '4 desiredReplicas i32!',
    '5 currentCPUUtilizationPercentage i32*',
  ],

  // k8s.io/api/scheduling/v1
  PriorityClass: ['1 metadata ObjectMeta!', '2 value i32!', '3 globalDefault b', '4 description s', '5 preemptionPolicy s*'],

  // k8s.io/api/networking/v1 (kubectl create ingress)
  Ingress: ['1 metadata ObjectMeta!', '2 spec IngressSpec!', '3 status IngressStatus!'],
  IngressSpec: ['4 ingressClassName s*', '1 defaultBackend IngressBackend', '2 tls [IngressTLS]', '3 rules [IngressRule]'],
  IngressBackend: ['4 service IngressServiceBackend', '3 resource TypedLocalObjectReference'],
  IngressServiceBackend: ['1 name s!', '2 port ServiceBackendPort!'],
  ServiceBackendPort: ['1 name s', '2 number i32'],
  TypedLocalObjectReference: ['1 apiGroup s*', '2 kind s!', '3 name s!'],
  IngressTLS: ['1 hosts [s]', '2 secretName s'],
  IngressRule: ['1 host s', '2 ingressRuleValue IngressRuleValue^'],
  IngressRuleValue: ['1 http HTTPIngressRuleValue'],
  HTTPIngressRuleValue: ['1 paths [HTTPIngressPath]'],
  HTTPIngressPath: ['1 path s', '3 pathType s*', '2 backend IngressBackend!'],
  IngressStatus: ['1 loadBalancer IngressLoadBalancerStatus!'],
  IngressLoadBalancerStatus: ['1 ingress [IngressLoadBalancerIngress]'],
  IngressLoadBalancerIngress: ['1 ip s', '2 hostname s', '4 ports [PortStatus]'],
  IngressClass: ['1 metadata ObjectMeta!', '2 spec IngressClassSpec!'],
  IngressClassSpec: ['1 controller s', '2 parameters IngressClassParametersReference'],
  IngressClassParametersReference: ['1 apiGroup s*', '2 kind s!', '3 name s!', '4 scope s*', '5 namespace s*'],

  // k8s.io/api/core/v1 LimitRange and PodTemplate
  LimitRange: ['1 metadata ObjectMeta!', '2 spec LimitRangeSpec!'],
  LimitRangeSpec: ['1 limits [LimitRangeItem]'],
  LimitRangeItem: ['1 type s!', '2 max {Quantity}', '3 min {Quantity}', '4 default {Quantity}', '5 defaultRequest {Quantity}', '6 maxLimitRequestRatio {Quantity}'],
  PodTemplate: ['1 metadata ObjectMeta!', '2 template PodTemplateSpec!'],
};

/** apiVersion/kind → top-level message. */
const KINDS: Record<string, string> = {
  'v1/ConfigMap': 'ConfigMap',
  'v1/Secret': 'Secret',
  'v1/Namespace': 'Namespace',
  'v1/ServiceAccount': 'ServiceAccount',
  'v1/Service': 'Service',
  'v1/Pod': 'Pod',
  'v1/Event': 'Event',
  'v1/Endpoints': 'Endpoints',
  'v1/ResourceQuota': 'ResourceQuota',
  'apps/v1/Deployment': 'Deployment',
  'apps/v1/ReplicaSet': 'ReplicaSet',
  'rbac.authorization.k8s.io/v1/Role': 'Role',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'ClusterRole',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'ClusterRoleBinding',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'SelfSubjectAccessReview',
  'authorization.k8s.io/v1/SubjectAccessReview': 'SubjectAccessReview',
  'authorization.k8s.io/v1/LocalSubjectAccessReview': 'LocalSubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'SelfSubjectRulesReview',
  'authentication.k8s.io/v1/TokenRequest': 'TokenRequest',
  'authentication.k8s.io/v1/TokenReview': 'TokenReview',
  'authentication.k8s.io/v1/SelfSubjectReview': 'SelfSubjectReview',
  'coordination.k8s.io/v1/Lease': 'Lease',
  'discovery.k8s.io/v1/EndpointSlice': 'EndpointSlice',
  'batch/v1/Job': 'Job',
  'batch/v1/CronJob': 'CronJob',
  'policy/v1/PodDisruptionBudget': 'PodDisruptionBudget',
  'policy/v1/Eviction': 'Eviction',
  'scheduling.k8s.io/v1/PriorityClass': 'PriorityClass',
  'networking.k8s.io/v1/Ingress': 'Ingress',
  'networking.k8s.io/v1/IngressClass': 'IngressClass',
  'v1/LimitRange': 'LimitRange',
  'v1/PodTemplate': 'PodTemplate',
  'autoscaling/v1/HorizontalPodAutoscaler': 'HorizontalPodAutoscalerV1',
  'meta.k8s.io/v1/DeleteOptions': 'DeleteOptions',
};

/** Every supported "apiVersion/kind". DeleteOptions is also accepted under any apiVersion. */
export function protobufKinds(): string[] {
  return Object.keys(KINDS);
}

function messageForKind(apiVersion: string, kind: string): string | undefined {
  // client-go encodes DeleteOptions in the group version of the resource being deleted
  if (kind === 'DeleteOptions') return 'DeleteOptions';
  return Object.hasOwn(KINDS, `${apiVersion}/${kind}`) ? KINDS[`${apiVersion}/${kind}`] : undefined;
}

// ---------------------------------------------------------------------------
// Descriptor parsing

type Scalar = 's' | 'b' | 'i32' | 'i64' | 'y';
type Presence = 'omitempty' | 'keep' | 'pointer' | 'value' | 'inline';

interface Field {
  num: number;
  json: string;
  /** scalar name or message name */
  type: string;
  scalar: boolean;
  repeated: boolean;
  map: boolean;
  presence: Presence;
}

interface Message {
  name: string;
  fields: Field[];
  byNum: Map<number, Field>;
}

const SCALARS = new Set<string>(['s', 'b', 'i32', 'i64', 'y']);
const SPECIAL = new Set<string>(['Time', 'MicroTime', 'Quantity', 'IntOrString', 'RawExtension', 'FieldsV1', 'StringList']);

function parseField(spec: string, owner: string): Field {
  const [numStr, json, rawType] = spec.split(' ');
  let type = rawType;
  let presence: Presence | undefined;
  const flag = type.at(-1);
  if (flag === '!' || flag === '*' || flag === '^') type = type.slice(0, -1);
  const repeated = type.startsWith('[');
  const map = type.startsWith('{');
  if (repeated || map) type = type.slice(1, -1);
  const scalar = SCALARS.has(type);
  if (!scalar && !SPECIAL.has(type) && !Object.hasOwn(MESSAGES, type)) {
    throw new Error(`protobuf descriptor ${owner}.${json}: unknown type ${type}`);
  }
  if (flag === '^') presence = 'inline';
  else if (flag === '*') presence = 'pointer';
  else if (flag === '!') presence = scalar ? 'keep' : 'value';
  else presence = scalar ? 'omitempty' : 'pointer';
  return { num: Number(numStr), json, type, scalar, repeated, map, presence };
}

const DESCRIPTORS: Map<string, Message> = new Map(
  Object.entries(MESSAGES).map(([name, specs]) => {
    const fields = specs.map((s) => parseField(s, name));
    return [name, { name, fields, byNum: new Map(fields.map((f) => [f.num, f])) }];
  }),
);

function descriptor(name: string): Message {
  const d = DESCRIPTORS.get(name);
  if (!d) throw new Error(`protobuf descriptor ${name} missing`);
  return d;
}

// ---------------------------------------------------------------------------
// Wire reader

/** A decoding failure; the message is what gogo-protobuf would say. */
class WireError extends Error {}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw new WireError('unexpected EOF');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    throw new WireError('proto: integer overflow');
  }

  /** A tag or a length: must fit in an int, as gogo requires. */
  smallVarint(): number {
    const v = this.varint();
    if (v > 0x7fffffffn) throw new WireError('proto: negative length found during unmarshaling');
    return Number(v);
  }

  bytes(): Buffer {
    const len = this.smallVarint();
    if (len > this.end - this.pos) throw new WireError('unexpected EOF');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === WIRE_VARINT) this.varint();
    else if (wireType === WIRE_BYTES) this.bytes();
    else if (wireType === WIRE_FIXED64 || wireType === WIRE_FIXED32) {
      const n = wireType === WIRE_FIXED64 ? 8 : 4;
      if (n > this.end - this.pos) throw new WireError('unexpected EOF');
      this.pos += n;
    } else throw new WireError(`proto: illegal wireType ${wireType}`);
  }
}

// ---------------------------------------------------------------------------
// Decoding

type Obj = Record<string, unknown>;

function goName(json: string): string {
  return json.charAt(0).toUpperCase() + json.slice(1);
}

function decodeScalar(type: string, r: Reader): unknown {
  switch (type) {
    case 's':
      return r.bytes().toString('utf8');
    case 'y':
      return r.bytes().toString('base64');
    case 'b':
      return r.varint() !== 0n;
    case 'i32':
      return Number(BigInt.asIntN(32, r.varint()));
    default:
      return Number(BigInt.asIntN(64, r.varint()));
  }
}

function isNumeric(type: string): boolean {
  return type === 'b' || type === 'i32' || type === 'i64';
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

function decodeMessageBytes(type: string, bytes: Buffer, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new WireError('proto: message nesting too deep');
  switch (type) {
    case 'Time':
      return decodeTime(bytes, false);
    case 'MicroTime':
      return decodeTime(bytes, true);
    case 'Quantity': {
      const s = readFields(bytes).get(1);
      return s === undefined || s.length === 0 ? '0' : s.toString('utf8');
    }
    case 'IntOrString':
      return decodeIntOrString(bytes);
    case 'RawExtension':
    case 'FieldsV1':
      return decodeRaw(bytes);
    case 'StringList':
      return decodeStringList(bytes);
    default: {
      const out: Obj = {};
      decodeInto(descriptor(type), new Reader(bytes), out, depth);
      return out;
    }
  }
}

/** The last occurrence of each field of a small fixed message (Time, Quantity, …), as raw bytes or varint. */
function readFields(bytes: Buffer): Map<number, Buffer> {
  const r = new Reader(bytes);
  const out = new Map<number, Buffer>();
  while (!r.done()) {
    const tag = r.smallVarint();
    const wt = tag & 7;
    const num = tag >>> 3;
    if (wt === WIRE_BYTES) out.set(num, r.bytes());
    else r.skip(wt);
  }
  return out;
}

function readVarints(bytes: Buffer): Map<number, bigint> {
  const r = new Reader(bytes);
  const out = new Map<number, bigint>();
  while (!r.done()) {
    const tag = r.smallVarint();
    const wt = tag & 7;
    if (wt === WIRE_VARINT) out.set(tag >>> 3, r.varint());
    else r.skip(wt);
  }
  return out;
}

// metav1.Time 0001-01-01T00:00:00Z: Go's zero time, which JSON shows as null
const ZERO_TIME_SECONDS = -62135596800n;
const MAX_TIME_SECONDS = 253402300799n; // 9999-12-31T23:59:59Z

function decodeTime(bytes: Buffer, micro: boolean): string | null {
  if (bytes.length === 0) return null;
  const v = readVarints(bytes);
  const seconds = BigInt.asIntN(64, v.get(1) ?? 0n);
  // metav1.Time drops nanos on unmarshal; MicroTime keeps them
  const nanos = micro ? Number(BigInt.asIntN(32, v.get(2) ?? 0n)) : 0;
  if (seconds === ZERO_TIME_SECONDS && nanos === 0) return null;
  if (seconds < ZERO_TIME_SECONDS || seconds > MAX_TIME_SECONDS || nanos < 0 || nanos > 999_999_999) {
    throw new WireError('proto: timestamp out of range');
  }
  const iso = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return micro ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${iso}Z`;
}

function decodeIntOrString(bytes: Buffer): number | string {
  const r = new Reader(bytes);
  let type = 0n;
  let intVal = 0;
  let strVal = '';
  while (!r.done()) {
    const tag = r.smallVarint();
    const num = tag >>> 3;
    const wt = tag & 7;
    if (num === 1 && wt === WIRE_VARINT) type = r.varint();
    else if (num === 2 && wt === WIRE_VARINT) intVal = Number(BigInt.asIntN(32, r.varint()));
    else if (num === 3 && wt === WIRE_BYTES) strVal = r.bytes().toString('utf8');
    else r.skip(wt);
  }
  return type === 1n ? strVal : intVal;
}

function decodeRaw(bytes: Buffer): unknown {
  const raw = readFields(bytes).get(1);
  if (raw === undefined || raw.length === 0) return null;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new WireError('embedded raw object is not JSON');
  }
}

function decodeStringList(bytes: Buffer): string[] {
  const r = new Reader(bytes);
  const out: string[] = [];
  while (!r.done()) {
    const tag = r.smallVarint();
    if (tag >>> 3 === 1 && (tag & 7) === WIRE_BYTES) out.push(r.bytes().toString('utf8'));
    else r.skip(tag & 7);
  }
  return out;
}

function decodeMapEntry(field: Field, bytes: Buffer, depth: number): [string, unknown] {
  const r = new Reader(bytes);
  let key = '';
  let value: unknown;
  while (!r.done()) {
    const tag = r.smallVarint();
    const num = tag >>> 3;
    const wt = tag & 7;
    if (num === 1) {
      if (wt !== WIRE_BYTES) throw new WireError(`proto: wrong wireType = ${wt} for field ${goName(field.json)}`);
      key = r.bytes().toString('utf8');
    } else if (num === 2) {
      if (field.scalar) {
        const want = isNumeric(field.type) ? WIRE_VARINT : WIRE_BYTES;
        if (wt !== want) throw new WireError(`proto: wrong wireType = ${wt} for field ${goName(field.json)}`);
        value = decodeScalar(field.type, r);
      } else {
        if (wt !== WIRE_BYTES) throw new WireError(`proto: wrong wireType = ${wt} for field ${goName(field.json)}`);
        value = decodeMessageBytes(field.type, r.bytes(), depth + 1);
      }
    } else r.skip(wt);
  }
  if (value === undefined) {
    value = field.scalar ? zeroScalar(field.type) : decodeMessageBytes(field.type, Buffer.alloc(0), depth + 1);
  }
  return [key, value];
}

function zeroScalar(type: string): unknown {
  if (type === 's' || type === 'y') return '';
  if (type === 'b') return false;
  return 0;
}

/** Decodes a message's fields from `r` into `out` (which inlined sub-messages share). */
function decodeInto(desc: Message, r: Reader, out: Obj, depth: number): void {
  while (!r.done()) {
    const tag = r.smallVarint();
    const num = tag >>> 3;
    const wt = tag & 7;
    if (num === 0) throw new WireError(`proto: ${desc.name}: illegal tag 0 (wire type ${wt})`);
    const field = desc.byNum.get(num);
    if (!field) {
      r.skip(wt);
      continue;
    }
    decodeField(field, wt, r, out, depth);
  }
}

function decodeField(field: Field, wt: number, r: Reader, out: Obj, depth: number): void {
  const wrongWire = (): WireError => new WireError(`proto: wrong wireType = ${wt} for field ${goName(field.json)}`);
  if (field.map) {
    if (wt !== WIRE_BYTES) throw wrongWire();
    const [k, v] = decodeMapEntry(field, r.bytes(), depth);
    const m = (out[field.json] ??= {}) as Obj;
    m[k] = v;
    return;
  }
  if (field.scalar) {
    const numeric = isNumeric(field.type);
    if (field.repeated && numeric && wt === WIRE_BYTES) {
      // packed encoding: accepted like gogo does, though k8s itself never writes it
      const sub = new Reader(r.bytes());
      const list = (out[field.json] ??= []) as unknown[];
      while (!sub.done()) list.push(decodeScalar(field.type, sub));
      return;
    }
    if (wt !== (numeric ? WIRE_VARINT : WIRE_BYTES)) throw wrongWire();
    const v = decodeScalar(field.type, r);
    if (field.repeated) ((out[field.json] ??= []) as unknown[]).push(v);
    else if (field.presence === 'omitempty' && isZero(v)) delete out[field.json];
    else out[field.json] = v;
    return;
  }
  if (wt !== WIRE_BYTES) throw wrongWire();
  const bytes = r.bytes();
  if (field.presence === 'inline') {
    if (depth + 1 > MAX_DEPTH) throw new WireError('proto: message nesting too deep');
    decodeInto(descriptor(field.type), new Reader(bytes), out, depth + 1);
    return;
  }
  const v = decodeMessageBytes(field.type, bytes, depth + 1);
  if (field.repeated) ((out[field.json] ??= []) as unknown[]).push(v);
  else out[field.json] = v;
}

// ---------------------------------------------------------------------------
// The runtime.Unknown envelope

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Buffer;
}

function readEnvelope(body: Buffer): Envelope {
  const r = new Reader(body, MAGIC.length);
  let apiVersion = '';
  let kind = '';
  let raw: Buffer = Buffer.alloc(0);
  while (!r.done()) {
    const tag = r.smallVarint();
    const num = tag >>> 3;
    const wt = tag & 7;
    if ((num === 1 || num === 2) && wt !== WIRE_BYTES) {
      throw new WireError(`proto: wrong wireType = ${wt} for field ${num === 1 ? 'TypeMeta' : 'Raw'}`);
    }
    if (num === 1) {
      const tm = readFields(r.bytes());
      apiVersion = tm.get(1)?.toString('utf8') ?? '';
      kind = tm.get(2)?.toString('utf8') ?? '';
    } else if (num === 2) raw = r.bytes();
    else r.skip(wt);
  }
  return { apiVersion, kind, raw };
}

function unsupportedKind(): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, ${PROTOBUF_CONTENT_TYPE}`,
  );
}

/**
 * Decodes a Kubernetes protobuf request body into the object's JSON form.
 * Throws ApiError 415 for a kind without a descriptor, 400 for bytes that
 * are not a well-formed message.
 */
export function decodeK8sProtobuf(body: Buffer): KObject {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw badRequest(
      `provided data does not appear to be a protobuf message, expected prefix [${[...MAGIC].join(' ')}]`,
    );
  }
  let env: Envelope;
  try {
    env = readEnvelope(body);
  } catch (e) {
    throw asBadRequest(e, undefined);
  }
  const message = messageForKind(env.apiVersion, env.kind);
  if (!message) throw unsupportedKind();
  const out: Obj = { apiVersion: env.apiVersion, kind: env.kind };
  try {
    decodeInto(descriptor(message), new Reader(env.raw), out, 0);
  } catch (e) {
    throw asBadRequest(e, env);
  }
  return out as KObject;
}

function asBadRequest(e: unknown, env: Envelope | undefined): unknown {
  if (!(e instanceof WireError)) return e;
  if (!env) return badRequest(`the object provided is unrecognized: ${e.message}`);
  const version = env.apiVersion.slice(env.apiVersion.lastIndexOf('/') + 1);
  return badRequest(`${env.kind} in version "${version}" cannot be handled as a ${env.kind}: ${e.message}`);
}

// ---------------------------------------------------------------------------
// Encoding (the inverse, written the way gogo-protobuf writes it: fields in
// number order, value fields always, map keys sorted)

class EncodeError extends Error {}

function varintBytes(v: bigint): number[] {
  let u = BigInt.asUintN(64, v);
  const out: number[] = [];
  while (u >= 0x80n) {
    out.push(Number(u & 0x7fn) | 0x80);
    u >>= 7n;
  }
  out.push(Number(u));
  return out;
}

function tagBytes(num: number, wt: number): number[] {
  return varintBytes(BigInt((num << 3) | wt));
}

function lenDelimited(num: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(tagBytes(num, WIRE_BYTES)), Buffer.from(varintBytes(BigInt(payload.length))), payload]);
}

function fail(path: string, want: string): never {
  throw new EncodeError(`${path}: expected ${want}`);
}

function encodeScalar(num: number, type: string, v: unknown, path: string): Buffer {
  switch (type) {
    case 's':
      if (typeof v !== 'string') fail(path, 'string');
      return lenDelimited(num, Buffer.from(v, 'utf8'));
    case 'y':
      if (typeof v !== 'string') fail(path, 'base64 string');
      return lenDelimited(num, Buffer.from(v, 'base64'));
    case 'b':
      if (typeof v !== 'boolean') fail(path, 'boolean');
      return Buffer.from([...tagBytes(num, WIRE_VARINT), v ? 1 : 0]);
    default: {
      if (typeof v !== 'number' || !Number.isInteger(v)) fail(path, 'integer');
      if (type === 'i32' && (v < -0x80000000 || v > 0x7fffffff)) fail(path, 'int32');
      // negative ints go out sign-extended to 64 bits, as Go writes them
      return Buffer.from([...tagBytes(num, WIRE_VARINT), ...varintBytes(BigInt(v))]);
    }
  }
}

function encodeTimeBody(v: unknown, micro: boolean, path: string): Buffer {
  if (v === null || v === undefined) return Buffer.alloc(0);
  if (typeof v !== 'string') fail(path, 'RFC3339 time string');
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) fail(path, 'RFC3339 time string');
  const seconds = BigInt(Math.floor(ms / 1000));
  let nanos = 0;
  if (micro) {
    const frac = /\.(\d+)/.exec(v);
    nanos = frac ? Number(frac[1].slice(0, 9).padEnd(9, '0')) : 0;
    nanos = Math.floor(nanos / 1000) * 1000;
  }
  return Buffer.from([...tagBytes(1, WIRE_VARINT), ...varintBytes(seconds), ...tagBytes(2, WIRE_VARINT), ...varintBytes(BigInt(nanos))]);
}

function encodeMessageBody(type: string, v: unknown, path: string, depth: number): Buffer {
  if (depth > MAX_DEPTH) throw new EncodeError(`${path}: nesting too deep`);
  switch (type) {
    case 'Time':
      return encodeTimeBody(v, false, path);
    case 'MicroTime':
      return encodeTimeBody(v, true, path);
    case 'Quantity': {
      const q = v === undefined || v === null ? '0' : typeof v === 'number' ? String(v) : v;
      if (typeof q !== 'string') fail(path, 'quantity');
      return lenDelimited(1, Buffer.from(q, 'utf8'));
    }
    case 'IntOrString': {
      const isStr = typeof v === 'string';
      const n = v === undefined || v === null ? 0 : v;
      if (!isStr && (typeof n !== 'number' || !Number.isInteger(n))) fail(path, 'integer or string');
      return Buffer.concat([
        encodeScalar(1, 'i64', isStr ? 1 : 0, path),
        encodeScalar(2, 'i32', isStr ? 0 : n, path),
        encodeScalar(3, 's', isStr ? v : '', path),
      ]);
    }
    case 'RawExtension':
    case 'FieldsV1':
      return v === undefined || v === null ? Buffer.alloc(0) : lenDelimited(1, Buffer.from(JSON.stringify(v), 'utf8'));
    case 'StringList': {
      if (v === null || v === undefined) return Buffer.alloc(0);
      if (!Array.isArray(v)) fail(path, 'array of strings');
      return Buffer.concat(v.map((s, i) => encodeScalar(1, 's', s, `${path}[${i}]`)));
    }
    default: {
      const obj = v === undefined || v === null ? {} : v;
      if (typeof obj !== 'object' || Array.isArray(obj)) fail(path, 'object');
      return encodeFields(descriptor(type), obj as Obj, path, depth);
    }
  }
}

function encodeFields(desc: Message, obj: Obj, path: string, depth: number): Buffer {
  const parts: Buffer[] = [];
  const fields = [...desc.fields].sort((a, b) => a.num - b.num);
  for (const f of fields) {
    const p = `${path}.${f.json}`;
    if (f.presence === 'inline') {
      parts.push(lenDelimited(f.num, encodeFields(descriptor(f.type), obj, path, depth + 1)));
      continue;
    }
    const v = obj[f.json];
    if (f.map) {
      if (v === undefined || v === null) continue;
      if (typeof v !== 'object' || Array.isArray(v)) fail(p, 'object');
      for (const k of Object.keys(v).sort()) {
        const ev = (v as Obj)[k];
        const value = f.scalar ? encodeScalar(2, f.type, ev, `${p}.${k}`) : lenDelimited(2, encodeMessageBody(f.type, ev, `${p}.${k}`, depth + 1));
        parts.push(lenDelimited(f.num, Buffer.concat([encodeScalar(1, 's', k, p), value])));
      }
    } else if (f.repeated) {
      if (v === undefined || v === null) continue;
      if (!Array.isArray(v)) fail(p, 'array');
      v.forEach((e, i) => {
        parts.push(f.scalar ? encodeScalar(f.num, f.type, e, `${p}[${i}]`) : lenDelimited(f.num, encodeMessageBody(f.type, e, `${p}[${i}]`, depth + 1)));
      });
    } else if (f.scalar) {
      if (f.presence === 'pointer') {
        if (v !== undefined && v !== null) parts.push(encodeScalar(f.num, f.type, v, p));
      } else parts.push(encodeScalar(f.num, f.type, v ?? zeroScalar(f.type), p));
    } else if (f.presence === 'value' || (v !== undefined && v !== null)) {
      parts.push(lenDelimited(f.num, encodeMessageBody(f.type, v, p, depth + 1)));
    }
  }
  return Buffer.concat(parts);
}

/** Encodes a JSON object of a supported kind as a Kubernetes protobuf body (magic + runtime.Unknown). */
export function encodeK8sProtobuf(obj: KObject): Buffer {
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  const message = messageForKind(apiVersion, kind);
  if (!message) throw unsupportedKind();
  let raw: Buffer;
  try {
    raw = encodeFields(descriptor(message), obj as Obj, kind, 0);
  } catch (e) {
    if (e instanceof EncodeError) throw badRequest(`cannot encode ${kind} as protobuf: ${e.message}`);
    throw e;
  }
  const typeMeta = Buffer.concat([encodeScalar(1, 's', apiVersion, 'apiVersion'), encodeScalar(2, 's', kind, 'kind')]);
  return Buffer.concat([
    MAGIC,
    lenDelimited(1, typeMeta),
    lenDelimited(2, raw),
    encodeScalar(3, 's', '', 'contentEncoding'),
    encodeScalar(4, 's', '', 'contentType'),
  ]);
}
