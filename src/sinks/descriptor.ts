// What kubeherald knows about a sink type, in one object per type: each
// `sinks/<type>/descriptor.ts` exports one and `sinks/registry.ts` lists
// them. The config schema, the Sink custom resources (their schema, the
// manifests, the mapping onto a config entry), the plugin catalog, the
// delivery defaults, the CLI help and docs/config.md's sink tables are all
// derived from that list, so a new type is its folder plus one line there
// (docs/adding-a-sink.md).
//
// A descriptor imports its type's config schema only: `create` loads the
// sink (and its platform SDK) when a sink of the type is first configured.

import type { z } from 'zod';
import type { Sink, SinkDeps } from './types.ts';
import type { CredentialRef } from './credential.ts';

/** One rate limit: at most `count` messages in any `perMs` window, per target or for the whole sink. */
export interface PlatformRateLimit {
  count: number;
  perMs: number;
  /** target: each target (channel, chat) has its own allowance; sink: all targets share one */
  scope: 'target' | 'sink';
  /** a regular expression source; the rule applies to matching targets only (Telegram groups: "^-") */
  targets?: string;
}

/** The fields of a Sink custom resource's `spec.target`, shared by every type (which apply is the type's). */
export const CR_TARGET_FIELDS = ['channel', 'chatId', 'messageThreadId', 'url', 'index', 'path', 'name'] as const;
export type CrTargetField = (typeof CR_TARGET_FIELDS)[number];

/** The credentials a Sink custom resource may name, each a Secret key (which apply is the type's). */
export const CR_CREDENTIAL_NAMES = ['token', 'webhookUrl', 'signingSecret', 'apiKey', 'username', 'password'] as const;
export type CrCredentialName = (typeof CR_CREDENTIAL_NAMES)[number];

/** A Sink custom resource's target, as its schema admits it. */
export interface CrTarget {
  channel?: string;
  chatId?: string;
  messageThreadId?: number;
  url?: string;
  index?: string;
  path?: string;
  name?: string;
}

/** What a type's `toConfig` is given: the resolved Sink, with its credentials only as references. */
export interface CrMappingInput {
  /** the sink's generated name and its type */
  base: { name: string; type: string };
  target: CrTarget;
  /** spec.plugin and spec.options (plugin sinks only) */
  plugin?: string;
  options?: Record<string, unknown>;
  /** spec.delivery.rateLimitPerMinute, when set */
  rateLimitPerMinute?: number;
  /** `{env: NAME}` for a credential the Sink has (its value travels in a private env map), else undefined */
  ref(c: CrCredentialName): { env: string } | undefined;
  /** as ref, for a credential whose value must be an http(s) URL (checked, reported in the user's terms) */
  urlRef(c: CrCredentialName): { env: string } | undefined;
}

/** A problem a type's own custom-resource rule finds, at a path under `spec`. */
export interface CrProblem {
  path: (string | number)[];
  message: string;
}

/** How a Sink / ClusterSink custom resource of this type maps onto a config entry. */
export interface CustomResourceMapping {
  target: { required: readonly CrTargetField[]; optional: readonly CrTargetField[] };
  /** credentials that must be given */
  required: readonly CrCredentialName[];
  optional: readonly CrCredentialName[];
  /** alternatives: exactly one must be given (each a set of credentials; [] makes "none" an alternative) */
  oneOf?: readonly (readonly CrCredentialName[])[];
  /** rules a field list cannot say (Slack: a bot token needs a channel, a webhook URL takes none) */
  check?(given: { target: CrTarget; credentials: ReadonlySet<CrCredentialName> }): CrProblem[];
  /** the Sink's fields as this type's config entry (undefined values are left out before validation) */
  toConfig(input: CrMappingInput): Record<string, unknown>;
  /** what each target field and credential it takes is for this type (the CRD's field descriptions list them per type) */
  docs?: Partial<Record<CrTargetField | CrCredentialName, string>>;
  /** config key → the custom resource's field, so the schema's problems name what the user wrote */
  fieldOf: Readonly<Record<string, string>>;
  /** writes kubeherald's own files or output: a config-file sink or a ClusterSink only, never a namespaced Sink */
  localOutput?: boolean;
  /** delivered through a plugin: takes spec.plugin (required) and spec.options, and no credentials (the plugin holds its own) */
  viaPlugin?: boolean;
}

