// Custom resources kubeherald reads and reports on through a Ready
// condition (the ChatIdentity, ChatPolicy and Silence sources): each kind is
// listed once to fail early and clearly (no CRD, no permission), then
// watched by a Reflector; a change other than to status re-applies them all
// (serial-apply.ts), and each object's status is written through the status
// subresource. The sources differ in what an apply makes of the objects.

import * as k8s from '@kubernetes/client-node';
import type { KubeObject } from '../model/kube.ts';
import type { Logger } from '../model/logger.ts';
import { Reflector } from './reflector.ts';
import { SerialApply, statusOnly } from './serial-apply.ts';
import { trimObject } from './trim.ts';

export interface CustomKind {
  kind: string;
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

export interface WatchedResourcesOptions {
  kc: k8s.KubeConfig;
  log: Logger;
  kinds: readonly CustomKind[];
  /** what the source makes of the objects now */
  apply: () => Promise<void>;
  /** a failed apply: the source keeps what it had and says so */
  onError: (err: Error) => void;
  /** a kind that cannot be listed: throw to fail the start, return to go on without it */
  unlistable: (k: CustomKind, why: string, code: number | undefined) => void;
  /** changes within this window are applied together (default 50 ms) */
  debounceMs?: number;
  watchdogMs?: number;
  pageSize?: number;
  fieldManager?: string;
}

/** Why a kind cannot be listed, in words that say what to do about it. */
export function whyNotListable(k: CustomKind, code: number | undefined, err: Error): string {
  if (code === 404) return `the ${k.kind} CRD (${k.plural}.${k.group}) is not installed: kubectl apply -k deploy/crds`;
  if (code === 403) return `kubeherald may not list ${k.plural}.${k.group} (see deploy/rbac/clusterrole.yaml)`;
  return `cannot list ${k.kind} resources: ${code ? `HTTP ${code}` : err.message}`;
}

export class WatchedResources {
  #o: WatchedResourcesOptions;
  #api: k8s.CustomObjectsApi;
  #reflectors = new Map<string, Reflector>();
  readonly runs: SerialApply;
  readonly stats = { applies: 0, statusWrites: 0, statusErrors: 0 };

  constructor(o: WatchedResourcesOptions) {
    this.#o = o;
    this.#api = o.kc.makeApiClient(k8s.CustomObjectsApi);
    this.runs = new SerialApply({
      apply: async () => {
        this.stats.applies++;
        await o.apply();
      },
      onError: o.onError,
      debounceMs: o.debounceMs,
      ready: () => this.#reflectors.size > 0,
    });
  }

