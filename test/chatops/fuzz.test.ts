// 100,000+ generated command texts through the parser: valid commands
// mutated with look-alike letters, direction marks, zero-width characters,
// shell syntax, huge and negative numbers, long runs and flag soup. The
// parser must never throw, and whatever it accepts must be a command the
// rest may act on unchecked: DNS-1123 names, numbers in range, plain ASCII,
// and its audit text must read back to the same command.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMANDS, commandTarget, FLAGS, formatCommand, isWrite, MAX_REPLICAS, MAX_SINCE_SECONDS, MAX_TAIL, requiredAccess } from '../../src/chatops/commands.ts';
import { parseCommand } from '../../src/chatops/grammar.ts';
import { helpReply } from '../../src/chatops/help.ts';
import { KINDS } from '../../src/chatops/kinds.ts';
import type { ParsedCommand } from '../../src/chatops/types.ts';
import { checkSelector } from '../../src/chatops/validate.ts';

const ITERATIONS = 100_000;
const SEED = Number(process.env.FUZZ_SEED ?? 0x6b756265);

/** mulberry32: small, seeded, good enough to spread mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID = [
  ...COMMANDS.flatMap((c) => c.examples),
  'pods -n demo -l app=web',
  "pods -l 'app in (a,b),!canary' -A",
  'get deploy web -n demo',
  'get nodes',
  'describe node sim-node-1',
  'logs crashloop -n demo --previous --tail 100 -c app --since 1h30m',
  'events --for deploy/web -n demo',
  'scale deployment web 3 -n demo',
  'kubectl scale --replicas=2 deployment/web',
  'restart deployment web -n demo',
  'rollout undo deployment web --to-revision 2',
  'cordon sim-node-1',
  'delete pod web-1 -n demo',
  'help scale',
  'whoami',
];

const LOOK_ALIKES = ['а', 'е', 'о', 'р', 'с', 'х', 'у', 'і', 'ѕ', 'ј', 'ԁ', 'һ', 'ӏ', 'А', 'В', 'Е', 'Κ', 'ο', 'ν', 'ρ', 'ı', 'ｗ', '３', '٣', '३', '𝐚', 'ﬁ'];
const INVISIBLE = ['\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\ufeff', '\u00a0', '\u00ad', '\u2028', '\u2029', '\u061c', '\u3000'];
const PUNCT = ['—', '–', '−', '“', '”', '‘', '’', '«', '»', '…', '😀', '🚀', '\u0301', '\ud800', '\udfff', '\u{10ffff}'];
const SHELL = [';', '|', '&', '$', '`', '>', '<', '\\', '*', '?', '{', '}', '[', ']', '~', '#', "'", '"', '(', ')', '!', '%', '=', ',', '/', ':', '@', '+', '^', '.', '-', '_'];
const CONTROL = ['\u0000', '\u0001', '\u0007', '\u0008', '\u001b', '\u007f', '\u0085', '\u009b', '\t', '\n', '\r', '\v', '\f'];
const NUMBERS = ['-1', '-0', '0', '1', '1000', '1001', '9007199254740993', '99999999999999999999999999', '1e3', '0x10', '3.5', '+3', '010', '-999999', 'NaN', 'Infinity', '1_000', '0.0001s', '168h', '604801s', '7d', '8d', '1h30m', '-5m', '99999999999999h'];
const FLAG_WORDS = [
  ...FLAGS.flatMap((f) => [`--${f.long}`, ...(f.short ? [`-${f.short}`] : [])]),
  '-o',
  '--force',
  '--all',
  '-pA',
  '---',
  '--',
  '-',
  '--namespace=',
  '-n=',
  '--previous=maybe',
  '-A=true',
  '--to-revision=0',
  '--replicas=-1',
  '-ldemo',
];
const WORDS = ['pods', 'get', 'describe', 'logs', 'events', 'scale', 'restart', 'rollout', 'status', 'history', 'undo', 'cordon', 'uncordon', 'delete', 'help', 'whoami', 'kubectl', 'deployment', 'pod', 'node', 'web', 'demo', ...KINDS.flatMap((k) => k.aliases)];

/** One generated text: a valid command, mutated a few times, or noise. */
function generate(rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const mode = rand();
  if (mode < 0.05) {
    // pure noise: random code points
    let s = '';
    const n = Math.floor(rand() * 40);
    for (let i = 0; i < n; i++) s += String.fromCodePoint(rand() < 0.7 ? 0x20 + Math.floor(rand() * 95) : Math.floor(rand() * 0x110000));
    return s;
  }
  if (mode < 0.12) {
    // word and flag soup
    const n = 1 + Math.floor(rand() * 10);
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(pick([pick(WORDS), pick(FLAG_WORDS), pick(NUMBERS), pick(FLAG_WORDS)]));
    return parts.join(rand() < 0.9 ? ' ' : '\t');
  }
  let text = pick(VALID);
  const mutations = Math.floor(rand() * 4);
  for (let m = 0; m < mutations; m++) {
    const words = text.split(' ');
    const at = Math.floor(rand() * (text.length + 1));
    const wi = Math.floor(rand() * words.length);
    switch (Math.floor(rand() * 14)) {
      case 0:
        text = text.slice(0, at) + pick(LOOK_ALIKES) + text.slice(at + (rand() < 0.5 ? 1 : 0));
        break;
      case 1:
        text = text.slice(0, at) + pick(INVISIBLE) + text.slice(at);
        break;
      case 2:
        text = text.slice(0, at) + pick(PUNCT) + text.slice(at);
        break;
      case 3:
        text = text.slice(0, at) + pick(SHELL) + text.slice(at);
        break;
      case 4:
        text = text.slice(0, at) + pick(CONTROL) + text.slice(at);
        break;
      case 5:
        words[wi] = pick(NUMBERS);
        text = words.join(' ');
        break;
      case 6:
        words.splice(wi, 0, pick(FLAG_WORDS), ...(rand() < 0.6 ? [pick([...NUMBERS, ...WORDS])] : []));
        text = words.join(' ');
        break;
      case 7: {
        // a long run of one character
        const ch = pick(['a', '-', '.', '9', ' ', 'A', 'а', '(', "'"]);
        text = text.slice(0, at) + ch.repeat(Math.floor(rand() * 1100)) + text.slice(at);
        break;
      }
      case 8:
        words.splice(wi, 1);
        text = words.join(' ');
        break;
      case 9:
        words.splice(wi, 0, words[Math.floor(rand() * words.length)] ?? '');
        text = words.join(' ');
        break;
      case 10:
        words[wi] = rand() < 0.5 ? words[wi].toUpperCase() : words[wi].replace(/^./, (c) => c.toUpperCase());
        text = words.join(' ');
        break;
      case 11:
        words[wi] = `${pick(["'", '"'])}${words[wi]}${rand() < 0.7 ? pick(["'", '"']) : ''}`;
        text = words.join(' ');
        break;
      case 12:
        words[wi] = `${words[wi]}=${pick([...NUMBERS, ...WORDS, ''])}`;
        text = words.join(' ');
        break;
      default:
        text = text.slice(0, at) + text.slice(at + 1 + Math.floor(rand() * 3));
    }
  }
  return text;
}

