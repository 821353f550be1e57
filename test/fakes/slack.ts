// A local Slack: the Web API's chat.postMessage / chat.update /
// chat.postEphemeral / auth.test / users.info, the three calls of
// files.uploadV2 (files.getUploadURLExternal, the upload URL,
// files.completeUploadExternal), an incoming webhook, response_url, and
// Socket Mode (apps.connections.open with an app-level token, then a
// WebSocket that says hello, delivers envelopes and expects each acked within
// 3 s, and can tell the client to reconnect), on 127.0.0.1, enforcing what
// Slack documents (tokens, channels, text and Block Kit limits, 429 +
// Retry-After) and recording every request. Point @slack/web-api and
// @slack/socket-mode at `apiUrl` and @slack/webhook at `webhookUrl`; for
// Slack's HTTP mode, `signedRequest` posts as Slack does.

import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';

export interface SlackCall {
  /** `chat.postMessage`, `chat.update`, `auth.test` … or `webhook` */
  method: string;
  headers: IncomingHttpHeaders;
  /** the parameters as Slack reads them: JSON-encoded form fields (blocks, attachments) decoded */
  params: Record<string, unknown>;
  status: number;
  /** what the fake answered: an object for the Web API, a string for the webhook */
  response: unknown;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  attachments?: unknown[];
  blocks?: unknown[];
  /** how many times chat.update changed it */
  updates: number;
  via: 'api' | 'webhook' | 'response_url';
}

/** A workspace member, as users.info answers for them. */
export interface FakeUser {
  id: string;
  name: string;
  real_name?: string;
  /** present in users.info only when set (the app has users:read.email) */
  email?: string;
  /** users.info's is_email_confirmed (default true) */
  emailConfirmed?: boolean;
  is_bot?: boolean;
  deleted?: boolean;
}

/** A file uploaded through files.getUploadURLExternal + the upload URL + files.completeUploadExternal. */
export interface StoredFile {
  id: string;
  /** the filename given to files.getUploadURLExternal */
  name: string;
  /** the length declared there, in bytes */
  length: number;
  title?: string;
  /** what was posted to the upload URL (undefined until then) */
  content?: string;
  /** set by files.completeUploadExternal (a file never completed is not shared anywhere) */
  channel?: string;
  thread_ts?: string;
  initial_comment?: string;
  completed: boolean;
}

export interface StoredEphemeral {
  channel: string;
  user: string;
  text?: string;
  blocks?: unknown[];
}

export type EnvelopeType = 'events_api' | 'slash_commands' | 'interactive';

/** One Socket Mode envelope sent, and how the client acknowledged it. */
export interface EnvelopeRecord {
  envelope_id: string;
  type: EnvelopeType;
  payload: Record<string, unknown>;
  /** which connection (1-based, in the order they opened) it went down */
  connection: number;
  sentAt: number;
  ackedAt?: number;
  /** the ack's payload, if it had one */
  ackPayload?: unknown;
  /** late: acked after 3 s; missing: not acked within 3 s (yet); closed: the socket closed before an ack */
  failure?: 'late' | 'missing' | 'closed';
}

/** What a send… helper resolves with once the envelope is acked. */
export interface Delivered {
  envelope: EnvelopeRecord;
  /** the message's ts (events): a reply in its thread has this thread_ts */
  ts?: string;
  event_id?: string;
}

export interface Channel {
  id: string;
  name: string;
}

/** What the next request (of `method`, when given) gets instead of its normal answer. */
export type Failure = (
  | { kind: 'ratelimited'; retryAfter?: number }
  | { kind: 'http'; status: number; body?: string }
  | { kind: 'error'; error: string }
  | { kind: 'hang' }
) & { method?: string };

export interface FakeSlackOptions {
  token?: string;
  /** the app-level token (xapp-…) apps.connections.open accepts */
  appToken?: string;
  channels?: Channel[];
  /** the channel the webhook posts to */
  webhookChannel?: string;
  /** who users.info knows */
  users?: FakeUser[];
  /** Slack's ack deadline for Socket Mode envelopes (3 s) */
  ackTimeoutMs?: number;
}

export const LIMITS = { blocks: 50, headerText: 150, sectionText: 3000, fields: 10, fieldText: 2000, contextElements: 10, messageText: 40_000 };
const BLOCK_TYPES = new Set(['header', 'section', 'context', 'divider', 'actions', 'image', 'rich_text', 'markdown']);
const BUTTON_LIMITS = { elements: 25, text: 75, value: 2000, actionId: 255 };

