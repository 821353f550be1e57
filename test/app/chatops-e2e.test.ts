// ChatOps end to end, as `kubeherald run` starts it (startChatOps with a
// config), on the simulated cluster, through the official SDKs pointed at
// the local fakes: Slack Socket Mode + Web API and Telegram long polling in
// one install, Slack over HTTP and Telegram by webhook in another. Two chat
// users are mapped to two Kubernetes users with different Roles (alice may
// edit namespace payments and, through her group, cordon nodes; bob may
// only view it); mallory is not mapped. Every command runs; what RBAC
// refuses changes nothing; the audit trail holds all of it.

import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { type ChatOps, startChatOps } from '../../src/app/chatops.ts';
import { SlackHttpAdapter } from '../../src/chatops/slack/http.ts';
import type { AuditEntry } from '../../src/model/audit.ts';
import { parseConfigText } from '../../src/config/index.ts';
import { silentLogger } from '../../src/model/logger.ts';
import type { AccessLogEntry } from '../../src/sim/apiserver.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.ts';
import { FakeSlack, signedRequest, type SlackCall } from '../fakes/slack.ts';
import { FakeTelegram, type TelegramUser } from '../fakes/telegram.ts';
import { blockText } from '../chatops/slack-stub.ts';

const NS = 'payments';
const SLACK_CHANNEL = 'C0OPS';
const TG_CHAT = -1001234567890;
const SIGNING_SECRET = 'e2e-signing-secret-0123456789';
const WEBHOOK_SECRET = 'e2e_webhook_secret_0123456789';
const slackUsers = [
  { id: 'U0ALICE', name: 'alice', email: 'alice@corp.example' },
  { id: 'U0BOB', name: 'bob', email: 'bob@corp.example' },
  { id: 'U0MALLORY', name: 'mallory', email: 'mallory@corp.example' },
];
const TG_ALICE: TelegramUser = { id: 4242, first_name: 'Alice', username: 'alice' };
const TG_BOB: TelegramUser = { id: 777, first_name: 'Bob', username: 'bob' };
const TG_MALLORY: TelegramUser = { id: 666, first_name: 'Mallory', username: 'mallory' };

/** A cluster where alice@corp may edit payments and (group oncall) patch nodes; bob@corp may view payments. */
async function cluster(): Promise<{ sim: Sim; kc: k8s.KubeConfig; requests: AccessLogEntry[] }> {
  const requests: AccessLogEntry[] = [];
  const sim = await startSim({ clockSpeed: 0, nodes: 3, onRequest: (e) => void requests.push(e) });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
  const user = (name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name });
  const clusterRole = (name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name });
  await rbac.createNamespacedRoleBinding({ namespace: NS, body: { metadata: { name: 'alice-edit' }, roleRef: clusterRole('edit'), subjects: [user('alice@corp')] } });
  await rbac.createNamespacedRoleBinding({ namespace: NS, body: { metadata: { name: 'bob-view' }, roleRef: clusterRole('view'), subjects: [user('bob@corp')] } });
  await rbac.createClusterRole({ body: { metadata: { name: 'node-cordoner' }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'patch'] }] } });
  await rbac.createClusterRoleBinding({
    body: { metadata: { name: 'oncall-cordon' }, roleRef: clusterRole('node-cordoner'), subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'oncall' }] },
  });
  const web = (image: string): k8s.V1Deployment => ({
    metadata: { name: 'web', namespace: NS },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image }] } },
    },
  });
  await apps.createNamespacedDeployment({ namespace: NS, body: web('nginx:1.27') });
  sim.scenarios.start('crashloop', { namespace: NS });
  await sim.clock.advance(30_000);
  // a second revision, so there is a rollout history to undo
  await apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.28' }] } } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch));
  await sim.clock.advance(30_000);
  return { sim, kc, requests };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function chatConfig(extra: string) {
  return parseConfigText(
    `cluster:
  name: e2e
chatops:
  identities:
    - { platform: slack, user: U0ALICE, kubernetes: { user: alice@corp, groups: [oncall] } }
    - { platform: slack, email: bob@corp.example, kubernetes: { user: bob@corp } }
    - { platform: telegram, user: "4242", kubernetes: { user: alice@corp, groups: [oncall] } }
    - { platform: telegram, user: "777", kubernetes: { user: bob@corp } }
${extra}`,
    'e2e.yaml',
  );
}

