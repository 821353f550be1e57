// `kubeherald requests list|show|approve|deny` on a state file and the
// simulated cluster: list and show read; approve/deny act as a named chat
// user under the same rules as chat (not the requester, RBAC for the action
// as the approver's identity); bad flags are refused by name before
// anything is opened.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { Command } from 'commander';
import { parseChatUser, parseStates, registerRequests, type RequestsIo } from '../../src/cli/requests.ts';
import type { ActionRequest } from '../../src/model/approval.ts';
import type { Sim } from '../../src/sim/sim.ts';
import { scaleRequest } from '../chatops/request-fixture.ts';
import { ALICE, startChatSim } from '../chatops/sim-users.ts';
import { tempStore } from '../pipeline/helpers.ts';

const tmp = tempStore('kubeherald-requests-cli-');
const NOW = Date.parse('2025-03-01T10:05:00Z');
let sim: Sim;
let configPath: string;

/** alice's scale request at a terminal, awaiting approval */
function request(id: string, over: Partial<ActionRequest> = {}): ActionRequest {
  const atTerminal = { platform: 'console', requester: { platform: 'console', id: 'alice', name: 'alice' }, identity: ALICE, channel: 'console' } as const;
  const times = { createdAt: NOW - 60_000, updatedAt: NOW - 60_000, expiresAt: NOW + 540_000 };
  const target = { kind: 'deployment', namespace: 'demo', name: 'web', resourceVersion: '7' };
  return scaleRequest({ id, ...atTerminal, ...times, target, preview: 'deployment demo/web: replicas 1 → 0', state: 'awaiting-approval', ...over });
}

before(async () => {
  let admin: k8s.KubeConfig;
  ({ sim, admin } = await startChatSim([]));
  const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
  await rbac.createNamespacedRoleBinding({
    namespace: 'demo',
    body: { metadata: { name: 'dave-edit' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'User', name: 'dave@corp', apiGroup: 'rbac.authorization.k8s.io' }] },
  });
  const kubeconfig = join(tmp.dir, 'kubeconfig');
  writeFileSync(kubeconfig, sim.kubeconfig);
  configPath = join(tmp.dir, 'kubeherald.yaml');
  writeFileSync(
    configPath,
    `cluster: { kubeconfig: ${JSON.stringify(kubeconfig)} }
state: { path: ${JSON.stringify(tmp.path)} }
chatops:
  identities:
    - { platform: console, user: alice, kubernetes: { user: alice@corp, groups: [sre, team-a] } }
    - { platform: console, user: bob, kubernetes: { user: bob@corp } }
    - { platform: console, user: dave, kubernetes: { user: dave@corp } }
`,
  );
  const store = tmp.open();
  store.requests.create(request('req-scale'));
  store.requests.create(request('req-deny'));
  store.requests.create(request('req-gone', { target: { kind: 'deployment', namespace: 'demo', name: 'web', resourceVersion: '7', cluster: 'staging' } }));
  store.requests.create(request('req-done', { state: 'executed', result: { ok: true, message: 'scaled to 0', at: NOW - 30_000 } }));
  store.close();
});
after(() => {
  sim.close();
  tmp.cleanup();
});

async function requests(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  const io: RequestsIo = { stdout: out, stderr: err, now: () => NOW };
  const program = new Command().exitOverride();
  registerRequests(program, io);
  process.exitCode = 0;
  await program.parseAsync(['requests', ...args], { from: 'user' });
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { stdout, stderr, code };
}

