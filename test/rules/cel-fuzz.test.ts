// Fuzzing the CEL compiler: 10,000 generated expressions (well-formed ones
// from a grammar with every operator, macro and literal form; deep
// nesting; long operator and member chains; odd unicode; huge literals;
// random edits and token soup). compileCel never throws: it compiles, or
// says why in words (never a raw stack overflow); what compiles evaluates
// to a value or an error, never an exception.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { celBindings, compileCel } from '../../src/rules/index.ts';
import { describeInput, FUZZ_SEED, fuzzCount, fuzzIndices, Rng } from '../helpers/fuzz.ts';
import { notification } from './helpers.ts';

const VARIABLES = ['object', 'kind', 'ns', 'name', 'owner', 'reason', 'title', 'message', 'severity', 'state', 'cluster', 'detector', 'eventType', 'user', 'groups', 'labels', 'fields', 'count', 'incidentKey'];
const UNKNOWN = ['namespace', 'x', 'pod', 'request', 'self', 'has', 'all', 'in', 'null', 'dyn', 'type', 'int', '_', '__proto__', 'constructor'];
const FIELDS = ['kind', 'namespace', 'name', 'uid', 'app', 'apiVersion', 'x', '__proto__', 'size'];
const METHODS = ['size()', 'startsWith("a")', 'endsWith("b")', 'contains("c")', 'matches("^[a-z]+$")', 'matches("(a+)+$")', 'matches("[")', 'lowerAscii()', 'upperAscii()', 'trim()', 'split(",")', 'join("-")', 'charAt(0)', 'indexOf("x")', 'replace("a", "b")', 'substring(1)', 'unknownMethod()'];
const MACROS = ['all', 'exists', 'exists_one', 'map', 'filter'];
const BINARY = ['==', '!=', '<', '<=', '>', '>=', '&&', '||', '+', '-', '*', '/', '%', 'in'];

function literal(r: Rng): string {
  switch (r.int(0, 13)) {
    case 0: return String(r.int(-100, 1e6));
    case 1: return `${r.int(0, 1e6)}u`;
    case 2: return `${r.next() * 1e6}`;
    case 3: return r.pick(['true', 'false', 'null']);
    case 4: return JSON.stringify(r.string(r.int(0, 10), 'abcdefgh -_.'));
    case 5: return `'${r.string(r.int(0, 10), 'xyz"')}'`;
    case 6: return `r"${r.string(r.int(0, 8), 'a\\b.*')}"`;
    case 7: return `b"${r.string(r.int(0, 6), 'ab')}\\xff"`;
    case 8: return `"""${r.string(r.int(0, 10), 'a"\n')}"""`;
    case 9: return `"\\u${r.string(4, '0123456789abcdef')}\\U0001F600\\x41\\101\\n"`;
    case 10: return `0x${r.string(r.int(1, 12), '0123456789abcdefABCDEF')}`;
    case 11: return r.pick(['9223372036854775807', '-9223372036854775808', '9223372036854775808', '18446744073709551615u', '18446744073709551616u', '1e308', '1e309', '.5', '1.', '-0.0']);
    case 12: return JSON.stringify(r.unicode(r.int(0, 8)));
    default: return `"${r.string(r.int(0, 4), 'a')}"`;
  }
}

