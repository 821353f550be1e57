// The registration client against a tiny Registry served in the test:
// Register, heartbeats at the interval the registry answers, Register again
// when forgotten or after an outage, Deregister on stop.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultInstanceId, startRegistration } from '../../src/plugin/register.ts';
import { recordingLog } from './helpers.ts';
import { registry } from './registry-fake.ts';

describe('startRegistration', () => {
  it('registers, heartbeats at the interval the registry answers, and deregisters on stop', async () => {
    const reg = await registry();
    const log = recordingLog();
    const handle = startRegistration({ registryUrl: reg.url, type: 'webhook', advertise: '10.0.0.5:50051', instanceId: 'wh-1', version: '0.1.0', log });
    try {
      await reg.until(() => reg.count('heartbeat') >= 3);
      assert.deepEqual(reg.calls[0], { rpc: 'register', instanceId: 'wh-1', type: 'webhook', address: '10.0.0.5:50051', version: '0.1.0' });
      assert.deepEqual(reg.calls.slice(1, 4).map((c) => `${c.rpc}:${c.instanceId}`), ['heartbeat:wh-1', 'heartbeat:wh-1', 'heartbeat:wh-1']);
      assert.equal(reg.count('register'), 1);
      assert.equal(log.entries.find((e) => e.msg === 'plugin: registered')?.obj.heartbeatMs, 20);
    } finally {
      await handle.stop();
    }
    assert.equal(reg.calls.at(-1)?.rpc, 'deregister');
    assert.equal(reg.known.size, 0);
    await reg.stop();
  });

  it('registers again when the registry no longer knows the instance', async () => {
    const reg = await registry();
    const handle = startRegistration({ registryUrl: reg.url, type: 'slack', advertise: '127.0.0.1:7000', instanceId: 'sl-1', log: recordingLog() });
    try {
      await reg.until(() => reg.count('heartbeat') >= 1);
      reg.known.clear(); // as after a registry restart, or an expiry
      await reg.until(() => reg.count('register') === 2);
      assert.equal(reg.known.has('sl-1'), true);
      const i = reg.calls.findIndex((c, k) => k > 0 && c.rpc === 'register');
      assert.equal(reg.calls[i - 1].rpc, 'heartbeat');
    } finally {
      await handle.stop();
      await reg.stop();
    }
  });

  it('registers again once an unreachable registry comes back', async () => {
    const reg = await registry();
    const log = recordingLog();
    const handle = startRegistration({ registryUrl: reg.url, type: 'teams', advertise: '127.0.0.1:7001', instanceId: 'tm-1', log, minRetryMs: 5, maxRetryMs: 20, callTimeoutMs: 1000 });
    try {
      await reg.until(() => reg.count('heartbeat') >= 1);
      await reg.stop();
      reg.known.clear();
      const failures = (): number => log.entries.filter((e) => e.msg === 'plugin: registry unreachable; will register again').length;
      // the outage is noticed (and logged once, not on every retry)
      await log.until(() => failures() >= 1);
      await log.until(() => log.entries.some((e) => e.msg === 'plugin: registry still unreachable'));
      await reg.start();
      await reg.until(() => reg.count('register') === 2);
      assert.equal(reg.known.has('tm-1'), true);
      assert.equal(failures(), 1);
    } finally {
      await handle.stop();
      await reg.stop();
    }
  });

  it('stops promptly when the registry is down', async () => {
    const reg = await registry();
    const handle = startRegistration({ registryUrl: reg.url, type: 'webhook', advertise: '127.0.0.1:7002', log: recordingLog(), callTimeoutMs: 200 });
    await reg.until(() => reg.count('register') === 1);
    await reg.stop();
    await handle.stop();
    assert.equal(handle.instanceId, defaultInstanceId('webhook', '127.0.0.1:7002'));
    assert.match(handle.instanceId, /^webhook-.+-127\.0\.0\.1:7002$/);
  });
});
