// The kubeherald.io/v1alpha1 custom resources as zod schemas: Sink and
// ClusterSink (where notifications go), Route and ClusterRoute (which go
// where). The controller validates with these, and the CRD manifests'
// openAPIV3Schema is generated from them (src/crd/openapi.ts), so what the
// API server admits and what the controller accepts cannot drift apart.
// Rules a structural schema cannot say (one credential or another, fields a
// sink type does not use) are refinements here and surface in status.

import { z } from 'zod';
import { deliverySchema as configDeliverySchema, GROUP_DIMENSION_PATTERN, GROUP_DIMENSIONS, type SinkDeliveryConfig, sinkDeliveryProblems } from '../pipeline/config.ts';
import { isCredentialOptionKey, KUBEHERALD_ONLY_KEYS } from '../sinks/plugin/config.ts';
import { CR_CREDENTIAL_NAMES, CR_TARGET_FIELDS, type CrCredentialName, type CrTargetField } from '../sinks/descriptor.ts';
import { platformOf, SINK_DESCRIPTORS, sinkDescriptor, SINK_TYPES, type SinkType } from '../sinks/registry.ts';
import { chatIdentitySpecSchema } from '../chatops/identity-resource.ts';
import { chatPolicySpecSchema, clusterChatPolicySpecSchema } from '../chatops/policy-resource.ts';
import { clusterSilenceSpecSchema, silenceSpecSchema, silenceStatusSchema } from './silence-resource.ts';

export const GROUP = 'kubeherald.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

// RE2-compatible patterns only: the API server evaluates them in Go
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const objectName = z
  .string()
  .min(1)
  .max(253)
  .regex(DNS1123_SUBDOMAIN, { error: 'expected a Kubernetes object name (lowercase letters, digits, "-" and ".")' });
const namespaceName = z
  .string()
  .min(1)
  .max(63)
  .regex(DNS1123_LABEL, { error: 'expected a namespace name (a DNS-1123 label)' });
const nonEmpty = z.string().min(1);
const int = (min: number, max: number) => z.number().int().min(min).max(max);

// ---------------------------------------------------------------------------
// Sink and ClusterSink

// the sink types and what each takes from a Sink are the registry's (each type's descriptor.customResource)
export { SINK_TYPES, type SinkType };

export const secretKeySelectorSchema = z
  .strictObject({
    name: objectName.describe("Name of the Secret: in the Sink's namespace, or kubeherald's own namespace for a ClusterSink."),
    key: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[-._a-zA-Z0-9]+$/, { error: 'expected a Secret data key (letters, digits, "-", "_" and ".")' })
      .describe('Key within the Secret.'),
  })
  .describe('A key of a Secret.');

const INLINE_SECRET = 'inline secret values are not allowed: credentials are read from Secrets only (secretKeyRef: {name, key})';

/**
 * A credential is only ever a reference to a Secret. The schema keeps
 * unknown fields here (x-kubernetes-preserve-unknown-fields) on purpose:
 * pruned silently, `value: xoxb-…` would leave a Sink that looks configured
 * and fails at delivery; kept, the controller reports the exact field.
 */
export const credentialSchema = z
  .looseObject({ secretKeyRef: secretKeySelectorSchema.optional() })
  .superRefine((c, ctx) => {
    const extra = Object.keys(c).filter((k) => k !== 'secretKeyRef');
    for (const k of extra) ctx.addIssue({ code: 'custom', path: [k], message: INLINE_SECRET });
    if (!extra.length && !c.secretKeyRef) ctx.addIssue({ code: 'custom', path: ['secretKeyRef'], message: 'required: the Secret and key holding this credential' });
  })
  .describe('Where the credential is: secretKeyRef only, never the value itself.');

export type Credential = z.output<typeof credentialSchema>;

export const CREDENTIAL_NAMES = CR_CREDENTIAL_NAMES;
export type CredentialName = CrCredentialName;

/**
 * A target field's or credential's description: what it is, then the types
 * that take it, each with what it is there (their descriptors' rules and
 * customResource.docs), so a new sink type's fields are documented in the
 * CRDs without an edit here.
 */
