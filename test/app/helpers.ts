// Herald on a temporary state file against an in-process simulator on a
// manual clock: start, stop and start again on the same file, and step
// cluster time with the listener and the deliverer catching up after each
// step (no sleeps).

import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { type Herald, type HeraldOptions, startHerald } from '../../src/app/herald.ts';
import { createLogger } from '../../src/app/log.ts';
import { parseConfigText } from '../../src/config/index.ts';
import { startSim, type Sim, type SimOptions } from '../../src/sim/sim.ts';
import { simClock } from '../helpers/herald.ts';

export interface World {
  sim: Sim;
  dir: string;
  state: string;
  kc: k8s.KubeConfig;
  herald: Herald | undefined;
  start(extra?: Partial<HeraldOptions>): Promise<Herald>;
  stop(): Promise<void>;
  /** advance cluster time in steps; after each the listener has seen everything and the deliverer has done what was due */
  run(ms: number, stepMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** `yaml`: the config file's text; "$DIR" is the world's temporary directory, "$STATE" its state file. */
export async function startWorld(yaml: string, opts: { sim?: SimOptions } = {}): Promise<World> {
  const sim = await startSim({ clockSpeed: 0, bookmarkIntervalMs: 20, ...opts.sim });
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-durable-'));
  const state = join(dir, 'state.db');
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  const config = parseConfigText(yaml.replaceAll('$DIR', dir).replaceAll('$STATE', state), 'test.yaml');
  const w: World = {
    sim,
    dir,
    state,
    kc,
    herald: undefined,
    async start(extra = {}) {
      w.herald = await startHerald({ config, kc, log: createLogger('test', 'error'), clock: simClock(sim), random: () => 0.5, ...extra });
      await w.herald.deliverer.settled();
      return w.herald;
    },
    async stop() {
      await w.herald?.stop();
      w.herald = undefined;
    },
    async run(ms, stepMs = 1000) {
      for (let t = 0; t < ms; t += stepMs) {
        await sim.clock.advance(Math.min(stepMs, ms - t));
        if (!w.herald) continue;
        await w.herald.listener.caughtUp(sim.ctx.store.resourceVersion);
        await w.herald.deliverer.settled();
      }
    },
    async close() {
      await w.stop();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return w;
}

export interface Line {
  idempotencyKey: string;
  incidentKey: string;
  state: string;
  reason: string;
  involvedObject?: { kind: string; name: string };
}

export const readJsonl = (file: string): Line[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line) : []);

/** "FIRING CrashLoopBackOff Pod/a" */
export const brief = (l: Line): string => `${l.state.replace('STATE_', '')} ${l.reason} ${l.involvedObject?.kind}/${l.involvedObject?.name}`;
