// The held table's contract: one row per (sink, incident), found by holder,
// replaced by a re-hold, kept across a reopen of the file.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { HeldRow } from '../../src/store/types.ts';
import { tempStore, type TempStore } from '../pipeline/helpers.ts';

let tmp: TempStore | undefined;
afterEach(() => {
  tmp?.cleanup();
  tmp = undefined;
});

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

describe('held repository', () => {
  it('puts, gets, lists by holder and deletes', () => {
    tmp = tempStore('kubeherald-held-');
    const store = tmp.open();
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

  it('a re-hold replaces the row: one per sink and incident', () => {
    tmp = tempStore('kubeherald-held-');
    const store = tmp.open();
    store.held.put(row());
    store.held.put(row({ by: 'window', holderId: 'nights', text: 'muted', grouping: '{"route":"r"}' }));
    assert.equal(store.held.count(), 1);
    assert.deepEqual(store.held.list(), [row({ by: 'window', holderId: 'nights', text: 'muted', grouping: '{"route":"r"}' })]);
    store.close();
  });

  it('refuses an unknown kind of holder', () => {
    tmp = tempStore('kubeherald-held-');
    const store = tmp.open();
    assert.throws(() => store.held.put(row({ by: 'whim' as HeldRow['by'] })), /CHECK constraint/);
    store.close();
  });

  it('keeps rows across a reopen, and rolls back with the transaction', () => {
    tmp = tempStore('kubeherald-held-');
    let store = tmp.open();
    store.held.put(row());
    assert.throws(() =>
      store.transaction(() => {
        store.held.put(row({ sink: 'tg' }));
        throw new Error('boom');
      }),
    );
    store.close();
    store = tmp.open();
    assert.deepEqual(store.held.list(), [row()]);
    store.close();
  });
});
