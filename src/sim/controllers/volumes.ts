// PersistentVolume binding and provisioning, as kube-controller-manager's
// persistentvolume-controller and an external CSI provisioner and resizer
// behave together (pkg/controller/volume/persistentvolume, external-
// provisioner, external-resizer):
//
// - a claim without a class (storageClassName unset, not "") gets the
//   default StorageClass (retroactive default assignment); `standard`, the
//   default, is created at start as kind and minikube have one;
// - an unbound claim binds to an Available volume that fits (class, size,
//   access modes, mode); otherwise a class is provisioned from: Immediate at
//   once, WaitForFirstConsumer once the scheduler picked a node for a pod
//   using it (volume.kubernetes.io/selected-node); a claim with no class and
//   nothing to bind to waits with FailedBinding;
// - the simulator's provisioners: sim.kubeherald.io/hostpath makes the volume;
//   sim.kubeherald.io/failing never does (ProvisioningFailed Warnings, as a
//   provisioner out of capacity); any other name is an external provisioner
//   that is not running (ExternalProvisioning events only, forever);
// - a bound claim asking for more than its capacity is expanded when its
//   class allows it: Resizing, then FileSystemResizePending until a running
//   pod mounts it; a size above the class parameter `maxSize` fails with
//   VolumeResizeFailed and the ControllerResizeError condition, until the
//   request is lowered back;
// - a deleted claim's volume is deleted (reclaim policy Delete) or Released
//   (Retain); a bound claim whose volume went away is Lost.
//
// Every unbound claim is looked at again every 15 s (the controller's resync
// period), which is what repeats its events.

import type { TimerHandle } from '../clock.ts';
import { PODS, PVCS, PVS } from '../refs.ts';
import type { SimContext } from '../scenario.ts';
import type { Change, StorageRef } from '../store.ts';
import type { KObject } from '../types.ts';
import { parseQuantity } from '../quantity.ts';

export const PROVISIONER = 'sim.kubeherald.io/hostpath';
export const FAILING_PROVISIONER = 'sim.kubeherald.io/failing';
export const DEFAULT_STORAGE_CLASS = 'standard';
export const STORAGECLASSES: StorageRef = { group: 'storage.k8s.io', resource: 'storageclasses', storage: 'storage.k8s.io/storageclasses' };
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const PROVISIONER_ANNOTATIONS = ['volume.beta.kubernetes.io/storage-provisioner', 'volume.kubernetes.io/storage-provisioner'];
/** the persistentvolume-controller's resync period */
export const VOLUME_RESYNC_MS = 15_000;

const PV_CONTROLLER = { component: 'persistentvolume-controller' };
const provisionerSource = (name: string) => ({ component: `${name}_sim-provisioner` });
const resizerSource = { component: 'external-resizer sim.kubeherald.io' };

interface ClaimSpec {
  accessModes?: string[];
  resources?: { requests?: Record<string, string> };
  storageClassName?: string;
  volumeMode?: string;
  volumeName?: string;
}

interface ClaimStatus {
  phase?: string;
  accessModes?: string[];
  capacity?: Record<string, string>;
  allocatedResources?: Record<string, string>;
  allocatedResourceStatuses?: Record<string, string>;
  conditions?: { type: string; status: string; reason?: string; message?: string; lastProbeTime?: string | null; lastTransitionTime?: string }[];
}

interface VolumeSpec {
  accessModes?: string[];
  capacity?: Record<string, string>;
  claimRef?: { namespace?: string; name?: string; uid?: string };
  persistentVolumeReclaimPolicy?: string;
  storageClassName?: string;
  volumeMode?: string;
}

interface StorageClass extends KObject {
  provisioner?: string;
  parameters?: Record<string, string>;
  reclaimPolicy?: string;
  volumeBindingMode?: string;
  allowVolumeExpansion?: boolean;
}

