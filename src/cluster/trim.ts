// What the listener keeps of each object. Caches hold every pod and node in
// the cluster, so everything detection never reads is dropped on arrival:
// managedFields, last-applied configuration, pod specs beyond container
// names and images, node images and volumes; the workload family
// (Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs)
// keeps its spec and status but only container names and images of its pod
// template, and a StatefulSet's claim templates only their name, class and
// size. Memory then grows with the number of objects, not with how verbose
// they are.
//
// Except pods while a sink sends them whole (webhook `payload: pod`, k8svent's
// contract: the pod as `kubectl get pod -o json` shows it): then a pod keeps
// everything but its managedFields, which kubectl does not show either. That
// costs memory per cached pod (docs/config.md gives the figures).

import type { KubeObject } from '../model/kube.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const DROPPED_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration'];

function trimMeta(meta: KubeObject['metadata']): KubeObject['metadata'] {
  const { managedFields: _m, selfLink: _s, ...rest } = meta;
  if (rest.annotations) {
    const annotations = { ...rest.annotations };
    for (const a of DROPPED_ANNOTATIONS) delete annotations[a];
    rest.annotations = annotations;
  }
  return rest;
}

function trimContainers(list: unknown): unknown {
  if (!Array.isArray(list)) return list;
  return list.map((c: Obj) => ({ name: c.name, image: c.image }));
}

function trimPodSpec(spec: unknown): unknown {
  if (!isObj(spec)) return spec;
  return {
    nodeName: spec.nodeName,
    restartPolicy: spec.restartPolicy,
    containers: trimContainers(spec.containers),
    initContainers: spec.initContainers ? trimContainers(spec.initContainers) : undefined,
  };
}

/** A pod template as the workload detectors read it: its metadata and container names and images. */
function trimTemplate(tpl: unknown): unknown {
  if (!isObj(tpl)) return tpl;
  return { metadata: isObj(tpl.metadata) ? trimMeta(tpl.metadata as KubeObject['metadata']) : tpl.metadata, spec: trimPodSpec(tpl.spec) };
}

/** A workload's spec with its pod template trimmed (the rest is small: replicas, selector, strategy …). */
function trimWorkloadSpec(spec: unknown): unknown {
  if (!isObj(spec) || !isObj(spec.template)) return spec;
  return { ...spec, template: trimTemplate(spec.template) };
}

/** A claim template: which claim, of what class and size; not its selector, data source or annotations. */
function trimClaimTemplates(list: unknown): unknown {
  if (!Array.isArray(list)) return list;
  return list.map((t: Obj) => {
    const meta = isObj(t?.metadata) ? t.metadata : {};
    const spec = isObj(t?.spec) ? t.spec : {};
    return { metadata: { name: meta.name }, spec: { storageClassName: spec.storageClassName, accessModes: spec.accessModes, resources: spec.resources } };
  });
}

export interface TrimOptions {
  /** keep pods whole but for managedFields: a sink sends them as the API server returned them */
  wholePods?: boolean;
}

/** Returns a trimmed copy; the input is not changed. */
export function trimObject(obj: KubeObject, opts: TrimOptions = {}): KubeObject {
  if (opts.wholePods && obj.kind === 'Pod') {
    const { managedFields: _m, ...metadata } = obj.metadata;
    return { ...obj, metadata };
  }
  const out: KubeObject = { ...obj, metadata: trimMeta(obj.metadata) };
  switch (obj.kind) {
    case 'Pod':
      out.spec = trimPodSpec(obj.spec);
      break;
    case 'Node':
      if (isObj(obj.status)) {
        const { images: _i, volumesAttached: _va, volumesInUse: _vu, ...status } = obj.status;
        out.status = status;
      }
      break;
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
    case 'Job':
      out.spec = trimWorkloadSpec(obj.spec);
      break;
    case 'StatefulSet': {
      const spec = trimWorkloadSpec(obj.spec);
      out.spec = isObj(spec) && spec.volumeClaimTemplates ? { ...spec, volumeClaimTemplates: trimClaimTemplates(spec.volumeClaimTemplates) } : spec;
      break;
    }
    case 'CronJob':
      // the Job it makes, whose pod template is as verbose as any
      if (isObj(obj.spec) && isObj(obj.spec.jobTemplate)) {
        const jt = obj.spec.jobTemplate;
        out.spec = { ...obj.spec, jobTemplate: { ...jt, metadata: isObj(jt.metadata) ? trimMeta(jt.metadata as KubeObject['metadata']) : jt.metadata, spec: trimWorkloadSpec(jt.spec) } };
      }
      break;
  }
  return out;
}

/** Just enough of an object to tell, after a re-list, whether it changed or went away. */
export function identityOnly(obj: KubeObject): KubeObject {
  const { name, namespace, uid, resourceVersion } = obj.metadata;
  return { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name, namespace, uid, resourceVersion } };
}