/** How a sink of this type is served by `kubeherald plugin <type>`. */
export interface PluginOptions {
  /** the option a delivery's target sets ("" when the type has no targets); never a secret */
  targetOption: string;
  /**
   * Keys that decide where the plugin's credentials go, whether and how it
   * signs, or what of its own host it touches: only the plugin's own config
   * sets them, a delivery may repeat but never change them.
   */
  pinnedKeys: readonly string[];
}

/** What `kubeherald doctor`'s reach check is given: credentials read through it are redacted from its errors. */
export interface ReachContext {
  credential(ref: CredentialRef, key: string): string;
}

/** A reach check's answer (app/doctor.ts names the sink). */
export interface ReachVerdict {
  verdict: 'OK' | 'FAIL';
  detail: string;
}

/** What kubeherald lends a sink of this type from its state database (app/durable.ts), beyond the key → value state every sink gets. */
export type SinkStateNeed = 'alertButtons';

/** A sink type's config schema: a mapping whose `type` is the type's name (a literal, so a union can discriminate). */
export type SinkSchema = z.ZodType<{ name: string; type: string }>;

export interface SinkDescriptor<S extends SinkSchema = SinkSchema> {
  type: z.output<S>['type'];
  /** the `sinks:` entry schema (also what a plugin of the type checks its config with) */
  schema: S;
  /** the sink, its module loaded on first use */
  create(cfg: z.output<S>, deps: SinkDeps): Promise<Sink>;
  delivery: {
    /** every notification a record (an archive, a program, a log): never grouped, folded or stormed */
    records: boolean;
    /** what the platform allows, so kubeherald does not earn 429s; [] for none */
    rateLimits: readonly PlatformRateLimit[];
    /** notifications a minute to one chat target before its storm digest; unset: the default (chat sinks) */
    stormThreshold?: number;
    /** the type whose defaults and limits a sink of this type delivers with, when not its own (a plugin sink: its plugin type's) */
    platformOf?(cfg: Readonly<Record<string, unknown>>): string | undefined;
  };
  customResource: CustomResourceMapping;
  /** absent: the type cannot be hosted by a plugin (the plugin type itself) */
  plugin?: PluginOptions;
  /** `kubeherald plugin <type>`: settings the environment gives over the config file's, and where they came from */
  envOverride?(env: NodeJS.ProcessEnv): { source: string; values: Record<string, unknown> } | undefined;
  /** credential values a sink reads besides its `…From` references, so they are redacted from its errors */
  extraSecrets?(cfg: z.output<S>, env: NodeJS.ProcessEnv): string[];
  /** keys holding a file of kubeherald's host, resolved against the config file's directory ("-" is stdout) */
  filePaths?: readonly string[];
  /**
   * `kubeherald doctor`: a harmless call that proves the platform and the
   * credentials work (Slack's auth.test, Telegram's getMe, a ping);
   * 'unchecked': a remote platform with no harmless call (a post would
   * notify someone); absent: nothing to reach.
   */
  reach?: 'unchecked' | ((cfg: z.output<S>, ctx: ReachContext) => Promise<ReachVerdict>);
  /** what the type lends from the state database */
  state?: readonly SinkStateNeed[];
  docs: {
    /** the platform, as docs and help name it */
    title: string;
    /** one line: what a sink of this type does */
    summary: string;
  };
}

/** A descriptor, its config type inferred from its schema (the literal `type` included). */
export function defineSink<S extends SinkSchema>(d: SinkDescriptor<S>): SinkDescriptor<S> {
  return d;
}
