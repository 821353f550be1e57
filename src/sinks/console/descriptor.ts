// The console sink type (listed in ../registry.ts): one line per notification on stdout.

import { consoleSinkSchema } from './config.ts';
import { defineSink } from '../descriptor.ts';

export const consoleSink = defineSink({
  type: 'console',
  schema: consoleSinkSchema,
  create: async (cfg, deps) => (await import('./index.ts')).createConsoleSink(cfg, deps),
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
  docs: { title: 'Console', summary: 'one line per notification on standard output' },
});
