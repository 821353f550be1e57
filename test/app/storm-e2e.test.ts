// Issue 19's storm "done when": 1,000 incidents within a minute to one Slack
// channel produce a handful of messages — what went out before the storm
// started, ONE digest message edited in place (chat.update on the Slack
// fake), and one summary once the storm passed — while Elasticsearch gets
// all 1,000. A restart mid-storm keeps the one digest: its counts and its
// message reference are in the state database.
//
// The delivery pipeline is the product's (config file → sinks → Outbox →
// Deliverer on a SQLite state file), on a manual clock; the sinks talk HTTP
// to the Slack and Elasticsearch fakes.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseConfigText } from '../../src/config/load.ts';
import type { Notification } from '../../src/model/notification.ts';
import { resolvePolicies } from '../../src/pipeline/config.ts';
import { type AttemptRecord, Deliverer } from '../../src/pipeline/deliverer.ts';
import { Outbox } from '../../src/pipeline/outbox.ts';
import { createSink, type Sink } from '../../src/sinks/index.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import { jsonThreadStore } from '../../src/store/state.ts';
import { type FakeElasticsearch, startFakeElasticsearch } from '../fakes/elasticsearch.ts';
import { FakeSlack, type StoredMessage } from '../fakes/slack.ts';
import { FakeTelegram } from '../fakes/telegram.ts';
import { ManualClock, note, T0, tempStore } from '../pipeline/helpers.ts';

const ES_KEY = Buffer.from('storm:key').toString('base64');
const env = { SLACK_BOT_TOKEN: '', TELEGRAM_BOT_TOKEN: '', ES_API_KEY: ES_KEY };

let slack: FakeSlack;
let telegram: FakeTelegram;
let es: FakeElasticsearch;
const tmp = tempStore('kubeherald-storm-');
const clock = new ManualClock(T0);

interface Running {
  store: SqliteStore;
  sinks: Map<string, Sink>;
  outbox: Outbox;
  deliverer: Deliverer;
}
let k: Running;
/** attempts that did not deliver: none expected */
const failed: AttemptRecord[] = [];

before(async () => {
  slack = await FakeSlack.start({ channels: [{ id: 'C0ALERTS', name: 'alerts' }] });
  env.SLACK_BOT_TOKEN = slack.token;
  telegram = await FakeTelegram.start();
  env.TELEGRAM_BOT_TOKEN = telegram.token;
  es = await startFakeElasticsearch({ apiKey: ES_KEY });
});

after(async () => {
  await stop();
  await slack.close();
  await telegram.close();
  await es.close();
  tmp.cleanup();
});

const config = () =>
  parseConfigText(
    [
      'delivery: {storm: {quietSeconds: 120, updateSeconds: 20}}',
      'sinks:',
      `  - {name: slack, type: slack, channel: C0ALERTS, apiUrl: '${slack.apiUrl}', tokenFrom: {env: SLACK_BOT_TOKEN}}`,
      `  - {name: telegram, type: telegram, chatId: ${telegram.chats[0].id}, apiRoot: '${telegram.apiRoot}', tokenFrom: {env: TELEGRAM_BOT_TOKEN}}`,
      `  - {name: es, type: elasticsearch, nodes: ['${es.url}'], apiKeyFrom: {env: ES_API_KEY}}`,
    ].join('\n'),
    'storm.yaml',
  );

/** Starts kubeherald's delivery side on the state file, as a (re)started process would. */
async function start(): Promise<void> {
  const cfg = config();
  const store = tmp.open({ now: () => clock.ms() });
  const sinks = new Map<string, Sink>();
  for (const s of cfg.sinks) sinks.set(s.name, await createSink(s, { env, ...(s.type === 'slack' ? { threads: jsonThreadStore(store.threads.forSink(s.name)) } : {}) } as Parameters<typeof createSink>[1]));
  const policies = resolvePolicies(cfg.delivery, cfg.sinks);
  const outbox = new Outbox({ store, sinks, policies });
  const deliverer = new Deliverer({ store, sinks, policy: policies, clock, sendTimer: clock, random: () => 0.5, onAttempt: (a) => void (a.outcome !== 'delivered' && failed.push(a)) });
  deliverer.start();
  k = { store, sinks, outbox, deliverer };
}

async function stop(): Promise<void> {
  if (!k) return;
  await k.deliverer.stop();
  for (const s of k.sinks.values()) await s.close();
  k.store.close();
}

/** Clock time passes timer by timer, every send answered before time moves on. */
async function pass(ms: number): Promise<void> {
  const end = clock.ms() + ms;
  await k.deliverer.settled();
  for (;;) {
    const next = clock.nextAt();
    if (next === undefined || next > end) break;
    clock.set(Math.max(next, clock.ms()));
    await k.deliverer.settled();
  }
  clock.set(end);
  await k.deliverer.settled();
}

const REASONS = [
  { reason: 'PodNotReady', owner: 'web', share: 6 },
  { reason: 'CrashLoopBackOff', owner: 'api', share: 3 },
  { reason: 'ImagePullBackOff', owner: 'worker', share: 1 },
];

/**
 * The i-th of the 1,000: six in ten PodNotReady, three CrashLoopBackOff, one
 * ImagePullBackOff, of 40 workloads each — so many groups that grouping
 * alone would still send a message per workload and reason.
 */
