// The intake of a replica: a cluster's batches are stored only under the
// process's current term, so a leader paused past its Lease cannot write its
// stale notifications or tracker changes over the new leader's record once
// it wakes; the audit feed's (no cluster) are stored by whoever got them.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrackerChanges } from '../../src/detect/tracker.ts';
import { silentLogger } from '../../src/model/logger.ts';
import { Outbox } from '../../src/pipeline/outbox.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { Term } from '../../src/store/types.ts';
import { createIntake } from '../../src/app/intake.ts';
import { uniform } from '../pipeline/harness.ts';
import { note } from '../pipeline/helpers.ts';

function world(term: () => Term | undefined) {
  const store = new SqliteStore({ path: ':memory:' });
  const outbox = new Outbox({ store, sinks: new Map([['chat', { name: 'chat' }]]), policies: uniform() });
  let fenced = 0;
  const changes: TrackerChanges = { incidents: [{ key: 'pod/x/app/CrashLoopBackOff' } as never], removedIncidents: [], edges: [], removedEdges: [] };
  const intake = createIntake({
    store,
    now: () => new Date(1_000_000),
    log: silentLogger,
    outbox,
    inhibition: { observe: (ns) => ns },
    route: () => ['chat'],
    tracker: () => changes,
    attribute: () => undefined,
    stored: () => undefined,
    term,
    onFenced: () => void fenced++,
  });
  return { store, intake, fenced: () => fenced };
}

describe('the intake under a leader term', () => {
  it('stores a cluster batch (notifications and tracker changes) while its term is current', () => {
    let term: Term | undefined;
    const w = world(() => term);
    term = w.store.leadership.begin('lease', 'me', 0, 1);
    w.intake.submit([note({ pod: 'a' })], 'prod');
    assert.equal(w.store.outbox.counts().pending, 1);
    assert.equal(w.store.tracker('prod').load().incidents.length, 1);
    assert.equal(w.fenced(), 0);
  });

  it('drops a cluster batch without a term, or under a term the store no longer holds, writing nothing; it is not fatal', () => {
    let term: Term | undefined;
    const w = world(() => term);
    w.intake.submit([note({ pod: 'a' })], 'prod');
    const mine = w.store.leadership.begin('lease', 'paused', 0, 1);
    w.store.leadership.begin('lease', 'new-leader', 1, 2);
    term = mine;
    w.intake.submit([note({ pod: 'b' })], 'prod');
    assert.equal(w.store.outbox.counts().pending, 0);
    assert.equal(w.store.tracker('prod').load().incidents.length, 0);
    assert.equal(w.fenced(), 2);
    assert.equal(w.intake.fatal(), undefined);
  });

  it('stores the audit feed\'s notifications (no cluster) on any replica', () => {
    const w = world(() => undefined);
    w.intake.submit([note({ pod: 'audit' })]);
    assert.equal(w.store.outbox.counts().pending, 1);
    assert.equal(w.fenced(), 0);
  });
});
