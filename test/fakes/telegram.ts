// A local Telegram Bot API: /bot<token>/sendMessage (and getMe) on
// 127.0.0.1, enforcing what the Bot API documents: the token, known chats,
// forum topics (message_thread_id), HTML and MarkdownV2 markup with every
// reserved character escaped (else "can't parse entities"), 4,096 characters
// of text after entity parsing (else "message is too long"), and 429 with
// parameters.retry_after. Records every request. Point grammY's
// `new Api(token, { apiRoot })` at `apiRoot`.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TelegramCall {
  method: string;
  /** the token in the path (the fake is local; tests check it never leaks elsewhere) */
  token: string;
  params: Record<string, unknown>;
  status: number;
  response: unknown;
}

export interface SentMessage {
  chat_id: number | string;
  message_id: number;
  /** as sent, with markup */
  text: string;
  parse_mode?: string;
  /** the text after entity parsing: what the reader sees */
  plain: string;
  message_thread_id?: number;
  disable_notification: boolean;
  /** the message_id this one replies to (reply_parameters) */
  reply_to?: number;
}

export interface Chat {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  username?: string;
  title?: string;
  /** forum topics (message_thread_id values) when the supergroup is a forum */
  topics?: number[];
}

export type Failure =
  | { kind: 'ratelimited'; retryAfter: number }
  | { kind: 'error'; code: number; description: string; parameters?: Record<string, unknown> }
  | { kind: 'html'; status: number }
  | { kind: 'hang' };

export const MAX_TEXT = 4096;

export class FakeTelegram {
  readonly token: string;
  readonly chats: Chat[];
  readonly calls: TelegramCall[] = [];
  readonly messages: SentMessage[] = [];
  url = '';
  #server: Server;
  #failures: Failure[] = [];
  #nextId = 100;

