// When kubeherald was last alive. A start reads it before anything else is
// written: [last seen, now] is the gap the process was down for, and what
// the cluster still shows from that gap is told (see detect/gap.ts).

import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { HeartbeatRepo } from './types.ts';

export class SqliteHeartbeat implements HeartbeatRepo {
  #get: StatementSync;
  #put: StatementSync;

  constructor(db: DatabaseSync) {
    this.#get = db.prepare('SELECT seen_at FROM heartbeat WHERE id = 1');
    this.#put = db.prepare('INSERT INTO heartbeat (id, seen_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET seen_at = MAX(seen_at, excluded.seen_at)');
  }

  lastSeen(): number | undefined {
    const row = this.#get.get() as { seen_at: number } | undefined;
    return row ? Number(row.seen_at) : undefined;
  }

  beat(now: number): void {
    this.#put.run(now);
  }
}
