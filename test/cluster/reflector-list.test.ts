// The reflector's list is the API server's JSON as it is (not the client's
// model classes turned back into JSON): every page of a paged list is read,
// and a listed object looks as the watch would deliver it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { Reflector, type ReflectorDelta } from '../../src/cluster/reflector.ts';
import { trimObject } from '../../src/cluster/trim.ts';
import { silentLogger } from '../../src/model/logger.ts';
import { CONFIGMAPS } from '../../src/sim/refs.ts';
import { startSim } from '../../src/sim/sim.ts';

test('a list of more objects than a page holds is read page by page; listed objects are plain JSON with the timestamps the server wrote', async () => {
  const sim = await startSim({ clockSpeed: 0 });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  for (let i = 0; i < 7; i++) sim.ctx.store.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'default' }, data: { i: String(i) } });
  const deltas: ReflectorDelta[] = [];
  const r = new Reflector({ kc, spec: { apiVersion: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true }, trim: trimObject, log: silentLogger, onDelta: (d) => void deltas.push(d), watchdogMs: 60_000, pageSize: 2 });
  try {
    r.start();
    await r.synced;
    const listed = deltas.filter((d) => d.initial).map((d) => d.current!);
    const mine = listed.filter((o) => o.metadata.name?.startsWith('cm-'));
    assert.deepEqual(mine.map((o) => o.metadata.name).sort(), ['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6'], 'every page was read');
    assert.equal(r.size, listed.length);
    const cm = r.get('default', 'cm-3')!;
    assert.deepEqual([cm.apiVersion, cm.kind, (cm as { data?: object }).data], ['v1', 'ConfigMap', { i: '3' }]);
    const stored = sim.ctx.store.get(CONFIGMAPS.storage, 'default', 'cm-3')!;
    assert.equal(cm.metadata.creationTimestamp, stored.metadata.creationTimestamp, 'the timestamp as the server wrote it, a string like a watched one');
    assert.equal(Object.getPrototypeOf(cm.metadata), Object.prototype, 'plain objects, not client model classes');
  } finally {
    r.stop();
    await sim.close();
  }
});
