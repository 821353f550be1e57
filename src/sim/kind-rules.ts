// Per-kind validation the real API server does beyond the schema: the
// checks whose 422 causes users actually hit (missing containers, a selector
// that does not match the template, a negative replica count).

import { cronJobCauses, jobCauses } from './batch-rules.ts';
import { clusterKindCauses } from './cluster-rules.ts';
import type { StatusCause } from './errors.ts';
import { labelSelectorFromObject, matchesLabels } from './selectors.ts';
import { hpaCauses, storageClassCauses } from './scaling-rules.ts';
import { statefulSetCauses } from './statefulset-rules.ts';
import type { KObject } from './types.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function required(field: string): StatusCause {
  return { reason: 'FieldValueRequired', message: 'Required value', field };
}

export function podSpecCauses(spec: unknown, path: string): StatusCause[] {
  if (!isObj(spec)) return [required(path)];
  const out: StatusCause[] = [];
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) return [required(`${path}.containers`)];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const p = `${path}.containers[${i}]`;
    if (!isObj(c)) return out.push(required(p));
    if (typeof c.name !== 'string' || c.name === '') out.push(required(`${p}.name`));
    else if (names.has(c.name)) out.push({ reason: 'FieldValueDuplicate', message: `Duplicate value: "${c.name}"`, field: `${p}.name` });
    else names.add(c.name);
    if (typeof c.image !== 'string' || c.image === '') out.push(required(`${p}.image`));
  });
  return out;
}

function replicasCauses(spec: Obj, path: string): StatusCause[] {
  const r = spec.replicas;
  if (r === undefined) return [];
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 0) {
    return [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(r)}: must be greater than or equal to 0`, field: `${path}.replicas` }];
  }
  return [];
}

function workloadCauses(obj: KObject): StatusCause[] {
  const spec = obj.spec;
  if (!isObj(spec)) return [required('spec')];
  const out = replicasCauses(spec, 'spec');
  const selector = spec.selector;
  if (!isObj(selector)) return [...out, required('spec.selector')];
  const tpl = isObj(spec.template) ? spec.template : undefined;
  const labels = tpl && isObj(tpl.metadata) ? (tpl.metadata.labels as Record<string, string> | undefined) : undefined;
  if (!matchesLabels(labelSelectorFromObject(selector as never), labels ?? {})) {
    out.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(labels ?? {})}: \`selector\` does not match template \`labels\``,
      field: 'spec.template.metadata.labels',
    });
  }
  out.push(...podSpecCauses(tpl?.spec, 'spec.template.spec'));
  return out;
}

/** ValidateDaemonSetSpec's checks beyond the workload ones: pods restart in place, two strategies. */
function daemonSetCauses(obj: KObject): StatusCause[] {
  const spec = isObj(obj.spec) ? obj.spec : {};
  const out: StatusCause[] = [];
  const tpl = isObj(spec.template) ? spec.template : {};
  const podSpec = isObj(tpl.spec) ? tpl.spec : {};
  const policy = podSpec.restartPolicy;
  if (policy !== undefined && policy !== 'Always') {
    out.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(policy)}: supported values: "Always"`, field: 'spec.template.spec.restartPolicy' });
  }
  const strategy = isObj(spec.updateStrategy) ? spec.updateStrategy : {};
  if (strategy.type !== undefined && strategy.type !== 'RollingUpdate' && strategy.type !== 'OnDelete') {
    out.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(strategy.type)}: supported values: "OnDelete", "RollingUpdate"`, field: 'spec.updateStrategy.type' });
  }
  return out;
}

/** 422 causes for an object of a built-in kind, by storage key. */
export function kindCauses(storage: string, obj: KObject): StatusCause[] {
  switch (storage) {
    case 'pods':
      return podSpecCauses(obj.spec, 'spec');
    case 'apps/deployments':
    case 'apps/replicasets':
      return workloadCauses(obj);
    case 'apps/statefulsets':
      return [...workloadCauses(obj), ...statefulSetCauses(obj)];
    case 'apps/daemonsets':
      return [...workloadCauses(obj), ...daemonSetCauses(obj)];
    case 'batch/jobs':
      return jobCauses(obj);
    case 'batch/cronjobs':
      return cronJobCauses(obj);
    case 'autoscaling/horizontalpodautoscalers':
      return hpaCauses(obj);
    case 'storage.k8s.io/storageclasses':
      return storageClassCauses(obj);
    case 'events':
      return isObj(obj.involvedObject) ? [] : [required('involvedObject')];
    default:
      return clusterKindCauses(storage, obj) ?? [];
  }
}
