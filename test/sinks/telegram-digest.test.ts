// A replacing group message (a storm digest) on Telegram: its updates edit
// the first message with editMessageText; a message that is gone gets a new
// one; the same text again is no error; other failures are classified.

import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { digestNotification, emptyStorm, arrive } from '../../src/pipeline/digest.ts';
import { SinkError } from '../../src/sinks/index.ts';
import { createTelegramSink } from '../../src/sinks/telegram/index.ts';
import { FakeTelegram } from '../fakes/telegram.ts';
import { storeBackedSinks } from '../../src/app/durable.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import { note, T0, tempStore } from '../pipeline/helpers.ts';

let tg: FakeTelegram;
before(async () => {
  tg = await FakeTelegram.start();
});
after(() => tg.close());
beforeEach(() => {
  tg.calls.length = 0;
  tg.messages.length = 0;
});

const sinkFor = () =>
  createTelegramSink(
    { name: 'ops', type: 'telegram', tokenFrom: { env: 'T' }, chatId: tg.chats[0].id, parseMode: 'HTML', silentFor: [], apiRoot: tg.apiRoot, linkTemplate: '', timeoutSeconds: 10 } as Parameters<typeof createTelegramSink>[0],
    { env: { T: tg.token } },
  );

/** the digest after `n` notifications */
function digest(n: number) {
  let s = emptyStorm();
  for (let i = 0; i < n; i++) s = arrive(s, note({ pod: `p${i}` }), T0, { threshold: 1, quietMs: 1, updateMs: 1 }).state;
  return digestNotification(s, { sink: 'ops', target: 'x', now: T0, final: false });
}

test('updates edit the first message; a deleted one is posted again and then edited; the same text twice is no error', async () => {
  const sink = sinkFor();
  const key = 'storm:x';
  await sink.sendGroup([digest(5)], { key, update: 0, replace: true });
  await sink.sendGroup([digest(9)], { key, update: 1, replace: true });
  assert.equal(tg.messages.length, 1);
  assert.equal(tg.messages[0].edits, 1);
  assert.match(tg.messages[0].plain, /8 notifications in the last 1 minute/);
  await sink.sendGroup([digest(9)], { key, update: 2, replace: true });
  assert.equal(tg.messages.length, 1, 'not modified: nothing to do');

  tg.messages.length = 0; // someone deleted it
  await sink.sendGroup([digest(12)], { key, update: 3, replace: true });
  assert.equal(tg.messages.length, 1, 'posted again');
  assert.equal(tg.messages[0].reply_to, undefined, 'a replacing update never quotes');
  await sink.sendGroup([digest(14)], { key, update: 4, replace: true });
  assert.equal(tg.messages.length, 1);
  assert.equal(tg.messages[0].edits, 1, 'the new one is edited in its turn');
  await sink.close();
});

test('an edit the Bot API refuses otherwise fails the delivery, classified, without the token', async () => {
  const sink = sinkFor();
  await sink.sendGroup([digest(3)], { key: 'storm:y', update: 0, replace: true });
  tg.failMethod('editMessageText', { kind: 'error', code: 403, description: 'Forbidden: bot was kicked from the group chat' });
  await assert.rejects(
    sink.sendGroup([digest(6)], { key: 'storm:y', update: 1, replace: true }),
    (err: unknown) => err instanceof SinkError && err.kind === 'permanent' && !err.message.includes(tg.token),
  );
  await sink.close();
});

test('with the state database lent (as kubeherald run does), a digest updated after a restart edits the message sent before it', async () => {
  const tmp = tempStore('kubeherald-tg-state-');
  const lend = (store: SqliteStore) =>
    storeBackedSinks(store, async (cfg, deps) => createTelegramSink(cfg as Parameters<typeof createTelegramSink>[0], deps))(
      { name: 'ops', type: 'telegram', tokenFrom: { env: 'T' }, chatId: tg.chats[0].id, parseMode: 'HTML', silentFor: [], apiRoot: tg.apiRoot, linkTemplate: '', timeoutSeconds: 10 } as Parameters<typeof createTelegramSink>[0],
      { env: { T: tg.token } },
    );
  let store = tmp.open();
  let sink = await lend(store);
  await sink.sendGroup!([digest(5)], { key: 'storm:r', update: 0, replace: true });
  await sink.close();
  store.close();

  store = tmp.open();
  sink = await lend(store);
  await sink.sendGroup!([digest(9)], { key: 'storm:r', update: 1, replace: true });
  assert.equal(tg.messages.length, 1, 'no second message');
  assert.equal(tg.messages[0].edits, 1, 'the first one edited');
  await sink.close();
  store.close();
  tmp.cleanup();
});
