// The open/closed life of a sink that talks to a remote service (webhook,
// teams, dingtalk, slack, telegram, plugin) and of the routing hub's tracked
// instances (app/tracked-sink.ts): sends run concurrently (ordering is the
// caller's business); close() refuses new ones and waits for those in
// flight, each bounded by its request timeout.

import { closedError } from './types.ts';

export interface Lifecycle {
  /** Runs one send, or rejects at once when closed. */
  run(send: () => Promise<void>): Promise<void>;
  /** close() was called: run() refuses */
  readonly closed: boolean;
  close(): Promise<void>;
}

export function lifecycle(type: string, name: string): Lifecycle {
  const inflight = new Set<Promise<unknown>>();
  let closed = false;
  return {
    get closed() {
      return closed;
    },
    run(send) {
      if (closed) return Promise.reject(closedError(type, name));
      const sent = send();
      const settled = sent.catch(() => undefined);
      inflight.add(settled);
      void settled.then(() => inflight.delete(settled));
      return sent;
    },
    async close() {
      closed = true;
      await Promise.all(inflight);
    },
  };
}
