// Schema migrations, versioned in code. Each runs once, in its own
// transaction, and is recorded in the `migrations` table; a database written
// by a newer kubeherald (a version this code does not know) is refused rather
// than guessed at.

import type { DatabaseSync } from 'node:sqlite';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'outbox, dedup, tracker, flood, reminders, groups, threads',
    sql: `
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sink TEXT NOT NULL,
        target TEXT NOT NULL,
        ordering_key TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        payload BLOB NOT NULL,
        members INTEGER NOT NULL DEFAULT 1,
        group_key TEXT,
        group_update INTEGER,
        state TEXT NOT NULL CHECK (state IN ('pending', 'inflight', 'delivered', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        last_error TEXT,
        last_response TEXT,
        dead_reason TEXT
      );
      -- the next row of a queue, and each queue's head
      CREATE INDEX outbox_queue ON outbox (sink, ordering_key, id) WHERE state IN ('pending', 'inflight');
      -- retention, recovery and the dead-letter commands
      CREATE INDEX outbox_state ON outbox (state, updated_at);

      CREATE TABLE dedup (
        sink TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        seen_at INTEGER NOT NULL,
        PRIMARY KEY (sink, idempotency_key)
      ) WITHOUT ROWID;
      CREATE INDEX dedup_seen ON dedup (seen_at);

      CREATE TABLE tracker_incidents (
        key TEXT PRIMARY KEY,
        body TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE tracker_edges (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        object_uid TEXT NOT NULL
      );

      CREATE TABLE flood (
        sink TEXT NOT NULL,
        flood_key TEXT NOT NULL,
        first_key TEXT NOT NULL,
        group_key TEXT,
        opened_at INTEGER NOT NULL,
        window_ends_at INTEGER NOT NULL,
        folded INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (sink, flood_key)
      ) WITHOUT ROWID;
      CREATE TABLE flood_folded (
        sink TEXT NOT NULL,
        incident_key TEXT NOT NULL,
        flood_key TEXT NOT NULL,
        folded_at INTEGER NOT NULL,
        PRIMARY KEY (sink, incident_key)
      ) WITHOUT ROWID;

      CREATE TABLE reminders (
        sink TEXT NOT NULL,
        incident_key TEXT NOT NULL,
        notification BLOB NOT NULL,
        last_sent_at INTEGER NOT NULL,
        repeats INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (sink, incident_key)
      ) WITHOUT ROWID;

      CREATE TABLE delivery_groups (
        sink TEXT NOT NULL,
        group_key TEXT NOT NULL,
        target TEXT NOT NULL,
        ordering_key TEXT NOT NULL,
        opened_at INTEGER NOT NULL,
        flush_at INTEGER,
        last_flush_at INTEGER,
        expires_at INTEGER,
        updates INTEGER NOT NULL DEFAULT 0,
        -- groups due at the same time go out in the order they opened
        seq INTEGER NOT NULL,
        PRIMARY KEY (sink, group_key)
      ) WITHOUT ROWID;
      CREATE INDEX delivery_groups_flush ON delivery_groups (flush_at) WHERE flush_at IS NOT NULL;
      CREATE TABLE group_members (
        sink TEXT NOT NULL,
        group_key TEXT NOT NULL,
        member_key TEXT NOT NULL,
        seq INTEGER NOT NULL,
        notification BLOB NOT NULL,
        resolved INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (sink, group_key, member_key)
      ) WITHOUT ROWID;
      CREATE INDEX group_members_member ON group_members (sink, member_key);

      CREATE TABLE threads (
        sink TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (sink, key)
      ) WITHOUT ROWID;
      CREATE INDEX threads_updated ON threads (updated_at);
    `,
  },
  {
    version: 2,
    name: 'per-route grouping: a group keeps its interval, a reminder its grouping',
    // NULL in both: the sink's own settings, read when needed (what version 1 did)
    sql: `
      ALTER TABLE delivery_groups ADD COLUMN interval_ms INTEGER;
      ALTER TABLE reminders ADD COLUMN grouping TEXT;
    `,
  },
  {
    version: 3,
    name: 'audit trail of chat commands',
    sql: `
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        platform TEXT NOT NULL,
        platform_user_id TEXT NOT NULL,
        platform_user_name TEXT,
        channel TEXT NOT NULL,
        -- identity's user again, so --user is an indexed lookup
        kube_user TEXT,
        -- {"user": …, "groups": […]}, NULL for an unmapped chat user
        identity TEXT,
        text TEXT NOT NULL,
        command TEXT,
        verb TEXT,
        target TEXT,
        writes INTEGER NOT NULL CHECK (writes IN (0, 1)),
        decision TEXT NOT NULL,
        outcome TEXT NOT NULL,
        error TEXT,
        duration_ms INTEGER NOT NULL
      );
      -- --since, retention, and the newest-first read behind --limit
      CREATE INDEX audit_at ON audit (at);
      CREATE INDEX audit_platform_user ON audit (platform_user_id, at);
      CREATE INDEX audit_kube_user ON audit (kube_user, at) WHERE kube_user IS NOT NULL;
    `,
  },
  {
    // 4 is flood control's (added separately); this one does not depend on it
    version: 5,
    name: 'chat write requests: confirmation, approval, execution',
    sql: `
      CREATE TABLE requests (
        id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('awaiting-confirmation', 'awaiting-approval', 'approved', 'executing', 'executed', 'failed', 'cancelled', 'denied', 'expired', 'stale')),
        platform TEXT NOT NULL,
        requester_id TEXT NOT NULL,
        requester_name TEXT,
        kube_user TEXT NOT NULL,
        identity TEXT NOT NULL,
        channel TEXT NOT NULL,
        thread TEXT,
        message_ref TEXT,
        command TEXT NOT NULL,
        parsed TEXT NOT NULL,
        namespace TEXT,
        target TEXT NOT NULL,
        preview_digest TEXT NOT NULL,
        preview TEXT NOT NULL,
        reason TEXT,
        policy TEXT NOT NULL,
        result TEXT,
        intent TEXT,
        executing_since INTEGER
      );
      -- expiry, recovery (executing) and list --state
      CREATE INDEX requests_state ON requests (state, expires_at);
      CREATE INDEX requests_created ON requests (created_at);
      CREATE TABLE request_decisions (
        request_id TEXT NOT NULL,
        -- platform:id: one decision per approver per request
        approver TEXT NOT NULL,
        seq INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (request_id, approver)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 6,
    name: 'held notifications (silences, inhibition, time windows) and silences',
    sql: `
      -- a notification kept out of a chat sink while a holder holds it: one per incident and sink
      CREATE TABLE held (
        sink TEXT NOT NULL,
        incident_key TEXT NOT NULL,
        notification BLOB NOT NULL,
        by_kind TEXT NOT NULL CHECK (by_kind IN ('silence', 'inhibition', 'window')),
        holder_id TEXT NOT NULL,
        reason_text TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'firing',
        held_at INTEGER NOT NULL,
        -- the route's grouping (JSON) when it had one, as for reminders
        grouping TEXT,
        PRIMARY KEY (sink, incident_key)
      ) WITHOUT ROWID;
      -- release(by, id)
      CREATE INDEX held_holder ON held (by_kind, holder_id);
      CREATE TABLE silences (
        id TEXT PRIMARY KEY,
        -- JSON: cluster, namespace, kind, name, reason, labels, cel
        matchers TEXT NOT NULL,
        -- JSON array of time interval names, or NULL
        intervals TEXT,
        starts_at INTEGER NOT NULL,
        ends_at INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        comment TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('cli', 'chat', 'resource')),
        forced INTEGER NOT NULL DEFAULT 0 CHECK (forced IN (0, 1)),
        created_at INTEGER NOT NULL,
        -- set when expired by hand (expire) or on time (the expiry timer)
        expired_at INTEGER,
        expired_by TEXT
      );
      CREATE INDEX silences_open ON silences (expired_at, ends_at);
    `,
  },
  {
    version: 9,
    name: 'storm digests: the rate and the digest of each chat target',
    sql: `
      -- one row per (sink, target) seen lately: its arrival times and, in a storm, what the digest absorbed (JSON)
      CREATE TABLE storms (
        sink TEXT NOT NULL,
        target TEXT NOT NULL,
        state TEXT NOT NULL,
        active INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (sink, target)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 10,
    name: 'alert buttons: the action behind a short token in a Telegram button',
    sql: `
      -- Telegram's callback_data holds 64 bytes: a button that would not fit carries a token naming its row
      CREATE TABLE alert_buttons (
        token TEXT PRIMARY KEY,
        action_id TEXT NOT NULL,
        value TEXT NOT NULL,
        -- the chat it was posted to: a press from anywhere else is refused
        channel TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX alert_buttons_expiry ON alert_buttons (expires_at);
    `,
  },
  {
    version: 11,
    name: 'heartbeat: when kubeherald was last alive, so a start knows the gap it was down for',
    sql: `
      -- one row: the last time the process was known alive (epoch ms)
      CREATE TABLE heartbeat (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seen_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 12,
    name: 'leadership: the current leader term per scope, the fencing token of outbox claims',
    sql: `
      CREATE TABLE leadership (
        scope TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        lease_transitions INTEGER NOT NULL,
        since INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 13,
    name: 'per-cluster tracker and heartbeat: one process watches several clusters',
    // SQLite cannot change a primary key in place: each table is rebuilt with
    // the cluster in its key, old rows copied under cluster '' (the first
    // configured cluster adopts them, Store.adoptUnnamedCluster)
    sql: `
      CREATE TABLE tracker_incidents_13 (
        cluster TEXT NOT NULL DEFAULT '',
        key TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (cluster, key)
      ) WITHOUT ROWID;
      INSERT INTO tracker_incidents_13 (cluster, key, body) SELECT '', key, body FROM tracker_incidents;
      DROP TABLE tracker_incidents;
      ALTER TABLE tracker_incidents_13 RENAME TO tracker_incidents;

      CREATE TABLE tracker_edges_13 (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        cluster TEXT NOT NULL DEFAULT '',
        key TEXT NOT NULL,
        object_uid TEXT NOT NULL,
        UNIQUE (cluster, key)
      );
      INSERT INTO tracker_edges_13 (seq, cluster, key, object_uid) SELECT seq, '', key, object_uid FROM tracker_edges;
      DROP TABLE tracker_edges;
      ALTER TABLE tracker_edges_13 RENAME TO tracker_edges;

      CREATE TABLE heartbeat_13 (
        cluster TEXT PRIMARY KEY,
        seen_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO heartbeat_13 (cluster, seen_at) SELECT '', seen_at FROM heartbeat;
      DROP TABLE heartbeat;
      ALTER TABLE heartbeat_13 RENAME TO heartbeat;
    `,
  },
  {
    version: 14,
    name: 'the cluster a chat command went to, in its audit record',
    // NULL for records written before: they went to the only cluster there was
    sql: `
      ALTER TABLE audit ADD COLUMN cluster TEXT;
    `,
  },
];

