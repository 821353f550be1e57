// The jsonl sink type (listed in ../registry.ts): every notification a JSON line in a file.

import { defineSink } from '../descriptor.ts';
import { jsonlSinkSchema } from './config.ts';

export const jsonlSink = defineSink({
  type: 'jsonl',
  schema: jsonlSinkSchema,
  create: async (cfg, deps) => (await import('./index.ts')).createJsonlSink(cfg, deps),
  // an archive: every notification on its own
  delivery: { records: true, rateLimits: [] },
  customResource: {
    target: { required: ['path'], optional: [] },
    required: [],
    optional: [],
    toConfig: ({ base, target }) => ({ ...base, path: target.path }),
    docs: { path: 'the file it appends to, inside the kubeherald container' },
    fieldOf: { path: 'spec.target.path' },
    localOutput: true,
  },
  filePaths: ['path'],
  // a file path is the plugin host's file system, not the caller's to choose
  plugin: { targetOption: '', pinnedKeys: ['path'] },
  docs: { title: 'JSON lines', summary: 'every notification a JSON line appended to a file' },
});
