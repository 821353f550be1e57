// A delivery waiting on a plugin type with no healthy instance is sent as
// soon as an instance becomes healthy, not at its backoff deadline: in
// startHerald's wiring (router → deliverer), with the pipeline clock held
// still, so only the recovery can have sent it.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import * as k8s from '@kubernetes/client-node';
import { type Herald, startHerald } from '../../src/app/herald.ts';
import { parseConfigText } from '../../src/config/index.ts';
import { HealthCheckResponse_ServingStatus } from '../../src/gen/grpc/health/v1/health_pb.js';
import { silentLogger } from '../../src/model/logger.ts';
import { NotificationSchema, Severity, State } from '../../src/model/notification.ts';
import type { AttemptRecord } from '../../src/pipeline/index.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { simClock } from '../helpers/herald.ts';
import { FakePlugin } from '../router/plugin-fake.ts';

describe('a plugin type back from down', () => {
  let sim: Sim;
  let plugin: FakePlugin;
  let herald: Herald;
  const attempts: AttemptRecord[] = [];
  let waiters: (() => void)[] = [];
  const attempted = (pred: (a: AttemptRecord) => boolean): Promise<AttemptRecord> =>
    new Promise((resolve) => {
      const check = (): void => {
        const a = attempts.find(pred);
        if (a) resolve(a);
        else waiters.push(check);
      };
      check();
    });

  before(async () => {
    sim = await startSim({ clockSpeed: 0 });
    plugin = await FakePlugin.start();
    // listening, but saying it cannot serve: the type has no healthy instance
    plugin.status = HealthCheckResponse_ServingStatus.NOT_SERVING;
    const config = parseConfigText(
      [
        "state: {path: ':memory:'}",
        'plugins:',
        `  static: [{type: fake, addresses: ['${plugin.address}']}]`,
        '  healthCheck: {intervalSeconds: 1, unhealthyThreshold: 1}',
        'sinks:',
        // each notification its own delivery at once: the clock is held still, so a group would never be due
        '  - {name: chat, type: plugin, plugin: fake, delivery: {groupBy: []}}',
      ].join('\n'),
      'plugin-recovery.yaml',
    );
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    herald = await startHerald({
      config,
      kc,
      log: silentLogger,
      clock: simClock(sim),
      random: () => 0.9,
      onAttempt: (a) => {
        attempts.push(a);
        for (const w of waiters.splice(0)) w();
      },
    });
  });

  after(async () => {
    await herald?.stop();
    await plugin?.close();
    await sim?.close();
  });

  it('sends the waiting delivery when an instance turns healthy, the pipeline clock not moved', async () => {
    const frozenAt = sim.clock.nowMs();
    herald.submit([
      create(NotificationSchema, {
        idempotencyKey: 'recovery-1',
        incidentKey: 'pod/uid-1/app/OOMKilled',
        state: State.FIRING,
        severity: Severity.CRITICAL,
        reason: 'OOMKilled',
        title: 'Pod shop/web: container app was OOMKilled',
        cluster: 'sim',
        involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'web', uid: 'uid-1' },
      }),
    ]);
    const failed = await attempted((a) => a.sink === 'config/chat');
    assert.equal(failed.outcome, 'retry');
    assert.match(failed.error ?? '', /fake plugin: delivery .* not sent/);
    assert.ok(failed.retryAt! > frozenAt, 'the backoff put the retry in the future');
    assert.deepEqual(plugin.received, []);

    plugin.status = HealthCheckResponse_ServingStatus.SERVING;
    await plugin.arrived(1);
    const delivered = await attempted((a) => a.sink === 'config/chat' && a.outcome === 'delivered');
    assert.equal(delivered.attempt, 2);
    assert.equal(sim.clock.nowMs(), frozenAt, 'the pipeline clock never reached the backoff deadline');
    assert.ok(sim.clock.nowMs() < failed.retryAt!);
    assert.deepEqual(plugin.received, ['chat:recovery-1']);
  });
});
