// Exactly once across a SIGKILL: a child process runs ChatOps on a SQLite
// state file against the simulator this test owns; alice's scale is
// confirmed and approved by carol, and the child is killed in the gap
// between claiming the request ('executing' committed) and recording the
// write's result. The child stops there deterministically (it wraps the
// store's request repository and blocks once it has said where it is). Then
// a new startChatOps on the same file re-checks the request at start:
// - killed before the write was sent: recovery sends it, once;
// - killed after the API server took it: recovery records it done and sends nothing.
// Either way the cluster shows one write (the simulator's access log counts
// the real PATCHes, dry runs aside), the audit trail says how it ended, and
// the request's chat is told.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { startChatOps } from '../../src/app/chatops.ts';
import { ConsoleAdapter } from '../../src/chatops/console/adapter.ts';
import type { AuditEntry } from '../../src/model/audit.ts';
import { silentLogger } from '../../src/model/logger.ts';
import type { AccessLogEntry } from '../../src/sim/apiserver.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { CRASH_NS, crashConfig } from './chatops-crash-config.ts';

const CHILD = fileURLToPath(new URL('./chatops-crash-child.ts', import.meta.url));

/** Runs the child until it prints a line matching `killOn`, then SIGKILLs it; resolves with that line. */
function runUntilKilled(args: string[], killOn: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stderr = '';
    let hit: string | undefined;
    child.stderr.on('data', (d) => (stderr += d));
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (hit === undefined && killOn.test(line)) {
        hit = line;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (hit !== undefined && signal === 'SIGKILL') resolve(hit);
      else reject(new Error(`child ended with ${signal ?? code} before ${killOn}: ${lines.join(' | ')} ${stderr}`));
    });
  });
}

