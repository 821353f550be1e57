// The DingTalk sink type (listed in ../registry.ts): a group's custom robot.

import { defineSink } from '../descriptor.ts';
import { DINGTALK_MAX_PER_MINUTE, dingtalkSinkSchema } from './config.ts';

export const dingtalkSink = defineSink({
  type: 'dingtalk',
  schema: dingtalkSinkSchema,
  create: async (cfg, deps) => (await import('./index.ts')).createDingTalkSink(cfg, deps),
  delivery: {
    records: false,
    // over 20 a minute DingTalk blocks the robot for 10 minutes
    rateLimits: [{ count: DINGTALK_MAX_PER_MINUTE, perMs: 60_000, scope: 'target' }],
    stormThreshold: 10,
  },
  customResource: {
    target: { required: [], optional: [] },
    required: ['webhookUrl'],
    optional: ['signingSecret'],
    toConfig: ({ base, rateLimitPerMinute, ref, urlRef }) => {
      // "unlimited" (0) means the robot's own limit: DingTalk blocks it past 20 a minute
      const perMinute = rateLimitPerMinute ?? 0;
      return { ...base, urlFrom: urlRef('webhookUrl'), secretFrom: ref('signingSecret') ?? null, maxPerMinute: perMinute > 0 ? perMinute : DINGTALK_MAX_PER_MINUTE };
    },
    docs: { webhookUrl: "the robot's webhook", signingSecret: "the robot's signing secret (SEC…)" },
    fieldOf: { urlFrom: 'spec.credentials.webhookUrl', secretFrom: 'spec.credentials.signingSecret', maxPerMinute: 'spec.delivery.rateLimitPerMinute' },
  },
  // the robot URL is itself the credential (urlFrom)
  plugin: { targetOption: '', pinnedKeys: [] },
  // every call posts a message someone reads
  reach: 'unchecked',
  docs: { title: 'DingTalk', summary: 'markdown or text messages from a group\'s custom robot (signed, @-mentions, 20 a minute)' },
});
