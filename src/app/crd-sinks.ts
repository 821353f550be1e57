// From a Sink / ClusterSink custom resource (as the controller resolved it:
// type, target, credential values, delivery) to the config entry that sink
// type's own factory takes, validated by that type's own schema. Pure.
//
// The sink factories read credentials through `{env: NAME}` references, so
// the values travel in a private env map under generated names and the
// config object (which is logged, diffed and may be printed) holds only the
// references. A Sink the sink schema still refuses is reported with the
// custom resource's field, one Sink at a time, never thrown.

import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { SinkConfig } from '../config/schema.ts';
import type { ResolvedSink } from '../crd/controller.ts';
import { type CredentialName, type FieldProblem, sinkDeliveryConfigOf } from '../crd/schemas.ts';
import type { SinkDeliveryConfig } from '../pipeline/config.ts';
import { consoleSinkSchema } from '../sinks/console.ts';
import { dingtalkSinkSchema, DINGTALK_MAX_PER_MINUTE } from '../sinks/dingtalk/config.ts';
import { elasticsearchSinkSchema } from '../sinks/elasticsearch/config.ts';
import { jsonlSinkSchema } from '../sinks/jsonl.ts';
import { slackSinkSchema } from '../sinks/slack/config.ts';
import { teamsSinkSchema } from '../sinks/teams/config.ts';
import { telegramSinkSchema } from '../sinks/telegram/config.ts';
import { pluginSinkSchema } from '../sinks/plugin.ts';
import { webhookSinkSchema } from '../sinks/webhook/config.ts';

export type MappedSink =
  | {
      ok: true;
      /** the sink's config: credentials only as `{env: KH_SINK_…}` references */
      config: SinkConfig;
      /** the credential values under those names: pass as SinkDeps.env, never log */
      env: Record<string, string>;
      /** generated variable name → the custom resource's field, to make the sinks' own errors readable */
      fields: Record<string, string>;
    }
  | { ok: false; problems: FieldProblem[] };

const SCHEMAS: Record<SinkConfig['type'], z.ZodType> = {
  console: consoleSinkSchema,
  jsonl: jsonlSinkSchema,
  slack: slackSinkSchema,
  telegram: telegramSinkSchema,
  elasticsearch: elasticsearchSinkSchema,
  teams: teamsSinkSchema,
  dingtalk: dingtalkSinkSchema,
  webhook: webhookSinkSchema,
  plugin: pluginSinkSchema,
};

const ENV_SUFFIX: Record<CredentialName, string> = {
  token: 'TOKEN',
  webhookUrl: 'WEBHOOK_URL',
  signingSecret: 'SIGNING_SECRET',
  apiKey: 'API_KEY',
  username: 'USERNAME',
  password: 'PASSWORD',
};

const hash = (s: string, hexChars: number): string => createHash('sha256').update(s).digest('hex').slice(0, hexChars);

/**
 * The sink's name: readable, a valid DNS-1123 label, and unique per id
 * (ids with the same readable part, "a-b/c" and "a/b-c", differ in the hash).
 */
