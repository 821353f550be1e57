// A write from chat, from its preview to its one execution. Nothing is
// written when the command is typed: it is dry-run as the requester, the
// request (command, target resourceVersion, preview digest, policy) goes into
// the state database, and the reply carries Confirm/Cancel buttons whose
// value is only the request's opaque id. The requester confirms; when the
// policy asks for approvals, other people approve or deny (each passing RBAC
// for the action themselves); then the write runs once, as the requester,
// with the previewed resourceVersion as its precondition. Every step leaves
// an audit record.
//
// Every state change is a compare-and-set in the store, so two approvers
// pressing at once, a replayed click or a second process can only ever
// execute a request once.

import type { ActionRequest, RequestPolicy, RequestUser } from '../model/approval.ts';
import type { Logger } from '../model/logger.ts';
import type { RequestRepo } from '../store/types.ts';
import { decide, newRequestId, type DecideResult } from './approvals.ts';
import { authorize } from './authorize.ts';
import { answeredBy } from './clusters.ts';
import { formatCommand } from './commands.ts';
import { executeCommand, failureReply } from './executor.ts';
import { rfc3339Seconds } from './exec/write.ts';
import type { KubeClients } from './kube.ts';
import { needsApproval, type CompiledPolicy } from './policy.ts';
import { describeDrift, preview, type Preview, type WriteCommand } from './preview.ts';
import type { AuditEntry, ChatInteraction, ChatMessage, ChatReply, ChatUser, KubeIdentity, MessageTarget, ReplyAction } from './types.ts';

/** Button action ids: the value of each is the request id and nothing else. */
export const REQUEST_ACTIONS = { confirm: 'request.confirm', cancel: 'request.cancel', approve: 'request.approve', deny: 'request.deny' } as const;
export type RequestActionId = (typeof REQUEST_ACTIONS)[keyof typeof REQUEST_ACTIONS];

const VERB_OF: Record<string, 'confirm' | 'cancel' | 'approve' | 'deny'> = {
  [REQUEST_ACTIONS.confirm]: 'confirm',
  [REQUEST_ACTIONS.cancel]: 'cancel',
  [REQUEST_ACTIONS.approve]: 'approve',
  [REQUEST_ACTIONS.deny]: 'deny',
};

export function isRequestAction(actionId: string): boolean {
  return actionId in VERB_OF;
}

export interface IdentityLookup {
  resolve(user: ChatUser): KubeIdentity | undefined;
}

export interface RequestFlowOptions {
  requests: RequestRepo;
  identities: IdentityLookup;
  /**
   * Clients impersonating `identity` on the configured cluster of that name
   * (undefined: the home cluster); throws for a cluster the config no longer
   * lists, which fails the request rather than running it elsewhere.
   */
  clientsFor(identity: KubeIdentity, cluster?: string): KubeClients;
  /** records one audit entry (the service stores it and tells its listeners) */
  audit(e: AuditEntry): void;
  log: Logger;
  /**
   * The approval policies in force (config file and ChatPolicy resources),
   * asked at every proposal; none: policy.ts's safe defaults alone.
   */
  policies?: () => readonly CompiledPolicy[];
  /** the namespace label marking production (default kubeherald.io/production) */
  productionLabel?: string;
  /** a namespace's labels as kubeherald reads them; undefined: unreadable (counts as possibly production) */
  namespaceLabels?: (namespace: string, signal?: AbortSignal, cluster?: string) => Promise<Readonly<Record<string, string>> | undefined>;
  /** the store's transaction, so an approval and the state change it causes commit together */
  transaction?: <T>(fn: () => T) => T;
  /** says something in a request's chat that nobody asked for just now (it expired; it ran after an approval at a terminal) */
  notify?: (to: MessageTarget, reply: ChatReply) => void;
  now: () => number;
  clusterNow?: () => Date;
  /** several clusters are configured: every reply about a request names the one it is for */
  nameClusters?: boolean;
}

type Base = Pick<AuditEntry, 'at' | 'platform' | 'platformUserId' | 'platformUserName' | 'channel'>;

