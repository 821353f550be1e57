// Plugin instances at fixed addresses, from the config file. Checked when
// built, so a typo fails the start with the entry that holds it rather than
// as a connection error much later.

import type { DiscoverySource, PluginEndpoint } from '../types.ts';
import { canonicalAddress, parseHostPort, pluginTypeProblem, sortEndpoints } from './common.ts';

export interface StaticEntry {
  type: string;
  addresses: string[];
}

/**
 * The endpoints a static list names; throws one Error listing every problem
 * ("entry 0 (type "slack"): address 1 "10.0.0.5": needs a port (host:port)").
 */
export function parseStaticEntries(entries: readonly StaticEntry[]): PluginEndpoint[] {
  const problems: string[] = [];
  const byId = new Map<string, PluginEndpoint>();
  entries.forEach((entry, i) => {
    const typeProblem = pluginTypeProblem(entry.type);
    if (typeProblem) {
      problems.push(`entry ${i}: type ${JSON.stringify(entry.type)} ${typeProblem}`);
      return;
    }
    const where = `entry ${i} (type ${JSON.stringify(entry.type)})`;
    if (entry.addresses.length === 0) problems.push(`${where}: needs at least one address`);
    entry.addresses.forEach((raw, j) => {
      const parsed = parseHostPort(raw);
      if ('problem' in parsed) {
        problems.push(`${where}: address ${j} ${JSON.stringify(raw)} ${parsed.problem}`);
        return;
      }
      const address = canonicalAddress(parsed);
      const id = `static/${entry.type}/${address}`;
      // the same instance twice would get twice its share of deliveries
      if (byId.has(id)) problems.push(`${where}: address ${j} ${JSON.stringify(raw)} is listed more than once for this type`);
      else byId.set(id, { id, type: entry.type, address, source: 'static' });
    });
  });
  if (problems.length) throw new Error(`static plugin discovery: ${problems.join('; ')}`);
  return sortEndpoints(byId.values());
}

/** A source that reports the configured instances once; they never change. */
export function staticSource(entries: readonly StaticEntry[]): DiscoverySource {
  const endpoints = parseStaticEntries(entries);
  return {
    name: 'static',
    async start(update) {
      update(endpoints);
    },
    async close() {},
  };
}
