// pvc-pending: a PersistentVolumeClaim on a StorageClass whose provisioner
// fails (sim.kubeherald.io/failing): the claim stays Pending, the
// persistentvolume-controller repeats ExternalProvisioning and the
// provisioner ProvisioningFailed every 15 s, until an administrator creates a
// matching PersistentVolume by hand (the fix the ExternalProvisioning event
// itself suggests) and the claim binds to it.

import { ensureNamespace } from '../controllers/namespaces.ts';
import { FAILING_PROVISIONER, STORAGECLASSES } from '../controllers/volumes.ts';
import { PVCS, PVS } from '../refs.ts';
import type { Scenario, SimContext } from '../scenario.ts';
import { scenarioNamespace, schedule, secondsOption } from './pods.ts';

export const FAILING_CLASS = 'broken';
export const PVC_FIX_AFTER_SECONDS = 180;

export interface PendingClaimOptions {
  namespace: string;
  /** the claim's name */
  name: string;
  /** ms after now the claim is created */
  createAt: number;
  /** ms after now the administrator's volume appears; never when undefined */
  fixAt?: number;
  size?: string;
}

function ensureFailingClass(ctx: SimContext): void {
  if (ctx.store.get(STORAGECLASSES.storage, undefined, FAILING_CLASS)) return;
  ctx.store.create(STORAGECLASSES, {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: FAILING_CLASS },
    provisioner: FAILING_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  });
}

/** The claim on the failing class, and the volume that fixes it, on the virtual clock. Returns the cancel function. */
export function pendingClaimSteps(ctx: SimContext, o: PendingClaimOptions): () => void {
  const size = o.size ?? '1Gi';
  const steps: [number, () => void][] = [
    [
      o.createAt,
      () => {
        ensureNamespace(ctx, o.namespace);
        ensureFailingClass(ctx);
        ctx.store.create(PVCS, {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: o.name, namespace: o.namespace },
          spec: { accessModes: ['ReadWriteOnce'], storageClassName: FAILING_CLASS, resources: { requests: { storage: size } }, volumeMode: 'Filesystem' },
          status: { phase: 'Pending' },
        });
      },
    ],
  ];
  if (o.fixAt !== undefined) {
    steps.push([
      o.fixAt,
      () => {
        // pre-bound to the claim, as an administrator answering that claim writes it; volumes are
        // cluster-wide, so the name carries the namespace
        const name = `${o.namespace}-${o.name}`;
        if (ctx.store.get(PVS.storage, undefined, name)) return;
        ctx.store.create(PVS, {
          apiVersion: 'v1',
          kind: 'PersistentVolume',
          metadata: { name },
          spec: {
            accessModes: ['ReadWriteOnce'],
            capacity: { storage: size },
            claimRef: { namespace: o.namespace, name: o.name },
            hostPath: { path: `/mnt/manual/${o.name}`, type: '' },
            persistentVolumeReclaimPolicy: 'Retain',
            storageClassName: FAILING_CLASS,
            volumeMode: 'Filesystem',
          },
        });
      },
    ]);
  }
  return schedule(ctx, steps);
}

export const pvcPendingScenario: Scenario = {
  name: 'pvc-pending',
  description: `PersistentVolumeClaim data-pending (opts.name) on StorageClass "${FAILING_CLASS}", whose provisioner fails: Pending with ProvisioningFailed warnings every 15 s until a PersistentVolume is created for it by hand opts.fixAfter seconds in (default ${PVC_FIX_AFTER_SECONDS}; 0 never)`,
  start(ctx, opts) {
    const fixAfter = secondsOption(opts, 'fixAfter') ?? PVC_FIX_AFTER_SECONDS;
    return pendingClaimSteps(ctx, {
      namespace: scenarioNamespace(opts),
      name: typeof opts.name === 'string' ? opts.name : 'data-pending',
      createAt: 0,
      fixAt: fixAfter > 0 ? fixAfter * 1000 : undefined,
    });
  },
};

export const volumeScenarios: Scenario[] = [pvcPendingScenario];

/** The demo's claim (seconds after the demo starts): created on the failing class, fixed by hand. */
export const DEMO_PVC_STEPS = { create: 40, fix: 190 } as const;

/** The demo's part: PersistentVolumeClaim data-pending, Pending from 40 s (ClaimPending at ~160), bound at 190. */
export function demoClaimSteps(ctx: SimContext, namespace: string): () => void {
  return pendingClaimSteps(ctx, { namespace, name: 'data-pending', createAt: DEMO_PVC_STEPS.create * 1000, fixAt: DEMO_PVC_STEPS.fix * 1000 });
}