  private constructor(opts: { token?: string; chats?: Chat[] }) {
    this.token = opts.token ?? '123456789:AAHfakeTokenFakeTokenFakeToken_-0123';
    this.chats = opts.chats ?? [
      { id: -1001234567890, type: 'supergroup', title: 'ops', username: 'kubeops', topics: [7] },
      { id: 4242, type: 'private' },
    ];
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(opts: { token?: string; chats?: Chat[] } = {}): Promise<FakeTelegram> {
    const fake = new FakeTelegram(opts);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    return fake;
  }

  /** For grammY's apiRoot. */
  get apiRoot(): string {
    return this.url;
  }

  failNext(...failures: Failure[]): void {
    this.#failures.push(...failures);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    const call: TelegramCall = { method: m?.[2] ?? '', token: m?.[1] ?? '', params: {}, status: 0, response: undefined };
    this.calls.push(call);
    const send = (status: number, body: unknown, contentType = 'application/json'): void => {
      call.status = status;
      call.response = body;
      res.writeHead(status, { 'content-type': contentType });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const fail = (code: number, description: string, parameters?: Record<string, unknown>): void =>
      send(code, { ok: false, error_code: code, description, ...(parameters ? { parameters } : {}) });

    if (!m) return fail(404, 'Not Found');
    const params = parseParams(req.headers['content-type'] ?? '', raw, url.searchParams);
    if (!params) return fail(400, 'Bad Request: invalid JSON');
    call.params = params;
    if (m[1] !== this.token) return fail(401, 'Unauthorized');

    const failure = this.#failures.shift();
    if (failure) {
      switch (failure.kind) {
        case 'hang':
          return;
        case 'ratelimited':
          return fail(429, `Too Many Requests: retry after ${failure.retryAfter}`, { retry_after: failure.retryAfter });
        case 'error':
          return fail(failure.code, failure.description, failure.parameters);
        case 'html':
          return send(failure.status, `<html><head><title>${failure.status} Bad Gateway</title></head><body><center><h1>${failure.status} Bad Gateway</h1></center><hr><center>nginx</center></body></html>`, 'text/html');
      }
    }

    switch (m[2].toLowerCase()) {
      case 'getme':
        return send(200, { ok: true, result: { id: Number(this.token.split(':')[0]), is_bot: true, first_name: 'kubeherald', username: 'kubeherald_bot' } });
      case 'sendmessage':
        return this.#sendMessage(params, send, fail);
      default:
        return fail(404, 'Not Found');
    }
  }

  #sendMessage(p: Record<string, unknown>, send: (status: number, body: unknown) => void, fail: (code: number, description: string) => void): void {
    if (p.chat_id === undefined || p.chat_id === '') return fail(400, 'Bad Request: chat_id is empty');
    const chat = this.chats.find((c) => String(c.id) === String(p.chat_id) || (c.username && `@${c.username}` === p.chat_id));
    if (!chat) return fail(400, 'Bad Request: chat not found');
    const text = typeof p.text === 'string' ? p.text : '';
    const mode = typeof p.parse_mode === 'string' ? p.parse_mode : undefined;
    let plain: string;
    try {
      plain = mode === 'HTML' ? parseHtml(text) : mode === 'MarkdownV2' ? parseMarkdownV2(text) : text;
    } catch (err) {
      return fail(400, `Bad Request: can't parse entities: ${(err as Error).message}`);
    }
    plain = plain.trim();
    if (!plain) return fail(400, 'Bad Request: message text is empty');
    if (plain.length > MAX_TEXT) return fail(400, 'Bad Request: message is too long');
    const thread = p.message_thread_id === undefined ? undefined : Number(p.message_thread_id);
    if (thread !== undefined && !(chat.topics ?? []).includes(thread)) return fail(400, 'Bad Request: message thread not found');
    const reply = p.reply_parameters as { message_id?: unknown; allow_sending_without_reply?: unknown } | undefined;
    const replied = reply ? this.messages.find((m) => m.chat_id === chat.id && m.message_id === reply.message_id) : undefined;
    if (reply && !replied && reply.allow_sending_without_reply !== true) return fail(400, 'Bad Request: message to be replied not found');
    const msg: SentMessage = {
      chat_id: chat.id,
      message_id: this.#nextId++,
      text,
      ...(mode ? { parse_mode: mode } : {}),
      plain,
      ...(thread !== undefined ? { message_thread_id: thread } : {}),
      disable_notification: p.disable_notification === true || p.disable_notification === 'true',
      ...(replied ? { reply_to: replied.message_id } : {}),
    };
    this.messages.push(msg);
    send(200, {
      ok: true,
      result: {
        message_id: msg.message_id,
        from: { id: Number(this.token.split(':')[0]), is_bot: true, first_name: 'kubeherald' },
        chat: { id: chat.id, type: chat.type, ...(chat.title ? { title: chat.title } : {}) },
        date: 1_741_089_665,
        text: plain,
        ...(thread !== undefined ? { message_thread_id: thread, is_topic_message: true } : {}),
      },
    });
  }
}

function parseParams(contentType: string, raw: string, query: URLSearchParams): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = Object.fromEntries(query);
  if (!raw) return out;
  if (contentType.startsWith('application/json')) {
    try {
      const v = JSON.parse(raw);
      return v && typeof v === 'object' && !Array.isArray(v) ? { ...out, ...v } : undefined;
    } catch {
      return undefined;
    }
  }
  for (const [k, v] of new URLSearchParams(raw)) out[k] = v;
  return out;
}

const byteOffset = (text: string, i: number): number => Buffer.byteLength(text.slice(0, i));

// ---- MarkdownV2 (https://core.telegram.org/bots/api#markdownv2-style)

const MD_RESERVED = new Set('_*[]()~`>#+-=|{}.!'.split(''));

