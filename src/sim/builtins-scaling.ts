// Built-in kinds of storage classes and autoscaling as a 1.32 server serves
// them: storage.k8s.io/v1 StorageClasses, and HorizontalPodAutoscalers at
// autoscaling/v2 (stored, preferred) and autoscaling/v1 (the same objects
// converted, as kube-apiserver does: v1 carries the cpu target in its own
// field and everything else in autoscaling.alpha.kubernetes.io/*
// annotations). Kept apart from builtins.ts, which only lists them.

import { labelSelectorSchema, objectMetaSchema, typeMetaProperties } from './builtins.ts';
import type { JSONSchemaProps, KObject, ResourceType } from './types.ts';

type S = JSONSchemaProps;
type Obj = Record<string, unknown>;

const string = (): S => ({ type: 'string' });
const int32 = (): S => ({ type: 'integer', format: 'int32' });
const int64 = (): S => ({ type: 'integer', format: 'int64' });
const boolean = (): S => ({ type: 'boolean' });
const time = (): S => ({ type: 'string', format: 'date-time' });
const object = (properties: Record<string, S>, extra: S = {}): S => ({ type: 'object', properties, ...extra });
const opaque = (): S => ({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
const atomic = (items: S): S => ({ type: 'array', items, 'x-kubernetes-list-type': 'atomic' });
const stringMap = (): S => ({ type: 'object', additionalProperties: string() });
const quantity = (): S => ({ anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true });
const conditionList = (item: S): S => ({
  type: 'array',
  items: item,
  'x-kubernetes-list-map-keys': ['type'],
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-patch-merge-key': 'type',
  'x-kubernetes-patch-strategy': 'merge',
});

function kind(group: string, version: string, kindName: string, description: string, properties: Record<string, S>, required?: string[]): S {
  return {
    description,
    type: 'object',
    properties: { ...typeMetaProperties(), metadata: objectMetaSchema(), ...properties },
    ...(required ? { required } : {}),
    'x-kubernetes-group-version-kind': [{ group, kind: kindName, version }],
  };
}

// ---------------------------------------------------------------------------
// storage.k8s.io/v1 StorageClass

export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

function storageClassSchema(): S {
  return kind(
    'storage.k8s.io',
    'v1',
    'StorageClass',
    'StorageClass describes the parameters for a class of storage for which PersistentVolumes can be dynamically provisioned.\n\nStorageClasses are non-namespaced; the name of the storage class according to etcd is in ObjectMeta.Name.',
    {
      allowVolumeExpansion: boolean(),
      allowedTopologies: atomic(opaque()),
      mountOptions: atomic(string()),
      parameters: stringMap(),
      provisioner: string(),
      reclaimPolicy: { ...string(), enum: ['Delete', 'Recycle', 'Retain'] },
      volumeBindingMode: { ...string(), enum: ['Immediate', 'WaitForFirstConsumer'] },
    },
    ['provisioner'],
  );
}

/** The API server's defaults for a StorageClass (reclaimPolicy Delete, Immediate binding). */
function defaultStorageClass(o: KObject): KObject {
  const out = structuredClone(o) as Obj;
  out.reclaimPolicy ??= 'Delete';
  out.volumeBindingMode ??= 'Immediate';
  return out as KObject;
}

// ---------------------------------------------------------------------------
// autoscaling/v2 and autoscaling/v1 HorizontalPodAutoscaler

function metricTarget(): S {
  return object({ averageUtilization: int32(), averageValue: quantity(), type: string(), value: quantity() }, { required: ['type'] });
}

function metricValueStatus(): S {
  return object({ averageUtilization: int32(), averageValue: quantity(), value: quantity() });
}

function metricIdentifier(): S {
  return object({ name: string(), selector: labelSelectorSchema() }, { required: ['name'] });
}

function crossVersionRef(): S {
  return object({ apiVersion: string(), kind: string(), name: string() }, { required: ['kind', 'name'], 'x-kubernetes-map-type': 'atomic' });
}

function metricSpec(): S {
  return object(
    {
      containerResource: object({ container: string(), name: string(), target: metricTarget() }, { required: ['name', 'target', 'container'] }),
      external: object({ metric: metricIdentifier(), target: metricTarget() }, { required: ['metric', 'target'] }),
      object: object({ describedObject: crossVersionRef(), metric: metricIdentifier(), target: metricTarget() }, { required: ['describedObject', 'target', 'metric'] }),
      pods: object({ metric: metricIdentifier(), target: metricTarget() }, { required: ['metric', 'target'] }),
      resource: object({ name: string(), target: metricTarget() }, { required: ['name', 'target'] }),
      type: string(),
    },
    { required: ['type'] },
  );
}

function metricStatus(): S {
  return object(
    {
      containerResource: object({ container: string(), current: metricValueStatus(), name: string() }, { required: ['name', 'current', 'container'] }),
      external: object({ current: metricValueStatus(), metric: metricIdentifier() }, { required: ['metric', 'current'] }),
      object: object({ current: metricValueStatus(), describedObject: crossVersionRef(), metric: metricIdentifier() }, { required: ['metric', 'current', 'describedObject'] }),
      pods: object({ current: metricValueStatus(), metric: metricIdentifier() }, { required: ['metric', 'current'] }),
      resource: object({ current: metricValueStatus(), name: string() }, { required: ['name', 'current'] }),
      type: string(),
    },
    { required: ['type'] },
  );
}

function scalingRules(): S {
  return object({
    policies: atomic(object({ periodSeconds: int32(), type: string(), value: int32() }, { required: ['type', 'value', 'periodSeconds'] })),
    selectPolicy: string(),
    stabilizationWindowSeconds: int32(),
    tolerance: quantity(),
  });
}

const HPA_DESC =
  'HorizontalPodAutoscaler is the configuration for a horizontal pod autoscaler, which automatically manages the replica count of any resource implementing the scale subresource based on the metrics specified.';

function hpaV2Schema(): S {
  const condition = object(
    { lastTransitionTime: time(), message: string(), reason: string(), status: string(), type: string() },
    { required: ['type', 'status'] },
  );
  return kind('autoscaling', 'v2', 'HorizontalPodAutoscaler', HPA_DESC, {
    spec: object(
      {
        behavior: object({ scaleDown: scalingRules(), scaleUp: scalingRules() }),
        maxReplicas: int32(),
        metrics: atomic(metricSpec()),
        minReplicas: int32(),
        scaleTargetRef: crossVersionRef(),
      },
      { required: ['scaleTargetRef', 'maxReplicas'] },
    ),
    status: object(
      {
        conditions: conditionList(condition),
        currentMetrics: atomic(metricStatus()),
        currentReplicas: int32(),
        desiredReplicas: int32(),
        lastScaleTime: time(),
        observedGeneration: int64(),
      },
      { required: ['desiredReplicas'] },
    ),
  });
}

function hpaV1Schema(): S {
  return kind('autoscaling', 'v1', 'HorizontalPodAutoscaler', 'configuration of a horizontal pod autoscaler.', {
    spec: object(
      { maxReplicas: int32(), minReplicas: int32(), scaleTargetRef: crossVersionRef(), targetCPUUtilizationPercentage: int32() },
      { required: ['scaleTargetRef', 'maxReplicas'] },
    ),
    status: object(
      { currentCPUUtilizationPercentage: int32(), currentReplicas: int32(), desiredReplicas: int32(), lastScaleTime: time(), observedGeneration: int64() },
      { required: ['currentReplicas', 'desiredReplicas'] },
    ),
  });
}

/** The CPU target every HPA without metrics gets (autoscaling.DefaultCPUUtilization). */
export const DEFAULT_CPU_UTILIZATION = 80;

const cpuMetric = (pct: number): Obj => ({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: pct } } });

