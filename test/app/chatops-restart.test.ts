// ChatOps stopped and started again in one process, as a replica does that
// loses its Lease and later leads again: Slack over Socket Mode and Telegram
// by long polling (the official SDKs against the local fakes). After the
// second start every message is answered exactly once — none by the first
// instance's socket, poller or timer — a message sent while stopped is
// answered once by the second, and a request that fell due while stopped is
// expired once, by the second instance's timer, not by the stopped one's.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { type ChatOps, startChatOps } from '../../src/app/chatops.ts';
import { parseConfigText } from '../../src/config/index.ts';
import type { ActionRequest } from '../../src/model/approval.ts';
import type { AuditEntry } from '../../src/model/audit.ts';
import { silentLogger } from '../../src/model/logger.ts';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.ts';
import { scaleRequest } from '../chatops/request-fixture.ts';
import { blockText } from '../chatops/slack-stub.ts';
import { FakeSlack, type SlackCall } from '../fakes/slack.ts';
import { FakeTelegram, type TelegramUser } from '../fakes/telegram.ts';

const CH = 'C0OPS';
const CHAT = -1001234567890;
const alice: TelegramUser = { id: 4242, first_name: 'Alice', username: 'alice' };
const T0 = Date.parse('2026-03-01T10:00:00Z');

