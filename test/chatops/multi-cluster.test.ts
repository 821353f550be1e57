// ChatOps over two clusters, as `kubeherald run` starts it (startChatOps with
// both clusters' KubeConfigs), on two simulated clusters a (home) and b:
// --cluster picks one, a channel's `cluster` is its default, a name the
// config does not list is refused before any request reaches either, and a
// write previewed on b is approved (the approver's RBAC asked of b) and run
// on b only. Each sim's access log is the proof of where requests went.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { type ChatOps, startChatOps } from '../../src/app/chatops.ts';
import type { ChatMessage, ChatReply } from '../../src/chatops/types.ts';
import { parseConfigText } from '../../src/config/index.ts';
import type { AuditEntry } from '../../src/model/audit.ts';
import type { Notification } from '../../src/model/notification.ts';
import { silentLogger } from '../../src/model/logger.ts';
import type { AccessLogEntry } from '../../src/sim/apiserver.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.ts';

const NS = 'payments';
/** default cluster: the home one (a) */
const CH_A = 'C0A';
/** `cluster: b` */
const CH_B = 'C0B';

interface SimCluster {
  sim: Sim;
  kc: k8s.KubeConfig;
  log: AccessLogEntry[];
}

/**
 * A cluster with deployments web (2 replicas) and only-<name> in payments;
 * alice@corp may edit payments; bob@corp may edit it only where `bobEdits`.
 */
async function cluster(name: string, bobEdits: boolean): Promise<SimCluster> {
  const log: AccessLogEntry[] = [];
  const sim = await startSim({ clockSpeed: 0, nodes: 1, onRequest: (e) => void log.push(e) });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
  const bind = (user: string, role: string) =>
    rbac.createNamespacedRoleBinding({
      namespace: NS,
      body: { metadata: { name: `${user.split('@')[0]}-${role}` }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }] },
    });
  await bind('alice@corp', 'edit');
  await bind('bob@corp', bobEdits ? 'edit' : 'view');
  const deployment = (d: string): k8s.V1Deployment => ({
    metadata: { name: d, namespace: NS },
    spec: { replicas: 2, selector: { matchLabels: { app: d } }, template: { metadata: { labels: { app: d } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } } },
  });
  await apps.createNamespacedDeployment({ namespace: NS, body: deployment('web') });
  await apps.createNamespacedDeployment({ namespace: NS, body: deployment(`only-${name}`) });
  await sim.clock.advance(30_000);
  return { sim, kc, log };
}

const config = () =>
  parseConfigText(
    `clusters: [{ name: a }, { name: b }]
chatops:
  auditNotifications: true
  slack:
    channels: [{ id: ${CH_A}, namespace: ${NS} }, { id: ${CH_B}, namespace: ${NS}, cluster: b }]
  identities:
    - { platform: slack, user: U0ALICE, kubernetes: { user: alice@corp } }
    - { platform: slack, user: U0BOB, kubernetes: { user: bob@corp } }
`,
    'multi.yaml',
  );

const users = { alice: { platform: 'slack' as const, id: 'U0ALICE', name: 'alice' }, bob: { platform: 'slack' as const, id: 'U0BOB', name: 'bob' } };

const shown = (r: ChatReply | undefined): string =>
  [r?.title ?? '', ...(r?.blocks ?? []).map((b) => (b.kind === 'table' ? [b.columns, ...b.rows].map((row) => row.join(' ')).join('\n') : b.kind === 'fields' ? b.fields.map((f) => `${f.label}: ${f.value}`).join('\n') : b.text)), ...(r?.notes ?? [])].join('\n');

