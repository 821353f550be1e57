// `kubeherald routes list` prints every route: the effective routing table,
// and the routes not in effect marked, with the field at fault (and its line
// in the config file); `kubeherald routes test` routes a notification — from
// a file, or made from a live object by the detectors — and says which
// routes matched, which sinks receive it, and why each other route did not.
// Both warn of a route matching a reason, kind or detector that nothing
// produces; with --strict such a route is not in effect, as in `run --strict`.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fromJson, type JsonValue, toJson } from '@bufbuild/protobuf';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { type Config, ConfigError, type ConfigReport, configVocabulary, formatIssue, inspectConfig } from '../config/index.ts';
import { detect, IncidentTracker } from '../detect/index.ts';
import type { KubeObject } from '../model/kube.ts';
import { type Notification, NotificationSchema, Severity, State } from '../model/notification.ts';
import { formatDelivery, previewDelivery } from './routes-delivery.ts';
import type { HoldCheck } from '../pipeline/hold.ts';
import { silencesHold } from '../pipeline/silences.ts';
import { inMemoryOnly, openStore } from '../store/open.ts';
import { compileRoutes, compileTimeIntervals, configRoutes, configSinks, effectiveRoutes, type KnownSink, lintRoute, type RouteProblem, type RouteSpec, type RoutingResult, type RoutingTable } from '../rules/index.ts';

export interface RoutesIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}

/**
 * Routes and sinks from somewhere other than the config file (the Route/Sink
 * custom resources): every route the source has, in effect or not, and the
 * problems it knows of them (a route whose spec is invalid has problems and
 * no RouteSpec). A route the source gives problems for is shown with those.
 */
export type RouteSource = (ctx: { config: Config; kubeconfig?: string; context?: string }) => Promise<{ routes: RouteSpec[]; sinks: KnownSink[]; problems?: RouteProblem[] }>;

export interface RoutesOptions {
  config?: string;
  output?: 'text' | 'json';
  /** more routes and sinks, merged with the config file's */
  sources?: RouteSource[];
  kubeconfig?: string;
  context?: string;
  /** warnings are problems: such a route is not in effect (as with `run --strict`) */
  strict?: boolean;
}

interface Effective {
  config: Config;
  report: ConfigReport;
  table: RoutingTable;
  /** true when no route is configured and the default applies */
  isDefault: boolean;
  /** config route id → its index in `routes:`, to name problem fields as the file has them */
  configIndex: Map<string, number>;
  /** every route with a spec, in effect or not, in table order */
  all: RouteSpec[];
  /** why routes are not in effect (warnings among them with strict), by route */
  problems: RouteProblem[];
  /** routes in effect that match on something nothing produces (none with strict) */
  warnings: RouteProblem[];
  /** routes known only by their problems (a custom resource whose spec is invalid) */
  unparsed: string[];
}

const byOrder = (a: RouteSpec, b: RouteSpec): number => a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

async function effectiveTable(opts: RoutesOptions, io: RoutesIo): Promise<Effective> {
  const report = await inspectConfig({ file: opts.config, env: io.env ?? process.env });
  const { config } = report;
  const routes = configRoutes(config.routes);
  const sinks = configSinks(config.sinks);
  const told: RouteProblem[] = [];
  for (const source of opts.sources ?? []) {
    const extra = await source({ config, kubeconfig: opts.kubeconfig, context: opts.context });
    routes.push(...extra.routes);
    sinks.push(...extra.sinks);
    told.push(...(extra.problems ?? []));
  }
  const vocabulary = configVocabulary(config);
  const lint = routes.flatMap((r) => lintRoute(r, vocabulary));
  // with strict, a route that names what nothing produces is left out, as run --strict leaves it out
  const warned = new Set(opts.strict ? lint.map((w) => w.routeId) : []);
  const ids = new Set(routes.map((r) => r.id));
  const unparsed = [...new Set(told.map((p) => p.routeId).filter((id) => !ids.has(id)))];
  // routes left out are still routes: the default (everything to every config sink) is for when there are none at all
  const none = routes.length === 0 && unparsed.length === 0;
  const table = compileRoutes(none ? effectiveRoutes([], sinks) : routes.filter((r) => !warned.has(r.id)), sinks, { timeIntervals: compileTimeIntervals(config.timeIntervals).intervals });
  // what a source says of its own routes (a Sink that exists but is not Ready) over what this compile found
  const toldIds = new Set(told.map((p) => p.routeId));
  const all = none ? [...table.routes] : [...routes].sort(byOrder);
  // in the order the routes are listed, each route's own in the order found
  const rank = new Map([...all.map((r) => r.id), ...unparsed].map((id, i) => [id, i]));
  const inOrder = (ps: RouteProblem[]): RouteProblem[] => ps.map((p, i) => ({ p, i })).sort((a, b) => (rank.get(a.p.routeId) ?? Infinity) - (rank.get(b.p.routeId) ?? Infinity) || a.i - b.i).map(({ p }) => p);
  const problems = inOrder([...table.problems.filter((p) => !toldIds.has(p.routeId)), ...told, ...(opts.strict ? lint : [])]);
  return {
    config,
    report,
    table,
    isDefault: none,
    configIndex: new Map(routes.filter((r) => r.source === 'config').map((r) => [r.id, r.order])),
    all,
    problems,
    warnings: opts.strict ? [] : inOrder(lint),
    unparsed,
  };
}

