// The alert_buttons table's contract: a token names one action, bound to
// the chat it was posted to until its expiry; a token is never reused; the
// row survives a reopen of the file (a Telegram button keeps working after
// a restart); prune forgets rows a week past their expiry.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { AlertButtonRow, RetentionPolicy } from '../../src/store/types.ts';
import { tempStore, type TempStore } from '../pipeline/helpers.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const RETAIN: RetentionPolicy = { deliveredMs: 3600_000, deadMs: 7 * DAY, dedupMs: 7 * DAY, threadsMs: 30 * DAY, auditMs: 90 * DAY, requestsMs: 30 * DAY };

let tmp: TempStore | undefined;
afterEach(() => {
  tmp?.cleanup();
  tmp = undefined;
});

const row = (o: Partial<AlertButtonRow> = {}): AlertButtonRow => ({
  token: 'AAAAAAAAAAAAAAAAAAAAAA',
  actionId: 'kh:silence',
  value: `tag12345/abc/Pod/${'n'.repeat(63)}/${'p'.repeat(63)}/CrashLoopBackOff`,
  channel: '-1001234567890',
  expiresAt: T0 + DAY,
  ...o,
});

describe('alert buttons repository', () => {
  it('puts and gets by token; an unknown token is undefined', () => {
    tmp = tempStore('kubeherald-buttons-');
    const store = tmp.open();
    store.alertButtons.put(row());
    assert.deepEqual(store.alertButtons.get('AAAAAAAAAAAAAAAAAAAAAA'), row());
    assert.equal(store.alertButtons.get('BBBBBBBBBBBBBBBBBBBBBB'), undefined);
    store.close();
  });

  it('refuses a token already in use rather than pointing a posted button at another action', () => {
    tmp = tempStore('kubeherald-buttons-');
    const store = tmp.open();
    store.alertButtons.put(row());
    assert.throws(() => store.alertButtons.put(row({ actionId: 'kh:cordon', value: 'node-1' })), /UNIQUE|constraint/i);
    assert.equal(store.alertButtons.get(row().token)?.actionId, 'kh:silence');
    store.close();
  });

  it('keeps rows across a reopen of the file', () => {
    tmp = tempStore('kubeherald-buttons-');
    const first = tmp.open();
    first.alertButtons.put(row());
    first.close();
    const again = tmp.open();
    assert.deepEqual(again.alertButtons.get(row().token), row());
    again.close();
  });

  it('prune deletes rows a week past their expiry, and only those', () => {
    tmp = tempStore('kubeherald-buttons-');
    const store = tmp.open();
    store.alertButtons.put(row({ token: 'old', expiresAt: T0 }));
    store.alertButtons.put(row({ token: 'recent', expiresAt: T0 + 5 * DAY }));
    store.alertButtons.put(row({ token: 'live', expiresAt: T0 + 30 * DAY }));
    assert.equal(store.prune(T0 + 8 * DAY, RETAIN).alertButtons, 1);
    assert.equal(store.alertButtons.get('old'), undefined);
    assert.ok(store.alertButtons.get('recent'), 'expired but within the week: a press still hears "too old"');
    assert.ok(store.alertButtons.get('live'));
    store.close();
  });
});
