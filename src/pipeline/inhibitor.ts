// The Inhibitor: sees every notification before routing, keeps the open
// causes (inhibit-rules.ts) and the incidents each holds back, and answers
// the Outbox's HoldCheck with `by: 'inhibition'`. Record sinks still get the
// effects (marked inhibitedBy); chat sinks get the cause alone, its message
// saying what it explains, and an update of it (same incident, a new
// idempotency key: the Slack sink threads it under the first) whenever that
// changes.
//
// A resolved cause keeps holding its effects for releaseAfter: the pods of a
// node that came back turn Ready a moment later, and chat, which never saw
// them fire, should not see them now. Then the cause is dropped and
// release(causeKey) is asked for: the Outbox re-enqueues, for chat, what
// still fires.
//
// State is in memory; after a restart restore() rebuilds it from what the
// state database kept: the causes still open (their last FIRING, as the
// reminders keep it) and the effects the outbox still holds back per cause.

import { clone, create } from '@bufbuild/protobuf';
import { createHash } from 'node:crypto';
import type { KubeObject } from '../model/kube.ts';
import { type Notification, NotificationSchema, State } from '../model/notification.ts';
import type { HoldCheck, HoldReason } from './hold.ts';
import {
  ALL_CAUSES,
  explainsStory,
  ownerOf,
  rolloutStory,
  ROLLOUT_STORY_REASONS,
  storyEffect,
  STORY_KINDS,
  storyRevision,
  storyRevisionOf,
  availabilityWorkload,
  type Cause,
  causeOf,
  explains,
  type InhibitSwitches,
  matches,
  podOrObjectCause,
  podsOnNode,
  ruleApplies,
  type UserRule,
  withExplanation,
  workloadCause,
} from './inhibit-rules.ts';

export interface InhibitorOptions {
  switches?: InhibitSwitches;
  rules?: readonly UserRule[];
  /** how long a resolved cause keeps holding its effects */
  releaseAfterMs?: number;
  /** the pods the cluster's listener has cached (node causes count them; workload effects look at their readiness): one cluster's, as node names repeat across clusters */
  pods?: (cluster: string) => readonly KubeObject[];
  /** a workload the cluster's listener has cached (rollout stories look at a Deployment's, StatefulSet's or DaemonSet's progress) */
  workload?: (kind: string, namespace: string, name: string, cluster: string) => KubeObject | undefined;
}

interface OpenCause {
  cause: Cause;
  /** the cause's latest FIRING as the detector made it (message without our sentence) */
  firing: Notification;
  /** incidents held as its effects (FIRING seen, RESOLVED not yet) */
  effects: Set<string>;
  /** held notifications so far (FIRING and RESOLVED) */
  held: number;
  /** the explanation last sent */
  told: string;
  /** set once the cause resolved: it holds until then */
  releaseAt?: number;
  /** user rules: the source notification */
  source?: Notification;
  rule?: UserRule;
}

export interface Observed {
  /** the batch, causes carrying what they explain, plus updates of causes whose explanation changed */
  notifications: Notification[];
}

export class Inhibitor {
  readonly #switches: InhibitSwitches;
  readonly #rules: readonly UserRule[];
  readonly #releaseAfterMs: number;
  readonly #pods: (cluster: string) => readonly KubeObject[];
  readonly #workload: InhibitorOptions['workload'];
  readonly #causes = new Map<string, OpenCause>();
  /** effect incident key → cause key */
  readonly #effectOf = new Map<string, string>();

  constructor(opts: InhibitorOptions = {}) {
    this.#switches = opts.switches ?? ALL_CAUSES;
    this.#rules = opts.rules ?? [];
    this.#releaseAfterMs = opts.releaseAfterMs ?? 60_000;
    this.#pods = opts.pods ?? (() => []);
    this.#workload = opts.workload;
  }

