// PersistentVolume binding, as a cluster with a default dynamic provisioner
// behaves: every claim that is Pending gets a volume made up for it
// (`pvc-<claim uid>`, the claim's size, access modes and class), bound both
// ways, and the claim turns Bound; a claim naming an existing volume
// (spec.volumeName) binds to that one when it is free. A deleted claim's
// provisioned volume is deleted with it (reclaim policy Delete). The
// scheduler asks unboundClaimsMessage() before placing a pod, so a pod whose
// claims are missing or not yet bound stays Pending, as in a real cluster.

import type { TimerHandle } from '../clock.ts';
import { PVCS, PVS } from '../refs.ts';
import type { SimContext } from '../scenario.ts';
import type { Change } from '../store.ts';
import type { KObject } from '../types.ts';

export const PROVISIONER = 'sim.kubeherald.io/hostpath';

interface ClaimSpec {
  accessModes?: string[];
  resources?: { requests?: Record<string, string> };
  storageClassName?: string;
  volumeMode?: string;
  volumeName?: string;
}

interface VolumeSpec {
  claimRef?: { namespace?: string; name?: string; uid?: string };
  persistentVolumeReclaimPolicy?: string;
}

const claimSpec = (pvc: KObject): ClaimSpec => (pvc.spec ?? {}) as ClaimSpec;
const phaseOf = (o: KObject | undefined): string | undefined => (o?.status as { phase?: string } | undefined)?.phase;

/** Why a pod cannot be scheduled yet because of its claims, or undefined when every claim is bound. */
export function unboundClaimsMessage(ctx: SimContext, pod: KObject): string | undefined {
  const volumes = ((pod.spec as { volumes?: { persistentVolumeClaim?: { claimName?: string } }[] } | undefined)?.volumes ?? []);
  let unbound = false;
  for (const v of volumes) {
    const name = v.persistentVolumeClaim?.claimName;
    if (!name) continue;
    const pvc = ctx.store.get(PVCS.storage, pod.metadata.namespace, name);
    // the scheduler's VolumeBinding PreFilter words it this way
    if (!pvc) return `persistentvolumeclaim "${name}" not found`;
    if (pvc.metadata.deletionTimestamp) return `persistentvolumeclaim "${name}" is being deleted`;
    if (phaseOf(pvc) !== 'Bound') unbound = true;
  }
  return unbound ? 'pod has unbound immediate PersistentVolumeClaims' : undefined;
}

