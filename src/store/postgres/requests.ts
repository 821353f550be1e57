// Chat write requests on PostgreSQL, shared by every replica: the SQLite
// repository's statements and rules (../requests.ts) over a PgConnection.
// Every state change is still one UPDATE … WHERE state IN (…) RETURNING: under
// READ COMMITTED a second UPDATE of the same row waits for the first to
// commit and then re-checks its WHERE against the new row, so of two
// replicas asking for the same change exactly one gets the row back.
// addDecision reads before it writes, so readForDecision locks the request (FOR
// UPDATE): an approver whose decision would land after another's approval
// waits for it and is refused, as SQLite's write lock does.

import type { ActionRequest, Decision, RequestFilter, RequestState } from '../../model/approval.ts';
import { byExpiry, checkRequestId, decisionValues, REQUEST_SQL, RequestRules, requestFromRow, requestTail, requestValues, transitionQuery } from '../requests.ts';
import type { RequestPatch, RequestRepo } from '../types.ts';
import type { PgConnection, PgRow } from './connection.ts';
import { numbered, pgTail } from './sql.ts';

export class PgRequests extends RequestRules implements RequestRepo {
  #conn: PgConnection;
  #tx: <T>(fn: () => T) => T;

  /** `tx` runs fn in the store's transaction (nested ones are savepoints). */
  constructor(conn: PgConnection, tx: <T>(fn: () => T) => T) {
    super(tx);
    this.#conn = conn;
    this.#tx = tx;
  }

  #q(name: keyof typeof REQUEST_SQL, args: readonly unknown[] = []) {
    return this.#conn.query(numbered(REQUEST_SQL[name]), args);
  }

  create(r: ActionRequest): void {
    checkRequestId(r.id);
    this.#tx(() => {
      this.#q('insert', requestValues(r));
      for (const d of r.decisions) this.#q('insertDecision', decisionValues(r.id, d));
    });
  }

  get(id: string): ActionRequest | undefined {
    return this.#withDecisions(this.#q('get', [id]).rows)[0];
  }

  list(filter: RequestFilter = {}): ActionRequest[] {
    const q = requestTail(filter, 'row_seq');
    return q ? this.#withDecisions(pgTail<PgRow>(this.#conn, q)) : [];
  }

  transition(id: string, from: readonly RequestState[], to: RequestState, patch: RequestPatch, now: number): ActionRequest | undefined {
    const q = transitionQuery(id, from, to, patch, now);
    return q ? this.#withDecisions(this.#conn.query(numbered(q.sql), q.args).rows)[0] : undefined;
  }

  protected readForDecision(id: string): ActionRequest | undefined {
    // FOR UPDATE: a concurrent decision waits until this transaction ends, then reads the request as it left it
    return this.#withDecisions(this.#conn.query(`${numbered(REQUEST_SQL.get)} FOR UPDATE`, [id]).rows)[0];
  }

  protected insertDecision(id: string, d: Decision): boolean {
    return this.#q('insertDecision', decisionValues(id, d)).rowCount > 0;
  }

  protected touch(id: string, at: number): void {
    this.#q('touch', [at, id]);
  }

  expireDue(now: number): ActionRequest[] {
    return this.#withDecisions(this.#q('expireDue', [Math.trunc(now), Math.trunc(now)]).rows).sort(byExpiry);
  }

  inDoubt(): ActionRequest[] {
    return this.#withDecisions(this.#q('inDoubt').rows);
  }

  nextExpiry(): number | undefined {
    const t = this.#q('nextExpiry').rows[0]?.t;
    return t === null || t === undefined ? undefined : Number(t);
  }

  deleteBefore(before: number): number {
    return this.#tx(() => {
      this.#q('deleteDecisions', [Math.trunc(before)]);
      return this.#q('delete', [Math.trunc(before)]).rowCount;
    });
  }

  /** The rows as requests, their decisions read in one round trip rather than one per request. */
  #withDecisions(rows: PgRow[]): ActionRequest[] {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => String(r.id));
    const bodies = new Map<string, unknown[]>(ids.map((id) => [id, []]));
    const decisions = this.#conn.query<{ request_id: string; body: string }>('SELECT request_id, body FROM request_decisions WHERE request_id = ANY($1) ORDER BY seq', [ids]);
    for (const d of decisions.rows) bodies.get(d.request_id)?.push(d.body);
    return rows.map((r) => requestFromRow(r, bodies.get(String(r.id))!));
  }
}
