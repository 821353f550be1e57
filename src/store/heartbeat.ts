// When kubeherald was last alive. A start reads it before anything else is
// written: [last seen, now] is the gap the process was down for, and what
// the cluster still shows from that gap is told (see detect/gap.ts).

import type { Preparer, Statement } from './statements.ts';
import type { HeartbeatRepo } from './types.ts';

/** The later of the stored and the new time (SQLite's MAX(a, b) is PostgreSQL's GREATEST: CASE is both's). */
const LATER = 'CASE WHEN excluded.seen_at > heartbeat.seen_at THEN excluded.seen_at ELSE heartbeat.seen_at END';

export class SqlHeartbeat implements HeartbeatRepo {
  #get: Statement;
  #put: Statement;
  #cluster: string;

  /** One cluster's: a cluster added to the config later has no gap of its own yet. */
  constructor(db: Preparer, cluster: string) {
    this.#cluster = cluster;
    this.#get = db.prepare('SELECT seen_at FROM heartbeat WHERE cluster = ?');
    this.#put = db.prepare(`INSERT INTO heartbeat (cluster, seen_at) VALUES (?, ?) ON CONFLICT (cluster) DO UPDATE SET seen_at = ${LATER}`);
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
export function adoptUnnamedClusterRows(db: Preparer, cluster: string): void {
  if (cluster === '') return;
  // a row the cluster already has is newer than the unnamed one, which is dropped
  for (const table of ['tracker_incidents', 'tracker_edges']) {
    db.prepare(`DELETE FROM ${table} WHERE cluster = '' AND key IN (SELECT key FROM ${table} WHERE cluster = ?)`).run(cluster);
    db.prepare(`UPDATE ${table} SET cluster = ? WHERE cluster = ''`).run(cluster);
  }
  // (SQLite parses ON CONFLICT after a SELECT only when the SELECT has a WHERE)
  db.prepare(`INSERT INTO heartbeat (cluster, seen_at) SELECT ?, seen_at FROM heartbeat WHERE cluster = '' ON CONFLICT (cluster) DO UPDATE SET seen_at = ${LATER}`).run(cluster);
  db.prepare("DELETE FROM heartbeat WHERE cluster = ''").run();
}
