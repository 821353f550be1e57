// The console adapter under 100,000 generated lines, through the whole
// command path against the simulated cluster: no crash, no unhandled
// rejection, and no API request for anything that did not parse. 95,000
// lines come from an unmapped user; 5,000 from a user mapped to a
// Kubernetes identity with no permissions, whose parsed commands each cost
// exactly one SelfSubjectAccessReview (refused) — which proves the request
// count is watching.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { requiredAccess } from '../../src/chatops/commands.ts';
import { chatopsSchema } from '../../src/chatops/config.ts';
import { ConsoleAdapter } from '../../src/chatops/console/adapter.ts';
import { parseCommand } from '../../src/chatops/grammar.ts';
import { IdentityMap } from '../../src/chatops/identity.ts';
import { ChatOpsService } from '../../src/chatops/service.ts';
import type { ChatHandler } from '../../src/chatops/types.ts';
import { silentLogger } from '../../src/model/logger.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { generate, prng } from './fuzz-input.ts';

const UNMAPPED_LINES = 95_000;
const MAPPED_LINES = 5_000;

describe('console adapter fuzz', () => {
  let sim: Sim;
  let requests = 0;
  before(async () => {
    sim = await startSim({ clockSpeed: 0, onRequest: () => void requests++ });
  });
  after(async () => {
    await sim.close();
  });

  it('answers every line, throws nothing, and calls the API only for commands that parsed', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown): void => void unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    const store = openSqliteStore({ path: ':memory:' });
    const config = chatopsSchema.parse({ identities: [{ platform: 'console', user: 'nobody', kubernetes: { user: 'nobody@example.com' } }] });
    const service = new ChatOpsService({ config, identities: new IdentityMap(config.identities), kc, audit: store.audit, log: silentLogger });

    let handled = 0;
    let expectedRequests = 0;
    const violations: string[] = [];
    // sees each line as the adapter hands it over, and the requests it caused (lines run one at a time)
    const watching: ChatHandler = {
      async handle(msg, signal) {
        handled++;
        const parsed = parseCommand(msg.text);
        const before = requests;
        const reply = await service.handle(msg, signal);
        if (!reply) violations.push(`no reply to ${JSON.stringify(msg.text)}`);
        if (!parsed.ok) {
          if (reply?.status !== 'invalid') violations.push(`${JSON.stringify(msg.text)} did not parse but got ${reply?.status}`);
          // finished requests are counted when they end: a late count would land here and be seen too
          if (requests !== before) violations.push(`${JSON.stringify(msg.text)} did not parse but caused ${requests - before} API request(s)`);
        } else if ('cluster' in parsed.command && parsed.command.cluster !== undefined) {
          // this service knows one unnamed cluster: any --cluster names one the config does not list, refused before any request
          if (reply?.status !== 'invalid') violations.push(`${JSON.stringify(msg.text)} names an unknown cluster but got ${reply?.status}`);
          if (requests !== before) violations.push(`${JSON.stringify(msg.text)} names an unknown cluster but caused ${requests - before} API request(s)`);
        } else if (msg.user.id === 'nobody' && requiredAccess(parsed.command, 'default').length > 0) {
          expectedRequests++;
          if (reply?.status !== 'denied') violations.push(`${JSON.stringify(msg.text)} from a user with no permissions got ${reply?.status}`);
        }
        return reply;
      },
      interact: (ev) => service.interact(ev),
    };

    const run = async (as: string, lines: number, seed: number): Promise<string> => {
      const input = new PassThrough();
      const output = new PassThrough();
      let out = '';
      output.on('data', (d: Buffer) => (out += d.toString()));
      const adapter = new ConsoleAdapter({ input, output, as, interactive: false });
      const abort = new AbortController();
      await adapter.start(watching, abort.signal);
      const rand = prng(seed);
      for (let i = 0; i < lines; i++) input.write(`${generate(rand).replace(/[\r\n\u2028\u2029\u0085]/g, ' ')}\n`);
      input.end();
      await adapter.done;
      return out;
    };
    try {
      const out = await run('mallory', UNMAPPED_LINES, 1);
      await run('nobody', MAPPED_LINES, 2);
      assert.deepEqual(violations.slice(0, 10), []);
      assert.deepEqual(unhandled, []);
      assert.ok(handled > 0.9 * (UNMAPPED_LINES + MAPPED_LINES), `handled ${handled} lines`);
      assert.ok(expectedRequests > 100, `only ${expectedRequests} parsed commands from the mapped user`);
      // one more request, so every earlier one has been counted by the time it is
      await kc.makeApiClient(k8s.CoreV1Api).listNamespace();
      assert.equal(requests - 1, expectedRequests, 'exactly one access review per parsed command of the mapped user');
      assert.match(out, /is not mapped to a Kubernetes identity/);
      assert.equal(store.audit.list({}).length, handled, 'one audit record per line answered');
    } finally {
      process.off('unhandledRejection', onUnhandled);
      store.close();
    }
  });
});
