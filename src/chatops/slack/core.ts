// What Slack's two transports share once a request is in: reading Slack's
// payloads (app mentions, direct messages, slash commands, block_actions)
// into ChatMessage/ChatInteraction, the chat user (with the e-mail Slack
// verified, when the identity mapping asks for it), posting the rendered reply
// (message, then any file through files.uploadV2), event-id de-duplication of
// Slack's retries, and keeping track of replies in flight so stop() can wait
// for them. Socket Mode and HTTP differ only in how a payload arrives and is
// acknowledged.

import { type Logger as SlackLogger, LogLevel, WebClient } from '@slack/web-api';
import type { Logger } from '../../model/logger.ts';
import type { ChatHandler, ChatInteraction, ChatMessage, ChatReply, ChatUser } from '../types.ts';
import { renderSlackReply, type RenderOptions, type SlackMessage } from './render.ts';

/** How long a verified e-mail is trusted before users.info is asked again. */
const EMAIL_TTL_MS = 10 * 60_000;
const USER_CACHE_MAX = 10_000;
/** Slack retries an event for about an hour at most; an id seen within that is a retry. */
const EVENT_TTL_MS = 60 * 60_000;
const EVENT_CACHE_MAX = 50_000;

export interface SlackCoreOptions {
  botToken: string;
  apiUrl: string;
  slashCommand: string;
  resolveEmail?: boolean;
  log: Logger;
}

/** Where a reply goes and how it is shown. */
export interface ReplyTarget {
  channel: string;
  thread?: string;
  /** a slash command: mention who ran what; an `invalid` reply goes to that user alone */
  slash?: { user: string; command: string; responseUrl?: string };
  /** the ts of a message this reply replaces (chat.update), when the reply says `replace` */
  update?: string;
}

/** A command read from a Slack payload, with where its reply goes. */
export interface IncomingCommand {
  msg: ChatMessage;
  target: ReplyTarget;
}

export interface IncomingAction {
  ev: ChatInteraction;
  target: ReplyTarget;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The SDK's lines go to ours: its debug output carries whole payloads (a slash command's verification token among them), so it is dropped. */
