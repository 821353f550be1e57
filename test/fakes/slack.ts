// A local Slack: the Web API's chat.postMessage / chat.update / auth.test
// and an incoming webhook, on 127.0.0.1, enforcing what Slack documents
// (bearer token, channels, text and Block Kit limits, 429 + Retry-After) and
// recording every request. Point @slack/web-api at `apiUrl` and
// @slack/webhook at `webhookUrl`.

import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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
  via: 'api' | 'webhook';
}

export interface Channel {
  id: string;
  name: string;
}

/** What the next request gets instead of its normal answer. */
export type Failure =
  | { kind: 'ratelimited'; retryAfter?: number }
  | { kind: 'http'; status: number; body?: string }
  | { kind: 'error'; error: string }
  | { kind: 'hang' };

export interface FakeSlackOptions {
  token?: string;
  channels?: Channel[];
  /** the channel the webhook posts to */
  webhookChannel?: string;
}

export const LIMITS = { blocks: 50, headerText: 150, sectionText: 3000, fields: 10, fieldText: 2000, contextElements: 10, messageText: 40_000 };
const BLOCK_TYPES = new Set(['header', 'section', 'context', 'divider', 'actions', 'image', 'rich_text', 'markdown']);

export class FakeSlack {
  readonly token: string;
  readonly channels: Channel[];
  readonly calls: SlackCall[] = [];
  readonly messages: StoredMessage[] = [];
  url = '';
  #server: Server;
  #failures: Failure[] = [];
  #seq = 0;
  #webhookPath = '/services/T0000FAKE/B0000FAKE/fakewebhooksecret0000';
  #webhookChannel: string;

  private constructor(opts: FakeSlackOptions) {
    this.token = opts.token ?? 'xoxb-1111-2222-fakebottoken';
    this.channels = opts.channels ?? [{ id: 'C0ALERTS', name: 'alerts' }];
    this.#webhookChannel = opts.webhookChannel ?? this.channels[0].id;
    this.#server = createServer((req, res) => void this.#handle(req, res));
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

  /** Messages at the top of the channel (not replies). */
  parents(): StoredMessage[] {
    return this.messages.filter((m) => !m.thread_ts);
  }

  replies(ts: string): StoredMessage[] {
    return this.messages.filter((m) => m.thread_ts === ts);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0];
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
    };

    if (req.method !== 'POST') return send(405, isWebhook ? 'invalid_method' : { ok: false, error: 'method_not_supported_for_channel_type' });
    const parsed = parseBody(req.headers['content-type'] ?? '', raw);
    if (parsed === undefined) return send(isWebhook ? 400 : 200, isWebhook ? 'invalid_payload' : { ok: false, error: 'invalid_json' });
    call.params = parsed;

    const failure = this.#failures.shift();
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
    if (auth !== this.token) return send(200, { ok: false, error: 'invalid_auth' });
    switch (method) {
      case 'auth.test':
        return send(200, { ok: true, url: 'https://fake.slack.com/', team: 'Fake', user: 'kubeherald', team_id: 'T0000FAKE', user_id: 'U0000BOT', bot_id: 'B0000BOT' });
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

  #channel(value: unknown, byName: boolean): Channel | undefined {
    if (typeof value !== 'string') return undefined;
    return this.channels.find((c) => c.id === value || (byName && (`#${c.name}` === value || c.name === value)));
  }

  #ts(): string {
    this.#seq++;
    return `${1_700_000_000 + this.#seq}.${String(this.#seq).padStart(6, '0')}`;
  }
}

function parseBody(contentType: string, raw: string): Record<string, unknown> | undefined {
  try {
    if (contentType.startsWith('application/json')) {
      const v = JSON.parse(raw || '{}');
      return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(raw)) out[k] = v;
    // form posts carry blocks and attachments as JSON strings
    for (const k of ['blocks', 'attachments']) {
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
  });
  return errs;
}
