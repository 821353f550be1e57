// `kubeherald routes list` prints the effective routing table (and the routes
// left out of it, with the field at fault); `kubeherald routes test` routes a
// notification — from a file, or made from a live object by the detectors —
// and says which routes matched, which sinks receive it, and why each other
// route did not.

import { readFile } from 'node:fs/promises';
import { fromJson, type JsonValue, toJson } from '@bufbuild/protobuf';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { type Config, ConfigError, formatIssue, loadConfig } from '../config/index.ts';
import { detect, IncidentTracker } from '../detect/index.ts';
import type { KubeObject } from '../model/kube.ts';
import { type Notification, NotificationSchema, Severity, State } from '../model/notification.ts';
import { compileRoutes, configRoutes, configSinks, effectiveRoutes, type KnownSink, type RouteSpec, type RoutingResult, type RoutingTable } from '../rules/index.ts';

export interface RoutesIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}

/** Routes and sinks from somewhere other than the config file (the Route/Sink custom resources). */
export type RouteSource = (ctx: { config: Config; kubeconfig?: string; context?: string }) => Promise<{ routes: RouteSpec[]; sinks: KnownSink[] }>;

export interface RoutesOptions {
  config?: string;
  output?: 'text' | 'json';
  /** more routes and sinks, merged with the config file's */
  sources?: RouteSource[];
  kubeconfig?: string;
  context?: string;
}

interface Effective {
  config: Config;
  table: RoutingTable;
  /** true when no route is configured and the default applies */
  isDefault: boolean;
  /** config route id → its index in `routes:`, to name problem fields as the file has them */
  configIndex: Map<string, number>;
}

async function effectiveTable(opts: RoutesOptions, io: RoutesIo): Promise<Effective> {
  const config = await loadConfig({ file: opts.config, env: io.env ?? process.env });
  const routes = configRoutes(config.routes);
  const sinks = configSinks(config.sinks);
  for (const source of opts.sources ?? []) {
    const extra = await source({ config, kubeconfig: opts.kubeconfig, context: opts.context });
    routes.push(...extra.routes);
    sinks.push(...extra.sinks);
  }
  const effective = effectiveRoutes(routes, sinks);
  return {
    config,
    table: compileRoutes(effective, sinks),
    isDefault: routes.length === 0,
    configIndex: new Map(routes.filter((r) => r.source === 'config').map((r) => [r.id, r.order])),
  };
}

/** A problem's field as the reader finds it: `routes[2].match.cel` in the config file, `spec.match.cel` in a resource. */
function problemField(e: Effective, routeId: string, field: string): string {
  const i = e.configIndex.get(routeId);
  if (i === undefined) return field;
  return field ? `routes[${i}]${field.startsWith('[') ? '' : '.'}${field}` : `routes[${i}]`;
}

/** Text columns, padded to the widest cell; the last column is not padded. */
function columns(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd() + '\n').join('');
}

/** The route's conditions in one line, as the route spells them. */
export function describeMatch(r: RouteSpec): string {
  const parts: string[] = [];
  if (r.source === 'Route' && r.namespace) parts.push(`(namespace ${r.namespace} only)`);
  const m = r.match ?? {};
  const list = (key: string, values: readonly string[] | undefined): void => {
    if (values?.length) parts.push(`${key}=[${values.join(',')}]`);
  };
  list('kinds', m.kinds);
  list('namespaces', m.namespaces);
  list('reasons', m.reasons);
  list('severities', m.severities);
  list('eventTypes', m.eventTypes);
  list('states', m.states);
  list('detectors', m.detectors);
  list('users', m.users);
  const sel = m.labelSelector;
  if (sel) {
    const reqs = [
      ...Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
      ...(sel.matchExpressions ?? []).map((x) => (x.values?.length ? `${x.key} ${x.operator} (${x.values.join(',')})` : `${x.operator === 'DoesNotExist' ? '!' : ''}${x.key}`)),
    ];
    parts.push(`labels{${reqs.join(', ')}}`);
  }
  if (m.cel?.trim()) parts.push(`cel: ${m.cel.trim().replace(/\s+/g, ' ')}`);
  return parts.length ? parts.join(' ') : '(everything)';
}

/** 90 → "90s", 300 → "5m", 7200 → "2h": as a person would write the interval. */
function seconds(n: number): string {
  if (n > 0 && n % 3600 === 0) return `${n / 3600}h`;
  if (n > 0 && n % 60 === 0) return `${n / 60}m`;
  return `${n}s`;
}

