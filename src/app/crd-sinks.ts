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
import type { SinkConfig } from '../config/schema.ts';
import type { ResolvedSink } from '../crd/controller.ts';
import { type CredentialName, type FieldProblem, sinkDeliveryConfigOf } from '../crd/schemas.ts';
import type { SinkDeliveryConfig } from '../pipeline/config.ts';
import { sinkDescriptor } from '../sinks/registry.ts';

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

// config keys every type shares → the custom resource's field; each type adds its own (descriptor.customResource.fieldOf)
const COMMON_FIELDS: Record<string, string> = { name: 'metadata.name' };

function crField(path: readonly PropertyKey[], fieldOf: Readonly<Record<string, string>>): string {
  const key = typeof path[0] === 'string' ? path[0] : '';
  // an option's own name, as the Sink spells it
  if (key === 'options' && typeof path[1] === 'string') return `spec.options.${path[1]}`;
  return fieldOf[key] ?? COMMON_FIELDS[key] ?? (key ? `spec (sink setting ${key})` : 'spec');
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
  const descriptor = sinkDescriptor(spec.type);
  if (!descriptor) return { ok: false, problems: [{ field: 'spec.type', message: `unknown sink type ${JSON.stringify(spec.type)}` }] };
  const mapping = descriptor.customResource;
  const raw = mapping.toConfig({ base, target, plugin: spec.plugin, options: spec.options, rateLimitPerMinute: r.delivery.rateLimitPerMinute, ref, urlRef });
  // undefined keys would read as "given" to a strict schema's unknown-key check: leave them out
  const input = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  const parsed = descriptor.schema.safeParse(input);
  if (!parsed.success) {
    for (const i of parsed.error.issues) problems.push({ field: crField(i.path, mapping.fieldOf), message: i.message });
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
