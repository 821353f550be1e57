// A local Telegram Bot API on 127.0.0.1, enforcing what the Bot API
// documents: the token, known chats, forum topics (message_thread_id), HTML
// and MarkdownV2 markup with every reserved character escaped (else "can't
// parse entities"), 4,096 characters of text (1,024 of caption) after entity
// parsing, inline keyboards (callback_data 1–64 bytes), and 429 with
// parameters.retry_after. Records every request. Point grammY's
// `new Api(token, { apiRoot })` or `new Bot(token, { client: { apiRoot } })`
// at `apiRoot`.
//
// Methods: getMe, sendMessage, sendDocument (multipart/form-data, as grammY
// uploads an InputFile), answerCallbackQuery, getUpdates (long polling with
// `timeout`, `offset` confirming updates, `allowed_updates` kept between
// calls, 409 Conflict while a webhook is set or when a newer getUpdates
// takes over), setWebhook/deleteWebhook/getWebhookInfo (a set webhook gets
// each update POSTed with X-Telegram-Bot-Api-Secret-Token, one at a time and
// in order, retried until it answers 2xx). Tests play the users with
// pushMessage and pushCallbackQuery.

import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
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
  reply_markup?: InlineKeyboard;
  /** how many times editMessageText changed it */
  edits?: number;
}

export interface InlineKeyboard {
  inline_keyboard: { text: string; callback_data?: string; url?: string }[][];
}

/** A document the bot sent (sendDocument). */
export interface SentDocument {
  chat_id: number;
  message_id: number;
  file_name: string;
  size: number;
  content: Buffer;
  /** as sent, with markup */
  caption?: string;
  /** the caption after entity parsing */
  caption_plain?: string;
  parse_mode?: string;
  message_thread_id?: number;
  reply_to?: number;
  reply_markup?: InlineKeyboard;
}

export interface TelegramUser {
  id: number;
  is_bot?: boolean;
  first_name: string;
  username?: string;
}

/** A message a user wrote (pushMessage), as Telegram delivers it in an update. */
export interface UserMessage {
  message_id: number;
  from?: TelegramUser & { is_bot: boolean };
  sender_chat?: { id: number; type: string; title?: string };
  chat: { id: number; type: Chat['type']; title?: string; username?: string };
  date: number;
  text: string;
  entities?: { type: string; offset: number; length: number }[];
  message_thread_id?: number;
  is_topic_message?: boolean;
  forward_origin?: { type: 'user'; date: number; sender_user: TelegramUser };
}

export interface CallbackAnswer {
  callback_query_id: string;
  text?: string;
  show_alert: boolean;
}

export interface WebhookDelivery {
  update_id: number;
  /** the HTTP status the bot answered, 0 when it did not answer */
  status: number;
  error?: string;
}

export interface FakeTelegramOptions {
  token?: string;
  chats?: Chat[];
  /** accept http:// webhook URLs (Telegram itself wants https) */
  insecureWebhooks?: boolean;
  /** the CA that signed an https webhook's certificate (Telegram's "certificate" upload) */
  webhookCa?: string;
  /** the first retry delay for a webhook that did not answer 2xx (doubling, up to 1 s; default 20 ms) */
  webhookRetryMs?: number;
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
  | { kind: 'hang' }
  /** the connection is dropped without an answer */
  | { kind: 'reset' };

export const MAX_TEXT = 4096;
export const MAX_CAPTION = 1024;
/** what a bot may upload with sendDocument */
export const MAX_UPLOAD = 50 * 1024 * 1024;

/** Update types delivered when allowed_updates is empty or never given (the Bot API's default). */
const DEFAULT_EXCLUDED = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);

interface Pending {
  update: { update_id: number } & Record<string, unknown>;
  type: string;
  taken: () => void;
}

interface Poll {
  res: ServerResponse;
  limit: number;
  wake(): void;
  conflict(): void;
}

