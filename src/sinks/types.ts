// What every sink is: a name from the config, a type, and a way to send one
// notification. Delivery order, retries and fan-out belong to the caller.

import type { Logger } from '../model/logger.ts';
import type { EgressPolicy } from './egress.ts';
import type { Notification } from '../model/notification.ts';
import type { PluginDelivery } from '../router/types.ts';

export interface Sink {
  /** the sink's unique name from the config */
  readonly name: string;
  /** the sink type, e.g. "console" */
  readonly type: string;
  /**
   * Resolves once the notification has been handed over (written, accepted);
   * rejects with a SinkError. `opts.signal` aborts the send (the deliverer's
   * timeout, a stop): the sink passes it to its HTTP or SDK call, so an
   * abandoned send cannot keep running beside its retry.
   */
  send(n: Notification, opts?: SendOptions): Promise<void>;
  /**
   * Sends a group (Alertmanager-style grouping) as one message, members in
   * the order they joined; `group.update` is 0 for the group's first message,
   * then 1, 2 … for updates of the same group (`group.key`). Optional: a sink
   * without it gets send() of one notification standing for the group.
   */
  sendGroup?(ns: readonly Notification[], group: SinkGroupInfo, opts?: SendOptions): Promise<void>;
  /**
   * Where in the sink a notification goes (a Slack channel, a Telegram chat):
   * deliveries to one target keep their order and share its rate limit. It
   * is logged and stored, so never a secret (a webhook's token). Optional:
   * without it the whole sink is one target.
   */
  targetOf?(n: Notification): string;
  /** Waits for every send in flight, flushes, and releases the sink's resources; later sends reject. */
  close(): Promise<void>;
  /**
   * The plugin type the sink delivers through (`type: plugin` sinks): when
   * that type gets a healthy instance again, its waiting deliveries are
   * retried at once.
   */
  readonly plugin?: string;
  /**
   * The sink sends the Pod a notification is about, whole (webhook
   * `payload: pod`): while such a sink is in force the listener keeps pods
   * untrimmed, so notifications carry them as the API server returned them.
   */
  readonly sendsPods?: boolean;
}

/** What one send() or sendGroup() call is given besides the notifications. */
export interface SendOptions {
  /** aborted when the send is abandoned (timed out, kubeherald stopping) */
  signal?: AbortSignal;
}

/** Which group a sendGroup() call is, so a sink can thread or edit its updates. */
export interface SinkGroupInfo {
  /** stable for the group across its updates */
  key: string;
  /** 0 for the first message, then 1, 2 … */
  update: number;
  /**
   * Each update replaces the message rather than adding to it (a storm
   * digest): a sink that can edit edits the first message in place, one
   * that cannot posts the update as a new message.
   */
  replace?: boolean;
}

/** What the process lends to sinks; tests pass their own. */
export interface SinkDeps {
  /** where console output and jsonl `path: "-"` go (default process.stdout) */
  stdout?: NodeJS.WritableStream;
  /** for NO_COLOR / TERM (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** where plugin sinks deliver (the process's plugin router) */
  router?: { deliver(type: string, d: PluginDelivery): Promise<void> };
  /** where a sink reports what its send() results cannot say (start-up checks, degraded modes); the creator's child logger */
  log?: Logger;
  /**
   * The sink's own durable key → value state (Slack's incident threads,
   * Telegram's group messages), kept in the state database so it survives a
   * restart; without it a sink keeps such state in memory.
   */
  state?: SinkState;
  /**
   * Set for sinks of namespaced Sink resources: every URL the sink sends to,
   * and every address its names resolve to, must pass it (src/sinks/egress.ts).
   */
  egress?: EgressPolicy;
}

/**
 * Per-sink state: JSON values by key. Values are the sink's own; a sink
 * reads back what it wrote (`get<T>` trusts that).
 */
export interface SinkState {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
}

/**
 * How a failed send should be treated: `retryable` (try again later),
 * `rate-limited` (try again after retryAfterMs) or `permanent` (retrying the
 * same notification cannot succeed until someone changes something).
 */
export type SinkErrorKind = 'retryable' | 'rate-limited' | 'permanent';

/**
 * Why a send failed, for the `reason` label of the delivery-attempts metric
 * (as Alertmanager's notification failure Reason): the receiver refused our
 * credentials (auth), asked us to slow down (rate-limited), refused the
 * request (client) or failed itself (server); no answer in time (timeout),
 * the send abandoned by kubeherald (canceled), no connection (network).
 */
export type FailureReason = 'auth' | 'rate-limited' | 'client' | 'server' | 'timeout' | 'canceled' | 'network';

/** The reason a failure of a kind has when its classifier knows no better. */
export function defaultReason(kind: SinkErrorKind): FailureReason {
  return kind === 'rate-limited' ? 'rate-limited' : kind === 'permanent' ? 'client' : 'server';
}

export class SinkError extends Error {
  readonly kind: SinkErrorKind;
  readonly reason: FailureReason;
  readonly retryAfterMs?: number;

  constructor(message: string, opts: { kind: SinkErrorKind; reason?: FailureReason; retryAfterMs?: number; cause?: unknown }) {
    super(message, { cause: opts.cause });
    this.name = 'SinkError';
    this.kind = opts.kind;
    this.reason = opts.reason ?? defaultReason(opts.kind);
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
  }
}

/** A sink that is closed refuses sends: the caller has a bug, not a delivery problem. */
export function closedError(type: string, name: string): SinkError {
  return new SinkError(`${type} sink "${name}": closed`, { kind: 'permanent' });
}

/**
 * Writes a chunk and waits for the stream to take it: the callback fires once
 * the data is handed to the OS (or fails), which also gives backpressure.
 */
export function writeChunk(stream: NodeJS.WritableStream, chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (err?: Error | null) => (err ? reject(err) : resolve()));
  });
}
