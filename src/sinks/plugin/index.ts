// A sink served by a plugin process (`kubeherald plugin <type>`, or any
// program serving kubeherald.v1.SinkPlugin): the router finds instances of
// its plugin type and delivers there; credentials live with the plugin, so
// this config carries only what is not secret.

import type { JsonObject } from '@bufbuild/protobuf';
import type { Sink, SinkDeps } from '../types.ts';
import type { PluginSinkConfig } from './config.ts';

export { isCredentialOptionKey, KUBEHERALD_ONLY_KEYS, type PluginSinkConfig, pluginSinkSchema } from './config.ts';

export async function createPluginSink(cfg: PluginSinkConfig, deps: SinkDeps): Promise<Sink> {
  if (!deps.router) throw new Error(`plugin sink "${cfg.name}": no plugin router in this process`);
  const { createRemoteSink } = await import('./remote-sink.ts');
  return createRemoteSink({ name: cfg.name, pluginType: cfg.plugin, target: cfg.target, options: cfg.options as JsonObject, router: deps.router });
}
