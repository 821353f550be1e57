// `kubeherald dlq list|replay|purge` on a state file, run in process.

import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { parseDuration, registerDlq } from '../../src/cli/dlq.ts';
import { encodeGroup, encodeNotification } from '../../src/pipeline/payload.ts';
import { State } from '../../src/model/notification.ts';
import { note, T0, tempStore } from './helpers.ts';

const tmp = tempStore('kubeherald-dlq-');
const NOW = T0 + 3 * 3600_000;

before(() => {
  const store = tmp.open();
  const dead = (sink: string, payload: Uint8Array, at: number, group = false) => {
    const id = store.outbox.insert({ sink, target: `#${sink}`, orderingKey: `#${sink}`, idempotencyKey: `k-${sink}-${at}`, payload, members: 1, createdAt: at, ...(group ? { groupKey: 'g', groupUpdate: 0 } : {}) });
    store.outbox.markInflight(id, at);
    store.outbox.markDead(id, at, 'permanent', 'channel_not_found: the channel\nwas archived', '{"kind":"permanent"}');
    return id;
  };
  dead('slack', encodeNotification(note({ pod: 'web-1' })), T0);
  dead('teams', encodeNotification(note({ pod: 'web-2', state: State.RESOLVED })), T0 + 3600_000);
  dead('slack', encodeGroup([note({ pod: 'a' }), note({ pod: 'b' }), note({ pod: 'c' })]), T0 + 2 * 3600_000, true);
  store.outbox.insert({ sink: 'slack', target: '#slack', orderingKey: '#slack', idempotencyKey: 'pending', payload: encodeNotification(note()), members: 1, createdAt: T0 });
  store.close();
});
after(() => tmp.cleanup());

async function dlq(...args: string[]): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  const program = new Command().exitOverride();
  registerDlq(program, { stdout: out, now: () => NOW });
  await program.parseAsync(['dlq', ...args], { from: 'user' });
  return text;
}

describe('kubeherald dlq', () => {
  it('lists dead letters as a table, oldest first, one line each', async () => {
    const text = await dlq('list', '--state', tmp.path);
    const lines = text.trimEnd().split('\n');
    assert.match(lines[0], /^ID +SINK +TARGET +DEAD +ATTEMPTS +REASON +NOTIFICATION +ERROR$/);
    assert.equal(lines.length, 4);
    assert.match(lines[1], /^1 +slack +#slack +3h +1 +permanent +FIRING CrashLoopBackOff shop\/Pod\/web-1 +channel_not_found: the channel was archived$/);
    assert.match(lines[2], /^2 +teams .* RESOLVED CrashLoopBackOff shop\/Pod\/web-2 /);
    assert.match(lines[3], /^3 +slack .* FIRING CrashLoopBackOff shop\/Pod\/a \(\+2 more\) /);
  });

  it('filters by sink and age, and prints JSON with the notifications', async () => {
    const rows = JSON.parse(await dlq('list', '--state', tmp.path, '--sink', 'slack', '--older-than', '150m', '-o', 'json')) as { id: number; notifications: { involvedObject: { name: string } }[]; reason: string }[];
    assert.deepEqual(
      rows.map((r) => [r.id, r.reason, r.notifications.map((n) => n.involvedObject.name)]),
      [[1, 'permanent', ['web-1']]],
    );
  });

  it('replays by id: a new pending delivery, the dead letter gone', async () => {
    assert.match(await dlq('replay', '--state', tmp.path, '--id', '2'), /^replayed 1 dead letter as new deliveries 5;/);
    const store = tmp.open({ recover: false });
    try {
      assert.deepEqual(
        store.outbox.listDead().map((r) => r.id),
        [1, 3],
      );
      const row = store.outbox.get(5)!;
      assert.deepEqual([row.state, row.sink, row.attempts, row.idempotencyKey, row.createdAt], ['pending', 'teams', 0, `k-teams-${T0 + 3600_000}`, NOW]);
    } finally {
      store.close();
    }
    assert.equal(await dlq('replay', '--state', tmp.path, '--id', '2'), 'no dead letters matched\n');
  });

  it('purges only what is named, and wants --all to purge everything', async () => {
    await assert.rejects(dlq('purge', '--state', tmp.path), /--all for every dead letter/);
    assert.equal(await dlq('purge', '--state', tmp.path, '--older-than', '150m'), 'purged 1 dead letter\n');
    assert.equal(await dlq('purge', '--state', tmp.path, '--all'), 'purged 1 dead letter\n');
    assert.equal(await dlq('list', '--state', tmp.path), 'no dead letters\n');
    const store = tmp.open({ recover: false });
    try {
      assert.equal(store.outbox.counts().pending, 2, 'pending deliveries are never touched');
    } finally {
      store.close();
    }
  });

  it('finds the state file through the config, relative to the config file', async () => {
    const cfg = join(tmp.dir, 'kubeherald.yaml');
    writeFileSync(cfg, 'state:\n  path: state.db\n');
    assert.equal(await dlq('list', '-c', cfg), 'no dead letters\n');
    writeFileSync(cfg, 'state:\n  path: missing.db\n');
    await assert.rejects(dlq('list', '-c', cfg), /no state database at .*missing\.db/);
  });

  it('says an in-memory state has nothing to read, and creates no file named :memory:', async () => {
    const cfg = join(tmp.dir, 'memory.yaml');
    writeFileSync(cfg, 'state:\n  path: ":memory:"\n');
    await assert.rejects(dlq('list', '-c', cfg), /state\.path is :memory:: dead letters live only in the memory of the kubeherald process/);
    await assert.rejects(dlq('purge', '--state', ':memory:', '--all'), /state\.path is :memory:/);
    assert.equal(existsSync(join(tmp.dir, ':memory:')), false);
  });

  it('reads durations', () => {
    assert.deepEqual(
      ['90s', '30m', '1.5h', '7d'].map(parseDuration),
      [90_000, 1_800_000, 5_400_000, 604_800_000],
    );
    assert.throws(() => parseDuration('7 days'), /expected a duration/);
  });
});