/** "match.reasons[0]" → ["match", "reasons", 0]; bracketed keys are JSON strings (label keys). */
function pathOf(field: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of field.matchAll(/([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)) out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]) as string)));
  return out;
}

/** A problem's field as the reader finds it: `kubeherald.yaml:12: routes[2].match.cel` in the config file, `spec.match.cel` in a resource. */
function problemField(e: Effective, routeId: string, field: string): string {
  const i = e.configIndex.get(routeId);
  if (i === undefined) return field;
  const key = field ? `routes[${i}]${field.startsWith('[') ? '' : '.'}${field}` : `routes[${i}]`;
  const line = e.report.lineOf(['routes', i, ...pathOf(field)]);
  return line === undefined || e.report.file === undefined ? key : `${e.report.file}:${line}: ${key}`;
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
  const line = (p: RouteProblem): string => `  ${p.routeId}  ${problemField(e, p.routeId, p.field)}: ${p.reason}: ${p.message}\n`;
  if (e.problems.length) {
    const ids = new Set(e.problems.map((p) => p.routeId));
    io.stdout.write(`\n${ids.size} route${ids.size === 1 ? '' : 's'} not in effect (every other route works):\n`);
    for (const p of e.problems) io.stdout.write(line(p));
  }
  if (e.warnings.length) {
    io.stdout.write(`\n${e.warnings.length} warning${e.warnings.length === 1 ? '' : 's'} (the route is in effect, but nothing kubeherald knows of gives this; an error with --strict):\n`);
    for (const w of e.warnings) io.stdout.write(line(w));
  }
}

/**
 * `routes list`: every route, those not in effect numbered `-` with THEN
 * `off` and why below; 0 when every route is in effect, 1 when some are not
 * (with --strict, also when one matches on what nothing produces), 2 when
 * the config is invalid.
 */
