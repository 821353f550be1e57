// A delivery's options over the plugin's own config: pure. The plugin's
// config (with its credential references) is the base, and its operator
// decides what a delivery may choose: `allow.options` lists the settings a
// delivery may change, `allow.targets` the targets it may name (any when
// left out). Where credentials come from, where they and signed bodies go,
// and whether bodies are signed are never a delivery's to choose, whatever
// the list says. Every refusal names the option, so the router's logs say
// what to fix.

import { isDeepStrictEqual } from 'node:util';
import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { z } from 'zod';
import { formatPath, issueMessage } from '../config-kit/errors.ts';
import type { SinkConfig } from '../config/schema.ts';
import { isCredentialKey, KUBEHERALD_ONLY_KEYS, type PluginSinkType, SINK_TYPE_INFO } from './catalog.ts';

/** What the plugin's operator lets a delivery choose (the plugin config's `allow:`). */
export interface DeliveryAllowList {
  /** settings a delivery may change, each to any value the type's schema takes */
  options: readonly string[];
  /** targets a delivery may name besides the plugin's own; undefined: any */
  targets?: readonly string[];
}

/** Nothing but the target: the default when the plugin's config has no `allow:`. */
export const ALLOW_NOTHING: DeliveryAllowList = { options: [] };

export type EffectiveConfig = { ok: true; config: SinkConfig } | { ok: false; message: string };

const inputKeysCache = new Map<PluginSinkType, Record<string, JsonObject>>();

