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
}

/**
 * The demo shows every notification as it happens and keeps no state: unless
 * the config file says otherwise, no grouping, flood control or reminders,
 * and the state database in memory.
 */
export async function demoDefaults(config: Config, configFile: string | undefined): Promise<Config> {
  const raw = configFile ? ((parseYaml(await readFile(configFile, 'utf8')) ?? {}) as { delivery?: Record<string, unknown>; state?: Record<string, unknown> }) : {};
  const given = raw.delivery ?? {};
  const out = structuredClone(config);
  if (!('groupBy' in given)) out.delivery.groupBy = [];
  if (!('floodWindowSeconds' in given)) out.delivery.floodWindowSeconds = 0;
  if (!('repeatIntervalSeconds' in given)) out.delivery.repeatIntervalSeconds = 0;
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
  const herald = await startHerald({ config, kc, log, clock: simListenerClock(sim), stdout: opts.stdout, env: opts.env, onNotification: (n) => notifications.push(n) });
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
    return { notifications, pending };
  }
  // play to the end (plus a margin for the last resolutions), then let the listener catch up
  await new Promise<void>((resolve) => sim.clock.setTimeout(resolve, DEMO_DURATION_MS + 15_000 - (sim.clock.nowMs() - started)));
  await herald.listener.caughtUp(sim.ctx.store.resourceVersion);
  // what is due now goes out; what a rate limit holds stays queued (and is reported)
  await herald.deliverer.settled();
  const pending = herald.pending();
  await herald.stop();
  await sim.close();
  return { notifications, pending, report: checkDemo(demoExpectations(), notifications) };
}
