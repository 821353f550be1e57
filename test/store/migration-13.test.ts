// Migration 13 (the tracker and the heartbeat per cluster) on a database
// written by version 12: its rows survive under cluster '', the first
// configured cluster adopts them, and two clusters' rows never mix.

import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { describe, it, type TestContext } from 'node:test';
import type { TrackedIncident } from '../../src/detect/tracker.ts';
import { migrate, MIGRATIONS } from '../../src/store/migrations.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import { T0, tempStore, type TempStore } from '../pipeline/helpers.ts';

/** A state file of the test's own, and its store once opened: both gone when the test ends. */
function scratch(t: TestContext): { tmp: TempStore; open(): SqliteStore } {
  const tmp = tempStore();
  let store: SqliteStore | undefined;
  t.after(() => {
    store?.close();
    tmp.cleanup();
  });
  return { tmp, open: () => (store = tmp.open()) };
}

const incident = (key: string): TrackedIncident => ({ key, uid: `uid-${key}` }) as unknown as TrackedIncident;

describe('migration 13', () => {
  it('keeps a version 12 database\'s tracker rows and heartbeat for the first cluster to adopt', (t) => {
    const { tmp, open } = scratch(t);
    const v12 = new DatabaseSync(tmp.path);
    const upTo12 = MIGRATIONS.filter((m) => m.version <= 12);
    assert.deepEqual(migrate(v12, upTo12), upTo12.map((m) => m.version).sort((x, y) => x - y));
    v12.prepare(`INSERT INTO tracker_incidents (key, body) VALUES ('pod/a', ?)`).run(JSON.stringify(incident('pod/a')));
    v12.prepare(`INSERT INTO tracker_edges (key, object_uid) VALUES ('edge/1', 'u1')`).run();
    v12.prepare(`INSERT INTO tracker_edges (key, object_uid) VALUES ('edge/2', 'u2')`).run();
    v12.prepare(`INSERT INTO heartbeat (id, seen_at) VALUES (1, ?)`).run(T0);
    v12.close();

    const store = open();
    assert.ok(store.schemaVersion() >= 13);
    // before adoption the rows are nobody's: a named cluster sees none of them
    assert.deepEqual(store.tracker('prod').load().incidents, []);
    assert.equal(store.heartbeat('prod').lastSeen(), undefined);

    store.adoptUnnamedCluster('prod');
    const state = store.tracker('prod').load();
    assert.deepEqual(state.incidents.map((i) => i.key), ['pod/a']);
    assert.deepEqual(state.edges, [['edge/1', 'u1'], ['edge/2', 'u2']], 'edges keep their order');
    assert.equal(store.heartbeat('prod').lastSeen(), T0);
    assert.deepEqual(store.tracker('').load(), { version: 1, incidents: [], edges: [] });
    assert.equal(store.heartbeat('').lastSeen(), undefined);
    // adopting again (every start of the home cluster does) changes nothing
    store.adoptUnnamedCluster('prod');
    assert.deepEqual(store.tracker('prod').load(), state);
  });

  it('keeps two clusters\' incidents, edges and heartbeats apart, the same keys included', (t) => {
    const store = scratch(t).open();
    const a = store.tracker('a');
    const b = store.tracker('b');
    assert.equal(store.tracker('a'), a, 'one repository per cluster');
    store.transaction(() => {
      a.save({ version: 1, incidents: [incident('node/n1')], edges: [['e', 'ua']] });
      b.save({ version: 1, incidents: [incident('node/n1'), incident('pod/x')], edges: [['e', 'ub']] });
    });
    store.transaction(() => a.apply({ incidents: [], removedIncidents: ['node/n1'], edges: [], removedEdges: ['e'] }));
    assert.deepEqual(a.load(), { version: 1, incidents: [], edges: [] });
    assert.deepEqual(b.load().incidents.map((i) => i.key).sort(), ['node/n1', 'pod/x']);
    assert.deepEqual(b.load().edges, [['e', 'ub']]);
    store.heartbeat('a').beat(T0);
    store.heartbeat('b').beat(T0 + 5);
    store.heartbeat('a').beat(T0 - 1);
    assert.equal(store.heartbeat('a').lastSeen(), T0);
    assert.equal(store.heartbeat('b').lastSeen(), T0 + 5);
  });

  it('an adopted heartbeat keeps the later of the two times', (t) => {
    const store = scratch(t).open();
    store.db.prepare(`INSERT INTO heartbeat (cluster, seen_at) VALUES ('', ?)`).run(T0 + 10);
    store.heartbeat('prod').beat(T0);
    store.adoptUnnamedCluster('prod');
    assert.equal(store.heartbeat('prod').lastSeen(), T0 + 10);
  });
});
