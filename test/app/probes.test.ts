// /healthz and /readyz: the verdicts (pure), then a running kubeherald
// serving them on the metrics listener and on health.listen — ready once it
// watches, unready the moment it starts stopping, and a state database that
// takes no write makes it unready and not alive.

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startHerald } from '../../src/app/herald.ts';
import { createLogger } from '../../src/app/log.ts';
import { liveness, probeBody, readiness, WATCH_FAILURES_NOT_READY } from '../../src/app/probes.ts';
import { parseConfigText } from '../../src/config/index.ts';
import { startSim } from '../../src/sim/sim.ts';
import { simClock } from '../helpers/herald.ts';

const base = { started: true, stopping: false, watches: [{ resource: 'pods', listed: true, failures: 0 }], stateError: undefined, fatal: undefined };

describe('probe verdicts', () => {
  it('ready: started, every watch listed and not failing, the state writable', () => {
    const r = probeBody('/readyz', readiness(base));
    assert.equal(r.status, 200);
    assert.equal(r.body, '[+]running ok\n[+]watching 1 resources caught up\n[+]state writable\nreadyz check passed\n');
  });

  it('each reason to be unready is named', () => {
    assert.match(probeBody('/readyz', readiness({ ...base, started: false, watches: [] })).body, /^\[-\]running failed: starting$/m);
    assert.match(probeBody('/readyz', readiness({ ...base, stopping: true })).body, /^\[-\]running failed: shutting down$/m);
    const failing = probeBody('/readyz', readiness({ ...base, watches: [{ resource: 'pods', listed: true, failures: WATCH_FAILURES_NOT_READY }, { resource: 'nodes', listed: true, failures: 1 }] }));
    assert.equal(failing.status, 503);
    assert.match(failing.body, /^\[-\]watching failed: failing: pods \(3 attempts in a row\)$/m);
    assert.match(probeBody('/readyz', readiness({ ...base, stateError: 'database or disk is full' })).body, /^\[-\]state failed: not writable: database or disk is full$/m);
    assert.match(probeBody('/readyz', readiness({ ...base, watches: [{ resource: 'pods', listed: false, failures: 0 }] })).body, /^\[-\]watching failed: not listed yet: pods$/m);
  });

  it('several clusters: one down is reported degraded while another is up; all down is unready', () => {
    const east = { name: 'east', up: true, detail: '11 resources caught up' };
    const west = { name: 'west', up: false, detail: 'unreachable: ECONNREFUSED' };
    const one = probeBody('/readyz', readiness({ ...base, clusters: [east, west] }));
    assert.equal(one.status, 200, one.body);
    assert.match(one.body, /^\[\+\]cluster\/east 11 resources caught up$/m);
    assert.match(one.body, /^\[\+\]cluster\/west degraded: unreachable: ECONNREFUSED$/m);
    const none = probeBody('/readyz', readiness({ ...base, watches: [], clusters: [{ ...east, up: false, detail: 'failing: pods (3 attempts in a row)' }, west] }));
    assert.equal(none.status, 503, none.body);
    assert.match(none.body, /^\[-\]cluster\/east failed: failing: pods \(3 attempts in a row\)$/m);
    assert.match(none.body, /^\[-\]cluster\/west failed: unreachable: ECONNREFUSED$/m);
    // one cluster: no cluster lines, its watches judge as before
    assert.doesNotMatch(probeBody('/readyz', readiness({ ...base, clusters: [east] })).body, /cluster\//);
  });

  it('alive unless the state database failed for good', () => {
    assert.equal(probeBody('/healthz', liveness(base)).status, 200);
    const dead = probeBody('/healthz', liveness({ fatal: 'disk I/O error' }));
    assert.equal(dead.status, 503);
    assert.equal(dead.body, '[-]state failed: state database failed: disk I/O error\nhealthz check failed\n');
  });
});

describe('probes of a running kubeherald', () => {
  it('on the metrics listener and on health.listen: ready once watching, unready once stopping', async () => {
    const sim = await startSim({ clockSpeed: 0, bookmarkIntervalMs: 20 });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    const config = parseConfigText(
      ['sinks: [{name: out, type: console, color: never}]', 'state: {path: ":memory:"}', 'metrics: {listen: "127.0.0.1:0"}', 'health: {listen: "127.0.0.1:0"}'].join('\n'),
      'p.yaml',
    );
    const herald = await startHerald({ config, kc, log: createLogger('test', 'silent'), clock: simClock(sim), stdout: new Writable({ write: (_c, _e, cb) => cb() }) });
    try {
      const metrics = herald.metricsUrl()!.replace('/metrics', '');
      const health = herald.healthUrl()!;
      assert.match(health, /^http:\/\/127\.0\.0\.1:\d+$/);
      for (const at of [metrics, health]) {
        const ready = await fetch(`${at}/readyz`);
        assert.equal(ready.status, 200, await ready.clone().text());
        assert.match(await ready.text(), /^\[\+\]watching \d+ resources caught up$/m);
        assert.equal((await fetch(`${at}/healthz`)).status, 200);
        assert.equal((await fetch(`${at}/readyz`, { method: 'HEAD' })).status, 200);
      }
      // the probes' own listener serves nothing else
      assert.equal((await fetch(`${health}/metrics`)).status, 404);
      assert.match(await (await fetch(`${metrics}/metrics`)).text(), /^kubeherald_build_info\{version="\d+\.\d+\.\d+[^"]*",node="v\d+\.\d+\.\d+"\} 1$/m);
      // stopping: unready at once, before the deliveries in flight are done
      assert.equal(herald.probeInputs().stopping, false);
      const stopped = herald.stop();
      assert.equal(herald.probeInputs().stopping, true);
      assert.match(readiness(herald.probeInputs()).map((c) => c.detail).join(), /shutting down/);
      await stopped;
    } finally {
      await herald.stop();
      await sim.close();
    }
  });

  it('a state database that takes no write: unready', async () => {
    const sim = await startSim({ clockSpeed: 0, bookmarkIntervalMs: 20 });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    const config = parseConfigText(['sinks: [{name: out, type: console, color: never}]', 'state: {path: ":memory:"}', 'health: {listen: "127.0.0.1:0"}'].join('\n'), 'p.yaml');
    const herald = await startHerald({ config, kc, log: createLogger('test', 'silent'), clock: simClock(sim), stdout: new Writable({ write: (_c, _e, cb) => cb() }) });
    try {
      assert.equal((await fetch(`${herald.healthUrl()}/readyz`)).status, 200);
      // another connection's write lock would do the same; a read-only query_only pragma is the simplest stand-in
      (herald.store as unknown as { db: { exec(sql: string): void } }).db.exec('PRAGMA query_only = ON');
      const r = await fetch(`${herald.healthUrl()}/readyz`);
      assert.equal(r.status, 503);
      assert.match(await r.text(), /^\[-\]state failed: not writable: .*readonly/m);
      (herald.store as unknown as { db: { exec(sql: string): void } }).db.exec('PRAGMA query_only = OFF');
      assert.equal((await fetch(`${herald.healthUrl()}/readyz`)).status, 200);
    } finally {
      await herald.stop();
      await sim.close();
    }
  });
});
