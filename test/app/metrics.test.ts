// /metrics of a running kubeherald: what was notified and delivered, the
// outbox backlog and the state database's size, in Prometheus text format.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { startHerald } from '../../src/app/herald.ts';
import { createLogger } from '../../src/app/log.ts';
import { parseConfigText } from '../../src/config/index.ts';
import { startSim } from '../../src/sim/sim.ts';
import { simClock } from '../helpers/herald.ts';

test('metrics: notifications, deliveries, outbox and state database size', async () => {
  const sim = await startSim({ clockSpeed: 0, bookmarkIntervalMs: 20 });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  const config = parseConfigText(
    ['sinks: [{name: out, type: console, color: never}]', 'state: {path: ":memory:"}', 'metrics: {listen: "127.0.0.1:0"}'].join('\n'),
    'm.yaml',
  );
  const herald = await startHerald({ config, kc, log: createLogger('test', 'silent'), clock: simClock(sim), stdout: new Writable({ write: (_c, _e, cb) => cb() }) });
  try {
    sim.scenarios.start('crashloop');
    for (let s = 0; s < 40; s++) {
      await sim.clock.advance(1000);
      await herald.listener.caughtUp(sim.ctx.store.resourceVersion);
    }
    await herald.drain();
    const url = herald.metricsUrl();
    assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const text = await (await fetch(url!)).text();
    assert.match(text, /^kubeherald_notifications_total\{state="firing",reason="CrashLoopBackOff"\} 1$/m);
    assert.match(text, /^kubeherald_delivery_attempts_total\{sink="config\/out",outcome="delivered"\} 1$/m);
    assert.match(text, /^kubeherald_outbox_deliveries\{state="pending"\} 0$/m);
    assert.match(text, /^kubeherald_state_db_bytes \d+$/m);
    assert.match(text, /^kubeherald_watch_events\{cluster="default",resource="pods"\} [1-9]\d*$/m);
    assert.match(text, /^kubeherald_cluster_up\{cluster="default"\} 1$/m);
    assert.match(text, /^kubeherald_open_incidents 1$/m);
    assert.match(text, /^kubeherald_process_resident_memory_bytes \d+/m);
    assert.equal((await fetch(url!.replace('/metrics', '/other'))).status, 404);
  } finally {
    await herald.stop();
    await sim.close();
  }
});
