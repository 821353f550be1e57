// The reflector against watches that end at once with nothing in them (as
// kube-apiserver has answered Events watches): it backs off, jittered and
// capped, instead of busy-looping, and starts over once events flow again.
// And against the simulator's per-resource watch window: a 410 ERROR event
// on a fresh cluster makes it re-list, nothing missed.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { Reflector, type ReflectorDelta } from '../../src/cluster/reflector.ts';
import { trimObject } from '../../src/cluster/trim.ts';
import { EVENTS } from '../../src/sim/refs.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import type { KObject } from '../../src/sim/types.ts';
import { recordingLog } from '../helpers/log.ts';

/** A list of what happened, in order, and a wait for a condition on it. */
function timeline() {
  const items: { what: string; at: number; n?: number; emptyWatches?: number }[] = [];
  let waiters: { until: () => boolean; resolve: () => void }[] = [];
  return {
    items,
    push(item: (typeof items)[number]): void {
      items.push(item);
      waiters = waiters.filter((w) => !(w.until() && (w.resolve(), true)));
    },
    until(until: () => boolean): Promise<void> {
      return until() ? Promise.resolve() : new Promise((resolve) => waiters.push({ until, resolve }));
    },
  };
}

const event = (name: string, namespace = 'default'): KObject =>
  ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace },
    involvedObject: { kind: 'Pod', name: 'p', namespace },
    reason: 'Tested',
    message: 'progress',
    type: 'Normal',
  }) as KObject;

function kubeConfig(sim: Sim): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  return kc;
}

describe('watches that end at once, empty, again and again', () => {
  it('are re-opened after a growing, capped, jittered wait, which starts over after progress', async () => {
    const t = timeline();
    const sim = await startSim({
      clockSpeed: 0,
      onRequest: (e) => void (e.verb === 'watch' && e.path === '/api/v1/events' && t.push({ what: 'watch', at: performance.now() })),
    });
    const { log, entries } = recordingLog();
    const logged = log.debug;
    const onLog = (level: 'debug' | 'warn') => (obj: object, msg: string) => {
      (level === 'debug' ? logged : log.warn)(obj, msg);
      const o = obj as { retryInMs?: number; emptyWatches?: number };
      if (/without events; backing off/.test(msg)) t.push({ what: 'backoff', at: performance.now(), n: o.retryInMs, emptyWatches: o.emptyWatches });
    };
    const deltas: ReflectorDelta[] = [];
    const MIN = 20;
    const MAX = 160;
    sim.faults.emptyWatches({ resource: 'events' });
    const r = new Reflector({
      kc: kubeConfig(sim),
      spec: { apiVersion: 'v1', kind: 'Event', resource: 'events', namespaced: true },
      trim: trimObject,
      log: { ...log, debug: onLog('debug'), warn: onLog('warn') },
      onDelta: (d) => deltas.push(d),
      watchdogMs: 60_000,
      pageSize: 100,
      minBackoffMs: MIN,
      maxBackoffMs: MAX,
    });
    try {
      r.start();
      const backoffs = () => t.items.filter((i) => i.what === 'backoff');
      await t.until(() => backoffs().length >= 7);

      // strictly watch, wait, watch, wait…: never a watch that did not wait first
      const order = t.items.map((i) => i.what);
      order.forEach((what, i) => assert.equal(what, i % 2 === 0 ? 'watch' : 'backoff', order.join(' ')));
      // each wait in [ceiling/2, ceiling], the ceiling doubling from MIN up to MAX
      backoffs().forEach((b, k) => {
        const ceiling = Math.min(MAX, MIN * 2 ** k);
        assert.equal(b.emptyWatches, k + 1);
        assert.ok(b.n! >= ceiling / 2 && b.n! <= ceiling, `wait ${k + 1}: ${b.n} ms, ceiling ${ceiling}`);
      });
      // and the waits were kept: from one watch to the next took at least the wait between them
      // (a lower bound only: a loaded machine makes it later, never sooner; 1 ms for the timers' granularity)
      for (let i = 1; i + 1 < t.items.length; i += 2) {
        const gap = t.items[i + 1].at - t.items[i - 1].at;
        assert.ok(gap >= t.items[i].n! - 1, `watch ${(i + 1) / 2 + 1} came ${gap} ms after the one before, which was followed by a ${t.items[i].n} ms wait`);
      }
      assert.ok(r.stats.emptyWatches >= 7);
      assert.ok(entries.some((e) => e.level === 'warn' && /keeps ending without events/.test(e.msg)), 'a run of them is a warning');
      assert.ok(r.failures >= 7, 'not ready while it lasts');

      // progress: watches are real again and an Event arrives
      sim.faults.clear();
      sim.ctx.store.create(EVENTS, event('progress'));
      await r.waitForVersion(sim.ctx.store.resourceVersion);
      assert.ok(deltas.some((d) => d.type === 'ADDED' && d.current?.metadata.name === 'progress'));
      assert.equal(r.failures, 0);

      // empty again: the backoff starts over from the minimum
      const before = backoffs().length;
      sim.faults.emptyWatches({ resource: 'events' });
      sim.faults.dropWatches();
      await t.until(() => backoffs().length > before);
      const restarted = backoffs()[before];
      assert.equal(restarted.emptyWatches, 1);
      assert.ok(restarted.n! <= MIN, `${restarted.n}`);
    } finally {
      r.stop();
      await sim.close();
    }
  });
});

describe('a watch older than the resource window on a fresh cluster', () => {
  it('gets a 410 ERROR event and the reflector re-lists: nothing missed, nothing twice', async () => {
    const sim = await startSim({ clockSpeed: 0, historySize: 3 });
    const { log, entries } = recordingLog();
    const deltas: ReflectorDelta[] = [];
    const r = new Reflector({
      kc: kubeConfig(sim),
      spec: { apiVersion: 'v1', kind: 'Event', resource: 'events', namespaced: true },
      // the simulated nodes' own Events are in default
      namespace: 'quiet',
      trim: trimObject,
      log,
      onDelta: (d) => deltas.push(d),
      watchdogMs: 60_000,
      pageSize: 100,
      minBackoffMs: 10,
      maxBackoffMs: 100,
    });
    try {
      sim.ctx.store.create(EVENTS, event('first', 'quiet'));
      r.start();
      await r.synced;
      await r.waitForVersion(sim.ctx.store.resourceVersion);
      // cut the watch and, before the reflector is back, push its version out of the window
      sim.faults.dropWatches();
      for (let i = 0; i < 10; i++) sim.ctx.store.create(EVENTS, event(`e${i}`, 'quiet'));
      assert.ok(sim.ctx.store.watchFloor('events') > Number(r.resourceVersion), 'the reflector is now behind the window');
      await r.waitForVersion(sim.ctx.store.resourceVersion);
      assert.ok(r.stats.relistsAfterGone >= 1, 're-listed after the 410');
      assert.ok(entries.some((e) => /410 Gone/.test(e.msg)));
      assert.deepEqual(r.list().map((o) => o.metadata.name).sort(), ['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9', 'first']);
      const added = deltas.filter((d) => d.type === 'ADDED').map((d) => d.current!.metadata.name);
      assert.equal(new Set(added).size, added.length, `each reported once: ${added.join(' ')}`);
      assert.equal(added.length, 11);
    } finally {
      r.stop();
      await sim.close();
    }
  });
});
