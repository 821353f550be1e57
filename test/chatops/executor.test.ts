// Every verb against the simulated cluster, as two chat users mapped to two
// Kubernetes users with different Roles: alice@corp (edit in demo, and node
// cordoning through her group sre) and bob@corp (view in demo). kubeherald's
// own client is the simulator's admin, which may impersonate. The access log
// proves that every request carried the chat user's identity.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { executeCommand } from '../../src/chatops/executor.ts';
import { impersonatingClients, type KubeClients } from '../../src/chatops/kube.ts';
import type { ChatReply, ParsedCommand } from '../../src/chatops/types.ts';
import type { AccessLogEntry } from '../../src/sim/apiserver.ts';
import type { Sim } from '../../src/sim/sim.ts';
import { ALICE, BOB, startChatSim } from './sim-users.ts';

const text = (r: ChatReply): string =>
  [
    r.title ?? '',
    ...r.blocks.map((b) => (b.kind === 'table' ? [b.columns, ...b.rows].map((row) => row.join(' | ')).join('\n') : b.kind === 'fields' ? b.fields.map((f) => `${f.label}: ${f.value}`).join('\n') : b.text)),
    ...(r.notes ?? []),
  ].join('\n');

const table = (r: ChatReply): { columns: string[]; rows: string[][] } => {
  const b = r.blocks.find((x) => x.kind === 'table');
  assert.ok(b && b.kind === 'table', `expected a table: ${JSON.stringify(r)}`);
  return { columns: b.columns, rows: b.rows };
};

