// Hostile inputs get a clear error and a prompt exit: credential and config
// files that are not regular files (or too large), a state path under /proc,
// YAML and CEL nested deeper than the parsers can take. In-process through
// loadConfig, and as processes through `config validate` and `run`, whose
// exit is awaited (never timed). SIGTERM is honoured during start-up.

import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { checkRegularFile, readRegularFileSync } from '../../src/config-kit/files.ts';
import { MAX_YAML_NESTING, yamlNesting } from '../../src/config/load.ts';
import { celNesting, compileCel, MAX_CEL_NESTING } from '../../src/rules/cel.ts';
import { ensureDir, statePathProblem } from '../../src/store/state-path.ts';
import { readCredential } from '../../src/sinks/credential.ts';

const bin = join(import.meta.dirname, '../../bin/kubeherald.js');
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeherald-hardened-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function issuesOf(path: string): Promise<string[]> {
  try {
    await loadConfig({ file: path, env: {} });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

const deepYaml = (n: number) => `routes: ${'['.repeat(n)}${']'.repeat(n)}\n`;
const deepCel = (n: number) => `routes: [{name: r, match: {cel: "${'('.repeat(n)}true${')'.repeat(n)}"}, sinks: [console]}]\nstate: {path: ":memory:"}\n`;

describe('files a config names', () => {
  it('only regular files within 1 MiB are read', () => {
    assert.match(checkRegularFile('/dev/zero') ?? '', /is a character device, not a regular file/);
    assert.match(checkRegularFile(dir) ?? '', /is a directory/);
    const big = file('big', 'x'.repeat(1024 * 1024 + 1));
    assert.match(checkRegularFile(big) ?? '', /larger than 1 MiB/);
    assert.throws(() => readRegularFileSync('/dev/zero'), /character device/);
    assert.equal(readRegularFileSync(file('ok', 'token\n')).toString(), 'token\n');
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    // opening a FIFO with no writer must not hang: it is refused at once
    assert.match(checkRegularFile(join(dir, 'fifo')) ?? '', /named pipe/);
  });

  it('a credential from /dev/zero fails naming the sink and the key, without reading it', () => {
    assert.throws(
      () => readCredential({ file: '/dev/zero' }, { owner: 'webhook sink "a"', key: 'secretFrom', env: {} }),
      (e: unknown) => e instanceof ConfigError && e.issues[0].message === 'webhook sink "a" (secretFrom.file): cannot read: is a character device, not a regular file',
    );
  });

  it('loadConfig refuses /dev/zero as a credential and as the config itself, and a state path under /proc', async () => {
    assert.deepEqual(await issuesOf(file('zero.yaml', 'sinks: [{name: a, type: webhook, urls: ["https://x.example/"], secretFrom: {file: /dev/zero}}]\n')), [
      'sinks[0].secretFrom.file: /dev/zero is a character device, not a regular file',
    ]);
    assert.deepEqual(await issuesOf('/dev/zero'), [': cannot read the config file: is a character device, not a regular file']);
    assert.deepEqual(await issuesOf(file('proc.yaml', 'state: {path: /proc/x/y.db}\n')), ['state.path: /proc/x/y.db is under /proc, not a real file system']);
    assert.deepEqual(await issuesOf(file('sys.yaml', 'state: {path: /sys/kernel/k.db}\n')), ['state.path: /sys/kernel/k.db is under /sys, not a real file system']);
    assert.deepEqual(await issuesOf(file('url.yaml', 'state: {url: "postgres://kubeherald@db.example:5432/kubeherald", path: /proc/x/y.db}\n')), [], 'with state.url, state.path is never opened');
    const notDir = file('plain', '');
    assert.deepEqual(await issuesOf(file('under-file.yaml', `state: {path: ${notDir}/sub/state.db}\n`)), [`state.path: ${notDir} is not a directory, so ${notDir}/sub cannot be created`]);
  });

  it('the state directory is created once, never in a loop', () => {
    assert.match(statePathProblem('/proc/x/y.db') ?? '', /under \/proc/);
    assert.throws(() => ensureDir('/proc/kubeherald-x/y'), /cannot create \/proc\/kubeherald-x/);
    ensureDir(join(dir, 'a', 'b', 'c'));
    assert.equal(statePathProblem(join(dir, 'a', 'b', 'c', 'state.db')), undefined);
  });
});

describe('nesting', () => {
  it('YAML deeper than the limit: "nested too deeply" with its line, not a stack overflow', async () => {
    assert.equal(yamlNesting('a:\n  b:\n    c: [1, {d: [2]}]\n').depth, 6);
    assert.deepEqual(await issuesOf(file('deep.yaml', deepYaml(5000))), [`: invalid YAML: nested too deeply (limit ${MAX_YAML_NESTING})`]);
    assert.deepEqual(await issuesOf(file('deep-map.yaml', `x: ${'{a: '.repeat(3000)}1${'}'.repeat(3000)}\n`)), [`: invalid YAML: nested too deeply (limit ${MAX_YAML_NESTING})`]);
    const block = Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
    assert.deepEqual(await issuesOf(file('deep-block.yaml', `${block} 1\n`)), [`: invalid YAML: nested too deeply (limit ${MAX_YAML_NESTING})`]);
    // within the limit, an ordinary schema error
    assert.match((await issuesOf(file('ok-depth.yaml', deepYaml(20))))[0], /^routes\[0\]/);
  });

  it('CEL deeper than the limit names the field; strings do not count', async () => {
    assert.equal(celNesting('(a && (b || [1, 2][0] == 1)) && "((((("'), 3);
    const r = compileCel(`${'('.repeat(2040)}true${')'.repeat(2040)}`);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error, `nested too deeply (limit ${MAX_CEL_NESTING})`);
    assert.deepEqual(await issuesOf(file('deep-cel.yaml', deepCel(2040))), [`routes[0].match.cel: nested too deeply (limit ${MAX_CEL_NESTING})`]);
    assert.ok(compileCel(`${'('.repeat(MAX_CEL_NESTING)}true${')'.repeat(MAX_CEL_NESTING)}`).ok);
    const chain = compileCel(Array(1000).fill('true').join(' && '));
    assert.ok(chain.ok || /nested too deeply/.test(chain.error));
  });
});

/** Runs the CLI to its exit (awaited, not timed). */
function cli(args: string[], onStderr?: (text: string, child: ChildProcess) => void): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    c.stdout.resume();
    c.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr, c);
    });
    c.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('config validate and run as processes', () => {
  const unreachable = () =>
    file(
      'unreachable.kubeconfig',
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n',
    );

  it('/dev/zero, /proc and deep nesting: exit 1 with the key named', async () => {
    const cases: [string, RegExp][] = [
      [file('p-zero.yaml', 'sinks: [{name: a, type: webhook, urls: ["https://x.example/"], secretFrom: {file: /dev/zero}}]\n'), /sinks\[0\]\.secretFrom\.file: \/dev\/zero is a character device, not a regular file/],
      [file('p-proc.yaml', 'state: {path: /proc/x/y.db}\n'), /state\.path: \/proc\/x\/y\.db is under \/proc, not a real file system/],
      [file('p-deep.yaml', deepYaml(5000)), /invalid YAML: nested too deeply \(limit 64\)/],
      [file('p-cel.yaml', deepCel(2040)), /routes\[0\]\.match\.cel: nested too deeply \(limit 32\)/],
    ];
    const kubeconfig = unreachable();
    for (const [config, why] of cases) {
      const v = await cli(['config', 'validate', config]);
      assert.equal(v.code, 1, v.stderr);
      assert.match(v.stderr, why);
      assert.doesNotMatch(v.stderr, /Maximum call stack|RangeError/);
      const r = await cli(['run', '--config', config, '--kubeconfig', kubeconfig]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, why);
    }
  });

  it('SIGTERM during start-up (the API server unreachable) stops run', async () => {
    const config = file('p-ok.yaml', 'sinks: [{name: console, type: console}]\nstate: {path: ":memory:"}\n');
    let sent = false;
    const r = await cli(['run', '--config', config, '--kubeconfig', unreachable()], (text, child) => {
      // once it says it is starting, its handlers are in place
      if (!sent && /"msg":"starting"/.test(text)) {
        sent = true;
        child.kill('SIGTERM');
      }
    });
    assert.ok(sent, r.stderr);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /stopped during start-up/);
  });
});
