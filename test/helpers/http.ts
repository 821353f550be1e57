// Raw HTTPS requests to the simulator, trusting its CA, for tests that check
// wire-level details the client libraries hide.

import { request } from 'node:https';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: any;
}

export function simRequest(
  sim: { url: string; caCert: string; adminToken: string },
  method: string,
  path: string,
  opts: { body?: string | Buffer; headers?: Record<string, string>; token?: string | null } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const token = opts.token === undefined ? sim.adminToken : opts.token;
    const req = request(
      sim.url + path,
      {
        method,
        ca: sim.caCert,
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON (watch streams, logs, plain 404 pages)
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
