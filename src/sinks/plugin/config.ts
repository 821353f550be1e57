// The plugin sink's configuration (documented in docs/plugins.md): only what
// is not secret, since credentials live with the plugin.

import { z } from 'zod';
import { dnsLabel, strict } from '../../config-kit/fields.ts';
import { sinkDeliveryFields } from '../../contracts/delivery.ts';

const SECRET_KEY = /From$|token|secret|password|key$/i;

/**
 * Whether an option's name looks like it carries or locates a credential
 * (tokenFrom, apiKey, password …). Options travel with every delivery, so
 * such keys are refused wherever a plugin sink is written: here and in the
 * Sink custom resource (src/crd/schemas.ts).
 */
export function isCredentialOptionKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * Keys of every sink entry that are kubeherald's (the outbox's retries, rate
 * limits and grouping for the sink), not the plugin's: refused in options,
 * here, in the Sink custom resource and by the plugin itself.
 */
export const KUBEHERALD_ONLY_KEYS = ['delivery'];

export const pluginSinkSchema = strict({
  name: dnsLabel,
  type: z.literal('plugin'),
  /** the plugin type to route to, e.g. slack: instances found by discovery under that type */
  plugin: dnsLabel,
  /** where in the platform (a channel, a chat); "" for the plugin's own default */
  target: z.string().default(''),
  /** the sink's non-secret settings, sent with every delivery and checked by the plugin (e.g. threads: false) */
  options: z
    .record(z.string(), z.unknown())
    .superRefine((o, ctx) => {
      for (const k of Object.keys(o)) {
        if (isCredentialOptionKey(k)) ctx.addIssue({ code: 'custom', path: [k], message: 'credentials belong in the plugin’s own environment, not in options sent over the network' });
        else if (KUBEHERALD_ONLY_KEYS.includes(k)) ctx.addIssue({ code: 'custom', path: [k], message: 'set by kubeherald, not the plugin: use the sink’s own delivery key' });
      }
    })
    .default({}),
  ...sinkDeliveryFields,
});

export type PluginSinkConfig = z.output<typeof pluginSinkSchema>;
