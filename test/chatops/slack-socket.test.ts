// Slack over Socket Mode end to end: the official @slack/socket-mode and
// @slack/web-api clients against the local fake, with a stub handler.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SlackSocketAdapter } from '../../src/chatops/slack/socket.ts';
import { FakeSlack, type SlackCall } from '../fakes/slack.ts';
import { blockText, deferred, logText, StubHandler, testLogger } from './slack-stub.ts';

const channels = [
  { id: 'C0OPS', name: 'ops' },
  { id: 'D0ALICE', name: 'alice' },
];
const users = [
  { id: 'U0ALICE', name: 'alice', email: 'alice@corp.example' },
  { id: 'U0BOB', name: 'bob', email: 'bob@corp.example', emailConfirmed: false },
];

const posts = (c: { method: string }) => c.method === 'chat.postMessage';

/** Resolves with the calls once `n` more than now match: count first, then send, so a fast reply is not missed. */
function nextCalls(fake: FakeSlack, match: (c: SlackCall) => boolean, n = 1): Promise<SlackCall[]> {
  const already = fake.calls.filter((c) => c.status !== 0 && match(c)).length;
  return fake.waitForCalls(match, already + n).then((calls) => calls.slice(already));
}

describe('Slack Socket Mode adapter', () => {
  let fake: FakeSlack;
  let adapter: SlackSocketAdapter;
  const handler = new StubHandler();
  const logged = testLogger();
  const abort = new AbortController();

  before(async () => {
    fake = await FakeSlack.start({ channels, users });
    adapter = new SlackSocketAdapter({
      botToken: fake.token,
      appToken: fake.appToken,
      apiUrl: fake.apiUrl,
      slashCommand: '/kube',
      resolveEmail: true,
      log: logged.log,
      // the SDK waits this long before reconnecting; its 5 s default would only slow the test
      clientPingTimeoutMs: 500,
    });
    await adapter.start(handler, abort.signal);
  });

  after(async () => {
    abort.abort();
    await adapter.stop();
    await fake.close();
  });

  it('an app mention: the text without the mention, the verified e-mail, the reply in the thread of the mention', async () => {
    const before = handler.messages.length;
    const replied = nextCalls(fake, posts);
    const sent = await fake.sendAppMention({ user: 'U0ALICE', channel: 'C0OPS', text: '<@U0000BOT> pods -n demo &amp; <http://web.demo|web.demo>' });
    const [reply] = await replied;
    const msg = handler.messages[before];
    assert.equal(msg.text, 'pods -n demo & web.demo');
    assert.equal(msg.platform, 'slack');
    assert.equal(msg.channel, 'C0OPS');
    assert.equal(msg.thread, sent.ts);
    assert.deepEqual(msg.user, { platform: 'slack', id: 'U0ALICE', name: 'alice', email: 'alice@corp.example' });
    assert.ok(msg.receivedAt > 0);
    assert.equal(reply.params.channel, 'C0OPS');
    assert.equal(reply.params.thread_ts, sent.ts);
    assert.match(blockText(reply.params.blocks as unknown[]), /ran pods -n demo &amp; web\.demo/);
    assert.ok(sent.envelope.ackedAt !== undefined && sent.envelope.failure === undefined, 'acked within 3 s');
  });

  it('a mention inside a thread is answered in that thread', async () => {
    const sent = await fake.sendAppMention({ user: 'U0ALICE', channel: 'C0OPS', text: '<@U0000BOT> whoami', thread_ts: '1700000000.000001' });
    await fake.waitForCalls((c) => posts(c) && c.params.thread_ts === '1700000000.000001');
    assert.notEqual(sent.ts, '1700000000.000001');
    assert.equal(handler.messages.at(-1)?.thread, '1700000000.000001');
  });

  it('direct messages are commands; edits, bot posts and its own messages are not', async () => {
    const n = handler.messages.length;
    await fake.sendDirectMessage({ user: 'U0ALICE', channel: 'D0ALICE', text: 'edited', extra: { subtype: 'message_changed' } });
    await fake.sendDirectMessage({ user: 'U0OTHERBOT', channel: 'D0ALICE', text: 'beep', extra: { bot_id: 'B0OTHER' } });
    await fake.sendDirectMessage({ user: 'U0000BOT', channel: 'D0ALICE', text: 'my own reply' });
    const replied = nextCalls(fake, (c) => posts(c) && c.params.channel === 'D0ALICE');
    await fake.sendDirectMessage({ user: 'U0ALICE', channel: 'D0ALICE', text: 'events -n demo' });
    const [call] = await replied;
    // envelopes are handled in order, so had any of the first three been taken it would be here by now
    assert.deepEqual(handler.messages.slice(n).map((m) => m.text), ['events -n demo']);
    assert.equal(handler.messages.at(-1)?.thread, undefined);
    assert.equal(call.params.thread_ts, undefined, 'a DM is answered in the DM, not a thread');
  });

  it('the slash command: answered in the channel, naming who ran it; a long log goes up as a file in the same channel', async () => {
    const log = Array.from({ length: 10_000 }, (_, i) => `line ${i}`).join('\n');
    handler.reply = (m) => ({ status: 'ok', title: `logs for ${m.text}`, blocks: [{ kind: 'code', text: log.split('\n').slice(-100).join('\n') }], file: { name: 'web.log', content: log } });
    try {
      const uploaded = nextCalls(fake, (c) => c.method === 'files.completeUploadExternal');
      const sent = await fake.sendSlashCommand({ command: '/kube', text: 'logs web -n demo --tail 10000', user_id: 'U0ALICE', channel_id: 'C0OPS' });
      assert.equal(sent.envelope.failure, undefined);
      assert.equal(sent.envelope.ackPayload, undefined, 'acked with an empty payload: nothing is shown before the reply');
      await uploaded;
      const msg = handler.messages.at(-1)!;
      assert.equal(msg.text, 'logs web -n demo --tail 10000');
      assert.equal(msg.thread, undefined);
      const post = fake.calls.filter(posts).at(-1)!;
      assert.equal(post.params.channel, 'C0OPS');
      assert.equal(post.params.thread_ts, undefined);
      assert.match(blockText(post.params.blocks as unknown[]), /<@U0ALICE> ran `\/kube logs web -n demo --tail 10000`/);
      const file = fake.files.at(-1)!;
      assert.deepEqual([file.name, file.channel, file.thread_ts, file.completed], ['web.log', 'C0OPS', undefined, true]);
      assert.ok(file.content === log, 'the whole log, unchanged');
    } finally {
      handler.reply = new StubHandler().reply;
    }
  });

  it('a mention with a file reply uploads it into the thread', async () => {
    handler.reply = () => ({ status: 'ok', blocks: [{ kind: 'code', text: 'tail' }], file: { name: 'api.log', content: 'head\ntail' } });
    try {
      const sent = await fake.sendAppMention({ user: 'U0ALICE', channel: 'C0OPS', text: '<@U0000BOT> logs api' });
      await fake.waitForCalls((c) => c.method === 'files.completeUploadExternal' && c.params.thread_ts === sent.ts);
      assert.equal(fake.files.at(-1)?.content, 'head\ntail');
      assert.equal(fake.files.at(-1)?.thread_ts, sent.ts);
    } finally {
      handler.reply = new StubHandler().reply;
    }
  });

  it('an invalid slash command is shown to its typist alone; other slash commands are not ours', async () => {
    handler.reply = (m) => (m.text.startsWith('scael') ? { status: 'invalid', title: 'unknown command "scael"', blocks: [{ kind: 'text', text: 'did you mean scale?' }] } : new StubHandler().reply(m));
    try {
      const n = handler.messages.length;
      await fake.sendSlashCommand({ command: '/other', text: 'pods', user_id: 'U0ALICE', channel_id: 'C0OPS' });
      const shown = nextCalls(fake, (c) => c.method === 'chat.postEphemeral');
      await fake.sendSlashCommand({ command: '/kube', text: 'scael web 3', user_id: 'U0ALICE', channel_id: 'C0OPS' });
      await shown;
      assert.deepEqual(handler.messages.slice(n).map((m) => m.text), ['scael web 3']);
      const e = fake.ephemerals.at(-1)!;
      assert.equal(e.user, 'U0ALICE');
      assert.match(blockText(e.blocks), /did you mean scale\?/);
    } finally {
      handler.reply = new StubHandler().reply;
    }
  });

  it('a button press reaches interact() and is answered in the thread of its message', async () => {
    const sent = await fake.sendBlockAction({ user: 'U0BOB', username: 'bob', channel: 'C0OPS', message_ts: '1700000123.000100', action_id: 'approve', value: 'req-42' });
    assert.equal(sent.envelope.failure, undefined);
    await fake.waitForCalls((c) => posts(c) && c.params.thread_ts === '1700000123.000100');
    const ev = handler.interactions.at(-1)!;
    assert.deepEqual(
      { actionId: ev.actionId, value: ev.value, channel: ev.channel, thread: ev.thread, messageRef: ev.messageRef, user: ev.user },
      // bob's address is not one Slack confirmed: no e-mail
      { actionId: 'approve', value: 'req-42', channel: 'C0OPS', thread: '1700000123.000100', messageRef: '1700000123.000100', user: { platform: 'slack', id: 'U0BOB', name: 'bob' } },
    );
  });

  it('users.info is asked once per user within ten minutes', async () => {
    const info = () => fake.calls.filter((c) => c.method === 'users.info' && c.params.user === 'U0ALICE').length;
    const seen = info();
    const replied = nextCalls(fake, (c) => posts(c) && c.params.channel === 'D0ALICE', 2);
    await fake.sendDirectMessage({ user: 'U0ALICE', channel: 'D0ALICE', text: 'whoami' });
    await fake.sendDirectMessage({ user: 'U0ALICE', channel: 'D0ALICE', text: 'whoami' });
    await replied;
    assert.equal(info(), seen);
    assert.ok(seen >= 1);
  });

  it('a redelivered event (same event_id) runs once', async () => {
    const n = handler.messages.length;
    const first = await fake.sendAppMention({ user: 'U0ALICE', channel: 'C0OPS', text: '<@U0000BOT> restart deployment web', event_id: 'EvDUP0001' });
    await fake.sendEvent({ type: 'app_mention', user: 'U0ALICE', text: '<@U0000BOT> restart deployment web', ts: first.ts, channel: 'C0OPS', event_ts: first.ts }, { event_id: 'EvDUP0001', retry_attempt: 1 });
    const last = await fake.sendAppMention({ user: 'U0ALICE', channel: 'C0OPS', text: '<@U0000BOT> whoami' });
    await fake.waitForCalls((c) => posts(c) && c.params.thread_ts === last.ts);
    await fake.waitForCalls((c) => posts(c) && c.params.thread_ts === first.ts);
    assert.deepEqual(handler.messages.slice(n).map((m) => m.text), ['restart deployment web', 'whoami']);
  });

  it('a handler that throws gets a plain error reply, not a stack trace; one that returns nothing posts nothing', async () => {
    handler.reply = (m) => {
      if (m.text === 'quiet') return undefined;
      throw new Error('boom at /src/secret/path.ts:12');
    };
    try {
      const quiet = await fake.sendAppMention({ user: 'U0ALICE', channel: 'C0OPS', text: '<@U0000BOT> quiet' });
      const loud = await fake.sendAppMention({ user: 'U0ALICE', channel: 'C0OPS', text: '<@U0000BOT> pods' });
      const [post] = await fake.waitForCalls((c) => posts(c) && c.params.thread_ts === loud.ts);
      assert.match(String(post.params.text), /could not run that command/);
      assert.doesNotMatch(JSON.stringify(post.params), /boom|secret\/path/);
      assert.equal(fake.messages.filter((m) => m.thread_ts === quiet.ts).length, 0);
      assert.ok(logged.entries.some((e) => e.level === 'error' && /handler failed/.test(e.msg)));
    } finally {
      handler.reply = new StubHandler().reply;
    }
  });

  for (const reason of ['refresh_requested', 'warning'] as const) {
    it(`a disconnect (${reason}) makes the client reconnect and keep working`, async () => {
      const opened = fake.connectionsOpened;
      await fake.disconnectSockets(reason);
      await fake.waitForConnections(opened + 1);
      assert.equal(fake.openSockets, 1);
      const sent = await fake.sendAppMention({ user: 'U0ALICE', channel: 'C0OPS', text: '<@U0000BOT> pods' });
      assert.equal(sent.envelope.connection, opened + 1);
      await fake.waitForCalls((c) => posts(c) && c.params.thread_ts === sent.ts);
      assert.ok(logged.entries.some((e) => e.msg === 'slack socket reconnecting'));
    });
  }

  it('every envelope was acked within 3 s, and no token was ever logged', () => {
    assert.ok(fake.envelopes.length >= 15);
    assert.deepEqual(fake.ackFailures(), []);
    const text = logText(logged.entries);
    assert.ok(!text.includes(fake.token) && !text.includes(fake.appToken), 'a token reached the log');
    assert.ok(!text.includes('fakeverificationtoken'));
  });
});

