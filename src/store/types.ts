// The store: everything kubeherald must remember across restarts, behind one
// small interface: the embedded SQLite default, or PostgreSQL shared by
// several replicas (postgres/). Calls are synchronous (node:sqlite is; the
// PostgreSQL connection waits for its worker thread), and every write made
// inside store.transaction() commits or rolls back as one.

import type { TrackedIncident, TrackerChanges, TrackerState } from '../detect/tracker.ts';
import type { ActionRequest, Decision, RequestFilter, RequestResult, RequestState } from '../model/approval.ts';
import type { AuditEntry, AuditFilter } from '../model/audit.ts';
import type { HoldKind } from '../model/hold.ts';
import type { Silence } from '../rules/silence.ts';

export type DeliveryState = 'pending' | 'inflight' | 'delivered' | 'dead';

/** A delivery to write: one notification (or one group of them) for one sink. */
export interface NewDelivery {
  sink: string;
  /** where in the sink it goes (a Slack channel, a Telegram chat); rate limits apply per target */
  target: string;
  /** deliveries sharing an ordering key are attempted one at a time, in id order */
  orderingKey: string;
  idempotencyKey: string;
  /** protobuf binary: one Notification, or size-delimited Notifications when groupKey is set */
  payload: Uint8Array;
  /** notifications in the payload */
  members: number;
  groupKey?: string;
  /** 0 for a group's first message, then 1, 2 … for its updates */
  groupUpdate?: number;
  /** epoch ms */
  createdAt: number;
  /** epoch ms; defaults to createdAt */
  nextAttemptAt?: number;
}

/** What the delivery scheduler needs to know about a row, without its payload. */
export interface DeliveryMeta {
  id: number;
  sink: string;
  target: string;
  orderingKey: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
  /** notifications in the payload */
  members: number;
}

export interface DeliveryRow extends DeliveryMeta {
  idempotencyKey: string;
  payload: Uint8Array;
  groupKey: string | null;
  groupUpdate: number | null;
  updatedAt: number;
  lastError: string | null;
  lastResponse: string | null;
  /** why it is dead: "permanent", "expired" … */
  deadReason: string | null;
}

/** Selects dead letters for `dlq list|replay|purge`; every given field must match. */
export interface DeadLetterFilter {
  sink?: string;
  ids?: number[];
  /** only those dead-lettered before this time (epoch ms) */
  deadBefore?: number;
  limit?: number;
}

export interface OutboxCounts {
  pending: number;
  inflight: number;
  delivered: number;
  dead: number;
  /** created_at of the oldest pending or inflight row (epoch ms) */
  oldestOpenAt: number | undefined;
}

export interface OutboxRepo {
  /** Adds a pending delivery; returns its id (ids only grow, so they give the order). */
  insert(d: NewDelivery): number;
  get(id: number): DeliveryRow | undefined;
  /** Pending rows with an id above `afterId`, oldest first (no payloads). */
  pendingAfter(afterId: number, limit?: number): DeliveryMeta[];
  /** The first pending row of one queue with an id above `afterId`. */
  nextInQueue(sink: string, orderingKey: string, afterId: number): DeliveryMeta | undefined;
  /** The first pending or inflight row of every queue. */
  queueHeads(): DeliveryMeta[];
  /**
   * Claims a pending row (inflight, one attempt more); false, and nothing
   * changes, when the row is not pending or, given a term, when that term is
   * no longer its scope's current one (a leader deposed while paused).
   */
  markInflight(id: number, now: number, term?: Term): boolean;
  markDelivered(id: number, now: number, response: string | null): void;
  markRetry(id: number, now: number, nextAttemptAt: number, error: string, response: string | null): void;
  markDead(id: number, now: number, reason: string, error: string | null, response: string | null): void;
  /** Rows left inflight by a process that died go back to pending; returns how many. */
  recoverInflight(now: number): number;
  listDead(filter?: DeadLetterFilter): DeliveryRow[];
  /** Dead letters become new pending rows (at the end of their queue, attempts reset); returns the new ids. */
  replayDead(filter: DeadLetterFilter, now: number): number[];
  purgeDead(filter: DeadLetterFilter): number;
  counts(): OutboxCounts;
  deleteDelivered(before: number): number;
  maxId(): number;
}

/** (sink, idempotency key) pairs already enqueued, so a notification is never queued twice for one sink. */
export interface DedupRepo {
  /** Records the pair; false when it was already there. */
  claim(sink: string, idempotencyKey: string, now: number): boolean;
  has(sink: string, idempotencyKey: string): boolean;
  deleteBefore(before: number): number;
}

/**
 * A leader's term: the fencing token a delivering process takes when it
 * acquires its Lease. Claims made under a term the store no longer holds as
 * current are refused, so a leader paused past its Lease cannot send.
 */
