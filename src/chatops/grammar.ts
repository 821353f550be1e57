// The chat command grammar, one for every platform: kubectl-like words and
// flags in, a checked ParsedCommand (or the problem in words and the usage
// line) out. Pure. The text is split into words here and nowhere else, and
// no word reaches a shell or an API path without passing a check below.

import { didYouMean } from '../config-kit/suggest.ts';
import {
  COMMANDS,
  commandSpec,
  type CommandSpec,
  FLAGS,
  type FlagId,
  flagName,
  type FlagSpec,
  MAX_REPLICAS,
  MAX_REVISION,
  MAX_SINCE_SECONDS,
  MAX_TAIL,
  ROLLOUT_ACTIONS,
  SILENCE_ACTIONS,
  VERBS,
} from './commands.ts';
import { KINDS, lookupKind, type KindInfo } from './kinds.ts';
import type { KindName, ParsedCommand, ParseResult, Verb } from './types.ts';
import { kindProblem, MAX_COMMENT, parseLabels, parseUntil, reasonProblem, splitComment } from './silence-grammar.ts';
import { checkClusterName, checkName, checkSelector, checkText, checkWord, MAX_TEXT, parseDuration, parseWholeNumber, shown } from './validate.ts';

// no command, kind or flag is longer than this; a longer word is no typo of one (and the edit distance is quadratic)
const MAX_SUGGESTABLE = 40;

/**
 * didYouMean, computing edit distances only for candidates that could win:
 * those within its distance limit by length alone, or in its prefix relation.
 * The answer is the same; most refused texts ask for a suggestion, so it matters.
 */
function suggest(word: string, candidates: readonly string[]): string | undefined {
  if (word.length > MAX_SUGGESTABLE) return undefined;
  const norm = (x: string): string => x.toLowerCase().replace(/[-_]/g, '');
  const w = norm(word);
  const limit = Math.max(1, Math.round(word.length * 0.4));
  const near = candidates.filter((c) => {
    const n = norm(c);
    return Math.abs(n.length - w.length) <= limit || (w.length >= 3 && (n.startsWith(w) || w.startsWith(n)));
  });
  return near.length ? didYouMean(word, near) : undefined;
}

// Thrown inside the parser and caught in parseCommand only. Not an Error: most
// texts a fuzzer or a careless paste sends are refused, and capturing a stack
// trace for each would be most of the parser's time.
class ParseError {
  readonly message: string;
  readonly usage: string | undefined;
  constructor(message: string, usage?: string) {
    this.message = message;
    this.usage = usage;
  }
}

/** id undefined: the bare verb, meaning the one request it can be about (the service finds it, or asks which). */
export type RequestAnswer = { verb: 'confirm' | 'cancel' | 'approve' | 'deny'; id?: string; reason?: string };

/**
 * `confirm <id>`, `cancel <id>`, `approve <id> [reason]`, `deny <id> [reason]`,
 * or the verb alone (`confirm`): a typed answer to a pending request, what a button press is where there
 * are no buttons (the console). Undefined for anything else. Never throws.
 */
export function parseRequestAnswer(text: string): RequestAnswer | undefined {
  if (text.length > MAX_TEXT) return undefined;
  const bare = /^(confirm|cancel|approve|deny)$/.exec(text.trim());
  if (bare) return { verb: bare[1] as RequestAnswer['verb'] };
  const m = /^(confirm|cancel|approve|deny)[ \t]+([A-Za-z0-9_-]{1,22})(?:[ \t]+(\S[^\r\n]*))?$/.exec(text.trim());
  if (!m) return undefined;
  const verb = m[1] as RequestAnswer['verb'];
  const reason = m[3]?.trim();
  if (reason && (verb === 'confirm' || verb === 'cancel')) return undefined;
  return { verb, id: m[2], ...(reason ? { reason } : {}) };
}

/** Parse one command as typed in chat (mention or slash command already removed). Never throws. */
export function parseCommand(text: string): ParseResult {
  try {
    return { ok: true, command: parse(text) };
  } catch (err) {
    if (err instanceof ParseError) return err.usage !== undefined ? { ok: false, error: err.message, usage: err.usage } : { ok: false, error: err.message };
    throw err;
  }
}

