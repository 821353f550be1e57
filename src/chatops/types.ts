// The contracts of the command path, a leaf every chatops module meets at:
// what a platform adapter hands in (a message or a button press from one
// chat user), what comes back (a platform-neutral reply that each adapter
// renders its own way), the parsed command, the identity it runs as, and the
// audit record it leaves. No I/O here.

import type { AuditEntry as StoredAuditEntry, KubeIdentity, Platform } from '../model/audit.ts';

// shared with store/ (which may not import chatops/), so defined in model/
export type { AuditDecision, AuditFilter, AuditOutcome, KubeIdentity, Platform } from '../model/audit.ts';

/** Who typed it, as the platform identifies them. `id` is stable (Slack U…, Telegram numeric id); names are for display only. */
export interface ChatUser {
  platform: Platform;
  id: string;
  /** display name or @handle, never used to decide anything */
  name?: string;
  /** Slack only: the e-mail Slack has verified for this user (users.info), when the identity mapping asks for it */
  email?: string;
}

/** One command as an adapter received it. */
export interface ChatMessage {
  platform: Platform;
  user: ChatUser;
  /** Slack channel id (C…, D… for a DM), Telegram chat id, `console` */
  channel: string;
  /** where the reply goes: Slack thread_ts, Telegram message id to reply to */
  thread?: string;
  /** the command text, with the bot mention, `/kube` or `/kube@bot` already removed */
  text: string;
  /** epoch ms when the adapter received it (latency metrics and the bench) */
  receivedAt: number;
}

/** A button press on a reply (confirmation and approval build on this). */
export interface ChatInteraction {
  platform: Platform;
  user: ChatUser;
  channel: string;
  thread?: string;
  /** the ReplyAction id that was pressed */
  actionId: string;
  /** the ReplyAction value, as sent (adapters never trust it further than an opaque key) */
  value: string;
  /** the message the button was on, so the reply can replace or follow it */
  messageRef?: string;
  /** an approver's or denier's reason (typed: `approve <id> <reason>`) */
  reason?: string;
  receivedAt: number;
}

/** The body of a reply, platform-neutral; renderers map it to Block Kit, Telegram HTML or terminal text. */
export type ReplyBlock =
  | { kind: 'text'; text: string }
  /** preformatted text: shown in a code block */
  | { kind: 'code'; text: string }
  /** a kubectl-style table (shown as aligned columns in a code block) */
  | { kind: 'table'; columns: string[]; rows: string[][] }
  /** label/value pairs (whoami, a confirmation preview) */
  | { kind: 'fields'; fields: { label: string; value: string }[] };

export interface ReplyAction {
  id: string;
  label: string;
  style?: 'primary' | 'danger';
  /** opaque to adapters; handed back in ChatInteraction.value */
  value: string;
}

export type ReplyStatus =
  /** the command ran */
  | 'ok'
  /** RBAC (or the unmapped-user rule) refused it */
  | 'denied'
  /** it did not parse: usage shown, nothing reached the cluster */
  | 'invalid'
  /** it reached the cluster and failed there (not found, conflict, timeout) */
  | 'error'
  /** waiting for a confirmation or an approval */
  | 'pending';

export interface ChatReply {
  status: ReplyStatus;
  /** one line, shown first (bold where the platform can) */
  title?: string;
  blocks: ReplyBlock[];
  /** long output (logs) that the adapter uploads as a file/document rather than cutting it */
  file?: { name: string; content: string };
  /** said whenever anything was cut or left out: "showing 100 of 1,000 pods" */
  notes?: string[];
  actions?: ReplyAction[];
  /**
   * An answer to a button press that supersedes the message the button was on
   * (a request confirmed, approved, run or expired): adapters that can edit
   * that message (Slack chat.update, Telegram editMessageText) do, so its old
   * buttons go; the others post it as a new message.
   */
  replace?: boolean;
  /**
   * The write request this reply shows (its preview or its approval
   * buttons): an adapter that knows the id of the message it posted tells
   * the handler (ChatHandler.posted), so that the message can be updated
   * later, when the request expires or is decided elsewhere.
   */
  requestId?: string;
}

/** Where a reply went, or where an update goes: the platform's channel and, when known, the message to edit. */
export interface MessageTarget {
  platform: Platform;
  channel: string;
  thread?: string;
  /** Slack message ts, Telegram message_id */
  messageRef?: string;
}

