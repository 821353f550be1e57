// kubeherald's configuration: one entry module for the rest of the program.

export { ConfigError, type ConfigIssue, formatIssue } from '../config-kit/errors.ts';
export { type ConfigFlags, type ConfigReport, ENV_VARS, inspectConfig, type LoadOptions, loadConfig, parseConfigText } from './load.ts';
export { checkConfig, configVocabulary, type Finding } from './check.ts';
export { globMatch, namespaceAllowed } from './namespaces.ts';
export { type ClusterConfig, clustersOf } from './clusters.ts';
export { type Config, ConfigSchema, defaultConfig, SINK_TYPES, type SinkConfig } from './schema.ts';
