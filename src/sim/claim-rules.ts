// What the API server refuses when a PersistentVolumeClaim is updated: its
// validation (only the storage request of a bound claim may change, and not
// below what the volume has) and the PersistentVolumeClaimResize admission
// plugin (only a claim whose StorageClass allows expansion may grow).

import { forbidden, type StatusCause } from './errors.ts';
import type { ObjectStore } from './store.ts';
import type { KObject } from './types.ts';

type Obj = Record<string, unknown>;

const SUFFIX: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60, m: 1e-3 };

function bytes(q: unknown): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(q ?? '').trim());
  return m && m[2] in SUFFIX ? Number(m[1]) * SUFFIX[m[2]] : NaN;
}

const spec = (o: KObject): Obj => (o.spec ?? {}) as Obj;
const requestOf = (o: KObject): unknown => ((spec(o).resources as Obj | undefined)?.requests as Obj | undefined)?.storage;

/** 422 causes of a claim update; throws the admission plugin's 403 for a resize its class does not allow. */
export function claimUpdateCauses(store: ObjectStore, current: KObject, next: KObject): StatusCause[] {
  const bound = (current.status as Obj | undefined)?.phase === 'Bound';
  const before = structuredClone(spec(current));
  const after = structuredClone(spec(next));
  // the controller binds and assigns the default class; the user may change the request of a bound claim
  if (!before.volumeName) delete after.volumeName, delete before.volumeName;
  if (before.storageClassName === undefined) delete after.storageClassName;
  if (bound) {
    delete (before.resources as Obj | undefined)?.requests;
    delete (after.resources as Obj | undefined)?.requests;
    delete before.volumeAttributesClassName;
    delete after.volumeAttributesClassName;
  }
  if (JSON.stringify(sorted(before)) !== JSON.stringify(sorted(after))) {
    return [{ reason: 'FieldValueForbidden', message: 'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims', field: 'spec' }];
  }
  if (!bound) return [];
  const want = bytes(requestOf(next));
  const had = bytes(requestOf(current));
  const capacity = bytes(((current.status as Obj | undefined)?.capacity as Obj | undefined)?.storage);
  if (want < capacity) {
    return [{ reason: 'FieldValueForbidden', message: 'Forbidden: field can not be less than status.capacity', field: 'spec.resources.requests.storage' }];
  }
  if (want > had) {
    const className = spec(current).storageClassName as string | undefined;
    const sc = className ? (store.get('storage.k8s.io/storageclasses', undefined, className) as Obj | undefined) : undefined;
    if (!sc || sc.allowVolumeExpansion !== true) {
      throw forbidden(
        `persistentvolumeclaims "${current.metadata.name}" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize`,
        { name: current.metadata.name, kind: 'persistentvolumeclaims' },
      );
    }
  }
  return [];
}

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Obj)[k])]));
  return v;
}
