// The command path every adapter drives: a message from a chat user becomes
// at most one set of Kubernetes API calls, made as that user's own
// Kubernetes identity, and always exactly one audit record.
//
//   channel allowed? → parse → identity → RBAC (SelfSubjectAccessReview as
//   the user) → execute (impersonated) → reply → audit
//
// Nothing reaches the cluster for a message that did not parse, from a user
// who is not mapped, or that RBAC refuses. The order matters for the audit
// trail too: every refusal is recorded with why.

import type * as k8s from '@kubernetes/client-node';
import type { Logger } from '../model/logger.ts';
import { alertCommand, alertSilenceCommand, isAlertButtonToken, isSilenceAction, resolveAlertButton, type StoredAlertButton } from './alert-actions.ts';
import { authorize } from './authorize.ts';
import { answeredBy, channelClusterProblems, type ChatCluster, ChatClusters } from './clusters.ts';
import { commandTarget, formatCommand, isWrite, reachesCluster, requiredAccess } from './commands.ts';
import type { ChatOpsConfig } from './config.ts';
import { executeCommand } from './executor.ts';
import { isRequestAction, REQUEST_ACTIONS, RequestFlow } from './flow.ts';
import { parseCommand, parseRequestAnswer } from './grammar.ts';
import { helpReply } from './help.ts';
import { impersonatingClients } from './kube.ts';
import { kubeNamespaceReader, NamespaceLabels } from './namespace-labels.ts';
import { compilePolicy, type CompiledPolicy } from './policy.ts';
import { toPolicySpec } from './policy-schema.ts';
import { isPreviewable } from './preview.ts';
import { runSilence, type SilencePort } from './silence-command.ts';
import type { RequestRepo } from '../store/types.ts';
import type { AuditEntry, ChatHandler, ChatInteraction, ChatMessage, ChatReply, ChatUser, KubeIdentity, MessageTarget, ParsedCommand, Platform } from './types.ts';

export interface IdentityResolver {
  resolve(user: ChatUser): KubeIdentity | undefined;
}

export interface AuditSink {
  append(e: AuditEntry): number;
}

export interface ChatOpsServiceOptions {
  config: ChatOpsConfig;
  identities: IdentityResolver;
  /** kubeherald's own credentials: they only impersonate, never act for a chat user (the one cluster, when `clusters` is not given) */
  kc: k8s.KubeConfig;
  /**
   * Every cluster commands may go to, by its configured name, the home one
   * first (default: `kc` alone, unnamed). A channel's `cluster` must be one of
   * them; `--cluster` naming another is refused before any API call.
   */
  clusters?: readonly ChatCluster[];
  audit: AuditSink;
  log: Logger;
  /** every audit record once stored (metrics; the optional ChatCommand notification), with the command when it parsed */
  onAudit?: (e: AuditEntry, cmd?: ParsedCommand, namespace?: string) => void;
  /** a message from a channel that is not configured (metrics) */
  onIgnored?: (platform: Platform) => void;
  now?: () => number;
  /** the cluster's "now" for ages and restartedAt (default the wall clock; the demo passes the simulator's) */
  clusterNow?: () => Date;
  /** where write requests wait for confirmation and approval; without it every write is refused (nothing runs unconfirmed) */
  requests?: RequestRepo;
  /** the store's transaction: an approval and the state change it causes commit together */
  transaction?: <T>(fn: () => T) => T;
  /** approval policies besides the config's `chatops.policies` (ChatPolicy/ClusterChatPolicy resources), asked at every proposal */
  policies?: () => readonly CompiledPolicy[];
  /** says something in a chat nobody asked for just now (a request expired or ran): the wiring hands it to the platform's adapter */
  notify?: (to: MessageTarget, reply: ChatReply) => void;
  /** a namespace's labels on a cluster (undefined: home) (default: read with kubeherald's own credentials there, kept 30 s) */
  namespaceLabels?: (namespace: string, signal?: AbortSignal, cluster?: string) => Promise<Readonly<Record<string, string>> | undefined>;
  /** kubeherald's silences, for `silence …` (without them the command says so) */
  silences?: SilencePort;
  /** the actions behind Telegram alert buttons' tokens (the state database's alert_buttons); without it a token button is refused */
  alertButtons?: { get(token: string): StoredAlertButton | undefined };
}

