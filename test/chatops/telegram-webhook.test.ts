// The Telegram adapter in webhook mode: setWebhook with the secret token at
// start, updates posted by the fake Bot API (plain HTTP and HTTPS), requests
// without the secret or with a wrong one refused with 401 and counted, a
// body size limit, a health check, and an update Telegram resends not run
// twice.

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { TelegramAdapter, type TelegramAdapterOptions, type TelegramRejectReason } from '../../src/chatops/telegram/adapter.ts';
import type { ChatHandler, ChatMessage } from '../../src/chatops/types.ts';
import type { Logger } from '../../src/model/logger.ts';
import { FakeTelegram, type TelegramUser } from '../fakes/telegram.ts';
import { type LogEntry, recordingLog } from '../helpers/log.ts';
import { authority, leaf } from '../helpers/pki.ts';

const ALICE: TelegramUser = { id: 4242, first_name: 'Alice', username: 'alice' };
const PRIVATE = 4242;
const GROUP = -4001;
const SECRET = 'wh_secret-0123456789abcdefABCDEF';

function logger(entries: LogEntry[]): Logger {
  const { log } = recordingLog(entries);
  const l: Logger = { ...log, child: () => l };
  return l;
}

function stub(): ChatHandler & { messages: ChatMessage[] } {
  const messages: ChatMessage[] = [];
  return {
    messages,
    async handle(m) {
      messages.push(m);
      return { status: 'ok', title: `ran: ${m.text}`, blocks: [] };
    },
    async interact() {
      return undefined;
    },
  };
}

/** A raw request to the adapter's listener. */
function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

const update = (id: number, text: string, chatId = PRIVATE): string =>
  JSON.stringify({ update_id: id, message: { message_id: 1, date: 1, chat: { id: chatId, type: 'private' }, from: { id: 4242, is_bot: false, first_name: 'Alice' }, text } });

