// Label and field selectors as the API server parses and applies them
// (apimachinery's labels.Parse, metav1.LabelSelectorAsSelector,
// fields.ParseSelector and the per-kind field label conversions). Error
// messages follow apimachinery's wording because kubectl prints them verbatim.

import { badRequest } from './errors.ts';
import type { KObject } from './types.ts';

export interface Requirement {
  key: string;
  op: 'in' | 'notin' | 'exists' | '!' | '=' | '==' | '!=' | 'gt' | 'lt';
  values: string[];
}
/** AND of requirements; [] matches everything. */
export type LabelSelector = Requirement[];

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}
export type FieldSelector = FieldRequirement[];

// ---------------------------------------------------------------------------
// Go-style formatting, so messages read exactly like apimachinery's.

/** strconv.Quote for the characters that can reach a selector. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

/** %#v of a []string; a Go nil slice prints differently from an empty one. */
function goStringSlice(vals: string[] | null): string {
  if (vals === null) return '[]string(nil)';
  return `[]string{${vals.map(goQuote).join(', ')}}`;
}

/** field.Invalid(...).Error(): "<path>: Invalid value: <value>: <detail>". */
function fieldInvalid(path: string, value: string, detail: string): string {
  return `${path}: Invalid value: ${value}: ${detail}`;
}

/** utilerrors.NewAggregate(...).Error(): one message bare, several in brackets, duplicates dropped. */
function aggregate(msgs: string[]): string {
  const uniq = [...new Set(msgs)];
  return uniq.length === 1 ? uniq[0] : `[${uniq.join(', ')}]`;
}

// ---------------------------------------------------------------------------
// k8s.io/apimachinery/pkg/util/validation, as used for label keys and values.

const QNAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QNAME_RE = new RegExp(`^${QNAME_FMT}$`);
const QNAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT = `(${QNAME_FMT})?`;
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`);
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** validation.RegexError, including its famous double spaces between examples. */
function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

const maxLenError = (n: number): string => `must be no more than ${n} characters`;

function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!DNS1123_SUBDOMAIN_RE.test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  return errs;
}

/** validation.IsQualifiedName: [prefix/]name, as for label and annotation keys. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => 'prefix part ' + m));
  } else {
    return [
      'a qualified name ' +
        regexError(QNAME_MSG, QNAME_FMT, 'MyName', 'my.name', '123-abc') +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part ' + maxLenError(63));
  if (!QNAME_RE.test(name)) errs.push('name part ' + regexError(QNAME_MSG, QNAME_FMT, 'MyName', 'my.name', '123-abc'));
  return errs;
}

/** validation.IsValidLabelValue. */
export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!LABEL_VALUE_RE.test(value)) errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  return errs;
}

// ---------------------------------------------------------------------------
// Requirements

const INT64_RE = /^[+-]?\d+$/;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** strconv.ParseInt(s, 10, 64) as a bigint, or null when Go would fail. */
function parseInt64(s: string): bigint | null {
  if (!INT64_RE.test(s)) return null;
  const v = BigInt(s);
  return v > INT64_MAX || v < INT64_MIN ? null : v;
}

/**
 * labels.NewRequirement's validation; returns the error messages. `path` is
 * the field path the caller gave (null when none, as in labels.Parse).
 */
function requirementErrors(key: string, op: string, vals: string[] | null, path: string | null): string[] {
  const errs: string[] = [];
  const child = (name: string) => (path === null ? name : `${path}.${name}`);
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length) errs.push(fieldInvalid(child('key'), goQuote(key), keyErrs.join('; ')));
  const valuesPath = child('values');
  const list = vals ?? [];
  switch (op) {
    case 'in':
    case 'notin':
      if (list.length === 0)
        errs.push(fieldInvalid(valuesPath, goStringSlice(vals), "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (list.length !== 1)
        errs.push(fieldInvalid(valuesPath, goStringSlice(vals), 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (list.length !== 0)
        errs.push(fieldInvalid(valuesPath, goStringSlice(vals), 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (list.length !== 1)
        errs.push(fieldInvalid(valuesPath, goStringSlice(vals), "for 'Gt', 'Lt' operators, exactly one value is required"));
      list.forEach((v, i) => {
        if (parseInt64(v) === null)
          errs.push(fieldInvalid(`${valuesPath}[${i}]`, goQuote(v), "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
    default:
      errs.push(
        `${child('operator')}: Unsupported value: ${goQuote(op)}: supported values: "in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!"`,
      );
  }
  list.forEach((v, i) => {
    const vErrs = isValidLabelValue(v);
    if (vErrs.length) errs.push(fieldInvalid(`${valuesPath}[${i}][${key}]`, goQuote(v), vErrs.join('; ')));
  });
  return errs;
}

/** Sort by key, stably, as labels.Parse and Selector.Add do (stable, so ties keep input order). */
function sortByKey(reqs: Requirement[]): Requirement[] {
  return reqs.map((r, i) => ({ r, i })).sort((a, b) => (a.r.key < b.r.key ? -1 : a.r.key > b.r.key ? 1 : a.i - b.i)).map((x) => x.r);
}

// ---------------------------------------------------------------------------
// labels.Parse: lexer and recursive-descent parser, ported token for token.

type Tok = 'error' | 'eos' | ')' | ',' | '!' | '==' | '=' | '>' | 'ident' | 'in' | '<' | '!=' | 'notin' | '(';

interface Item {
  tok: Tok;
  lit: string;
}

const STRING_TO_TOKEN: Record<string, Tok> = {
  ')': ')',
  ',': ',',
  '!': '!',
  '==': '==',
  '=': '=',
  '>': '>',
  in: 'in',
  '<': '<',
  '!=': '!=',
  notin: 'notin',
  '(': '(',
};

const isWhitespace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isSpecial = (ch: string): boolean => '=!(),><'.includes(ch) && ch !== '';

function lex(s: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  const read = (): string => (pos < s.length ? s[pos++] : '');
  for (;;) {
    let ch = read();
    while (ch !== '' && isWhitespace(ch)) ch = read();
    if (ch === '') {
      items.push({ tok: 'eos', lit: '' });
      return items;
    }
    pos--;
    if (isSpecial(ch)) {
      // Longest run of special characters that still forms a token.
      let buf = '';
      let last: Item | null = null;
      for (;;) {
        const c = read();
        if (c === '') break;
        if (!isSpecial(c)) {
          pos--;
          break;
        }
        buf += c;
        const t = STRING_TO_TOKEN[buf];
        if (t) last = { tok: t, lit: buf };
        else if (last) {
          pos--;
          break;
        }
      }
      items.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buf}'` });
    } else {
      let buf = '';
      for (;;) {
        const c = read();
        if (c === '') break;
        if (isSpecial(c) || isWhitespace(c)) {
          pos--;
          break;
        }
        buf += c;
      }
      const t = Object.hasOwn(STRING_TO_TOKEN, buf) ? STRING_TO_TOKEN[buf] : undefined;
      items.push({ tok: t ?? 'ident', lit: buf });
    }
  }
}

class SelectorSyntaxError extends Error {}

class Parser {
  private items: Item[];
  private position = 0;
  constructor(s: string) {
    this.items = lex(s);
  }

  // In value context the keywords "in"/"notin" are plain identifiers.
  private lookahead(values: boolean): Item {
    const it = this.items[this.position];
    return values && (it.tok === 'in' || it.tok === 'notin') ? { tok: 'ident', lit: it.lit } : it;
  }

