// The routing hub: the table in force and a running sink for every id it
// can name, config-file sinks ("config/<name>") and custom-resource sinks
// ("Sink/<ns>/<name>", "ClusterSink/<name>") alike, kept current without a
// restart:
//
//   - with `crds`, a CrdController watches Route/ClusterRoute/Sink/
//     ClusterSink; after each compile the hub creates instances for new or
//     changed Sinks (compared by a fingerprint of the config and credentials
//     they were built from), swaps table and sinks in one assignment, and
//     closes the instances nothing uses any more once their sends finish;
//   - with `configFile`, the file's directory is watched (editors and
//     ConfigMap mounts replace files rather than write them); a changed file
//     is loaded again, and an invalid one is logged issue by issue while the
//     previous table and sinks stay in force.
//
// A Sink that cannot be turned into a working sink is logged with its field
// and left out; every other route keeps working.

import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { type Config, ConfigError, type ConfigIssue, configVocabulary, formatIssue, loadConfig } from '../config/index.ts';
import { CrdController, type CrdControllerOptions } from '../crd/controller.ts';
import type { FieldProblem } from '../crd/schemas.ts';
import type { Logger } from '../model/logger.ts';
import type { Notification } from '../model/notification.ts';
import { type CompiledTimeInterval, compileTimeIntervals, configRoutes, configSinks, sinkId, tableFromConfig } from '../rules/index.ts';
import type { RouteGrouping, RouteMute, RoutingResult, RoutingTable } from '../rules/types.ts';
import { redact } from '../sinks/credential.ts';
import { type EgressPolicy, egressPolicy } from '../sinks/egress.ts';
import { createSink as createSinkDefault } from '../sinks/index.ts';
import { type Sink, type SinkDeps, SinkError, type SinkGroupInfo } from '../sinks/types.ts';
import { sinkConfigFromResolved } from './crd-sinks.ts';

/** A running sink and the routing id it serves. */
export interface RoutedSink extends Sink {
  /** "config/<name>", "Sink/<ns>/<name>" or "ClusterSink/<name>" */
  readonly id: string;
}

export type ReloadResult = { ok: true; changed: boolean } | { ok: false; issues: ConfigIssue[] };

export interface RoutingHubOptions {
  config: Config;
  /** watched: editing it changes routes and config sinks without a restart */
  configFile?: string;
  /** how the file is read again (default loadConfig({file, env})); the CLI passes its flags through this */
  loadConfig?: (file: string) => Promise<Config>;
  /** required with crds */
  kc?: k8s.KubeConfig;
  /** watch the Route/ClusterRoute/Sink/ClusterSink custom resources */
  crds: boolean;
  /** a Route matching a reason, kind or detector that nothing produces is left out, not only warned about (run --strict) */
  strict?: boolean;
  /** kubeherald's own namespace, where ClusterSinks' Secrets are (default: the kubeconfig context's, else "default") */
  namespace?: string;
  log: Logger;
  stdout?: NodeJS.WritableStream;
  /** what config sinks read `{env: …}` credentials from (default process.env) */
  env?: NodeJS.ProcessEnv;
  createSink?: (cfg: Parameters<typeof createSinkDefault>[0], deps: SinkDeps) => Promise<Sink>;
  /** file events are gathered for this long, at most 200 ms after the first (default 100) */
  watchDebounceMs?: number;
  /** what namespaced Sinks may reach (default: from config.customResources.egress); tests pass one with their own resolver */
  egress?: EgressPolicy;
  controller?: Partial<Pick<CrdControllerOptions, 'debounceMs' | 'counterFlushMs' | 'secretTtlMs' | 'secretRetryMs' | 'writeStatus' | 'watchdogMs' | 'pageSize' | 'fieldManager'>>;
}

interface Entry {
  fingerprint: string;
  sink: TrackedSink;
}

interface State {
  table: RoutingTable;
  sinks: ReadonlyMap<string, TrackedSink>;
}

const MAX_WATCH_WAIT_MS = 200;
// what a console sink made from a custom resource may still read of the process environment
const TERMINAL_ENV = ['NO_COLOR', 'FORCE_COLOR', 'TERM'];

const fingerprint = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex');
const isCrRoute = (id: string): boolean => id.startsWith('Route/') || id.startsWith('ClusterRoute/');
const isCrSink = (id: string): boolean => id.startsWith('Sink/') || id.startsWith('ClusterSink/');
const problemsText = (ps: readonly FieldProblem[]): string => ps.map((p) => `${p.field}: ${p.message}`).join('; ');