type Clients = ReturnType<typeof impersonatingClients>;

/** Kept clients per identity: building one is cheap, but each holds its own agent and connections. */
const MAX_CACHED_IDENTITIES = 256;
/** The audit record keeps what was typed, cut to this. */
const MAX_AUDIT_TEXT = 1000;

export class ChatOpsService implements ChatHandler {
  readonly #opts: ChatOpsServiceOptions;
  readonly #namespaces: Map<string, string>;
  /** a channel's default cluster, where it names one */
  readonly #channelClusters: Map<string, string>;
  readonly #clusters: ChatClusters;
  readonly #clients = new Map<string, Clients>();
  readonly #now: () => number;
  readonly #flow: RequestFlow | undefined;

  constructor(opts: ChatOpsServiceOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#clusters = new ChatClusters(opts.clusters ?? [{ name: '', kc: opts.kc }]);
    const unknownDefaults = channelClusterProblems(opts.config, this.#clusters.names);
    if (unknownDefaults.length) throw new Error(unknownDefaults.map((p) => `chatops.${p.path.join('.')}: ${p.message}`).join('; '));
    // compiled once: the config file is validated by the same compilePolicy, so these have no problems
    const configPolicies = opts.config.policies.map((p) => compilePolicy(toPolicySpec(p), { name: `config:${p.name}` }));
    const labels = opts.namespaceLabels ?? this.#namespaceLabels();
    this.#flow = opts.requests
      ? new RequestFlow({
          requests: opts.requests,
          identities: opts.identities,
          clientsFor: (id, cluster) => this.#clientsFor(id, this.#clusters.require(cluster)),
          audit: (e) => this.#audit(e, undefined, undefined),
          log: opts.log,
          policies: () => [...configPolicies, ...(opts.policies?.() ?? [])],
          productionLabel: opts.config.productionLabel,
          namespaceLabels: labels,
          ...(opts.transaction ? { transaction: opts.transaction } : {}),
          ...(opts.notify ? { notify: opts.notify } : {}),
          now: this.#now,
          clusterNow: opts.clusterNow,
          nameClusters: this.#clusters.several,
        })
      : undefined;
    const c = opts.config;
    this.#namespaces = new Map([
      ...c.slack.channels.map((ch) => [`slack/${ch.id}`, ch.namespace ?? c.defaultNamespace] as const),
      ...c.telegram.chats.map((ch) => [`telegram/${ch.id}`, ch.namespace ?? c.defaultNamespace] as const),
      ['console/console', c.defaultNamespace] as const,
    ]);
    this.#channelClusters = new Map([
      ...c.slack.channels.flatMap((ch) => (ch.cluster !== undefined ? [[`slack/${ch.id}`, ch.cluster] as const] : [])),
      ...c.telegram.chats.flatMap((ch) => (ch.cluster !== undefined ? [[`telegram/${ch.id}`, ch.cluster] as const] : [])),
    ]);
  }

  /** Each cluster's namespace labels read with kubeherald's own credentials there, kept briefly (one cache per cluster). */
  #namespaceLabels(): NonNullable<ChatOpsServiceOptions['namespaceLabels']> {
    const caches = new Map<string, NamespaceLabels>();
    return (ns, signal, name) => {
      const cluster = this.#clusters.get(name);
      if (!cluster) return Promise.resolve(undefined);
      let cache = caches.get(cluster.name);
      if (!cache) caches.set(cluster.name, (cache = new NamespaceLabels({ read: kubeNamespaceReader(cluster.kc), now: this.#now })));
      return cache.get(ns, signal);
    };
  }

  /** The cluster commands without --cluster go to in this channel. */
  channelCluster(platform: Platform, channel: string): ChatCluster {
    return this.#clusters.get(this.#channelClusters.get(`${platform}/${channel}`))!;
  }

  /** The namespace commands without -n use in this channel; undefined: kubeherald does not answer there. */
  channelNamespace(platform: Platform, channel: string): string | undefined {
    return this.#namespaces.get(`${platform}/${channel}`);
  }

  async handle(msg: ChatMessage, signal?: AbortSignal): Promise<ChatReply | undefined> {
    const namespace = this.channelNamespace(msg.platform, msg.channel);
    if (namespace === undefined) {
      // silence, not a refusal: an unlisted channel must not learn the bot is there
      this.#opts.log.debug({ platform: msg.platform, channel: msg.channel, user: msg.user.id }, 'command from a channel not in chatops config ignored');
      this.#opts.onIgnored?.(msg.platform);
      return undefined;
    }
    const started = this.#now();
    const base: Omit<AuditEntry, 'decision' | 'outcome' | 'writes' | 'durationMs'> = {
      at: msg.receivedAt,
      platform: msg.platform,
      platformUserId: msg.user.id,
      platformUserName: msg.user.name,
      channel: msg.channel,
      text: msg.text.slice(0, MAX_AUDIT_TEXT),
    };
    let cmd: ParsedCommand | undefined;
    let ns: string | undefined;
    const record = (e: Pick<AuditEntry, 'decision' | 'outcome' | 'writes'> & Partial<AuditEntry>, reply: ChatReply): ChatReply => {
      this.#audit({ ...base, ...e, durationMs: Math.max(0, this.#now() - started) }, cmd, ns);
      return reply;
    };

    const text = msg.text.trim();
    // a typed answer to a pending request (`approve <id> looks right`): the same path as its button
    const answer = parseRequestAnswer(text);
    if (answer) {
      const actionId = REQUEST_ACTIONS[answer.verb];
      let id = answer.id;
      if (id === undefined) {
        // the bare verb: the one request it can mean, or a reply naming the candidates (recorded: nothing ran)
        if (!this.#flow) return record({ decision: 'invalid', outcome: 'invalid', writes: false, error: 'no requests here' }, { status: 'invalid', title: `\`${answer.verb}\`: there are no requests here.`, blocks: [] });
        const only = this.#flow.onlyPending(answer.verb, msg.user, msg.channel);
        if ('reply' in only) return record({ decision: 'invalid', outcome: 'invalid', writes: false, error: only.reply.title }, only.reply);
        id = only.id;
      }
      return this.interact({ platform: msg.platform, user: msg.user, channel: msg.channel, thread: msg.thread, actionId, value: id, ...(answer.reason ? { reason: answer.reason } : {}), receivedAt: msg.receivedAt }, signal);
    }
    if (!text) return record({ decision: 'allowed', outcome: 'ok', writes: false, verb: 'help', command: 'help' }, helpReply());
    const parsed = parseCommand(text);
    if (!parsed.ok) {
      const reply: ChatReply = { status: 'invalid', title: parsed.error, blocks: parsed.usage ? [{ kind: 'code', text: parsed.usage }] : [], notes: ['`help` lists the commands; `help <command>` explains one.'] };
      return record({ decision: 'invalid', outcome: 'invalid', writes: false, error: parsed.error }, reply);
    }
    let command = parsed.command;
    const named = 'cluster' in command ? command.cluster : undefined;
    if (named !== undefined && !this.#clusters.get(named)) {
      // refused here, before identity and RBAC: nothing is asked of any cluster for a name the config does not list
      const why = this.#clusters.unknown(named);
      return record({ verb: command.verb, decision: 'invalid', outcome: 'invalid', writes: isWrite(command), error: why }, { status: 'invalid', title: why, blocks: [] });
    }
    let cluster: ChatCluster | undefined;
    if (reachesCluster(command)) {
      cluster = named !== undefined ? this.#clusters.require(named) : this.channelCluster(msg.platform, msg.channel);
      // several clusters: the normalised command names the one it went to (the audit trail, a request's stored text)
      if (this.#clusters.several) command = { ...command, cluster: cluster.name };
    }
    const target = resolveNamespace(command, namespace);
    // the audit record carries them from here on
    cmd = command;
    ns = target;
    const writes = isWrite(command);
    const identity = this.#opts.identities.resolve(msg.user);
    const described = {
      verb: command.verb,
      command: formatCommand(command, target),
      target: commandTarget(command, target),
      writes,
      identity,
      ...(cluster?.name ? { cluster: cluster.name } : {}),
    };

    if (command.verb === 'help') return record({ ...described, decision: 'allowed', outcome: 'ok' }, helpReply(command.topic));
    if (command.verb === 'whoami') return record({ ...described, decision: identity ? 'allowed' : 'unmapped', outcome: 'ok' }, this.#whoami(msg.user, identity, namespace, this.channelCluster(msg.platform, msg.channel)));
    if (!identity) {
      const reply: ChatReply = {
        status: 'denied',
        title: `${who(msg.user)} is not mapped to a Kubernetes identity, so it may run only \`help\` and \`whoami\`.`,
        blocks: [{ kind: 'text', text: 'An administrator maps chat users to Kubernetes users in `chatops.identities` or with a ChatIdentity resource.' }],
      };
      return record({ ...described, decision: 'unmapped', outcome: 'denied', error: 'chat user not mapped' }, reply);
    }

    // silences are kubeherald's custom resources: their RBAC is the home cluster's
    const clients = this.#clientsFor(identity, cluster ?? this.#clusters.home);
    const verdict = await authorize(clients, identity, requiredAccess(command, target), signal, msg.user.name ?? msg.user.id).catch(
      (err: unknown) => ({ allowed: false, decision: 'error', message: (err as Error).message }) as const,
    );
    if (verdict.decision === 'error') {
      // not a refusal: the question could not be asked, so nothing ran
      const reason = `cannot check your permissions right now: ${verdict.message}`;
      this.#opts.log.warn({ platform: msg.platform, user: identity.user, err: verdict.message }, 'access review failed');
      return record({ ...described, decision: 'denied', outcome: 'error', error: reason }, { status: 'error', title: reason, blocks: [] });
    }
    if (!verdict.allowed) {
      return record({ ...described, decision: 'denied', outcome: 'denied', error: verdict.message }, { status: 'denied', title: verdict.message, blocks: [] });
    }

    if (command.verb === 'silence') {
      const silences = this.#opts.silences;
      if (!silences) {
        const why = 'silences need the state database, and this kubeherald has none';
        return record({ ...described, decision: 'allowed', outcome: 'error', error: why }, { status: 'error', title: `${described.command}: ${why}.`, blocks: [] });
      }
      const who = msg.user.name ?? msg.user.id;
      let reply: ChatReply;
      try {
        reply = await runSilence(command, { silences, user: msg.user, identity, namespace: target, authorize: (attrs) => authorize(clients, identity, attrs, signal, who) });
      } catch (err) {
        this.#opts.log.error({ platform: msg.platform, command: described.command, err: (err as Error).message }, 'silence command failed unexpectedly');
        reply = { status: 'error', title: `${described.command}: ${(err as Error).message}`, blocks: [] };
      }
      const outcome = reply.status === 'ok' ? 'ok' : reply.status === 'denied' ? 'denied' : reply.status === 'invalid' ? 'invalid' : 'error';
      // the reply's title carries the silence's id and end: the trail says which silence this was
      const text = outcome === 'ok' && reply.title ? `${base.text}\n${reply.title}`.slice(0, MAX_AUDIT_TEXT) : base.text;
      return record({ ...described, text, decision: outcome === 'denied' ? 'denied' : 'allowed', outcome, error: outcome === 'ok' ? undefined : reply.title }, reply);
    }

    if (writes && isPreviewable(command)) {
      // nothing is written now: a dry run, a request, and Confirm/Cancel
      if (!this.#flow) {
        const why = 'writes need a confirmation, and this kubeherald has no state database to keep requests in';
        return record({ ...described, decision: 'allowed', outcome: 'error', error: why }, { status: 'error', title: `${described.command}: ${why}.`, blocks: [] });
      }
      const { reply, requestId } = await this.#flow.propose(msg, command, target, identity, signal, cluster?.name || undefined);
      const outcome = reply.status === 'pending' ? 'pending' : reply.status === 'ok' ? 'ok' : reply.status === 'denied' ? 'denied' : 'error';
      const preview = reply.blocks.find((b) => b.kind === 'code');
      const detail = requestId && preview?.kind === 'code' ? `\nrequest ${requestId} previewed: ${preview.text}` : '';
      return record(
        { ...described, text: `${base.text}${detail}`.slice(0, MAX_AUDIT_TEXT), decision: 'allowed', outcome, error: outcome === 'ok' || outcome === 'pending' ? undefined : reply.title },
        reply,
      );
    }

    let reply: ChatReply;
    try {
      reply = this.#answeredBy(cluster, await executeCommand(command, { clients, identity, namespace: target, signal, now: this.#opts.clusterNow }));
    } catch (err) {
      // the executor turns API errors into replies; this is a bug or an abort, still answered and recorded
      this.#opts.log.error({ platform: msg.platform, command: described.command, err: (err as Error).message }, 'command failed unexpectedly');
      reply = { status: 'error', title: `${described.command}: ${(err as Error).message}`, blocks: [] };
    }
    const outcome = reply.status === 'ok' ? 'ok' : reply.status === 'pending' ? 'pending' : reply.status === 'denied' ? 'denied' : reply.status === 'invalid' ? 'invalid' : 'error';
    return record({ ...described, decision: 'allowed', outcome, error: outcome === 'ok' || outcome === 'pending' ? undefined : reply.title }, reply);
  }

  async interact(ev: ChatInteraction, signal?: AbortSignal): Promise<ChatReply | undefined> {
    if (this.channelNamespace(ev.platform, ev.channel) === undefined) return undefined;
    const now = this.#opts.silences?.now() ?? this.#now();
    let { actionId, value } = ev;
    // a Telegram button too long for 64 bytes carries a token; the action behind it is checked like one carried inline
    const token = isAlertButtonToken(actionId) ? resolveAlertButton(value, (t) => this.#buttonOf(t), ev.channel, now) : undefined;
    if (token?.ok) ({ actionId, value } = token);
    // an alert's button (Logs, Describe, Restart, Silence 1h …): the command as the clicker would type it, through the whole path
    const alert = token && !token.ok ? token : isSilenceAction(actionId) ? alertSilenceCommand(value, ev.channel, now) : alertCommand(actionId, value);
    if (alert?.ok) return this.handle({ platform: ev.platform, user: ev.user, channel: ev.channel, thread: ev.thread, text: alert.text, receivedAt: ev.receivedAt }, signal);
    if (alert) {
      // a token says nothing by itself: the record names the action it stood for, when known
      const stood = token?.ok ? token : token?.actionId !== undefined ? { actionId: token.actionId, value: token.value } : undefined;
      const text = `button ${ev.actionId} ${ev.value}${stood ? ` (${stood.actionId} ${stood.value})` : ''}`.slice(0, MAX_AUDIT_TEXT);
      this.#audit({ at: ev.receivedAt, platform: ev.platform, platformUserId: ev.user.id, platformUserName: ev.user.name, channel: ev.channel, text, decision: 'invalid', outcome: 'invalid', writes: false, durationMs: 0, error: alert.error }, undefined, undefined);
      return { status: 'invalid', title: alert.error, blocks: [] };
    }
    if (isRequestAction(ev.actionId)) {
      if (!this.#flow) return { status: 'invalid', title: 'This button is no longer valid.', blocks: [] };
      return this.#flow.interact(ev, signal);
    }
    // a press on an unknown or forged button is answered, never acted on
    return { status: 'invalid', title: 'This button is no longer valid.', blocks: [] };
  }

  #buttonOf(token: string): StoredAlertButton | undefined {
    try {
      return this.#opts.alertButtons?.get(token);
    } catch (err) {
      // refused like an unknown token (nothing runs), but loudly: the state database failed
      this.#opts.log.error({ err: (err as Error).message }, 'cannot read an alert button\'s action from the state database');
      return undefined;
    }
  }

  posted(reply: ChatReply, where: MessageTarget & { messageRef: string }): void {
    if (!reply.requestId || !this.#flow) return;
    try {
      this.#flow.remember(reply.requestId, where.messageRef);
    } catch (err) {
      this.#opts.log.warn({ request: reply.requestId, err: (err as Error).message }, 'cannot record where a request was posted; its message will not be updated');
    }
  }

  /** Re-checks requests a crash left executing (see RequestFlow.recover); call once at start. */
  async recover(signal?: AbortSignal): ReturnType<RequestFlow['recover']> {
    return this.#flow ? this.#flow.recover(signal) : [];
  }

  /** Runs requests approved outside this process's chat path (`kubeherald requests approve`); the wiring calls it on its timer. */
  async executeApproved(signal?: AbortSignal): ReturnType<RequestFlow['executeApproved']> {
    return this.#flow ? this.#flow.executeApproved(signal) : [];
  }

  /** Expires requests past their time (each audited); the wiring calls it on a timer. */
  expireDue(): number {
    return this.#flow ? this.#flow.expireDue().length : 0;
  }

  /** Several clusters: the reply says which one answered. */
  #answeredBy(cluster: ChatCluster | undefined, reply: ChatReply): ChatReply {
    return this.#clusters.several && cluster ? answeredBy(cluster.name, reply) : reply;
  }

  #whoami(user: ChatUser, identity: KubeIdentity | undefined, namespace: string, cluster: ChatCluster): ChatReply {
    const fields = [
      { label: 'Chat user', value: `${user.name ? `${user.name} ` : ''}(${user.platform} ${user.id})` },
      ...(user.email ? [{ label: 'Verified e-mail', value: user.email }] : []),
    ];
    if (!identity) {
      return {
        status: 'ok',
        title: `${who(user)} is not mapped to a Kubernetes identity.`,
        blocks: [{ kind: 'fields', fields }, { kind: 'text', text: 'Only `help` and `whoami` answer until an administrator maps you in `chatops.identities` or with a ChatIdentity resource.' }],
      };
    }
    fields.push({ label: 'Kubernetes user', value: identity.user }, { label: 'Kubernetes groups', value: identity.groups.join(', ') || '(none)' }, { label: 'Default namespace here', value: namespace });
    if (this.#clusters.several) fields.push({ label: 'Default cluster here', value: `${cluster.name} (of ${this.#clusters.names.join(', ')})` });
    return { status: 'ok', title: `You act as Kubernetes user ${identity.user}.`, blocks: [{ kind: 'fields', fields }], notes: ['Every command runs with your own Kubernetes permissions (impersonation).'] };
  }

  #clientsFor(identity: KubeIdentity, cluster: ChatCluster): Clients {
    const key = JSON.stringify([cluster.name, identity.user, identity.groups]);
    let c = this.#clients.get(key);
    if (c) {
      // most recently used last, so the oldest goes first
      this.#clients.delete(key);
    } else {
      c = impersonatingClients(cluster.kc, identity);
      if (this.#clients.size >= MAX_CACHED_IDENTITIES) this.#clients.delete(this.#clients.keys().next().value!);
    }
    this.#clients.set(key, c);
    return c;
  }

  #audit(e: AuditEntry, cmd: ParsedCommand | undefined, namespace: string | undefined): void {
    try {
      e.id = this.#opts.audit.append(e);
    } catch (err) {
      // the command has run: losing its record must be loud, never silent
      this.#opts.log.error({ err: (err as Error).message, platform: e.platform, user: e.platformUserId, command: e.command }, 'cannot write the chat audit record');
    }
    this.#opts.log.info(
      { platform: e.platform, user: e.platformUserId, as: e.identity?.user, channel: e.channel, command: e.command, decision: e.decision, outcome: e.outcome, durationMs: e.durationMs },
      'chat command',
    );
    this.#opts.onAudit?.(e, cmd, namespace);
  }
}

/** The namespace a command acts in: its -n, else the channel's; '' for -A and cluster-scoped commands. */
export function resolveNamespace(cmd: ParsedCommand, channelNamespace: string): string {
  if ('allNamespaces' in cmd && cmd.allNamespaces) return '';
  if ('namespace' in cmd) return cmd.namespace ?? channelNamespace;
  return channelNamespace;
}

function who(user: ChatUser): string {
  return `${user.name ?? user.id} (${user.platform} user ${user.id})`;
}
