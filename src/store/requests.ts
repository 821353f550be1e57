// Chat write requests, one class for both backends over a Preparer
// (statements.ts). Every state change is one UPDATE … WHERE state IN (…)
// RETURNING: SQLite runs it under the database's write lock; PostgreSQL (READ
// COMMITTED) makes a second UPDATE of the row wait for the first to commit
// and re-check its WHERE against the new row. Either way, of two connections
// (or two approvers in one process) asking for the same change exactly one
// sees its row come back. Decisions live in their own table whose primary key
// (request, approver) makes "one decision per approver" the database's rule,
// not a read-then-write race.

import type { DatabaseSync } from 'node:sqlite';
import { AWAITING_STATES, FINAL_STATES, type ActionRequest, type Decision, type RequestFilter, type RequestResult, type RequestState } from '../model/approval.ts';
import { prepareEach, sqlitePreparer, type Preparer, type Statement } from './statements.ts';
import { tail, type TailQuery } from './tail.ts';
import type { DecisionRefusal, RequestPatch, RequestRepo } from './types.ts';

type Row = Record<string, unknown>;
type Value = string | number | null;
type DecisionOutcome = { ok: true; request: ActionRequest } | { ok: false; reason: DecisionRefusal; request?: ActionRequest };

const MAX_FIELD = 4000;
const cut = (s: string, max = MAX_FIELD): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const opt = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));
const list = (states: readonly string[]): string => states.map((s) => `'${s}'`).join(', ');

/** The key decisions are unique by: one per chat user. */
export const approverKey = (d: Pick<Decision, 'by'>): string => `${d.by.platform}:${d.by.id}`;

// Patchable fields → their column and how they are stored.
const PATCH_COLUMNS: Record<keyof RequestPatch, { col: string; json?: boolean; text?: boolean }> = {
  expiresAt: { col: 'expires_at' },
  messageRef: { col: 'message_ref', text: true },
  reason: { col: 'reason', text: true },
  result: { col: 'result', json: true },
  intent: { col: 'intent', text: true },
  executingSince: { col: 'executing_since' },
  target: { col: 'target', json: true },
  previewDigest: { col: 'preview_digest', text: true },
  preview: { col: 'preview', text: true },
};

function patchValue(key: keyof RequestPatch, value: unknown): Value {
  const spec = PATCH_COLUMNS[key];
  if (value === undefined || value === null) return null;
  if (spec.json) return JSON.stringify(value);
  if (spec.text) return cut(String(value));
  return Math.trunc(Number(value));
}

