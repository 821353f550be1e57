// A local Mattermost incoming webhook (POST /hooks/<key>) on 127.0.0.1,
// enforcing what Mattermost documents and its server does for one
// ("Incoming webhooks", "Message attachments", HandleIncomingWebhook):
//
// - an unknown key is 400 web.incoming_webhook.invalid.app_error;
// - the body is JSON (the Slack-compatible `payload=` form is not used by
//   kubeherald and is refused here); text and attachments both empty is 400
//   web.incoming_webhook.text.app_error; text at most 16383 characters (the
//   server would split a longer post: refused here, so a sink relying on it
//   is noticed);
// - attachments as documented: each with a plain-text `fallback` (required
//   by the documentation), `color` a hex code or good/warning/danger, title
//   and text strings, `title_link`/`author_link` http(s) URLs, `fields` of
//   {title, value, short: boolean};
// - `channel` (name, `#name` or `@user`) must exist, and a webhook locked
//   to its channel may post nowhere else (404 / 403, as the server answers);
// - username / icon_url overrides are taken only when the server allows
//   them, else ignored, as Mattermost ignores them.
//
// Success is 200 with the body "ok". Errors are AppError JSON: {id, message,
// detailed_error, request_id, status_code}. Records every request and the
// posts it made, with the channel each went to.

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const MAX_TEXT = 16_383;
const ATTACHMENT_KEYS = ['fallback', 'color', 'pretext', 'text', 'author_name', 'author_link', 'author_icon', 'title', 'title_link', 'fields', 'image_url', 'thumb_url', 'footer', 'footer_icon', 'actions', 'id', 'ts'];
const MESSAGE_KEYS = ['text', 'channel', 'username', 'icon_url', 'icon_emoji', 'attachments', 'props', 'type', 'priority'];

export interface MattermostPost {
  channel: string;
  username: string;
  iconUrl: string;
  text: string;
  attachments: Record<string, unknown>[];
}

export interface MattermostRequest {
  path: string;
  headers: IncomingMessage['headers'];
  raw: string;
  status: number;
  response: string;
}

export type MattermostFailure = { kind: 'throttle'; retryAfterSeconds?: number } | { kind: 'status'; status: number; body?: string } | { kind: 'hang' };

export interface FakeMattermostOptions {
  /** channels of the team besides the webhook's own (town-square) */
  channels?: string[];
  /** users @user may name */
  users?: string[];
  /** the webhook may post to its own channel only */
  locked?: boolean;
  /** the server's "Enable integrations to override usernames / profile picture icons" (default true) */
  allowOverrides?: boolean;
}

function isUrl(v: unknown): boolean {
  try {
    const u = new URL(String(v));
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Problems with a webhook body as Mattermost takes it; empty when fine. */
export function validateMattermostMessage(body: unknown): string[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return ['the body is not a JSON object'];
  const m = body as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of Object.keys(m)) if (!MESSAGE_KEYS.includes(k)) problems.push(`unknown field ${k}`);
  for (const k of ['text', 'channel', 'username', 'icon_url']) if (m[k] !== undefined && typeof m[k] !== 'string') problems.push(`${k} must be a string`);
  if (m.icon_url !== undefined && m.icon_url !== '' && !isUrl(m.icon_url)) problems.push('icon_url must be an http(s) URL');
  if (typeof m.text === 'string' && Array.from(m.text).length > MAX_TEXT) problems.push(`text is longer than ${MAX_TEXT} characters`);
  if (m.attachments === undefined) return problems;
  if (!Array.isArray(m.attachments)) return [...problems, 'attachments must be a list'];
  m.attachments.forEach((a: unknown, i) => {
    const at = `attachments[${i}]`;
    if (a === null || typeof a !== 'object' || Array.isArray(a)) return void problems.push(`${at} must be an object`);
    const x = a as Record<string, unknown>;
    for (const k of Object.keys(x)) if (!ATTACHMENT_KEYS.includes(k)) problems.push(`${at}: unknown field ${k}`);
    if (typeof x.fallback !== 'string' || x.fallback.trim() === '') problems.push(`${at}.fallback is required (a plain-text summary)`);
    if (x.color !== undefined && !(typeof x.color === 'string' && /^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|good|warning|danger)$/.test(x.color))) problems.push(`${at}.color must be a hex colour or good/warning/danger`);
    for (const k of ['pretext', 'text', 'author_name', 'title', 'footer']) if (x[k] !== undefined && typeof x[k] !== 'string') problems.push(`${at}.${k} must be a string`);
    for (const k of ['title_link', 'author_link', 'author_icon', 'image_url', 'thumb_url', 'footer_icon']) if (x[k] !== undefined && !isUrl(x[k])) problems.push(`${at}.${k} must be an http(s) URL`);
    if (x.fields !== undefined) {
      if (!Array.isArray(x.fields)) problems.push(`${at}.fields must be a list`);
      else
        x.fields.forEach((f: unknown, j) => {
          const ff = f as Record<string, unknown> | null;
          if (ff === null || typeof ff !== 'object') return void problems.push(`${at}.fields[${j}] must be an object`);
          if (typeof ff.title !== 'string') problems.push(`${at}.fields[${j}].title must be a string`);
          if (typeof ff.value !== 'string') problems.push(`${at}.fields[${j}].value must be a string`);
          if (ff.short !== undefined && typeof ff.short !== 'boolean') problems.push(`${at}.fields[${j}].short must be a boolean`);
        });
    }
  });
  return problems;
}

