// DeliverStream: many deliveries over one HTTP/2 stream, handled
// concurrently and answered in completion order (each answer carries its
// delivery_id). At most `limit` deliveries of a stream are in flight or
// waiting to be written; beyond that the stream is not read, so HTTP/2 flow
// control slows the router down instead of the plugin buffering without end.
//
// When the plugin shuts down (or the caller goes away) the stream stops
// reading: what was taken is finished and answered, then the stream ends with
// UNAVAILABLE, and the requests it never read fail on the router's side as a
// transport error, which retries them on another instance.

import { Code, ConnectError } from '@connectrpc/connect';
import { type DeliverRequest, type DeliverStreamRequest, Outcome } from '../gen/kubeherald/v1/plugin_pb.js';
import type { DeliverAnswer } from './deliver.ts';

export interface StreamOptions {
  deliver(req: DeliverRequest | undefined): Promise<DeliverAnswer>;
  /** most deliveries taken and not yet written back (default 256) */
  limit?: number;
  /** aborted when the plugin begins to shut down */
  shutdown: AbortSignal;
  /** the call's own signal (the caller cancelled, the connection went) */
  signal: AbortSignal;
}

export async function* serveDeliverStream(requests: AsyncIterable<DeliverStreamRequest>, opts: StreamOptions): AsyncGenerator<{ result: DeliverAnswer }> {
  const limit = opts.limit ?? 256;
  const ready: DeliverAnswer[] = [];
  let taken = 0;
  // the caller half-closed and every request was read
  let inputComplete = false;
  let inputError: unknown;
  let stopped = opts.shutdown.aborted || opts.signal.aborted;

  let wakeWriter: (() => void) | undefined;
  let wakeReader: (() => void) | undefined;
  const wake = (): void => {
    const w = wakeWriter;
    const r = wakeReader;
    wakeWriter = wakeReader = undefined;
    w?.();
    r?.();
  };
  const stop = (): void => {
    stopped = true;
    wake();
  };
  opts.shutdown.addEventListener('abort', stop, { once: true });
  opts.signal.addEventListener('abort', stop, { once: true });

  const read = async (): Promise<void> => {
    try {
      for await (const r of requests) {
        if (stopped) break;
        while (taken >= limit && !stopped) await new Promise<void>((resolve) => (wakeReader = resolve));
        if (stopped) break;
        taken++;
        const id = r.delivery?.deliveryId ?? '';
        void opts
          .deliver(r.delivery)
          .catch((err: unknown) => ({ deliveryId: id, outcome: Outcome.RETRYABLE, message: `plugin error: ${(err as Error).message}` }))
          .then((a) => {
            ready.push(a);
            wake();
          });
      }
      if (!stopped) inputComplete = true;
    } catch (err) {
      // the caller's half of the stream failed (reset, bad message): finish what was taken, then fail
      if (!stopped) inputError = err;
    } finally {
      wake();
    }
  };
  void read();

  try {
    for (;;) {
      while (ready.length > 0) {
        const a = ready.shift()!;
        yield { result: a };
        taken--;
        if (wakeReader) wake();
      }
      if (taken === 0) {
        if (inputComplete) return;
        if (inputError !== undefined) throw inputError;
        if (stopped) throw new ConnectError('the plugin is shutting down: send to another instance', Code.Unavailable);
      }
      await new Promise<void>((resolve) => (wakeWriter = resolve));
    }
  } finally {
    opts.shutdown.removeEventListener('abort', stop);
    opts.signal.removeEventListener('abort', stop);
    stopped = true;
    wake();
  }
}
