// `kubeherald silence add|list|expire`: silences in the state database, for
// operators at a terminal, like `kubeherald dlq` and `kubeherald requests`.
// A running kubeherald on the same file picks up what these add or expire
// within silences.refreshSeconds, and releases what an expired one held.
// Bad flags are refused by name before anything is opened.

import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { loadConfig } from '../config/index.ts';
import { maxDurationMs } from '../pipeline/silence-config.ts';
import { newSilenceId } from '../pipeline/silences.ts';
import { describeMatchers, formatDuration, parseDuration, type Silence, SilenceError, type SilenceMatchers, validateSilence } from '../rules/silence.ts';
import { compileTimeIntervals } from '../rules/time-interval.ts';
import { fileState, inMemoryOnly, openStore } from '../store/open.ts';

export interface SilenceIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** default Date.now */
  now?: () => number;
  /** default the operating-system user */
  user?: () => string;
}

export interface SilenceFlags {
  config?: string;
  /** the state database (default: state.path from the config) */
  db?: string;
  output?: string;
}

export interface SilenceAddFlags extends SilenceFlags {
  cluster?: string;
  namespace?: string;
  kind?: string;
  name?: string;
  reason?: string;
  label?: string[];
  cel?: string;
  interval?: string[];
  for?: string;
  until?: string;
  start?: string;
  comment?: string;
  author?: string;
  force?: boolean;
}

const time = (at: number): string => new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
// what people typed is shown escaped where it could move the cursor or flip text
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const safe = (s: string): string => s.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

function parseTime(flag: string, text: string): number {
  // RFC 3339: a date, a time and an offset (Z or ±hh:mm)
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(text)) throw new Error(`silence add: ${flag}: expected an RFC 3339 time such as 2026-12-24T08:00:00Z, got ${JSON.stringify(text)}`);
  const t = Date.parse(text);
  if (!Number.isFinite(t)) throw new Error(`silence add: ${flag}: ${JSON.stringify(text)} is not a valid time`);
  return t;
}

function parseLabels(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const at = item.indexOf('=');
    if (at <= 0) throw new Error(`silence add: --label: expected key=value (the value may be a glob), got ${JSON.stringify(item)}`);
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}

/** The silence the flags describe, not yet validated against the config. */
export function silenceFromFlags(f: SilenceAddFlags, now: number, user: string): Silence {
  if (f.for !== undefined && f.until !== undefined) throw new Error('silence add: give --for or --until, not both');
  if (f.for === undefined && f.until === undefined) throw new Error('silence add: --for <duration> (2h, 90m, 1d) or --until <RFC 3339 time> is required');
  if (f.comment === undefined || !f.comment.trim()) throw new Error('silence add: --comment: say why (a silence needs a comment)');
  const startsAt = f.start !== undefined ? parseTime('--start', f.start) : now;
  let endsAt: number;
  if (f.for !== undefined) {
    const d = parseDuration(f.for);
    if (d === undefined) throw new Error(`silence add: --for: expected a duration such as 2h, 90m or 1d12h, got ${JSON.stringify(f.for)}`);
    endsAt = startsAt + d;
  } else endsAt = parseTime('--until', f.until!);
  const matchers: SilenceMatchers = {};
  for (const k of ['cluster', 'namespace', 'kind', 'name', 'reason', 'cel'] as const) if (f[k] !== undefined) matchers[k] = f[k];
  if (f.label?.length) matchers.labels = parseLabels(f.label);
  const author = f.author ?? user;
  const s: Silence = { id: newSilenceId(), matchers, startsAt, endsAt, createdBy: author, comment: f.comment, source: 'cli', createdAt: now };
  if (f.interval?.length) s.activeTimeIntervals = [...f.interval];
  if (f.force) s.forced = true;
  return s;
}

async function open(f: SilenceFlags, verb: string) {
  const config = await loadConfig({ file: f.config, env: process.env });
  const state = f.db !== undefined ? fileState(f.db, config.state.synchronous) : config.state;
  if (inMemoryOnly(state)) throw new Error(`silence ${verb}: state.path is :memory:, so silences would live only in one process; give --db <file>`);
  return { config, state };
}

function checkOutput(f: SilenceFlags, verb: string): 'table' | 'json' {
  const output = f.output ?? 'table';
  if (output !== 'table' && output !== 'json') throw new Error(`silence ${verb}: -o/--output: expected table or json, got ${JSON.stringify(output)}`);
  return output;
}

export async function silenceAdd(f: SilenceAddFlags, io: SilenceIo): Promise<number> {
  const now = (io.now ?? Date.now)();
  const output = checkOutput(f, 'add');
  const s = silenceFromFlags(f, now, (io.user ?? (() => userInfo().username))());
  const { config, state } = await open(f, 'add');
  try {
    validateSilence(s, { maxDurationMs: maxDurationMs(config.silences), force: f.force ?? false, intervals: new Set(compileTimeIntervals(config.timeIntervals).intervals.keys()) });
  } catch (err) {
    if (!(err instanceof SilenceError)) throw err;
    io.stderr.write(`silence add: ${err.message}\n`);
    return 1;
  }
  const store = await openStore(state, { recover: false });
  try {
    store.silences.add(s);
  } finally {
    store.close();
  }
  if (output === 'json') io.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
  else io.stdout.write(`silence ${s.id} added: ${safe(describeMatchers(s.matchers))} until ${time(s.endsAt)} (${formatDuration(s.endsAt - Math.max(now, s.startsAt))})\n`);
  return 0;
}

