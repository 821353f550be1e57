// Silences at work: the repository (audited), the keeper's HoldCheck, expiry
// on the clock releasing what is still held, and silences added or expired
// by another process picked up at the next refresh.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Silence } from '../../src/rules/silence.ts';
import { SilenceKeeper } from '../../src/pipeline/silences.ts';
import { Harness } from './harness.ts';
import { note, T0 } from './helpers.ts';

const MIN = 60_000;
let h: Harness | undefined;
let keeper: SilenceKeeper | undefined;
afterEach(async () => {
  keeper?.stop();
  keeper = undefined;
  await h?.close();
  h = undefined;
});

const silence = (o: Partial<Silence> = {}): Silence => ({
  id: 's-1',
  matchers: { namespace: 'shop' },
  startsAt: T0,
  endsAt: T0 + 30 * MIN,
  createdBy: 'alice',
  comment: 'node drain',
  source: 'cli',
  createdAt: T0,
  ...o,
});

/** A pipeline whose outbox asks a silence keeper; released and ended ids are recorded. */
function setup(): { ended: string[] } {
  const ended: string[] = [];
  const holds = [(...a: Parameters<SilenceKeeper['check']>) => keeper!.check(...a)];
  h = new Harness({ sinks: ['chat', 'es'], policies: { es: { records: true } }, holds });
  keeper = new SilenceKeeper({
    store: h.store,
    clock: h.clock,
    refreshMs: 5000,
    onEnded: (id, now) => {
      ended.push(id);
      h!.outbox.release('silence', id, now);
      h!.deliverer.wake();
    },
  });
  keeper.start();
  return { ended };
}

describe('silence repository', () => {
  it('adds, lists, expires once, and audits both', () => {
    h = new Harness();
    const s = h.store.silences;
    s.add(silence());
    s.add(silence({ id: 's-2', startsAt: T0 + 10 * MIN, createdAt: T0 + 1 }));
    assert.throws(() => s.add(silence()), /UNIQUE|constraint/);
    assert.deepEqual(s.get('s-1'), silence());
    assert.deepEqual(
      s.active(T0).map((x) => x.id),
      ['s-1'],
    );
    assert.deepEqual(
      s.list({ now: T0 }).map((x) => x.id),
      ['s-1', 's-2'],
    );
    assert.equal(s.nextChangeAt(T0), T0 + 10 * MIN);
    const v = s.version();
    assert.equal(s.expire('s-1', T0 + MIN, 'bob')?.expiredBy, 'bob');
    assert.notEqual(s.version(), v);
    assert.equal(s.expire('s-1', T0 + MIN, 'bob'), undefined, 'already expired');
    assert.equal(s.expire('nope', T0 + MIN, 'bob'), undefined);
    assert.deepEqual(
      s.list({ now: T0 + MIN }).map((x) => x.id),
      ['s-2'],
    );
    assert.deepEqual(
      s.list({ all: true }).map((x) => x.id),
      ['s-1', 's-2'],
    );
    assert.deepEqual(
      s.expireDue(T0 + 30 * MIN).map((x) => [x.id, x.expiredBy]),
      [['s-2', 'expiry']],
    );
    const audit = h.store.audit.list();
    assert.deepEqual(
      audit.map((e) => [e.platformUserId, e.command]),
      [
        ['alice', 'silence add s-1'],
        ['alice', 'silence add s-2'],
        ['bob', 'silence expire s-1'],
      ],
    );
  });
});

describe('silence keeper', () => {
  it('holds matching notifications back from chat, marks them for records, and releases what still fires when it expires on the clock', async () => {
    const { ended } = setup();
    keeper!.add(silence());
    h!.enqueue([note({ pod: 'web-1' }), note({ pod: 'web-2' }), note({ pod: 'api-1', namespace: 'other' })]);
    await h!.run(0);
    assert.deepEqual(
      h!.sink('chat').calls.map((c) => c.notifications[0]!.involvedObject!.name),
      ['api-1'],
    );
    assert.deepEqual(
      h!.sink('es').calls.map((c) => c.notifications[0]!.fields.silencedBy ?? ''),
      ['s-1', 's-1', ''],
    );
    // web-2 resolves while silenced: chat never hears of it
    h!.enqueue([note({ pod: 'web-2', state: 2 })]);
    await h!.run(30 * MIN);
    assert.deepEqual(ended, ['s-1']);
    const released = h!.sink('chat').calls.slice(1).map((c) => c.notifications[0]!);
    assert.deepEqual(
      released.map((n) => [n.involvedObject!.name, n.fields.releasedFrom]),
      [['web-1', 's-1']],
    );
    assert.equal(h!.store.silences.get('s-1')?.expiredBy, 'expiry');
    assert.equal(keeper!.active().length, 0);
  });

  it('a silence that has not started yet holds nothing until it starts', async () => {
    setup();
    keeper!.add(silence({ startsAt: T0 + 10 * MIN }));
    h!.enqueue([note({ pod: 'web-1' })]);
    await h!.run(10 * MIN);
    h!.enqueue([note({ pod: 'web-2' })]);
    await h!.run(0);
    assert.deepEqual(
      h!.sink('chat').calls.map((c) => c.notifications[0]!.involvedObject!.name),
      ['web-1'],
    );
  });

  it('expire() by hand releases at once', async () => {
    const { ended } = setup();
    keeper!.add(silence());
    h!.enqueue([note({ pod: 'web-1' })]);
    assert.equal(keeper!.expire('s-1', 'bob')?.expiredBy, 'bob');
    assert.deepEqual(ended, ['s-1']);
    await h!.run(0);
    assert.equal(h!.sink('chat').calls.length, 1);
    assert.equal(keeper!.expire('s-1', 'bob'), undefined);
  });

  it('picks up a silence another process added, and one it expired, within the refresh interval', async () => {
    const { ended } = setup();
    // another process on the same file: the CLI
    const other = h!.tmp.open({ recover: false });
    try {
      other.silences.add(silence());
      await h!.run(5000);
      h!.enqueue([note({ pod: 'web-1' })]);
      await h!.run(0);
      assert.equal(h!.sink('chat').calls.length, 0, 'held by the silence the other process added');
      other.silences.expire('s-1', h!.clock.ms(), 'bob');
      await h!.run(5000);
      assert.deepEqual(ended, ['s-1']);
      assert.equal(h!.sink('chat').calls.length, 1, 'released once noticed');
    } finally {
      other.close();
    }
  });

  it('after a restart, releases what a silence expired meanwhile held', async () => {
    setup();
    keeper!.add(silence());
    h!.enqueue([note({ pod: 'web-1' })]);
    keeper!.stop();
    await h!.restart();
    // expired by the CLI while kubeherald was down
    h!.store.silences.expire('s-1', h!.clock.ms(), 'bob');
    const ended: string[] = [];
    keeper = new SilenceKeeper({ store: h!.store, clock: h!.clock, onEnded: (id, now) => (ended.push(id), h!.outbox.release('silence', id, now)) });
    keeper.start();
    assert.deepEqual(ended, ['s-1']);
    assert.equal(h!.store.held.count(), 0);
  });
});
