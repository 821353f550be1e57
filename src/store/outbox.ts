// The outbox table: one row per delivery (a notification, or a group of
// them, for one sink), from pending through inflight to delivered or dead.
// One class for both backends: the statements are prepared once, by
// node:sqlite or over a PostgreSQL connection, and where the dialects differ
// (a claim, an unbounded LIMIT) each gets its own text.

import { prepareEach, runUnread, type Preparer, type Statement } from './statements.ts';
import type { DeadLetterFilter, DeliveryMeta, DeliveryRow, DeliveryState, NewDelivery, OutboxCounts, OutboxRepo, Term } from './types.ts';

type Row = Record<string, unknown>;

const META_COLUMNS = 'id, sink, target, ordering_key, state, attempts, next_attempt_at, created_at, members';

function deliveryMetaFromRow(r: Row): DeliveryMeta {
  return {
    id: Number(r.id),
    sink: String(r.sink),
    target: String(r.target),
    orderingKey: String(r.ordering_key),
    state: r.state as DeliveryState,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    createdAt: Number(r.created_at),
    members: Number(r.members),
  };
}

function deliveryFromRow(r: Row): DeliveryRow {
  return {
    ...deliveryMetaFromRow(r),
    idempotencyKey: String(r.idempotency_key),
    payload: r.payload as Uint8Array,
    groupKey: (r.group_key as string | null) ?? null,
    groupUpdate: r.group_update === null ? null : Number(r.group_update),
    updatedAt: Number(r.updated_at),
    lastError: (r.last_error as string | null) ?? null,
    lastResponse: (r.last_response as string | null) ?? null,
    deadReason: (r.dead_reason as string | null) ?? null,
  };
}

/** The WHERE clause (`?` placeholders) and its values for a dead-letter filter. */
function deadWhere(f: DeadLetterFilter): { sql: string; args: (string | number)[] } {
  const parts = ["state = 'dead'"];
  const args: (string | number)[] = [];
  if (f.sink !== undefined) {
    parts.push('sink = ?');
    args.push(f.sink);
  }
  if (f.ids !== undefined) {
    // an empty id list selects nothing, never everything
    parts.push(f.ids.length ? `id IN (${f.ids.map(() => '?').join(', ')})` : 'FALSE');
    args.push(...f.ids);
  }
  if (f.deadBefore !== undefined) {
    parts.push('updated_at < ?');
    args.push(f.deadBefore);
  }
  return { sql: parts.join(' AND '), args };
}

const OUTBOX_SQL = {
  insert: `INSERT INTO outbox (sink, target, ordering_key, idempotency_key, payload, members, group_key, group_update, state, attempts, next_attempt_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?) RETURNING id`,
  get: 'SELECT * FROM outbox WHERE id = ?',
  // "state IN (…)" repeats the partial index's condition word for word, which is what lets SQLite use it
  nextInQueue: `SELECT ${META_COLUMNS} FROM outbox WHERE state IN ('pending', 'inflight') AND sink = ? AND ordering_key = ? AND id > ? AND state = 'pending' ORDER BY id LIMIT 1`,
  // the partial index holds only open rows, so this reads little more than each queue's first entry
  queueHeads: `SELECT ${META_COLUMNS} FROM outbox WHERE id IN (SELECT MIN(id) FROM outbox WHERE state IN ('pending', 'inflight') GROUP BY sink, ordering_key) ORDER BY id`,
  delivered: "UPDATE outbox SET state = 'delivered', updated_at = ?, last_response = ?, last_error = NULL WHERE id = ?",
  retry: "UPDATE outbox SET state = 'pending', updated_at = ?, next_attempt_at = ?, last_error = ?, last_response = ? WHERE id = ?",
  dead: "UPDATE outbox SET state = 'dead', updated_at = ?, dead_reason = ?, last_error = COALESCE(?, last_error), last_response = COALESCE(?, last_response) WHERE id = ?",
  recover: "UPDATE outbox SET state = 'pending', updated_at = ? WHERE state = 'inflight'",
  counts: "SELECT state, COUNT(*) AS n, MIN(CASE WHEN state IN ('pending', 'inflight') THEN created_at END) AS oldest FROM outbox GROUP BY state",
  deleteDelivered: "DELETE FROM outbox WHERE state = 'delivered' AND updated_at < ?",
  deleteOne: 'DELETE FROM outbox WHERE id = ?',
  maxId: 'SELECT COALESCE(MAX(id), 0) AS m FROM outbox',
} as const;

const CLAIM = "UPDATE outbox SET state = 'inflight', attempts = attempts + 1, updated_at = ?";

/** Where the dialects part. */
const DIALECT_SQL = {
  sqlite: {
    // "+state" keeps SQLite off the state index: the id range is the short walk here, not every pending row
    pendingAfter: `SELECT ${META_COLUMNS} FROM outbox WHERE id > ? AND +state = 'pending' ORDER BY id LIMIT ?`,
    // only a pending row can be claimed: a row already inflight, delivered or dead is someone's or done
    // (SQLite has one writer at a time, so the check and the change cannot interleave with another claim)
    inflight: `${CLAIM} WHERE id = ? AND state = 'pending'`,
    fencedInflight: `${CLAIM} WHERE id = ? AND state = 'pending' AND EXISTS (SELECT 1 FROM leadership WHERE scope = ? AND holder = ? AND epoch = ?)`,
  },
  postgres: {
    pendingAfter: `SELECT ${META_COLUMNS} FROM outbox WHERE id > ? AND state = 'pending' ORDER BY id LIMIT ?`,
    // processes claim side by side: a row another one is claiming right now is skipped, not waited for
    inflight: `${CLAIM} WHERE id = (SELECT id FROM outbox WHERE id = ? AND state = 'pending' FOR UPDATE SKIP LOCKED)`,
    // FOR SHARE holds the term's row until commit: a new term's begin() waits for this claim, or this
    // claim (re-reading the row once begin() commits) sees the new epoch and is refused
    fencedInflight: `${CLAIM} WHERE id = (SELECT id FROM outbox WHERE id = ? AND state = 'pending' FOR UPDATE SKIP LOCKED)
      AND EXISTS (SELECT 1 FROM leadership WHERE scope = ? AND holder = ? AND epoch = ? FOR SHARE)`,
  },
} as const;

