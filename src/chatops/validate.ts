// Checks on the words of a chat command, each returning the problem in words
// (or undefined): the characters a command may contain, Kubernetes object
// names, numbers, durations and label selectors. Pure; the grammar decides
// which check applies to which word.

import { CLUSTER_NAME } from '../model/cluster-name.ts';

/** The longest command text read at all. */
export const MAX_TEXT = 1000;
/** The longest single word: the longest Kubernetes name (a DNS-1123 subdomain). */
export const MAX_ARG = 253;

// Shell syntax. Nothing here reaches a shell, but none of these is ever part
// of a valid name, number or selector, and echoing them back invites trouble.
const SHELL_META = new Set([';', '|', '&', '$', '`', '<', '>', '\\', '*', '?', '{', '}', '[', ']', '~', '#', "'", '"']);

const INVISIBLE_NAMES: Record<number, string> = {
  0x00a0: 'no-break space',
  0x00ad: 'soft hyphen',
  0x034f: 'combining grapheme joiner',
  0x061c: 'Arabic letter mark',
  0x180e: 'Mongolian vowel separator',
  0x200b: 'zero-width space',
  0x200c: 'zero-width non-joiner',
  0x200d: 'zero-width joiner',
  0x200e: 'left-to-right mark',
  0x200f: 'right-to-left mark',
  0x2028: 'line separator',
  0x2029: 'paragraph separator',
  0x202a: 'left-to-right embedding',
  0x202b: 'right-to-left embedding',
  0x202c: 'pop directional formatting',
  0x202d: 'left-to-right override',
  0x202e: 'right-to-left override',
  0x2060: 'word joiner',
  0x2066: 'left-to-right isolate',
  0x2067: 'right-to-left isolate',
  0x2068: 'first strong isolate',
  0x2069: 'pop directional isolate',
  0x3000: 'ideographic space',
  0xfeff: 'zero-width no-break space',
};

// Letters from other scripts that look like Latin ones; NFKC folds the
// fullwidth and mathematical forms, not these.
const LOOK_ALIKES: Record<string, string> = {
  'а': 'a', 'в': 'B', 'е': 'e', 'ѕ': 's', 'і': 'i', 'ј': 'j', 'к': 'k', 'м': 'M', 'н': 'H', 'о': 'o', 'р': 'p', 'с': 'c', 'т': 'T', 'у': 'y', 'х': 'x', 'ԁ': 'd', 'һ': 'h', 'ԛ': 'q', 'ԝ': 'w', 'ӏ': 'l',
  'А': 'A', 'В': 'B', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P', 'С': 'C', 'Т': 'T', 'Х': 'X', 'Ѕ': 'S', 'І': 'I', 'Ј': 'J',
  'α': 'a', 'ο': 'o', 'ν': 'v', 'ρ': 'p', 'τ': 't', 'ι': 'i', 'κ': 'k', 'υ': 'u', 'χ': 'x',
  'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N', 'Ο': 'O', 'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X',
  'ı': 'i', 'ɡ': 'g', 'ɑ': 'a', 'ℓ': 'l',
};

const DASHES = new Set([0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xfe58, 0xfe63, 0xff0d]);
const QUOTES = new Set([0x00ab, 0x00bb, 0x2018, 0x2019, 0x201a, 0x201b, 0x201c, 0x201d, 0x201e, 0x201f, 0x2032, 0x2033, 0x2039, 0x203a, 0xff02, 0xff07]);

// scripts written right to left: shown by code point only, so a reply's text keeps its order
const RTL = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}]/u;
const VISIBLE = /^[\p{L}\p{N}\p{P}\p{S}]$/u;