describe('Slack Socket Mode adapter: starting and stopping', () => {
  it('refuses a token of the wrong kind up front, naming the field and not the token', () => {
    const { log } = testLogger();
    assert.throws(() => new SlackSocketAdapter({ botToken: 'xoxb-1', appToken: 'xoxb-secret-bot-token', apiUrl: 'http://127.0.0.1:9/api/', slashCommand: '/kube', log }), (e: Error) => /appToken: expected an app-level token/.test(e.message) && !e.message.includes('secret'));
    assert.throws(() => new SlackSocketAdapter({ botToken: 'xapp-1-x', appToken: 'xapp-1-y', apiUrl: 'http://127.0.0.1:9/api/', slashCommand: '/kube', log }), /botToken: expected a bot token/);
  });

  it('an app token Slack does not know fails start() with invalid_auth; a bad bot token fails at auth.test', async () => {
    const fake = await FakeSlack.start({ channels });
    const { log, entries } = testLogger();
    try {
      const wrongApp = new SlackSocketAdapter({ botToken: fake.token, appToken: 'xapp-1-A0-9-unknowntoken', apiUrl: fake.apiUrl, slashCommand: '/kube', log });
      await assert.rejects(wrongApp.start(new StubHandler(), new AbortController().signal), (e: Error) => /invalid_auth/.test(e.message) && !e.message.includes('unknowntoken'));
      const wrongBot = new SlackSocketAdapter({ botToken: 'xoxb-unknown-bot', appToken: fake.appToken, apiUrl: fake.apiUrl, slashCommand: '/kube', log });
      await assert.rejects(wrongBot.start(new StubHandler(), new AbortController().signal), /auth\.test: invalid_auth/);
      assert.equal(fake.calls.filter((c) => c.method === 'apps.connections.open').length, 1, 'no socket without a working bot token');
      assert.ok(!logText(entries).includes('unknowntoken'));
    } finally {
      await fake.close();
    }
  });

  it('stop() closes the socket and waits for a reply still being worked on', async () => {
    const fake = await FakeSlack.start({ channels });
    const handler = new StubHandler();
    const gate = deferred();
    const entered = deferred();
    handler.reply = async (m) => {
      entered.resolve();
      await gate.promise;
      return { status: 'ok', title: `slow ${m.text}`, blocks: [] };
    };
    const adapter = new SlackSocketAdapter({ botToken: fake.token, appToken: fake.appToken, apiUrl: fake.apiUrl, slashCommand: '/kube', log: testLogger().log });
    await adapter.start(handler, new AbortController().signal);
    try {
      const sent = await fake.sendAppMention({ user: 'U0ALICE', channel: 'C0OPS', text: '<@U0000BOT> rollout status deployment web' });
      await entered.promise;
      let stopped = false;
      const stopping = adapter.stop().then(() => (stopped = true));
      await fake.socketsClosed();
      assert.equal(fake.openSockets, 0);
      assert.equal(stopped, false, 'stop() waits for the reply');
      gate.resolve();
      await stopping;
      assert.equal(fake.messages.filter((m) => m.thread_ts === sent.ts).length, 1, 'the reply was posted before stop() returned');
    } finally {
      gate.resolve();
      await adapter.stop();
      await fake.close();
    }
  });

  it('a reconnect Slack refuses (app token revoked) is logged, not an unhandled rejection', async () => {
    const fake = await FakeSlack.start({ channels });
    const logged = testLogger();
    const adapter = new SlackSocketAdapter({ botToken: fake.token, appToken: fake.appToken, apiUrl: fake.apiUrl, slashCommand: '/kube', log: logged.log, clientPingTimeoutMs: 100 });
    try {
      await adapter.start(new StubHandler(), new AbortController().signal);
      fake.failNext({ kind: 'error', error: 'invalid_auth', method: 'apps.connections.open' });
      await fake.disconnectSockets('refresh_requested');
      const e = await logged.waitFor(/could not reconnect/);
      assert.equal(e.level, 'error');
      assert.equal(e.obj.err, 'invalid_auth');
      assert.equal(fake.openSockets, 0);
    } finally {
      await adapter.stop();
      await fake.close();
    }
  });

  it('an abort while the SDK keeps retrying apps.connections.open ends start() without hanging', async () => {
    const fake = await FakeSlack.start({ channels });
    // a 429 without Retry-After: the SDK waits and asks again, for as long as it takes
    fake.failNext(...Array.from({ length: 50 }, () => ({ kind: 'ratelimited' as const, method: 'apps.connections.open' })));
    const abort = new AbortController();
    const adapter = new SlackSocketAdapter({ botToken: fake.token, appToken: fake.appToken, apiUrl: fake.apiUrl, slashCommand: '/kube', log: testLogger().log, clientPingTimeoutMs: 100 });
    try {
      const starting = adapter.start(new StubHandler(), abort.signal);
      await fake.waitForCalls((c) => c.method === 'apps.connections.open' && c.status === 429, 2);
      abort.abort();
      await assert.rejects(starting, /stopped before the socket connected/);
      await adapter.stop();
      assert.equal(fake.connectionsOpened, 0);
    } finally {
      abort.abort();
      await adapter.stop();
      await fake.close();
    }
  });
});