function parse(text: string): ParsedCommand {
  if (text.length > MAX_TEXT) throw new ParseError(`command too long: ${text.length.toLocaleString('en-US')} characters; at most ${MAX_TEXT.toLocaleString('en-US')}`);
  const badText = checkText(text);
  if (badText) throw new ParseError(badText);
  // a silence's comment (after `--`) is free text: kept apart from the words and their checks
  const silence = /^[ \t]*(kubectl[ \t]+)?silence([ \t]|$)/.test(text) ? splitComment(text) : { command: text };
  if (silence.comment !== undefined && silence.comment.length > MAX_COMMENT) throw new ParseError(`silence: the comment is ${silence.comment.length} characters long; at most ${MAX_COMMENT}`);
  // free, but held to the words' rules: no shell syntax or control characters echoed back into chat
  for (const w of silence.comment?.split(/\s+/) ?? []) {
    const bad = checkWord(w);
    if (bad) throw new ParseError(`silence comment: ${bad}`);
  }
  const words = tokenize(silence.command);
  for (const w of words) {
    const bad = checkWord(w);
    if (bad) throw new ParseError(bad);
  }
  if (words[0] === 'kubectl') words.shift();
  else if (words.length === 0) throw new ParseError('empty command');
  if (words.length === 0) throw new ParseError('expected a command after "kubectl"; type "help" for the list');

  const { positionals, flags } = lexFlags(words);
  const verbWord = positionals[0];
  const wantsHelp = flags.some((f) => f.spec?.id === 'help');
  if (verbWord === undefined) {
    if (wantsHelp) return { verb: 'help' };
    throw new ParseError(`expected a command before ${flags[0].raw}, e.g. "pods -n demo"; type "help" for the list`);
  }
  const verb = toVerb(verbWord);
  if (wantsHelp) {
    const topic = helpTopic(verb, positionals[1]);
    return topic !== undefined ? { verb: 'help', topic } : { verb: 'help' };
  }
  const args = new Args(verb, positionals.slice(1), flags);
  if (silence.comment !== undefined) args.comment = silence.comment;
  // a flag the command does not take is the first thing said; rollout and silence know their row only after the action
  if (verb !== 'rollout' && verb !== 'silence') args.checkFlags();
  return PARSERS[verb](args);
}

