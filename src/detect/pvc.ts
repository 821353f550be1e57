// PersistentVolumeClaim detectors, from the claim's own state:
// - pvcPending (level, warning): the claim has been Pending for
//   pvcPending.minSeconds: nothing to bind to and no volume provisioned (a
//   provisioner failing or not running, no class and no matching volume). A
//   claim of a WaitForFirstConsumer class that no pod has asked for yet waits
//   by design and is not reported: the detector tells it by a class set but
//   no provisioner annotated and no node selected, which is how the
//   persistentvolume-controller leaves such a claim. The ProvisioningFailed
//   Warning events of a pending claim are covered by this incident (see
//   event.ts): the claim staying Pending is the one thing to hear about.
// - pvcResizeFailed (level, warning): an expansion the resizer cannot do
//   (the ControllerResizeError / NodeResizeError condition, or an allocated
//   resource status *ResizeInfeasible); resolved when the resize finishes or
//   the request is lowered back. Covers the VolumeResizeFailed events.

import type { KubeObject } from '../model/kube.ts';
import { Severity } from '../model/notification.ts';
import type { DetectorsConfig } from './config.ts';
import type { Observation } from './types.ts';
import { compactFields, conditions, displayName, refOf } from './util.ts';

export const CLAIM_PENDING = 'ClaimPending';
export const VOLUME_RESIZE_FAILED = 'VolumeResizeFailed';
const SELECTED_NODE = 'volume.kubernetes.io/selected-node';
const PROVISIONER_ANNOTATIONS = ['volume.kubernetes.io/storage-provisioner', 'volume.beta.kubernetes.io/storage-provisioner'];
const RESIZE_ERRORS = ['ControllerResizeError', 'NodeResizeError'];
const INFEASIBLE = ['ControllerResizeInfeasible', 'NodeResizeInfeasible'];

interface ClaimShape {
  spec?: { storageClassName?: string; volumeName?: string; resources?: { requests?: Record<string, string> } };
  status?: { phase?: string; capacity?: Record<string, string>; allocatedResourceStatuses?: Record<string, string> };
}

const shape = (o: KubeObject): ClaimShape => o as KubeObject & ClaimShape;
const key = (uid: string, what: string): string => `pvc/${uid}/${what}`;
const provisionerOf = (pvc: KubeObject): string | undefined => PROVISIONER_ANNOTATIONS.map((a) => pvc.metadata.annotations?.[a]).find((p) => !!p);

/** Pending by design: a WaitForFirstConsumer claim no pod was scheduled with yet. */
function waitingForConsumer(pvc: KubeObject): boolean {
  return !!shape(pvc).spec?.storageClassName && !provisionerOf(pvc) && !pvc.metadata.annotations?.[SELECTED_NODE];
}

function why(pvc: KubeObject): string {
  const cls = shape(pvc).spec?.storageClassName;
  const provisioner = provisionerOf(pvc);
  const node = pvc.metadata.annotations?.[SELECTED_NODE];
  if (!cls) return 'no storage class is set and no PersistentVolume matches it';
  if (provisioner) return `waiting for provisioner ${provisioner} to create a volume of storage class "${cls}"${node ? ` on node ${node}` : ''}`;
  return `no volume of storage class "${cls}" was provisioned${node ? ` for node ${node}` : ''}`;
}

export function detectPVC(pvc: KubeObject, config: DetectorsConfig): Observation[] {
  const out: Observation[] = [];
  const uid = pvc.metadata.uid ?? '';
  const name = displayName(pvc);
  const involved = refOf(pvc, 'v1', 'PersistentVolumeClaim');
  const s = shape(pvc);
  const fields = compactFields({
    storageClass: s.spec?.storageClassName,
    provisioner: provisionerOf(pvc),
    requested: s.spec?.resources?.requests?.storage,
    capacity: s.status?.capacity?.storage,
    volume: s.spec?.volumeName,
    node: pvc.metadata.annotations?.[SELECTED_NODE],
  });
  const phase = s.status?.phase ?? 'Pending';
  if (config.pvcPending.enabled && phase === 'Pending' && !pvc.metadata.deletionTimestamp && !waitingForConsumer(pvc)) {
    out.push({
      kind: 'level',
      key: key(uid, CLAIM_PENDING),
      state: 'firing',
      detector: 'pvcPending',
      severity: Severity.WARNING,
      reason: CLAIM_PENDING,
      title: `PersistentVolumeClaim ${name} is Pending`,
      message: `PersistentVolumeClaim ${name} is not bound to a volume: ${why(pvc)}`,
      // a claim is Pending from its creation until it binds
      since: pvc.metadata.creationTimestamp,
      minDurationMs: config.pvcPending.minSeconds * 1000,
      fields,
      involved,
    });
  }
  if (config.pvcResizeFailed.enabled && phase === 'Bound') {
    const cond = conditions(pvc).find((c) => RESIZE_ERRORS.includes(c.type) && c.status === 'True');
    const infeasible = s.status?.allocatedResourceStatuses?.storage;
    if (cond || (infeasible && INFEASIBLE.includes(infeasible))) {
      out.push({
        kind: 'level',
        key: key(uid, VOLUME_RESIZE_FAILED),
        state: 'firing',
        detector: 'pvcResizeFailed',
        severity: Severity.WARNING,
        reason: VOLUME_RESIZE_FAILED,
        title: `PersistentVolumeClaim ${name} cannot be resized`,
        message: `PersistentVolumeClaim ${name} cannot grow from ${s.status?.capacity?.storage ?? '?'} to ${s.spec?.resources?.requests?.storage ?? '?'}${cond?.message ? `: ${cond.message}` : ` (${infeasible})`}`,
        since: cond?.lastTransitionTime,
        fields: compactFields({ ...fields, condition: cond?.type, resizeStatus: infeasible }),
        involved,
      });
    }
  }
  return out;
}

/** What recovered, for the RESOLVED notification of a claim incident. */
export function describePVCResolved(obs: Observation, pvc: KubeObject | undefined): string {
  const name = displayName(obs.involved ?? pvc);
  if (!pvc) return `PersistentVolumeClaim ${name} was deleted`;
  const s = shape(pvc);
  if (obs.reason === VOLUME_RESIZE_FAILED) {
    const cap = s.status?.capacity?.storage ?? '?';
    return s.spec?.resources?.requests?.storage === cap
      ? `PersistentVolumeClaim ${name} is no longer being resized (capacity ${cap})`
      : `PersistentVolumeClaim ${name} resize is no longer failing (capacity ${cap}, requested ${s.spec?.resources?.requests?.storage ?? '?'})`;
  }
  if (s.status?.phase === 'Bound') return `PersistentVolumeClaim ${name} is Bound to volume ${s.spec?.volumeName ?? ''}`.trim();
  return `PersistentVolumeClaim ${name} is ${s.status?.phase ?? 'no longer Pending'}`;
}