const show = (text: string): string => JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const label = (s: string | undefined): boolean => s === undefined || (s.length <= 63 && DNS_LABEL.test(s));
const subdomain = (s: string | undefined): boolean => s === undefined || (s.length <= 253 && DNS_SUBDOMAIN.test(s));
const whole = (n: number | undefined, min: number, max: number): boolean => n === undefined || (Number.isSafeInteger(n) && n >= min && n <= max);

/** Why an accepted command could not be acted on unchecked, or undefined. */
function problem(cmd: ParsedCommand): string | undefined {
  if (!/^[\x20-\x7e]*$/.test(JSON.stringify(cmd))) return 'non-ASCII or control character in the command';
  const ns = 'namespace' in cmd ? cmd.namespace : undefined;
  if (!label(ns)) return `namespace ${ns}`;
  if ('allNamespaces' in cmd && cmd.allNamespaces && ns !== undefined) return '-A with -n';
  switch (cmd.verb) {
    case 'help':
      return cmd.topic === undefined || /^[A-Za-z][A-Za-z0-9-]*( [A-Za-z][A-Za-z0-9-]*)?$/.test(cmd.topic) ? undefined : `topic ${cmd.topic}`;
    case 'whoami':
      return undefined;
    case 'pods':
      return cmd.selector === undefined || checkSelector(cmd.selector) === undefined ? undefined : `selector ${cmd.selector}`;
    case 'get':
      if (!(cmd.kind === 'namespace' ? label(cmd.name) : subdomain(cmd.name))) return `name ${cmd.name}`;
      return cmd.selector === undefined || checkSelector(cmd.selector) === undefined ? undefined : `selector ${cmd.selector}`;
    case 'describe':
      return (cmd.kind === 'namespace' ? label(cmd.name) : subdomain(cmd.name)) ? undefined : `name ${cmd.name}`;
    case 'logs':
      if (!subdomain(cmd.pod) || !label(cmd.container)) return `pod ${cmd.pod} container ${cmd.container}`;
      if (!whole(cmd.tail, 1, MAX_TAIL)) return `tail ${cmd.tail}`;
      return whole(cmd.sinceSeconds, 1, MAX_SINCE_SECONDS) ? undefined : `since ${cmd.sinceSeconds}`;
    case 'events':
      return cmd.for === undefined || (cmd.for.kind === 'namespace' ? label(cmd.for.name) : subdomain(cmd.for.name)) ? undefined : `for ${cmd.for.name}`;
    case 'scale':
      if (cmd.kind !== 'deployment' || !subdomain(cmd.name)) return `deployment ${cmd.name}`;
      return whole(cmd.replicas, 0, MAX_REPLICAS) && typeof cmd.replicas === 'number' ? undefined : `replicas ${cmd.replicas}`;
    case 'restart':
      return cmd.kind === 'deployment' && subdomain(cmd.name) ? undefined : `deployment ${cmd.name}`;
    case 'rollout':
      if (cmd.kind !== 'deployment' || !subdomain(cmd.name)) return `deployment ${cmd.name}`;
      if (cmd.toRevision !== undefined && cmd.action !== 'undo') return '--to-revision without undo';
      return whole(cmd.toRevision, 1, Number.MAX_SAFE_INTEGER) ? undefined : `revision ${cmd.toRevision}`;
    case 'cordon':
    case 'uncordon':
      return subdomain(cmd.node) && cmd.node !== undefined ? undefined : `node ${cmd.node}`;
    case 'delete':
      return cmd.kind === 'pod' && subdomain(cmd.name) ? undefined : `pod ${cmd.name}`;
  }
}