function fieldDoc(field: CrTargetField | CrCredentialName, lead: string): string {
  const takes = SINK_DESCRIPTORS.filter((d) => {
    const m = d.customResource;
    return [...m.target.required, ...m.target.optional, ...m.required, ...m.optional, ...(m.oneOf ?? []).flat()].includes(field);
  });
  const uses = takes.map((d) => {
    const what = d.customResource.docs?.[field];
    return what ? `${d.docs.title}: ${what}` : d.docs.title;
  });
  return uses.length ? `${lead} ${uses.join('; ')}.` : lead;
}

const credentialsSchema = z
  .strictObject({
    token: credentialSchema.optional().describe(fieldDoc('token', 'A token.')),
    webhookUrl: credentialSchema.optional().describe(fieldDoc('webhookUrl', 'An incoming webhook URL: the URL itself is the secret.')),
    signingSecret: credentialSchema.optional().describe(fieldDoc('signingSecret', 'An HMAC signing secret.')),
    apiKey: credentialSchema.optional().describe(fieldDoc('apiKey', 'An API key.')),
    username: credentialSchema.optional().describe(fieldDoc('username', 'A user name.')),
    password: credentialSchema.optional().describe(fieldDoc('password', 'A password.')),
  })
  .describe('Credentials, each from a Secret.');

export const TARGET_FIELDS = CR_TARGET_FIELDS;
export type TargetField = CrTargetField;

const targetSchema = z
  .strictObject({
    channel: nonEmpty.max(200).optional().describe(fieldDoc('channel', 'A channel.')),
    chatId: z
      .string()
      .regex(/^(-?[0-9]+|@[A-Za-z][A-Za-z0-9_]{3,})$/, { error: 'expected a numeric chat ID (-1001234567890) or @channelname' })
      .optional()
      .describe(fieldDoc('chatId', 'A chat.')),
    messageThreadId: int(1, 2147483647).optional().describe(fieldDoc('messageThreadId', 'A topic of a chat.')),
    url: z
      .string()
      .max(2048)
      .regex(/^https?:\/\/[^\s/@]+(\/\S*)?$/, { error: 'expected an http(s) URL without credentials in it' })
      .optional()
      .describe(fieldDoc('url', 'An http(s) URL.')),
    index: z
      .string()
      .max(255)
      .regex(/^[a-z0-9][a-z0-9._+-]*$/, { error: 'expected a lowercase index or data stream name' })
      .optional()
      .describe(fieldDoc('index', 'An index or data stream.')),
    path: nonEmpty.max(4096).optional().describe(fieldDoc('path', 'A file.')),
    // one free-form field rather than the platform's own (channel, chatId …): which option it sets is the plugin's business (its Describe targetOption)
    name: nonEmpty.max(1024).optional().describe(fieldDoc('name', 'A name.')),
  })
  .describe('Where notifications go; which fields apply depends on type.');

const UNSUPPORTED = 'not supported: kubeherald does not use it, so it is refused rather than ignored';
// the config file's defaults, which a Sink's unset keys take
const CONFIG_DELIVERY = configDeliverySchema.parse({});

export const deliverySchema = z
  .strictObject({
    rateLimitPerMinute: int(0, 1_000_000)
      .optional()
      .describe("At most this many messages a minute for the whole sink, in place of the platform's own limits (docs/config.md); 0 is unlimited. Default: the platform's limits."),
    burst: int(1, 10_000).optional().describe('Refused: kubeherald does not use it (its rate limits are windows: rateLimitPerMinute).'),
    groupWaitSeconds: int(0, 3600)
      .optional()
      .describe(`Chat sinks: a new group waits this long for others before its first message; 0 sends each notification on its own. Default: the config's delivery.groupWaitSeconds (${CONFIG_DELIVERY.groupWaitSeconds}). Record sinks never group.`),
    floodWindowSeconds: int(0, 86_400)
      .optional()
      .describe(`Chat sinks: for this long after a FIRING, repeats of the same occurrence join its group; 0 is off. Default: the config's delivery.floodWindowSeconds (${CONFIG_DELIVERY.floodWindowSeconds}). Record sinks never fold.`),
    floodThreshold: int(1, 100_000).optional().describe('Refused: kubeherald does not use it (flood control joins repeats of one occurrence to its first: floodWindowSeconds).'),
  })
  .describe("Delivery options; unset ones take the sink type's defaults and the config file's delivery: section (docs/custom-resources.md).");

