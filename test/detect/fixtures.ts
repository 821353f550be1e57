// Hand-made objects in the shapes the simulator (and a real cluster) emit:
// container statuses as kubelet posts them, node and deployment conditions
// as their controllers write them, core/v1 Events as the recorder does.

import type { KubeObject } from '../../src/model/kube.ts';
import { DEFAULT_DETECTORS, type DetectorsConfig } from '../../src/detect/config.ts';

export const T0 = Date.parse('2025-03-01T10:00:00Z');
/** RFC 3339 (seconds) `s` seconds after T0 */
export const at = (s: number): string => new Date(T0 + s * 1000).toISOString().replace('.000Z', 'Z');
/** the Date `s` seconds after T0 */
export const t = (s: number): Date => new Date(T0 + s * 1000);

export const POD_UID = '7d3c1a52-0b1e-4c55-9f3a-2b6a1d2e4f60';
export const IMAGE = 'ghcr.io/kubeherald/demo-app:1.4.2';

export function config(patch: Partial<{ [K in keyof DetectorsConfig]: Partial<DetectorsConfig[K]> }> = {}): DetectorsConfig {
  const c = structuredClone(DEFAULT_DETECTORS);
  for (const [k, v] of Object.entries(patch)) Object.assign(c[k as keyof DetectorsConfig], v);
  return c;
}

type State = Record<string, Record<string, unknown>>;

export const running = (startedS: number): State => ({ running: { startedAt: at(startedS) } });
export const waiting = (reason: string, message?: string): State => ({ waiting: message ? { reason, message } : { reason } });
export const terminated = (reason: string, exitCode: number, startedS: number, finishedS: number, message?: string): State => ({
  terminated: { exitCode, reason, ...(message ? { message } : {}), startedAt: at(startedS), finishedAt: at(finishedS), containerID: `containerd://${finishedS}` },
});

export interface CsOpts {
  name?: string;
  state: State;
  last?: State;
  ready?: boolean;
  restarts?: number;
  image?: string;
}

/** A container status as kubelet posts it. */
export function cs(o: CsOpts): Record<string, unknown> {
  return {
    name: o.name ?? 'app',
    state: o.state,
    lastState: o.last ?? {},
    ready: o.ready ?? false,
    restartCount: o.restarts ?? 0,
    image: o.image ?? IMAGE,
    imageID: o.state.waiting ? '' : `${IMAGE}@sha256:abc`,
    ...(o.state.waiting && !o.restarts && !o.last ? {} : { containerID: 'containerd://0123' }),
    started: !!o.state.running,
  };
}

export interface PodOpts {
  uid?: string;
  name?: string;
  phase?: string;
  statuses?: Record<string, unknown>[];
  initStatuses?: Record<string, unknown>[];
  /** Ready condition: status and transition second */
  ready?: [string, number];
  reason?: string;
  message?: string;
  labels?: Record<string, string>;
  owner?: { kind: string; name: string; uid?: string; apiVersion?: string };
  deleting?: boolean;
  memoryLimit?: string;
  initContainers?: string[];
}

