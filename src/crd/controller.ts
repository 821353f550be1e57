// The routing controller: watches Route, ClusterRoute, Sink and ClusterSink
// (one Reflector each), resolves Sinks' credentials from Secrets, compiles
// the routing table whenever anything changes (debounced, so a kubectl apply
// of ten objects is one compile and an edit is live well within 2 s), and
// writes each object's status: Ready True/False with the exact field and
// error, observedGeneration, and matched/delivered counters at most every
// few seconds. An invalid object is reported and left out; every other
// route keeps working.

import * as k8s from '@kubernetes/client-node';
import { Reflector, type ReflectorDelta } from '../cluster/reflector.ts';
import { trimObject } from '../cluster/trim.ts';
import type { KubeObject } from '../model/kube.ts';
import type { Logger } from '../model/logger.ts';
import { vocabulary } from '../detect/vocabulary.ts';
import { DEFAULT_DETECTORS } from '../detect/config.ts';
import { type CompiledTimeInterval, compileRoutes, effectiveRoutes, type RouteVocabulary } from '../rules/index.ts';
import type { KnownSink, RouteSpec, RoutingTable } from '../rules/types.ts';
import {
  checkRoute,
  checkSink,
  type DesiredStatus,
  knownSinkOf,
  previousReady,
  type Problem,
  readyCondition,
  type RouteCheck,
  routeProblems,
  routeWarnings,
  type SinkCheck,
  sinksText,
  statusUpToDate,
  summary,
  tenantCredentialProblems,
  tenantSinkProblems,
} from './reconcile.ts';
import { type EgressPolicy, egressPolicy } from '../sinks/egress.ts';
import { API_VERSION, type CRKind, type Delivery, deliveryOf, GROUP, KINDS, type SinkSpec, VERSION } from './schemas.ts';
import { type Credentials, kubeSecretReader, resolveCredentials, SecretCache, type SecretReader } from './secrets.ts';

export interface CrdControllerOptions {
  kc: k8s.KubeConfig;
  /** kubeherald's own namespace: ClusterSinks' Secrets are read here */
  namespace: string;
  log: Logger;
  /** called after every compile with the new table */
  onChange?: (table: RoutingTable) => void;
  /** routes and sinks of the config file, merged with the custom resources */
  configRoutes?: RouteSpec[];
  configSinks?: KnownSink[];
  /** the config file's named time intervals, which routes' activeTimeIntervals/muteTimeIntervals refer to */
  timeIntervals?: ReadonlyMap<string, CompiledTimeInterval>;
  /** changes within this window are compiled together (default 50 ms; keep ≤ 200) */
  debounceMs?: number;
  /** matched/delivered are written at most this often (default 5 s) */
  counterFlushMs?: number;
  secretTtlMs?: number;
  secretRetryMs?: number;
  /** tests and the CLI's `routes` commands read without writing */
  writeStatus?: boolean;
  /** Secrets through client-node unless given */
  secrets?: SecretReader;
  watchdogMs?: number;
  pageSize?: number;
  now?: () => Date;
  fieldManager?: string;
  /** the words Routes are checked against (default: the default detectors, no extra resources) */
  vocabulary?: RouteVocabulary;
  /** a Route matching a reason, kind or detector that nothing produces is left out (Ready False), not only warned about */
  strict?: boolean;
  /** what namespaced Sinks may reach (default: public addresses only, no allow-list) */
  egress?: EgressPolicy;
}

/** What the last compile made of one Route or ClusterRoute. */
export interface RouteReport {
  id: string;
  kind: 'Route' | 'ClusterRoute';
  /** absent when the object's spec is invalid */
  spec?: RouteSpec;
  /** why it is not in effect (empty when it is) */
  problems: readonly Problem[];
  warnings: readonly Problem[];
}

