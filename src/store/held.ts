// Notifications held back from chat sinks (src/pipeline/hold.ts): one row per
// incident and sink, found again by its holder when the holder ends. One
// class for both backends, over a Preparer (statements.ts).

import type { DatabaseSync } from 'node:sqlite';
import type { HoldKind } from '../model/hold.ts';
import { prepareEach, sqlitePreparer, type Preparer, type Statement } from './statements.ts';
import type { HeldRepo, HeldRow } from './types.ts';

type Row = Record<string, unknown>;

function fromRow(r: Row): HeldRow {
  return {
    sink: String(r.sink),
    incidentKey: String(r.incident_key),
    notification: new Uint8Array(r.notification as Uint8Array),
    by: String(r.by_kind) as HoldKind,
    holderId: String(r.holder_id),
    text: String(r.reason_text),
    heldAt: Number(r.held_at),
    grouping: r.grouping === null || r.grouping === undefined ? null : String(r.grouping),
  };
}

const SQL = {
  put: `INSERT INTO held (sink, incident_key, notification, by_kind, holder_id, reason_text, state, held_at, grouping) VALUES (?, ?, ?, ?, ?, ?, 'firing', ?, ?)
         ON CONFLICT (sink, incident_key) DO UPDATE SET notification = excluded.notification, by_kind = excluded.by_kind, holder_id = excluded.holder_id,
           reason_text = excluded.reason_text, held_at = excluded.held_at, grouping = excluded.grouping`,
  get: 'SELECT * FROM held WHERE sink = ? AND incident_key = ?',
  delete: 'DELETE FROM held WHERE sink = ? AND incident_key = ?',
  byHolder: 'SELECT * FROM held WHERE by_kind = ? AND holder_id = ? ORDER BY held_at, sink, incident_key',
  list: 'SELECT * FROM held ORDER BY held_at, sink, incident_key',
  count: 'SELECT COUNT(*) AS n FROM held',
} as const;

/** The held table on either backend (the PostgreSQL store's is postgres/held.ts). */
export class SqlHeld implements HeldRepo {
  #s: Record<keyof typeof SQL, Statement>;

  constructor(p: Preparer) {
    this.#s = prepareEach(p, SQL);
  }

  put(r: HeldRow): void {
    this.#s.put.run(r.sink, r.incidentKey, r.notification, r.by, r.holderId, r.text, r.heldAt, r.grouping);
  }

  get(sink: string, incidentKey: string): HeldRow | undefined {
    const r = this.#s.get.get(sink, incidentKey) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  delete(sink: string, incidentKey: string): boolean {
    return Number(this.#s.delete.run(sink, incidentKey).changes) > 0;
  }

  byHolder(by: HoldKind, holderId: string): HeldRow[] {
    return (this.#s.byHolder.all(by, holderId) as Row[]).map(fromRow);
  }

  list(): HeldRow[] {
    return (this.#s.list.all() as Row[]).map(fromRow);
  }

  count(): number {
    return Number((this.#s.count.get() as Row).n);
  }
}

export class SqliteHeld extends SqlHeld {
  constructor(db: DatabaseSync) {
    super(sqlitePreparer(db));
  }
}
