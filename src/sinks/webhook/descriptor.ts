// The webhook sink type (listed in ../registry.ts): signed JSON POSTs to receivers of your own.

import { defineSink } from '../descriptor.ts';
import { webhookSinkSchema, webhookUrlsOverride } from './config.ts';

export const webhookSink = defineSink({
  type: 'webhook',
  schema: webhookSinkSchema,
  create: async (cfg, deps) => (await import('./index.ts')).createWebhookSink(cfg, deps),
  // a program's input: every notification on its own
  delivery: { records: true, rateLimits: [] },
  customResource: {
    target: { required: ['url'], optional: [] },
    required: [],
    optional: ['signingSecret', 'token'],
    toConfig: ({ base, target, ref }) => {
      const secretFrom = ref('signingSecret');
      const token = ref('token');
      return {
        ...base,
        urls: target.url === undefined ? [] : [target.url],
        // unsigned unless the Sink names a signing secret
        sign: secretFrom !== undefined,
        ...(secretFrom ? { secretFrom } : {}),
        // the sink expands ${NAME} in header values from its env when created
        headers: token ? { Authorization: `Bearer \${${token.env}}` } : {},
      };
    },
    docs: { url: 'the receiver', token: 'sent as a bearer token', signingSecret: 'signs each request' },
    fieldOf: { urls: 'spec.target.url', secretFrom: 'spec.credentials.signingSecret', headers: 'spec.credentials.token' },
  },
  // the signature vouches for the body to whoever holds the secret: where it
  // goes and whether it is signed at all are the operator's; header values
  // expand the plugin's environment (${NAME})
  plugin: { targetOption: '', pinnedKeys: ['urls', 'sign', 'headers'] },
  // KUBEHERALD_WEBHOOKS over the URLs, as `run` does
  envOverride: (env) => {
    const o = webhookUrlsOverride(env);
    return o && { source: o.source, values: { urls: o.urls } };
  },
  // header values expand ${NAME} from the environment (a bearer token)
  extraSecrets: (cfg, env) => Object.values(cfg.headers).flatMap((v) => [...v.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].flatMap((m) => (env[m[1]] ? [env[m[1]]!] : []))),
  // every call posts a message someone reads
  reach: 'unchecked',
  docs: { title: 'Webhook', summary: 'each notification (or a pod) as signed JSON POSTed to your receivers, templates optional' },
});
