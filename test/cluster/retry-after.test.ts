// Retry-After is a floor everywhere kubeherald retries: jitter only adds to
// it. The reflector's delay math, its parse of the header, a real 429 from
// the simulated API server, and the pipeline's retry scheduling.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { Reflector, retryAfterMs, retryDelayMs } from '../../src/cluster/reflector.ts';
import { trimObject } from '../../src/cluster/trim.ts';
import { silentLogger } from '../../src/model/logger.ts';
import { afterFailure } from '../../src/pipeline/retry.ts';
import { startSim } from '../../src/sim/sim.ts';
import { SinkError } from '../../src/sinks/types.ts';

describe('reflector retry delay', () => {
  it('never goes below the Retry-After, whatever the jitter draws', () => {
    for (const r of [0, 0.01, 0.5, 0.99]) {
      for (const failures of [1, 2, 5, 20]) {
        const d = retryDelayMs(failures, 250, 30_000, 10_000, () => r);
        assert.ok(d >= 10_000, `failures ${failures}, random ${r}: ${d}`);
        assert.ok(d <= 30_000 + 1_000, `${d}`);
      }
    }
  });

  it('adds at most a tenth (and at most a second) on top of it', () => {
    assert.equal(retryDelayMs(1, 250, 30_000, 10_000, () => 0), 10_000);
    assert.equal(retryDelayMs(1, 250, 30_000, 2_000, () => 0.999_999), 2_200);
    assert.equal(retryDelayMs(1, 250, 30_000, 60_000, () => 0.999_999), 61_000);
  });

  it('without Retry-After: jittered exponential backoff, half to all of the ceiling', () => {
    assert.equal(retryDelayMs(3, 250, 30_000, undefined, () => 0), 500);
    assert.equal(retryDelayMs(3, 250, 30_000, undefined, () => 0.999_999), 1_000);
    assert.equal(retryDelayMs(30, 250, 30_000, undefined, () => 0.999_999), 30_000);
  });

  it('reads delta-seconds and HTTP dates, ignores nonsense, caps absurd values', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(retryAfterMs({ headers: { 'retry-after': '10' } }, now), 10_000);
    assert.equal(retryAfterMs({ headers: { 'Retry-After': ' 3 ' } }, now), 3_000);
    assert.equal(retryAfterMs({ headers: { 'retry-after': 'Wed, 01 Jan 2025 00:00:07 GMT' } }, now), 7_000);
    assert.equal(retryAfterMs({ headers: { 'retry-after': 'soon' } }, now), undefined);
    assert.equal(retryAfterMs({ headers: {} }, now), undefined);
    assert.equal(retryAfterMs({ headers: { 'retry-after': '999999' } }, now), 600_000);
  });
});

describe('a 429 with Retry-After from the API server', () => {
  it('the reflector waits at least that long before listing again', async () => {
    const sim = await startSim({ clockSpeed: 0 });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    let resolveWait!: (ms: number) => void;
    const waited = new Promise<number>((r) => (resolveWait = r));
    const log = { ...silentLogger, warn: (o: object) => void ('retryInMs' in o && resolveWait((o as { retryInMs: number }).retryInMs)) };
    sim.faults.failNext(429, { retryAfterSeconds: 10, verbs: ['list'] });
    const r = new Reflector({ kc, spec: { apiVersion: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true }, trim: trimObject, log, onDelta: () => undefined, watchdogMs: 60_000, pageSize: 100 });
    try {
      r.start();
      const ms = await waited;
      assert.ok(ms >= 10_000, `retried after ${ms} ms, before the server's 10 s`);
    } finally {
      r.stop();
      await sim.close();
    }
  });
});

describe('pipeline retry scheduling', () => {
  const policy = { backoff: { baseMs: 1_000, factor: 2, capMs: 60_000 }, maxAgeMs: 86_400_000 };
  it('a retryable error carrying a Retry-After (a 503) waits at least that long', () => {
    for (const r of [0, 0.5, 0.999]) {
      const d = afterFailure(new SinkError('HTTP 503', { kind: 'retryable', retryAfterMs: 20_000 }), 1, 0, 0, policy, () => r);
      assert.equal(d.action, 'retry');
      assert.ok(d.action === 'retry' && d.delayMs >= 20_000, JSON.stringify(d));
    }
  });
  it('rate-limited: exactly the Retry-After', () => {
    const d = afterFailure(new SinkError('HTTP 429', { kind: 'rate-limited', retryAfterMs: 7_300 }), 3, 0, 0, policy, () => 0.9);
    assert.ok(d.action === 'retry' && d.delayMs === 7_300);
  });
});
