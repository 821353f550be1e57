// What the running product adds around the pipeline's building blocks: the
// delivery policy of each routing id (config sinks carry their own
// `delivery:` overrides, custom-resource Sinks their spec.delivery, any other
// sink its platform's defaults), and the sink factory that lends stateful
// sinks the state database (Slack threads survive a restart).

import type { Config, SinkConfig } from '../config/index.ts';
import type { ResolvedSink } from '../crd/controller.ts';
import { type DeliveryConfig, type DeliveryPolicies, type SinkPolicy, sinkPolicy } from '../pipeline/config.ts';
import { createSink as createSinkDefault } from '../sinks/index.ts';
import { platformOf, sinkDescriptor } from '../sinks/registry.ts';
import type { Sink, SinkDeps } from '../sinks/types.ts';
import { jsonThreadStore } from '../store/state.ts';
import type { Store } from '../store/types.ts';
import { sinkDeliveryFromResolved } from './crd-sinks.ts';

export interface PolicySources {
  /** the config in force (the file's `delivery:` and `sinks:`) */
  config(): Pick<Config, 'delivery' | 'sinks'>;
  /** a custom-resource Sink by routing id, when the controller runs */
  resolved(id: string): Pick<ResolvedSink, 'spec'> | undefined;
  /** the type of the sink serving an id now (for sinks known only by instance) */
  typeOf(id: string): string | undefined;
}

/**
 * Delivery policies by routing id ("config/<name>", "Sink/<ns>/<name>",
 * "ClusterSink/<name>"), cached until invalidate() (call it when the
 * routing table or the config changes). An id nothing knows gets the global
 * settings: its deliveries still follow a policy while they are dead-lettered.
 */
export function routingPolicies(src: PolicySources): DeliveryPolicies & { invalidate(): void } {
  const cache = new Map<string, SinkPolicy>();
  const compute = (id: string): SinkPolicy => {
    const config = src.config();
    const global: DeliveryConfig = config.delivery;
    if (id.startsWith('config/')) {
      const cfg = config.sinks.find((s) => s.name === id.slice('config/'.length));
      // a plugin sink keeps below the limits of the platform its plugin talks to
      if (cfg) return sinkPolicy(global, platformOf(cfg), cfg.delivery);
    }
    const r = src.resolved(id);
    // as for config sinks: a plugin Sink keeps below the limits of its plugin's platform
    if (r) return sinkPolicy(global, platformOf(r.spec), sinkDeliveryFromResolved(r));
    return sinkPolicy(global, src.typeOf(id) ?? 'none', undefined);
  };
  return {
    forSink(id) {
      let p = cache.get(id);
      if (!p) cache.set(id, (p = compute(id)));
      return p;
    },
    invalidate() {
      cache.clear();
    },
  };
}

type CreateSink = (cfg: SinkConfig, deps: SinkDeps) => Promise<Sink>;

/** The sink factory with the state database lent to the sinks that keep state (Slack's incident threads, Telegram's button tokens). */
export function storeBackedSinks(store: Store, create: CreateSink = createSinkDefault): CreateSink {
  return (cfg, deps) => {
    // what the type borrows is its descriptor's to say (state)
    const needs = sinkDescriptor(cfg.type)?.state ?? [];
    // every sink's own state (Slack's threads, Telegram's group messages), keyed by the sink's name:
    // config sinks' are unique, custom-resource Sinks' carry a hash of their id
    const lent: SinkDeps & { buttons?: unknown } = { ...deps, state: jsonThreadStore(store.threads.forSink(cfg.name)) };
    // Telegram's buttons too long for 64 bytes of callback_data keep their action here, behind a token
    if (needs.includes('alertButtons')) lent.buttons = store.alertButtons;
    return create(cfg, lent);
  };
}
