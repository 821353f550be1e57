// The sink registry: a sink's config (one entry of `sinks:`) to a running sink.

import type { SinkConfig } from '../config/schema.ts';
import { createConsoleSink } from './console.ts';
import { createDingTalkSink } from './dingtalk/index.ts';
import { createElasticsearchSink } from './elasticsearch/index.ts';
import { createJsonlSink } from './jsonl.ts';
import { createSlackSink } from './slack/index.ts';
import { createTeamsSink } from './teams/index.ts';
import { createTelegramSink } from './telegram/index.ts';
import type { Sink, SinkDeps } from './types.ts';
import { createWebhookSink } from './webhook/index.ts';

export type { Sink, SinkDeps } from './types.ts';
export { SinkError } from './types.ts';

export function createSink(cfg: SinkConfig, deps: SinkDeps = {}): Sink {
  switch (cfg.type) {
    case 'console':
      return createConsoleSink(cfg, deps);
    case 'jsonl':
      return createJsonlSink(cfg, deps);
    case 'slack':
      return createSlackSink(cfg, deps);
    case 'telegram':
      return createTelegramSink(cfg, deps);
    case 'elasticsearch':
      return createElasticsearchSink(cfg, deps);
    case 'teams':
      return createTeamsSink(cfg, deps);
    case 'dingtalk':
      return createDingTalkSink(cfg, deps);
    case 'webhook':
      return createWebhookSink(cfg, deps);
    default: {
      const unknown: never = cfg;
      throw new Error(`unknown sink type ${JSON.stringify((unknown as { type: string }).type)}`);
    }
  }
}