/** A valid sink of the custom resources, with its credentials, for the router. */
export interface ResolvedSink {
  /** the rules engine's sink id: "Sink/<ns>/<name>" or "ClusterSink/<name>" */
  id: string;
  kind: 'Sink' | 'ClusterSink';
  name: string;
  namespace?: string;
  spec: SinkSpec;
  delivery: Delivery;
  /** secret values: never log them */
  credentials: Credentials;
}

const KIND_ORDER: CRKind[] = ['Sink', 'ClusterSink', 'Route', 'ClusterRoute'];
const DEFAULT_VOCABULARY = vocabulary({ detectors: DEFAULT_DETECTORS });

interface Counter {
  matched: number;
  delivered: number;
}

export class CrdController {
  #o: CrdControllerOptions;
  #reflectors = new Map<CRKind, Reflector>();
  #secrets: SecretCache;
  #egress: EgressPolicy;
  #table: RoutingTable;
  #sinks = new Map<string, ResolvedSink>();
  #listeners = new Set<(t: RoutingTable) => void>();
  #timer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #refreshTimer: NodeJS.Timeout | undefined;
  #counterTimer: NodeJS.Timeout | undefined;
  #compiling: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #api: k8s.CustomObjectsApi;
  /** last reported problems per object, so the log says each once */
  #reported = new Map<string, string>();
  #pending = new Map<string, Counter>();
  #totals = new Map<string, Counter & { uid: string }>();
  #objects = new Map<string, { kind: CRKind; obj: KubeObject }>();
  #routeReports: RouteReport[] = [];
  readonly stats = { compiles: 0, statusWrites: 0, statusErrors: 0 };

  constructor(opts: CrdControllerOptions) {
    this.#o = opts;
    this.#egress = opts.egress ?? egressPolicy();
    this.#secrets = new SecretCache(opts.secrets ?? kubeSecretReader(opts.kc), { okTtlMs: opts.secretTtlMs, failTtlMs: opts.secretRetryMs });
    this.#api = opts.kc.makeApiClient(k8s.CustomObjectsApi);
    this.#table = compileRoutes(effectiveRoutes(opts.configRoutes ?? [], opts.configSinks ?? []), opts.configSinks ?? [], { timeIntervals: opts.timeIntervals });
    if (opts.onChange) this.#listeners.add(opts.onChange);
  }

  /** The table in force. */
  current(): RoutingTable {
    return this.#table;
  }

  /** Every Route and ClusterRoute of the last compile, in effect or not, with its problems and warnings. */
  routes(): readonly RouteReport[] {
    return this.#routeReports;
  }

  /** The valid Sinks and ClusterSinks by id, credentials resolved. */
  sinks(): ReadonlyMap<string, ResolvedSink> {
    return this.#sinks;
  }

