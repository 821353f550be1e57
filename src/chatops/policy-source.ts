// The approval policies in force: the config file's `chatops.policies` and,
// when enabled, the ChatPolicy and ClusterChatPolicy resources (one
// Reflector each), compiled into one list. An edit is in force within a
// fraction of a second, no restart. Every object gets a Ready condition
// through the status subresource: True with what it requires, or False
// naming the field. A policy that is not Ready still applies where it
// could match, demanding at least one approver (compilePolicy sees to
// that), so a typo can only make chat writes stricter, never looser; the
// other policies keep working.

import { ReadinessLog, ResourceSource, type ResourceSourceOptions, startOrStop } from '../cluster/watched-resources.ts';
import { compilePolicy, type CompiledPolicy } from './policy.ts';
import { CHAT_POLICY, type ChatPolicyCheck, type ChatPolicyKind, checkChatPolicies, CLUSTER_CHAT_POLICY, desiredStatus, statusUpToDate } from './policy-resource.ts';
import { type PolicyConfig, toPolicySpec } from './policy-schema.ts';

/** The config file's policies, compiled (the schema already refused invalid ones). */
export function compileConfigPolicies(policies: readonly PolicyConfig[], defaults: { expirySeconds?: number } = {}): CompiledPolicy[] {
  return policies.map((p) => compilePolicy(toPolicySpec(p), { name: `config:${p.name}` }, defaults));
}

/** What the ChatOps service asks for: the policies in force now, and word when they change. */
export interface PolicyProvider {
  policies(): readonly CompiledPolicy[];
  /** calls `cb` whenever the list changes; returns the unsubscribe */
  onChange(cb: (policies: readonly CompiledPolicy[]) => void): () => void;
}

/** The config file's policies only (chatops.policyResources off). */
export function staticPolicies(policies: readonly PolicyConfig[]): PolicyProvider {
  const list = compileConfigPolicies(policies);
  return { policies: () => list, onChange: () => () => {} };
}

export interface PolicySourceOptions extends ResourceSourceOptions {
  /** chatops.policies from the config file; they come first in the list */
  config: readonly PolicyConfig[];
}

const KINDS = [
  { ...CHAT_POLICY, namespaced: true },
  { ...CLUSTER_CHAT_POLICY, namespaced: false },
] as const;

export class ChatPolicySource extends ResourceSource<ChatPolicyCheck> implements PolicyProvider {
  #o: PolicySourceOptions;
  #config: CompiledPolicy[];
  #policies: readonly CompiledPolicy[];
  #readiness = new ReadinessLog();
  #listeners = new Set<(policies: readonly CompiledPolicy[]) => void>();

  constructor(opts: PolicySourceOptions) {
    super({
      ...opts,
      kinds: KINDS,
      onError: (err) => opts.log.error({ err: err.message }, 'applying chat policies failed; keeping the previous ones'),
      unlistable: (_k, why, code) => {
        throw new Error(code === 404 || code === 403 ? `chatops.policyResources is on, but ${why}` : why);
      },
    });
    this.#o = opts;
    this.#config = compileConfigPolicies(opts.config);
    this.#policies = this.#config;
  }

  /** The policies in force: the config file's first, then ClusterChatPolicies, then ChatPolicies (order does not decide: the strictest match applies). */
  policies(): readonly CompiledPolicy[] {
    return this.#policies;
  }

  /** The resources' policies only (the ChatOps service compiles the config file's itself). */
  resourcePolicies(): readonly CompiledPolicy[] {
    return this.#policies.slice(this.#config.length);
  }

  onChange(cb: (policies: readonly CompiledPolicy[]) => void): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  protected async apply(): Promise<void> {
    const now = this.#o.now?.() ?? new Date();
    const objects = KINDS.flatMap((k) => this.watched.list(k.kind).map((obj) => ({ kind: k.kind as ChatPolicyKind, obj })));
    const checks = checkChatPolicies(objects);
    this.lastChecks = checks;
    this.#policies = [...this.#config, ...checks.map((c) => c.policy)];
    this.#readiness.update(
      checks,
      (c) => `${c.kind} ${c.key}`,
      (c) => c.problems.map((p) => `${p.field}: ${p.message}`).join('; '),
      (c, text) => {
        const id = `${c.kind} ${c.key}`;
        if (text) this.#o.log.warn({ policy: c.policy.name, problems: c.problems }, `${id} not ready (it applies with at least one approver where it could match): ${text}`);
        else this.#o.log.info({ policy: c.policy.name, approvals: c.policy.requirement.approvals }, `${id} ready`);
      },
    );
    for (const cb of this.#listeners) cb(this.#policies);
    if (this.#o.writeStatus !== false) await Promise.all(checks.map((c) => this.#writeStatus(c, now)));
  }

  async #writeStatus(c: ChatPolicyCheck, now: Date): Promise<void> {
    const status = desiredStatus(c, now);
    if (statusUpToDate(c.obj, status)) return;
    const kind = c.kind === 'ChatPolicy' ? KINDS[0] : KINDS[1];
    await this.watched.writeStatus(kind, c.obj, status, { fields: { policy: c.policy.name }, msg: 'chat policy status update failed' });
  }
}

/** Starts watching ChatPolicies and ClusterChatPolicies; resolves once the first lists are in force. */
export function startPolicyResources(opts: PolicySourceOptions): Promise<ChatPolicySource> {
  return startOrStop(new ChatPolicySource(opts));
}
