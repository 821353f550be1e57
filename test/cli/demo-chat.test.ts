// `kubeherald demo --chat` and `kubeherald audit list` as processes, the way
// the README tells a newcomer to try ChatOps: commands piped in as alice (may
// edit namespace demo), bob (may view it) and mallory (not mapped), then the
// audit trail they left.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const bin = join(import.meta.dirname, '../../bin/kubeherald.js');

/**
 * Runs the CLI with `input` on stdin. `answer`, when given, sees stdout as it
 * grows and returns the next line to type once it knows it (a request id
 * from a preview), or undefined to keep waiting; stdin ends after its last.
 */
function runCli(args: string[], input: string, cwd: string, answer?: (out: string) => string | undefined | null): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (!answer) return;
    const next = answer(out);
    if (next === null) {
      answer = undefined;
      child.stdin.end();
    } else if (next !== undefined) child.stdin.write(next);
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  if (answer) child.stdin.write(input);
  else child.stdin.end(input);
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
}

/** Types `confirm <id>` for the first preview shown, then ends the input once its result is printed. */
function confirmFirst(): (out: string) => string | undefined | null {
  let sent = false;
  return (out) => {
    const id = /type: confirm ([A-Za-z0-9_-]+)/.exec(out)?.[1];
    if (!sent && id) {
      sent = true;
      return `confirm ${id}\n`;
    }
    return sent && /(Done|Failed|Nothing was written)/.test(out) ? null : undefined;
  };
}

describe('kubeherald demo --chat', () => {
  // every run shares one state file, as a newcomer's runs in one directory do
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-demo-chat-'));
  const cfg = join(dir, 'kubeherald.yaml');
  writeFileSync(cfg, `state:\n  path: ${join(dir, 'state.db')}\n`);
  const commands = 'logs crashloop -n demo --previous\nrestart deployment web -n demo\n';

  it('alice reads the previous container log, previews a restart and confirms it', async () => {
    const r = await runCli(['demo', '--chat', '--as', 'alice', '--config', cfg], commands, dir, confirmFirst());
    assert.equal(r.code, 0, r.out + r.err);
    // what the crash-looping container printed before it exited 1
    assert.match(r.out, /fatal: could not connect to database at db:5432: connection refused\nexiting with status 1/);
    assert.match(r.out, /Preview \(dry run as alice@example\.com\): nothing has changed yet\.\ndeployment demo\/web: restart: \d+ pods? will be replaced/);
    assert.match(r.out, /Done: deployment\.apps\/web restarted/);
    assert.doesNotMatch(r.out, /denied/);
  });

  it('bob is refused by RBAC with the verb and the resource named, and nothing is restarted', async () => {
    const r = await runCli(['demo', '--chat', '--as', 'bob', '--config', cfg], 'restart deployment web -n demo\n', dir);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /denied: .*bob@example\.com.* may not patch deployments.* demo/);
    assert.doesNotMatch(r.out, /restarted/);
  });

  it('mallory is not mapped', async () => {
    const r = await runCli(['demo', '--chat', '--as', 'mallory', '--config', cfg], 'whoami\npods -n demo\n', dir);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /mallory .* is not mapped to a Kubernetes identity/);
    assert.match(r.out, /denied: .*not mapped/);
  });

  it('audit list shows all of it', async () => {
    const r = await runCli(['audit', 'list', '--config', cfg, '-o', 'json'], '', dir);
    assert.equal(r.code, 0, r.out + r.err);
    const entries = JSON.parse(r.out) as { platformUserId: string; command?: string; decision: string; outcome: string; identity?: { user: string } }[];
    const seen = entries.map((e) => `${e.platformUserId} ${e.command ?? '-'} ${e.decision} ${e.outcome}`);
    assert.deepEqual(seen, [
      'alice logs crashloop -n demo --previous allowed ok',
      'alice restart deployment web -n demo allowed pending',
      'alice restart deployment web -n demo allowed ok',
      'alice restart deployment web -n demo allowed ok',
      'bob restart deployment web -n demo denied denied',
      'mallory whoami unmapped ok',
      'mallory pods -n demo unmapped denied',
    ]);
    assert.equal(entries[0].identity?.user, 'alice@example.com');
    const table = await runCli(['audit', 'list', '--config', cfg, '--user', 'bob'], '', dir);
    assert.equal(table.code, 0, table.out + table.err);
    assert.match(table.out, /bob@example\.com/);
    assert.doesNotMatch(table.out, /alice/);
  });

  it('scaling to 0 needs a second person: alice confirms, `as carol` approves with no id typed, it runs once; audit list shows who asked, approved, ran as whom, and the result', async () => {
    const own = mkdtempSync(join(tmpdir(), 'kubeherald-demo-approve-'));
    const ownCfg = join(own, 'kubeherald.yaml');
    writeFileSync(ownCfg, `state:\n  path: ${join(own, 'state.db')}\n`);
    const r = await runCli(['demo', '--chat', '--as', 'alice', '--config', ownCfg], 'scale deployment web 0 -n demo\nconfirm\nas carol\napprove\napprove\n', own);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /Preview \(dry run as alice@example\.com\): nothing has changed yet\.\ndeployment demo\/web: replicas \d+ → 0/);
    assert.match(r.out, /After you confirm, one approval from someone other than the requester .* is needed \(scaling to 0\)/);
    assert.match(r.out, /Approval needed for request/);
    assert.match(r.out, /You are carol now\./);
    assert.match(r.out, /Done: deployment\.apps\/web scaled/);
    // the second approve finds nothing waiting: it ran once
    assert.match(r.out, /There is no request waiting for approval/);
    assert.equal(r.out.match(/Done: /g)?.length, 1);
    const audit = await runCli(['audit', 'list', '--config', ownCfg, '-o', 'json'], '', own);
    assert.equal(audit.code, 0, audit.out + audit.err);
    const entries = JSON.parse(audit.out) as { platformUserId: string; text: string; outcome: string; identity?: { user: string } }[];
    const lines = entries.map((e) => `${e.platformUserId} ${e.identity?.user ?? '-'} ${e.outcome} ${e.text.split('\n')[0]}`);
    assert.ok(lines.some((l) => /^alice alice@example\.com pending scale deployment web 0 -n demo$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^carol carol@example\.com ok approve \S+$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^alice alice@example\.com ok execute \S+ approved by carol \(carol@example\.com\)$/.test(l)), lines.join('\n'));
  });
});