/** The route's own grouping in one line ("by=[owner] wait=30s interval=5m"); "" when it has none. */
export function describeGroup(r: RouteSpec): string {
  const g = r.group;
  if (!g) return '';
  const parts: string[] = [];
  // by: [] is a choice (each notification alone), not an omission
  if (g.by) parts.push(g.by.length ? `by=[${g.by.join(',')}]` : 'by=[] (ungrouped)');
  if (g.waitSeconds !== undefined) parts.push(`wait=${seconds(g.waitSeconds)}`);
  if (g.intervalSeconds !== undefined) parts.push(`interval=${seconds(g.intervalSeconds)}`);
  // group: {} keeps every sink setting, but still keeps the route's groups apart from other routes'
  return parts.length ? parts.join(' ') : "(own groups, sinks' settings)";
}

function printProblems(e: Effective, io: RoutesIo): void {
  const { problems } = e.table;
  if (!problems.length) return;
  const ids = new Set(problems.map((p) => p.routeId));
  io.stdout.write(`\n${ids.size} route${ids.size === 1 ? '' : 's'} left out of the table (every other route works):\n`);
  for (const p of problems) io.stdout.write(`  ${p.routeId}  ${problemField(e, p.routeId, p.field)}: ${p.reason}: ${p.message}\n`);
}

/** `routes list`: 0 when every route is in the table, 1 when some are left out, 2 when the config is invalid. */
export async function routesList(opts: RoutesOptions, io: RoutesIo): Promise<number> {
  let e: Effective;
  try {
    e = await effectiveTable(opts, io);
  } catch (err) {
    return failed(err, io);
  }
  const { table } = e;
  if (opts.output === 'json') {
    io.stdout.write(JSON.stringify({ default: e.isDefault, routes: table.routes, problems: table.problems }, null, 2) + '\n');
    return table.problems.length ? 1 : 0;
  }
  if (e.isDefault) io.stdout.write('No routes configured: every notification goes to every config sink.\n\n');
  if (table.routes.length === 0) io.stdout.write('The table is empty: no notification goes anywhere.\n');
  else {
    const sinksOf = (r: RouteSpec): string => (r.drop ? '(drop)' : r.sinks.map((s) => (s.kind === 'ClusterSink' ? `ClusterSink/${s.name}` : s.namespace && r.source !== 'Route' ? `${s.namespace}/${s.name}` : s.name)).join(', '));
    // the GROUP column only when some route groups its own way: most tables have none
    const grouped = table.routes.some((r) => r.group);
    const rows = [
      ['#', 'ROUTE', 'THEN', 'SINKS', ...(grouped ? ['GROUP'] : []), 'MATCH'],
      ...table.routes.map((r, i) => [String(i + 1), r.id, r.drop ? 'drop' : r.continue ? 'continue' : 'stop', sinksOf(r), ...(grouped ? [describeGroup(r) || '-'] : []), describeMatch(r)]),
    ];
    io.stdout.write(columns(rows));
  }
  printProblems(e, io);
  return table.problems.length ? 1 : 0;
}

function failed(err: unknown, io: RoutesIo): number {
  if (err instanceof ConfigError) io.stderr.write(err.issues.map((i) => `${formatIssue(i)}\n`).join(''));
  else io.stderr.write(`kubeherald routes: ${(err as Error).message}\n`);
  return 2;
}

const SEVERITY_BY_NAME: Record<string, string> = { critical: 'SEVERITY_CRITICAL', warning: 'SEVERITY_WARNING', info: 'SEVERITY_INFO' };
const STATE_BY_NAME: Record<string, string> = { firing: 'STATE_FIRING', resolved: 'STATE_RESOLVED' };

/**
 * One notification from its protobuf JSON (what the jsonl sink writes, in
 * JSON or YAML), also accepting `severity: critical` and `state: firing`.
 */
export function notificationFromData(data: unknown, where: string): Notification {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error(`${where}: expected a notification (a mapping), got ${Array.isArray(data) ? 'a list' : JSON.stringify(data)}`);
  const obj = { ...(data as Record<string, unknown>) };
  for (const [key, names] of [['severity', SEVERITY_BY_NAME], ['state', STATE_BY_NAME]] as const) {
    const v = obj[key];
    if (typeof v === 'string' && Object.hasOwn(names, v.toLowerCase())) obj[key] = names[v.toLowerCase()];
  }
  try {
    return fromJson(NotificationSchema, obj as JsonValue);
  } catch (err) {
    throw new Error(`${where}: not a kubeherald.v1.Notification: ${(err as Error).message}`);
  }
}

/** A file of notifications: one YAML/JSON document (a mapping, or a list of them), or JSON lines. */
export function notificationsFromText(text: string, file: string): Notification[] {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (yamlErr) {
    const lines = text.split('\n').filter((l) => l.trim());
    try {
      return lines.map((l, i) => notificationFromData(JSON.parse(l), `${file}:${i + 1}`));
    } catch {
      throw new Error(`${file}: neither YAML nor JSON lines: ${(yamlErr as Error).message}`);
    }
  }
  if (Array.isArray(data)) return data.map((d, i) => notificationFromData(d, `${file}[${i}]`));
  return [notificationFromData(data, file)];
}

