// The API server's requests that are neither plain reads nor plain writes of
// one object: pods/eviction, serviceaccounts/token and tokenreviews, plus the
// LimitRanger and ResourceQuota admission plugins and service account
// bearer tokens. The HTTP layer (apiserver.ts) asks here first.

import type { SimClock } from './clock.ts';
import { evictPodRequest } from './eviction.ts';
import type { Reply } from './handlers.ts';
import { admitLimitRanges, admitPriority, admitQuota } from './quota.ts';
import type { RequestInfo } from './request.ts';
import type { ObjectStore } from './store.ts';
import { ServiceAccountTokens } from './tokens.ts';
import type { KObject, ResourceType, UserInfo } from './types.ts';

export interface PodDeleter {
  delete(rt: ResourceType, info: RequestInfo, raw: string): Reply;
}

export class ClusterOps {
  readonly tokens: ServiceAccountTokens;
  #store: ObjectStore;
  #clock: SimClock;

  constructor(deps: { store: ObjectStore; clock: SimClock }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.tokens = new ServiceAccountTokens(deps);
  }

  /** Mutating then validating admission of a create. */
  readonly admit = (rt: ResourceType, obj: KObject): void => {
    admitPriority(this.#store, rt, obj);
    admitLimitRanges(this.#store, rt, obj);
    admitQuota(this.#store, rt, obj, this.#clock.nowMs());
  };

  /** A service account token's user; undefined when it is not one (or no longer good). */
  authenticate(bearer: string): UserInfo | undefined {
    return this.tokens.authenticate(bearer);
  }

  /** The reply to one of the requests served here, or undefined when the request is not one of them. */
  serve(rt: ResourceType, info: RequestInfo, raw: string, handlers: PodDeleter, staticUser: (token: string) => UserInfo | undefined): Reply | undefined {
    if (info.verb !== 'create') return undefined;
    if (rt.storage === 'pods' && info.subresource === 'eviction') {
      const deletePod = (namespace: string, name: string, options: Record<string, unknown>): void => {
        const { dryRun: _d, kind: _k, apiVersion: _a, ...rest } = options;
        handlers.delete(rt, { ...info, verb: 'delete', namespace, name, subresource: undefined, query: new URLSearchParams() }, JSON.stringify(rest));
      };
      return evictPodRequest({ store: this.#store, clock: this.#clock, deletePod }, info, raw);
    }
    if (rt.storage === 'serviceaccounts' && info.subresource === 'token') return this.tokens.tokenRequest(info, raw);
    if (rt.group === 'authentication.k8s.io' && rt.resource === 'tokenreviews' && !info.subresource) {
      return this.tokens.tokenReview(raw, (t) => {
        const u = staticUser(t);
        return u && u.username !== 'system:anonymous' ? u : undefined;
      });
    }
    return undefined;
  }
}
