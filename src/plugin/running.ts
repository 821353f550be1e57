// Starting a sink inside the plugin, and knowing which credential values it
// holds: sinks already keep their own secrets out of their errors, and the
// plugin redacts them once more before any message leaves the process.

import type { SinkConfig } from '../config/schema.ts';
import { createSink as createRealSink } from '../sinks/index.ts';
import { type CredentialRef, readCredential } from '../sinks/credential.ts';
import { sinkDescriptor } from '../sinks/registry.ts';
import type { Sink, SinkDeps } from '../sinks/types.ts';
import { isCredentialKey } from './catalog.ts';
import type { Logger } from '../model/logger.ts';
import type { RunningSink } from './sink-cache.ts';

export type CreateSink = (cfg: SinkConfig, deps: SinkDeps) => Promise<Sink>;

export interface SinkFactoryOptions {
  env: NodeJS.ProcessEnv;
  log: Logger;
  createSink?: CreateSink;
}

/** The values of the credentials `cfg` refers to (those that can be read), for redaction. */
export function credentialValues(cfg: SinkConfig, env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(cfg)) {
    if (!isCredentialKey(key) || value === null || typeof value !== 'object') continue;
    try {
      out.push(readCredential(value as CredentialRef, { owner: cfg.name, key, env }));
    } catch {
      // the sink itself reports a missing credential, by name
    }
  }
  // what else the type reads from the environment (the webhook's ${NAME} in header values)
  out.push(...(sinkDescriptor(cfg.type)?.extraSecrets?.(cfg, env) ?? []));
  // the longest first, so a secret containing another is replaced whole
  return out.sort((a, b) => b.length - a.length);
}

export function sinkFactory(opts: SinkFactoryOptions): (cfg: SinkConfig) => Promise<RunningSink> {
  const create = opts.createSink ?? createRealSink;
  return async (cfg) => {
    // sinks that log (slack, elasticsearch) take the plugin's logger
    const deps: SinkDeps & { log: Logger } = { env: opts.env, log: opts.log };
    const sink = await create(cfg, deps);
    return { sink, secrets: credentialValues(cfg, opts.env) };
  };
}
