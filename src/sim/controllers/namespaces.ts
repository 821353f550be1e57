// Namespaces: the four every cluster starts with, and the namespace
// controller's deletion. The API server marks a deleted namespace
// (deletionTimestamp, phase Terminating); this controller deletes everything
// in it (pods gracefully, through their kubelets), reports progress in the
// namespace's conditions with the real reasons and messages, and once the
// namespace is empty removes its "kubernetes" finalizer, which lets the API
// server delete it.

import type { TimerHandle } from '../clock.ts';
import { NAMESPACES } from '../refs.ts';
import type { SimContext } from '../scenario.ts';
import type { Change } from '../store.ts';
import type { KObject } from '../types.ts';
import { deleteObject, KNOWN_REFS, refForStorage } from './gc.ts';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
export const NAMESPACE_FINALIZER = 'kubernetes';
/** how often a terminating namespace is re-checked when nothing in it changes */
export const NAMESPACE_RECHECK_MS = 5000;

/** A namespace as the API server stores a freshly created one. */
export function namespaceObject(name: string, labels: Record<string, string> = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { ...labels, 'kubernetes.io/metadata.name': name } },
    spec: { finalizers: [NAMESPACE_FINALIZER] },
    status: { phase: 'Active' },
  };
}

/** Creates the namespace unless it exists; returns the stored object. */
export function ensureNamespace(ctx: SimContext, name: string): KObject {
  return ctx.store.get(NAMESPACES.storage, undefined, name) ?? ctx.store.create(NAMESPACES, namespaceObject(name));
}

interface NamespaceCondition {
  type: string;
  status: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** The namespace deleter's condition types, in the order it writes them, with their "ok" forms. */
const CONDITIONS: { type: string; reason: string; message: string }[] = [
  { type: 'NamespaceDeletionDiscoveryFailure', reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
  { type: 'NamespaceDeletionGroupVersionParsingFailure', reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
  { type: 'NamespaceDeletionContentFailure', reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
  { type: 'NamespaceContentRemaining', reason: 'ContentRemoved', message: 'All content successfully removed' },
  { type: 'NamespaceFinalizersRemaining', reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
];

export function startNamespaceController(ctx: SimContext): () => void {
  for (const name of SYSTEM_NAMESPACES) ensureNamespace(ctx, name);
  const storages = new Set(KNOWN_REFS.filter((r) => r.storage !== NAMESPACES.storage).map((r) => r.storage));
  const pending = new Map<string, TimerHandle>();
  let stopped = false;

  const queue = (ns: string, delayMs = 0): void => {
    const existing = pending.get(ns);
    if (existing && delayMs > 0) return;
    ctx.clock.clearTimeout(existing);
    pending.set(
      ns,
      ctx.clock.setTimeout(() => {
        pending.delete(ns);
        if (!stopped) sync(ns);
      }, delayMs),
    );
  };

  const terminating = (ns: string | undefined): boolean =>
    !!ns && !!ctx.store.get(NAMESPACES.storage, undefined, ns)?.metadata.deletionTimestamp;

  const onChange = (c: Change): void => {
    if (stopped) return;
    if (c.storage === NAMESPACES.storage) {
      if (c.type !== 'DELETED' && c.object.metadata.deletionTimestamp) queue(c.object.metadata.name!);
      return;
    }
    const ns = c.object.metadata.namespace;
    if (ns) storages.add(c.storage);
    if (c.type === 'DELETED' && terminating(ns)) queue(ns!);
  };

  const sync = (name: string): void => {
    const ns = ctx.store.get(NAMESPACES.storage, undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    const finalizers = ((ns.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []);
    if (!finalizers.includes(NAMESPACE_FINALIZER)) return;
    const remaining = new Map<string, number>();
    const byFinalizer = new Map<string, number>();
    for (const storage of storages) {
      const ref = refForStorage(storage);
      for (const obj of ctx.store.list(storage, name)) {
        if (obj.metadata.namespace !== name) continue;
        if (deleteObject(ctx, ref, name, obj.metadata.name!) === 'deleted') continue;
        const gvr = `${ref.resource}.${ref.group}`;
        remaining.set(gvr, (remaining.get(gvr) ?? 0) + 1);
        const left = ctx.store.get(storage, name, obj.metadata.name!);
        for (const f of left?.metadata.finalizers ?? []) byFinalizer.set(f, (byFinalizer.get(f) ?? 0) + 1);
      }
    }
    updateConditions(ctx, name, remaining, byFinalizer);
    if (remaining.size > 0) {
      queue(name, NAMESPACE_RECHECK_MS);
      return;
    }
    // finalizing with no other finalizers left: the API server deletes the namespace
    const rest = finalizers.filter((f) => f !== NAMESPACE_FINALIZER);
    const current = ctx.store.get(NAMESPACES.storage, undefined, name)!;
    if (rest.length === 0 && (current.metadata.finalizers ?? []).length === 0) {
      ctx.store.delete(NAMESPACES, undefined, name, { precondition: { uid: current.metadata.uid } });
    } else {
      ctx.store.mutate(NAMESPACES, undefined, name, (o) => {
        (o.spec as { finalizers: string[] }).finalizers = rest;
      });
    }
  };

  const unsubscribe = ctx.store.subscribe(onChange);
  for (const ns of ctx.store.list(NAMESPACES.storage)) if (ns.metadata.deletionTimestamp) queue(ns.metadata.name!);
  return () => {
    stopped = true;
    unsubscribe();
    for (const t of pending.values()) ctx.clock.clearTimeout(t);
  };
}

function updateConditions(ctx: SimContext, name: string, remaining: Map<string, number>, byFinalizer: Map<string, number>): void {
  const now = ctx.clock.nowIso();
  const wanted = CONDITIONS.map(({ type, reason, message }) => {
    if (type === 'NamespaceContentRemaining' && remaining.size) {
      const list = [...remaining].map(([gvr, n]) => `${gvr} has ${n} resource instances`).sort();
      return { type, status: 'True', reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${list.join(', ')}` };
    }
    if (type === 'NamespaceFinalizersRemaining' && byFinalizer.size) {
      const list = [...byFinalizer].map(([f, n]) => `${f} in ${n} resource instances`).sort();
      return { type, status: 'True', reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${list.join(', ')}` };
    }
    return { type, status: 'False', reason, message };
  });
  ctx.store.mutate(NAMESPACES, undefined, name, (o) => {
    const status = (o.status ??= {}) as { conditions?: NamespaceCondition[] };
    const conditions = (status.conditions ??= []);
    let changed = false;
    for (const w of wanted) {
      const old = conditions.find((c) => c.type === w.type);
      if (!old) {
        conditions.push({ type: w.type, status: w.status, lastTransitionTime: now, reason: w.reason, message: w.message });
        changed = true;
      } else if (old.status !== w.status || old.reason !== w.reason || old.message !== w.message) {
        if (old.status !== w.status) old.lastTransitionTime = now;
        Object.assign(old, { status: w.status, reason: w.reason, message: w.message });
        changed = true;
      }
    }
    return changed;
  });
}
