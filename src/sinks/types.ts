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
  /** Resolves once the notification has been handed over (written, accepted); rejects with a SinkError. */
  send(n: Notification): Promise<void>;
  /**
   * Sends a group (Alertmanager-style grouping) as one message, members in
   * the order they joined; `group.update` is 0 for the group's first message,
   * then 1, 2 … for updates of the same group (`group.key`). Optional: a sink
   * without it gets send() of one notification standing for the group.
   */
  sendGroup?(ns: readonly Notification[], group: SinkGroupInfo): Promise<void>;
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
  /** where a sink reports what its send() results cannot say (start-up checks, degraded modes) */
  log?: Logger;
  /**
   * Set for sinks of namespaced Sink resources: every URL the sink sends to,
   * and every address its names resolve to, must pass it (src/sinks/egress.ts).
   */
  egress?: EgressPolicy;
}

/**
 * How a failed send should be treated: `retryable` (try again later),
 * `rate-limited` (try again after retryAfterMs) or `permanent` (retrying the
 * same notification cannot succeed until someone changes something).
 */
export type SinkErrorKind = 'retryable' | 'rate-limited' | 'permanent';

export class SinkError extends Error {
  readonly kind: SinkErrorKind;
  readonly retryAfterMs?: number;

  constructor(message: string, opts: { kind: SinkErrorKind; retryAfterMs?: number; cause?: unknown }) {
    super(message, { cause: opts.cause });
    this.name = 'SinkError';
    this.kind = opts.kind;
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