export interface Term {
  scope: string;
  holder: string;
  /** grows by one with every term of the scope */
  epoch: number;
}

export interface LeadershipRepo {
  /** Starts a new term for the scope (its epoch above every earlier one) and returns it: older terms' claims are refused from now on. */
  begin(scope: string, holder: string, leaseTransitions: number, now: number): Term;
  /** The scope's current term, with the Lease's transition count and when it began. */
  current(scope: string): (Term & { leaseTransitions: number; since: number }) | undefined;
}

/** When the process was last alive: a start's gap begins there. */
export interface HeartbeatRepo {
  /** epoch ms; undefined before the first beat (a new state, or one from before heartbeats) */
  lastSeen(): number | undefined;
  /** Records now as alive (never moves back: a clock stepped back keeps the later time). */
  beat(now: number): void;
}

/** The incident tracker's state, kept incident by incident so a change writes one row, not the whole snapshot. */
export interface TrackerRepo {
  load(): TrackerState;
  /** Writes what differs from the last state saved or loaded. */
  save(state: TrackerState): void;
  /** Writes what the tracker says changed (IncidentTracker.takeChanges()): the cost of a batch, not of the whole state. */
  apply(changes: TrackerChanges): void;
  putIncident(i: TrackedIncident): void;
  deleteIncident(key: string): void;
  putEdge(key: string, objectUid: string): void;
  deleteEdge(key: string): void;
}

/** An open flood window: FIRING notifications of the same occurrence (this key) join the first's group. */
export interface FloodEntry {
  sink: string;
  floodKey: string;
  /** the first's member key (its incident key), so its RESOLVED can end the occurrence */
  firstKey: string;
  /** the group the first went into */
  groupKey: string | null;
  openedAt: number;
  windowEndsAt: number;
  /** notifications that joined the first's group through this window */
  folded: number;
}

export interface FloodRepo {
  get(sink: string, floodKey: string): FloodEntry | undefined;
  open(e: Omit<FloodEntry, 'folded'>): void;
  /** Counts one more notification that joined the first's group. */
  fold(sink: string, floodKey: string, now: number): void;
  /** Ends the window: the occurrence is over. */
  close(sink: string, floodKey: string): void;
  /** Windows ended by `now`, and rows of the flood_folded table (no longer written) older than `foldedBefore`. */
  deleteExpired(now: number, foldedBefore: number): number;
}

export interface ReminderRow {
  sink: string;
  incidentKey: string;
  /** the FIRING notification as first enqueued (protobuf binary) */
  notification: Uint8Array;
  lastSentAt: number;
  repeats: number;
  /** how the route that sent it grouped it (opaque to the store, JSON); null: the sink's grouping */
  grouping: string | null;
}

export interface ReminderRepo {
  put(sink: string, incidentKey: string, notification: Uint8Array, now: number, grouping?: string | null): void;
  list(sink: string): ReminderRow[];
  sent(sink: string, incidentKey: string, now: number): void;
  delete(sink: string, incidentKey: string): void;
  /** The earliest last_sent_at per sink, for the next reminder's timer. */
  earliest(): { sink: string; lastSentAt: number }[];
  /** Rows not sent since `before`: incidents that ended unnoticed, or events that never resolve. */
  deleteBefore(before: number): number;
}

export interface GroupRow {
  sink: string;
  groupKey: string;
  target: string;
  orderingKey: string;
  openedAt: number;
  /** when its next message is due; null once flushed with nothing new since */
  flushAt: number | null;
  lastFlushAt: number | null;
  /** a flushed group that nothing joined by then is closed */
  expiresAt: number | null;
  updates: number;
  /** its groupInterval when a route set one; null: the sink's, as configured at the time */
  intervalMs: number | null;
}

export interface GroupMember {
  memberKey: string;
  notification: Uint8Array;
  resolved: boolean;
  seq: number;
}

export interface GroupRepo {
  get(sink: string, groupKey: string): GroupRow | undefined;
  /** The live group holding a member (by incident key), if any. */
  groupOfMember(sink: string, memberKey: string): string | undefined;
  upsertGroup(g: GroupRow): void;
  upsertMember(sink: string, groupKey: string, m: Omit<GroupMember, 'seq'>, now: number): void;
  members(sink: string, groupKey: string): GroupMember[];
  /** Gives a member another key, keeping its place (a resolved member that must not be replaced by its incident's next FIRING). */
  renameMember(sink: string, groupKey: string, from: string, to: string): void;
  deleteResolvedMembers(sink: string, groupKey: string): void;
  deleteGroup(sink: string, groupKey: string): void;
  due(now: number): GroupRow[];
  nextFlushAt(): number | undefined;
  deleteExpired(now: number): number;
}