export function sinkNameFor(r: Pick<ResolvedSink, 'id' | 'kind' | 'name' | 'namespace'>): string {
  const suffix = `-${hash(r.id, 8)}`;
  const readable = (r.kind === 'Sink' ? `sink-${r.namespace ?? ''}-${r.name}` : `clustersink-${r.name}`).replace(/[^a-z0-9-]/g, '-');
  return `${readable.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
}

/** The variable a credential of this sink is passed in: KH_SINK_<hash of id>_<CREDENTIAL>. */
export function credentialEnvName(id: string, credential: CredentialName): string {
  return `KH_SINK_${hash(id, 12).toUpperCase()}_${ENV_SUFFIX[credential]}`;
}

// sink config keys → the custom resource's field, so problems point at what the user wrote
const FIELD_OF: Record<string, string> = {
  name: 'metadata.name',
  channel: 'spec.target.channel',
  chatId: 'spec.target.chatId',
  messageThreadId: 'spec.target.messageThreadId',
  urls: 'spec.target.url',
  nodes: 'spec.target.url',
  dataStream: 'spec.target.index',
  path: 'spec.target.path',
  maxPerMinute: 'spec.delivery.rateLimitPerMinute',
  tokenFrom: 'spec.credentials.token',
  webhookUrlFrom: 'spec.credentials.webhookUrl',
  urlFrom: 'spec.credentials.webhookUrl',
  secretFrom: 'spec.credentials.signingSecret',
  apiKeyFrom: 'spec.credentials.apiKey',
  usernameFrom: 'spec.credentials.username',
  passwordFrom: 'spec.credentials.password',
  headers: 'spec.credentials.token',
  plugin: 'spec.plugin',
  target: 'spec.target.name',
  options: 'spec.options',
};

function crField(path: readonly PropertyKey[]): string {
  const key = typeof path[0] === 'string' ? path[0] : '';
  // an option's own name, as the Sink spells it
  if (key === 'options' && typeof path[1] === 'string') return `spec.options.${path[1]}`;
  return FIELD_OF[key] ?? (key ? `spec (sink setting ${key})` : 'spec');
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * A resolved Sink as its type's config, validated by that type's schema.
 * Never throws; problems name the custom resource's fields, never a value.
 */
export function sinkConfigFromResolved(r: ResolvedSink): MappedSink {
  const { spec, credentials } = r;
  const target = spec.target ?? {};
  const env: Record<string, string> = {};
  const fields: Record<string, string> = {};
  const problems: FieldProblem[] = [];
  /** `{env: NAME}` for a credential the Sink has, its value put in env; undefined when it has none */
  const ref = (c: CredentialName): { env: string } | undefined => {
    const value = credentials[c];
    if (value === undefined) return undefined;
    const name = credentialEnvName(r.id, c);
    env[name] = value;
    fields[name] = `spec.credentials.${c}`;
    return { env: name };
  };
  // URLs read from a Secret: the sinks check them only when created, in terms of the variable; here in the user's
  const urlRef = (c: CredentialName): { env: string } | undefined => {
    const value = credentials[c];
    if (value !== undefined && !isHttpUrl(value)) problems.push({ field: `spec.credentials.${c}.secretKeyRef`, message: 'the Secret’s value is not an http(s) URL' });
    return ref(c);
  };
  const base = { name: sinkNameFor(r), type: spec.type };
  let raw: Record<string, unknown>;
  switch (spec.type) {
    case 'console':
      raw = base;
      break;
    case 'jsonl':
      raw = { ...base, path: target.path };
      break;
    case 'slack':
      raw = { ...base, tokenFrom: ref('token'), webhookUrlFrom: urlRef('webhookUrl'), channel: target.channel };
      break;
    case 'telegram':
      raw = { ...base, tokenFrom: ref('token'), chatId: target.chatId, messageThreadId: target.messageThreadId };
      break;
    case 'teams':
      raw = { ...base, urlFrom: urlRef('webhookUrl') };
      break;
    case 'dingtalk': {
      // DingTalk blocks a robot for 10 minutes past 20 a minute: "unlimited" (0) means its limit
      const perMinute = r.delivery.rateLimitPerMinute ?? 0;
      raw = { ...base, urlFrom: urlRef('webhookUrl'), secretFrom: ref('signingSecret') ?? null, maxPerMinute: perMinute > 0 ? perMinute : DINGTALK_MAX_PER_MINUTE };
      break;
    }
    case 'webhook': {
      const secretFrom = ref('signingSecret');
      const token = ref('token');
      raw = {
        ...base,
        urls: target.url === undefined ? [] : [target.url],
        // unsigned unless the Sink names a signing secret
        sign: secretFrom !== undefined,
        ...(secretFrom ? { secretFrom } : {}),
        // the sink expands ${NAME} in header values from its env when created
        headers: token ? { Authorization: `Bearer \${${token.env}}` } : {},
      };
      break;
    }
    case 'elasticsearch':
      raw = {
        ...base,
        nodes: target.url === undefined ? undefined : [target.url],
        ...(target.index !== undefined ? { dataStream: target.index } : {}),
        apiKeyFrom: ref('apiKey') ?? null,
        usernameFrom: ref('username') ?? null,
        passwordFrom: ref('password') ?? null,
      };
      break;
    case 'plugin':
      // no credentials to pass: the plugin reads its own; the router finds its instances by plugin type
      raw = { ...base, plugin: spec.plugin, target: target.name, options: spec.options };
      break;
    default: {
      const unknown: never = spec.type;
      return { ok: false, problems: [{ field: 'spec.type', message: `unknown sink type ${JSON.stringify(unknown)}` }] };
    }
  }
  // undefined keys would read as "given" to a strict schema's unknown-key check: leave them out
  const input = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  const parsed = SCHEMAS[spec.type].safeParse(input);
  if (!parsed.success) {
    for (const i of parsed.error.issues) problems.push({ field: crField(i.path), message: i.message });
  }
  if (problems.length || !parsed.success) return { ok: false, problems };
  return { ok: true, config: parsed.data as SinkConfig, env, fields };
}

/**
 * The pipeline's per-sink overrides for what the Sink's `delivery` sets
 * explicitly; unset ones keep the defaults every sink of its type gets
 * (sinkPolicy). burst and floodThreshold are refused by the schema.
 */
export function sinkDeliveryFromResolved(r: Pick<ResolvedSink, 'spec'>): SinkDeliveryConfig {
  return sinkDeliveryConfigOf(r.spec.delivery);
}
