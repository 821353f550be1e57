// The built-in resource types a Kubernetes 1.32 API server serves, with the
// discovery data (verbs, short names, categories) and OpenAPI schemas kubectl
// and client libraries see from a real server. Schemas model every field of
// the real types down to the level strict field validation inspects
// (metadata, spec, status, containers); deep corners nobody here reads are
// `x-kubernetes-preserve-unknown-fields` so legitimate manifests still pass.

import { clusterResourceTypes } from './builtins-cluster.ts';
import { scalingResourceTypes } from './builtins-scaling.ts';
import type { JSONSchemaProps, KObject, ResourceType } from './types.ts';

type S = JSONSchemaProps;

// ---------------------------------------------------------------------------
// OpenAPI definition names. Shared sub-schemas carry the name the real server
// publishes them under (io.k8s.api.core.v1.PodSpec …) so the OpenAPI document
// can hoist them into components and reference them with $ref. The name is a
// non-enumerable symbol property: invisible to JSON, spreads and clones.

const OPENAPI_NAME = Symbol('kubeherald.sim.openapiName');

function named<T extends S>(name: string, schema: T): T {
  Object.defineProperty(schema, OPENAPI_NAME, { value: name, enumerable: false });
  return schema;
}

/** The OpenAPI definition name a schema is published under, if it has one. */
export function openapiName(schema: S): string | undefined {
  return (schema as Record<symbol, unknown>)[OPENAPI_NAME] as string | undefined;
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const CORE = 'io.k8s.api.core.v1';

// ---------------------------------------------------------------------------
// Schema building blocks.

const string = (): S => ({ type: 'string' });
const bytes = (): S => ({ type: 'string', format: 'byte' });
const int32 = (): S => ({ type: 'integer', format: 'int32' });
const int64 = (): S => ({ type: 'integer', format: 'int64' });
const boolean = (): S => ({ type: 'boolean' });
const object = (properties: Record<string, S>, extra: S = {}): S => ({ type: 'object', properties, ...extra });
/** A corner of the API we do not model: anything goes below it. */
const opaque = (): S => ({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
const mapOf = (values: S): S => ({ type: 'object', additionalProperties: values });
const stringMap = (): S => mapOf(string());
const atomicMap = (): S => ({ ...stringMap(), 'x-kubernetes-map-type': 'atomic' });
const array = (items: S, extra: S = {}): S => ({ type: 'array', items, ...extra });
const atomic = (items: S): S => array(items, { 'x-kubernetes-list-type': 'atomic' });
const stringList = (): S => atomic(string());
const stringSet = (): S => array(string(), { 'x-kubernetes-list-type': 'set' });
/** A list merged by key under strategic merge patch and server-side apply. */
const mapList = (items: S, keys: string[], mergeKey: string | null = keys[0], strategy = 'merge'): S =>
  array(items, {
    'x-kubernetes-list-map-keys': keys,
    'x-kubernetes-list-type': 'map',
    ...(mergeKey ? { 'x-kubernetes-patch-merge-key': mergeKey, 'x-kubernetes-patch-strategy': strategy } : {}),
  });

const time = (): S => named(`${META}.Time`, { type: 'string', format: 'date-time' });
const microTime = (): S => named(`${META}.MicroTime`, { type: 'string', format: 'date-time' });
const intOrString = (): S =>
  named('io.k8s.apimachinery.pkg.util.intstr.IntOrString', {
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    'x-kubernetes-int-or-string': true,
  });
const quantity = (): S =>
  named('io.k8s.apimachinery.pkg.api.resource.Quantity', {
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    'x-kubernetes-int-or-string': true,
  });
const quantityMap = (): S => mapOf(quantity());
/** The named IntOrString and Quantity schemas, for kinds defined outside this file (builtins-cluster.ts). */
export const intOrStringSchema = intOrString;
export const quantitySchema = quantity;

const API_VERSION_DESC =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const KIND_DESC =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

export const typeMetaProperties = (): Record<string, S> => ({
  apiVersion: { type: 'string', description: API_VERSION_DESC },
  kind: { type: 'string', description: KIND_DESC },
});

export function ownerReferenceSchema(): S {
  return named(
    `${META}.OwnerReference`,
    object(
      { apiVersion: string(), blockOwnerDeletion: boolean(), controller: boolean(), kind: string(), name: string(), uid: string() },
      { required: ['apiVersion', 'kind', 'name', 'uid'], 'x-kubernetes-map-type': 'atomic' },
    ),
  );
}

export function objectMetaSchema(): S {
  return named(
    `${META}.ObjectMeta`,
    object({
      annotations: stringMap(),
      creationTimestamp: time(),
      deletionGracePeriodSeconds: int64(),
      deletionTimestamp: time(),
      finalizers: array(string(), { 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' }),
      generateName: string(),
      generation: int64(),
      labels: stringMap(),
      managedFields: atomic(
        named(
          `${META}.ManagedFieldsEntry`,
          object({
            apiVersion: string(),
            fieldsType: string(),
            fieldsV1: named(`${META}.FieldsV1`, opaque()),
            manager: string(),
            operation: string(),
            subresource: string(),
            time: time(),
          }),
        ),
      ),
      name: string(),
      namespace: string(),
      ownerReferences: mapList(ownerReferenceSchema(), ['uid']),
      resourceVersion: string(),
      selfLink: string(),
      uid: string(),
    }, { description: 'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.' }),
  );
}

export function listMetaSchema(): S {
  return named(
    `${META}.ListMeta`,
    object({ continue: string(), remainingItemCount: int64(), resourceVersion: string(), selfLink: string() }),
  );
}

export function labelSelectorSchema(): S {
  return named(
    `${META}.LabelSelector`,
    object(
      {
        matchExpressions: atomic(
          named(
            `${META}.LabelSelectorRequirement`,
            object({ key: string(), operator: string(), values: stringList() }, { required: ['key', 'operator'] }),
          ),
        ),
        matchLabels: stringMap(),
      },
      { 'x-kubernetes-map-type': 'atomic' },
    ),
  );
}

/** metav1.Condition, the standard condition type of newer APIs. */
export function conditionSchema(): S {
  return named(
    `${META}.Condition`,
    object(
      {
        lastTransitionTime: time(),
        message: string(),
        observedGeneration: int64(),
        reason: string(),
        status: string(),
        type: string(),
      },
      { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
    ),
  );
}

/** The per-API condition types (PodCondition, DeploymentCondition …) differ only in their time fields. */
function typedCondition(name: string, times: string[], required = ['type', 'status']): S {
  const props: Record<string, S> = { message: string(), reason: string(), status: string(), type: string() };
  for (const t of times) props[t] = time();
  return named(name, object(props, { required }));
}

const conditions = (item: S): S => mapList(item, ['type']);

function objectReference(): S {
  return named(
    `${CORE}.ObjectReference`,
    object(
      {
        apiVersion: string(),
        fieldPath: string(),
        kind: string(),
        name: string(),
        namespace: string(),
        resourceVersion: string(),
        uid: string(),
      },
      { 'x-kubernetes-map-type': 'atomic' },
    ),
  );
}

function localObjectReference(): S {
  return named(`${CORE}.LocalObjectReference`, object({ name: string() }, { 'x-kubernetes-map-type': 'atomic' }));
}

/** A top-level kind: TypeMeta + ObjectMeta + its own fields, tagged with its GVK. */
function kindSchema(
  name: string,
  group: string,
  version: string,
  kind: string,
  description: string,
  properties: Record<string, S>,
  required?: string[],
): S {
  return named(name, {
    description,
    type: 'object',
    properties: { ...typeMetaProperties(), metadata: objectMetaSchema(), ...properties },
    ...(required ? { required } : {}),
    'x-kubernetes-group-version-kind': [{ group, kind, version }],
  });
}

// ---------------------------------------------------------------------------
// core/v1 Pod and friends.

function resourceRequirements(): S {
  return named(
    `${CORE}.ResourceRequirements`,
    object({
      claims: mapList(object({ name: string(), request: string() }, { required: ['name'] }), ['name'], null),
      limits: quantityMap(),
      requests: quantityMap(),
    }),
  );
}

function probe(): S {
  // Handlers are modelled opaquely; the numbers are the part users edit.
  return named(
    `${CORE}.Probe`,
    object({
      exec: opaque(),
      failureThreshold: int32(),
      grpc: opaque(),
      httpGet: opaque(),
      initialDelaySeconds: int32(),
      periodSeconds: int32(),
      successThreshold: int32(),
      tcpSocket: opaque(),
      terminationGracePeriodSeconds: int64(),
      timeoutSeconds: int32(),
    }),
  );
}

function containerProperties(): Record<string, S> {
  return {
    args: stringList(),
    command: stringList(),
    env: mapList(
      named(
        `${CORE}.EnvVar`,
        object(
          {
            name: string(),
            value: string(),
            valueFrom: object({ configMapKeyRef: opaque(), fieldRef: opaque(), resourceFieldRef: opaque(), secretKeyRef: opaque() }),
          },
          { required: ['name'] },
        ),
      ),
      ['name'],
    ),
    envFrom: atomic(object({ configMapRef: opaque(), prefix: string(), secretRef: opaque() })),
    image: string(),
    imagePullPolicy: string(),
    lifecycle: opaque(),
    livenessProbe: probe(),
    name: string(),
    ports: mapList(
      named(
        `${CORE}.ContainerPort`,
        object(
          { containerPort: int32(), hostIP: string(), hostPort: int32(), name: string(), protocol: string() },
          { required: ['containerPort'] },
        ),
      ),
      ['containerPort', 'protocol'],
    ),
    readinessProbe: probe(),
    resizePolicy: atomic(object({ resourceName: string(), restartPolicy: string() }, { required: ['resourceName', 'restartPolicy'] })),
    resources: resourceRequirements(),
    restartPolicy: string(),
    securityContext: opaque(),
    startupProbe: probe(),
    stdin: boolean(),
    stdinOnce: boolean(),
    terminationMessagePath: string(),
    terminationMessagePolicy: string(),
    tty: boolean(),
    volumeDevices: mapList(object({ devicePath: string(), name: string() }, { required: ['name', 'devicePath'] }), ['devicePath']),
    volumeMounts: mapList(
      named(
        `${CORE}.VolumeMount`,
        object(
          {
            mountPath: string(),
            mountPropagation: string(),
            name: string(),
            readOnly: boolean(),
            recursiveReadOnly: string(),
            subPath: string(),
            subPathExpr: string(),
          },
          { required: ['name', 'mountPath'] },
        ),
      ),
      ['mountPath'],
    ),
    workingDir: string(),
  };
}

function container(): S {
  return named(`${CORE}.Container`, object(containerProperties(), { required: ['name'] }));
}

const VOLUME_SOURCES = [
  'awsElasticBlockStore', 'azureDisk', 'azureFile', 'cephfs', 'cinder', 'configMap', 'csi', 'downwardAPI',
  'emptyDir', 'ephemeral', 'fc', 'flexVolume', 'flocker', 'gcePersistentDisk', 'gitRepo', 'glusterfs',
  'hostPath', 'image', 'iscsi', 'nfs', 'persistentVolumeClaim', 'photonPersistentDisk', 'portworxVolume',
  'projected', 'quobyte', 'rbd', 'scaleIO', 'secret', 'storageos', 'vsphereVolume',
];

function volume(): S {
  const props: Record<string, S> = { name: string() };
  for (const source of VOLUME_SOURCES) props[source] = opaque();
  return named(`${CORE}.Volume`, object(props, { required: ['name'] }));
}

export function podSpecSchema(): S {
  return named(
    `${CORE}.PodSpec`,
    object(
      {
        activeDeadlineSeconds: int64(),
        affinity: opaque(),
        automountServiceAccountToken: boolean(),
        containers: mapList(container(), ['name']),
        dnsConfig: opaque(),
        dnsPolicy: string(),
        enableServiceLinks: boolean(),
        ephemeralContainers: mapList(
          named(`${CORE}.EphemeralContainer`, object({ ...containerProperties(), targetContainerName: string() }, { required: ['name'] })),
          ['name'],
        ),
        hostAliases: mapList(object({ hostnames: stringList(), ip: string() }, { required: ['ip'] }), ['ip']),
        hostIPC: boolean(),
        hostNetwork: boolean(),
        hostPID: boolean(),
        hostUsers: boolean(),
        hostname: string(),
        imagePullSecrets: mapList(localObjectReference(), ['name']),
        initContainers: mapList(container(), ['name']),
        nodeName: string(),
        nodeSelector: atomicMap(),
        os: object({ name: string() }, { required: ['name'] }),
        overhead: quantityMap(),
        preemptionPolicy: string(),
        priority: int32(),
        priorityClassName: string(),
        readinessGates: atomic(object({ conditionType: string() }, { required: ['conditionType'] })),
        resourceClaims: mapList(
          object({ name: string(), resourceClaimName: string(), resourceClaimTemplateName: string() }, { required: ['name'] }),
          ['name'],
          'name',
          'merge,retainKeys',
        ),
        resources: resourceRequirements(),
        restartPolicy: string(),
        runtimeClassName: string(),
        schedulerName: string(),
        schedulingGates: mapList(object({ name: string() }, { required: ['name'] }), ['name']),
        securityContext: opaque(),
        serviceAccount: string(),
        serviceAccountName: string(),
        setHostnameAsFQDN: boolean(),
        shareProcessNamespace: boolean(),
        subdomain: string(),
        terminationGracePeriodSeconds: int64(),
        tolerations: atomic(
          named(
            `${CORE}.Toleration`,
            object({ effect: string(), key: string(), operator: string(), tolerationSeconds: int64(), value: string() }),
          ),
        ),
        topologySpreadConstraints: mapList(
          object(
            {
              labelSelector: labelSelectorSchema(),
              matchLabelKeys: stringList(),
              maxSkew: int32(),
              minDomains: int32(),
              nodeAffinityPolicy: string(),
              nodeTaintsPolicy: string(),
              topologyKey: string(),
              whenUnsatisfiable: string(),
            },
            { required: ['maxSkew', 'topologyKey', 'whenUnsatisfiable'] },
          ),
          ['topologyKey', 'whenUnsatisfiable'],
          'topologyKey',
        ),
        volumes: mapList(volume(), ['name'], 'name', 'merge,retainKeys'),
      },
      { required: ['containers'] },
    ),
  );
}

function containerState(): S {
  return named(
    `${CORE}.ContainerState`,
    object({
      running: object({ startedAt: time() }),
      terminated: object(
        {
          containerID: string(),
          exitCode: int32(),
          finishedAt: time(),
          message: string(),
          reason: string(),
          signal: int32(),
          startedAt: time(),
        },
        { required: ['exitCode'] },
      ),
      waiting: object({ message: string(), reason: string() }),
    }),
  );
}

function containerStatus(): S {
  return named(
    `${CORE}.ContainerStatus`,
    object(
      {
        allocatedResources: quantityMap(),
        allocatedResourcesStatus: mapList(opaque(), ['name'], null),
        containerID: string(),
        image: string(),
        imageID: string(),
        lastState: containerState(),
        name: string(),
        ready: boolean(),
        resources: resourceRequirements(),
        restartCount: int32(),
        started: boolean(),
        state: containerState(),
        user: opaque(),
        volumeMounts: mapList(
          object(
            { mountPath: string(), name: string(), readOnly: boolean(), recursiveReadOnly: string() },
            { required: ['name', 'mountPath'] },
          ),
          ['mountPath'],
        ),
      },
      { required: ['name', 'ready', 'restartCount', 'image', 'imageID'] },
    ),
  );
}

function podStatus(): S {
  const ip = (name: string): S => named(name, object({ ip: string() }, { required: ['ip'] }));
  return named(
    `${CORE}.PodStatus`,
    object({
      conditions: conditions(typedCondition(`${CORE}.PodCondition`, ['lastProbeTime', 'lastTransitionTime'])),
      containerStatuses: atomic(containerStatus()),
      ephemeralContainerStatuses: atomic(containerStatus()),
      hostIP: string(),
      hostIPs: array(ip(`${CORE}.HostIP`), {
        'x-kubernetes-list-type': 'atomic',
        'x-kubernetes-patch-merge-key': 'ip',
        'x-kubernetes-patch-strategy': 'merge',
      }),
      initContainerStatuses: atomic(containerStatus()),
      message: string(),
      nominatedNodeName: string(),
      phase: string(),
      podIP: string(),
      podIPs: mapList(ip(`${CORE}.PodIP`), ['ip']),
      qosClass: string(),
      reason: string(),
      resize: string(),
      resourceClaimStatuses: mapList(object({ name: string(), resourceClaimName: string() }, { required: ['name'] }), ['name']),
      startTime: time(),
    }),
  );
}

export function podTemplateSpecSchema(): S {
  return named(`${CORE}.PodTemplateSpec`, object({ metadata: objectMetaSchema(), spec: podSpecSchema() }));
}

function podSchema(): S {
  return kindSchema(
    `${CORE}.Pod`,
    '',
    'v1',
    'Pod',
    'Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.',
    { spec: podSpecSchema(), status: podStatus() },
  );
}

function nodeSchema(): S {
  const spec = named(
    `${CORE}.NodeSpec`,
    object({
      configSource: opaque(),
      externalID: string(),
      podCIDR: string(),
      podCIDRs: array(string(), { 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' }),
      providerID: string(),
      taints: atomic(
        named(
          `${CORE}.Taint`,
          object({ effect: string(), key: string(), timeAdded: time(), value: string() }, { required: ['key', 'effect'] }),
        ),
      ),
      unschedulable: boolean(),
    }),
  );
  const status = named(
    `${CORE}.NodeStatus`,
    object({
      addresses: mapList(
        named(`${CORE}.NodeAddress`, object({ address: string(), type: string() }, { required: ['type', 'address'] })),
        ['type'],
      ),
      allocatable: quantityMap(),
      capacity: quantityMap(),
      conditions: conditions(typedCondition(`${CORE}.NodeCondition`, ['lastHeartbeatTime', 'lastTransitionTime'])),
      config: opaque(),
      daemonEndpoints: object({ kubeletEndpoint: object({ Port: int32() }, { required: ['Port'] }) }),
      features: object({ supplementalGroupsPolicy: boolean() }),
      images: atomic(object({ names: stringList(), sizeBytes: int64() })),
      nodeInfo: named(
        `${CORE}.NodeSystemInfo`,
        object(
          {
            architecture: string(),
            bootID: string(),
            containerRuntimeVersion: string(),
            kernelVersion: string(),
            kubeProxyVersion: string(),
            kubeletVersion: string(),
            machineID: string(),
            operatingSystem: string(),
            osImage: string(),
            systemUUID: string(),
          },
          {
            required: [
              'machineID', 'systemUUID', 'bootID', 'kernelVersion', 'osImage', 'containerRuntimeVersion',
              'kubeletVersion', 'kubeProxyVersion', 'operatingSystem', 'architecture',
            ],
          },
        ),
      ),
      phase: string(),
      runtimeHandlers: atomic(object({ features: object({ recursiveReadOnlyMounts: boolean(), userNamespaces: boolean() }), name: string() })),
      volumesAttached: atomic(object({ devicePath: string(), name: string() }, { required: ['name', 'devicePath'] })),
      volumesInUse: stringList(),
    }),
  );
  return kindSchema(
    `${CORE}.Node`,
    '',
    'v1',
    'Node',
    'Node is a worker node in Kubernetes. Each node will have a unique identifier in the cache (i.e. in etcd).',
    { spec, status },
  );
}

function namespaceSchema(): S {
  return kindSchema(
    `${CORE}.Namespace`,
    '',
    'v1',
    'Namespace',
    'Namespace provides a scope for Names. Use of multiple namespaces is optional.',
    {
      spec: named(`${CORE}.NamespaceSpec`, object({ finalizers: stringList() })),
      status: named(
        `${CORE}.NamespaceStatus`,
        object({
          conditions: conditions(typedCondition(`${CORE}.NamespaceCondition`, ['lastTransitionTime'])),
          phase: string(),
        }),
      ),
    },
  );
}

function eventSeries(name: string): S {
  return named(name, object({ count: int32(), lastObservedTime: microTime() }));
}

function coreEventSchema(): S {
  return kindSchema(
    `${CORE}.Event`,
    '',
    'v1',
    'Event',
    'Event is a report of an event somewhere in the cluster.  Events have a limited retention time and triggers and messages may evolve with time.  Event consumers should not rely on the timing of an event with a given Reason reflecting a consistent underlying trigger, or the continued existence of events with that Reason.  Events should be treated as informative, best-effort, supplemental data.',
    {
      action: string(),
      count: int32(),
      eventTime: microTime(),
      firstTimestamp: time(),
      involvedObject: objectReference(),
      lastTimestamp: time(),
      message: string(),
      reason: string(),
      related: objectReference(),
      reportingComponent: string(),
      reportingInstance: string(),
      series: eventSeries(`${CORE}.EventSeries`),
      source: named(`${CORE}.EventSource`, object({ component: string(), host: string() })),
      type: string(),
    },
    ['metadata', 'involvedObject'],
  );
}

function eventsV1EventSchema(): S {
  return kindSchema(
    'io.k8s.api.events.v1.Event',
    'events.k8s.io',
    'v1',
    'Event',
    'Event is a report of an event somewhere in the cluster. It generally denotes some state change in the system. Events have a limited retention time and triggers and messages may evolve with time.  Event consumers should not rely on the timing of an event with a given Reason reflecting a consistent underlying trigger, or the continued existence of events with that Reason.  Events should be treated as informative, best-effort, supplemental data.',
    {
      action: string(),
      deprecatedCount: int32(),
      deprecatedFirstTimestamp: time(),
      deprecatedLastTimestamp: time(),
      deprecatedSource: named(`${CORE}.EventSource`, object({ component: string(), host: string() })),
      eventTime: microTime(),
      note: string(),
      reason: string(),
      regarding: objectReference(),
      related: objectReference(),
      reportingController: string(),
      reportingInstance: string(),
      series: eventSeries('io.k8s.api.events.v1.EventSeries'),
      type: string(),
    },
    ['eventTime'],
  );
}

function serviceSchema(): S {
  const port = named(
    `${CORE}.ServicePort`,
    object(
      {
        appProtocol: string(),
        name: string(),
        nodePort: int32(),
        port: int32(),
        protocol: string(),
        targetPort: intOrString(),
      },
      { required: ['port'] },
    ),
  );
  const spec = named(
    `${CORE}.ServiceSpec`,
    object({
      allocateLoadBalancerNodePorts: boolean(),
      clusterIP: string(),
      clusterIPs: stringList(),
      externalIPs: stringList(),
      externalName: string(),
      externalTrafficPolicy: string(),
      healthCheckNodePort: int32(),
      internalTrafficPolicy: string(),
      ipFamilies: stringList(),
      ipFamilyPolicy: string(),
      loadBalancerClass: string(),
      loadBalancerIP: string(),
      loadBalancerSourceRanges: stringList(),
      ports: mapList(port, ['port', 'protocol']),
      publishNotReadyAddresses: boolean(),
      selector: atomicMap(),
      sessionAffinity: string(),
      sessionAffinityConfig: opaque(),
      trafficDistribution: string(),
      type: string(),
    }),
  );
  const status = named(
    `${CORE}.ServiceStatus`,
    object({
      conditions: conditions(conditionSchema()),
      loadBalancer: object({
        ingress: atomic(
          object({
            hostname: string(),
            ip: string(),
            ipMode: string(),
            ports: atomic(object({ error: string(), port: int32(), protocol: string() }, { required: ['port', 'protocol'] })),
          }),
        ),
      }),
    }),
  );
  return kindSchema(
    `${CORE}.Service`,
    '',
    'v1',
    'Service',
    'Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.',
    { spec, status },
  );
}

function endpointsSchema(): S {
  const address = named(
    `${CORE}.EndpointAddress`,
    object(
      { hostname: string(), ip: string(), nodeName: string(), targetRef: objectReference() },
      { required: ['ip'], 'x-kubernetes-map-type': 'atomic' },
    ),
  );
  const port = named(
    'io.k8s.api.core.v1.EndpointPort',
    object(
      { appProtocol: string(), name: string(), port: int32(), protocol: string() },
      { required: ['port'], 'x-kubernetes-map-type': 'atomic' },
    ),
  );
  const subset = named(
    `${CORE}.EndpointSubset`,
    object({ addresses: atomic(address), notReadyAddresses: atomic(address), ports: atomic(port) }),
  );
  return kindSchema(
    `${CORE}.Endpoints`,
    '',
    'v1',
    'Endpoints',
    'Endpoints is a collection of endpoints that implement the actual service.',
    { subsets: atomic(subset) },
  );
}

function configMapSchema(): S {
  return kindSchema(
    `${CORE}.ConfigMap`,
    '',
    'v1',
    'ConfigMap',
    'ConfigMap holds configuration data for pods to consume.',
    { binaryData: mapOf(bytes()), data: stringMap(), immutable: boolean() },
  );
}

function secretSchema(): S {
  return kindSchema(
    `${CORE}.Secret`,
    '',
    'v1',
    'Secret',
    'Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes.',
    { data: mapOf(bytes()), immutable: boolean(), stringData: stringMap(), type: string() },
  );
}

function serviceAccountSchema(): S {
  return kindSchema(
    `${CORE}.ServiceAccount`,
    '',
    'v1',
    'ServiceAccount',
    'ServiceAccount binds together: * a name, understood by users, and perhaps by peripheral systems, for an identity * a principal that can be authenticated and authorized * a set of secrets',
    {
      automountServiceAccountToken: boolean(),
      imagePullSecrets: atomic(localObjectReference()),
      secrets: mapList(objectReference(), ['name']),
    },
  );
}

// ---------------------------------------------------------------------------
// Storage: PersistentVolumeClaims and the PersistentVolumes they bind to
// (the simulator's binding controller makes one up per claim).

const accessModes = (): S => stringList();

function persistentVolumeClaimSchema(): S {
  const typedRef = (name: string): S =>
    named(name, object({ apiGroup: string(), kind: string(), name: string(), namespace: string() }, { required: ['kind', 'name'] }));
  return kindSchema(
    `${CORE}.PersistentVolumeClaim`,
    '',
    'v1',
    'PersistentVolumeClaim',
    "PersistentVolumeClaim is a user's request for and claim to a persistent volume",
    {
      spec: named(
        `${CORE}.PersistentVolumeClaimSpec`,
        object({
          accessModes: accessModes(),
          dataSource: typedRef(`${CORE}.TypedLocalObjectReference`),
          dataSourceRef: typedRef(`${CORE}.TypedObjectReference`),
          resources: named(`${CORE}.VolumeResourceRequirements`, object({ limits: quantityMap(), requests: quantityMap() })),
          selector: labelSelectorSchema(),
          storageClassName: string(),
          volumeAttributesClassName: string(),
          volumeMode: string(),
          volumeName: string(),
        }),
      ),
      status: named(
        `${CORE}.PersistentVolumeClaimStatus`,
        object({
          accessModes: accessModes(),
          allocatedResourceStatuses: { ...stringMap(), 'x-kubernetes-map-type': 'granular' },
          allocatedResources: quantityMap(),
          capacity: quantityMap(),
          conditions: conditions(typedCondition(`${CORE}.PersistentVolumeClaimCondition`, ['lastProbeTime', 'lastTransitionTime'])),
          currentVolumeAttributesClassName: string(),
          modifyVolumeStatus: opaque(),
          phase: string(),
        }),
      ),
    },
  );
}

function persistentVolumeSchema(): S {
  // The volume sources are many and driver-specific; the common ones are
  // typed, the rest kept opaque so a real manifest still passes validation.
  const sources: Record<string, S> = {};
  for (const k of [
    'awsElasticBlockStore', 'azureDisk', 'azureFile', 'cephfs', 'cinder', 'csi', 'fc', 'flexVolume', 'flocker',
    'gcePersistentDisk', 'glusterfs', 'iscsi', 'nfs', 'photonPersistentDisk', 'portworxVolume', 'quobyte', 'rbd',
    'scaleIO', 'storageos', 'vsphereVolume', 'nodeAffinity',
  ]) sources[k] = opaque();
  return kindSchema(
    `${CORE}.PersistentVolume`,
    '',
    'v1',
    'PersistentVolume',
    'PersistentVolume (PV) is a storage resource provisioned by an administrator. It is analogous to a node. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes',
    {
      spec: named(
        `${CORE}.PersistentVolumeSpec`,
        object({
          ...sources,
          accessModes: accessModes(),
          capacity: quantityMap(),
          claimRef: objectReference(),
          hostPath: named(`${CORE}.HostPathVolumeSource`, object({ path: string(), type: string() }, { required: ['path'] })),
          local: named(`${CORE}.LocalVolumeSource`, object({ fsType: string(), path: string() }, { required: ['path'] })),
          mountOptions: stringList(),
          persistentVolumeReclaimPolicy: string(),
          storageClassName: string(),
          volumeAttributesClassName: string(),
          volumeMode: string(),
        }),
      ),
      status: named(
        `${CORE}.PersistentVolumeStatus`,
        object({ lastPhaseTransitionTime: time(), message: string(), phase: string(), reason: string() }),
      ),
    },
  );
}

// ---------------------------------------------------------------------------
// networking.k8s.io/v1 NetworkPolicy (stored and served; the simulator has no
// network to enforce it on).

const NETWORKING = 'io.k8s.api.networking.v1';

function networkPolicySchema(): S {
  const peer = named(
    `${NETWORKING}.NetworkPolicyPeer`,
    object({
      ipBlock: named(`${NETWORKING}.IPBlock`, object({ cidr: string(), except: stringList() }, { required: ['cidr'] })),
      namespaceSelector: labelSelectorSchema(),
      podSelector: labelSelectorSchema(),
    }),
  );
  const port = named(
    `${NETWORKING}.NetworkPolicyPort`,
    object({ endPort: int32(), port: intOrString(), protocol: string() }),
  );
  const rule = (name: string, peers: string): S =>
    named(`${NETWORKING}.${name}`, object({ [peers]: atomic(peer), ports: atomic(port) }));
  return kindSchema(
    `${NETWORKING}.NetworkPolicy`,
    'networking.k8s.io',
    'v1',
    'NetworkPolicy',
    'NetworkPolicy describes what network traffic is allowed for a set of Pods',
    {
      spec: named(
        `${NETWORKING}.NetworkPolicySpec`,
        object({
          egress: atomic(rule('NetworkPolicyEgressRule', 'to')),
          ingress: atomic(rule('NetworkPolicyIngressRule', 'from')),
          podSelector: labelSelectorSchema(),
          policyTypes: stringList(),
        }),
      ),
    },
  );
}

// ---------------------------------------------------------------------------
// apps/v1

const APPS = 'io.k8s.api.apps.v1';

function deploymentSchema(): S {
  const spec = named(
    `${APPS}.DeploymentSpec`,
    object(
      {
        minReadySeconds: int32(),
        paused: boolean(),
        progressDeadlineSeconds: int32(),
        replicas: int32(),
        revisionHistoryLimit: int32(),
        selector: labelSelectorSchema(),
        strategy: named(`${APPS}.DeploymentStrategy`, {
          ...object({
            rollingUpdate: object({ maxSurge: intOrString(), maxUnavailable: intOrString() }),
            type: string(),
          }),
          'x-kubernetes-patch-strategy': 'retainKeys',
        }),
        template: podTemplateSpecSchema(),
      },
      { required: ['selector', 'template'] },
    ),
  );
  const status = named(
    `${APPS}.DeploymentStatus`,
    object({
      availableReplicas: int32(),
      collisionCount: int32(),
      conditions: conditions(typedCondition(`${APPS}.DeploymentCondition`, ['lastTransitionTime', 'lastUpdateTime'])),
      observedGeneration: int64(),
      readyReplicas: int32(),
      replicas: int32(),
      unavailableReplicas: int32(),
      updatedReplicas: int32(),
    }),
  );
  return kindSchema(`${APPS}.Deployment`, 'apps', 'v1', 'Deployment', 'Deployment enables declarative updates for Pods and ReplicaSets.', {
    spec,
    status,
  });
}

function replicaSetSchema(): S {
  const spec = named(
    `${APPS}.ReplicaSetSpec`,
    object(
      { minReadySeconds: int32(), replicas: int32(), selector: labelSelectorSchema(), template: podTemplateSpecSchema() },
      { required: ['selector'] },
    ),
  );
  const status = named(
    `${APPS}.ReplicaSetStatus`,
    object(
      {
        availableReplicas: int32(),
        conditions: conditions(typedCondition(`${APPS}.ReplicaSetCondition`, ['lastTransitionTime'])),
        fullyLabeledReplicas: int32(),
        observedGeneration: int64(),
        readyReplicas: int32(),
        replicas: int32(),
      },
      { required: ['replicas'] },
    ),
  );
  return kindSchema(
    `${APPS}.ReplicaSet`,
    'apps',
    'v1',
    'ReplicaSet',
    'ReplicaSet ensures that a specified number of pod replicas are running at any given time.',
    { spec, status },
  );
}

function daemonSetSchema(): S {
  const spec = named(
    `${APPS}.DaemonSetSpec`,
    object(
      {
        minReadySeconds: int32(),
        revisionHistoryLimit: int32(),
        selector: labelSelectorSchema(),
        template: podTemplateSpecSchema(),
        updateStrategy: named(`${APPS}.DaemonSetUpdateStrategy`, {
          ...object({
            rollingUpdate: named(`${APPS}.RollingUpdateDaemonSet`, object({ maxSurge: intOrString(), maxUnavailable: intOrString() })),
            type: string(),
          }),
        }),
      },
      { required: ['selector', 'template'] },
    ),
  );
  const status = named(
    `${APPS}.DaemonSetStatus`,
    object(
      {
        collisionCount: int32(),
        conditions: conditions(typedCondition(`${APPS}.DaemonSetCondition`, ['lastTransitionTime'])),
        currentNumberScheduled: int32(),
        desiredNumberScheduled: int32(),
        numberAvailable: int32(),
        numberMisscheduled: int32(),
        numberReady: int32(),
        numberUnavailable: int32(),
        observedGeneration: int64(),
        updatedNumberScheduled: int32(),
      },
      { required: ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady'] },
    ),
  );
  return kindSchema(`${APPS}.DaemonSet`, 'apps', 'v1', 'DaemonSet', 'DaemonSet represents the configuration of a daemon set.', { spec, status });
}

// ---------------------------------------------------------------------------
// apps/v1 StatefulSet and ControllerRevision

function statefulSetSchema(): S {
  const spec = named(
    `${APPS}.StatefulSetSpec`,
    object(
      {
        minReadySeconds: int32(),
        ordinals: named(`${APPS}.StatefulSetOrdinals`, object({ start: int32() })),
        persistentVolumeClaimRetentionPolicy: named(
          `${APPS}.StatefulSetPersistentVolumeClaimRetentionPolicy`,
          object({ whenDeleted: { ...string(), enum: ['Delete', 'Retain'] }, whenScaled: { ...string(), enum: ['Delete', 'Retain'] } }),
        ),
        podManagementPolicy: { ...string(), enum: ['OrderedReady', 'Parallel'] },
        replicas: int32(),
        revisionHistoryLimit: int32(),
        selector: labelSelectorSchema(),
        serviceName: string(),
        template: podTemplateSpecSchema(),
        updateStrategy: named(
          `${APPS}.StatefulSetUpdateStrategy`,
          object({
            rollingUpdate: named(`${APPS}.RollingUpdateStatefulSetStrategy`, object({ maxUnavailable: intOrString(), partition: int32() })),
            type: { ...string(), enum: ['OnDelete', 'RollingUpdate'] },
          }),
        ),
        volumeClaimTemplates: atomic(persistentVolumeClaimSchema()),
      },
      { required: ['selector', 'template'] },
    ),
  );
  const status = named(
    `${APPS}.StatefulSetStatus`,
    object(
      {
        availableReplicas: int32(),
        collisionCount: int32(),
        conditions: conditions(typedCondition(`${APPS}.StatefulSetCondition`, ['lastTransitionTime'])),
        currentReplicas: int32(),
        currentRevision: string(),
        observedGeneration: int64(),
        readyReplicas: int32(),
        replicas: int32(),
        updateRevision: string(),
        updatedReplicas: int32(),
      },
      { required: ['replicas'] },
    ),
  );
  return kindSchema(
    `${APPS}.StatefulSet`,
    'apps',
    'v1',
    'StatefulSet',
    'StatefulSet represents a set of pods with consistent identities. Identities are defined as:\n  - Network: A single stable DNS and hostname.\n  - Storage: As many VolumeClaims as requested.\n\nThe StatefulSet guarantees that a given network identity will always map to the same storage identity.',
    { spec, status },
  );
}

function controllerRevisionSchema(): S {
  return kindSchema(
    `${APPS}.ControllerRevision`,
    'apps',
    'v1',
    'ControllerRevision',
    'ControllerRevision implements an immutable snapshot of state data. Clients are responsible for serializing and deserializing the objects that contain their internal state. Once a ControllerRevision has been successfully created, it can not be updated. The API Server will fail validation of all requests that attempt to mutate the Data field. ControllerRevisions may, however, be deleted. Note that, due to its use by both the DaemonSet and StatefulSet controllers for update and rollback, this object is beta. However, it may be subject to name and representation changes in future releases, and clients should not depend on its stability. It is primarily for internal use by controllers.',
    { data: named('io.k8s.apimachinery.pkg.runtime.RawExtension', opaque()), revision: int64() },
    ['revision'],
  );
}

// ---------------------------------------------------------------------------
// batch/v1 Job and CronJob

const BATCH = 'io.k8s.api.batch.v1';

function jobSpecSchema(): S {
  const onExitCodes = named(
    `${BATCH}.PodFailurePolicyOnExitCodesRequirement`,
    object(
      { containerName: string(), operator: string(), values: array(int32(), { 'x-kubernetes-list-type': 'set' }) },
      { required: ['operator', 'values'] },
    ),
  );
  const onPodCondition = named(
    `${BATCH}.PodFailurePolicyOnPodConditionsPattern`,
    object({ status: string(), type: string() }, { required: ['type', 'status'] }),
  );
  const podFailurePolicy = named(
    `${BATCH}.PodFailurePolicy`,
    object(
      {
        rules: atomic(
          named(
            `${BATCH}.PodFailurePolicyRule`,
            object({ action: string(), onExitCodes, onPodConditions: atomic(onPodCondition) }, { required: ['action'] }),
          ),
        ),
      },
      { required: ['rules'] },
    ),
  );
  const successPolicy = named(
    `${BATCH}.SuccessPolicy`,
    object(
      { rules: atomic(named(`${BATCH}.SuccessPolicyRule`, object({ succeededCount: int32(), succeededIndexes: string() }))) },
      { required: ['rules'] },
    ),
  );
  return named(
    `${BATCH}.JobSpec`,
    object(
      {
        activeDeadlineSeconds: int64(),
        backoffLimit: int32(),
        backoffLimitPerIndex: int32(),
        completionMode: string(),
        completions: int32(),
        managedBy: string(),
        manualSelector: boolean(),
        maxFailedIndexes: int32(),
        parallelism: int32(),
        podFailurePolicy,
        podReplacementPolicy: string(),
        selector: labelSelectorSchema(),
        successPolicy,
        suspend: boolean(),
        template: podTemplateSpecSchema(),
        ttlSecondsAfterFinished: int32(),
      },
      { required: ['template'] },
    ),
  );
}

function jobSchema(): S {
  const status = named(
    `${BATCH}.JobStatus`,
    object({
      active: int32(),
      completedIndexes: string(),
      completionTime: time(),
      conditions: atomic(typedCondition(`${BATCH}.JobCondition`, ['lastProbeTime', 'lastTransitionTime'])),
      failed: int32(),
      failedIndexes: string(),
      ready: int32(),
      startTime: time(),
      succeeded: int32(),
      terminating: int32(),
      uncountedTerminatedPods: named(`${BATCH}.UncountedTerminatedPods`, object({ failed: stringSet(), succeeded: stringSet() })),
    }),
  );
  return kindSchema(`${BATCH}.Job`, 'batch', 'v1', 'Job', 'Job represents the configuration of a single job.', {
    spec: jobSpecSchema(),
    status,
  });
}

function cronJobSchema(): S {
  const jobTemplate = named(`${BATCH}.JobTemplateSpec`, object({ metadata: objectMetaSchema(), spec: jobSpecSchema() }));
  const spec = named(
    `${BATCH}.CronJobSpec`,
    object(
      {
        concurrencyPolicy: string(),
        failedJobsHistoryLimit: int32(),
        jobTemplate,
        schedule: string(),
        startingDeadlineSeconds: int64(),
        successfulJobsHistoryLimit: int32(),
        suspend: boolean(),
        timeZone: string(),
      },
      { required: ['schedule', 'jobTemplate'] },
    ),
  );
  const status = named(
    `${BATCH}.CronJobStatus`,
    object({ active: atomic(objectReference()), lastScheduleTime: time(), lastSuccessfulTime: time() }),
  );
  return kindSchema(`${BATCH}.CronJob`, 'batch', 'v1', 'CronJob', 'CronJob represents the configuration of a single cron job.', {
    spec,
    status,
  });
}

// ---------------------------------------------------------------------------
// coordination, discovery

function leaseSchema(): S {
  return kindSchema('io.k8s.api.coordination.v1.Lease', 'coordination.k8s.io', 'v1', 'Lease', 'Lease defines a lease concept.', {
    spec: named(
      'io.k8s.api.coordination.v1.LeaseSpec',
      object({
        acquireTime: microTime(),
        holderIdentity: string(),
        leaseDurationSeconds: int32(),
        leaseTransitions: int32(),
        preferredHolder: string(),
        renewTime: microTime(),
        strategy: string(),
      }),
    ),
  });
}

function endpointSliceSchema(): S {
  const DISC = 'io.k8s.api.discovery.v1';
  const endpoint = named(
    `${DISC}.Endpoint`,
    object(
      {
        addresses: stringSet(),
        conditions: object({ ready: boolean(), serving: boolean(), terminating: boolean() }),
        deprecatedTopology: stringMap(),
        hints: object({ forZones: atomic(object({ name: string() }, { required: ['name'] })) }),
        hostname: string(),
        nodeName: string(),
        targetRef: objectReference(),
        zone: string(),
      },
      { required: ['addresses'] },
    ),
  );
  const port = named(
    `${DISC}.EndpointPort`,
    object({ appProtocol: string(), name: string(), port: int32(), protocol: string() }, { 'x-kubernetes-map-type': 'atomic' }),
  );
  return kindSchema(
    `${DISC}.EndpointSlice`,
    'discovery.k8s.io',
    'v1',
    'EndpointSlice',
    'EndpointSlice represents a subset of the endpoints that implement a service. For a given service there may be multiple EndpointSlice objects, selected by labels, which must be joined to produce the full set of endpoints.',
    { addressType: string(), endpoints: atomic(endpoint), ports: atomic(port) },
    ['addressType', 'endpoints'],
  );
}

// ---------------------------------------------------------------------------
// apiextensions.k8s.io/v1

const APIEXT = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1';

function crdNames(): S {
  return named(
    `${APIEXT}.CustomResourceDefinitionNames`,
    object(
      {
        categories: stringList(),
        kind: string(),
        listKind: string(),
        plural: string(),
        shortNames: stringList(),
        singular: string(),
      },
      { required: ['plural', 'kind'] },
    ),
  );
}

function crdSchema(): S {
  // JSONSchemaProps is recursive; below openAPIV3Schema anything goes here and
  // validateCRD checks the schema itself.
  const jsonSchemaProps = named(`${APIEXT}.JSONSchemaProps`, opaque());
  const version = named(
    `${APIEXT}.CustomResourceDefinitionVersion`,
    object(
      {
        additionalPrinterColumns: atomic(
          named(
            `${APIEXT}.CustomResourceColumnDefinition`,
            object(
              {
                description: string(),
                format: string(),
                jsonPath: string(),
                name: string(),
                priority: int32(),
                type: string(),
              },
              { required: ['name', 'type', 'jsonPath'] },
            ),
          ),
        ),
        deprecated: boolean(),
        deprecationWarning: string(),
        name: string(),
        schema: named(`${APIEXT}.CustomResourceValidation`, object({ openAPIV3Schema: jsonSchemaProps })),
        selectableFields: atomic(object({ jsonPath: string() }, { required: ['jsonPath'] })),
        served: boolean(),
        storage: boolean(),
        subresources: named(
          `${APIEXT}.CustomResourceSubresources`,
          object({
            scale: object(
              { labelSelectorPath: string(), specReplicasPath: string(), statusReplicasPath: string() },
              { required: ['specReplicasPath', 'statusReplicasPath'] },
            ),
            status: object({}),
          }),
        ),
      },
      { required: ['name', 'served', 'storage'] },
    ),
  );
  const spec = named(
    `${APIEXT}.CustomResourceDefinitionSpec`,
    object(
      {
        conversion: object(
          {
            strategy: string(),
            webhook: object({
              clientConfig: object({
                caBundle: bytes(),
                service: object(
                  { name: string(), namespace: string(), path: string(), port: int32() },
                  { required: ['namespace', 'name'] },
                ),
                url: string(),
              }),
              conversionReviewVersions: stringList(),
            }),
          },
          { required: ['strategy'] },
        ),
        group: string(),
        names: crdNames(),
        preserveUnknownFields: boolean(),
        scope: string(),
        versions: atomic(version),
      },
      { required: ['group', 'names', 'scope', 'versions'] },
    ),
  );
  const status = named(
    `${APIEXT}.CustomResourceDefinitionStatus`,
    object({
      acceptedNames: crdNames(),
      conditions: mapList(
        typedCondition(`${APIEXT}.CustomResourceDefinitionCondition`, ['lastTransitionTime']),
        ['type'],
        null,
      ),
      storedVersions: stringList(),
    }),
  );
  return kindSchema(
    `${APIEXT}.CustomResourceDefinition`,
    'apiextensions.k8s.io',
    'v1',
    'CustomResourceDefinition',
    'CustomResourceDefinition represents a resource that should be exposed on the API server.  Its name MUST be in the format <.spec.name>.<.spec.group>.',
    { spec, status },
    ['spec'],
  );
}

// ---------------------------------------------------------------------------
// rbac.authorization.k8s.io/v1

const RBAC = 'io.k8s.api.rbac.v1';

function policyRule(): S {
  return named(
    `${RBAC}.PolicyRule`,
    object(
      {
        apiGroups: stringList(),
        nonResourceURLs: stringList(),
        resourceNames: stringList(),
        resources: stringList(),
        verbs: stringList(),
      },
      { required: ['verbs'] },
    ),
  );
}

function roleSchema(kind: 'Role' | 'ClusterRole'): S {
  const props: Record<string, S> = { rules: atomic(policyRule()) };
  if (kind === 'ClusterRole') {
    props.aggregationRule = named(`${RBAC}.AggregationRule`, object({ clusterRoleSelectors: atomic(labelSelectorSchema()) }));
  }
  const description =
    kind === 'Role'
      ? 'Role is a namespaced, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding.'
      : 'ClusterRole is a cluster level, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding or ClusterRoleBinding.';
  return kindSchema(`${RBAC}.${kind}`, 'rbac.authorization.k8s.io', 'v1', kind, description, props);
}

function bindingSchema(kind: 'RoleBinding' | 'ClusterRoleBinding'): S {
  const description =
    kind === 'RoleBinding'
      ? 'RoleBinding references a role, but does not contain it.  It can reference a Role in the same namespace or a ClusterRole in the global namespace. It adds who information via Subjects and namespace information by which namespace it exists in.  RoleBindings in a given namespace only have effect in that namespace.'
      : 'ClusterRoleBinding references a ClusterRole, but not contain it.  It can reference a ClusterRole in the global namespace, and adds who information via Subject.';
  return kindSchema(
    `${RBAC}.${kind}`,
    'rbac.authorization.k8s.io',
    'v1',
    kind,
    description,
    {
      roleRef: named(
        `${RBAC}.RoleRef`,
        object({ apiGroup: string(), kind: string(), name: string() }, { required: ['apiGroup', 'kind', 'name'], 'x-kubernetes-map-type': 'atomic' }),
      ),
      subjects: atomic(
        named(
          `${RBAC}.Subject`,
          object(
            { apiGroup: string(), kind: string(), name: string(), namespace: string() },
            { required: ['kind', 'name'], 'x-kubernetes-map-type': 'atomic' },
          ),
        ),
      ),
    },
    ['roleRef'],
  );
}

// ---------------------------------------------------------------------------
// authorization.k8s.io/v1, authentication.k8s.io/v1

const AUTHZ = 'io.k8s.api.authorization.v1';

function accessAttributes(): Record<string, S> {
  const selector = (name: string): S =>
    named(
      name,
      object({
        rawSelector: string(),
        requirements: atomic(object({ key: string(), operator: string(), values: stringList() }, { required: ['key', 'operator'] })),
      }),
    );
  return {
    nonResourceAttributes: named(`${AUTHZ}.NonResourceAttributes`, object({ path: string(), verb: string() })),
    resourceAttributes: named(
      `${AUTHZ}.ResourceAttributes`,
      object({
        fieldSelector: selector(`${AUTHZ}.FieldSelectorAttributes`),
        group: string(),
        labelSelector: selector(`${AUTHZ}.LabelSelectorAttributes`),
        name: string(),
        namespace: string(),
        resource: string(),
        subresource: string(),
        verb: string(),
        version: string(),
      }),
    ),
  };
}

function accessReviewStatus(): S {
  return named(
    `${AUTHZ}.SubjectAccessReviewStatus`,
    object({ allowed: boolean(), denied: boolean(), evaluationError: string(), reason: string() }, { required: ['allowed'] }),
  );
}

function subjectAccessReviewSpec(): S {
  return named(
    `${AUTHZ}.SubjectAccessReviewSpec`,
    object({
      ...accessAttributes(),
      extra: mapOf(stringList()),
      groups: stringList(),
      uid: string(),
      user: string(),
    }),
  );
}

function accessReviewSchema(kind: 'SubjectAccessReview' | 'SelfSubjectAccessReview' | 'LocalSubjectAccessReview'): S {
  const spec =
    kind === 'SelfSubjectAccessReview'
      ? named(`${AUTHZ}.SelfSubjectAccessReviewSpec`, object(accessAttributes()))
      : subjectAccessReviewSpec();
  const descriptions = {
    SubjectAccessReview: 'SubjectAccessReview checks whether or not a user or group can perform an action.',
    SelfSubjectAccessReview:
      'SelfSubjectAccessReview checks whether or the current user can perform an action.  Not filling in a spec.namespace means "in all namespaces".  Self is a special case, because users should always be able to check whether they can perform an action',
    LocalSubjectAccessReview:
      'LocalSubjectAccessReview checks whether or not a user or group can perform an action in a given namespace. Having a namespace scoped resource makes it much easier to grant namespace scoped policy that includes permissions checking.',
  };
  return kindSchema(`${AUTHZ}.${kind}`, 'authorization.k8s.io', 'v1', kind, descriptions[kind], { spec, status: accessReviewStatus() }, [
    'spec',
  ]);
}

function userInfoSchema(): S {
  return named(
    'io.k8s.api.authentication.v1.UserInfo',
    object({ extra: mapOf(stringList()), groups: stringList(), uid: string(), username: string() }),
  );
}

function selfSubjectReviewSchema(): S {
  return kindSchema(
    'io.k8s.api.authentication.v1.SelfSubjectReview',
    'authentication.k8s.io',
    'v1',
    'SelfSubjectReview',
    'SelfSubjectReview contains the user information that the kube-apiserver has about the user making this request. When using impersonation, users will receive the user info of the user being impersonated.  If impersonation or request header authentication is used, any extra keys will have their case ignored and returned as lowercase.',
    { status: named('io.k8s.api.authentication.v1.SelfSubjectReviewStatus', object({ userInfo: userInfoSchema() })) },
  );
}

// ---------------------------------------------------------------------------
// Subresource bodies whose kind differs from the parent's.

function scaleSchema(): S {
  return kindSchema(
    'io.k8s.api.autoscaling.v1.Scale',
    'autoscaling',
    'v1',
    'Scale',
    'Scale represents a scaling request for a resource.',
    {
      spec: named('io.k8s.api.autoscaling.v1.ScaleSpec', object({ replicas: int32() })),
      status: named(
        'io.k8s.api.autoscaling.v1.ScaleStatus',
        object({ replicas: int32(), selector: string() }, { required: ['replicas'] }),
      ),
    },
  );
}

function podBindingSchema(): S {
  return kindSchema(
    `${CORE}.Binding`,
    '',
    'v1',
    'Binding',
    'Binding ties one object to another; for example, a pod is bound to a node by a scheduler.',
    { target: objectReference() },
    ['target'],
  );
}

function evictionSchema(): S {
  return kindSchema(
    'io.k8s.api.policy.v1.Eviction',
    'policy',
    'v1',
    'Eviction',
    'Eviction evicts a pod from its node subject to certain policies and safety constraints. This is a subresource of Pod.  A request to cause such an eviction is created by POSTing to .../pods/<pod name>/evictions.',
    { deleteOptions: opaque() },
  );
}

function tokenRequestSchema(): S {
  return kindSchema(
    'io.k8s.api.authentication.v1.TokenRequest',
    'authentication.k8s.io',
    'v1',
    'TokenRequest',
    'TokenRequest requests a token for a given service account.',
    {
      spec: object(
        {
          audiences: stringList(),
          boundObjectRef: object({ apiVersion: string(), kind: string(), name: string(), uid: string() }),
          expirationSeconds: int64(),
        },
        { required: ['audiences'] },
      ),
      status: object({ expirationTimestamp: time(), token: string() }, { required: ['token', 'expirationTimestamp'] }),
    },
    ['spec'],
  );
}

/**
 * Schemas of subresource bodies that are not the parent kind (e.g. pods/binding
 * takes a core/v1 Binding, deployments/scale an autoscaling/v1 Scale), keyed
 * by subresource name. Each carries its own x-kubernetes-group-version-kind.
 */
export function subresourceSchemas(): Record<string, JSONSchemaProps> {
  return { scale: scaleSchema(), binding: podBindingSchema(), eviction: evictionSchema(), token: tokenRequestSchema() };
}

// ---------------------------------------------------------------------------
// events.k8s.io/v1 view over core/v1 events. Mirrors
// pkg/apis/events/v1/conversion.go, and emits the zero values Go's encoder
// would (null timestamps, empty structs, "" for non-omitempty strings).

type Obj = Record<string, unknown>;

const clone = <T>(v: T): T => (v === undefined ? v : structuredClone(v));
const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '' && v !== 0;

function putIf(out: Obj, key: string, value: unknown): void {
  if (present(value)) out[key] = clone(value);
}

/** core/v1 Event → events.k8s.io/v1 Event. */
export function coreEventToEventsV1(stored: KObject): KObject {
  const e = stored as Obj;
  const out: Obj = { kind: 'Event', apiVersion: 'events.k8s.io/v1', metadata: clone(stored.metadata) };
  out.eventTime = clone(e.eventTime) ?? null;
  putIf(out, 'series', e.series);
  putIf(out, 'reportingController', e.reportingComponent);
  putIf(out, 'reportingInstance', e.reportingInstance);
  putIf(out, 'action', e.action);
  putIf(out, 'reason', e.reason);
  out.regarding = clone(e.involvedObject) ?? {};
  putIf(out, 'related', e.related);
  putIf(out, 'note', e.message);
  putIf(out, 'type', e.type);
  out.deprecatedSource = clone(e.source) ?? {};
  out.deprecatedFirstTimestamp = clone(e.firstTimestamp) ?? null;
  out.deprecatedLastTimestamp = clone(e.lastTimestamp) ?? null;
  putIf(out, 'deprecatedCount', e.count);
  return out as KObject;
}

/** events.k8s.io/v1 Event → core/v1 Event. */
export function eventsV1EventToCore(viewed: KObject): KObject {
  const v = viewed as Obj;
  const out: Obj = { kind: 'Event', apiVersion: 'v1', metadata: clone(viewed.metadata) };
  out.involvedObject = clone(v.regarding) ?? {};
  putIf(out, 'reason', v.reason);
  putIf(out, 'message', v.note);
  out.source = clone(v.deprecatedSource) ?? {};
  out.firstTimestamp = clone(v.deprecatedFirstTimestamp) ?? null;
  out.lastTimestamp = clone(v.deprecatedLastTimestamp) ?? null;
  putIf(out, 'count', v.deprecatedCount);
  putIf(out, 'type', v.type);
  out.eventTime = clone(v.eventTime) ?? null;
  putIf(out, 'series', v.series);
  putIf(out, 'action', v.action);
  putIf(out, 'related', v.related);
  out.reportingComponent = (v.reportingController as string | undefined) ?? '';
  out.reportingInstance = (v.reportingInstance as string | undefined) ?? '';
  return out as KObject;
}

// ---------------------------------------------------------------------------
// The served types.

/** Verbs as the real discovery documents list them (sorted). */
const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const CREATE_ONLY = ['create'];

interface Def {
  group: string;
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  schema: S;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: string[];
  storage?: string;
}

function resourceType(d: Def): ResourceType {
  const rt: ResourceType = {
    group: d.group,
    version: 'v1',
    resource: d.resource,
    singular: d.singular,
    kind: d.kind,
    listKind: `${d.kind}List`,
    namespaced: d.namespaced,
    verbs: d.verbs ?? ALL_VERBS,
    subresources: d.subresources ?? [],
    storage: d.storage ?? (d.group ? `${d.group}/${d.resource}` : d.resource),
    schema: d.schema,
  };
  if (d.shortNames) rt.shortNames = d.shortNames;
  if (d.categories) rt.categories = d.categories;
  return rt;
}

/** Every built-in resource type the simulator serves, with real 1.32 discovery data. */
export function builtinResourceTypes(): ResourceType[] {
  const defs: Def[] = [
    // core/v1
    { group: '', resource: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'], schema: configMapSchema() },
    { group: '', resource: 'endpoints', singular: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep'], schema: endpointsSchema() },
    { group: '', resource: 'events', singular: 'event', kind: 'Event', namespaced: true, shortNames: ['ev'], schema: coreEventSchema() },
    {
      group: '', resource: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false,
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['ns'],
      subresources: ['finalize', 'status'], schema: namespaceSchema(),
    },
    {
      group: '', resource: 'nodes', singular: 'node', kind: 'Node', namespaced: false, shortNames: ['no'],
      subresources: ['proxy', 'status'], schema: nodeSchema(),
    },
    {
      group: '', resource: 'persistentvolumeclaims', singular: 'persistentvolumeclaim', kind: 'PersistentVolumeClaim',
      namespaced: true, shortNames: ['pvc'], subresources: ['status'], schema: persistentVolumeClaimSchema(),
    },
    {
      group: '', resource: 'persistentvolumes', singular: 'persistentvolume', kind: 'PersistentVolume', namespaced: false,
      shortNames: ['pv'], subresources: ['status'], schema: persistentVolumeSchema(),
    },
    {
      group: '', resource: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'],
      subresources: ['attach', 'binding', 'ephemeralcontainers', 'eviction', 'exec', 'log', 'portforward', 'proxy', 'status'],
      schema: podSchema(),
    },
    { group: '', resource: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true, schema: secretSchema() },
    {
      group: '', resource: 'serviceaccounts', singular: 'serviceaccount', kind: 'ServiceAccount', namespaced: true,
      shortNames: ['sa'], subresources: ['token'], schema: serviceAccountSchema(),
    },
    {
      group: '', resource: 'services', singular: 'service', kind: 'Service', namespaced: true, shortNames: ['svc'],
      categories: ['all'], subresources: ['proxy', 'status'], schema: serviceSchema(),
    },
    // apps/v1
    {
      group: 'apps', resource: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true,
      shortNames: ['deploy'], categories: ['all'], subresources: ['scale', 'status'], schema: deploymentSchema(),
    },
    {
      group: 'apps', resource: 'replicasets', singular: 'replicaset', kind: 'ReplicaSet', namespaced: true,
      shortNames: ['rs'], categories: ['all'], subresources: ['scale', 'status'], schema: replicaSetSchema(),
    },
    {
      group: 'apps', resource: 'daemonsets', singular: 'daemonset', kind: 'DaemonSet', namespaced: true,
      shortNames: ['ds'], categories: ['all'], subresources: ['status'], schema: daemonSetSchema(),
    },
    {
      group: 'apps', resource: 'statefulsets', singular: 'statefulset', kind: 'StatefulSet', namespaced: true,
      shortNames: ['sts'], categories: ['all'], subresources: ['scale', 'status'], schema: statefulSetSchema(),
    },
    { group: 'apps', resource: 'controllerrevisions', singular: 'controllerrevision', kind: 'ControllerRevision', namespaced: true, schema: controllerRevisionSchema() },
    // batch/v1
    {
      group: 'batch', resource: 'jobs', singular: 'job', kind: 'Job', namespaced: true,
      categories: ['all'], subresources: ['status'], schema: jobSchema(),
    },
    {
      group: 'batch', resource: 'cronjobs', singular: 'cronjob', kind: 'CronJob', namespaced: true,
      shortNames: ['cj'], categories: ['all'], subresources: ['status'], schema: cronJobSchema(),
    },
    {
      group: 'networking.k8s.io', resource: 'networkpolicies', singular: 'networkpolicy', kind: 'NetworkPolicy',
      namespaced: true, shortNames: ['netpol'], schema: networkPolicySchema(),
    },
    // events.k8s.io/v1 (a view of core/v1 events; see below)
    {
      group: 'events.k8s.io', resource: 'events', singular: 'event', kind: 'Event', namespaced: true, shortNames: ['ev'],
      storage: 'events', schema: eventsV1EventSchema(),
    },
    { group: 'coordination.k8s.io', resource: 'leases', singular: 'lease', kind: 'Lease', namespaced: true, schema: leaseSchema() },
    {
      group: 'discovery.k8s.io', resource: 'endpointslices', singular: 'endpointslice', kind: 'EndpointSlice',
      namespaced: true, schema: endpointSliceSchema(),
    },
    {
      group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', singular: 'customresourcedefinition',
      kind: 'CustomResourceDefinition', namespaced: false, shortNames: ['crd', 'crds'], categories: ['api-extensions'],
      subresources: ['status'], schema: crdSchema(),
    },
    // rbac.authorization.k8s.io/v1
    { group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', singular: 'clusterrolebinding', kind: 'ClusterRoleBinding', namespaced: false, schema: bindingSchema('ClusterRoleBinding') },
    { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', singular: 'clusterrole', kind: 'ClusterRole', namespaced: false, schema: roleSchema('ClusterRole') },
    { group: 'rbac.authorization.k8s.io', resource: 'rolebindings', singular: 'rolebinding', kind: 'RoleBinding', namespaced: true, schema: bindingSchema('RoleBinding') },
    { group: 'rbac.authorization.k8s.io', resource: 'roles', singular: 'role', kind: 'Role', namespaced: true, schema: roleSchema('Role') },
    // authorization.k8s.io/v1
    {
      group: 'authorization.k8s.io', resource: 'localsubjectaccessreviews', singular: 'localsubjectaccessreview',
      kind: 'LocalSubjectAccessReview', namespaced: true, verbs: CREATE_ONLY, schema: accessReviewSchema('LocalSubjectAccessReview'),
    },
    {
      group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews', singular: 'selfsubjectaccessreview',
      kind: 'SelfSubjectAccessReview', namespaced: false, verbs: CREATE_ONLY, schema: accessReviewSchema('SelfSubjectAccessReview'),
    },
    {
      group: 'authorization.k8s.io', resource: 'subjectaccessreviews', singular: 'subjectaccessreview',
      kind: 'SubjectAccessReview', namespaced: false, verbs: CREATE_ONLY, schema: accessReviewSchema('SubjectAccessReview'),
    },
    // authentication.k8s.io/v1
    {
      group: 'authentication.k8s.io', resource: 'selfsubjectreviews', singular: 'selfsubjectreview', kind: 'SelfSubjectReview',
      namespaced: false, verbs: CREATE_ONLY, schema: selfSubjectReviewSchema(),
    },
  ];
  const types = [...defs.map(resourceType), ...clusterResourceTypes(), ...scalingResourceTypes()];
  const eventsView = types.find((t) => t.group === 'events.k8s.io')!;
  eventsView.toView = coreEventToEventsV1;
  eventsView.fromView = eventsV1EventToCore;
  return types;
}
