// Where a notification's time goes, from the simulator's stamp to the sink's
// receipt, split at the moment kubeherald committed it to the outbox (the
// row's created_at): before it, the watch, detection and routing (the
// listener); after it, the deliverer and the sink. Pure: no I/O.

import type { Receipt } from './receiver.ts';
import { percentile } from './summary.ts';

export interface PathLatency {
  /** stamp → committed to the outbox */
  enqueueP50Ms: number;
  enqueueP99Ms: number;
  /** committed → received */
  deliveryP50Ms: number;
  deliveryP99Ms: number;
  /** receipts matched to an outbox row */
  matched: number;
}

/** `createdAt`: outbox created_at (ms) by idempotency key (the webhook-id); markers numbered below `fromSeq` left out. Undefined when nothing matched. */
export function pathLatency(receipts: readonly Receipt[], createdAt: ReadonlyMap<string, number>, fromSeq = -1): PathLatency | undefined {
  const enqueue: number[] = [];
  const delivery: number[] = [];
  for (const r of receipts) {
    const at = r.id === undefined ? undefined : createdAt.get(r.id);
    if (at === undefined || r.stamps.length !== 1 || r.seqs[0] < fromSeq) continue;
    enqueue.push(at - r.stamps[0]);
    delivery.push(r.receivedAt - at);
  }
  if (!enqueue.length) return undefined;
  return {
    enqueueP50Ms: percentile(enqueue, 50)!,
    enqueueP99Ms: percentile(enqueue, 99)!,
    deliveryP50Ms: percentile(delivery, 50)!,
    deliveryP99Ms: percentile(delivery, 99)!,
    matched: enqueue.length,
  };
}
