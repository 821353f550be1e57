// What the API server fills in on a StatefulSet (apps/v1 SetDefaults_StatefulSet
// with the StatefulSetAutoDeletePVC gate on, as in 1.32), so `kubectl get -o yaml`,
// `rollout status` (which reads updateStrategy) and the controller see the same
// spec as on a real cluster.

import { defaultPodSpec } from './defaults.ts';
import type { KObject } from './types.ts';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Defaults in place; `created` also sets the initial status the registry writes. */
export function defaultStatefulSet(obj: KObject, created: boolean): void {
  const o = obj as Obj;
  const spec = (isObj(o.spec) ? o.spec : (o.spec = {})) as Obj;
  spec.podManagementPolicy ||= 'OrderedReady';
  const strategy = (isObj(spec.updateStrategy) ? spec.updateStrategy : (spec.updateStrategy = {})) as Obj;
  if (!strategy.type) {
    strategy.type = 'RollingUpdate';
    strategy.rollingUpdate ??= {};
  }
  if (strategy.type === 'RollingUpdate' && isObj(strategy.rollingUpdate)) strategy.rollingUpdate.partition ??= 0;
  const retention = (isObj(spec.persistentVolumeClaimRetentionPolicy) ? spec.persistentVolumeClaimRetentionPolicy : (spec.persistentVolumeClaimRetentionPolicy = {})) as Obj;
  retention.whenDeleted ||= 'Retain';
  retention.whenScaled ||= 'Retain';
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  const tpl = isObj(spec.template) ? spec.template : undefined;
  if (tpl && isObj(tpl.spec)) defaultPodSpec(tpl.spec);
  if (Array.isArray(spec.volumeClaimTemplates)) {
    for (const vct of spec.volumeClaimTemplates) {
      if (!isObj(vct)) continue;
      // a claim template is a PersistentVolumeClaim: defaulted and given an initial status like one
      const s = (isObj(vct.spec) ? vct.spec : (vct.spec = {})) as Obj;
      s.volumeMode ||= 'Filesystem';
      vct.status ??= { phase: 'Pending' };
    }
  }
  if (created) o.status = { availableReplicas: 0, replicas: 0 };
}
