// Storm state (both backends, the same statements): one row per (sink, chat target), its message rate
// and, during a storm, the digest's counts, so a restart mid-storm keeps
// the digest (its message reference is the digest group's, in groups.ts).

import { prepareEach, type Preparer, type Statement } from './statements.ts';
import type { StormRepo, StormRow } from './types.ts';

type Row = Record<string, unknown>;

const row = (r: Row): StormRow => ({ sink: String(r.sink), target: String(r.target), state: String(r.state), active: Number(r.active) === 1, updatedAt: Number(r.updated_at) });

const STORM_SQL = {
  get: 'SELECT * FROM storms WHERE sink = ? AND target = ?',
  put: `INSERT INTO storms (sink, target, state, active, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (sink, target) DO UPDATE SET state = excluded.state, active = excluded.active, updated_at = excluded.updated_at`,
  delete: 'DELETE FROM storms WHERE sink = ? AND target = ?',
  active: 'SELECT * FROM storms WHERE active = 1 ORDER BY sink, target',
  deleteQuiet: 'DELETE FROM storms WHERE active = 0 AND updated_at < ?',
} as const;

/** Storm state on either backend. */
export class SqlStorms implements StormRepo {
  #s: Record<keyof typeof STORM_SQL, Statement>;

  constructor(p: Preparer) {
    this.#s = prepareEach(p, STORM_SQL);
  }

  get(sink: string, target: string): StormRow | undefined {
    const r = this.#s.get.get(sink, target) as Row | undefined;
    return r ? row(r) : undefined;
  }

  put(r: StormRow): void {
    this.#s.put.run(r.sink, r.target, r.state, r.active ? 1 : 0, r.updatedAt);
  }

  delete(sink: string, target: string): void {
    this.#s.delete.run(sink, target);
  }

  active(): StormRow[] {
    return (this.#s.active.all() as Row[]).map(row);
  }

  deleteQuietBefore(before: number): number {
    return Number(this.#s.deleteQuiet.run(before).changes);
  }
}