export class RequestFlow {
  readonly #o: RequestFlowOptions;
  /** requests this process is executing now: the poll for approved rows leaves them to the press that approved them */
  readonly #executing = new Set<string>();

  constructor(o: RequestFlowOptions) {
    this.#o = o;
  }

  /**
   * The preview of a write the requester may make (RBAC already checked), as
   * a pending request with Confirm/Cancel; `cluster` (undefined: the home
   * one) is where it is previewed, and so where it will run.
   */
  async propose(msg: ChatMessage, cmd: WriteCommand, namespace: string, identity: KubeIdentity, signal?: AbortSignal, cluster?: string): Promise<{ reply: ChatReply; requestId?: string }> {
    const clients = this.#o.clientsFor(identity, cluster);
    const x = { clients, identity, namespace, signal, now: this.#o.clusterNow };
    let p: Preview;
    try {
      p = await preview(cmd, x);
    } catch (err) {
      // a failed dry run is the answer, in the executor's words
      return { reply: failureReply(err, signal) };
    }
    if (p.noop) return { reply: this.#onCluster(cluster, { status: 'ok', title: p.noop, blocks: [], notes: ['Nothing to change, so nothing to confirm.'] }) };
    const policy = await this.#policyFor(cmd, namespace, msg.channel, p, signal, cluster);
    const now = this.#o.now();
    const id = newRequestId();
    const req: ActionRequest = {
      id,
      createdAt: now,
      updatedAt: now,
      expiresAt: now + policy.expirySeconds * 1000,
      platform: msg.platform,
      requester: requestUser(msg.user),
      identity,
      channel: msg.channel,
      ...(msg.thread ? { thread: msg.thread } : {}),
      command: commandText(cmd, namespace),
      parsed: { ...cmd, ...(cmd.verb === 'cordon' || cmd.verb === 'uncordon' ? {} : { namespace }) } as Record<string, unknown>,
      ...(cmd.verb === 'cordon' || cmd.verb === 'uncordon' ? {} : { namespace }),
      target: { ...p.target, ...(cluster !== undefined ? { cluster } : {}) },
      previewDigest: p.digest,
      preview: p.changes.join('\n'),
      state: 'awaiting-confirmation',
      policy,
      decisions: [],
    };
    this.#o.requests.create(req);
    return { reply: this.#previewReply(req), requestId: id };
  }

  /** One rule set for chat and the CLI: policy.ts's needsApproval over the policies in force, with what kubeherald read. */
  async #policyFor(cmd: WriteCommand, namespace: string, channel: string, p: Preview, signal?: AbortSignal, cluster?: string): Promise<RequestPolicy> {
    const clusterScoped = cmd.verb === 'cordon' || cmd.verb === 'uncordon';
    // the labels of the namespace on the cluster the write goes to: "payments" may be production on one and not another
    const labels = clusterScoped || !this.#o.namespaceLabels ? undefined : await this.#o.namespaceLabels(namespace, signal, cluster);
    const replicas = cmd.verb === 'scale' ? Number(p.state.replicas) : NaN;
    const policy = needsApproval(cmd, {
      ...(clusterScoped ? {} : { namespace }),
      ...(labels ? { namespaceLabels: labels } : {}),
      channel,
      ...(Number.isInteger(replicas) && replicas >= 0 ? { currentReplicas: replicas } : {}),
      policies: this.#o.policies?.() ?? [],
      ...(this.#o.productionLabel ? { productionLabel: this.#o.productionLabel } : {}),
    });
    // needsApproval answers undefined only for commands that do not write, which never get here
    if (!policy) throw new Error(`${formatCommand(cmd, namespace)} does not write`);
    return policy;
  }

  #previewReply(req: ActionRequest): ChatReply {
    const approval = req.policy.approvals > 0 ? [`After you confirm, ${approvalNeed(req.policy)} is needed${req.policy.why ? ` (${req.policy.why})` : ''}.`] : [];
    return this.#onCluster(req.target.cluster, {
      status: 'pending',
      title: `Preview (dry run as ${req.identity.user}): nothing has changed yet.`,
      blocks: [{ kind: 'code', text: req.preview }, ...approval.map((text) => ({ kind: 'text' as const, text }))],
      notes: [`Only ${displayName(req.requester)} can confirm. Request ${req.id} expires in ${minutes(req.expiresAt - req.createdAt)}.`],
      requestId: req.id,
      actions: [
        { id: REQUEST_ACTIONS.confirm, label: 'Confirm', style: 'primary', value: req.id },
        { id: REQUEST_ACTIONS.cancel, label: 'Cancel', style: 'danger', value: req.id },
      ],
    });
  }

