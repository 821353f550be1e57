// The Telegram adapter over long polling, through grammY against the local
// fake Bot API: commands in private chats and groups (with and without
// @botname, for another bot ignored), /kube as a prefix, replies threaded to
// the command, buttons answered, long replies split, files as documents,
// polling that survives 5xx/429/409, one chat's slow command not holding up
// another, stop() letting in-flight replies finish, and the token never in a
// log line or an error.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { TelegramAdapter, type TelegramAdapterOptions } from '../../src/chatops/telegram/adapter.ts';
import type { ChatHandler, ChatInteraction, ChatMessage, ChatReply } from '../../src/chatops/types.ts';
import type { Logger } from '../../src/model/logger.ts';
import { FakeTelegram, MAX_TEXT, parseHtml, type TelegramUser } from '../fakes/telegram.ts';
import { type LogEntry, recordingLog } from '../helpers/log.ts';

const ALICE: TelegramUser = { id: 4242, first_name: 'Alice', username: 'alice' };
const BOB: TelegramUser = { id: 777, first_name: 'Bob' };
const PRIVATE = 4242;
const SUPERGROUP = -1001234567890;
const GROUP = -4001;

function logger(entries: LogEntry[]): Logger {
  const { log } = recordingLog(entries);
  const l: Logger = { ...log, child: () => l };
  return l;
}

interface Stub extends ChatHandler {
  messages: ChatMessage[];
  interactions: ChatInteraction[];
}

