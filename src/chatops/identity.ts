// Which Kubernetes identity a chat user acts as. Two sources feed one map:
// `chatops.identities` in the config file and, when enabled, cluster-scoped
// ChatIdentity resources (identity-source.ts watches them). Pure: no I/O.
//
// Matching is exact on purpose. Platform user ids are compared as given
// (case-sensitive, no Unicode normalisation), so a look-alike id never maps.
// E-mail addresses (Slack only, as Slack verified them) are compared with
// ASCII case folded and nothing else: toLowerCase() would also fold the
// Kelvin sign into "k", and a look-alike address must not match a real one.

import type { ChatUser, KubeIdentity, Platform } from './types.ts';

/** One mapping as written, in the config file or a ChatIdentity's spec. */
export interface IdentityInput {
  platform: Platform;
  /** the platform's stable user id */
  user?: string;
  /** Slack only: the e-mail Slack verified */
  email?: string;
  kubernetes: { user: string; groups?: string[] };
}

/** A mapping in force, with where it came from. */
export interface IdentityEntry {
  platform: Platform;
  user?: string;
  email?: string;
  kubernetes: KubeIdentity;
  /** for whoami and logs: `chatops.identities[0]`, `ChatIdentity alice` */
  source: string;
}

export interface IdentityMatch {
  identity: KubeIdentity;
  source: string;
}

export interface IdentityProblem {
  /** within the mapping: ['kubernetes', 'groups', 1] */
  path: (string | number)[];
  message: string;
  /** Forbidden: a system: identity; InvalidSpec: anything else */
  reason: 'InvalidSpec' | 'Forbidden';
}

const SYSTEM = 'system:';

/**
 * What is wrong with one mapping, beyond what a schema can say: the config
 * file's schema and the ChatIdentity controller both ask this, so the two
 * refuse the same things. A `system:` user or group (system:masters,
 * system:serviceaccount:…, system:nodes) is never a chat user's identity:
 * those are the cluster's own components, and impersonating one from chat
 * would hand out whatever they may do.
 */
export function identityProblems(i: IdentityInput): IdentityProblem[] {
  const out: IdentityProblem[] = [];
  if ((i.user === undefined) === (i.email === undefined)) out.push({ path: ['user'], reason: 'InvalidSpec', message: 'expected exactly one of user (the platform user id) or email' });
  else if (i.email !== undefined && i.platform !== 'slack') out.push({ path: ['email'], reason: 'InvalidSpec', message: 'only Slack verifies e-mail addresses; give the user id for this platform' });
  if (i.kubernetes.user.startsWith(SYSTEM)) out.push({ path: ['kubernetes', 'user'], reason: 'Forbidden', message: `refusing to map a chat user to the system: identity ${JSON.stringify(i.kubernetes.user)}` });
  (i.kubernetes.groups ?? []).forEach((g, n) => {
    if (g.startsWith(SYSTEM)) out.push({ path: ['kubernetes', 'groups', n], reason: 'Forbidden', message: `refusing to map a chat user into the system: group ${JSON.stringify(g)}` });
  });
  return out;
}

