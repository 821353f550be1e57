// Preloaded into every test file's process (package.json `test`). A file
// whose tests are all done but which leaves a handle open (a socket, a
// timer) would keep its process, and so the whole run, alive. Node's own
// --test-force-exit ends such a process the moment its tests finish, but
// with process isolation that can cut the report stream to the parent, which
// then silently counts fewer tests than ran (nodejs/node#64833). Exiting a
// few seconds later, from an unref'd timer, lets the report drain first and
// costs nothing to files that exit on their own.

import { after } from 'node:test';

const GRACE_MS = 5_000;

after(() => {
  setTimeout(() => {
    process.stderr.write(`${process.argv[1] ?? 'a test file'}: still running ${GRACE_MS / 1000} s after its tests ended (a handle left open); exiting\n`);
    process.exit();
  }, GRACE_MS).unref();
});
