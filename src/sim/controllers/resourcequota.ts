// The resource quota controller: keeps each ResourceQuota's status.hard and
// status.used in step with what its namespace holds, recomputing whenever
// anything in a namespace with quotas changes (the real one watches the
// quota-tracked kinds and resyncs; the outcome is the same).

import { RESOURCEQUOTAS } from '../refs.ts';
import { quotaStatus } from '../quota.ts';
import type { SimContext } from '../scenario.ts';
import type { Change } from '../store.ts';
import { nsKey, splitKey, WorkQueue } from './replicaset.ts';

export function startResourceQuotaController(ctx: SimContext): () => void {
  const { store, clock } = ctx;

  const sync = (key: string): void => {
    const [ns, name] = splitKey(key);
    const quota = store.get(RESOURCEQUOTAS.storage, ns, name);
    if (!quota || quota.metadata.deletionTimestamp) return;
    const status = quotaStatus(store, quota, clock.nowMs());
    if (JSON.stringify(status) === JSON.stringify(quota.status)) return;
    store.mutate(RESOURCEQUOTAS, ns, name, (o) => {
      o.status = status;
    });
  };

  const queue = new WorkQueue(clock, sync);
  const queueNamespace = (ns: string | undefined): void => {
    for (const q of store.list(RESOURCEQUOTAS.storage, ns)) queue.add(nsKey(q.metadata.namespace, q.metadata.name!));
  };
  const onChange = (c: Change): void => {
    const ns = c.object.metadata.namespace;
    if (!ns) return;
    // a quota's own status write needs no recount; anything else in its namespace may
    if (c.storage === RESOURCEQUOTAS.storage && c.type === 'MODIFIED' && JSON.stringify(c.prev?.spec) === JSON.stringify(c.object.spec)) return;
    queueNamespace(ns);
  };
  queueNamespace(undefined);
  const unsubscribe = store.subscribe(onChange);
  return () => {
    unsubscribe();
    queue.stop();
  };
}