/**
 * One sink instance as handed out by the hub. It counts its sends so a
 * replaced or removed instance is closed only after they finish; a send
 * that arrives after that goes to the instance now serving the same id, or
 * fails (permanent) when the sink is gone.
 */
class TrackedSink implements RoutedSink {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly sendGroup?: (ns: readonly Notification[], group: SinkGroupInfo) => Promise<void>;
  readonly targetOf?: (n: Notification) => string;
  readonly plugin?: string;
  readonly sendsPods?: boolean;
  readonly inner: Sink;
  #successor: (id: string) => TrackedSink | undefined;
  #inflight = 0;
  #idle: (() => void)[] = [];
  #retired: Promise<void> | undefined;

  constructor(id: string, inner: Sink, successor: (id: string) => TrackedSink | undefined) {
    this.id = id;
    this.inner = inner;
    this.name = inner.name;
    this.type = inner.type;
    if (inner.plugin !== undefined) this.plugin = inner.plugin;
    if (inner.sendsPods) this.sendsPods = true;
    this.#successor = successor;
    if (inner.sendGroup) {
      this.sendGroup = (ns, group) =>
        this.#run(
          (s) => s.inner.sendGroup!.call(s.inner, ns, group),
          (next) => (next.sendGroup ? next.sendGroup(ns, group) : Promise.reject(new SinkError(`sink ${this.id} changed and no longer takes groups; retry`, { kind: 'retryable' }))),
        );
    }
    if (inner.targetOf) this.targetOf = (n) => inner.targetOf!.call(inner, n);
  }

  send(n: Notification): Promise<void> {
    return this.#run(
      (s) => s.inner.send(n),
      (next) => next.send(n),
    );
  }

  async #run(op: (s: TrackedSink) => Promise<void>, forward: (next: TrackedSink) => Promise<void>): Promise<void> {
    if (this.#retired) {
      const next = this.#successor(this.id);
      if (next && next !== this) return forward(next);
      throw new SinkError(`sink ${this.id} was removed`, { kind: 'permanent' });
    }
    this.#inflight++;
    try {
      return await op(this);
    } finally {
      if (--this.#inflight === 0) for (const wake of this.#idle.splice(0)) wake();
    }
  }

  /** Stops taking sends, waits for those in flight, closes the instance (once). */
  retire(): Promise<void> {
    this.#retired ??= (async () => {
      if (this.#inflight > 0) await new Promise<void>((r) => this.#idle.push(r));
      await this.inner.close();
    })();
    return this.#retired;
  }

  close(): Promise<void> {
    return this.retire();
  }
}

export class RoutingHub {
  #o: RoutingHubOptions;
  #log: Logger;
  #create: NonNullable<RoutingHubOptions['createSink']>;
  #config: Config;
  #state: State;
  #configSinks = new Map<string, Entry>();
  #crSinks = new Map<string, Entry>();
  /** instances put in force (or committed by a reload) and not retired; ones being built are not here */
  #open = new Set<TrackedSink>();
  #retiring = new Set<Promise<void>>();
  #controller: CrdController | undefined;
  #listeners = new Set<(t: RoutingTable) => void>();
  #reloadListeners = new Set<(r: ReloadResult) => void>();
  #rebuilds: Promise<void> = Promise.resolve();
  #rebuildQueued = false;
  #reloads: Promise<unknown> = Promise.resolve();
  #watcher: FSWatcher | undefined;
  #watchTimer: NodeJS.Timeout | undefined;
  #firstEventAt = 0;
  #lastText: string | undefined;
  /** last problem text logged per sink or config route, so each is logged once per change */
  #reported = new Map<string, string>();
  #lastResult = new WeakMap<Notification, RoutingResult>();
  /** by notification routed with routeWithGroups, the sinks a time window kept its matching route from */
  #muted = new WeakMap<Notification, Readonly<Record<string, RouteMute>>>();
  #intervals: { list: unknown; compiled: ReadonlyMap<string, CompiledTimeInterval> } | undefined;
  #closed = false;
  #egress: EgressPolicy;

  private constructor(opts: RoutingHubOptions) {
    this.#o = opts;
    this.#log = opts.log;
    this.#create = opts.createSink ?? createSinkDefault;
    this.#config = opts.config;
    this.#state = { table: tableFromConfig({ routes: [], sinks: [] }), sinks: new Map() };
    this.#egress = opts.egress ?? egressPolicy({ allow: opts.config.customResources.egress.allow });
  }

