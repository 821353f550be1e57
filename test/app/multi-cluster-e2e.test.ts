// Two clusters watched by one kubeherald (issue 22 item 4): two simulators on
// one manual clock, a crash loop in each; every notification carries its
// cluster, a route for one cluster delivers only that cluster's, and the
// second cluster going away stops neither the process nor the first
// cluster's notifications, while /readyz and kubeherald_cluster_up name it.
// A cluster unreachable from the start does not hold the process's start.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Herald, startHerald } from '../../src/app/herald.ts';
import { createLogger } from '../../src/app/log.ts';
import { loadClusterKubeConfigs } from '../../src/cluster/connect.ts';
import { clustersOf, parseConfigText } from '../../src/config/index.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { until } from '../helpers/plugin-process.ts';
import { simClock } from '../helpers/herald.ts';
import { brief, type Line, readJsonl } from './helpers.ts';

type Row = Line & { cluster: string };

const START = new Date('2026-03-02T10:00:00Z');

function configText(dir: string, west: string): string {
  return [
    'clusters:',
    `  - {name: east, kubeconfig: ${join(dir, 'east.kubeconfig')}}`,
    `  - {name: west, kubeconfig: ${west}}`,
    'sinks:',
    `  - {name: all, type: jsonl, path: ${join(dir, 'all.jsonl')}}`,
    `  - {name: westonly, type: jsonl, path: ${join(dir, 'west.jsonl')}}`,
    'routes:',
    '  - {name: everything, match: {}, sinks: [all], continue: true}',
    '  - {name: west, match: {clusters: [west]}, sinks: [westonly]}',
    `state: {path: ${join(dir, 'state.db')}}`,
    'metrics: {listen: "127.0.0.1:0"}',
  ].join('\n');
}

async function startProcess(text: string, clockOf: Sim): Promise<Herald> {
  const config = parseConfigText(text, 'test.yaml');
  const kcs = loadClusterKubeConfigs(clustersOf(config));
  return startHerald({ config, kc: kcs.get('east')!, kcs, log: createLogger('test', 'silent'), clock: simClock(clockOf), random: () => 0.5 });
}