/** What a Sink's spec.delivery sets (refused keys aside); everything else comes from the pipeline's defaults for its type. */
export type Delivery = Pick<z.output<typeof deliverySchema>, 'rateLimitPerMinute' | 'groupWaitSeconds' | 'floodWindowSeconds'>;

/**
 * A Sink's spec.delivery in the terms of a config sink's `delivery:`, so
 * both resolve through the pipeline's one sinkPolicy(): only what is set,
 * `groupWaitSeconds: 0` as no grouping.
 */
export function sinkDeliveryConfigOf(d: Delivery | undefined): SinkDeliveryConfig {
  const out: SinkDeliveryConfig = {};
  if (!d) return out;
  if (d.groupWaitSeconds !== undefined) {
    out.groupWaitSeconds = d.groupWaitSeconds;
    // no wait is no grouping
    if (d.groupWaitSeconds === 0) out.groupBy = [];
  }
  if (d.floodWindowSeconds !== undefined) out.floodWindowSeconds = d.floodWindowSeconds;
  if (d.rateLimitPerMinute !== undefined) out.rateLimits = d.rateLimitPerMinute === 0 ? [] : [{ count: d.rateLimitPerMinute, perSeconds: 60, scope: 'sink' }];
  return out;
}

// the config sink's key a problem names → the Sink's field it came from
const DELIVERY_FIELD: Record<string, string> = { groupBy: 'groupWaitSeconds', groupWaitSeconds: 'groupWaitSeconds', floodWindowSeconds: 'floodWindowSeconds', rateLimits: 'rateLimitPerMinute' };

const PLUGIN_CREDENTIALS = "not allowed for a plugin sink: credentials belong to the plugin's own Secret (its environment or files), never to kubeherald";

/**
 * A plugin sink's options: non-secret settings the plugin checks against its
 * own schema, so their shape is open (x-kubernetes-preserve-unknown-fields).
 * They are sent with every delivery and are readable by anyone who can read
 * the Sink: what looks like a credential is refused, as in the config file.
 */
const optionsSchema = z
  .record(z.string(), z.unknown())
  .superRefine((o, ctx) => {
    for (const k of Object.keys(o)) {
      if (isCredentialOptionKey(k)) ctx.addIssue({ code: 'custom', path: [k], message: "looks like a credential: credentials belong to the plugin's own Secret, and options are sent with every delivery" });
      else if (KUBEHERALD_ONLY_KEYS.includes(k)) ctx.addIssue({ code: 'custom', path: [k], message: 'set by kubeherald, not the plugin: use spec.delivery' });
    }
  })
  .describe("Plugin sinks: the sink's non-secret settings (e.g. threads: false), sent with every delivery and checked by the plugin.");

