// The console sink type (listed in ../registry.ts): one line per notification on stdout. The sink is ../console.ts.

import { consoleSinkSchema } from '../console.ts';
import { defineSink } from '../descriptor.ts';

export const consoleSink = defineSink({
  type: 'console',
  schema: consoleSinkSchema,
  create: async (cfg, deps) => (await import('../console.ts')).createConsoleSink(cfg, deps),
  // a log: every notification on its own
  delivery: { records: true, rateLimits: [] },
  customResource: {
    target: { required: [], optional: [] },
    required: [],
    optional: [],
    toConfig: ({ base }) => base,
    fieldOf: {},
    localOutput: true,
  },
  plugin: { targetOption: '', pinnedKeys: [] },
  docs: { title: 'console', summary: 'one line per notification on standard output' },
});
