// Every detector through the whole listening path: the simulator plays a
// scenario, the listener watches it over HTTPS with @kubernetes/client-node,
// and exactly the expected notifications come out, once each.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { State } from '../../src/model/notification.ts';
import { startHarness, summarize, type Harness } from '../helpers/herald.ts';

async function play(scenario: string, seconds: number, opts: Record<string, unknown> = {}, harness?: Partial<Parameters<typeof startHarness>[0]>): Promise<{ lines: string[]; h: Harness }> {
  const h = await startHarness(harness);
  try {
    h.sim.scenarios.start(scenario, opts);
    await h.run(seconds * 1000);
    return { lines: h.notifications.map(summarize), h };
  } finally {
    await h.close();
  }
}

describe('detectors end to end against the simulator', () => {
  it('CrashLoopBackOff: fires once while the container loops, resolves when it is stable', async () => {
    const { lines, h } = await play('crashloop', 400, { recoverAfter: 120 });
    assert.deepEqual(lines, ['FIRING CrashLoopBackOff Pod/crashloop', 'RESOLVED CrashLoopBackOff Pod/crashloop']);
    const [firing, resolved] = h.notifications;
    assert.equal(firing.incidentKey, resolved.incidentKey);
    assert.notEqual(firing.idempotencyKey, resolved.idempotencyKey);
    assert.equal(firing.cluster, 'sim');
    assert.equal(firing.fields.container, 'app');
    assert.match(resolved.message, /ready again after \d+ restarts/);
  });

  it('OOMKilled: the kill and the back-off that follows, each resolved on recovery', async () => {
    const { lines, h } = await play('oom', 400, { recoverAfter: 120 });
    assert.deepEqual(lines, [
      'FIRING OOMKilled Pod/oom',
      'FIRING CrashLoopBackOff Pod/oom',
      'RESOLVED OOMKilled Pod/oom',
      'RESOLVED CrashLoopBackOff Pod/oom',
    ]);
    assert.equal(h.notifications[0].fields.exitCode, '137');
  });

  it('bad image: ErrImagePull and ImagePullBackOff are one incident, resolved when the pod goes', async () => {
    const h = await startHarness();
    try {
      h.sim.scenarios.start('bad-image');
      await h.run(100_000);
      assert.deepEqual(h.notifications.map(summarize), ['FIRING ErrImagePull Pod/bad-image']);
      h.sim.ctx.store.delete({ storage: 'pods', resource: 'pods', group: '' }, 'demo', 'bad-image');
      await h.run(2000);
      assert.deepEqual(h.notifications.map(summarize), ['FIRING ErrImagePull Pod/bad-image', 'RESOLVED ErrImagePull Pod/bad-image']);
    } finally {
      await h.close();
    }
  });

  it('node NotReady and its pod, both resolved when the node is back', async () => {
    const { lines, h } = await play('node-notready', 200);
    assert.deepEqual(lines, [
      'FIRING NodeNotReady Node/sim-node-1',
      'FIRING PodNotReady Pod/node-notready',
      'RESOLVED NodeNotReady Node/sim-node-1',
      'RESOLVED PodNotReady Pod/node-notready',
    ]);
    assert.equal(h.notifications[0].severity, 3 /* critical */);
  });

  it('pod NotReady longer than notReadyMinTime, then Ready', async () => {
    const { lines, h } = await play('pod-notready', 200);
    assert.deepEqual(lines, ['FIRING PodNotReady Pod/pod-notready', 'RESOLVED PodNotReady Pod/pod-notready']);
    // it waited out the minimum: fired no earlier than 60 s after the pod stopped being ready
    assert.ok(h.notifications[0].eventTime!.seconds > 0n);
  });

  it('a NotReady shorter than notReadyMinTime sends nothing', async () => {
    const { lines } = await play('pod-notready', 200, { readyAfter: 30 });
    assert.deepEqual(lines, []);
  });

  it('eviction under memory pressure', async () => {
    const { lines } = await play('evicted', 200);
    assert.deepEqual(lines, ['FIRING MemoryPressure Node/sim-node-1', 'FIRING Evicted Pod/evicted', 'RESOLVED MemoryPressure Node/sim-node-1']);
  });

  it('rollouts: completed twice (create, update)', async () => {
    const { lines, h } = await play('rollout', 120);
    assert.deepEqual(lines, ['FIRING RolloutCompleted Deployment/web', 'FIRING RolloutCompleted Deployment/web']);
    assert.deepEqual(
      h.notifications.map((n) => n.fields.revision),
      ['1', '2'],
    );
  });

  it('a failed rollout: the bad image on the new pod, then ProgressDeadlineExceeded', async () => {
    const { lines, h } = await play('rollout-failed', 200);
    assert.equal(lines.length, 3, lines.join('\n'));
    assert.equal(lines[0], 'FIRING RolloutCompleted Deployment/api');
    assert.match(lines[1], /^FIRING ErrImagePull Pod\/api-[a-z0-9]+-[a-z0-9]{5}$/);
    assert.equal(lines[2], 'FIRING ProgressDeadlineExceeded Deployment/api');
    assert.equal(h.notifications[1].owner?.kind, 'Deployment');
    assert.equal(h.notifications[1].owner?.name, 'api');
  });

  it('Warning events no state detector covers, once each however often they repeat', async () => {
    const h = await startHarness();
    try {
    const ns = { storage: 'namespaces', resource: 'namespaces', group: '' };
    h.sim.ctx.store.create(ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
    // no node matches: the scheduler records FailedScheduling, and repeats it
    h.sim.ctx.store.create(
      { storage: 'pods', resource: 'pods', group: '' },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stuck', namespace: 'demo' }, spec: { nodeSelector: { disk: 'nvme' }, containers: [{ name: 'app', image: 'nginx' }] }, status: { phase: 'Pending' } },
    );
    // the scheduler retries unschedulable pods every 5 minutes, recording the event again
    await h.run(700_000, 10_000);
    const events = h.notifications.filter((n) => n.detector === 'warningEvents');
    assert.deepEqual(events.map(summarize), ['FIRING FailedScheduling Pod/stuck']);
    assert.equal(events[0].eventType, 'Warning');
    const stored = h.sim.ctx.store.list('events', 'demo').find((e) => e.reason === 'FailedScheduling');
    assert.ok(Number(stored?.count) > 1, 'the scheduler repeated the event, which was not re-sent');
    } finally {
      await h.close();
    }
  });

  it('namespace exclusion keeps a namespace quiet; nodes are never filtered', async () => {
    const { lines } = await play('node-notready', 200, {}, { namespaces: (ns) => ns !== 'demo' });
    assert.deepEqual(lines, ['FIRING NodeNotReady Node/sim-node-1', 'RESOLVED NodeNotReady Node/sim-node-1']);
  });

  it('switched-off detectors stay silent; the Warning event they covered speaks instead', async () => {
    const { lines } = await play('crashloop', 120, {}, { detectors: { crashLoopBackOff: { enabled: false, stableSeconds: 60 }, podNotReady: { enabled: false, minSeconds: 60 } } });
    assert.deepEqual(lines, ['FIRING BackOff Pod/crashloop']);
    const quiet = await play('crashloop', 120, {}, {
      detectors: { crashLoopBackOff: { enabled: false, stableSeconds: 60 }, podNotReady: { enabled: false, minSeconds: 60 }, warningEvents: { enabled: false, excludeReasons: [], includeCovered: false } },
    });
    assert.deepEqual(quiet.lines, []);
  });

  it('every notification is firing or resolved, never unspecified', async () => {
    const { h } = await play('oom', 60);
    for (const n of h.notifications) assert.ok(n.state === State.FIRING || n.state === State.RESOLVED);
  });
});