  /** Creates the config sinks (a failure stops start-up, naming the sink), then the watches. */
  static async start(opts: RoutingHubOptions): Promise<RoutingHub> {
    const hub = new RoutingHub(opts);
    try {
      await hub.#init();
    } catch (err) {
      await hub.close();
      throw err;
    }
    return hub;
  }

  async #init(): Promise<void> {
    const o = this.#o;
    this.#configSinks = await this.#buildConfigSinks(this.#config, new Map());
    if (o.crds) {
      if (!o.kc) throw new Error('RoutingHub: crds needs a KubeConfig (kc)');
      const namespace = o.namespace ?? o.kc.getContextObject(o.kc.getCurrentContext())?.namespace ?? 'default';
      this.#controller = new CrdController({
        ...o.controller,
        kc: o.kc,
        namespace,
        log: this.#log,
        configRoutes: configRoutes(this.#config.routes),
        configSinks: configSinks(this.#config.sinks),
        timeIntervals: compileTimeIntervals(this.#config.timeIntervals).intervals,
        // Routes are checked against the words this config's detectors and extra resources produce
        vocabulary: configVocabulary(this.#config),
        ...(o.strict ? { strict: true } : {}),
        egress: this.#egress,
      });
      this.#controller.onChange(() => this.#scheduleRebuild());
      await this.#controller.start();
      await this.#rebuilds;
    } else {
      this.#swap(tableFromConfig(this.#config));
    }
    if (o.configFile) await this.#watch(o.configFile);
  }

  /** The controller of the custom resources (with crds). */
  get controller(): CrdController | undefined {
    return this.#controller;
  }

  /** The table in force. */
  table(): RoutingTable {
    return this.#state.table;
  }

  /** The config file's named time intervals in force (they change with it). */
  timeIntervals(): ReadonlyMap<string, CompiledTimeInterval> {
    const list = this.#config.timeIntervals;
    if (this.#intervals?.list !== list) this.#intervals = { list, compiled: compileTimeIntervals(list).intervals };
    return this.#intervals.compiled;
  }

  /** The sinks in force. */
  sinks(): RoutedSink[] {
    return [...this.#state.sinks.values()];
  }

  /** The sinks in force by id, always the current ones (for a deliverer that looks sinks up at send time). */
  sinkMap(): ReadonlyMap<string, RoutedSink> {
    return new LiveMap(() => this.#state.sinks);
  }

  /**
   * The sinks the current table selects for a notification. Counts a match
   * for each custom-resource route (and sink) it went through.
   */
  route(n: Notification): RoutedSink[] {
    return this.routeWithGroups(n).map((c) => c.sink);
  }

  /**
   * route(), each sink with the grouping of the route that chose it when that
   * route has `group`. With `now` (epoch ms, the pipeline's clock) routes'
   * time windows apply: a muted route's sinks are left out (see mutedFor).
   */
  routeWithGroups(n: Notification, now?: number): { sink: RoutedSink; group?: RouteGrouping }[] {
    const { table, sinks } = this.#state;
    const r = table.match(n, now);
    this.#muted.set(n, r.muted ?? {});
    const c = this.#controller;
    if (c) {
      this.#lastResult.set(n, r);
      for (const d of r.decisions) if (d.matched && isCrRoute(d.routeId)) c.countMatched(d.routeId);
      for (const id of r.sinks) if (isCrSink(id)) c.countMatched(id);
    }
    const out: { sink: RoutedSink; group?: RouteGrouping }[] = [];
    for (const id of r.sinks) {
      const s = sinks.get(id);
      // a Sink the hub could not start was logged when it was left out
      if (!s) continue;
      const group = r.groups?.[id];
      out.push(group ? { sink: s, group } : { sink: s });
    }
    return out;
  }

  /**
   * The sinks (by id) a time window kept the notification from when it was
   * routed with routeWithGroups, each with the window; undefined when it was
   * not routed here (a copy made later: route it again).
   */
  mutedFor(n: Notification): Readonly<Record<string, RouteMute>> | undefined {
    return this.#muted.get(n);
  }

  /** Counts a delivery for the sink and the custom-resource routes that chose it (status counters). */
  delivered(n: Notification, sink: RoutedSink | string): void {
    const c = this.#controller;
    if (!c) return;
    const id = typeof sink === 'string' ? sink : sink.id;
    if (isCrSink(id)) c.countDelivered(id);
    const r = this.#lastResult.get(n) ?? this.#state.table.match(n);
    for (const d of r.decisions) if (d.matched && isCrRoute(d.routeId) && d.sinks.includes(id)) c.countDelivered(d.routeId);
  }

  /** Calls `cb` with the new table after every swap; returns the unsubscribe. */
  onChange(cb: (t: RoutingTable) => void): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  /** Calls `cb` after every reload of the config file, accepted or not. */
  onConfigReload(cb: (r: ReloadResult) => void): () => void {
    this.#reloadListeners.add(cb);
    return () => this.#reloadListeners.delete(cb);
  }

  /**
   * Loads the config file again and applies its routes and sinks (the file
   * watch calls this; so can a SIGHUP). Resolves once the new table is in
   * force, or the file was refused and the previous one kept.
   */
  reloadConfig(): Promise<ReloadResult> {
    const run = this.#reloads.then(() => this.#reload());
    this.#reloads = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#watcher?.close();
    if (this.#watchTimer) clearTimeout(this.#watchTimer);
    await this.#controller?.stop();
    await this.#reloads;
    await this.#rebuilds;
    const all = new Set([...this.#open, ...[...this.#configSinks.values(), ...this.#crSinks.values()].map((e) => e.sink)]);
    for (const s of all) this.#retire(s);
    await Promise.all(this.#retiring);
  }

  // ------------------------------------------------------------------ sinks

  #track(id: string, inner: Sink): TrackedSink {
    return new TrackedSink(id, inner, (sid) => this.#state.sinks.get(sid));
  }

  #retire(s: TrackedSink): void {
    this.#open.delete(s);
    const p = s
      .retire()
      .catch((err: Error) => this.#log.error({ sink: s.id, err: err.message }, 'closing a sink failed'))
      .finally(() => this.#retiring.delete(p));
    this.#retiring.add(p);
  }

  /**
   * The config's sinks, reusing the instances of `current` whose config is
   * unchanged. All or nothing: on a failure the new instances are closed and
   * a ConfigError naming the sink is thrown.
   */
  async #buildConfigSinks(config: Config, current: ReadonlyMap<string, Entry>): Promise<Map<string, Entry>> {
    const next = new Map<string, Entry>();
    const created: TrackedSink[] = [];
    const results = await Promise.allSettled(
      config.sinks.map(async (cfg) => {
        const id = sinkId({ kind: 'config', name: cfg.name });
        // delivery settings are read per delivery (policies): a change to them alone keeps the running sink and its state
        const fp = fingerprint({ ...cfg, delivery: undefined });
        const have = current.get(id);
        if (have && have.fingerprint === fp) return next.set(id, have);
        const sink = this.#track(id, await this.#create(cfg, { stdout: this.#o.stdout, env: this.#o.env, log: this.#log.child({ sinkId: id }) }));
        created.push(sink);
        next.set(id, { fingerprint: fp, sink });
      }),
    );
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ i, err: r.reason as Error }] : []));
    if (failed.length) {
      for (const s of created) this.#retire(s);
      throw new ConfigError(
        failed.flatMap(({ i, err }) =>
          err instanceof ConfigError ? err.issues : [{ file: this.#o.configFile ?? 'config', path: `sinks[${i}]`, message: `sink "${config.sinks[i].name}" could not start: ${err.message}` }],
        ),
      );
    }
    // the config's order, so sinks() lists them as written
    return new Map(config.sinks.map((s) => sinkId({ kind: 'config', name: s.name })).map((id) => [id, next.get(id)!]));
  }

  #scheduleRebuild(): void {
    if (this.#rebuildQueued) return;
    this.#rebuildQueued = true;
    // one rebuild at a time; triggers meanwhile share the next one, which reads the latest state
    this.#rebuilds = this.#rebuilds.then(async () => {
      this.#rebuildQueued = false;
      if (this.#closed) return;
      try {
        await this.#rebuild();
      } catch (err) {
        this.#log.error({ err: (err as Error).message }, 'routing rebuild failed; keeping the previous table and sinks');
      }
    });
  }

  /** After a compile of the controller: sinks for its resolved Sinks, then the swap. */
  async #rebuild(): Promise<void> {
    const c = this.#controller!;
    const table = c.current();
    const resolved = [...c.sinks().values()];
    const next = new Map<string, Entry>();
    const baseEnv = this.#o.env ?? process.env;
    const terminal = Object.fromEntries(TERMINAL_ENV.flatMap((k) => (baseEnv[k] !== undefined ? [[k, baseEnv[k]!]] : [])));
    await Promise.all(
      resolved.map(async (r) => {
        const m = sinkConfigFromResolved(r);
        if (!m.ok) return this.#reportSink(r.id, m.problems);
        const fp = fingerprint([m.config, m.env]);
        const have = this.#crSinks.get(r.id);
        if (have && have.fingerprint === fp) {
          next.set(r.id, have);
          return this.#reportSink(r.id, []);
        }
        try {
          // a tenant's Sink reaches only what the egress policy allows; a ClusterSink is the admin's
          const egress = r.kind === 'Sink' ? { egress: this.#egress } : {};
          const inner = await this.#create(m.config, { stdout: this.#o.stdout, env: { ...terminal, ...m.env }, log: this.#log.child({ sinkId: r.id }), ...egress });
          next.set(r.id, { fingerprint: fp, sink: this.#track(r.id, inner) });
          this.#log.info({ sink: r.id, name: m.config.name, type: m.config.type }, have ? 'sink changed: new instance' : 'sink started');
          this.#reportSink(r.id, []);
        } catch (err) {
          // the sinks name the variable they read: say which field of the Sink that is, never the value
          let message = (err as Error).message;
          for (const [variable, field] of Object.entries(m.fields)) message = message.split(variable).join(field);
          this.#reportSink(r.id, [{ field: 'spec', message: redact(message, Object.values(m.env)) }]);
        }
      }),
    );
    for (const id of this.#reported.keys()) if (isCrSink(id) && !resolved.some((r) => r.id === id)) this.#reported.delete(id);
    this.#crSinks = new Map(resolved.flatMap((r) => (next.has(r.id) ? [[r.id, next.get(r.id)!] as const] : [])));
    this.#swap(table);
  }

  #reportSink(id: string, problems: readonly FieldProblem[]): void {
    const text = problemsText(problems);
    if ((this.#reported.get(id) ?? '') === text) return;
    if (text) {
      this.#reported.set(id, text);
      this.#log.error({ sink: id, problems }, `sink left out: ${text}`);
    } else {
      this.#reported.delete(id);
      this.#log.info({ sink: id }, 'sink usable again');
    }
  }

  /** Puts a table and the current instances in force at once, then retires what nothing uses. */
  #swap(table: RoutingTable): void {
    const sinks = new Map<string, TrackedSink>();
    for (const [id, e] of this.#configSinks) sinks.set(id, e.sink);
    for (const [id, e] of this.#crSinks) sinks.set(id, e.sink);
    this.#state = { table, sinks };
    this.#reportRoutes(table);
    for (const cb of this.#listeners) {
      try {
        cb(table);
      } catch (err) {
        this.#log.error({ err: (err as Error).message }, 'routing onChange handler failed');
      }
    }
    // the config's sinks built for a reload the controller has not compiled yet stay open
    const keep = new Set<TrackedSink>([...sinks.values(), ...[...this.#configSinks.values()].map((e) => e.sink)]);
    for (const s of [...this.#open]) if (!keep.has(s)) this.#retire(s);
    for (const s of keep) this.#open.add(s);
  }

  /** Problems of config-file routes (the controller reports the custom resources'). */
  #reportRoutes(table: RoutingTable): void {
    const now = new Map<string, string>();
    for (const p of table.problems) {
      if (!p.routeId.startsWith('config/')) continue;
      const key = `${p.routeId}#${p.field}`;
      now.set(key, p.message);
      if (this.#reported.get(key) === p.message) continue;
      this.#log.error({ route: p.routeId, field: p.field, reason: p.reason }, `route left out: ${p.message}`);
    }
    for (const key of [...this.#reported.keys()]) if (key.startsWith('config/') && !now.has(key)) this.#reported.delete(key);
    for (const [key, m] of now) this.#reported.set(key, m);
  }

  // ------------------------------------------------------------ config file

  async #reload(): Promise<ReloadResult> {
    const file = this.#o.configFile;
    if (!file || this.#closed) return { ok: true, changed: false };
    const load = this.#o.loadConfig ?? ((f: string) => loadConfig({ file: f, env: this.#o.env ?? process.env }));
    let result: ReloadResult;
    try {
      const config = await load(file);
      const built = await this.#buildConfigSinks(config, this.#configSinks);
      const changed = fingerprint([config.routes, config.sinks, config.timeIntervals]) !== fingerprint([this.#config.routes, this.#config.sinks, this.#config.timeIntervals]);
      const restartOnly = (Object.keys(config) as (keyof Config)[]).filter((k) => k !== 'routes' && k !== 'sinks' && k !== 'timeIntervals' && fingerprint(config[k]) !== fingerprint(this.#config[k]));
      if (restartOnly.length) this.#log.warn({ file, sections: restartOnly }, `config file: changes to ${restartOnly.join(', ')} take effect after a restart`);
      this.#config = config;
      this.#configSinks = built;
      if (this.#controller) {
        this.#controller.setConfig(configRoutes(config.routes), configSinks(config.sinks), compileTimeIntervals(config.timeIntervals).intervals);
        // a compile already under way may predate the new config: settled() waits for the one after it too
        await this.#controller.refresh();
        await this.#controller.settled();
        await this.#rebuilds;
      } else {
        this.#swap(tableFromConfig(config));
      }
      if (changed) this.#log.info({ file, routes: config.routes.length, sinks: config.sinks.length }, 'config file reloaded');
      result = { ok: true, changed };
    } catch (err) {
      const issues: ConfigIssue[] = err instanceof ConfigError ? err.issues : [{ file, path: '', message: (err as Error).message }];
      for (const i of issues) this.#log.error({ file: i.file, ...(i.line !== undefined ? { line: i.line } : {}), path: i.path }, `config reload: ${formatIssue(i)}`);
      this.#log.warn({ file, issues: issues.length }, 'config file refused: the previous routes and sinks stay in force');
      result = { ok: false, issues };
    }
    for (const cb of this.#reloadListeners) {
      try {
        cb(result);
      } catch (err) {
        this.#log.error({ err: (err as Error).message }, 'config reload handler failed');
      }
    }
    return result;
  }

  async #watch(file: string): Promise<void> {
    const path = resolve(file);
    this.#lastText = await readFile(path, 'utf8').catch(() => undefined);
    // the directory, not the file: an editor's rename or a ConfigMap's ..data swap replaces the file
    this.#watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
      // ConfigMap mounts change ..data, not the file's own name; other names are other files
      if (name && name !== basename(path) && !name.startsWith('..')) return;
      this.#onFileEvent(path);
    });
    this.#watcher.on('error', (err) => this.#log.warn({ file, err: err.message }, 'config file watch failed; edits need a restart'));
  }

  #onFileEvent(path: string): void {
    if (this.#closed) return;
    const now = Date.now();
    if (!this.#watchTimer) this.#firstEventAt = now;
    else clearTimeout(this.#watchTimer);
    // an editor's save is several events: wait for quiet, but never more than MAX_WATCH_WAIT_MS after the first
    const wait = Math.max(0, Math.min(this.#o.watchDebounceMs ?? 100, this.#firstEventAt + MAX_WATCH_WAIT_MS - now));
    this.#watchTimer = setTimeout(() => {
      this.#watchTimer = undefined;
      void this.#fileChanged(path);
    }, wait);
  }

  async #fileChanged(path: string): Promise<void> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      // mid-replace, or removed: a later event brings the new file; until then the current config stays
      this.#log.warn({ file: this.#o.configFile, err: (err as NodeJS.ErrnoException).code ?? (err as Error).message }, 'config file unreadable; keeping the current config');
      return;
    }
    if (text === this.#lastText || this.#closed) return;
    this.#lastText = text;
    await this.reloadConfig();
  }
}

/** A read-only view of whatever map `get` returns now. */
class LiveMap<V> implements ReadonlyMap<string, V> {
  #get: () => ReadonlyMap<string, V>;
  constructor(get: () => ReadonlyMap<string, V>) {
    this.#get = get;
  }
  get size(): number {
    return this.#get().size;
  }
  get(k: string): V | undefined {
    return this.#get().get(k);
  }
  has(k: string): boolean {
    return this.#get().has(k);
  }
  forEach(cb: (v: V, k: string, m: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.#get()) cb.call(thisArg, v, k, this);
  }
  entries(): MapIterator<[string, V]> {
    return this.#get().entries();
  }
  keys(): MapIterator<string> {
    return this.#get().keys();
  }
  values(): MapIterator<V> {
    return this.#get().values();
  }
  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }
}