/** The outbox on either backend. */
export class SqlOutbox implements OutboxRepo {
  #p: Preparer;
  #s: Record<keyof typeof OUTBOX_SQL | keyof (typeof DIALECT_SQL)['sqlite'], Statement>;
  /** LIMIT's "no limit": SQLite takes -1, PostgreSQL NULL */
  #all: number | null;

  constructor(p: Preparer) {
    this.#p = p;
    this.#s = { ...prepareEach(p, OUTBOX_SQL), ...prepareEach(p, DIALECT_SQL[p.dialect]) };
    this.#all = p.dialect === 'sqlite' ? -1 : null;
  }

  insert(d: NewDelivery): number {
    const r = this.#s.insert.get(
      d.sink,
      d.target,
      d.orderingKey,
      d.idempotencyKey,
      d.payload,
      d.members,
      d.groupKey ?? null,
      d.groupUpdate ?? null,
      d.nextAttemptAt ?? d.createdAt,
      d.createdAt,
      d.createdAt,
    ) as Row;
    return Number(r.id);
  }

  get(id: number): DeliveryRow | undefined {
    const r = this.#s.get.get(id) as Row | undefined;
    return r ? deliveryFromRow(r) : undefined;
  }

  pendingAfter(afterId: number, limit?: number): DeliveryMeta[] {
    return (this.#s.pendingAfter.all(afterId, limit === undefined || limit < 0 ? this.#all : limit) as Row[]).map(deliveryMetaFromRow);
  }

  nextInQueue(sink: string, orderingKey: string, afterId: number): DeliveryMeta | undefined {
    const r = this.#s.nextInQueue.get(sink, orderingKey, afterId) as Row | undefined;
    return r ? deliveryMetaFromRow(r) : undefined;
  }

  queueHeads(): DeliveryMeta[] {
    return (this.#s.queueHeads.all() as Row[]).map(deliveryMetaFromRow);
  }

  markInflight(id: number, now: number, term?: Term): boolean {
    const r = term ? this.#s.fencedInflight.run(now, id, term.scope, term.holder, term.epoch) : this.#s.inflight.run(now, id);
    return Number(r.changes) === 1;
  }

  markDelivered(id: number, now: number, response: string | null): void {
    runUnread(this.#s.delivered, now, response, id);
  }

  markRetry(id: number, now: number, nextAttemptAt: number, error: string, response: string | null): void {
    runUnread(this.#s.retry, now, nextAttemptAt, error, response, id);
  }

  markDead(id: number, now: number, reason: string, error: string | null, response: string | null): void {
    runUnread(this.#s.dead, now, reason, error, response, id);
  }

  recoverInflight(now: number): number {
    return Number(this.#s.recover.run(now).changes);
  }

  listDead(filter: DeadLetterFilter = {}): DeliveryRow[] {
    const w = deadWhere(filter);
    const limit = filter.limit ?? this.#all;
    return (this.#p.prepare(`SELECT * FROM outbox WHERE ${w.sql} ORDER BY id LIMIT ?`).all(...w.args, limit) as Row[]).map(deliveryFromRow);
  }

  replayDead(filter: DeadLetterFilter, now: number): number[] {
    const w = deadWhere(filter);
    const rows = (this.#p.prepare(`SELECT * FROM outbox WHERE ${w.sql} ORDER BY id`).all(...w.args) as Row[]).map(deliveryFromRow);
    // a new row (a new, higher id) puts the replay behind what is queued now, and a running
    // kubeherald finds it by looking for ids above the last it saw
    return rows.map((r) => {
      this.#s.deleteOne.run(r.id);
      return this.insert({
        sink: r.sink,
        target: r.target,
        orderingKey: r.orderingKey,
        idempotencyKey: r.idempotencyKey,
        payload: r.payload,
        members: r.members,
        groupKey: r.groupKey ?? undefined,
        groupUpdate: r.groupUpdate ?? undefined,
        createdAt: now,
      });
    });
  }

  purgeDead(filter: DeadLetterFilter): number {
    const w = deadWhere(filter);
    return Number(this.#p.prepare(`DELETE FROM outbox WHERE ${w.sql}`).run(...w.args).changes);
  }

  counts(): OutboxCounts {
    const out: OutboxCounts = { pending: 0, inflight: 0, delivered: 0, dead: 0, oldestOpenAt: undefined };
    for (const r of this.#s.counts.all() as Row[]) {
      out[r.state as DeliveryState] = Number(r.n);
      if (r.oldest !== null && (out.oldestOpenAt === undefined || Number(r.oldest) < out.oldestOpenAt)) out.oldestOpenAt = Number(r.oldest);
    }
    return out;
  }

  deleteDelivered(before: number): number {
    return Number(this.#s.deleteDelivered.run(before).changes);
  }

  deleteDeadBefore(before: number): number {
    return this.purgeDead({ deadBefore: before });
  }

  maxId(): number {
    return Number((this.#s.maxId.get() as Row).m);
  }
}