  /** Says which cluster a reply is about, when several are configured (an approver must know where the write goes). */
  #onCluster(cluster: string | undefined, reply: ChatReply): ChatReply {
    return this.#o.nameClusters && cluster !== undefined ? answeredBy(cluster, reply) : reply;
  }

  /** A button press (or a typed `confirm <id>` …) on a request. Always answered, always audited. */
  async interact(ev: ChatInteraction & { reason?: string }, signal?: AbortSignal): Promise<ChatReply> {
    const reply = await this.#interact(ev, signal);
    const req = this.#o.nameClusters && /^[A-Za-z0-9_-]{1,22}$/.test(ev.value) ? this.#o.requests.get(ev.value) : undefined;
    return req && (req.platform === ev.platform && req.channel === ev.channel) ? this.#onCluster(req.target.cluster, reply) : reply;
  }

  async #interact(ev: ChatInteraction & { reason?: string }, signal?: AbortSignal): Promise<ChatReply> {
    const verb = VERB_OF[ev.actionId];
    const base: Base = { at: ev.receivedAt, platform: ev.platform, platformUserId: ev.user.id, platformUserName: ev.user.name, channel: ev.channel };
    const text = `${verb ?? ev.actionId} ${ev.value}${ev.reason ? ` ${ev.reason}` : ''}`.slice(0, 1000);
    const started = this.#o.now();
    const refuse = (why: string, req?: ActionRequest, identity?: KubeIdentity): ChatReply => {
      this.#audit(base, started, { text, decision: 'denied', outcome: 'denied', error: why, writes: true, ...(req ? described(req) : {}), ...(identity ? { identity } : {}) });
      return { status: 'denied', title: why, blocks: [] };
    };
    this.#expireDue();
    const req = /^[A-Za-z0-9_-]{1,22}$/.test(ev.value) ? this.#o.requests.get(ev.value) : undefined;
    if (!verb || !req) return refuse('This button is no longer valid: there is no such request.');
    if (req.platform !== ev.platform || req.channel !== ev.channel) return refuse('This request belongs to another chat; nothing was done.', req);
    if (req.state === 'expired') return refuse(`Request ${req.id} expired; nothing was done. Run the command again for a fresh preview.`, req);
    const identity = this.#o.identities.resolve(ev.user);
    const isRequester = sameUser(req.requester, ev.user);
    switch (verb) {
      case 'cancel':
      case 'confirm': {
        if (!isRequester) return refuse(`Only ${displayName(req.requester)}, who asked, can ${verb} request ${req.id}.`, req, identity);
        if (verb === 'cancel') {
          const done = this.#o.requests.transition(req.id, ['awaiting-confirmation', 'awaiting-approval'], 'cancelled', {}, this.#o.now());
          if (!done) return refuse(`Request ${req.id} is ${req.state}; it can no longer be cancelled.`, req, identity);
          this.#audit(base, started, { text, ...described(req), identity: req.identity, decision: 'allowed', outcome: 'ok', writes: true });
          return { status: 'ok', title: `Request ${req.id} cancelled; nothing was changed.`, blocks: [{ kind: 'code', text: req.preview }], replace: true };
        }
        const next = req.policy.approvals > 0 ? 'awaiting-approval' : 'approved';
        const confirmed = this.#o.requests.transition(req.id, ['awaiting-confirmation'], next, {}, this.#o.now());
        if (!confirmed) return refuse(`Request ${req.id} is ${req.state}; there is nothing to confirm.`, req, identity);
        this.#audit(base, started, { text, ...described(req), identity: req.identity, decision: 'allowed', outcome: next === 'approved' ? 'ok' : 'pending', writes: true });
        if (next === 'approved') return this.#execute(confirmed, signal);
        return this.#awaitingReply(confirmed);
      }
      case 'approve':
      case 'deny': {
        // the rules are approvals.ts's, the same for `kubeherald requests approve`
        const out: DecideResult = await decide(
          {
            store: { requests: this.#o.requests, transaction: this.#o.transaction ?? ((fn) => fn()) },
            identities: this.#o.identities,
            authorize: (id, attrs, sig, cluster) => authorize(this.#o.clientsFor(id, cluster), id, attrs, sig, ev.user.name ?? ev.user.id),
            now: this.#o.now,
          },
          req.id,
          ev.user,
          verb,
          { via: 'chat', channel: ev.channel, signal, ...(ev.reason ? { reason: ev.reason } : {}) },
        ).catch((err: unknown): DecideResult => ({ outcome: 'refused', code: 'rbac-error', message: `cannot check the approver's permissions right now: ${(err as Error).message}` }));
        const by = ev.user.name ?? ev.user.id;
        if (out.outcome === 'refused') return refuse(`Request ${req.id}: ${out.message}`, out.request ?? req, identity);
        this.#audit(base, started, { text, ...described(req), identity: out.decision.identity, decision: 'allowed', outcome: 'ok', writes: true });
        const r = out.request;
        switch (out.outcome) {
          case 'denied':
            return { status: 'denied', title: `Request ${r.id} denied by ${by}${ev.reason ? `: ${ev.reason}` : ''}. Nothing was changed.`, blocks: [{ kind: 'code', text: r.preview }], replace: true };
          case 'recorded':
            return this.#awaitingReply(r, verb === 'deny' ? `${by} denied${ev.reason ? `: ${ev.reason}` : ''}; ${out.remaining} more approval(s) needed.` : `${r.policy.approvals - out.remaining} of ${r.policy.approvals} approvals.`);
          case 'approved':
            return this.#execute(r, signal);
        }
      }
    }
  }

  #awaitingReply(req: ActionRequest, extra?: string): ChatReply {
    return {
      status: 'pending',
      title: `Approval needed for request ${req.id}: ${approvalNeed(req.policy)}${req.policy.why ? ` (${req.policy.why})` : ''}.`,
      blocks: [{ kind: 'code', text: req.preview }, ...(extra ? [{ kind: 'text' as const, text: extra }] : [])],
      notes: [`Requested by ${displayName(req.requester)}, who cannot approve it. It runs as ${req.identity.user} once approved; it expires in ${minutes(req.expiresAt - this.#o.now())}.`],
      actions: [
        { id: REQUEST_ACTIONS.approve, label: 'Approve', style: 'primary', value: req.id },
        { id: REQUEST_ACTIONS.deny, label: 'Deny', style: 'danger', value: req.id },
      ] satisfies ReplyAction[],
      replace: true,
      requestId: req.id,
    };
  }

  /** approved → executing (once) → executed | failed | stale. */
  async #execute(req: ActionRequest, signal?: AbortSignal): Promise<ChatReply> {
    this.#executing.add(req.id);
    try {
      return await this.#executeOnce(req, signal);
    } finally {
      this.#executing.delete(req.id);
    }
  }

  /**
   * Runs requests approved where nothing executes them: by `kubeherald
   * requests approve` in another process (which only records the decision;
   * it may have neither the chat platforms nor the right to impersonate), or
   * by a process that stopped between the approval and the claim. The
   * running kubeherald calls this on its timer; claimForExecution keeps it
   * to once however many processes poll.
   */
  async executeApproved(signal?: AbortSignal): Promise<{ request: ActionRequest; reply: ChatReply }[]> {
    const out: { request: ActionRequest; reply: ChatReply }[] = [];
    for (const req of this.#o.requests.list({ states: ['approved'] })) {
      if (this.#executing.has(req.id)) continue;
      const reply = await this.#execute(req, signal);
      this.#notify(this.#o.requests.get(req.id) ?? req, reply);
      this.#o.log.info({ request: req.id, command: req.command, status: reply.status }, 'request approved elsewhere executed');
      out.push({ request: this.#o.requests.get(req.id) ?? req, reply });
    }
    return out;
  }

  async #executeOnce(req: ActionRequest, signal?: AbortSignal): Promise<ChatReply> {
    const started = this.#o.now();
    const cmd = req.parsed as unknown as WriteCommand;
    const base: Base = { at: started, platform: req.platform, platformUserId: req.requester.id, platformUserName: req.requester.name, channel: req.channel };
    let clients: KubeClients;
    try {
      clients = this.#o.clientsFor(req.identity, req.target.cluster);
    } catch (err) {
      // the cluster it was previewed on left the config: running it on another would write where nobody looked
      return this.#unreachable(req, (err as Error).message, base, started);
    }
    const namespace = req.namespace ?? '';
    const x = { clients, identity: req.identity, namespace, signal, now: this.#o.clusterNow };
    // the dry run again, as the requester: a change since the preview stops it here, before anything is claimed
    const fresh = await preview(cmd, x).catch(() => undefined);
    if (!fresh || fresh.digest !== req.previewDigest) {
      const drift = fresh ? driftOf(req, fresh) : [`${req.target.kind} ${req.target.name} is gone or cannot be read`];
      return this.#stale(req, ['approved'], drift, fresh, base, started);
    }
    const intent = JSON.stringify({ resourceVersion: req.target.resourceVersion, ...(cmd.verb === 'restart' ? { restartedAt: rfc3339Seconds(x.now ? x.now() : new Date()) } : {}) });
    const claimed = this.#o.requests.claimForExecution(req.id, this.#o.now(), intent);
    if (!claimed) return { status: 'ok', title: `Request ${req.id} is already being carried out.`, blocks: [] };
    return this.#send(claimed, signal);
  }

  async #send(req: ActionRequest, signal?: AbortSignal): Promise<ChatReply> {
    const started = this.#o.now();
    const cmd = req.parsed as unknown as WriteCommand;
    const intent = parseIntent(req.intent);
    const x = {
      clients: this.#o.clientsFor(req.identity, req.target.cluster),
      identity: req.identity,
      namespace: req.namespace ?? '',
      signal,
      now: this.#o.clusterNow,
      ...(req.target.resourceVersion ? { precondition: req.target.resourceVersion } : {}),
      ...(intent.restartedAt ? { restartedAt: intent.restartedAt } : {}),
    };
    const base: Base = { at: started, platform: req.platform, platformUserId: req.requester.id, platformUserName: req.requester.name, channel: req.channel };
    const reply = await executeCommand(cmd, x);
    if (reply.status === 'error' && /^Error from server \(Conflict\)/.test(reply.title ?? '')) {
      const fresh = await preview(cmd, { ...x, precondition: undefined }).catch(() => undefined);
      return this.#stale(req, ['executing'], fresh ? driftOf(req, fresh) : [], fresh, base, started);
    }
    const ok = reply.status === 'ok';
    const done = this.#o.requests.recordResult(req.id, { ok, message: [reply.title, ...reply.blocks.map((b) => (b.kind === 'text' ? b.text : ''))].filter(Boolean).join(': '), at: this.#o.now() });
    const approvers = approverNames(done ?? req);
    this.#audit(base, started, {
      text: `execute ${req.id}${approvers.length ? ` approved by ${approvers.join(', ')}` : ''}`,
      ...described(req),
      identity: req.identity,
      decision: 'allowed',
      outcome: ok ? 'ok' : reply.status === 'denied' ? 'denied' : 'error',
      writes: true,
      ...(ok ? {} : { error: reply.title }),
    });
    return { ...reply, title: `${ok ? 'Done' : 'Failed'}: ${reply.title ?? req.command}`, blocks: [...reply.blocks, { kind: 'fields', fields: ranFields(done ?? req) }], replace: true };
  }

  #unreachable(req: ActionRequest, why: string, base: Base, started: number): ChatReply {
    const message = `not run: ${why}`;
    this.#o.requests.transition(req.id, ['approved'], 'failed', { result: { ok: false, message, at: this.#o.now() } }, this.#o.now());
    this.#audit(base, started, { text: `execute ${req.id}`, ...described(req), identity: req.identity, decision: 'allowed', outcome: 'error', writes: true, error: message });
    return { status: 'error', title: `Request ${req.id} was ${message}. Nothing was written.`, blocks: [], replace: true };
  }

  #stale(req: ActionRequest, from: ActionRequest['state'][], drift: string[], fresh: Preview | undefined, base: Base, started: number): ChatReply {
    const changed = drift.length ? drift : ['the object changed since the preview'];
    const message = `${req.target.kind} ${req.target.namespace ? `${req.target.namespace}/` : ''}${req.target.name} changed since the preview: ${changed.join('; ')}`;
    this.#o.requests.transition(req.id, from, 'stale', { result: { ok: false, message, at: this.#o.now(), ...(fresh?.target.resourceVersion ? { resourceVersion: fresh.target.resourceVersion } : {}) } }, this.#o.now());
    this.#audit(base, started, { text: `execute ${req.id}`, ...described(req), identity: req.identity, decision: 'allowed', outcome: 'error', writes: true, error: `stale: ${message}` });
    return {
      status: 'error',
      title: `Nothing was written: ${message}.`,
      blocks: [{ kind: 'text', text: `Run \`${req.command}\` again for a fresh preview${req.policy.approvals ? ' and approval' : ''}.` }],
      replace: true,
    };
  }

  /**
   * After a restart: requests left `executing` by a process that died between
   * claiming and recording. The write either landed (the object moved away from
   * the previewed resourceVersion to what the intent says) or it did not (the
   * object is still at that resourceVersion, so the precondition makes sending
   * it now safe); anything else is stale. Returns the requests settled.
   */
  async recover(signal?: AbortSignal): Promise<{ request: ActionRequest; outcome: string }[]> {
    const out: { request: ActionRequest; outcome: string }[] = [];
    for (const req of this.#o.requests.inDoubt()) {
      const cmd = req.parsed as unknown as WriteCommand;
      const base: Base = { at: this.#o.now(), platform: req.platform, platformUserId: req.requester.id, platformUserName: req.requester.name, channel: req.channel };
      let landed: boolean | undefined;
      try {
        landed = await writeLanded(cmd, req, this.#o.clientsFor(req.identity, req.target.cluster), req.namespace ?? '', signal);
      } catch (err) {
        this.#o.log.warn({ request: req.id, err: (err as Error).message }, 'cannot re-check a request left executing; it stays in doubt');
        continue;
      }
      let outcome: string;
      // the request's message says how it ended, as it would have had the process lived
      let reply: ChatReply | undefined;
      if (landed === true) {
        const done = this.#o.requests.recordResult(req.id, { ok: true, message: `${req.command}: the write had landed before kubeherald stopped`, at: this.#o.now() });
        this.#audit(base, base.at, { text: `recover ${req.id}`, ...described(req), identity: req.identity, decision: 'allowed', outcome: 'ok', writes: true });
        outcome = done ? 'executed before the restart' : 'settled elsewhere';
        if (done) reply = { status: 'ok', title: `Done: ${req.command} (it ran before kubeherald restarted; it was not sent again)`, blocks: [{ kind: 'fields', fields: ranFields(done) }], replace: true };
      } else if (landed === false) {
        reply = await this.#send(req, signal);
        outcome = `executed after the restart: ${reply.title ?? ''}`;
      } else {
        reply = this.#stale(req, ['executing'], ['the object changed, and not as the request would have changed it'], undefined, base, base.at);
        outcome = 'stale';
      }
      if (reply) this.#notify(this.#o.requests.get(req.id) ?? req, reply);
      this.#o.log.info({ request: req.id, command: req.command, outcome }, 'request left executing re-checked');
      out.push({ request: this.#o.requests.get(req.id) ?? req, outcome });
    }
    return out;
  }

  /**
   * The one request a bare `confirm`/`cancel`/`approve`/`deny` typed by
   * `user` in `channel` can mean: confirm, the requester's own awaiting
   * confirmation; cancel, their own awaiting anything; approve and deny,
   * someone else's awaiting approval. A reply instead when there is none or
   * more than one (then it names them: guessing is not for writes).
   */
  onlyPending(verb: 'confirm' | 'cancel' | 'approve' | 'deny', user: ChatUser, channel: string): { id: string } | { reply: ChatReply } {
    this.#expireDue();
    const mine = verb === 'confirm' || verb === 'cancel';
    const states: ActionRequest['state'][] = verb === 'confirm' ? ['awaiting-confirmation'] : verb === 'cancel' ? ['awaiting-confirmation', 'awaiting-approval'] : ['awaiting-approval'];
    const found = this.#o.requests.list({ states, channel }).filter((r) => r.platform === user.platform && sameUser(r.requester, user) === mine);
    if (found.length === 1) return { id: found[0].id };
    const what = mine ? `of yours waiting to be ${verb === 'confirm' ? 'confirmed' : 'cancelled'}` : 'waiting for approval by someone other than its requester';
    if (found.length === 0) return { reply: { status: 'invalid', title: `There is no request ${what} here; nothing was done.`, blocks: [] } };
    return {
      reply: {
        status: 'invalid',
        title: `There are ${found.length} requests ${what} here; say which: ${found.map((r) => `\`${verb} ${r.id}\``).join(', ')}. Nothing was done.`,
        blocks: [{ kind: 'table', columns: ['ID', 'REQUESTED BY', 'COMMAND'], rows: found.map((r) => [r.id, displayName(r.requester), r.command]) }],
      },
    };
  }

  /** The adapter posted a reply showing a request as this message: later updates edit it. */
  remember(requestId: string, messageRef: string): void {
    const r = this.#o.requests.get(requestId);
    // only while someone may still press its buttons; a self-transition is the store's compare-and-set
    if (r && (r.state === 'awaiting-confirmation' || r.state === 'awaiting-approval') && r.messageRef !== messageRef) this.#o.requests.transition(r.id, [r.state], r.state, { messageRef }, this.#o.now());
  }

  #notify(req: ActionRequest, reply: ChatReply): void {
    this.#o.notify?.({ platform: req.platform, channel: req.channel, ...(req.thread ? { thread: req.thread } : {}), ...(req.messageRef ? { messageRef: req.messageRef } : {}) }, this.#onCluster(req.target.cluster, { ...reply, replace: true }));
  }

  /** Marks requests past their expiry as expired, each with an audit record and its message updated; returns them. */
  #expireDue(): ActionRequest[] {
    const gone = this.#o.requests.expireDue(this.#o.now());
    for (const r of gone) {
      const base: Base = { at: this.#o.now(), platform: r.platform, platformUserId: r.requester.id, platformUserName: r.requester.name, channel: r.channel };
      this.#audit(base, base.at, { text: `expire ${r.id}`, ...described(r), identity: r.identity, decision: 'allowed', outcome: 'error', writes: true, error: 'expired before it was confirmed and approved' });
      this.#notify(r, { status: 'error', title: `Request ${r.id} expired; nothing was done. Run \`${r.command}\` again for a fresh preview.`, blocks: [{ kind: 'code', text: r.preview }] });
    }
    return gone;
  }

  expireDue(): ActionRequest[] {
    return this.#expireDue();
  }

  #audit(base: Base, started: number, e: Omit<AuditEntry, keyof Base | 'durationMs'>): void {
    this.#o.audit({ ...base, ...e, durationMs: Math.max(0, this.#o.now() - started) } as AuditEntry);
  }
}

