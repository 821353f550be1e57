// The `chatops:` section of the config: which platforms kubeherald answers
// commands on, in which channels/chats (and each one's default namespace),
// and which chat user acts as which Kubernetes identity. Tokens and secrets
// are read from the environment or a file, never written here.

import { z } from 'zod';
import { list, section, strict } from '../config-kit/fields.ts';
import { credentialRefSchema } from '../sinks/credential.ts';
import { chatUserKey, describeChatUser, identityProblems } from './identity.ts';
import { DEFAULT_PRODUCTION_LABEL } from './policy.ts';
import { policyConfigSchema } from './policy-schema.ts';
import { CLUSTER_NAME } from './validate.ts';

const httpUrl = z.string().regex(/^https?:\/\/[^\s/]+\S*$/, { error: 'expected an http(s) URL' });
// a host is required: a listener binds the loopback unless an address (0.0.0.0 for every interface) is written
const listenAddr = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, { error: 'expected host:port, e.g. 127.0.0.1:3000, or 0.0.0.0:3000 for every interface' });
const namespaceName = z
  .string()
  .max(63, { error: 'expected at most 63 characters' })
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'expected a namespace name (DNS-1123 label)' });

/** A channel or chat commands are answered in; every other one gets no reply. */
const channelSchema = strict({
  /** Slack channel id (C0123ABCD; D… for a direct message) or Telegram chat id (-1001234567890) */
  id: z.string().min(1).regex(/^[A-Za-z0-9_-]+$/, { error: 'expected a channel/chat id (Slack C0123ABCD, Telegram -1001234567890), not a name' }),
  /** the namespace a command without -n uses here (default: chatops.defaultNamespace) */
  namespace: namespaceName.optional(),
  /** the cluster (a configured cluster's name) a command without --cluster goes to here (default: the first configured) */
  cluster: z.string().regex(CLUSTER_NAME, { error: "expected a cluster's name: letters, digits, '-', '_' and '.', at most 63" }).optional(),
});

const tlsSchema = strict({
  certFile: z.string().default(''),
  keyFile: z.string().default(''),
});

const slackSchema = strict({
  enabled: z.boolean().default(false),
  /** socket: a WebSocket kubeherald opens (no public ingress); http: Slack posts to `listen` */
  mode: z.enum(['socket', 'http']).default('socket'),
  /** the bot token (xoxb-…): replies, files, users.info */
  botTokenFrom: credentialRefSchema.optional(),
  /** socket mode: the app-level token (xapp-…) with connections:write */
  appTokenFrom: credentialRefSchema.optional(),
  /** http mode: the app's signing secret; every request's X-Slack-Signature is checked against it */
  signingSecretFrom: credentialRefSchema.optional(),
  /** http mode: where Events API, slash command and interactivity requests arrive (one listener, paths /slack/events, /slack/commands, /slack/interactivity) */
  listen: listenAddr.default('127.0.0.1:3000'),
  /** http mode: serve HTTPS with this certificate (else plain HTTP behind an ingress that terminates TLS) */
  tls: section(tlsSchema),
  /** the Web API base URL (tests and proxies) */
  apiUrl: httpUrl.default('https://slack.com/api/'),
  /** the slash command the app defines */
  slashCommand: z.string().regex(/^\/[a-z0-9_-]{1,31}$/, { error: 'expected a slash command such as /kube' }).default('/kube'),
  channels: list(channelSchema),
}).superRefine((s, ctx) => {
  if (!s.enabled) return;
  if (!s.botTokenFrom) ctx.addIssue({ code: 'custom', path: ['botTokenFrom'], message: 'required when slack is enabled: the bot token (xoxb-…) replies are posted with' });
  if (s.mode === 'socket' && !s.appTokenFrom) ctx.addIssue({ code: 'custom', path: ['appTokenFrom'], message: 'required in socket mode: the app-level token (xapp-…) with connections:write' });
  if (s.mode === 'http' && !s.signingSecretFrom) ctx.addIssue({ code: 'custom', path: ['signingSecretFrom'], message: 'required in http mode: without the signing secret anyone could post commands' });
  if (s.tls.certFile && !s.tls.keyFile) ctx.addIssue({ code: 'custom', path: ['tls', 'keyFile'], message: 'required with tls.certFile' });
});

