// The storm digest in the pipeline: a chat target past its threshold gets one
// digest (a replacing group message) and a summary; record sinks get every
// notification; a sink that stops storming or a storm row that cannot be read
// leaves nothing stuck.

import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { SinkPolicy } from '../../src/pipeline/config.ts';
import { Harness } from './harness.ts';
import { note, T0 } from './helpers.ts';

const STORM = { threshold: 3, quietMs: 60_000, updateMs: 10_000 };
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h?.tmp.cleanup();
  h = undefined;
});

const burst = (n: number, from: number) => Array.from({ length: n }, (_, i) => note({ pod: `p${from + i}`, time: T0 }));
const digestCalls = (name = 'chat') => h!.sink(name).calls.filter((c) => c.notifications[0]?.fields.storm === 'digest');
const summaryCalls = (name = 'chat') => h!.sink(name).calls.filter((c) => c.notifications[0]?.fields.storm === 'summary');

test('past the threshold a chat target gets one digest, updated in place, then one summary; a record sink gets everything; after the storm, notifications go out on their own', async () => {
  const policies: Record<string, Partial<SinkPolicy>> = { chat: { storm: STORM }, archive: { records: true, storm: STORM } };
  h = new Harness({ sinks: ['chat', 'archive'], policies });
  const r = h.enqueue(burst(10, 0));
  assert.equal(r.digested, 7, 'the first three go out, the rest are digested');
  await h.run(1000);
  assert.equal(h.sink('archive').calls.length, 10, 'a record sink never storms');
  assert.equal(h.sink('chat').calls.filter((c) => !c.group).length, 3);
  assert.equal(digestCalls().length, 1);
  assert.deepEqual(digestCalls()[0].group, { key: 'storm:chat', update: 0, replace: true });
  assert.match(digestCalls()[0].notifications[0].message, /^7 notifications in the last 1 minute: 7 CrashLoopBackOff; top: shop\/web \(7\)/);

  h.enqueue(burst(5, 10));
  await h.run(2000);
  assert.equal(digestCalls().length, 1, 'the next update waits for updateMs');
  await h.run(10_000);
  assert.equal(digestCalls().length, 2);
  assert.deepEqual(digestCalls()[1].group, { key: 'storm:chat', update: 1, replace: true });
  assert.match(digestCalls()[1].notifications[0].message, /^12 notifications/);
  await h.run(30_000);
  assert.equal(digestCalls().length, 2, 'nothing new: no update');

  await h.run(60_000);
  assert.equal(summaryCalls().length, 1);
  assert.match(summaryCalls()[0].notifications[0].message, /^Storm over after \d minutes?: 12 notifications .*12 still firing: shop\/web \(12\)/);
  assert.equal(h.store.storms.active().length, 0);

  const calm = h.enqueue([note({ pod: 'calm', time: T0 })]);
  assert.deepEqual([calm.queued, calm.digested ?? 0], [2, 0], 'to both sinks, on its own');
  await h.run(1000);
  assert.equal(h.sink('archive').calls.length, 16);
});

test('a sink that no longer storms (threshold 0 after a reload) delivers on its own at once; its storm ends with its summary', async () => {
  const chat: Partial<SinkPolicy> = { storm: { ...STORM } };
  h = new Harness({ sinks: ['chat'], policies: { chat } });
  h.enqueue(burst(6, 0));
  await h.run(1000);
  assert.equal(h.store.storms.active().length, 1);
  chat.storm = { ...STORM, threshold: 0 };
  h.enqueue(burst(2, 6));
  await h.run(1000);
  assert.equal(h.sink('chat').calls.filter((c) => !c.group && !c.notifications[0].fields.storm).length, 3 + 2, 'the two after the reload went out on their own');
  await h.run(60_000);
  assert.equal(h.store.storms.active().length, 0, 'the storm is over');
  assert.equal(summaryCalls().length, 1, 'what it absorbed is still summed up');
  assert.equal(h.store.groups.get('chat', 'storm:chat'), undefined, 'no digest group left behind');
});

test('a storm row that cannot be read counts as no storm: delivery goes on', async () => {
  h = new Harness({ sinks: ['chat'], policies: { chat: { storm: STORM } } });
  h.store.storms.put({ sink: 'chat', target: 'chat', state: '{not json', active: true, updatedAt: T0 });
  const r = h.enqueue(burst(2, 0));
  assert.equal(r.queued, 2);
  assert.equal(r.digested ?? 0, 0);
});

test('a sink without group messages gets each digest update as a message of its own', async () => {
  h = new Harness({ sinks: ['chat'], policies: { chat: { storm: STORM } }, sinkOptions: { chat: { groups: false } } });
  h.enqueue(burst(6, 0));
  await h.run(1000);
  h.enqueue(burst(3, 6));
  await h.run(11_000);
  assert.deepEqual(digestCalls().map((c) => [c.group, c.notifications[0].fields.absorbed]), [
    [undefined, '3'],
    [undefined, '6'],
  ]);
});

const storedAbsorbed = (): number | undefined => {
  const row = h!.store.storms.get('chat', 'chat');
  return row ? (JSON.parse(row.state) as { absorbed: number }).absorbed : undefined;
};

test('a storm is written when it starts, its counts at most a second later: a restart mid-storm keeps what it absorbed', async () => {
  h = new Harness({ sinks: ['chat'], policies: { chat: { storm: STORM } } });
  h.enqueue(burst(5, 0));
  assert.equal(h.store.storms.active().length, 1, 'the storm that started is in the database at once');
  assert.equal(storedAbsorbed(), 2);
  h.enqueue(burst(3, 5));
  assert.equal(storedAbsorbed(), 2, 'within the second: counted in memory, not written yet');
  h.clock.advance(1000);
  h.enqueue(burst(1, 8));
  assert.equal(storedAbsorbed(), 6, 'a second on, every count so far is written');
  await h.restart();
  h.enqueue(burst(2, 9));
  await h.run(1000);
  const last = digestCalls().at(-1)!;
  assert.equal(last.notifications[0].fields.absorbed, '8', 'the restarted outbox counts on from what was stored');
});

test('as kubeherald stops, the counts not yet written are written', () => {
  h = new Harness({ sinks: ['chat'], policies: { chat: { storm: STORM } } });
  h.enqueue(burst(5, 0));
  h.enqueue(burst(3, 5));
  assert.equal(storedAbsorbed(), 2);
  h.outbox.writeStormCounts(h.clock.ms());
  assert.equal(storedAbsorbed(), 5);
});

test('an enqueue that rolls back leaves no count of a storm behind', () => {
  h = new Harness({ sinks: ['chat'], policies: { chat: { storm: STORM } } });
  assert.throws(() =>
    h!.store.transaction(() => {
      h!.outbox.enqueue(burst(6, 0), ['chat'], h!.clock.ms());
      throw new Error('disk full');
    }),
  );
  assert.equal(h.store.storms.get('chat', 'chat'), undefined);
  const r = h.enqueue(burst(4, 6));
  assert.deepEqual([r.queued, r.digested], [3, 1], 'the rate starts from nothing: only the fourth is digested');
  assert.equal(storedAbsorbed(), 1);
});
