// Chat write requests in SQLite. Every state change is one UPDATE … WHERE
// state IN (…) RETURNING: SQLite runs it under the database's write lock, so
// of two connections (or two approvers in one process) asking for the same
// change exactly one sees its row come back. Decisions live in their own
// table whose primary key (request, approver) makes "one decision per
// approver" the database's rule, not a read-then-write race.
//
// The SQL, the row mapping and the rules are exported for the PostgreSQL
// repository (postgres/requests.ts), which runs the same statements.

import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { AWAITING_STATES, FINAL_STATES, type ActionRequest, type Decision, type RequestFilter, type RequestResult, type RequestState } from '../model/approval.ts';
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

/** The statements both backends run (`?` placeholders). */
export const REQUEST_SQL = {
  get: 'SELECT * FROM requests WHERE id = ?',
  insert: `INSERT INTO requests (id, created_at, updated_at, expires_at, state, platform, requester_id, requester_name, kube_user, identity,
             channel, thread, message_ref, command, parsed, namespace, target, preview_digest, preview, reason, policy, result, intent, executing_since)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  decisions: 'SELECT body FROM request_decisions WHERE request_id = ? ORDER BY seq',
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

/** Refuses an id that would not fit a chat button's payload. */
export function checkRequestId(id: string): void {
  if (!/^[A-Za-z0-9_-]{1,22}$/.test(id)) throw new Error(`request id ${JSON.stringify(id)}: expected 1 to 22 base64url characters`);
}

/** REQUEST_SQL.insert's values, free text cut. */
export function requestValues(r: ActionRequest): Value[] {
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

/** REQUEST_SQL.insertDecision's values for a decision as given (create keeps them whole). */
export const decisionValues = (id: string, d: Decision): Value[] => [id, approverKey(d), id, JSON.stringify(d)];

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
export function requestTail(filter: RequestFilter, insertionOrder: string): TailQuery | undefined {
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
export function transitionQuery(id: string, from: readonly RequestState[], to: RequestState, patch: RequestPatch, now: number): { sql: string; args: Value[] } | undefined {
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
export const byExpiry = (a: ActionRequest, b: ActionRequest): number => a.expiresAt - b.expiresAt || a.createdAt - b.createdAt;

/** A requests row (either backend's: the same columns) with its decisions' bodies (JSON, in order). */
export function requestFromRow(r: Row, decisions: readonly unknown[]): ActionRequest {
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

/**
 * What both backends share above their statements: the rules of a
 * decision, and a claim or a result as a compare-and-set transition.
 */
export abstract class RequestRules {
  readonly #tx: <T>(fn: () => T) => T;

  constructor(tx: <T>(fn: () => T) => T) {
    this.#tx = tx;
  }

  abstract get(id: string): ActionRequest | undefined;
  abstract transition(id: string, from: readonly RequestState[], to: RequestState, patch: RequestPatch, now: number): ActionRequest | undefined;
  /** The request as a decision on it is judged: no other decision may land on it until this transaction ends. */
  protected abstract readForDecision(id: string): ActionRequest | undefined;
  /** Stores a decision (REQUEST_SQL.insertDecision); false when the approver had decided already. */
  protected abstract insertDecision(id: string, d: Decision): boolean;
  /** Sets updated_at (REQUEST_SQL.touch). */
  protected abstract touch(id: string, at: number): void;

  addDecision(id: string, d: Decision): DecisionOutcome {
    return this.#tx(() => {
      const before = this.readForDecision(id);
      const refuse = (reason: DecisionRefusal) => ({ ok: false as const, reason, ...(before ? { request: before } : {}) });
      const refusal = decisionRefusal(before, d);
      if (refusal) return refuse(refusal);
      if (!this.insertDecision(id, decisionBody(d))) return refuse('already-decided');
      this.touch(id, Math.trunc(d.at));
      return { ok: true as const, request: this.get(id)! };
    });
  }

  claimForExecution(id: string, now: number, intent?: string): ActionRequest | undefined {
    return this.transition(id, ['approved'], 'executing', { executingSince: now, ...(intent !== undefined ? { intent } : {}) }, now);
  }

  recordResult(id: string, result: RequestResult): ActionRequest | undefined {
    return this.transition(id, ['executing'], result.ok ? 'executed' : 'failed', { result: { ...result, message: cut(result.message, 1000) } }, result.at);
  }
}

export class SqliteRequests extends RequestRules implements RequestRepo {
  #db: DatabaseSync;
  #tx: <T>(fn: () => T) => T;
  #get: StatementSync;
  #decisions: StatementSync;
  #insertDecision: StatementSync;

  /** `tx` runs fn in the store's transaction (nested ones are savepoints). */
  constructor(db: DatabaseSync, tx: <T>(fn: () => T) => T) {
    super(tx);
    this.#db = db;
    this.#tx = tx;
    this.#get = db.prepare(REQUEST_SQL.get);
    this.#decisions = db.prepare(REQUEST_SQL.decisions);
    this.#insertDecision = db.prepare(REQUEST_SQL.insertDecision);
  }

  create(r: ActionRequest): void {
    checkRequestId(r.id);
    this.#tx(() => {
      this.#db.prepare(REQUEST_SQL.insert).run(...requestValues(r));
      for (const d of r.decisions) this.#insertDecision.run(...decisionValues(r.id, d));
    });
  }

  get(id: string): ActionRequest | undefined {
    const row = this.#get.get(id) as Row | undefined;
    return row ? this.#fromRow(row) : undefined;
  }

  list(filter: RequestFilter = {}): ActionRequest[] {
    const q = requestTail(filter, 'rowid');
    return q ? tail<Row>(this.#db, q).map((r) => this.#fromRow(r)) : [];
  }

  transition(id: string, from: readonly RequestState[], to: RequestState, patch: RequestPatch, now: number): ActionRequest | undefined {
    const q = transitionQuery(id, from, to, patch, now);
    const row = q && (this.#db.prepare(q.sql).get(...q.args) as Row | undefined);
    return row ? this.#fromRow(row) : undefined;
  }

  protected readForDecision(id: string): ActionRequest | undefined {
    // the store's transaction holds SQLite's write lock: nothing else decides meanwhile
    return this.get(id);
  }

  protected insertDecision(id: string, d: Decision): boolean {
    return Number(this.#insertDecision.run(...decisionValues(id, d)).changes) > 0;
  }

  protected touch(id: string, at: number): void {
    this.#db.prepare(REQUEST_SQL.touch).run(at, id);
  }

  expireDue(now: number): ActionRequest[] {
    return this.#tx(() => {
      const rows = this.#db.prepare(REQUEST_SQL.expireDue).all(Math.trunc(now), Math.trunc(now)) as Row[];
      return rows.map((r) => this.#fromRow(r)).sort(byExpiry);
    });
  }

  inDoubt(): ActionRequest[] {
    return (this.#db.prepare(REQUEST_SQL.inDoubt).all() as Row[]).map((r) => this.#fromRow(r));
  }

  nextExpiry(): number | undefined {
    const row = this.#db.prepare(REQUEST_SQL.nextExpiry).get() as { t: number | null };
    return row.t ?? undefined;
  }

  deleteBefore(before: number): number {
    return this.#tx(() => {
      this.#db.prepare(REQUEST_SQL.deleteDecisions).run(Math.trunc(before));
      return Number(this.#db.prepare(REQUEST_SQL.delete).run(Math.trunc(before)).changes);
    });
  }

  #fromRow(r: Row): ActionRequest {
    return requestFromRow(
      r,
      (this.#decisions.all(String(r.id)) as Row[]).map((d) => d.body),
    );
  }
}
