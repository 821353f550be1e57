// Migration 2 (per-route grouping) on a database written by version 1: open
// groups and reminders survive it with the sink's own settings (NULL), and
// a group's interval and a reminder's grouping round-trip afterwards.

import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { LATEST_VERSION, migrate, MIGRATIONS } from '../../src/store/migrations.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import type { GroupRow } from '../../src/store/types.ts';
import { T0, tempStore, type TempStore } from '../pipeline/helpers.ts';

let tmp: TempStore;
let store: SqliteStore | undefined;
beforeEach(() => {
  tmp = tempStore();
});
afterEach(() => {
  store?.close();
  store = undefined;
  tmp.cleanup();
});

const group = (over: Partial<GroupRow> = {}): GroupRow => ({
  sink: 's',
  groupKey: 'g',
  target: 't',
  orderingKey: 't',
  openedAt: T0,
  flushAt: null,
  lastFlushAt: T0,
  expiresAt: T0 + 300_000,
  updates: 1,
  intervalMs: null,
  ...over,
});

describe('migration 2', () => {
  it('keeps version 1’s groups and reminders, which follow their sink’s settings', () => {
    const v1 = new DatabaseSync(tmp.path);
    assert.deepEqual(migrate(v1, MIGRATIONS.filter((m) => m.version === 1)), [1]);
    v1.prepare(`INSERT INTO delivery_groups (sink, group_key, target, ordering_key, opened_at, flush_at, last_flush_at, expires_at, updates, seq) VALUES ('s', 'g', 't', 't', ?, NULL, ?, ?, 1, 1)`).run(T0, T0, T0 + 300_000);
    v1.prepare(`INSERT INTO reminders (sink, incident_key, notification, last_sent_at, repeats) VALUES ('s', 'i', x'01', ?, 2)`).run(T0);
    v1.close();

    store = tmp.open();
    assert.equal(store.schemaVersion(), LATEST_VERSION);
    assert.deepEqual(store.groups.get('s', 'g'), group());
    assert.deepEqual(store.reminders.list('s'), [{ sink: 's', incidentKey: 'i', notification: new Uint8Array([1]), lastSentAt: T0, repeats: 2, grouping: null }]);
  });

  it('a group’s interval and a reminder’s grouping round-trip; putting a reminder again replaces its grouping', () => {
    store = tmp.open();
    store.groups.upsertGroup(group({ intervalMs: 1_200_000 }));
    assert.equal(store.groups.get('s', 'g')?.intervalMs, 1_200_000);
    store.groups.upsertGroup(group({ intervalMs: null, updates: 2 }));
    assert.deepEqual(store.groups.get('s', 'g'), group({ updates: 2 }));
    store.reminders.put('s', 'i', new Uint8Array([1]), T0, '{"route":"config/a"}');
    assert.equal(store.reminders.list('s')[0].grouping, '{"route":"config/a"}');
    store.reminders.put('s', 'i', new Uint8Array([1]), T0 + 1);
    assert.equal(store.reminders.list('s')[0].grouping, null);
  });
});
