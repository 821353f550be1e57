// The Silence and ClusterSilence controller: one Reflector each, and the
// silences store kept in step with them through the SilenceKeeper (so a
// silence is in force, or ends and releases what it held, at once). Every
// object gets Ready (True, or False naming the field: it then matches
// nothing) and Expired conditions through the status subresource; Expired
// turns True on the pipeline's clock when the silence ends.
//
// A resource's silence has the id `cr:<ns>/<name>.g<generation>`: an edit
// ends the old silence and makes a new one (the store's silences are never
// rewritten), a deletion ends it, and a restart finds its ids already there.

import type * as k8s from '@kubernetes/client-node';
import { ResourceSource, startOrStop } from '../cluster/watched-resources.ts';
import type { Clock } from '../model/clock.ts';
import type { Logger } from '../model/logger.ts';
import type { Silence } from '../rules/silence.ts';
import { checkSilence, CLUSTER_SILENCE, desiredSilenceStatus, SILENCE, type SilenceCheck, silenceStatusUpToDate } from './silence-resource.ts';

/** What the controller needs of the silences (the SilenceKeeper and its store). */
export interface SilenceStorePort {
  add(s: Silence): void;
  expire(id: string, by: string): Silence | undefined;
  get(id: string): Silence | undefined;
  /** silences not ended */
  open(): Silence[];
}

export interface SilenceControllerOptions {
  kc: k8s.KubeConfig;
  silences: SilenceStorePort;
  clock: Clock;
  log: Logger;
  /** the longest a silence lasts without spec.force (ms) */
  maxDurationMs: number;
  /** who created an object, per the audit feed (undefined: not heard of) */
  creatorOf?: (ref: { kind: string; namespace?: string; name: string; uid?: string }, at: Date) => string | undefined;
  debounceMs?: number;
  watchdogMs?: number;
  fieldManager?: string;
}

const KINDS = [
  { ...SILENCE, namespaced: true },
  { ...CLUSTER_SILENCE, namespaced: false },
] as const;

const RESOURCE_PREFIX = 'cr:';

export class SilenceController extends ResourceSource<SilenceCheck> {
  #o: SilenceControllerOptions;
  #expiry: unknown;

  constructor(opts: SilenceControllerOptions) {
    super({
      ...opts,
      kinds: KINDS,
      onError: (err) => opts.log.error({ err: err.message }, 'applying Silence resources failed; will try at the next change'),
      // a kind whose CRD is not installed is skipped with a warning
      unlistable: (k, why) => opts.log.warn({ kind: k.kind }, `${k.kind} resources are not read: ${why}`),
    });
    this.#o = opts;
  }

  override async stop(): Promise<void> {
    const done = super.stop();
    if (this.#expiry !== undefined) this.#o.clock.clearTimeout(this.#expiry);
    await done;
  }

  protected async apply(): Promise<void> {
    const now = this.#o.clock.now();
    const at = now.getTime();
    const checks: SilenceCheck[] = [];
    for (const k of KINDS) {
      for (const obj of this.watched.list(k.kind)) {
        const m = obj.metadata;
        const created = m.creationTimestamp ? new Date(String(m.creationTimestamp)) : undefined;
        const creator = created && this.#o.creatorOf ? this.#o.creatorOf({ kind: k.kind, ...(m.namespace ? { namespace: m.namespace } : {}), name: m.name ?? '', ...(m.uid ? { uid: m.uid } : {}) }, created) : undefined;
        checks.push(checkSilence(k.kind, obj, { maxSeconds: this.#o.maxDurationMs / 1000, ...(creator ? { creator } : {}) }));
      }
    }
    // a resource's silence id carries its generation: an edit is a new silence
    for (const c of checks) if (c.silence) c.silence.id = `${c.silence.id}.g${c.obj.metadata.generation ?? 0}`;
    this.lastChecks = checks;
    const wanted = new Map(checks.filter((c) => c.silence).map((c) => [c.silence!.id, c] as const));
    // the new silences first: ending an edited one releases what it held, and its successor must already hold it
    for (const [id, c] of wanted) {
      const s = c.silence!;
      if (s.endsAt <= at || this.#o.silences.get(id)) continue;
      try {
        this.#o.silences.add({ id, matchers: s.matchers, startsAt: s.startsAt, endsAt: s.endsAt, createdBy: s.author, comment: s.comment, source: 'resource', createdAt: at, ...(s.forced ? { forced: true } : {}) });
        this.#o.log.info({ silence: id, by: s.author }, `${c.kind} ${c.key} in force`);
      } catch (err) {
        this.#o.log.error({ silence: id, err: (err as Error).message }, `cannot store the silence of ${c.kind} ${c.key}`);
      }
    }
    for (const s of this.#o.silences.open()) {
      if (s.source === 'resource' && s.id.startsWith(RESOURCE_PREFIX) && !wanted.has(s.id)) {
        this.#o.silences.expire(s.id, `resource:${s.id.slice(RESOURCE_PREFIX.length).replace(/\.g\d+$/, '')} changed or deleted`);
      }
    }
    for (const c of checks) if (!c.silence) this.#o.log.warn({ problems: c.problems }, `${c.kind} ${c.key} not ready: ${c.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
    this.#scheduleExpiry(checks, at);
    await Promise.all(checks.map((c) => this.#writeStatus(c, now)));
  }

  // Expired turns True on time: wake at the next end still to come
  #scheduleExpiry(checks: SilenceCheck[], at: number): void {
    if (this.#expiry !== undefined) this.#o.clock.clearTimeout(this.#expiry);
    this.#expiry = undefined;
    const next = Math.min(...checks.flatMap((c) => (c.silence && c.silence.endsAt > at ? [c.silence.endsAt] : [])));
    if (!Number.isFinite(next) || this.watched.runs.stopped) return;
    this.#expiry = this.#o.clock.setTimeout(() => {
      this.#expiry = undefined;
      void this.watched.runs.run();
    }, next - at);
  }

  async #writeStatus(c: SilenceCheck, now: Date): Promise<void> {
    const status = desiredSilenceStatus(c, now, c.silence ? this.#o.silences.get(c.silence.id)?.expiredAt : undefined);
    if (silenceStatusUpToDate(c.obj, status)) return;
    await this.watched.writeStatus(c.kind === 'Silence' ? KINDS[0] : KINDS[1], c.obj, status, { fields: { silence: c.key }, msg: 'Silence status update failed' });
  }
}

/** Starts the controller; resolves once the first lists are in force. */
export function startSilenceResources(opts: SilenceControllerOptions): Promise<SilenceController> {
  return startOrStop(new SilenceController(opts));
}
