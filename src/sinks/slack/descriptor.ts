// The Slack sink type (listed in ../registry.ts): a bot token or an incoming webhook.

import { defineSink } from '../descriptor.ts';
import { slackSinkSchema } from './config.ts';

export const slackSink = defineSink({
  type: 'slack',
  schema: slackSinkSchema,
  create: async (cfg, deps) => (await import('./index.ts')).createSlackSink(cfg, deps),
  // about one message a second per channel
  delivery: { records: false, rateLimits: [{ count: 1, perMs: 1000, scope: 'target' }], stormThreshold: 20 },
  customResource: {
    target: { required: [], optional: ['channel'] },
    oneOf: [['token'], ['webhookUrl']],
    required: [],
    optional: [],
    check: ({ target, credentials }) => {
      if (credentials.has('token') && !target.channel) return [{ path: ['target', 'channel'], message: 'required with a bot token: the channel ID (C0123ABCD) or name (#alerts)' }];
      if (credentials.has('webhookUrl') && target.channel) return [{ path: ['target', 'channel'], message: 'not used with webhookUrl: an incoming webhook posts to the channel it was created for' }];
      return [];
    },
    toConfig: ({ base, target, ref, urlRef }) => ({ ...base, tokenFrom: ref('token'), webhookUrlFrom: urlRef('webhookUrl'), channel: target.channel }),
    docs: { channel: 'channel ID (C0123ABCD) or name (#alerts), with a bot token', token: 'the bot token (xoxb-…)', webhookUrl: 'an incoming webhook, instead of a token' },
    fieldOf: { channel: 'spec.target.channel', tokenFrom: 'spec.credentials.token', webhookUrlFrom: 'spec.credentials.webhookUrl' },
  },
  // the bot token goes to apiUrl with every call
  plugin: { targetOption: 'channel', pinnedKeys: ['apiUrl'] },
  reach: async (cfg, ctx) => (await import('./reach.ts')).reachSlack(cfg, ctx),
  docs: { title: 'Slack', summary: 'Block Kit messages through a bot token (threads, updates, buttons) or an incoming webhook' },
});
