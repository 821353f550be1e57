// The approval policies in force: the config file's `chatops.policies` and,
// when enabled, the ChatPolicy and ClusterChatPolicy resources (one
// Reflector each), compiled into one list. An edit is in force within a
// fraction of a second, no restart. Every object gets a Ready condition
// through the status subresource: True with what it requires, or False
// naming the field. A policy that is not Ready still applies where it
// could match, demanding at least one approver (compilePolicy sees to
// that), so a typo can only make chat writes stricter, never looser; the
// other policies keep working.

import * as k8s from '@kubernetes/client-node';
import { Reflector, type ReflectorDelta } from '../cluster/reflector.ts';
import { SerialApply, statusOnly } from '../cluster/serial-apply.ts';
import { trimObject } from '../cluster/trim.ts';
import type { Logger } from '../model/logger.ts';
import { compilePolicy, type CompiledPolicy } from './policy.ts';
import { CHAT_POLICY, CHAT_POLICY_API_VERSION, type ChatPolicyCheck, type ChatPolicyKind, checkChatPolicies, CLUSTER_CHAT_POLICY, desiredStatus, statusUpToDate } from './policy-resource.ts';
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

export interface PolicySourceOptions {
  kc: k8s.KubeConfig;
  /** chatops.policies from the config file; they come first in the list */
  config: readonly PolicyConfig[];
  log: Logger;
  /** changes within this window are applied together (default 50 ms) */
  debounceMs?: number;
  /** tests read without writing */
  writeStatus?: boolean;
  watchdogMs?: number;
  pageSize?: number;
  now?: () => Date;
  fieldManager?: string;
}

const KINDS = [
  { kind: 'ChatPolicy', info: CHAT_POLICY, namespaced: true },
  { kind: 'ClusterChatPolicy', info: CLUSTER_CHAT_POLICY, namespaced: false },
] as const;

export class ChatPolicySource implements PolicyProvider {
  #o: PolicySourceOptions;
  #reflectors = new Map<ChatPolicyKind, Reflector>();
  #api: k8s.CustomObjectsApi;
  #config: CompiledPolicy[];
  #policies: readonly CompiledPolicy[];
  #checks: ChatPolicyCheck[] = [];
  #runs: SerialApply;
  #reported = new Map<string, string>();
  #listeners = new Set<(policies: readonly CompiledPolicy[]) => void>();
  readonly stats = { applies: 0, statusWrites: 0, statusErrors: 0 };

