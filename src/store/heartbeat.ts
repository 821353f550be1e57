// When kubeherald was last alive. A start reads it before anything else is
// written: [last seen, now] is the gap the process was down for, and what
// the cluster still shows from that gap is told (see detect/gap.ts).

import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { HeartbeatRepo } from './types.ts';

export class SqliteHeartbeat implements HeartbeatRepo {
  #get: StatementSync;
  #put: StatementSync;
  #cluster: string;

  /** One cluster's: a cluster added to the config later has no gap of its own yet. */
  constructor(db: DatabaseSync, cluster: string) {
    this.#cluster = cluster;
    this.#get = db.prepare('SELECT seen_at FROM heartbeat WHERE cluster = ?');
    this.#put = db.prepare('INSERT INTO heartbeat (cluster, seen_at) VALUES (?, ?) ON CONFLICT (cluster) DO UPDATE SET seen_at = MAX(seen_at, excluded.seen_at)');
  }

  lastSeen(): number | undefined {
    const row = this.#get.get(this.#cluster) as { seen_at: number } | undefined;
    return row ? Number(row.seen_at) : undefined;
  }

  beat(now: number): void {
    this.#put.run(this.#cluster, now);
  }
}

/**
 * Rows from before migration 13 (cluster '') become `cluster`'s: the tracker's
 * incidents and edges, and the heartbeat (the later time if both exist). The
 * caller runs it in a transaction.
 */
export function adoptUnnamedClusterRows(db: DatabaseSync, cluster: string): void {
  if (cluster === '') return;
  // OR IGNORE: a row the cluster already has is newer than the unnamed one, which is then dropped
  db.prepare("UPDATE OR IGNORE tracker_incidents SET cluster = ? WHERE cluster = ''").run(cluster);
  db.prepare("DELETE FROM tracker_incidents WHERE cluster = ''").run();
  db.prepare("UPDATE OR IGNORE tracker_edges SET cluster = ? WHERE cluster = ''").run(cluster);
  db.prepare("DELETE FROM tracker_edges WHERE cluster = ''").run();
  db.prepare(
    "INSERT INTO heartbeat (cluster, seen_at) SELECT ?, seen_at FROM heartbeat WHERE cluster = '' ON CONFLICT (cluster) DO UPDATE SET seen_at = MAX(seen_at, excluded.seen_at)",
  ).run(cluster);
  db.prepare("DELETE FROM heartbeat WHERE cluster = ''").run();
}
