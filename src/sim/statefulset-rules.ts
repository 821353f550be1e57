// Validation the real API server does on a StatefulSet beyond the schema
// (pkg/apis/apps/validation ValidateStatefulSetSpec): the enumerations whose
// 422 users hit, worded as the server words them.

import type { StatusCause } from './errors.ts';
import type { KObject } from './types.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function notSupported(field: string, value: unknown, supported: string[]): StatusCause {
  return {
    reason: 'FieldValueNotSupported',
    message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
    field,
  };
}

export function statefulSetCauses(obj: KObject): StatusCause[] {
  const spec = isObj(obj.spec) ? obj.spec : {};
  const out: StatusCause[] = [];
  const policy = spec.podManagementPolicy;
  if (policy !== undefined && policy !== 'OrderedReady' && policy !== 'Parallel') out.push(notSupported('spec.podManagementPolicy', policy, ['OrderedReady', 'Parallel']));
  const strategy = isObj(spec.updateStrategy) ? spec.updateStrategy : {};
  if (strategy.type !== undefined && strategy.type !== 'RollingUpdate' && strategy.type !== 'OnDelete') {
    out.push(notSupported('spec.updateStrategy.type', strategy.type, ['OnDelete', 'RollingUpdate']));
  }
  if (strategy.type === 'OnDelete' && strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null) {
    out.push({ reason: 'FieldValueInvalid', message: 'Invalid value: "OnDelete": only allowed for updateStrategy \'RollingUpdate\'', field: 'spec.updateStrategy.rollingUpdate' });
  }
  const tpl = isObj(spec.template) ? spec.template : {};
  const restart = isObj(tpl.spec) ? tpl.spec.restartPolicy : undefined;
  if (restart !== undefined && restart !== 'Always') out.push(notSupported('spec.template.spec.restartPolicy', restart, ['Always']));
  const partition = isObj(strategy.rollingUpdate) ? strategy.rollingUpdate.partition : undefined;
  if (typeof partition === 'number' && partition < 0) {
    out.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${partition}: must be greater than or equal to 0`, field: 'spec.updateStrategy.rollingUpdate.partition' });
  }
  return out;
}

/** The spec fields an update may change (ValidateStatefulSetUpdate); the rest are fixed at creation. */
const MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Obj;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

/** 422 causes of an update: the famous "updates to statefulset spec for fields other than …" */
export function statefulSetUpdateCauses(current: KObject, next: KObject): StatusCause[] {
  const fixed = (o: KObject): string => {
    const spec = { ...(isObj(o.spec) ? o.spec : {}) };
    for (const k of MUTABLE) delete spec[k];
    return canonical(spec);
  };
  if (fixed(current) === fixed(next)) return [];
  return [
    {
      reason: 'FieldValueForbidden',
      message: `Forbidden: updates to statefulset spec for fields other than ${MUTABLE.slice(0, -1).map((k) => `'${k}'`).join(', ')} and '${MUTABLE.at(-1)}' are forbidden`,
      field: 'spec',
    },
  ];
}