/** A Pod as the API server returns it once kubelet has posted status. */
export function pod(o: PodOpts = {}): KubeObject {
  const statuses = o.statuses ?? [];
  const names = statuses.map((s) => s.name as string);
  const conditions: Record<string, unknown>[] = [
    { type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: null, lastTransitionTime: at(1) },
    { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: at(0) },
  ];
  if (o.ready) {
    const [status, since] = o.ready;
    const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
    const extra = status === 'True' ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` };
    conditions.push({ type: 'Ready', status, lastProbeTime: null, lastTransitionTime: at(since), ...extra });
    conditions.push({ type: 'ContainersReady', status, lastProbeTime: null, lastTransitionTime: at(since), ...extra });
  }
  conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: at(0) });
  const labels = o.labels ?? { app: 'web' };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name ?? 'web',
      namespace: 'demo',
      uid: o.uid ?? POD_UID,
      resourceVersion: '1234',
      creationTimestamp: at(0),
      labels,
      ...(o.owner
        ? {
            ownerReferences: [
              { apiVersion: o.owner.apiVersion ?? 'apps/v1', kind: o.owner.kind, name: o.owner.name, uid: o.owner.uid ?? 'owner-uid', controller: true },
            ],
          }
        : {}),
      ...(o.deleting ? { deletionTimestamp: at(500), deletionGracePeriodSeconds: 30 } : {}),
    },
    spec: {
      ...(o.initContainers ? { initContainers: o.initContainers.map((name) => ({ name, image: 'busybox:1.36' })) } : {}),
      containers: (names.length ? names : ['app']).map((name) => ({
        name,
        image: IMAGE,
        resources: o.memoryLimit ? { limits: { memory: o.memoryLimit } } : {},
      })),
      nodeName: 'sim-node-1',
      restartPolicy: 'Always',
    },
    status: {
      phase: o.phase ?? 'Running',
      conditions,
      ...(o.message ? { message: o.message } : {}),
      ...(o.reason ? { reason: o.reason } : {}),
      hostIP: '10.0.0.11',
      podIP: '10.244.1.2',
      startTime: at(0),
      ...(o.initStatuses ? { initContainerStatuses: o.initStatuses } : {}),
      containerStatuses: statuses,
      qosClass: 'BestEffort',
    },
  };
}

export const NODE_UID = '5f0c7e1a-9a43-4bde-8d0e-3c2b1a9f8e77';

/** A Node with the kubelet's four conditions; `ready` as [status, since]. */
export function node(o: { uid?: string; name?: string; ready?: [string, number]; pressure?: Record<string, number> } = {}): KubeObject {
  const name = o.name ?? 'sim-node-2';
  const [readyStatus, readySince] = o.ready ?? ['True', 0];
  const unknown = readyStatus === 'Unknown';
  const cond = (type: string, status: string, reason: string, message: string, since: number) => ({
    type,
    status,
    lastHeartbeatTime: at(since),
    lastTransitionTime: at(since),
    reason,
    message,
  });
  const pressure = (type: string, okReason: string, badReason: string): Record<string, unknown> => {
    if (unknown) return cond(type, 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.', readySince);
    const since = o.pressure?.[type];
    return since === undefined ? cond(type, 'False', okReason, 'ok', 0) : cond(type, 'True', badReason, `kubelet has ${type}`, since);
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: o.uid ?? NODE_UID, labels: { 'kubernetes.io/hostname': name } },
    spec: { podCIDR: '10.244.2.0/24' },
    status: {
      conditions: [
        pressure('MemoryPressure', 'KubeletHasSufficientMemory', 'KubeletHasInsufficientMemory'),
        pressure('DiskPressure', 'KubeletHasNoDiskPressure', 'KubeletHasDiskPressure'),
        pressure('PIDPressure', 'KubeletHasSufficientPID', 'KubeletHasInsufficientPID'),
        unknown
          ? cond('Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.', readySince)
          : readyStatus === 'True'
            ? cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status', readySince)
            : cond('Ready', 'False', 'KubeletNotReady', 'container runtime network not ready: NetworkReady=false', readySince),
      ],
    },
  };
}

export const DEPLOY_UID = '0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d';

export interface DeployOpts {
  generation?: number;
  observedGeneration?: number;
  revision?: string;
  replicas?: number;
  updated?: number;
  available?: number;
  total?: number;
  progressing?: [string, string, number?];
  availableCond?: [string, string, number?];
}

/** A Deployment as the deployment controller leaves its status. */
export function deployment(o: DeployOpts = {}): KubeObject {
  const want = o.replicas ?? 3;
  const generation = o.generation ?? 1;
  const conditions: Record<string, unknown>[] = [];
  const c = (type: string, [status, reason, since]: [string, string, number?], message: string) => ({
    type,
    status,
    lastUpdateTime: at(since ?? 0),
    lastTransitionTime: at(since ?? 0),
    reason,
    message,
  });
  if (o.availableCond) conditions.push(c('Available', o.availableCond, o.availableCond[0] === 'True' ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.'));
  if (o.progressing) {
    const msg =
      o.progressing[1] === 'ProgressDeadlineExceeded'
        ? 'ReplicaSet "api-785d7c54c4" has timed out progressing.'
        : o.progressing[1] === 'NewReplicaSetAvailable'
          ? 'ReplicaSet "web-5d4f8b7c9" has successfully progressed.'
          : 'ReplicaSet "web-5d4f8b7c9" is progressing.';
    conditions.push(c('Progressing', o.progressing, msg));
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'demo',
      uid: DEPLOY_UID,
      generation,
      labels: { app: 'web' },
      annotations: o.revision === undefined ? {} : { 'deployment.kubernetes.io/revision': o.revision },
    },
    spec: {
      replicas: want,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.28' }] } },
      progressDeadlineSeconds: 600,
    },
    status: {
      observedGeneration: o.observedGeneration ?? generation,
      replicas: o.total ?? want,
      updatedReplicas: o.updated ?? want,
      readyReplicas: o.available ?? want,
      availableReplicas: o.available ?? want,
      conditions,
    },
  };
}

export const EVENT_UID = '3e2d1c0b-a987-4654-b321-0fedcba98765';

/** involvedObject of kubelet's events about container app of pod demo/web */
export const CONTAINER_REF = { kind: 'Pod', namespace: 'demo', name: 'web', uid: POD_UID, apiVersion: 'v1', resourceVersion: '1234', fieldPath: 'spec.containers{app}' };

export interface CoreEventOpts {
  uid?: string;
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  first?: number;
  last?: number;
  involved?: Record<string, unknown>;
  source?: { component: string; host?: string };
}

/**
 * A core/v1 Event as client-go's recorder writes it. By default kubelet's
 * FailedPostStartHook about container app: a Warning that no state detector
 * reports, so it is notified whatever the detectors config.
 */
export function coreEvent(o: CoreEventOpts = {}): KubeObject {
  const involved = o.involved ?? CONTAINER_REF;
  const source = o.source ?? { component: 'kubelet', host: 'sim-node-1' };
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${involved.name}.18296a4b3c2d1e0f`, namespace: (involved.namespace as string | undefined) || 'default', uid: o.uid ?? EVENT_UID, resourceVersion: '77' },
    involvedObject: involved,
    reason: o.reason ?? 'FailedPostStartHook',
    message: o.message ?? 'PostStartHook failed',
    source,
    firstTimestamp: at(o.first ?? 11),
    lastTimestamp: at(o.last ?? o.first ?? 11),
    count: o.count ?? 1,
    type: o.type ?? 'Warning',
    eventTime: null,
    reportingComponent: source.component,
    reportingInstance: source.host ?? '',
  };
}