  constructor(opts: PolicySourceOptions) {
    this.#o = opts;
    this.#api = opts.kc.makeApiClient(k8s.CustomObjectsApi);
    this.#config = compileConfigPolicies(opts.config);
    this.#policies = this.#config;
    this.#runs = new SerialApply({
      apply: () => this.#apply(),
      onError: (err) => this.#o.log.error({ err: err.message }, 'applying chat policies failed; keeping the previous ones'),
      debounceMs: opts.debounceMs,
      ready: () => this.#reflectors.size > 0,
    });
  }

  /**
   * Lists each kind once to fail early and clearly (no CRD, no permission),
   * then watches; resolves after the first lists are in force.
   */
  async start(): Promise<void> {
    for (const k of KINDS) {
      try {
        await this.#api.listClusterCustomObject({ group: k.info.group, version: k.info.version, plural: k.info.plural, limit: 1 });
      } catch (err) {
        const code = err instanceof k8s.ApiException ? err.code : undefined;
        if (code === 404) throw new Error(`chatops.policyResources is on, but the ${k.kind} CRD (${k.info.plural}.${k.info.group}) is not installed: kubectl apply -k deploy/crds`);
        if (code === 403) throw new Error(`chatops.policyResources is on, but kubeherald may not list ${k.info.plural}.${k.info.group} (see deploy/rbac/clusterrole.yaml)`);
        throw new Error(`cannot list ${k.kind} resources: ${code ? `HTTP ${code}` : (err as Error).message}`);
      }
    }
    for (const k of KINDS) {
      this.#reflectors.set(
        k.kind,
        new Reflector({
          kc: this.#o.kc,
          spec: { apiVersion: CHAT_POLICY_API_VERSION, kind: k.kind, resource: k.info.plural, namespaced: k.namespaced },
          trim: trimObject,
          watchdogMs: this.#o.watchdogMs ?? 300_000,
          pageSize: this.#o.pageSize ?? 500,
          log: this.#o.log,
          onDelta: (d) => this.#onDelta(d),
        }),
      );
    }
    for (const r of this.#reflectors.values()) r.start();
    await Promise.all([...this.#reflectors.values()].map((r) => r.synced));
    await this.#runs.run();
  }

  async stop(): Promise<void> {
    const done = this.#runs.stop();
    for (const r of this.#reflectors.values()) r.stop();
    await done;
  }

  /** The policies in force: the config file's first, then ClusterChatPolicies, then ChatPolicies (order does not decide: the strictest match applies). */
  policies(): readonly CompiledPolicy[] {
    return this.#policies;
  }

  /** The resources' policies only (the ChatOps service compiles the config file's itself). */
  resourcePolicies(): readonly CompiledPolicy[] {
    return this.#policies.slice(this.#config.length);
  }

  /** The last checks, one per resource. */
  checks(): readonly ChatPolicyCheck[] {
    return this.#checks;
  }

  onChange(cb: (policies: readonly CompiledPolicy[]) => void): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  /** Resolves once nothing is scheduled or running (status writes included). */
  settled(): Promise<void> {
    return this.#runs.settled();
  }

  #onDelta(d: ReflectorDelta): void {
    // status-only changes (our own writes among them) change no policy
    if (!statusOnly(d)) this.#runs.schedule();
  }

  async #apply(): Promise<void> {
    const now = this.#o.now?.() ?? new Date();
    const objects = KINDS.flatMap((k) => (this.#reflectors.get(k.kind)?.list() ?? []).map((obj) => ({ kind: k.kind as ChatPolicyKind, obj })));
    const checks = checkChatPolicies(objects);
    this.#checks = checks;
    this.#policies = [...this.#config, ...checks.map((c) => c.policy)];
    this.stats.applies++;
    this.#report(checks);
    for (const cb of this.#listeners) cb(this.#policies);
    if (this.#o.writeStatus !== false) await Promise.all(checks.map((c) => this.#writeStatus(c, now)));
  }

  #report(checks: ChatPolicyCheck[]): void {
    const seen = new Set<string>();
    for (const c of checks) {
      const id = `${c.kind} ${c.key}`;
      seen.add(id);
      const text = c.problems.map((p) => `${p.field}: ${p.message}`).join('; ');
      if (this.#reported.get(id) === text) continue;
      this.#reported.set(id, text);
      if (text) this.#o.log.warn({ policy: c.policy.name, problems: c.problems }, `${id} not ready (it applies with at least one approver where it could match): ${text}`);
      else this.#o.log.info({ policy: c.policy.name, approvals: c.policy.requirement.approvals }, `${id} ready`);
    }
    for (const id of this.#reported.keys()) if (!seen.has(id)) this.#reported.delete(id);
  }

  async #writeStatus(c: ChatPolicyCheck, now: Date): Promise<void> {
    const status = desiredStatus(c, now);
    if (statusUpToDate(c.obj, status)) return;
    const info = c.kind === 'ChatPolicy' ? CHAT_POLICY : CLUSTER_CHAT_POLICY;
    const base = { group: info.group, version: info.version, plural: info.plural, name: c.obj.metadata.name!, body: { status }, fieldManager: this.#o.fieldManager ?? 'kubeherald' };
    const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
    try {
      if (c.kind === 'ChatPolicy') await this.#api.patchNamespacedCustomObjectStatus({ ...base, namespace: c.obj.metadata.namespace! }, merge);
      else await this.#api.patchClusterCustomObjectStatus(base, merge);
      this.stats.statusWrites++;
    } catch (err) {
      const code = err instanceof k8s.ApiException ? err.code : undefined;
      // deleted meanwhile: nothing to report on
      if (code === 404) return;
      this.stats.statusErrors++;
      this.#o.log.warn({ policy: c.policy.name, err: code ? `HTTP ${code}` : (err as Error).message }, 'chat policy status update failed');
    }
  }
}

/** Starts watching ChatPolicies and ClusterChatPolicies; resolves once the first lists are in force. */
export async function startPolicyResources(opts: PolicySourceOptions): Promise<ChatPolicySource> {
  const source = new ChatPolicySource(opts);
  try {
    await source.start();
  } catch (err) {
    await source.stop();
    throw err;
  }
  return source;
}