export class FakeMattermost {
  readonly key = randomBytes(13).toString('hex').slice(0, 26);
  readonly ownChannel = 'town-square';
  /** every request, in order */
  readonly requests: MattermostRequest[] = [];
  /** the posts made, in order */
  readonly posts: MattermostPost[] = [];
  url = '';
  #server: Server;
  #channels: Set<string>;
  #users: Set<string>;
  #locked: boolean;
  #allowOverrides: boolean;
  #failures: MattermostFailure[] = [];
  #hanging: ServerResponse[] = [];
  #waiters = new Set<{ pred: () => boolean; resolve: () => void }>();

  private constructor(opts: FakeMattermostOptions) {
    this.#channels = new Set([this.ownChannel, ...(opts.channels ?? [])]);
    this.#users = new Set(opts.users ?? []);
    this.#locked = opts.locked ?? false;
    this.#allowOverrides = opts.allowOverrides ?? true;
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(opts: FakeMattermostOptions = {}): Promise<FakeMattermost> {
    const fake = new FakeMattermost(opts);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    return fake;
  }

  /** The URL Mattermost shows for the webhook, its key included. */
  get hookUrl(): string {
    return `${this.url}/hooks/${this.key}`;
  }

  /** Resolves once `pred` holds (checked after every request). */
  until(pred: () => boolean): Promise<void> {
    return pred() ? Promise.resolve() : new Promise((resolve) => void this.#waiters.add({ pred, resolve }));
  }

  /** The next requests fail as given, one failure each, in order. */
  failNext(...failures: MattermostFailure[]): void {
    this.#failures.push(...failures);
  }

  /** Answers requests held by a `hang` failure (with 200), so the server can close. */
  release(): void {
    for (const res of this.#hanging.splice(0)) if (!res.writableEnded) res.writeHead(200).end('ok');
  }

  async close(): Promise<void> {
    for (const res of this.#hanging.splice(0)) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const u = new URL(req.url ?? '/', 'http://fake');
    const request: MattermostRequest = { path: u.pathname, headers: req.headers, raw: Buffer.concat(chunks).toString('utf8'), status: 0, response: '' };
    this.requests.push(request);
    const answer = (status: number, body: string, headers: Record<string, string>): void => {
      request.status = status;
      request.response = body;
      res.writeHead(status, headers).end(body);
      for (const w of [...this.#waiters]) if (w.pred()) (this.#waiters.delete(w), w.resolve());
    };
    const appError = (status: number, id: string, message: string, headers: Record<string, string> = {}): void =>
      answer(status, JSON.stringify({ id, message, detailed_error: '', request_id: randomBytes(13).toString('hex').slice(0, 26), status_code: status }), { 'content-type': 'application/json', ...headers });

    if (req.method !== 'POST') return appError(405, 'api.context.404.app_error', 'Method not allowed.');
    if (u.pathname !== `/hooks/${this.key}`) return appError(400, 'web.incoming_webhook.invalid.app_error', 'Invalid webhook.');
    const failure = this.#failures.shift();
    if (failure?.kind === 'hang') {
      this.#hanging.push(res);
      return;
    }
    if (failure?.kind === 'status') return answer(failure.status, failure.body ?? '', {});
    if (failure?.kind === 'throttle') {
      return answer(429, 'limit exceeded\n', { 'content-type': 'text/plain', ...(failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : {}) });
    }
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return appError(400, 'web.incoming_webhook.parse.app_error', 'Unable to parse incoming data.');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(request.raw) as Record<string, unknown>;
    } catch {
      return appError(400, 'web.incoming_webhook.parse.app_error', 'Unable to parse incoming data.');
    }
    const problems = validateMattermostMessage(body);
    if (problems.length > 0) return appError(400, 'web.incoming_webhook.parse.app_error', `Unable to parse incoming data: ${problems.join('; ')}`);
    const text = typeof body.text === 'string' ? body.text : '';
    const attachments = (body.attachments as Record<string, unknown>[] | undefined) ?? [];
    if (text === '' && attachments.length === 0) return appError(400, 'web.incoming_webhook.text.app_error', 'No text specified.');
    let channel = this.ownChannel;
    const asked = typeof body.channel === 'string' ? body.channel : '';
    if (asked) {
      if (asked.startsWith('@')) {
        if (!this.#users.has(asked.slice(1))) return appError(400, 'web.incoming_webhook.user.app_error', `Couldn't find the user ${asked.slice(1)}.`);
        channel = asked;
      } else {
        const name = asked.replace(/^#/, '');
        if (!this.#channels.has(name)) return appError(404, 'web.incoming_webhook.channel.app_error', 'Couldn\'t find the channel.');
        channel = name;
      }
      if (this.#locked && channel !== this.ownChannel) return appError(403, 'web.incoming_webhook.channel_locked.app_error', 'This webhook is not permitted to post to the requested channel.');
    }
    this.posts.push({
      channel,
      username: this.#allowOverrides && typeof body.username === 'string' ? body.username : '',
      iconUrl: this.#allowOverrides && typeof body.icon_url === 'string' ? body.icon_url : '',
      text,
      attachments,
    });
    answer(200, 'ok', { 'content-type': 'text/plain' });
  }
}