const SQL = {
  get: 'SELECT * FROM requests WHERE id = ?',
  insert: `INSERT INTO requests (id, created_at, updated_at, expires_at, state, platform, requester_id, requester_name, kube_user, identity,
             channel, thread, message_ref, command, parsed, namespace, target, preview_digest, preview, reason, policy, result, intent, executing_since)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  // the primary key (request, approver) refuses an approver's second decision: nothing inserted
  insertDecision: `INSERT INTO request_decisions (request_id, approver, seq, body)
       VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM request_decisions WHERE request_id = ?), ?) ON CONFLICT (request_id, approver) DO NOTHING`,
  touch: 'UPDATE requests SET updated_at = ? WHERE id = ?',
  expireDue: `UPDATE requests SET state = 'expired', updated_at = ? WHERE state IN (${list(AWAITING_STATES)}) AND expires_at <= ? RETURNING *`,
  inDoubt: "SELECT * FROM requests WHERE state = 'executing' ORDER BY executing_since, created_at",
  nextExpiry: `SELECT MIN(expires_at) AS t FROM requests WHERE state IN (${list(AWAITING_STATES)})`,
  deleteDecisions: `DELETE FROM request_decisions WHERE request_id IN (SELECT id FROM requests WHERE state IN (${list(FINAL_STATES)}) AND updated_at < ?)`,
  delete: `DELETE FROM requests WHERE state IN (${list(FINAL_STATES)}) AND updated_at < ?`,
} as const;

/** Where the dialects part. */
const DIALECT_SQL = {
  sqlite: {
    // the store's transaction holds SQLite's write lock: nothing else decides meanwhile
    lockForDecision: 'SELECT * FROM requests WHERE id = ?',
    // the decisions of several requests (ids as a JSON array) in one statement
    decisionsOf: 'SELECT request_id, body FROM request_decisions WHERE request_id IN (SELECT value FROM json_each(?)) ORDER BY seq',
  },
  postgres: {
    // a concurrent decision waits until this transaction ends, then reads the request as it left it
    lockForDecision: 'SELECT * FROM requests WHERE id = ? FOR UPDATE',
    decisionsOf: 'SELECT request_id, body FROM request_decisions WHERE request_id IN (SELECT jsonb_array_elements_text(?::jsonb)) ORDER BY seq',
  },
} as const;

/** The column numbering rows as they are added: list's tie-break. */
const INSERTION_ORDER = { sqlite: 'rowid', postgres: 'row_seq' } as const;

/** Refuses an id that would not fit a chat button's payload. */
function checkRequestId(id: string): void {
  if (!/^[A-Za-z0-9_-]{1,22}$/.test(id)) throw new Error(`request id ${JSON.stringify(id)}: expected 1 to 22 base64url characters`);
}

/** SQL.insert's values, free text cut. */
function requestValues(r: ActionRequest): Value[] {
  return [
    r.id,
    Math.trunc(r.createdAt),
    Math.trunc(r.updatedAt ?? r.createdAt),
    Math.trunc(r.expiresAt),
    r.state,
    r.platform,
    cut(r.requester.id),
    r.requester.name === undefined ? null : cut(r.requester.name),
    r.identity.user,
    JSON.stringify({ user: r.identity.user, groups: [...r.identity.groups] }),
    cut(r.channel),
    r.thread === undefined ? null : cut(r.thread),
    r.messageRef === undefined ? null : cut(r.messageRef),
    cut(r.command),
    JSON.stringify(r.parsed),
    r.namespace ?? null,
    JSON.stringify(r.target),
    r.previewDigest,
    cut(r.preview),
    r.reason === undefined ? null : cut(r.reason),
    JSON.stringify(r.policy),
    r.result === undefined ? null : JSON.stringify(r.result),
    r.intent === undefined ? null : cut(r.intent),
    r.executingSince === undefined ? null : Math.trunc(r.executingSince),
  ];
}

/** SQL.insertDecision's values for a decision as given (create keeps them whole). */
const decisionValues = (id: string, d: Decision): Value[] => [id, approverKey(d), id, JSON.stringify(d)];

/** A new decision as stored: copied, its reason cut. */
function decisionBody(d: Decision): Decision {
  const body: Decision = { ...d, by: { ...d.by }, identity: { user: d.identity.user, groups: [...d.identity.groups] } };
  if (body.reason !== undefined) body.reason = cut(body.reason, 1000);
  return body;
}

/** Why a decision cannot be recorded on the request as it is, if it cannot (the approver's earlier decision aside). */
function decisionRefusal(before: ActionRequest | undefined, d: Decision): DecisionRefusal | undefined {
  if (!before) return 'not-found';
  if (before.state !== 'awaiting-approval') return 'not-awaiting-approval';
  if (before.expiresAt <= d.at) return 'expired';
  return undefined;
}

/** The filter's tail query; undefined when it can match nothing. `insertionOrder` is the column rows are numbered by as they are added. */
function requestTail(filter: RequestFilter, insertionOrder: string): TailQuery | undefined {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (filter.states !== undefined) {
    if (filter.states.length === 0) return undefined;
    where.push(`state IN (${filter.states.map(() => '?').join(', ')})`);
    args.push(...filter.states);
  }
  if (filter.requester !== undefined) {
    where.push('(requester_id = ? OR requester_name = ? OR kube_user = ?)');
    args.push(filter.requester, filter.requester, filter.requester);
  }
  if (filter.channel !== undefined) {
    where.push('channel = ?');
    args.push(filter.channel);
  }
  if (filter.since !== undefined) {
    where.push('created_at >= ?');
    args.push(Math.trunc(filter.since));
  }
  return { table: 'requests', where, args, newestFirst: `created_at DESC, ${insertionOrder} DESC`, limit: filter.limit };
}

/** transition()'s one compare-and-set UPDATE … RETURNING *; undefined when `from` is empty (nothing can match). */
function transitionQuery(id: string, from: readonly RequestState[], to: RequestState, patch: RequestPatch, now: number): { sql: string; args: Value[] } | undefined {
  if (from.length === 0) return undefined;
  const sets = ['state = ?', 'updated_at = ?'];
  const args: Value[] = [to, Math.trunc(now)];
  for (const [key, value] of Object.entries(patch) as [keyof RequestPatch, unknown][]) {
    if (value === undefined || !(key in PATCH_COLUMNS)) continue;
    sets.push(`${PATCH_COLUMNS[key].col} = ?`);
    args.push(patchValue(key, value));
  }
  // An awaiting request past its expiry may only become expired or
  // cancelled: a confirmation or approval that arrives late must not win
  // a race against the expiry timer.
  const late = to === 'expired' || to === 'cancelled' ? '' : ` AND NOT (state IN (${list(AWAITING_STATES)}) AND expires_at <= ?)`;
  const sql = `UPDATE requests SET ${sets.join(', ')} WHERE id = ? AND state IN (${from.map(() => '?').join(', ')})${late} RETURNING *`;
  args.push(id, ...from);
  if (late) args.push(Math.trunc(now));
  return { sql, args };
}

/** expireDue's order: soonest expiry first, then oldest. */
const byExpiry = (a: ActionRequest, b: ActionRequest): number => a.expiresAt - b.expiresAt || a.createdAt - b.createdAt;

/** A requests row (either backend's: the same columns) with its decisions' bodies (JSON, in order). */
function requestFromRow(r: Row, decisions: readonly unknown[]): ActionRequest {
  const req: ActionRequest = {
    id: String(r.id),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    expiresAt: Number(r.expires_at),
    state: String(r.state) as RequestState,
    platform: String(r.platform) as ActionRequest['platform'],
    requester: { platform: String(r.platform) as ActionRequest['platform'], id: String(r.requester_id) },
    identity: JSON.parse(String(r.identity)) as ActionRequest['identity'],
    channel: String(r.channel),
    command: String(r.command),
    parsed: JSON.parse(String(r.parsed)) as Record<string, unknown>,
    target: JSON.parse(String(r.target)) as ActionRequest['target'],
    previewDigest: String(r.preview_digest),
    preview: String(r.preview),
    policy: JSON.parse(String(r.policy)) as ActionRequest['policy'],
    decisions: decisions.map((body) => JSON.parse(String(body)) as Decision),
  };
  const name = opt(r.requester_name);
  if (name !== undefined) req.requester.name = name;
  for (const [key, col] of [['thread', 'thread'], ['messageRef', 'message_ref'], ['namespace', 'namespace'], ['reason', 'reason'], ['intent', 'intent']] as const) {
    const v = opt(r[col]);
    if (v !== undefined) req[key] = v;
  }
  if (r.result !== null && r.result !== undefined) req.result = JSON.parse(String(r.result)) as RequestResult;
  if (r.executing_since !== null && r.executing_since !== undefined) req.executingSince = Number(r.executing_since);
  return req;
}

/** Chat write requests on either backend (the PostgreSQL store's is postgres/requests.ts). */
export class SqlRequests implements RequestRepo {
  #p: Preparer;
  #tx: <T>(fn: () => T) => T;
  #s: Record<keyof typeof SQL | keyof (typeof DIALECT_SQL)['sqlite'], Statement>;
  #order: string;

  /** `tx` runs fn in the store's transaction (nested ones are savepoints). */
  constructor(p: Preparer, tx: <T>(fn: () => T) => T) {
    this.#p = p;
    this.#tx = tx;
    this.#s = { ...prepareEach(p, SQL), ...prepareEach(p, DIALECT_SQL[p.dialect]) };
    this.#order = INSERTION_ORDER[p.dialect];
  }

  create(r: ActionRequest): void {
    checkRequestId(r.id);
    this.#tx(() => {
      this.#s.insert.run(...requestValues(r));
      for (const d of r.decisions) this.#s.insertDecision.run(...decisionValues(r.id, d));
    });
  }

  get(id: string): ActionRequest | undefined {
    return this.#withDecisions(this.#s.get.all(id) as Row[])[0];
  }

  list(filter: RequestFilter = {}): ActionRequest[] {
    const q = requestTail(filter, this.#order);
    return q ? this.#withDecisions(tail<Row>(this.#p, q)) : [];
  }

  transition(id: string, from: readonly RequestState[], to: RequestState, patch: RequestPatch, now: number): ActionRequest | undefined {
    const q = transitionQuery(id, from, to, patch, now);
    return q ? this.#withDecisions(this.#p.prepare(q.sql).all(...q.args) as Row[])[0] : undefined;
  }

  addDecision(id: string, d: Decision): DecisionOutcome {
    return this.#tx(() => {
      const before = this.#withDecisions(this.#s.lockForDecision.all(id) as Row[])[0];
      const refuse = (reason: DecisionRefusal) => ({ ok: false as const, reason, ...(before ? { request: before } : {}) });
      const refusal = decisionRefusal(before, d);
      if (refusal) return refuse(refusal);
      if (Number(this.#s.insertDecision.run(...decisionValues(id, decisionBody(d))).changes) === 0) return refuse('already-decided');
      this.#s.touch.run(Math.trunc(d.at), id);
      return { ok: true as const, request: this.get(id)! };
    });
  }

  claimForExecution(id: string, now: number, intent?: string): ActionRequest | undefined {
    return this.transition(id, ['approved'], 'executing', { executingSince: now, ...(intent !== undefined ? { intent } : {}) }, now);
  }

  recordResult(id: string, result: RequestResult): ActionRequest | undefined {
    return this.transition(id, ['executing'], result.ok ? 'executed' : 'failed', { result: { ...result, message: cut(result.message, 1000) } }, result.at);
  }

  expireDue(now: number): ActionRequest[] {
    return this.#tx(() => this.#withDecisions(this.#s.expireDue.all(Math.trunc(now), Math.trunc(now)) as Row[]).sort(byExpiry));
  }

  inDoubt(): ActionRequest[] {
    return this.#withDecisions(this.#s.inDoubt.all() as Row[]);
  }

  nextExpiry(): number | undefined {
    const t = (this.#s.nextExpiry.get() as Row).t;
    return t === null || t === undefined ? undefined : Number(t);
  }

  deleteBefore(before: number): number {
    return this.#tx(() => {
      this.#s.deleteDecisions.run(Math.trunc(before));
      return Number(this.#s.delete.run(Math.trunc(before)).changes);
    });
  }

  /** The rows as requests, the decisions of all of them read in one statement. */
  #withDecisions(rows: Row[]): ActionRequest[] {
    if (rows.length === 0) return [];
    const bodies = new Map<string, unknown[]>(rows.map((r) => [String(r.id), []]));
    for (const d of this.#s.decisionsOf.all(JSON.stringify([...bodies.keys()])) as Row[]) bodies.get(String(d.request_id))?.push(d.body);
    return rows.map((r) => requestFromRow(r, bodies.get(String(r.id))!));
  }
}

export class SqliteRequests extends SqlRequests {
  constructor(db: DatabaseSync, tx: <T>(fn: () => T) => T) {
    super(sqlitePreparer(db), tx);
  }
}
