// A local npm registry answering what the update check asks: the dist-tags
// of a package (GET /-/package/<name>/dist-tags, as `npm dist-tag ls` does).
// Tags are set per package; requests are recorded; `status` forces an answer.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRegistry {
  url: string;
  tags: Map<string, Record<string, string>>;
  requests: { method: string; path: string; accept: string | undefined }[];
  /** every request answered with this status (e.g. 500) when set */
  status?: number;
  close(): Promise<void>;
}

export async function startFakeRegistry(): Promise<FakeRegistry> {
  const reg: FakeRegistry = { url: '', tags: new Map(), requests: [], close: async () => {} };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '';
    reg.requests.push({ method: req.method ?? '', path, accept: req.headers.accept });
    if (reg.status) {
      res.writeHead(reg.status, { 'Content-Type': 'application/json' }).end('{"error":"forced"}');
      return;
    }
    const m = /^\/-\/package\/((?:@[^/]+%2[fF])?[^/]+)\/dist-tags$/.exec(path);
    const tags = m && req.method === 'GET' ? reg.tags.get(decodeURIComponent(m[1])) : undefined;
    if (!tags) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"Not found"}');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(tags));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  reg.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  reg.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return reg;
}