/** Did the claimed write land? true/false when the object says so; undefined when it moved some other way. */
async function writeLanded(cmd: WriteCommand, req: ActionRequest, clients: KubeClients, namespace: string, signal?: AbortSignal): Promise<boolean | undefined> {
  const rv = req.target.resourceVersion;
  const opts = clients.call(signal);
  const notFound = (err: unknown): boolean => (err as { code?: number }).code === 404;
  switch (cmd.verb) {
    case 'scale': {
      const s = await clients.apps.readNamespacedDeploymentScale({ name: cmd.name, namespace }, opts);
      if (s.metadata?.resourceVersion === rv) return false;
      return s.spec?.replicas === cmd.replicas ? true : undefined;
    }
    case 'restart':
    case 'rollout': {
      const d = await clients.apps.readNamespacedDeployment({ name: cmd.name, namespace }, opts);
      if (d.metadata?.resourceVersion === rv) return false;
      if (cmd.verb === 'restart') return d.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'] === parseIntent(req.intent).restartedAt ? true : undefined;
      return (d.metadata?.generation ?? 0) > (req.target.generation ?? 0) ? true : undefined;
    }
    case 'cordon':
    case 'uncordon': {
      const n = await clients.core.readNode({ name: cmd.node }, opts);
      if (n.metadata?.resourceVersion === rv) return false;
      return Boolean(n.spec?.unschedulable) === (cmd.verb === 'cordon') ? true : undefined;
    }
    case 'delete': {
      try {
        const p = await clients.core.readNamespacedPod({ name: cmd.name, namespace }, opts);
        if (p.metadata?.resourceVersion === rv) return false;
        return p.metadata?.deletionTimestamp ? true : undefined;
      } catch (err) {
        if (notFound(err)) return true;
        throw err;
      }
    }
  }
}

