// The hold stage: a held notification is kept out of chat sinks (durably)
// but reaches record sinks marked; release() sends what still fires and
// nothing else holds, once.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { State } from '../../src/model/notification.ts';
import type { EnqueueDecision } from '../../src/pipeline/outbox.ts';
import { type HoldCheck, type HoldReason, releasedLine } from '../../src/pipeline/hold.ts';
import { Harness } from './harness.ts';
import { note } from './helpers.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A hold switched on and off by the test, on notifications of one namespace. */
function switchable(by: HoldReason['by'], id: string, namespace: string) {
  const state = { on: true };
  const check: HoldCheck = (n) => (state.on && n.involvedObject?.namespace === namespace ? { by, id, text: `${by} ${id}` } : undefined);
  return { state, check };
}

function harness(holds: HoldCheck[]): Harness {
  return new Harness({ sinks: ['chat', 'es'], policies: { es: { records: true } }, holds });
}

describe('hold stage', () => {
  it('keeps a held notification out of a chat sink and gives a record sink a copy marked with the holder', async () => {
    const s = switchable('silence', 's-1', 'shop');
    h = harness([s.check]);
    const r = h.enqueue([note({ pod: 'web-1' })]);
    assert.equal(r.held, 1);
    assert.equal(r.queued, 1);
    await h.run(0);
    assert.equal(h.sink('chat').calls.length, 0);
    assert.equal(h.sink('es').calls.length, 1);
    assert.equal(h.sink('es').calls[0]!.notifications[0]!.fields.silencedBy, 's-1');
    const rows = h.store.held.list();
    assert.deepEqual(
      rows.map((x) => [x.sink, x.by, x.holderId]),
      [['chat', 'silence', 's-1']],
    );
    assert.equal(h.store.dedup.has('chat', rows[0] && 'pod/web-1/app/CrashLoopBackOff/firing'), false, 'the chat sink’s dedup is not claimed');
  });

  it('marks each kind of holder in its own field', async () => {
    for (const [by, field] of [['inhibition', 'inhibitedBy'], ['window', 'mutedBy']] as const) {
      h = harness([switchable(by, 'x', 'shop').check]);
      h.enqueue([note({ pod: `p-${by}` })]);
      await h.run(0);
      assert.equal(h.sink('es').calls[0]!.notifications[0]!.fields[field], 'x');
      await h.close();
      h = undefined;
    }
  });

  it('reports outcome held with its reason', async () => {
    const decisions: EnqueueDecision[] = [];
    h = harness([switchable('silence', 's-1', 'shop').check]);
    const { Outbox } = await import('../../src/pipeline/outbox.ts');
    const o = new Outbox({ store: h.store, sinks: h.sinks, policies: { forSink: (n) => h!.policyOf(n) }, holds: [switchable('silence', 's-1', 'shop').check], onDecision: (d) => decisions.push(d) });
    o.enqueue([note({ pod: 'web-1' })], ['chat', 'es'], 0);
    assert.deepEqual(
      decisions.map((d) => [d.sink, d.outcome, d.hold?.id]),
      [
        ['chat', 'held', 's-1'],
        ['es', 'queued', 's-1'],
      ],
    );
  });

  it('lets through what is not held', async () => {
    h = harness([switchable('silence', 's-1', 'shop').check]);
    const r = h.enqueue([note({ pod: 'api-1', namespace: 'other' })]);
    assert.equal(r.held, undefined);
    await h.run(0);
    assert.equal(h.sink('chat').calls.length, 1);
    assert.equal(h.sink('es').calls[0]!.notifications[0]!.fields.silencedBy, undefined);
  });

  it('release sends, once, what still fires, marked releasedFrom', async () => {
    const s = switchable('silence', 's-1', 'shop');
    h = harness([s.check]);
    h.enqueue([note({ pod: 'web-1' })]);
    await h.run(0);
    s.state.on = false;
    const r = h.outbox.release('silence', 's-1', h.clock.ms());
    h.deliverer.wake();
    assert.equal(r.queued, 1);
    await h.run(0);
    const chat = h.sink('chat').calls;
    assert.equal(chat.length, 1);
    assert.equal(chat[0]!.notifications[0]!.fields.releasedFrom, 's-1');
    assert.equal(chat[0]!.notifications[0]!.fields.releasedBy, 'silence');
    assert.match(chat[0]!.notifications[0]!.message, /The silence s-1 ended while this still fires\.$/);
    assert.equal(h.store.held.count(), 0);
    assert.equal(h.outbox.release('silence', 's-1', h.clock.ms()).queued, 0, 'a second release finds nothing');
    assert.equal(h.sink('es').calls.length, 1, 'the record sink had it already');
    // the resolution that follows reaches chat as usual
    h.enqueue([note({ pod: 'web-1', state: State.RESOLVED })]);
    await h.run(0);
    assert.equal(h.sink('chat').calls.length, 2);
  });

  it('drops the held row when the incident resolves while held: chat never hears of it', async () => {
    const s = switchable('silence', 's-1', 'shop');
    h = harness([s.check]);
    h.enqueue([note({ pod: 'web-1' })]);
    const r = h.enqueue([note({ pod: 'web-1', state: State.RESOLVED })]);
    assert.equal(r.held, 1);
    assert.equal(h.store.held.count(), 0);
    s.state.on = false;
    assert.equal(h.outbox.release('silence', 's-1', h.clock.ms()).queued, 0);
    await h.run(0);
    assert.equal(h.sink('chat').calls.length, 0);
    assert.deepEqual(
      h.sink('es').calls.map((c) => c.notifications[0]!.state),
      [State.FIRING, State.RESOLVED],
      'the record sink gets both',
    );
  });

  it('does not release what the caller says no longer fires', async () => {
    h = harness([switchable('silence', 's-1', 'shop').check]);
    h.enqueue([note({ pod: 'web-1' })]);
    assert.equal(h.outbox.release('silence', 's-1', h.clock.ms(), () => false).queued, 0);
    assert.equal(h.store.held.count(), 0);
  });

  it('with two holders, releases only when neither holds any more', async () => {
    const a = switchable('silence', 's-a', 'shop');
    const b = switchable('inhibition', 'node/n1/NotReady', 'shop');
    h = harness([a.check, b.check]);
    h.enqueue([note({ pod: 'web-1' })]);
    a.state.on = false;
    assert.equal(h.outbox.release('silence', 's-a', h.clock.ms()).queued, 0, 'the inhibition still holds it');
    assert.deepEqual(
      h.store.held.list().map((x) => [x.by, x.holderId]),
      [['inhibition', 'node/n1/NotReady']],
      'now held by the other',
    );
    b.state.on = false;
    assert.equal(h.outbox.release('inhibition', 'node/n1/NotReady', h.clock.ms()).queued, 1);
    h.deliverer.wake();
    await h.run(0);
    assert.equal(h.sink('chat').calls.length, 1);
    assert.equal(h.sink('chat').calls[0]!.notifications[0]!.fields.releasedFrom, 'node/n1/NotReady');
  });

  it('keeps held rows across a restart, and releases them after it', async () => {
    const s = switchable('silence', 's-1', 'shop');
    h = harness([s.check]);
    h.enqueue([note({ pod: 'web-1' }), note({ pod: 'web-2' })]);
    await h.restart();
    assert.equal(h.store.held.count(), 2);
    s.state.on = false;
    assert.equal(h.outbox.release('silence', 's-1', h.clock.ms()).queued, 2);
    h.deliverer.wake();
    await h.run(0);
    assert.equal(h.sink('chat').calls.length, 2);
  });

  it('a notification chat had before the hold began is deduplicated, not held', async () => {
    const s = switchable('silence', 's-1', 'shop');
    h = harness([s.check]);
    s.state.on = false;
    const n = note({ pod: 'web-1' });
    h.enqueue([n]);
    s.state.on = true;
    const r = h.enqueue([n]);
    assert.equal(r.deduplicated, 2);
    assert.equal(h.store.held.count(), 0);
  });

  it('a released effect names its cause as people know it (the hold\'s text), not by its incident key', async () => {
    const key = 'node/5d0c1e8a-uid/NotReady';
    const state = { on: true };
    const check: HoldCheck = (n) => (state.on && n.involvedObject?.namespace === 'shop' ? { by: 'inhibition', id: key, text: 'inhibited by NodeNotReady node/sim-node-2' } : undefined);
    h = harness([check]);
    h.enqueue([note({ pod: 'web-1' })]);
    await h.restart();
    state.on = false;
    assert.equal(h.outbox.release('inhibition', key, h.clock.ms()).queued, 1);
    h.deliverer.wake();
    await h.run(0);
    const released = h.sink('chat').calls[0]!.notifications[0]!;
    assert.match(released.message, /Its cause \(NodeNotReady node\/sim-node-2\) resolved, but this persists\.$/);
    assert.doesNotMatch(released.message, /5d0c1e8a/, 'no uid in the message');
    assert.equal(released.fields.releasedFrom, key, 'the field keeps the key, for machines');
  });

  it('releasedLine: the cause\'s name from the hold\'s text; its key only when there is no text', () => {
    assert.equal(releasedLine('inhibition', 'node/u1/NotReady', 'inhibited by rollout of statefulset/shop/db revision db-bbb'), 'Its cause (rollout of statefulset/shop/db revision db-bbb) resolved, but this persists.');
    assert.equal(releasedLine('inhibition', 'node/u1/NotReady'), 'Its cause (node/u1/NotReady) resolved, but this persists.');
    assert.equal(releasedLine('inhibition', 'node/u1/NotReady', ''), 'Its cause (node/u1/NotReady) resolved, but this persists.');
    assert.equal(releasedLine('silence', 's-42', 'silenced by s-42 (alice: node drain)'), 'The silence s-42 ended while this still fires.');
  });

  it('holds reminders back from chat too, without a held row', async () => {
    const s = switchable('silence', 's-1', 'shop');
    h = new Harness({ sinks: ['chat'], policy: { repeatIntervalMs: 60_000 }, holds: [s.check], openIncidents: () => ['pod/web-1/app/CrashLoopBackOff'] });
    s.state.on = false;
    h.enqueue([note({ pod: 'web-1' })]);
    await h.run(0);
    s.state.on = true;
    await h.run(180_000);
    assert.equal(h.sink('chat').calls.length, 1, 'no reminder while silenced');
    assert.equal(h.store.held.count(), 0);
  });
});
