// Telegram as a chat platform for commands, through grammY: long polling
// (no ingress) by default, or a webhook listener that Telegram posts to, each
// request carrying the secret token set with setWebhook. Updates are handled
// concurrently across chats but one at a time within a chat, so a slow
// `logs` in one group never holds up another and two commands in one chat
// are answered in the order they were sent. Which chats are answered, and
// everything about commands, is the handler's business.

import { timingSafeEqual, createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Bot, GrammyError, HttpError, InputFile, webhookCallback } from 'grammy';
import type { Message, Update } from 'grammy/types';
import type { Logger } from '../../model/logger.ts';
import { redact } from '../../sinks/credential.ts';
import { readBody } from '../../sources/http-body.ts';
import type { ChatAdapter, ChatHandler, ChatInteraction, ChatMessage, ChatReply, ChatUser, MessageTarget, ReplyAction } from '../types.ts';
import { decodeCallbackData, encodeCallbackData, renderTelegramReply } from './render.ts';
import { listen } from '../../model/listen.ts';

export type TelegramTls = { certFile: string; keyFile: string } | { cert: string | Buffer; key: string | Buffer };

/** Why a webhook request was refused (the `reason` label of kubeherald_chatops_rejected_requests_total). */
export type TelegramRejectReason = 'missing-secret' | 'bad-secret' | 'too-large' | 'bad-request';

export interface TelegramAdapterOptions {
  /** the bot token from @BotFather; never logged */
  token: string;
  /** the Bot API root (default https://api.telegram.org) */
  apiRoot?: string;
  /** polling (default): getUpdates long polling; webhook: Telegram posts to webhook.listen */
  mode?: 'polling' | 'webhook';
  webhook?: {
    /** host:port; port 0 picks a free one (see `url`) */
    listen: string;
    /** the public URL given to setWebhook; its path is the one served. Default (or ''): this listener's own URL + /telegram */
    url?: string;
    /** sent by Telegram in X-Telegram-Bot-Api-Secret-Token: 1–256 of A-Z a-z 0-9 _ - */
    secretToken: string;
    /** serve HTTPS (else plain HTTP behind an ingress that terminates TLS); an empty certFile means plain HTTP */
    tls?: TelegramTls;
    /** the largest update body accepted (default 1 MiB) */
    maxBodyBytes?: number;
  };
  log: Logger;
  /** called for every webhook request refused, so the wiring can count it */
  onRejected?: (reason: TelegramRejectReason) => void;
  /** getUpdates long-poll timeout in seconds (default 30) */
  pollTimeoutSeconds?: number;
  /** updates waiting in one chat beyond which new ones are dropped with a warning (default 20) */
  maxQueuedPerChat?: number;
  /** messages per reply before output moves to a document (default 3) */
  maxMessages?: number;
}

/** grammY types its signals with the abort-controller package's AbortSignal; Node's is the same at run time. */
type GrammySignal = Parameters<Bot['init']>[0];

const ALLOWED_UPDATES = ['message', 'callback_query'] as const;
const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;
const DEFAULT_PATH = '/telegram';
/** Telegram resends an update it thinks failed; a command must not run twice, so recent ids are remembered. */
const SEEN_UPDATES = 1024;
/** Button keys kept for callback data too long to carry inline (Telegram allows 64 bytes). */
const BUTTON_KEYS = 5000;
/** Sends that hit 429 or 5xx are tried this often before the reply is given up (and logged). */
const SEND_ATTEMPTS = 4;
/** A retry_after longer than this is not waited for: the reply is given up and logged. */
const MAX_RETRY_AFTER_S = 60;

/** Where a reply goes: the chat, the message it answers, the forum topic. */
interface Target {
  chatId: number;
  replyTo?: number;
  threadId?: number;
  /** a message of ours this reply replaces (editMessageText), when the reply says `replace` */
  edit?: number;
}

export class TelegramAdapter implements ChatAdapter {
  readonly platform = 'telegram' as const;
  readonly #opts: TelegramAdapterOptions;
  readonly #log: Logger;
  readonly #bot: Bot;
  readonly #secrets: string[];
  readonly #queues = new Map<string, { tail: Promise<void>; pending: number }>();
  readonly #inflight = new Set<Promise<void>>();
  readonly #seen = new Set<number>();
  readonly #keys = new Map<string, { id: string; value: string }>();
  /** aborted by stop(): ends retries and sleeps of the polling loop */
  readonly #stopping = new AbortController();
  #handler?: ChatHandler;
  #signal?: AbortSignal;
  #polling?: Promise<void>;
  #server?: Server;
  #path = DEFAULT_PATH;
  #url = '';
  #started = false;
  #stopped = false;

