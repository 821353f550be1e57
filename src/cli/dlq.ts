// `kubeherald dlq list|replay|purge`: the dead letters in the state database
// (deliveries a sink refused for good, or that outlived delivery.maxAgeSeconds).
// Safe while kubeherald runs: the file is opened without touching deliveries
// in flight, and a running kubeherald picks replayed ones up within a second.

import { toJson } from '@bufbuild/protobuf';
import type { Command } from 'commander';
import { loadConfig } from '../config/index.ts';
import { type Notification, NotificationSchema, State } from '../model/notification.ts';
import { decodePayload } from '../pipeline/payload.ts';
import { MEMORY_STATE_PATH } from '../store/config.ts';
import { fileState, inMemoryOnly, openStore, type StateTarget } from '../store/open.ts';
import type { DeadLetterFilter, DeliveryRow } from '../store/types.ts';

export interface DlqIo {
  stdout: NodeJS.WritableStream;
  /** default Date.now */
  now?: () => number;
}

export interface DlqFlags {
  state?: string;
  config?: string;
  sink?: string;
  id: string[];
  olderThan?: string;
  all?: boolean;
  limit?: string;
  output?: string;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };

/** `90s`, `30m`, `12h`, `7d` (a fraction is fine: `1.5h`) to ms. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(text.trim());
  if (!m) throw new Error(`expected a duration such as 90s, 30m, 12h or 7d, got ${JSON.stringify(text)}`);
  return Math.round(Number(m[1]) * UNITS[m[2]]);
}

function parseIds(ids: string[]): number[] {
  return ids
    .flatMap((s) => s.split(','))
    .filter((s) => s.trim() !== '')
    .map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 1) throw new Error(`expected a dead letter id (a whole number), got ${JSON.stringify(s)}`);
      return n;
    });
}

function filterOf(f: DlqFlags, now: number): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  if (f.sink) filter.sink = f.sink;
  if (f.id.length) filter.ids = parseIds(f.id);
  if (f.olderThan) filter.deadBefore = now - parseDuration(f.olderThan);
  return filter;
}

/** --state (a SQLite file), else the config's state.url or state.path (a config file's relative path is relative to the file), else the default. */
async function stateOf(f: DlqFlags): Promise<StateTarget> {
  const state = f.state ? fileState(f.state) : (await loadConfig({ file: f.config, env: process.env })).state;
  // an in-memory state lives and dies with the process that holds it: there is nothing here to read
  if (inMemoryOnly(state)) throw new Error(`state.path is ${MEMORY_STATE_PATH}: dead letters live only in the memory of the kubeherald process, not in a file to open`);
  return state;
}

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

function notificationsOf(row: DeliveryRow): Notification[] {
  try {
    return decodePayload(row.payload, row.groupKey !== null);
  } catch {
    return [];
  }
}

/** `FIRING CrashLoopBackOff shop/Pod/web-1 (+49 more)` */
export function describeDelivery(row: DeliveryRow): string {
  const ns = notificationsOf(row);
  if (ns.length === 0) return '(unreadable)';
  const n = ns[0];
  const state = n.state === State.RESOLVED ? 'RESOLVED' : 'FIRING';
  const o = n.involvedObject;
  const object = o ? `${o.namespace ? `${o.namespace}/` : ''}${o.kind}/${o.name}` : '-';
  return `${state} ${n.reason || '-'} ${object}${ns.length > 1 ? ` (+${ns.length - 1} more)` : ''}`;
}

