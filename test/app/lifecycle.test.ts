// The lifecycle stack: stops run last registered first, once, whether the
// start finished or failed midway; a stop that hangs is cut at the one grace
// deadline and the rest still stop; a failing stop does not keep the rest
// from stopping. Then a kubeherald whose start fails midway stops what it
// had started, in that order.

import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startHerald } from '../../src/app/herald.ts';
import { Lifecycle } from '../../src/app/lifecycle.ts';
import { parseConfigText } from '../../src/config/index.ts';
import { silentLogger } from '../../src/model/logger.ts';
import { startSim } from '../../src/sim/sim.ts';
import { simClock } from '../helpers/herald.ts';
import { recordingLog } from '../helpers/log.ts';

/** A component that records its stop in `order` (and how many times). */
const component = (name: string, order: string[]) => () => {
  order.push(name);
};

describe('Lifecycle', () => {
  it('a start that fails midway stops what was started, last first, each once', async () => {
    const life = new Lifecycle({ log: silentLogger, graceMs: 60_000 });
    const order: string[] = [];
    const start = async (): Promise<void> => {
      life.add('store', component('store', order));
      life.add('sinks', async () => {
        await Promise.resolve();
        order.push('sinks');
      });
      life.add('deliverer', component('deliverer', order));
      throw new Error('listener: cannot reach the API server');
    };
    await assert.rejects(
      start().catch(async (err) => {
        await life.stop();
        throw err;
      }),
      /cannot reach/,
    );
    // the caller that saw the failure and one that stops later get the same outcome; nothing runs twice
    const again = await life.stop();
    assert.deepEqual(order, ['deliverer', 'sinks', 'store']);
    assert.deepEqual(again, { cut: [], failed: [] });
  });

  it('stop is idempotent: concurrent and later calls share one run', async () => {
    const life = new Lifecycle({ log: silentLogger, graceMs: 60_000 });
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    life.add('a', component('a', order));
    life.add('b', async () => {
      await gate;
      order.push('b');
    });
    const first = life.stop();
    const second = life.stop();
    assert.equal(first, second);
    release();
    await first;
    await life.stop();
    assert.deepEqual(order, ['b', 'a']);
  });

  it('a hung stop is cut at the grace deadline; the ones below it still stop', async () => {
    const { log, entries } = recordingLog();
    const life = new Lifecycle({ log, graceMs: 50 });
    const order: string[] = [];
    life.add('database', component('database', order));
    life.add('async below', async () => {
      order.push('async below called');
    });
    life.add('hung', () => new Promise<void>(() => {}));
    life.add('top', component('top', order));
    const report = await life.stop();
    assert.deepEqual(report.cut, ['hung']);
    // a synchronous stop after the deadline still completes; an async one is at least called
    assert.deepEqual(order, ['top', 'async below called', 'database']);
    assert.ok(entries.some((e) => e.level === 'warn' && e.obj.component === 'hung' && /grace deadline/.test(e.msg)));
  });

  it("a stop that gives up when the deadline's signal fires is not cut", async () => {
    const life = new Lifecycle({ log: silentLogger, graceMs: 50 });
    let reason: unknown;
    // as the deliverer does with its sends in flight: abandoned at the deadline, left for the next start
    life.add('deliverer', (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => ((reason = signal.reason), resolve()), { once: true })));
    const report = await life.stop();
    assert.deepEqual(report, { cut: [], failed: [] });
    assert.match(String(reason), /grace period of 50 ms is over/);
  });

  it('a stop that throws is reported and logged; the rest still stop', async () => {
    const { log, entries } = recordingLog();
    const life = new Lifecycle({ log, graceMs: 60_000 });
    const order: string[] = [];
    life.add('store', component('store', order));
    life.add('broken', () => {
      throw new Error('close failed: EBADF');
    });
    life.add('rejecting', () => Promise.reject(new Error('socket hang up')));
    const report = await life.stop();
    assert.deepEqual(report.failed, ['rejecting', 'broken']);
    assert.deepEqual(order, ['store']);
    assert.deepEqual(
      entries.filter((e) => e.level === 'error').map((e) => [e.obj.component, e.obj.err]),
      [
        ['rejecting', 'socket hang up'],
        ['broken', 'close failed: EBADF'],
      ],
    );
  });

  it("a group's stops, registered later, run at the group's place", async () => {
    const life = new Lifecycle({ log: silentLogger, graceMs: 60_000 });
    const order: string[] = [];
    life.add('sinks', component('sinks', order));
    const servers = life.group('servers');
    life.add('deliverer', component('deliverer', order));
    servers.add('metrics', component('metrics', order));
    servers.add('probes', component('probes', order));
    life.add('listener', component('listener', order));
    await life.stop();
    assert.deepEqual(order, ['listener', 'deliverer', 'probes', 'metrics', 'sinks']);
  });

  it('a component registered once stopping has begun is stopped at once', async () => {
    const life = new Lifecycle({ log: silentLogger, graceMs: 60_000 });
    const order: string[] = [];
    let lateStopped!: () => void;
    const late = new Promise<void>((r) => (lateStopped = r));
    life.add('first', () => {
      // a start still under way registers what it just created
      life.add('late', () => {
        order.push('late');
        lateStopped();
      });
    });
    await life.stop();
    await late;
    assert.deepEqual(order, ['late']);
  });
});

describe('startHerald failing midway', () => {
  it('stops what it started, last first, each once, and rejects with the cause', async () => {
    const sim = await startSim({ clockSpeed: 0, bookmarkIntervalMs: 20 });
    // health.listen on a port already taken: the start fails after the deliverer, timers and /metrics are up
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    try {
      const kc = new k8s.KubeConfig();
      kc.loadFromString(sim.kubeconfig);
      const config = parseConfigText(
        ['sinks: [{name: out, type: jsonl, path: "-"}]', 'state: {path: ":memory:"}', 'metrics: {listen: "127.0.0.1:0"}', `health: {listen: "127.0.0.1:${port}"}`].join('\n'),
        'l.yaml',
      );
      const { log, entries } = recordingLog();
      await assert.rejects(startHerald({ config, kc, log, clock: simClock(sim), stdout: process.stderr }), { code: 'EADDRINUSE' });
      const stopped = entries.filter((e) => e.msg === 'stopped').map((e) => e.obj.component);
      assert.deepEqual(stopped, ['time windows', 'inhibition', 'silences', 'pruner', 'deliverer', 'queued deliveries', 'storm digest counts', 'metrics', 'routing', 'plugins', 'state database']);
      assert.equal(entries.filter((e) => /stop failed|grace deadline/.test(e.msg)).length, 0);
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
      await sim.close();
    }
  });
});
