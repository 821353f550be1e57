// A sink's config (one entry of `sinks:`) to a running sink, through its
// type's descriptor in the registry.

import { sinkDescriptor, type SinkConfig } from './registry.ts';
import type { Sink, SinkDeps } from './types.ts';

export type { Sink, SinkDeps } from './types.ts';
export { SinkError } from './types.ts';

/**
 * Each sink's module (and its platform SDK) is loaded only when a sink of
 * that type is configured (the descriptor's lazy create): the SDKs together
 * cost tens of MB of memory a console-only deployment should not pay.
 */
export async function createSink(cfg: SinkConfig, deps: SinkDeps = {}): Promise<Sink> {
  const d = sinkDescriptor(cfg.type);
  if (!d) throw new Error(`unknown sink type ${JSON.stringify(cfg.type)}`);
  return d.create(cfg, deps);
}