  private consume(values: boolean): Item {
    const it = this.lookahead(values);
    this.position++;
    return it;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead(true);
      if (tok === 'ident' || tok === '!') {
        let r: Requirement;
        try {
          r = this.parseRequirement();
        } catch (e) {
          throw new SelectorSyntaxError(`unable to parse requirement: ${(e as Error).message}`);
        }
        reqs.push(r);
        const next = this.consume(true);
        if (next.tok === 'eos') return reqs;
        if (next.tok === ',') {
          const after = this.lookahead(true);
          if (after.tok !== 'ident' && after.tok !== '!')
            throw new SelectorSyntaxError(`found '${after.lit}', expected: identifier after ','`);
        } else {
          throw new SelectorSyntaxError(`found '${next.lit}', expected: ',' or 'end of string'`);
        }
      } else if (tok === 'eos') {
        return reqs;
      } else {
        throw new SelectorSyntaxError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private parseRequirement(): Requirement {
    const { key, op } = this.parseKeyAndInferOperator();
    if (op === 'exists' || op === '!') return newRequirement(key, op, [], null);
    const binOp = this.parseOperator();
    const values = binOp === 'in' || binOp === 'notin' ? this.parseValues() : this.parseExactValue();
    // sets.String.List(): deduplicated and sorted.
    return newRequirement(key, binOp, [...new Set(values)].sort(), null);
  }

  private parseKeyAndInferOperator(): { key: string; op: Requirement['op'] | '' } {
    let op: Requirement['op'] | '' = '';
    let it = this.consume(true);
    if (it.tok === '!') {
      op = '!';
      it = this.consume(true);
    }
    if (it.tok !== 'ident') throw new Error(`found '${it.lit}', expected: identifier`);
    const keyErrs = isQualifiedName(it.lit);
    // labels.Parse passes no field path, so Go prints a nil *field.Path as "<nil>".
    if (keyErrs.length) throw new Error(fieldInvalid('<nil>', goQuote(it.lit), keyErrs.join('; ')));
    const next = this.lookahead(true).tok;
    if ((next === 'eos' || next === ',') && op !== '!') op = 'exists';
    return { key: it.lit, op };
  }

  private parseOperator(): Requirement['op'] {
    const { tok, lit } = this.consume(false);
    switch (tok) {
      case 'in':
        return 'in';
      case 'notin':
        return 'notin';
      case '=':
        return '=';
      case '==':
        return '==';
      case '!=':
        return '!=';
      case '>':
        return 'gt';
      case '<':
        return 'lt';
      default:
        throw new Error(`found '${lit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  private parseValues(): string[] {
    const open = this.consume(true);
    if (open.tok !== '(') throw new Error(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.lookahead(true);
    if (tok === 'ident' || tok === ',') {
      const s = this.parseIdentifiersList();
      // apimachinery reports the literal it looked at before the list, not the offending one.
      if (this.consume(true).tok !== ')') throw new Error(`found '${lit}', expected: ')'`);
      return s;
    }
    if (tok === ')') {
      this.consume(true);
      return [''];
    }
    throw new Error(`found '${lit}', expected: ',', ')' or identifier`);
  }

  private parseIdentifiersList(): string[] {
    const s = new Set<string>();
    for (;;) {
      const { tok, lit } = this.consume(true);
      if (tok === 'ident') {
        s.add(lit);
        const next = this.lookahead(true);
        if (next.tok === ',') continue;
        if (next.tok === ')') return [...s];
        throw new Error(`found '${next.lit}', expected: ',' or ')'`);
      } else if (tok === ',') {
        // Empty values are legal: "(,a)", "(a,)" and "(a,,b)" all contain "".
        if (s.size === 0) s.add('');
        const next = this.lookahead(true).tok;
        if (next === ')') {
          s.add('');
          return [...s];
        }
        if (next === ',') {
          this.consume(true);
          s.add('');
        }
      } else {
        throw new Error(`found '${lit}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): string[] {
    const next = this.lookahead(true).tok;
    if (next === 'eos' || next === ',') return [''];
    const { tok, lit } = this.consume(true);
    if (tok === 'ident') return [lit];
    throw new Error(`found '${lit}', expected: identifier`);
  }
}

function newRequirement(key: string, op: Requirement['op'], values: string[], path: string | null): Requirement {
  const errs = requirementErrors(key, op, values, path);
  if (errs.length) throw new Error(aggregate(errs));
  return { key, op, values };
}

/** labels.Parse: kubectl's `-l` syntax. Errors are 400 BadRequest, as for a bad `labelSelector` query parameter. */
export function parseLabelSelector(s: string): LabelSelector {
  try {
    return sortByKey(new Parser(s).parse());
  } catch (e) {
    if (e instanceof SelectorSyntaxError) throw badRequest(e.message);
    throw e;
  }
}

type MetaLabelSelector =
  | {
      matchLabels?: Record<string, string> | null;
      matchExpressions?: { key: string; operator: string; values?: string[] | null }[] | null;
    }
  | undefined
  | null;

const META_OPS: Record<string, Requirement['op']> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * metav1.LabelSelectorAsSelector: a missing selector selects nothing (null),
 * an empty one everything ([]). Invalid selectors throw 400 BadRequest.
 */
export function labelSelectorFromObject(sel: MetaLabelSelector): LabelSelector | null {
  if (sel === null || sel === undefined) return null;
  const labels = sel.matchLabels ?? {};
  const exprs = sel.matchExpressions ?? [];
  if (Object.keys(labels).length + exprs.length === 0) return [];
  const reqs: Requirement[] = [];
  const fail = (msg: string): never => {
    throw badRequest(msg);
  };
  for (const [k, v] of Object.entries(labels)) {
    const errs = requirementErrors(k, '=', [v], null);
    if (errs.length) fail(aggregate(errs));
    reqs.push({ key: k, op: '=', values: [v] });
  }
  for (const expr of exprs) {
    const op = Object.hasOwn(META_OPS, expr.operator) ? META_OPS[expr.operator] : undefined;
    if (!op) fail(`${goQuote(expr.operator)} is not a valid label selector operator`);
    // A Go nil slice when the expression has no values, which %#v prints as []string(nil).
    const vals = expr.values && expr.values.length ? [...expr.values] : null;
    const errs = requirementErrors(expr.key, op!, vals, null);
    if (errs.length) fail(aggregate(errs));
    reqs.push({ key: expr.key, op: op!, values: vals ?? [] });
  }
  return sortByKey(reqs);
}

function requirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] : '';
  switch (r.op) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(value);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || r.values.length !== 1) return false;
      const l = parseInt64(value);
      const v = parseInt64(r.values[0]);
      if (l === null || v === null) return false;
      return r.op === 'gt' ? l > v : l < v;
    }
    default:
      return false;
  }
}

