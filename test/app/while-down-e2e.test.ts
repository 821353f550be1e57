// Nothing missed while kubeherald was down (issue 22): kubeherald stopped,
// then, entirely while it is down, a pod crash-loops and recovers, another
// is OOM-killed and recovers, an image pull fails and is fixed, a rollout
// completes and a node goes NotReady and comes back. On the restart each is
// told once, marked as having happened while kubeherald was down; another
// restart repeats none of it.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { DEMO_IMAGE } from '../../src/sim/scenarios/pods.ts';
import { brief, type Line, readJsonl, startWorld, type World } from './helpers.ts';

type Row = Line & { fields?: Record<string, string>; title: string };

describe('what happened while kubeherald was down', () => {
  let w: World;
  let out: string;
  let beforeStop: Row[];
  let afterRestart: Row[];
  let afterSecond: Row[];
  let node: string;

  before(async () => {
    w = await startWorld(
      [
        'cluster: {name: sim}',
        'sinks:',
        '  - {name: file, type: jsonl, path: $DIR/out.jsonl}',
        'state: {path: $STATE}',
        // a recovered container counts as over after 30 s up rather than 60
        'detectors: {crashLoopBackOff: {stableSeconds: 30}}',
      ].join('\n'),
    );
    out = join(w.dir, 'out.jsonl');
    const rows = (): Row[] => readJsonl(out) as Row[];
    await w.start();
    // Deployment web available at revision 1 while kubeherald watches; it rolls out revision 2 30 s after settling
    w.sim.scenarios.start('rollout', {});
    await w.run(10_000);
    beforeStop = rows();
    await w.stop();

    // --- kubeherald is down from here
    w.sim.scenarios.start('crashloop', { name: 'loopy', recoverAfter: 40 });
    w.sim.scenarios.start('oom', { name: 'hungry', recoverAfter: 12 });
    w.sim.scenarios.start('bad-image', { name: 'puller' });
    w.sim.scenarios.start('node-notready', { name: 'pinned', notReadyAfter: 1, downFor: 30 });
    await w.sim.clock.advance(30_000);
    // the image is fixed: the pod replaced by one whose image exists (as a Deployment's fixed template does)
    const core = w.kc.makeApiClient(k8s.CoreV1Api);
    await core.deleteNamespacedPod({ name: 'puller', namespace: 'demo', gracePeriodSeconds: 0 });
    await w.sim.clock.advance(1000);
    w.sim.scenarios.start('bad-image', { name: 'puller', image: DEMO_IMAGE });
    for (let i = 0; i < 150; i++) await w.sim.clock.advance(1000);
    node = (await core.readNamespacedPod({ name: 'pinned', namespace: 'demo' })).spec!.nodeName!;
    // --- back
    await w.start();
    await w.run(3_000);
    await w.herald!.drain();
    afterRestart = rows().slice(beforeStop.length);
    // a second restart, soon after: nothing told again
    await w.stop();
    await w.sim.clock.advance(5_000);
    await w.start();
    await w.run(3_000);
    await w.herald!.drain();
    afterSecond = rows().slice(beforeStop.length + afterRestart.length);
  });

  after(async () => {
    await w?.close();
  });

  it('told the first rollout while up, nothing of the rest', () => {
    assert.ok(beforeStop.map(brief).includes('FIRING RolloutCompleted Deployment/web'), beforeStop.map(brief).join('\n'));
    assert.ok(!beforeStop.some((r) => r.fields?.whileDown), beforeStop.map(brief).join('\n'));
  });

  it('after the restart: each thing that happened is told once, marked with the gap', () => {
    const marked = afterRestart.filter((r) => r.fields?.whileDown);
    const got = marked.map(brief).sort();
    assert.deepEqual(
      got,
      [
        'FIRING RolloutCompleted Deployment/web',
        `RESOLVED NodeNotReady Node/${node}`,
        'RESOLVED CrashLoopBackOff Pod/loopy',
        'RESOLVED ErrImagePull Pod/puller',
        'RESOLVED OOMKilled Pod/hungry',
      ].sort(),
      afterRestart.map(brief).join('\n'),
    );
    for (const r of marked) {
      assert.match(r.fields!.whileDown, /^while kubeherald was down, \d\d:\d\d–\d\d:\d\d UTC$/);
      assert.ok(r.title.endsWith(`(${r.fields!.whileDown})`), r.title);
    }
  });

  it('sends none of them again as an unmarked FIRING that would never resolve', () => {
    const unmarked = afterRestart.filter((r) => !r.fields?.whileDown).map(brief);
    for (const name of ['loopy', 'hungry', 'puller']) assert.ok(!unmarked.some((l) => l.startsWith('FIRING') && l.endsWith(`Pod/${name}`)), unmarked.join('\n'));
    assert.ok(!unmarked.includes(`FIRING NodeNotReady Node/${node}`), unmarked.join('\n'));
  });

  it('a second restart tells nothing of it again, and no key is ever sent twice', () => {
    assert.deepEqual(afterSecond.filter((r) => r.fields?.whileDown).map(brief), []);
    const keys = readJsonl(out).map((l) => l.idempotencyKey);
    assert.equal(new Set(keys).size, keys.length, readJsonl(out).map(brief).join('\n'));
  });
});