/** autoscaling/v2 defaults (SetDefaults_HorizontalPodAutoscaler): minReplicas 1, a cpu target of 80% when no metric is given. */
function defaultHPA(o: KObject): KObject {
  const out = structuredClone(o) as Obj;
  const spec = (out.spec ??= {}) as Obj;
  spec.minReplicas ??= 1;
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) spec.metrics = [cpuMetric(DEFAULT_CPU_UTILIZATION)];
  return out as KObject;
}

const ANN_METRICS = 'autoscaling.alpha.kubernetes.io/metrics';
const ANN_CURRENT = 'autoscaling.alpha.kubernetes.io/current-metrics';
const ANN_CONDITIONS = 'autoscaling.alpha.kubernetes.io/conditions';
const ANN_BEHAVIOR = 'autoscaling.alpha.kubernetes.io/behavior';

const isCpuUtilization = (m: Obj): boolean => {
  const r = m.resource as Obj | undefined;
  return m.type === 'Resource' && r?.name === 'cpu' && (r.target as Obj | undefined)?.type === 'Utilization';
};

/** Stored autoscaling/v2 → autoscaling/v1 (pkg/apis/autoscaling/v1/conversion.go). */
export function hpaV2ToV1(stored: KObject): KObject {
  const src = stored as Obj;
  const spec = (src.spec ?? {}) as Obj;
  const status = (src.status ?? {}) as Obj;
  const annotations: Record<string, string> = { ...(stored.metadata.annotations ?? {}) };
  const metrics = (spec.metrics as Obj[] | undefined) ?? [];
  const cpu = metrics.find(isCpuUtilization);
  const others = metrics.filter((m) => m !== cpu);
  if (others.length) annotations[ANN_METRICS] = JSON.stringify(others);
  if (spec.behavior) annotations[ANN_BEHAVIOR] = JSON.stringify(spec.behavior);
  const current = (status.currentMetrics as Obj[] | undefined) ?? [];
  const currentCpu = current.find((m) => m.type === 'Resource' && (m.resource as Obj | undefined)?.name === 'cpu');
  const currentOthers = current.filter((m) => m !== currentCpu);
  if (currentOthers.length) annotations[ANN_CURRENT] = JSON.stringify(currentOthers);
  if (Array.isArray(status.conditions) && status.conditions.length) annotations[ANN_CONDITIONS] = JSON.stringify(status.conditions);
  const v1Spec: Obj = { scaleTargetRef: structuredClone(spec.scaleTargetRef) };
  if (spec.minReplicas !== undefined) v1Spec.minReplicas = spec.minReplicas;
  v1Spec.maxReplicas = spec.maxReplicas;
  const target = ((cpu?.resource as Obj | undefined)?.target as Obj | undefined)?.averageUtilization;
  if (typeof target === 'number') v1Spec.targetCPUUtilizationPercentage = target;
  const v1Status: Obj = {};
  for (const k of ['observedGeneration', 'lastScaleTime']) if (status[k] !== undefined) v1Status[k] = status[k];
  v1Status.currentReplicas = status.currentReplicas ?? 0;
  v1Status.desiredReplicas = status.desiredReplicas ?? 0;
  const util = (((currentCpu?.resource as Obj | undefined)?.current as Obj | undefined)?.averageUtilization);
  if (typeof util === 'number') v1Status.currentCPUUtilizationPercentage = util;
  const metadata = { ...structuredClone(stored.metadata) };
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  return { kind: 'HorizontalPodAutoscaler', apiVersion: 'autoscaling/v1', metadata, spec: v1Spec, status: v1Status } as KObject;
}

