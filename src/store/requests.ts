// Chat write requests in SQLite. Every state change is one UPDATE … WHERE
// state IN (…) RETURNING: SQLite runs it under the database's write lock, so
// of two connections (or two approvers in one process) asking for the same
// change exactly one sees its row come back. Decisions live in their own
// table whose primary key (request, approver) makes "one decision per
// approver" the database's rule, not a read-then-write race.

import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { AWAITING_STATES, FINAL_STATES, type ActionRequest, type Decision, type RequestFilter, type RequestResult, type RequestState } from '../model/approval.ts';
import { tail } from './tail.ts';
import type { DecisionRefusal, RequestPatch, RequestRepo } from './types.ts';

type Row = Record<string, unknown>;

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

function patchValue(key: keyof RequestPatch, value: unknown): string | number | null {
  const spec = PATCH_COLUMNS[key];
  if (value === undefined || value === null) return null;
  if (spec.json) return JSON.stringify(value);
  if (spec.text) return cut(String(value));
  return Math.trunc(Number(value));
}

export class SqliteRequests implements RequestRepo {
  #db: DatabaseSync;
  #tx: <T>(fn: () => T) => T;
  #get: StatementSync;
  #decisions: StatementSync;
  #insertDecision: StatementSync;

  /** `tx` runs fn in the store's transaction (nested ones are savepoints). */
  constructor(db: DatabaseSync, tx: <T>(fn: () => T) => T) {
    this.#db = db;
    this.#tx = tx;
    this.#get = db.prepare('SELECT * FROM requests WHERE id = ?');
    this.#decisions = db.prepare('SELECT body FROM request_decisions WHERE request_id = ? ORDER BY seq');
    this.#insertDecision = db.prepare(
      `INSERT OR IGNORE INTO request_decisions (request_id, approver, seq, body)
       VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM request_decisions WHERE request_id = ?), ?)`,
    );
  }

  create(r: ActionRequest): void {
    if (!/^[A-Za-z0-9_-]{1,22}$/.test(r.id)) throw new Error(`request id ${JSON.stringify(r.id)}: expected 1 to 22 base64url characters`);
    this.#tx(() => {
      this.#db
        .prepare(
          `INSERT INTO requests (id, created_at, updated_at, expires_at, state, platform, requester_id, requester_name, kube_user, identity,
             channel, thread, message_ref, command, parsed, namespace, target, preview_digest, preview, reason, policy, result, intent, executing_since)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
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
        );
      for (const d of r.decisions) this.#insertDecision.run(r.id, approverKey(d), r.id, JSON.stringify(d));
    });
  }

  get(id: string): ActionRequest | undefined {
    const row = this.#get.get(id) as Row | undefined;
    return row ? this.#fromRow(row) : undefined;
  }

  list(filter: RequestFilter = {}): ActionRequest[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.states !== undefined) {
      if (filter.states.length === 0) return [];
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
    return tail<Row>(this.#db, { table: 'requests', where, args, newestFirst: 'created_at DESC, rowid DESC', limit: filter.limit }).map((r) => this.#fromRow(r));
  }

  transition(id: string, from: readonly RequestState[], to: RequestState, patch: RequestPatch, now: number): ActionRequest | undefined {
    if (from.length === 0) return undefined;
    const sets = ['state = ?', 'updated_at = ?'];
    const args: (string | number | null)[] = [to, Math.trunc(now)];
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
    const row = this.#db.prepare(sql).get(...args) as Row | undefined;
    return row ? this.#fromRow(row) : undefined;
  }

  addDecision(id: string, d: Decision): { ok: true; request: ActionRequest } | { ok: false; reason: DecisionRefusal; request?: ActionRequest } {
    return this.#tx(() => {
      const before = this.get(id);
      const refuse = (reason: DecisionRefusal) => ({ ok: false as const, reason, ...(before ? { request: before } : {}) });
      if (!before) return refuse('not-found');
      if (before.state !== 'awaiting-approval') return refuse('not-awaiting-approval');
      if (before.expiresAt <= d.at) return refuse('expired');
      const body: Decision = { ...d, by: { ...d.by }, identity: { user: d.identity.user, groups: [...d.identity.groups] } };
      if (body.reason !== undefined) body.reason = cut(body.reason, 1000);
      const r = this.#insertDecision.run(id, approverKey(d), id, JSON.stringify(body));
      if (Number(r.changes) === 0) return refuse('already-decided');
      this.#db.prepare('UPDATE requests SET updated_at = ? WHERE id = ?').run(Math.trunc(d.at), id);
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
    return this.#tx(() => {
      const rows = this.#db
        .prepare(`UPDATE requests SET state = 'expired', updated_at = ? WHERE state IN (${list(AWAITING_STATES)}) AND expires_at <= ? RETURNING *`)
        .all(Math.trunc(now), Math.trunc(now)) as Row[];
      return rows.map((r) => this.#fromRow(r)).sort((a, b) => a.expiresAt - b.expiresAt || a.createdAt - b.createdAt);
    });
  }

  inDoubt(): ActionRequest[] {
    return (this.#db.prepare("SELECT * FROM requests WHERE state = 'executing' ORDER BY executing_since, created_at").all() as Row[]).map((r) => this.#fromRow(r));
  }

  nextExpiry(): number | undefined {
    const row = this.#db.prepare(`SELECT MIN(expires_at) AS t FROM requests WHERE state IN (${list(AWAITING_STATES)})`).get() as { t: number | null };
    return row.t ?? undefined;
  }

  deleteBefore(before: number): number {
    return this.#tx(() => {
      const final = `state IN (${list(FINAL_STATES)}) AND updated_at < ?`;
      this.#db.prepare(`DELETE FROM request_decisions WHERE request_id IN (SELECT id FROM requests WHERE ${final})`).run(Math.trunc(before));
      return Number(this.#db.prepare(`DELETE FROM requests WHERE ${final}`).run(Math.trunc(before)).changes);
    });
  }

  #fromRow(r: Row): ActionRequest {
    const id = String(r.id);
    const req: ActionRequest = {
      id,
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
      decisions: (this.#decisions.all(id) as Row[]).map((d) => JSON.parse(String(d.body)) as Decision),
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
}
