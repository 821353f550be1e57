// The garbage collector: when an owner goes away, its dependents (objects
// whose ownerReferences name the owner's uid, in any storage) are deleted in
// the background, or only lose the reference when another owner still
// exists. Owners deleted with propagationPolicy Foreground or Orphan (the API
// server leaves the foregroundDeletion / orphan finalizer on them) are
// finished here too. Also the pod GC's chores: pods bound to a node that no
// longer exists, and terminating pods that no kubelet will ever finish.

import type { TimerHandle } from '../clock.ts';
import { isoSeconds } from '../clock.ts';
import * as refs from '../refs.ts';
import { NODES, PODS } from '../refs.ts';
import type { SimContext } from '../scenario.ts';
import type { Change, StorageRef } from '../store.ts';
import type { KObject, OwnerReference } from '../types.ts';

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';
/** PodGC waits this long before it trusts that a node is really gone */
export const ORPHAN_QUARANTINE_MS = 40_000;

/** The StorageRef of a storage key ("pods", "apps/deployments", "example.com/widgets"). */
export function refForStorage(storage: string): StorageRef {
  const slash = storage.indexOf('/');
  if (slash < 0) return { storage, group: '', resource: storage };
  return { storage, group: storage.slice(0, slash), resource: storage.slice(slash + 1) };
}

/** Every storage the simulator's own code knows of. */
export const KNOWN_REFS: StorageRef[] = Object.values(refs).filter(
  (v): v is StorageRef => typeof v === 'object' && v !== null && 'storage' in v,
);

const isTerminalPod = (pod: KObject): boolean => {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
};

/**
 * Deletes an object the way the API server handles DELETE with the default
 * grace: a pod running on a node is only marked (deletionTimestamp = now +
 * terminationGracePeriodSeconds) for its kubelet to finish; an object with
 * finalizers is marked for them; anything else is removed at once.
 */
