// Silences, durable. Every add and expire leaves an audit record in the same
// transaction, so the trail says who silenced what, and who ended it, even
// when the silence came from the CLI or a custom resource rather than chat.

import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Silence, SilenceMatchers, SilenceSource } from '../rules/silence.ts';
import { describeMatchers } from '../rules/silence.ts';
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

export class SqliteSilences implements SilenceRepo {
  #s: Record<string, StatementSync>;
  #audit: AuditRepo;
  #tx: <T>(fn: () => T) => T;

  constructor(db: DatabaseSync, audit: AuditRepo, transaction: <T>(fn: () => T) => T) {
    this.#audit = audit;
    this.#tx = transaction;
    this.#s = {
      add: db.prepare(
        `INSERT INTO silences (id, matchers, intervals, starts_at, ends_at, created_by, comment, source, forced, created_at, expired_at, expired_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      get: db.prepare('SELECT * FROM silences WHERE id = ?'),
      all: db.prepare('SELECT * FROM silences ORDER BY created_at, id'),
      open: db.prepare('SELECT * FROM silences WHERE expired_at IS NULL AND ends_at > ? ORDER BY created_at, id'),
      active: db.prepare('SELECT * FROM silences WHERE expired_at IS NULL AND starts_at <= ? AND ends_at > ? ORDER BY created_at, id'),
      expire: db.prepare('UPDATE silences SET expired_at = ?, expired_by = ? WHERE id = ? AND expired_at IS NULL AND ends_at > ?'),
      due: db.prepare('SELECT * FROM silences WHERE expired_at IS NULL AND ends_at <= ? ORDER BY ends_at, id'),
      expireDue: db.prepare("UPDATE silences SET expired_at = ends_at, expired_by = 'expiry' WHERE expired_at IS NULL AND ends_at <= ?"),
      next: db.prepare(
        'SELECT MIN(t) AS t FROM (SELECT starts_at AS t FROM silences WHERE expired_at IS NULL AND starts_at > ? UNION ALL SELECT ends_at FROM silences WHERE expired_at IS NULL AND ends_at > ?)',
      ),
      version: db.prepare('SELECT COUNT(*) AS n, COUNT(expired_at) AS e, MAX(rowid) AS r FROM silences'),
    };
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
      this.#audit.append({
        at: s.createdAt,
        platform: 'console',
        platformUserId: s.createdBy,
        channel: s.source,
        text: `silence add ${describeMatchers(s.matchers)} until ${new Date(s.endsAt).toISOString()}: ${s.comment}`,
        command: `silence add ${s.id}`,
        verb: 'silence',
        target: `silences/${s.id}`,
        writes: true,
        decision: 'allowed',
        outcome: 'ok',
        durationMs: 0,
      });
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
      this.#audit.append({
        at: now,
        platform: 'console',
        platformUserId: by,
        channel: 'cli',
        text: `silence expire ${id}`,
        command: `silence expire ${id}`,
        verb: 'silence',
        target: `silences/${id}`,
        writes: true,
        decision: 'allowed',
        outcome: 'ok',
        durationMs: 0,
      });
      return this.get(id);
    });
  }

  expireDue(now: number): Silence[] {
    // looked at without a write lock first: most refreshes find nothing due
    if ((this.#s.due.all(now) as Row[]).length === 0) return [];
    return this.#tx(() => {
      const due = (this.#s.due.all(now) as Row[]).map(fromRow);
      if (due.length === 0) return [];
      this.#s.expireDue.run(now);
      return due.map((s) => ({ ...s, expiredAt: s.endsAt, expiredBy: 'expiry' }));
    });
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