/** A handler that records what it is given and answers with `reply` (default: echo the text). */
function stub(reply: (m: ChatMessage) => ChatReply | undefined | Promise<ChatReply | undefined> = (m) => ({ status: 'ok', title: `ran: ${m.text}`, blocks: [] }), onInteract?: (ev: ChatInteraction) => ChatReply | undefined): Stub {
  const s: Stub = {
    messages: [],
    interactions: [],
    async handle(m) {
      s.messages.push(m);
      return reply(m);
    },
    async interact(ev) {
      s.interactions.push(ev);
      return onInteract ? onInteract(ev) : { status: 'ok', title: `pressed ${ev.actionId}`, blocks: [] };
    },
  };
  return s;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('Telegram adapter: long polling', () => {
  let fake: FakeTelegram;
  let entries: LogEntry[];
  let adapter: TelegramAdapter | undefined;
  const ac = new AbortController();

  beforeEach(async () => {
    fake = await FakeTelegram.start({
      chats: [
        { id: SUPERGROUP, type: 'supergroup', title: 'ops', topics: [7] },
        { id: GROUP, type: 'group', title: 'dev' },
        { id: PRIVATE, type: 'private' },
      ],
    });
    entries = [];
    adapter = undefined;
  });

  afterEach(async () => {
    await adapter?.stop();
    await fake.close();
    const all = JSON.stringify(entries);
    assert.ok(!all.includes(fake.token), 'the bot token is in a log line');
    assert.ok(!all.includes(fake.token.split(':')[1]), 'the bot token secret is in a log line');
  });

  async function start(handler: ChatHandler, over: Partial<TelegramAdapterOptions> = {}): Promise<TelegramAdapter> {
    adapter = new TelegramAdapter({ token: fake.token, apiRoot: fake.apiRoot, log: logger(entries), ...over });
    await adapter.start(handler, ac.signal);
    return adapter;
  }

  /** The bot's messages in a chat, as the reader sees them. */
  const said = (chat: number): string[] => fake.messages.filter((m) => m.chat_id === chat).map((m) => m.plain);
  const reply = (chat: number, n = 1) => fake.waitFor(() => (said(chat).length >= n ? fake.messages.filter((m) => m.chat_id === chat) : undefined));

  it('starts with getMe and deleteWebhook, then polls for messages and button presses only', async () => {
    await start(stub());
    const methods = fake.calls.map((c) => c.method);
    assert.deepEqual(methods.slice(0, 2).sort(), ['deleteWebhook', 'getMe']);
    const poll = await fake.waitFor(() => fake.calls.find((c) => c.method === 'getUpdates'));
    assert.deepEqual(poll.params.allowed_updates, ['message', 'callback_query']);
    assert.equal(poll.params.timeout, 30);
  });

  it('a command in a private chat: the text without the slash, the user, the chat and the message it answers', async () => {
    const h = stub();
    await start(h);
    const sent = await fake.pushMessage({ chatId: PRIVATE, from: ALICE, text: '/pods -n demo' });
    const [r] = await reply(PRIVATE);
    assert.equal(h.messages.length, 1);
    const m = h.messages[0];
    assert.deepEqual({ ...m, receivedAt: 0 }, {
      platform: 'telegram',
      user: { platform: 'telegram', id: '4242', name: 'alice' },
      channel: '4242',
      thread: String(sent.message_id),
      text: 'pods -n demo',
      receivedAt: 0,
    });
    assert.ok(m.receivedAt > 0);
    assert.equal(r.plain, 'ran: pods -n demo');
    assert.equal(r.parse_mode, 'HTML');
    assert.equal(r.reply_to, sent.message_id);
  });

  it('plain text in a private chat is a command; a user without a username is named by first name', async () => {
    const h = stub();
    await start(h);
    await fake.pushMessage({ chatId: BOB.id, chatType: 'private', from: BOB, text: 'logs web-1 --tail 20' });
    await reply(BOB.id);
    assert.equal(h.messages[0].text, 'logs web-1 --tail 20');
    assert.deepEqual(h.messages[0].user, { platform: 'telegram', id: '777', name: 'Bob' });
  });

  it('groups: /cmd and /cmd@thisbot are commands, /cmd@otherbot and plain talk are not; /kube is a prefix; /start is help', async () => {
    const h = stub();
    await start(h);
    // the ignored ones go first: per-chat order means they were looked at before the last one was answered
    await fake.pushMessage({ chatId: GROUP, from: ALICE, text: '/pods@other_bot -n demo' });
    await fake.pushMessage({ chatId: GROUP, from: ALICE, text: 'pods -n demo' });
    await fake.pushMessage({ chatId: GROUP, from: ALICE, text: '@other_bot pods' });
    await fake.pushMessage({ chatId: GROUP, from: ALICE, text: '/pods@KubeHerald_Bot -n demo' });
    await fake.pushMessage({ chatId: GROUP, from: ALICE, text: '/logs web-1 --tail 20' });
    await fake.pushMessage({ chatId: GROUP, from: ALICE, text: '/kube@kubeherald_bot scale deployment web 3 -n demo' });
    await fake.pushMessage({ chatId: GROUP, from: ALICE, text: '@kubeherald_bot events -n demo' });
    await fake.pushMessage({ chatId: PRIVATE, from: ALICE, text: '/start' });
    await fake.pushMessage({ chatId: PRIVATE, from: ALICE, text: '/kube' });
    await reply(GROUP, 4);
    await reply(PRIVATE, 2);
    assert.deepEqual(
      h.messages.filter((m) => m.channel === String(GROUP)).map((m) => m.text),
      ['pods -n demo', 'logs web-1 --tail 20', 'scale deployment web 3 -n demo', 'events -n demo'],
    );
    assert.deepEqual(
      h.messages.filter((m) => m.channel === String(PRIVATE)).map((m) => m.text),
      ['help', ''],
    );
  });

  it('in a forum topic the reply goes to the topic; channel posts, anonymous admins, bots and forwarded commands are ignored', async () => {
    const h = stub();
    await start(h);
    await fake.pushMessage({ chatId: SUPERGROUP, from: null, senderChat: true, text: '/pods' });
    await fake.pushMessage({ chatId: SUPERGROUP, from: { id: 1087968824, first_name: 'Group', username: 'GroupAnonymousBot' }, senderChat: true, text: '/pods' });
    await fake.pushMessage({ chatId: SUPERGROUP, from: { id: 99, first_name: 'bot', is_bot: true }, text: '/pods' });
    await fake.pushMessage({ chatId: SUPERGROUP, from: ALICE, forwardedFrom: BOB, text: '/scale deployment web 0' });
    const sent = await fake.pushMessage({ chatId: SUPERGROUP, from: ALICE, messageThreadId: 7, text: '/pods' });
    const [r] = await reply(SUPERGROUP);
    assert.deepEqual(h.messages.map((m) => m.text), ['pods']);
    assert.equal(r.message_thread_id, 7);
    assert.equal(r.reply_to, sent.message_id);
  });

  it('a handler that answers undefined posts nothing (a chat not in the config)', async () => {
    const h = stub((m) => (m.channel === String(GROUP) ? undefined : { status: 'ok', title: 'yes', blocks: [] }));
    await start(h);
    await fake.pushMessage({ chatId: GROUP, from: ALICE, text: '/pods' });
    await fake.pushMessage({ chatId: PRIVATE, from: ALICE, text: 'pods' });
    await reply(PRIVATE);
    await fake.waitFor(() => h.messages.length === 2);
    assert.deepEqual(said(GROUP), []);
    assert.equal(fake.calls.filter((c) => c.method === 'sendMessage').length, 1);
  });

  it('buttons: the press is answered at once and handed to interact; long values travel as a short key', async () => {
    const long = 'approval:' + 'x'.repeat(80);
    const h = stub(
      () => ({
        status: 'pending',
        title: 'Scale deployment web to 0?',
        blocks: [],
        actions: [
          { id: 'confirm', label: 'Scale', style: 'danger', value: 'c-123' },
          { id: 'approve', label: 'Approve', value: long },
        ],
      }),
      (ev) => ({ status: 'ok', title: ev.actionId === 'confirm' ? 'scaled' : 'approved', blocks: [] }),
    );
    await start(h);
    await fake.pushMessage({ chatId: GROUP, from: ALICE, text: '/scale deployment web 0' });
    const [prompt] = await reply(GROUP);
    const buttons = prompt.reply_markup!.inline_keyboard.flat();
    assert.deepEqual(buttons.map((b) => b.text), ['Scale', 'Approve']);
    for (const b of buttons) assert.ok(Buffer.byteLength(b.callback_data!) <= 64);

    const q1 = await fake.pushCallbackQuery({ chatId: GROUP, messageId: prompt.message_id, data: buttons[0].callback_data!, from: BOB });
    await reply(GROUP, 2);
    const q2 = await fake.pushCallbackQuery({ chatId: GROUP, messageId: prompt.message_id, data: buttons[1].callback_data!, from: ALICE });
    await reply(GROUP, 3);
    assert.deepEqual(fake.answers.map((a) => a.callback_query_id).sort(), [q1, q2].sort());
    assert.ok(fake.answers.every((a) => a.text === undefined));
    assert.deepEqual(
      h.interactions.map((i) => ({ ...i, receivedAt: 0 })),
      [
        { platform: 'telegram', user: { platform: 'telegram', id: '777', name: 'Bob' }, channel: String(GROUP), thread: String(prompt.message_id), actionId: 'confirm', value: 'c-123', messageRef: String(prompt.message_id), receivedAt: 0 },
        { platform: 'telegram', user: { platform: 'telegram', id: '4242', name: 'alice' }, channel: String(GROUP), thread: String(prompt.message_id), actionId: 'approve', value: long, messageRef: String(prompt.message_id), receivedAt: 0 },
      ],
    );
    const scaled = fake.messages.find((m) => m.plain === 'scaled')!;
    assert.equal(scaled.reply_to, prompt.message_id);
  });

  it('a button whose key was forgotten (a restart) is answered with an alert, and nothing runs', async () => {
    const h = stub(() => ({ status: 'pending', blocks: [{ kind: 'text', text: 'sure?' }], actions: [{ id: 'approve', label: 'Approve', value: 'y'.repeat(90) }] }));
    await start(h);
    await fake.pushMessage({ chatId: PRIVATE, from: ALICE, text: 'restart deployment web' });
    const [prompt] = await reply(PRIVATE);
    await adapter!.stop();
    // a new process: same bot, no memory of the key
    await start(h);
    await fake.pushCallbackQuery({ chatId: PRIVATE, messageId: prompt.message_id, data: prompt.reply_markup!.inline_keyboard[0][0].callback_data!, from: ALICE });
    const [answer] = await fake.waitFor(() => (fake.answers.length ? fake.answers : undefined));
    assert.equal(answer.show_alert, true);
    assert.match(answer.text ?? '', /expired/);
    assert.equal(h.interactions.length, 0);
  });

  it('a long reply is split into messages of at most 4,096 characters, in order, all answering the command', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => [`web-${String(i).padStart(3, '0')}-${'x'.repeat(50)}`, '1/1', 'Running']);
    await start(stub(() => ({ status: 'ok', title: 'Pods', blocks: [{ kind: 'table', columns: ['NAME', 'READY', 'STATUS'], rows }] })));
    const sent = await fake.pushMessage({ chatId: PRIVATE, from: ALICE, text: 'pods -A' });
    await fake.waitFor(() => fake.messages.some((m) => /part (\d) of \1$/.test(m.plain)));
    const parts = fake.messages.filter((m) => m.chat_id === PRIVATE);
    assert.ok(parts.length >= 2);
    parts.forEach((p, i) => {
      assert.ok(p.plain.length <= MAX_TEXT);
      assert.ok(p.plain.endsWith(`part ${i + 1} of ${parts.length}`));
      assert.equal(p.reply_to, sent.message_id);
    });
    const names = parts.flatMap((p) => p.plain.split('\n')).filter((l) => l.startsWith('web-'));
    assert.equal(names.length, 120);
  });

  it('a file reply is sent as a document (multipart upload) with its caption, answering the command', async () => {
    const content = Array.from({ length: 300 }, (_, i) => `2025-03-04T12:00:${String(i % 60).padStart(2, '0')}Z panic: boom ${i}`).join('\n') + '\n';
    await start(stub(() => ({ status: 'ok', title: 'Logs of crashloop (previous container)', blocks: [], file: { name: 'crashloop previous.log', content } })));
    const sent = await fake.pushMessage({ chatId: GROUP, from: ALICE, text: '/logs crashloop -n demo --previous' });
    const [doc] = await fake.waitFor(() => (fake.documents.length ? fake.documents : undefined));
    assert.equal(doc.chat_id, GROUP);
    // a file name is shown as given, minus what could break the upload's headers
    assert.equal(doc.file_name, 'crashloop_previous.log');
    assert.equal(doc.size, Buffer.byteLength(content));
    assert.equal(doc.content.toString('utf8'), content);
    assert.equal(doc.caption_plain, 'Logs of crashloop (previous container)');
    assert.equal(doc.parse_mode, 'HTML');
    assert.equal(doc.reply_to, sent.message_id);
    assert.deepEqual(said(GROUP), []);
  });

  it('long polling survives an HTML 502 from a proxy and a 429 with retry_after', async () => {
    fake.failMethod('getUpdates', { kind: 'html', status: 502 }, { kind: 'ratelimited', retryAfter: 1 });
    const h = stub();
    await start(h);
    await fake.pushMessage({ chatId: PRIVATE, from: ALICE, text: 'whoami' });
    await reply(PRIVATE);
    const polls = fake.calls.filter((c) => c.method === 'getUpdates');
    assert.deepEqual(polls.slice(0, 2).map((c) => c.status), [502, 429]);
    assert.equal(h.messages[0].text, 'whoami');
  });

  it('a 409 Conflict (another poller) is logged and polling starts again', async () => {
    const h = stub();
    await start(h);
    fake.failMethod('getUpdates', { kind: 'error', code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' });
    // end the current long poll so the next getUpdates meets the failure
    await fake.pushMessage({ chatId: PRIVATE, from: ALICE, text: 'first' });
    await reply(PRIVATE);
    await fake.waitFor(() => entries.find((e) => e.level === 'error' && /another process polls/.test(e.msg)));
    await fake.pushMessage({ chatId: PRIVATE, from: ALICE, text: 'second' });
    await reply(PRIVATE, 2);
    assert.deepEqual(h.messages.map((m) => m.text), ['first', 'second']);
  });

  it('one chat at a time, chats side by side: a slow command holds up its own chat only', async () => {
    const gate = deferred();
    const h = stub(async (m) => {
      if (m.text === 'slow') await gate.promise;
      return { status: 'ok', title: `done ${m.text}`, blocks: [] };
    });
    await start(h);
    await fake.pushMessage({ chatId: PRIVATE, from: ALICE, text: 'slow' });
    await fake.pushMessage({ chatId: PRIVATE, from: ALICE, text: 'second' });
    await fake.pushMessage({ chatId: GROUP, from: ALICE, text: '/fast' });
    await reply(GROUP);
    // the group was answered while the private chat's first command still runs, and its second waits behind it
    assert.deepEqual(h.messages.map((m) => m.text), ['slow', 'fast']);
    assert.deepEqual(said(PRIVATE), []);
    gate.resolve();
    await reply(PRIVATE, 2);
    assert.deepEqual(said(PRIVATE), ['done slow', 'done second']);
  });

  it('a handler that throws and a reply Telegram refuses are logged; the next command is answered', async () => {
    const h = stub((m) => {
      if (m.text === 'boom') throw new Error('handler exploded');
      return { status: 'ok', title: m.text, blocks: [] };
    });
    await start(h);
    fake.failMethod('sendMessage', { kind: 'error', code: 400, description: 'Bad Request: chat not found' });
    await fake.pushMessage({ chatId: PRIVATE, from: ALICE, text: 'boom' });
    await fake.pushMessage({ chatId: PRIVATE, from: ALICE, text: 'refused' });
    await fake.pushMessage({ chatId: PRIVATE, from: ALICE, text: 'fine' });
    await reply(PRIVATE);
    assert.deepEqual(said(PRIVATE), ['fine']);
    assert.ok(entries.some((e) => e.level === 'error' && /handler exploded/.test(String(e.obj.err))));
    assert.ok(entries.some((e) => e.level === 'error' && /chat not found/.test(String(e.obj.err)) && e.msg === 'telegram: could not send the reply'));
  });

  it('a dropped connection while replying is retried, and the error logged has no token in it', async () => {
    await start(stub());
    fake.failMethod('sendMessage', { kind: 'reset' });
    await fake.pushMessage({ chatId: PRIVATE, from: ALICE, text: 'pods' });
    await reply(PRIVATE);
    const warn = entries.find((e) => e.level === 'warn' && e.msg === 'telegram: call failed; retrying');
    assert.ok(warn);
    assert.match(String(warn.obj.err), /sendMessage/);
    // afterEach checks every log line for the token
  });

  it('stop() lets a reply in flight finish, and takes nothing new', async () => {
    const entered = deferred();
    const gate = deferred();
    const h = stub(async (m) => {
      entered.resolve();
      await gate.promise;
      return { status: 'ok', title: `done ${m.text}`, blocks: [] };
    });
    const a = await start(h);
    await fake.pushMessage({ chatId: PRIVATE, from: ALICE, text: 'pods' });
    await entered.promise;
    let stopped = false;
    const stopping = a.stop().then(() => (stopped = true));
    await fake.waitFor(() => fake.calls.filter((c) => c.method === 'getUpdates').at(-1)?.params.limit === 1);
    assert.equal(stopped, false);
    gate.resolve();
    await stopping;
    assert.deepEqual(said(PRIVATE), ['done pods']);
    const polls = fake.calls.filter((c) => c.method === 'getUpdates').length;
    // pushed after stop: stays pending for the next process
    void fake.pushMessage({ chatId: PRIVATE, from: ALICE, text: 'later' });
    assert.equal(fake.pendingUpdates, 1);
    assert.equal(fake.calls.filter((c) => c.method === 'getUpdates').length, polls);
  });

  it('a token Telegram refuses stops start() with a clear error that does not contain it', async () => {
    const token = '999999:AAwrongTokenWrongTokenWrongToken12';
    adapter = new TelegramAdapter({ token, apiRoot: fake.apiRoot, log: logger(entries) });
    await assert.rejects(adapter.start(stub(), ac.signal), (err: Error) => {
      assert.match(err.message, /getMe failed: 401 Unauthorized \(the bot token is not valid/);
      assert.ok(!err.message.includes(token));
      return true;
    });
    assert.ok(!JSON.stringify(entries).includes(token));
  });

  it('refuses options that cannot work, without echoing secrets', () => {
    const log = logger(entries);
    assert.throws(() => new TelegramAdapter({ token: 'not a token', log }), /token does not look like a bot token/);
    assert.throws(() => new TelegramAdapter({ token: fake.token, log, mode: 'webhook' }), /webhook mode needs/);
    assert.throws(
      () => new TelegramAdapter({ token: fake.token, log, mode: 'webhook', webhook: { listen: '127.0.0.1:0', secretToken: 'has spaces!' } }),
      (err: Error) => /secretToken must be/.test(err.message) && !err.message.includes('has spaces'),
    );
    assert.throws(() => new TelegramAdapter({ token: fake.token, log, mode: 'webhook', webhook: { listen: 'nowhere', secretToken: 's' } }), /webhook.listen must be host:port/);
  });
});

// parseHtml is what the fake checks replies with; a sanity check that an unescaped name would have been refused
describe('the fake refuses what Telegram refuses', () => {
  it('unescaped HTML', () => {
    assert.throws(() => parseHtml('<b>pod <script></b>'), /Unsupported start tag "script"/);
  });
});
