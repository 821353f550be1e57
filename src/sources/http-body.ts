// Request bodies of the webhooks kubeherald receives (the audit webhook,
// Slack's HTTP endpoints, Telegram's webhook), read up to a limit. A body
// that grows past it is answered at once and the rest is read and dropped
// rather than kept, up to DISCARD_LIMIT more; a sender that goes on past
// that is cut off.

import type { IncomingMessage } from 'node:http';

// what a refused request may still send, read and dropped, before its connection is cut: closing
// at once resets the connection under the data still arriving, and the client never sees the answer
export const DISCARD_LIMIT = 1024 * 1024;

export type BodyResult = { ok: true; body: Buffer } | { ok: false; why: 'too-large' | 'aborted' };

/** The body, once it has all arrived; too-large as soon as it grows past `max`; aborted if the client went away. */
export function readBody(req: IncomingMessage, max: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const done = (r: BodyResult): void => {
      if (settled) return;
      settled = true;
      req.off('end', onEnd).off('close', onAbort);
      resolve(r);
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size <= max) return void chunks.push(c);
      chunks.length = 0;
      done({ ok: false, why: 'too-large' });
      if (size > max + DISCARD_LIMIT) req.destroy();
    };
    const onEnd = (): void => done({ ok: true, body: Buffer.concat(chunks) });
    const onAbort = (): void => done({ ok: false, why: 'aborted' });
    req.on('data', onData).on('end', onEnd).on('error', onAbort).on('close', onAbort);
  });
}

/** Reads and drops a refused request's body, up to DISCARD_LIMIT; past that the connection is cut. */
export function discard(req: IncomingMessage): void {
  let dropped = 0;
  req.on('data', (c: Buffer) => {
    dropped += c.length;
    if (dropped > DISCARD_LIMIT) req.destroy();
  });
  req.on('error', () => undefined);
  req.resume();
}