/** The text a reader sees; throws with the Bot API's wording when the markup is invalid. */
export function parseMarkdownV2(text: string): string {
  let plain = '';
  const stack: { type: string; start: number }[] = [];
  const reserved = (c: string): Error => new Error(`Character '${c}' is reserved and must be escaped with the preceding '\\'`);
  const toggle = (type: string, i: number): void => {
    const top = stack[stack.length - 1];
    if (top?.type === type) stack.pop();
    else if (stack.some((e) => e.type === type)) throw new Error(`Can't find end of the entity starting at byte offset ${stack.find((e) => e.type === type)!.start}`);
    else stack.push({ type, start: byteOffset(text, i) });
  };
  let lineStart = true;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const top = stack[stack.length - 1];
    const wasLineStart = lineStart;
    lineStart = c === '\n';
    if (top?.type === 'code' || top?.type === 'pre') {
      // inside code and pre only ` and \ are special, and both must be escaped
      if (c === '\\') {
        const n = text[i + 1];
        if (n !== '`' && n !== '\\') throw reserved('\\');
        plain += n;
        i += 2;
      } else if (top.type === 'pre' && text.startsWith('```', i)) {
        stack.pop();
        i += 3;
      } else if (c === '`') {
        if (top.type === 'pre') throw reserved('`');
        stack.pop();
        i++;
      } else {
        plain += c;
        i++;
      }
      continue;
    }
    if (top?.type === 'url') {
      // inside (…) of a link only ) and \ are special
      if (c === '\\') {
        const n = text[i + 1];
        if (n !== ')' && n !== '\\') throw reserved('\\');
        i += 2;
      } else {
        if (c === ')') stack.pop();
        i++;
      }
      continue;
    }
    if (c === '\\') {
      const n = text.codePointAt(i + 1);
      if (n === undefined || n < 1 || n > 126) throw reserved('\\');
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (MD_RESERVED.has(c)) {
      if (c === '*' || c === '~') toggle(c === '*' ? 'bold' : 'strikethrough', i);
      else if (c === '_' && text[i + 1] === '_') {
        toggle('underline', i);
        i++;
      } else if (c === '_') toggle('italic', i);
      else if (c === '|' && text[i + 1] === '|') {
        toggle('spoiler', i);
        i++;
      } else if (c === '`' && text.startsWith('```', i)) {
        stack.push({ type: 'pre', start: byteOffset(text, i) });
        i += 2;
      } else if (c === '`') stack.push({ type: 'code', start: byteOffset(text, i) });
      else if (c === '[') stack.push({ type: 'text_link', start: byteOffset(text, i) });
      else if (c === ']' && top?.type === 'text_link' && text[i + 1] === '(') {
        stack.pop();
        stack.push({ type: 'url', start: byteOffset(text, i) });
        i++;
      } else if (c === '>' && wasLineStart) {
        // a blockquote line
      } else throw reserved(c);
      i++;
      continue;
    }
    plain += c;
    i++;
  }
  if (stack.length > 0) throw new Error(`Can't find end of the entity starting at byte offset ${stack[0].start}`);
  return plain;
}

// ---- HTML (https://core.telegram.org/bots/api#html-style)

const HTML_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'span', 'tg-spoiler', 'a', 'tg-emoji', 'code', 'pre', 'blockquote']);
const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

function decodeEntity(text: string, i: number): { char: string; length: number } | undefined {
  const m = /^&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));/.exec(text.slice(i, i + 12));
  if (!m) return undefined;
  const char = m[1] ? NAMED_ENTITIES[m[1]] : String.fromCodePoint(m[2] ? Number(m[2]) : Number.parseInt(m[3], 16));
  return { char, length: m[0].length };
}

/**
 * The text a reader sees. Stricter than the live service in one way, as the
 * Bot API documents it: every <, > and & that is not markup or an entity
 * must be written as an entity.
 */
export function parseHtml(text: string): string {
  let plain = '';
  const stack: { name: string; start: number }[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '<') {
      const end = text.indexOf('>', i);
      if (end < 0) throw new Error(`Unclosed start tag at byte offset ${byteOffset(text, i)}`);
      const inner = text.slice(i + 1, end);
      if (inner.startsWith('/')) {
        const name = inner.slice(1).trim().toLowerCase();
        const open = stack.pop();
        if (!open) throw new Error(`Unexpected end tag at byte offset ${byteOffset(text, i)}`);
        if (open.name !== name) throw new Error(`Unmatched end tag at byte offset ${byteOffset(text, i)}, expected "</${open.name}>", found "</${name}>"`);
      } else {
        const m = /^([a-zA-Z][a-zA-Z-]*)((?:\s+[a-zA-Z-]+(?:="[^"]*"|='[^']*')?)*)\s*$/.exec(inner);
        const name = m?.[1].toLowerCase();
        if (!m || !name || !HTML_TAGS.has(name)) throw new Error(`Unsupported start tag "${name ?? inner}" at byte offset ${byteOffset(text, i)}`);
        if (name === 'a' && !/\shref=/.test(m[2])) throw new Error(`Can't find href attribute of tag "a" at byte offset ${byteOffset(text, i)}`);
        stack.push({ name, start: byteOffset(text, i) });
      }
      i = end + 1;
      continue;
    }
    if (c === '&') {
      const e = decodeEntity(text, i);
      if (!e) throw new Error(`Character '&' at byte offset ${byteOffset(text, i)} must be written as &amp;`);
      plain += e.char;
      i += e.length;
      continue;
    }
    if (c === '>') throw new Error(`Character '>' at byte offset ${byteOffset(text, i)} must be written as &gt;`);
    plain += c;
    i++;
  }
  if (stack.length > 0) throw new Error(`Can't find end tag corresponding to start tag "${stack[stack.length - 1].name}"`);
  return plain;
}
