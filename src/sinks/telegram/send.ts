// Sending through grammY's Api (the official-style Bot API client) pointed
// at the configured apiRoot. No auto-retry plugin is installed: a 429 comes
// straight back with its retry_after, and the outbox decides when to retry.

import { Api } from 'grammy';
import type { TelegramMessage } from './format.ts';

// grammY types its signal with the abort-controller polyfill's declaration; at run time it takes Node's own
type GrammySignal = Parameters<Api['sendMessage']>[3];

export interface TelegramTarget {
  chatId: number | string;
  messageThreadId?: number;
}

export interface TelegramTransportOptions {
  token: string;
  apiRoot: string;
  timeoutMs: number;
}

export interface TelegramTransport {
  /** Resolves with the message_id Telegram gave the message; `replyTo` quotes an earlier one (if it still exists). `signal` aborts the call. */
  send(target: TelegramTarget, msg: TelegramMessage, replyTo?: number, signal?: AbortSignal): Promise<number>;
  /** Replaces the text (and keyboard) of a message the bot sent (editMessageText). */
  edit(target: TelegramTarget, messageId: number, msg: TelegramMessage, signal?: AbortSignal): Promise<void>;
}

export function telegramTransport(opts: TelegramTransportOptions): TelegramTransport {
  const api = new Api(opts.token, { apiRoot: opts.apiRoot.replace(/\/+$/, ''), timeoutSeconds: opts.timeoutMs / 1000 });
  return {
    async send(target, msg, replyTo, signal) {
      const sent = await api.sendMessage(target.chatId, msg.text, {
        parse_mode: msg.parse_mode,
        disable_notification: msg.disable_notification,
        link_preview_options: msg.link_preview_options,
        ...(msg.reply_markup ? { reply_markup: msg.reply_markup } : {}),
        ...(target.messageThreadId !== undefined ? { message_thread_id: target.messageThreadId } : {}),
        ...(replyTo !== undefined ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {}),
      }, signal as GrammySignal);
      return sent.message_id;
    },
    async edit(target, messageId, msg, signal) {
      await api.editMessageText(target.chatId, messageId, msg.text, {
        parse_mode: msg.parse_mode,
        link_preview_options: msg.link_preview_options,
        ...(msg.reply_markup ? { reply_markup: msg.reply_markup } : {}),
      }, signal as GrammySignal);
    },
  };
}
