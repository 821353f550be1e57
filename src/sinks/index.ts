// The sink registry: a sink's config (one entry of `sinks:`) to a running sink.

import type { SinkConfig } from '../config/schema.ts';
import { createConsoleSink } from './console.ts';
import { createJsonlSink } from './jsonl.ts';
import type { Sink, SinkDeps } from './types.ts';

export type { Sink, SinkDeps } from './types.ts';
export { SinkError } from './types.ts';

export function createSink(cfg: SinkConfig, deps: SinkDeps = {}): Sink {
  switch (cfg.type) {
    case 'console':
      return createConsoleSink(cfg, deps);
    case 'jsonl':
      return createJsonlSink(cfg, deps);
    default: {
      const unknown: never = cfg;
      throw new Error(`unknown sink type ${JSON.stringify((unknown as { type: string }).type)}`);
    }
  }
}
