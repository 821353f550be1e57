// The PostgreSQL schema: SQLite's migrations (../migrations.ts) version for
// version, same tables and columns, in PostgreSQL's types (BIGINT epoch-ms,
// BIGSERIAL where SQLite has an autoincrementing rowid, BYTEA for blobs;
// flags stay INTEGER 0/1 so both backends' rows read alike; text that is
// sorted is COLLATE "C": SQLite's byte order, whatever the server's locale). The
// `migrations` table records the same versions, so `kubeherald doctor`
// means the same by "schema version" on both. Several replicas share one
// database: each migration runs in a transaction holding an advisory lock,
// so two replicas starting together migrate once, one after the other.

import type { Migration } from '../migrations.ts';
import type { PgConnection } from './connection.ts';

export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'outbox, dedup, tracker, flood, reminders, groups, threads',
    sql: `
      CREATE TABLE outbox (
        id BIGSERIAL PRIMARY KEY,
        sink TEXT NOT NULL,
        target TEXT NOT NULL,
        ordering_key TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        payload BYTEA NOT NULL,
        members INTEGER NOT NULL DEFAULT 1,
        group_key TEXT,
        group_update INTEGER,
        state TEXT NOT NULL CHECK (state IN ('pending', 'inflight', 'delivered', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        last_error TEXT,
        last_response TEXT,
        dead_reason TEXT
      );
      CREATE INDEX outbox_queue ON outbox (sink, ordering_key, id) WHERE state IN ('pending', 'inflight');
      CREATE INDEX outbox_state ON outbox (state, updated_at);

      CREATE TABLE dedup (
        sink TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        seen_at BIGINT NOT NULL,
        PRIMARY KEY (sink, idempotency_key)
      );
      CREATE INDEX dedup_seen ON dedup (seen_at);

      CREATE TABLE tracker_incidents (
        key TEXT PRIMARY KEY,
        body TEXT NOT NULL
      );
      CREATE TABLE tracker_edges (
        seq BIGSERIAL PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        object_uid TEXT NOT NULL
      );

      CREATE TABLE flood (
        sink TEXT NOT NULL,
        flood_key TEXT NOT NULL,
        first_key TEXT NOT NULL,
        group_key TEXT,
        opened_at BIGINT NOT NULL,
        window_ends_at BIGINT NOT NULL,
        folded INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (sink, flood_key)
      );
      CREATE TABLE flood_folded (
        sink TEXT NOT NULL,
        incident_key TEXT NOT NULL,
        flood_key TEXT NOT NULL,
        folded_at BIGINT NOT NULL,
        PRIMARY KEY (sink, incident_key)
      );

      CREATE TABLE reminders (
        sink TEXT COLLATE "C" NOT NULL,
        incident_key TEXT COLLATE "C" NOT NULL,
        notification BYTEA NOT NULL,
        last_sent_at BIGINT NOT NULL,
        repeats INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (sink, incident_key)
      );

      CREATE TABLE delivery_groups (
        sink TEXT NOT NULL,
        group_key TEXT NOT NULL,
        target TEXT NOT NULL,
        ordering_key TEXT NOT NULL,
        opened_at BIGINT NOT NULL,
        flush_at BIGINT,
        last_flush_at BIGINT,
        expires_at BIGINT,
        updates INTEGER NOT NULL DEFAULT 0,
        seq BIGINT NOT NULL,
        PRIMARY KEY (sink, group_key)
      );
      CREATE INDEX delivery_groups_flush ON delivery_groups (flush_at) WHERE flush_at IS NOT NULL;
      CREATE TABLE group_members (
        sink TEXT NOT NULL,
        group_key TEXT NOT NULL,
        member_key TEXT NOT NULL,
        seq BIGINT NOT NULL,
        notification BYTEA NOT NULL,
        resolved INTEGER NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (sink, group_key, member_key)
      );
      CREATE INDEX group_members_member ON group_members (sink, member_key);

      CREATE TABLE threads (
        sink TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (sink, key)
      );
      CREATE INDEX threads_updated ON threads (updated_at);
    `,
  },
  {
    version: 2,
    name: 'per-route grouping: a group keeps its interval, a reminder its grouping',
    sql: `
      ALTER TABLE delivery_groups ADD COLUMN interval_ms BIGINT;
      ALTER TABLE reminders ADD COLUMN grouping TEXT;
    `,
  },
  {
    version: 3,
    name: 'audit trail of chat commands',
    sql: `
      CREATE TABLE audit (
        id BIGSERIAL PRIMARY KEY,
        at BIGINT NOT NULL,
        platform TEXT NOT NULL,
        platform_user_id TEXT NOT NULL,
        platform_user_name TEXT,
        channel TEXT NOT NULL,
        kube_user TEXT,
        identity TEXT,
        text TEXT NOT NULL,
        command TEXT,
        verb TEXT,
        target TEXT,
        writes INTEGER NOT NULL CHECK (writes IN (0, 1)),
        decision TEXT NOT NULL,
        outcome TEXT NOT NULL,
        error TEXT,
        duration_ms BIGINT NOT NULL
      );
      CREATE INDEX audit_at ON audit (at);
      CREATE INDEX audit_platform_user ON audit (platform_user_id, at);
      CREATE INDEX audit_kube_user ON audit (kube_user, at) WHERE kube_user IS NOT NULL;
    `,
  },
  {
    version: 5,
    name: 'chat write requests: confirmation, approval, execution',
    // row_seq: the insertion order SQLite's rowid gives (list's tie-break)
    sql: `
      CREATE TABLE requests (
        id TEXT PRIMARY KEY,
        row_seq BIGSERIAL NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
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
        executing_since BIGINT
      );
      CREATE INDEX requests_state ON requests (state, expires_at);
      CREATE INDEX requests_created ON requests (created_at);
      CREATE TABLE request_decisions (
        request_id TEXT NOT NULL,
        approver TEXT NOT NULL,
        seq INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (request_id, approver)
      );
    `,
  },
  {
    version: 6,
    name: 'held notifications (silences, inhibition, time windows) and silences',
    // row_seq: the insertion order SQLite's rowid gives (the silences' version)
    sql: `
      CREATE TABLE held (
        sink TEXT COLLATE "C" NOT NULL,
        incident_key TEXT COLLATE "C" NOT NULL,
        notification BYTEA NOT NULL,
        by_kind TEXT NOT NULL CHECK (by_kind IN ('silence', 'inhibition', 'window')),
        holder_id TEXT NOT NULL,
        reason_text TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'firing',
        held_at BIGINT NOT NULL,
        grouping TEXT,
        PRIMARY KEY (sink, incident_key)
      );
      CREATE INDEX held_holder ON held (by_kind, holder_id);
      CREATE TABLE silences (
        id TEXT COLLATE "C" PRIMARY KEY,
        row_seq BIGSERIAL NOT NULL,
        matchers TEXT NOT NULL,
        intervals TEXT,
        starts_at BIGINT NOT NULL,
        ends_at BIGINT NOT NULL,
        created_by TEXT NOT NULL,
        comment TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('cli', 'chat', 'resource')),
        forced INTEGER NOT NULL DEFAULT 0 CHECK (forced IN (0, 1)),
        created_at BIGINT NOT NULL,
        expired_at BIGINT,
        expired_by TEXT
      );
      CREATE INDEX silences_open ON silences (expired_at, ends_at);
    `,
  },
  {
    version: 9,
    name: 'storm digests: the rate and the digest of each chat target',
    sql: `
      CREATE TABLE storms (
        sink TEXT COLLATE "C" NOT NULL,
        target TEXT COLLATE "C" NOT NULL,
        state TEXT NOT NULL,
        active INTEGER NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (sink, target)
      );
    `,
  },
  {
    version: 10,
    name: 'alert buttons: the action behind a short token in a Telegram button',
    sql: `
      CREATE TABLE alert_buttons (
        token TEXT PRIMARY KEY,
        action_id TEXT NOT NULL,
        value TEXT NOT NULL,
        channel TEXT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX alert_buttons_expiry ON alert_buttons (expires_at);
    `,
  },
  {
    version: 11,
    name: 'heartbeat: when kubeherald was last alive, so a start knows the gap it was down for',
    sql: `
      CREATE TABLE heartbeat (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seen_at BIGINT NOT NULL
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
        epoch BIGINT NOT NULL,
        lease_transitions INTEGER NOT NULL,
        since BIGINT NOT NULL
      );
    `,
  },
  {
    version: 13,
    name: 'per-cluster tracker and heartbeat: one process watches several clusters',
    // PostgreSQL changes keys in place (SQLite rebuilds the tables); old rows are cluster '' until adopted
    sql: `
      ALTER TABLE tracker_incidents ADD COLUMN cluster TEXT NOT NULL DEFAULT '';
      ALTER TABLE tracker_incidents DROP CONSTRAINT tracker_incidents_pkey;
      ALTER TABLE tracker_incidents ADD PRIMARY KEY (cluster, key);

      ALTER TABLE tracker_edges ADD COLUMN cluster TEXT NOT NULL DEFAULT '';
      ALTER TABLE tracker_edges DROP CONSTRAINT tracker_edges_key_key;
      ALTER TABLE tracker_edges ADD CONSTRAINT tracker_edges_cluster_key UNIQUE (cluster, key);

      ALTER TABLE heartbeat ADD COLUMN cluster TEXT NOT NULL DEFAULT '';
      ALTER TABLE heartbeat DROP COLUMN id;
      ALTER TABLE heartbeat ALTER COLUMN cluster DROP DEFAULT;
      ALTER TABLE heartbeat ADD PRIMARY KEY (cluster);
    `,
  },
  {
    version: 14,
    name: 'the cluster a chat command went to, in its audit record',
    sql: `
      ALTER TABLE audit ADD COLUMN cluster TEXT;
    `,
  },
];

