// The far end of a real sink: an HTTP server in the bench process taking the
// webhook sink's and Slack incoming-webhook posts. Each marker's latency is
// its receipt time here minus the time the simulator stamped in it
// ("sent <ms since epoch>").

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Receiver {
  url: string;
  /** one latency (ms) for each marker stamp received */
  latencies: number[];
  /** resolves once `n` markers arrived */
  received(n: number): Promise<void>;
  close(): Promise<void>;
}

const STAMP = /sent (\d{13})/g;

export async function startReceiver(): Promise<Receiver> {
  const latencies: number[] = [];
  let waiter: { n: number; resolve: () => void } | undefined;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      // a chat message may repeat its text (text and blocks): a stamp counts once a post
      for (const stamp of new Set([...Buffer.concat(chunks).toString().matchAll(STAMP)].map((m) => m[1]))) latencies.push(now - Number(stamp));
      // Slack's incoming webhooks answer "ok"; the webhook sink takes any 2xx
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      if (waiter && latencies.length >= waiter.n) waiter.resolve();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    latencies,
    received: (n) => (latencies.length >= n ? Promise.resolve() : new Promise((resolve) => (waiter = { n, resolve }))),
    close: () => new Promise((r) => server.close(() => r())),
  };
}