  constructor(opts: TelegramAdapterOptions) {
    if (!/^\d+:[A-Za-z0-9_-]+$/.test(opts.token)) throw new Error('telegram: token does not look like a bot token from @BotFather (123456:ABC…)');
    if ((opts.mode ?? 'polling') === 'webhook') {
      if (!opts.webhook) throw new Error('telegram: webhook mode needs webhook.listen and webhook.secretToken');
      // the secret itself is never echoed
      if (!SECRET_TOKEN.test(opts.webhook.secretToken)) throw new Error('telegram: webhook.secretToken must be 1–256 characters of A-Z, a-z, 0-9, _ and -');
      if (opts.webhook.url) {
        const u = parseUrl(opts.webhook.url);
        if (!u || !/^https?:$/.test(u.protocol)) throw new Error('telegram: webhook.url must be an http(s) URL');
        this.#path = u.pathname;
      }
      parseListen(opts.webhook.listen);
    }
    this.#opts = opts;
    this.#log = opts.log.child({ component: 'chatops', platform: 'telegram' });
    // grammY quotes request URLs (which hold the token) in network errors: every logged error goes through #safe
    this.#secrets = [opts.token, encodeURIComponent(opts.token), ...(opts.webhook?.secretToken ? [opts.webhook.secretToken] : [])];
    const timeoutSeconds = (opts.pollTimeoutSeconds ?? 30) + 30;
    this.#bot = new Bot(opts.token, { client: { apiRoot: (opts.apiRoot ?? 'https://api.telegram.org').replace(/\/+$/, ''), timeoutSeconds } });
    this.#bot.use((ctx) => this.#receive(ctx.update));
  }

  /** The webhook listener's own URL (http(s)://host:port), once started; '' in polling mode. */
  get url(): string {
    return this.#url;
  }

