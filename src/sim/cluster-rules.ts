// Validation kube-apiserver does for PodDisruptionBudgets, PriorityClasses
// and ResourceQuotas beyond their schemas (pkg/apis/policy/validation,
// pkg/apis/scheduling/validation, pkg/apis/core/validation): the 422 causes
// users hit with a budget that sets both bounds, a bad percentage, a user
// priority above the ceiling or a quota that is not a quantity.

import type { StatusCause } from './errors.ts';
import type { KObject } from './types.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The highest value a PriorityClass not named system-* may have (HighestUserDefinablePriority). */
export const HIGHEST_USER_PRIORITY = 1_000_000_000;
const SYSTEM_PRIORITY_CLASSES = new Set(['system-node-critical', 'system-cluster-critical']);
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[numkMGTPE]|[KMGTPE]i)?$/;

const invalid = (field: string, value: unknown, why: string): StatusCause => ({
  reason: 'FieldValueInvalid',
  field,
  message: `Invalid value: ${JSON.stringify(value)}: ${why}`,
});

/** ValidatePositiveIntOrPercent + IsNotMoreThan100Percent. */
function intOrPercentCauses(v: unknown, field: string): StatusCause[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? [] : [invalid(field, v, 'must be greater than or equal to 0')];
  if (typeof v !== 'string') return [invalid(field, v, "must be an integer or percentage (e.g '5%')")];
  const m = /^(\d+)%$/.exec(v);
  if (!m) return [invalid(field, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
  return Number(m[1]) > 100 ? [invalid(field, v, 'must not be greater than 100%')] : [];
}

function pdbCauses(obj: KObject): StatusCause[] {
  const spec = isObj(obj.spec) ? obj.spec : {};
  const out: StatusCause[] = [];
  if (spec.minAvailable !== undefined && spec.minAvailable !== null && spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    out.push({ reason: 'FieldValueInvalid', field: 'spec', message: `Invalid value: ${JSON.stringify(spec)}: minAvailable and maxUnavailable cannot be both set` });
  }
  out.push(...intOrPercentCauses(spec.minAvailable, 'spec.minAvailable'), ...intOrPercentCauses(spec.maxUnavailable, 'spec.maxUnavailable'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (policy !== undefined && policy !== 'AlwaysAllow' && policy !== 'IfHealthyBudget') {
    out.push({ reason: 'FieldValueNotSupported', field: 'spec.unhealthyPodEvictionPolicy', message: `Unsupported value: ${JSON.stringify(policy)}: supported values: "AlwaysAllow", "IfHealthyBudget"` });
  }
  return out;
}

function priorityClassCauses(obj: KObject): StatusCause[] {
  const name = obj.metadata.name ?? '';
  const value = (obj as Obj).value;
  if (typeof value !== 'number' || !Number.isInteger(value)) return [{ reason: 'FieldValueRequired', field: 'value', message: 'Required value' }];
  const out: StatusCause[] = [];
  if (name.startsWith('system-') && !SYSTEM_PRIORITY_CLASSES.has(name)) {
    out.push({ reason: 'FieldValueForbidden', field: 'metadata.name', message: "Forbidden: priority class names with 'system-' prefix are reserved for system use only" });
  } else if (!name.startsWith('system-') && value > HIGHEST_USER_PRIORITY) {
    out.push({ reason: 'FieldValueForbidden', field: 'value', message: `Forbidden: maximum allowed value of a user defined priority is ${HIGHEST_USER_PRIORITY}` });
  }
  const policy = (obj as Obj).preemptionPolicy;
  if (policy !== undefined && policy !== 'PreemptLowerPriority' && policy !== 'Never') {
    out.push({ reason: 'FieldValueNotSupported', field: 'preemptionPolicy', message: `Unsupported value: ${JSON.stringify(policy)}: supported values: "Never", "PreemptLowerPriority"` });
  }
  return out;
}

function quotaCauses(obj: KObject): StatusCause[] {
  const hard = isObj(obj.spec) && isObj(obj.spec.hard) ? obj.spec.hard : {};
  const out: StatusCause[] = [];
  for (const [k, v] of Object.entries(hard)) {
    const text = typeof v === 'number' ? String(v) : v;
    if (typeof text !== 'string' || !QUANTITY.test(text)) out.push(invalid(`spec.hard[${k}]`, v, 'quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\''));
    else if (text.startsWith('-')) out.push(invalid(`spec.hard[${k}]`, text, 'must be greater than or equal to 0'));
  }
  return out;
}

/** 422 causes for the kinds above, by storage key; undefined for any other kind. */
export function clusterKindCauses(storage: string, obj: KObject): StatusCause[] | undefined {
  switch (storage) {
    case 'policy/poddisruptionbudgets':
      return pdbCauses(obj);
    case 'scheduling.k8s.io/priorityclasses':
      return priorityClassCauses(obj);
    case 'resourcequotas':
      return quotaCauses(obj);
    default:
      return undefined;
  }
}