const claimSpec = (pvc: KObject): ClaimSpec => (pvc.spec ?? {}) as ClaimSpec;
const claimStatus = (pvc: KObject): ClaimStatus => (pvc.status ?? {}) as ClaimStatus;
const phaseOf = (o: KObject | undefined): string | undefined => (o?.status as { phase?: string } | undefined)?.phase;
const requested = (pvc: KObject): string => claimSpec(pvc).resources?.requests?.storage ?? '1Gi';

/** The default StorageClass, as the DefaultStorageClass admission plugin picks it (the newest of several). */
export function defaultStorageClass(ctx: SimContext): StorageClass | undefined {
  const defaults = ctx.store
    .list(STORAGECLASSES.storage)
    .filter((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true' || c.metadata.annotations?.['storageclass.beta.kubernetes.io/is-default-class'] === 'true');
  defaults.sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)) || String(a.metadata.name).localeCompare(String(b.metadata.name)));
  return defaults[0] as StorageClass | undefined;
}

const classOf = (ctx: SimContext, pvc: KObject): StorageClass | undefined => {
  const name = claimSpec(pvc).storageClassName;
  return name ? (ctx.store.get(STORAGECLASSES.storage, undefined, name) as StorageClass | undefined) : undefined;
};

/** Unbound and of a WaitForFirstConsumer class: binding waits for a pod to be scheduled. */
function delayedBinding(ctx: SimContext, pvc: KObject): boolean {
  return phaseOf(pvc) !== 'Bound' && !claimSpec(pvc).volumeName && classOf(ctx, pvc)?.volumeBindingMode === 'WaitForFirstConsumer';
}

function podClaims(ctx: SimContext, pod: KObject): { name: string; pvc?: KObject }[] {
  const volumes = (pod.spec as { volumes?: { persistentVolumeClaim?: { claimName?: string } }[] } | undefined)?.volumes ?? [];
  return volumes
    .map((v) => v.persistentVolumeClaim?.claimName)
    .filter((n): n is string => !!n)
    .map((name) => ({ name, pvc: ctx.store.get(PVCS.storage, pod.metadata.namespace, name) }));
}

/**
 * Why a pod cannot be scheduled yet because of its claims, or undefined when
 * every claim is bound or waits for this pod (WaitForFirstConsumer).
 */
export function unboundClaimsMessage(ctx: SimContext, pod: KObject): string | undefined {
  let unbound = false;
  for (const { name, pvc } of podClaims(ctx, pod)) {
    // the scheduler's VolumeBinding PreFilter words it this way
    if (!pvc) return `persistentvolumeclaim "${name}" not found`;
    if (pvc.metadata.deletionTimestamp) return `persistentvolumeclaim "${name}" is being deleted`;
    if (phaseOf(pvc) !== 'Bound' && !delayedBinding(ctx, pvc)) unbound = true;
  }
  return unbound ? 'pod has unbound immediate PersistentVolumeClaims' : undefined;
}

/**
 * The node already chosen for a pod's WaitForFirstConsumer claims, if any:
 * their volumes were (or are being) provisioned there, and their node
 * affinity keeps the pod on it.
 */
export function selectedNodeForClaims(ctx: SimContext, pod: KObject): string | undefined {
  for (const { pvc } of podClaims(ctx, pod)) {
    const node = pvc?.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
    if (node) return node;
  }
  return undefined;
}

/**
 * The scheduler's VolumeBinding PreBind: marks the pod's WaitForFirstConsumer
 * claims with the node it chose, so they are provisioned there. True while
 * any of them is still unbound: the pod is bound to the node only after.
 */
export function bindPodVolumes(ctx: SimContext, pod: KObject, node: string): boolean {
  let waiting = false;
  for (const { pvc } of podClaims(ctx, pod)) {
    if (!pvc || !delayedBinding(ctx, pvc)) continue;
    waiting = true;
    if (pvc.metadata.annotations?.[SELECTED_NODE_ANNOTATION]) continue;
    ctx.store.mutate(PVCS, pvc.metadata.namespace, pvc.metadata.name!, (o) => {
      (o.metadata.annotations ??= {})[SELECTED_NODE_ANNOTATION] = node;
    });
  }
  return waiting;
}