export const PG_LATEST_VERSION = Math.max(...PG_MIGRATIONS.map((m) => m.version));

/** Any constant both sides agree on: the advisory lock every replica migrates under. */
const MIGRATION_LOCK = 0x6b68_0001;

/** The highest migration recorded (0 for a fresh database); reads only, so a reader without DDL rights can ask. */
export function pgCurrentVersion(conn: PgConnection): number {
  const exists = conn.query<{ t: string | null }>("SELECT to_regclass('migrations')::text AS t").rows[0]?.t;
  if (!exists) return 0;
  return Number(conn.query<{ v: number | null }>('SELECT MAX(version) AS v FROM migrations').rows[0]?.v ?? 0);
}

/**
 * Applies every migration not recorded yet, each in its own transaction
 * under the advisory lock (a replica that waited for it finds the work done
 * and skips it); returns the versions applied.
 */
export function migratePostgres(conn: PgConnection, migrations: readonly Migration[] = PG_MIGRATIONS, now: () => number = Date.now): number[] {
  const known = Math.max(0, ...migrations.map((m) => m.version));
  const applied: number[] = [];
  const locked = <T>(fn: () => T): T => {
    conn.query('BEGIN');
    try {
      conn.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const out = fn();
      conn.query('COMMIT');
      return out;
    } catch (err) {
      conn.query('ROLLBACK');
      throw err;
    }
  };
  const done = locked(() => {
    conn.query('CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    return new Set(conn.query<{ version: number }>('SELECT version FROM migrations').rows.map((r) => Number(r.version)));
  });
  const from = Math.max(0, ...done);
  if (from > known) throw new Error(`the state database is at schema version ${from}, newer than this kubeherald knows (${known}): upgrade kubeherald or use another state database`);
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    try {
      const ran = locked(() => {
        // another replica may have migrated while we waited for the lock
        if (conn.query('SELECT 1 FROM migrations WHERE version = $1', [m.version]).rowCount) return false;
        conn.query(m.sql);
        conn.query('INSERT INTO migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, now()]);
        return true;
      });
      if (ran) applied.push(m.version);
    } catch (err) {
      throw new Error(`state database migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
    }
  }
  return applied;
}