  /** The open (and resolved but still holding) causes, for status and tests. */
  causes(): { key: string; label: string; effects: number; held: number; resolved: boolean }[] {
    return [...this.#causes.values()].map((c) => ({ key: c.cause.key, label: c.cause.label, effects: c.effects.size, held: c.held, resolved: c.releaseAt !== undefined }));
  }

  /**
   * Takes a batch before it is routed: opens and closes causes, assigns
   * effects, and returns the batch to enqueue (causes' messages carrying what
   * they explain, and updates of causes whose explanation changed).
   */
  observe(ns: readonly Notification[], now: number): Observed {
    // causes first: an effect in the same batch as its cause is held by it
    for (const n of ns) this.#observeCause(n, now);
    const touched = new Set<string>();
    for (const n of ns) {
      const key = this.#observeEffect(n);
      if (key) touched.add(key);
    }
    const out: Notification[] = [];
    const explained = new Set<string>();
    for (const n of ns) {
      const c = this.#causes.get(n.incidentKey);
      if (c && c.firing === n && c.releaseAt === undefined) {
        out.push(this.#explained(c, n));
        explained.add(c.cause.key);
      } else out.push(n);
    }
    for (const key of touched) {
      const c = this.#causes.get(key);
      if (!c || c.releaseAt !== undefined || explained.has(key)) continue;
      const text = this.#explanation(c);
      if (text === c.told) continue;
      out.push(this.#explained(c, c.firing, true));
    }
    return { notifications: out };
  }

  /**
   * After a restart: a cause, from its last FIRING when known (else it only
   * keeps holding `effects`, its label taken from the hold's text), with the
   * incidents the outbox still holds for it. A cause no longer open holds
   * until `now` + releaseAfter, then is released as usual.
   */
  restore(r: { key: string; firing?: Notification; label?: string; effects: readonly string[]; open: boolean }, now: number): void {
    if (this.#causes.has(r.key)) return;
    const fromFiring = r.firing ? (causeOf(r.firing, this.#switches) ?? this.#storyFrom(r.firing)) : undefined;
    const rule = !fromFiring && r.firing ? this.#rules.find((x) => matches(r.firing!, x.source)) : undefined;
    const cause: Cause = fromFiring ?? { key: r.key, kind: 'rule', reason: r.firing?.reason ?? '', cluster: r.firing?.cluster ?? '', label: r.label ?? r.key };
    const firing = r.firing ?? create(NotificationSchema, { incidentKey: r.key });
    const c: OpenCause = { cause, firing, effects: new Set(r.effects), held: r.effects.length, told: '', source: rule ? firing : undefined, rule };
    c.told = this.#explanation(c);
    if (!r.open) c.releaseAt = now + this.#releaseAfterMs;
    this.#causes.set(r.key, c);
    for (const e of r.effects) this.#effectOf.set(e, r.key);
  }

  /** Whether a FIRING opens a cause (built-in, a rollout story as it was told, or a user rule's source): restart looks for them among the open incidents. */
  isCause(n: Notification): boolean {
    return causeOf(n, this.#switches) !== undefined || this.#storyFrom(n) !== undefined || this.#rules.some((r) => matches(n, r.source));
  }

  /** A rollout story from its first pod's FIRING as it went out (its explanation names the revision). */
  #storyFrom(n: Notification): Cause | undefined {
    const revision = storyRevisionOf(n.fields.explains ?? '');
    return revision !== undefined && this.#switches.rollout ? rolloutStory(n, revision) : undefined;
  }

  /** The Outbox's HoldCheck: an effect of a cause still holding is held, whatever the sink (record sinks still get it, marked). */
  readonly check: HoldCheck = (n) => {
    const key = this.#effectOf.get(n.incidentKey);
    const c = key === undefined ? undefined : this.#causes.get(key);
    if (!c) return undefined;
    return this.#reason(c);
  };

  /** Causes whose hold ended by `now`: dropped here; the caller releases each (Outbox.release('inhibition', key, now)). */
  due(now: number): string[] {
    const out: string[] = [];
    for (const [key, c] of this.#causes) {
      if (c.releaseAt === undefined || c.releaseAt > now) continue;
      this.#causes.delete(key);
      for (const e of c.effects) if (this.#effectOf.get(e) === key) this.#effectOf.delete(e);
      out.push(key);
    }
    return out;
  }

  /** When due() next has something to do. */
  nextDueAt(): number | undefined {
    let at: number | undefined;
    for (const c of this.#causes.values()) if (c.releaseAt !== undefined && (at === undefined || c.releaseAt < at)) at = c.releaseAt;
    return at;
  }

  #reason(c: OpenCause): HoldReason {
    return { by: 'inhibition', id: c.cause.key, text: `inhibited by ${c.cause.label}` };
  }

  #observeCause(n: Notification, now: number): void {
    const firing = n.state !== State.RESOLVED;
    let cause = causeOf(n, this.#switches);
    let rule: UserRule | undefined;
    if (!cause && !this.#effectOf.has(n.incidentKey)) {
      rule = this.#rules.find((r) => matches(n, r.source));
      if (rule) cause = { key: n.incidentKey, kind: 'rule', reason: n.reason, cluster: n.cluster, label: `${n.reason} ${(n.involvedObject?.kind ?? '').toLowerCase()}/${n.involvedObject?.namespace ? `${n.involvedObject.namespace}/` : ''}${n.involvedObject?.name ?? ''}` };
    }
    if (cause?.kind === 'rollout' && firing && this.#storyOf(cause.workload)) return; // the story carries the stuck rollout too
    if (!cause && firing && !this.#effectOf.has(n.incidentKey)) cause = this.#newStory(n);
    // a story's pod, firing again or resolved
    cause ??= this.#causes.get(n.incidentKey)?.cause;
    if (!cause) return;
    const open = this.#causes.get(cause.key);
    if (!firing) {
      if (open && open.releaseAt === undefined) open.releaseAt = now + this.#releaseAfterMs;
      return;
    }
    if (open) {
      open.firing = n;
      // fired again within its hold after resolving: it holds on
      delete open.releaseAt;
      return;
    }
    this.#causes.set(cause.key, { cause, firing: n, effects: new Set(), held: 0, told: '', source: rule ? n : undefined, rule });
  }

  /** The open rollout story of a workload. */
  #storyOf(w: Cause['workload']): OpenCause | undefined {
    if (!w) return undefined;
    return [...this.#causes.values()].find((c) => c.releaseAt === undefined && c.cause.revision !== undefined && c.cause.workload?.kind === w.kind && c.cause.workload.namespace === w.namespace && c.cause.workload.name === w.name);
  }

  /**
   * A new pod failing to pull or crash-looping while its Deployment,
   * StatefulSet or DaemonSet is being updated opens the rollout's story,
   * unless one is open, or the workload's stuck rollout already tells it
   * (then the pod is that one's effect).
   */
  #newStory(n: Notification): Cause | undefined {
    if (!this.#switches.rollout || !this.#workload || !ROLLOUT_STORY_REASONS.has(n.reason)) return undefined;
    const w = ownerOf(n);
    if (!w || !STORY_KINDS.has(w.kind) || this.#rolloutOf(n.cluster, w)) return undefined;
    const revision = storyRevision(n, this.#workload(w.kind, w.namespace, w.name, n.cluster));
    return revision === undefined ? undefined : rolloutStory(n, revision);
  }

  /** An open rollout cause (a story or a stuck rollout) of a workload. */
  #rolloutOf(cluster: string, w: NonNullable<Cause['workload']>): OpenCause | undefined {
    return [...this.#causes.values()].find((c) => c.releaseAt === undefined && c.cause.kind === 'rollout' && c.cause.cluster === cluster && c.cause.workload?.kind === w.kind && c.cause.workload.namespace === w.namespace && c.cause.workload.name === w.name);
  }

  /** Assigns an effect to its cause; returns that cause's key. */
  #observeEffect(n: Notification): string | undefined {
    if (this.#causes.has(n.incidentKey)) return undefined;
    const firing = n.state !== State.RESOLVED;
    const known = this.#effectOf.get(n.incidentKey);
    if (known !== undefined) {
      const c = this.#causes.get(known);
      if (!c) return undefined;
      c.held++;
      if (!firing) c.effects.delete(n.incidentKey);
      return known;
    }
    if (!firing) return undefined;
    const c = this.#causeFor(n);
    if (!c) return undefined;
    this.#effectOf.set(n.incidentKey, c.cause.key);
    c.effects.add(n.incidentKey);
    c.held++;
    return c.cause.key;
  }

  /** The open (not resolved) cause a new FIRING is an effect of. */
  #causeFor(n: Notification): OpenCause | undefined {
    const open = [...this.#causes.values()].filter((c) => c.releaseAt === undefined);
    const builtin = open.map((c) => c.cause).filter((c) => c.kind !== 'rule');
    // the pods are read only for a workload's availability while a node cause is open (a copy of the cache each time)
    const needsPods = availabilityWorkload(n) !== undefined && builtin.some((c) => c.kind === 'node');
    const found = podOrObjectCause(n, builtin) ?? (needsPods ? workloadCause(n, builtin, this.#pods(n.cluster)) : undefined);
    if (found) return this.#causes.get(found.key);
    const story = open.find((c) => storyEffect(n, c.cause));
    if (story) return story;
    return open.find((c) => c.rule && c.source && ruleApplies(c.rule, c.source, n));
  }

  #explanation(c: OpenCause): string {
    if (c.cause.revision !== undefined) return explainsStory(c.cause, 1 + [...c.effects].filter((k) => k.startsWith('pod/')).length);
    const pods = c.cause.kind === 'node' && c.cause.node ? podsOnNode(this.#pods(c.cause.cluster), c.cause.node) : undefined;
    return explains(c.cause, pods, c.effects.size);
  }

  /** The cause's FIRING carrying what it explains; an update (`again`) gets an idempotency key of its own. */
  #explained(c: OpenCause, n: Notification, again = false): Notification {
    const text = this.#explanation(c);
    c.told = text;
    if (!text && !again) return n;
    const out = clone(NotificationSchema, n);
    out.message = withExplanation(n.message, text);
    if (text) out.fields.explains = text;
    if (again) out.idempotencyKey = createHash('sha256').update(`${n.idempotencyKey}\nexplains\n${text}`).digest('hex').slice(0, 32);
    return out;
  }
}
