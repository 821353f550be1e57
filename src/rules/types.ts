// The routing contract: what a route says (MatchSpec, RouteSpec), which sinks
// exist (KnownSink), and what compiling and matching return. Both the config
// file and the Route/ClusterRoute custom resources are mapped to RouteSpec;
// compileRoutes (src/rules/index.ts) turns a list of them into a RoutingTable.

import type { Notification } from '../model/notification.ts';

export type SeverityName = 'critical' | 'warning' | 'info';
export type StateName = 'firing' | 'resolved';

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/** A Kubernetes metav1.LabelSelector over Notification.labels. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/**
 * What a route matches. Every field given must match (AND); within a list,
 * any entry may match (OR). An empty MatchSpec matches every notification.
 */
export interface MatchSpec {
  /** involvedObject.kind, exact (e.g. Pod, Deployment, Node) */
  kinds?: string[];
  /** involvedObject.namespace, globs: `*` any characters, `?` one; a cluster-scoped object has namespace "" */
  namespaces?: string[];
  /** Notification.reason, exact */
  reasons?: string[];
  severities?: SeverityName[];
  /** Normal | Warning (notifications made from Events) */
  eventTypes?: string[];
  labelSelector?: LabelSelector;
  /** globs over Notification.user.username */
  users?: string[];
  states?: StateName[];
  /** Notification.detector, exact (e.g. crashLoopBackOff) */
  detectors?: string[];
  /** Notification.cluster, exact: the configured cluster's name (`clusters:`) */
  clusters?: string[];
  /** a CEL expression that must evaluate to true; see docs/routes.md for its variables */
  cel?: string;
}

export interface SinkRef {
  name: string;
  /** for a namespaced Sink */
  namespace?: string;
  kind?: 'Sink' | 'ClusterSink';
}

/**
 * How a route groups what it sends, in place of each sink's `delivery`
 * groupBy / groupWaitSeconds / groupIntervalSeconds: an omitted key keeps the
 * sink's value; `by: []` sends what the route matched ungrouped.
 */
export interface RouteGroup {
  /** the same dimensions as a sink's groupBy (namespace, owner, reason, label:<name> …) */
  by?: string[];
  waitSeconds?: number;
  intervalSeconds?: number;
}

/** A route's grouping as a match hands it on, with the route it belongs to. */
export interface RouteGrouping extends RouteGroup {
  /** the route's id */
  route: string;
}

export interface RouteSpec {
  /** unique id: "config/<name>", "Route/<ns>/<name>", "ClusterRoute/<name>" */
  id: string;
  name: string;
  /** set for namespaced Routes: the tenancy boundary */
  namespace?: string;
  source: 'config' | 'Route' | 'ClusterRoute';
  /** position; lower first; ties by id */
  order: number;
  match: MatchSpec;
  sinks: SinkRef[];
  /** a matching drop route stops evaluation and delivers nothing at all */
  drop?: boolean;
  /** keep evaluating later routes after this one matched */
  continue?: boolean;
  /** group what this route sends its own way (see RouteGroup) */
  group?: RouteGroup;
  /** names of time intervals (`timeIntervals:`): the route sends only within one of them */
  activeTimeIntervals?: string[];
  /** names of time intervals: the route sends nothing to its sinks within any of them */
  muteTimeIntervals?: string[];
}

/** Why a matching route sent nothing at that instant: one of its time intervals. */
export interface RouteMute {
  /** the route's id */
  route: string;
  /** the time interval's name: the hold's id */
  interval: string;
  /** "active": outside its only active interval(s); "mute": within a mute interval */
  kind: 'active' | 'mute';
  /** the zones it is evaluated in, "Europe/Berlin" */
  locations: string[];
  /** for people: "muted by time interval night (Europe/Berlin)" */
  text: string;
}

export interface KnownSink {
  name: string;
  namespace?: string;
  kind: 'Sink' | 'ClusterSink' | 'config';
}

export interface RouteProblem {
  routeId: string;
  /** e.g. "spec.match.cel", "spec.sinks[0]" */
  field: string;
  reason: 'InvalidCEL' | 'UnknownSink' | 'SinkNotAllowed' | 'InvalidSelector' | 'InvalidGlob' | string;
  message: string;
}

export interface RouteDecision {
  routeId: string;
  matched: boolean;
  /** e.g. 'reasons: "OOMKilled" not in [CrashLoopBackOff]' or 'cel: false' */
  why: string;
  /** sink ids this route added (empty when not matched or drop) */
  sinks: string[];
  /** the route matched but is muted at this instant by a time interval */
  muted?: RouteMute;
}

export interface RoutingResult {
  /**
   * resolved sink ids, deduped, in order: "config/<name>" (a config-file
   * sink), "Sink/<namespace>/<name>", "ClusterSink/<name>" (see sinkId)
   */
  sinks: string[];
  dropped: boolean;
  decisions: RouteDecision[];
  /**
   * By sink id, the grouping of the route that added the sink, when that
   * route has `group` (the first matching route naming a sink decides);
   * absent when no such route matched.
   */
  groups?: Record<string, RouteGrouping>;
  /**
   * By sink id, the time interval that kept a matching route from sending to
   * it (not in `sinks`); absent when no matching route was muted.
   */
  muted?: Record<string, RouteMute>;
}

export interface RoutingTable {
  /**
   * The sinks a notification goes to. Fast (indexed): `decisions` holds only
   * the routes that matched, and those whose CEL condition failed at run time
   * (matched: false, why: "cel: error: …"), for counters and logs. `now`
   * (epoch ms, the pipeline's clock) is when routes' time intervals are
   * evaluated; without it every route is active.
   */
  match(n: Notification, now?: number): RoutingResult;
  /**
   * The same result as match, but `decisions` has every route of the table in
   * order with why it did or did not match (`routes test`); slow.
   */
  explain(n: Notification, now?: number): RoutingResult;
  /** the valid routes, in evaluation order */
  routes: readonly RouteSpec[];
  problems: readonly RouteProblem[];
}