interface Pending {
  record: EnvelopeRecord;
  socket: WebSocket;
  resolve: (r: EnvelopeRecord) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class FakeSlack {
  readonly token: string;
  readonly appToken: string;
  readonly botUserId = 'U0000BOT';
  readonly channels: Channel[];
  readonly users: FakeUser[];
  readonly calls: SlackCall[] = [];
  readonly messages: StoredMessage[] = [];
  readonly files: StoredFile[] = [];
  readonly ephemerals: StoredEphemeral[] = [];
  /** every Socket Mode envelope sent, in order */
  readonly envelopes: EnvelopeRecord[] = [];
  /** Socket Mode connections that got their hello, ever */
  connectionsOpened = 0;
  url = '';
  #server: Server;
  #failures: Failure[] = [];
  #seq = 0;
  #webhookPath = '/services/T0000FAKE/B0000FAKE/fakewebhooksecret0000';
  #webhookChannel: string;
  #wss = new WebSocketServer({ noServer: true });
  #tickets = new Set<string>();
  /** open sockets (hello sent), newest last, with their connection number */
  #sockets = new Map<WebSocket, number>();
  #pending = new Map<string, Pending>();
  #connectionWaiters: { n: number; resolve: () => void }[] = [];
  #callWaiters: { match: (c: SlackCall) => boolean; n: number; resolve: (calls: SlackCall[]) => void }[] = [];
  #ackTimeoutMs: number;

  private constructor(opts: FakeSlackOptions) {
    this.token = opts.token ?? 'xoxb-1111-2222-fakebottoken';
    this.appToken = opts.appToken ?? 'xapp-1-A0000FAKE-1111-fakeapptoken';
    this.channels = opts.channels ?? [{ id: 'C0ALERTS', name: 'alerts' }];
    this.users = opts.users ?? [];
    this.#ackTimeoutMs = opts.ackTimeoutMs ?? 3000;
    this.#webhookChannel = opts.webhookChannel ?? this.channels[0].id;
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.on('upgrade', (req, socket, head) => this.#upgrade(req, socket, head));
  }

  static async start(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
    const fake = new FakeSlack(opts);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    return fake;
  }

  /** For WebClient's slackApiUrl. */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** A valid incoming webhook URL. */
  get webhookUrl(): string {
    return this.url + this.#webhookPath;
  }

  /** The next requests, one failure each, in order. */
  failNext(...failures: Failure[]): void {
    this.#failures.push(...failures);
  }

  /**
   * Resolves once `n` answered requests (any so far included) match: e.g.
   * `waitForCalls((c) => c.method === 'chat.postMessage', 2)`.
   */
  waitForCalls(match: (c: SlackCall) => boolean, n = 1): Promise<SlackCall[]> {
    const done = this.calls.filter((c) => c.status !== 0 && match(c));
    if (done.length >= n) return Promise.resolve(done);
    return new Promise((resolve) => this.#callWaiters.push({ match, n, resolve }));
  }

  #answered(): void {
    for (const w of this.#callWaiters.splice(0)) {
      const done = this.calls.filter((c) => c.status !== 0 && w.match(c));
      if (done.length >= w.n) w.resolve(done);
      else this.#callWaiters.push(w);
    }
  }

  /** Messages at the top of the channel (not replies). */
  parents(): StoredMessage[] {
    return this.messages.filter((m) => !m.thread_ts);
  }

  replies(ts: string): StoredMessage[] {
    return this.messages.filter((m) => m.thread_ts === ts);
  }

  async close(): Promise<void> {
    for (const ws of this.#wss.clients) ws.terminate();
    for (const p of this.#pending.values()) clearTimeout(p.timer);
    this.#wss.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // ---- Socket Mode ----

  /** Open Socket Mode connections (hello sent, not yet closed). */
  get openSockets(): number {
    return this.#sockets.size;
  }

  /** Envelopes not acked within 3 s, or whose socket closed first. */
  ackFailures(): EnvelopeRecord[] {
    return this.envelopes.filter((e) => e.failure !== undefined);
  }

  /** Resolves once `n` connections have opened in all (the first is 1; after one reconnect, 2). */
  waitForConnections(n: number): Promise<void> {
    if (this.connectionsOpened >= n && this.#sockets.size > 0) return Promise.resolve();
    return new Promise((resolve) => this.#connectionWaiters.push({ n, resolve }));
  }

  /** Resolves once no Socket Mode connection is open (the client closed them all). */
  async socketsClosed(): Promise<void> {
    await Promise.all([...this.#sockets.keys()].map((ws) => new Promise<void>((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : ws.once('close', () => resolve())))));
  }

  /**
   * Sends `{type: 'disconnect', reason}` down every open socket, as Slack does
   * before recycling a connection; resolves once the client has closed them.
   */
  async disconnectSockets(reason: 'refresh_requested' | 'warning' | 'link_disabled' = 'refresh_requested'): Promise<void> {
    const closing = [...this.#sockets.keys()].map((ws) => new Promise<void>((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : ws.once('close', () => resolve()))));
    for (const ws of this.#sockets.keys()) ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'fake-slack' } }));
    await Promise.all(closing);
  }

  /**
   * Sends an envelope down the newest open socket (waiting for one), and
   * resolves with its record once the client acks it; rejects if the socket
   * closes first.
   */
  async sendEnvelope(type: EnvelopeType, payload: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<EnvelopeRecord> {
    if (this.#sockets.size === 0) await this.waitForConnections(this.connectionsOpened + 1);
    const [ws, connection] = [...this.#sockets].at(-1)!;
    const record: EnvelopeRecord = { envelope_id: randomBytes(8).toString('hex') + '-' + (this.envelopes.length + 1), type, payload, connection, sentAt: Date.now() };
    this.envelopes.push(record);
    return new Promise<EnvelopeRecord>((resolve, reject) => {
      // Slack wants the ack within 3 s; a late or missing one is a failure of the client under test
      const timer = setTimeout(() => (record.failure ??= 'missing'), this.#ackTimeoutMs);
      this.#pending.set(record.envelope_id, { record, socket: ws, resolve, reject, timer });
      ws.send(JSON.stringify({ envelope_id: record.envelope_id, type, payload, accepts_response_payload: type !== 'events_api', ...extra }));
    });
  }

  /** An Events API event_callback down the socket. */
  async sendEvent(event: Record<string, unknown>, opts: { event_id?: string; retry_attempt?: number } = {}): Promise<Delivered> {
    const event_id = opts.event_id ?? `Ev${String(++this.#seq).padStart(8, '0')}`;
    const envelope = await this.sendEnvelope('events_api', eventCallback(event, { event_id }), { retry_attempt: opts.retry_attempt ?? 0, retry_reason: opts.retry_attempt ? 'timeout' : '' });
    return { envelope, event_id, ...(typeof event.ts === 'string' ? { ts: event.ts } : {}) };
  }

  /** `@bot text` in a channel: an app_mention event (`text` should start with the bot's mention, as Slack sends it). */
  sendAppMention(m: { user: string; channel: string; text: string; thread_ts?: string; event_id?: string; retry_attempt?: number }): Promise<Delivered> {
    const ts = this.#ts();
    return this.sendEvent({ type: 'app_mention', user: m.user, text: m.text, ts, channel: m.channel, event_ts: ts, ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}) }, m);
  }

  /** A direct message to the bot: a message event with channel_type im (`extra` adds subtype, bot_id …). */
  sendDirectMessage(m: { user: string; channel: string; text: string; thread_ts?: string; extra?: Record<string, unknown> }): Promise<Delivered> {
    const ts = this.#ts();
    return this.sendEvent({ type: 'message', user: m.user, text: m.text, ts, channel: m.channel, event_ts: ts, channel_type: 'im', ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}), ...m.extra });
  }

  async sendSlashCommand(c: SlashCommand): Promise<Delivered> {
    return { envelope: await this.sendEnvelope('slash_commands', slashCommandPayload(c, this.url)) };
  }

  async sendBlockAction(a: BlockAction): Promise<Delivered> {
    return { envelope: await this.sendEnvelope('interactive', blockActionsPayload(a, this.url)) };
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const u = new URL(req.url ?? '/', 'http://fake');
    const ticket = u.searchParams.get('ticket') ?? '';
    if (u.pathname !== '/link/' || !this.#tickets.delete(ticket)) {
      // tickets are one-time: a reused or made-up one is refused before the handshake
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const n = ++this.connectionsOpened;
      this.#sockets.set(ws, n);
      ws.on('message', (data) => this.#onSocketMessage(data.toString()));
      ws.on('close', () => this.#onSocketClose(ws));
      ws.send(JSON.stringify({ type: 'hello', num_connections: this.#sockets.size, debug_info: { host: 'fake-slack', approximate_connection_time: 18060 }, connection_info: { app_id: 'A0000FAKE' } }));
      for (const w of this.#connectionWaiters.splice(0)) {
        if (this.connectionsOpened >= w.n) w.resolve();
        else this.#connectionWaiters.push(w);
      }
    });
  }

  #onSocketMessage(text: string): void {
    let msg: { envelope_id?: unknown; payload?: unknown };
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof msg.envelope_id !== 'string') return;
    const p = this.#pending.get(msg.envelope_id);
    if (!p) return;
    this.#pending.delete(msg.envelope_id);
    clearTimeout(p.timer);
    p.record.ackedAt = Date.now();
    if (msg.payload !== undefined && !(typeof msg.payload === 'object' && msg.payload !== null && Object.keys(msg.payload).length === 0)) p.record.ackPayload = msg.payload;
    if (p.record.ackedAt - p.record.sentAt > this.#ackTimeoutMs) p.record.failure = 'late';
    else if (p.record.failure === 'missing') p.record.failure = 'late';
    p.resolve(p.record);
  }

  #onSocketClose(ws: WebSocket): void {
    this.#sockets.delete(ws);
    for (const [id, p] of this.#pending) {
      if (p.socket !== ws) continue;
      this.#pending.delete(id);
      clearTimeout(p.timer);
      p.record.failure = 'closed';
      p.reject(new Error(`envelope ${id} was not acknowledged before its socket closed`));
    }
  }

  // ---- HTTP ----

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBytes = Buffer.concat(chunks);
    const raw = rawBytes.toString('utf8');
    const path = (req.url ?? '/').split('?')[0];
    if (path.startsWith('/upload/v1/')) return this.#uploadContent(path, req, rawBytes, res);
    if (path.startsWith('/commands/') || path.startsWith('/actions/')) return this.#responseUrl(path, raw, res);
    const isWebhook = path.startsWith('/services/');
    const method = isWebhook ? 'webhook' : path.replace(/^\/api\//, '');
    const call: SlackCall = { method, headers: req.headers, params: {}, status: 0, response: undefined };
    this.calls.push(call);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      call.status = status;
      call.response = body;
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json; charset=utf-8', ...headers });
      res.end(text);
      this.#answered();
    };

    if (req.method !== 'POST') return send(405, isWebhook ? 'invalid_method' : { ok: false, error: 'method_not_supported_for_channel_type' });
    const parsed = parseBody(req.headers['content-type'] ?? '', raw, method === 'files.completeUploadExternal' ? ['files', 'blocks'] : undefined);
    if (parsed === undefined) return send(isWebhook ? 400 : 200, isWebhook ? 'invalid_payload' : { ok: false, error: 'invalid_json' });
    call.params = parsed;

    const at = this.#failures.findIndex((f) => f.method === undefined || f.method === method);
    const failure = at < 0 ? undefined : this.#failures.splice(at, 1)[0];
    if (failure) {
      switch (failure.kind) {
        case 'hang':
          return; // never answers; close() drops the connection
        case 'ratelimited':
          return send(429, isWebhook ? 'too_many_requests' : { ok: false, error: 'ratelimited' }, failure.retryAfter === undefined ? {} : { 'retry-after': String(failure.retryAfter) });
        case 'http':
          return send(failure.status, failure.body ?? (isWebhook ? 'rollup_error' : 'upstream connect error'));
        case 'error':
          return send(isWebhook ? 400 : 200, isWebhook ? failure.error : { ok: false, error: failure.error });
      }
    }
    if (isWebhook) return this.#webhook(path, call.params, send);
    return this.#api(method, req.headers, call.params, send);
  }

  #webhook(path: string, params: Record<string, unknown>, send: (status: number, body: unknown) => void): void {
    if (path !== this.#webhookPath) return send(404, 'no_service');
    const problem = validateMessage(params);
    if (problem) return send(400, problem.error === 'no_text' ? 'missing_text_or_fallback_or_attachments' : problem.error);
    this.messages.push({ channel: this.#webhookChannel, ts: this.#ts(), ...content(params), updates: 0, via: 'webhook' });
    send(200, 'ok');
  }

  #api(method: string, headers: IncomingHttpHeaders, params: Record<string, unknown>, send: (status: number, body: unknown) => void): void {
    // JSON bodies must carry the token in the header; form bodies may carry it as a field
    const auth = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1] ?? (typeof params.token === 'string' ? params.token : undefined);
    if (!auth) return send(200, { ok: false, error: 'not_authed' });
    if (method === 'apps.connections.open') {
      // only an app-level token opens a socket; a bot token is the wrong kind, anything else is no token at all
      if (auth === this.token) return send(200, { ok: false, error: 'not_allowed_token_type' });
      if (auth !== this.appToken) return send(200, { ok: false, error: 'invalid_auth' });
      const ticket = randomBytes(16).toString('hex');
      this.#tickets.add(ticket);
      return send(200, { ok: true, url: `${this.url.replace(/^http/, 'ws')}/link/?ticket=${ticket}&app_id=A0000FAKE` });
    }
    if (auth === this.appToken) return send(200, { ok: false, error: 'not_allowed_token_type' });
    if (auth !== this.token) return send(200, { ok: false, error: 'invalid_auth' });
    switch (method) {
      case 'auth.test':
        return send(200, { ok: true, url: 'https://fake.slack.com/', team: 'Fake', user: 'kubeherald', team_id: 'T0000FAKE', user_id: this.botUserId, bot_id: 'B0000BOT' });
      case 'users.info': {
        const u = this.users.find((x) => x.id === params.user);
        if (!u) return send(200, { ok: false, error: 'user_not_found' });
        const profile = { real_name: u.real_name ?? u.name, display_name: u.name, ...(u.email !== undefined ? { email: u.email } : {}) };
        return send(200, { ok: true, user: { id: u.id, team_id: 'T0000FAKE', name: u.name, real_name: u.real_name ?? u.name, deleted: u.deleted ?? false, is_bot: u.is_bot ?? false, is_email_confirmed: u.emailConfirmed ?? true, profile } });
      }
      case 'chat.postEphemeral': {
        const channel = this.#channel(params.channel, true);
        if (!channel) return send(200, { ok: false, error: 'channel_not_found' });
        if (typeof params.user !== 'string' || !params.user) return send(200, { ok: false, error: 'user_not_in_channel' });
        const problem = validateMessage(params);
        if (problem) return send(200, { ok: false, ...problem });
        this.ephemerals.push({ channel: channel.id, user: params.user, ...(typeof params.text === 'string' ? { text: params.text } : {}), ...(Array.isArray(params.blocks) ? { blocks: params.blocks } : {}) });
        return send(200, { ok: true, message_ts: this.#ts() });
      }
      case 'files.getUploadURLExternal': {
        const length = Number(params.length);
        if (typeof params.filename !== 'string' || params.filename === '') return send(200, { ok: false, error: 'invalid_arguments', response_metadata: { messages: ['[ERROR] missing required field: filename'] } });
        if (!Number.isInteger(length) || length <= 0) return send(200, { ok: false, error: 'invalid_arguments', response_metadata: { messages: ['[ERROR] missing required field: length'] } });
        const id = `F${String(++this.#seq).padStart(9, '0')}`;
        this.files.push({ id, name: params.filename, length, completed: false });
        return send(200, { ok: true, upload_url: `${this.url}/upload/v1/${id}`, file_id: id });
      }
      case 'files.completeUploadExternal': {
        const list = params.files;
        if (!Array.isArray(list) || list.length === 0) return send(200, { ok: false, error: 'invalid_arguments' });
        const channelId = params.channel_id;
        const channel = channelId === undefined ? undefined : this.#channel(channelId, false);
        if (channelId !== undefined && !channel) return send(200, { ok: false, error: 'channel_not_found' });
        const done: StoredFile[] = [];
        for (const f of list as { id?: unknown; title?: unknown }[]) {
          const stored = this.files.find((x) => x.id === f.id);
          if (!stored || stored.content === undefined) return send(200, { ok: false, error: 'file_not_found' });
          done.push(stored);
          if (typeof f.title === 'string') stored.title = f.title;
        }
        for (const stored of done) {
          stored.completed = true;
          if (channel) stored.channel = channel.id;
          if (typeof params.thread_ts === 'string' && params.thread_ts) stored.thread_ts = params.thread_ts;
          if (typeof params.initial_comment === 'string') stored.initial_comment = params.initial_comment;
        }
        return send(200, { ok: true, files: done.map((f) => ({ id: f.id, name: f.name, title: f.title ?? f.name, size: f.length })) });
      }
      case 'chat.postMessage': {
        const channel = this.#channel(params.channel, true);
        if (!channel) return send(200, { ok: false, error: 'channel_not_found' });
        const problem = validateMessage(params);
        if (problem) return send(200, { ok: false, ...problem });
        const threadTs = typeof params.thread_ts === 'string' && params.thread_ts ? params.thread_ts : undefined;
        const stored: StoredMessage = { channel: channel.id, ts: this.#ts(), ...(threadTs ? { thread_ts: threadTs } : {}), ...content(params), updates: 0, via: 'api' };
        this.messages.push(stored);
        return send(200, { ok: true, channel: channel.id, ts: stored.ts, message: { type: 'message', ...content(params), ts: stored.ts, ...(threadTs ? { thread_ts: threadTs } : {}) } });
      }
      case 'chat.update': {
        // chat.update takes the channel ID only
        const channel = this.#channel(params.channel, false);
        if (!channel) return send(200, { ok: false, error: 'channel_not_found' });
        const target = this.messages.find((m) => m.channel === channel.id && m.ts === params.ts);
        if (!target) return send(200, { ok: false, error: 'message_not_found' });
        const problem = validateMessage(params);
        if (problem) return send(200, { ok: false, ...problem });
        Object.assign(target, content(params));
        target.updates++;
        return send(200, { ok: true, channel: channel.id, ts: target.ts, text: target.text ?? '' });
      }
      default:
        return send(200, { ok: false, error: 'unknown_method' });
    }
  }

  /** The upload URL files.getUploadURLExternal handed out: raw bytes or a multipart form with one file. */
  async #uploadContent(path: string, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const id = path.slice('/upload/v1/'.length);
    const call: SlackCall = { method: 'upload', headers: req.headers, params: { file_id: id }, status: 0, response: undefined };
    this.calls.push(call);
    const answer = (status: number, text: string): void => {
      call.status = status;
      call.response = text;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(text);
      this.#answered();
    };
    const stored = this.files.find((f) => f.id === id);
    if (req.method !== 'POST' || !stored || stored.content !== undefined) return answer(404, 'Not Found');
    const type = req.headers['content-type'] ?? '';
    let content: string;
    if (type.startsWith('multipart/form-data')) {
      const form = await new Response(body, { headers: { 'content-type': type } }).formData();
      const file = [...form.values()].find((v): v is File => typeof v !== 'string');
      if (!file) return answer(400, 'no file in the form');
      content = await file.text();
    } else content = body.toString('utf8');
    stored.content = content;
    answer(200, `OK - ${Buffer.byteLength(content)}`);
  }

  /** A slash command's or button's response_url: in_channel posts a message, ephemeral is recorded too. */
  #responseUrl(path: string, raw: string, res: ServerResponse): void {
    const params = parseBody('application/json', raw) ?? {};
    const call: SlackCall = { method: 'response_url', headers: {}, params, status: 200, response: 'ok' };
    this.calls.push(call);
    const channel = decodeURIComponent(path.split('/')[2] ?? '');
    const problem = validateMessage(params);
    if (problem) {
      call.status = 400;
      call.response = problem.error;
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(problem.error);
      this.#answered();
      return;
    }
    if (params.response_type === 'in_channel') this.messages.push({ channel, ts: this.#ts(), ...content(params), updates: 0, via: 'response_url' });
    else this.ephemerals.push({ channel, user: decodeURIComponent(path.split('/')[3] ?? ''), ...(typeof params.text === 'string' ? { text: params.text } : {}), ...(Array.isArray(params.blocks) ? { blocks: params.blocks } : {}) });
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
    this.#answered();
  }

  #channel(value: unknown, byName: boolean): Channel | undefined {
    if (typeof value !== 'string') return undefined;
    return this.channels.find((c) => c.id === value || (byName && (`#${c.name}` === value || c.name === value)));
  }

  #ts(): string {
    this.#seq++;
    return `${1_700_000_000 + this.#seq}.${String(this.#seq).padStart(6, '0')}`;
  }
}

function parseBody(contentType: string, raw: string, jsonFields: string[] = ['blocks', 'attachments']): Record<string, unknown> | undefined {
  try {
    if (contentType.startsWith('application/json')) {
      const v = JSON.parse(raw || '{}');
      return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(raw)) out[k] = v;
    // form posts carry blocks and attachments (files.completeUploadExternal: files) as JSON strings
    for (const k of jsonFields) {
      if (typeof out[k] === 'string') {
        try {
          out[k] = JSON.parse(out[k] as string);
        } catch {
          out[k] = { invalidJson: out[k] };
        }
      }
    }
    return out;
  } catch {
    return undefined;
  }
}

function content(params: Record<string, unknown>): Pick<StoredMessage, 'text' | 'attachments' | 'blocks'> {
  return {
    ...(typeof params.text === 'string' ? { text: params.text } : {}),
    ...(Array.isArray(params.attachments) ? { attachments: params.attachments } : {}),
    ...(Array.isArray(params.blocks) ? { blocks: params.blocks } : {}),
  };
}

interface Problem {
  error: string;
  response_metadata?: { messages: string[] };
}

function invalid(messages: string[], error = 'invalid_blocks'): Problem {
  return { error, response_metadata: { messages: messages.map((m) => `[ERROR] ${m}`) } };
}

/** Slack's documented message rules: some content, text length, and Block Kit limits in blocks and attachments. */
export function validateMessage(params: Record<string, unknown>): Problem | undefined {
  const { text, blocks, attachments } = params;
  if (blocks !== undefined && !Array.isArray(blocks)) return { error: 'invalid_blocks_format' };
  if (attachments !== undefined && !Array.isArray(attachments)) return { error: 'invalid_attachments' };
  const hasText = typeof text === 'string' && text.trim() !== '';
  if (!hasText && !(Array.isArray(blocks) && blocks.length) && !(Array.isArray(attachments) && attachments.length)) return { error: 'no_text' };
  if (typeof text === 'string' && text.length > LIMITS.messageText) return { error: 'msg_too_long' };
  if (Array.isArray(blocks)) {
    const errs = blockErrors(blocks, '/blocks');
    if (errs.length) return invalid(errs);
  }
  if (Array.isArray(attachments)) {
    const errs: string[] = [];
    attachments.forEach((a, i) => {
      if (!a || typeof a !== 'object') errs.push(`must be an object [json-pointer:/attachments/${i}]`);
      else if ((a as { blocks?: unknown }).blocks !== undefined) {
        const b = (a as { blocks?: unknown }).blocks;
        if (!Array.isArray(b)) errs.push(`must be an array [json-pointer:/attachments/${i}/blocks]`);
        else errs.push(...blockErrors(b, `/attachments/${i}/blocks`));
      }
    });
    if (errs.length) return invalid(errs);
  }
  return undefined;
}

function textErrors(t: unknown, at: string, max: number, plainOnly = false): string[] {
  if (!t || typeof t !== 'object') return [`must provide an object [json-pointer:${at}]`];
  const o = t as { type?: unknown; text?: unknown };
  if (o.type !== 'plain_text' && (plainOnly || o.type !== 'mrkdwn')) return [`must be ${plainOnly ? 'plain_text' : 'plain_text or mrkdwn'} [json-pointer:${at}/type]`];
  if (typeof o.text !== 'string' || o.text.length === 0) return [`must be more than 0 characters [json-pointer:${at}/text]`];
  if (o.text.length > max) return [`must be less than ${max + 1} characters [json-pointer:${at}/text]`];
  return [];
}

function blockErrors(blocks: unknown[], at: string): string[] {
  if (blocks.length > LIMITS.blocks) return [`no more than ${LIMITS.blocks} items allowed [json-pointer:${at}]`];
  const errs: string[] = [];
  blocks.forEach((b, i) => {
    const p = `${at}/${i}`;
    const block = b as { type?: unknown; text?: unknown; fields?: unknown; elements?: unknown };
    if (!block || typeof block !== 'object' || typeof block.type !== 'string' || !BLOCK_TYPES.has(block.type)) {
      errs.push(`unsupported type [json-pointer:${p}/type]`);
      return;
    }
    if (block.type === 'header') errs.push(...textErrors(block.text, `${p}/text`, LIMITS.headerText, true));
    if (block.type === 'section') {
      if (block.text === undefined && block.fields === undefined) errs.push(`must provide text or fields [json-pointer:${p}]`);
      if (block.text !== undefined) errs.push(...textErrors(block.text, `${p}/text`, LIMITS.sectionText));
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields) || block.fields.length === 0 || block.fields.length > LIMITS.fields) errs.push(`must provide 1 to ${LIMITS.fields} items [json-pointer:${p}/fields]`);
        else block.fields.forEach((f, j) => errs.push(...textErrors(f, `${p}/fields/${j}`, LIMITS.fieldText)));
      }
    }
    if (block.type === 'context') {
      if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > LIMITS.contextElements) errs.push(`must provide 1 to ${LIMITS.contextElements} items [json-pointer:${p}/elements]`);
      else block.elements.forEach((e, j) => errs.push(...textErrors(e, `${p}/elements/${j}`, LIMITS.sectionText)));
    }
    if (block.type === 'actions') {
      if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > BUTTON_LIMITS.elements) errs.push(`must provide 1 to ${BUTTON_LIMITS.elements} items [json-pointer:${p}/elements]`);
      else block.elements.forEach((e, j) => errs.push(...buttonErrors(e, `${p}/elements/${j}`)));
    }
  });
  return errs;
}

function buttonErrors(e: unknown, at: string): string[] {
  const b = e as { type?: unknown; action_id?: unknown; text?: unknown; value?: unknown; style?: unknown };
  if (!b || typeof b !== 'object' || b.type !== 'button') return [`unsupported type [json-pointer:${at}/type]`];
  const errs = textErrors(b.text, `${at}/text`, BUTTON_LIMITS.text, true);
  if (b.action_id !== undefined && (typeof b.action_id !== 'string' || b.action_id.length > BUTTON_LIMITS.actionId)) errs.push(`must be less than ${BUTTON_LIMITS.actionId + 1} characters [json-pointer:${at}/action_id]`);
  if (b.value !== undefined && (typeof b.value !== 'string' || b.value.length > BUTTON_LIMITS.value)) errs.push(`must be less than ${BUTTON_LIMITS.value + 1} characters [json-pointer:${at}/value]`);
  if (b.style !== undefined && b.style !== 'primary' && b.style !== 'danger') errs.push(`must be one of primary, danger [json-pointer:${at}/style]`);
  return errs;
}

// ---- payloads as Slack sends them (Socket Mode envelopes and HTTP mode requests share them) ----

export interface SlashCommand {
  command: string;
  text: string;
  user_id: string;
  channel_id: string;
  user_name?: string;
  channel_name?: string;
}

export interface BlockAction {
  user: string;
  channel: string;
  /** the ts of the message the button is on */
  message_ts: string;
  /** set when that message is itself in a thread */
  thread_ts?: string;
  action_id: string;
  value: string;
  username?: string;
}

/** The Events API wrapper around one event. */
export function eventCallback(event: Record<string, unknown>, opts: { event_id: string }): Record<string, unknown> {
  return {
    token: 'fakeverificationtoken',
    team_id: 'T0000FAKE',
    api_app_id: 'A0000FAKE',
    event,
    type: 'event_callback',
    event_id: opts.event_id,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: 'T0000FAKE', user_id: 'U0000BOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  };
}

/** A slash command's fields (a form in HTTP mode, an object in Socket Mode); `base` is the fake's URL, for response_url. */
export function slashCommandPayload(c: SlashCommand, base: string): Record<string, string> {
  return {
    token: 'fakeverificationtoken',
    team_id: 'T0000FAKE',
    team_domain: 'fake',
    channel_id: c.channel_id,
    channel_name: c.channel_name ?? 'channel',
    user_id: c.user_id,
    user_name: c.user_name ?? c.user_id.toLowerCase(),
    command: c.command,
    text: c.text,
    api_app_id: 'A0000FAKE',
    is_enterprise_install: 'false',
    response_url: `${base}/commands/${encodeURIComponent(c.channel_id)}/${encodeURIComponent(c.user_id)}/${randomBytes(6).toString('hex')}`,
    trigger_id: `${Date.now()}.1111.${randomBytes(8).toString('hex')}`,
  };
}

/** A block_actions interaction: one button pressed on a message. */
export function blockActionsPayload(a: BlockAction, base: string): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: { id: a.user, username: a.username ?? a.user.toLowerCase(), name: a.username ?? a.user.toLowerCase(), team_id: 'T0000FAKE' },
    api_app_id: 'A0000FAKE',
    token: 'fakeverificationtoken',
    container: { type: 'message', message_ts: a.message_ts, channel_id: a.channel, is_ephemeral: false },
    trigger_id: `${Date.now()}.1111.${randomBytes(8).toString('hex')}`,
    team: { id: 'T0000FAKE', domain: 'fake' },
    channel: { id: a.channel, name: 'channel' },
    message: { type: 'message', user: 'U0000BOT', ts: a.message_ts, ...(a.thread_ts ? { thread_ts: a.thread_ts } : {}), text: '' },
    response_url: `${base}/actions/${encodeURIComponent(a.channel)}/${randomBytes(6).toString('hex')}`,
    actions: [{ action_id: a.action_id, block_id: 'b1', text: { type: 'plain_text', text: 'button', emoji: true }, value: a.value, type: 'button', action_ts: `${Math.floor(Date.now() / 1000)}.000100` }],
  };
}

/** X-Slack-Signature for a body, as Slack computes it. */
export function slackSignature(secret: string, timestamp: number | string, body: string): string {
  return 'v0=' + createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
}

export interface SignedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * POSTs `body` to `url + path` as Slack's HTTP mode does: X-Slack-Request-Timestamp
 * and X-Slack-Signature made with `secret` (timestamp: epoch seconds, default
 * now; signature: override it, or null to send none).
 */
export async function signedRequest(
  url: string,
  path: string,
  body: string,
  opts: { secret: string; timestamp?: number; signature?: string | null; contentType?: string; headers?: Record<string, string> },
): Promise<SignedResponse> {
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = opts.signature === undefined ? slackSignature(opts.secret, ts, body) : opts.signature;
  const res = await fetch(url + path, {
    method: 'POST',
    headers: {
      'content-type': opts.contentType ?? (body.startsWith('{') ? 'application/json' : 'application/x-www-form-urlencoded'),
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      ...(signature === null ? {} : { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature }),
      ...opts.headers,
    },
    body,
  });
  return { status: res.status, headers: Object.fromEntries(res.headers) as IncomingHttpHeaders, text: await res.text() };
}