/** ASCII letters folded to lower case, nothing else (see the top of this file). */
export function foldEmail(email: string): string {
  return email.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** The chat user a mapping is for, as one comparable key: `slack id U0123`, `slack email alice@corp.example`. */
export function chatUserKey(i: Pick<IdentityInput, 'platform' | 'user' | 'email'>): string {
  return i.user !== undefined ? `${i.platform} id ${i.user}` : `${i.platform} email ${foldEmail(i.email ?? '')}`;
}

/** For messages: `slack user U0123`, `slack e-mail alice@corp.example`. */
export function describeChatUser(i: Pick<IdentityInput, 'platform' | 'user' | 'email'>): string {
  return i.user !== undefined ? `${i.platform} user ${i.user}` : `${i.platform} e-mail ${i.email}`;
}

function entryOf(i: IdentityInput, source: string): IdentityEntry {
  return {
    platform: i.platform,
    ...(i.user !== undefined ? { user: i.user } : {}),
    ...(i.email !== undefined ? { email: i.email } : {}),
    kubernetes: { user: i.kubernetes.user, groups: [...(i.kubernetes.groups ?? [])] },
    source,
  };
}

/**
 * Chat user → Kubernetes identity. The config file's mappings win over the
 * resources'; a chat user mapped twice within one source maps to nobody
 * (the config file refuses that at load; identity-source.ts reports it on
 * both resources).
 */
export class IdentityMap {
  #config = new Map<string, IdentityEntry>();
  #resources = new Map<string, IdentityEntry>();
  #listeners = new Set<() => void>();

  /** `config`: `chatops.identities` (already validated by the config schema; checked again here). */
  constructor(config: readonly IdentityInput[] = []) {
    this.setConfig(config);
  }

  /** Replaces the config file's mappings (at start and on reload). Throws on a mapping the schema would refuse. */
  setConfig(config: readonly IdentityInput[]): void {
    const next = new Map<string, IdentityEntry>();
    config.forEach((i, n) => {
      const source = `chatops.identities[${n}]`;
      const problems = identityProblems(i);
      if (problems.length) throw new Error(`${source}: ${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`);
      const key = chatUserKey(i);
      const first = next.get(key);
      if (first) throw new Error(`${source}: maps ${describeChatUser(i)} again (${first.source} already does)`);
      next.set(key, entryOf(i, source));
    });
    this.#config = next;
    this.#changed();
  }

  /**
   * Replaces the mappings from ChatIdentity resources. The controller hands
   * in only valid, unambiguous ones; anything else is dropped here too, so
   * a system: identity or a doubly-mapped chat user can never resolve.
   */
  setResources(entries: readonly IdentityEntry[]): void {
    const next = new Map<string, IdentityEntry>();
    const twice = new Set<string>();
    for (const e of entries) {
      if (identityProblems(e).length) continue;
      const key = chatUserKey(e);
      if (next.has(key)) twice.add(key);
      else next.set(key, entryOf(e, e.source));
    }
    for (const key of twice) next.delete(key);
    this.#resources = next;
    this.#changed();
  }

  /** The identity to impersonate for this chat user, or undefined: not mapped, so only help and whoami. */
  resolve(user: ChatUser): KubeIdentity | undefined {
    return this.lookup(user)?.identity;
  }

  /** resolve(), with the mapping's source. */
  lookup(user: ChatUser): IdentityMatch | undefined {
    const keys = [chatUserKey({ platform: user.platform, user: user.id })];
    if (user.platform === 'slack' && user.email) keys.push(chatUserKey({ platform: 'slack', email: user.email }));
    for (const source of [this.#config, this.#resources]) {
      for (const key of keys) {
        const e = source.get(key);
        if (e) return { identity: { user: e.kubernetes.user, groups: [...e.kubernetes.groups] }, source: e.source };
      }
    }
    return undefined;
  }

  /** The config mapping that takes precedence over a resource mapping the same chat user, if any. */
  configFor(i: Pick<IdentityInput, 'platform' | 'user' | 'email'>): string | undefined {
    return this.#config.get(chatUserKey(i))?.source;
  }

  /** Whether any mapping goes by e-mail, so the Slack adapter must look the user's e-mail up. */
  usesEmail(): boolean {
    return [...this.#config.values(), ...this.#resources.values()].some((e) => e.email !== undefined);
  }

  /** Mappings in force (config first). */
  entries(): IdentityEntry[] {
    const shadowed = (e: IdentityEntry) => this.#config.has(chatUserKey(e));
    return [...this.#config.values(), ...[...this.#resources.values()].filter((e) => !shadowed(e))].map((e) => entryOf(e, e.source));
  }

  /** Calls `cb` after every change of either source; returns the unsubscribe. */
  onChange(cb: () => void): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  #changed(): void {
    for (const cb of this.#listeners) cb();
  }
}
