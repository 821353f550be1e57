// Routing rules: which sinks each notification goes to. Pure (no I/O):
// compileRoutes turns route specs from the config file and the Route /
// ClusterRoute custom resources into a RoutingTable once per change; the
// table's match is then called per notification.

export { type CompileOptions, compileRoutes } from './table.ts';
export { type CompiledTimeInterval, compileTimeIntervals, type NamedTimeInterval, type TimeIntervalSpec, timeIntervalField } from './time-interval.ts';
export { type ConfigRoute, configRoutes, configSinks, defaultRoutes, effectiveRoutes, tableFromConfig } from './config.ts';
export { sinkId } from './sinks.ts';
export { lintRoute, lintRouteAt, type RouteVocabulary } from './lint.ts';
export { CEL_VARIABLE_NAMES, celBindings, compileCel } from './cel.ts';
export type * from './types.ts';
