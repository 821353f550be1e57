// `kubeherald audit list`: the chat commands kubeherald answered, from the
// audit trail in the state database. Safe while kubeherald runs: the file is
// only read (opened without touching deliveries in flight, as `dlq` does).

import type { Command } from 'commander';
import { loadConfig } from '../config/index.ts';
import type { AuditEntry, AuditFilter } from '../model/audit.ts';
import { fileState, inMemoryOnly, openStore, type StateTarget } from '../store/open.ts';

export interface AuditIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** default Date.now */
  now?: () => number;
}

export interface AuditFlags {
  state?: string;
  config?: string;
  user?: string;
  since?: string;
  limit?: string;
  output?: string;
}

const DEFAULT_LIMIT = 100;
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };

/**
 * A Go-style duration (`90s`, `30m`, `1h30m`, `1.5h`), plus `d` for days
 * (`7d`), as ms. Positive only: "since 0s ago" is always an empty list.
 */
export function parseGoDuration(text: string): number {
  const s = text.trim();
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = part.exec(s))) {
    total += Number(m[1]) * UNITS[m[2]];
    end = part.lastIndex;
  }
  if (!s || end !== s.length) throw new Error(`expected a duration such as 30m, 1h, 1h30m or 7d (units ms, s, m, h, d), got ${JSON.stringify(text)}`);
  if (!(total > 0) || !Number.isFinite(total)) throw new Error(`expected a duration greater than zero, got ${JSON.stringify(text)}`);
  return Math.round(total);
}

function flagError(flag: string, err: unknown): Error {
  return new Error(`audit list: ${flag}: ${(err as Error).message}`);
}

/** Every flag checked before the state database is opened. */
export function auditFilterOf(f: AuditFlags, now: number): { filter: AuditFilter; limit: number; output: 'table' | 'json' } {
  const output = f.output ?? 'table';
  if (output !== 'table' && output !== 'json') throw new Error(`audit list: -o/--output: expected table or json, got ${JSON.stringify(output)}`);
  let limit = DEFAULT_LIMIT;
  if (f.limit !== undefined) {
    if (!/^[0-9]{1,9}$/.test(f.limit) || Number(f.limit) < 1) throw new Error(`audit list: --limit: expected a whole number ≥ 1, got ${JSON.stringify(f.limit)}`);
    limit = Number(f.limit);
  }
  const filter: AuditFilter = {};
  if (f.user !== undefined) {
    if (!f.user.trim()) throw new Error('audit list: --user: expected a chat user id or name, or a Kubernetes user, got ""');
    filter.user = f.user;
  }
  if (f.since !== undefined) {
    try {
      filter.since = now - parseGoDuration(f.since);
    } catch (err) {
      throw flagError('--since', err);
    }
  }
  return { filter, limit, output };
}

/** --state (a SQLite file), else the config's state.url or state.path (relative to the config file), else the default. */
async function stateOf(f: AuditFlags): Promise<StateTarget> {
  const state = f.state !== undefined ? fileState(f.state) : (await loadConfig({ file: f.config, env: process.env })).state;
  if (inMemoryOnly(state)) throw new Error('audit list: state.path is :memory:, so the audit trail lived only in that process; give --state <file>');
  return state;
}

// Chat text is anyone's: a control character or an escape sequence printed
// as is could rewrite the reader's terminal, a bidi override could reorder
// what they see. Shown escaped instead.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function cell(s: string | undefined, max: number): string {
  if (s === undefined || s === '') return '-';
  const t = s.replace(/[\t\n\r]+/g, ' ').replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function duration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

const time = (at: number): string => new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');

function who(e: AuditEntry): string {
  return e.platformUserName && e.platformUserName !== e.platformUserId ? `${e.platformUserId} (${e.platformUserName})` : e.platformUserId;
}

export function formatAuditTable(entries: AuditEntry[]): string {
  const header = ['TIME', 'PLATFORM', 'USER', 'AS', 'COMMAND', 'TARGET', 'DECISION', 'OUTCOME', 'DURATION'];
  const rows = entries.map((e) => [
    time(e.at),
    e.platform,
    cell(who(e), 40),
    cell(e.identity?.user, 40),
    // what did not parse is shown as typed, quoted, so it cannot pass for a command
    e.command !== undefined ? cell(e.command, 60) : cell(JSON.stringify(e.text), 60),
    cell(e.target, 40),
    e.decision,
    e.outcome,
    duration(e.durationMs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((cols) => cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n') + '\n';
}

function asJson(e: AuditEntry): object {
  return { id: e.id, time: new Date(e.at).toISOString(), ...e };
}

export async function auditList(f: AuditFlags, io: AuditIo): Promise<number> {
  const now = (io.now ?? Date.now)();
  const { filter, limit, output } = auditFilterOf(f, now);
  const store = await openStore(await stateOf(f), { recover: false, mustExist: true });
  try {
    // one more than asked, to know whether older records were left out
    const rows = store.audit.list({ ...filter, limit: limit + 1 });
    const cut = rows.length > limit;
    const shown = cut ? rows.slice(rows.length - limit) : rows;
    if (output === 'json') io.stdout.write(`${JSON.stringify(shown.map(asJson), null, 2)}\n`);
    else if (shown.length === 0) io.stdout.write('no chat commands recorded\n');
    else io.stdout.write(formatAuditTable(shown));
    if (cut) io.stderr.write(`showing the newest ${limit}; older ones match too (--limit N, --since)\n`);
    return 0;
  } finally {
    store.close();
  }
}

export function registerAudit(program: Command, io: AuditIo = { stdout: process.stdout, stderr: process.stderr }): void {
  const audit = program.command('audit').description('the audit trail of chat commands (who ran what, as whom, allowed or not)');
  audit
    .command('list')
    .description('list chat commands, newest last')
    .option('--state <path>', 'the state database (default: state.path from the config)')
    .option('-c, --config <file>', 'config file to take state.path from (default: $KUBEHERALD_CONFIG)')
    .option('--user <user>', 'only this chat user (platform id or name) or Kubernetes user')
    .option('--since <duration>', 'only commands received within this long (e.g. 30m, 1h, 7d)')
    .option('--limit <n>', `at most this many, the newest (default ${DEFAULT_LIMIT})`)
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (f: AuditFlags) => {
      process.exitCode = await auditList(f, io);
    });
}
