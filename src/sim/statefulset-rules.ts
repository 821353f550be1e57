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
  const partition = isObj(strategy.rollingUpdate) ? strategy.rollingUpdate.partition : undefined;
  if (typeof partition === 'number' && partition < 0) {
    out.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${partition}: must be greater than or equal to 0`, field: 'spec.updateStrategy.rollingUpdate.partition' });
  }
  return out;
}