export async function routesList(opts: RoutesOptions, io: RoutesIo): Promise<number> {
  let e: Effective;
  try {
    e = await effectiveTable(opts, io);
  } catch (err) {
    return failed(err, io);
  }
  const { table } = e;
  const position = new Map(table.routes.map((r, i) => [r.id, i + 1]));
  if (opts.output === 'json') {
    const routes = [...e.all.map((r) => ({ ...r, inEffect: position.has(r.id) })), ...e.unparsed.map((id) => ({ id, inEffect: false }))];
    io.stdout.write(JSON.stringify({ default: e.isDefault, routes, problems: e.problems, warnings: e.warnings }, null, 2) + '\n');
    return e.problems.length ? 1 : 0;
  }
  if (e.isDefault) io.stdout.write('No routes configured: every notification goes to every config sink.\n\n');
  if (table.routes.length === 0) io.stdout.write('No route is in effect: no notification goes anywhere.\n');
  if (e.all.length || e.unparsed.length) {
    const sinksOf = (r: RouteSpec): string => (r.drop ? '(drop)' : r.sinks.map((s) => (s.kind === 'ClusterSink' ? `ClusterSink/${s.name}` : s.namespace && r.source !== 'Route' ? `${s.namespace}/${s.name}` : s.name)).join(', '));
    // the GROUP column only when some route groups its own way: most tables have none
    const grouped = e.all.some((r) => r.group);
    const rows = [
      ['#', 'ROUTE', 'THEN', 'SINKS', ...(grouped ? ['GROUP'] : []), 'MATCH'],
      ...e.all.map((r) => {
        const n = position.get(r.id);
        return [n ? String(n) : '-', r.id, !n ? 'off' : r.drop ? 'drop' : r.continue ? 'continue' : 'stop', sinksOf(r), ...(grouped ? [describeGroup(r) || '-'] : []), describeMatch(r)];
      }),
      ...e.unparsed.map((id) => ['-', id, 'off', '-', ...(grouped ? ['-'] : []), '(invalid spec)']),
    ];
    io.stdout.write(columns(rows));
  }
  printProblems(e, io);
  return e.problems.length ? 1 : 0;
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

/** Each route's decision, in the order of every route; a route not in effect says why, where it would be. */
function explainText(e: Effective, n: Notification, r: RoutingResult, io: RoutesIo): void {
  io.stdout.write(`notification: ${describeNotification(n)}\n`);
  io.stdout.write(`sinks: ${r.dropped ? '(none: dropped)' : r.sinks.length ? r.sinks.join(', ') : '(none: no route matched)'}\n`);
  const decided = new Map(r.decisions.map((d) => [d.routeId, d]));
  const off = (id: string): string[] => {
    const p = e.problems.find((x) => x.routeId === id);
    return [id, 'off', '-', `not in effect: ${p ? `${p.reason}: ${p.message}` : 'left out'}`];
  };
  const lines = [...e.all.map((route) => route.id), ...e.unparsed].map((id) => {
    const d = decided.get(id);
    if (d?.muted) return [d.routeId, 'muted', '-', d.why];
    return d ? [d.routeId, d.matched ? 'matched' : d.why.startsWith('not evaluated') ? 'skipped' : 'no match', d.sinks.join(', ') || (d.matched ? '(drop)' : '-'), d.why] : off(id);
  });
  // a muted route's chat sinks hold it until the window opens; its record sinks do not get it
  for (const [sink, m] of Object.entries(r.muted ?? {})) io.stdout.write(`muted: ${sink}: route ${m.route.slice(m.route.lastIndexOf('/') + 1)}: ${m.text}\n`);
  if (!lines.length) return;
  io.stdout.write(columns([['ROUTE', 'RESULT', 'SINKS', 'WHY'], ...lines]).replace(/^(?=.)/gm, '  '));
}

/** The silences in force in the config's state database, as a hold (none when it is in memory or not there yet). */
async function silencesInForce(config: Config): Promise<HoldCheck[]> {
  const state = config.state;
  if (inMemoryOnly(state) || (!state.url && !existsSync(state.path))) return [];
  try {
    const store = await openStore(state, { recover: false, mustExist: true });
    try {
      return [silencesHold(store.silences.list({ now: Date.now() }))];
    } finally {
      store.close();
    }
  } catch {
    // a state database this command cannot read says nothing about routing
    return [];
  }
}

/** `routes test`: 0 when it could route (with --strict: and every route is in effect), 1 when not, 2 on bad input (config, file, object). */
export async function routesTest(opts: RoutesOptions & { file?: string; fromEvent?: string; apiVersion?: string; at?: string }, io: RoutesIo): Promise<number> {
  if (!opts.file === !opts.fromEvent) {
    io.stderr.write('kubeherald routes test: give a notification FILE or --from-event KIND/NAMESPACE/NAME (one of them)\n');
    return 2;
  }
  // when routes' time windows are evaluated: now, or --at
  const at = opts.at === undefined ? Date.now() : Date.parse(opts.at);
  if (Number.isNaN(at)) {
    io.stderr.write(`kubeherald routes test: --at: expected a time such as 2026-12-07T22:30:00+01:00, got ${JSON.stringify(opts.at)}\n`);
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
  // what each sink's delivery settings do with them, in order (grouped, folded, at once)
  const delivery = previewDelivery(e.config, items.map(({ n }) => n), (n) => e.table.explain(n, at), at, await silencesInForce(e.config));
  if (opts.output === 'json') {
    const out = items.map(({ n, note }, i) => ({ notification: toJson(NotificationSchema, n), ...(note ? { note } : {}), ...e.table.explain(n, at), delivery: delivery[i] }));
    io.stdout.write(JSON.stringify({ default: e.isDefault, results: out, problems: e.problems, warnings: e.warnings }, null, 2) + '\n');
    return opts.strict && e.problems.length ? 1 : 0;
  }
  if (e.isDefault) io.stdout.write('No routes configured: every notification goes to every config sink.\n\n');
  items.forEach(({ n, note }, i) => {
    if (i) io.stdout.write('\n');
    if (note) io.stdout.write(`note: ${note}\n`);
    explainText(e, n, e.table.explain(n, at), io);
    io.stdout.write(formatDelivery(delivery[i]));
  });
  printProblems(e, io);
  return opts.strict && e.problems.length ? 1 : 0;
}

export function registerRoutes(program: Command, sources: RouteSource[] = []): void {
  const routes = program.command('routes').description('show the routing table, or try a notification against it');
  const io = (): RoutesIo => ({ stdout: process.stdout, stderr: process.stderr, env: process.env });
  routes
    .command('list')
    .description('print every route: the effective routing table, and the routes not in effect marked, with why (exit status 1 if any)')
    .option('-c, --config <file>', 'config file (YAML); default $KUBEHERALD_CONFIG')
    .option('-o, --output <format>', 'text or json', 'text')
    .option('--strict', 'a route matching a reason, kind or detector that nothing produces is not in effect (as with run --strict)')
    .action(async (flags: { config?: string; output: 'text' | 'json'; strict?: boolean }) => {
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
    .option('--strict', 'a route matching a reason, kind or detector that nothing produces is not in effect (as with run --strict); exit status 1 if any route is not')
    .option('--at <time>', "when to evaluate routes' time windows (ISO 8601, e.g. 2026-12-07T22:30:00+01:00); default now")
    .action(async (file: string | undefined, flags: { config?: string; fromEvent?: string; apiVersion?: string; kubeconfig?: string; context?: string; output: 'text' | 'json'; strict?: boolean; at?: string }) => {
      process.exitCode = await routesTest({ ...flags, file, sources }, io());
    });
}