export class FakeTelegram {
  readonly token: string;
  readonly chats: Chat[];
  readonly calls: TelegramCall[] = [];
  readonly messages: SentMessage[] = [];
  readonly documents: SentDocument[] = [];
  /** messages users wrote, in the order pushed */
  readonly userMessages: UserMessage[] = [];
  readonly answers: CallbackAnswer[] = [];
  readonly webhookDeliveries: WebhookDelivery[] = [];
  url = '';
  #server: Server;
  #failures: { method?: string; failure: Failure }[] = [];
  #nextId = 100;
  #nextUpdateId = 5000;
  #nextQueryId = 1;
  #pending: Pending[] = [];
  #allowed: string[] = [];
  #poll?: Poll;
  #webhook?: { url: string; secret?: string; allowed: string[]; lastErrorDate?: number; lastErrorMessage?: string };
  #pumping = false;
  #closed = false;
  #queries = new Map<string, { answered: boolean }>();
  #watchers = new Set<() => void>();
  readonly #opts: FakeTelegramOptions;

  private constructor(opts: FakeTelegramOptions) {
    this.#opts = opts;
    this.token = opts.token ?? '123456789:AAHfakeTokenFakeTokenFakeToken_-0123';
    this.chats = opts.chats ?? [
      { id: -1001234567890, type: 'supergroup', title: 'ops', username: 'kubeops', topics: [7] },
      { id: 4242, type: 'private' },
    ];
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(opts: FakeTelegramOptions = {}): Promise<FakeTelegram> {
    const fake = new FakeTelegram(opts);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    return fake;
  }

  /** For grammY's apiRoot. */
  get apiRoot(): string {
    return this.url;
  }

  /** The next calls (of any method) fail so. */
  failNext(...failures: Failure[]): void {
    this.#failures.push(...failures.map((failure) => ({ failure })));
  }

  /** The next calls of `method` (getUpdates, sendMessage, …) fail so; other methods are unaffected. */
  failMethod(method: string, ...failures: Failure[]): void {
    this.#failures.push(...failures.map((failure) => ({ method: method.toLowerCase(), failure })));
  }

  /** Resolves with pred()'s first truthy answer, checked now and after every request the fake answers. */
  waitFor<T>(pred: () => T | undefined | false | null): Promise<T> {
    const now = pred();
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      const check = (): void => {
        const v = pred();
        if (!v) return;
        this.#watchers.delete(check);
        resolve(v);
      };
      this.#watchers.add(check);
    });
  }

  /** The webhook as getWebhookInfo reports it ('' when none is set). */
  get webhookUrl(): string {
    return this.#webhook?.url ?? '';
  }

  /** Updates not yet confirmed (getUpdates offset) or accepted by the webhook. */
  get pendingUpdates(): number {
    return this.#pending.length;
  }

  /**
   * A user writes `text` in a chat. Resolves with the message once the bot
   * has taken the update (a getUpdates answer was sent, or the webhook
   * answered 2xx). An unknown chat is added when `chatType` is given.
   */
  async pushMessage(m: { chatId: number; chatType?: Chat['type']; from?: TelegramUser | null; text: string; messageThreadId?: number; senderChat?: boolean; forwardedFrom?: TelegramUser }): Promise<UserMessage> {
    let chat = this.chats.find((c) => c.id === m.chatId);
    if (!chat) {
      if (!m.chatType) throw new Error(`fake telegram: no chat ${m.chatId}; give chatType to add it`);
      chat = { id: m.chatId, type: m.chatType, ...(m.chatType === 'private' ? {} : { title: `chat ${m.chatId}` }) };
      this.chats.push(chat);
    }
    const from = m.from === null ? undefined : { is_bot: false, ...(m.from ?? { id: 4242, first_name: 'Alice', username: 'alice' }) };
    const thread = m.messageThreadId;
    if (thread !== undefined && !(chat.topics ?? []).includes(thread)) throw new Error(`fake telegram: chat ${chat.id} has no topic ${thread}`);
    const entities = textEntities(m.text);
    const msg: UserMessage = {
      message_id: this.#nextId++,
      ...(from ? { from } : {}),
      ...(m.senderChat ? { sender_chat: { id: chat.id, type: chat.type, ...(chat.title ? { title: chat.title } : {}) } } : {}),
      chat: { id: chat.id, type: chat.type, ...(chat.title ? { title: chat.title } : {}), ...(chat.username ? { username: chat.username } : {}) },
      date: Math.floor(Date.now() / 1000),
      text: m.text,
      ...(entities.length ? { entities } : {}),
      ...(thread !== undefined ? { message_thread_id: thread, is_topic_message: true } : {}),
      ...(m.forwardedFrom ? { forward_origin: { type: 'user' as const, date: Math.floor(Date.now() / 1000) - 60, sender_user: m.forwardedFrom } } : {}),
    };
    this.userMessages.push(msg);
    await this.#push('message', { message: msg });
    return msg;
  }

  /**
   * A user presses the button with `data` on the bot's message `messageId`
   * (a message or a document). Throws if that message has no such button:
   * a client can only press what it was shown. Resolves with the query id
   * once the bot has taken the update.
   */
  async pushCallbackQuery(q: { chatId: number; messageId: number; data: string; from?: TelegramUser }): Promise<string> {
    const sent = this.messages.find((m) => m.chat_id === q.chatId && m.message_id === q.messageId) ?? this.documents.find((d) => d.chat_id === q.chatId && d.message_id === q.messageId);
    if (!sent) throw new Error(`fake telegram: no bot message ${q.messageId} in chat ${q.chatId}`);
    const buttons = sent.reply_markup?.inline_keyboard.flat() ?? [];
    if (!buttons.some((b) => b.callback_data === q.data)) throw new Error(`fake telegram: message ${q.messageId} has no button with callback_data ${JSON.stringify(q.data)}`);
    const chat = this.chats.find((c) => c.id === q.chatId)!;
    const id = `${Date.now()}${this.#nextQueryId++}`;
    this.#queries.set(id, { answered: false });
    const from = { is_bot: false, ...(q.from ?? { id: 4242, first_name: 'Alice', username: 'alice' }) };
    const botUser = { id: Number(this.token.split(':')[0]), is_bot: true, first_name: 'kubeherald', username: 'kubeherald_bot' };
    const message = {
      message_id: sent.message_id,
      from: botUser,
      chat: { id: chat.id, type: chat.type, ...(chat.title ? { title: chat.title } : {}) },
      date: Math.floor(Date.now() / 1000),
      ...('text' in sent ? { text: sent.plain } : { document: { file_name: sent.file_name, file_size: sent.size, file_id: `doc-${sent.message_id}`, file_unique_id: `u${sent.message_id}` } }),
      ...(sent.message_thread_id !== undefined ? { message_thread_id: sent.message_thread_id, is_topic_message: true } : {}),
      reply_markup: sent.reply_markup,
    };
    await this.#push('callback_query', { callback_query: { id, from, message, chat_instance: String(-chat.id), data: q.data } });
    return id;
  }

  /** Queues an update and resolves once the bot has taken it. */
  #push(type: string, body: Record<string, unknown>): Promise<void> {
    return new Promise((resolve) => {
      this.#pending.push({ update: { update_id: this.#nextUpdateId++, ...body }, type, taken: resolve });
      this.#poll?.wake();
      void this.#pump();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#poll?.wake();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const raw = body.toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    const call: TelegramCall = { method: m?.[2] ?? '', token: m?.[1] ?? '', params: {}, status: 0, response: undefined };
    this.calls.push(call);
    const send = (status: number, body: unknown, contentType = 'application/json'): void => {
      call.status = status;
      call.response = body;
      res.writeHead(status, { 'content-type': contentType });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
      for (const w of [...this.#watchers]) w();
    };
    const fail = (code: number, description: string, parameters?: Record<string, unknown>): void =>
      send(code, { ok: false, error_code: code, description, ...(parameters ? { parameters } : {}) });

    if (!m) return fail(404, 'Not Found');
    const contentType = req.headers['content-type'] ?? '';
    let files: Record<string, UploadedFile> = {};
    let params: Record<string, unknown> | undefined;
    if (contentType.startsWith('multipart/form-data')) {
      const form = parseMultipart(contentType, body);
      if (!form) return fail(400, 'Bad Request: invalid multipart/form-data');
      params = { ...Object.fromEntries(url.searchParams), ...form.fields };
      files = form.files;
      // what the test sees of an upload: its name and size, not the bytes
      call.params = { ...params, ...Object.fromEntries(Object.entries(files).map(([k, f]) => [k, { filename: f.filename, size: f.content.length }])) };
    } else {
      params = parseParams(contentType, raw, url.searchParams);
      if (!params) return fail(400, 'Bad Request: invalid JSON');
      call.params = params;
    }
    if (m[1] !== this.token) return fail(401, 'Unauthorized');
    // waiters see a request when it arrives, not only when it is answered (a long poll answers much later)
    for (const w of [...this.#watchers]) w();

    const method = m[2].toLowerCase();
    const at = this.#failures.findIndex((f) => f.method === undefined || f.method === method);
    const failure = at < 0 ? undefined : this.#failures.splice(at, 1)[0].failure;
    if (failure) {
      switch (failure.kind) {
        case 'hang':
          return;
        case 'reset':
          req.socket.destroy();
          return;
        case 'ratelimited':
          return fail(429, `Too Many Requests: retry after ${failure.retryAfter}`, { retry_after: failure.retryAfter });
        case 'error':
          return fail(failure.code, failure.description, failure.parameters);
        case 'html':
          return send(failure.status, `<html><head><title>${failure.status} Bad Gateway</title></head><body><center><h1>${failure.status} Bad Gateway</h1></center><hr><center>nginx</center></body></html>`, 'text/html');
      }
    }

    switch (method) {
      case 'getme':
        return send(200, { ok: true, result: { id: Number(this.token.split(':')[0]), is_bot: true, first_name: 'kubeherald', username: 'kubeherald_bot', can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false } });
      case 'sendmessage':
        return this.#sendMessage(params, send, fail);
      case 'senddocument':
        return this.#sendDocument(params, files, send, fail);
      case 'editmessagetext':
        return this.#editMessageText(params, send, fail);
      case 'answercallbackquery':
        return this.#answerCallbackQuery(params, send, fail);
      case 'getupdates':
        return this.#getUpdates(params, res, send, fail);
      case 'setwebhook':
        return this.#setWebhook(params, send, fail);
      case 'deletewebhook':
        return this.#deleteWebhook(params, send);
      case 'getwebhookinfo':
        return send(200, {
          ok: true,
          result: {
            url: this.#webhook?.url ?? '',
            has_custom_certificate: false,
            pending_update_count: this.#pending.length,
            ...(this.#webhook ? { max_connections: 40, ...(this.#webhook.allowed.length ? { allowed_updates: this.#webhook.allowed } : {}) } : {}),
            ...(this.#webhook?.lastErrorDate ? { last_error_date: this.#webhook.lastErrorDate, last_error_message: this.#webhook.lastErrorMessage } : {}),
          },
        });
      default:
        return fail(404, 'Not Found');
    }
  }

  /** The chat a chat_id names (a number, its string, or @username), as the Bot API resolves it. */
  #chat(id: unknown): Chat | undefined {
    return this.chats.find((c) => String(c.id) === String(id) || (c.username && `@${c.username}` === id));
  }

  /** reply_parameters: the message must exist in the chat (a user's or the bot's), unless allow_sending_without_reply. */
  #replyTo(chat: Chat, p: Record<string, unknown>): { ok: true; id?: number } | { ok: false } {
    const reply = jsonParam(p.reply_parameters) as { message_id?: unknown; allow_sending_without_reply?: unknown } | undefined;
    if (!reply) return { ok: true };
    const id = Number(reply.message_id);
    const found =
      this.messages.some((m) => m.chat_id === chat.id && m.message_id === id) ||
      this.documents.some((d) => d.chat_id === chat.id && d.message_id === id) ||
      this.userMessages.some((u) => u.chat.id === chat.id && u.message_id === id);
    if (found) return { ok: true, id };
    return reply.allow_sending_without_reply === true ? { ok: true } : { ok: false };
  }

  #sendDocument(p: Record<string, unknown>, files: Record<string, UploadedFile>, send: (status: number, body: unknown) => void, fail: (code: number, description: string) => void): void {
    if (p.chat_id === undefined || p.chat_id === '') return fail(400, 'Bad Request: chat_id is empty');
    const chat = this.#chat(p.chat_id);
    if (!chat) return fail(400, 'Bad Request: chat not found');
    // grammY sends `document: attach://<id>` and the file as part <id>; a form may also send it as part `document`
    const ref = typeof p.document === 'string' ? p.document : '';
    const file = ref.startsWith('attach://') ? files[ref.slice('attach://'.length)] : files.document;
    if (!file) return fail(400, ref ? 'Bad Request: wrong remote file identifier specified: can\'t unserialize it. Wrong last symbol' : 'Bad Request: there is no document in the request');
    if (file.content.length === 0) return fail(400, 'Bad Request: file must be non-empty');
    if (file.content.length > MAX_UPLOAD) return fail(413, 'Request Entity Too Large');
    const caption = typeof p.caption === 'string' ? p.caption : undefined;
    const mode = typeof p.parse_mode === 'string' ? p.parse_mode : undefined;
    let plain: string | undefined;
    if (caption !== undefined) {
      try {
        plain = (mode === 'HTML' ? parseHtml(caption) : mode === 'MarkdownV2' ? parseMarkdownV2(caption) : caption).trim();
      } catch (err) {
        return fail(400, `Bad Request: can't parse entities: ${(err as Error).message}`);
      }
      if (plain.length > MAX_CAPTION) return fail(400, 'Bad Request: message caption is too long');
    }
    const thread = p.message_thread_id === undefined ? undefined : Number(p.message_thread_id);
    if (thread !== undefined && !(chat.topics ?? []).includes(thread)) return fail(400, 'Bad Request: message thread not found');
    const reply = this.#replyTo(chat, p);
    if (!reply.ok) return fail(400, 'Bad Request: message to be replied not found');
    const markup = checkKeyboard(p.reply_markup);
    if (typeof markup === 'string') return fail(400, markup);
    const doc: SentDocument = {
      chat_id: chat.id,
      message_id: this.#nextId++,
      file_name: file.filename,
      size: file.content.length,
      content: file.content,
      ...(caption !== undefined ? { caption, caption_plain: plain } : {}),
      ...(mode ? { parse_mode: mode } : {}),
      ...(thread !== undefined ? { message_thread_id: thread } : {}),
      ...(reply.id !== undefined ? { reply_to: reply.id } : {}),
      ...(markup ? { reply_markup: markup } : {}),
    };
    this.documents.push(doc);
    send(200, {
      ok: true,
      result: {
        message_id: doc.message_id,
        from: { id: Number(this.token.split(':')[0]), is_bot: true, first_name: 'kubeherald' },
        chat: { id: chat.id, type: chat.type, ...(chat.title ? { title: chat.title } : {}) },
        date: Math.floor(Date.now() / 1000),
        document: { file_name: doc.file_name, mime_type: 'text/plain', file_id: `doc-${doc.message_id}`, file_unique_id: `u${doc.message_id}`, file_size: doc.size },
        ...(plain ? { caption: plain } : {}),
        ...(markup ? { reply_markup: markup } : {}),
      },
    });
  }

  #answerCallbackQuery(p: Record<string, unknown>, send: (status: number, body: unknown) => void, fail: (code: number, description: string) => void): void {
    const id = typeof p.callback_query_id === 'string' ? p.callback_query_id : '';
    const q = this.#queries.get(id);
    if (!q || q.answered) return fail(400, 'Bad Request: query is too old and response timeout expired or query ID is invalid');
    const text = typeof p.text === 'string' ? p.text : undefined;
    if (text !== undefined && text.length > 200) return fail(400, 'Bad Request: MESSAGE_TOO_LONG');
    q.answered = true;
    this.answers.push({ callback_query_id: id, ...(text !== undefined ? { text } : {}), show_alert: p.show_alert === true || p.show_alert === 'true' });
    send(200, { ok: true, result: true });
  }

  #getUpdates(p: Record<string, unknown>, res: ServerResponse, send: (status: number, body: unknown) => void, fail: (code: number, description: string) => void): void {
    if (this.#webhook) return fail(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    const int = (v: unknown, dflt: number): number | undefined => (v === undefined ? dflt : Number.isInteger(Number(v)) ? Number(v) : undefined);
    const offset = int(p.offset, 0);
    const limit = int(p.limit, 100);
    const timeout = int(p.timeout, 0);
    if (offset === undefined || limit === undefined || timeout === undefined || timeout < 0) return fail(400, 'Bad Request: wrong parameter');
    if (p.allowed_updates !== undefined) {
      const allowed = jsonParam(p.allowed_updates);
      if (!Array.isArray(allowed) || !allowed.every((t) => typeof t === 'string')) return fail(400, "Bad Request: can't parse allowed_updates JSON array");
      // kept for later calls that leave it out, as Telegram does
      this.#allowed = allowed;
    }
    // confirm: updates with an id below offset are forgotten; a negative offset keeps only the last -offset
    if (offset > 0) this.#pending = this.#pending.filter((u) => u.update.update_id >= offset);
    else if (offset < 0) this.#pending = this.#pending.slice(offset);
    // a newer getUpdates ends an earlier one that is still waiting
    this.#poll?.conflict();
    const n = Math.min(Math.max(limit, 1), 100);
    const answer = (): void => {
      const batch = this.#deliverable(this.#allowed).slice(0, n);
      res.once('finish', () => {
        for (const u of batch) u.taken();
      });
      send(200, { ok: true, result: batch.map((u) => u.update) });
    };
    if (timeout === 0 || this.#deliverable(this.#allowed).length > 0 || this.#closed) return answer();
    let timer: NodeJS.Timeout | undefined;
    const poll: Poll = {
      res,
      limit: n,
      wake: () => {
        if (this.#poll !== poll || (!this.#closed && this.#deliverable(this.#allowed).length === 0)) return;
        end();
        answer();
      },
      conflict: () => {
        end();
        fail(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running');
      },
    };
    const end = (): void => {
      clearTimeout(timer);
      if (this.#poll === poll) this.#poll = undefined;
    };
    timer = setTimeout(() => {
      end();
      answer();
    }, timeout * 1000);
    // the client gave up (grammY aborts the request on stop): nothing was taken
    res.once('close', () => {
      if (!res.writableFinished) end();
    });
    this.#poll = poll;
  }

  /** Pending updates of the allowed types, oldest first; those of other types are dropped, as Telegram never queues them. */
  #deliverable(allowed: string[]): Pending[] {
    const ok = (t: string): boolean => (allowed.length ? allowed.includes(t) : !DEFAULT_EXCLUDED.has(t));
    this.#pending = this.#pending.filter((u) => {
      if (ok(u.type)) return true;
      u.taken();
      return false;
    });
    return this.#pending;
  }

  #setWebhook(p: Record<string, unknown>, send: (status: number, body: unknown) => void, fail: (code: number, description: string) => void): void {
    const url = typeof p.url === 'string' ? p.url : '';
    if (url === '') {
      this.#webhook = undefined;
      return send(200, { ok: true, result: true, description: 'Webhook was deleted' });
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return fail(400, 'Bad Request: bad webhook: Failed to resolve host: Name or service not known');
    }
    if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && this.#opts.insecureWebhooks)) return fail(400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
    const secret = p.secret_token === undefined ? undefined : String(p.secret_token);
    if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) return fail(400, 'Bad Request: secret token contains unallowed characters');
    let allowed = this.#webhook?.allowed ?? this.#allowed;
    if (p.allowed_updates !== undefined) {
      const a = jsonParam(p.allowed_updates);
      if (!Array.isArray(a) || !a.every((t) => typeof t === 'string')) return fail(400, "Bad Request: can't parse allowed_updates JSON array");
      allowed = a;
    }
    if (p.drop_pending_updates === true || p.drop_pending_updates === 'true') this.#dropPending();
    this.#poll?.conflict();
    this.#webhook = { url, ...(secret !== undefined ? { secret } : {}), allowed };
    send(200, { ok: true, result: true, description: 'Webhook was set' });
    void this.#pump();
  }

  #deleteWebhook(p: Record<string, unknown>, send: (status: number, body: unknown) => void): void {
    const had = this.#webhook !== undefined;
    if (this.#webhook) this.#allowed = this.#webhook.allowed;
    this.#webhook = undefined;
    if (p.drop_pending_updates === true || p.drop_pending_updates === 'true') this.#dropPending();
    send(200, { ok: true, result: true, description: had ? 'Webhook was deleted' : 'Webhook is already deleted' });
  }

  #dropPending(): void {
    for (const u of this.#pending) u.taken();
    this.#pending = [];
  }

  /** Delivers pending updates to the webhook one at a time, in order, retrying each until the bot answers 2xx. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    let delay = this.#opts.webhookRetryMs ?? 20;
    try {
      while (this.#webhook && !this.#closed) {
        const hook = this.#webhook;
        const next = this.#deliverable(hook.allowed)[0];
        if (!next) break;
        const r = await this.#post(hook.url, hook.secret, next.update);
        this.webhookDeliveries.push({ update_id: next.update.update_id, status: r.status, ...(r.error ? { error: r.error } : {}) });
        for (const w of [...this.#watchers]) w();
        if (r.status >= 200 && r.status < 300) {
          this.#pending = this.#pending.filter((u) => u !== next);
          next.taken();
          delay = this.#opts.webhookRetryMs ?? 20;
          continue;
        }
        hook.lastErrorDate = Math.floor(Date.now() / 1000);
        hook.lastErrorMessage = r.error ?? `Wrong response from the webhook: ${r.status} ${r.statusText}`;
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 1000);
      }
    } finally {
      this.#pumping = false;
    }
  }

  #post(url: string, secret: string | undefined, update: unknown): Promise<{ status: number; statusText?: string; error?: string }> {
    const body = Buffer.from(JSON.stringify(update));
    const u = new URL(url);
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': body.length };
    if (secret !== undefined) headers['x-telegram-bot-api-secret-token'] = secret;
    return new Promise((resolve) => {
      const opts = { method: 'POST', headers, timeout: 10_000, ...(u.protocol === 'https:' && this.#opts.webhookCa ? { ca: this.#opts.webhookCa } : {}) };
      const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, opts, (res) => {
        res.resume();
        res.once('end', () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage }));
        res.once('error', (err) => resolve({ status: 0, error: err.message }));
      });
      req.once('timeout', () => req.destroy(new Error('Read timeout expired')));
      req.once('error', (err) => resolve({ status: 0, error: `Connection failed: ${err.message}` }));
      req.end(body);
    });
  }

  /** editMessageText on a message the bot sent: new text and keyboard (none given: the keyboard goes), as the Bot API does. */
  #editMessageText(p: Record<string, unknown>, send: (status: number, body: unknown) => void, fail: (code: number, description: string) => void): void {
    if (p.inline_message_id !== undefined) return fail(400, 'Bad Request: inline messages are not kept by this fake');
    const chat = this.#chat(p.chat_id);
    if (!chat) return fail(400, 'Bad Request: chat not found');
    const msg = this.messages.find((m) => m.chat_id === chat.id && m.message_id === Number(p.message_id));
    if (!msg) return fail(400, 'Bad Request: message to edit not found');
    const text = typeof p.text === 'string' ? p.text : '';
    const mode = typeof p.parse_mode === 'string' ? p.parse_mode : undefined;
    let plain: string;
    try {
      plain = (mode === 'HTML' ? parseHtml(text) : mode === 'MarkdownV2' ? parseMarkdownV2(text) : text).trim();
    } catch (err) {
      return fail(400, `Bad Request: can't parse entities: ${(err as Error).message}`);
    }
    if (!plain) return fail(400, 'Bad Request: message text is empty');
    if (plain.length > MAX_TEXT) return fail(400, 'Bad Request: MESSAGE_TOO_LONG');
    const markup = checkKeyboard(p.reply_markup);
    if (typeof markup === 'string') return fail(400, markup);
    if (plain === msg.plain && JSON.stringify(markup ?? null) === JSON.stringify(msg.reply_markup ?? null)) {
      return fail(400, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
    }
    msg.text = text;
    msg.plain = plain;
    if (mode) msg.parse_mode = mode;
    else delete msg.parse_mode;
    if (markup) msg.reply_markup = markup;
    else delete msg.reply_markup;
    msg.edits = (msg.edits ?? 0) + 1;
    send(200, {
      ok: true,
      result: {
        message_id: msg.message_id,
        from: { id: Number(this.token.split(':')[0]), is_bot: true, first_name: 'kubeherald' },
        chat: { id: chat.id, type: chat.type, ...(chat.title ? { title: chat.title } : {}) },
        date: 1_741_089_665,
        edit_date: 1_741_089_700,
        text: plain,
      },
    });
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
    const reply = this.#replyTo(chat, p);
    if (!reply.ok) return fail(400, 'Bad Request: message to be replied not found');
    const markup = checkKeyboard(p.reply_markup);
    if (typeof markup === 'string') return fail(400, markup);
    const msg: SentMessage = {
      chat_id: chat.id,
      message_id: this.#nextId++,
      text,
      ...(mode ? { parse_mode: mode } : {}),
      plain,
      ...(thread !== undefined ? { message_thread_id: thread } : {}),
      disable_notification: p.disable_notification === true || p.disable_notification === 'true',
      ...(reply.id !== undefined ? { reply_to: reply.id } : {}),
      ...(markup ? { reply_markup: markup } : {}),
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

/** A parameter that form data carries as a JSON string and a JSON body as a value. */
function jsonParam(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
}

/** reply_markup as the Bot API checks an inline keyboard: undefined for none, an error description for a bad one. */
function checkKeyboard(v: unknown): InlineKeyboard | undefined | string {
  if (v === undefined) return undefined;
  const k = jsonParam(v) as InlineKeyboard | undefined;
  if (!k || !Array.isArray(k.inline_keyboard)) return "Bad Request: can't parse reply keyboard markup JSON object";
  for (const row of k.inline_keyboard) {
    if (!Array.isArray(row)) return 'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays';
    for (const b of row) {
      if (typeof b?.text !== 'string' || b.text === '') return 'Bad Request: text buttons are unallowed in the inline keyboard';
      if (b.callback_data !== undefined && (typeof b.callback_data !== 'string' || b.callback_data === '' || Buffer.byteLength(b.callback_data) > 64)) return 'Bad Request: BUTTON_DATA_INVALID';
      if (b.callback_data === undefined && b.url === undefined) return 'Bad Request: text buttons are unallowed in the inline keyboard';
    }
  }
  return k;
}

interface UploadedFile {
  filename: string;
  content: Buffer;
}

/**
 * multipart/form-data as RFC 7578 has it and as grammY writes it (header
 * names in lower case without a space, filename unquoted). Undefined when
 * the framing is broken.
 */
function parseMultipart(contentType: string, body: Buffer): { fields: Record<string, string>; files: Record<string, UploadedFile> } | undefined {
  const b = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!b) return undefined;
  const delim = Buffer.from(`--${b[1] ?? b[2]}`);
  const fields: Record<string, string> = {};
  const files: Record<string, UploadedFile> = {};
  let at = body.indexOf(delim);
  if (at < 0) return undefined;
  for (;;) {
    let start = at + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') return { fields, files };
    if (body.subarray(start, start + 2).toString() !== '\r\n') return undefined;
    start += 2;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delim]), start);
    if (next < 0) return undefined;
    const part = body.subarray(start, next);
    const sep = part.indexOf('\r\n\r\n');
    if (sep < 0) return undefined;
    const head = part.subarray(0, sep).toString('utf8');
    const content = part.subarray(sep + 4);
    const disposition = /content-disposition:\s*form-data\s*;\s*name="([^"]*)"(?:\s*;\s*filename=(?:"([^"]*)"|([^;\r\n]+)))?/i.exec(head);
    if (!disposition) return undefined;
    const filename = disposition[2] ?? disposition[3];
    if (filename !== undefined) files[disposition[1]] = { filename: filename.trim(), content: Buffer.from(content) };
    else fields[disposition[1]] = content.toString('utf8');
    at = next + 2;
  }
}

/** The entities Telegram computes for a user's text: a leading bot command and @mentions. */
function textEntities(text: string): { type: string; offset: number; length: number }[] {
  const out: { type: string; offset: number; length: number }[] = [];
  const cmd = /^\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?/.exec(text);
  if (cmd) out.push({ type: 'bot_command', offset: 0, length: cmd[0].length });
  for (const m of text.matchAll(/(?<![A-Za-z0-9_/])@[A-Za-z0-9_]{5,32}/g)) {
    if (!(cmd && m.index! < cmd[0].length)) out.push({ type: 'mention', offset: m.index!, length: m[0].length });
  }
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