describe('a chat write killed between approval and execution (SIGKILL)', () => {
  let sim: Sim;
  let kc: k8s.KubeConfig;
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-chat-crash-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  const access: AccessLogEntry[] = [];

  before(async () => {
    sim = await startSim({ clockSpeed: 0, nodes: 1, kubeconfigPath, onRequest: (e) => access.push(e) });
    kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: CRASH_NS } } });
    const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    for (const [name, subject] of [
      ['alice-edit', { kind: 'User', name: 'alice@corp' }],
      ['sre-edit', { kind: 'Group', name: 'sre' }],
    ] as const) {
      await rbac.createNamespacedRoleBinding({
        namespace: CRASH_NS,
        body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', ...subject }] },
      });
    }
    for (const name of ['api', 'web']) {
      await kc.makeApiClient(k8s.AppsV1Api).createNamespacedDeployment({
        namespace: CRASH_NS,
        body: { metadata: { name }, spec: { replicas: 4, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: `${name}:1` }] } } } },
      });
    }
    await sim.clock.advance(10_000);
  });

  after(async () => {
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const replicas = async (name: string): Promise<number | undefined> => (await kc.makeApiClient(k8s.AppsV1Api).readNamespacedDeploymentScale({ name, namespace: CRASH_NS })).spec?.replicas;
  /** the writes of the scale the API server received: PATCHes of the scale subresource, dry runs not counted */
  const scaleWrites = (name: string): AccessLogEntry[] =>
    access.filter((e) => e.method === 'PATCH' && e.path.endsWith(`/namespaces/${CRASH_NS}/deployments/${name}/scale`) && !/dryRun=/.test(e.requestURI));

  /** What the kill left in the state file: the request, claimed and unsettled. */
  function peek(db: string, id: string) {
    const store = openSqliteStore({ path: db, recover: false, mustExist: true });
    try {
      return store.requests.get(id);
    } finally {
      store.close();
    }
  }

  /** A new kubeherald on the same file, the console as its chat: returns what it printed and audited once started (recovery done). */
  async function restart(db: string): Promise<{ printed: string; audited: AuditEntry[]; trail: AuditEntry[] }> {
    const store = openSqliteStore({ path: db });
    const output = new PassThrough();
    let printed = '';
    output.on('data', (d) => (printed += String(d)));
    const audited: AuditEntry[] = [];
    const chat = await startChatOps({
      config: crashConfig(),
      kc,
      store,
      log: silentLogger,
      platforms: false,
      adapters: [new ConsoleAdapter({ input: new PassThrough(), output, as: 'alice', interactive: false })],
      onAudit: (e) => audited.push(e),
      expiryCheckMs: 3_600_000,
    });
    try {
      // a tick now must not run it again
      await chat.tick();
      return { printed, audited, trail: store.audit.list() };
    } finally {
      await chat.stop();
      store.close();
    }
  }

  it('killed after the claim, before the write was sent: recovery sends it once and reports it', async () => {
    const db = join(dir, 'before-write.db');
    const line = await runUntilKilled([kubeconfigPath, db, 'api', 'claim'], /^CLAIMED /);
    const id = line.slice('CLAIMED '.length);
    const left = peek(db, id);
    assert.equal(left?.state, 'executing');
    assert.deepEqual(left?.decisions.map((d) => [d.by.id, d.decision]), [['carol', 'approve']]);
    assert.equal(await replicas('api'), 4, 'nothing was written before the kill');
    assert.equal(scaleWrites('api').length, 0);

    const { printed, audited, trail } = await restart(db);
    assert.equal(await replicas('api'), 1);
    const writes = scaleWrites('api');
    assert.equal(writes.length, 1, 'written exactly once');
    // as the requester, with the previewed resourceVersion as its precondition
    assert.equal(writes[0].impersonated?.username, 'alice@corp');
    assert.match(writes[0].requestBody ?? '', new RegExp(`"resourceVersion":"${left!.target.resourceVersion}"`));
    const done = peek(db, id);
    assert.equal(done?.state, 'executed');
    assert.equal(done?.result?.ok, true);
    assert.deepEqual(audited.filter((e) => e.text.includes(id)).map((e) => [e.text, e.outcome, e.identity?.user]), [[`execute ${id} approved by carol (carol@corp)`, 'ok', 'alice@corp']]);
    // the trail holds the whole story: asked, confirmed and approved by the killed process, executed by the new one
    assert.deepEqual(
      trail.filter((e) => e.command === `scale deployment api 1 -n ${CRASH_NS}` || e.text.includes(id)).map((e) => e.text.split(' ')[0]),
      ['scale', 'confirm', 'approve', 'execute'],
    );
    assert.match(printed, /Done: deployment\.apps\/api scaled/);
    assert.match(printed, /Approved by.*carol \(carol@corp\)/);
    assert.match(printed, /Ran as.*alice@corp/);
  });

  it('killed after the API server took the write, before its result was recorded: recovery records it done and writes nothing', async () => {
    const db = join(dir, 'after-write.db');
    const line = await runUntilKilled([kubeconfigPath, db, 'web', 'write'], /^WRITTEN /);
    const id = line.slice('WRITTEN '.length);
    assert.equal(peek(db, id)?.state, 'executing');
    assert.equal(await replicas('web'), 1, 'the write landed before the kill');
    assert.equal(scaleWrites('web').length, 1);

    const { printed, audited, trail } = await restart(db);
    assert.equal(scaleWrites('web').length, 1, 'not written again');
    assert.equal(await replicas('web'), 1);
    const done = peek(db, id);
    assert.equal(done?.state, 'executed');
    assert.equal(done?.result?.ok, true);
    assert.match(done?.result?.message ?? '', /landed before kubeherald stopped/);
    assert.deepEqual(audited.filter((e) => e.text.includes(id)).map((e) => [e.text, e.outcome, e.identity?.user]), [[`recover ${id}`, 'ok', 'alice@corp']]);
    assert.deepEqual(
      trail.filter((e) => e.command === `scale deployment web 1 -n ${CRASH_NS}` || e.text.includes(id)).map((e) => e.text.split(' ')[0]),
      ['scale', 'confirm', 'approve', 'recover'],
    );
    assert.match(printed, /Done: scale deployment web 1 -n crash \(it ran before kubeherald restarted; it was not sent again\)/);
    assert.match(printed, /Approved by.*carol \(carol@corp\)/);
  });
});
