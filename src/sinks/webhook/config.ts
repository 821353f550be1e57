// The webhook sink's configuration: its schema with defaults (documented in
// docs/config.md), and the pure functions that apply KUBEHERALD_WEBHOOKS /
// --url and --secret to a loaded config, k8svent-style.

import { z } from 'zod';
import { type ConfigIssue, ConfigError, formatPath, issueMessage } from '../../config-kit/errors.ts';
import { count, dnsLabel, list, strict } from '../../config-kit/fields.ts';
import { sinkDeliveryFields } from '../../contracts/delivery.ts';
import { credentialRefSchema } from '../credential.ts';
import { checkJsonTemplate } from '../template.ts';

export const WEBHOOKS_ENV = 'KUBEHERALD_WEBHOOKS';
export const WEBHOOK_SECRET_ENV = 'KUBEHERALD_WEBHOOK_SECRET';

/** Headers the sink sets itself: the signature and delivery id must not be forged by config, the rest belong to HTTP. */
export const RESERVED_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-length', 'host', 'transfer-encoding', 'connection'];

/** An http(s) URL without credentials (those go in a header, from the environment). */
export const webhookUrl = z.string().superRefine((s, ctx) => {
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected an http(s) URL, got ${JSON.stringify(s)}` });
    return;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') ctx.addIssue({ code: 'custom', message: `expected an http(s) URL, got scheme ${url.protocol}` });
  // the value itself is not repeated: it holds a password
  else if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'credentials in a URL end up in logs and process lists; send them in a header instead (headers: {Authorization: "Bearer ${TOKEN}"})' });
});

const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const headersSchema = z.preprocess(
  (v) => (v === null ? undefined : v),
  z
    .record(z.string(), z.string())
    .superRefine((h, ctx) => {
      for (const name of Object.keys(h)) {
        if (!headerName.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'expected an HTTP header name (letters, digits and "-")' });
        else if (RESERVED_HEADERS.includes(name.toLowerCase())) ctx.addIssue({ code: 'custom', path: [name], message: 'set by kubeherald itself; cannot be configured' });
      }
    })
    .default({}),
);

export const webhookSinkSchema = strict({
  name: dnsLabel,
  type: z.literal('webhook'),
  /** every URL gets every notification; KUBEHERALD_WEBHOOKS and --url replace this list */
  urls: list(webhookUrl).superRefine((urls, ctx) => {
    if (!Array.isArray(urls)) return;
    urls.forEach((u, i) => {
      const first = urls.indexOf(u);
      if (first !== i) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate of urls[${first}]: it would get every notification twice` });
    });
  }),
  /** notification: the Notification as JSON; pod: {"pod": <the Pod>} for notifications about pods, like k8svent */
  payload: z.enum(['notification', 'pod']).default('notification'),
  /** notification payload only: include the Kubernetes object as seen (rawObject) */
  includeRawObject: z.boolean().default(false),
  /** HMAC-SHA256 signature headers (docs/webhook-verification.md); false sends unsigned requests */
  sign: z.boolean().default(true),
  /** where the signing secret is: `{ env: NAME }` or `{ file: PATH }` (a mounted Kubernetes Secret); --secret overrides it */
  secretFrom: credentialRefSchema.default({ env: WEBHOOK_SECRET_ENV }),
  /** extra request headers; values may refer to environment variables as ${NAME} */
  headers: headersSchema,
  /** a body template ({{field.path}} of the payload, JSON-escaped); "" sends the payload itself */
  template: z
    .string()
    .default('')
    .superRefine((t, ctx) => {
      const problem = t === '' ? undefined : checkJsonTemplate(t);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  /** per request, per URL */
  timeoutSeconds: count(1).default(10),
  ...sinkDeliveryFields,
});

export type WebhookSinkConfig = z.output<typeof webhookSinkSchema>;

// ----------------------------------------------------------------- env and flags

/** The command-line flags of the webhook sink: `--url` (repeatable) and `--secret`. */
export interface WebhookFlags {
  url?: string[];
  secret?: string;
}

/**
 * The URL list from flags or the environment, and where it came from:
 * `--url` given at least once replaces KUBEHERALD_WEBHOOKS (it does not add
 * to it), which replaces the config file's list. Undefined when neither is set.
 */