/** No command here reaches a cluster (help, whoami, typed answers): nothing listens at this address. */
function unreachableCluster(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:9', skipTLSVerify: true }],
    users: [{ name: 'u', token: 'unused' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

/** The handles keeping the process alive, by kind (unref'd timers are not among them: the clock probe watches those). */
function handles(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

/** alice's request in the Telegram chat, awaiting her confirmation until `expiresAt` */
const pendingRequest = (id: string, expiresAt: number): ActionRequest =>
  scaleRequest({ id, expiresAt, platform: 'telegram', requester: { platform: 'telegram', id: String(alice.id), name: 'alice' }, channel: String(CHAT) });

describe('ChatOps stopped and started again in one process', () => {
  let slack: FakeSlack;
  let telegram: FakeTelegram;
  let store: SqliteStore;
  let chat: ChatOps | undefined;
  let now = T0;
  const audited: AuditEntry[] = [];

  before(async () => {
    slack = await FakeSlack.start({ channels: [{ id: CH, name: 'ops' }], users: [{ id: 'U0ALICE', name: 'alice' }] });
    telegram = await FakeTelegram.start({ chats: [{ id: CHAT, type: 'supergroup', title: 'ops' }] });
    store = openSqliteStore({ path: ':memory:' });
  });

  after(async () => {
    await chat?.stop();
    await slack?.close();
    await telegram?.close();
    store?.close();
  });

  /** Clock reads by an instance after its stop() was called: any is work a stopped ChatOps did. */
  const afterStop: string[] = [];
  const start = (name: string, stopped: () => boolean): Promise<ChatOps> =>
    startChatOps({
      config: parseConfigText(
        `chatops:
  slack: { enabled: true, mode: socket, botTokenFrom: { env: SLACK_BOT_TOKEN }, appTokenFrom: { env: SLACK_APP_TOKEN }, apiUrl: ${slack.apiUrl}, channels: [{ id: ${CH} }] }
  telegram: { enabled: true, tokenFrom: { env: TELEGRAM_TOKEN }, apiRoot: ${telegram.apiRoot}, chats: [{ id: "${CHAT}" }] }
  identities:
    - { platform: slack, user: U0ALICE, kubernetes: { user: alice@corp } }
    - { platform: telegram, user: "${alice.id}", kubernetes: { user: alice@corp } }
`,
        'restart.yaml',
      ),
      kc: unreachableCluster(),
      store,
      log: silentLogger,
      env: { SLACK_BOT_TOKEN: slack.token, SLACK_APP_TOKEN: slack.appToken, TELEGRAM_TOKEN: telegram.token },
      onAudit: (e) => audited.push(e),
      now: () => {
        if (stopped()) afterStop.push(name);
        return now;
      },
      // short: the second instance's timer expires the request soon, and the first one's would have fired many times over by the end
      expiryCheckMs: 20,
    });

  const slackReplies = (ts: string): SlackCall[] => slack.calls.filter((c) => c.method === 'chat.postMessage' && c.status === 200 && c.params.thread_ts === ts);
  /** A mention; resolves with its event's ts once it has a reply. */
  async function askSlack(text: string, sent = slack.sendAppMention({ user: 'U0ALICE', channel: CH, text: `<@U0000BOT> ${text}` })): Promise<string> {
    const { ts } = await sent;
    await slack.waitForCalls((c) => c.method === 'chat.postMessage' && c.status === 200 && c.params.thread_ts === ts);
    return ts!;
  }
  const telegramReplies = (id: number) => telegram.messages.filter((m) => m.chat_id === CHAT && m.reply_to === id);
  async function askTelegram(text: string): Promise<number> {
    const sent = await telegram.pushMessage({ chatId: CHAT, from: alice, text });
    await telegram.waitFor(() => telegramReplies(sent.message_id).length > 0);
    return sent.message_id;
  }

  it('answers each message once after the second start, a message sent while stopped too, and expires a request only while started', async () => {
    let firstStopped = false;
    chat = await start('first', () => firstStopped);
    const first = { slack: [await askSlack('whoami')], telegram: [await askTelegram('/whoami')] };
    firstStopped = true;
    await chat.stop();
    await slack.socketsClosed();
    assert.equal(slack.openSockets, 0, 'the socket is closed');
    // what sockets stay are the HTTP clients' idle keep-alive pools, shared by the next start
    const stopped = handles();

    // due while nobody leads: it must wait for the next leader
    store.requests.create(pendingRequest('due-while-stopped', T0 + 60_000));
    now = T0 + 120_000;
    const whileStopped = { slack: slack.sendAppMention({ user: 'U0ALICE', channel: CH, text: '<@U0000BOT> help' }), telegram: telegram.pushMessage({ chatId: CHAT, from: alice, text: '/help' }) };
    assert.equal(store.requests.get('due-while-stopped')?.state, 'awaiting-confirmation');

    let secondStopped = false;
    chat = await start('second', () => secondStopped);
    const after = {
      slack: [await askSlack('help', whileStopped.slack), await askSlack('whoami'), await askSlack('help scale')],
      telegram: [await askTelegram('/whoami'), await askTelegram('/help scale')],
    };
    const stoppedMessage = await whileStopped.telegram;
    await telegram.waitFor(() => telegramReplies(stoppedMessage.message_id).length > 0);
    after.telegram.push(stoppedMessage.message_id);
    const expired = await telegram.waitFor(() => telegram.messages.find((m) => m.chat_id === CHAT && /Request due-while-stopped expired/.test(m.plain)));
    assert.ok(expired);
    assert.equal(store.requests.get('due-while-stopped')?.state, 'expired');

    // one last round trip on each platform: a second answer to anything above would have been sent by now
    after.slack.push(await askSlack('whoami'));
    after.telegram.push(await askTelegram('/whoami'));
    for (const ts of [...first.slack, ...after.slack]) assert.equal(slackReplies(ts).length, 1, `slack message ${ts}: ${slackReplies(ts).map((c) => blockText(c.params.blocks as unknown[])).join(' | ')}`);
    for (const id of [...first.telegram, ...after.telegram]) assert.equal(telegramReplies(id).length, 1, `telegram message ${id}`);
    assert.equal(telegram.messages.filter((m) => /Request due-while-stopped expired/.test(m.plain)).length, 1);
    assert.equal(audited.filter((e) => e.text === 'expire due-while-stopped').length, 1);
    assert.equal(slack.openSockets, 1, 'one socket: the second instance’s');
    assert.deepEqual(afterStop, [], 'the stopped instance expired, ran or audited nothing');

    // a second stop gives back what the second start took: nothing grows from one leadership term to the next
    secondStopped = true;
    await chat.stop();
    await slack.socketsClosed();
    const again = handles();
    assert.ok((again.TCPSocketWrap ?? 0) <= (stopped.TCPSocketWrap ?? 0), `sockets after the second stop ${JSON.stringify(again)}, after the first ${JSON.stringify(stopped)}`);
  });
});