const oneLine = (s: string | null, max: number): string => {
  const t = (s ?? '').replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

export function formatDeadLetterTable(rows: DeliveryRow[], now: number): string {
  const header = ['ID', 'SINK', 'TARGET', 'DEAD', 'ATTEMPTS', 'REASON', 'NOTIFICATION', 'ERROR'];
  const lines = rows.map((r) => [String(r.id), r.sink, oneLine(r.target, 30), age(now - r.updatedAt), String(r.attempts), r.deadReason ?? '-', describeDelivery(r), oneLine(r.lastError, 80)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  return [header, ...lines].map((cols) => cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n') + '\n';
}

function asJson(r: DeliveryRow): object {
  return {
    id: r.id,
    sink: r.sink,
    target: r.target,
    idempotencyKey: r.idempotencyKey,
    createdAt: new Date(r.createdAt).toISOString(),
    deadAt: new Date(r.updatedAt).toISOString(),
    attempts: r.attempts,
    reason: r.deadReason,
    error: r.lastError,
    response: r.lastResponse,
    group: r.groupKey === null ? undefined : { key: r.groupKey, update: r.groupUpdate },
    notifications: notificationsOf(r).map((n) => toJson(NotificationSchema, n)),
  };
}

export async function dlqList(f: DlqFlags, io: DlqIo): Promise<number> {
  const now = (io.now ?? Date.now)();
  const store = await openStore(await stateOf(f), { recover: false, mustExist: true });
  try {
    const filter = filterOf(f, now);
    if (f.limit !== undefined) filter.limit = Number(f.limit);
    const rows = store.outbox.listDead(filter);
    if (f.output === 'json') io.stdout.write(`${JSON.stringify(rows.map(asJson), null, 2)}\n`);
    else if (rows.length === 0) io.stdout.write('no dead letters\n');
    else io.stdout.write(formatDeadLetterTable(rows, now));
    return 0;
  } finally {
    store.close();
  }
}

export async function dlqReplay(f: DlqFlags, io: DlqIo): Promise<number> {
  const now = (io.now ?? Date.now)();
  const store = await openStore(await stateOf(f), { recover: false, mustExist: true });
  try {
    const filter = filterOf(f, now);
    const ids = store.transaction(() => store.outbox.replayDead(filter, now));
    io.stdout.write(
      ids.length === 0
        ? 'no dead letters matched\n'
        : `replayed ${ids.length} dead letter${ids.length === 1 ? '' : 's'} as new deliveries ${ids.join(', ')}; a running kubeherald sends them within a second, else at its next start\n`,
    );
    return 0;
  } finally {
    store.close();
  }
}

export async function dlqPurge(f: DlqFlags, io: DlqIo): Promise<number> {
  if (!f.all && !f.sink && f.id.length === 0 && !f.olderThan) throw new Error('dlq purge: name what to purge (--sink, --id, --older-than), or --all for every dead letter');
  const now = (io.now ?? Date.now)();
  const store = await openStore(await stateOf(f), { recover: false, mustExist: true });
  try {
    const n = store.transaction(() => store.outbox.purgeDead(filterOf(f, now)));
    io.stdout.write(`purged ${n} dead letter${n === 1 ? '' : 's'}\n`);
    return 0;
  } finally {
    store.close();
  }
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function common(cmd: Command): Command {
  return cmd
    .option('--state <path>', 'the state database (default: state.path from the config)')
    .option('-c, --config <file>', 'config file to take state.path from (default: $KUBEHERALD_CONFIG)')
    .option('--sink <name>', 'only dead letters of this sink');
}

export function registerDlq(program: Command, io: DlqIo = { stdout: process.stdout }): void {
  const dlq = program.command('dlq').description('list, replay or purge dead letters (deliveries that failed for good)');
  common(dlq.command('list').description('list dead letters, oldest first'))
    .option('--id <id>', 'only this dead letter (repeatable, or comma-separated)', collect, [])
    .option('--older-than <duration>', 'only those dead for longer than this (e.g. 30m, 12h, 7d)')
    .option('--limit <n>', 'at most this many')
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (f: DlqFlags) => {
      process.exitCode = await dlqList(f, io);
    });
  common(dlq.command('replay').description('queue dead letters again (all that match; all when no filter is given)'))
    .option('--id <id>', 'only this dead letter (repeatable, or comma-separated)', collect, [])
    .option('--older-than <duration>', 'only those dead for longer than this')
    .action(async (f: DlqFlags) => {
      process.exitCode = await dlqReplay(f, io);
    });
  common(dlq.command('purge').description('delete dead letters for good'))
    .option('--id <id>', 'only this dead letter (repeatable, or comma-separated)', collect, [])
    .option('--older-than <duration>', 'only those dead for longer than this (e.g. 7d)')
    .option('--all', 'every dead letter (required when no other filter is given)')
    .action(async (f: DlqFlags) => {
      process.exitCode = await dlqPurge(f, io);
    });
}