export function codePoint(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A word as it may be shown in a reply: ASCII as is, everything else as <U+…>, at most about 60 characters around position `around`. */
export function shown(word: string, around = 0): string {
  let start = Math.max(0, around - 16);
  // never start inside a surrogate pair
  if (start > 0 && /[\udc00-\udfff]/.test(word[start])) start--;
  let out = start > 0 ? '…' : '';
  let i = start;
  while (i < word.length && out.length < 60) {
    const cp = word.codePointAt(i)!;
    out += cp >= 0x20 && cp < 0x7f ? word[i] : `<${codePoint(cp)}>`;
    i += cp > 0xffff ? 2 : 1;
  }
  if (i < word.length) out += '…';
  return `"${out}"`;
}

function describeChar(ch: string, cp: number): string {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return `control character ${codePoint(cp)}`;
  const name = INVISIBLE_NAMES[cp];
  if (name) return `invisible character ${codePoint(cp)} (${name})`;
  if (!VISIBLE.test(ch) || RTL.test(ch)) return `character ${codePoint(cp)}`;
  return `'${ch}' (${codePoint(cp)})`;
}

/** Why one non-ASCII or control character may not be in a command. */
function badCharacter(ch: string, cp: number): string {
  const what = describeChar(ch, cp);
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return `${what} is not allowed: commands are plain text`;
  if (DASHES.has(cp)) return `${what} is not an ASCII '-': flags are -n or --tail (smart punctuation may have changed them)`;
  if (QUOTES.has(cp)) return `${what} is not an ASCII quote: use ' or " (smart punctuation may have changed them)`;
  if (INVISIBLE_NAMES[cp] || /[\p{Z}\p{Cf}\p{M}]/u.test(ch)) return `${what} is not allowed: retype the command without it`;
  const folded = ch.normalize('NFKC');
  const looksLike = LOOK_ALIKES[ch] ?? (/^[!-~]$/.test(folded) ? folded : undefined);
  const hint = looksLike !== undefined ? ` (it looks like '${looksLike}')` : '';
  if (/\p{L}/u.test(ch)) return `${what} is not an ASCII letter: names are lowercase a-z, 0-9, '-' and '.'${hint}`;
  if (/\p{N}/u.test(ch)) return `${what} is not an ASCII digit: numbers are 0-9${hint}`;
  return `${what} is not ASCII: commands, names, flags and numbers are plain ASCII${hint}`;
}

const PLAIN = /^[\t\n\r\x20-\x7e]*$/;

/** The first character no command may contain (non-ASCII, control), named with the word it is in; undefined when all are fine. */
export function checkText(text: string): string | undefined {
  if (PLAIN.test(text)) return undefined;
  let i = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (!((cp >= 0x20 && cp < 0x7f) || cp === 9 || cp === 10 || cp === 13)) {
      let start = i;
      while (start > 0 && !/\s/.test(text[start - 1])) start--;
      let end = i + ch.length;
      while (end < text.length && !/\s/.test(text[end])) end++;
      return `${shown(text.slice(start, end), i - start)}: ${badCharacter(ch, cp)}`;
    }
    i += ch.length;
  }
  return undefined;
}

/** Why one word (after quotes are removed) may not be in a command: shell syntax, a control character, its length. */
export function checkWord(word: string): string | undefined {
  if (word.length > MAX_ARG) return `${shown(word)} is ${word.length} characters long; a word may be at most ${MAX_ARG}`;
  for (let i = 0; i < word.length; i++) {
    const ch = word[i];
    if (SHELL_META.has(ch)) return `${shown(word, i)}: '${ch}' is not allowed (commands are never run by a shell, and no name contains it)`;
    const cp = word.charCodeAt(i);
    if (cp < 0x20 || cp === 0x7f) return `${shown(word, i)}: control character ${codePoint(cp)} is not allowed: commands are plain text`;
  }
  return undefined;
}

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Why `value` is not a Kubernetes name of this rule: a DNS-1123 label
 * (namespaces, containers: at most 63, no '.') or subdomain (most objects:
 * at most 253). `what` names it in the message: "namespace", "pod name".
 */