/** A null selector (from a nil metav1.LabelSelector) matches nothing. */
export function matchesLabels(sel: LabelSelector | null, labels: Record<string, string> | undefined): boolean {
  if (sel === null) return false;
  const ls = labels ?? {};
  return sel.every((r) => requirementMatches(r, ls));
}

const OP_TEXT: Record<Requirement['op'], string> = {
  '=': '=',
  '==': '==',
  '!=': '!=',
  in: ' in ',
  notin: ' notin ',
  gt: '>',
  lt: '<',
  exists: '',
  '!': '',
};

/** Selector.String(): e.g. "app=web,tier in (a,b),!legacy" (values sorted, requirements in selector order). */
export function formatLabelSelector(sel: LabelSelector): string {
  return sel
    .map((r) => {
      let s = (r.op === '!' ? '!' : '') + r.key;
      if (r.op === 'exists' || r.op === '!') return s;
      s += OP_TEXT[r.op];
      const vals = r.values.length === 1 ? r.values[0] : [...r.values].sort().join(',');
      return r.op === 'in' || r.op === 'notin' ? `${s}(${vals})` : s + vals;
    })
    .join(',');
}

// ---------------------------------------------------------------------------
// Field selectors

/** fields.splitTerms: commas split terms unless backslash-escaped (the backslash is kept). */
function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

/** fields.splitTerm: the first "!=", "==" or "=" splits; keys cannot be escaped. */
function splitTerm(term: string): { lhs: string; op: string; rhs: string } | null {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '=']) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return null;
}

