// Every scenario the simulator can run, by name.

import type { Scenario, ScenarioOptions, SimContext } from '../scenario.ts';
import { backgroundScenario } from './background.ts';
import { batchScenarios } from './batch.ts';
import { daemonSetStuckScenario } from './daemonset.ts';
import { statefulSetStuckScenario } from './statefulset.ts';
import { demoScenario } from './demo.ts';
import { hpaMaxedScenario } from './hpa.ts';
import { nodeScenarios } from './nodes.ts';
import { podScenarios } from './pods.ts';
import { rolloutScenarios } from './rollout.ts';
import { stormScenario } from './storm.ts';
import { volumeScenarios } from './volumes.ts';

export const scenarios: Map<string, Scenario> = new Map(
  [...podScenarios, ...nodeScenarios, backgroundScenario, ...rolloutScenarios, stormScenario, daemonSetStuckScenario, statefulSetStuckScenario, ...batchScenarios, ...volumeScenarios, hpaMaxedScenario, demoScenario].map((s) => [s.name, s]),
);

/** Starts a scenario by name; returns the function that cancels its pending steps. */
export function startScenario(ctx: SimContext, name: string, opts: ScenarioOptions = {}): () => void {
  const scenario = scenarios.get(name);
  if (!scenario) throw new Error(`unknown scenario "${name}"; known scenarios: ${[...scenarios.keys()].join(', ')}`);
  return scenario.start(ctx, opts);
}
