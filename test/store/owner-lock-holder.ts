// Another process holding a state file's owner lock, for owner-lock.test.ts:
// opens the store as kubeherald run does, says so on stdout, then waits to be killed.

import { openSqliteStore } from '../../src/store/sqlite.ts';

const store = openSqliteStore({ path: process.argv[2]! });
process.stdout.write(`held ${process.pid}\n`);
setInterval(() => store.outbox.counts(), 60_000);