/** Per-sink key → value, e.g. the Slack thread ts of an incident's first message. */
export interface ThreadStore {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
  delete(key: string): void;
}

export interface ThreadRepo {
  forSink(sink: string): ThreadStore;
  deleteBefore(before: number): number;
}

/** One chat target's storm state (pipeline/digest.ts StormState), kept as JSON so a restart mid-storm keeps its digest. */
export interface StormRow {
  sink: string;
  target: string;
  state: string;
  active: boolean;
  updatedAt: number;
}

export interface StormRepo {
  get(sink: string, target: string): StormRow | undefined;
  put(row: StormRow): void;
  delete(sink: string, target: string): void;
  /** targets in a storm now (a metric) */
  active(): StormRow[];
  /** rows not in a storm and not updated since `before`: their rate measure is stale */
  deleteQuietBefore(before: number): number;
}

/** An alert button's action kept behind a short token (Telegram's 64-byte callback_data). */
export interface AlertButtonRow {
  token: string;
  /** the alert action id (kh:logs, kh:silence …) and its value, as a button carrying them inline would */
  actionId: string;
  value: string;
  /** the chat the alert was posted to */
  channel: string;
  /** epoch ms: refused from then on, pruned after */
  expiresAt: number;
}

export interface AlertButtonRepo {
  put(row: AlertButtonRow): void;
  get(token: string): AlertButtonRow | undefined;
  /** Deletes rows expired before `before` (epoch ms); returns how many. */
  deleteExpired(before: number): number;
}

/** The audit trail of chat commands. */
export interface AuditRepo {
  /** Stores one record (free text cut to bounded lengths); returns its id. */
  append(e: AuditEntry): number;
  /** Records matching the filter, newest last; with a limit, the newest that many. */
  list(filter?: AuditFilter): AuditEntry[];
  /** Deletes records received before `before` (epoch ms); returns how many. */
  deleteBefore(before: number): number;
}

/** Fields a state change may set along with the state (anything else of a request never changes after create). */
export type RequestPatch = Partial<Pick<ActionRequest, 'expiresAt' | 'messageRef' | 'reason' | 'result' | 'intent' | 'executingSince' | 'target' | 'previewDigest' | 'preview'>>;

/** Why addDecision did not record a decision. */
export type DecisionRefusal = 'not-found' | 'not-awaiting-approval' | 'expired' | 'already-decided';

/**
 * Chat write requests awaiting confirmation or approval, and their outcome.
 * Every state change is a compare-and-set in one statement: of two callers
 * (two approvers pressing at once, two processes on one file) exactly one
 * wins, the other gets undefined.
 */
export interface RequestRepo {
  /** Stores a new request; throws if the id exists. */
  create(r: ActionRequest): void;
  get(id: string): ActionRequest | undefined;
  /** Newest last; with a limit, the newest that many. */
  list(filter?: RequestFilter): ActionRequest[];
  /**
   * Moves the request from one of `from` to `to`, setting `patch`, if (and
   * only if) it is in one of `from` now. Returns the request as it is after
   * the change, or undefined when it is missing or was in another state.
   */
  transition(id: string, from: readonly RequestState[], to: RequestState, patch: RequestPatch, now: number): ActionRequest | undefined;
  /**
   * Records one approver's decision on a request awaiting approval and not
   * expired at `d.at`. At most one decision per approver (platform + id):
   * a second is refused, whatever it says.
   */
  addDecision(id: string, d: Decision): { ok: true; request: ActionRequest } | { ok: false; reason: DecisionRefusal; request?: ActionRequest };
  /**
   * approved → executing, once: the caller that gets the request back is the
   * one that sends the write; everybody else gets undefined. `intent` is what
   * it is about to send (see ActionRequest.intent).
   */
  claimForExecution(id: string, now: number, intent?: string): ActionRequest | undefined;
  /** executing → executed (result.ok) or failed; undefined if it was not executing. */
  recordResult(id: string, result: RequestResult): ActionRequest | undefined;
  /** Awaiting requests whose expiresAt is at or before `now` become expired; returns them (to update their messages and audit). */
  expireDue(now: number): ActionRequest[];
  /**
   * Requests left `executing` (a process died between claiming and recording
   * the result). The caller checks the cluster (did the write land? compare
   * resourceVersion/generation or the restartedAt annotation with `intent`)
   * and records the result: never simply sends the write again.
   */
  inDoubt(): ActionRequest[];
  /** The earliest expiresAt of an awaiting request (for the expiry timer). */
  nextExpiry(): number | undefined;
  /** Deletes final requests last changed before `before`; returns how many. */
  deleteBefore(before: number): number;
}

