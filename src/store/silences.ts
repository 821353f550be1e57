// Silences, durable. Every add and expire leaves an audit record in the same
// transaction, so the trail says who silenced what, and who ended it, even
// when the silence came from the CLI or a custom resource rather than chat.
// One class for both backends, over a Preparer (statements.ts).

import type { DatabaseSync } from 'node:sqlite';
import type { AuditEntry } from '../model/audit.ts';
import type { Silence, SilenceMatchers, SilenceSource } from '../rules/silence.ts';
import { describeMatchers } from '../rules/silence.ts';
import { prepareEach, sqlitePreparer, type Preparer, type Statement } from './statements.ts';
import type { AuditRepo, SilenceRepo } from './types.ts';

type Row = Record<string, unknown>;

function fromRow(r: Row): Silence {
  const s: Silence = {
    id: String(r.id),
    matchers: JSON.parse(String(r.matchers)) as SilenceMatchers,
    startsAt: Number(r.starts_at),
    endsAt: Number(r.ends_at),
    createdBy: String(r.created_by),
    comment: String(r.comment),
    source: String(r.source) as SilenceSource,
    createdAt: Number(r.created_at),
  };
  if (r.intervals !== null && r.intervals !== undefined) s.activeTimeIntervals = JSON.parse(String(r.intervals)) as string[];
  if (Number(r.forced) === 1) s.forced = true;
  if (r.expired_at !== null && r.expired_at !== undefined) s.expiredAt = Number(r.expired_at);
  if (r.expired_by !== null && r.expired_by !== undefined) s.expiredBy = String(r.expired_by);
  return s;
}

const SQL = {
  add: `INSERT INTO silences (id, matchers, intervals, starts_at, ends_at, created_by, comment, source, forced, created_at, expired_at, expired_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  get: 'SELECT * FROM silences WHERE id = ?',
  all: 'SELECT * FROM silences ORDER BY created_at, id',
  open: 'SELECT * FROM silences WHERE expired_at IS NULL AND ends_at > ? ORDER BY created_at, id',
  active: 'SELECT * FROM silences WHERE expired_at IS NULL AND starts_at <= ? AND ends_at > ? ORDER BY created_at, id',
  expire: 'UPDATE silences SET expired_at = ?, expired_by = ? WHERE id = ? AND expired_at IS NULL AND ends_at > ?',
  due: 'SELECT id FROM silences WHERE expired_at IS NULL AND ends_at <= ? LIMIT 1',
  // one statement: of two processes expiring at once, each silence comes back to one of them only
  expireDue: "UPDATE silences SET expired_at = ends_at, expired_by = 'expiry' WHERE expired_at IS NULL AND ends_at <= ? RETURNING *",
  next: 'SELECT MIN(t) AS t FROM (SELECT starts_at AS t FROM silences WHERE expired_at IS NULL AND starts_at > ? UNION ALL SELECT ends_at FROM silences WHERE expired_at IS NULL AND ends_at > ?) AS changes',
} as const;

/**
 * Where the dialects part: the version counts rows added (their insertion
 * number: SQLite's rowid, PostgreSQL's row_seq) and rows expired, so it
 * changes whenever any process adds or expires a silence (none is deleted).
 */
const VERSION = {
  sqlite: 'SELECT COUNT(*) AS n, COUNT(expired_at) AS e, MAX(rowid) AS r FROM silences',
  postgres: 'SELECT COUNT(*) AS n, COUNT(expired_at) AS e, MAX(row_seq) AS r FROM silences',
} as const;

const audit = (at: number, by: string, channel: string, text: string, command: string, id: string): AuditEntry => ({
  at,
  platform: 'console',
  platformUserId: by,
  channel,
  text,
  command,
  verb: 'silence',
  target: `silences/${id}`,
  writes: true,
  decision: 'allowed',
  outcome: 'ok',
  durationMs: 0,
});

/** Silences on either backend (the PostgreSQL store's is postgres/silences.ts). */
export class SqlSilences implements SilenceRepo {
  #s: Record<keyof typeof SQL | 'version', Statement>;
  #audit: AuditRepo;
  #tx: <T>(fn: () => T) => T;

  constructor(p: Preparer, audit: AuditRepo, transaction: <T>(fn: () => T) => T) {
    this.#audit = audit;
    this.#tx = transaction;
    this.#s = prepareEach(p, { ...SQL, version: VERSION[p.dialect] });
  }

  add(s: Silence): void {
    this.#tx(() => {
      this.#s.add.run(
        s.id,
        JSON.stringify(s.matchers),
        s.activeTimeIntervals?.length ? JSON.stringify(s.activeTimeIntervals) : null,
        s.startsAt,
        s.endsAt,
        s.createdBy,
        s.comment,
        s.source,
        s.forced ? 1 : 0,
        s.createdAt,
        s.expiredAt ?? null,
        s.expiredBy ?? null,
      );
      this.#audit.append(
        audit(s.createdAt, s.createdBy, s.source, `silence add ${describeMatchers(s.matchers)} until ${new Date(s.endsAt).toISOString()}: ${s.comment}`, `silence add ${s.id}`, s.id),
      );
    });
  }

  get(id: string): Silence | undefined {
    const r = this.#s.get.get(id) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  list(opts: { all?: boolean; now?: number } = {}): Silence[] {
    const rows = opts.all ? this.#s.all.all() : this.#s.open.all(opts.now ?? Date.now());
    return (rows as Row[]).map(fromRow);
  }

  active(now: number): Silence[] {
    return (this.#s.active.all(now, now) as Row[]).map(fromRow);
  }

  expire(id: string, now: number, by: string): Silence | undefined {
    return this.#tx(() => {
      if (Number(this.#s.expire.run(now, by, id, now).changes) === 0) return undefined;
      this.#audit.append(audit(now, by, 'cli', `silence expire ${id}`, `silence expire ${id}`, id));
      return this.get(id);
    });
  }

  expireDue(now: number): Silence[] {
    // looked at without a write lock first: most refreshes find nothing due
    if (this.#s.due.get(now) === undefined) return [];
    return (this.#s.expireDue.all(now) as Row[]).map(fromRow).sort((a, b) => a.endsAt - b.endsAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  nextChangeAt(now: number): number | undefined {
    const r = this.#s.next.get(now, now) as Row;
    return r.t === null || r.t === undefined ? undefined : Number(r.t);
  }

  version(): string {
    const r = this.#s.version.get() as Row;
    return `${String(r.n)}:${String(r.e)}:${String(r.r)}`;
  }
}

export class SqliteSilences extends SqlSilences {
  constructor(db: DatabaseSync, audit: AuditRepo, transaction: <T>(fn: () => T) => T) {
    super(sqlitePreparer(db), audit, transaction);
  }
}