describe('one kubeherald, two clusters', () => {
  let dir: string;
  let east: Sim;
  let west: Sim;
  let herald: Herald;
  const rows = (file: string): Row[] => readJsonl(join(dir, file)) as Row[];
  // both clusters' time moves together; each listener catches up on its own cluster
  const run = async (ms: number, sims: Sim[]): Promise<void> => {
    for (let t = 0; t < ms; t += 1000) {
      for (const s of sims) await s.clock.advance(1000);
      for (const s of sims) await herald.clusters.find((w) => w.kc.getCurrentCluster()?.server === s.url)!.listener.caughtUp(s.ctx.store.resourceVersion);
      await herald.deliverer.settled();
    }
    await herald.drain();
  };
  const scrape = async (path: string): Promise<{ status: number; text: string }> => {
    const res = await fetch(herald.metricsUrl()!.replace('/metrics', path));
    return { status: res.status, text: await res.text() };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeherald-clusters-'));
    east = await startSim({ clockSpeed: 0, bookmarkIntervalMs: 20, start: START, kubeconfigPath: join(dir, 'east.kubeconfig') });
    west = await startSim({ clockSpeed: 0, bookmarkIntervalMs: 20, start: START, kubeconfigPath: join(dir, 'west.kubeconfig') });
    herald = await startProcess(configText(dir, join(dir, 'west.kubeconfig')), east);
  });

  after(async () => {
    await herald?.stop();
    await east?.close();
    await west?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tells each cluster\'s incidents with their cluster, and routes by cluster', async () => {
    assert.deepEqual(herald.clusters.map((w) => w.name), ['east', 'west']);
    east.scenarios.start('crashloop', { name: 'loopy-east' });
    west.scenarios.start('crashloop', { name: 'loopy-west' });
    await run(40_000, [east, west]);
    const all = rows('all.jsonl');
    const firing = (r: Row): boolean => brief(r).startsWith('FIRING CrashLoopBackOff');
    assert.deepEqual(all.filter(firing).map((r) => `${r.cluster} ${brief(r)}`).sort(), ['east FIRING CrashLoopBackOff Pod/loopy-east', 'west FIRING CrashLoopBackOff Pod/loopy-west'], all.map(brief).join('\n'));
    const westOnly = rows('west.jsonl');
    assert.ok(westOnly.length > 0);
    assert.deepEqual([...new Set(westOnly.map((r) => r.cluster))], ['west'], westOnly.map((r) => `${r.cluster} ${brief(r)}`).join('\n'));
    assert.ok(westOnly.some(firing));
    // each cluster's tracker state is its own in the state database
    const keyOf = (name: string): string => all.find((r) => firing(r) && r.involvedObject?.name === name)!.incidentKey;
    const stored = (cluster: string): string[] => herald.store.tracker(cluster).load().incidents.map((i) => i.key);
    assert.ok(stored('east').includes(keyOf('loopy-east')) && !stored('east').includes(keyOf('loopy-west')));
    assert.ok(stored('west').includes(keyOf('loopy-west')) && !stored('west').includes(keyOf('loopy-east')));
    const ready = await scrape('/readyz');
    assert.equal(ready.status, 200, ready.text);
    assert.match(ready.text, /^\[\+\]cluster\/east \d+ resources caught up$/m);
    assert.match(ready.text, /^\[\+\]cluster\/west \d+ resources caught up$/m);
  });

  it('the second cluster going away stops neither the process nor the first cluster\'s notifications', async () => {
    await west.close();
    // the watches of a cluster that went away fail on timers of their own (backoff): this is what there is to wait on
    await until(() => !herald.clusters[1].health().up, 'west reported down');
    east.scenarios.start('oom', { name: 'hungry-east' });
    const before = rows('all.jsonl').length;
    await run(20_000, [east]);
    const later = rows('all.jsonl').slice(before);
    assert.ok(later.some((r) => r.cluster === 'east' && brief(r) === 'FIRING OOMKilled Pod/hungry-east'), later.map((r) => `${r.cluster} ${brief(r)}`).join('\n'));
    assert.ok(!later.some((r) => r.cluster === 'west'));

    const ready = await scrape('/readyz');
    assert.equal(ready.status, 200, `one cluster down leaves the process ready, degraded:\n${ready.text}`);
    assert.match(ready.text, /^\[\+\]cluster\/east \d+ resources caught up$/m);
    assert.match(ready.text, /^\[\+\]cluster\/west degraded: failing: .*attempts in a row/m);
    const metrics = (await scrape('/metrics')).text;
    assert.match(metrics, /^kubeherald_cluster_up\{cluster="east"\} 1$/m);
    assert.match(metrics, /^kubeherald_cluster_up\{cluster="west"\} 0$/m);
    assert.match(metrics, /^kubeherald_watch_events\{cluster="east",resource="pods"\} [1-9]\d*$/m);
  });

  it('a cluster unreachable from the start does not hold the start; it is reported, the other notifies', async () => {
    await herald.stop();
    // west's simulator is gone: its kubeconfig names a port nothing listens on
    const second = mkdtempSync(join(tmpdir(), 'kubeherald-clusters-'));
    try {
      herald = await startProcess(configText(second, join(dir, 'west.kubeconfig')).replace(join(second, 'east.kubeconfig'), join(dir, 'east.kubeconfig')), east);
      assert.equal(herald.clusters[1].health().up, false);
      assert.match(herald.clusters[1].health().detail, /^unreachable: /);
      const ready = await scrape('/readyz');
      assert.equal(ready.status, 200, ready.text);
      assert.match(ready.text, /^\[\+\]cluster\/west degraded: unreachable: /m);
      east.scenarios.start('crashloop', { name: 'loopy-again' });
      await run(40_000, [east]);
      assert.ok(readJsonl(join(second, 'all.jsonl')).some((r) => brief(r) === 'FIRING CrashLoopBackOff Pod/loopy-again'));
    } finally {
      await herald.stop();
      herald = undefined as never;
      rmSync(second, { recursive: true, force: true });
    }
  });
});
