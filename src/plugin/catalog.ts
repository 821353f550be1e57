// What the plugin host knows about each sink type, from the sink registry:
// its config schema (the same one a `sinks:` entry is checked with), which
// option names a target, and which keys a delivery may never change because
// they carry or direct the plugin's credentials or its signing (each
// descriptor's `plugin`, where the reasons are written).

import type { z } from 'zod';
import { SINK_DESCRIPTORS, type SinkType } from '../sinks/registry.ts';

/** The types a plugin can host: every sink type but `plugin` (a sink that is itself served by a plugin). */
export type PluginSinkType = Exclude<SinkType, 'plugin'>;

export interface SinkTypeInfo {
  /** the `sinks:` entry schema of the type */
  schema: z.ZodType;
  /**
   * The option a DeliverRequest.target sets ("" when the type has no
   * targets): what the type's targetOf names, never a secret.
   */
  targetOption: string;
  /**
   * Keys that decide where the plugin's credentials go, whether and how it
   * signs, or what of its own host it touches: only the plugin's own config
   * sets them. A delivery may repeat the plugin's value but never change it
   * (a Slack token must not be sent to another apiUrl, a webhook's signed
   * body to another URL), and an operator cannot allow them per delivery.
   */
  pinnedKeys: readonly string[];
}

export const SINK_TYPE_INFO = Object.fromEntries(
  SINK_DESCRIPTORS.flatMap((d): [string, SinkTypeInfo][] => (d.plugin ? [[d.type, { schema: d.schema, targetOption: d.plugin.targetOption, pinnedKeys: d.plugin.pinnedKeys }]] : [])),
) as Record<PluginSinkType, SinkTypeInfo>;

export function isPluginSinkType(type: string): type is PluginSinkType {
  return Object.hasOwn(SINK_TYPE_INFO, type);
}

export { KUBEHERALD_ONLY_KEYS } from '../sinks/plugin/config.ts';

/** `tokenFrom`, `urlFrom`, `secretFrom` …: where a credential is read from, always the plugin's own business. */
export function isCredentialKey(key: string): boolean {
  return key.endsWith('From');
}
