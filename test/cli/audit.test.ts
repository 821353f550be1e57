// `kubeherald audit list` on a state file: the table, JSON, filters, the
// newest --limit, chat text that cannot reach the terminal raw, and flags
// refused by name before anything is opened.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { auditFilterOf, parseGoDuration, registerAudit } from '../../src/cli/audit.ts';
import type { AuditEntry } from '../../src/model/audit.ts';
import { T0, tempStore } from '../pipeline/helpers.ts';

const tmp = tempStore('kubeherald-audit-cli-');
const MIN = 60_000;
const NOW = T0 + 3 * 3600_000;
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'kubeherald.js');

const base = { platform: 'console', channel: 'console', writes: false, decision: 'allowed', outcome: 'ok', durationMs: 12 } as const;
const ENTRIES: AuditEntry[] = [
  { ...base, at: T0, platformUserId: 'alice', identity: { user: 'alice@corp', groups: ['demo-editors'] }, text: 'logs crashloop -n demo --previous', command: 'logs crashloop -n demo --previous', verb: 'logs', target: 'pods/crashloop in demo' },
  { ...base, at: T0 + 2 * 3600_000, platformUserId: 'alice', identity: { user: 'alice@corp', groups: [] }, text: 'restart deployment web -n demo', command: 'restart deployment web -n demo', verb: 'restart', target: 'deployments/web in demo', writes: true, durationMs: 1500 },
  { ...base, at: T0 + 2 * 3600_000 + MIN, platform: 'slack', channel: 'C0OPS', platformUserId: 'U02BOB', platformUserName: 'bob', identity: { user: 'bob@corp', groups: [] }, text: 'scale deployment web 0', command: 'scale deployment web 0 -n demo', verb: 'scale', target: 'deployments/web in demo', writes: true, decision: 'denied', outcome: 'denied', error: 'bob (k8s user bob@corp) may not patch deployments/scale in demo' },
  { ...base, at: T0 + 2 * 3600_000 + 2 * MIN, platformUserId: 'mallory', text: 'whoami', command: 'whoami', verb: 'whoami', decision: 'unmapped' },
  { ...base, at: T0 + 2 * 3600_000 + 3 * MIN, platformUserId: 'mallory', text: 'pods \u001b[2J\u001b]0;pwned\u0007 \u202Etxt.exe', decision: 'invalid', outcome: 'invalid', error: 'unknown flag' },
];

before(() => {
  const store = tmp.open();
  for (const e of ENTRIES) store.audit.append(e);
  store.close();
});
after(() => tmp.cleanup());

async function audit(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  const program = new Command().exitOverride();
  registerAudit(program, { stdout: out, stderr: err, now: () => NOW });
  await program.parseAsync(['audit', ...args], { from: 'user' });
  return { stdout, stderr };
}