/** What every adapter drives. Undefined: say nothing (a channel not in the config). */
export interface ChatHandler {
  handle(msg: ChatMessage, signal?: AbortSignal): Promise<ChatReply | undefined>;
  interact(ev: ChatInteraction, signal?: AbortSignal): Promise<ChatReply | undefined>;
  /** A reply carrying a requestId was posted as this message. */
  posted?(reply: ChatReply, where: MessageTarget & { messageRef: string }): void;
}

/** One platform connection. start() resolves once it receives messages; stop() lets in-flight replies finish. */
export interface ChatAdapter {
  readonly platform: Platform;
  start(handler: ChatHandler, signal: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  /**
   * Says something nobody asked for just now (a request expired, a request
   * approved at a terminal ran): edits `to.messageRef` when the reply says
   * `replace` and the platform can, else posts in the channel.
   */
  notify?(to: MessageTarget, reply: ChatReply): Promise<void>;
}

/** SubjectAccessReview resource attributes, as Kubernetes names them. */
export interface ResourceAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** The kinds a command may name: the ones kubeherald watches (see kinds.ts). */
export type KindName = 'pod' | 'node' | 'event' | 'deployment' | 'replicaset' | 'statefulset' | 'daemonset' | 'job' | 'cronjob' | 'persistentvolumeclaim' | 'horizontalpodautoscaler' | 'service' | 'namespace';

/**
 * A command that parsed: every name checked (DNS-1123), every number in range.
 * `namespace` is what the user typed; the service fills in the channel's default.
 * `cluster` (the commands that reach a cluster) is what `--cluster` named; the
 * service checks it against the config and fills in the channel's default
 * when several clusters are configured.
 */
export type ParsedCommand =
  | { verb: 'help'; topic?: string }
  | { verb: 'whoami' }
  | { verb: 'pods'; namespace?: string; allNamespaces: boolean; selector?: string; cluster?: string }
  | { verb: 'get'; kind: KindName; name?: string; namespace?: string; allNamespaces: boolean; selector?: string; cluster?: string }
  | { verb: 'describe'; kind: KindName; name: string; namespace?: string; cluster?: string }
  | { verb: 'logs'; pod: string; namespace?: string; container?: string; tail?: number; previous: boolean; sinceSeconds?: number; cluster?: string }
  | { verb: 'events'; namespace?: string; allNamespaces: boolean; for?: { kind: KindName; name: string }; cluster?: string }
  | { verb: 'scale'; kind: 'deployment'; name: string; replicas: number; namespace?: string; cluster?: string }
  | { verb: 'restart'; kind: 'deployment'; name: string; namespace?: string; cluster?: string }
  | { verb: 'rollout'; action: 'status' | 'history' | 'undo'; kind: 'deployment'; name: string; namespace?: string; toRevision?: number; cluster?: string }
  | { verb: 'cordon'; node: string; cluster?: string }
  | { verb: 'uncordon'; node: string; cluster?: string }
  | { verb: 'delete'; kind: 'pod'; name: string; namespace?: string; cluster?: string }
  | SilenceCommand;

/**
 * `silence …` (src/chatops/silence-command.ts runs it): the matchers as typed
 * (kind as Kubernetes spells it, labels exact), a duration or an end time
 * (epoch ms), and the comment after `--`.
 */
export type SilenceCommand =
  | {
      verb: 'silence';
      action: 'create';
      namespace?: string;
      allNamespaces: boolean;
      kind?: string;
      name?: string;
      reason?: string;
      labels?: Record<string, string>;
      durationSeconds?: number;
      until?: number;
      comment?: string;
      force: boolean;
      /** only notifications from this configured cluster (absent: from every cluster) */
      cluster?: string;
    }
  | { verb: 'silence'; action: 'list'; namespace?: string; allNamespaces: boolean }
  | { verb: 'silence'; action: 'expire'; id: string };

export type Verb = ParsedCommand['verb'];

export type ParseResult = { ok: true; command: ParsedCommand } | { ok: false; error: string; usage?: string };

/** What a command leaves in the audit trail (the store's record, with the parser's verbs). */
export interface AuditEntry extends StoredAuditEntry {
  verb?: Verb;
}
