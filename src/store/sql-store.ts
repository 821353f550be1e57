// What the SQLite and the PostgreSQL store have in common: the repositories
// whose statements both run (over the backend's Preparer), the per-cluster
// tracker and heartbeat, and transactions with savepoints and rollback
// hooks. Each store opens its database, then hands it here.

import { ClusterRepos } from './clusters.ts';
import { SqlGroups } from './groups.ts';
import { SqlLeadership } from './leadership.ts';
import { SqlOutbox } from './outbox.ts';
import { SqlDedup, SqlFlood, SqlReminders, SqlThreads } from './state.ts';
import type { Preparer } from './statements.ts';
import { Transactions, type TransactionDb } from './transactions.ts';
import type { HeartbeatRepo, TrackerRepo } from './types.ts';
import { SqlStorms } from './storms.ts';

export abstract class SqlStore {
  outbox!: SqlOutbox;
  dedup!: SqlDedup;
  leadership!: SqlLeadership;
  flood!: SqlFlood;
  reminders!: SqlReminders;
  groups!: SqlGroups;
  storms!: SqlStorms;
  threads!: SqlThreads;
  #tx!: Transactions;
  #clusters!: ClusterRepos;

  /** Builds the shared repositories, once the database is open and migrated. */
  protected openRepos(p: Preparer, db: TransactionDb, now: () => number): void {
    this.#tx = new Transactions(db);
    this.outbox = new SqlOutbox(p);
    this.dedup = new SqlDedup(p);
    this.leadership = new SqlLeadership(p);
    this.flood = new SqlFlood(p);
    this.reminders = new SqlReminders(p);
    this.groups = new SqlGroups(p);
    this.storms = new SqlStorms(p);
    this.threads = new SqlThreads(p, now);
    this.#clusters = new ClusterRepos(p, this, (fn) => this.transaction(fn));
  }

  tracker(cluster: string): TrackerRepo {
    return this.#clusters.tracker(cluster);
  }

  heartbeat(cluster: string): HeartbeatRepo {
    return this.#clusters.heartbeat(cluster);
  }

  adoptUnnamedCluster(cluster: string): void {
    this.#clusters.adoptUnnamedCluster(cluster);
  }

  transaction<T>(fn: () => T): T {
    return this.#tx.run(fn);
  }

  onRollback(fn: () => void): void {
    this.#tx.onRollback(fn);
  }
}