export function checkName(what: string, value: string, rule: 'label' | 'subdomain'): string | undefined {
  const max = rule === 'label' ? 63 : 253;
  const pattern = rule === 'label' ? LABEL : SUBDOMAIN;
  if (value === '') return `${what}: empty; expected a name`;
  if (pattern.test(value) && value.length <= max) return undefined;
  if (value.length > max) return `${what} ${shown(value)} is ${value.length} characters long; at most ${max}`;
  const lower = value.toLowerCase();
  if (lower !== value && pattern.test(lower)) return `${what} ${shown(value)}: names are lowercase; did you mean "${lower}"?`;
  const allowed = rule === 'label' ? "lowercase a-z, 0-9 and '-'" : "lowercase a-z, 0-9, '-' and '.'";
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (!/[a-z0-9-]/.test(ch) && !(rule === 'subdomain' && ch === '.')) {
      const desc = /[A-Z]/.test(ch) ? `uppercase '${ch}'` : ch === ' ' ? "' ' (a space)" : `'${ch}'`;
      return `${what} ${shown(value, i)}: ${desc} is not allowed: names are ${allowed}`;
    }
  }
  if (!/^[a-z0-9]/.test(value) || !/[a-z0-9]$/.test(value)) return `${what} ${shown(value)} must start and end with a letter or digit`;
  if (rule === 'subdomain' && value.split('.').some((part) => !LABEL.test(part))) return `${what} ${shown(value)}: each '.'-separated part must start and end with a letter or digit`;
  return `${what} ${shown(value)} must start and end with a letter or digit`;
}

export { CLUSTER_NAME };

/** `--cluster`'s value, as CLUSTER_NAME takes it: the problem in words, or undefined. */
export function checkClusterName(value: string): string | undefined {
  if (value === '') return '--cluster: empty; expected a cluster name';
  if (CLUSTER_NAME.test(value)) return undefined;
  if (value.length > 63) return `--cluster ${shown(value)} is ${value.length} characters long; at most 63`;
  for (let i = 0; i < value.length; i++) {
    const cp = value.codePointAt(i)!;
    if (/[-A-Za-z0-9_.]/.test(value[i])) continue;
    const desc = value[i] === ' ' ? "' ' (a space)" : cp >= 0x21 && cp < 0x7f ? `'${value[i]}'` : `<${codePoint(cp)}>`;
    return `--cluster ${shown(value, i)}: ${desc} is not allowed: cluster names are letters, digits, '-', '_' and '.'`;
  }
  return `--cluster ${shown(value)} must start and end with a letter or digit`;
}
/** A whole number in [min, max], or why not. */
export function parseWholeNumber(what: string, value: string, min: number, max: number): number | string {
  const range = `${what} must be a whole number from ${min} to ${max}, got ${shown(value)}`;
  if (!/^[0-9]+$/.test(value)) return range;
  // longer than max's digits plus leading zeros is out of range without risking precision
  const digits = value.replace(/^0+(?=.)/, '');
  if (digits.length > String(max).length) return range;
  const n = Number(digits);
  return n < min || n > max ? range : n;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * A Go-style duration (30s, 10m, 1h30m, 1.5h; also d for days, which Go
 * lacks) as whole seconds, rounded up, within [1 s, max]; or why not.
 */
export function parseDuration(what: string, value: string, maxSeconds: number): number | string {
  const usage = `${what} expects a duration such as 30s, 10m, 1h30m or 2d, got ${shown(value)}`;
  if (value === '' || !/^([0-9]+(\.[0-9]+)?[a-z]+)+$/.test(value)) return usage;
  let total = 0;
  for (const [, num, unit] of value.matchAll(/([0-9]+(?:\.[0-9]+)?)([a-z]+)/g)) {
    const size = UNIT_SECONDS[unit];
    if (size === undefined) return `${what}: unknown unit "${unit}" in ${shown(value)}; units are s, m, h and d`;
    if (num.length > 12) return `${what} ${shown(value)} is longer than ${formatLimit(maxSeconds)}`;
    total += Number(num) * size;
  }
  const seconds = Math.ceil(total);
  if (seconds < 1) return `${what} ${shown(value)} is shorter than 1s`;
  if (seconds > maxSeconds) return `${what} ${shown(value)} is longer than ${formatLimit(maxSeconds)}`;
  return seconds;
}

function formatLimit(seconds: number): string {
  return seconds % 86400 === 0 ? `${seconds / 86400}d` : `${seconds}s`;
}

// A qualified name's name part (label keys), and a label value.
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkLabelKey(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined) {
    if (prefix === '' || prefix.length > 253 || !SUBDOMAIN.test(prefix)) return `label key "${key}": the prefix before '/' must be a DNS subdomain such as example.com`;
  }
  if (name === '') return `label key "${key}": the name after the prefix is empty`;
  if (name.length > 63) return `label key "${key}": the name part is ${name.length} characters long; at most 63`;
  if (!QUALIFIED_NAME.test(name)) return `label key "${key}": expected letters, digits, '-', '_' and '.', starting and ending with a letter or digit`;
  return undefined;
}