export const sinkSpecSchema = z
  .strictObject({
    type: z.enum(SINK_TYPES).describe('The platform, or plugin: delivered through instances of a sink plugin (docs/plugins.md).'),
    plugin: z
      .string()
      .max(63)
      .regex(DNS1123_LABEL, { error: 'expected a plugin type (a DNS-1123 label: lowercase letters, digits and "-")' })
      .optional()
      .describe('Plugin sinks: the plugin type to deliver to (slack, webhook …), whose instances discovery finds.'),
    target: targetSchema.optional(),
    options: optionsSchema.optional(),
    credentials: credentialsSchema.optional(),
    delivery: deliverySchema.optional(),
  })
  .superRefine((spec, ctx) => {
    const rules = sinkDescriptor(spec.type)!.customResource;
    for (const key of ['burst', 'floodThreshold'] as const) {
      if (spec.delivery?.[key] !== undefined) ctx.addIssue({ code: 'custom', path: ['delivery', key], message: UNSUPPORTED });
    }
    for (const p of sinkDeliveryProblems(platformOf(spec), sinkDeliveryConfigOf(spec.delivery))) {
      ctx.addIssue({ code: 'custom', path: ['delivery', DELIVERY_FIELD[p.path[0]] ?? p.path[0]], message: p.message });
    }
    if (rules.viaPlugin) {
      if (spec.plugin === undefined) ctx.addIssue({ code: 'custom', path: ['plugin'], message: 'required for a plugin sink: the plugin type (slack, webhook …)' });
      if (spec.credentials !== undefined) ctx.addIssue({ code: 'custom', path: ['credentials'], message: PLUGIN_CREDENTIALS });
    } else {
      if (spec.plugin !== undefined) ctx.addIssue({ code: 'custom', path: ['plugin'], message: `not used by a ${spec.type} sink (only with type: plugin)` });
      if (spec.options !== undefined) ctx.addIssue({ code: 'custom', path: ['options'], message: `not used by a ${spec.type} sink (only with type: plugin)` });
    }
    const target = (spec.target ?? {}) as Record<string, unknown>;
    const creds = (spec.credentials ?? {}) as Record<string, unknown>;
    for (const f of rules.target.required) {
      if (target[f] === undefined) ctx.addIssue({ code: 'custom', path: ['target', f], message: `required for a ${spec.type} sink` });
    }
    for (const f of Object.keys(target)) {
      if (target[f] !== undefined && ![...rules.target.required, ...rules.target.optional].includes(f as TargetField)) {
        ctx.addIssue({ code: 'custom', path: ['target', f], message: rules.viaPlugin ? 'not used by a plugin sink: target.name says where, whatever the platform' : `not used by a ${spec.type} sink` });
      }
    }
    // a plugin sink's credentials were refused as a whole above
    const given = rules.viaPlugin ? [] : CREDENTIAL_NAMES.filter((c) => creds[c] !== undefined);
    const allowed = new Set<CredentialName>([...rules.required, ...rules.optional, ...(rules.oneOf ?? []).flat()]);
    for (const c of given) if (!allowed.has(c)) ctx.addIssue({ code: 'custom', path: ['credentials', c], message: `not used by a ${spec.type} sink` });
    for (const c of rules.required) {
      if (creds[c] === undefined) ctx.addIssue({ code: 'custom', path: ['credentials', c], message: `required for a ${spec.type} sink` });
    }
    if (rules.oneOf) {
      const chosen = rules.oneOf.filter((alt) => alt.length > 0 && alt.some((c) => creds[c] !== undefined));
      const options = rules.oneOf.filter((a) => a.length).map((a) => a.join(' and ')).join(' or ');
      const optional = rules.oneOf.some((a) => a.length === 0);
      if (chosen.length > 1) ctx.addIssue({ code: 'custom', path: ['credentials'], message: `expected one of ${options}, not several` });
      else if (chosen.length === 0 && !optional) ctx.addIssue({ code: 'custom', path: ['credentials'], message: `expected ${options}` });
      else if (chosen.length === 1) {
        for (const c of chosen[0]) if (creds[c] === undefined) ctx.addIssue({ code: 'custom', path: ['credentials', c], message: `required with ${chosen[0].filter((x) => x !== c).join(', ')}` });
      }
    }
    // what the type's field lists cannot say (Slack: a bot token needs a channel)
    for (const p of rules.check?.({ target: spec.target ?? {}, credentials: new Set(given) }) ?? []) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  })
  .describe('Where notifications are delivered.');

export type SinkSpec = z.output<typeof sinkSpecSchema>;

/** The type whose platform a sink delivers to: a plugin sink's plugin type, else its own (the registry's platformOf). */
export { platformOf };

/** What the Sink's spec.delivery sets (burst and floodThreshold are refused by the schema); the rest is the pipeline's, by type. */
export function deliveryOf(spec: Pick<SinkSpec, 'type' | 'delivery' | 'plugin'>): Delivery {
  const d = spec.delivery ?? {};
  return Object.fromEntries(Object.entries({ rateLimitPerMinute: d.rateLimitPerMinute, groupWaitSeconds: d.groupWaitSeconds, floodWindowSeconds: d.floodWindowSeconds }).filter(([, v]) => v !== undefined)) as Delivery;
}

