// What a restart did to deliveries, from what the receiver accepted: how
// many were sent again (a webhook-id, the notification's idempotency key,
// accepted more than once by the same target: every sink gets the same id) and how many reached their target out of order
// (a marker sequence number lower than one the same target already had).
// Pure: no I/O.

import type { Receipt } from './receiver.ts';

export interface RestartDeliveries {
  /** distinct (target, webhook-id) pairs accepted */
  delivered: number;
  /** accepted posts whose webhook-id was accepted before */
  resends: number;
  /** posts whose marker came after a later one on the same target */
  outOfOrder: number;
  /** targets (request paths) seen */
  targets: number;
}

export function restartDeliveries(receipts: readonly Receipt[]): RestartDeliveries {
  const ids = new Set<string>();
  const lastSeq = new Map<string, number>();
  let resends = 0;
  let outOfOrder = 0;
  for (const r of receipts) {
    if (r.id !== undefined) {
      const key = `${r.path}\0${r.id}`;
      if (ids.has(key)) resends++;
      else ids.add(key);
    }
    for (const seq of r.seqs.filter((s) => s >= 0)) {
      const last = lastSeq.get(r.path);
      if (last !== undefined && seq < last) outOfOrder++;
      else lastSeq.set(r.path, seq);
    }
  }
  return { delivered: ids.size, resends, outOfOrder, targets: lastSeq.size };
}
