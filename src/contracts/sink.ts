// The contract between the deliverers (pipeline/, router/) and the sinks:
// what a sink is, what one send is given, and how a failure is classified.
// A leaf: it imports only model/, so pipeline, router and sinks can all meet
// here without importing each other.

import type { JsonObject } from '@bufbuild/protobuf';
import type { Notification } from '../model/notification.ts';

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

/** A sink whose sendGroup is always there (the HTTP sinks all take groups). */
export type GroupSink = Sink & Required<Pick<Sink, 'sendGroup'>>;

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

/** What one delivery through the router carries (the wire form is kubeherald.v1.DeliverRequest). */
export interface PluginDelivery {
  /** unique per (notification or group update, sink): plugins drop repeats by it */
  deliveryId: string;
  /** the routing id of the sink, for logs */
  sink: string;
  /** "" for the plugin's default target */
  target: string;
  /** the sink's non-secret settings */
  options: JsonObject;
  payload: { case: 'notification'; value: Notification } | { case: 'group'; value: { key: string; update: number; members: Notification[] } };
  /** 1 for the first attempt */
  attempt: number;
}

/** A sink that is closed refuses sends: the caller has a bug, not a delivery problem. */
export function closedError(type: string, name: string): SinkError {
  return new SinkError(`${type} sink "${name}": closed`, { kind: 'permanent' });
}
