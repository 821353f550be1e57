// The tracker's state is stored change by change (takeChanges → apply), not
// as a whole snapshot per batch: after any sequence of observations the
// stored state must be what a snapshot would have stored, so a restart
// restores exactly what it held — nothing sent again, nothing forgotten.

import assert from 'node:assert/strict';
import { after, afterEach, test } from 'node:test';
import { IncidentTracker, type TrackerState } from '../../src/detect/tracker.ts';
import type { Observation } from '../../src/detect/types.ts';
import type { KubeObject } from '../../src/model/kube.ts';
import { Severity } from '../../src/model/notification.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import { T0, tempStore } from '../pipeline/helpers.ts';

let tmp = tempStore('kubeherald-tracker-');
let store: SqliteStore | undefined;
afterEach(() => {
  store?.close();
  store = undefined;
  tmp.cleanup();
  tmp = tempStore('kubeherald-tracker-');
});
after(() => tmp.cleanup());

const obj = (uid: string, labels: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: uid, namespace: 'ns', uid, labels } });
const level = (key: string, o: Partial<Observation> = {}): Observation => ({ kind: 'level', key, state: 'firing', detector: 'crashLoopBackOff', severity: Severity.CRITICAL, reason: 'CrashLoopBackOff', title: key, message: key, ...o });
const edge = (key: string): Observation => ({ kind: 'edge', key, state: 'firing', detector: 'warningEvents', severity: Severity.WARNING, reason: 'BackOff', title: key, message: key });
const at = (s: number): Date => new Date(T0 + s * 1000);

/** Order aside (rows come back in table order), what load() gives and snapshot() holds. */
function sorted(s: TrackerState): TrackerState {
  return {
    version: 1,
    incidents: [...s.incidents].sort((a, b) => a.key.localeCompare(b.key)),
    edges: [...s.edges].sort((a, b) => a[0].localeCompare(b[0])),
  };
}

function stored(tracker: IncidentTracker): void {
  store!.transaction(() => store!.tracker('c').apply(tracker.takeChanges()));
  assert.deepEqual(sorted(store!.tracker('c').load()), sorted(tracker.snapshot()));
}

test('after every step the stored state equals the snapshot: incidents opened, pending, fired, updated and resolved; edges remembered, bounded and forgotten', () => {
  store = tmp.open();
  const tr = new IncidentTracker({ cluster: 'c', maxEdgeKeys: 3 });
  assert.deepEqual(tr.takeChanges(), { incidents: [], removedIncidents: [], edges: [], removedEdges: [] }, 'a new tracker has nothing to store');

  tr.observe('a', obj('a'), [level('a/crash')], at(0));
  stored(tr);
  // pending: waits out its minimum duration, no notification yet, but stored with its raw object
  assert.deepEqual(tr.observe('b', obj('b'), [level('b/notready', { minDurationMs: 60_000 })], at(1)), []);
  stored(tr);
  // labels change on a notified incident: no notification, but the row changes
  assert.deepEqual(tr.observe('a', obj('a', { team: 'x' }), [level('a/crash', { count: 4 })], at(2)), []);
  stored(tr);
  assert.equal(tr.tick(at(61)).length, 1, 'the pending one fires');
  stored(tr);
  for (const k of ['e1', 'e2', 'e3', 'e4']) tr.observe('c', obj('c'), [edge(k)], at(70));
  stored(tr);
  assert.deepEqual(
    store.tracker('c').load().edges.map(([k]) => k),
    ['e2', 'e3', 'e4'],
    'the oldest edge beyond the bound is deleted from the store too',
  );
  tr.observe('a', obj('a'), [], at(80));
  tr.observe('c', undefined, [], at(81));
  stored(tr);
  assert.deepEqual(store.tracker('c').load().edges, [], 'a deleted object takes its edge keys with it');
  assert.deepEqual(tr.takeChanges(), { incidents: [], removedIncidents: [], edges: [], removedEdges: [] }, 'taken once');
});

test('a restored tracker has nothing to write back, and what it changes next is stored as before', () => {
  store = tmp.open();
  const first = new IncidentTracker({ cluster: 'c' });
  first.observe('a', obj('a'), [level('a/crash'), edge('ev1')], at(0));
  stored(first);
  const again = IncidentTracker.restore(store.tracker('c').load(), { cluster: 'c' });
  assert.deepEqual(again.takeChanges(), { incidents: [], removedIncidents: [], edges: [], removedEdges: [] });
  assert.deepEqual(again.observe('a', obj('a'), [level('a/crash'), edge('ev1')], at(5)), [], 'nothing notified again after the restore');
  again.observe('a', obj('a'), [], at(10));
  stored(again);
  assert.deepEqual(store.tracker('c').load().incidents, []);
});

test('a transaction that rolls back after apply() leaves the stored state as it was', () => {
  store = tmp.open();
  const tr = new IncidentTracker({ cluster: 'c' });
  tr.observe('a', obj('a'), [level('a/crash')], at(0));
  stored(tr);
  const before = store.tracker('c').load();
  tr.observe('b', obj('b'), [level('b/crash')], at(1));
  assert.throws(() =>
    store!.transaction(() => {
      store!.tracker('c').apply(tr.takeChanges());
      throw new Error('disk full');
    }),
  );
  assert.deepEqual(store.tracker('c').load(), before);
});
