// The incident tracker: a pure state machine from observations to
// notifications, so one incident gives one FIRING and, once it is over, one
// RESOLVED, however often the object changes, the listener re-lists or
// kubeherald restarts (its state round-trips through snapshot()/restore()).
//
// - level observations open an incident; it notifies FIRING once: at once
//   when it has no minimum duration, else when it has held minDurationMs
//   (else it waits for tick()); later observations with its key update it
//   silently; "holding" keeps an open incident open but never opens one;
// - an incident whose key the object no longer shows (or whose object was
//   deleted) resolves: RESOLVED if FIRING was sent, else it is dropped unsent;
// - edge observations notify once per key; keys are remembered while the
//   object exists, within a bound.
//
// Idempotency keys hash the incident key, the state and the incident's
// anchor: the condition's own start time when the object tells it (so a
// re-opened incident, e.g. a flapping node, gets new keys, and the same
// incident re-detected after losing state gets the same ones), else the time
// it was opened.
//
// Time from the cluster is not trusted to be in the past: the object's
// timestamps come from node and control-plane clocks, which may run ahead of
// ours. A minimum duration counts from when the tracker first saw the
// condition or from the object's timestamp, whichever is later, and that
// timestamp counts at most from when the tracker first saw it; so a clock
// ahead of ours neither delays a FIRING by its skew nor, when every
// observation brings a newer timestamp (each OOM kill of a crash loop),
// keeps pushing it out. The notification's event time is still the
// cluster's own.

import { createHash } from 'node:crypto';
import { create, type JsonObject } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { KubeObject } from '../model/kube.ts';
import { type Notification, NotificationSchema, type ObjectRef, ObjectRefSchema, State } from '../model/notification.ts';
import { describeResolved } from './resolved.ts';
import type { Observation } from './types.ts';
import { isoSeconds, parseTime } from './util.ts';

export interface TrackerOptions {
  /** the cluster's name, as notifications carry it */
  cluster: string;
  /** attach the object as seen to notifications (raw_object); default true */
  includeRaw?: boolean;
  /** edge keys remembered at most, oldest forgotten first; default 100 000 */
  maxEdgeKeys?: number;
}

/** One open incident, as snapshot() stores it. */
export interface TrackedIncident {
  key: string;
  objectUid: string;
  /** when the tracker first saw it (RFC 3339) */
  openedAt: string;
  /** when the condition began: the observation's since, else openedAt; the FIRING event time */
  since: string;
  /** epoch ms from which a pending incident may fire */
  dueAt: number;
  /** epoch ms when the tracker first saw the current `since` (absent in state from older versions: openedAt) */
  sinceSeenAt?: number;
  notified: boolean;
  /** the last observation was "holding": a pending incident does not fire meanwhile */
  holding: boolean;
  observation: Observation;
  /** the reason the FIRING notification carried: the RESOLVED one repeats it (an image-pull incident that fired as ErrImagePull resolves as ErrImagePull) */
  firedReason?: string;
  labels: Record<string, string>;
  /** the object as last seen, kept only while pending so a late FIRING carries it */
  raw?: KubeObject;
}

export interface TrackerState {
  version: 1;
  incidents: TrackedIncident[];
  /** remembered edge keys with their object's uid, oldest first */
  edges: [key: string, objectUid: string][];
}

/**
 * What changed since the last takeChanges(): the rows to write (incidents as
 * they are now, edges with their object) and the keys to delete. Storing
 * these after every batch keeps the stored state equal to snapshot() at the
 * cost of what changed, not of everything the tracker holds.
 */
export interface TrackerChanges {
  incidents: TrackedIncident[];
  removedIncidents: string[];
  edges: [key: string, objectUid: string][];
  removedEdges: string[];
}

const DEFAULT_MAX_EDGE_KEYS = 100_000;
const UINT32_MAX = 4294967295;
const OWNER_FIELDS = ['ownerApiVersion', 'ownerKind', 'ownerName', 'ownerUid'];

