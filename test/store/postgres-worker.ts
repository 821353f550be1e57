// Another replica, for the concurrency tests in postgres.test.ts: a thread
// with its own connection that waits at a shared barrier so every thread
// starts together, then migrates an empty database or races to claim
// outbox rows, reporting what it did.

import { parentPort, workerData } from 'node:worker_threads';
import { connectPostgres } from '../../src/store/postgres/connection.ts';
import { migratePostgres } from '../../src/store/postgres/migrations.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';

interface Job {
  url: string;
  barrier: SharedArrayBuffer;
  threads: number;
  task: 'migrate' | 'claim';
  ids: number[];
}

const job = workerData as Job;

function together(): void {
  const gate = new Int32Array(job.barrier);
  Atomics.add(gate, 0, 1);
  Atomics.notify(gate, 0);
  while (Atomics.load(gate, 0) < job.threads) Atomics.wait(gate, 0, Atomics.load(gate, 0), 1000);
}

if (job.task === 'migrate') {
  const conn = connectPostgres({ url: job.url, queryTimeoutMs: 60_000 });
  together();
  const applied = migratePostgres(conn);
  conn.close();
  parentPort!.postMessage(applied);
} else {
  const store = new PostgresStore({ url: job.url, queryTimeoutMs: 60_000 });
  together();
  const won = job.ids.filter((id) => store.outbox.markInflight(id, 1));
  store.close();
  parentPort!.postMessage(won);
}