/** Resolves with the first chat.postMessage that matches and was not there before the call. */
function nextPost(fake: FakeSlack, match: (c: SlackCall) => boolean): Promise<SlackCall> {
  const already = fake.calls.filter((c) => c.method === 'chat.postMessage' && c.status !== 0 && match(c)).length;
  return fake.waitForCalls((c) => c.method === 'chat.postMessage' && match(c), already + 1).then((calls) => calls[already]);
}

/** The opaque id of the request a preview made. */
function requestId(preview: string): string {
  const m = /Request ([A-Za-z0-9_-]{1,22}) expires/.exec(preview);
  assert.ok(m, `no request id in:\n${preview}`);
  return m[1];
}

const text = (c: SlackCall): string => `${String(c.params.text ?? '')}\n${blockText(c.params.blocks as unknown[] | undefined)}`;

describe('ChatOps: Slack Socket Mode and Telegram long polling', () => {
  let sim: Sim;
  let kc: k8s.KubeConfig;
  let requests: AccessLogEntry[];
  let slack: FakeSlack;
  let telegram: FakeTelegram;
  let store: SqliteStore;
  let chat: ChatOps;
  const audited: AuditEntry[] = [];

  before(async () => {
    ({ sim, kc, requests } = await cluster());
    slack = await FakeSlack.start({ channels: [{ id: SLACK_CHANNEL, name: 'ops' }, { id: 'C0RANDOM', name: 'random' }], users: slackUsers });
    telegram = await FakeTelegram.start({ chats: [{ id: TG_CHAT, type: 'supergroup', title: 'ops' }, { id: 5555, type: 'private' }] });
    store = openSqliteStore({ path: ':memory:' });
    const config = chatConfig(`  slack:
    enabled: true
    mode: socket
    botTokenFrom: { env: SLACK_BOT_TOKEN }
    appTokenFrom: { env: SLACK_APP_TOKEN }
    apiUrl: ${slack.apiUrl}
    channels: [{ id: ${SLACK_CHANNEL}, namespace: ${NS} }]
  telegram:
    enabled: true
    tokenFrom: { env: TELEGRAM_TOKEN }
    apiRoot: ${telegram.apiRoot}
    chats: [{ id: "${TG_CHAT}", namespace: ${NS} }]
`);
    chat = await startChatOps({
      config,
      kc,
      store,
      log: silentLogger,
      env: { SLACK_BOT_TOKEN: slack.token, SLACK_APP_TOKEN: slack.appToken, TELEGRAM_TOKEN: telegram.token },
      onAudit: (e) => audited.push(e),
    });
  });

  after(async () => {
    await chat?.stop();
    await slack?.close();
    await telegram?.close();
    store?.close();
    await sim?.close();
  });

  /** A mention in #ops and the reply posted in its thread. */
  async function askSlack(user: string, command: string): Promise<string> {
    const sent = slack.sendAppMention({ user, channel: SLACK_CHANNEL, text: `<@U0000BOT> ${command}` });
    const ts = (await sent).ts;
    return text(await nextPost(slack, (c) => c.params.thread_ts === ts));
  }

  /** A command in the Telegram group and the reply to it. */
  async function askTelegram(from: TelegramUser, command: string): Promise<string> {
    const sent = await telegram.pushMessage({ chatId: TG_CHAT, from, text: command });
    const reply = await telegram.waitFor(() => telegram.messages.find((m) => m.reply_to === sent.message_id) ?? telegram.documents.find((d) => d.message_id > sent.message_id && d.chat_id === TG_CHAT));
    return 'plain' in reply ? reply.plain : `${reply.caption_plain ?? ''}\n${reply.content.toString()}`;
  }

  /** A write: its preview (nothing changed yet), then the requester's typed `confirm <id>` and the result. */
  async function confirmSlack(user: string, command: string): Promise<string> {
    const preview = await askSlack(user, command);
    assert.match(preview, /Preview \(dry run as [^)]+\): nothing has changed yet/);
    return askSlack(user, `confirm ${requestId(preview)}`);
  }

  async function confirmTelegram(from: TelegramUser, command: string): Promise<string> {
    const preview = await askTelegram(from, command);
    assert.match(preview, /nothing has changed yet/);
    return askTelegram(from, `/confirm ${requestId(preview)}`);
  }

  const apps = () => kc.makeApiClient(k8s.AppsV1Api);
  const core = () => kc.makeApiClient(k8s.CoreV1Api);

  it('alice on Slack: every read command, in the channel namespace', async () => {
    assert.match(await askSlack('U0ALICE', 'whoami'), /alice@corp/);
    assert.match(await askSlack('U0ALICE', 'help'), /scale/);
    assert.match(await askSlack('U0ALICE', 'pods'), /crashloop/);
    assert.match(await askSlack('U0ALICE', 'get deployment web'), /web\s+\d\/2/);
    assert.match(await askSlack('U0ALICE', 'describe pod crashloop'), /crashloop[\s\S]*Restart Count/i);
    assert.match(await askSlack('U0ALICE', 'logs crashloop --previous --tail 5'), /exiting with status 1/);
    assert.match(await askSlack('U0ALICE', 'events --for pod/crashloop'), /BackOff/);
    assert.match(await askSlack('U0ALICE', 'rollout status deployment web'), /deployment "web"/);
    assert.match(await askSlack('U0ALICE', 'rollout history deployment web'), /REVISION[\s\S]*\b2\b/);
  });

  it('alice on Slack: scale, restart, rollout undo, cordon, uncordon and delete change the cluster, as her', async () => {
    const from = requests.length;
    const preview = await askSlack('U0ALICE', 'scale deployment web 3');
    assert.match(preview, /deployment payments\/web: replicas 2 → 3/);
    assert.equal((await apps().readNamespacedDeployment({ name: 'web', namespace: NS })).spec?.replicas, 2, 'nothing written before the confirmation');
    assert.match(await askSlack('U0ALICE', `confirm ${requestId(preview)}`), /scaled/);
    assert.equal((await apps().readNamespacedDeployment({ name: 'web', namespace: NS })).spec?.replicas, 3);

    assert.match(await confirmSlack('U0ALICE', 'restart deployment web'), /restarted/);
    const restarted = await apps().readNamespacedDeployment({ name: 'web', namespace: NS });
    assert.ok(restarted.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']);
    // the deployment controller makes the restart revision 3
    await sim.clock.advance(10_000);

    assert.match(await confirmSlack('U0ALICE', 'rollout undo deployment web'), /rolled back/);
    const undone = await apps().readNamespacedDeployment({ name: 'web', namespace: NS });
    assert.equal(undone.spec?.template.spec?.containers[0].image, 'nginx:1.28', 'back to the revision before the restart');

    assert.match(await confirmSlack('U0ALICE', 'cordon sim-node-1'), /cordoned/);
    assert.equal((await core().readNode({ name: 'sim-node-1' })).spec?.unschedulable, true);
    assert.match(await confirmSlack('U0ALICE', 'uncordon sim-node-1'), /uncordoned/);
    assert.ok(!(await core().readNode({ name: 'sim-node-1' })).spec?.unschedulable);

    assert.match(await confirmSlack('U0ALICE', 'delete pod crashloop'), /deleted/);
    // the API server saw alice, not kubeherald, make every change
    const writes = requests.slice(from).filter((r) => ['PATCH', 'PUT', 'DELETE'].includes(r.method) && /\/(deployments|nodes|pods)\//.test(r.path) && r.path.includes('/api'));
    assert.ok(writes.length >= 6, `writes seen: ${writes.map((w) => `${w.method} ${w.path}`).join(', ')}`);
    assert.deepEqual([...new Set(writes.filter((w) => w.status < 300).map((w) => w.user))], ['alice@corp']);
  });

  it('bob (view) on Telegram reads, and is refused a write with the verb and resource named; nothing changes', async () => {
    assert.match(await askTelegram(TG_BOB, '/pods'), /NAME/);
    const before = (await apps().readNamespacedDeployment({ name: 'web', namespace: NS })).spec?.replicas;
    assert.match(await askTelegram(TG_BOB, '/kube scale deployment web 0'), /bob@corp\) may not patch deployments\/scale in namespace payments/);
    assert.equal((await apps().readNamespacedDeployment({ name: 'web', namespace: NS })).spec?.replicas, before);
    assert.match(await askTelegram(TG_BOB, '/cordon sim-node-2'), /may not patch nodes/);
    assert.ok(!(await core().readNode({ name: 'sim-node-2' })).spec?.unschedulable);
  });

  it('bob on Slack is mapped by his verified e-mail; alice on Telegram may write', async () => {
    assert.match(await askSlack('U0BOB', 'whoami'), /bob@corp\b/);
    assert.match(await askSlack('U0BOB', 'restart deployment web'), /may not patch deployments in namespace payments/);
    assert.match(await confirmTelegram(TG_ALICE, '/scale deployment web 2'), /scaled/);
    assert.equal((await apps().readNamespacedDeployment({ name: 'web', namespace: NS })).spec?.replicas, 2);
  });

  it('mallory is not mapped on either platform and reaches nothing; an unlisted channel gets no answer', async () => {
    assert.match(await askSlack('U0MALLORY', 'whoami'), /not mapped/);
    assert.match(await askSlack('U0MALLORY', 'scale deployment web 0'), /not mapped/);
    assert.match(await askTelegram(TG_MALLORY, '/delete pod x'), /not mapped/);
    assert.equal((await apps().readNamespacedDeployment({ name: 'web', namespace: NS })).spec?.replicas, 2);
    await slack.sendAppMention({ user: 'U0ALICE', channel: 'C0RANDOM', text: '<@U0000BOT> pods' });
    // answered in order: once a later command in #ops is answered, the one in #random was handled
    assert.match(await askSlack('U0ALICE', 'whoami'), /alice@corp/);
    assert.ok(!slack.calls.some((c) => c.params.channel === 'C0RANDOM'), 'no reply in a channel not in the config');
  });

  it('the audit trail holds every command: who, as whom, what, and the decision', () => {
    const rows = store.audit.list({ limit: 1000 });
    assert.equal(rows.length, audited.length);
    const line = (e: AuditEntry) => `${e.platform} ${e.platformUserId} ${e.identity?.user ?? '-'} ${e.verb ?? '-'} ${e.decision} ${e.outcome}`;
    const lines = rows.map(line);
    for (const expected of [
      'slack U0ALICE alice@corp scale allowed ok',
      'slack U0ALICE alice@corp cordon allowed ok',
      'slack U0ALICE alice@corp delete allowed ok',
      'telegram 777 bob@corp scale denied denied',
      'telegram 777 bob@corp cordon denied denied',
      'slack U0BOB bob@corp restart denied denied',
      'telegram 4242 alice@corp scale allowed ok',
      'slack U0MALLORY - scale unmapped denied',
      'telegram 666 - delete unmapped denied',
    ]) {
      assert.ok(lines.includes(expected), `no audit record "${expected}" in:\n${lines.join('\n')}`);
    }
    assert.ok(!rows.some((e) => e.channel === 'C0RANDOM'), 'an ignored channel leaves no record');
    const scale = rows.find((e) => e.verb === 'scale' && e.decision === 'allowed')!;
    assert.equal(scale.target, `deployments/web in ${NS}`);
    assert.equal(scale.writes, true);
    assert.ok(scale.durationMs >= 0);
    for (const v of ['whoami', 'help', 'pods', 'get', 'describe', 'logs', 'events', 'scale', 'restart', 'rollout', 'cordon', 'uncordon', 'delete']) {
      assert.ok(rows.some((e) => e.verb === v && e.outcome === 'ok'), `no successful ${v}`);
    }
  });
});

