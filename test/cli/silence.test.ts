// `kubeherald silence add|list|expire` on a state file: flags refused by
// name before anything is opened, validation against the config (no
// matcher, too long: refused unless --force), list with who/why/what/until,
// expire; and a running kubeherald's SilenceKeeper picks up what the CLI
// added or expired within its refresh interval.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { silenceAdd, silenceExpire, silenceFromFlags, silenceList, type SilenceIo } from '../../src/cli/silence.ts';
import { SilenceKeeper } from '../../src/pipeline/silences.ts';
import type { Silence } from '../../src/rules/silence.ts';
import { ManualClock, note, tempStore } from '../pipeline/helpers.ts';

const tmp = tempStore('kubeherald-silence-cli-');
after(() => tmp.cleanup());
const NOW = Date.parse('2026-03-01T10:00:00Z');
const H = 3_600_000;

function io(now = NOW): SilenceIo & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d: Buffer) => (o += d.toString()));
  stderr.on('data', (d: Buffer) => (e += d.toString()));
  return { stdout, stderr, now: () => now, user: () => 'oscar', out: () => o, err: () => e };
}

describe('silence add: flags', () => {
  const base = { comment: 'drain', namespace: 'shop' };
  it('refuses, by flag, a missing or doubled duration, a bad duration or time, a bad label, no comment', () => {
    assert.throws(() => silenceFromFlags({ ...base }, NOW, 'u'), /--for <duration>.*or --until/);
    assert.throws(() => silenceFromFlags({ ...base, for: '2h', until: '2026-03-01T12:00:00Z' }, NOW, 'u'), /--for or --until, not both/);
    assert.throws(() => silenceFromFlags({ ...base, for: 'soon' }, NOW, 'u'), /--for: expected a duration/);
    assert.throws(() => silenceFromFlags({ ...base, until: 'tomorrow' }, NOW, 'u'), /--until: expected an RFC 3339 time/);
    assert.throws(() => silenceFromFlags({ ...base, for: '2h', label: ['team'] }, NOW, 'u'), /--label: expected key=value/);
    assert.throws(() => silenceFromFlags({ namespace: 'shop', for: '2h' }, NOW, 'u'), /--comment/);
  });

  it('builds the silence: matchers, labels, window, author defaulting to the user', () => {
    const s = silenceFromFlags({ ...base, for: '2h', label: ['team=pay*', 'tier=web'], reason: 'CrashLoop*', cel: 'severity == "critical"', interval: ['nights'] }, NOW, 'oscar');
    assert.match(s.id, /^s-[0-9a-f]{8}$/);
    assert.deepEqual(s.matchers, { namespace: 'shop', reason: 'CrashLoop*', cel: 'severity == "critical"', labels: { team: 'pay*', tier: 'web' } });
    assert.equal(s.endsAt - s.startsAt, 2 * H);
    assert.equal(s.createdBy, 'oscar');
    assert.deepEqual(s.activeTimeIntervals, ['nights']);
    assert.equal(silenceFromFlags({ ...base, until: '2026-03-01T12:00:00+01:00', author: 'alice' }, NOW, 'oscar').endsAt, Date.parse('2026-03-01T11:00:00Z'));
  });
});

