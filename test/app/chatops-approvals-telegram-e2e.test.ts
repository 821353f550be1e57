// Safe actions from chat through Telegram end to end: startChatOps as `run`
// starts it, grammY long polling the local fake Bot API, on the simulated
// cluster. alice's scale gets a preview with an inline keyboard whose
// callback_data is only the request id (within 64 bytes); her Confirm edits
// the message into the approval request (Approve/Deny); her own Approve and
// bob's (in sre, but only view rights) are refused in replies; carol's
// Approve runs it once as alice and edits the message into the outcome,
// without buttons.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { type ChatOps, startChatOps } from '../../src/app/chatops.ts';
import { type Config, parseConfigText } from '../../src/config/index.ts';
import type { AuditEntry } from '../../src/model/audit.ts';
import { silentLogger } from '../../src/model/logger.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.ts';
import { FakeTelegram, type SentMessage, type TelegramUser } from '../fakes/telegram.ts';

const NS = 'payments';
const CHAT = -1009876543210;
const alice: TelegramUser = { id: 4242, first_name: 'Alice', username: 'alice' };
const bob: TelegramUser = { id: 777, first_name: 'Bob', username: 'bob' };
const carol: TelegramUser = { id: 888, first_name: 'Carol', username: 'carol' };

function config(apiRoot: string): Config {
  return parseConfigText(
    `cluster:
  name: e2e
chatops:
  telegram:
    enabled: true
    tokenFrom: { env: TELEGRAM_TOKEN }
    apiRoot: ${apiRoot}
    chats: [{ id: "${CHAT}", namespace: ${NS} }]
  identities:
    - { platform: telegram, user: "4242", kubernetes: { user: alice@corp } }
    - { platform: telegram, user: "777", kubernetes: { user: bob@corp, groups: [sre] } }
    - { platform: telegram, user: "888", kubernetes: { user: carol@corp, groups: [sre] } }
  policies:
    - name: payments-scaling
      commands: [scale]
      namespaces: [${NS}]
      approvals: 1
      approvers: { groups: [sre] }
`,
    'e2e.yaml',
  );
}