  /** Calls `cb` after every compile; returns the unsubscribe. */
  onChange(cb: (t: RoutingTable) => void): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  /** Starts the watches; resolves after every kind was listed and the first table compiled. */
  async start(): Promise<void> {
    for (const kind of KIND_ORDER) {
      const info = KINDS[kind];
      const r = new Reflector({
        kc: this.#o.kc,
        spec: { apiVersion: API_VERSION, kind, resource: info.plural, namespaced: info.namespaced },
        trim: trimObject,
        watchdogMs: this.#o.watchdogMs ?? 300_000,
        pageSize: this.#o.pageSize ?? 500,
        log: this.#o.log,
        onDelta: (d) => this.#onDelta(d),
      });
      this.#reflectors.set(kind, r);
      r.start();
    }
    await Promise.all([...this.#reflectors.values()].map((r) => r.synced));
    await this.#runCompile();
    // re-read Secrets now and then, so rotated credentials are picked up
    this.#refreshTimer = setInterval(() => this.#schedule(), this.#o.secretTtlMs ?? 60_000);
    this.#refreshTimer.unref();
    this.#counterTimer = setInterval(() => void this.flushCounters(), this.#o.counterFlushMs ?? 5_000);
    this.#counterTimer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const r of this.#reflectors.values()) r.stop();
    for (const t of [this.#timer, this.#retryTimer]) if (t) clearTimeout(t);
    for (const t of [this.#refreshTimer, this.#counterTimer]) if (t) clearInterval(t);
    await this.#compiling;
  }

  /** Replaces the config file's routes and sinks (its hot reload) and recompiles. */
  setConfig(routes: RouteSpec[], sinks: KnownSink[], timeIntervals?: ReadonlyMap<string, CompiledTimeInterval>): void {
    this.#o.configRoutes = routes;
    this.#o.configSinks = sinks;
    if (timeIntervals) this.#o.timeIntervals = timeIntervals;
    this.#schedule();
  }

  /** Counts notifications a route (or sink) matched; written to its status within counterFlushMs. */
  countMatched(id: string, n = 1): void {
    this.#count(id).matched += n;
  }

  /** Counts notifications delivered through a route or to a sink. */
  countDelivered(id: string, n = 1): void {
    this.#count(id).delivered += n;
  }

  #count(id: string): Counter {
    let c = this.#pending.get(id);
    if (!c) this.#pending.set(id, (c = { matched: 0, delivered: 0 }));
    return c;
  }

  /** Compiles now (after any compile under way); for tests and `routes list`. */
  async refresh(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#runCompile();
  }

  /** Resolves once no compile is scheduled or running (its status writes included). */
  async settled(): Promise<void> {
    while (this.#timer || this.#compiling) {
      if (this.#compiling) await this.#compiling;
      else await new Promise((r) => setTimeout(r, this.#o.debounceMs ?? 50));
    }
  }

  #onDelta(d: ReflectorDelta): void {
    // our own status writes (and other status-only changes) do not change routing
    if (d.type === 'MODIFIED' && d.old && d.current && d.old.metadata.generation === d.current.metadata.generation && d.old.metadata.uid === d.current.metadata.uid) return;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped || this.#timer) return;
    // not reset by later changes: the first change waits at most debounceMs
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#runCompile();
    }, this.#o.debounceMs ?? 50);
  }

  async #runCompile(): Promise<void> {
    if (this.#compiling) {
      this.#again = true;
      return this.#compiling;
    }
    this.#compiling = this.#compile()
      .catch((err) => this.#o.log.error({ err: (err as Error).message }, 'routing compile failed; keeping the previous table'))
      .finally(() => {
        this.#compiling = undefined;
        if (this.#again && !this.#stopped) {
          this.#again = false;
          this.#schedule();
        }
      });
    return this.#compiling;
  }

  async #compile(): Promise<void> {
    const now = this.#o.now?.() ?? new Date();
    const list = (kind: CRKind): KubeObject[] => this.#reflectors.get(kind)?.list() ?? [];
    const objects = new Map<string, { kind: CRKind; obj: KubeObject }>();

    // sinks first: routes can only use the valid ones
    const sinkChecks = [...list('Sink').map((o) => checkSink('Sink', o)), ...list('ClusterSink').map((o) => checkSink('ClusterSink', o))];
    const resolved = new Map<string, ResolvedSink>();
    let secretTrouble = false;
    await Promise.all(
      sinkChecks.map(async (s) => {
        objects.set(s.id, { kind: s.kind, obj: s.obj });
        if (!s.spec) return;
        const tenant = tenantSinkProblems(s, this.#egress);
        if (tenant.length) {
          s.problems.push(...tenant);
          return;
        }
        const ns = s.kind === 'Sink' ? s.obj.metadata.namespace! : this.#o.namespace;
        // a namespaced Sink uses only Secrets that opted in; a ClusterSink's are in kubeherald's own namespace
        const { values, problems } = await resolveCredentials(s.spec, ns, this.#secrets, s.kind === 'Sink' ? { sink: s.obj.metadata.name! } : undefined);
        if (problems.length) {
          s.problems.push(...problems);
          secretTrouble = true;
          return;
        }
        const refused = tenantCredentialProblems(s, values, this.#egress);
        if (refused.length) {
          s.problems.push(...refused);
          return;
        }
        resolved.set(s.id, {
          id: s.id,
          kind: s.kind,
          name: s.obj.metadata.name!,
          ...(s.kind === 'Sink' ? { namespace: s.obj.metadata.namespace } : {}),
          spec: s.spec,
          delivery: deliveryOf(s.spec),
          credentials: values,
        });
      }),
    );
    const sinksById = new Map(sinkChecks.map((s) => [s.id, s]));
    const known: KnownSink[] = [...(this.#o.configSinks ?? []), ...sinkChecks.filter((s) => resolved.has(s.id)).map(knownSinkOf)];

    const routeChecks = [...list('Route').map((o) => checkRoute('Route', o)), ...list('ClusterRoute').map((o) => checkRoute('ClusterRoute', o))];
    const words = this.#o.vocabulary ?? DEFAULT_VOCABULARY;
    for (const r of routeChecks) {
      objects.set(r.id, { kind: r.kind, obj: r.obj });
      const warnings = routeWarnings(r, words);
      // strict: a route that can never match what it names is left out, as an invalid one is
      if (this.#o.strict) r.problems.push(...warnings);
      else r.warnings.push(...warnings);
    }
    const specs = [...(this.#o.configRoutes ?? []), ...routeChecks.flatMap((r) => (r.spec && !r.problems.length ? [r.spec] : []))];
    // a Route left out is still a route: the default (everything to every config sink) is for when there are none at all
    const none = !this.#o.configRoutes?.length && routeChecks.length === 0;
    const table = compileRoutes(none ? effectiveRoutes([], known) : specs, known, { timeIntervals: this.#o.timeIntervals });
    for (const r of routeChecks) r.problems.push(...routeProblems(r, table, sinksById));
    this.#routeReports = routeChecks.map((r) => ({ id: r.id, kind: r.kind, ...(r.spec ? { spec: r.spec } : {}), problems: r.problems, warnings: r.warnings }));

    this.#table = table;
    this.#sinks = resolved;
    this.#objects = objects;
    this.stats.compiles++;
    for (const cb of this.#listeners) {
      try {
        cb(table);
      } catch (err) {
        this.#o.log.error({ err: (err as Error).message }, 'routing onChange handler failed');
      }
    }
    this.#report(sinkChecks, routeChecks, table.routes.length);

    if (secretTrouble && !this.#stopped) {
      // a missing Secret may appear at any time; nothing we watch says when
      if (this.#retryTimer) clearTimeout(this.#retryTimer);
      this.#retryTimer = setTimeout(() => this.#schedule(), this.#o.secretRetryMs ?? 5_000);
      this.#retryTimer.unref();
    }
    if (this.#o.writeStatus !== false) await this.#writeStatuses(sinkChecks, routeChecks, now);
  }

  #report(sinks: SinkCheck[], routes: RouteCheck[], active: number): void {
    const seen = new Set<string>();
    for (const c of [...sinks, ...routes]) {
      seen.add(c.id);
      const warnings = 'warnings' in c ? c.warnings : [];
      const text = summary(c.problems);
      const said = `${text}\n${summary(warnings)}`;
      if (this.#reported.get(c.id) === said) continue;
      this.#reported.set(c.id, said);
      // the problems name fields and Secrets, never their values
      if (text) this.#o.log.warn({ object: c.id, problems: c.problems }, `${c.kind} not ready: ${text}`);
      else if (warnings.length) this.#o.log.warn({ object: c.id, warnings }, `${c.kind} ready, with warnings: ${summary(warnings)}`);
      else this.#o.log.info({ object: c.id }, `${c.kind} ready`);
    }
    for (const id of this.#reported.keys()) if (!seen.has(id)) this.#reported.delete(id);
    this.#o.log.debug({ routes: active, problems: [...sinks, ...routes].filter((c) => c.problems.length).length }, 'routing table compiled');
  }

  async #writeStatuses(sinks: SinkCheck[], routes: RouteCheck[], now: Date): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const s of sinks) {
      const ok = `${s.spec?.type ?? ''} sink ready`.trim();
      writes.push(this.#writeReady(s.kind, s.obj, s.problems, ok, undefined, now));
    }
    for (const r of routes) {
      const ok = r.crSpec?.drop ? 'drops matching notifications' : `routes to ${sinksText(r.crSpec)}`;
      writes.push(this.#writeReady(r.kind, r.obj, r.problems, ok, sinksText(r.crSpec), now, r.warnings));
    }
    await Promise.all(writes);
  }

  async #writeReady(kind: CRKind, obj: KubeObject, problems: Problem[], okMessage: string, sinks: string | undefined, now: Date, warnings: Problem[] = []): Promise<void> {
    const generation = obj.metadata.generation ?? 0;
    const desired: DesiredStatus = {
      observedGeneration: generation,
      conditions: [readyCondition(problems, okMessage, generation, previousReady(obj), now, warnings)],
      ...(sinks !== undefined ? { sinks } : {}),
    };
    // a compile that changes nothing writes nothing (our own writes do not trigger compiles: see #onDelta)
    if (statusUpToDate(obj, desired)) return;
    await this.#patchStatus(kind, obj, desired);
  }

  /** Writes the pending counters (called every counterFlushMs; tests call it directly). */
  async flushCounters(): Promise<void> {
    if (this.#o.writeStatus === false || !this.#pending.size) return;
    const pending = this.#pending;
    this.#pending = new Map();
    const writes: Promise<unknown>[] = [];
    for (const [id, delta] of pending) {
      const target = this.#objects.get(id);
      if (!target) continue;
      const { kind, obj } = target;
      const uid = obj.metadata.uid ?? '';
      let totals = this.#totals.get(id);
      if (!totals || totals.uid !== uid) {
        // counting resumes from what the status says (across restarts), and restarts for a re-created object
        const status = (obj.status ?? {}) as { matched?: number; delivered?: number };
        totals = { uid, matched: status.matched ?? 0, delivered: status.delivered ?? 0 };
        this.#totals.set(id, totals);
      }
      totals.matched += delta.matched;
      totals.delivered += delta.delivered;
      const counters: Record<string, number> = { delivered: totals.delivered };
      if (kind === 'Route' || kind === 'ClusterRoute' || totals.matched) counters.matched = totals.matched;
      writes.push(this.#patchStatus(kind, obj, counters));
    }
    await Promise.all(writes);
  }

  async #patchStatus(kind: CRKind, obj: KubeObject, status: object): Promise<boolean> {
    const info = KINDS[kind];
    const body = { status };
    const options = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
    const fieldManager = this.#o.fieldManager ?? 'kubeherald';
    try {
      if (info.namespaced) {
        await this.#api.patchNamespacedCustomObjectStatus(
          { group: GROUP, version: VERSION, namespace: obj.metadata.namespace!, plural: info.plural, name: obj.metadata.name!, body, fieldManager },
          options,
        );
      } else {
        await this.#api.patchClusterCustomObjectStatus({ group: GROUP, version: VERSION, plural: info.plural, name: obj.metadata.name!, body, fieldManager }, options);
      }
      this.stats.statusWrites++;
      return true;
    } catch (err) {
      const code = err instanceof k8s.ApiException ? err.code : undefined;
      // deleted meanwhile: nothing to report on
      if (code === 404) return false;
      this.stats.statusErrors++;
      this.#o.log.warn({ object: `${kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`, err: code ? `HTTP ${code}` : (err as Error).message }, 'status update failed');
      return false;
    }
  }
}
