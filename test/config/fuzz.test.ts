// Fuzzing the config loader: 10,000 generated files (the example config with
// wrong types and unknown keys, random structures, deep nesting, alias and
// merge-key bombs, huge scalars, tags, random edits of the text). Every one
// is either a config or a ConfigError whose issues say where (a key path or
// a line) and what, never a raw stack overflow, another exception, or an
// expansion that runs away. A part goes through loadConfig from a file.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { ConfigError, loadConfig, parseConfigText } from '../../src/config/index.ts';
import { describeInput, FUZZ_SEED, fuzzCount, fuzzIndices, Rng } from '../helpers/fuzz.ts';

const example = readFileSync(new URL('../../examples/kubeherald.yaml', import.meta.url), 'utf8');
// the example may be mid-edit by someone else: a valid tree to mutate either way
const exampleTree = (() => {
  try {
    const t = parse(example) as unknown;
    return t && typeof t === 'object' ? t : { cluster: { name: 'default' } };
  } catch {
    return { cluster: { name: 'default' } };
  }
})();

const KNOWN_KEYS = ['cluster', 'watch', 'detectors', 'sinks', 'routes', 'state', 'metrics', 'health', 'log', 'audit', 'chatops', 'plugins', 'customResources', 'pipeline', 'name', 'type', 'url', 'listen', 'enabled', 'path', 'when', 'to', 'tokenFrom', 'env', 'file', 'namespaces', 'include', 'exclude', 'channels', '<<'];

function scalar(r: Rng): unknown {
  switch (r.int(0, 11)) {
    case 0: return r.int(-1e6, 1e6);
    case 1: return r.next() * 1e300 * (r.chance(0.5) ? -1 : 1);
    case 2: return r.chance(0.5);
    case 3: return null;
    case 4: return r.unicode(r.int(0, 20));
    case 5: return r.string(r.int(0, 12), 'abcdefghijklmnopqrstuvwxyz-_.:/');
    case 6: return r.pick(['', '0.0.0.0:9090', ':9090', '127.0.0.1:99999', 'http://10.0.0.1/x', '~/x', '/proc/self/x', '/dev/zero', '{env: X}', '*', 'NaN', '.inf', '0x1F', '1e999', 'yes', 'no', 'on', 'off', '~', 'null']);
    case 7: return BigInt(r.int(0, 1e9)) ** BigInt(r.int(1, 5));
    case 8: return Number.MAX_SAFE_INTEGER + r.int(1, 100);
    case 9: return r.pick([Infinity, -Infinity, NaN, -0]);
    case 10: return new Date(r.int(-1e13, 1e13));
    default: return r.string(r.int(1, 8), 'xyz');
  }
}

function randomKey(r: Rng): string {
  return r.chance(0.6) ? r.pick(KNOWN_KEYS) : r.chance(0.5) ? r.string(r.int(1, 10), 'abcdefghijklmnopqrstuvwxyzABCDEF_-.') : r.unicode(r.int(1, 6));
}

function randomValue(r: Rng, depth: number): unknown {
  if (depth <= 0 || r.chance(0.35)) return scalar(r);
  if (r.chance(0.5)) return Array.from({ length: r.int(0, 5) }, () => randomValue(r, depth - 1));
  const o: Record<string, unknown> = {};
  for (let i = r.int(0, 5); i > 0; i--) o[randomKey(r)] = randomValue(r, depth - 1);
  return o;
}

/** A node of the example's tree with some nodes replaced, removed, or given unknown siblings, at rate p. */
function mutateTree(r: Rng, node: unknown, p: number): unknown {
  if (Array.isArray(node)) return node.map((v) => (r.chance(p * 3) ? randomValue(r, 2) : mutateTree(r, v, p))).filter(() => !r.chance(p));
  if (node && typeof node === 'object' && !(node instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      if (r.chance(p)) continue;
      out[r.chance(p) ? `${k}${r.pick(['x', 's', '_', ''])}` : k] = r.chance(p) ? randomValue(r, 3) : mutateTree(r, v, p);
    }
    if (r.chance(p)) out[randomKey(r)] = randomValue(r, 2);
    return out;
  }
  return r.chance(p) ? scalar(r) : node;
}

/** One or two of the example's sections, mutated: the whole example takes long to parse 10,000 times. */
function mutatedSections(r: Rng): unknown {
  const entries = Object.entries(exampleTree as Record<string, unknown>);
  const out: Record<string, unknown> = {};
  for (let i = r.int(1, 2); i > 0; i--) {
    const [k, v] = r.pick(entries);
    out[k] = v;
  }
  return mutateTree(r, out, r.pick([0, 0.01, 0.03, 0.1]));
}

/** A window of the example's lines (whole sections or not). */
function exampleWindow(r: Rng): string {
  const lines = example.split('\n');
  const from = r.int(0, lines.length - 1);
  return lines.slice(from, from + r.int(5, 80)).join('\n');
}

