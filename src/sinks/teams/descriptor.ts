// The Microsoft Teams sink type (listed in ../registry.ts): Adaptive Cards through a Workflows webhook.

import { defineSink } from '../descriptor.ts';
import { teamsSinkSchema } from './config.ts';

export const teamsSink = defineSink({
  type: 'teams',
  schema: teamsSinkSchema,
  create: async (cfg, deps) => (await import('./index.ts')).createTeamsSink(cfg, deps),
  // incoming webhooks take 4 a second; cards are large, so a storm digest comes sooner
  delivery: { records: false, rateLimits: [{ count: 4, perMs: 1000, scope: 'target' }], stormThreshold: 10 },
  customResource: {
    target: { required: [], optional: [] },
    required: ['webhookUrl'],
    optional: [],
    toConfig: ({ base, urlRef }) => ({ ...base, urlFrom: urlRef('webhookUrl') }),
    docs: { webhookUrl: 'the Workflows webhook' },
    fieldOf: { urlFrom: 'spec.credentials.webhookUrl' },
  },
  // the workflow URL is itself the credential (urlFrom)
  plugin: { targetOption: '', pinnedKeys: [] },
  // every call posts a message someone reads
  reach: 'unchecked',
  docs: { title: 'Microsoft Teams', summary: 'Adaptive Cards posted to a Workflows webhook, with link buttons' },
});