  /** Lists each kind once, then watches; resolves after the first lists are applied. */
  async start(): Promise<void> {
    const o = this.#o;
    for (const k of o.kinds) {
      try {
        await this.#api.listClusterCustomObject({ group: k.group, version: k.version, plural: k.plural, limit: 1 });
      } catch (err) {
        const code = err instanceof k8s.ApiException ? err.code : undefined;
        o.unlistable(k, whyNotListable(k, code, err as Error), code);
        continue;
      }
      this.#reflectors.set(
        k.kind,
        new Reflector({
          kc: o.kc,
          spec: { apiVersion: `${k.group}/${k.version}`, kind: k.kind, resource: k.plural, namespaced: k.namespaced },
          trim: trimObject,
          watchdogMs: o.watchdogMs ?? 300_000,
          pageSize: o.pageSize ?? 500,
          log: o.log,
          // status-only changes (our own writes among them) change nothing a source applies
          onDelta: (d) => {
            if (!statusOnly(d)) this.runs.schedule();
          },
        }),
      );
    }
    for (const r of this.#reflectors.values()) r.start();
    await Promise.all([...this.#reflectors.values()].map((r) => r.synced));
    await this.runs.run();
  }

  /** The objects of a kind as watched now (none when it is not listable). */
  list(kind: string): KubeObject[] {
    return this.#reflectors.get(kind)?.list() ?? [];
  }

  /** No more applies; resolves once the current one is done. */
  async stop(): Promise<void> {
    const done = this.runs.stop();
    for (const r of this.#reflectors.values()) r.stop();
    await done;
  }

  /**
   * Writes an object's status (merge patch on the status subresource). One
   * deleted meanwhile is nothing to report on; another failure is counted
   * and logged with `logAs`, and the next apply tries again.
   */
  async writeStatus(k: CustomKind, obj: KubeObject, status: unknown, logAs: { fields: object; msg: string }): Promise<void> {
    const base = { group: k.group, version: k.version, plural: k.plural, name: obj.metadata.name!, body: { status }, fieldManager: this.#o.fieldManager ?? 'kubeherald' };
    const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
    try {
      if (k.namespaced) await this.#api.patchNamespacedCustomObjectStatus({ ...base, namespace: obj.metadata.namespace! }, merge);
      else await this.#api.patchClusterCustomObjectStatus(base, merge);
      this.stats.statusWrites++;
    } catch (err) {
      const code = err instanceof k8s.ApiException ? err.code : undefined;
      if (code === 404) return;
      this.stats.statusErrors++;
      this.#o.log.warn({ ...logAs.fields, err: code ? `HTTP ${code}` : (err as Error).message }, logAs.msg);
    }
  }
}

/** What every source over watched custom resources takes. */
export interface ResourceSourceOptions {
  kc: k8s.KubeConfig;
  log: Logger;
  /** changes within this window are applied together (default 50 ms) */
  debounceMs?: number;
  /** tests read without writing */
  writeStatus?: boolean;
  watchdogMs?: number;
  pageSize?: number;
  now?: () => Date;
  fieldManager?: string;
}

/**
 * A source over watched custom resources: what the ChatIdentity, ChatPolicy
 * and Silence sources share. A subclass says what an apply makes of the
 * objects (and sets `lastChecks`, one per object).
 */
export abstract class ResourceSource<C> {
  protected readonly watched: WatchedResources;
  protected lastChecks: C[] = [];

  constructor(o: Omit<WatchedResourcesOptions, 'apply'>) {
    this.watched = new WatchedResources({ ...o, apply: () => this.apply() });
  }

  protected abstract apply(): Promise<void>;

  get stats(): WatchedResources['stats'] {
    return this.watched.stats;
  }

  /** Lists each kind once, then watches; resolves after the first lists are applied. */
  start(): Promise<void> {
    return this.watched.start();
  }

  stop(): Promise<void> {
    return this.watched.stop();
  }

  /** The last checks, one per object. */
  checks(): readonly C[] {
    return this.lastChecks;
  }

  /** Resolves once nothing is scheduled or running (status writes included). */
  settled(): Promise<void> {
    return this.watched.runs.settled();
  }
}

/**
 * Each object's readiness logged once per change of its problems: `say` is
 * called for the objects whose problem text differs from the last call's;
 * an object gone from the list is forgotten.
 */
export class ReadinessLog {
  #last = new Map<string, string>();

  update<T>(items: readonly T[], key: (item: T) => string, text: (item: T) => string, say: (item: T, text: string) => void): void {
    const seen = new Set<string>();
    for (const item of items) {
      const id = key(item);
      const t = text(item);
      seen.add(id);
      if (this.#last.get(id) === t) continue;
      this.#last.set(id, t);
      say(item, t);
    }
    for (const id of [...this.#last.keys()]) if (!seen.has(id)) this.#last.delete(id);
  }
}

/** Starts a source; one that fails to start is stopped (its watches and timers) before the error goes on. */
export async function startOrStop<T extends { start(): Promise<void>; stop(): Promise<void> }>(source: T): Promise<T> {
  try {
    await source.start();
  } catch (err) {
    await source.stop();
    throw err;
  }
  return source;
}
