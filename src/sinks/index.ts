// The sink registry: a sink's config (one entry of `sinks:`) to a running sink.

import type { SinkConfig } from '../config/schema.ts';
import type { Sink, SinkDeps } from './types.ts';

export type { Sink, SinkDeps } from './types.ts';
export { SinkError } from './types.ts';

/**
 * Each sink's module (and its platform SDK) is loaded only when a sink of
 * that type is configured: the SDKs together cost tens of MB of memory a
 * console-only deployment should not pay.
 */
export async function createSink(cfg: SinkConfig, deps: SinkDeps = {}): Promise<Sink> {
  switch (cfg.type) {
    case 'console':
      return (await import('./console.ts')).createConsoleSink(cfg, deps);
    case 'jsonl':
      return (await import('./jsonl.ts')).createJsonlSink(cfg, deps);
    case 'slack':
      return (await import('./slack/index.ts')).createSlackSink(cfg, deps);
    case 'telegram':
      return (await import('./telegram/index.ts')).createTelegramSink(cfg, deps);
    case 'elasticsearch':
      return (await import('./elasticsearch/index.ts')).createElasticsearchSink(cfg, deps);
    case 'teams':
      return (await import('./teams/index.ts')).createTeamsSink(cfg, deps);
    case 'dingtalk':
      return (await import('./dingtalk/index.ts')).createDingTalkSink(cfg, deps);
    case 'webhook':
      return (await import('./webhook/index.ts')).createWebhookSink(cfg, deps);
    case 'plugin':
      return (await import('./plugin.ts')).createPluginSink(cfg, deps);
    default: {
      const unknown: never = cfg;
      throw new Error(`unknown sink type ${JSON.stringify((unknown as { type: string }).type)}`);
    }
  }
}
