// The held table's contract on both backends: one row per (sink, incident),
// found by holder, replaced by a re-hold, kept across a reopen.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HeldRow } from '../../src/store/types.ts';
import { backends } from './backends.ts';

const row = (o: Partial<HeldRow> = {}): HeldRow => ({
  sink: 'chat',
  incidentKey: 'pod/web-1/app/CrashLoopBackOff',
  notification: Uint8Array.from([1, 2, 3]),
  by: 'silence',
  holderId: 's-1',
  text: 'silenced by s-1 (alice: drain)',
  heldAt: 1000,
  grouping: null,
  ...o,
});

for (const b of backends) {
  describe(`held repository (${b.name})`, () => {
    it('puts, gets, lists by holder and deletes', async () => {
      const db = await b.fresh();
      const store = db.open();
      store.held.put(row());
      store.held.put(row({ sink: 'tg', heldAt: 2000 }));
      store.held.put(row({ incidentKey: 'pod/web-2/app/OOMKilled', by: 'inhibition', holderId: 'node/n1' }));
      assert.equal(store.held.count(), 3);
      assert.deepEqual(store.held.get('chat', 'pod/web-1/app/CrashLoopBackOff'), row());
      assert.deepEqual(
        store.held.byHolder('silence', 's-1').map((r) => r.sink),
        ['chat', 'tg'],
      );
      assert.deepEqual(store.held.byHolder('silence', 's-2'), []);
      assert.equal(store.held.delete('chat', 'pod/web-1/app/CrashLoopBackOff'), true);
      assert.equal(store.held.delete('chat', 'pod/web-1/app/CrashLoopBackOff'), false);
      assert.equal(store.held.get('chat', 'pod/web-1/app/CrashLoopBackOff'), undefined);
      store.close();
    });

    it('a re-hold replaces the row: one per sink and incident', async () => {
      const db = await b.fresh();
      const store = db.open();
      store.held.put(row());
      store.held.put(row({ by: 'window', holderId: 'nights', text: 'muted', grouping: '{"route":"r"}' }));
      assert.equal(store.held.count(), 1);
      assert.deepEqual(store.held.list(), [row({ by: 'window', holderId: 'nights', text: 'muted', grouping: '{"route":"r"}' })]);
      store.close();
    });

    it('refuses an unknown kind of holder', async () => {
      const db = await b.fresh();
      const store = db.open();
      assert.throws(() => store.held.put(row({ by: 'whim' as HeldRow['by'] })), /check constraint/i);
      store.close();
    });

    it('keeps rows across a reopen, and rolls back with the transaction', async () => {
      const db = await b.fresh();
      let store = db.open();
      store.held.put(row());
      assert.throws(() =>
        store.transaction(() => {
          store.held.put(row({ sink: 'tg' }));
          throw new Error('boom');
        }),
      );
      store.close();
      store = db.open();
      assert.deepEqual(store.held.list(), [row()]);
      store.close();
    });
  });
}