/** What moved, and what the command would do now: the request keeps what was shown, not the values behind it. */
function driftOf(req: ActionRequest, fresh: Preview): string[] {
  const now = fresh.changes.length ? fresh.changes.join('; ') : (fresh.noop ?? 'nothing');
  return [...describeDrift({ state: {}, target: req.target }, fresh), `previewed "${req.preview.split('\n').join('; ')}", now it would be "${now}"`];
}

function parseIntent(s: string | undefined): { resourceVersion?: string; restartedAt?: string } {
  if (!s) return {};
  try {
    return JSON.parse(s) as { resourceVersion?: string; restartedAt?: string };
  } catch {
    return {};
  }
}

function described(req: ActionRequest): Pick<AuditEntry, 'command' | 'verb' | 'target' | 'cluster'> {
  const t = req.target;
  return {
    command: req.command,
    verb: (req.parsed as { verb?: string }).verb as AuditEntry['verb'],
    target: `${t.kind}s/${t.name}${t.namespace ? ` in ${t.namespace}` : ''}`,
    ...(t.cluster !== undefined ? { cluster: t.cluster } : {}),
  };
}

function approverNames(req: ActionRequest): string[] {
  return req.decisions.filter((d) => d.decision === 'approve').map((d) => `${d.by.name ?? d.by.id} (${d.identity.user})`);
}