function incident(i: number, prefix = ''): Notification {
  const r = REASONS[i % 10 < 6 ? 0 : i % 10 < 9 ? 1 : 2];
  return note({ pod: `${prefix}${r.owner}-${i}`, reason: r.reason, owner: `${r.owner}-${i % 40}`, namespace: 'demo', time: clock.ms() });
}

const isTopLevel = (m: StoredMessage): boolean => m.thread_ts === undefined || m.thread_ts === m.ts;
const said = (m: StoredMessage): string => JSON.stringify([m.text, m.attachments, m.blocks]);
const posts = (): number => slack.calls.filter((c) => c.method === 'chat.postMessage').length;

test('1,000 incidents in a minute to one Slack channel: a handful of messages, the digest edited in place, all 1,000 in Elasticsearch; a restart mid-storm keeps one digest; one summary when it passes', async () => {
  await start();
  const N = 1000;
  let sent = 0;
  for (let s = 0; s < 60; s++) {
    const upTo = Math.floor(((s + 1) * N) / 60);
    const batch: Notification[] = [];
    for (; sent < upTo; sent++) batch.push(incident(sent));
    k.store.transaction(() => k.outbox.enqueue(batch, ['slack', 'es'], clock.ms()));
    k.deliverer.wake();
    await pass(1000);
    if (s === 30) {
      // kubeherald restarts in the middle of the storm
      await stop();
      await start();
    }
  }
  assert.equal(sent, N);
  await pass(5000);

  const docs = es.documents('kubeherald-events');
  assert.equal(docs.length, N, 'Elasticsearch (a record sink) gets every notification');
  assert.equal(new Set(docs.map((d) => d._id)).size, N, 'each a document of its own');

  const digests = slack.messages.filter((m) => isTopLevel(m) && said(m).includes('notifications in the last'));
  assert.equal(digests.length, 1, `one digest message, restart or not: ${digests.map(said).join('\n')}`);
  const digest = digests[0];
  assert.ok(digest.updates >= 2, `the digest was edited in place (chat.update), before and after the restart: ${digest.updates} updates`);
  assert.ok(slack.calls.some((c) => c.method === 'chat.update' && c.params.ts === digest.ts));
  assert.match(said(digest), /PodNotReady/);
  assert.match(said(digest), /top: demo\/[a-z]+-\d+ \(\d+\)/, 'the top objects are named');
  assert.deepEqual(failed, [], 'every digest update and message delivered at its first attempt');
  const during = posts();
  assert.ok(during <= 6, `a handful of messages during the storm, not a thousand: ${during} posts`);

  // nothing new: after the quiet period the storm is over, and one summary says what it absorbed
  await pass(130_000);
  const summaries = slack.messages.filter((m) => said(m).includes('Storm over'));
  assert.equal(summaries.length, 1, 'one summary');
  assert.match(said(summaries[0]), /1000 notifications .*; 0 resolved meanwhile; 1000 still firing: demo\/[a-z]+-\d+ \(\d+\)/, 'the incidents still firing are counted and their top objects named, not forgotten');
  assert.equal(posts(), during + 1, 'the summary is the only message after the storm');
  assert.equal(k.store.storms.active().length, 0, 'no storm is left active');

  // the next notification to the channel is delivered on its own again
  const calm = note({ pod: 'calm', reason: 'OOMKilled', owner: 'db', namespace: 'demo', time: clock.ms() });
  const r = k.store.transaction(() => k.outbox.enqueue([calm], ['slack', 'es'], clock.ms()));
  assert.equal(r.digested ?? 0, 0);
  k.deliverer.wake();
  await pass(15_000);
  assert.ok(slack.messages.some((m) => said(m).includes('calm')), 'after the storm a notification reaches the channel as usual');
  assert.equal(es.documents('kubeherald-events').length, N + 1);
});

test('Telegram: a storm in one chat is one digest message edited with editMessageText, then one summary; Elasticsearch still gets every notification', async () => {
  const N = 300;
  const docsBefore = es.documents('kubeherald-events').length;
  const chat = telegram.chats[0].id;
  const inChat = () => telegram.messages.filter((m) => m.chat_id === chat);
  let sent = 0;
  for (let s = 0; s < 30; s++) {
    const batch: Notification[] = [];
    for (const upTo = Math.floor(((s + 1) * N) / 30); sent < upTo; sent++) batch.push(incident(sent, 'tg-'));
    k.store.transaction(() => k.outbox.enqueue(batch, ['telegram', 'es'], clock.ms()));
    k.deliverer.wake();
    await pass(1000);
  }
  await pass(30_000);
  assert.equal(es.documents('kubeherald-events').length, docsBefore + N, 'Elasticsearch gets every notification');
  const digests = inChat().filter((m) => m.plain.includes('notifications in the last'));
  assert.equal(digests.length, 1, `one digest message: ${inChat().map((m) => m.plain).join('\n---\n')}`);
  assert.ok((digests[0].edits ?? 0) >= 1, 'edited in place with editMessageText');
  assert.ok(telegram.calls.some((c) => c.method.toLowerCase() === 'editmessagetext'));
  assert.match(digests[0].plain, /300 notifications in the last 1 minute/, 'the last edit counts all of them');
  assert.ok(inChat().length <= 2, `a handful of messages, not ${N}: ${inChat().length}`);

  await pass(130_000);
  const summaries = inChat().filter((m) => m.plain.includes('Storm over'));
  assert.equal(summaries.length, 1, 'one summary');
  assert.match(summaries[0].plain, /300 still firing/);
  assert.deepEqual(failed, []);
});