function expr(r: Rng, depth: number): string {
  if (depth <= 0 || r.chance(0.25)) return r.chance(0.5) ? r.pick(r.chance(0.9) ? VARIABLES : UNKNOWN) : literal(r);
  const d = depth - 1;
  switch (r.int(0, 11)) {
    case 0: return `${expr(r, d)} ${r.pick(BINARY)} ${expr(r, d)}`;
    case 1: return `(${expr(r, d)})`;
    case 2: return `${r.pick(['!', '-', '!!', '--'])}${expr(r, d)}`;
    case 3: return `${expr(r, d)} ? ${expr(r, d)} : ${expr(r, d)}`;
    case 4: return `${r.pick(['labels', 'fields', 'object', 'owner', expr(r, d)])}.${r.pick(FIELDS)}`;
    case 5: return `${r.pick(['labels', 'groups', 'fields', expr(r, d)])}[${expr(r, d)}]`;
    case 6: return `${r.pick(['reason', 'message', 'name', 'groups', expr(r, d)])}.${r.pick(METHODS)}`;
    case 7: return `${r.pick(['groups', 'labels', '[1, 2, 3]', '{"a": 1}', expr(r, d)])}.${r.pick(MACROS)}(${r.pick(['g', 'x', '_', '1'])}, ${expr(r, d)})`;
    case 8: return `[${Array.from({ length: r.int(0, 4) }, () => expr(r, d)).join(', ')}]`;
    case 9: return `{${Array.from({ length: r.int(0, 3) }, () => `${expr(r, d)}: ${expr(r, d)}`).join(', ')}}`;
    case 10: return `${r.pick(['has', 'size', 'int', 'uint', 'double', 'string', 'bytes', 'type', 'dyn', 'duration', 'timestamp', 'matches', 'nope'])}(${expr(r, d)})`;
    default: return `${expr(r, d)} ${r.pick(['&&', '||'])} ${expr(r, d)}`;
  }
}

function deepNesting(r: Rng): string {
  const depth = r.pick([r.int(1, 40), r.int(28, 36), r.int(40, 600), r.int(600, 4000)]);
  const inner = r.pick(['true', 'reason == "x"', 'count > 1']);
  switch (r.int(0, 4)) {
    case 0: return '('.repeat(depth) + inner + ')'.repeat(depth);
    case 1: return '['.repeat(depth) + '1' + ']'.repeat(depth) + '.size() > 0';
    case 2: return '{"a": '.repeat(depth) + '1' + '}'.repeat(depth) + ' != null';
    case 3: return 'groups.exists(g, '.repeat(Math.min(depth, 200)) + 'true' + ')'.repeat(Math.min(depth, 200));
    default: return '('.repeat(depth); // unclosed
  }
}

function longChain(r: Rng): string {
  // mostly what fits a Route's 4,096 characters; now and then longer
  const n = r.chance(0.05) ? r.int(250, 1500) : r.pick([r.int(2, 50), r.int(50, 250)]);
  switch (r.int(0, 5)) {
    case 0: return Array(n).fill('reason == "x"').join(r.pick([' && ', ' || ']));
    case 1: return `${Array(n).fill('count').join(' + ')} > 0`;
    case 2: return `${r.pick(['!', '-'])}`.repeat(n) + r.pick(['true', 'count']);
    case 3: return `labels${'.a'.repeat(n)} == "x"`;
    case 4: return `${Array(n).fill('true ? ').join('')}true${Array(n).fill(' : false').join('')}`;
    default: return `${'reason.lowerAscii()'}${'.lowerAscii()'.repeat(n)} == "x"`;
  }
}

function hugeLiteral(r: Rng): string {
  const n = r.pick([1000, 4096, 20_000]);
  switch (r.int(0, 4)) {
    case 0: return `reason == "${'a'.repeat(n)}"`;
    case 1: return `count == ${'9'.repeat(r.int(20, n))}`;
    case 2: return `reason == "${'\\u00e9'.repeat(n / 6)}"`;
    case 3: return `reason in [${Array(Math.min(n, 5000)).fill('"x"').join(', ')}]`;
    default: return `count == ${r.next()}e${r.int(-400, 400)}`;
  }
}

function oddUnicode(r: Rng): string {
  const s = r.unicode(r.int(1, 60));
  return r.pick([s, `reason == "${s.replace(/["\\\n\r]/g, '')}"`, `${s} == reason`, `labels["${s.replace(/["\\\n\r]/g, '')}"] == "x"`, `reason\u200b == "x"`, `re\u0430son == "x"`]);
}

function edit(r: Rng, s: string): string {
  const tokens = ['(', ')', '[', ']', '{', '}', '"', "'", '\\', '.', ',', ':', '?', '!', '&&', '||', ' in ', '\n', '\u0000', '`', '#', '$', r.unicode(2)];
  let out = s;
  for (let i = r.int(1, 6); i > 0; i--) {
    const at = r.int(0, out.length);
    out = r.chance(0.6) ? out.slice(0, at) + r.pick(tokens) + out.slice(at) : out.slice(0, at) + out.slice(at + r.int(1, 5));
  }
  return out;
}

