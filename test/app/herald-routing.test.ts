// Routing in the assembled pipeline: config routes decide which sink gets
// what, against the simulator, over the real client.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startHerald } from '../../src/app/herald.ts';
import { createLogger } from '../../src/app/log.ts';
import { parseConfigText } from '../../src/config/index.ts';
import { startSim } from '../../src/sim/sim.ts';
import { simClock } from '../helpers/herald.ts';

const lines = (file: string): { reason: string; involvedObject: { name: string } }[] =>
  existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];

describe('herald routing', () => {
  it('sends rollouts to one sink, everything else to another, and drops what a drop rule says', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeherald-routing-'));
    const deploys = join(dir, 'deploys.jsonl');
    const all = join(dir, 'all.jsonl');
    const config = parseConfigText(
      [
        'cluster: {name: routed}',
        // each notification on its own, and no state left behind
        "state: {path: ':memory:'}",
        'sinks:',
        `  - {name: deploys, type: jsonl, path: ${deploys}}`,
        `  - {name: everything, type: jsonl, path: ${all}}`,
        'routes:',
        '  - name: quiet-oom',
        '    match: {reasons: [OOMKilled]}',
        '    drop: true',
        '  - name: rollouts',
        '    match: {kinds: [Deployment], reasons: [RolloutCompleted]}',
        '    sinks: [deploys]',
        '    continue: true',
        '  - name: rest',
        '    match: {cel: \'reason != "RolloutCompleted"\'}',
        '    sinks: [everything]',
      ].join('\n'),
      'routing.yaml',
    );
    const sim = await startSim({ clockSpeed: 0, bookmarkIntervalMs: 20 });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    const herald = await startHerald({ config, kc, log: createLogger('test', 'error'), clock: simClock(sim) });
    try {
      assert.deepEqual(herald.routing.table().problems, []);
      sim.scenarios.start('rollout');
      sim.scenarios.start('oom', { recoverAfter: 120 });
      sim.scenarios.start('crashloop');
      for (let s = 0; s < 120; s++) {
        await sim.clock.advance(1000);
        await herald.listener.caughtUp(sim.ctx.store.resourceVersion);
      }
      await herald.drain();
      assert.deepEqual(lines(deploys).map((n) => `${n.reason} ${n.involvedObject.name}`), ['RolloutCompleted web', 'RolloutCompleted web']);
      const rest = lines(all).map((n) => `${n.reason} ${n.involvedObject.name}`);
      assert.ok(rest.includes('CrashLoopBackOff crashloop'), rest.join(', '));
      assert.ok(rest.includes('CrashLoopBackOff oom'), 'the OOM pod crash-loops too: only OOMKilled is dropped');
      assert.ok(!rest.some((r) => r.startsWith('OOMKilled') || r.startsWith('RolloutCompleted')), rest.join(', '));
    } finally {
      await herald.stop();
      await sim.close();
    }
  });

  it('a bad route in the config file stops start-up naming its line and field (custom-resource routes are left out instead)', () => {
    assert.throws(
      () => parseConfigText(['sinks:', '  - {name: out, type: console}', 'routes:', "  - {name: broken, match: {cel: 'reasn == \"x\"'}, sinks: [out]}"].join('\n'), 'r.yaml'),
      /r\.yaml:4: routes\[0\]\.match\.cel: 1:1: undeclared reference to 'reasn'/,
    );
  });
});
