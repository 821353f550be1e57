// Slack over HTTP: one listener for the three request URLs a Slack app
// points at kubeherald (Events API, slash commands, interactivity). Every
// request must carry a valid X-Slack-Signature over its raw body, made with
// the app's signing secret within the last five minutes; anything else gets
// 401 and is counted. Slack wants an answer within 3 s, so each request is
// answered at once and the command runs afterwards, its reply posted through
// the Web API.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Logger } from '../../model/logger.ts';
import { readBody } from '../../sources/http-body.ts';
import type { ChatAdapter, ChatHandler, ChatReply, MessageTarget } from '../types.ts';
import { SlackCore } from './core.ts';
import { listen } from '../../model/listen.ts';

/** Slack's replay window: a request signed longer ago than this is refused. */
const MAX_AGE_S = 5 * 60;
const DEFAULT_MAX_BODY = 1024 * 1024;

export type SlackRejectReason = 'missing_signature' | 'bad_timestamp' | 'stale_timestamp' | 'bad_signature' | 'too_large';

export interface SlackHttpOptions {
  /** xoxb-…: replies, files, users.info */
  botToken: string;
  /** the app's signing secret: every request's X-Slack-Signature is checked against it */
  signingSecret: string;
  /** the Web API base URL (https://slack.com/api/; a fake in tests) */
  apiUrl: string;
  /** the app's slash command, e.g. /kube */
  slashCommand: string;
  /** host:port to listen on (port 0: any free port, see `url`) */
  listen: string;
  /** serve HTTPS with this certificate and key (PEM files); empty: plain HTTP behind a TLS-terminating ingress */
  tls?: { certFile: string; keyFile: string };
  /** ask users.info for the e-mail Slack verified (identities mapped by e-mail) */
  resolveEmail?: boolean;
  log: Logger;
  /** each refused request, by reason (the wiring counts them in kubeherald_chatops_rejected_requests_total) */
  onRejected?: (reason: SlackRejectReason) => void;
  /** default 1 MiB; a larger body gets 413 */
  maxBodyBytes?: number;
}

type Obj = Record<string, unknown>;

export class SlackHttpAdapter implements ChatAdapter {
  readonly platform = 'slack' as const;
  #o: SlackHttpOptions;
  #core: SlackCore;
  #server: Server | undefined;
  #url = '';
  #handler: ChatHandler | undefined;
  #signal: AbortSignal | undefined;
  #stopping = false;
  #stopped: Promise<void> | undefined;

  constructor(o: SlackHttpOptions) {
    if (!o.signingSecret) throw new Error('slack: signingSecret is required in http mode');
    this.#o = o;
    this.#core = new SlackCore(o);
  }