const telegramSchema = strict({
  enabled: z.boolean().default(false),
  /** the bot token from @BotFather */
  tokenFrom: credentialRefSchema.optional(),
  /** the Bot API root (tests and a local Bot API server) */
  apiRoot: httpUrl.default('https://api.telegram.org'),
  /** polling: getUpdates long polling (no ingress); webhook: Telegram posts to `webhook.listen` */
  mode: z.enum(['polling', 'webhook']).default('polling'),
  webhook: section(
    strict({
      listen: listenAddr.default('127.0.0.1:8443'),
      /** the public URL Telegram posts to (setWebhook) */
      url: z.union([z.literal(''), httpUrl]).default(''),
      /** the secret Telegram sends in X-Telegram-Bot-Api-Secret-Token; requests without it get 401 */
      secretTokenFrom: credentialRefSchema.optional(),
      tls: section(tlsSchema),
    }),
  ),
  chats: list(channelSchema),
}).superRefine((t, ctx) => {
  if (!t.enabled) return;
  if (!t.tokenFrom) ctx.addIssue({ code: 'custom', path: ['tokenFrom'], message: 'required when telegram is enabled: the bot token from @BotFather' });
  if (t.mode === 'webhook') {
    if (!t.webhook.url) ctx.addIssue({ code: 'custom', path: ['webhook', 'url'], message: 'required in webhook mode: the public URL Telegram posts updates to' });
    if (!t.webhook.secretTokenFrom) ctx.addIssue({ code: 'custom', path: ['webhook', 'secretTokenFrom'], message: 'required in webhook mode: without it anyone could post updates' });
  }
});

/** One chat user acting as one Kubernetes identity. */
export const identitySchema = strict({
  platform: z.enum(['slack', 'telegram', 'console']),
  /** the platform's stable user id (Slack U0123ABCD, Telegram numeric id, the console's --as name) */
  user: z.string().min(1).optional(),
  /** Slack only: match the e-mail Slack has verified for the user instead of the id */
  email: z.string().regex(/^[^\s@]+@[^\s@]+$/, { error: 'expected an e-mail address' }).optional(),
  kubernetes: strict({
    /** the Kubernetes user name every API call impersonates */
    user: z.string().min(1),
    groups: z.array(z.string().min(1)).default([]),
  }),
}).superRefine((i, ctx) => {
  // the same rules the ChatIdentity controller applies (identity.ts)
  for (const p of identityProblems(i)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
});

export type IdentityConfig = z.output<typeof identitySchema>;

export const chatopsSchema = strict({
  /** the namespace a command without -n uses where the channel sets none */
  defaultNamespace: namespaceName.default('default'),
  slack: section(slackSchema),
  telegram: section(telegramSchema),
  identities: list(identitySchema),
  /** ChatIdentity custom resources (cluster-scoped) add to `identities` */
  identityResources: z.boolean().default(false),
  /** also emit each audit record as a notification (reason ChatCommand) through the routes */
  auditNotifications: z.boolean().default(false),
  /** where kubeherald may read a crashed container's log with its own identity, for sinks with crashReport (none by default) */
  crashReports: strict({
    /** namespaces, exactly; a sink's crashReport does nothing elsewhere */
    namespaces: list(namespaceName),
  }).optional(),
  /** the namespace label that, set to "true", marks production: every write there needs an approver unless a policy says otherwise */
  productionLabel: z
    .string()
    .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, { error: 'expected a label key such as kubeherald.io/production' })
    .default(DEFAULT_PRODUCTION_LABEL),
  /** which writes need approval, by whom (src/chatops/policy.ts); none matching: the safe defaults */
  policies: list(policyConfigSchema),
  /** ChatPolicy (namespaced) and ClusterChatPolicy custom resources add to `policies` */
  policyResources: z.boolean().default(false),
}).superRefine((c, ctx) => {
  // one chat user, one identity: which of two would win is not for file order to decide
  const seen = new Map<string, number>();
  c.identities.forEach((i, n) => {
    const key = chatUserKey(i);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, n);
    else ctx.addIssue({ code: 'custom', path: ['identities', n, i.user !== undefined ? 'user' : 'email'], message: `maps ${describeChatUser(i)} again (identities[${first}] already does)` });
  });
  const names = new Map<string, number>();
  c.policies.forEach((p, n) => {
    const first = names.get(p.name);
    if (first === undefined) names.set(p.name, n);
    else ctx.addIssue({ code: 'custom', path: ['policies', n, 'name'], message: `policies[${first}] is already called ${p.name}` });
  });
});

export type ChatOpsConfig = z.output<typeof chatopsSchema>;
