// The Mattermost sink type (listed in ../registry.ts): message attachments
// through an incoming webhook.

import { defineSink } from '../descriptor.ts';
import { mattermostSinkSchema } from './config.ts';

export const mattermostSink = defineSink({
  type: 'mattermost',
  schema: mattermostSinkSchema,
  create: async (cfg, deps) => (await import('./index.ts')).createMattermostSink(cfg, deps),
  // no platform limit: a server rate-limits only when its admin turns it on, and then answers 429 with Retry-After
  delivery: { records: false, rateLimits: [], stormThreshold: 20 },
  customResource: {
    target: { required: [], optional: ['channel'] },
    required: ['webhookUrl'],
    optional: [],
    toConfig: ({ base, target, urlRef }) => ({ ...base, urlFrom: urlRef('webhookUrl'), channel: target.channel }),
    docs: { webhookUrl: 'the incoming webhook', channel: "another channel than the webhook's" },
    fieldOf: { urlFrom: 'spec.credentials.webhookUrl', channel: 'spec.target.channel' },
  },
  // the webhook URL is itself the credential (urlFrom); a delivery may name another channel
  plugin: { targetOption: 'channel', pinnedKeys: [] },
  // any event or post would reach people: kubeherald doctor has no harmless call to make
  reach: 'unchecked',
  docs: { title: 'Mattermost', summary: 'message attachments through an incoming webhook, coloured by severity, channel and name overridable' },
});
