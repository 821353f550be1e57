// The plugin's own sink config: the keys of one `sinks:` entry (name
// optional, default the type; type optional, must match), checked by the
// same schema and reported the way the main config is: file, line, key;
// plus `allow:`, what a delivery may choose (src/plugin/options.ts).

import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { type ConfigIssue, ConfigError, formatPath, issueMessage } from '../config-kit/errors.ts';
import type { SinkConfig } from '../config/schema.ts';
import { lineOf } from '../config-kit/yaml-lines.ts';
import { isPluginSinkType, KUBEHERALD_ONLY_KEYS, type PluginSinkType, SINK_TYPE_INFO } from './catalog.ts';
import { type DeliveryAllowList, parseAllowList } from './options.ts';
import { withResolvedPaths } from '../sinks/registry.ts';

/** The type a plugin serves, checked; an Error listing the types otherwise. */
export function pluginType(type: string): PluginSinkType {
  if (!isPluginSinkType(type)) throw new Error(`unknown sink type ${JSON.stringify(type)} (known: ${Object.keys(SINK_TYPE_INFO).join(', ')})`);
  return type;
}

interface Source {
  file: string;
  doc?: Document;
  lines?: LineCounter;
}

/** A plugin's configuration: its sink, and what a delivery may choose. */
export interface PluginSettings {
  sink: SinkConfig;
  allow: DeliveryAllowList;
}

/**
 * One sink entry (as written) validated for `type`, defaults filled in, and
 * its `allow:` list. Throws a ConfigError with every problem, each naming
 * `source` and the key.
 */
export function parsePluginSettings(type: PluginSinkType, raw: unknown, source: Source = { file: 'plugin config' }): PluginSettings {
  const issue = (path: (string | number)[], message: string): ConfigIssue => ({
    file: source.file,
    path: formatPath(path),
    line: source.doc && source.lines ? lineOf(source.doc, source.lines, path) : undefined,
    message,
  });
  const entry = raw === null || raw === undefined ? {} : raw;
  if (typeof entry !== 'object' || Array.isArray(entry)) {
    throw new ConfigError([issue([], 'expected a mapping: the keys of one `sinks:` entry (name optional, type optional)')]);
  }
  const { allow: allowRaw, ...given } = entry as Record<string, unknown>;
  if (given.type !== undefined && given.type !== type) {
    throw new ConfigError([issue(['type'], `this plugin serves ${type} sinks, got ${JSON.stringify(given.type)}; leave type out or write ${type}`)]);
  }
  const own = KUBEHERALD_ONLY_KEYS.filter((k) => given[k] !== undefined);
  if (own.length > 0) {
    throw new ConfigError(own.map((k) => issue([k], "belongs to the plugin sink in kubeherald's config (retries, rate limits and grouping happen there), not to the plugin")));
  }
  const r = SINK_TYPE_INFO[type].schema.safeParse({ name: type, ...given, type }, { reportInput: true });
  const issues = r.success ? [] : r.error.issues.map((i) => issue(i.path as (string | number)[], issueMessage(i)));
  const allow = parseAllowList(type, allowRaw);
  if (!allow.ok) issues.push(...allow.problems.map((p) => issue(['allow', ...p.path], p.message)));
  if (!r.success || !allow.ok) throw new ConfigError(issues.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity)));
  return { sink: r.data as SinkConfig, allow: allow.allow };
}

/** The sink of one plugin config (its `allow:` checked, then left out). */
export function parsePluginConfig(type: PluginSinkType, raw: unknown, source: Source = { file: 'plugin config' }): SinkConfig {
  return parsePluginSettings(type, raw, source).sink;
}

/**
 * Reads a plugin config file (YAML). A relative jsonl `path` is relative to
 * the file's directory, as in the main config.
 */
export async function readPluginConfigFile(type: PluginSinkType, file: string): Promise<SinkConfig> {
  return (await readPluginSettingsFile(type, file)).sink;
}

/** Reads a plugin config file: its sink (relative jsonl path resolved) and its `allow:` list. */
export async function readPluginSettingsFile(type: PluginSinkType, file: string): Promise<PluginSettings> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new ConfigError([{ file, path: '', message: `cannot read the plugin config file: ${why}` }]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => ({ file, path: '', line: lines.linePos(e.pos[0]).line, message: `invalid YAML: ${e.message}` })));
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError([{ file, path: '', message: `invalid YAML: ${(err as Error).message}` }]);
  }
  const settings = parsePluginSettings(type, raw, { file, doc, lines });
  const cfg = settings.sink;
  const sink = withResolvedPaths(cfg, (path) => resolve(dirname(file), path === '~' ? homedir() : path.startsWith('~/') ? join(homedir(), path.slice(2)) : path));
  return sink === cfg ? settings : { ...settings, sink };
}
