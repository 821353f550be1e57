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
//
// This module swaps tables and answers routing questions; the instances are
// sink-instances.ts's, the file watch config-file-watch.ts's, and what was
// left out is logged by routing-reports.ts.

import type * as k8s from '@kubernetes/client-node';
import { type Config, ConfigError, type ConfigIssue, configVocabulary, formatIssue, loadConfig } from '../config/index.ts';
import { CrdController, type CrdControllerOptions } from '../crd/controller.ts';
import type { Logger } from '../model/logger.ts';
import type { Notification } from '../model/notification.ts';
import { type CompiledTimeInterval, compileTimeIntervals, configRoutes, configSinks, tableFromConfig } from '../rules/index.ts';
import type { RouteGrouping, RouteMute, RoutingResult, RoutingTable } from '../rules/types.ts';
import { type EgressPolicy, egressPolicy } from '../sinks/egress.ts';
import { createSink as createSinkDefault } from '../sinks/index.ts';
import { type ConfigFileWatch, watchConfigFile } from './config-file-watch.ts';
import { LiveMap } from './live-map.ts';
import { RoutingReports } from './routing-reports.ts';
import { type CreateSink, fingerprint, SinkInstances } from './sink-instances.ts';
import type { RoutedSink, TrackedSink } from './tracked-sink.ts';

export type { RoutedSink } from './tracked-sink.ts';

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
  createSink?: CreateSink;
  /** file events are gathered for this long, at most 200 ms after the first (default 100) */
  watchDebounceMs?: number;
  /** what namespaced Sinks may reach (default: from config.customResources.egress); tests pass one with their own resolver */
  egress?: EgressPolicy;
  controller?: Partial<Pick<CrdControllerOptions, 'debounceMs' | 'counterFlushMs' | 'secretTtlMs' | 'secretRetryMs' | 'writeStatus' | 'watchdogMs' | 'pageSize' | 'fieldManager'>>;
}
interface State {
  table: RoutingTable;
  sinks: ReadonlyMap<string, TrackedSink>;
}

const isCrRoute = (id: string): boolean => id.startsWith('Route/') || id.startsWith('ClusterRoute/');
const isCrSink = (id: string): boolean => id.startsWith('Sink/') || id.startsWith('ClusterSink/');

export class RoutingHub {
  #o: RoutingHubOptions;
  #log: Logger;
  #config: Config;
  #state: State;
  #instances: SinkInstances;
  #reports: RoutingReports;
  #controller: CrdController | undefined;
  #listeners = new Set<(t: RoutingTable) => void>();
  #reloadListeners = new Set<(r: ReloadResult) => void>();
  #rebuilds: Promise<void> = Promise.resolve();
  #rebuildQueued = false;
  #reloads: Promise<unknown> = Promise.resolve();
  #watch: ConfigFileWatch | undefined;
  #lastResult = new WeakMap<Notification, RoutingResult>();
  /** by notification routed with routeWithGroups, the sinks a time window kept its matching route from */
  #muted = new WeakMap<Notification, Readonly<Record<string, RouteMute>>>();
  #intervals: { list: unknown; compiled: ReadonlyMap<string, CompiledTimeInterval> } | undefined;
  #closed = false;
  #egress: EgressPolicy;

  private constructor(opts: RoutingHubOptions) {
    this.#o = opts;
    this.#log = opts.log;
    this.#config = opts.config;
    this.#state = { table: tableFromConfig({ routes: [], sinks: [] }), sinks: new Map() };
    this.#egress = opts.egress ?? egressPolicy({ allow: opts.config.customResources.egress.allow });
    this.#reports = new RoutingReports(this.#log);
    this.#instances = new SinkInstances({
      create: opts.createSink ?? createSinkDefault,
      log: this.#log,
      stdout: opts.stdout,
      env: opts.env,
      egress: this.#egress,
      configFile: opts.configFile,
      current: (id) => this.#state.sinks.get(id),
      report: (id, problems) => this.#reports.sink(id, problems),
    });
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
    this.#instances.commitConfig(await this.#instances.buildConfig(this.#config));
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
    if (o.configFile) this.#watch = await watchConfigFile({ file: o.configFile, debounceMs: o.watchDebounceMs, log: this.#log, onChange: () => this.reloadConfig() });
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
    this.#watch?.close();
    await this.#controller?.stop();
    await this.#reloads;
    await this.#rebuilds;
    await this.#instances.close();
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
    await this.#instances.buildCustom(resolved);
    this.#reports.forgetSinks((id) => isCrSink(id) && !resolved.some((r) => r.id === id));
    this.#swap(table);
  }

  /** Puts a table and the current instances in force at once, then retires what nothing uses. */
  #swap(table: RoutingTable): void {
    const sinks = this.#instances.serving();
    this.#state = { table, sinks };
    this.#reports.routes(table);
    for (const cb of this.#listeners) {
      try {
        cb(table);
      } catch (err) {
        this.#log.error({ err: (err as Error).message }, 'routing onChange handler failed');
      }
    }
    this.#instances.settle(sinks);
  }

  async #reload(): Promise<ReloadResult> {
    const file = this.#o.configFile;
    if (!file || this.#closed) return { ok: true, changed: false };
    const load = this.#o.loadConfig ?? ((f: string) => loadConfig({ file: f, env: this.#o.env ?? process.env }));
    let result: ReloadResult;
    try {
      const config = await load(file);
      const built = await this.#instances.buildConfig(config);
      const changed = fingerprint([config.routes, config.sinks, config.timeIntervals]) !== fingerprint([this.#config.routes, this.#config.sinks, this.#config.timeIntervals]);
      const restartOnly = (Object.keys(config) as (keyof Config)[]).filter((k) => k !== 'routes' && k !== 'sinks' && k !== 'timeIntervals' && fingerprint(config[k]) !== fingerprint(this.#config[k]));
      if (restartOnly.length) this.#log.warn({ file, sections: restartOnly }, `config file: changes to ${restartOnly.join(', ')} take effect after a restart`);
      this.#config = config;
      this.#instances.commitConfig(built);
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
}
