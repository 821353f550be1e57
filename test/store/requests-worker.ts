// A second process's view of the state database, for the concurrency test
// in requests.test.ts: opens its own connection to the file, waits at a
// shared barrier so both threads start together, then races for every
// request (claim for execution, or an approval), reporting what it won.

import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteStore } from '../../src/store/sqlite.ts';

interface Job {
  path: string;
  ids: string[];
  barrier: SharedArrayBuffer;
  mode: 'claim' | 'approve';
  approver: string;
}

const job = workerData as Job;
const store = openSqliteStore({ path: job.path, recover: false, busyTimeoutMs: 60_000 });
const gate = new Int32Array(job.barrier);
Atomics.add(gate, 0, 1);
Atomics.notify(gate, 0);
while (Atomics.load(gate, 0) < 2) Atomics.wait(gate, 0, Atomics.load(gate, 0), 1000);
const won: string[] = [];
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
store.close();
parentPort!.postMessage(won);
