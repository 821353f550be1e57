// One sink instance as the routing hub hands it out: sends are counted so a
// replaced or removed instance is closed only after they finish, and a send
// that arrives after that is forwarded to the instance now serving the id.

import type { Notification } from '../model/notification.ts';
import { lifecycle } from '../sinks/lifecycle.ts';
import { type SendOptions, type Sink, SinkError, type SinkGroupInfo } from '../sinks/types.ts';

/** A running sink and the routing id it serves. */
export interface RoutedSink extends Sink {
  /** "config/<name>", "Sink/<ns>/<name>" or "ClusterSink/<name>" */
  readonly id: string;
}

/**
 * A send that arrives once the instance is retired goes to the instance now
 * serving the same id, or fails (permanent) when the sink is gone.
 */
export class TrackedSink implements RoutedSink {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly sendGroup?: (ns: readonly Notification[], group: SinkGroupInfo, opts?: SendOptions) => Promise<void>;
  readonly targetOf?: (n: Notification) => string;
  readonly plugin?: string;
  readonly sendsPods?: boolean;
  readonly inner: Sink;
  #successor: (id: string) => TrackedSink | undefined;
  #life: ReturnType<typeof lifecycle>;
  #retired: Promise<void> | undefined;

  constructor(id: string, inner: Sink, successor: (id: string) => TrackedSink | undefined) {
    this.id = id;
    this.inner = inner;
    this.name = inner.name;
    this.type = inner.type;
    if (inner.plugin !== undefined) this.plugin = inner.plugin;
    if (inner.sendsPods) this.sendsPods = true;
    this.#successor = successor;
    this.#life = lifecycle(inner.type, id);
    if (inner.sendGroup) {
      this.sendGroup = (ns, group, opts) =>
        this.#run(
          (s) => s.inner.sendGroup!.call(s.inner, ns, group, opts),
          (next) => (next.sendGroup ? next.sendGroup(ns, group, opts) : Promise.reject(new SinkError(`sink ${this.id} changed and no longer takes groups; retry`, { kind: 'retryable' }))),
        );
    }
    if (inner.targetOf) this.targetOf = (n) => inner.targetOf!.call(inner, n);
  }

  send(n: Notification, opts?: SendOptions): Promise<void> {
    return this.#run(
      (s) => s.inner.send(n, opts),
      (next) => next.send(n, opts),
    );
  }

  async #run(op: (s: TrackedSink) => Promise<void>, forward: (next: TrackedSink) => Promise<void>): Promise<void> {
    if (this.#life.closed) {
      const next = this.#successor(this.id);
      if (next && next !== this) return forward(next);
      throw new SinkError(`sink ${this.id} was removed`, { kind: 'permanent' });
    }
    return this.#life.run(async () => op(this));
  }

  /** Stops taking sends, waits for those in flight, closes the instance (once). */
  retire(): Promise<void> {
    this.#retired ??= this.#life.close().then(() => this.inner.close());
    return this.#retired;
  }

  close(): Promise<void> {
    return this.retire();
  }
}