export function deleteObject(ctx: SimContext, ref: StorageRef, namespace: string | undefined, name: string): 'deleted' | 'terminating' | 'absent' {
  const cur = ctx.store.get(ref.storage, namespace, name);
  if (!cur) return 'absent';
  if (cur.metadata.deletionTimestamp) return 'terminating';
  let grace = 0;
  if (ref.storage === PODS.storage) {
    const spec = (cur.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
    if (spec.nodeName && !isTerminalPod(cur)) grace = spec.terminationGracePeriodSeconds ?? 30;
  }
  if (grace > 0 || (cur.metadata.finalizers ?? []).length > 0) {
    const at = isoSeconds(ctx.clock.nowMs() + grace * 1000);
    ctx.store.mutate(ref, namespace, name, (o) => {
      o.metadata.deletionTimestamp = at;
      o.metadata.deletionGracePeriodSeconds = grace;
      if ((o.metadata.generation ?? 0) > 0) o.metadata.generation = o.metadata.generation! + 1;
    });
    return 'terminating';
  }
  ctx.store.delete(ref, namespace, name, { precondition: { uid: cur.metadata.uid } });
  return 'deleted';
}

interface Node {
  storage: string;
  namespace?: string;
  name: string;
  owners: string[];
}

export function startGarbageCollector(ctx: SimContext): () => void {
  const gc = new GarbageCollector(ctx);
  return gc.start();
}

class GarbageCollector {
  #ctx: SimContext;
  /** uid → where the object lives and whom it names as owners */
  #objects = new Map<string, Node>();
  /** owner uid → dependents' uids */
  #dependents = new Map<string, Set<string>>();
  #work: (() => void)[] = [];
  #timer: TimerHandle | undefined;
  #orphanTimers = new Set<TimerHandle>();
  #stopped = false;

  constructor(ctx: SimContext) {
    this.#ctx = ctx;
  }

  start(): () => void {
    for (const ref of KNOWN_REFS) for (const obj of this.#ctx.store.list(ref.storage)) this.#index(ref.storage, obj);
    const unsubscribe = this.#ctx.store.subscribe((c) => this.#onChange(c));
    return () => {
      this.#stopped = true;
      unsubscribe();
      this.#ctx.clock.clearTimeout(this.#timer);
      for (const t of this.#orphanTimers) this.#ctx.clock.clearTimeout(t);
    };
  }

  #defer(fn: () => void): void {
    this.#work.push(fn);
    this.#timer ??= this.#ctx.clock.setTimeout(() => {
      this.#timer = undefined;
      const work = this.#work;
      this.#work = [];
      for (const w of work) if (!this.#stopped) w();
    }, 0);
  }

  #onChange(c: Change): void {
    if (this.#stopped) return;
    const uid = c.object.metadata.uid!;
    if (c.type === 'DELETED') {
      const node = this.#objects.get(uid);
      this.#unindex(uid);
      for (const dep of [...(this.#dependents.get(uid) ?? [])]) this.#defer(() => this.#attemptToDelete(dep, uid));
      // an owner waiting in the foreground for its dependents may be done now
      for (const owner of node?.owners ?? []) this.#defer(() => this.#processDeletingOwner(owner));
      if (c.storage === NODES.storage) this.#scheduleOrphanCheck(c.object.metadata.name!);
      return;
    }
    const before = this.#objects.get(uid)?.owners ?? [];
    this.#index(c.storage, c.object);
    for (const owner of before) if (!this.#objects.get(uid)!.owners.includes(owner)) this.#defer(() => this.#processDeletingOwner(owner));
    const meta = c.object.metadata;
    if (meta.deletionTimestamp) {
      const fin = meta.finalizers ?? [];
      if (fin.includes(FOREGROUND_FINALIZER) || fin.includes(ORPHAN_FINALIZER)) this.#defer(() => this.#processDeletingOwner(uid));
      if (c.storage === PODS.storage && !(c.object.spec as { nodeName?: string } | undefined)?.nodeName) {
        // unscheduled pods have no kubelet to finish them: the API server deletes them at once
        this.#defer(() => this.#deleteNow(PODS, meta.namespace, meta.name!, uid));
      }
    }
  }

  #index(storage: string, obj: KObject): void {
    const uid = obj.metadata.uid!;
    this.#unindex(uid);
    const owners = (obj.metadata.ownerReferences ?? []).map((r) => r.uid);
    this.#objects.set(uid, { storage, namespace: obj.metadata.namespace, name: obj.metadata.name!, owners });
    for (const o of owners) {
      let deps = this.#dependents.get(o);
      if (!deps) {
        deps = new Set();
        this.#dependents.set(o, deps);
      }
      deps.add(uid);
    }
  }

  #unindex(uid: string): void {
    const node = this.#objects.get(uid);
    if (!node) return;
    for (const o of node.owners) {
      const deps = this.#dependents.get(o);
      deps?.delete(uid);
      if (deps?.size === 0) this.#dependents.delete(o);
    }
    this.#objects.delete(uid);
  }

  #current(uid: string): { node: Node; obj: KObject } | undefined {
    const node = this.#objects.get(uid);
    if (!node) return undefined;
    const obj = this.#ctx.store.get(node.storage, node.namespace, node.name);
    if (!obj || obj.metadata.uid !== uid) return undefined;
    return { node, obj };
  }

  /** An owner `goneOwner` is gone or going: delete the dependent unless another owner still holds it. */
  #attemptToDelete(depUid: string, goneOwner: string): void {
    const cur = this.#current(depUid);
    if (!cur || cur.obj.metadata.deletionTimestamp) return;
    const ownerRefs = cur.obj.metadata.ownerReferences ?? [];
    const dangling = (r: OwnerReference): boolean => r.uid === goneOwner || !this.#objects.has(r.uid);
    const solid = ownerRefs.filter((r) => !dangling(r));
    const ref = refForStorage(cur.node.storage);
    if (solid.length > 0) {
      this.#ctx.store.mutate(ref, cur.node.namespace, cur.node.name, (o) => {
        o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => !dangling(r));
      });
      return;
    }
    deleteObject(this.#ctx, ref, cur.node.namespace, cur.node.name);
  }

  /** Finishes a Foreground or Orphan deletion once its dependents are handled. */
  #processDeletingOwner(uid: string): void {
    const cur = this.#current(uid);
    if (!cur || !cur.obj.metadata.deletionTimestamp) return;
    const fin = cur.obj.metadata.finalizers ?? [];
    const deps = [...(this.#dependents.get(uid) ?? [])];
    let finalizer: string;
    if (fin.includes(ORPHAN_FINALIZER)) {
      for (const dep of deps) {
        const d = this.#current(dep);
        if (!d) continue;
        this.#ctx.store.mutate(refForStorage(d.node.storage), d.node.namespace, d.node.name, (o) => {
          o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
          if (o.metadata.ownerReferences.length === 0) delete o.metadata.ownerReferences;
        });
      }
      finalizer = ORPHAN_FINALIZER;
    } else if (fin.includes(FOREGROUND_FINALIZER)) {
      if (deps.length > 0) {
        for (const dep of deps) this.#attemptToDelete(dep, uid);
        return;
      }
      finalizer = FOREGROUND_FINALIZER;
    } else {
      return;
    }
    const ref = refForStorage(cur.node.storage);
    const left = fin.filter((f) => f !== finalizer);
    // the API server removes an object being deleted once its last finalizer is gone
    if (left.length === 0) this.#ctx.store.delete(ref, cur.node.namespace, cur.node.name, { precondition: { uid } });
    else {
      this.#ctx.store.mutate(ref, cur.node.namespace, cur.node.name, (o) => {
        o.metadata.finalizers = left;
      });
    }
  }

  #deleteNow(ref: StorageRef, namespace: string | undefined, name: string, uid: string): void {
    const cur = this.#ctx.store.get(ref.storage, namespace, name);
    if (cur && cur.metadata.uid === uid) this.#ctx.store.delete(ref, namespace, name, { precondition: { uid } });
  }

  /** PodGC's gcOrphaned: pods of a deleted node are failed and removed. */
  #scheduleOrphanCheck(node: string): void {
    const t = this.#ctx.clock.setTimeout(() => {
      this.#orphanTimers.delete(t);
      if (this.#ctx.store.get(NODES.storage, undefined, node)) return;
      for (const pod of this.#ctx.store.list(PODS.storage)) {
        if ((pod.spec as { nodeName?: string } | undefined)?.nodeName !== node) continue;
        const ns = pod.metadata.namespace;
        const name = pod.metadata.name!;
        if (!isTerminalPod(pod)) {
          const now = this.#ctx.clock.nowIso();
          this.#ctx.store.mutate(PODS, ns, name, (p) => {
            const status = (p.status ??= {}) as { phase?: string; conditions?: Record<string, unknown>[] };
            status.phase = 'Failed';
            (status.conditions ??= []).push({
              type: 'DisruptionTarget',
              status: 'True',
              lastProbeTime: null,
              lastTransitionTime: now,
              reason: 'DeletionByPodGC',
              message: 'PodGC: node no longer exists',
            });
          });
        }
        this.#deleteNow(PODS, ns, name, pod.metadata.uid!);
      }
    }, ORPHAN_QUARANTINE_MS);
    this.#orphanTimers.add(t);
  }
}
