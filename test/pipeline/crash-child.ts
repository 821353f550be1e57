// A kubeherald stand-in for the crash test, run as a child process:
//   node crash-child.ts <state.db> <received.log> <enqueue count> <hang at send #> [maxRun, default 1]
// Enqueues `count` notifications (ten per transaction, printing
// "COMMITTED <n>" after each commit), then delivers from the outbox to a sink
// that appends each key it receives to the log. At the given send of this
// process it prints "HANG <key>" after logging the key (the sink accepted
// it) and never answers, so the parent can SIGKILL it mid-delivery. With
// 0 for the send, it delivers everything, prints "DONE" and exits.

import { appendFileSync } from 'node:fs';
import { create } from '@bufbuild/protobuf';
import { NotificationSchema, State } from '../../src/model/notification.ts';
import { defaultSinkPolicy, uniformPolicies } from '../../src/pipeline/config.ts';
import { Deliverer } from '../../src/pipeline/deliverer.ts';
import { Outbox } from '../../src/pipeline/outbox.ts';
import type { Sink } from '../../src/sinks/types.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';

const [path, log, countArg, hangArg, maxRunArg] = process.argv.slice(2);
const count = Number(countArg);
const hangAt = Number(hangArg);

const store = openSqliteStore({ path });
let sends = 0;
const sink: Sink = {
  name: 'recorder',
  type: 'recorder',
  async send(n) {
    appendFileSync(log, `${n.idempotencyKey}\n`);
    if (++sends === hangAt) {
      process.stdout.write(`HANG ${n.idempotencyKey}\n`);
      await new Promise(() => undefined);
    }
  },
  async close() {},
};
const sinks = new Map([['recorder', sink]]);
const policies = uniformPolicies(defaultSinkPolicy({ groupBy: [], floodWindowMs: 0, repeatIntervalMs: 0, rateLimits: [] }));
const outbox = new Outbox({ store, sinks, policies });

for (let i = 0; i < count; i += 10) {
  const batch = Array.from({ length: Math.min(10, count - i) }, (_, j) =>
    create(NotificationSchema, { idempotencyKey: `key-${i + j}`, incidentKey: `incident-${i + j}`, state: State.FIRING, reason: 'CrashLoopBackOff' }),
  );
  store.transaction(() => outbox.enqueue(batch, ['recorder'], Date.now()));
  process.stdout.write(`COMMITTED ${i + batch.length}\n`);
}

const deliverer = new Deliverer({ store, sinks, policy: policies, maxRun: Number(maxRunArg ?? 1) });
deliverer.start();
process.stdout.write('DELIVERING\n');
// keeps the process alive while delivering (the deliverer's timers do not), and ends it when all is done
const watch = setInterval(() => {
  const c = store.outbox.counts();
  if (hangAt !== 0 || c.pending + c.inflight > 0) return;
  clearInterval(watch);
  void deliverer.stop().then(() => {
    store.close();
    process.stdout.write('DONE\n');
  });
}, 20);