export function webhookUrlsOverride(env: NodeJS.ProcessEnv, flags: WebhookFlags = {}): { source: string; urls: string[] } | undefined {
  if (flags.url && flags.url.length > 0) return { source: '--url', urls: [...flags.url] };
  const value = env[WEBHOOKS_ENV];
  // set but empty counts as unset, as for every other variable
  if (value === undefined || value.trim() === '') return undefined;
  return {
    source: WEBHOOKS_ENV,
    urls: value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  };
}

/**
 * What applyWebhookOverrides needs of the config: its sinks. Generic over the
 * whole config, so this folder need not import the schema that aggregates
 * every sink's (config/ imports sinks/, never the other way).
 */
interface SinksConfig {
  sinks: readonly { name: string; type: string }[];
}

/**
 * Applies KUBEHERALD_WEBHOOKS / --url and --secret to a loaded config, pure:
 *
 * - the URLs replace the `urls` of the config's one webhook sink; with no
 *   webhook sink, one named "webhook" (all defaults) is added; with several,
 *   it is an error (which one?);
 * - --secret wins over the sink's secretFrom: it is returned in `env`
 *   under the variable the sink reads, so the secret never enters the
 *   config (which may be printed).
 *
 * Returns the config and the environment to create the sinks with. Throws a
 * ConfigError naming the flag or variable.
 */
export function applyWebhookOverrides<C extends SinksConfig>(config: C, env: NodeJS.ProcessEnv, flags: WebhookFlags = {}): { config: C; env: NodeJS.ProcessEnv } {
  const override = webhookUrlsOverride(env, flags);
  const secret = flags.secret !== undefined && flags.secret !== '' ? flags.secret : undefined;
  if (!override && secret === undefined) return { config, env };

  const sources = [override?.source, secret !== undefined ? '--secret' : undefined].filter(Boolean).join(' and ');
  const webhooks = config.sinks.flatMap((s, i) => (s.type === 'webhook' ? [i] : []));
  if (webhooks.length > 1) {
    const names = webhooks.map((i) => `"${config.sinks[i].name}"`).join(', ');
    throw new ConfigError([{ file: sources, path: 'sinks', message: `applies to one webhook sink, but the config has ${webhooks.length} (${names}); list each sink's URLs in its urls key instead` }]);
  }

  // a webhook sink's config is a member of the config's sink union
  const sinks: C['sinks'][number][] = [...config.sinks];
  let index = webhooks[0];
  if (index === undefined) {
    if (!override) throw new ConfigError([{ file: '--secret', path: 'sinks', message: `no webhook sink to sign for: add one to the config, or give URLs with --url or ${WEBHOOKS_ENV}` }]);
    if (sinks.some((s) => s.name === 'webhook')) {
      throw new ConfigError([{ file: override.source, path: 'sinks', message: 'would add a webhook sink named "webhook", but another sink has that name; add the webhook sink to the config instead' }]);
    }
    index = sinks.length;
    sinks.push(webhookSinkSchema.parse({ name: 'webhook', type: 'webhook' }) as C['sinks'][number]);
  }

  let target = sinks[index] as WebhookSinkConfig;
  if (override) {
    const issues = urlIssues(override.source, index, override.urls);
    if (issues.length > 0) throw new ConfigError(issues);
    target = { ...target, urls: override.urls };
  }
  let outEnv = env;
  if (secret !== undefined) {
    // the sink reads the variable it names (a file is replaced by the default variable)
    const variable = target.secretFrom.env ?? WEBHOOK_SECRET_ENV;
    target = { ...target, secretFrom: { env: variable } };
    outEnv = { ...env, [variable]: secret };
  }
  sinks[index] = target as C['sinks'][number];
  return { config: { ...config, sinks }, env: outEnv };
}

function urlIssues(source: string, index: number, urls: string[]): ConfigIssue[] {
  if (urls.length === 0) return [{ file: source, path: `sinks[${index}].urls`, message: 'expected at least one URL' }];
  const r = webhookSinkSchema.safeParse({ name: 'webhook', type: 'webhook', urls }, { reportInput: true });
  if (r.success) return [];
  return r.error.issues.map((i) => ({
    file: source,
    path: formatPath(['sinks', index, ...i.path]),
    message: issueMessage(i),
  }));
}