describe('parser fuzz', () => {
  it(`${ITERATIONS.toLocaleString('en-US')} generated texts (seed ${SEED}): never throws; everything accepted is safe to act on`, () => {
    const rand = prng(SEED);
    const failures: string[] = [];
    const seen = { ok: 0, refused: 0, verbs: new Set<string>() };
    for (let i = 0; i < ITERATIONS && failures.length < 10; i++) {
      const text = generate(rand);
      let result: ReturnType<typeof parseCommand>;
      try {
        result = parseCommand(text);
      } catch (err) {
        failures.push(`#${i} ${show(text)} threw ${(err as Error).stack}`);
        continue;
      }
      if (!result.ok) {
        seen.refused++;
        if (typeof result.error !== 'string' || result.error === '') failures.push(`#${i} ${show(text)}: empty error`);
        // what a reply echoes: nothing invisible or direction-changing, never the whole of a long text
        else if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u00a0]/u.test(result.error)) failures.push(`#${i} ${show(text)}: error echoes an invisible character: ${JSON.stringify(result.error)}`);
        else if (result.error.length > 400) failures.push(`#${i} ${show(text)}: error is ${result.error.length} characters`);
        continue;
      }
      seen.ok++;
      const cmd = result.command;
      seen.verbs.add(cmd.verb);
      const bad = problem(cmd);
      if (bad) {
        failures.push(`#${i} ${show(text)} accepted with ${bad}: ${JSON.stringify(cmd)}`);
        continue;
      }
      try {
        requiredAccess(cmd, 'demo');
        isWrite(cmd);
        commandTarget(cmd, 'demo');
        if (cmd.verb === 'help') helpReply(cmd.topic);
        const again = parseCommand(formatCommand(cmd));
        assert.deepEqual(again, { ok: true, command: cmd });
      } catch (err) {
        failures.push(`#${i} ${show(text)} → ${JSON.stringify(cmd)}: ${(err as Error).message}`);
      }
    }
    assert.deepEqual(failures, []);
    // the generator reaches both sides, and every command
    assert.ok(seen.ok > ITERATIONS / 20, `only ${seen.ok} accepted`);
    assert.ok(seen.refused > ITERATIONS / 2, `only ${seen.refused} refused`);
    assert.deepEqual([...seen.verbs].sort(), [...new Set(COMMANDS.map((c) => c.verb))].sort());
  });

  it('refuses every look-alike, invisible, control and shell character wherever it is put in a valid command', () => {
    const rand = prng(SEED + 1);
    let checked = 0;
    for (const base of VALID) {
      for (const ch of [...LOOK_ALIKES, ...INVISIBLE, ...PUNCT, ...CONTROL.filter((c) => !'\t\n\r'.includes(c)), ';', '|', '&', '$', '`', '>', '<', '\\', '*']) {
        // inside a word, so it cannot be taken for a separator
        const words = base.split(' ');
        const wi = Math.floor(rand() * words.length);
        const w = words[wi];
        const at = 1 + Math.floor(rand() * Math.max(1, w.length - 1));
        words[wi] = w.slice(0, at) + ch + w.slice(at);
        const text = words.join(' ');
        const r = parseCommand(text);
        assert.equal(r.ok, false, `${show(text)} was accepted: ${JSON.stringify(r.ok && r.command)}`);
        checked++;
      }
    }
    assert.ok(checked > 1000);
  });
});
