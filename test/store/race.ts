// Two stores racing in two threads on one database (race-worker.ts): two
// processes on one SQLite file, or two replicas on one PostgreSQL database.

import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Backend, TestDatabase } from './backends.ts';

export type RaceMode = 'claim' | 'approve' | 'expire-silences';

/** What each of the two threads won (approvers U_BOB and U_CAROL), once both are done. */
export async function race(b: Backend, db: TestDatabase, mode: RaceMode, ids: readonly string[] = []): Promise<string[][]> {
  const barrier = new SharedArrayBuffer(4);
  const workers = ['U_BOB', 'U_CAROL'].map(
    (approver) => new Worker(new URL('./race-worker.ts', import.meta.url), { workerData: { backend: b.name, location: db.location, ids, barrier, mode, approver } }),
  );
  return Promise.all(
    workers.map(async (w) => {
      const [won] = (await Promise.race([once(w, 'message'), once(w, 'error').then(([err]) => Promise.reject(err as Error))])) as [string[]];
      return won;
    }),
  );
}