const parseAnnotation = (annotations: Record<string, string>, key: string): Obj[] | Obj | undefined => {
  const raw = annotations[key];
  delete annotations[key];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as Obj[] | Obj;
  } catch {
    return undefined;
  }
};

/** autoscaling/v1 → stored autoscaling/v2, defaulted. */
export function hpaV1ToV2(viewed: KObject): KObject {
  const src = viewed as Obj;
  const spec = (src.spec ?? {}) as Obj;
  const status = src.status as Obj | undefined;
  const annotations: Record<string, string> = { ...(viewed.metadata.annotations ?? {}) };
  const others = parseAnnotation(annotations, ANN_METRICS);
  const behavior = parseAnnotation(annotations, ANN_BEHAVIOR);
  const currentOthers = parseAnnotation(annotations, ANN_CURRENT);
  const conditions = parseAnnotation(annotations, ANN_CONDITIONS);
  const metrics: Obj[] = [];
  if (typeof spec.targetCPUUtilizationPercentage === 'number') metrics.push(cpuMetric(spec.targetCPUUtilizationPercentage));
  if (Array.isArray(others)) metrics.push(...others);
  const v2Spec: Obj = { scaleTargetRef: structuredClone(spec.scaleTargetRef) };
  if (spec.minReplicas !== undefined) v2Spec.minReplicas = spec.minReplicas;
  v2Spec.maxReplicas = spec.maxReplicas;
  if (metrics.length) v2Spec.metrics = metrics;
  if (behavior && !Array.isArray(behavior)) v2Spec.behavior = behavior;
  const out: Obj = { kind: 'HorizontalPodAutoscaler', apiVersion: 'autoscaling/v2', metadata: { ...structuredClone(viewed.metadata) }, spec: v2Spec };
  const meta = out.metadata as Obj;
  if (Object.keys(annotations).length) meta.annotations = annotations;
  else delete meta.annotations;
  if (status) {
    const v2Status: Obj = {};
    for (const k of ['observedGeneration', 'lastScaleTime', 'currentReplicas', 'desiredReplicas']) if (status[k] !== undefined) v2Status[k] = status[k];
    const current: Obj[] = [];
    if (typeof status.currentCPUUtilizationPercentage === 'number') {
      current.push({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } });
    }
    if (Array.isArray(currentOthers)) current.push(...currentOthers);
    if (current.length) v2Status.currentMetrics = current;
    if (Array.isArray(conditions)) v2Status.conditions = conditions;
    out.status = v2Status;
  }
  return defaultHPA(out as KObject);
}