describe('kubeherald audit list', () => {
  it('a table, newest last, with who acted as whom, what, on what, the decision and how long', async () => {
    const { stdout, stderr } = await audit('list', '--state', tmp.path);
    assert.equal(stderr, '');
    const lines = stdout.trimEnd().split('\n');
    assert.equal(lines.length, 6);
    assert.match(lines[0], /^TIME +PLATFORM +USER +AS +COMMAND +TARGET +DECISION +OUTCOME +DURATION$/);
    assert.match(lines[1], /^2025-03-04T12:00:00Z +console +alice +alice@corp +logs crashloop -n demo --previous +pods\/crashloop in demo +allowed +ok +12ms$/);
    assert.match(lines[2], /^2025-03-04T14:00:00Z +console +alice +alice@corp +restart deployment web -n demo +deployments\/web in demo +allowed +ok +1\.5s$/);
    assert.match(lines[3], /^2025-03-04T14:01:00Z +slack +U02BOB \(bob\) +bob@corp +scale deployment web 0 -n demo +deployments\/web in demo +denied +denied +12ms$/);
    assert.match(lines[4], /^2025-03-04T14:02:00Z +console +mallory +- +whoami +- +unmapped +ok +12ms$/);
  });

  it('chat text never reaches the terminal raw: escape sequences and bidi overrides are shown escaped', async () => {
    const { stdout } = await audit('list', '--state', tmp.path, '--user', 'mallory');
    assert.equal(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/.test(stdout), false, JSON.stringify(stdout));
    assert.match(stdout, /invalid +invalid/);
    assert.match(stdout, /\\u001b/);
    assert.match(stdout, /\\u202e/);
  });

  it('--user (chat id, chat name or Kubernetes user), --since, --limit keeping the newest', async () => {
    const commands = async (...args: string[]) =>
      (JSON.parse((await audit('list', '--state', tmp.path, '-o', 'json', ...args)).stdout) as AuditEntry[]).map((e) => e.text);
    assert.deepEqual(await commands('--user', 'alice'), [ENTRIES[0].text, ENTRIES[1].text]);
    assert.deepEqual(await commands('--user', 'bob'), [ENTRIES[2].text]);
    assert.deepEqual(await commands('--user', 'bob@corp'), [ENTRIES[2].text]);
    assert.deepEqual(await commands('--since', '1h30m'), ENTRIES.slice(1).map((e) => e.text));
    assert.deepEqual(await commands('--since', '2h', '--user', 'alice'), [ENTRIES[1].text]);
    const limited = await audit('list', '--state', tmp.path, '--limit', '2', '-o', 'json');
    assert.deepEqual(
      (JSON.parse(limited.stdout) as AuditEntry[]).map((e) => e.platformUserId),
      ['mallory', 'mallory'],
    );
    assert.equal(limited.stderr, 'showing the newest 2; older ones match too (--limit N, --since)\n');
  });

  it('JSON has every field, the identity as an object, and the time in ISO form', async () => {
    const [first] = JSON.parse((await audit('list', '--state', tmp.path, '-o', 'json', '--limit', '5')).stdout) as (AuditEntry & { time: string })[];
    assert.deepEqual(first, { id: 1, time: '2025-03-04T12:00:00.000Z', ...ENTRIES[0] });
  });

  it('says so when nothing matches', async () => {
    assert.equal((await audit('list', '--state', tmp.path, '--user', 'nobody')).stdout, 'no chat commands recorded\n');
  });

  it('refuses bad flags by name, before opening anything', async () => {
    const missing = join(tmp.dir, 'not-there.db');
    const bad: [string[], RegExp][] = [
      [['--since', '1 hour'], /^Error: audit list: --since: expected a duration such as 30m, 1h, 1h30m or 7d \(units ms, s, m, h, d\), got "1 hour"$/],
      [['--since', '-1h'], /^Error: audit list: --since: expected a duration/],
      [['--since', '0s'], /^Error: audit list: --since: expected a duration greater than zero, got "0s"$/],
      [['--limit', '0'], /^Error: audit list: --limit: expected a whole number ≥ 1, got "0"$/],
      [['--limit', '1e3'], /^Error: audit list: --limit: /],
      [['-o', 'yaml'], /^Error: audit list: -o\/--output: expected table or json, got "yaml"$/],
      [['--user', ' '], /^Error: audit list: --user: /],
    ];
    for (const [args, want] of bad) await assert.rejects(audit('list', '--state', missing, ...args), want, args.join(' '));
    assert.equal(existsSync(missing), false);
    await assert.rejects(audit('list', '--state', missing), /no state database at/);
    assert.equal(existsSync(missing), false, 'never created');
  });

  it('takes the state file from the config, and refuses an in-memory one', async () => {
    const cfg = join(tmp.dir, 'kubeherald.yaml');
    writeFileSync(cfg, 'state:\n  path: state.db\n');
    assert.match((await audit('list', '-c', cfg, '--limit', '1')).stdout, /mallory/);
    writeFileSync(cfg, 'state:\n  path: ":memory:"\n');
    await assert.rejects(audit('list', '-c', cfg), /state\.path is :memory:/);
  });

  it('as a process: exit status 1 and the flag named on stderr', async () => {
    const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [BIN, 'audit', 'list', '--state', tmp.path, '--since', 'yesterday'], (err, _out, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr })),
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^kubeherald: audit list: --since: expected a duration/);
  });
});

describe('durations', () => {
  it('Go-style, with days', () => {
    assert.equal(parseGoDuration('90s'), 90_000);
    assert.equal(parseGoDuration('1h30m'), 5_400_000);
    assert.equal(parseGoDuration('1.5h'), 5_400_000);
    assert.equal(parseGoDuration('7d'), 7 * 86_400_000);
    assert.equal(parseGoDuration('250ms'), 250);
    for (const bad of ['', 'h', '1', '1H', '1h 30m', '1w', 'm1']) assert.throws(() => parseGoDuration(bad), /expected a duration/, bad);
    assert.deepEqual(auditFilterOf({ since: '1h' }, T0), { filter: { since: T0 - 3600_000 }, limit: 100, output: 'table' });
  });
});