/** Words split on whitespace; '…' and "…" keep spaces (a selector) and are removed. */
function tokenize(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  for (const ch of text) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else word += ch;
    } else if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote !== undefined) throw new ParseError(`unterminated ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

interface FlagUse {
  /** undefined: no command takes such a flag */
  spec: FlagSpec | undefined;
  /** as typed, without its value: -n, --namespace, --nmespace */
  raw: string;
  value: string | boolean;
}

const BY_LONG = new Map(FLAGS.map((f) => [f.long, f] as const));
const BY_SHORT = new Map(FLAGS.filter((f) => f.short).map((f) => [f.short!, f] as const));

// -1 is a (negative) number, which the range checks name, not a flag
const NEGATIVE_NUMBER = /^-[0-9]/;

/** Flags (-n x, -nx, -n=x, --namespace x, --namespace=x, -A, --previous=false) apart from the other words, in any order. */
function lexFlags(words: string[]): { positionals: string[]; flags: FlagUse[] } {
  const positionals: string[] = [];
  const flags: FlagUse[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (!w.startsWith('-') || w === '-' || NEGATIVE_NUMBER.test(w)) {
      positionals.push(w);
      continue;
    }
    let spec: FlagSpec | undefined;
    let raw: string;
    let inline: string | undefined;
    if (w.startsWith('--')) {
      const eq = w.indexOf('=');
      raw = eq < 0 ? w : w.slice(0, eq);
      inline = eq < 0 ? undefined : w.slice(eq + 1);
      spec = BY_LONG.get(raw.slice(2));
    } else {
      raw = w.slice(0, 2);
      spec = BY_SHORT.get(w[1]);
      const rest = w.slice(2);
      if (rest.startsWith('=')) inline = rest.slice(1);
      else if (rest !== '' && spec?.value !== undefined) inline = rest;
      else if (rest !== '') {
        // -pA, -xyz: not a flag anyone takes as one word
        spec = undefined;
        raw = w;
      }
    }
    if (spec === undefined) {
      const eq = raw.indexOf('=');
      flags.push({ spec, raw: eq < 0 ? raw : raw.slice(0, eq), value: true });
      continue;
    }
    if (spec.value !== undefined) {
      let value = inline;
      if (value === undefined) {
        value = words[i + 1];
        if (value === undefined) throw new ParseError(`${raw} needs a value (${spec.value})`);
        if (value.startsWith('-') && value !== '-' && !NEGATIVE_NUMBER.test(value)) throw new ParseError(`${raw} needs a value (${spec.value}), got the flag ${shown(value)}`);
        i++;
      }
      flags.push({ spec, raw, value });
    } else {
      if (inline !== undefined && inline !== 'true' && inline !== 'false') throw new ParseError(`${raw} is true or false, got ${shown(inline)}`);
      flags.push({ spec, raw, value: inline !== 'false' });
    }
  }
  return { positionals, flags };
}

function toVerb(word: string): Verb {
  if ((VERBS as readonly string[]).includes(word)) return word as Verb;
  if (word === 'log') return 'logs';
  const lower = word.toLowerCase();
  if ((VERBS as readonly string[]).includes(lower)) throw new ParseError(`unknown command ${shown(word)}; commands are lowercase: did you mean "${lower}"?`);
  const guess = suggest(word, VERBS);
  if (guess) throw new ParseError(`unknown command ${shown(word)}; did you mean "${guess}"?`);
  throw new ParseError(`unknown command ${shown(word)}; commands: ${VERBS.join(', ')}`);
}

function helpTopic(verb: Verb, next: string | undefined): string | undefined {
  if (verb === 'help') return undefined;
  if (verb === 'rollout' && next !== undefined && (ROLLOUT_ACTIONS as readonly string[]).includes(next)) return `rollout ${next}`;
  if (verb === 'rollout' && next === 'restart') return 'restart';
  if (verb === 'silence' && next !== undefined && (SILENCE_ACTIONS as readonly string[]).includes(next)) return `silence ${next}`;
  return verb;
}

/** The words after the verb and the flags, consumed by one command's parser; errors carry its name and usage. */
class Args {
  readonly verb: Verb;
  spec: CommandSpec;
  readonly #positionals: string[];
  readonly #flags: FlagUse[];
  /** silence only: the text after `--` */
  comment: string | undefined;

  constructor(verb: Verb, positionals: string[], flags: FlagUse[]) {
    this.verb = verb;
    // rollout's row depends on its action; until the parser narrows it with use(), messages name all of them
    const rows = COMMANDS.filter((c) => c.verb === verb);
    this.spec = rows.length === 1 ? rows[0] : { ...rows[0], name: verb, action: undefined, usage: rows.map((r) => r.usage).join('\n') };
    this.#positionals = positionals;
    this.#flags = flags;
  }

  fail(message: string): never {
    throw new ParseError(`${this.spec.name}: ${message}`, this.spec.usage);
  }

  /** Narrow to one table row (a rollout action). */
  use(spec: CommandSpec): void {
    this.spec = spec;
  }

  get count(): number {
    return this.#positionals.length;
  }

  positional(i: number): string | undefined {
    return this.#positionals[i];
  }

  /** Refuse more words than the command takes, after checkFlags(). */
  finish(maxPositionals: number): void {
    this.checkFlags();
    const extra = this.#positionals[maxPositionals];
    if (extra !== undefined) this.fail(`unexpected argument ${shown(extra)}`);
  }

  /** Refuse flags the command does not take, and a flag given twice with different values. */
  checkFlags(): void {
    const takes = this.spec.flags;
    for (const f of this.#flags) {
      if (f.spec === undefined) {
        const names = takes.flatMap((id) => flagNames(id));
        const suggestion = suggestFlag(f.raw, takes);
        const hint = suggestion ? `; did you mean "${suggestion}"?` : names.length ? `; ${this.spec.name} takes ${names.join(', ')}` : `; ${this.spec.name} takes no flags`;
        this.fail(`unknown flag ${shown(f.raw)}${hint}`);
      }
      if (f.spec.id !== 'help' && !takes.includes(f.spec.id)) {
        const others = COMMANDS.filter((c) => c.flags.includes(f.spec!.id)).map((c) => c.name);
        const list = takes.length ? `its flags: ${takes.map(flagName).join(', ')}` : 'it takes no flags';
        this.fail(`does not take ${f.raw} (${others.join(', ')} ${others.length === 1 ? 'does' : 'do'}); ${list}`);
      }
    }
    for (const id of takes) {
      const values = new Set(this.#flags.filter((f) => f.spec?.id === id).map((f) => f.value));
      if (values.size > 1) this.fail(`${flagName(id)} given twice with different values`);
    }
  }

  flag(id: FlagId): string | boolean | undefined {
    return this.#flags.find((f) => f.spec?.id === id)?.value;
  }

  stringFlag(id: FlagId): string | undefined {
    const v = this.flag(id);
    return typeof v === 'string' ? v : undefined;
  }

  boolFlag(id: FlagId): boolean {
    return this.flag(id) === true;
  }

  /** -n, checked as a namespace name. */
  namespace(): string | undefined {
    const ns = this.stringFlag('namespace');
    if (ns === undefined) return undefined;
    const bad = checkName('namespace', ns, 'label');
    if (bad) this.fail(bad);
    return ns;
  }

  /** -n and -A together are a contradiction kubectl lets -A win; here it is an error. */
  scope(): { namespace?: string; allNamespaces: boolean } {
    const namespace = this.namespace();
    const allNamespaces = this.boolFlag('allNamespaces');
    if (allNamespaces && namespace !== undefined) this.fail('-A (all namespaces) and -n cannot be used together');
    return namespace !== undefined ? { namespace, allNamespaces } : { allNamespaces };
  }

  /**
   * --cluster, checked as a name only: which clusters exist is the config's,
   * and the service refuses one it does not list before any API call.
   */
  cluster(): { cluster?: string } {
    const name = this.stringFlag('cluster');
    if (name === undefined) return {};
    const bad = checkClusterName(name);
    if (bad) this.fail(bad);
    return { cluster: name };
  }

  selector(): string | undefined {
    const raw = this.stringFlag('selector');
    if (raw === undefined) return undefined;
    const selector = raw.trim();
    const bad = checkSelector(selector);
    if (bad) this.fail(bad);
    return selector;
  }

  name(what: string, value: string, rule: 'label' | 'subdomain' = 'subdomain'): string {
    const bad = checkName(what, value, rule);
    if (bad) this.fail(bad);
    return value;
  }

  kind(typed: string): KindInfo {
    const k = lookupKind(typed);
    if (k) return k;
    // full names first, so a typo of "deployment" is not taken for a longer "deploy"
    const guess = suggest(typed, KINDS.flatMap((x) => x.aliases.slice(0, 2))) ?? suggest(typed, KINDS.flatMap((x) => x.aliases));
    const list = KINDS.map((x) => x.aliases[1]).join(', ');
    return this.fail(`unknown kind ${shown(typed)}${guess ? `; did you mean "${guess}"?` : ''}; kinds: ${list}`);
  }

  /** `<kind> <name>` or `<kind>/<name>` from position `at`; returns the position after them. */
  object(at: number, requireName: boolean): { kind: KindInfo; name?: string; next: number } {
    const first = this.positional(at);
    if (first === undefined) this.fail(`expected a kind${requireName ? ' and a name' : ''}: ${this.spec.usage}`);
    const slash = first.indexOf('/');
    const kind = this.kind(slash < 0 ? first : first.slice(0, slash));
    const typedName = slash < 0 ? this.positional(at + 1) : first.slice(slash + 1);
    const next = slash < 0 && typedName !== undefined ? at + 2 : at + 1;
    if (typedName === undefined) {
      if (requireName) this.fail(`expected the ${kind.kind} name: ${this.spec.usage}`);
      return { kind, next };
    }
    return { kind, name: this.name(`${kind.kind} name`, typedName, kind.kind === 'namespace' ? 'label' : 'subdomain'), next };
  }

  /** Like object(), for commands that act on one kind only. */
  objectOf(at: number, kind: KindName): { name: string; next: number } {
    const first = this.positional(at);
    if (first === undefined) this.fail(`expected ${this.spec.usage}`);
    const typed = first.split('/')[0];
    const k = lookupKind(typed);
    if (k === undefined || k.kind !== kind) {
      const what = kind === 'deployment' ? 'deployments' : `${kind}s`;
      this.fail(`${k ? `${k.resource} cannot be` : `expected "${kind}", not ${shown(typed)}: only ${what} can be`} ${verbPast(this.spec)} from chat: ${this.spec.usage}`);
    }
    const o = this.object(at, true);
    return { name: o.name!, next: o.next };
  }
}

/** The flag of `takes` a mistyped one was meant to be: -a → -A, --namspace → --namespace. */
function suggestFlag(raw: string, takes: readonly FlagId[]): string | undefined {
  const specs = takes.map((id) => FLAGS.find((x) => x.id === id)!);
  if (/^-[A-Za-z]$/.test(raw)) {
    const other = raw[1] === raw[1].toLowerCase() ? raw[1].toUpperCase() : raw[1].toLowerCase();
    const short = specs.find((f) => f.short === other);
    if (short) return `-${short.short}`;
  }
  const guess = suggest(raw.replace(/^-+/, ''), specs.map((f) => f.long));
  return guess !== undefined ? `--${guess}` : undefined;
}

function flagNames(id: FlagId): string[] {
  const f = FLAGS.find((x) => x.id === id)!;
  return f.short ? [`-${f.short}`, `--${f.long}`] : [`--${f.long}`];
}

function verbPast(spec: CommandSpec): string {
  switch (spec.verb) {
    case 'scale':
      return 'scaled';
    case 'restart':
      return 'restarted';
    case 'rollout':
      return 'rolled out';
    case 'delete':
      return 'deleted';
    default:
      return `used with ${spec.name}`;
  }
}

function replicas(a: Args, value: string): number {
  const n = parseWholeNumber('replicas', value, 0, MAX_REPLICAS);
  return typeof n === 'number' ? n : a.fail(n);
}

const PARSERS: Record<Verb, (a: Args) => ParsedCommand> = {
  help(a: Args) {
    a.finish(2);
    const words = [a.positional(0), a.positional(1)].filter((w) => w !== undefined);
    if (words.length === 0) return { verb: 'help' };
    for (const w of words) if (!/^[A-Za-z][A-Za-z0-9-]{0,31}$/.test(w)) a.fail(`${shown(w)} is not a command; type "help" for the list`);
    return { verb: 'help', topic: words.join(' ') };
  },

  whoami(a: Args) {
    a.finish(0);
    return { verb: 'whoami' };
  },

  pods(a: Args) {
    a.finish(0);
    const scope = a.scope();
    const selector = a.selector();
    return { verb: 'pods', ...scope, ...(selector !== undefined ? { selector } : {}), ...a.cluster() };
  },

  get(a: Args) {
    const o = a.object(0, false);
    a.finish(o.next);
    const scope = a.scope();
    const selector = a.selector();
    if (o.name !== undefined && selector !== undefined) a.fail('a name and -l cannot be used together');
    if (o.name !== undefined && scope.allNamespaces && o.kind.namespaced) a.fail('-A cannot be used with a name: one object lives in one namespace');
    const sel = selector !== undefined ? { selector } : {};
    // `get pods` lists pods exactly as `pods` does
    if (o.kind.kind === 'pod' && o.name === undefined) return { verb: 'pods', ...scope, ...sel, ...a.cluster() };
    // kubectl ignores -n and -A for cluster-scoped kinds; so does this, rather than carry them along
    const where = o.kind.namespaced ? scope : { allNamespaces: false };
    return { verb: 'get', kind: o.kind.kind, ...(o.name !== undefined ? { name: o.name } : {}), ...where, ...sel, ...a.cluster() };
  },

  describe(a: Args) {
    const o = a.object(0, true);
    a.finish(o.next);
    const namespace = o.kind.namespaced ? a.namespace() : undefined;
    return { verb: 'describe', kind: o.kind.kind, name: o.name!, ...(namespace !== undefined ? { namespace } : {}), ...a.cluster() };
  },

  logs(a: Args) {
    const first = a.positional(0);
    if (first === undefined) a.fail(`expected a pod name: ${a.spec.usage}`);
    let podName = first;
    const slash = first.indexOf('/');
    if (slash >= 0) {
      const k = a.kind(first.slice(0, slash));
      if (k.kind !== 'pod') a.fail(`only pods have logs; give the pod's name (pod/<name> works too), not ${k.resource}`);
      podName = first.slice(slash + 1);
    }
    const pod = a.name('pod name', podName);
    a.finish(2);
    // kubectl logs <pod> <container>
    const second = a.positional(1);
    const flagContainer = a.stringFlag('container');
    if (second !== undefined && flagContainer !== undefined && second !== flagContainer) a.fail(`the container is given twice: ${shown(second)} and -c ${shown(flagContainer)}`);
    const typedContainer = flagContainer ?? second;
    const container = typedContainer !== undefined ? a.name('container name', typedContainer, 'label') : undefined;
    const namespace = a.namespace();
    const tailText = a.stringFlag('tail');
    let tail: number | undefined;
    if (tailText !== undefined) {
      const n = parseWholeNumber('--tail', tailText, 1, MAX_TAIL);
      tail = typeof n === 'number' ? n : a.fail(n);
    }
    const sinceText = a.stringFlag('since');
    let sinceSeconds: number | undefined;
    if (sinceText !== undefined) {
      const s = parseDuration('--since', sinceText, MAX_SINCE_SECONDS);
      sinceSeconds = typeof s === 'number' ? s : a.fail(s);
    }
    return {
      verb: 'logs',
      pod,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(container !== undefined ? { container } : {}),
      ...(tail !== undefined ? { tail } : {}),
      previous: a.boolFlag('previous'),
      ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
      ...a.cluster(),
    };
  },

  events(a: Args) {
    a.finish(0);
    const scope = a.scope();
    const forText = a.stringFlag('for');
    if (forText === undefined) return { verb: 'events', ...scope, ...a.cluster() };
    const slash = forText.indexOf('/');
    if (slash < 0) a.fail(`--for expects kind/name, e.g. pod/web-1, got ${shown(forText)}`);
    const kind = a.kind(forText.slice(0, slash));
    const name = a.name(`${kind.kind} name`, forText.slice(slash + 1), kind.kind === 'namespace' ? 'label' : 'subdomain');
    return { verb: 'events', ...scope, for: { kind: kind.kind, name }, ...a.cluster() };
  },

  scale(a: Args) {
    const o = a.objectOf(0, 'deployment');
    a.finish(o.next + 1);
    const positional = a.positional(o.next);
    const flagged = a.stringFlag('replicas');
    if (positional === undefined && flagged === undefined) a.fail(`expected the replica count: ${a.spec.usage}`);
    if (positional !== undefined && flagged !== undefined && positional !== flagged) a.fail(`replicas given twice: ${shown(positional)} and --replicas=${shown(flagged)}`);
    const count = replicas(a, (positional ?? flagged)!);
    const namespace = a.namespace();
    return { verb: 'scale', kind: 'deployment', name: o.name, replicas: count, ...(namespace !== undefined ? { namespace } : {}), ...a.cluster() };
  },

  restart(a: Args) {
    return restart(a, 0);
  },

  rollout(a: Args) {
    const action = a.positional(0);
    const actions = [...ROLLOUT_ACTIONS, 'restart'];
    if (action === undefined) a.fail('expected an action: status, history, undo or restart');
    if (action === 'restart') {
      a.use(commandSpec('restart'));
      a.checkFlags();
      return restart(a, 1);
    }
    if (!(ROLLOUT_ACTIONS as readonly string[]).includes(action)) {
      const guess = suggest(action, actions);
      a.fail(`unknown rollout action ${shown(action)}${guess ? `; did you mean "${guess}"?` : ''}; expected status, history, undo or restart`);
    }
    const which = action as (typeof ROLLOUT_ACTIONS)[number];
    a.use(commandSpec('rollout', which));
    a.checkFlags();
    const o = a.objectOf(1, 'deployment');
    a.finish(o.next);
    const namespace = a.namespace();
    const revisionText = a.stringFlag('toRevision');
    let toRevision: number | undefined;
    if (revisionText !== undefined) {
      const n = parseWholeNumber('--to-revision', revisionText, 1, MAX_REVISION);
      toRevision = typeof n === 'number' ? n : a.fail(n);
    }
    return { verb: 'rollout', action: which, kind: 'deployment', name: o.name, ...(namespace !== undefined ? { namespace } : {}), ...(toRevision !== undefined ? { toRevision } : {}), ...a.cluster() };
  },

  cordon(a: Args) {
    return { verb: 'cordon', node: node(a), ...a.cluster() };
  },

  uncordon(a: Args) {
    return { verb: 'uncordon', node: node(a), ...a.cluster() };
  },

  silence,

  delete(a: Args) {
    const o = a.objectOf(0, 'pod');
    a.finish(o.next);
    const namespace = a.namespace();
    return { verb: 'delete', kind: 'pod', name: o.name, ...(namespace !== undefined ? { namespace } : {}), ...a.cluster() };
  },
};

