// Defaulting done by the real API server on create and update, limited to
// the fields clients and kubeherald read back (kubectl's apply diff and
// rollout status, detectors reading restartPolicy, qosClass…).

import { defaultCronJob, defaultNewJob, defaultUpdatedBatch } from './batch-defaults.ts';
import { defaultStatefulSet } from './statefulset-defaults.ts';
import { daemonSetCreateMeta } from './daemonset-defaults.ts';
import type { KObject } from './types.ts';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined) o[key] = value;
}

function defaultContainer(c: Obj): void {
  const image = String(c.image ?? '');
  const tagged = /:[^/]+$/.test(image) || image.includes('@');
  const latest = !tagged || image.endsWith(':latest');
  setDefault(c, 'imagePullPolicy', latest ? 'Always' : 'IfNotPresent');
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  setDefault(c, 'resources', {});
  if (Array.isArray(c.ports)) for (const p of c.ports) if (isObj(p)) setDefault(p, 'protocol', 'TCP');
}

export function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const list of ['containers', 'initContainers']) {
    const cs = spec[list];
    if (Array.isArray(cs)) for (const c of cs) if (isObj(c)) defaultContainer(c);
  }
}

/** BestEffort without requests/limits, Guaranteed when every container's requests equal its limits. */
export function qosClass(spec: Obj): string {
  const containers = [spec.containers, spec.initContainers].flatMap((cs) => (Array.isArray(cs) ? cs : [])) as Obj[];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const r = isObj(c.resources) ? c.resources : {};
    const req = isObj(r.requests) ? r.requests : {};
    const lim = isObj(r.limits) ? r.limits : {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const k of ['cpu', 'memory']) {
      const l = lim[k];
      const q = req[k] ?? l;
      if (l === undefined || String(q) !== String(l)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

let nextClusterIP = 10;

/** Applies the server's defaults to a new object of a built-in kind, in place. */
export function applyCreateDefaults(storage: string, obj: KObject): void {
  const o = obj as Obj;
  switch (storage) {
    case 'pods': {
      const spec = isObj(o.spec) ? o.spec : (o.spec = {});
      defaultPodSpec(spec as Obj);
      o.status = { phase: 'Pending', qosClass: qosClass(spec as Obj) };
      break;
    }
    case 'apps/deployments': {
      const spec = (isObj(o.spec) ? o.spec : (o.spec = {})) as Obj;
      setDefault(spec, 'replicas', 1);
      setDefault(spec, 'revisionHistoryLimit', 10);
      setDefault(spec, 'progressDeadlineSeconds', 600);
      setDefault(spec, 'strategy', { type: 'RollingUpdate' });
      const strategy = spec.strategy as Obj;
      // kubectl create deployment sends strategy: {}; SetDefaults_Deployment fills its type too
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy.type === 'RollingUpdate') setDefault(strategy, 'rollingUpdate', { maxUnavailable: '25%', maxSurge: '25%' });
      defaultTemplate(spec);
      o.status = {};
      break;
    }
    case 'apps/statefulsets':
      defaultStatefulSet(obj, true);
      break;
    case 'apps/daemonsets': {
      const spec = (isObj(o.spec) ? o.spec : (o.spec = {})) as Obj;
      defaultDaemonSetSpec(spec);
      daemonSetCreateMeta(obj);
      o.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
      break;
    }
    case 'apps/replicasets': {
      const spec = (isObj(o.spec) ? o.spec : (o.spec = {})) as Obj;
      setDefault(spec, 'replicas', 1);
      defaultTemplate(spec);
      o.status = { replicas: 0 };
      break;
    }
    case 'services': {
      const spec = (isObj(o.spec) ? o.spec : (o.spec = {})) as Obj;
      setDefault(spec, 'type', 'ClusterIP');
      setDefault(spec, 'sessionAffinity', 'None');
      if (spec.clusterIP === undefined) {
        const n = nextClusterIP++;
        spec.clusterIP = `10.96.${Math.floor(n / 250)}.${(n % 250) + 1}`;
      }
      setDefault(spec, 'clusterIPs', spec.clusterIP === 'None' ? ['None'] : [spec.clusterIP]);
      setDefault(spec, 'ipFamilies', ['IPv4']);
      setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
      setDefault(spec, 'internalTrafficPolicy', 'Cluster');
      if (Array.isArray(spec.ports)) {
        for (const p of spec.ports) {
          if (!isObj(p)) continue;
          setDefault(p, 'protocol', 'TCP');
          // protobuf bodies carry an unset int-or-string as 0
          if (p.targetPort === undefined || p.targetPort === 0) p.targetPort = p.port;
        }
      }
      o.status = { loadBalancer: {} };
      break;
    }
    case 'namespaces': {
      const name = obj.metadata.name!;
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name };
      o.spec = { finalizers: ['kubernetes'] };
      o.status = { phase: 'Active' };
      break;
    }
    case 'batch/jobs':
      defaultNewJob(obj);
      break;
    case 'batch/cronjobs':
      defaultCronJob(obj, true);
      break;
    case 'secrets': {
      setDefault(o, 'type', 'Opaque');
      mergeStringData(o);
      break;
    }
  }
}

/** Defaults that also apply on update (stringData folding, template defaults). */
export function applyUpdateDefaults(storage: string, obj: KObject): void {
  const o = obj as Obj;
  if (storage === 'secrets') mergeStringData(o);
  if (storage === 'namespaces') {
    obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name! };
  }
  if ((storage === 'apps/deployments' || storage === 'apps/replicasets') && isObj(o.spec)) defaultTemplate(o.spec);
  if (storage === 'pods' && isObj(o.spec)) defaultPodSpec(o.spec);
  if (storage === 'apps/daemonsets' && isObj(o.spec)) defaultDaemonSetSpec(o.spec);
  if (storage === 'apps/statefulsets') defaultStatefulSet(obj, false);
  if (storage.startsWith('batch/')) defaultUpdatedBatch(storage, obj);
}

/** SetDefaults_DaemonSet: RollingUpdate with maxUnavailable 1 and maxSurge 0, ten revisions kept. */
function defaultDaemonSetSpec(spec: Obj): void {
  setDefault(spec, 'updateStrategy', { type: 'RollingUpdate' });
  const strategy = spec.updateStrategy as Obj;
  if (strategy.type === 'RollingUpdate') {
    setDefault(strategy, 'rollingUpdate', {});
    const ru = strategy.rollingUpdate as Obj;
    setDefault(ru, 'maxUnavailable', 1);
    setDefault(ru, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultTemplate(spec);
}

function defaultTemplate(spec: Obj): void {
  const tpl = isObj(spec.template) ? spec.template : undefined;
  if (tpl && isObj(tpl.spec)) defaultPodSpec(tpl.spec);
}

function mergeStringData(o: Obj): void {
  if (!isObj(o.stringData)) return;
  const data = (isObj(o.data) ? o.data : {}) as Obj;
  for (const [k, v] of Object.entries(o.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
  o.data = data;
  delete o.stringData;
}
