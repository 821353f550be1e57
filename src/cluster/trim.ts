// What the listener keeps of each object. Caches hold every pod and node in
// the cluster, so everything detection never reads is dropped on arrival:
// managedFields, last-applied configuration, pod specs beyond container
// names, images and memory limits (the OOMKilled message quotes the limit),
// pod status beyond phase, reason, message, conditions and each container's
// name, image, readiness, restarts and states (not IPs, container and image
// ids, allocated resources, mounts), node images and volumes; the workload family
// (Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs)
// keeps its spec and status but only container names and images of its pod
// template, and a StatefulSet's claim templates only their name, class and
// size. Memory then grows with the number of objects, not with how verbose
// they are. test/cluster/trim-readers.test.ts runs every detector and the
// inhibition rules on whole and trimmed objects: a reader of a field dropped
// here fails it.
//
// The short strings of a cached pod or node (label keys and values, node
// and namespace names, images, condition types, reasons, timestamps to the
// second) repeat across thousands of objects; JSON.parse gives each object
// its own copies, so the trimmed copy takes them from one bounded table.
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

/** A pod's containers: the OOMKilled detector quotes the memory limit too. */
function trimPodContainers(list: unknown): unknown {
  if (!Array.isArray(list)) return list;
  return list.map((c: Obj) => {
    const memory = isObj(c.resources) && isObj(c.resources.limits) ? c.resources.limits.memory : undefined;
    return memory === undefined ? { name: c.name, image: c.image } : { name: c.name, image: c.image, resources: { limits: { memory } } };
  });
}

function trimPodSpec(spec: unknown, containers: (list: unknown) => unknown = trimContainers): unknown {
  if (!isObj(spec)) return spec;
  return {
    nodeName: spec.nodeName,
    restartPolicy: spec.restartPolicy,
    containers: containers(spec.containers),
    initContainers: spec.initContainers ? containers(spec.initContainers) : undefined,
  };
}

/** A container's status as the pod detectors read it: not its ids, allocated resources, mounts or user. */
function trimContainerStatuses(list: unknown): unknown {
  if (!Array.isArray(list)) return list;
  return list.map((c: Obj) => ({ name: c.name, image: c.image, ready: c.ready, started: c.started, restartCount: c.restartCount, state: c.state, lastState: c.lastState }));
}

/** Conditions without lastProbeTime (null on pods, a heartbeat nobody reads on nodes). */
function trimConditions(list: unknown): unknown {
  if (!Array.isArray(list)) return list;
  return list.map((c: Obj) => {
    const { lastProbeTime: _p, lastHeartbeatTime: _h, ...rest } = c;
    return rest;
  });
}

function trimPodStatus(status: unknown): unknown {
  if (!isObj(status)) return status;
  return {
    phase: status.phase,
    reason: status.reason,
    message: status.message,
    conditions: trimConditions(status.conditions),
    containerStatuses: trimContainerStatuses(status.containerStatuses),
    initContainerStatuses: status.initContainerStatuses ? trimContainerStatuses(status.initContainerStatuses) : undefined,
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
      out.spec = trimPodSpec(obj.spec, trimPodContainers);
      out.status = trimPodStatus(obj.status);
      return internObject(out);
    case 'Node':
      if (isObj(obj.status)) {
        const { images: _i, volumesAttached: _va, volumesInUse: _vu, ...status } = obj.status;
        out.status = { ...status, conditions: trimConditions(status.conditions) };
      }
      return internObject(out);
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

// Strings up to this length are shared; longer ones (messages, annotations) are rarely repeated.
const INTERN_MAX_LENGTH = 64;
// The table is emptied when it holds this many: a bound, never a leak (later copies are shared again).
const INTERN_MAX_ENTRIES = 50_000;
const internTable = new Map<string, string>();

function intern(s: string): string {
  if (s.length > INTERN_MAX_LENGTH) return s;
  const found = internTable.get(s);
  if (found !== undefined) return found;
  if (internTable.size >= INTERN_MAX_ENTRIES) internTable.clear();
  internTable.set(s, s);
  return s;
}

/** A copy with its short strings taken from the shared table (property names V8 shares already). */
function interned<T>(v: T): T {
  if (typeof v === 'string') return intern(v) as T;
  if (Array.isArray(v)) return v.map(interned) as T;
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const k in v) if (v[k] !== undefined) out[k] = interned(v[k]);
  return out as T;
}

// one per object: sharing them would only churn the table
const UNIQUE_METADATA = new Set(['name', 'uid', 'resourceVersion', 'creationTimestamp']);

/** A trimmed pod or node with its short strings shared. */
function internObject(obj: KubeObject): KubeObject {
  const metadata: Obj = {};
  for (const [k, v] of Object.entries(obj.metadata)) if (v !== undefined) metadata[k] = UNIQUE_METADATA.has(k) ? v : interned(v);
  const out: Obj = {};
  for (const k in obj) if (obj[k] !== undefined) out[k] = k === 'metadata' ? metadata : interned(obj[k]);
  return out as KubeObject;
}