// ---------------------------------------------------------------------------
// The served types.

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function scalingResourceTypes(): ResourceType[] {
  const hpa = (version: string, schema: S): ResourceType => ({
    group: 'autoscaling',
    version,
    resource: 'horizontalpodautoscalers',
    singular: 'horizontalpodautoscaler',
    kind: 'HorizontalPodAutoscaler',
    listKind: 'HorizontalPodAutoscalerList',
    namespaced: true,
    shortNames: ['hpa'],
    categories: ['all'],
    verbs: ALL_VERBS,
    subresources: ['status'],
    storage: 'autoscaling/horizontalpodautoscalers',
    schema,
  });
  const v2 = hpa('v2', hpaV2Schema());
  // the stored form is v2: defaulting on the way in is all v2 needs
  v2.fromView = defaultHPA;
  const v1 = hpa('v1', hpaV1Schema());
  v1.toView = hpaV2ToV1;
  v1.fromView = hpaV1ToV2;
  const sc: ResourceType = {
    group: 'storage.k8s.io',
    version: 'v1',
    resource: 'storageclasses',
    singular: 'storageclass',
    kind: 'StorageClass',
    listKind: 'StorageClassList',
    namespaced: false,
    shortNames: ['sc'],
    verbs: ALL_VERBS,
    subresources: [],
    storage: 'storage.k8s.io/storageclasses',
    schema: storageClassSchema(),
    fromView: defaultStorageClass,
  };
  // v2 first: the preferred version of the group, as discovery lists it
  return [v2, v1, sc];
}