  /** Where the listener is, once started: http(s)://host:port */
  get url(): string {
    if (!this.#url) throw new Error('slack: the http adapter is not started');
    return this.#url;
  }

  async start(handler: ChatHandler, signal: AbortSignal): Promise<void> {
    if (this.#server) throw new Error('slack: the http adapter is already started');
    signal.throwIfAborted();
    this.#handler = handler;
    this.#signal = signal;
    await this.#core.init();
    const { host, port } = parseListen(this.#o.listen);
    const tls = this.#o.tls?.certFile ? { cert: readFileSync(this.#o.tls.certFile), key: readFileSync(this.#o.tls.keyFile), minVersion: 'TLSv1.2' as const } : undefined;
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => this.#handle(req, res);
    const server = tls ? createHttpsServer(tls, onRequest) : createHttpServer(onRequest);
    // a client that opens a connection and sends nothing must not hold a socket for ever
    server.requestTimeout = 30_000;
    server.headersTimeout = 15_000;
    this.#server = server;
    const addr = await listen(server, port, host);
    const shown = addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address === '::' ? '[::1]' : addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.#url = `${tls ? 'https' : 'http'}://${shown}:${addr.port}`;
    signal.addEventListener('abort', () => void this.stop(), { once: true });
    this.#o.log.info({ url: this.#url, botUserId: this.#core.botUserId }, 'slack http listener started');
  }

  /** Stops accepting requests, then waits for replies in flight. */
  async notify(to: MessageTarget, reply: ChatReply): Promise<void> {
    await this.#core.post({ channel: to.channel, ...(to.thread ? { thread: to.thread } : {}), ...(to.messageRef ? { update: to.messageRef } : {}) }, reply);
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#stopping = true;
      const server = this.#server;
      if (server) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await closed;
      }
      await this.#core.drain();
    })();
    return this.#stopped;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed', { Allow: 'GET' });
      return send(res, 200, 'ok');
    }
    const kind = path === '/slack/events' ? 'events' : path === '/slack/commands' ? 'commands' : path === '/slack/interactivity' ? 'interactivity' : undefined;
    if (!kind) {
      req.resume();
      return send(res, 404, 'not found: Slack requests go to /slack/events, /slack/commands and /slack/interactivity');
    }
    if (req.method !== 'POST') {
      req.resume();
      return send(res, 405, 'method not allowed', { Allow: 'POST' });
    }
    if (this.#stopping) {
      req.resume();
      // Slack retries a 503 later, by when another replica (or this one, restarted) answers
      return send(res, 503, 'shutting down');
    }
    const max = this.#o.maxBodyBytes ?? DEFAULT_MAX_BODY;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) {
      req.resume();
      return this.#reject(req, res, 413, 'too_large');
    }
    void readBody(req, max).then((r) => {
      if (!r.ok) return r.why === 'too-large' ? this.#reject(req, res, 413, 'too_large') : res.destroy();
      const raw = r.body;
      const bad = verify(req, raw, this.#o.signingSecret);
      if (bad) return this.#reject(req, res, 401, bad);
      const receivedAt = Date.now();
      if (kind === 'events') return this.#events(raw, req, res, receivedAt);
      if (kind === 'commands') return this.#commands(raw, res, receivedAt);
      return this.#interactivity(raw, res, receivedAt);
    });
  }

  #reject(req: IncomingMessage, res: ServerResponse, status: number, reason: SlackRejectReason): void {
    this.#o.onRejected?.(reason);
    this.#o.log.warn({ reason, path: (req.url ?? '/').split('?')[0], remote: req.socket.remoteAddress }, 'slack request refused');
    send(res, status, status === 413 ? 'request body too large' : 'invalid request signature');
  }

  #events(raw: Buffer, req: IncomingMessage, res: ServerResponse, receivedAt: number): void {
    const body = parseJson(raw);
    if (!body) return send(res, 400, 'expected a JSON body');
    if (body.type === 'url_verification') {
      if (typeof body.challenge !== 'string') return send(res, 400, 'url_verification without a challenge');
      return send(res, 200, body.challenge);
    }
    if (body.type !== 'event_callback') return send(res, 200, '');
    const id = typeof body.event_id === 'string' ? body.event_id : undefined;
    if (id && !this.#core.events.first(id)) {
      // a retry of an event we already took: acknowledge, do not run it again
      this.#o.log.debug({ event: id, retry: req.headers['x-slack-retry-num'], why: req.headers['x-slack-retry-reason'] }, 'slack event redelivered; already handled');
      return send(res, 200, '');
    }
    send(res, 200, '');
    const cmd = this.#core.fromEvent(body.event, receivedAt);
    if (cmd && this.#handler) this.#core.track(this.#core.runCommand(this.#handler, cmd, this.#signal));
  }

  #commands(raw: Buffer, res: ServerResponse, receivedAt: number): void {
    const body = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
    // Slack checks the certificate of a slash command URL with ssl_check=1
    if (body.ssl_check === '1') return send(res, 200, '');
    // an empty 200: nothing shown yet, and nothing at all where the handler does not answer (a channel not in the config)
    send(res, 200, '');
    const cmd = this.#core.fromSlashCommand(body, receivedAt);
    if (!cmd) return this.#o.log.debug({ command: body.command }, 'slash command ignored (not ours)');
    if (this.#handler) this.#core.track(this.#core.runCommand(this.#handler, cmd, this.#signal));
  }

  #interactivity(raw: Buffer, res: ServerResponse, receivedAt: number): void {
    const form = new URLSearchParams(raw.toString('utf8'));
    const payload = parseJson(Buffer.from(form.get('payload') ?? '', 'utf8'));
    if (!payload) return send(res, 400, 'expected a payload form field holding JSON');
    send(res, 200, '');
    const handler = this.#handler;
    if (!handler) return;
    for (const act of this.#core.fromBlockActions(payload, receivedAt)) this.#core.track(this.#core.runAction(handler, act, this.#signal));
  }
}

/** undefined when the request is Slack's (signed with our secret in the last 5 minutes), else why not. */
function verify(req: IncomingMessage, raw: Buffer, secret: string): SlackRejectReason | undefined {
  const ts = req.headers['x-slack-request-timestamp'];
  const sig = req.headers['x-slack-signature'];
  if (typeof ts !== 'string' || typeof sig !== 'string' || ts === '' || sig === '') return 'missing_signature';
  if (!/^\d{1,12}$/.test(ts)) return 'bad_timestamp';
  if (Math.abs(Date.now() / 1000 - Number(ts)) > MAX_AGE_S) return 'stale_timestamp';
  const expected = Buffer.from('v0=' + createHmac('sha256', secret).update(`v0:${ts}:`).update(raw).digest('hex'), 'utf8');
  const given = Buffer.from(sig, 'utf8');
  // the expected length is fixed (v0= and 64 hex digits), so comparing lengths first leaks nothing about the secret
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad_signature';
  return undefined;
}

function parseJson(raw: Buffer): Obj | undefined {
  try {
    const v: unknown = JSON.parse(raw.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
  } catch {
    return undefined;
  }
}

function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const port = Number(listen.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`slack: listen: expected host:port, got ${JSON.stringify(listen)}`);
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port };
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}
