// The fake Bot API's update side behaves as Telegram documents it, so the
// adapter tests prove something: getUpdates offsets confirm, long polls wake
// on a new update and end in 409 when a newer poll or a webhook takes over,
// allowed_updates persists, webhooks are retried until they answer 2xx,
// callback queries can be answered once, documents arrive intact.

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Api, GrammyError, InputFile } from 'grammy';
import { FakeTelegram } from '../fakes/telegram.ts';

type Raw = { ok: boolean; result?: unknown; error_code?: number; description?: string };

describe('fake Telegram: updates', () => {
  let fake: FakeTelegram;
  const call = async (method: string, params: Record<string, unknown> = {}, signal?: AbortSignal): Promise<Raw> => {
    const res = await fetch(`${fake.apiRoot}/bot${fake.token}/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params), ...(signal ? { signal } : {}) });
    return (await res.json()) as Raw;
  };
  const ids = (r: Raw): number[] => (r.result as { update_id: number }[]).map((u) => u.update_id);

  beforeEach(async () => {
    fake = await FakeTelegram.start({ insecureWebhooks: true });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('getUpdates: updates stay until an offset past them confirms them; limit caps a batch', async () => {
    const taken = [fake.pushMessage({ chatId: 4242, text: 'one' }), fake.pushMessage({ chatId: 4242, text: 'two' }), fake.pushMessage({ chatId: 4242, text: 'three' })];
    const first = await call('getUpdates', { limit: 2 });
    assert.equal(ids(first).length, 2);
    // not confirmed: the same ones again
    assert.deepEqual(ids(await call('getUpdates', { limit: 2 })), ids(first));
    const all = ids(await call('getUpdates', { offset: ids(first)[1] }));
    assert.deepEqual(all, [ids(first)[1], ids(first)[1] + 1]);
    assert.deepEqual(ids(await call('getUpdates', { offset: all[1] + 1 })), []);
    assert.equal(fake.pendingUpdates, 0);
    const msgs = await Promise.all(taken);
    assert.deepEqual(msgs.map((m) => m.text), ['one', 'two', 'three']);
    assert.deepEqual(msgs[0].entities, undefined);
  });

  it('a long poll waits for an update and answers as soon as one comes', async () => {
    const poll = call('getUpdates', { timeout: 30 });
    await fake.waitFor(() => fake.calls.some((c) => c.method === 'getUpdates'));
    const msg = await fake.pushMessage({ chatId: 4242, text: '/pods@kubeherald_bot -n demo' });
    const r = await poll;
    const [u] = r.result as { message: typeof msg }[];
    assert.deepEqual(u.message, msg);
    assert.deepEqual(msg.entities, [{ type: 'bot_command', offset: 0, length: 20 }]);
  });

  it('a newer getUpdates ends a waiting one with 409, as Telegram does with two pollers', async () => {
    const first = call('getUpdates', { timeout: 30 });
    await fake.waitFor(() => fake.calls.some((c) => c.method === 'getUpdates'));
    const second = call('getUpdates', { timeout: 0 });
    assert.deepEqual(await first, { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' });
    assert.deepEqual((await second).result, []);
  });

  it('allowed_updates persists across calls that leave it out; other types are never delivered', async () => {
    assert.equal((await call('getUpdates', { allowed_updates: ['callback_query'] })).ok, true);
    void fake.pushMessage({ chatId: 4242, text: 'dropped' });
    assert.deepEqual(ids(await call('getUpdates')), []);
    assert.equal(fake.pendingUpdates, 0);
    assert.equal((await call('getUpdates', { allowed_updates: [] })).ok, true);
    void fake.pushMessage({ chatId: 4242, text: 'kept' });
    assert.equal(ids(await call('getUpdates')).length, 1);
  });

  it('while a webhook is set, getUpdates is a 409 and updates are POSTed with the secret, retried until 2xx', async () => {
    const got: { secret: string | undefined; body: { update_id: number } }[] = [];
    let fail = 2;
    const server = createServer(async (req: IncomingMessage, res) => {
      let body = '';
      for await (const c of req) body += c;
      if (fail-- > 0) return void res.writeHead(502).end();
      got.push({ secret: req.headers['x-telegram-bot-api-secret-token'] as string | undefined, body: JSON.parse(body) });
      res.writeHead(200).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      assert.deepEqual(await call('setWebhook', { url, secret_token: 'bad secret' }), { ok: false, error_code: 400, description: 'Bad Request: secret token contains unallowed characters' });
      assert.equal((await call('setWebhook', { url, secret_token: 's3cret' })).ok, true);
      assert.deepEqual(await call('getUpdates'), { ok: false, error_code: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" });
      await fake.pushMessage({ chatId: 4242, text: 'a' });
      await fake.pushMessage({ chatId: 4242, text: 'b' });
      assert.deepEqual(got.map((g) => g.secret), ['s3cret', 's3cret']);
      assert.deepEqual(fake.webhookDeliveries.map((d) => d.status), [502, 502, 200, 200]);
      const info = (await call('getWebhookInfo')).result as Record<string, unknown>;
      assert.equal(info.url, url);
      assert.equal(info.pending_update_count, 0);
      assert.match(String(info.last_error_message), /502/);
      assert.equal((await call('deleteWebhook')).ok, true);
      assert.deepEqual((await call('getUpdates')).result, []);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('sendDocument through grammY: a multipart upload recorded byte for byte, a caption checked', async () => {
    const api = new Api(fake.token, { apiRoot: fake.apiRoot });
    const bytes = Buffer.from('line 1\nline 2 é 😀\n\u0000binary\r\n--not-a-boundary\r\n');
    const sent = await api.sendDocument(4242, new InputFile(bytes, 'logs.txt'), { caption: '<b>Logs</b> of web-1', parse_mode: 'HTML' });
    assert.equal(sent.document?.file_name, 'logs.txt');
    const [doc] = fake.documents;
    assert.equal(doc.file_name, 'logs.txt');
    assert.deepEqual(doc.content, bytes);
    assert.equal(doc.caption_plain, 'Logs of web-1');
    await assert.rejects(api.sendDocument(4242, new InputFile(bytes, 'x.txt'), { caption: 'c'.repeat(1025) }), (e: GrammyError) => e.description === 'Bad Request: message caption is too long');
    await assert.rejects(api.sendDocument(4242, new InputFile(Buffer.alloc(0), 'x.txt')), (e: GrammyError) => e.description === 'Bad Request: file must be non-empty');
    await assert.rejects(api.sendDocument(999, new InputFile(bytes, 'x.txt')), (e: GrammyError) => e.description === 'Bad Request: chat not found');
  });

  it('inline keyboards: callback_data over 64 bytes is refused; a press can be answered once', async () => {
    const api = new Api(fake.token, { apiRoot: fake.apiRoot });
    await assert.rejects(api.sendMessage(4242, 'x', { reply_markup: { inline_keyboard: [[{ text: 'b', callback_data: 'x'.repeat(65) }]] } }), (e: GrammyError) => e.description === 'Bad Request: BUTTON_DATA_INVALID');
    const m = await api.sendMessage(4242, 'sure?', { reply_markup: { inline_keyboard: [[{ text: 'Yes', callback_data: 'yes' }]] } });
    await assert.rejects(fake.pushCallbackQuery({ chatId: 4242, messageId: m.message_id, data: 'no' }), /has no button/);
    const pressed = fake.pushCallbackQuery({ chatId: 4242, messageId: m.message_id, data: 'yes' });
    const r = await call('getUpdates');
    const id = await pressed;
    const [u] = r.result as { callback_query: { id: string; data: string; message: { message_id: number } } }[];
    assert.equal(u.callback_query.id, id);
    assert.equal(u.callback_query.message.message_id, m.message_id);
    assert.equal(await api.answerCallbackQuery(id), true);
    await assert.rejects(api.answerCallbackQuery(id), (e: GrammyError) => e.description === 'Bad Request: query is too old and response timeout expired or query ID is invalid');
  });
});