/** The keys a `sinks:` entry of `type` may hold, with their JSON Schema (input side). */
function inputProperties(type: PluginSinkType): Record<string, JsonObject> {
  let props = inputKeysCache.get(type);
  if (!props) {
    const full = z.toJSONSchema(SINK_TYPE_INFO[type].schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as { properties?: Record<string, JsonObject> };
    props = full.properties ?? {};
    inputKeysCache.set(type, props);
  }
  return props;
}

/** Why `key` may never be chosen by a delivery, or undefined when an operator may allow it. */
function neverAllowed(type: PluginSinkType, key: string): string | undefined {
  if (key === 'name' || key === 'type') return 'the plugin keeps its own name and type';
  if (KUBEHERALD_ONLY_KEYS.includes(key)) return "retries, rate limits and grouping are set on the sink in kubeherald's config, not per delivery";
  if (isCredentialKey(key)) return "credentials are read from the plugin's own environment or files, never chosen by a delivery";
  if (SINK_TYPE_INFO[type].pinnedKeys.includes(key)) return "where the plugin's credentials and signed messages go, and whether they are signed, come from the plugin's own config only";
  return undefined;
}

export type AllowListResult = { ok: true; allow: DeliveryAllowList } | { ok: false; problems: { path: (string | number)[]; message: string }[] };

/** Checks a plugin config's `allow:` (as written); undefined or null is ALLOW_NOTHING. */
export function parseAllowList(type: PluginSinkType, raw: unknown): AllowListResult {
  if (raw === undefined || raw === null) return { ok: true, allow: ALLOW_NOTHING };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, problems: [{ path: [], message: 'expected a mapping with options (a list of setting names) and targets (a list)' }] };
  const problems: { path: (string | number)[]; message: string }[] = [];
  const given = raw as Record<string, unknown>;
  for (const k of Object.keys(given)) if (k !== 'options' && k !== 'targets') problems.push({ path: [k], message: 'unknown key: allow takes options and targets' });
  const options: string[] = [];
  if (given.options !== undefined && given.options !== null) {
    if (!Array.isArray(given.options)) problems.push({ path: ['options'], message: 'expected a list of setting names, e.g. [template, threads]' });
    else {
      const known = inputProperties(type);
      given.options.forEach((k: unknown, i) => {
        if (typeof k !== 'string') return problems.push({ path: ['options', i], message: 'expected a setting name' });
        const never = neverAllowed(type, k);
        if (never) return problems.push({ path: ['options', i], message: `${k} cannot be allowed per delivery: ${never}` });
        if (!Object.hasOwn(known, k)) return problems.push({ path: ['options', i], message: `${type} sinks have no setting ${JSON.stringify(k)} (they have: ${Object.keys(known).filter((n) => !neverAllowed(type, n)).join(', ')})` });
        options.push(k);
      });
    }
  }
  let targets: string[] | undefined;
  if (given.targets !== undefined && given.targets !== null) {
    if (SINK_TYPE_INFO[type].targetOption === '') problems.push({ path: ['targets'], message: `${type} sinks have no target option` });
    else if (!Array.isArray(given.targets)) problems.push({ path: ['targets'], message: 'expected a list of targets' });
    else {
      targets = [];
      given.targets.forEach((t: unknown, i) => {
        if ((typeof t === 'string' && t !== '') || (typeof t === 'number' && Number.isFinite(t))) targets!.push(String(t));
        else problems.push({ path: ['targets', i], message: 'expected a target (a non-empty string or a number)' });
      });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, allow: targets ? { options, targets } : { options } };
}

/**
 * The sink config one delivery runs with: `options` over `base` (top-level
 * keys replace the base's), then `target` as the type's target option, then
 * validated by the type's schema. `base` is the plugin's parsed config;
 * `allow` what its operator lets a delivery choose. An option equal to the
 * plugin's own value changes nothing and is always accepted.
 */
export function effectiveConfig(type: PluginSinkType, base: SinkConfig, options: JsonObject | undefined, target: string, allow: DeliveryAllowList = ALLOW_NOTHING): EffectiveConfig {
  const info = SINK_TYPE_INFO[type];
  const baseRecord = base as unknown as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...baseRecord };
  const problems: string[] = [];
  for (const [key, value] of Object.entries(options ?? {})) {
    // the delivery's `sink` names it in logs; the plugin keeps its own name
    if (key === 'name') continue;
    if (key === 'type') {
      if (value !== type) problems.push(`options.type: this plugin serves ${type} sinks, got ${JSON.stringify(value)}`);
      continue;
    }
    const never = neverAllowed(type, key);
    if (never && !(SINK_TYPE_INFO[type].pinnedKeys.includes(key) && isDeepStrictEqual(value, baseRecord[key]))) {
      problems.push(`options.${key}: ${never}`);
      continue;
    }
    if (!never && !allow.options.includes(key) && !isDeepStrictEqual(value, baseRecord[key])) {
      const allowed = allow.options.length > 0 ? `it allows ${allow.options.join(', ')}` : 'it allows none';
      problems.push(`options.${key}: not allowed by this plugin's config (allow.options; ${allowed})`);
      continue;
    }
    merged[key] = value;
  }
  if (target !== '') {
    if (info.targetOption === '') problems.push(`target ${JSON.stringify(target)}: ${type} sinks have no target option; leave it empty`);
    else if (allow.targets && !allow.targets.includes(target) && String(baseRecord[info.targetOption] ?? '') !== target) {
      problems.push(`target ${JSON.stringify(target)}: not among this plugin's allow.targets (${allow.targets.join(', ') || 'none'})`);
    } else merged[info.targetOption] = target;
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
 * JSON Schema (draft 2020-12) of what a delivery's options may set: only the
 * settings the plugin's operator allowed; each default is the plugin's own
 * value. Allowed targets, when restricted, are listed under
 * x-kubeherald-targets.
 */
export function optionsJsonSchema(type: PluginSinkType, base: SinkConfig, allow: DeliveryAllowList = ALLOW_NOTHING): JsonObject {
  const baseRecord = base as unknown as Record<string, unknown>;
  // input side: what may be written (transforms and refinements are checked by the plugin, not by the schema)
  const full = inputProperties(type);
  const properties: JsonObject = {};
  for (const key of allow.options) {
    const prop = full[key];
    if (!prop || neverAllowed(type, key)) continue;
    const own = baseRecord[key];
    properties[key] = own === undefined ? prop : { ...prop, default: own as JsonValue };
  }
  const out: JsonObject = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `kubeherald ${type} plugin: delivery options`,
    type: 'object',
    properties,
    additionalProperties: false,
  };
  if (allow.targets) out['x-kubeherald-targets'] = [...allow.targets];
  return out;
}