function toYaml(r: Rng, v: unknown): string {
  try {
    return stringify(v, { flowLevel: r.chance(0.2) ? r.int(0, 3) : undefined, lineWidth: 0 } as never);
  } catch {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) ?? 'null';
  }
}

function deepNesting(r: Rng): string {
  const depth = r.pick([r.int(1, 70), r.int(60, 70), r.int(70, 400), r.int(400, 3000)]);
  const at = r.pick(['', 'sinks: ', 'routes:\n  - when: ', 'watch:\n  resources: ', 'cluster:\n  name: ']);
  switch (r.int(0, 5)) {
    case 0: return at + '['.repeat(depth) + ']'.repeat(depth) + '\n';
    case 1: return at + '{a: '.repeat(depth) + '1' + '}'.repeat(depth) + '\n';
    case 2: return Array.from({ length: Math.min(depth, 300) }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n';
    case 3: return at + '\n' + '- '.repeat(depth) + 'x\n';
    case 4: return at + '['.repeat(depth); // unclosed
    default: {
      // flow nesting split over lines, with quotes and comments in between
      let s = at;
      for (let i = 0; i < depth; i++) s += r.pick(['[', '{k: ', '[ "]" , ', "['#', ", '[ # c\n']);
      return s + '1' + ']'.repeat(depth) + '\n';
    }
  }
}

function aliasBomb(r: Rng): string {
  const levels = r.int(2, 12);
  const fan = r.int(2, 10);
  const merge = r.chance(0.4);
  let s = merge ? 'x0: &x0 {a: 1, b: 2}\n' : 'x0: &x0 [lol, lol]\n';
  for (let i = 1; i <= levels; i++) {
    const refs = Array.from({ length: fan }, () => `*x${i - 1}`).join(', ');
    s += merge ? `x${i}: &x${i}\n  <<: [${refs}]\n  k${i}: [${refs}]\n` : `x${i}: &x${i} [${refs}]\n`;
  }
  const where = r.pick(['sinks', 'routes', 'cluster', 'detectors', 'unknownKey']);
  s += `${where}: *x${levels}\n`;
  if (r.chance(0.3)) s += 'self: &s [*s]\n'; // an alias to an anchor not yet finished
  if (r.chance(0.3)) s += `undefinedAlias: *nope${r.int(0, 9)}\n`;
  return s;
}

function hugeScalar(r: Rng): string {
  const n = r.pick([10_000, 50_000, 200_000]);
  switch (r.int(0, 4)) {
    case 0: return `cluster:\n  name: ${'a'.repeat(n)}\n`;
    case 1: return `cluster:\n  name: "${r.unicode(Math.min(n, 50_000)).replace(/["\\]/g, '')}"\n`;
    case 2: return `${'k'.repeat(n)}: 1\n`;
    case 3: return `watch:\n  pageSize: ${'9'.repeat(r.int(20, 5000))}\n`;
    default: return `log:\n  level: |\n${'    line\n'.repeat(n / 100)}`;
  }
}

function tags(r: Rng): string {
  const tag = r.pick(['!!binary', '!!set', '!!omap', '!!pairs', '!!timestamp', '!!int', '!!float', '!!bool', '!!null', '!!str', '!!map', '!!seq', '!foo', '!<tag:yaml.org,2002:js/function>', '!!js/regexp', '!!python/object']);
  const value = r.pick(['AAAA', 'x', '[1, 2]', '{a: 1}', '2001-12-14t21:59:43.10-05:00', '0b101', '0o17', '.nan', '"\\u0000"', '? a\n  : b']);
  const key = r.pick(['cluster', 'watch', 'sinks', 'state', 'log']);
  return r.chance(0.5) ? `${key}: ${tag} ${value}\n` : `${key}:\n  ${r.pick(['name', 'path', 'level', 'pageSize'])}: ${tag} ${value}\n`;
}

function editText(r: Rng, text: string): string {
  const tokens = ['&a ', '*a', '!!', '%YAML 1.2\n', '---\n', '...\n', '\t', '? ', ': ', '- ', '|', '>-', '{', '}', '[', ']', ',', '#', '"', "'", '\\', '\u0000', '\ufeff', '\r\n', '<<: ', '@', '`', '\n  ', r.unicode(3)];
  let s = text;
  for (let i = r.int(1, 20); i > 0; i--) {
    const at = r.int(0, s.length);
    const op = r.int(0, 2);
    if (op === 0) s = s.slice(0, at) + r.pick(tokens) + s.slice(at);
    else if (op === 1) s = s.slice(0, at) + s.slice(at + r.int(1, 40));
    else s = s.slice(0, at) + String.fromCharCode(r.int(0, 255)) + s.slice(at + 1);
  }
  return s;
}

function soup(r: Rng): string {
  const tokens = ['a', 'b:', ' ', '\n', '  ', '- ', '[', ']', '{', '}', ',', ': ', '&x ', '*x', '!t ', '"q"', "'s'", '|\n', '# c\n', '? ', '<<: ', '---\n', '%TAG ! tag:x,2000:\n', 'sinks', 'routes', '1', '-1', '.5', 'true', '~'];
  let s = '';
  for (let i = r.int(1, 120); i > 0; i--) s += r.pick(tokens);
  return s;
}

const KINDS = ['mutated example', 'random structure', 'deep nesting', 'alias bomb', 'huge scalar', 'tags', 'edited text', 'token soup'] as const;
type Kind = (typeof KINDS)[number];

function generate(index: number): { kind: Kind; text: string } {
  const r = new Rng(FUZZ_SEED, index);
  // huge scalars are slow to build and parse: fewer of them
  const kind: Kind = r.chance(0.005) ? 'huge scalar' : r.pick(KINDS.filter((k) => k !== 'huge scalar'));
  switch (kind) {
    case 'mutated example': return { kind, text: toYaml(r, mutatedSections(r)) };
    case 'random structure': return { kind, text: toYaml(r, randomValue(r, r.int(1, 6))) };
    case 'deep nesting': return { kind, text: deepNesting(r) };
    case 'alias bomb': return { kind, text: aliasBomb(r) };
    case 'huge scalar': return { kind, text: hugeScalar(r) };
    case 'tags': return { kind, text: tags(r) };
    case 'edited text': return { kind, text: editText(r, exampleWindow(r)) };
    default: return { kind, text: soup(r) };
  }
}

/** The error a person can act on: a ConfigError, each issue naming the file and a key path or line, in words. */
function assertClearError(err: unknown, file: string, what: string): void {
  if (!(err instanceof ConfigError)) assert.fail(`${what}: threw ${(err as Error)?.name}: ${(err as Error)?.message ?? String(err)}`);
  assert.ok(err.issues.length > 0, `${what}: a ConfigError without issues`);
  for (const i of err.issues) {
    assert.equal(i.file, file, `${what}: issue names another file: ${i.file}`);
    assert.ok(i.message.trim().length > 0, `${what}: an issue without a message`);
    assert.doesNotMatch(i.message, /Maximum call stack|\[object Object\]|^undefined$|at .*\.ts:\d+/, `${what}: not a clear message: ${i.message}`);
    // where: a key, a line, or the file as a whole (its YAML, or the file itself)
    assert.ok(i.path !== '' || i.line !== undefined || /^(invalid YAML|cannot read the config file)/.test(i.message), `${what}: says neither where nor that the YAML is invalid: ${i.message}`);
  }
}

describe('config loader fuzz', () => {
  const count = fuzzCount(10_000);
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-config-fuzz-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`parseConfigText: ${count} generated files are a config or a clear ConfigError`, () => {
    const seen = new Map<string, { ok: number; errors: number; ms: number }>();
    for (const index of fuzzIndices(count)) {
      const started = performance.now();
      const { kind, text } = generate(index);
      const tally = seen.get(kind) ?? { ok: 0, errors: 0, ms: 0 };
      seen.set(kind, tally);
      try {
        parseConfigText(text, 'fuzz.yaml');
        tally.ok++;
      } catch (err) {
        assertClearError(err, 'fuzz.yaml', describeInput(kind, index, text));
        tally.errors++;
      }
      tally.ms += performance.now() - started;
    }
    if (process.env.FUZZ_PROFILE) console.log(seen);
    // the generators reach both outcomes, so the fuzz is not all rejected at the first byte
    if (process.env.FUZZ_ONLY === undefined) {
      const total = [...seen.values()].reduce((a, t) => ({ ok: a.ok + t.ok, errors: a.errors + t.errors }), { ok: 0, errors: 0 });
      assert.ok(total.ok > 0 && total.errors > 0, `outcomes: ${JSON.stringify(Object.fromEntries(seen))}`);
      assert.equal(seen.size, KINDS.length);
    }
  });

  it('alias bombs are refused without expanding (bounded alias count)', () => {
    // the classic: 9 levels of 9 aliases each would be 387 million strings
    let bomb = 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
    for (let i = 1; i <= 9; i++) bomb += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]\n`;
    bomb += 'sinks: *a9\n';
    assert.throws(() => parseConfigText(bomb, 'bomb.yaml'), (err: unknown) => {
      assertClearError(err, 'bomb.yaml', 'billion laughs');
      assert.match((err as ConfigError).message, /alias/i);
      return true;
    });
  });

  it(`loadConfig: ${Math.min(count, 300)} of them from a file give the same kind of outcome`, async () => {
    const file = join(dir, 'kubeherald.yaml');
    for (const index of fuzzIndices(count).slice(0, 300)) {
      const { kind, text } = generate(index);
      writeFileSync(file, text);
      try {
        await loadConfig({ file, env: {} });
      } catch (err) {
        assertClearError(err, file, describeInput(kind, index, text));
      }
    }
  });
});
