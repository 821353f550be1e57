// Checks across sections of a config file that each section's schema cannot
// make alone: a route naming a sink that does not exist (an error: its
// notifications would go nowhere), and a route matching on a reason, kind
// or detector that nothing produces (a warning with a suggestion, an error
// with --strict: see src/rules/lint.ts). Pure; load.ts turns the paths into
// lines of the file.

import { vocabulary } from '../detect/vocabulary.ts';
import { configRoutes, lintRouteAt, type RouteVocabulary } from '../rules/index.ts';
import type { Config } from './schema.ts';
import { didYouMean } from '../config-kit/suggest.ts';

export interface Finding {
  /** the key's path in the file, e.g. ["routes", 2, "sinks", 0] */
  path: (string | number)[];
  severity: 'error' | 'warning';
  message: string;
}

/** The words the config's routes are checked against: its detectors' settings and its extra resources. */
export function configVocabulary(config: Pick<Config, 'detectors' | 'watch'>): RouteVocabulary {
  return vocabulary({ detectors: config.detectors, resources: config.watch.resources });
}

/**
 * A bare sink name in a config route means a config sink, else a ClusterSink.
 * Without custom resources there are no ClusterSinks: a name that is not a
 * config sink is an error. With them, it may be a ClusterSink that only the
 * cluster knows (checked when kubeherald runs): a warning, in case it is a typo.
 * A reference naming a Sink's namespace or kind ClusterSink is the cluster's to
 * resolve, and is not judged here.
 */
function sinkFindings(config: Config): Finding[] {
  const out: Finding[] = [];
  const names = config.sinks.map((s) => s.name);
  const crs = config.customResources.enabled;
  config.routes.forEach((route, i) => {
    route.sinks.forEach((ref, j) => {
      const name = typeof ref === 'string' ? ref : ref.kind === undefined && ref.namespace === undefined ? ref.name : undefined;
      if (name === undefined || names.includes(name)) return;
      const guess = didYouMean(name, names);
      const hint = guess ? `; did you mean ${JSON.stringify(guess)}?` : `; the sinks are ${names.join(', ')}`;
      const path = ['routes', i, 'sinks', j];
      if (crs) out.push({ path, severity: 'warning', message: `no config sink named ${JSON.stringify(name)}: it must be a ClusterSink in the cluster${hint}` });
      else out.push({ path, severity: 'error', message: `no sink named ${JSON.stringify(name)}${hint}` });
    });
  });
  return out;
}

/** Every finding for a valid (schema-checked) config, in file order within each route. */
export function checkConfig(config: Config): Finding[] {
  const v = configVocabulary(config);
  const lint = configRoutes(config.routes).flatMap((spec, i) => lintRouteAt(spec, v).map((p): Finding => ({ path: ['routes', i, ...p.path], severity: 'warning', message: p.message })));
  return [...sinkFindings(config), ...lint];
}
