// The pipeline module's entry: dedup, flood control and grouping on the way
// into the durable outbox (Outbox), and the workers that deliver from it
// (Deliverer) with retries, rate limits and dead letters.
//
//   const store = openSqliteStore({ path: config.state.path });
//   const policies = resolvePolicies(config.delivery, config.sinks);
//   const outbox = new Outbox({ store, sinks, policies });
//   const deliverer = new Deliverer({ store, sinks, policy: policies, clock, log, openIncidents });
//   deliverer.start();
//   // for each batch the tracker emits:
//   store.transaction(() => {
//     outbox.enqueue(notifications, sinkNames, now);
//     store.tracker.save(tracker.snapshot());
//   });
//   deliverer.wake();

export { type Clock, type Logger, realClock, silentLogger } from './clock.ts';
export {
  type BackoffPolicy,
  DEFAULT_GROUP_BY,
  type DeliveryProblem,
  isRecordSink,
  RECORD_SINK_TYPES,
  sinkDeliveryProblems,
  type SinkTypeDefaults,
  sinkTypeDefaults,
  defaultSinkPolicy,
  type DeliveryConfig,
  type DeliveryPolicies,
  deliverySchema,
  GROUP_DIMENSIONS,
  type GroupOverride,
  PLATFORM_RATE_LIMITS,
  type RateRule,
  resolvePolicies,
  routeGroupSchema,
  type SinkDeliveryConfig,
  sinkDeliveryFields,
  sinkDeliverySchema,
  type SinkPolicy,
  sinkPolicy,
  uniformPolicies,
  withGroupOverride,
} from './config.ts';
export { type AttemptRecord, Deliverer, type DelivererOptions, type DelivererStats } from './deliverer.ts';
export { floodKeyOf, groupKeyOf, memberKeyOf, reminderOf, summarizeGroup } from './keys.ts';
export { type EnqueueDecision, type EnqueueResult, Outbox, type OutboxOptions, type SinkChoice, type SinkSelection, type SinkTargets } from './outbox.ts';
export { decodeGroup, decodeNotification, decodePayload, encodeGroup, encodeNotification } from './payload.ts';
export { RateLimiter } from './ratelimit.ts';
export { dueReminders, nextReminderAt, staleReminders } from './reminders.ts';
export { afterFailure, backoffCeiling, backoffDelay, classify, type Classified, expired, type RetryDecision } from './retry.ts';