/** A notification kept out of a chat sink while its holder (a silence, a cause, a time window) holds it. */
export interface HeldRow {
  sink: string;
  incidentKey: string;
  /** the FIRING notification as enqueued (protobuf binary) */
  notification: Uint8Array;
  by: HoldKind;
  /** the silence's id, the cause's incident key, the interval's name */
  holderId: string;
  /** the hold's one line for people */
  text: string;
  heldAt: number;
  /** the route's grouping (JSON), when the route that chose the sink had one */
  grouping: string | null;
}

export interface HeldRepo {
  /** Holds (or re-holds, replacing) the incident's notification for the sink. */
  put(row: HeldRow): void;
  get(sink: string, incidentKey: string): HeldRow | undefined;
  /** Forgets it; true when there was one. */
  delete(sink: string, incidentKey: string): boolean;
  /** What one holder holds, oldest first. */
  byHolder(by: HoldKind, holderId: string): HeldRow[];
  list(): HeldRow[];
  count(): number;
}

/** Silences, durable; every add and expire is also audited by the caller's repository (see SqliteSilences). */
export interface SilenceRepo {
  /** Stores a new silence; throws if the id exists. */
  add(s: Silence): void;
  get(id: string): Silence | undefined;
  /** Newest last; expired ones (by hand or on time) only with `all`. */
  list(opts?: { all?: boolean; now?: number }): Silence[];
  /** Silences in force at `now`: started, not ended, not expired by hand. */
  active(now: number): Silence[];
  /** Ends a silence now (by hand); undefined when missing or already ended. */
  expire(id: string, now: number, by: string): Silence | undefined;
  /** Marks silences whose end passed as expired; returns them (to release what they held). */
  expireDue(now: number): Silence[];
  /** The earliest start or end after `now` of a silence not expired: when the set in force next changes. */
  nextChangeAt(now: number): number | undefined;
  /** Changes whenever silences are added or expired, by any process on the file: a cache compares it to know when to re-read. */
  version(): string;
}

/** How long what is no longer needed is kept (ms); 0 for dead letters and audit records means until deleted by hand. */
export interface RetentionPolicy {
  deliveredMs: number;
  deadMs: number;
  dedupMs: number;
  /** thread refs not touched for this long are forgotten */
  threadsMs: number;
  auditMs: number;
  /** chat write requests in a final state (executed, failed, rejected, expired …) not changed for this long; 0: kept */
  requestsMs: number;
}

export interface PruneCounts {
  delivered: number;
  dead: number;
  dedup: number;
  flood: number;
  groups: number;
  reminders: number;
  threads: number;
  audit: number;
  requests: number;
  /** alert buttons' tokens past their expiry */
  alertButtons: number;
}

export interface Store {
  /** the database file (":memory:" for an in-memory store), or the PostgreSQL url with its password redacted */
  readonly path: string;
  /**
   * Runs fn in one transaction: every write inside commits together, durably,
   * or (if fn throws) not at all. Nested calls are savepoints of the outer one.
   * fn must be synchronous.
   */
  transaction<T>(fn: () => T): T;
  /** Called if the current transaction (or a savepoint in it) rolls back: caches of what it wrote are forgotten. */
  onRollback(fn: () => void): void;
  readonly outbox: OutboxRepo;
  readonly dedup: DedupRepo;
  /** One cluster's incident tracker state (the same repository object for the same name). */
  tracker(cluster: string): TrackerRepo;
  /** When kubeherald last watched this cluster. */
  heartbeat(cluster: string): HeartbeatRepo;
  /**
   * Rows written before the store knew clusters (cluster '') become this
   * cluster's: the first configured cluster calls it before its first load.
   */
  adoptUnnamedCluster(cluster: string): void;
  /** leaders' terms, the outbox claims' fencing tokens */
  readonly leadership: LeadershipRepo;
  readonly flood: FloodRepo;
  readonly reminders: ReminderRepo;
  readonly groups: GroupRepo;
  readonly threads: ThreadRepo;
  readonly audit: AuditRepo;
  /** chat write requests (confirmation, approval, execution) */
  readonly requests: RequestRepo;
  /** notifications held back from chat sinks (silences, inhibition, time windows) */
  readonly held: HeldRepo;
  readonly silences: SilenceRepo;
  /** per chat target: its message rate and, during a storm, its digest */
  readonly storms: StormRepo;
  /** the actions behind alert buttons' tokens (Telegram) */
  readonly alertButtons: AlertButtonRepo;
  /** Deletes what retention allows (in one transaction) and returns freed pages to the file system. */
  prune(now: number, policy: RetentionPolicy): PruneCounts;
  /** The database's size on disk, write-ahead log included (a metric). */
  sizeBytes(): number;
  /** The schema version the database is at. */
  schemaVersion(): number;
  close(): void;
}
