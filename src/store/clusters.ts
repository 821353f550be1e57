// The per-cluster repositories of a store (the tracker's rows and the
// heartbeat), one object per cluster name, for both backends.

import { adoptUnnamedClusterRows, SqlHeartbeat } from './heartbeat.ts';
import { SqlTracker, type RollbackHooks } from './state.ts';
import type { Preparer } from './statements.ts';

export class ClusterRepos {
  #p: Preparer;
  #hooks: RollbackHooks;
  #transaction: <T>(fn: () => T) => T;
  #trackers = new Map<string, SqlTracker>();
  #heartbeats = new Map<string, SqlHeartbeat>();

  constructor(p: Preparer, hooks: RollbackHooks, transaction: <T>(fn: () => T) => T) {
    this.#p = p;
    this.#hooks = hooks;
    this.#transaction = transaction;
  }

  tracker(cluster: string): SqlTracker {
    let t = this.#trackers.get(cluster);
    if (!t) this.#trackers.set(cluster, (t = new SqlTracker(this.#p, this.#hooks, cluster)));
    return t;
  }

  heartbeat(cluster: string): SqlHeartbeat {
    let h = this.#heartbeats.get(cluster);
    if (!h) this.#heartbeats.set(cluster, (h = new SqlHeartbeat(this.#p, cluster)));
    return h;
  }

  adoptUnnamedCluster(cluster: string): void {
    this.#transaction(() => adoptUnnamedClusterRows(this.#p, cluster));
    this.#trackers.get(cluster)?.forget();
  }
}
