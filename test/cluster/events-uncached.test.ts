// Events are processed as deltas and not cached (the listener's cacheForm
// keeps nothing of them): the reflector still reports every listed and
// watched Event, its changes and its deletion, while its cache stays empty
// however many Events there are.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { Reflector, type ReflectorDelta } from '../../src/cluster/reflector.ts';
import { trimObject } from '../../src/cluster/trim.ts';
import { silentLogger } from '../../src/model/logger.ts';
import { EVENTS } from '../../src/sim/refs.ts';
import { startSim } from '../../src/sim/sim.ts';

const event = (name: string, count: number) => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name, namespace: 'default' },
  involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid: 'u1', apiVersion: 'v1' },
  reason: 'BackOff',
  message: 'Back-off restarting failed container',
  type: 'Warning',
  count,
  source: { component: 'kubelet' },
});

test('an uncached kind: every Event listed, added, changed and deleted is reported; nothing is kept', async () => {
  const sim = await startSim({ clockSpeed: 0 });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  const store = sim.ctx.store;
  for (let i = 0; i < 3; i++) store.create(EVENTS, event(`before-${i}`, 1));
  const deltas: ReflectorDelta[] = [];
  const r = new Reflector({
    kc,
    spec: { apiVersion: 'v1', kind: 'Event', resource: 'events', namespaced: true },
    trim: trimObject,
    cacheForm: () => undefined,
    log: silentLogger,
    onDelta: (d) => void deltas.push(d),
    watchdogMs: 60_000,
    pageSize: 2,
  });
  // the simulator's nodes record Events of their own
  const mine = (type: string) => deltas.filter((d) => d.type === type && /^(before-\d|after)$/.test((d.current ?? d.old)!.metadata.name!)).map((d) => (d.current ?? d.old)!);
  try {
    r.start();
    await r.synced;
    assert.deepEqual(mine('ADDED').map((e) => e.metadata.name).sort(), ['before-0', 'before-1', 'before-2']);
    assert.ok(mine('ADDED').length === deltas.filter((d) => d.initial && /^before-/.test(d.current!.metadata.name!)).length, 'listed ones are from before we looked');
    store.create(EVENTS, event('after', 1));
    const bumped = store.get(EVENTS.storage, 'default', 'before-1')!;
    store.update(EVENTS, { ...bumped, count: 2 });
    store.delete(EVENTS, 'default', 'before-2');
    await r.waitForVersion(Number(store.resourceVersion));
    assert.deepEqual(mine('ADDED').map((e) => e.metadata.name).sort(), ['after', 'before-0', 'before-1', 'before-2']);
    const modified = mine('MODIFIED');
    assert.deepEqual(modified.map((e) => [e.metadata.name, (e as { count?: number }).count]), [['before-1', 2]], 'a count bump arrives whole, though no old copy was kept');
    assert.deepEqual(mine('DELETED').map((e) => e.metadata.name), ['before-2'], 'the deletion names the Event from the watch');
    assert.equal(r.size, 0, 'nothing cached');
    assert.equal(r.get('default', 'after'), undefined);
  } finally {
    r.stop();
    await sim.close();
  }
});