describe('Telegram adapter: webhook', () => {
  let fake: FakeTelegram;
  let entries: LogEntry[];
  let rejected: TelegramRejectReason[];
  let adapter: TelegramAdapter | undefined;
  const ac = new AbortController();

  beforeEach(async () => {
    entries = [];
    rejected = [];
    adapter = undefined;
  });

  afterEach(async () => {
    await adapter?.stop();
    await fake.close();
    const all = JSON.stringify(entries);
    assert.ok(!all.includes(fake.token), 'the bot token is in a log line');
    assert.ok(!all.includes(SECRET), 'the webhook secret is in a log line');
  });

  async function start(handler: ChatHandler, over: Partial<TelegramAdapterOptions> = {}, webhook: Partial<NonNullable<TelegramAdapterOptions['webhook']>> = {}): Promise<TelegramAdapter> {
    adapter = new TelegramAdapter({
      token: fake.token,
      apiRoot: fake.apiRoot,
      mode: 'webhook',
      webhook: { listen: '127.0.0.1:0', secretToken: SECRET, ...webhook },
      log: logger(entries),
      onRejected: (r) => rejected.push(r),
      ...over,
    });
    await adapter.start(handler, ac.signal);
    return adapter;
  }

  describe('over plain HTTP', () => {
    beforeEach(async () => {
      fake = await FakeTelegram.start({ insecureWebhooks: true, chats: [{ id: GROUP, type: 'group', title: 'dev' }, { id: PRIVATE, type: 'private' }] });
    });

    it('sets the webhook with the secret and the update types, and answers updates Telegram posts', async () => {
      const h = stub();
      const a = await start(h);
      assert.match(a.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const set = fake.calls.find((c) => c.method === 'setWebhook')!;
      assert.deepEqual(set.params, { url: `${a.url}/telegram`, secret_token: SECRET, allowed_updates: ['message', 'callback_query'] });
      assert.equal(fake.webhookUrl, `${a.url}/telegram`);
      assert.ok(!fake.calls.some((c) => c.method === 'getUpdates'));

      const sent = await fake.pushMessage({ chatId: GROUP, from: ALICE, text: '/pods@kubeherald_bot -n demo' });
      const [r] = await fake.waitFor(() => (fake.messages.length ? fake.messages : undefined));
      assert.equal(h.messages[0].text, 'pods -n demo');
      assert.equal(r.plain, 'ran: pods -n demo');
      assert.equal(r.reply_to, sent.message_id);
      assert.deepEqual(fake.webhookDeliveries.map((d) => d.status), [200]);
    });

    it('a request without the secret token, or with a wrong one, gets 401, is counted, and runs nothing', async () => {
      const h = stub();
      const a = await start(h);
      const url = `${a.url}/telegram`;
      assert.equal((await post(url, update(1, 'pods'))).status, 401);
      assert.equal((await post(url, update(2, 'pods'), { 'x-telegram-bot-api-secret-token': 'wrong' })).status, 401);
      assert.equal((await post(url, update(3, 'pods'), { 'x-telegram-bot-api-secret-token': SECRET.slice(0, -1) + 'X' })).status, 401);
      assert.deepEqual(rejected, ['missing-secret', 'bad-secret', 'bad-secret']);
      // with the secret it runs (and proves the refused ones did not, by order)
      assert.equal((await post(url, update(4, 'whoami'), { 'x-telegram-bot-api-secret-token': SECRET })).status, 200);
      await fake.waitFor(() => fake.messages.length === 1);
      assert.deepEqual(h.messages.map((m) => m.text), ['whoami']);
      assert.ok(entries.some((e) => e.level === 'warn' && e.obj.reason === 'missing-secret'));
    });

    it('a body over the limit gets 413, bad JSON 400, both counted; other paths 404, GET 405, /healthz 200', async () => {
      const h = stub();
      const a = await start(h, {}, { maxBodyBytes: 1000 });
      const url = `${a.url}/telegram`;
      const auth = { 'x-telegram-bot-api-secret-token': SECRET };
      assert.equal((await post(url, update(1, 'x'.repeat(2000)), auth)).status, 413);
      assert.equal((await post(url, '{"update_id": 1, ', auth)).status, 400);
      assert.equal((await post(url, '[1,2]', auth)).status, 400);
      assert.equal((await post(`${a.url}/other`, update(2, 'pods'), auth)).status, 404);
      assert.equal((await get(url)).status, 405);
      assert.deepEqual(await get(`${a.url}/healthz`), { status: 200, body: 'ok\n' });
      assert.deepEqual(rejected, ['too-large', 'bad-request', 'bad-request']);
      assert.equal(h.messages.length, 0);
    });

    it('a body sent without Content-Length is held to the same limit', async () => {
      const a = await start(stub(), {}, { maxBodyBytes: 1000 });
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${a.url}/telegram`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'x-telegram-bot-api-secret-token': SECRET } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.write('{"update_id":1,"message":{"text":"');
        req.write('y'.repeat(1500));
        req.end('"}}');
      });
      assert.equal(status, 413);
      assert.deepEqual(rejected, ['too-large']);
    });

    it('an update Telegram sends again (it thought the first delivery failed) runs once', async () => {
      const h = stub();
      const a = await start(h);
      const url = `${a.url}/telegram`;
      const auth = { 'x-telegram-bot-api-secret-token': SECRET };
      assert.equal((await post(url, update(77, 'restart deployment web'), auth)).status, 200);
      assert.equal((await post(url, update(77, 'restart deployment web'), auth)).status, 200);
      assert.equal((await post(url, update(78, 'whoami'), auth)).status, 200);
      await fake.waitFor(() => fake.messages.length === 2);
      assert.deepEqual(h.messages.map((m) => m.text), ['restart deployment web', 'whoami']);
    });

    it('the public URL given in the options is what setWebhook gets, and its path is the one served', async () => {
      const h = stub();
      const a = await start(h, {}, { url: 'https://bot.example.com/hooks/tg' });
      assert.equal(fake.calls.find((c) => c.method === 'setWebhook')!.params.url, 'https://bot.example.com/hooks/tg');
      const auth = { 'x-telegram-bot-api-secret-token': SECRET };
      assert.equal((await post(`${a.url}/telegram`, update(1, 'pods'), auth)).status, 404);
      assert.equal((await post(`${a.url}/hooks/tg`, update(2, 'pods'), auth)).status, 200);
      await fake.waitFor(() => fake.messages.length === 1);
    });

    it('a setWebhook Telegram refuses stops start() and closes the listener', async () => {
      fake.failMethod('setWebhook', { kind: 'error', code: 400, description: 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook' });
      adapter = new TelegramAdapter({ token: fake.token, apiRoot: fake.apiRoot, mode: 'webhook', webhook: { listen: '127.0.0.1:0', secretToken: SECRET }, log: logger(entries) });
      await assert.rejects(adapter.start(stub(), ac.signal), /setWebhook failed: 400 Bad Request: bad webhook/);
      await assert.rejects(post(`${adapter.url}/telegram`, '{}'), /ECONNREFUSED/);
    });

    it('stop() closes the listener after the replies in flight are sent', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const h: ChatHandler = {
        async handle(m) {
          entered();
          await gate;
          return { status: 'ok', title: `done ${m.text}`, blocks: [] };
        },
        async interact() {
          return undefined;
        },
      };
      const a = await start(h);
      await fake.pushMessage({ chatId: PRIVATE, from: ALICE, text: 'pods' });
      await inside;
      const stopping = a.stop();
      release();
      await stopping;
      assert.deepEqual(fake.messages.map((m) => m.plain), ['done pods']);
      await assert.rejects(post(`${a.url}/telegram`, '{}'), /ECONNREFUSED/);
    });
  });

  describe('over HTTPS', () => {
    it('Telegram posts to an https listener whose certificate it was given', async () => {
      const ca = await authority('kubeherald test CA');
      const cert = await leaf('localhost', ca, { serverAuth: true });
      fake = await FakeTelegram.start({ webhookCa: ca.cert });
      const h = stub();
      const a = await start(h, {}, { tls: { cert: cert.cert, key: cert.key } });
      assert.match(a.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      await fake.pushMessage({ chatId: PRIVATE, from: ALICE, text: 'whoami' });
      await fake.waitFor(() => fake.messages.length === 1);
      assert.equal(h.messages[0].text, 'whoami');
    });

    it('the fake, like Telegram, refuses an http:// webhook unless told otherwise', async () => {
      fake = await FakeTelegram.start();
      adapter = new TelegramAdapter({ token: fake.token, apiRoot: fake.apiRoot, mode: 'webhook', webhook: { listen: '127.0.0.1:0', secretToken: SECRET }, log: logger(entries) });
      await assert.rejects(adapter.start(stub(), ac.signal), /An HTTPS URL must be provided for webhook/);
    });
  });
});