/** fields.UnescapeValue: only \\ \, \= are escapes; bare , and = are errors. */
function unescapeValue(s: string): string {
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === '\\' || c === ',' || c === '=') out += c;
      else throw badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      inSlash = false;
      continue;
    }
    if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=') {
      // Go formats the offending rune with %v, i.e. as its code point number.
      throw badRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else out += c;
  }
  if (inSlash) throw badRequest('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Field label conversion: maps a requested label to the stored one, or returns an error message. */
type Converter = (label: string) => string | { error: string };

const notSupported = (label: string) => ({ error: `field label not supported: ${label}` });

function allowList(labels: string[], aliases: Record<string, string> = {}): Converter {
  const set = new Set(labels);
  return (label) => (set.has(label) ? label : Object.hasOwn(aliases, label) ? aliases[label] : notSupported(label));
}

const CORE_EVENT_FIELDS = [
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
  'metadata.namespace',
  'metadata.name',
];

// events.k8s.io/v1 names, mapped onto the core/v1 form events are stored in.
const EVENTS_V1_FIELDS: Record<string, string> = {
  reason: 'reason',
  'regarding.kind': 'involvedObject.kind',
  'regarding.namespace': 'involvedObject.namespace',
  'regarding.name': 'involvedObject.name',
  'regarding.uid': 'involvedObject.uid',
  'regarding.apiVersion': 'involvedObject.apiVersion',
  'regarding.resourceVersion': 'involvedObject.resourceVersion',
  'regarding.fieldPath': 'involvedObject.fieldPath',
  reportingController: 'reportingComponent',
  type: 'type',
  'metadata.namespace': 'metadata.namespace',
  'metadata.name': 'metadata.name',
};

// Kinds that register their own conversion func (pkg/apis/*/v1/conversion.go),
// keyed by "group/resource" ("" group for core).
const CONVERTERS: Record<string, Converter> = {
  '/pods': allowList(
    [
      'metadata.name',
      'metadata.namespace',
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.podIPs',
      'status.nominatedNodeName',
    ],
    // Old v1 clients still send spec.host.
    { 'spec.host': 'spec.nodeName' },
  ),
  '/nodes': allowList(['metadata.name', 'spec.unschedulable']),
  '/namespaces': allowList(['status.phase', 'metadata.name']),
  '/secrets': allowList(['type', 'metadata.namespace', 'metadata.name']),
  '/services': allowList(['metadata.namespace', 'metadata.name', 'spec.clusterIP', 'spec.type']),
  '/replicationcontrollers': allowList(['metadata.name', 'metadata.namespace', 'status.replicas']),
  '/events': allowList(CORE_EVENT_FIELDS),
  'batch/jobs': (label) =>
    ['metadata.name', 'metadata.namespace', 'status.successful'].includes(label)
      ? label
      : { error: `field label ${goQuote(label)} not supported for batchv1.Job` },
  'certificates.k8s.io/certificatesigningrequests': allowList(['metadata.name', 'spec.signerName']),
};

// API groups served by kube-apiserver itself; any other group is a custom resource's.
const BUILTIN_GROUPS = new Set([
  '',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'apps',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'internal.apiserver.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'resource.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
  'storagemigration.k8s.io',
]);

// Built-in kinds without a conversion func (deployments, replicasets, configmaps, ...)
// fall back to runtime.DefaultMetaV1FieldSelectorConversion.
const defaultMetaConversion: Converter = (label) =>
  label === 'metadata.name' || label === 'metadata.namespace'
    ? label
    : { error: `${goQuote(label)} is not a known field selector: only "metadata.name", "metadata.namespace"` };

export interface FieldSelectorOptions {
  /** API group of the requested view; "events.k8s.io" selects that group's event field names. */
  group?: string;
  /** Force the custom-resource converter (true) or the built-in default one (false) for `storage`. */
  crd?: boolean;
  /** For custom resources: cluster-scoped ones do not support metadata.namespace. Default true. */
  namespaced?: boolean;
  /** For custom resources: the CRD version's selectableFields, as field labels ("spec.color"). */
  selectableFields?: string[];
}

/** Storage keys are "resource" for the core group and "group/resource" otherwise. */
function splitStorage(storage: string): { group: string; resource: string } {
  const slash = storage.lastIndexOf('/');
  return slash < 0 ? { group: '', resource: storage } : { group: storage.slice(0, slash), resource: storage.slice(slash + 1) };
}

function converterFor(storage: string, opts: FieldSelectorOptions): Converter {
  const { group, resource } = splitStorage(storage);
  if (resource === 'events' && group === '' && opts.group === 'events.k8s.io')
    return (label) => (Object.hasOwn(EVENTS_V1_FIELDS, label) ? EVENTS_V1_FIELDS[label] : notSupported(label));
  const id = `${group}/${resource}`;
  const isCrd = opts.crd ?? !BUILTIN_GROUPS.has(group);
  if (!isCrd) return Object.hasOwn(CONVERTERS, id) ? CONVERTERS[id] : defaultMetaConversion;
  // The CRD handler's converter: name always, namespace only for namespaced resources, plus selectableFields.
  const extra = new Set(opts.selectableFields ?? []);
  const namespaced = opts.namespaced ?? true;
  return (label) =>
    extra.has(label) || label === 'metadata.name' || (namespaced && label === 'metadata.namespace')
      ? label
      : notSupported(label);
}

/**
 * fields.ParseSelector followed by the resource's field label conversion.
 * `storage` is the resource's storage key: "pods", "events", "apps/replicasets",
 * "batch/jobs", ... or a custom resource's "group/plural".
 * Throws 400 BadRequest with the real server's messages.
 */
export function parseFieldSelector(s: string, storage: string, opts: FieldSelectorOptions = {}): FieldSelector {
  const terms = splitTerms(s).sort();
  const sel: FieldSelector = [];
  for (const term of terms) {
    if (term === '') continue;
    const parts = splitTerm(term);
    if (!parts) throw badRequest(`invalid selector: '${s}'; can't understand '${term}'`);
    const value = unescapeValue(parts.rhs);
    sel.push({ field: parts.lhs, op: parts.op === '!=' ? '!=' : '=', value });
  }
  const convert = converterFor(storage, opts);
  return sel.map((r) => {
    const field = convert(r.field);
    if (typeof field !== 'string') throw badRequest(field.error);
    return { ...r, field };
  });
}

function stringOf(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/**
 * The value a field label has on an object, as the registries' ToSelectableFields
 * compute it: typed zero values ("false", "0") where Go would have them.
 */
function fieldValue(obj: KObject, field: string): string {
  switch (field) {
    case 'spec.hostNetwork':
    case 'spec.unschedulable':
      return getPath(obj, field) === true ? 'true' : 'false';
    case 'status.replicas':
      return stringOf(getPath(obj, field) ?? 0);
    case 'status.successful':
      return stringOf(getPath(obj, 'status.succeeded') ?? 0);
    case 'status.podIP': {
      const ips = getPath(obj, 'status.podIPs');
      if (Array.isArray(ips) && ips.length > 0) return stringOf((ips[0] as { ip?: unknown })?.ip);
      return stringOf(getPath(obj, field));
    }
    case 'status.podIPs':
      // Accepted by the conversion but absent from the pod's selectable field set.
      return '';
    case 'source': {
      const component = stringOf(getPath(obj, 'source.component'));
      return component || stringOf(obj.reportingComponent ?? obj.reportingController);
    }
    case 'reportingComponent':
      return stringOf(obj.reportingComponent ?? obj.reportingController);
    default:
      return stringOf(getPath(obj, field));
  }
}

export function matchesFields(sel: FieldSelector, obj: KObject): boolean {
  return sel.every((r) => (fieldValue(obj, r.field) === r.value) === (r.op === '='));
}

