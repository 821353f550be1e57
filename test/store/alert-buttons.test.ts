// The alert_buttons table's contract on both backends: a token names one
// action, bound to the chat it was posted to until its expiry; a token is
// never reused; the row survives a reopen (a Telegram button keeps working
// after a restart); prune forgets rows a week past their expiry.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AlertButtonRow, RetentionPolicy } from '../../src/store/types.ts';
import { backends } from './backends.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const RETAIN: RetentionPolicy = { deliveredMs: 3600_000, deadMs: 7 * DAY, dedupMs: 7 * DAY, threadsMs: 30 * DAY, auditMs: 90 * DAY, requestsMs: 30 * DAY };

const row = (o: Partial<AlertButtonRow> = {}): AlertButtonRow => ({
  token: 'AAAAAAAAAAAAAAAAAAAAAA',
  actionId: 'kh:silence',
  value: `tag12345/abc/Pod/${'n'.repeat(63)}/${'p'.repeat(63)}/CrashLoopBackOff`,
  channel: '-1001234567890',
  expiresAt: T0 + DAY,
  ...o,
});

for (const b of backends) {
  describe(`alert buttons repository (${b.name})`, () => {
    it('puts and gets by token; an unknown token is undefined', async () => {
      const store = (await b.fresh()).open();
      store.alertButtons.put(row());
      assert.deepEqual(store.alertButtons.get('AAAAAAAAAAAAAAAAAAAAAA'), row());
      assert.equal(store.alertButtons.get('BBBBBBBBBBBBBBBBBBBBBB'), undefined);
      store.close();
    });

    it('refuses a token already in use rather than pointing a posted button at another action', async () => {
      const store = (await b.fresh()).open();
      store.alertButtons.put(row());
      assert.throws(() => store.alertButtons.put(row({ actionId: 'kh:cordon', value: 'node-1' })), /UNIQUE|constraint/i);
      assert.equal(store.alertButtons.get(row().token)?.actionId, 'kh:silence');
      store.close();
    });

    it('keeps rows across a reopen of the file', async () => {
      const db = await b.fresh();
      const first = db.open();
      first.alertButtons.put(row());
      first.close();
      const again = db.open();
      assert.deepEqual(again.alertButtons.get(row().token), row());
      again.close();
    });

    it('prune deletes rows a week past their expiry, and only those', async () => {
      const store = (await b.fresh()).open();
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
}