const KINDS: Record<string, { kind: string; apiVersion: string }> = Object.fromEntries(
  (
    [
      ['Pod', 'v1', 'po', 'pods'],
      ['Node', 'v1', 'no', 'nodes'],
      ['Event', 'v1', 'ev', 'events'],
      ['Deployment', 'apps/v1', 'deploy', 'deployments'],
      ['ReplicaSet', 'apps/v1', 'rs', 'replicasets'],
      ['StatefulSet', 'apps/v1', 'sts', 'statefulsets'],
      ['DaemonSet', 'apps/v1', 'ds', 'daemonsets'],
      ['Job', 'batch/v1', 'job', 'jobs'],
      ['CronJob', 'batch/v1', 'cj', 'cronjobs'],
      ['Service', 'v1', 'svc', 'services'],
      ['ConfigMap', 'v1', 'cm', 'configmaps'],
      ['Namespace', 'v1', 'ns', 'namespaces'],
      ['PersistentVolumeClaim', 'v1', 'pvc', 'persistentvolumeclaims'],
    ] as const
  ).flatMap(([kind, apiVersion, short, plural]) => [kind.toLowerCase(), short, plural].map((alias) => [alias, { kind, apiVersion }])),
);

/** `Pod/demo/web-1`, `Node/sim-node-1` or `Node//sim-node-1`. */
export function parseObjectRef(ref: string, apiVersion?: string): { kind: string; apiVersion: string; namespace: string; name: string } {
  const parts = ref.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p, i) => p === '' && !(parts.length === 3 && i === 1))) {
    throw new Error(`--from-event ${JSON.stringify(ref)}: expected KIND/NAMESPACE/NAME, or KIND/NAME for a cluster-scoped object`);
  }
  const [kindWord, namespace, name] = parts.length === 3 ? parts : [parts[0], '', parts[1]];
  const known = KINDS[kindWord.toLowerCase()];
  if (!known && !apiVersion) throw new Error(`--from-event: unknown kind ${JSON.stringify(kindWord)}; give its --api-version (known: ${[...new Set(Object.values(KINDS).map((k) => k.kind))].join(', ')})`);
  return { kind: known?.kind ?? kindWord, apiVersion: apiVersion ?? known.apiVersion, namespace, name };
}

/**
 * The notifications kubeherald would send about this object as it is now:
 * the detectors' (minimum durations waived), or, when no detector fires, one
 * naming the object with its labels, so routes can still be tried on it.
 */
