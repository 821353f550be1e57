// Delivery groups: a group per (sink, group key) and its members, each
// member the latest notification of one incident, so a held group survives
// a restart. The same statements on both backends.

import { prepareEach, type Preparer, type Statement } from './statements.ts';
import type { GroupMember, GroupRepo, GroupRow } from './types.ts';

type Row = Record<string, unknown>;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function groupFromRow(r: Row): GroupRow {
  return {
    sink: String(r.sink),
    groupKey: String(r.group_key),
    target: String(r.target),
    orderingKey: String(r.ordering_key),
    openedAt: Number(r.opened_at),
    flushAt: num(r.flush_at),
    lastFlushAt: num(r.last_flush_at),
    expiresAt: num(r.expires_at),
    updates: Number(r.updates),
    intervalMs: num(r.interval_ms),
  };
}

const GROUP_SQL = {
  get: 'SELECT * FROM delivery_groups WHERE sink = ? AND group_key = ?',
  groupOfMember: 'SELECT group_key FROM group_members WHERE sink = ? AND member_key = ? LIMIT 1',
  upsertGroup: `INSERT INTO delivery_groups (sink, group_key, target, ordering_key, opened_at, flush_at, last_flush_at, expires_at, updates, interval_ms, seq)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM delivery_groups))
     ON CONFLICT (sink, group_key) DO UPDATE SET target = excluded.target, ordering_key = excluded.ordering_key, opened_at = excluded.opened_at,
       flush_at = excluded.flush_at, last_flush_at = excluded.last_flush_at, expires_at = excluded.expires_at, updates = excluded.updates,
       interval_ms = excluded.interval_ms`,
  // a member keeps its place (seq) when its notification is replaced, e.g. FIRING by RESOLVED
  upsertMember: `INSERT INTO group_members (sink, group_key, member_key, seq, notification, resolved, updated_at)
     VALUES (?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM group_members WHERE sink = ? AND group_key = ?), ?, ?, ?)
     ON CONFLICT (sink, group_key, member_key) DO UPDATE SET notification = excluded.notification, resolved = excluded.resolved, updated_at = excluded.updated_at`,
  members: 'SELECT member_key, notification, resolved, seq FROM group_members WHERE sink = ? AND group_key = ? ORDER BY seq',
  rename: 'UPDATE group_members SET member_key = ? WHERE sink = ? AND group_key = ? AND member_key = ?',
  deleteResolved: 'DELETE FROM group_members WHERE sink = ? AND group_key = ? AND resolved = 1',
  deleteMembers: 'DELETE FROM group_members WHERE sink = ? AND group_key = ?',
  deleteGroup: 'DELETE FROM delivery_groups WHERE sink = ? AND group_key = ?',
  due: 'SELECT * FROM delivery_groups WHERE flush_at IS NOT NULL AND flush_at <= ? ORDER BY flush_at, seq',
  next: 'SELECT MIN(flush_at) AS t FROM delivery_groups WHERE flush_at IS NOT NULL',
  expired: 'SELECT sink, group_key FROM delivery_groups WHERE flush_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ?',
} as const;

/** Groups on either backend. */
export class SqlGroups implements GroupRepo {
  #s: Record<keyof typeof GROUP_SQL, Statement>;

  constructor(p: Preparer) {
    this.#s = prepareEach(p, GROUP_SQL);
  }

  get(sink: string, groupKey: string): GroupRow | undefined {
    const r = this.#s.get.get(sink, groupKey) as Row | undefined;
    return r ? groupFromRow(r) : undefined;
  }

  groupOfMember(sink: string, memberKey: string): string | undefined {
    return (this.#s.groupOfMember.get(sink, memberKey) as { group_key: string } | undefined)?.group_key;
  }

  upsertGroup(g: GroupRow): void {
    this.#s.upsertGroup.run(g.sink, g.groupKey, g.target, g.orderingKey, g.openedAt, g.flushAt, g.lastFlushAt, g.expiresAt, g.updates, g.intervalMs);
  }

  upsertMember(sink: string, groupKey: string, m: Omit<GroupMember, 'seq'>, now: number): void {
    this.#s.upsertMember.run(sink, groupKey, m.memberKey, sink, groupKey, m.notification, m.resolved ? 1 : 0, now);
  }

  members(sink: string, groupKey: string): GroupMember[] {
    return (this.#s.members.all(sink, groupKey) as Row[]).map((r) => ({
      memberKey: String(r.member_key),
      notification: r.notification as Uint8Array,
      resolved: Number(r.resolved) === 1,
      seq: Number(r.seq),
    }));
  }

  renameMember(sink: string, groupKey: string, from: string, to: string): void {
    this.#s.rename.run(to, sink, groupKey, from);
  }

  deleteResolvedMembers(sink: string, groupKey: string): void {
    this.#s.deleteResolved.run(sink, groupKey);
  }

  deleteGroup(sink: string, groupKey: string): void {
    this.#s.deleteMembers.run(sink, groupKey);
    this.#s.deleteGroup.run(sink, groupKey);
  }

  due(now: number): GroupRow[] {
    return (this.#s.due.all(now) as Row[]).map(groupFromRow);
  }

  nextFlushAt(): number | undefined {
    return num((this.#s.next.get() as Row).t) ?? undefined;
  }

  deleteExpired(now: number): number {
    const rows = this.#s.expired.all(now) as Row[];
    for (const r of rows) this.deleteGroup(String(r.sink), String(r.group_key));
    return rows.length;
  }
}
