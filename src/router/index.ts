// The plugin router's public surface: the router, the sink that sends
// through it, and the shared vocabulary. Discovery sources live in
// ./discovery/.

export { PluginRouter, ROUTER_DEFAULTS, type PluginInstanceInfo, type PluginRouterOptions } from './router.ts';
export { HEALTH_SERVICE, TransportError } from './instance.ts';
export type { DiscoverySource, DiscoverySourceName, InstanceState, PluginCallRecord, PluginDelivery, PluginEndpoint, TlsFiles } from './types.ts';