describe('executeCommand on the simulated cluster', () => {
  let sim: Sim;
  let admin: k8s.KubeConfig;
  let alice: KubeClients;
  let bob: KubeClients;
  const log: AccessLogEntry[] = [];
  const now = (): Date => sim.clock.now();
  const run = (cmd: ParsedCommand, who: 'alice' | 'bob' = 'alice', namespace = 'demo', signal?: AbortSignal): Promise<ChatReply> =>
    executeCommand(cmd, { clients: who === 'alice' ? alice : bob, identity: who === 'alice' ? ALICE : BOB, namespace, now, signal });
  const apps = (): k8s.AppsV1Api => admin.makeApiClient(k8s.AppsV1Api);
  const core = (): k8s.CoreV1Api => admin.makeApiClient(k8s.CoreV1Api);

  before(async () => {
    ({ sim, admin, alice, bob } = await startChatSim(log));
  });
  after(() => sim.close());

  describe('impersonation', () => {
    it('every request carries the user and each group on its own header line', async () => {
      const from = log.length;
      const r = await run({ verb: 'whoami' });
      assert.equal(r.status, 'ok');
      const fields = r.blocks[0].kind === 'fields' ? r.blocks[0].fields : [];
      assert.deepEqual(fields, [
        { label: 'Kubernetes user', value: 'alice@corp' },
        { label: 'Groups', value: 'sre, team-a' },
        { label: 'API server sees', value: 'alice@corp' },
        { label: 'with groups', value: 'sre, team-a, system:authenticated' },
      ]);
      const mine = log.slice(from);
      assert.equal(mine.length, 1);
      assert.equal(mine[0].requester?.username, 'admin');
      assert.deepEqual(mine[0].impersonated, { username: 'alice@corp', groups: ['sre', 'team-a', 'system:authenticated'] });
      assert.equal(mine[0].userAgent, 'kubeherald-chatops');
    });

    it('replaces an Impersonate-User the kubeconfig sets (no nested impersonation)', async () => {
      const kc = new k8s.KubeConfig();
      kc.loadFromString(sim.kubeconfig);
      (kc.getCurrentUser() as { impersonateUser?: string }).impersonateUser = 'mallory';
      const from = log.length;
      await impersonatingClients(kc, BOB).core.listNamespacedPod({ namespace: 'demo' });
      assert.deepEqual(log.slice(from).map((e) => e.impersonated?.username), ['bob@corp']);
    });

    it('refuses to impersonate a system: identity', () => {
      assert.throws(() => impersonatingClients(admin, { user: 'system:admin', groups: [] }), /system identity/);
    });
  });

  describe('read verbs as alice', () => {
    it('pods: a kubectl table, -A adds NAMESPACE, -l selects', async () => {
      const r = await run({ verb: 'pods', allNamespaces: false });
      assert.equal(r.status, 'ok');
      const t = table(r);
      assert.deepEqual(t.columns, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
      const crash = t.rows.find((row) => row[0] === 'crashloop');
      assert.ok(crash, JSON.stringify(t.rows));
      assert.equal(crash[1], '0/1');
      assert.match(crash[2], /^(CrashLoopBackOff|Error|Running)$/);
      assert.match(crash[3], /^\d+ \(\d+s ago\)$/);
      assert.equal(crash[4], '3m20s');
      assert.equal(t.rows.filter((row) => row[0].startsWith('web-')).length, 3);

      const web = table(await run({ verb: 'pods', allNamespaces: false, selector: 'app=web' }));
      assert.deepEqual(web.rows.map((row) => row[2]), ['Running', 'Running', 'Running']);

      const all = table(await run({ verb: 'pods', allNamespaces: true }));
      assert.equal(all.columns[0], 'NAMESPACE');
      assert.ok(all.rows.every((row) => row[0] === 'demo'));
    });

    it('pods -A needs cluster-wide list: bob gets a denial, not a stack trace', async () => {
      const r = await run({ verb: 'pods', allNamespaces: true }, 'bob');
      assert.equal(r.status, 'denied');
      assert.match(r.title ?? '', /^Forbidden: pods is forbidden: User "bob@corp" cannot list resource "pods" in API group "" at the cluster scope/);
    });

    it('an empty namespace says so', async () => {
      await core().createNamespace({ body: { metadata: { name: 'quiet' } } });
      const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
      await rbac.createNamespacedRoleBinding({
        namespace: 'quiet',
        body: { metadata: { name: 'alice-view' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'alice@corp', apiGroup: 'rbac.authorization.k8s.io' }] },
      });
      const r = await run({ verb: 'pods', allNamespaces: false }, 'alice', 'quiet');
      assert.deepEqual(r, { status: 'ok', blocks: [{ kind: 'text', text: 'No resources found in quiet namespace.' }] });
    });

    it('get: deployments, one by name, nodes, and a missing name', async () => {
      const deps = table(await run({ verb: 'get', kind: 'deployment', allNamespaces: false }));
      assert.deepEqual(deps.columns, ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
      assert.deepEqual(deps.rows, [['web', '3/3', '3', '3', '3m20s']]);
      const one = table(await run({ verb: 'get', kind: 'pod', name: 'crashloop', allNamespaces: false }));
      assert.deepEqual(one.rows.map((r) => r[0]), ['crashloop']);
      const nodes = table(await run({ verb: 'get', kind: 'node', allNamespaces: false }));
      assert.deepEqual(nodes.columns, ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
      assert.deepEqual(nodes.rows.map((r) => r[0]), ['sim-node-1', 'sim-node-2', 'sim-node-3']);
      const rs = table(await run({ verb: 'get', kind: 'replicaset', allNamespaces: false }));
      assert.deepEqual(rs.columns, ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
      const missing = await run({ verb: 'get', kind: 'pod', name: 'missing', allNamespaces: false });
      assert.deepEqual(missing, { status: 'error', title: 'Error from server (NotFound): pods "missing" not found', blocks: [] });
    });

    it('describe: pod with container state and events, deployment, node', async () => {
      const pod = await run({ verb: 'describe', kind: 'pod', name: 'crashloop' });
      assert.equal(pod.status, 'ok');
      assert.equal(pod.title, 'Pod demo/crashloop');
      // longer than a message: the head in the message, all of it as a file
      assert.equal(pod.file?.name, 'crashloop.pod.txt');
      assert.match(text(pod), /^Name:\s+crashloop/m);
      assert.match(pod.notes?.[0] ?? '', /^showing the first \d+ of \d+ lines; the whole text is attached as crashloop\.pod\.txt$/);
      const body = pod.file!.content;
      // the termination message's lines stay under their field
      assert.match(body, /\n      Message:    starting app \(ghcr.io\/kubeherald\/demo-app:1.4.2\)\n {18}listening on :8080\n/);
      assert.match(body, /Name:\s+crashloop/);
      assert.match(body, /Restart Count:\s+\d+/);
      assert.match(body, /Last State:\s+Terminated/);
      assert.match(body, /Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message/);
      assert.match(body, /Warning\s+BackOff/);
      const depReply = await run({ verb: 'describe', kind: 'deployment', name: 'web' });
      const dep = depReply.file?.content ?? text(depReply);
      assert.match(dep, /Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable/);
      assert.match(dep, /Image:\s+nginx:1\.28/);
      const nodeReply = await run({ verb: 'describe', kind: 'node', name: 'sim-node-1' });
      const node = nodeReply.file?.content ?? text(nodeReply);
      assert.match(node, /Unschedulable:\s+false/);
      assert.match(node, /Kubelet Version:/);
    });

    it('describe and get of other kinds: metadata, spec and status', async () => {
      const ns = await run({ verb: 'describe', kind: 'namespace', name: 'demo' });
      assert.equal(ns.status, 'ok', JSON.stringify(ns));
      assert.match(text(ns), /^Name:\s+demo$/m);
      assert.match(text(ns), /^Status:\n\s+phase: Active$/m);
      const rs = await run({ verb: 'describe', kind: 'replicaset', name: 'nope' });
      assert.match(rs.title ?? '', /replicasets\.apps "nope" not found/);
      const nss = await run({ verb: 'get', kind: 'namespace', name: 'demo', allNamespaces: false });
      assert.deepEqual(table(nss).rows, [['demo', 'Active', '3m20s']]);
    });

    it('describe by bob shows the object even where events are not his to read', async () => {
      const r = await run({ verb: 'describe', kind: 'node', name: 'sim-node-1' }, 'bob');
      assert.equal(r.status, 'denied'); // nodes are not in view's reach at all
      const pod = await run({ verb: 'describe', kind: 'pod', name: 'crashloop' }, 'bob');
      assert.match(pod.file?.content ?? text(pod), /\nEvents:\n/);
    });

    it('logs: previous container, tail, container choice and errors', async () => {
      const prev = await run({ verb: 'logs', pod: 'crashloop', previous: true });
      assert.equal(prev.status, 'ok');
      assert.equal(prev.title, 'previous log of demo/crashloop');
      const code = prev.blocks[0].kind === 'code' ? prev.blocks[0].text : '';
      assert.match(code, /exiting with status 1$/);
      const tail = await run({ verb: 'logs', pod: 'crashloop', previous: true, tail: 1 });
      assert.deepEqual(tail.blocks, [{ kind: 'code', text: 'exiting with status 1' }]);
      const bad = await run({ verb: 'logs', pod: 'crashloop', previous: false, container: 'nope' });
      assert.equal(bad.status, 'error');
      assert.equal(bad.title, 'Error from server (BadRequest): container nope is not valid for pod crashloop');
      const missing = await run({ verb: 'logs', pod: 'ghost', previous: false });
      assert.match(missing.title ?? '', /pods "ghost" not found/);
    });

    it('logs: a long log is a file with the last lines as a preview; --since on the cluster clock; empty says so', async () => {
      const pod = (await core().listNamespacedPod({ namespace: 'demo', labelSelector: 'app=web' })).items[0].metadata!.name!;
      const t = sim.clock.nowMs();
      for (let i = 0; i < 100; i++) sim.ctx.logs.append('demo', pod, 'nginx', new Date(t - (100 - i) * 60_000), `request ${i}`);
      const long = await run({ verb: 'logs', pod, previous: false });
      assert.equal(long.file?.name, `${pod}.log`);
      assert.ok(long.file!.content.includes('request 0\n'));
      const preview = long.blocks[0].kind === 'code' ? long.blocks[0].text.split('\n') : [];
      assert.equal(preview.at(-1), 'request 99');
      assert.match(long.notes?.[0] ?? '', /^showing the last 20 of \d+ lines; the whole text is attached as /);
      // the window is on the cluster clock: the last two appended lines are in it, older ones not
      const recent = await run({ verb: 'logs', pod, previous: false, sinceSeconds: 150 });
      const direct = await core().readNamespacedPodLog({ name: pod, namespace: 'demo', sinceSeconds: 150 });
      const shown = recent.file?.content ?? (recent.blocks[0].kind === 'code' ? `${recent.blocks[0].text}\n` : '');
      assert.equal(shown, direct);
      assert.match(shown, /request 98\nrequest 99\n/);
      assert.doesNotMatch(shown, /request 97\n/);
      const tail100 = await run({ verb: 'logs', pod, previous: false, tail: 100 });
      assert.ok(tail100.file, 'tail 100 is still longer than a message');
      const none = await run({ verb: 'logs', pod, previous: false, tail: 0 });
      assert.equal(none.status, 'ok');
      assert.match(text(none), /is empty/);
    });

    it('events: newest last, --for filters by the involved object', async () => {
      const r = table(await run({ verb: 'events', allNamespaces: false, for: { kind: 'pod', name: 'crashloop' } }));
      assert.deepEqual(r.columns, ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
      assert.ok(r.rows.length > 0 && r.rows.every((row) => row[3] === 'pod/crashloop'));
      assert.ok(r.rows.some((row) => row[2] === 'BackOff'));
      const all = table(await run({ verb: 'events', allNamespaces: false }));
      assert.ok(all.rows.some((row) => row[3].startsWith('deployment/')));
      const seen = all.rows.map((row) => row[0]);
      const secs = (s: string): number => {
        const m = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(s);
        return m ? Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0) : NaN;
      };
      for (let i = 1; i < seen.length; i++) assert.ok(secs(seen[i - 1]) >= secs(seen[i]), `newest last: ${seen.join(',')}`);
    });
  });

  describe('write verbs as alice, refused to bob', () => {
    it('bob: a write that reaches the server anyway is a denial, and nothing changes', async () => {
      const r = await run({ verb: 'scale', kind: 'deployment', name: 'web', replicas: 0 }, 'bob');
      assert.equal(r.status, 'denied');
      assert.match(r.title ?? '', /^Forbidden: deployments\.apps "web" is forbidden: User "bob@corp" cannot patch resource "deployments\/scale"/);
      assert.equal((await apps().readNamespacedDeployment({ name: 'web', namespace: 'demo' })).spec?.replicas, 3);
    });

    it('rollout status and history', async () => {
      const s = await run({ verb: 'rollout', action: 'status', kind: 'deployment', name: 'web' });
      assert.deepEqual(s, { status: 'ok', title: 'deployment.apps/web', blocks: [{ kind: 'text', text: 'deployment "web" successfully rolled out' }] });
      const h = await run({ verb: 'rollout', action: 'history', kind: 'deployment', name: 'web' });
      assert.deepEqual(table(h), { columns: ['REVISION', 'CHANGE-CAUSE'], rows: [['1', '<none>'], ['2', '<none>']] });
    });

    it('scale: patches deployments/scale as alice and says from what to what', async () => {
      const from = log.length;
      const r = await run({ verb: 'scale', kind: 'deployment', name: 'web', replicas: 5 });
      assert.equal(r.status, 'ok');
      assert.equal(r.title, 'deployment.apps/web scaled');
      assert.match(text(r), /\(from 3 to 5\)/);
      assert.equal((await apps().readNamespacedDeployment({ name: 'web', namespace: 'demo' })).spec?.replicas, 5);
      const patch = log.slice(from).find((e) => e.method === 'PATCH');
      assert.equal(patch?.path, '/apis/apps/v1/namespaces/demo/deployments/web/scale');
      assert.equal(patch?.user, 'alice@corp');
      const missing = await run({ verb: 'scale', kind: 'deployment', name: 'nope', replicas: 1 });
      assert.equal(missing.status, 'error');
      assert.match(missing.title ?? '', /deployments\.apps "nope" not found/);
      await sim.clock.advance(60_000);
    });

    it('rollout undo: back to the previous revision, or a clear error', async () => {
      const r = await run({ verb: 'rollout', action: 'undo', kind: 'deployment', name: 'web' });
      assert.deepEqual(r, { status: 'ok', title: 'deployment.apps/web rolled back', blocks: [{ kind: 'text', text: 'to revision 1' }] });
      const d = await apps().readNamespacedDeployment({ name: 'web', namespace: 'demo' });
      assert.equal(d.spec?.template.spec?.containers[0].image, 'nginx:1.27');
      assert.equal(d.spec?.template.metadata?.labels?.['pod-template-hash'], undefined);
      const bad = await run({ verb: 'rollout', action: 'undo', kind: 'deployment', name: 'web', toRevision: 99 });
      assert.deepEqual(bad, { status: 'error', title: 'unable to find specified revision 99 in history', blocks: [] });
      await sim.clock.advance(120_000);
      const h = table(await run({ verb: 'rollout', action: 'history', kind: 'deployment', name: 'web' }));
      assert.deepEqual(h.rows.map((row) => row[0]), ['2', '3']);
      const status = await run({ verb: 'rollout', action: 'status', kind: 'deployment', name: 'web' });
      assert.match(text(status), /successfully rolled out|Waiting for deployment "web" rollout to finish/);
    });

    it('restart: sets restartedAt to the cluster time, as kubectl rollout restart', async () => {
      const r = await run({ verb: 'restart', kind: 'deployment', name: 'web' });
      assert.equal(r.status, 'ok');
      assert.equal(r.title, 'deployment.apps/web restarted');
      const d = await apps().readNamespacedDeployment({ name: 'web', namespace: 'demo' });
      assert.equal(d.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'], sim.clock.now().toISOString().replace(/\.\d{3}Z$/, 'Z'));
    });

    it('cordon and uncordon a node through the group binding', async () => {
      assert.equal((await run({ verb: 'cordon', node: 'sim-node-1' })).title, 'node/sim-node-1 cordoned');
      assert.equal((await core().readNode({ name: 'sim-node-1' })).spec?.unschedulable, true);
      assert.equal((await run({ verb: 'cordon', node: 'sim-node-1' })).title, 'node/sim-node-1 already cordoned');
      const nodes = table(await run({ verb: 'get', kind: 'node', allNamespaces: false }));
      assert.equal(nodes.rows[0][1], 'Ready,SchedulingDisabled');
      assert.equal((await run({ verb: 'uncordon', node: 'sim-node-1' })).title, 'node/sim-node-1 uncordoned');
      assert.ok(!(await core().readNode({ name: 'sim-node-1' })).spec?.unschedulable);
      assert.equal((await run({ verb: 'uncordon', node: 'sim-node-1' })).title, 'node/sim-node-1 already uncordoned');
      const bob = await run({ verb: 'cordon', node: 'sim-node-2' }, 'bob');
      assert.equal(bob.status, 'denied');
    });

    it('delete pod', async () => {
      const r = await run({ verb: 'delete', kind: 'pod', name: 'crashloop' });
      assert.deepEqual(r, { status: 'ok', title: 'pod "crashloop" deleted', blocks: [{ kind: 'text', text: 'from the demo namespace' }] });
      const pod = await core().readNamespacedPod({ name: 'crashloop', namespace: 'demo' });
      assert.ok(pod.metadata?.deletionTimestamp, 'terminating (graceful deletion)');
      // the trimmed list the pods table reads still carries deletionTimestamp
      const rows = table(await run({ verb: 'pods', allNamespaces: false })).rows;
      assert.equal(rows.find((r) => r[0] === 'crashloop')?.[2], 'Terminating');
      const missing = await run({ verb: 'delete', kind: 'pod', name: 'ghost' });
      assert.deepEqual(missing, { status: 'error', title: 'Error from server (NotFound): pods "ghost" not found', blocks: [] });
    });

    it('an aborted command makes no call and says it was cancelled', async () => {
      const from = log.length;
      const r = await run({ verb: 'scale', kind: 'deployment', name: 'web', replicas: 1 }, 'alice', 'demo', AbortSignal.abort());
      assert.deepEqual(r, { status: 'error', title: 'Error: cancelled', blocks: [] });
      assert.equal(log.length, from);
    });

    it('a timeout during a call is an error reply, not a throw', async () => {
      sim.faults.latencyMs = 5_000;
      try {
        const r = await run({ verb: 'pods', allNamespaces: false }, 'alice', 'demo', AbortSignal.timeout(50));
        assert.deepEqual(r, { status: 'error', title: 'Error: the Kubernetes API did not answer in time', blocks: [] });
      } finally {
        sim.faults.latencyMs = 0;
      }
    });

    it('every request of the chat users carried their identity', () => {
      const ours = log.filter((e) => e.userAgent === 'kubeherald-chatops');
      assert.ok(ours.length > 30);
      for (const e of ours) {
        assert.equal(e.requester?.username, 'admin');
        assert.ok(e.impersonated, `${e.method} ${e.path} was not impersonated`);
        if (e.impersonated.username === 'alice@corp') assert.deepEqual(e.impersonated.groups, ['sre', 'team-a', 'system:authenticated']);
        else assert.deepEqual(e.impersonated, { username: 'bob@corp', groups: ['system:authenticated'] });
      }
    });
  });
});

describe('executeCommand error replies (a stub API)', () => {
  const status = (code: number, reason: string, message: string) =>
    new k8s.ApiException(code, `HTTP-Code: ${code}`, JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message }), { authorization: 'Bearer secret-token' });
  const failing = (err: unknown): KubeClients =>
    ({
      identity: ALICE,
      call: () => ({}),
      core: new Proxy({}, { get: () => () => Promise.reject(err) }),
      apps: new Proxy({}, { get: () => () => Promise.reject(err) }),
    }) as unknown as KubeClients;
  const exec = (cmd: ParsedCommand, err: unknown) => executeCommand(cmd, { clients: failing(err), identity: ALICE, namespace: 'demo' });

  it('maps each Kubernetes status to a one-line reply with its message, never headers or stacks', async () => {
    const scale: ParsedCommand = { verb: 'scale', kind: 'deployment', name: 'web', replicas: 3 };
    assert.deepEqual(await exec(scale, status(409, 'Conflict', 'Operation cannot be fulfilled on deployments.apps "web": the object has been modified')), {
      status: 'error',
      title: 'Error from server (Conflict): Operation cannot be fulfilled on deployments.apps "web": the object has been modified',
      blocks: [],
    });
    assert.equal((await exec(scale, status(422, 'Invalid', 'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1'))).title, 'Error from server (Invalid): Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1');
    assert.equal((await exec(scale, status(403, 'Forbidden', 'deployments.apps "web" is forbidden'))).status, 'denied');
    const five = await exec(scale, new k8s.ApiException(503, 'HTTP-Code: 503 Headers: {"authorization":"Bearer secret-token"}', 'upstream gone', {}));
    assert.deepEqual(five, { status: 'error', title: 'Error from server: the Kubernetes API answered HTTP 503', blocks: [] });
    const refused = await exec(scale, Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }));
    assert.deepEqual(refused, { status: 'error', title: 'Error: could not reach the Kubernetes API (ECONNREFUSED)', blocks: [] });
    for (const r of [five, refused]) assert.doesNotMatch(JSON.stringify(r), /secret-token|at .*\.ts:\d+/);
  });

  it('a kind the server does not serve reads as kubectl says it', async () => {
    const unserved = status(404, 'NotFound', 'the server could not find the requested resource');
    assert.deepEqual(await exec({ verb: 'get', kind: 'statefulset', allNamespaces: false }, unserved), { status: 'error', title: 'the server doesn\'t have a resource type "statefulsets"', blocks: [] });
    assert.deepEqual(await exec({ verb: 'get', kind: 'daemonset', name: 'x', allNamespaces: false }, unserved), { status: 'error', title: 'the server doesn\'t have a resource type "daemonsets"', blocks: [] });
    const missing = await exec({ verb: 'get', kind: 'statefulset', name: 'db', allNamespaces: false }, status(404, 'NotFound', 'statefulsets.apps "db" not found'));
    assert.equal(missing.title, 'Error from server (NotFound): statefulsets.apps "db" not found');
  });
});
