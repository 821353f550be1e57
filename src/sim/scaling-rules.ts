// The API server's validation of HorizontalPodAutoscalers and StorageClasses
// (pkg/apis/autoscaling/validation, pkg/apis/storage/validation), limited to
// the causes people hit: a missing target or maximum, a minimum above the
// maximum, a class without a provisioner or with an unknown mode.

import type { StatusCause } from './errors.ts';
import type { KObject } from './types.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const required = (field: string): StatusCause => ({ reason: 'FieldValueRequired', message: 'Required value', field });
const invalid = (field: string, value: unknown, why: string): StatusCause => ({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${why}`, field });
const notSupported = (field: string, value: unknown, values: string[]): StatusCause => ({
  reason: 'FieldValueNotSupported',
  message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${values.map((v) => `"${v}"`).join(', ')}`,
  field,
});

/** autoscaling/v2 HorizontalPodAutoscaler (v1 is checked after conversion). */
export function hpaCauses(obj: KObject): StatusCause[] {
  const spec = isObj(obj.spec) ? obj.spec : {};
  const out: StatusCause[] = [];
  const ref = isObj(spec.scaleTargetRef) ? spec.scaleTargetRef : {};
  if (typeof ref.kind !== 'string' || ref.kind === '') out.push(required('spec.scaleTargetRef.kind'));
  if (typeof ref.name !== 'string' || ref.name === '') out.push(required('spec.scaleTargetRef.name'));
  // int32 fields: absent is 0 to the typed decoder
  const min = typeof spec.minReplicas === 'number' ? spec.minReplicas : 1;
  const max = typeof spec.maxReplicas === 'number' ? spec.maxReplicas : 0;
  if (min < 1) out.push(invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  if (max < 1) out.push(invalid('spec.maxReplicas', max, 'must be greater than or equal to 1'));
  else if (max < min) out.push(invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  const metrics = Array.isArray(spec.metrics) ? spec.metrics : [];
  metrics.forEach((m: unknown, i) => {
    const target = isObj(m) && isObj(m.resource) && isObj(m.resource.target) ? m.resource.target : undefined;
    const util = target?.averageUtilization;
    if (typeof util === 'number' && util <= 0) out.push(invalid(`spec.metrics[${i}].resource.target.averageUtilization`, util, 'must be greater than 0'));
  });
  return out;
}

export function storageClassCauses(obj: KObject): StatusCause[] {
  const sc = obj as Obj;
  const out: StatusCause[] = [];
  if (typeof sc.provisioner !== 'string' || sc.provisioner === '') out.push(required('provisioner'));
  if (sc.reclaimPolicy !== undefined && !['Delete', 'Retain'].includes(sc.reclaimPolicy as string)) out.push(notSupported('reclaimPolicy', sc.reclaimPolicy, ['Delete', 'Retain']));
  if (sc.volumeBindingMode !== undefined && !['Immediate', 'WaitForFirstConsumer'].includes(sc.volumeBindingMode as string)) {
    out.push(notSupported('volumeBindingMode', sc.volumeBindingMode, ['Immediate', 'WaitForFirstConsumer']));
  }
  return out;
}
