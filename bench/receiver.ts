// The far end of a real sink: an HTTP server in the bench process taking the
// webhook sink's and Slack incoming-webhook posts. Each marker's latency is
// its receipt time here minus the time the simulator stamped in it
// ("sent <ms since epoch>"). Every accepted post is kept with its path (one
// target each) and its webhook-id (the notification's idempotency key), so
// re-sends and order can be counted. It can answer slowly, or refuse as a
// receiver that is down (503 with Retry-After), to build a queue.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { markerStamps } from './marker.ts';

export interface Receipt {
  /** the request path: the target */
  path: string;
  /** the webhook-id header (absent for Slack posts) */
  id: string | undefined;
  /** marker stamps (ms) and sequence numbers the post carried */
  stamps: number[];
  seqs: number[];
  receivedAt: number;
}

export type ReceiverMode = { kind: 'ok' } | { kind: 'slow'; ms: number } | { kind: 'down'; retryAfterSeconds: number };

export interface Receiver {
  url: string;
  /** one latency (ms) for each marker stamp received */
  latencies: number[];
  /** every post answered 2xx, in arrival order */
  receipts: Receipt[];
  /** posts refused while down */
  refused: number;
  setMode(mode: ReceiverMode): void;
  /** from now on `latencies` counts only markers numbered `seq` or later (earlier ones may still arrive: a new kubeherald notifies what the cluster already holds) */
  countFrom(seq: number): void;
  /** resolves once `n` markers arrived (counted in `latencies`) */
  received(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const latencies: number[] = [];
  const receipts: Receipt[] = [];
  let mode: ReceiverMode = { kind: 'ok' };
  let fromSeq = -1;
  let waiter: { n: number; resolve: () => void } | undefined;
  const r: Receiver = {
    url: '',
    latencies,
    receipts,
    refused: 0,
    setMode: (m) => (mode = m),
    countFrom: (seq) => (fromSeq = seq),
    received: (n) => (latencies.length >= n ? Promise.resolve() : new Promise((resolve) => (waiter = { n, resolve }))),
    close: () => new Promise((done) => server.close(() => done())),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const m = mode;
      if (m.kind === 'down') {
        r.refused++;
        res.writeHead(503, { 'retry-after': String(m.retryAfterSeconds) }).end('down');
        return;
      }
      const accept = (): void => {
        const now = Date.now();
        const { stamps, seqs } = markerStamps(Buffer.concat(chunks).toString());
        stamps.forEach((s, i) => seqs[i] >= fromSeq && latencies.push(now - s));
        const id = req.headers['webhook-id'];
        receipts.push({ path: req.url ?? '/', id: typeof id === 'string' ? id : undefined, stamps, seqs, receivedAt: now });
        // Slack's incoming webhooks answer "ok"; the webhook sink takes any 2xx
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        if (waiter && latencies.length >= waiter.n) waiter.resolve();
      };
      if (m.kind === 'slow') setTimeout(accept, m.ms);
      else accept();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  r.url = `http://127.0.0.1:${port}/hook`;
  return r;
}
