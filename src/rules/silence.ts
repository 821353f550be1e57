// Silences: "quiet for two hours about this". Pure: the model, its
// validation (errors name the field) and the matcher; the store keeps them,
// src/pipeline/silences.ts turns the active ones into a HoldCheck.
//
// String matchers take the routes' globs (`*`, `?`, whole value); labels map
// a label to a glob; `cel` is a route-style CEL expression over the same
// variables. Every matcher given must match (AND). A silence naming time
// intervals applies only while one of them holds.

import type { Notification } from '../model/notification.ts';
import { celBindings, compileCel } from './cel.ts';
import { globRegExp } from './glob.ts';

export type SilenceSource = 'cli' | 'chat' | 'resource';

export interface SilenceMatchers {
  cluster?: string;
  namespace?: string;
  kind?: string;
  name?: string;
  reason?: string;
  labels?: Record<string, string>;
  cel?: string;
}

/** A silence as asked for, before it is validated and given an id. */
export interface SilenceDraft {
  matchers: SilenceMatchers;
  /** epoch ms, inclusive */
  startsAt: number;
  /** epoch ms, exclusive */
  endsAt: number;
  createdBy: string;
  comment: string;
  source: SilenceSource;
  /** names of time intervals (timeIntervals:) it applies in; none: always while it lasts */
  activeTimeIntervals?: string[];
}

export interface Silence extends SilenceDraft {
  id: string;
  /** accepted although it matches everything or lasts longer than silences.maxDuration */
  forced?: boolean;
  createdAt: number;
  /** set once it ended by hand or on time */
  expiredAt?: number;
  expiredBy?: string;
}

export const SILENCE_MATCHER_KEYS = ['cluster', 'namespace', 'kind', 'name', 'reason', 'labels', 'cel'] as const;

/** Why a silence was refused. `force` problems may be overridden by someone with the right (the caller decides who). */
export class SilenceError extends Error {
  readonly field: string;
  /** true when `force` would accept it */
  readonly forcible: boolean;
  constructor(field: string, message: string, forcible = false) {
    super(`${field}: ${message}`);
    this.name = 'SilenceError';
    this.field = field;
    this.forcible = forcible;
  }
}

export interface ValidateOptions {
  /** the longest a silence may last without force (ms) */
  maxDurationMs: number;
  force?: boolean;
  /** names of the configured time intervals; an unknown name is refused */
  intervals?: ReadonlySet<string>;
}

const nonEmpty = (v: string | undefined): boolean => v !== undefined && v !== '';

/** True when the silence has no matcher at all: it would silence everything. */
export function matchesEverything(m: SilenceMatchers): boolean {
  return !SILENCE_MATCHER_KEYS.some((k) => (k === 'labels' ? Object.keys(m.labels ?? {}).length > 0 : nonEmpty(m[k])));
}

/** Throws a SilenceError naming the first bad field; returns the draft's problems none. */
export function validateSilence(d: SilenceDraft, opts: ValidateOptions): void {
  for (const k of ['cluster', 'namespace', 'kind', 'name', 'reason'] as const) {
    const v = d.matchers[k];
    if (v !== undefined && typeof v !== 'string') throw new SilenceError(`matchers.${k}`, `expected a string or glob, got ${JSON.stringify(v)}`);
    // eslint-disable-next-line no-control-regex
    if (v !== undefined && /[\u0000-\u001f\u007f]/.test(v)) throw new SilenceError(`matchers.${k}`, `${JSON.stringify(v)} contains a control character`);
  }
  for (const [k, v] of Object.entries(d.matchers.labels ?? {})) {
    if (k === '') throw new SilenceError('matchers.labels', 'a label name is empty');
    if (typeof v !== 'string') throw new SilenceError(`matchers.labels.${k}`, `expected a string or glob, got ${JSON.stringify(v)}`);
  }
  if (d.matchers.cel !== undefined) {
    const c = compileCel(d.matchers.cel);
    if (!c.ok) throw new SilenceError('matchers.cel', c.error);
  }
  for (const [i, name] of (d.activeTimeIntervals ?? []).entries()) {
    if (opts.intervals && !opts.intervals.has(name)) throw new SilenceError(`activeTimeIntervals[${i}]`, `no time interval named ${JSON.stringify(name)} (timeIntervals: in the config file)`);
  }
  if (!Number.isFinite(d.startsAt)) throw new SilenceError('startsAt', 'not a time');
  if (!Number.isFinite(d.endsAt)) throw new SilenceError('endsAt', 'not a time');
  if (d.endsAt <= d.startsAt) throw new SilenceError('endsAt', `${new Date(d.endsAt).toISOString()} is not after startsAt ${new Date(d.startsAt).toISOString()}`);
  if (d.createdBy.trim() === '') throw new SilenceError('createdBy', 'a silence needs an author');
  if (d.comment.trim() === '') throw new SilenceError('comment', 'say why (a silence needs a comment)');
  if (!opts.force && matchesEverything(d.matchers)) throw new SilenceError('matchers', 'no matcher: this silence would hold back every notification (force it if that is meant)', true);
  if (!opts.force && d.endsAt - d.startsAt > opts.maxDurationMs) {
    throw new SilenceError('endsAt', `lasts ${formatDuration(d.endsAt - d.startsAt)}, longer than silences.maxDuration (${formatDuration(opts.maxDurationMs)}); force it if that is meant`, true);
  }
}