function silence(a: Args): ParsedCommand {
  const action = a.positional(0);
  if (action === 'list' || action === 'expire') {
    a.use(commandSpec('silence', action));
    a.checkFlags();
    if (a.comment !== undefined) a.fail('takes no comment');
    if (action === 'list') {
      a.finish(1);
      return { verb: 'silence', action: 'list', ...a.scope() };
    }
    const id = a.positional(1);
    if (id === undefined) a.fail(`expected the silence's id (silence list shows them): ${a.spec.usage}`);
    if (!/^[A-Za-z0-9][-A-Za-z0-9_:./]{0,252}$/.test(id)) a.fail(`${shown(id)} is not a silence id`);
    a.finish(2);
    return { verb: 'silence', action: 'expire', id };
  }
  a.use(commandSpec('silence', 'create'));
  a.checkFlags();
  const scope = a.scope();
  const kind = a.stringFlag('kind');
  if (kind !== undefined && kindProblem(kind)) a.fail(kindProblem(kind)!);
  const nameText = a.stringFlag('name');
  const name = nameText !== undefined ? a.name('--name', nameText) : undefined;
  const reason = a.stringFlag('reason');
  if (reason !== undefined && reasonProblem(reason)) a.fail(reasonProblem(reason)!);
  const labelText = a.stringFlag('selector');
  let labels: Record<string, string> | undefined;
  if (labelText !== undefined) {
    const l = parseLabels(labelText.trim());
    labels = typeof l === 'string' ? a.fail(l) : l;
  }
  const word = a.positional(0);
  const value = a.positional(1);
  if (word === undefined) a.fail(`expected "for <duration>" or "until <time>": ${a.spec.usage}`);
  if (word !== 'for' && word !== 'until') {
    const guess = suggest(word, ['for', 'until', ...SILENCE_ACTIONS]);
    a.fail(`unexpected ${shown(word)}${guess ? `; did you mean "${guess}"?` : ''}; expected "for <duration>" or "until <time>"`);
  }
  if (value === undefined) a.fail(word === 'for' ? 'expected a duration after "for": 30m, 2h, 1d' : 'expected a time after "until": 2026-12-24T18:00Z');
  a.finish(2);
  let durationSeconds: number | undefined;
  let until: number | undefined;
  if (word === 'for') {
    // the maximum is the silences' own rule (--force passes it), checked where they are made
    const d = parseDuration('for', value, 366 * 86400);
    durationSeconds = typeof d === 'number' ? d : a.fail(d);
  } else {
    const t = parseUntil(value);
    until = typeof t === 'number' ? t : a.fail(t);
  }
  return {
    verb: 'silence',
    action: 'create',
    ...scope,
    ...(kind !== undefined ? { kind } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(reason !== undefined ? { reason } : {}),
    ...(labels !== undefined ? { labels } : {}),
    ...(durationSeconds !== undefined ? { durationSeconds } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(a.comment !== undefined ? { comment: a.comment } : {}),
    force: a.boolFlag('force'),
    ...a.cluster(),
  };
}

function restart(a: Args, at: number): ParsedCommand {
  const o = a.objectOf(at, 'deployment');
  a.finish(o.next);
  const namespace = a.namespace();
  return { verb: 'restart', kind: 'deployment', name: o.name, ...(namespace !== undefined ? { namespace } : {}), ...a.cluster() };
}

function node(a: Args): string {
  const first = a.positional(0);
  if (first === undefined) a.fail(`expected a node name: ${a.spec.usage}`);
  const slash = first.indexOf('/');
  if (slash >= 0 && a.kind(first.slice(0, slash)).kind !== 'node') a.fail(`expected a node, got ${shown(first)}`);
  const name = a.name('node name', slash >= 0 ? first.slice(slash + 1) : first);
  a.finish(1);
  return name;
}
