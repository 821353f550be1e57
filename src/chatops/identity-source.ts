// Watches ChatIdentity resources (one Reflector) and feeds the identity map:
// an edit is in force within a fraction of a second, no restart. Every
// object gets a Ready condition through the status subresource: True with
// the mapping, or False naming the field and why (a system: identity, a
// chat user another ChatIdentity also maps, one the config file maps).
// Objects that are not Ready map nobody; the others keep working.

import { ReadinessLog, ResourceSource, type ResourceSourceOptions, startOrStop } from '../cluster/watched-resources.ts';
import type { IdentityMap } from './identity.ts';
import { CHAT_IDENTITY, type ChatIdentityCheck, checkChatIdentities, desiredStatus, statusUpToDate } from './identity-resource.ts';

const KIND = { ...CHAT_IDENTITY, namespaced: false };

export interface IdentitySourceOptions extends ResourceSourceOptions {
  map: IdentityMap;
}

export class ChatIdentitySource extends ResourceSource<ChatIdentityCheck> {
  #o: IdentitySourceOptions;
  #applying = false;
  #unsubscribe: (() => void) | undefined;
  #readiness = new ReadinessLog();
  #listeners = new Set<(checks: readonly ChatIdentityCheck[]) => void>();

  constructor(opts: IdentitySourceOptions) {
    super({
      ...opts,
      kinds: [KIND],
      onError: (err) => opts.log.error({ err: err.message }, 'applying ChatIdentities failed; keeping the previous mappings'),
      unlistable: (_k, why, code) => {
        throw new Error(code === 404 || code === 403 ? `chatops.identityResources is on, but ${why}` : why);
      },
    });
    this.#o = opts;
  }

  /**
   * Lists once to fail early and clearly (no CRD, no permission), then
   * watches; resolves after the first list is in the map.
   */
  override start(): Promise<void> {
    // the config file's mappings win: when they change, which resources are overridden changes too
    this.#unsubscribe = this.#o.map.onChange(() => {
      if (!this.#applying) this.watched.runs.schedule();
    });
    return super.start();
  }

  override async stop(): Promise<void> {
    this.#unsubscribe?.();
    await super.stop();
  }

  /** Calls `cb` after every apply; returns the unsubscribe. */
  onApply(cb: (checks: readonly ChatIdentityCheck[]) => void): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  protected async apply(): Promise<void> {
    const now = this.#o.now?.() ?? new Date();
    const map = this.#o.map;
    const checks = checkChatIdentities(this.watched.list(KIND.kind), (spec) => map.configFor(spec));
    this.#applying = true;
    try {
      map.setResources(checks.flatMap((c) => (c.entry ? [c.entry] : [])));
    } finally {
      this.#applying = false;
    }
    this.lastChecks = checks;
    this.#readiness.update(
      checks,
      (c) => c.name,
      (c) => c.problems.map((p) => `${p.field}: ${p.message}`).join('; '),
      (c, text) => {
        if (text) this.#o.log.warn({ chatIdentity: c.name, problems: c.problems }, `ChatIdentity not ready: ${text}`);
        else this.#o.log.info({ chatIdentity: c.name, platform: c.entry!.platform, as: c.entry!.kubernetes.user }, 'ChatIdentity ready');
      },
    );
    for (const cb of this.#listeners) cb(checks);
    if (this.#o.writeStatus !== false) await Promise.all(checks.map((c) => this.#writeStatus(c, now)));
  }

  async #writeStatus(c: ChatIdentityCheck, now: Date): Promise<void> {
    const status = desiredStatus(c, now);
    if (statusUpToDate(c.obj, status)) return;
    await this.watched.writeStatus(KIND, c.obj, status, { fields: { chatIdentity: c.name }, msg: 'ChatIdentity status update failed' });
  }
}

/** Starts watching ChatIdentities into `map`; resolves once the first list is in force. */
export function startIdentityResources(opts: IdentitySourceOptions): Promise<ChatIdentitySource> {
  return startOrStop(new ChatIdentitySource(opts));
}
