// Leaders' terms (both backends, the same statements). A term begins when a process acquires its Lease;
// the epoch it gets is the token its outbox claims are fenced with.

import { type Preparer, type Statement } from './statements.ts';
import type { LeadershipRepo, Term } from './types.ts';

/** Terms on either backend. */
export class SqlLeadership implements LeadershipRepo {
  #begin: Statement;
  #current: Statement;

  constructor(db: Preparer) {
    this.#begin = db.prepare(
      `INSERT INTO leadership (scope, holder, epoch, lease_transitions, since) VALUES (?, ?, 1, ?, ?)
       ON CONFLICT (scope) DO UPDATE SET holder = excluded.holder, epoch = leadership.epoch + 1, lease_transitions = excluded.lease_transitions, since = excluded.since
       RETURNING epoch`,
    );
    this.#current = db.prepare('SELECT scope, holder, epoch, lease_transitions, since FROM leadership WHERE scope = ?');
  }

  begin(scope: string, holder: string, leaseTransitions: number, now: number): Term {
    const row = this.#begin.get(scope, holder, leaseTransitions, now) as { epoch: number };
    return { scope, holder, epoch: Number(row.epoch) };
  }

  current(scope: string): (Term & { leaseTransitions: number; since: number }) | undefined {
    const r = this.#current.get(scope) as Record<string, unknown> | undefined;
    if (!r) return undefined;
    return { scope: String(r.scope), holder: String(r.holder), epoch: Number(r.epoch), leaseTransitions: Number(r.lease_transitions), since: Number(r.since) };
  }
}