export function startVolumeBinder(ctx: SimContext): () => void {
  const pending = new Map<string, TimerHandle>();
  let stopped = false;

  // Changes arrive inside the store's write; the binder writes afterwards.
  const queue = (ns: string, name: string): void => {
    const k = `${ns}/${name}`;
    if (pending.has(k)) return;
    pending.set(
      k,
      ctx.clock.setTimeout(() => {
        pending.delete(k);
        if (!stopped) sync(ns, name);
      }, 0),
    );
  };

  const onChange = (c: Change): void => {
    if (stopped) return;
    if (c.storage === PVCS.storage) {
      if (c.type === 'DELETED') release(c.object);
      else if (phaseOf(c.object) !== 'Bound' && !c.object.metadata.deletionTimestamp) queue(c.object.metadata.namespace!, c.object.metadata.name!);
    } else if (c.storage === PVS.storage && c.type === 'DELETED') {
      // a claim whose volume went away is Lost, as the real controller says
      const ref = (c.object.spec as VolumeSpec | undefined)?.claimRef;
      const pvc = ref?.name ? ctx.store.get(PVCS.storage, ref.namespace, ref.name) : undefined;
      if (pvc && pvc.metadata.uid === ref?.uid && phaseOf(pvc) === 'Bound') {
        ctx.clock.setTimeout(() => {
          if (stopped || !ctx.store.get(PVCS.storage, ref!.namespace, ref!.name!)) return;
          ctx.store.mutate(PVCS, ref!.namespace, ref!.name!, (o) => {
            (o.status as { phase?: string }).phase = 'Lost';
          });
        }, 0);
      }
    }
  };

  const sync = (ns: string, name: string): void => {
    const pvc = ctx.store.get(PVCS.storage, ns, name);
    if (!pvc || pvc.metadata.deletionTimestamp || phaseOf(pvc) === 'Bound') return;
    const spec = claimSpec(pvc);
    let pv: KObject | undefined;
    if (spec.volumeName) {
      pv = ctx.store.get(PVS.storage, undefined, spec.volumeName);
      const ref = (pv?.spec as VolumeSpec | undefined)?.claimRef;
      // a named volume that does not exist or belongs to another claim: the claim waits
      if (!pv || (ref?.uid && ref.uid !== pvc.metadata.uid)) return;
      pv = ctx.store.mutate(PVS, undefined, spec.volumeName, (o) => {
        (o.spec as Record<string, unknown>).claimRef = claimRef(pvc);
        o.status = { phase: 'Bound' };
      });
    } else {
      pv = provision(pvc);
    }
    bindClaim(pvc, pv);
  };

  const claimRef = (pvc: KObject): Record<string, string> => ({
    kind: 'PersistentVolumeClaim',
    namespace: pvc.metadata.namespace!,
    name: pvc.metadata.name!,
    uid: pvc.metadata.uid!,
    apiVersion: 'v1',
    resourceVersion: pvc.metadata.resourceVersion!,
  });

  const provision = (pvc: KObject): KObject => {
    const spec = claimSpec(pvc);
    const name = `pvc-${pvc.metadata.uid}`;
    const existing = ctx.store.get(PVS.storage, undefined, name);
    if (existing) return existing;
    const pvSpec: Record<string, unknown> = {
      accessModes: spec.accessModes ?? ['ReadWriteOnce'],
      capacity: { storage: spec.resources?.requests?.storage ?? '1Gi' },
      claimRef: claimRef(pvc),
      hostPath: { path: `/var/lib/sim-volumes/${name}`, type: '' },
      persistentVolumeReclaimPolicy: 'Delete',
      volumeMode: spec.volumeMode ?? 'Filesystem',
    };
    if (spec.storageClassName) pvSpec.storageClassName = spec.storageClassName;
    const pv = ctx.store.create(PVS, {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': PROVISIONER } },
      spec: pvSpec,
      status: { phase: 'Bound', lastPhaseTransitionTime: ctx.clock.nowIso() },
    });
    ctx.recorder.record({
      object: pvc,
      type: 'Normal',
      reason: 'ProvisioningSucceeded',
      message: `Successfully provisioned volume ${name}`,
      source: { component: `${PROVISIONER}_sim` },
    });
    return pv;
  };

  const bindClaim = (pvc: KObject, pv: KObject): void => {
    const pvSpec = pv.spec as { accessModes?: string[]; capacity?: Record<string, string> };
    ctx.store.mutate(PVCS, pvc.metadata.namespace, pvc.metadata.name!, (o) => {
      const annotations = (o.metadata.annotations ??= {});
      annotations['pv.kubernetes.io/bind-completed'] = 'yes';
      annotations['pv.kubernetes.io/bound-by-controller'] = 'yes';
      if (pv.metadata.annotations?.['pv.kubernetes.io/provisioned-by']) {
        annotations['volume.kubernetes.io/storage-provisioner'] = PROVISIONER;
      }
      (o.spec as ClaimSpec).volumeName = pv.metadata.name;
      o.status = { phase: 'Bound', accessModes: pvSpec.accessModes ?? [], capacity: pvSpec.capacity ?? {} };
    });
  };

  const release = (pvc: KObject): void => {
    const name = claimSpec(pvc).volumeName;
    if (!name) return;
    ctx.clock.setTimeout(() => {
      const pv = ctx.store.get(PVS.storage, undefined, name);
      const spec = pv?.spec as VolumeSpec | undefined;
      if (stopped || !pv || spec?.claimRef?.uid !== pvc.metadata.uid) return;
      if (spec?.persistentVolumeReclaimPolicy === 'Delete') ctx.store.delete(PVS, undefined, name);
      else ctx.store.mutate(PVS, undefined, name, (o) => void (o.status = { phase: 'Released' }));
    }, 0);
  };

  const unsubscribe = ctx.store.subscribe(onChange);
  for (const pvc of ctx.store.list(PVCS.storage)) if (phaseOf(pvc) !== 'Bound') queue(pvc.metadata.namespace!, pvc.metadata.name!);
  return () => {
    stopped = true;
    unsubscribe();
    for (const t of pending.values()) ctx.clock.clearTimeout(t);
  };
}
