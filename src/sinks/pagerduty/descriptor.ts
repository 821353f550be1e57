// The PagerDuty sink type (listed in ../registry.ts): Events API v2 alerts,
// triggered and resolved per incident.

import { defineSink } from '../descriptor.ts';
import { PAGERDUTY_MAX_PER_MINUTE, pagerdutySinkSchema } from './config.ts';

export const pagerdutySink = defineSink({
  type: 'pagerduty',
  schema: pagerdutySinkSchema,
  create: async (cfg, deps) => (await import('./index.ts')).createPagerDutySink(cfg, deps),
  delivery: {
    // not records: silences, inhibition and time windows hold pages back as they hold chat messages
    records: false,
    rateLimits: [{ count: PAGERDUTY_MAX_PER_MINUTE, perMs: 60_000, scope: 'sink' }],
    // never a storm digest: a digest stands for many incidents, and each must page and resolve on its own
    stormThreshold: 0,
  },
  customResource: {
    // target.url: another Events API endpoint (an EU account's); left out, PagerDuty's own
    target: { required: [], optional: ['url'] },
    // the integration key is a token: the Sink's credentials have no name of their own for it
    required: ['token'],
    optional: [],
    toConfig: ({ base, target, ref }) => ({ ...base, routingKeyFrom: ref('token'), url: target.url }),
    docs: { token: 'the integration (routing) key', url: "another Events API endpoint (default PagerDuty's own)" },
    fieldOf: { routingKeyFrom: 'spec.credentials.token', url: 'spec.target.url' },
  },
  // the integration key goes to url with every event
  plugin: { targetOption: '', pinnedKeys: ['url'] },
  // any event or post would reach people: kubeherald doctor has no harmless call to make
  reach: 'unchecked',
  docs: { title: 'PagerDuty', summary: 'Events API v2 alerts: FIRING triggers, RESOLVED resolves, one alert per incident (dedup_key)' },
});