describe('ChatOps: Slack over HTTP and Telegram by webhook', () => {
  let sim: Sim;
  let kc: k8s.KubeConfig;
  let slack: FakeSlack;
  let telegram: FakeTelegram;
  let store: SqliteStore;
  let chat: ChatOps;
  let slackUrl: string;
  const rejected: string[] = [];

  before(async () => {
    ({ sim, kc } = await cluster());
    slack = await FakeSlack.start({ channels: [{ id: SLACK_CHANNEL, name: 'ops' }], users: slackUsers });
    telegram = await FakeTelegram.start({ insecureWebhooks: true, chats: [{ id: TG_CHAT, type: 'supergroup', title: 'ops' }] });
    store = openSqliteStore({ path: ':memory:' });
    const [slackPort, tgPort] = [await freePort(), await freePort()];
    const config = chatConfig(`  slack:
    enabled: true
    mode: http
    botTokenFrom: { env: SLACK_BOT_TOKEN }
    signingSecretFrom: { env: SLACK_SIGNING_SECRET }
    listen: 127.0.0.1:${slackPort}
    apiUrl: ${slack.apiUrl}
    channels: [{ id: ${SLACK_CHANNEL}, namespace: ${NS} }]
  telegram:
    enabled: true
    mode: webhook
    tokenFrom: { env: TELEGRAM_TOKEN }
    apiRoot: ${telegram.apiRoot}
    webhook:
      listen: 127.0.0.1:${tgPort}
      url: http://127.0.0.1:${tgPort}/telegram
      secretTokenFrom: { env: TELEGRAM_WEBHOOK_SECRET }
    chats: [{ id: "${TG_CHAT}", namespace: ${NS} }]
`);
    chat = await startChatOps({
      config,
      kc,
      store,
      log: silentLogger,
      env: { SLACK_BOT_TOKEN: slack.token, SLACK_SIGNING_SECRET: SIGNING_SECRET, TELEGRAM_TOKEN: telegram.token, TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET },
      metrics: { chatCommand: () => {}, chatRejected: (platform, reason) => rejected.push(`${platform}:${reason}`) },
    });
    slackUrl = (chat.adapters.find((a) => a instanceof SlackHttpAdapter) as SlackHttpAdapter).url;
  });

  after(async () => {
    await chat?.stop();
    await slack?.close();
    await telegram?.close();
    store?.close();
    await sim?.close();
  });

  async function slash(user: string, command: string, opts: { signature?: string | null } = {}): Promise<{ status: number; reply?: string }> {
    const form = new URLSearchParams({ command: '/kube', text: command, user_id: user, user_name: user.toLowerCase(), channel_id: SLACK_CHANNEL, channel_name: 'ops', team_id: 'T0000FAKE', response_url: `${slack.url}/commands/x` });
    const posted = nextPost(slack, (c) => c.params.channel === SLACK_CHANNEL && text(c).includes(command.split(' ')[0]));
    const res = await signedRequest(slackUrl, '/slack/commands', form.toString(), { secret: SIGNING_SECRET, ...opts });
    if (res.status !== 200) return { status: res.status };
    return { status: res.status, reply: text(await posted) };
  }

  async function webhookCommand(from: TelegramUser, command: string): Promise<string> {
    const sent = await telegram.pushMessage({ chatId: TG_CHAT, from, text: command });
    return (await telegram.waitFor(() => telegram.messages.find((m) => m.reply_to === sent.message_id))).plain;
  }

  it('Slack slash commands over HTTP: alice reads and scales, bob is refused, a bad or stale signature is 401 and counted', async () => {
    const get = await slash('U0ALICE', 'get deployment web');
    assert.equal(get.status, 200);
    assert.match(get.reply!, /web/);
    const preview = (await slash('U0ALICE', 'scale deployment web 4')).reply!;
    assert.match(preview, /replicas 2 → 4/);
    assert.match((await slash('U0ALICE', `confirm ${requestId(preview)}`)).reply!, /scaled/);
    assert.equal((await kc.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: 'web', namespace: NS })).spec?.replicas, 4);
    assert.match((await slash('U0BOB', 'scale deployment web 0')).reply!, /may not patch deployments\/scale/);
    assert.equal((await slash('U0ALICE', 'scale deployment web 0', { signature: 'v0=deadbeef' })).status, 401);
    assert.equal((await slash('U0ALICE', 'scale deployment web 0', { signature: null })).status, 401);
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    assert.equal((await signedRequest(slackUrl, '/slack/commands', 'command=%2Fkube&text=pods&user_id=U0ALICE&channel_id=C0OPS', { secret: SIGNING_SECRET, timestamp: stale })).status, 401);
    assert.equal((await kc.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: 'web', namespace: NS })).spec?.replicas, 4);
    assert.deepEqual(rejected.filter((r) => r.startsWith('slack:')), ['slack:bad_signature', 'slack:missing_signature', 'slack:stale_timestamp']);
  });

  it('Telegram by webhook: alice cordons, mallory is refused, a request without the secret token is 401 and counted', async () => {
    const preview = await webhookCommand(TG_ALICE, '/cordon sim-node-3');
    assert.match(preview, /node sim-node-3: unschedulable false → true/);
    assert.match(await webhookCommand(TG_ALICE, `/confirm ${requestId(preview)}`), /cordoned/);
    assert.equal((await kc.makeApiClient(k8s.CoreV1Api).readNode({ name: 'sim-node-3' })).spec?.unschedulable, true);
    assert.match(await webhookCommand(TG_MALLORY, '/uncordon sim-node-3'), /not mapped/);
    assert.equal((await kc.makeApiClient(k8s.CoreV1Api).readNode({ name: 'sim-node-3' })).spec?.unschedulable, true);
    const res = await fetch(`http://${chat.adapters.find((a) => a.platform === 'telegram') ? new URL(telegram.webhookUrl!).host : ''}/telegram`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ update_id: 1, message: { message_id: 1, date: 0, chat: { id: TG_CHAT, type: 'supergroup' }, from: TG_ALICE, text: '/uncordon sim-node-3' } }),
    });
    assert.equal(res.status, 401);
    assert.ok(rejected.includes('telegram:missing-secret'));
    assert.equal((await kc.makeApiClient(k8s.CoreV1Api).readNode({ name: 'sim-node-3' })).spec?.unschedulable, true);
  });

  it('audits both transports', () => {
    const rows = store.audit.list({ limit: 1000 });
    const lines = rows.map((e) => `${e.platform} ${e.identity?.user ?? '-'} ${e.verb} ${e.decision}`);
    for (const expected of ['slack alice@corp scale allowed', 'slack bob@corp scale denied', 'telegram alice@corp cordon allowed', 'telegram - uncordon unmapped']) {
      assert.ok(lines.includes(expected), `no audit record "${expected}" in:\n${lines.join('\n')}`);
    }
    assert.equal(rows.filter((e) => e.verb === 'uncordon').length, 1, 'the unsigned request left no record: it never ran');
  });
});