describe('silence add|list|expire on a state file', () => {
  it('adds, refuses what is too broad or too long unless forced, lists who/why/what/until, expires', async () => {
    const add = io();
    assert.equal(await silenceAdd({ db: tmp.path, namespace: 'shop', reason: 'CrashLoop*', for: '2h', comment: 'node drain' }, add), 0);
    const id = /silence (s-[0-9a-f]+) added/.exec(add.out())![1]!;
    assert.match(add.out(), /namespace=shop reason=CrashLoop\* until 2026-03-01T12:00:00Z \(2h\)/);

    const everything = io();
    assert.equal(await silenceAdd({ db: tmp.path, for: '1h', comment: 'all quiet' }, everything), 1);
    assert.match(everything.err(), /silence add: matchers: no matcher/);
    const long = io();
    assert.equal(await silenceAdd({ db: tmp.path, namespace: 'x', for: '8d', comment: 'long' }, long), 1);
    assert.match(long.err(), /endsAt: lasts 8d, longer than silences.maxDuration \(7d\)/);
    const forced = io();
    assert.equal(await silenceAdd({ db: tmp.path, for: '8d', comment: 'freeze', force: true, output: 'json' }, forced), 0);
    const forcedSilence = JSON.parse(forced.out()) as Silence;
    assert.equal(forcedSilence.forced, true);
    const unknownWindow = io();
    assert.equal(await silenceAdd({ db: tmp.path, namespace: 'x', for: '1h', comment: 'c', interval: ['nights'] }, unknownWindow), 1);
    assert.match(unknownWindow.err(), /activeTimeIntervals\[0\]: no time interval named "nights"/);

    const list = io(NOW + H);
    assert.equal(await silenceList({ db: tmp.path }, list), 0);
    assert.match(list.out(), /^ID\s+STATE\s+BY\s+COMMENT\s+MATCHES\s+STARTS\s+ENDS/);
    assert.match(list.out(), new RegExp(`${id}\\s+active\\s+oscar\\s+node drain\\s+namespace=shop reason=CrashLoop\\*\\s+2026-03-01T10:00:00Z\\s+2026-03-01T12:00:00Z`));
    assert.match(list.out(), /\(everything\)/);

    const expire = io(NOW + H);
    assert.equal(await silenceExpire(id, { db: tmp.path, author: 'bob' }, expire), 0);
    const again = io(NOW + H);
    assert.equal(await silenceExpire(id, { db: tmp.path }, again), 1);
    assert.match(again.err(), /has already ended/);
    const missing = io(NOW + H);
    assert.equal(await silenceExpire('s-nope', { db: tmp.path }, missing), 1);
    assert.match(missing.err(), /no silence "s-nope"/);

    const after = io(NOW + H);
    await silenceList({ db: tmp.path, output: 'json' }, after);
    assert.deepEqual(
      (JSON.parse(after.out()) as Silence[]).map((s) => s.id),
      [forcedSilence.id],
    );
    const all = io(NOW + H);
    await silenceList({ db: tmp.path, all: true }, all);
    assert.match(all.out(), new RegExp(`${id}\\s+expired by bob`));
  });

  it('refuses an unknown output format and a :memory: state', async () => {
    await assert.rejects(silenceList({ db: tmp.path, output: 'yaml' }, io()), /-o\/--output: expected table or json/);
    const cfg = join(tmp.dir, 'memory.yaml');
    writeFileSync(cfg, 'state:\n  path: ":memory:"\n');
    await assert.rejects(silenceList({ config: cfg }, io()), /state.path is :memory:/);
  });

  it('is a kubeherald command', async () => {
    const BIN = join(import.meta.dirname, '..', '..', 'bin', 'kubeherald.js');
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [BIN, 'silence', 'add', '--db', tmp.path, '--namespace', 'shop', '--for', 'later', '--comment', 'x'], (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr })),
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--for: expected a duration/);
  });
});

describe('a running kubeherald and the CLI', () => {
  it('picks up a silence the CLI added, and one it expired, within the refresh interval', async () => {
    const t = tempStore('kubeherald-silence-run-');
    const clock = new ManualClock(NOW);
    const store = t.open({ now: () => clock.ms() });
    const ended: string[] = [];
    const keeper = new SilenceKeeper({ store, clock, refreshMs: 5000, onEnded: (id) => ended.push(id) });
    try {
      keeper.start();
      const add = io(NOW);
      assert.equal(await silenceAdd({ db: t.path, namespace: 'shop', for: '1h', comment: 'drain' }, add), 0);
      const id = /silence (s-[0-9a-f]+) added/.exec(add.out())![1]!;
      const n = note({ pod: 'web-1' });
      assert.equal(keeper.check(n, 'chat', clock.ms()), undefined, 'not yet looked');
      clock.advance(5000);
      assert.deepEqual(keeper.check(n, 'chat', clock.ms()), { by: 'silence', id, text: `silenced by ${id} (oscar: drain)` });
      assert.equal(await silenceExpire(id, { db: t.path }, io(clock.ms())), 0);
      clock.advance(5000);
      assert.equal(keeper.check(n, 'chat', clock.ms()), undefined);
      assert.deepEqual(ended, [id]);
    } finally {
      keeper.stop();
      store.close();
      t.cleanup();
    }
  });
});

describe('routes test and silences', () => {
  it('says which silence in the state database holds a notification back from a chat sink', async () => {
    const t = tempStore('kubeherald-silence-routes-');
    try {
      const cfg = join(t.dir, 'k.yaml');
      writeFileSync(cfg, ['sinks:', '  - {name: chat, type: slack, tokenFrom: {env: T}, channel: C1}', '  - {name: file, type: jsonl, path: out.jsonl}', `state: {path: '${t.path}'}`].join('\n'));
      const add = io(Date.now());
      assert.equal(await silenceAdd({ config: cfg, namespace: 'shop', for: '1h', comment: 'drain', author: 'alice' }, add), 0, add.err());
      const id = /silence (s-[0-9a-f]+) added/.exec(add.out())![1]!;
      const file = join(t.dir, 'n.yaml');
      const BIN = join(import.meta.dirname, '..', '..', 'bin', 'kubeherald.js');
      const routes = (ns: string) => {
        writeFileSync(file, `reason: CrashLoopBackOff\nstate: firing\ninvolvedObject: {kind: Pod, namespace: ${ns}, name: web-1}\n`);
        return new Promise<string>((resolve) => execFile(process.execPath, [BIN, 'routes', 'test', file, '-c', cfg], { env: { ...process.env, T: 'xoxb-1' } }, (_err, stdout, stderr) => resolve(stdout + stderr)));
      };
      const held = await routes('shop');
      assert.match(held, new RegExp(`config/chat: held back from this chat sink: silenced by ${id} \\(alice: drain\\)`));
      assert.match(held, /config\/file: sent on its own, at once, marked silencedBy/);
      const free = await routes('other');
      assert.doesNotMatch(free, /held back/);
    } finally {
      t.cleanup();
    }
  });
});
