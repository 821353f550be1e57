// A second process's view of the state database, for the concurrency tests
// in requests.test.ts: opens its own store (a connection to the SQLite file,
// or to the PostgreSQL database, as another replica would), waits at a
// shared barrier so both threads start together, then races for every
// request (claim for execution, or an approval) or expires every due
// silence, reporting what it won.

import { parentPort, workerData } from 'node:worker_threads';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import type { Store } from '../../src/store/types.ts';

interface Job {
  backend: 'sqlite' | 'postgres';
  /** the SQLite file's path or the PostgreSQL url */
  location: string;
  ids: string[];
  barrier: SharedArrayBuffer;
  mode: 'claim' | 'approve' | 'expire-silences';
  approver: string;
}

const job = workerData as Job;
const store: Store =
  job.backend === 'sqlite' ? openSqliteStore({ path: job.location, recover: false, busyTimeoutMs: 60_000 }) : new PostgresStore({ url: job.location, queryTimeoutMs: 60_000 });
const gate = new Int32Array(job.barrier);
Atomics.add(gate, 0, 1);
Atomics.notify(gate, 0);
while (Atomics.load(gate, 0) < 2) Atomics.wait(gate, 0, Atomics.load(gate, 0), 1000);
const won: string[] = [];
if (job.mode === 'expire-silences') {
  // one call: every silence is due, and each must come back to one process only
  won.push(...store.silences.expireDue(Number.MAX_SAFE_INTEGER).map((s) => s.id));
} else {
  for (const id of job.ids) {
    if (job.mode === 'claim') {
      if (store.requests.claimForExecution(id, 1, `intent from ${job.approver}`)) won.push(id);
    } else {
      // what decide() does in one transaction: record, then approve if nobody did
      const ok = store.transaction(() => {
        const added = store.requests.addDecision(id, { by: { platform: 'slack', id: job.approver }, identity: { user: job.approver, groups: [] }, decision: 'approve', at: 2 });
        if (!added.ok) return false;
        return store.requests.transition(id, ['awaiting-approval'], 'approved', {}, 2) !== undefined;
      });
      if (ok) won.push(id);
    }
  }
}
store.close();
parentPort!.postMessage(won);
