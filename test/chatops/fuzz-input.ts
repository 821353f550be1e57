// Generated chat command texts for the fuzz tests: valid commands mutated
// with look-alike letters, direction marks, zero-width characters, shell
// syntax, huge and negative numbers, long runs and flag soup, or noise.
// Seeded, so a failure reproduces.

import { COMMANDS, FLAGS } from '../../src/chatops/commands.ts';
import { KINDS } from '../../src/chatops/kinds.ts';

/** mulberry32: small, seeded, good enough to spread mutations. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const VALID = [
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

export const LOOK_ALIKES = ['а', 'е', 'о', 'р', 'с', 'х', 'у', 'і', 'ѕ', 'ј', 'ԁ', 'һ', 'ӏ', 'А', 'В', 'Е', 'Κ', 'ο', 'ν', 'ρ', 'ı', 'ｗ', '３', '٣', '३', '𝐚', 'ﬁ'];
export const INVISIBLE = ['\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\ufeff', '\u00a0', '\u00ad', '\u2028', '\u2029', '\u061c', '\u3000'];
export const PUNCT = ['—', '–', '−', '“', '”', '‘', '’', '«', '»', '…', '😀', '🚀', '\u0301', '\ud800', '\udfff', '\u{10ffff}'];
const SHELL = [';', '|', '&', '$', '`', '>', '<', '\\', '*', '?', '{', '}', '[', ']', '~', '#', "'", '"', '(', ')', '!', '%', '=', ',', '/', ':', '@', '+', '^', '.', '-', '_'];
export const CONTROL = ['\u0000', '\u0001', '\u0007', '\u0008', '\u001b', '\u007f', '\u0085', '\u009b', '\t', '\n', '\r', '\v', '\f'];
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
export function generate(rand: () => number): string {
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