describe('ChatOps approvals end to end (Telegram, simulated cluster)', () => {
  let sim: Sim;
  let kc: k8s.KubeConfig;
  let telegram: FakeTelegram;
  let store: SqliteStore;
  let chat: ChatOps;
  const audited: AuditEntry[] = [];

  before(async () => {
    sim = await startSim({ clockSpeed: 0, nodes: 1 });
    kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
    const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    const bind = (name: string, role: string, subject: { kind: 'User'; name: string }) =>
      rbac.createNamespacedRoleBinding({ namespace: NS, body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', ...subject }] } });
    await bind('alice-edit', 'edit', { kind: 'User', name: 'alice@corp' });
    await bind('bob-view', 'view', { kind: 'User', name: 'bob@corp' });
    await bind('carol-edit', 'edit', { kind: 'User', name: 'carol@corp' });
    await kc.makeApiClient(k8s.AppsV1Api).createNamespacedDeployment({
      namespace: NS,
      body: { metadata: { name: 'api' }, spec: { replicas: 4, selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'api:1' }] } } } },
    });
    await sim.clock.advance(10_000);
    telegram = await FakeTelegram.start({ chats: [{ id: CHAT, type: 'supergroup', title: 'ops' }] });
    store = openSqliteStore({ path: ':memory:' });
    chat = await startChatOps({ config: config(telegram.apiRoot), kc, store, log: silentLogger, env: { TELEGRAM_TOKEN: telegram.token }, onAudit: (e) => audited.push(e), expiryCheckMs: 3_600_000 });
  });

  after(async () => {
    await chat?.stop();
    await telegram?.close();
    store?.close();
    await sim?.close();
  });

  const replicas = async (): Promise<number | undefined> => (await kc.makeApiClient(k8s.AppsV1Api).readNamespacedDeploymentScale({ name: 'api', namespace: NS })).spec?.replicas;
  const buttons = (m: SentMessage): { text: string; data: string }[] => (m.reply_markup?.inline_keyboard.flat() ?? []).map((b) => ({ text: b.text, data: b.callback_data ?? '' }));
  const button = (m: SentMessage, label: string): string => buttons(m).find((b) => b.text === label)?.data ?? assert.fail(`no ${label} button on: ${m.plain} ${JSON.stringify(buttons(m))}`);

  /** Presses `label` on message m as `from`; resolves when the message has been edited once more. */
  async function pressForEdit(from: TelegramUser, m: SentMessage, label: string): Promise<SentMessage> {
    const edits = m.edits ?? 0;
    await telegram.pushCallbackQuery({ chatId: CHAT, messageId: m.message_id, data: button(m, label), from });
    return telegram.waitFor(() => ((m.edits ?? 0) > edits ? m : undefined));
  }

  /** Presses `label` on message m as `from`; resolves with the new message answering it (a refusal leaves m as it is). */
  async function pressForReply(from: TelegramUser, m: SentMessage, label: string): Promise<SentMessage> {
    const seen = telegram.messages.length;
    await telegram.pushCallbackQuery({ chatId: CHAT, messageId: m.message_id, data: button(m, label), from });
    return telegram.waitFor(() => telegram.messages.slice(seen).find((x) => x.reply_to === m.message_id));
  }

  it('Confirm, refusals, then Approve by another user with the rights: the message is edited into the outcome, the write runs once', async () => {
    const sent = await telegram.pushMessage({ chatId: CHAT, from: alice, text: '/kube scale deployment api 2' });
    const msg = await telegram.waitFor(() => telegram.messages.find((m) => m.reply_to === sent.message_id));
    assert.match(msg.plain, /Preview \(dry run as alice@corp\): nothing has changed yet/);
    assert.match(msg.plain, /deployment payments\/api: replicas 4 → 2/);
    assert.match(msg.plain, /one approval from a member of group sre/);
    const id = /Request ([A-Za-z0-9_-]{22}) expires/.exec(msg.plain)?.[1] ?? assert.fail(msg.plain);
    assert.deepEqual(buttons(msg).map((b) => b.text), ['Confirm', 'Cancel']);
    for (const b of buttons(msg)) {
      // only the opaque id, inline (a restart keeps the button working), within Telegram's limit
      assert.ok(Buffer.byteLength(b.data) <= 64, b.data);
      assert.ok(!b.data.startsWith('~'), `kept in memory: ${b.data}`);
      assert.ok(b.data.includes(id), b.data);
      assert.doesNotMatch(b.data, /scale|api|payments/);
    }

    // bob may not confirm alice's request; the preview stays as it is
    const notHis = await pressForReply(bob, msg, 'Confirm');
    assert.match(notHis.plain, /Only alice, who asked, can confirm/);
    assert.equal(msg.edits ?? 0, 0);

    const confirmed = await pressForEdit(alice, msg, 'Confirm');
    assert.match(confirmed.plain, new RegExp(`Approval needed for request ${id}`));
    assert.deepEqual(buttons(confirmed).map((b) => b.text), ['Approve', 'Deny']);
    assert.equal(store.requests.get(id)?.state, 'awaiting-approval');
    assert.equal(await replicas(), 4, 'nothing written before the approval');

    const self = await pressForReply(alice, msg, 'Approve');
    assert.match(self.plain, /requester cannot approve their own request/);
    const noRights = await pressForReply(bob, msg, 'Approve');
    assert.match(noRights.plain, /bob@corp.*may not/);
    assert.equal(store.requests.get(id)?.state, 'awaiting-approval');
    assert.equal(await replicas(), 4);

    const done = await pressForEdit(carol, msg, 'Approve');
    assert.match(done.plain, /Done: deployment\.apps\/api scaled/);
    assert.match(done.plain, /Approved by\s*:?\s*carol \(carol@corp\)/);
    assert.match(done.plain, /Ran as\s*:?\s*alice@corp/);
    assert.deepEqual(buttons(done), [], 'the buttons go with the decision');
    assert.equal(await replicas(), 2);
    const r = store.requests.get(id)!;
    assert.equal(r.state, 'executed');
    assert.deepEqual(r.decisions.map((d) => [d.by.platform, d.by.id, d.identity.user, d.decision]), [['telegram', '888', 'carol@corp', 'approve']]);
    assert.equal(audited.filter((e) => e.text.startsWith(`execute ${id}`)).length, 1);
    // every press was answered (the client's spinner stops), and the message was edited, never re-posted
    assert.equal(telegram.answers.length, 5);
    assert.equal(telegram.calls.filter((c) => c.method.toLowerCase() === 'editmessagetext' && c.status === 200).length, 2);
    // the gone buttons cannot be pressed: the client shows none
    await assert.rejects(telegram.pushCallbackQuery({ chatId: CHAT, messageId: msg.message_id, data: `x${id}`, from: carol }), /has no button/);
  });
});