/** A compiled silence: matches(n) without re-parsing globs or CEL per notification. */
export interface CompiledSilence {
  silence: Silence;
  matches(n: Notification): boolean;
}

export function compileSilence(s: Silence): CompiledSilence {
  const tests: ((n: Notification) => boolean)[] = [];
  const glob = (pattern: string | undefined, get: (n: Notification) => string): void => {
    if (pattern === undefined || pattern === '') return;
    const re = globRegExp(pattern);
    tests.push((n) => re.test(get(n)));
  };
  const m = s.matchers;
  glob(m.cluster, (n) => n.cluster);
  glob(m.namespace, (n) => n.involvedObject?.namespace ?? '');
  glob(m.kind, (n) => n.involvedObject?.kind ?? '');
  glob(m.name, (n) => n.involvedObject?.name ?? '');
  glob(m.reason, (n) => n.reason);
  for (const [k, v] of Object.entries(m.labels ?? {})) glob(v, (n) => n.labels[k] ?? '');
  if (m.cel !== undefined && m.cel !== '') {
    const c = compileCel(m.cel);
    // a stored expression that no longer compiles matches nothing rather than everything
    if (!c.ok) tests.push(() => false);
    else
      tests.push((n) => {
        const r = c.evaluate(celBindings(n));
        return 'value' in r && r.value === true;
      });
  }
  return { silence: s, matches: (n) => tests.every((t) => t(n)) };
}

/** In force at `now`: started, not ended, not expired by hand. Time intervals are the caller's (inInterval). */
export function silenceActive(s: Silence, now: number, inInterval?: (name: string, now: number) => boolean): boolean {
  if (s.expiredAt !== undefined || now < s.startsAt || now >= s.endsAt) return false;
  const names = s.activeTimeIntervals ?? [];
  if (names.length === 0 || !inInterval) return true;
  return names.some((name) => inInterval(name, now));
}

/** What a silence matches, for lists: "namespace=shop reason=CrashLoop* labels.team=pay". */
export function describeMatchers(m: SilenceMatchers): string {
  const parts: string[] = [];
  for (const k of ['cluster', 'namespace', 'kind', 'name', 'reason'] as const) if (nonEmpty(m[k])) parts.push(`${k}=${m[k]}`);
  for (const [k, v] of Object.entries(m.labels ?? {})) parts.push(`labels.${k}=${v}`);
  if (nonEmpty(m.cel)) parts.push(`cel=${JSON.stringify(m.cel)}`);
  return parts.length ? parts.join(' ') : '(everything)';
}

/** The hold's one line: "silenced by s-42 (alice: node drain)". */
export function silenceText(s: Silence): string {
  return `silenced by ${s.id} (${s.createdBy}: ${s.comment})`;
}

const UNITS: [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** "2h", "90m", "1d12h", "30s" → ms; undefined when not a duration. */
export function parseDuration(s: string): number | undefined {
  const re = /(\d+)(d|h|m|s)/gy;
  let total = 0;
  let at = 0;
  if (s === '') return undefined;
  for (;;) {
    re.lastIndex = at;
    const m = re.exec(s);
    if (!m) break;
    total += Number(m[1]) * UNITS.find(([u]) => u === m[2])![1];
    at = re.lastIndex;
  }
  return at === s.length && total > 0 ? total : undefined;
}

export function formatDuration(ms: number): string {
  let left = Math.max(0, Math.round(ms / 1000) * 1000);
  let out = '';
  for (const [u, size] of UNITS) {
    const n = Math.floor(left / size);
    if (n > 0) out += `${n}${u}`;
    left -= n * size;
  }
  return out || '0s';
}
