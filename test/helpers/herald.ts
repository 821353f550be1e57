// A listener running against an in-process simulator on the simulator's own
// clock, collecting notifications, with "advance cluster time, then wait
// until the listener has seen everything" as one step: no sleeps.

import * as k8s from '@kubernetes/client-node';
import { resolveResources, type ResourceRef } from '../../src/cluster/connect.ts';
import { Listener, type ListenerClock } from '../../src/cluster/listener.ts';
import { simListenerClock } from '../../src/cli/demo.ts';
import { DEFAULT_DETECTORS, type DetectorsConfig } from '../../src/detect/config.ts';
import { type Notification, State } from '../../src/model/notification.ts';
import { startSim, type Sim, type SimOptions } from '../../src/sim/sim.ts';
import { silentLogger } from '../../src/model/logger.ts';

const quiet = silentLogger;

/** The listener on the simulator's clock (what the demo does). */
export const simClock = simListenerClock;

export interface Harness {
  sim: Sim;
  listener: Listener;
  notifications: Notification[];
  /** advance cluster time in steps, letting the listener catch up after each */
  run(ms: number, stepMs?: number): Promise<void>;
  settle(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  sim?: SimOptions;
  detectors?: Partial<DetectorsConfig>;
  namespaces?: (ns: string) => boolean;
  eventsApi?: 'core' | 'events.k8s.io';
  /** extra resources to watch, resolved through discovery once the simulator runs */
  resources?: ResourceRef[];
  /** runs against the simulator before the listener starts (apply CRDs …) */
  before?: (sim: Sim) => Promise<void>;
  /** kubeherald's clock runs this far behind the simulated cluster's (default 0) */
  behindMs?: number;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const sim = await startSim({ clockSpeed: 0, bookmarkIntervalMs: 20, ...opts.sim });
  await opts.before?.(sim);
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  const notifications: Notification[] = [];
  const listener = new Listener({
    kc,
    clock: opts.behindMs ? behind(simClock(sim), opts.behindMs) : simClock(sim),
    log: quiet,
    onNotification: (n) => notifications.push(n),
    config: {
      cluster: 'sim',
      namespaceAllowed: opts.namespaces ?? (() => true),
      eventsApi: opts.eventsApi ?? 'core',
      extraResources: opts.resources ? await resolveResources(kc, opts.resources) : [],
      watchdogSeconds: 30,
      pageSize: 100,
      detectors: { ...DEFAULT_DETECTORS, ...opts.detectors },
    },
  });
  await listener.start();
  const settle = (): Promise<void> => listener.caughtUp(sim.ctx.store.resourceVersion);
  return {
    sim,
    listener,
    notifications,
    settle,
    async run(ms, stepMs = 1000) {
      for (let t = 0; t < ms; t += stepMs) {
        await sim.clock.advance(Math.min(stepMs, ms - t));
        await settle();
      }
    },
    async close() {
      listener.stop();
      await sim.close();
    },
  };
}

/** A clock `ms` behind another: the same timers, an earlier now. */
export function behind(clock: ListenerClock, ms: number): ListenerClock {
  return { now: () => new Date(clock.now().getTime() - ms), setTimeout: (fn, t) => clock.setTimeout(fn, t), clearTimeout: (h) => clock.clearTimeout(h) };
}

/** "FIRING CrashLoopBackOff Pod/crashloop" — compact lines for exact assertions. */
export function summarize(n: Notification): string {
  const o = n.involvedObject;
  return `${n.state === State.FIRING ? 'FIRING' : 'RESOLVED'} ${n.reason} ${o?.kind}/${o?.name}`;
}
