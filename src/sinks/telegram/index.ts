// The Telegram sink: one message per notification (or group) to a chat, or
// a forum topic in it; info notifications arrive without a sound.

import { ConfigError } from '../../config-kit/errors.ts';
import type { Notification } from '../../model/notification.ts';
import { readCredential } from '../credential.ts';
import { lifecycle } from '../lifecycle.ts';
import { MemorySinkState } from '../state.ts';
import { type SendOptions, type Sink, type SinkDeps, type SinkGroupInfo } from '../types.ts';
import { classifyTelegramError } from './classify.ts';
import type { TelegramSinkConfig } from './config.ts';
import { type AlertButtonTokens, telegramButtonData } from './buttons.ts';
import { formatTelegram, type TelegramFormatOptions } from './format.ts';
import { type TelegramTarget, telegramTransport } from './send.ts';

export { telegramSinkSchema, type TelegramSinkConfig } from './config.ts';
export { escapeHtml, escapeMarkdownV2, formatTelegram, type TelegramMessage } from './format.ts';

export interface TelegramSinkDeps extends SinkDeps {
  /** overrides timeoutSeconds (tests) */
  timeoutMs?: number;
  /** where buttons too long for Telegram's 64 bytes keep their action behind a token (the state database); without it they are left out */
  buttons?: AlertButtonTokens;
}

export interface TelegramSink extends Sink {
  /**
   * One message for several notifications (the pipeline's grouping). With
   * `group`, updates after the first reply to the group's first message.
   */
  sendGroup(ns: readonly Notification[], group?: SinkGroupInfo, opts?: SendOptions): Promise<void>;
  targetOf(n: Notification): string;
}

// group key → its first message, bounded in memory: an old group's updates just stop quoting it
const MAX_GROUPS = 10_000;

// Bot API tokens are `<bot id>:<secret>`; anything else would only fail later, on every send
const TOKEN_SHAPE = /^[0-9]+:[A-Za-z0-9_-]+$/;

export function createTelegramSink(cfg: TelegramSinkConfig, deps: TelegramSinkDeps = {}): TelegramSink {
  const owner = `telegram sink "${cfg.name}"`;
  const token = readCredential(cfg.tokenFrom, { owner, key: 'tokenFrom', env: deps.env ?? process.env });
  if (!TOKEN_SHAPE.test(token)) {
    throw new ConfigError([{ file: cfg.tokenFrom.env ?? cfg.tokenFrom.file ?? 'config', path: '', message: `${owner} (tokenFrom): does not look like a bot token (digits, ":", then letters, digits, "_" or "-")` }]);
  }
  const transport = telegramTransport({ token, apiRoot: cfg.apiRoot, timeoutMs: deps.timeoutMs ?? cfg.timeoutSeconds * 1000 });
  const target: TelegramTarget = { chatId: cfg.chatId, messageThreadId: cfg.messageThreadId };
  const fopts: TelegramFormatOptions = { parseMode: cfg.parseMode, silentFor: cfg.silentFor, linkTemplate: cfg.linkTemplate, actions: cfg.actions, chatId: String(cfg.chatId) };
  if (cfg.actions && deps.buttons) {
    const onError = (err: Error): void => deps.log?.warn({ sink: cfg.name, err: err.message }, 'telegram: cannot keep an alert button; it is left out');
    fopts.callbackData = telegramButtonData({ tokens: deps.buttons, chatId: String(cfg.chatId), onError });
  }
  const life = lifecycle('telegram', cfg.name);

  // a group's first message id (a storm digest's, edited in place): in the state database when lent one, so it survives a restart
  const state = deps.state ?? new MemorySinkState(MAX_GROUPS);
  const firstOfGroup = {
    get: (key: string): Promise<number | undefined> => state.get<number>(`group:${key}`),
    set: (key: string, id: number): Promise<void> => state.set(`group:${key}`, id),
  };

  /** A replacing update (a storm digest) edits the group's first message; false when there is none to edit any more. */
  const edited = async (input: Notification | readonly Notification[], group: SinkGroupInfo, signal: AbortSignal | undefined): Promise<boolean> => {
    const first = await firstOfGroup.get(group.key);
    if (first === undefined) return false;
    try {
      await transport.edit(target, first, formatTelegram(input, fopts), signal);
      return true;
    } catch (err) {
      const description = String((err as { description?: unknown }).description ?? (err as Error).message ?? '');
      // the same text again is done already; a deleted message gets a new one
      if (/message is not modified/i.test(description)) return true;
      if (/message to edit not found|message can't be edited/i.test(description)) return false;
      throw classifyTelegramError(err, { sink: cfg.name, secrets: [token] });
    }
  };

  const deliver = async (input: Notification | readonly Notification[], group: SinkGroupInfo | undefined, signal: AbortSignal | undefined): Promise<void> => {
    if (group?.replace && group.update > 0 && (await edited(input, group, signal))) return;
    const replyTo = group && group.update > 0 && !group.replace ? await firstOfGroup.get(group.key) : undefined;
    let id: number;
    try {
      id = await transport.send(target, formatTelegram(input, fopts), replyTo, signal);
    } catch (err) {
      throw classifyTelegramError(err, { sink: cfg.name, secrets: [token] });
    }
    if (group && replyTo === undefined) await firstOfGroup.set(group.key, id);
    deps.log?.debug({ sink: cfg.name, messageId: id }, 'telegram: sent');
  };

  return {
    name: cfg.name,
    type: 'telegram',
    send(n, opts) {
      return life.run(() => deliver(n, undefined, opts?.signal));
    },
    sendGroup(ns, group, opts) {
      return life.run(() => (ns.length === 0 ? Promise.resolve() : deliver(ns.length === 1 ? ns[0] : ns, group, opts?.signal)));
    },
    targetOf() {
      return cfg.messageThreadId === undefined ? String(cfg.chatId) : `${cfg.chatId}/${cfg.messageThreadId}`;
    },
    close() {
      return life.close();
    },
  };
}