export function sdkLogger(log: Logger): SlackLogger {
  const fwd = (level: 'debug' | 'warn') => (...msg: unknown[]) => log[level]({ sdk: '@slack' }, msg.map(String).join(' '));
  return {
    debug: () => undefined,
    info: fwd('debug'),
    warn: fwd('warn'),
    error: fwd('warn'),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}

/** The Web API base URL with the trailing slash WebClient concatenates method names to. */
export function apiBase(url: string): string {
  return url.endsWith('/') ? url : url + '/';
}

/** Event ids seen recently: Slack redelivers an event it thinks was not acknowledged, and a command must not run twice. */
export class RecentIds {
  #seen = new Map<string, number>();

  /** True the first time an id is seen (within the hour). */
  first(id: string, now = Date.now()): boolean {
    for (const [k, at] of this.#seen) {
      if (now - at < EVENT_TTL_MS && this.#seen.size < EVENT_CACHE_MAX) break;
      this.#seen.delete(k);
    }
    if (this.#seen.has(id)) return false;
    this.#seen.set(id, now);
    return true;
  }
}

/**
 * Slack's message text escapes &, < and > and wraps links and channel
 * references in <…>; a command is read from what the user typed, so links
 * become their label and the entities plain characters again.
 */
export function commandText(raw: string, botUserId?: string): string {
  let t = raw;
  // the bot's own mention, wherever it is (`@kubeherald pods`, `pods -n demo @kubeherald`)
  t = botUserId ? t.replace(new RegExp(`<@${botUserId}(?:\\|[^>]*)?>`, 'g'), ' ') : t.replace(/^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>/, ' ');
  t = t.replace(/<#[CGD][A-Z0-9]+\|([^>]*)>/g, '#$1');
  t = t.replace(/<((?:https?|mailto):[^>|]*)\|([^>]*)>/g, '$2');
  t = t.replace(/<((?:https?|mailto):[^>|]*)>/g, '$1');
  t = t.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  // Slack's clients turn a pasted space into a no-break space now and then
  return t.replace(/\u00a0/g, ' ').trim();
}

interface UserInfo {
  at: number;
  name?: string;
  email?: string;
}

/** The Slack half both adapters drive: turn payloads into commands, run them, post replies. */
export class SlackCore {
  readonly web: WebClient;
  readonly log: Logger;
  botUserId = '';
  #o: SlackCoreOptions;
  #users = new Map<string, UserInfo>();
  #lookups = new Map<string, Promise<UserInfo>>();
  #inflight = new Set<Promise<void>>();
  readonly events = new RecentIds();

  constructor(o: SlackCoreOptions) {
    if (!/^xox[bp]-/.test(o.botToken)) throw new Error('slack: botToken: expected a bot token (xoxb-…)');
    this.#o = o;
    this.log = o.log;
    this.web = new WebClient(o.botToken, {
      slackApiUrl: apiBase(o.apiUrl),
      logger: sdkLogger(o.log),
      timeout: 30_000,
      // a reply is worth a few retries (Slack's 5xx, a dropped connection); the SDK waits out a 429's Retry-After itself
      retryConfig: { retries: 3, factor: 2, minTimeout: 200, maxTimeout: 5_000 },
    });
  }

  /** Learns the bot's own user id (to strip its mention and ignore its own messages); a bad token fails here, clearly. */
  async init(): Promise<void> {
    try {
      const res = await this.web.auth.test();
      this.botUserId = String(res.user_id ?? '');
    } catch (err) {
      throw new Error(`slack: the bot token was refused by auth.test: ${slackError(err)}`);
    }
  }

  /** Runs work that must finish before stop() returns. */
  track(work: Promise<void>): void {
    const p = work.catch((err) => this.log.error({ err: slackError(err) }, 'slack command failed'));
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  async drain(): Promise<void> {
    while (this.#inflight.size) await Promise.allSettled([...this.#inflight]);
  }

  /** An event from the Events API (either transport): a command, or undefined for everything not addressed to the bot. */
  fromEvent(event: unknown, receivedAt: number): IncomingCommand | undefined {
    if (!isObj(event)) return undefined;
    const user = str(event.user);
    const channel = str(event.channel);
    const text = typeof event.text === 'string' ? event.text : undefined;
    const ts = str(event.ts);
    if (!user || !channel || text === undefined || !ts) return undefined;
    // never answer ourselves or another bot (two bots could talk forever)
    if (event.bot_id !== undefined || user === this.botUserId) return undefined;
    const threadTs = str(event.thread_ts);
    if (event.type === 'app_mention') {
      // a mention in a direct message also arrives as message.im; that one answers
      if (channel.startsWith('D')) return undefined;
      return this.#command(user, undefined, channel, threadTs ?? ts, commandText(text, this.botUserId), receivedAt, { channel, thread: threadTs ?? ts });
    }
    if (event.type === 'message' && event.channel_type === 'im') {
      // edits, deletions, joins, bot posts: not commands
      if (event.subtype !== undefined) return undefined;
      return this.#command(user, undefined, channel, threadTs, commandText(text, this.botUserId), receivedAt, { channel, ...(threadTs ? { thread: threadTs } : {}) });
    }
    return undefined;
  }

  /** A slash command payload (form fields as Slack sends them). */
  fromSlashCommand(body: Obj, receivedAt: number): IncomingCommand | undefined {
    const command = str(body.command);
    const user = str(body.user_id);
    const channel = str(body.channel_id);
    if (command !== this.#o.slashCommand || !user || !channel) return undefined;
    const raw = typeof body.text === 'string' ? body.text : '';
    const responseUrl = str(body.response_url);
    return this.#command(user, str(body.user_name), channel, undefined, commandText(raw), receivedAt, {
      channel,
      slash: { user, command: `${command} ${raw}`.trim(), ...(responseUrl ? { responseUrl } : {}) },
    });
  }

  /** A block_actions payload: one interaction per pressed button (Slack sends one). */
  fromBlockActions(payload: Obj, receivedAt: number): IncomingAction[] {
    if (payload.type !== 'block_actions' || !isObj(payload.user) || !Array.isArray(payload.actions)) return [];
    const user = str(payload.user.id);
    const container = isObj(payload.container) ? payload.container : {};
    const message = isObj(payload.message) ? payload.message : {};
    const channel = str(isObj(payload.channel) ? payload.channel.id : undefined) ?? str(container.channel_id);
    if (!user || !channel) return [];
    const messageTs = str(container.message_ts) ?? str(message.ts);
    // the answer follows the button's message in its thread (an ephemeral message has none)
    const thread = container.is_ephemeral === true ? undefined : (str(message.thread_ts) ?? messageTs);
    const name = str(payload.user.username) ?? str(payload.user.name);
    const out: IncomingAction[] = [];
    for (const a of payload.actions) {
      if (!isObj(a) || !str(a.action_id)) continue;
      const ev: ChatInteraction = {
        platform: 'slack',
        user: { platform: 'slack', id: user, ...(name ? { name } : {}) },
        channel,
        ...(thread ? { thread } : {}),
        actionId: String(a.action_id),
        value: typeof a.value === 'string' ? a.value : '',
        ...(messageTs ? { messageRef: messageTs } : {}),
        receivedAt,
      };
      out.push({ ev, target: { channel, ...(thread ? { thread } : {}) } });
    }
    return out;
  }

  #command(user: string, name: string | undefined, channel: string, thread: string | undefined, text: string, receivedAt: number, target: ReplyTarget): IncomingCommand {
    const msg: ChatMessage = {
      platform: 'slack',
      user: { platform: 'slack', id: user, ...(name ? { name } : {}) },
      channel,
      ...(thread ? { thread } : {}),
      text,
      receivedAt,
    };
    return { msg, target };
  }

  /** Fills in the name and verified e-mail from users.info when the identity mapping matches by e-mail. */
  async withIdentity(u: ChatUser): Promise<ChatUser> {
    if (!this.#o.resolveEmail) return u;
    const info = await this.#userInfo(u.id);
    return { ...u, ...(u.name === undefined && info.name ? { name: info.name } : {}), ...(info.email ? { email: info.email } : {}) };
  }

  async #userInfo(id: string): Promise<UserInfo> {
    const cached = this.#users.get(id);
    if (cached && Date.now() - cached.at < EMAIL_TTL_MS) return cached;
    const pending = this.#lookups.get(id);
    if (pending) return pending;
    const lookup = (async (): Promise<UserInfo> => {
      try {
        const res = await this.web.users.info({ user: id });
        const u = res.user;
        const email = u && !u.deleted && !u.is_bot && u.is_email_confirmed !== false ? str(u.profile?.email) : undefined;
        const name = str(u?.profile?.display_name) ?? str(u?.real_name) ?? str(u?.name);
        const info: UserInfo = { at: Date.now(), ...(name ? { name } : {}), ...(email ? { email } : {}) };
        if (this.#users.size >= USER_CACHE_MAX) this.#users.delete(this.#users.keys().next().value as string);
        this.#users.set(id, info);
        return info;
      } catch (err) {
        // without the e-mail an identity mapped by e-mail does not match: the user is treated as unmapped, which is the safe side
        this.log.warn({ user: id, err: slackError(err) }, 'users.info failed; the command runs without the verified e-mail');
        return { at: Date.now() };
      } finally {
        this.#lookups.delete(id);
      }
    })();
    this.#lookups.set(id, lookup);
    return lookup;
  }

  /** Runs a command through the handler and posts the reply. */
  async runCommand(handler: ChatHandler, cmd: IncomingCommand, signal?: AbortSignal): Promise<void> {
    const msg = { ...cmd.msg, user: await this.withIdentity(cmd.msg.user) };
    let reply: ChatReply | undefined;
    try {
      reply = await handler.handle(msg, signal);
    } catch (err) {
      this.log.error({ err: (err as Error).message, channel: msg.channel, user: msg.user.id }, 'chat command handler failed');
      reply = failed();
    }
    if (reply) this.#posted(handler, msg.channel, reply, await this.post(cmd.target, reply));
  }

  #posted(handler: ChatHandler, channel: string, reply: ChatReply, ts: string | undefined): void {
    if (reply.requestId && ts) handler.posted?.(reply, { platform: 'slack', channel, messageRef: ts });
  }

  async runAction(handler: ChatHandler, act: IncomingAction, signal?: AbortSignal): Promise<void> {
    const ev = { ...act.ev, user: await this.withIdentity(act.ev.user) };
    let reply: ChatReply | undefined;
    try {
      reply = await handler.interact(ev, signal);
    } catch (err) {
      this.log.error({ err: (err as Error).message, channel: ev.channel, user: ev.user.id, action: ev.actionId }, 'chat interaction handler failed');
      reply = failed();
    }
    // a decision supersedes the message its button was on: edit it, so the old buttons go
    if (reply) this.#posted(handler, ev.channel, reply, await this.post({ ...act.target, ...(reply.replace && ev.messageRef ? { update: ev.messageRef } : {}) }, reply));
  }

  /** Posts a reply (or, with target.update and a replacing reply, edits that message): the message, then its files in the same channel and thread. Returns the message's ts when Slack gave one. */
  async post(target: ReplyTarget, reply: ChatReply): Promise<string | undefined> {
    const opts: RenderOptions = target.slash ? { mentionUser: target.slash.user, command: target.slash.command } : {};
    const m = renderSlackReply(reply, opts);
    if (target.update && reply.replace && m.files.length === 0) {
      try {
        await this.web.chat.update({ channel: target.channel, ts: target.update, text: m.text, blocks: m.blocks });
        return target.update;
      } catch (err) {
        // gone or too old to edit: the answer still goes out, as a new message
        this.log.debug({ err: slackError(err), channel: target.channel }, 'chat.update failed; posting the reply instead');
      }
    }
    if (target.slash && reply.status === 'invalid' && m.files.length === 0) {
      // a typo is the typist's business: usage goes to them alone, not the whole channel
      try {
        await this.web.chat.postEphemeral({ channel: target.channel, user: target.slash.user, text: m.text, blocks: m.blocks });
        return undefined;
      } catch (err) {
        this.log.debug({ err: slackError(err) }, 'chat.postEphemeral failed; posting the reply in the channel');
      }
    }
    let ts: string | undefined;
    try {
      const res = await this.web.chat.postMessage({
        channel: target.channel,
        text: m.text,
        blocks: m.blocks,
        unfurl_links: false,
        unfurl_media: false,
        ...(target.thread ? { thread_ts: target.thread } : {}),
      });
      ts = typeof res.ts === 'string' ? res.ts : undefined;
    } catch (err) {
      const code = slackError(err);
      // a slash command works in channels the bot was never invited to; its response_url still reaches them
      if (target.slash?.responseUrl && (code === 'not_in_channel' || code === 'channel_not_found') && (await this.#respond(target.slash.responseUrl, m))) return undefined;
      throw new Error(`chat.postMessage to ${target.channel}: ${code}`);
    }
    await this.#upload(target, m);
    return ts;
  }

  async #upload(target: ReplyTarget, m: SlackMessage): Promise<void> {
    if (!m.files.length) return;
    try {
      await this.web.filesUploadV2({
        channel_id: target.channel,
        ...(target.thread ? { thread_ts: target.thread } : {}),
        file_uploads: m.files.map((f) => ({ content: f.content, filename: f.name, title: f.name })),
      });
    } catch (err) {
      const code = slackError(err);
      this.log.warn({ err: code, channel: target.channel, files: m.files.map((f) => f.name) }, 'files.uploadV2 failed');
      // the message promised a file: say it did not come rather than leave people looking for it
      await this.web.chat.postMessage({
        channel: target.channel,
        text: `The attachment ${m.files.map((f) => f.name).join(', ')} could not be uploaded (${code}).`,
        ...(target.thread ? { thread_ts: target.thread } : {}),
      });
    }
  }

  /** Posts through a slash command's response_url; only to Slack itself (or the configured API host, for tests and proxies). */
  async #respond(url: string, m: SlackMessage): Promise<boolean> {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return false;
    }
    const api = new URL(apiBase(this.#o.apiUrl));
    const slackHost = u.protocol === 'https:' && (u.hostname === 'slack.com' || u.hostname.endsWith('.slack.com'));
    if (!slackHost && u.origin !== api.origin) return false;
    const blocks = [...m.blocks];
    if (m.files.length) {
      const note = `${m.files.map((f) => f.name).join(', ')} could not be attached: files need the bot in the channel (invite it).`;
      // only when Slack's 50 blocks leave room; the message itself matters more
      if (blocks.length < 50) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: note }] });
    }
    const res = await fetch(u, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'in_channel', text: m.text, blocks }),
      signal: AbortSignal.timeout(30_000),
    });
    await res.body?.cancel();
    return res.ok;
  }
}

function failed(): ChatReply {
  return { status: 'error', title: 'kubeherald could not run that command', blocks: [{ kind: 'text', text: 'Something went wrong on our side; the details are in kubeherald’s log.' }] };
}

/** Slack's error code (`channel_not_found`) or the message; never a request (which would carry the token). */
export function slackError(err: unknown): string {
  const data = (err as { data?: { error?: unknown } } | undefined)?.data;
  if (data && typeof data.error === 'string') return data.error;
  return err instanceof Error ? err.message : String(err);
}
