// Watches ChatIdentity resources (one Reflector) and feeds the identity map:
// an edit is in force within a fraction of a second, no restart. Every
// object gets a Ready condition through the status subresource: True with
// the mapping, or False naming the field and why (a system: identity, a
// chat user another ChatIdentity also maps, one the config file maps).
// Objects that are not Ready map nobody; the others keep working.

import * as k8s from '@kubernetes/client-node';
import { Reflector, type ReflectorDelta } from '../cluster/reflector.ts';
import { SerialApply, statusOnly } from '../cluster/serial-apply.ts';
import { trimObject } from '../cluster/trim.ts';
import type { Logger } from '../model/logger.ts';
import type { IdentityMap } from './identity.ts';
import { CHAT_IDENTITY, CHAT_IDENTITY_API_VERSION, type ChatIdentityCheck, checkChatIdentities, desiredStatus, statusUpToDate } from './identity-resource.ts';

export interface IdentitySourceOptions {
  kc: k8s.KubeConfig;
  map: IdentityMap;
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

export class ChatIdentitySource {
  #o: IdentitySourceOptions;
  #reflector: Reflector | undefined;
  #api: k8s.CustomObjectsApi;
  #runs: SerialApply;
  #applying = false;
  #unsubscribe: (() => void) | undefined;
  #reported = new Map<string, string>();
  #checks: ChatIdentityCheck[] = [];
  #listeners = new Set<(checks: readonly ChatIdentityCheck[]) => void>();
  readonly stats = { applies: 0, statusWrites: 0, statusErrors: 0 };

  constructor(opts: IdentitySourceOptions) {
    this.#o = opts;
    this.#api = opts.kc.makeApiClient(k8s.CustomObjectsApi);
    this.#runs = new SerialApply({
      apply: () => this.#apply(),
      onError: (err) => this.#o.log.error({ err: err.message }, 'applying ChatIdentities failed; keeping the previous mappings'),
      debounceMs: opts.debounceMs,
      ready: () => this.#reflector !== undefined,
    });
  }

  /**
   * Lists once to fail early and clearly (no CRD, no permission), then
   * watches; resolves after the first list is in the map.
   */
  async start(): Promise<void> {
    try {
      await this.#api.listClusterCustomObject({ group: CHAT_IDENTITY.group, version: CHAT_IDENTITY.version, plural: CHAT_IDENTITY.plural, limit: 1 });
    } catch (err) {
      const code = err instanceof k8s.ApiException ? err.code : undefined;
      if (code === 404) throw new Error(`chatops.identityResources is on, but the ChatIdentity CRD (${CHAT_IDENTITY.plural}.${CHAT_IDENTITY.group}) is not installed: kubectl apply -k deploy/crds`);
      if (code === 403) throw new Error(`chatops.identityResources is on, but kubeherald may not list ${CHAT_IDENTITY.plural}.${CHAT_IDENTITY.group} (see deploy/rbac/clusterrole.yaml)`);
      throw new Error(`cannot list ChatIdentities: ${code ? `HTTP ${code}` : (err as Error).message}`);
    }
    const r = new Reflector({
      kc: this.#o.kc,
      spec: { apiVersion: CHAT_IDENTITY_API_VERSION, kind: CHAT_IDENTITY.kind, resource: CHAT_IDENTITY.plural, namespaced: false },
      trim: trimObject,
      watchdogMs: this.#o.watchdogMs ?? 300_000,
      pageSize: this.#o.pageSize ?? 500,
      log: this.#o.log,
      onDelta: (d) => this.#onDelta(d),
    });
    this.#reflector = r;
    // the config file's mappings win: when they change, which resources are overridden changes too
    this.#unsubscribe = this.#o.map.onChange(() => {
      if (!this.#applying) this.#runs.schedule();
    });
    r.start();
    await r.synced;
    await this.#runs.run();
  }

  async stop(): Promise<void> {
    const done = this.#runs.stop();
    this.#reflector?.stop();
    this.#unsubscribe?.();
    await done;
  }

  /** The last checks, one per ChatIdentity. */
  checks(): readonly ChatIdentityCheck[] {
    return this.#checks;
  }

  /** Calls `cb` after every apply; returns the unsubscribe. */
  onApply(cb: (checks: readonly ChatIdentityCheck[]) => void): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  /** Resolves once nothing is scheduled or running (status writes included). */
  settled(): Promise<void> {
    return this.#runs.settled();
  }

  #onDelta(d: ReflectorDelta): void {
    // status-only changes (our own writes among them) change no mapping
    if (!statusOnly(d)) this.#runs.schedule();
  }

  async #apply(): Promise<void> {
    const now = this.#o.now?.() ?? new Date();
    const map = this.#o.map;
    const checks = checkChatIdentities(this.#reflector?.list() ?? [], (spec) => map.configFor(spec));
    this.#applying = true;
    try {
      map.setResources(checks.flatMap((c) => (c.entry ? [c.entry] : [])));
    } finally {
      this.#applying = false;
    }
    this.#checks = checks;
    this.stats.applies++;
    this.#report(checks);
    for (const cb of this.#listeners) cb(checks);
    if (this.#o.writeStatus !== false) await Promise.all(checks.map((c) => this.#writeStatus(c, now)));
  }

  #report(checks: ChatIdentityCheck[]): void {
    const seen = new Set<string>();
    for (const c of checks) {
      seen.add(c.name);
      const text = c.problems.map((p) => `${p.field}: ${p.message}`).join('; ');
      if (this.#reported.get(c.name) === text) continue;
      this.#reported.set(c.name, text);
      if (text) this.#o.log.warn({ chatIdentity: c.name, problems: c.problems }, `ChatIdentity not ready: ${text}`);
      else this.#o.log.info({ chatIdentity: c.name, platform: c.entry!.platform, as: c.entry!.kubernetes.user }, 'ChatIdentity ready');
    }
    for (const name of this.#reported.keys()) if (!seen.has(name)) this.#reported.delete(name);
  }

  async #writeStatus(c: ChatIdentityCheck, now: Date): Promise<void> {
    const status = desiredStatus(c, now);
    if (statusUpToDate(c.obj, status)) return;
    try {
      await this.#api.patchClusterCustomObjectStatus(
        { group: CHAT_IDENTITY.group, version: CHAT_IDENTITY.version, plural: CHAT_IDENTITY.plural, name: c.name, body: { status }, fieldManager: this.#o.fieldManager ?? 'kubeherald' },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      this.stats.statusWrites++;
    } catch (err) {
      const code = err instanceof k8s.ApiException ? err.code : undefined;
      // deleted meanwhile: nothing to report on
      if (code === 404) return;
      this.stats.statusErrors++;
      this.#o.log.warn({ chatIdentity: c.name, err: code ? `HTTP ${code}` : (err as Error).message }, 'ChatIdentity status update failed');
    }
  }
}

/** Starts watching ChatIdentities into `map`; resolves once the first list is in force. */
export async function startIdentityResources(opts: IdentitySourceOptions): Promise<ChatIdentitySource> {
  const source = new ChatIdentitySource(opts);
  try {
    await source.start();
  } catch (err) {
    await source.stop();
    throw err;
  }
  return source;
}
