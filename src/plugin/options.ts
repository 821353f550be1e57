// A delivery's options over the plugin's own config: pure. The plugin's
// config (with its credential references) is the base; a delivery may change
// the non-secret settings and name its target, never where credentials come
// from or go to. Every refusal names the option, so the router's logs say
// what to fix.

import { isDeepStrictEqual } from 'node:util';
import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { z } from 'zod';
import { formatPath, issueMessage } from '../config/errors.ts';
import type { SinkConfig } from '../config/schema.ts';
import { isCredentialKey, KUBEHERALD_ONLY_KEYS, type PluginSinkType, SINK_TYPE_INFO } from './catalog.ts';

export type EffectiveConfig = { ok: true; config: SinkConfig } | { ok: false; message: string };

/**
 * The sink config one delivery runs with: `options` over `base` (top-level
 * keys replace the base's), then `target` as the type's target option, then
 * validated by the type's schema. `base` is the plugin's parsed config.
 */
export function effectiveConfig(type: PluginSinkType, base: SinkConfig, options: JsonObject | undefined, target: string): EffectiveConfig {
  const info = SINK_TYPE_INFO[type];
  const baseRecord = base as unknown as Record<string, unknown>;
  const bound = info.boundKeys(baseRecord);
  const merged: Record<string, unknown> = { ...baseRecord };
  const problems: string[] = [];
  for (const [key, value] of Object.entries(options ?? {})) {
    // the delivery's `sink` names it in logs; the plugin keeps its own name
    if (key === 'name') continue;
    if (key === 'type') {
      if (value !== type) problems.push(`options.type: this plugin serves ${type} sinks, got ${JSON.stringify(value)}`);
      continue;
    }
    if (KUBEHERALD_ONLY_KEYS.includes(key)) {
      problems.push(`options.${key}: retries, rate limits and grouping are set on the sink in kubeherald's config, not per delivery`);
      continue;
    }
    if (isCredentialKey(key)) {
      problems.push(`options.${key}: credentials are read from the plugin's own environment or files, never sent with a delivery`);
      continue;
    }
    if (bound.includes(key) && !isDeepStrictEqual(value, baseRecord[key])) {
      problems.push(`options.${key}: the plugin's credentials or files depend on it, so only the plugin's own config sets it`);
      continue;
    }
    merged[key] = value;
  }
  if (target !== '') {
    if (info.targetOption === '') problems.push(`target ${JSON.stringify(target)}: ${type} sinks have no target option; leave it empty`);
    else merged[info.targetOption] = target;
  }
  if (problems.length > 0) return { ok: false, message: problems.join('; ') };

  const r = info.schema.safeParse(merged, { reportInput: true });
  if (!r.success) {
    // the base was valid alone, so what fails came from the delivery (or from combining it with the base)
    const message = r.error.issues.map((i) => `options.${formatPath(i.path) || '(all)'}: ${issueMessage(i)}`).join('; ');
    return { ok: false, message };
  }
  return { ok: true, config: r.data as SinkConfig };
}

/**
 * JSON Schema (draft 2020-12) of what a delivery's options may set: the
 * type's keys without its name, type, credential references and the keys
 * bound to the plugin's config; each default is the plugin's own value.
 */
export function optionsJsonSchema(type: PluginSinkType, base: SinkConfig): JsonObject {
  const info = SINK_TYPE_INFO[type];
  const baseRecord = base as unknown as Record<string, unknown>;
  const bound = info.boundKeys(baseRecord);
  // input side: what may be written (transforms and refinements are checked by the plugin, not by the schema)
  const full = z.toJSONSchema(info.schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as { properties?: Record<string, JsonObject> };
  const properties: JsonObject = {};
  for (const [key, prop] of Object.entries(full.properties ?? {})) {
    if (key === 'name' || key === 'type' || KUBEHERALD_ONLY_KEYS.includes(key) || isCredentialKey(key) || bound.includes(key)) continue;
    const own = baseRecord[key];
    properties[key] = own === undefined ? prop : { ...prop, default: own as JsonValue };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `kubeherald ${type} plugin: delivery options`,
    type: 'object',
    properties,
    additionalProperties: false,
  };
}
