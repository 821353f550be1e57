// What a scenario is: a named script that makes the simulated cluster do
// something a user cares about (a crash loop, a node going down), on the
// simulator's clock so tests can run minutes of cluster time in milliseconds.

import type { SimClock } from './clock.ts';
import type { EventRecorder } from './events.ts';
import type { LogStore } from './logs.ts';
import type { ObjectStore } from './store.ts';
import type { KObject } from './types.ts';

/** Everything the controllers and scenarios act on. */
export interface SimContext {
  store: ObjectStore;
  clock: SimClock;
  logs: LogStore;
  recorder: EventRecorder;
  /**
   * Admission of an object a controller creates, as its create through the API
   * would meet it (LimitRanger defaults, ResourceQuota): may change the object,
   * throws the API's 403 when refused. Absent when no API server runs.
   */
  admit?: (storage: string, obj: KObject) => void;
}

export interface ScenarioOptions {
  /** namespace the scenario creates its objects in (default "demo") */
  namespace?: string;
  /** scenario-specific knobs, e.g. {pods: 10000, eventsPerSecond: 5000} for storm */
  [k: string]: unknown;
}

export interface Scenario {
  name: string;
  description: string;
  /** Creates the scenario's objects and schedules its steps on ctx.clock. Returns a function that cancels pending steps. */
  start(ctx: SimContext, opts: ScenarioOptions): () => void;
}