/** What a user or the scheduler changes on a claim; the controller's own status and annotation writes queue nothing. */
function claimChangeMatters(c: Change): boolean {
  if (c.type !== 'MODIFIED' || !c.prev) return true;
  const view = (o: KObject): string => JSON.stringify([o.spec, o.metadata.annotations?.[SELECTED_NODE_ANNOTATION], o.metadata.deletionTimestamp]);
  return view(c.object) !== view(c.prev);
}

export function startVolumeBinder(ctx: SimContext): () => void {
  const pending = new Map<string, TimerHandle>();
  const resyncs = new Map<string, TimerHandle>();
  let stopped = false;

  // the default class a fresh kind or minikube cluster has
  if (!ctx.store.get(STORAGECLASSES.storage, undefined, DEFAULT_STORAGE_CLASS)) {
    ctx.store.create(STORAGECLASSES, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: DEFAULT_STORAGE_CLASS, annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
      provisioner: PROVISIONER,
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
    });
  }

  // Changes arrive inside the store's write; the controller writes afterwards.
  const queue = (ns: string, name: string, delayMs = 0): void => {
    const k = `${ns}/${name}`;
    if (delayMs === 0) {
      if (pending.has(k)) return;
      pending.set(
        k,
        ctx.clock.setTimeout(() => {
          pending.delete(k);
          if (!stopped) sync(ns, name);
        }, 0),
      );
      return;
    }
    ctx.clock.clearTimeout(resyncs.get(k));
    resyncs.set(
      k,
      ctx.clock.setTimeout(() => {
        resyncs.delete(k);
        if (!stopped) queue(ns, name);
      }, delayMs),
    );
  };

  const needsWork = (pvc: KObject): boolean => {
    if (pvc.metadata.deletionTimestamp) return false;
    if (phaseOf(pvc) !== 'Bound') return true;
    const st = claimStatus(pvc);
    return parseQuantity(requested(pvc)) > parseQuantity(st.capacity?.storage) || !!st.allocatedResourceStatuses || !!st.conditions?.length;
  };

  const queuePendingClaims = (): void => {
    for (const pvc of ctx.store.list(PVCS.storage)) if (phaseOf(pvc) !== 'Bound' && !pvc.metadata.deletionTimestamp) queue(pvc.metadata.namespace!, pvc.metadata.name!);
  };

  const onChange = (c: Change): void => {
    if (stopped) return;
    if (c.storage === PVCS.storage) {
      if (c.type === 'DELETED') release(c.object);
      else if (claimChangeMatters(c) && needsWork(c.object)) queue(c.object.metadata.namespace!, c.object.metadata.name!);
    } else if (c.storage === PVS.storage) {
      if (c.type === 'DELETED') lost(c.object);
      else if (c.type === 'ADDED') ctx.clock.setTimeout(() => !stopped && volumeAdded(c.object.metadata.name!), 0);
    } else if (c.storage === STORAGECLASSES.storage && c.type !== 'DELETED') {
      // a new default class is what classless claims wait for
      queuePendingClaims();
    } else if (c.storage === PODS.storage && c.type !== 'DELETED' && (c.object.status as { phase?: string } | undefined)?.phase === 'Running') {
      // a running pod is what a file system resize waits for
      for (const { pvc } of podClaims(ctx, c.object)) {
        if (pvc && claimStatus(pvc).allocatedResourceStatuses?.storage === 'NodeResizePending') queue(pvc.metadata.namespace!, pvc.metadata.name!);
      }
    }
  };

  /** A volume made by hand is Available, and may be what a pending claim waits for. */
  const volumeAdded = (name: string): void => {
    const pv = ctx.store.get(PVS.storage, undefined, name);
    if (!pv) return;
    if (!phaseOf(pv) || phaseOf(pv) === 'Pending') {
      const bound = !!(pv.spec as VolumeSpec | undefined)?.claimRef?.uid;
      ctx.store.mutate(PVS, undefined, name, (o) => {
        o.status = { phase: bound ? 'Bound' : 'Available', lastPhaseTransitionTime: ctx.clock.nowIso() };
      });
    }
    queuePendingClaims();
  };

  const lost = (pv: KObject): void => {
    // a claim whose volume went away is Lost, as the real controller says
    const ref = (pv.spec as VolumeSpec | undefined)?.claimRef;
    const pvc = ref?.name ? ctx.store.get(PVCS.storage, ref.namespace, ref.name) : undefined;
    if (!pvc || pvc.metadata.uid !== ref?.uid || phaseOf(pvc) !== 'Bound') return;
    ctx.clock.setTimeout(() => {
      if (stopped || !ctx.store.get(PVCS.storage, ref!.namespace, ref!.name!)) return;
      ctx.store.mutate(PVCS, ref!.namespace, ref!.name!, (o) => {
        (o.status as ClaimStatus).phase = 'Lost';
      });
      ctx.recorder.record({
        object: pvc,
        type: 'Warning',
        reason: 'ClaimLost',
        message: 'Bound claim has lost its PersistentVolume. Data on the volume is lost!',
        source: PV_CONTROLLER,
      });
    }, 0);
  };

  const sync = (ns: string, name: string): void => {
    const pvc = ctx.store.get(PVCS.storage, ns, name);
    if (!pvc || pvc.metadata.deletionTimestamp) return;
    if (phaseOf(pvc) === 'Bound') return resize(pvc);
    if (phaseOf(pvc) === 'Lost') return;
    const spec = claimSpec(pvc);
    if (spec.volumeName) return bindNamed(pvc, spec.volumeName);
    if (spec.storageClassName === undefined) {
      const def = defaultStorageClass(ctx);
      if (def) {
        // retroactive default StorageClass assignment; the write brings the claim back here
        ctx.store.mutate(PVCS, ns, name, (o) => void ((o.spec as ClaimSpec).storageClassName = def.metadata.name));
        return;
      }
    }
    const match = findVolume(pvc);
    if (match) return bind(pvc, match);
    const className = spec.storageClassName ?? '';
    markPending(pvc);
    queue(ns, name, VOLUME_RESYNC_MS);
    if (className === '') {
      event(pvc, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set', PV_CONTROLLER);
      return;
    }
    const sc = classOf(ctx, pvc);
    if (!sc) {
      event(pvc, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`, PV_CONTROLLER);
      return;
    }
    const selectedNode = pvc.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
    if (sc.volumeBindingMode === 'WaitForFirstConsumer' && !selectedNode) {
      event(pvc, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding', PV_CONTROLLER);
      return;
    }
    provision(pvc, sc, selectedNode);
  };

  const event = (object: KObject, type: 'Normal' | 'Warning', reason: string, message: string, source: { component: string }): void => {
    ctx.recorder.record({ object, type, reason, message, source });
  };

  const markPending = (pvc: KObject): void => {
    if (phaseOf(pvc) === 'Pending') return;
    ctx.store.mutate(PVCS, pvc.metadata.namespace, pvc.metadata.name!, (o) => {
      o.status = { ...(o.status as ClaimStatus), phase: 'Pending' };
    });
  };

  /** findBestMatchForClaim: the smallest Available volume that fits. */
  const findVolume = (pvc: KObject): KObject | undefined => {
    const spec = claimSpec(pvc);
    const want = parseQuantity(requested(pvc));
    const modes = spec.accessModes ?? [];
    const fits = ctx.store.list(PVS.storage).filter((pv) => {
      const v = (pv.spec ?? {}) as VolumeSpec;
      if (pv.metadata.deletionTimestamp || phaseOf(pv) !== 'Available') return false;
      if (v.claimRef?.uid && v.claimRef.uid !== pvc.metadata.uid) return false;
      if (v.claimRef?.name && !v.claimRef.uid && (v.claimRef.name !== pvc.metadata.name || v.claimRef.namespace !== pvc.metadata.namespace)) return false;
      if ((v.storageClassName ?? '') !== (spec.storageClassName ?? '')) return false;
      if ((v.volumeMode ?? 'Filesystem') !== (spec.volumeMode ?? 'Filesystem')) return false;
      if (!modes.every((m) => v.accessModes?.includes(m))) return false;
      return parseQuantity(v.capacity?.storage) >= want;
    });
    fits.sort((a, b) => parseQuantity((a.spec as VolumeSpec).capacity?.storage) - parseQuantity((b.spec as VolumeSpec).capacity?.storage));
    return fits[0];
  };

  const bindNamed = (pvc: KObject, volumeName: string): void => {
    const pv = ctx.store.get(PVS.storage, undefined, volumeName);
    const ref = (pv?.spec as VolumeSpec | undefined)?.claimRef;
    // a named volume that does not exist or belongs to another claim: the claim waits
    if (!pv || (ref?.uid && ref.uid !== pvc.metadata.uid)) {
      markPending(pvc);
      queue(pvc.metadata.namespace!, pvc.metadata.name!, VOLUME_RESYNC_MS);
      return;
    }
    bind(pvc, pv);
  };

  const claimRef = (pvc: KObject): Record<string, string> => ({
    kind: 'PersistentVolumeClaim',
    namespace: pvc.metadata.namespace!,
    name: pvc.metadata.name!,
    uid: pvc.metadata.uid!,
    apiVersion: 'v1',
    resourceVersion: pvc.metadata.resourceVersion!,
  });

  const provision = (pvc: KObject, sc: StorageClass, selectedNode: string | undefined): void => {
    const provisioner = sc.provisioner ?? '';
    const ns = pvc.metadata.namespace!;
    if (PROVISIONER_ANNOTATIONS.some((a) => pvc.metadata.annotations?.[a] !== provisioner)) {
      pvc = ctx.store.mutate(PVCS, ns, pvc.metadata.name!, (o) => {
        const annotations = (o.metadata.annotations ??= {});
        for (const a of PROVISIONER_ANNOTATIONS) annotations[a] = provisioner;
      });
    }
    event(
      pvc,
      'Normal',
      'ExternalProvisioning',
      `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
      PV_CONTROLLER,
    );
    // a provisioner the simulator does not run never answers, as one that is not deployed
    if (provisioner !== PROVISIONER && provisioner !== FAILING_PROVISIONER) return;
    event(pvc, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${ns}/${pvc.metadata.name}"`, provisionerSource(provisioner));
    if (provisioner === FAILING_PROVISIONER) {
      event(
        pvc,
        'Warning',
        'ProvisioningFailed',
        `failed to provision volume with StorageClass "${sc.metadata.name}": rpc error: code = ResourceExhausted desc = no space left in storage pool "sim"`,
        provisionerSource(provisioner),
      );
      return;
    }
    const spec = claimSpec(pvc);
    const name = `pvc-${pvc.metadata.uid}`;
    let pv = ctx.store.get(PVS.storage, undefined, name);
    if (!pv) {
      const pvSpec: Record<string, unknown> = {
        accessModes: spec.accessModes ?? ['ReadWriteOnce'],
        capacity: { storage: requested(pvc) },
        claimRef: claimRef(pvc),
        hostPath: { path: `/var/lib/sim-volumes/${name}`, type: '' },
        persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
        storageClassName: sc.metadata.name,
        volumeMode: spec.volumeMode ?? 'Filesystem',
      };
      if (selectedNode) {
        pvSpec.nodeAffinity = {
          required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [selectedNode] }] }] },
        };
      }
      pv = ctx.store.create(PVS, {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': provisioner } },
        spec: pvSpec,
        status: { phase: 'Bound', lastPhaseTransitionTime: ctx.clock.nowIso() },
      });
    }
    event(pvc, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${name}`, provisionerSource(provisioner));
    bind(pvc, pv);
  };

  const bind = (pvc: KObject, pv: KObject): void => {
    if ((pv.spec as VolumeSpec).claimRef?.uid !== pvc.metadata.uid || phaseOf(pv) !== 'Bound') {
      pv = ctx.store.mutate(PVS, undefined, pv.metadata.name!, (o) => {
        (o.spec as Record<string, unknown>).claimRef = claimRef(pvc);
        o.status = { phase: 'Bound', lastPhaseTransitionTime: ctx.clock.nowIso() };
      });
    }
    const pvSpec = pv.spec as VolumeSpec;
    const provisioned = !!pv.metadata.annotations?.['pv.kubernetes.io/provisioned-by'];
    ctx.clock.clearTimeout(resyncs.get(`${pvc.metadata.namespace}/${pvc.metadata.name}`));
    ctx.store.mutate(PVCS, pvc.metadata.namespace, pvc.metadata.name!, (o) => {
      const annotations = (o.metadata.annotations ??= {});
      annotations['pv.kubernetes.io/bind-completed'] = 'yes';
      annotations['pv.kubernetes.io/bound-by-controller'] = 'yes';
      if (!provisioned) for (const a of PROVISIONER_ANNOTATIONS) delete annotations[a];
      (o.spec as ClaimSpec).volumeName = pv.metadata.name;
      o.status = { phase: 'Bound', accessModes: pvSpec.accessModes ?? [], capacity: pvSpec.capacity ?? {} };
    });
  };

  // ------------------------------------------------------------ expansion

  const setResizeStatus = (pvc: KObject, allocated: string | undefined, state: string | undefined, condition?: { type: string; reason?: string; message: string }): KObject =>
    ctx.store.mutate(PVCS, pvc.metadata.namespace, pvc.metadata.name!, (o) => {
      const st = o.status as ClaimStatus;
      const before = JSON.stringify([st.allocatedResources, st.allocatedResourceStatuses, st.conditions?.map((c) => [c.type, c.message])]);
      if (allocated) st.allocatedResources = { ...(st.allocatedResources ?? {}), storage: allocated };
      if (state) st.allocatedResourceStatuses = { storage: state };
      else delete st.allocatedResourceStatuses;
      const prev = st.conditions?.find((c) => c.type === condition?.type);
      if (condition) {
        const now = ctx.clock.nowIso();
        st.conditions = [{ type: condition.type, status: 'True', lastProbeTime: null, lastTransitionTime: prev?.lastTransitionTime ?? now, ...(condition.reason ? { reason: condition.reason } : {}), message: condition.message }];
      } else {
        delete st.conditions;
      }
      const after = JSON.stringify([st.allocatedResources, st.allocatedResourceStatuses, st.conditions?.map((c) => [c.type, c.message])]);
      return before !== after;
    });

  const resize = (pvc: KObject): void => {
    const st = claimStatus(pvc);
    const want = requested(pvc);
    const key = [pvc.metadata.namespace!, pvc.metadata.name!] as const;
    if (parseQuantity(want) <= parseQuantity(st.capacity?.storage)) {
      // nothing to grow (again): a failed resize whose request was lowered back recovers
      if (st.allocatedResourceStatuses || st.conditions?.length) setResizeStatus(pvc, undefined, undefined);
      return;
    }
    const volume = claimSpec(pvc).volumeName!;
    const sc = classOf(ctx, pvc);
    // the API server refuses resizes of a class without allowVolumeExpansion; a claim the
    // simulator finds that way anyway (class changed since) is left alone, as the resizer does
    if (!sc?.allowVolumeExpansion || (sc.provisioner !== PROVISIONER && sc.provisioner !== FAILING_PROVISIONER)) return;
    if (st.allocatedResourceStatuses?.storage === 'NodeResizePending' && st.allocatedResources?.storage === want) return finishNodeResize(pvc, volume, want);
    const max = sc.parameters?.maxSize;
    if (max && parseQuantity(want) > parseQuantity(max)) {
      setResizeStatus(pvc, want, 'ControllerResizeInfeasible', {
        type: 'ControllerResizeError',
        message: `resize volume "${volume}" by resizer "${sc.provisioner}" failed: rpc error: code = OutOfRange desc = requested size ${want} exceeds the maximum size ${max} of storage class "${sc.metadata.name}"`,
      });
      event(pvc, 'Warning', 'VolumeResizeFailed', `resize volume "${volume}" by resizer "${sc.provisioner}" failed: rpc error: code = OutOfRange desc = requested size ${want} exceeds the maximum size ${max} of storage class "${sc.metadata.name}"`, resizerSource);
      queue(...key, VOLUME_RESYNC_MS);
      return;
    }
    pvc = setResizeStatus(pvc, want, 'ControllerResizeInProgress', { type: 'Resizing', message: '' });
    event(pvc, 'Normal', 'Resizing', `External resizer is resizing volume ${volume}`, resizerSource);
    ctx.clock.setTimeout(() => {
      const cur = ctx.store.get(PVCS.storage, ...key);
      if (stopped || !cur || requested(cur) !== want) return;
      if (ctx.store.get(PVS.storage, undefined, volume)) {
        ctx.store.mutate(PVS, undefined, volume, (o) => void (((o.spec as VolumeSpec).capacity ??= {}).storage = want));
      }
      const next = setResizeStatus(cur, want, 'NodeResizePending', {
        type: 'FileSystemResizePending',
        message: 'Waiting for user to (re-)start a pod to finish file system resize of volume on node.',
      });
      event(next, 'Normal', 'FileSystemResizeRequired', 'Require file system resize of volume on node', resizerSource);
      queue(...key);
    }, 1000);
  };

  /** kubelet's NodeExpandVolume, once a running pod mounts the claim. */
  const finishNodeResize = (pvc: KObject, volume: string, want: string): void => {
    const pod = ctx.store
      .list(PODS.storage, pvc.metadata.namespace)
      .find((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running' && podClaims(ctx, p).some((c) => c.name === pvc.metadata.name));
    if (!pod) return;
    const node = (pod.spec as { nodeName?: string }).nodeName ?? '';
    ctx.store.mutate(PVCS, pvc.metadata.namespace, pvc.metadata.name!, (o) => {
      const st = o.status as ClaimStatus;
      st.capacity = { ...(st.capacity ?? {}), storage: want };
      delete st.allocatedResourceStatuses;
      delete st.conditions;
    });
    ctx.recorder.record({
      object: pod,
      type: 'Normal',
      reason: 'FileSystemResizeSuccessful',
      message: `MountVolume.NodeExpandVolume succeeded for volume "${volume}" ${node}`,
      source: { component: 'kubelet', host: node },
    });
  };

  const release = (pvc: KObject): void => {
    const k = `${pvc.metadata.namespace}/${pvc.metadata.name}`;
    ctx.clock.clearTimeout(resyncs.get(k));
    resyncs.delete(k);
    const name = claimSpec(pvc).volumeName;
    if (!name) return;
    ctx.clock.setTimeout(() => {
      const pv = ctx.store.get(PVS.storage, undefined, name);
      const spec = pv?.spec as VolumeSpec | undefined;
      if (stopped || !pv || spec?.claimRef?.uid !== pvc.metadata.uid) return;
      if (spec?.persistentVolumeReclaimPolicy === 'Delete') {
        // the provisioner deletes the volume, then the PV
        ctx.store.delete(PVS, undefined, name);
      } else {
        ctx.store.mutate(PVS, undefined, name, (o) => void (o.status = { phase: 'Released', lastPhaseTransitionTime: ctx.clock.nowIso() }));
      }
    }, 0);
  };

  const unsubscribe = ctx.store.subscribe(onChange);
  for (const pvc of ctx.store.list(PVCS.storage)) if (needsWork(pvc)) queue(pvc.metadata.namespace!, pvc.metadata.name!);
  return () => {
    stopped = true;
    unsubscribe();
    for (const t of pending.values()) ctx.clock.clearTimeout(t);
    for (const t of resyncs.values()) ctx.clock.clearTimeout(t);
  };
}