export class IncidentTracker {
  #opts: Required<TrackerOptions>;
  #incidents = new Map<string, TrackedIncident>();
  #incidentsByObject = new Map<string, Set<string>>();
  /** edge key → object uid, in insertion order (the bound drops the oldest) */
  #edges = new Map<string, string>();
  #edgesByObject = new Map<string, Set<string>>();
  /** keys changed since the last takeChanges() (present now: written; gone: deleted) */
  #dirtyIncidents = new Set<string>();
  #dirtyEdges = new Set<string>();
  /** nextDue()'s answer (epoch ms, Infinity: none) until an incident changes */
  #nextDue: number | undefined;

  constructor(opts: TrackerOptions) {
    this.#opts = { includeRaw: true, maxEdgeKeys: DEFAULT_MAX_EDGE_KEYS, ...opts };
  }

  /**
   * Feeds every observation detect() returned for one object (identified by
   * its uid) with the object as it is now (undefined once deleted). Returns
   * the notifications to send now.
   */
  observe(objectUid: string, object: KubeObject | undefined, observations: Observation[], now: Date): Notification[] {
    const out: Notification[] = [];
    const seen = new Set<string>();
    for (const o of observations) {
      if (o.kind === 'edge') {
        this.#edge(objectUid, object, o, now, out);
      } else {
        seen.add(o.key);
        this.#level(objectUid, object, o, now, out);
      }
    }
    for (const key of [...(this.#incidentsByObject.get(objectUid) ?? [])]) {
      if (!seen.has(key)) this.#resolve(this.#incidents.get(key)!, object, now, out);
    }
    if (!object) this.#forgetEdges(objectUid);
    return out;
  }

  /** Time passes: pending incidents that have now held long enough fire. */
  tick(now: Date): Notification[] {
    const due = [...this.#incidents.values()]
      .filter((i) => this.#pending(i) && i.dueAt <= now.getTime())
      .sort((a, b) => a.dueAt - b.dueAt || (a.key < b.key ? -1 : 1));
    const out: Notification[] = [];
    for (const i of due) this.#fire(i, undefined, out);
    return out;
  }

  /** When the next pending incident falls due, for the caller's timer. */
  nextDue(): Date | undefined {
    // asked after every change the listener sees: looked for again only once an incident changed
    if (this.#nextDue === undefined) {
      let min = Infinity;
      for (const i of this.#incidents.values()) if (this.#pending(i) && i.dueAt < min) min = i.dueAt;
      this.#nextDue = min;
    }
    return this.#nextDue === Infinity ? undefined : new Date(this.#nextDue);
  }

  /** An incident was added, changed or removed: stored with the next changes, and nextDue() looks again. */
  #touched(key: string): void {
    this.#dirtyIncidents.add(key);
    this.#nextDue = undefined;
  }

  /** All state as plain JSON. */
  snapshot(): TrackerState {
    return structuredClone({
      version: 1 as const,
      incidents: [...this.#incidents.values()],
      edges: [...this.#edges.entries()],
    });
  }

  static restore(state: TrackerState, opts: TrackerOptions): IncidentTracker {
    if (state?.version !== 1) throw new Error(`cannot restore incident tracker state version ${String(state?.version)}`);
    const t = new IncidentTracker(opts);
    for (const i of structuredClone(state.incidents)) t.#add(i);
    for (const [key, uid] of state.edges) t.#rememberEdge(key, uid);
    // what was restored is what is stored: nothing to write back
    t.#dirtyIncidents.clear();
    t.#dirtyEdges.clear();
    return t;
  }

  /** What changed since the last call (or since restore/construction), as rows to write and keys to delete; write them out at once. */
  takeChanges(): TrackerChanges {
    const out: TrackerChanges = { incidents: [], removedIncidents: [], edges: [], removedEdges: [] };
    for (const key of this.#dirtyIncidents) {
      const i = this.#incidents.get(key);
      // the live incident: the caller writes it out before the tracker moves on
      if (i) out.incidents.push(i);
      else out.removedIncidents.push(key);
    }
    for (const key of this.#dirtyEdges) {
      const uid = this.#edges.get(key);
      if (uid !== undefined) out.edges.push([key, uid]);
      else out.removedEdges.push(key);
    }
    this.#dirtyIncidents.clear();
    this.#dirtyEdges.clear();
    return out;
  }

  /**
   * The uids of every object the tracker holds state for (open incidents and
   * remembered edges): after a restart, those missing from the first list
   * were deleted while kubeherald was down.
   */
  objectUids(): Set<string> {
    return new Set([...this.#incidentsByObject.keys(), ...this.#edgesByObject.keys()]);
  }

  /** Whether `key` is an incident open and notified (what reminders are for); edge keys never are. */
  isOpen(key: string): boolean {
    return this.#incidents.get(key)?.notified === true;
  }

  /** Open incidents (pending ones too), for tests and `kubeherald status`. */
  open(): { key: string; since: string; notified: boolean }[] {
    return [...this.#incidents.values()].map((i) => ({ key: i.key, since: i.since, notified: i.notified }));
  }

  // ------------------------------------------------------------ level

  #pending(i: TrackedIncident): boolean {
    return !i.notified && !i.holding;
  }

  #level(objectUid: string, object: KubeObject | undefined, o: Observation, now: Date, out: Notification[]): void {
    let i = this.#incidents.get(o.key);
    if (i && i.objectUid !== objectUid) return; // another object's incident: keys carry uids, so this is a detector bug
    if (!i) {
      if (o.state === 'holding') return;
      const openedAt = isoSeconds(now.getTime());
      i = { key: o.key, objectUid, openedAt, since: openedAt, dueAt: now.getTime(), notified: false, holding: false, observation: o, labels: {} };
      this.#add(i);
    }
    this.#touched(i.key);
    const count = o.count ?? i.observation.count;
    i.observation = count === undefined ? o : { ...o, count };
    i.holding = o.state === 'holding';
    if (object) i.labels = { ...(object.metadata.labels ?? {}) };
    if (i.notified) return;
    // until it has notified, the incident follows the condition's start as the object reports it
    const since = parseTime(o.since);
    const sinceIso = since === undefined ? i.openedAt : isoSeconds(since);
    if (sinceIso !== i.since || i.sinceSeenAt === undefined) i.sinceSeenAt = now.getTime();
    i.since = sinceIso;
    i.dueAt = dueAt(Date.parse(i.openedAt), since, i.sinceSeenAt, o.minDurationMs ?? 0, now.getTime());
    if (this.#pending(i) && i.dueAt <= now.getTime()) this.#fire(i, object, out);
    else if (this.#opts.includeRaw && object) i.raw = object;
  }

  #fire(i: TrackedIncident, object: KubeObject | undefined, out: Notification[]): void {
    this.#touched(i.key);
    i.notified = true;
    i.firedReason = i.observation.reason;
    const raw = object ?? i.raw;
    delete i.raw;
    out.push(
      this.#notification(i.observation, State.FIRING, {
        anchor: i.since,
        time: new Date(Date.parse(i.since)),
        message: i.observation.message,
        labels: i.labels,
        raw,
      }),
    );
  }

  #resolve(i: TrackedIncident, object: KubeObject | undefined, now: Date, out: Notification[]): void {
    this.#remove(i);
    if (!i.notified) return;
    out.push(
      this.#notification({ ...i.observation, reason: i.firedReason ?? i.observation.reason }, State.RESOLVED, {
        anchor: i.since,
        time: now,
        message: describeResolved(i.observation, object),
        labels: object ? { ...(object.metadata.labels ?? {}) } : i.labels,
        raw: object,
      }),
    );
  }

  #add(i: TrackedIncident): void {
    this.#touched(i.key);
    this.#incidents.set(i.key, i);
    let keys = this.#incidentsByObject.get(i.objectUid);
    if (!keys) this.#incidentsByObject.set(i.objectUid, (keys = new Set()));
    keys.add(i.key);
  }

  #remove(i: TrackedIncident): void {
    this.#touched(i.key);
    this.#incidents.delete(i.key);
    const keys = this.#incidentsByObject.get(i.objectUid);
    keys?.delete(i.key);
    if (keys?.size === 0) this.#incidentsByObject.delete(i.objectUid);
  }

  // ------------------------------------------------------------ edge

  #edge(objectUid: string, object: KubeObject | undefined, o: Observation, now: Date, out: Notification[]): void {
    if (this.#edges.has(o.key)) return;
    this.#rememberEdge(o.key, objectUid);
    out.push(
      this.#notification(o, State.FIRING, {
        anchor: '',
        time: new Date(parseTime(o.since) ?? now.getTime()),
        message: o.message,
        labels: { ...(object?.metadata.labels ?? {}) },
        raw: object,
      }),
    );
  }

  #rememberEdge(key: string, objectUid: string): void {
    this.#dirtyEdges.add(key);
    this.#edges.set(key, objectUid);
    let keys = this.#edgesByObject.get(objectUid);
    if (!keys) this.#edgesByObject.set(objectUid, (keys = new Set()));
    keys.add(key);
    while (this.#edges.size > this.#opts.maxEdgeKeys) {
      const [oldest, uid] = this.#edges.entries().next().value!;
      this.#edges.delete(oldest);
      this.#dirtyEdges.add(oldest);
      const set = this.#edgesByObject.get(uid);
      set?.delete(oldest);
      if (set?.size === 0) this.#edgesByObject.delete(uid);
    }
  }

  #forgetEdges(objectUid: string): void {
    for (const key of this.#edgesByObject.get(objectUid) ?? []) {
      this.#edges.delete(key);
      this.#dirtyEdges.add(key);
    }
    this.#edgesByObject.delete(objectUid);
  }

  // ------------------------------------------------------------ notifications

  #notification(
    o: Observation,
    state: State,
    n: { anchor: string; time: Date; message: string; labels: Record<string, string>; raw: KubeObject | undefined },
  ): Notification {
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.fields ?? {})) if (!OWNER_FIELDS.includes(k)) fields[k] = v;
    return create(NotificationSchema, {
      idempotencyKey: idempotencyKey(o.key, state, n.anchor),
      incidentKey: o.key,
      eventTime: timestampFromDate(Number.isFinite(n.time.getTime()) ? n.time : new Date(0)),
      severity: o.severity,
      state,
      reason: o.reason,
      title: o.title,
      message: n.message,
      involvedObject: o.involved ? create(ObjectRefSchema, o.involved) : undefined,
      owner: ownerOf(o),
      cluster: this.#opts.cluster,
      labels: n.labels,
      count: Math.min(UINT32_MAX, Math.max(0, Math.trunc(o.count ?? 1))),
      fields,
      rawObject: this.#opts.includeRaw && n.raw ? (JSON.parse(JSON.stringify(n.raw)) as JsonObject) : undefined,
      detector: o.detector,
      eventType: o.eventType ?? '',
    });
  }
}