// ---------------------------------------------------------------------------
// Route and ClusterRoute

const labelSelectorSchema = z
  .strictObject({
    matchLabels: z.record(z.string(), z.string()).optional(),
    matchExpressions: z
      .array(
        z.strictObject({
          key: nonEmpty,
          operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
          values: z.array(z.string()).optional(),
        }),
      )
      .optional(),
  })
  .describe("A label selector over the notification's labels (those of the object it is about).");

export const matchSchema = z
  .strictObject({
    kinds: z.array(nonEmpty).optional().describe('Kinds of the object, exact: Pod, Deployment, Node …'),
    namespaces: z
      .array(z.string().regex(/^[a-z0-9*?-]+$/, { error: 'expected a namespace name or glob (lowercase letters, digits, "-", "*" and "?")' }))
      .optional()
      .describe('Namespaces of the object, globs allowed; a cluster-scoped object has namespace "". A Route only ever sees its own namespace.'),
    reasons: z.array(nonEmpty).optional().describe('Reasons, exact: CrashLoopBackOff, OOMKilled, Scaled …'),
    severities: z.array(z.enum(['critical', 'warning', 'info'])).optional(),
    eventTypes: z.array(z.enum(['Normal', 'Warning'])).optional().describe('For notifications made from Events.'),
    labelSelector: labelSelectorSchema.optional(),
    users: z.array(nonEmpty).optional().describe('Who made the change (from the audit log), globs allowed: expert@org.com, *@org.com.'),
    states: z.array(z.enum(['firing', 'resolved'])).optional(),
    detectors: z.array(nonEmpty).optional().describe('The detector, exact: crashLoopBackOff, audit …'),
    clusters: z.array(nonEmpty).optional().describe('The cluster the notification came from, exact: a name from the config\'s clusters (or cluster.name).'),
    cel: z.string().min(1).max(4096).optional().describe('A CEL expression over the notification that must be true; see docs/routes.md.'),
  })
  .describe('What the route matches: every field given must match; within a list, any entry. Empty matches everything.');

export const sinkRefSchema = z.strictObject({
  name: objectName,
  kind: z.enum(['Sink', 'ClusterSink']).optional().describe('Sink (default for a Route) or ClusterSink.'),
  namespace: namespaceName.optional().describe("A Sink's namespace; a Route may only use Sinks of its own namespace."),
});

export const routeGroupSchema = z
  .strictObject({
    by: z
      .array(z.string().regex(new RegExp(GROUP_DIMENSION_PATTERN), { error: `expected one of ${GROUP_DIMENSIONS.join(', ')} or label:<name>` }))
      .max(16)
      .optional()
      .describe(`Notifications alike in these are one message: ${GROUP_DIMENSIONS.join(', ')}, label:<name>. [] sends each on its own. Default: the sink's.`),
    waitSeconds: int(0, 86_400).optional().describe("A new group waits this long for others before its first message. Default: the sink's."),
    intervalSeconds: int(1, 604_800).optional().describe("A group that went out gets an update this long after its last message when members joined or resolved. Default: the sink's."),
  })
  .describe("How what this route sends is grouped, in place of each sink's own grouping; its groups are never merged with another route's.");

export const routeSpecSchema = z
  .strictObject({
    order: int(-1_000_000, 1_000_000).optional().describe('Position among all routes, lower first (default 0); ties by kind, namespace and name.'),
    match: matchSchema.optional(),
    sinks: z.array(sinkRefSchema).max(32).optional().describe('Where matching notifications go.'),
    drop: z.boolean().optional().describe('A matching notification is dropped: no later route sees it.'),
    continue: z.boolean().optional().describe('Keep evaluating later routes after this one matched.'),
    group: routeGroupSchema.optional(),
    activeTimeIntervals: z.array(nonEmpty).max(32).optional().describe("Names of the config file's timeIntervals: the route sends only within one of them. A name not defined there makes the route match nothing."),
    muteTimeIntervals: z.array(nonEmpty).max(32).optional().describe("Names of the config file's timeIntervals: the route sends nothing (but a RESOLVED) within any of them."),
  })
  .superRefine((spec, ctx) => {
    if (spec.drop && spec.sinks?.length) ctx.addIssue({ code: 'custom', path: ['sinks'], message: 'a drop route delivers nothing: remove sinks, or drop' });
    if (spec.drop && spec.group) ctx.addIssue({ code: 'custom', path: ['group'], message: 'a drop route sends nothing to group: remove group, or drop' });
    if (!spec.drop && !spec.sinks?.length) ctx.addIssue({ code: 'custom', path: ['sinks'], message: 'required: at least one sink (or drop: true)' });
  })
  .describe('Which notifications go to which sinks.');

