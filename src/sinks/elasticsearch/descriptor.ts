// The Elasticsearch sink type (listed in ../registry.ts): every notification a document in a data stream.

import { defineSink } from '../descriptor.ts';
import { elasticsearchSinkSchema } from './config.ts';

export const elasticsearchSink = defineSink({
  type: 'elasticsearch',
  schema: elasticsearchSinkSchema,
  create: async (cfg, deps) => (await import('./index.ts')).createElasticsearchSink(cfg, deps),
  // an archive: every notification on its own
  delivery: { records: true, rateLimits: [] },
  customResource: {
    target: { required: ['url'], optional: ['index'] },
    oneOf: [[], ['apiKey'], ['username', 'password']],
    required: [],
    optional: [],
    toConfig: ({ base, target, ref }) => ({
      ...base,
      nodes: target.url === undefined ? undefined : [target.url],
      ...(target.index !== undefined ? { dataStream: target.index } : {}),
      apiKeyFrom: ref('apiKey') ?? null,
      usernameFrom: ref('username') ?? null,
      passwordFrom: ref('password') ?? null,
    }),
    docs: { url: 'the node', index: 'the data stream (default kubeherald-events)', apiKey: 'an API key (encoded)', username: 'basic authentication', password: 'basic authentication' },
    fieldOf: { nodes: 'spec.target.url', dataStream: 'spec.target.index', apiKeyFrom: 'spec.credentials.apiKey', usernameFrom: 'spec.credentials.username', passwordFrom: 'spec.credentials.password' },
  },
  // the API key or password goes to every node; caFile is a file of the host and decides whom to trust
  plugin: { targetOption: 'dataStream', pinnedKeys: ['nodes', 'caFile'] },
  reach: async (cfg) => (await import('./reach.ts')).reachElasticsearch(cfg),
  docs: { title: 'Elasticsearch', summary: 'every notification a document in a data stream (bulk, ECS fields)' },
});
