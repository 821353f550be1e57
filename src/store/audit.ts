// The audit trail of chat commands: one row per command, append-only but
// for retention. Durable like every other write here (WAL, synchronous
// FULL; a PostgreSQL commit): a record is stored before the command's reply
// goes out. One class for both backends, over a Preparer (statements.ts).

import type { DatabaseSync } from 'node:sqlite';
import type { AuditDecision, AuditEntry, AuditFilter, AuditOutcome, KubeIdentity, Platform } from '../model/audit.ts';
import { sqlitePreparer, type Preparer, type Statement } from './statements.ts';
import { tail } from './tail.ts';
import type { AuditRepo } from './types.ts';

type Row = Record<string, unknown>;

/** What the store keeps of free text at most, whatever a caller hands in: a chat message must not grow the file without bound. */
export const MAX_AUDIT_TEXT = 1000;
const MAX_FIELD = 4000;

const cut = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const opt = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

function fromRow(r: Row): AuditEntry {
  const identity = opt(r.identity);
  const e: AuditEntry = {
    id: Number(r.id),
    at: Number(r.at),
    platform: String(r.platform) as Platform,
    platformUserId: String(r.platform_user_id),
    channel: String(r.channel),
    text: String(r.text),
    writes: Number(r.writes) === 1,
    decision: String(r.decision) as AuditDecision,
    outcome: String(r.outcome) as AuditOutcome,
    durationMs: Number(r.duration_ms),
  };
  const name = opt(r.platform_user_name);
  if (name !== undefined) e.platformUserName = name;
  if (identity !== undefined) e.identity = JSON.parse(identity) as KubeIdentity;
  for (const [key, col] of [['command', 'command'], ['verb', 'verb'], ['target', 'target'], ['cluster', 'cluster'], ['error', 'error']] as const) {
    const v = opt(r[col]);
    if (v !== undefined) e[key] = v;
  }
  return e;
}

const INSERT = `INSERT INTO audit (at, platform, platform_user_id, platform_user_name, channel, kube_user, identity, text, command, verb, target, cluster, writes, decision, outcome, error, duration_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`;

function values(e: AuditEntry): (string | number | null)[] {
  const identity = e.identity ? JSON.stringify({ user: e.identity.user, groups: [...e.identity.groups] }) : null;
  return [
    Math.trunc(e.at),
    e.platform,
    cut(e.platformUserId, MAX_FIELD),
    e.platformUserName === undefined ? null : cut(e.platformUserName, MAX_FIELD),
    cut(e.channel, MAX_FIELD),
    e.identity?.user ?? null,
    identity,
    cut(e.text, MAX_AUDIT_TEXT),
    e.command === undefined ? null : cut(e.command, MAX_FIELD),
    e.verb ?? null,
    e.target === undefined ? null : cut(e.target, MAX_FIELD),
    e.cluster ?? null,
    e.writes ? 1 : 0,
    e.decision,
    e.outcome,
    e.error === undefined ? null : cut(e.error, MAX_FIELD),
    Math.max(0, Math.round(e.durationMs)),
  ];
}

/** The audit trail on either backend (the PostgreSQL store's is postgres/audit.ts). */
export class SqlAudit implements AuditRepo {
  #p: Preparer;
  #append: Statement;
  #prune: Statement;

  constructor(p: Preparer) {
    this.#p = p;
    this.#append = p.prepare(INSERT);
    this.#prune = p.prepare('DELETE FROM audit WHERE at < ?');
  }

  append(e: AuditEntry): number {
    return Number((this.#append.get(...values(e)) as Row).id);
  }

  list(filter: AuditFilter = {}): AuditEntry[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.user !== undefined) {
      where.push('(platform_user_id = ? OR platform_user_name = ? OR kube_user = ?)');
      args.push(filter.user, filter.user, filter.user);
    }
    if (filter.since !== undefined) {
      where.push('at >= ?');
      args.push(Math.trunc(filter.since));
    }
    return tail<Row>(this.#p, { table: 'audit', where, args, newestFirst: 'at DESC, id DESC', limit: filter.limit }).map(fromRow);
  }

  deleteBefore(before: number): number {
    return Number(this.#prune.run(Math.trunc(before)).changes);
  }
}

export class SqliteAudit extends SqlAudit {
  constructor(db: DatabaseSync) {
    super(sqlitePreparer(db));
  }
}