export const LATEST_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/** The highest migration recorded (0 for a fresh database). */
export function currentVersion(db: DatabaseSync): number {
  db.exec('CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const row = db.prepare('SELECT MAX(version) AS v FROM migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/**
 * Applies every migration above the database's version, each in its own
 * transaction; returns the versions applied (none when already current).
 */
export function migrate(db: DatabaseSync, migrations: readonly Migration[] = MIGRATIONS, now: () => number = Date.now): number[] {
  const applied: number[] = [];
  const from = currentVersion(db);
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (from > known) throw new Error(`the state database is at schema version ${from}, newer than this kubeherald knows (${known}): upgrade kubeherald or use another state file`);
  const record = db.prepare('INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)');
  // by version recorded, not only "above the highest": migrations written
  // side by side (4 and 5) stay independent of the order they landed in
  const done = db.prepare('SELECT 1 AS x FROM migrations WHERE version = ?');
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.get(m.version)) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      // another process may have migrated between our look and our lock
      if (done.get(m.version)) {
        db.exec('COMMIT');
        continue;
      }
      db.exec(m.sql);
      record.run(m.version, m.name, now());
      db.exec('COMMIT');
      applied.push(m.version);
    } catch (err) {
      db.exec('ROLLBACK');
      throw new Error(`state database migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
    }
  }
  return applied;
}