export type RouteCRSpec = z.output<typeof routeSpecSchema>;

// ---------------------------------------------------------------------------
// Status (written by the controller through the status subresource)

export const conditionSchema = z.strictObject({
  type: nonEmpty.max(316),
  status: z.enum(['True', 'False', 'Unknown']),
  observedGeneration: int(0, Number.MAX_SAFE_INTEGER).optional(),
  lastTransitionTime: z.string(),
  reason: z.string().max(1024),
  message: z.string().max(32768),
});

export type Condition = z.output<typeof conditionSchema>;

const counters = {
  matched: int(0, Number.MAX_SAFE_INTEGER).optional().describe('Notifications matched (updated every few seconds).'),
  delivered: int(0, Number.MAX_SAFE_INTEGER).optional().describe('Notifications delivered (updated every few seconds).'),
};

const conditions = z
  .array(conditionSchema)
  .optional()
  .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });

export const routeStatusSchema = z.strictObject({
  observedGeneration: int(0, Number.MAX_SAFE_INTEGER).optional(),
  conditions,
  sinks: z.string().optional().describe('The sinks, for kubectl get.'),
  ...counters,
});

export const sinkStatusSchema = z.strictObject({
  observedGeneration: int(0, Number.MAX_SAFE_INTEGER).optional(),
  conditions,
  ...counters,
});

export type CRStatus = z.output<typeof routeStatusSchema>;

export const chatIdentityStatusSchema = z.strictObject({
  observedGeneration: int(0, Number.MAX_SAFE_INTEGER).optional(),
  conditions,
});

export const chatPolicyStatusSchema = z.strictObject({
  observedGeneration: int(0, Number.MAX_SAFE_INTEGER).optional(),
  conditions,
});

// ---------------------------------------------------------------------------
// The kinds

export type CRKind = 'Sink' | 'ClusterSink' | 'Route' | 'ClusterRoute' | 'ChatIdentity' | 'ChatPolicy' | 'ClusterChatPolicy' | 'Silence' | 'ClusterSilence';

export interface KindInfo {
  kind: CRKind;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  spec: z.ZodType;
  status: z.ZodType;
  description: string;
}