/**
 * When a pending incident may fire, in the tracker's time: now without a
 * minimum duration; else the minimum after the later of when the tracker
 * opened it and the condition's start as the object reports it, that start
 * taken no later than when the tracker first saw it (a clock ahead of ours
 * would otherwise put it in the future).
 */
export function dueAt(openedAtMs: number, sinceMs: number | undefined, sinceSeenAtMs: number, minDurationMs: number, nowMs: number): number {
  if (minDurationMs <= 0) return nowMs;
  const began = sinceMs === undefined ? openedAtMs : Math.max(openedAtMs, Math.min(sinceMs, sinceSeenAtMs));
  return began + minDurationMs;
}

/** Stable for the same incident and state, new for a re-opened incident (its anchor differs). */
export function idempotencyKey(incidentKey: string, state: State, anchor: string): string {
  const name = state === State.RESOLVED ? 'resolved' : 'firing';
  return createHash('sha256').update(`${incidentKey}\n${name}\n${anchor}`).digest('hex').slice(0, 32);
}

function ownerOf(o: Observation): ObjectRef | undefined {
  const f = o.fields ?? {};
  if (!f.ownerKind || !f.ownerName) return undefined;
  return create(ObjectRefSchema, {
    apiVersion: f.ownerApiVersion ?? '',
    kind: f.ownerKind,
    namespace: o.involved?.namespace ?? '',
    name: f.ownerName,
    uid: f.ownerUid ?? '',
  });
}
