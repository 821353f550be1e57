// Reading the configuration: YAML file, then environment, then flags, each
// over the one before and over the defaults. Every value is validated where it
// came from, so an error names the file line, the variable or the flag.

import { fileErrorReason, readRegularFile } from '../config-kit/files.ts';
import { configPathProblems } from './paths-check.ts';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { type Document, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { checkConfig } from './check.ts';
import { type ConfigIssue, ConfigError, formatPath, issueMessage } from '../config-kit/errors.ts';
import { type Config, ConfigSchema } from './schema.ts';
import { lineOf } from '../config-kit/yaml-lines.ts';
import { isMemoryPath } from '../store/config.ts';
import { withResolvedPaths } from '../sinks/registry.ts';

/** The command-line flags that override config keys (see docs/config.md). */
export interface ConfigFlags {
  kubeconfig: string;
  context: string;
  clusterName: string;
  namespace: string[];
  excludeNamespace: string[];
  logLevel: string;
}

export interface LoadOptions {
  /** a config file; when absent, $KUBEHERALD_CONFIG; when neither, defaults only */
  file?: string;
  /** default process.env */
  env?: NodeJS.ProcessEnv;
  flags?: Partial<ConfigFlags>;
  /** warnings (a route matching a reason nothing gives …) are errors */
  strict?: boolean;
  /** each warning, when the config is otherwise valid (default: dropped) */
  onWarning?: (issue: ConfigIssue) => void;
}

/** A config as loaded, with what the cross-section checks found (errors and warnings alike). */
export interface ConfigReport {
  config: Config;
  /** the file read, if any */
  file?: string;
  /** the checks' findings in file order; empty when there are none */
  findings: ConfigIssue[];
  /** the line of a key of the file (undefined without a file, or for a key it does not have) */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

type Path = (string | number)[];

/** A value from the environment or a flag, and where it belongs in the config. */
interface Override {
  source: string;
  path: Path;
  value: unknown;
}

interface Parsed {
  raw: unknown;
  issues: ConfigIssue[];
  doc?: Document;
  lines?: LineCounter;
}

const SYNTAX_MESSAGES: Record<string, string> = {
  MULTIPLE_DOCS: 'expected a single YAML document, found several (separated by ---)',
};

/** How deep mappings and lists may nest in a config file: the YAML parser and the schema recurse per level. */
export const MAX_YAML_NESTING = 64;

const TOO_DEEP = `nested too deeply (limit ${MAX_YAML_NESTING})`;

/**
 * The deepest nesting in YAML text and the line it is on, told without
 * parsing (the parser is what overflows): flow brackets outside quotes and
 * comments, plus block levels by indentation and "- " items. An estimate
 * that never undercounts what the parser would build from brackets.
 */
export function yamlNesting(text: string): { depth: number; line: number } {
  let flow = 0;
  let best = { depth: 0, line: 1 };
  const indents: number[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, n) => {
    let i = 0;
    if (flow === 0) {
      const indent = raw.length - raw.trimStart().length;
      if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
      while (indents.length && indents[indents.length - 1] >= indent) indents.pop();
      indents.push(indent);
      i = indent;
      // "- - - x": each dash opens a list
      while (raw.startsWith('- ', i)) {
        indents.push(++i);
        i++;
      }
    }
    let quote: string | undefined;
    for (; i < raw.length; i++) {
      const c = raw[i];
      if (quote) {
        if (quote === '"' && c === '\\') i++;
        else if (c === quote) quote = undefined;
        continue;
      }
      const prev = i === 0 ? ' ' : raw[i - 1];
      if ((c === '"' || c === "'") && /[\s[{,:]/.test(prev)) quote = c;
      else if (c === '#' && /\s/.test(prev)) break;
      else if (c === '[' || c === '{') flow++;
      else if (c === ']' || c === '}') flow = Math.max(0, flow - 1);
      const depth = indents.length + flow;
      if (depth > best.depth) best = { depth, line: n + 1 };
    }
    if (indents.length > best.depth) best = { depth: indents.length, line: n + 1 };
  });
  return best;
}

/** Reads YAML text into plain data; syntax errors become issues with their line. */
function readYaml(text: string, file: string): Parsed {
  const nesting = yamlNesting(text);
  if (nesting.depth > MAX_YAML_NESTING) return { raw: undefined, issues: [{ file, path: '', line: nesting.line, message: `invalid YAML: ${TOO_DEEP}` }] };
  try {
    return readYamlUnchecked(text, file);
  } catch (err) {
    // what the estimate let through and still overflows the parser is said the same way
    if (err instanceof RangeError) return { raw: undefined, issues: [{ file, path: '', message: `invalid YAML: ${TOO_DEEP}` }] };
    throw err;
  }
}

function readYamlUnchecked(text: string, file: string): Parsed {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true });
  const issues: ConfigIssue[] = doc.errors.map((e) => ({
    file,
    path: '',
    line: lines.linePos(e.pos[0]).line,
    message: `invalid YAML: ${SYNTAX_MESSAGES[e.code] ?? (/call stack|stack overflow/i.test(e.message) ? TOO_DEEP : e.message)}`,
  }));
  if (issues.length > 0) return { raw: undefined, issues };
  try {
    // aliases are bounded so a few lines cannot expand into gigabytes
    return { raw: doc.toJS({ maxAliasCount: 100 }), issues, doc, lines };
  } catch (err) {
    return { raw: undefined, issues: [{ file, path: '', message: `invalid YAML: ${err instanceof RangeError ? TOO_DEEP : (err as Error).message}` }] };
  }
}

function schemaIssues(raw: unknown): z.core.$ZodIssue[] {
  const r = ConfigSchema.safeParse(raw, { reportInput: true });
  return r.success ? [] : r.error.issues;
}

function fileIssues(parsed: Parsed, file: string): ConfigIssue[] {
  const issues = schemaIssues(parsed.raw).map((i) => ({
    file,
    path: formatPath(i.path),
    line: parsed.doc && parsed.lines ? lineOf(parsed.doc, parsed.lines, i.path) : undefined,
    message: issueMessage(i),
  }));
  // in file order, as the reader will fix them
  return issues.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
}

/** The checks across sections (src/config/check.ts) as issues at their lines. */
function findingsOf(config: Config, file: string, parsed: Parsed | undefined): ConfigIssue[] {
  return checkConfig(config)
    .map((f) => ({
      file,
      path: formatPath(f.path),
      line: parsed?.doc && parsed.lines ? lineOf(parsed.doc, parsed.lines, f.path) : undefined,
      message: f.message,
      ...(f.severity === 'warning' ? { severity: 'warning' as const } : {}),
    }))
    .sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
}

/**
 * Throws when a finding is an error (every finding is, when strict), with
 * the warnings among them so every problem is told at once; otherwise
 * reports the warnings.
 */
function settle(findings: ConfigIssue[], opts: Pick<LoadOptions, 'strict' | 'onWarning'>): void {
  const all: ConfigIssue[] = opts.strict ? findings.map(({ severity: _s, ...f }) => f) : findings;
  if (all.some((f) => f.severity !== 'warning')) throw new ConfigError(all);
  for (const w of all) opts.onWarning?.(w);
}

/**
 * Parses and validates one config file's text: defaults filled in, every
 * problem reported at once as a ConfigError (warnings too when strict). No
 * environment, flags or path resolution: see loadConfig.
 */
export function parseConfigText(text: string, file: string, opts: Pick<LoadOptions, 'strict' | 'onWarning'> = {}): Config {
  const parsed = readYaml(text, file);
  if (parsed.issues.length > 0) throw new ConfigError(parsed.issues);
  const issues = fileIssues(parsed, file);
  if (issues.length > 0) throw new ConfigError(issues);
  const config = ConfigSchema.parse(parsed.raw);
  settle(findingsOf(config, file, parsed), opts);
  return config;
}

/**
 * The effective configuration: flags over environment over file over
 * defaults. A file named explicitly (or by $KUBEHERALD_CONFIG) must exist.
 * Relative paths in the file (cluster.kubeconfig, state.path, a jsonl sink's
 * path) are relative to the file's directory; `~/` means the home directory;
 * a state.path of ":memory:" stays as it is (in-memory state).
 */
export async function loadConfig(opts: LoadOptions = {}): Promise<Config> {
  const report = await inspectConfig(opts);
  settle(report.findings, opts);
  return report.config;
}

/**
 * loadConfig without judging what the cross-section checks found: the
 * config and every finding with its line, for the commands that show them
 * in their own way (`routes list` shows a route to a missing sink as not in
 * effect). A config its schema refuses still throws a ConfigError.
 */
export async function inspectConfig(opts: LoadOptions = {}): Promise<ConfigReport> {
  const env = opts.env ?? process.env;
  const file = opts.file ?? (env.KUBEHERALD_CONFIG || undefined);
  const issues: ConfigIssue[] = [];
  let raw: unknown;
  let parsed: Parsed | undefined;
  if (file !== undefined) {
    parsed = readYaml(await readConfigFile(file), file);
    issues.push(...parsed.issues);
    if (parsed.issues.length === 0) issues.push(...fileIssues(parsed, file));
    raw = parsed.raw;
  }
  const overrides = [...envOverrides(env), ...flagOverrides(opts.flags ?? {})];
  for (const o of overrides) issues.push(...overrideIssues(o));
  if (issues.length > 0) throw new ConfigError(issues);

  const merged = structuredClone(raw ?? {}) as Record<string, unknown>;
  for (const o of overrides) setIn(merged, o.path, o.value);
  const r = ConfigSchema.safeParse(merged, { reportInput: true });
  // each piece was valid alone; what remains are rules across pieces (e.g. inCluster with a file's kubeconfig)
  if (!r.success) throw new ConfigError(r.error.issues.map((i) => ({ file: sourceOf(i.path, overrides) ?? file ?? 'config', path: formatPath(i.path), message: issueMessage(i) })));
  const doc = parsed?.doc;
  const lines = parsed?.lines;
  const config = file === undefined ? r.data : resolvePaths(r.data, dirname(file), overrides);
  const paths = configPathProblems(config);
  if (paths.length) {
    throw new ConfigError(paths.map((p) => ({ file: sourceOf(p.path, overrides) ?? file ?? 'config', path: formatPath(p.path), line: doc && lines ? lineOf(doc, lines, p.path) : undefined, message: p.message })));
  }
  return {
    config,
    ...(file !== undefined ? { file } : {}),
    findings: findingsOf(r.data, file ?? 'config', parsed),
    lineOf: (path) => (doc && lines ? lineOf(doc, lines, path) : undefined),
  };
}

async function readConfigFile(file: string): Promise<string> {
  try {
    return (await readRegularFile(file)).toString('utf8');
  } catch (err) {
    throw new ConfigError([{ file, path: '', message: `cannot read the config file: ${fileErrorReason(err)}` }]);
  }
}

/** The environment variables kubeherald reads, and the key each sets. */
export const ENV_VARS = {
  KUBEHERALD_CLUSTER_NAME: ['cluster', 'name'],
  KUBEHERALD_KUBECONFIG: ['cluster', 'kubeconfig'],
  KUBEHERALD_CONTEXT: ['cluster', 'context'],
  KUBEHERALD_IN_CLUSTER: ['cluster', 'inCluster'],
  KUBEHERALD_NAMESPACES: ['watch', 'namespaces', 'include'],
  KUBEHERALD_EXCLUDE_NAMESPACES: ['watch', 'namespaces', 'exclude'],
  KUBEHERALD_LOG_LEVEL: ['log', 'level'],
  KUBEHERALD_LOG_FORMAT: ['log', 'format'],
} as const satisfies Record<string, Path>;

const LIST_VARS = new Set(['KUBEHERALD_NAMESPACES', 'KUBEHERALD_EXCLUDE_NAMESPACES']);
const BOOLEAN_VARS = new Set(['KUBEHERALD_IN_CLUSTER']);

// an empty variable counts as unset, as `KEY=` in an env file usually means
function envOverrides(env: NodeJS.ProcessEnv): Override[] {
  const out: Override[] = [];
  for (const [name, path] of Object.entries(ENV_VARS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    out.push({ source: name, path: [...path], value: LIST_VARS.has(name) ? splitList(value) : BOOLEAN_VARS.has(name) ? parseBoolean(value) : value });
  }
  return out;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** true/false/1/0; anything else is left as text for the schema to reject by name. */
function parseBoolean(value: string): boolean | string {
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return value;
}

const FLAGS: Record<keyof ConfigFlags, { flag: string; path: Path }> = {
  clusterName: { flag: '--cluster-name', path: ['cluster', 'name'] },
  kubeconfig: { flag: '--kubeconfig', path: ['cluster', 'kubeconfig'] },
  context: { flag: '--context', path: ['cluster', 'context'] },
  namespace: { flag: '--namespace', path: ['watch', 'namespaces', 'include'] },
  excludeNamespace: { flag: '--exclude-namespace', path: ['watch', 'namespaces', 'exclude'] },
  logLevel: { flag: '--log-level', path: ['log', 'level'] },
};

// a repeatable flag given no times arrives as [] and means "not given"
function flagOverrides(flags: Partial<ConfigFlags>): Override[] {
  const out: Override[] = [];
  for (const [key, { flag, path }] of Object.entries(FLAGS)) {
    const value = flags[key as keyof ConfigFlags];
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    out.push({ source: flag, path, value });
  }
  return out;
}

/** One override validated alone, against defaults everywhere else. */
function overrideIssues(o: Override): ConfigIssue[] {
  const raw: Record<string, unknown> = {};
  setIn(raw, o.path, o.value);
  return schemaIssues(raw).map((i) => ({ file: o.source, path: formatPath(i.path), message: issueMessage(i) }));
}

function setIn(target: Record<string, unknown>, path: Path, value: unknown): void {
  let node = target;
  for (const seg of path.slice(0, -1)) {
    const next = node[seg];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[seg] = {};
    node = node[seg] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

function isPrefix(prefix: readonly PropertyKey[], path: readonly PropertyKey[]): boolean {
  return prefix.length <= path.length && prefix.every((seg, i) => seg === path[i]);
}

/** The flag or variable that set the value at `path` (the last one wins, as it did when merging). */
function sourceOf(path: readonly PropertyKey[], overrides: Override[]): string | undefined {
  return overrides.findLast((o) => isPrefix(o.path, path))?.source;
}

function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}

function resolvePaths(cfg: Config, base: string, overrides: Override[]): Config {
  const fromFile = (p: string, path: Path): string => (sourceOf(path, overrides) ? expandHome(p) : resolve(base, expandHome(p)));
  const kubeconfig = cfg.cluster.kubeconfig ? fromFile(cfg.cluster.kubeconfig, ['cluster', 'kubeconfig']) : '';
  return {
    ...cfg,
    cluster: { ...cfg.cluster, kubeconfig },
    // a kubeconfig Secret mounted beside the config is named relative to it, as cluster.kubeconfig is
    clusters: cfg.clusters.map((c, i) => (c.kubeconfig ? { ...c, kubeconfig: fromFile(c.kubeconfig, ['clusters', i, 'kubeconfig']) } : c)),
    // ":memory:" is not a file name: resolved against the directory it would become one
    state: { ...cfg.state, path: isMemoryPath(cfg.state.path) ? cfg.state.path : fromFile(cfg.state.path, ['state', 'path']) },
    audit: {
      ...cfg.audit,
      tls: {
        certFile: cfg.audit.tls.certFile && resolve(base, expandHome(cfg.audit.tls.certFile)),
        keyFile: cfg.audit.tls.keyFile && resolve(base, expandHome(cfg.audit.tls.keyFile)),
        clientCAFile: cfg.audit.tls.clientCAFile && resolve(base, expandHome(cfg.audit.tls.clientCAFile)),
      },
    },
    sinks: cfg.sinks.map((s) => withResolvedPaths(s, (p) => resolve(base, expandHome(p)))),
  };
}
