// The opt-in update check against a local registry: it logs a newer
// `latest` once, stays quiet when up to date, and shrugs off a registry it
// cannot read.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compareVersions, newerRelease, startUpdateCheck } from '../../src/app/updates.ts';
import { type FakeRegistry, startFakeRegistry } from '../fakes/npm-registry.ts';
import { recordingLog } from '../helpers/log.ts';

describe('compareVersions and newerRelease', () => {
  it('orders releases and pre-releases', () => {
    assert.ok(compareVersions('0.2.0', '0.1.9') > 0);
    assert.ok(compareVersions('1.0.0', '1.0.0-rc.1') > 0);
    assert.ok(compareVersions('0.10.0', '0.9.0') > 0);
    assert.equal(compareVersions('v1.2.3', '1.2.3'), 0);
  });

  it('names latest only when it is newer, and a well-formed version', () => {
    assert.equal(newerRelease({ latest: '0.2.0', next: '0.3.0-rc.1' }, '0.1.0'), '0.2.0');
    assert.equal(newerRelease({ latest: '0.1.0' }, '0.1.0'), undefined);
    assert.equal(newerRelease({ latest: '0.0.9' }, '0.1.0'), undefined);
    assert.equal(newerRelease({ latest: '<script>' }, '0.1.0'), undefined);
    assert.equal(newerRelease(null, '0.1.0'), undefined);
  });
});

describe('the update check against a registry', () => {
  let reg: FakeRegistry;
  before(async () => (reg = await startFakeRegistry()));
  after(() => reg.close());

  /** One check run to its end (the timer's own interval is far away). */
  const checkOnce = async (running: string) => {
    const { log, entries } = recordingLog();
    const results: (string | undefined)[] = [];
    const first = new Promise<void>((resolve) => {
      const u = startUpdateCheck({ registry: `${reg.url}/`, intervalMs: 86_400_000, running, log, onChecked: (n) => (results.push(n), resolve()) });
      after(() => u.stop());
    });
    await first;
    return { entries, results };
  };

  it('logs "kubeherald X is available; you run Y" when latest is newer', async () => {
    reg.tags.set('kubeherald', { latest: '0.3.0', next: '0.4.0-rc.1' });
    const { entries, results } = await checkOnce('0.1.0');
    assert.deepEqual(results, ['0.3.0']);
    const info = entries.filter((e) => e.level === 'info');
    assert.deepEqual(info.map((e) => e.msg), ['kubeherald 0.3.0 is available; you run 0.1.0']);
    assert.deepEqual(info[0].obj, { running: '0.1.0', available: '0.3.0' });
    assert.equal(reg.requests.at(-1)?.path, '/-/package/kubeherald/dist-tags');
  });

  it('says it once per version, however often it checks', async () => {
    reg.tags.set('kubeherald', { latest: '0.3.0' });
    const { log, entries } = recordingLog();
    const u = startUpdateCheck({ registry: reg.url, intervalMs: 86_400_000, running: '0.1.0', log });
    try {
      await u.check();
      await u.check();
      reg.tags.set('kubeherald', { latest: '0.4.0' });
      await u.check();
    } finally {
      u.stop();
    }
    assert.deepEqual(
      entries.filter((e) => e.level === 'info').map((e) => e.msg),
      ['kubeherald 0.3.0 is available; you run 0.1.0', 'kubeherald 0.4.0 is available; you run 0.1.0'],
    );
  });

  it('is quiet when up to date', async () => {
    reg.tags.set('kubeherald', { latest: '0.1.0' });
    const { entries, results } = await checkOnce('0.1.0');
    assert.deepEqual(results, [undefined]);
    assert.deepEqual(entries.filter((e) => e.level !== 'debug'), []);
  });

  it('a registry that fails or does not know the package: a debug line, nothing else', async () => {
    reg.status = 500;
    try {
      const { entries, results } = await checkOnce('0.1.0');
      assert.deepEqual(results, [undefined]);
      assert.deepEqual(entries.map((e) => [e.level, e.obj.err]), [['debug', 'HTTP 500']]);
    } finally {
      reg.status = undefined;
    }
    reg.tags.delete('kubeherald');
    const missing = await checkOnce('0.1.0');
    assert.deepEqual(missing.entries.map((e) => [e.level, e.obj.err]), [['debug', 'HTTP 404']]);
  });

  it('an unreachable registry: a debug line, nothing thrown', async () => {
    const { entries, results } = await checkOnceAt('http://127.0.0.1:1');
    assert.deepEqual(results, [undefined]);
    assert.equal(entries.length, 1);
    assert.equal(entries[0].level, 'debug');
  });

  async function checkOnceAt(registry: string) {
    const { log, entries } = recordingLog();
    const results: (string | undefined)[] = [];
    await new Promise<void>((resolve) => {
      const u = startUpdateCheck({ registry, intervalMs: 86_400_000, running: '0.1.0', log, onChecked: (n) => (results.push(n), resolve()) });
      after(() => u.stop());
    });
    return { entries, results };
  }
});
