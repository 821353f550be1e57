// The elasticsearch sink's configuration: where the cluster is, which data
// stream to write, what to install at start, and where the credentials come
// from (an environment variable or a mounted file, never the config itself).
// Every key has a default so `{ name, type: elasticsearch }` is a working
// sink against http://localhost:9200.

import { z } from 'zod';
import { count, dnsLabel, strict } from '../../config-kit/fields.ts';
import { sinkDeliveryFields } from '../../contracts/delivery.ts';
import { credentialRefSchema } from '../credential.ts';

export const DEFAULT_NODE = 'http://localhost:9200';
export const DEFAULT_DATA_STREAM = 'kubeherald-events';

// Data stream, template and policy names: lowercase, no wildcards, separators
// or spaces, not starting with "-", "_", "+" or "." (hidden and system names)
const NAME = /^[a-z0-9][a-z0-9._+-]*$/;
const NAME_ERROR = 'expected a lowercase name (letters, digits, ".", "_", "+" and "-", starting with a letter or digit)';

const resourceName = z.string().superRefine((s, ctx) => {
  if (!NAME.test(s)) ctx.addIssue({ code: 'custom', message: NAME_ERROR });
  else if (Buffer.byteLength(s) > 255) ctx.addIssue({ code: 'custom', message: 'expected at most 255 bytes' });
});

/** "" or a name */
const optionalName = z.string().superRefine((s, ctx) => {
  if (s !== '' && !NAME.test(s)) ctx.addIssue({ code: 'custom', message: `${NAME_ERROR}, or "" for none` });
});

// Elasticsearch time units, as ILM accepts them
const TIME_VALUE = /^[0-9]+(d|h|m|s|ms|micros|nanos)$/;
const timeValue = (allowEmpty: boolean) =>
  z.string().superRefine((s, ctx) => {
    if (allowEmpty && s === '') return;
    if (!TIME_VALUE.test(s)) ctx.addIssue({ code: 'custom', message: `expected a time such as 30d, 12h or 90m${allowEmpty ? ', or "" for never' : ''}` });
  });

const nodeUrl = z.string().superRefine((s, ctx) => {
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected a URL such as https://es.example.com:9200' });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'expected an http:// or https:// URL' });
  // credentials in a URL end up in logs and error messages: they belong in apiKeyFrom or usernameFrom/passwordFrom
  else if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'credentials in the URL are not allowed; use apiKeyFrom, or usernameFrom and passwordFrom' });
  else if (url.search || url.hash) ctx.addIssue({ code: 'custom', message: 'expected a URL without a query or fragment' });
});

// `{ env: NAME }` or `{ file: PATH }`, read when the sink is created; null when not given
const secretFrom = z.preprocess((v) => (v === undefined ? null : v), credentialRefSchema.nullable());

export const elasticsearchSinkSchema = strict({
  name: dnsLabel,
  type: z.literal('elasticsearch'),
  /** one URL per node; requests go round-robin, a failed one is tried once on each other node */
  nodes: z.preprocess((v) => (v === null || v === undefined ? [DEFAULT_NODE] : v), z.array(nodeUrl).min(1, { error: 'expected at least one node URL' })),
  /** the data stream documents are written to (created on the first write from the index template) */
  dataStream: resourceName.default(DEFAULT_DATA_STREAM),
  /** install the index template (and the ILM policy) at start; off when an operator manages them */
  manageTemplate: z.boolean().default(true),
  /** composable index template name; "" is the data stream's name */
  templateName: optionalName.default(''),
  /** template priority: above Elastic's built-in templates (100), unique among templates matching the stream */
  templatePriority: count(0).default(200),
  /** ILM policy installed and attached to the template; "" attaches none */
  ilmPolicy: optionalName.default(''),
  /** roll over to a new backing index at this age */
  ilmRolloverMaxAge: timeValue(false).default('30d'),
  /** delete backing indices this long after their rollover; "" keeps them */
  ilmDeleteAfter: timeValue(true).default('90d'),
  /** API key, the encoded form Kibana shows (base64 of id:key): `{ env: NAME }` or `{ file: PATH }` */
  apiKeyFrom: secretFrom,
  /** basic authentication instead, each `{ env: NAME }` or `{ file: PATH }` */
  usernameFrom: secretFrom,
  passwordFrom: secretFrom,
  /** PEM file of the CA that signed the cluster's certificate; "" trusts the system CAs */
  caFile: z.string().default(''),
  /** the request content type's compatible-with version: 8 for Elasticsearch 8.13 and later 8.x, 9 for 9.x */
  compatibleWith: z.union([z.literal(8), z.literal(9)], { error: 'expected 8 or 9' }).default(9),
  /** per request */
  timeoutSeconds: count(1).default(30),
  /** keep the Kubernetes object as seen (kubernetes.object, stored but not indexed) */
  includeRawObject: z.boolean().default(false),
  ...sinkDeliveryFields,
}).superRefine((c, ctx) => {
  if (c.apiKeyFrom && (c.usernameFrom || c.passwordFrom)) {
    ctx.addIssue({ code: 'custom', path: ['apiKeyFrom'], message: 'cannot be combined with usernameFrom/passwordFrom: choose one way to authenticate' });
  }
  if (!c.usernameFrom !== !c.passwordFrom) {
    const [given, missing] = c.usernameFrom ? ['usernameFrom', 'passwordFrom'] : ['passwordFrom', 'usernameFrom'];
    ctx.addIssue({ code: 'custom', path: [given], message: `needs ${missing} too` });
  }
});

export type ElasticsearchSinkConfig = z.output<typeof elasticsearchSinkSchema>;

/** The template's name: templateName, else the data stream's. */
export function templateNameOf(cfg: Pick<ElasticsearchSinkConfig, 'templateName' | 'dataStream'>): string {
  return cfg.templateName || cfg.dataStream;
}
