// kubeherald's configuration: one entry module for the rest of the program.

export { ConfigError, type ConfigIssue, formatIssue } from './errors.ts';
export { type ConfigFlags, ENV_VARS, type LoadOptions, loadConfig, parseConfigText } from './load.ts';
export { globMatch, namespaceAllowed } from './namespaces.ts';
export { type Config, ConfigSchema, defaultConfig, SINK_TYPES, type SinkConfig } from './schema.ts';