function soup(r: Rng): string {
  const tokens = [...VARIABLES, ...UNKNOWN, ...BINARY, '(', ')', '[', ']', '{', '}', '.', ',', ':', '?', '!', '"s"', '1', '2u', '3.0', ' ', 'size', 'all', 'x', '=>', '->'];
  let s = '';
  for (let i = r.int(1, 40); i > 0; i--) s += r.pick(tokens) + (r.chance(0.5) ? ' ' : '');
  return s;
}

const KINDS = ['grammar', 'deep nesting', 'long chain', 'huge literal', 'odd unicode', 'edited', 'token soup'] as const;
type Kind = (typeof KINDS)[number];

function generate(index: number): { kind: Kind; source: string } {
  const r = new Rng(FUZZ_SEED, index);
  const kind = r.pick(KINDS);
  switch (kind) {
    case 'grammar': return { kind, source: expr(r, r.int(1, 7)) };
    case 'deep nesting': return { kind, source: deepNesting(r) };
    case 'long chain': return { kind, source: longChain(r) };
    case 'huge literal': return { kind, source: hugeLiteral(r) };
    case 'odd unicode': return { kind, source: oddUnicode(r) };
    case 'edited': return { kind, source: edit(r, expr(r, r.int(1, 5))) };
    default: return { kind, source: soup(r) };
  }
}

describe('CEL compiler fuzz', () => {
  const count = fuzzCount(10_000);
  const bindings = celBindings(notification({ labels: { app: 'web', a: 'x' }, user: { username: 'alice', groups: ['sre', 'dev'], uid: '', extra: {} } } as never));

  it(`compileCel: ${count} generated expressions compile or say why; what compiles evaluates without throwing`, () => {
    const tally = new Map<string, { ok: number; errors: number; ms: number }>();
    for (const index of fuzzIndices(count)) {
      const started = performance.now();
      const { kind, source } = generate(index);
      const what = describeInput(kind, index, source);
      const t = tally.get(kind) ?? { ok: 0, errors: 0, ms: 0 };
      tally.set(kind, t);
      let c: ReturnType<typeof compileCel>;
      try {
        c = compileCel(source);
      } catch (err) {
        assert.fail(`${what}: compileCel threw ${(err as Error)?.name}: ${(err as Error)?.message}`);
      }
      assert.equal(c.source, source);
      t.ms -= started;
      if (!c.ok) {
        t.errors++;
        t.ms += performance.now();
        assert.equal(typeof c.error, 'string', what);
        assert.ok(c.error.trim().length > 0, `${what}: an empty error`);
        assert.doesNotMatch(c.error, /Maximum call stack|\[object Object\]|^undefined$|is not a function|Cannot read propert/, `${what}: not a compile error a person can act on: ${c.error}`);
        continue;
      }
      t.ok++;
      let r: ReturnType<typeof c.evaluate>;
      try {
        r = c.evaluate(bindings);
      } catch (err) {
        assert.fail(`${what}: evaluate threw ${(err as Error)?.name}: ${(err as Error)?.message}`);
      }
      assert.ok('value' in r ? typeof r.value === 'boolean' : typeof r.error === 'string', `${what}: evaluate gave ${JSON.stringify(r)}`);
      t.ms += performance.now();
    }
    if (process.env.FUZZ_PROFILE) console.log(tally);
    if (process.env.FUZZ_ONLY === undefined) {
      const all = [...tally.values()];
      assert.ok(all.some((t) => t.ok > 0) && all.some((t) => t.errors > 0), `outcomes: ${JSON.stringify(Object.fromEntries(tally))}`);
      // the grammar makes expressions that type-check, not only ones refused at the first token
      assert.ok(tally.get('grammar')!.ok >= 20, `grammar outcomes: ${JSON.stringify(tally.get('grammar'))}`);
    }
  });

  it('nesting past the limit says so, brackets or operator chains alike', () => {
    assert.match((compileCel(`${'('.repeat(2040)}true${')'.repeat(2040)}`) as { error: string }).error, /nested too deeply \(limit 32\)/);
    const chain = compileCel(`${'!'.repeat(20_000)}true`);
    if (!chain.ok) assert.match(chain.error, /nested too deeply|too many nested operators/);
  });
});
