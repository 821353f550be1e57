// What every sink is: a name from the config, a type, and a way to send one
// notification. Delivery order, retries and fan-out belong to the caller.

import type { Logger } from '../model/logger.ts';
import type { EgressPolicy } from './egress.ts';
import type { PluginDelivery, SendOptions } from '../contracts/sink.ts';

export type { FailureReason, GroupSink, SendOptions, Sink, SinkErrorKind, SinkGroupInfo } from '../contracts/sink.ts';
export { closedError, defaultReason, SinkError } from '../contracts/sink.ts';

/** What the process lends to sinks; tests pass their own. */
export interface SinkDeps {
  /** where console output and jsonl `path: "-"` go (default process.stdout) */
  stdout?: NodeJS.WritableStream;
  /** for NO_COLOR / TERM (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** where plugin sinks deliver (the process's plugin router) */
  router?: { deliver(type: string, d: PluginDelivery, opts?: SendOptions): Promise<void> };
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
 * Writes a chunk and waits for the stream to take it: the callback fires once
 * the data is handed to the OS (or fails), which also gives backpressure.
 */
export function writeChunk(stream: NodeJS.WritableStream, chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (err?: Error | null) => (err ? reject(err) : resolve()));
  });
}
