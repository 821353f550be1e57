// The plugin sink type (listed in ../registry.ts): delivered through instances
// of a sink plugin (docs/plugins.md).

import { defineSink } from '../descriptor.ts';
import { pluginSinkSchema } from './config.ts';

export const pluginSink = defineSink({
  type: 'plugin',
  schema: pluginSinkSchema,
  create: async (cfg, deps) => (await import('./index.ts')).createPluginSink(cfg, deps),
  // a plugin sink keeps its plugin type's defaults (delivery policy resolves by that type); these are a plugin type kubeherald does not know
  delivery: { records: false, rateLimits: [], platformOf: (cfg) => (typeof cfg.plugin === 'string' && cfg.plugin ? cfg.plugin : undefined) },
  customResource: {
    target: { required: [], optional: ['name'] },
    required: [],
    optional: [],
    // no credentials to pass: the plugin reads its own; the router finds its instances by plugin type
    toConfig: ({ base, target, plugin, options }) => ({ ...base, plugin, target: target.name, options }),
    docs: { name: "where in the platform (a channel, a chat), as the plugin's target (default the plugin's own)" },
    fieldOf: { plugin: 'spec.plugin', target: 'spec.target.name', options: 'spec.options' },
    viaPlugin: true,
  },
  docs: { title: 'Plugin', summary: 'delivered through a sink plugin\'s instances over gRPC (any type above, or your own)' },
});