export const KINDS: Record<CRKind, KindInfo> = {
  Sink: {
    kind: 'Sink',
    plural: 'sinks',
    singular: 'sink',
    namespaced: true,
    shortNames: ['hsink'],
    spec: sinkSpecSchema,
    status: sinkStatusSchema,
    description: "A destination for notifications, usable by the Routes of its namespace and by ClusterRoutes. Credentials come from Secrets in the Sink's namespace.",
  },
  ClusterSink: {
    kind: 'ClusterSink',
    plural: 'clustersinks',
    singular: 'clustersink',
    namespaced: false,
    shortNames: ['hcsink'],
    spec: sinkSpecSchema,
    status: sinkStatusSchema,
    description: "A destination for notifications, usable by ClusterRoutes. Credentials come from Secrets in kubeherald's namespace.",
  },
  Route: {
    kind: 'Route',
    plural: 'routes',
    singular: 'route',
    namespaced: true,
    shortNames: ['hroute'],
    spec: routeSpecSchema,
    status: routeStatusSchema,
    description: "Sends notifications about objects in its own namespace to Sinks of that namespace.",
  },
  ClusterRoute: {
    kind: 'ClusterRoute',
    plural: 'clusterroutes',
    singular: 'clusterroute',
    namespaced: false,
    shortNames: ['hcroute'],
    spec: routeSpecSchema,
    status: routeStatusSchema,
    description: 'Sends any notification to ClusterSinks, Sinks of any namespace, or the sinks of the config file.',
  },
  // the spec's schema is chatops' own (src/chatops/identity-resource.ts), which checks it at run time too
  ChatIdentity: {
    kind: 'ChatIdentity',
    plural: 'chatidentities',
    singular: 'chatidentity',
    namespaced: false,
    shortNames: ['chatid'],
    spec: chatIdentitySpecSchema,
    status: chatIdentityStatusSchema,
    description: 'One chat user (Slack, Telegram, console) acting as one Kubernetes identity for chat commands: every API call of their commands impersonates it, so Kubernetes RBAC decides. See docs/chatops.md.',
  },
  // approval policies: the spec schemas are chatops' own (src/chatops/policy-resource.ts); the rules beyond shape are reported in status
  ChatPolicy: {
    kind: 'ChatPolicy',
    plural: 'chatpolicies',
    singular: 'chatpolicy',
    namespaced: true,
    shortNames: ['chatpol'],
    spec: chatPolicySpecSchema,
    status: chatPolicyStatusSchema,
    description: 'Which chat writes (scale, restart, rollout undo, delete) in its own namespace need approval, how many approvals and from whom. The strictest matching policy applies. See docs/chatops.md.',
  },
  ClusterChatPolicy: {
    kind: 'ClusterChatPolicy',
    plural: 'clusterchatpolicies',
    singular: 'clusterchatpolicy',
    namespaced: false,
    shortNames: ['cchatpol'],
    spec: clusterChatPolicySpecSchema,
    status: chatPolicyStatusSchema,
    description: 'Which chat writes, in which namespaces (by name, glob or label selector) and channels, need approval, how many approvals and from whom. The strictest matching policy applies. See docs/chatops.md.',
  },
  // silences: the spec schemas and their checks are src/crd/silence-resource.ts; the controller is src/crd/silence-controller.ts
  Silence: {
    kind: 'Silence',
    plural: 'silences',
    singular: 'silence',
    namespaced: true,
    shortNames: ['hsilence'],
    spec: silenceSpecSchema,
    status: silenceStatusSchema,
    description: 'Keeps notifications about objects in its own namespace out of chat for a while (data sinks still get them, marked silencedBy). See docs/silences.md.',
  },
  ClusterSilence: {
    kind: 'ClusterSilence',
    plural: 'clustersilences',
    singular: 'clustersilence',
    namespaced: false,
    shortNames: ['hcsilence'],
    spec: clusterSilenceSpecSchema,
    status: silenceStatusSchema,
    description: 'Keeps matching notifications, in any namespace or of cluster-scoped objects, out of chat for a while (data sinks still get them, marked silencedBy). See docs/silences.md.',
  },
};

/** The whole object's schema (what the CRD's openAPIV3Schema describes). */
export function objectSchema(info: KindInfo): z.ZodType {
  return z
    .strictObject({
      apiVersion: z.string().optional().describe('kubeherald.io/v1alpha1'),
      kind: z.string().optional().describe(info.kind),
      metadata: z.object({}).optional(),
      spec: info.spec,
      status: info.status.optional(),
    })
    .describe(info.description);
}

export interface FieldProblem {
  /** the object's field, e.g. spec.match.cel or spec.credentials.token.value */
  field: string;
  message: string;
}

/** Validates a spec; problems name the exact field (spec.…). */
export function validateSpec<T>(schema: z.ZodType<T>, spec: unknown): { ok: true; value: T } | { ok: false; problems: FieldProblem[] } {
  const r = schema.safeParse(spec ?? undefined);
  if (r.success) return { ok: true, value: r.data };
  const problems: FieldProblem[] = [];
  for (const issue of r.error.issues) {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
    for (const key of keys) {
      const path = key === undefined ? issue.path : [...issue.path, key];
      problems.push({ field: fieldPath(['spec', ...path]), message: key === undefined ? issue.message : 'unknown field' });
    }
  }
  return { ok: false, problems };
}

/** ['spec', 'sinks', 0, 'name'] → "spec.sinks[0].name" */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}