describe('kubeherald requests', () => {
  it('parses --as and --state, refusing bad ones by name', () => {
    assert.deepEqual(parseChatUser('slack:U0123', 'approve'), { platform: 'slack', id: 'U0123', name: 'U0123' });
    assert.deepEqual(parseChatUser('bob', 'approve'), { platform: 'console', id: 'bob', name: 'bob' });
    assert.throws(() => parseChatUser('irc:bob', 'approve'), /--as: unknown platform "irc"/);
    assert.throws(() => parseChatUser('', 'deny'), /requests deny: --as/);
    assert.deepEqual(parseStates('approved,executing'), ['approved', 'executing']);
    assert.throws(() => parseStates('aproved'), /--state: unknown state "aproved"/);
  });

  it('list shows every request, or those in the given states', async () => {
    const all = await requests('list', '-c', configPath);
    assert.equal(all.code, 0);
    const lines = all.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^ID +CREATED +STATE +REQUESTER +AS +COMMAND +APPROVALS +EXPIRES$/);
    assert.equal(lines.length, 5);
    assert.match(all.stdout, /req-scale +2025-03-01T10:04:00Z +awaiting-approval +console:alice +alice@corp +scale deployment web 0 -n demo +0\/1/);
    const done = await requests('list', '-c', configPath, '--state', 'executed');
    assert.equal(done.stdout.trimEnd().split('\n').length, 2);
    await assert.rejects(requests('list', '-c', configPath, '--state', 'nope'), /unknown state "nope"/);
  });

  it('show prints the preview, policy and result; a missing id exits 1', async () => {
    const s = await requests('show', 'req-done', '-c', configPath);
    assert.match(s.stdout, /preview: +deployment demo\/web: replicas 1 → 0/);
    assert.match(s.stdout, /policy: +default: 1 approval\(s\) \(scaling to 0\)/);
    assert.match(s.stdout, /result: +ok at .*: scaled to 0/);
    const missing = await requests('show', 'nope', '-c', configPath);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /there is no request "nope"/);
  });

  it('approve as the requester, or without RBAC, is refused and writes nothing; with RBAC it approves', async () => {
    const self = await requests('approve', 'req-scale', '-c', configPath, '--as', 'alice');
    assert.equal(self.code, 1);
    assert.match(self.stderr, /cannot approve their own request/);
    const bob = await requests('approve', 'req-scale', '-c', configPath, '--as', 'bob');
    assert.equal(bob.code, 1);
    assert.match(bob.stderr, /bob@corp may not patch deployments\/scale in namespace demo/);
    const nobody = await requests('approve', 'req-scale', '-c', configPath, '--as', 'mallory');
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /not mapped/);
    const store = tmp.open({ recover: false });
    assert.deepEqual(store.requests.get('req-scale')!.decisions, []);
    store.close();
    const dave = await requests('approve', 'req-scale', '-c', configPath, '--as', 'dave', '--reason', 'traffic moved');
    assert.equal(dave.code, 0, dave.stderr);
    assert.match(dave.stdout, /request req-scale approved/);
    const after = tmp.open({ recover: false });
    const r = after.requests.get('req-scale')!;
    after.close();
    assert.equal(r.state, 'approved');
    assert.deepEqual(r.decisions.map((d) => [d.by.id, d.identity.user, d.decision, d.reason, d.via]), [['dave', 'dave@corp', 'approve', 'traffic moved', 'cli']]);
    const again = await requests('approve', 'req-scale', '-c', configPath, '--as', 'dave');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already decided/);
  });

  it('a request previewed on a cluster the config no longer lists is not approved against another', async () => {
    const s = await requests('show', 'req-gone', '-c', configPath);
    assert.match(s.stdout, /target: +deployment demo\/web at resourceVersion 7 on cluster staging/);
    await assert.rejects(requests('approve', 'req-gone', '-c', configPath, '--as', 'dave'), /the request is for cluster "staging", which the config does not list \(clusters: default\)/);
    const store = tmp.open({ recover: false });
    assert.deepEqual(store.requests.get('req-gone')!.decisions, []);
    store.close();
  });

  it('deny rejects under a policy where one denial does', async () => {
    const d = await requests('deny', 'req-deny', '-c', configPath, '--as', 'dave', '--reason', 'not now');
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /req-deny denied/);
    await assert.rejects(requests('deny', 'req-deny', '-c', configPath, '--as', 'dave', '--reason', ' '), /--reason/);
  });
});
