// A kubeherald stand-in for the chat-request crash test, run as a child process:
//   node chatops-crash-child.ts <kubeconfig> <state.db> <deployment> <claim|write>
// Starts ChatOps as `run` does (config with a policy: scaling needs one
// approver of group sre) on the state file, against the parent's simulator.
// On the console, alice asks to scale <deployment> to 1 and confirms; carol
// approves, which executes it. The store's request repository is wrapped so
// that the process stops dead at one moment, after printing where:
//   claim: "CLAIMED <id>" right after 'executing' is committed, before the write is sent
//   write: "WRITTEN <id>" once the API server has answered the write, before its result is recorded
// It then blocks its only thread (nothing else of it can run) until the
// parent's SIGKILL. Not reaching the moment prints "FINISHED …" and exits 1.

import { writeSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { startChatOps } from '../../src/app/chatops.ts';
import { silentLogger } from '../../src/model/logger.ts';
import type { RequestRepo } from '../../src/store/types.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { crashConfig } from './chatops-crash-config.ts';

const [kubeconfig, path, deployment, mode] = process.argv.slice(2);
if (mode !== 'claim' && mode !== 'write') throw new Error(`mode: expected claim or write, not ${mode}`);

/** Says where it is (synchronously, so the line is out before the block) and never returns. */
function stopHere(line: string): never {
  writeSync(1, `${line}\n`);
  // waits on a value nobody will ever change: the thread does nothing more until SIGKILL
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  throw new Error('unreachable');
}

const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
const store = openSqliteStore({ path });
const requests = new Proxy(store.requests, {
  get(target, prop, receiver) {
    if (mode === 'claim' && prop === 'claimForExecution') {
      return (...args: Parameters<RequestRepo['claimForExecution']>) => {
        const claimed = target.claimForExecution(...args);
        if (claimed) stopHere(`CLAIMED ${claimed.id}`);
        return claimed;
      };
    }
    if (mode === 'write' && prop === 'recordResult') {
      return (id: string) => stopHere(`WRITTEN ${id}`);
    }
    const v: unknown = Reflect.get(target, prop, receiver);
    return typeof v === 'function' ? v.bind(target) : v;
  },
});

const chat = await startChatOps({
  config: crashConfig(),
  kc,
  store: { audit: store.audit, requests, transaction: (fn) => store.transaction(fn) },
  log: silentLogger,
  platforms: false,
  expiryCheckMs: 3_600_000,
});
const alice = { platform: 'console' as const, id: 'alice', name: 'alice' };
const carol = { platform: 'console' as const, id: 'carol', name: 'carol' };
const at = { platform: 'console' as const, channel: 'console' };
const proposed = await chat.service.handle({ ...at, user: alice, text: `scale deployment ${deployment} 1`, receivedAt: Date.now() });
const id = proposed?.requestId;
if (!id) {
  process.stdout.write(`FINISHED no request: ${proposed?.title}\n`);
  process.exit(1);
}
process.stdout.write(`PROPOSED ${id}\n`);
const confirmed = await chat.service.interact({ ...at, user: alice, actionId: 'request.confirm', value: id, receivedAt: Date.now() });
process.stdout.write(`CONFIRMED ${confirmed?.status}\n`);
const approved = await chat.service.interact({ ...at, user: carol, actionId: 'request.approve', value: id, receivedAt: Date.now() });
process.stdout.write(`FINISHED ${approved?.status}: ${approved?.title}\n`);
process.exit(1);