/** Who asked, who approved, as whom it ran: the end of every executed request's message. */
function ranFields(req: ActionRequest): { label: string; value: string }[] {
  const approvers = approverNames(req);
  return [
    { label: 'Requested by', value: `${displayName(req.requester)} (${req.identity.user})` },
    ...(approvers.length ? [{ label: 'Approved by', value: approvers.join(', ') }] : []),
    { label: 'Ran as', value: req.identity.user },
  ];
}

function requestUser(u: ChatUser): RequestUser {
  return { platform: u.platform, id: u.id, ...(u.name ? { name: u.name } : {}) };
}

function sameUser(a: RequestUser, b: ChatUser): boolean {
  return a.platform === b.platform && a.id === b.id;
}

function displayName(u: RequestUser): string {
  return u.name ?? u.id;
}

export function approvalNeed(p: RequestPolicy): string {
  const who: string[] = [];
  if (p.approvers.groups?.length) who.push(`a member of ${p.approvers.groups.map((g) => `group ${g}`).join(' or ')}`);
  if (p.approvers.chatUsers?.length) who.push(p.approvers.chatUsers.join(', '));
  const n = p.approvals === 1 ? 'one approval' : `${p.approvals} approvals`;
  return `${n} from ${who.length ? who.join(' or ') : 'someone other than the requester'} with the rights to do it themselves`;
}

function minutes(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  return m === 1 ? '1 minute' : `${m} minutes`;
}

function commandText(cmd: WriteCommand, namespace: string): string {
  // the namespace written out, so the stored text reads back to the same command
  return formatCommand(cmd, namespace);
}
