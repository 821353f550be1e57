// `kubeherald demo`: the whole pipeline on a laptop with nothing installed.
// Starts the simulated cluster, plays the demo scenario (every incident
// kind), runs the real listener against it over HTTPS, and prints the
// notifications as they happen. `--once` plays it to the end and judges it.

import { readFile } from 'node:fs/promises';
import * as k8s from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { type DemoReport, checkDemo } from '../app/demo-check.ts';
import { startHerald } from '../app/herald.ts';
import { createLogger } from '../app/log.ts';
import type { ListenerClock } from '../cluster/listener.ts';
import { type Config, loadConfig } from '../config/index.ts';
import type { Notification } from '../model/notification.ts';
import { type AttemptRecord, decodePayload, type EnqueueDecision } from '../pipeline/index.ts';
import type { HoldReason } from '../pipeline/hold.ts';
import type { Store } from '../store/types.ts';
import { DEMO_DURATION_MS, demoExpectations } from '../sim/scenarios/demo.ts';
import { startSim, type Sim } from '../sim/sim.ts';

/** The listener runs on the simulator's clock, so minutes of cluster time pass in seconds. */
export function simListenerClock(sim: Sim): ListenerClock {
  return {
    now: () => sim.clock.now(),
    setTimeout: (fn, ms) => sim.clock.setTimeout(fn, ms),
    clearTimeout: (h) => sim.clock.clearTimeout(h as never),
  };
}

export interface DemoRun {
  report?: DemoReport;
  notifications: Notification[];
  /** deliveries still queued when the demo stopped, by sink id (a rate limit held them) */
  pending: Map<string, number>;
  /** by sink id, the idempotency keys of the notifications it got, on their own or in a group's message */
  delivered: Map<string, Set<string>>;
  /**
   * by sink id, the notifications the outbox held back from that chat sink
   * (inhibition, silences, time windows), by idempotency key, with why; one
   * released later (its holder ended while it fired) is in `delivered` too
   */
  held: Map<string, Map<string, HoldReason>>;
}

/**
 * The demo delivers with the settings a user gets (grouping and flood control
 * for chat sinks, every notification at once for the console and other record
 * sinks) and keeps no state: unless the config file says otherwise, the state
 * database is in memory.
 */
export async function demoDefaults(config: Config, configFile: string | undefined): Promise<Config> {
  const raw = configFile ? ((parseYaml(await readFile(configFile, 'utf8')) ?? {}) as { state?: Record<string, unknown> }) : {};
  const out = structuredClone(config);
  if (!raw.state || !('path' in raw.state)) out.state.path = ':memory:';
  return out;
}

/** Runs the demo; with `once`, until the scenario has played out, then judges it. `env`: where sinks read `{env: …}` credentials (default process.env). */
export async function runDemo(opts: { once: boolean; speed: number; configFile?: string; logLevel: string; stdout?: NodeJS.WritableStream; env?: NodeJS.ProcessEnv }): Promise<DemoRun> {
  const config = await demoDefaults(await loadConfig({ file: opts.configFile, env: {}, flags: { clusterName: 'demo', logLevel: opts.logLevel } }), opts.configFile);
  const log = createLogger('kubeherald-demo', config.log.level, config.log.format);
  const sim = await startSim({ clockSpeed: opts.speed, nodes: 3, bookmarkIntervalMs: 250 });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  const notifications: Notification[] = [];
  const delivered = new Map<string, Set<string>>();
  const held = new Map<string, Map<string, HoldReason>>();
  const onDecision = (d: EnqueueDecision): void => {
    if (d.outcome !== 'held' || !d.hold) return;
    let keys = held.get(d.sink);
    if (!keys) held.set(d.sink, (keys = new Map()));
    keys.set(d.notification.idempotencyKey, d.hold);
  };
  let store: Store | undefined;
  const onAttempt = (a: AttemptRecord): void => {
    const row = a.outcome === 'delivered' ? store?.outbox.get(a.id) : undefined;
    if (!row) return;
    let keys = delivered.get(a.sink);
    if (!keys) delivered.set(a.sink, (keys = new Set()));
    for (const n of decodePayload(row.payload, row.groupKey !== null)) keys.add(n.idempotencyKey);
  };
  const herald = await startHerald({ config, kc, log, clock: simListenerClock(sim), stdout: opts.stdout, env: opts.env, onNotification: (n) => notifications.push(n), onAttempt, onDecision });
  store = herald.store;
  const started = sim.clock.nowMs();
  sim.scenarios.start('demo');
  if (!opts.once) {
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    const pending = herald.pending();
    await herald.stop();
    await sim.close();
    return { notifications, pending, delivered, held };
  }
  // play to the end (plus a margin for the last resolutions), then let the listener catch up
  await new Promise<void>((resolve) => sim.clock.setTimeout(resolve, DEMO_DURATION_MS + 15_000 - (sim.clock.nowMs() - started)));
  await herald.listener.caughtUp(sim.ctx.store.resourceVersion);
  // the scenario is over: judge what it produced, whatever the sinks still have to send
  const produced = [...notifications];
  // the demo ends here, so what groups still hold for their wait or interval goes out now, and what the
  // platforms' rate limits hold back goes out as they allow, for up to a cluster minute (what is left is reported)
  herald.outbox.flushGroups(sim.clock.now(), { held: true });
  herald.deliverer.wake();
  await Promise.race([herald.drain(), new Promise<void>((resolve) => sim.clock.setTimeout(resolve, 60_000))]);
  await herald.deliverer.settled();
  const pending = herald.pending();
  await herald.stop();
  await sim.close();
  return { notifications: produced, pending, delivered, held, report: checkDemo(demoExpectations(), produced) };
}