  async start(handler: ChatHandler, signal: AbortSignal): Promise<void> {
    if (this.#started) throw new Error('telegram adapter already started');
    this.#started = true;
    this.#handler = handler;
    this.#signal = signal;
    signal.addEventListener('abort', () => void this.stop(), { once: true });
    const abort = AbortSignal.any([signal, this.#stopping.signal]);
    try {
      // getMe: the bot's username tells commands for this bot from commands for another one in a group
      await this.#bot.init(abort as GrammySignal);
    } catch (err) {
      throw this.#startError('getMe', err);
    }
    if ((this.#opts.mode ?? 'polling') === 'webhook') await this.#startWebhook(abort);
    else await this.#startPolling();
    this.#log.info({ mode: this.#opts.mode ?? 'polling', bot: this.#bot.botInfo.username, ...(this.#url ? { url: this.#url } : {}) }, 'telegram commands: listening');
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopping.abort();
    if (this.#bot.isRunning()) {
      // cancels the pending getUpdates and confirms what was taken, so a restart does not run it again
      await this.#bot.stop().catch((err: unknown) => this.#log.warn({ err: this.#safe(err) }, 'telegram: could not confirm the last updates on stop'));
    }
    await this.#polling;
    const server = this.#server;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
    }
    // in-flight replies finish; nothing new is taken
    while (this.#inflight.size) await Promise.allSettled([...this.#inflight]);
  }

  // ---- receiving

  async #startPolling(): Promise<void> {
    let ready!: () => void;
    let failed!: (err: Error) => void;
    const started = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    let up = false;
    const loop = async (): Promise<void> => {
      let delayMs = 1000;
      while (!this.#stopped) {
        try {
          await this.#bot.start({
            allowed_updates: [...ALLOWED_UPDATES],
            timeout: this.#opts.pollTimeoutSeconds ?? 30,
            onStart: () => {
              up = true;
              delayMs = 1000;
              ready();
            },
          });
          // bot.start resolves only once stopped
          return;
        } catch (err) {
          if (this.#stopped) return;
          const unauthorized = err instanceof GrammyError && err.error_code === 401;
          if (!up || unauthorized) {
            // before the first update, or with a token Telegram no longer accepts, retrying hides a configuration error
            const e = this.#startError(err instanceof GrammyError ? err.method : 'getUpdates', err);
            this.#log.error({ err: e.message }, 'telegram long polling stopped');
            failed(e);
            return;
          }
          const conflict = err instanceof GrammyError && err.error_code === 409;
          this.#log.error(
            { err: this.#safe(err), retryInMs: delayMs },
            conflict ? 'telegram long polling: another process polls with this bot token, or a webhook is set; restarting' : 'telegram long polling failed; restarting',
          );
          await sleep(delayMs, this.#stopping.signal);
          delayMs = Math.min(delayMs * 2, 60_000);
        }
      }
    };
    // stopped before the first getUpdates: start() returns rather than waiting for ever
    this.#polling = loop().finally(() => (this.#stopped ? ready() : failed(new Error('telegram: long polling ended before it started'))));
    await started;
  }

  async #startWebhook(abort: AbortSignal): Promise<void> {
    const w = this.#opts.webhook!;
    const { host, port } = parseListen(w.listen);
    // the config section's empty certFile means plain HTTP
    const tls = w.tls && ('cert' in w.tls || w.tls.certFile) ? await loadTls(w.tls) : undefined;
    // grammY checks the secret token again (constant time); ours first, to count refusals by reason
    const callback = webhookCallback(this.#bot, 'callback', { secretToken: w.secretToken, onTimeout: 'return', timeoutMilliseconds: 10_000 });
    const serve = (req: IncomingMessage, res: ServerResponse): void => {
      this.#serve(req, res, callback).catch((err: unknown) => {
        this.#log.error({ err: this.#safe(err) }, 'telegram webhook: request failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
    };
    const server = tls ? createHttpsServer({ ...tls, minVersion: 'TLSv1.2' }, serve) : createHttpServer(serve);
    // a client that trickles bytes is cut off
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    await listen(server, port, host);
    this.#server = server;
    const addr = server.address() as AddressInfo;
    const shown = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
    this.#url = `${tls ? 'https' : 'http'}://${shown.includes(':') ? `[${shown}]` : shown}:${addr.port}`;
    const url = w.url || this.#url + DEFAULT_PATH;
    try {
      await this.#retrying('setWebhook', () => this.#bot.api.setWebhook(url, { secret_token: w.secretToken, allowed_updates: [...ALLOWED_UPDATES] }, abort as GrammySignal), abort);
    } catch (err) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      this.#server = undefined;
      throw this.#startError('setWebhook', err);
    }
  }

  async #serve(req: IncomingMessage, res: ServerResponse, callback: (...args: unknown[]) => Promise<unknown>): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path !== this.#path) {
      res.writeHead(404).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    if (this.#stopped) {
      // not taken: Telegram keeps the update and delivers it again (to the replica that replaces this one)
      res.writeHead(503, { 'retry-after': '1', connection: 'close' }).end();
      return;
    }
    const refuse = (status: number, reason: TelegramRejectReason): void => {
      this.#log.warn({ reason, remote: req.socket.remoteAddress }, 'telegram webhook: request refused');
      this.#opts.onRejected?.(reason);
      // the body is not read: close rather than keep a connection with unread bytes
      res.writeHead(status, { connection: 'close' }).end();
    };
    const header = req.headers['x-telegram-bot-api-secret-token'];
    const given = Array.isArray(header) ? header[0] : header;
    if (given === undefined || given === '') return refuse(401, 'missing-secret');
    if (!sameSecret(given, this.#opts.webhook!.secretToken)) return refuse(401, 'bad-secret');
    const max = this.#opts.webhook!.maxBodyBytes ?? 1 << 20;
    if (Number(req.headers['content-length'] ?? 0) > max) return refuse(413, 'too-large');
    const body = await readBody(req, max);
    if (!body.ok) return body.why === 'too-large' ? refuse(413, 'too-large') : undefined;
    let update: unknown;
    try {
      update = JSON.parse(body.body.toString('utf8'));
    } catch {
      return refuse(400, 'bad-request');
    }
    if (!update || typeof update !== 'object' || typeof (update as Update).update_id !== 'number') return refuse(400, 'bad-request');
    let unauthorized = false;
    await callback(
      update,
      (json: string) => res.writeHead(200, { 'content-type': 'application/json' }).end(json),
      given,
      () => {
        unauthorized = true;
      },
    );
    if (unauthorized) return refuse(401, 'bad-secret');
    if (!res.headersSent) res.writeHead(200).end();
  }

  /** grammY middleware: queue the update behind its chat's earlier ones, and return at once so the next one is taken. */
  #receive(update: Update): void {
    if (this.#seen.has(update.update_id)) return;
    this.#seen.add(update.update_id);
    if (this.#seen.size > SEEN_UPDATES) this.#seen.delete(this.#seen.values().next().value!);
    const receivedAt = Date.now();
    if (update.callback_query) {
      this.#track(this.#pressed(update.callback_query, receivedAt));
      return;
    }
    const m = update.message;
    if (!m) return;
    this.#enqueue(String(m.chat.id), () => this.#command(m, receivedAt));
  }

  #enqueue(chat: string, task: () => Promise<void>): void {
    const q = this.#queues.get(chat) ?? { tail: Promise.resolve(), pending: 0 };
    const max = this.#opts.maxQueuedPerChat ?? 20;
    if (q.pending >= max) {
      this.#log.warn({ chat, pending: q.pending }, 'telegram: too many commands waiting in this chat; dropping one');
      return;
    }
    q.pending++;
    q.tail = q.tail
      .then(task)
      .catch((err: unknown) => this.#log.error({ chat, err: this.#safe(err) }, 'telegram: command failed'))
      .finally(() => {
        q.pending--;
        if (q.pending === 0 && this.#queues.get(chat) === q) this.#queues.delete(chat);
      });
    this.#queues.set(chat, q);
    this.#track(q.tail);
  }

  #track(p: Promise<void>): void {
    const tracked = p.catch((err: unknown) => this.#log.error({ err: this.#safe(err) }, 'telegram: update failed'));
    this.#inflight.add(tracked);
    void tracked.finally(() => this.#inflight.delete(tracked));
  }

  async #command(m: Message, receivedAt: number): Promise<void> {
    // no `from`, or a sender_chat (a channel, an anonymous group admin): nobody to map to an identity
    // a forwarded message is someone else's words, not a command typed here
    if (!m.from || m.from.is_bot || m.sender_chat || m.forward_origin || typeof m.text !== 'string') return;
    const text = this.#commandText(m.text, m.chat.type === 'private');
    if (text === undefined) return;
    const msg: ChatMessage = {
      platform: 'telegram',
      user: chatUser(m.from),
      channel: String(m.chat.id),
      thread: String(m.message_id),
      text,
      receivedAt,
    };
    const reply = await this.#handler!.handle(msg, this.#signal);
    if (reply) this.#posted(msg.channel, reply, await this.#post({ chatId: m.chat.id, replyTo: m.message_id, ...(m.is_topic_message && m.message_thread_id !== undefined ? { threadId: m.message_thread_id } : {}) }, reply));
  }

  #posted(channel: string, reply: ChatReply, id: number | undefined): void {
    if (reply.requestId && id !== undefined) this.#handler?.posted?.(reply, { platform: 'telegram', channel, messageRef: String(id) });
  }

  async notify(to: MessageTarget, reply: ChatReply): Promise<void> {
    const chatId = Number(to.channel);
    const ref = Number(to.messageRef);
    const thread = Number(to.thread);
    if (!Number.isSafeInteger(chatId)) return;
    const id = await this.#post({ chatId, ...(Number.isSafeInteger(thread) ? { replyTo: thread } : {}), ...(Number.isSafeInteger(ref) ? { edit: ref } : {}) }, reply);
    this.#posted(to.channel, reply, id);
  }

  /**
   * The command with `/cmd@thisbot`, `/kube` or a leading @mention taken off;
   * undefined when it is not for this bot (a command for another bot, plain
   * talk in a group).
   */
  #commandText(raw: string, direct: boolean): string | undefined {
    const me = (this.#bot.botInfo.username ?? '').toLowerCase();
    const text = raw.trim();
    // Telegram's bot_command: / then 1–32 of [A-Za-z0-9_], optionally @username
    const cmd = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?![A-Za-z0-9_@])/.exec(text);
    if (cmd) {
      if (cmd[2] !== undefined && cmd[2].toLowerCase() !== me) return undefined;
      const rest = text.slice(cmd[0].length);
      const name = cmd[1].toLowerCase();
      if (name === 'kube') return rest.trim();
      // what Telegram sends when someone opens a chat with the bot
      if (name === 'start') return 'help';
      return (cmd[1] + rest).trim();
    }
    const mention = /^@([A-Za-z0-9_]{1,64})(?![A-Za-z0-9_])/.exec(text);
    if (mention) return mention[1].toLowerCase() === me ? text.slice(mention[0].length).trim() : undefined;
    // in a group, only what is addressed to the bot; in a private chat, everything
    return direct ? text.replace(/^\//, '') : undefined;
  }

  async #pressed(q: NonNullable<Update['callback_query']>, receivedAt: number): Promise<void> {
    const action = this.#decode(q.data);
    // answered at once, whatever follows: the client shows a spinner until then
    const answer = action ? undefined : { text: 'This button has expired: run the command again.', show_alert: true };
    await this.#bot.api.answerCallbackQuery(q.id, answer).catch((err: unknown) => this.#log.warn({ err: this.#safe(err) }, 'telegram: answerCallbackQuery failed'));
    const m = q.message;
    if (!action || !m || q.from.is_bot) return;
    const chat = String(m.chat.id);
    const ev: ChatInteraction = {
      platform: 'telegram',
      user: chatUser(q.from),
      channel: chat,
      thread: String(m.message_id),
      actionId: action.id,
      value: action.value,
      messageRef: String(m.message_id),
      receivedAt,
    };
    const topic = 'is_topic_message' in m && m.is_topic_message && m.message_thread_id !== undefined ? m.message_thread_id : undefined;
    this.#enqueue(chat, async () => {
      const reply = await this.#handler!.interact(ev, this.#signal);
      // a decision supersedes the message its button was on: edit it, so the old buttons go
      if (reply) this.#posted(chat, reply, await this.#post({ chatId: m.chat.id, replyTo: m.message_id, ...(topic !== undefined ? { threadId: topic } : {}), ...(reply.replace ? { edit: m.message_id } : {}) }, reply));
    });
  }

  // ---- buttons

  /** Inline when id and value fit in 64 bytes (a restart keeps such buttons working); else a short key kept in memory. */
  #encode(a: ReplyAction): string {
    const direct = encodeCallbackData(a.id, a.value);
    if (a.id.length > 0 && a.id.length < 100 && !direct.startsWith('~') && Buffer.byteLength(direct) <= 64) return direct;
    const key = '~' + randomBytes(12).toString('base64url');
    this.#keys.set(key, { id: a.id, value: a.value });
    if (this.#keys.size > BUTTON_KEYS) this.#keys.delete(this.#keys.keys().next().value!);
    return key;
  }

  #decode(data: string | undefined): { id: string; value: string } | undefined {
    if (!data) return undefined;
    return data.startsWith('~') ? this.#keys.get(data) : decodeCallbackData(data);
  }

  // ---- replying

  /** Sends a reply (or edits to.edit with it); returns the id of its first message (the one that carries its buttons). */
  async #post(to: Target, reply: ChatReply): Promise<number | undefined> {
    const r = renderTelegramReply(reply, { callbackData: (a) => this.#encode(a), ...(this.#opts.maxMessages ? { maxMessages: this.#opts.maxMessages } : {}) });
    const where = {
      ...(to.replyTo !== undefined ? { reply_parameters: { message_id: to.replyTo, allow_sending_without_reply: true } } : {}),
      ...(to.threadId !== undefined ? { message_thread_id: to.threadId } : {}),
    };
    let first: number | undefined;
    if (to.edit !== undefined && r.messages.length === 1 && r.documents.length === 0) {
      const m = r.messages[0];
      try {
        // no reply_markup: the old buttons go with the old text
        await this.#retrying('editMessageText', () =>
          this.#bot.api.editMessageText(to.chatId, to.edit!, m.text, { parse_mode: m.parse_mode, link_preview_options: { is_disabled: true }, ...(m.reply_markup ? { reply_markup: m.reply_markup } : {}) }),
        );
        return to.edit;
      } catch (err) {
        // too old, deleted, or not ours: the answer still goes out, as a new message
        this.#log.debug({ chat: String(to.chatId), err: this.#safe(err) }, 'telegram: editMessageText failed; sending the reply instead');
      }
    }
    try {
      for (const m of r.messages) {
        const sent = await this.#retrying('sendMessage', () =>
          this.#bot.api.sendMessage(to.chatId, m.text, { parse_mode: m.parse_mode, link_preview_options: { is_disabled: true }, ...where, ...(m.reply_markup ? { reply_markup: m.reply_markup } : {}) }),
        );
        first ??= sent.message_id;
      }
      for (const d of r.documents) {
        await this.#retrying('sendDocument', () =>
          this.#bot.api.sendDocument(to.chatId, new InputFile(d.content, safeFileName(d.name)), {
            ...(d.caption ? { caption: d.caption, parse_mode: d.parse_mode } : {}),
            ...where,
            ...(d.reply_markup ? { reply_markup: d.reply_markup } : {}),
          }),
        );
      }
    } catch (err) {
      // one reply that cannot be sent never stops the others
      this.#log.error({ chat: String(to.chatId), err: this.#safe(err) }, 'telegram: could not send the reply');
    }
    return first;
  }

  /** Retries what Telegram asks to retry (429 with retry_after, 5xx, no answer), a few times. */
  async #retrying<T>(method: string, call: () => Promise<T>, abort?: AbortSignal): Promise<T> {
    let delayMs = 500;
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        const retryAfter = err instanceof GrammyError && err.error_code === 429 ? err.parameters.retry_after : undefined;
        const retryable = err instanceof HttpError || (err instanceof GrammyError && (err.error_code >= 500 || err.error_code === 429));
        if (!retryable || attempt >= SEND_ATTEMPTS || (retryAfter ?? 0) > MAX_RETRY_AFTER_S || abort?.aborted) throw err;
        const wait = retryAfter !== undefined ? retryAfter * 1000 : delayMs;
        this.#log.warn({ method, attempt, retryInMs: wait, err: this.#safe(err) }, 'telegram: call failed; retrying');
        await sleep(wait, abort);
        delayMs *= 2;
      }
    }
  }

  /** An error's message with the token and the webhook secret taken out (grammY's network errors quote the URL). */
  #safe(err: unknown): string {
    let s = err instanceof Error ? err.message : String(err);
    if (err instanceof HttpError) s += `: ${err.error instanceof Error ? err.error.message : String(err.error)}`;
    return redact(s, this.#secrets);
  }

  #startError(method: string, err: unknown): Error {
    const hint =
      err instanceof GrammyError && (err.error_code === 401 || err.error_code === 404)
        ? ' (the bot token is not valid: check tokenFrom)'
        : err instanceof GrammyError && err.error_code === 409
          ? ' (another process polls with this bot token, or a webhook is set)'
          : '';
    const detail = err instanceof GrammyError ? `${err.error_code} ${err.description}` : this.#safe(err);
    return new Error(redact(`telegram: ${method} failed: ${detail}${hint}`, this.#secrets));
  }
}

function chatUser(from: { id: number; username?: string; first_name: string }): ChatUser {
  return { platform: 'telegram', id: String(from.id), name: from.username ?? from.first_name };
}

function parseUrl(s: string): URL | undefined {
  try {
    return new URL(s);
  } catch {
    return undefined;
  }
}

function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:\s]*)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`telegram: webhook.listen must be host:port, e.g. 0.0.0.0:8443 (got "${listen}")`);
  return { host: m[1] ?? m[2] ?? '', port };
}

async function loadTls(tls: TelegramTls): Promise<{ cert: string | Buffer; key: string | Buffer }> {
  if ('cert' in tls) return tls;
  const [cert, key] = await Promise.all([readFile(tls.certFile), readFile(tls.keyFile)]);
  return { cert, key };
}

/** Constant-time comparison of the header with the secret (hashed first, so lengths do not leak either). */
function sameSecret(given: string, secret: string): boolean {
  const h = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(given), h(secret));
}

/** A file name Telegram shows as given: no path, quotes or line breaks (grammY writes it into a multipart header as is). */
function safeFileName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '');
  return clean.slice(0, 100) || 'output.txt';
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