describe('ChatOps on two clusters', () => {
  let a: SimCluster;
  let b: SimCluster;
  let store: SqliteStore;
  let chat: ChatOps;
  const audited: AuditEntry[] = [];
  const notified: Notification[] = [];

  before(async () => {
    [a, b] = await Promise.all([cluster('a', false), cluster('b', true)]);
    store = openSqliteStore({ path: ':memory:' });
    chat = await startChatOps({
      config: config(),
      kc: a.kc,
      clusters: [
        { name: 'a', kc: a.kc },
        { name: 'b', kc: b.kc },
      ],
      store,
      log: silentLogger,
      platforms: false,
      onAudit: (e) => audited.push(e),
      submit: (ns) => void notified.push(...ns),
      expiryCheckMs: 3_600_000,
    });
  });

  after(async () => {
    await chat?.stop();
    store?.close();
    await a?.sim.close();
    await b?.sim.close();
  });

  const ask = async (user: keyof typeof users, channel: string, text: string): Promise<ChatReply> => {
    const msg: ChatMessage = { platform: 'slack', user: users[user], channel, text, receivedAt: Date.now() };
    const reply = await chat.service.handle(msg);
    assert.ok(reply, `no reply to ${text}`);
    return reply;
  };
  const replicas = async (c: SimCluster): Promise<number | undefined> => (await c.kc.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: 'web', namespace: NS })).spec?.replicas;

  it('--cluster b, and --cluster=b, list b’s pods and say so; without it a channel’s default cluster answers', async () => {
    for (const text of ['pods --cluster b', 'pods --cluster=b', 'get pods -n payments --cluster b']) {
      const r = shown(await ask('alice', CH_A, text));
      assert.match(r, /only-b-/, text);
      assert.doesNotMatch(r, /only-a-/, text);
      assert.match(r, /Cluster: b/, text);
    }
    const home = shown(await ask('alice', CH_A, 'pods'));
    assert.match(home, /only-a-/);
    assert.doesNotMatch(home, /only-b-/);
    assert.match(home, /Cluster: a/);
    // the channel's cluster, and --cluster over it
    assert.match(shown(await ask('alice', CH_B, 'get deploy')), /only-b[\s\S]*Cluster: b/);
    assert.match(shown(await ask('alice', CH_B, 'get deploy --cluster a')), /only-a[\s\S]*Cluster: a/);
    assert.match(shown(await ask('alice', CH_B, 'whoami')), /Default cluster here: b \(of a, b\)/);
    const last = audited.at(-2)!;
    assert.equal(last.command, 'get deployment -n payments --cluster a');
    assert.equal(last.cluster, 'a');
    assert.equal(store.audit.list({}).find((e) => e.id === last.id)?.cluster, 'a', 'the audit table keeps the cluster');
  });

  it('a cluster the config does not list is refused, naming the known ones, before any request reaches either cluster', async () => {
    const seen = [a.log.length, b.log.length];
    for (const text of ['pods --cluster c', 'pods --cluster=A', 'scale deployment web 0 --cluster prod', 'delete pod web-1 --cluster b.', 'logs web-1 --cluster default', 'silence --reason X --cluster c for 1h -- why']) {
      const r = await ask('alice', CH_B, text);
      assert.equal(r.status, 'invalid', text);
      // "b." is not even a name; the others are names the config does not list
      assert.match(r.title ?? '', text.includes('b.') ? /^delete: --cluster "b\." must start and end with a letter or digit$/ : /^unknown cluster "[^"]+": the clusters are a, b$/, text);
    }
    // one more request to each, finished: every earlier one has been logged by now
    await a.kc.makeApiClient(k8s.CoreV1Api).listNamespace();
    await b.kc.makeApiClient(k8s.CoreV1Api).listNamespace();
    assert.deepEqual([a.log.length - 1, b.log.length - 1], seen, 'no request reached a or b');
    const refused = audited.slice(-6);
    assert.ok(refused.every((e) => e.decision === 'invalid' && e.cluster === undefined && e.identity === undefined));
  });

  it('an alert button acts on the cluster the alert came from, and one naming an unknown cluster reaches neither', async () => {
    const press = (value: string) => chat.service.interact({ platform: 'slack', user: users.alice, channel: CH_A, actionId: 'kh:describe-pod', value, receivedAt: Date.now() });
    const pod = async (c: SimCluster, app: string): Promise<string> => (await c.kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: NS, labelSelector: `app=${app}` })).items[0].metadata!.name!;
    const [podA, podB] = [await pod(a, 'only-a'), await pod(b, 'only-b')];
    const seen = [a.log.length, b.log.length];
    const onB = shown(await press(`${NS}/${podB}@b`));
    assert.match(onB, new RegExp(`${podB}[\\s\\S]*Cluster: b`));
    const reviews = (c: SimCluster, from: number) => c.log.slice(from).filter((e) => e.path.includes('selfsubjectaccessreviews')).length;
    assert.equal(reviews(a, seen[0]), 0, 'nothing asked of a');
    assert.ok(reviews(b, seen[1]) > 0, 'asked of b');
    assert.match(shown(await press(`${NS}/${podA}@a`)), new RegExp(`${podA}[\\s\\S]*Cluster: a`));
    const before = [a.log.length, b.log.length];
    const refused = await press(`${NS}/${podB}@c`);
    assert.equal(refused?.title, 'unknown cluster "c": the clusters are a, b');
    await a.kc.makeApiClient(k8s.CoreV1Api).listNamespace();
    await b.kc.makeApiClient(k8s.CoreV1Api).listNamespace();
    assert.deepEqual([a.log.length - 1, b.log.length - 1], before, 'no request reached a or b');
  });

  it('a scale previewed on b is approved on b (by someone who may scale there only) and runs on b only', async () => {
    const aBefore = a.log.length;
    const preview = await ask('alice', CH_A, 'scale deployment web 0 --cluster b');
    assert.equal(preview.status, 'pending', shown(preview));
    assert.match(shown(preview), /replicas 2 → 0[\s\S]*Cluster: b/);
    const id = preview.requestId!;
    const stored = store.requests.get(id)!;
    assert.equal(stored.target.cluster, 'b');
    assert.equal(stored.command, 'scale deployment web 0 -n payments --cluster b');

    const confirmed = await ask('alice', CH_A, `confirm ${id}`);
    assert.equal(confirmed.status, 'pending', shown(confirmed));
    assert.match(shown(confirmed), /Approval needed[\s\S]*Cluster: b/);
    // bob may only view payments on a: the review asked of a would refuse him, b's allows
    const bReviews = b.log.length;
    const done = await ask('bob', CH_A, `approve ${id}`);
    assert.match(done.title ?? '', /^Done: /, shown(done));
    assert.match(shown(done), /Cluster: b/);
    assert.ok(
      b.log.slice(bReviews).some((e) => e.path.includes('selfsubjectaccessreviews') && e.impersonated?.username === 'bob@corp'),
      `bob's review went to b: ${b.log.slice(bReviews).map((e) => `${e.method} ${e.path} ${e.user}`).join('; ')}`,
    );
    const reachedA = a.log.slice(aBefore);
    assert.deepEqual(reachedA.map((e) => `${e.method} ${e.path}`), [], 'nothing reached a');
    assert.equal(await replicas(b), 0);
    assert.equal(await replicas(a), 2);
    const patches = b.log.filter((e) => e.method === 'PATCH' && e.path.endsWith('/deployments/web/scale'));
    assert.equal(patches.filter((e) => !e.requestURI.includes('dryRun')).length, 1, 'one write, on b');
    assert.equal(store.requests.get(id)?.state, 'executed');
    const trail = audited.filter((e) => e.command === 'scale deployment web 0 -n payments --cluster b');
    assert.ok(trail.length >= 4, `preview, confirm, approve, execute: ${trail.map((e) => e.text).join(' | ')}`);
    assert.ok(trail.every((e) => e.cluster === 'b'));
    // the ChatCommand notifications of the trail say where it happened, as every notification does
    const told = notified.filter((n) => n.reason === 'ChatCommand' && n.message.includes('--cluster b'));
    assert.ok(told.length >= 4 && told.every((n) => n.cluster === 'b'), told.map((n) => `${n.cluster}: ${n.message}`).join(' | '));
    assert.ok(notified.some((n) => n.reason === 'ChatCommand' && n.cluster === 'a'), 'commands on a are told as a’s');
  });
});