function checkLabelValue(value: string): string | undefined {
  if (value.length > 63) return `label value "${value}" is ${value.length} characters long; at most 63`;
  if (!LABEL_VALUE.test(value)) return `label value "${value}": expected letters, digits, '-', '_' and '.', starting and ending with a letter or digit`;
  return undefined;
}

type SelectorToken = { t: 'id'; v: string } | { t: 'op'; v: '=' | '==' | '!=' | '!' | '(' | ')' | ',' };

/**
 * Why `selector` is not a label selector Kubernetes accepts (a=b, a==b,
 * a!=b, a in (x,y), a notin (x), a, !a; comma-separated), or undefined.
 */
export function checkSelector(selector: string): string | undefined {
  const problem = selectorProblem(selector);
  return problem === undefined ? undefined : `selector ${shown(selector)}: ${problem}`;
}

function selectorProblem(selector: string): string | undefined {
  const tokens: SelectorToken[] = [];
  for (let i = 0; i < selector.length; ) {
    const ch = selector[i];
    if (ch === ' ') {
      i++;
    } else if (selector.startsWith('==', i) || selector.startsWith('!=', i)) {
      tokens.push({ t: 'op', v: selector.slice(i, i + 2) as '==' | '!=' });
      i += 2;
    } else if ('=!(),'.includes(ch)) {
      tokens.push({ t: 'op', v: ch as '=' | '!' | '(' | ')' | ',' });
      i++;
    } else {
      const m = /^[A-Za-z0-9._/-]+/.exec(selector.slice(i));
      if (!m) return `'${ch}' is not allowed in a selector`;
      tokens.push({ t: 'id', v: m[0] });
      i += m[0].length;
    }
  }
  if (tokens.length === 0) return 'empty';
  let p = 0;
  const peek = (): SelectorToken | undefined => tokens[p];
  const isOp = (tok: SelectorToken | undefined, v: string): boolean => tok?.t === 'op' && tok.v === v;
  for (;;) {
    // one requirement
    if (isOp(peek(), '!')) {
      p++;
      const key = peek();
      if (key?.t !== 'id') return "expected a label key after '!'";
      p++;
      const bad = checkLabelKey(key.v);
      if (bad) return bad;
    } else {
      const key = peek();
      if (key?.t !== 'id') return `expected a label key${key ? `, found '${key.v}'` : ''}`;
      p++;
      const bad = checkLabelKey(key.v);
      if (bad) return bad;
      const op = peek();
      if (op?.t === 'op' && (op.v === '=' || op.v === '==' || op.v === '!=')) {
        p++;
        const value = peek();
        // `key=` selects an empty value, as Kubernetes reads it
        if (value?.t === 'id') {
          p++;
          const badValue = checkLabelValue(value.v);
          if (badValue) return badValue;
        }
      } else if (op?.t === 'id' && (op.v === 'in' || op.v === 'notin')) {
        p++;
        if (!isOp(peek(), '(')) return `expected '(' after "${op.v}"`;
        p++;
        for (;;) {
          const value = peek();
          if (value?.t !== 'id') return `expected a value in the list after "${op.v}"`;
          p++;
          const badValue = checkLabelValue(value.v);
          if (badValue) return badValue;
          if (isOp(peek(), ',')) {
            p++;
            continue;
          }
          if (isOp(peek(), ')')) {
            p++;
            break;
          }
          return `expected ',' or ')' in the list after "${op.v}"`;
        }
      } else if (op !== undefined && !isOp(op, ',')) {
        return `expected =, ==, !=, in, notin or ',' after "${key.v}", found '${op.v}'`;
      }
    }
    if (p === tokens.length) return undefined;
    if (!isOp(peek(), ',')) return `expected ',' between requirements, found '${peek()!.v}'`;
    p++;
    if (p === tokens.length) return "ends with ','";
  }
}
