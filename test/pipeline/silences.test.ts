// Silences at work: the keeper's HoldCheck, expiry on the clock releasing
// what is still held, and silences added or expired by another process
// picked up at the next refresh. The repository's own contract, on both
// backends, is test/store/silences.test.ts.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { SilenceKeeper } from '../../src/pipeline/silences.ts';
import { Harness } from './harness.ts';
import { note, silence, T0 } from './helpers.ts';

const MIN = 60_000;
let h: Harness | undefined;
let keeper: SilenceKeeper | undefined;
afterEach(async () => {
  keeper?.stop();
  keeper = undefined;
  await h?.close();
  h = undefined;
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

  it('a silence another process adds while the keeper reads the table is picked up at the next refresh', () => {
    h = new Harness();
    const real = h.store;
    const other = h.tmp.open({ recover: false });
    let added = false;
    // the other process's add lands just after the keeper's read of the list, before it looks at the version again
    const bound = <T extends object>(t: T, k: string | symbol): unknown => {
      const v = Reflect.get(t, k) as unknown;
      return typeof v === 'function' ? v.bind(t) : v;
    };
    const silences = new Proxy(real.silences, {
      get: (t, k) =>
        k === 'list'
          ? (...a: Parameters<typeof t.list>) => {
              const rows = t.list(...a);
              if (!added) other.silences.add(silence());
              added = true;
              return rows;
            }
          : bound(t, k),
    });
    const store = new Proxy(real, { get: (t, k) => (k === 'silences' ? silences : bound(t, k)) });
    try {
      keeper = new SilenceKeeper({ store, clock: h.clock, onEnded: () => {} });
      keeper.refresh();
      assert.deepEqual(keeper.active(T0), [], 'read before the add');
      keeper.refresh();
      assert.deepEqual(
        keeper.active(T0).map((x) => x.id),
        ['s-1'],
      );
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
