// The Telegram sink type (listed in ../registry.ts): a bot's messages to a chat.

import { defineSink } from '../descriptor.ts';
import { telegramSinkSchema } from './config.ts';

export const telegramSink = defineSink({
  type: 'telegram',
  schema: telegramSinkSchema,
  create: async (cfg, deps) => (await import('./index.ts')).createTelegramSink(cfg, deps),
  delivery: {
    records: false,
    // one a second per chat, 20 a minute per group (negative chat ids), 30 a second per bot
    rateLimits: [
      { count: 1, perMs: 1000, scope: 'target' },
      { count: 20, perMs: 60_000, scope: 'target', targets: '^-' },
      { count: 30, perMs: 1000, scope: 'sink' },
    ],
    stormThreshold: 20,
  },
  customResource: {
    target: { required: ['chatId'], optional: ['messageThreadId'] },
    required: ['token'],
    optional: [],
    toConfig: ({ base, target, ref }) => ({ ...base, tokenFrom: ref('token'), chatId: target.chatId, messageThreadId: target.messageThreadId }),
    docs: { chatId: 'chat ID (-1001234567890) or @channelname', messageThreadId: 'a forum topic', token: 'the bot token' },
    fieldOf: { chatId: 'spec.target.chatId', messageThreadId: 'spec.target.messageThreadId', tokenFrom: 'spec.credentials.token' },
  },
  plugin: { targetOption: 'chatId', pinnedKeys: ['apiRoot'] },
  reach: async (cfg, ctx) => (await import('./reach.ts')).reachTelegram(cfg, ctx),
  // buttons whose action does not fit 64 bytes of callback_data keep it behind a token
  state: ['alertButtons'],
  docs: { title: 'Telegram', summary: 'HTML messages from a bot to a chat or forum topic, with inline buttons' },
});
