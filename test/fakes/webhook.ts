// Local webhook receivers on 127.0.0.1: any path is an endpoint; each
// records what it received and checks signatures with the receiver code
// from docs/webhook-verification.md, imported verbatim from the page, so the
// documented code is what the tests prove. Answers are scripted per path.

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Verify = (headers: IncomingMessage['headers'], rawBody: Buffer | string, secret: string, opts?: { toleranceSeconds?: number; now?: number }) => unknown;

const DOC = new URL('../../docs/webhook-verification.md', import.meta.url);
const MARKER = '<!-- verify-snippet';

/** The ```js block that follows the verify-snippet marker in docs/webhook-verification.md. */
export function documentedSnippet(): string {
  const md = readFileSync(DOC, 'utf8');
  const at = md.indexOf(MARKER);
  if (at < 0) throw new Error('docs/webhook-verification.md has no verify-snippet marker');
  const m = /```js\n([\s\S]*?)\n```/.exec(md.slice(at));
  if (!m) throw new Error('no ```js block after the verify-snippet marker');
  return m[1];
}

/** verifyKubeheraldWebhook from the documentation, as a receiver would paste it. */
export async function documentedVerifier(): Promise<Verify> {
  const mod = (await import(`data:text/javascript;base64,${Buffer.from(documentedSnippet()).toString('base64')}`)) as { verifyKubeheraldWebhook: Verify };
  return mod.verifyKubeheraldWebhook;
}

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  raw: string;
  /** parsed JSON (undefined when the body is not JSON) */
  body: unknown;
  /** the documented verifier's verdict: undefined when no secret is set, else true or its error message */
  verified?: true | string;
  status: number;
}

export interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** hold the request without answering (until the client gives up or the fake closes) */
  hang?: boolean;
}

export interface FakeWebhookOptions {
  /** the shared secret; requests that fail the documented check get 401 */
  secret?: string;
  /** the receiver's clock in ms (default Date.now), for the timestamp tolerance */
  now?: () => number;
}

export class FakeWebhooks {
  readonly received: Received[] = [];
  base = '';
  #server: Server;
  #verify: Verify;
  #opts: FakeWebhookOptions;
  #scripts = new Map<string, Answer[]>();
  #hanging: ServerResponse[] = [];
  #waiters = new Set<() => void>();

  private constructor(verify: Verify, opts: FakeWebhookOptions) {
    this.#verify = verify;
    this.#opts = opts;
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(opts: FakeWebhookOptions = {}): Promise<FakeWebhooks> {
    const fake = new FakeWebhooks(await documentedVerifier(), opts);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    fake.base = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    return fake;
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  /** The next requests to `path` get these answers, in order; then 200 again. */
  script(path: string, ...answers: Answer[]): void {
    this.#scripts.set(path, [...(this.#scripts.get(path) ?? []), ...answers]);
  }

  /** Drops what is left of `path`'s script: 200 again from now on. */
  unscript(path: string): void {
    this.#scripts.delete(path);
  }

  /** What one endpoint accepted (answered 2xx), in order. */
  accepted(path: string): Received[] {
    return this.received.filter((r) => r.path === path && r.status >= 200 && r.status < 300);
  }

  /** Resolves once `done()` holds, checked now and after every request answered: awaits deliveries instead of polling for them. */
  until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (!done()) return;
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }

  async close(): Promise<void> {
    for (const res of this.#hanging.splice(0)) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      body = undefined;
    }
    const r: Received = { path, headers: req.headers, raw: raw.toString('utf8'), body, status: 0 };
    this.received.push(r);
    if (this.#opts.secret !== undefined) {
      try {
        this.#verify(req.headers, raw, this.#opts.secret, { now: (this.#opts.now ?? Date.now)() });
        r.verified = true;
      } catch (err) {
        r.verified = (err as Error).message;
        r.status = 401;
        res.writeHead(401).end((err as Error).message);
        return;
      }
    }
    const answer = this.#scripts.get(path)?.shift() ?? { status: 200, body: '{"ok":true}' };
    if (answer.hang) {
      this.#hanging.push(res);
      return;
    }
    r.status = answer.status;
    res.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '');
    for (const check of [...this.#waiters]) check();
  }
}