export function formatSilencesTable(rows: readonly Silence[], now: number): string {
  const header = ['ID', 'STATE', 'BY', 'COMMENT', 'MATCHES', 'STARTS', 'ENDS'];
  const state = (s: Silence): string => (s.expiredAt !== undefined ? (s.expiredBy === 'expiry' ? 'ended' : `expired by ${s.expiredBy}`) : now < s.startsAt ? 'pending' : 'active');
  const body = rows.map((s) => [s.id, state(s), safe(s.createdBy), safe(s.comment), safe(describeMatchers(s.matchers)) + (s.activeTimeIntervals?.length ? ` in ${s.activeTimeIntervals.join(',')}` : ''), time(s.startsAt), time(s.expiredAt ?? s.endsAt)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  return [header, ...body].map((cols) => cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n') + '\n';
}

export async function silenceList(f: SilenceFlags & { all?: boolean }, io: SilenceIo): Promise<number> {
  const now = (io.now ?? Date.now)();
  const output = checkOutput(f, 'list');
  const { state } = await open(f, 'list');
  const store = await openStore(state, { recover: false, mustExist: true });
  try {
    const rows = store.silences.list({ all: f.all ?? false, now });
    if (output === 'json') io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else io.stdout.write(rows.length ? formatSilencesTable(rows, now) : f.all ? 'no silences\n' : 'no silences in force (--all shows ended ones)\n');
    return 0;
  } finally {
    store.close();
  }
}

export async function silenceExpire(id: string, f: SilenceFlags & { author?: string }, io: SilenceIo): Promise<number> {
  const now = (io.now ?? Date.now)();
  const { state } = await open(f, 'expire');
  const store = await openStore(state, { recover: false, mustExist: true });
  try {
    const s = store.silences.expire(id, now, f.author ?? (io.user ?? (() => userInfo().username))());
    if (!s) {
      const known = store.silences.get(id);
      io.stderr.write(known ? `silence expire: ${id} has already ended (${time(known.expiredAt ?? known.endsAt)})\n` : `silence expire: there is no silence ${JSON.stringify(id)}\n`);
      return 1;
    }
    io.stdout.write(`silence ${id} expired; a running kubeherald releases what it held within silences.refreshSeconds\n`);
    return 0;
  } finally {
    store.close();
  }
}

export function registerSilence(program: Command, io: SilenceIo = { stdout: process.stdout, stderr: process.stderr }): void {
  const silence = program.command('silence').description('silences: hold notifications back from chat for a while (record sinks still get them, marked)');
  const common = (c: Command) => c.option('-c, --config <file>', 'config file (default: $KUBEHERALD_CONFIG)').option('--db <path>', 'the state database (default: state.path from the config)');
  const many = (v: string, acc: string[] = []) => [...acc, v];
  common(silence.command('add').description('add a silence: every matcher given must match (values may be globs)'))
    .option('--cluster <glob>', 'cluster name')
    .option('--namespace <glob>', 'namespace of the object')
    .option('--kind <glob>', 'kind of the object (Pod, Deployment …)')
    .option('--name <glob>', 'name of the object')
    .option('--reason <glob>', 'reason (CrashLoopBackOff, NodeNotReady …)')
    .option('--label <key=glob>', 'a label of the notification (repeatable)', many)
    .option('--cel <expression>', 'a CEL expression over the notification, as in routes')
    .option('--interval <name>', 'only within this time interval of timeIntervals: (repeatable)', many)
    .option('--for <duration>', 'how long: 2h, 90m, 1d12h')
    .option('--until <time>', 'until this RFC 3339 time')
    .option('--start <time>', 'from this RFC 3339 time (default now)')
    .option('--comment <text>', 'why (required)')
    .option('--author <name>', 'who (default: the operating-system user)')
    .option('--force', 'accept a silence with no matcher, or longer than silences.maxDuration')
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (f: SilenceAddFlags) => {
      process.exitCode = await silenceAdd(f, io);
    });
  common(silence.command('list').description('silences in force and upcoming: who, why, what, until'))
    .option('--all', 'ended and expired ones too')
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (f: SilenceFlags & { all?: boolean }) => {
      process.exitCode = await silenceList(f, io);
    });
  common(silence.command('expire <id>').description('end a silence now; what it held and still fires is notified'))
    .option('--author <name>', 'who (default: the operating-system user)')
    .action(async (id: string, f: SilenceFlags & { author?: string }) => {
      process.exitCode = await silenceExpire(id, f, io);
    });
}
