// The PagerDuty sink's configuration (documented in docs/config.md): an
// Events API v2 integration on a PagerDuty service. Its integration key
// (routing_key) lets anyone who holds it page the service's on-call, so it is
// a secret read from the environment or a file (a mounted Secret), never
// written in the config.

import { z } from 'zod';
import { count, dnsLabel, section, strict } from '../../config-kit/fields.ts';
import { sinkDeliveryFields } from '../../contracts/delivery.ts';
import { credentialRefSchema } from '../credential.ts';

export const PAGERDUTY_ROUTING_KEY_ENV = 'KUBEHERALD_PAGERDUTY_ROUTING_KEY';
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
/** PagerDuty's documented limit: about 120 events a minute per integration key. */
export const PAGERDUTY_MAX_PER_MINUTE = 120;

/** The severities PagerDuty's Common Event Format knows. */
export const PAGERDUTY_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type PagerDutySeverity = (typeof PAGERDUTY_SEVERITIES)[number];

const pdSeverity = z.enum(PAGERDUTY_SEVERITIES);

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

export const pagerdutySinkSchema = strict({
  name: dnsLabel,
  type: z.literal('pagerduty'),
  /** where the Events API v2 integration key is: `{ env: NAME }` or `{ file: PATH }` */
  routingKeyFrom: credentialRefSchema.default({ env: PAGERDUTY_ROUTING_KEY_ENV }),
  /** the Events API v2 endpoint (https://events.eu.pagerduty.com/v2/enqueue for an EU account) */
  url: httpUrl.default(PAGERDUTY_EVENTS_URL),
  /** kubeherald's severity → PagerDuty's; `unknown` is a notification without one */
  severities: section(
    strict({
      critical: pdSeverity.default('critical'),
      warning: pdSeverity.default('warning'),
      info: pdSeverity.default('info'),
      unknown: pdSeverity.default('error'),
    }),
  ),
  /** send `resolve` when an incident is over; false leaves resolving alerts to people */
  sendResolved: z.boolean().default(true),
  /** the link PagerDuty shows as the event's client (a dashboard); "" for none */
  clientUrl: z.union([z.literal(''), httpUrl]).default(''),
  timeoutSeconds: count(1).default(10),
  ...sinkDeliveryFields,
});

export type PagerDutySinkConfig = z.output<typeof pagerdutySinkSchema>;
