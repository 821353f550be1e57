// The delivery defaults per sink type are defined once (src/pipeline/config.ts:
// sinkTypeDefaults, the `delivery:` section's defaults, the platforms' rate
// limits) and resolved by one sinkPolicy() for config-file sinks, Sink and
// ClusterSink custom resources and plugin sinks alike. docs/config.md and
// docs/custom-resources.md show the same table; this test renders it from the
// code, so a changed default that the docs do not follow fails here (the
// message carries the table to paste).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { deliverySchema, type RateRule, sinkPolicy } from '../../src/pipeline/config.ts';
import { SINK_DESCRIPTORS } from '../../src/sinks/registry.ts';

// every type of the sink registry a plugin can host (the plugin type delivers with its plugin type's defaults): chat types, then record types
const hosted = SINK_DESCRIPTORS.filter((d) => 'plugin' in d && d.plugin);
const TYPES = [...hosted.filter((d) => !d.delivery.records), ...hosted.filter((d) => d.delivery.records)].map((d) => d.type);
const OTHER = 'a-plugin-type-kubeherald-does-not-know';

function rule(r: RateRule): string {
  const per = r.perMs % 60_000 === 0 ? (r.perMs === 60_000 ? 'minute' : `${r.perMs / 60_000} minutes`) : r.perMs === 1000 ? 's' : `${r.perMs / 1000} s`;
  const where = r.scope === 'sink' ? 'for the whole sink' : r.targets === '^-' ? 'per group chat' : 'per target';
  return `${r.count}/${per} ${where}`;
}

/** The defaults table as both documents show it. */
export function deliveryDefaultsTable(): string {
  const global = deliverySchema.parse({});
  const rows = [...TYPES, OTHER].map((type) => {
    const p = sinkPolicy(global, type, undefined);
    const name = type === OTHER ? 'any other plugin type' : type;
    const grouping = p.records ? 'never' : `by ${p.groupBy.join(', ')}; first message after ${p.groupWaitMs / 1000} s, then at most one update every ${p.groupIntervalMs / 1000} s`;
    const flood = p.records ? 'never' : `${p.floodWindowMs / 1000} s`;
    const limits = p.rateLimits.length ? p.rateLimits.map(rule).join(', ') : 'none';
    return `| ${name} | ${p.records ? 'record' : 'chat'} | ${grouping} | ${flood} | ${p.repeatIntervalMs / 1000} s | ${limits} |`;
  });
  return ['| sink type (a plugin sink: its plugin type) | kind | grouping | flood window | reminders | rate limits |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

describe('delivery defaults per sink type', () => {
  for (const doc of ['docs/config.md', 'docs/custom-resources.md']) {
    it(`${doc} shows the table the code defines`, () => {
      const text = readFileSync(new URL(`../../${doc}`, import.meta.url), 'utf8');
      const table = deliveryDefaultsTable();
      assert.ok(text.includes(`${table}\n`), `${doc} does not show the delivery defaults as the code has them; the table should read:\n\n${table}\n`);
    });
  }
});