export function notificationsForObject(kind: string, obj: KubeObject, config: Config, now: Date): { notifications: Notification[]; detected: boolean } {
  const tracker = new IncidentTracker({ cluster: config.cluster.name, includeRaw: false });
  const uid = obj.metadata?.uid ?? `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
  const observations = detect(kind, { current: obj, initial: true }, now, config.detectors);
  const out = [...tracker.observe(uid, obj, observations, now), ...tracker.tick(new Date(now.getTime() + 365 * 86_400_000))];
  if (out.length) return { notifications: out, detected: true };
  const meta = obj.metadata ?? {};
  return {
    detected: false,
    notifications: [
      fromJson(NotificationSchema, {
        cluster: config.cluster.name,
        title: `${kind} ${meta.namespace ? `${meta.namespace}/` : ''}${meta.name ?? ''}`,
        involvedObject: { apiVersion: obj.apiVersion ?? '', kind, namespace: meta.namespace ?? '', name: meta.name ?? '', uid: meta.uid ?? '' },
        labels: (meta.labels ?? {}) as Record<string, string>,
      }),
    ],
  };
}

async function readObject(opts: RoutesOptions & { fromEvent: string; apiVersion?: string }, config: Config): Promise<{ kind: string; obj: KubeObject }> {
  const ref = parseObjectRef(opts.fromEvent, opts.apiVersion);
  if (ref.kind === 'Event' && !opts.apiVersion && config.watch.eventsApi === 'events.k8s.io') ref.apiVersion = 'events.k8s.io/v1';
  const [k8s, { loadKubeConfig }] = await Promise.all([import('@kubernetes/client-node'), import('../cluster/connect.ts')]);
  const kc = loadKubeConfig({
    kubeconfig: opts.kubeconfig ?? (config.cluster.kubeconfig || undefined),
    context: opts.context ?? (config.cluster.context || undefined),
    inCluster: !opts.kubeconfig && config.cluster.inCluster,
  });
  const api = k8s.KubernetesObjectApi.makeApiClient(kc);
  const obj = await api.read({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } });
  return { kind: ref.kind, obj: obj as unknown as KubeObject };
}

/** One line about the notification: state, severity, reason, object, user. */
export function describeNotification(n: Notification): string {
  const o = n.involvedObject;
  const where = o ? `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}` : 'no object';
  const sev = Severity[n.severity] ?? String(n.severity);
  const state = State[n.state] ?? String(n.state);
  const bits = [state === 'UNSPECIFIED' ? '' : state, sev === 'UNSPECIFIED' ? '' : sev.toLowerCase(), n.reason || '(no reason)', where];
  if (n.user?.username) bits.push(`by ${n.user.username}`);
  return bits.filter(Boolean).join(' ');
}

function explainText(n: Notification, r: RoutingResult, io: RoutesIo): void {
  io.stdout.write(`notification: ${describeNotification(n)}\n`);
  io.stdout.write(`sinks: ${r.dropped ? '(none: dropped)' : r.sinks.length ? r.sinks.join(', ') : '(none: no route matched)'}\n`);
  if (!r.decisions.length) return;
  const rows = [['ROUTE', 'RESULT', 'SINKS', 'WHY'], ...r.decisions.map((d) => [d.routeId, d.matched ? 'matched' : d.why.startsWith('not evaluated') ? 'skipped' : 'no match', d.sinks.join(', ') || (d.matched ? '(drop)' : '-'), d.why])];
  io.stdout.write(columns(rows).replace(/^(?=.)/gm, '  '));
}

/** `routes test`: 0 when it could route, 2 on bad input (config, file, object). */
export async function routesTest(opts: RoutesOptions & { file?: string; fromEvent?: string; apiVersion?: string }, io: RoutesIo): Promise<number> {
  if (!opts.file === !opts.fromEvent) {
    io.stderr.write('kubeherald routes test: give a notification FILE or --from-event KIND/NAMESPACE/NAME (one of them)\n');
    return 2;
  }
  let e: Effective;
  const items: { n: Notification; note?: string }[] = [];
  try {
    e = await effectiveTable(opts, io);
    if (opts.file) {
      for (const n of notificationsFromText(await readFile(opts.file, 'utf8'), opts.file)) items.push({ n });
    } else {
      const { kind, obj } = await readObject({ ...opts, fromEvent: opts.fromEvent! }, e.config);
      const made = notificationsForObject(kind, obj, e.config, new Date());
      const note = made.detected ? undefined : 'no detector fires for this object now: routing a notification that names it, with no reason';
      for (const n of made.notifications) items.push({ n, note });
    }
  } catch (err) {
    return failed(err, io);
  }
  if (opts.output === 'json') {
    const out = items.map(({ n, note }) => ({ notification: toJson(NotificationSchema, n), ...(note ? { note } : {}), ...e.table.explain(n) }));
    io.stdout.write(JSON.stringify({ default: e.isDefault, results: out, problems: e.table.problems }, null, 2) + '\n');
    return 0;
  }
  if (e.isDefault) io.stdout.write('No routes configured: every notification goes to every config sink.\n\n');
  items.forEach(({ n, note }, i) => {
    if (i) io.stdout.write('\n');
    if (note) io.stdout.write(`note: ${note}\n`);
    explainText(n, e.table.explain(n), io);
  });
  printProblems(e, io);
  return 0;
}

export function registerRoutes(program: Command, sources: RouteSource[] = []): void {
  const routes = program.command('routes').description('show the routing table, or try a notification against it');
  const io = (): RoutesIo => ({ stdout: process.stdout, stderr: process.stderr, env: process.env });
  routes
    .command('list')
    .description('print the effective routing table and any route left out of it (exit status 1 if any)')
    .option('-c, --config <file>', 'config file (YAML); default $KUBEHERALD_CONFIG')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (flags: { config?: string; output: 'text' | 'json' }) => {
      process.exitCode = await routesList({ ...flags, sources }, io());
    });
  routes
    .command('test')
    .description('route a notification: which routes match, which sinks receive it, and why the other routes did not')
    .argument('[file]', 'a notification as JSON or YAML (protobuf JSON, as the jsonl sink writes), a list of them, or JSON lines')
    .option('-c, --config <file>', 'config file (YAML); default $KUBEHERALD_CONFIG')
    .option('--from-event <ref>', 'make the notification from a live object: KIND/NAMESPACE/NAME, or KIND/NAME if cluster-scoped')
    .option('--api-version <version>', 'the object kind\'s API version, for kinds other than the common ones (e.g. cert-manager.io/v1)')
    .option('--kubeconfig <file>', 'kubeconfig for --from-event (default: the config file\'s cluster, $KUBECONFIG, ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context for --from-event')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (file: string | undefined, flags: { config?: string; fromEvent?: string; apiVersion?: string; kubeconfig?: string; context?: string; output: 'text' | 'json' }) => {
      process.exitCode = await routesTest({ ...flags, file, sources }, io());
    });
}
