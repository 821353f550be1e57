// Every sink type kubeherald knows, one line each: the only list of them.
// What depends on the set of types — the config schema's `sinks:` entries,
// the Sink custom resources, the plugin catalog, the delivery defaults, the
// CLI help and docs/config.md's sink tables — is derived from this list
// (docs/adding-a-sink.md). The order is the order docs and errors list them.

import type { z } from 'zod';
import type { SinkDescriptor, SinkSchema } from './descriptor.ts';
import { consoleSink } from './console/descriptor.ts';
import { dingtalkSink } from './dingtalk/descriptor.ts';
import { elasticsearchSink } from './elasticsearch/descriptor.ts';
import { jsonlSink } from './jsonl/descriptor.ts';
import { mattermostSink } from './mattermost/descriptor.ts';
import { pagerdutySink } from './pagerduty/descriptor.ts';
import { pluginSink } from './plugin/descriptor.ts';
import { slackSink } from './slack/descriptor.ts';
import { teamsSink } from './teams/descriptor.ts';
import { telegramSink } from './telegram/descriptor.ts';
import { webhookSink } from './webhook/descriptor.ts';

export const SINK_DESCRIPTORS = [
  consoleSink,
  jsonlSink,
  slackSink,
  telegramSink,
  elasticsearchSink,
  teamsSink,
  dingtalkSink,
  webhookSink,
  pagerdutySink,
  mattermostSink,
  pluginSink,
] as const;

type Descriptor = (typeof SINK_DESCRIPTORS)[number];

/** One `sinks:` entry, whatever its type. */
export type SinkConfig = z.output<Descriptor['schema']>;
export type SinkType = SinkConfig['type'];

/** The type names, in the registry's order. */
export const SINK_TYPES = SINK_DESCRIPTORS.map((d) => d.type) as [SinkType, ...SinkType[]];

const BY_TYPE = new Map<string, SinkDescriptor>(SINK_DESCRIPTORS.map((d) => [d.type, d as unknown as SinkDescriptor]));

/** The descriptor of a type, or undefined for one kubeherald does not know (a plugin's own type). */
export function sinkDescriptor(type: string): SinkDescriptor | undefined {
  return BY_TYPE.get(type);
}

/**
 * The sink with its type's file paths (descriptor.filePaths) made absolute
 * by `resolvePath`; "-" (stdout) is not a file. The same object when there
 * is nothing to resolve.
 */
export function withResolvedPaths<C extends { type: string }>(cfg: C, resolvePath: (p: string) => string): C {
  const keys = sinkDescriptor(cfg.type)?.filePaths ?? [];
  const rec = cfg as Record<string, unknown>;
  const given = keys.filter((k) => typeof rec[k] === 'string' && rec[k] !== '-');
  if (!given.length) return cfg;
  return { ...cfg, ...Object.fromEntries(given.map((k) => [k, resolvePath(rec[k] as string)])) };
}

/** The type whose platform a sink (a config entry or a Sink's spec) delivers to: a plugin sink's plugin type, else its own. */
export function platformOf(s: { type: string; plugin?: unknown }): string {
  return sinkDescriptor(s.type)?.delivery.platformOf?.(s as Readonly<Record<string, unknown>>) ?? s.type;
}

/** What a config file without `sinks:` gets: one console sink, with its schema's defaults. */
export function defaultSinks(): SinkConfig[] {
  return [consoleSink.schema.parse({ name: 'console', type: 'console' })];
}

/** The `sinks:` entry schemas, for a union discriminated by `type`. */
export function sinkSchemas(): [Descriptor['schema'], ...Descriptor['schema'][]] {
  return SINK_DESCRIPTORS.map((d) => d.schema) as [Descriptor['schema'], ...Descriptor['schema'][]];
}

export type { SinkDescriptor, SinkSchema };
