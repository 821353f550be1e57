// The resource verbs (get, list, create, update, patch, delete,
// deletecollection) and the status/scale subresources, with the real
// server's preconditions, defaulting, validation and response shapes.

import { randomBytes } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import type { SimClock } from './clock.ts';
import { applyCreateDefaults, applyUpdateDefaults } from './defaults.ts';
import { daemonSetUpdateMeta } from './daemonset-defaults.ts';
import { subresourceSchemas } from './builtins.ts';
import { cannotBeHandled, decodeError, dropNullMembers } from './decode.ts';
import { ApiError, badRequest, conflict, invalid, methodNotAllowed, notFound, type StatusCause } from './errors.ts';
import { kindCauses } from './kind-rules.ts';
import { jobUpdateCauses } from './batch-rules.ts';
import { claimUpdateCauses } from './claim-rules.ts';
import { statefulSetUpdateCauses } from './statefulset-rules.ts';
import { fieldManagerCauses, managerOf, recordApply, recordUpdate, type Writer } from './managed-fields.ts';
import { applyPatch, patchTypeOf } from './patch.ts';
import { CRDS, NAMESPACES } from './refs.ts';
import type { ResourceRegistry } from './registry.ts';
import { exactListVersion, type RequestInfo } from './request.ts';
import { formatLabelSelector, labelSelectorFromObject, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import type { ObjectStore, StorageRef } from './store.ts';
import type { KObject, ResourceType } from './types.ts';
import { crdResourceTypes, prune, unknownFields, validateAgainstSchema, validateCRD, validateMetadata, validateName } from './validation.ts';

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface HandlerDeps {
  store: ObjectStore;
  registry: ResourceRegistry;
  clock: SimClock;
  /** admission plugins (LimitRanger, ResourceQuota) run on a create after validation; they may change or refuse it */
  admit?: (rt: ResourceType, obj: KObject) => void;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const apiVersionOf = (rt: { group: string; version: string }): string => (rt.group ? `${rt.group}/${rt.version}` : rt.version);

export const refOf = (rt: ResourceType): StorageRef => ({ storage: rt.storage, resource: rt.resource, group: rt.group });

/** The stored object as this resource type serves it. */
export function toWire(rt: ResourceType, stored: KObject): KObject {
  const viewed = rt.toView ? rt.toView(stored) : stored;
  if (viewed.apiVersion === apiVersionOf(rt) && viewed.kind === rt.kind) return viewed;
  return { ...viewed, apiVersion: apiVersionOf(rt), kind: rt.kind };
}

/** Parses a request body as JSON, or YAML when the client says so. */
export function parseBody(raw: string, contentType: string | undefined): unknown {
  const ct = (contentType ?? 'application/json').split(';')[0].trim().toLowerCase();
  try {
    if (ct === 'application/yaml' || ct === 'application/apply-patch+yaml') return parseYaml(raw);
    return JSON.parse(raw);
  } catch (err) {
    throw badRequest(`the object provided is unrecognized (${(err as Error).message.split('\n')[0]})`);
  }
}

function parseObject(raw: string, contentType: string | undefined, rt: ResourceType, stored?: KObject): KObject {
  const body = parseBody(raw, contentType);
  if (!isObj(body)) throw badRequest('the object provided is unrecognized (expected a JSON object)');
  if (body.metadata !== undefined && !isObj(body.metadata)) {
    throw badRequest('metadata: the object provided is unrecognized (metadata must be an object)');
  }
  const obj = { ...body, metadata: { ...((body.metadata as Obj) ?? {}) } } as KObject;
  const want = apiVersionOf(rt);
  if (obj.apiVersion !== undefined && obj.apiVersion !== want) {
    throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${want})`);
  }
  if (obj.kind !== undefined && obj.kind !== rt.kind) {
    throw badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${rt.kind})`);
  }
  obj.apiVersion = want;
  obj.kind = rt.kind;
  // built-in kinds are decoded into their Go types: a wrong JSON type is a 400 before anything else
  const typeErr = !rt.crd && rt.schema ? decodeError(obj, rt.schema, rt.kind, stored && toWire(rt, stored)) : undefined;
  if (typeErr) throw badRequest(cannotBeHandled(rt.kind, rt.version, typeErr));
  return rt.crd ? obj : (dropNullMembers(obj) as KObject);
}

export class Handlers {
  #d: HandlerDeps;

  constructor(deps: HandlerDeps) {
    this.#d = deps;
  }

  // --- reads ---

  get(rt: ResourceType, info: RequestInfo): Reply {
    const stored = this.#mustGet(rt, info.namespace, info.name!);
    if (info.subresource === 'scale') return { status: 200, body: this.#scaleOf(rt, stored) };
    return { status: 200, body: toWire(rt, stored) };
  }

  /** Objects for a list (after selectors), with the snapshot version and continue token. */
  listObjects(rt: ResourceType, info: RequestInfo): { items: KObject[]; resourceVersion: string; continue?: string; remaining?: number } {
    const q = info.query;
    const labels = q.get('labelSelector') ? parseLabelSelector(q.get('labelSelector')!) : [];
    const fields = q.get('fieldSelector') ? parseFieldSelector(q.get('fieldSelector')!, rt.storage, { group: rt.group, namespaced: rt.namespaced }) : [];
    const limit = Number(q.get('limit') ?? 0);
    if (!Number.isInteger(limit) || limit < 0) throw badRequest(`invalid limit: ${q.get('limit')}`);
    let snapshotRV = this.#d.store.resourceVersion;
    let after = '';
    const cont = q.get('continue');
    const exact = cont ? undefined : exactListVersion(q);
    let all: KObject[];
    if (exact !== undefined) {
      // resourceVersionMatch=Exact: the state at that version, or 410 when the window has moved past it
      snapshotRV = exact;
      all = this.#d.store.listExact(rt.storage, info.namespace, exact);
    } else if (cont) {
      const token = decodeContinue(cont);
      snapshotRV = token.rv;
      after = token.start;
      all = this.#d.store.listAt(rt.storage, info.namespace, snapshotRV);
    } else {
      all = this.#d.store.list(rt.storage, info.namespace);
    }
    const matching: KObject[] = [];
    for (const o of all) {
      if (after && keyOf(o) <= after) continue;
      if (labels.length && !matchesLabels(labels, o.metadata.labels)) continue;
      if (fields.length && !matchesFields(fields, o)) continue;
      matching.push(o);
    }
    if (limit > 0 && matching.length > limit) {
      const page = matching.slice(0, limit);
      return {
        items: page,
        resourceVersion: String(snapshotRV),
        continue: encodeContinue(snapshotRV, keyOf(page[page.length - 1])),
        remaining: labels.length || fields.length ? undefined : matching.length - limit,
      };
    }
    return { items: matching, resourceVersion: String(snapshotRV) };
  }

  list(rt: ResourceType, info: RequestInfo): Reply {
    const r = this.listObjects(rt, info);
    const metadata: Obj = { resourceVersion: r.resourceVersion };
    if (r.continue) metadata.continue = r.continue;
    if (r.remaining !== undefined) metadata.remainingItemCount = r.remaining;
    return {
      status: 200,
      body: {
        kind: rt.listKind,
        apiVersion: apiVersionOf(rt),
        metadata,
        items: r.items.map((o) => listItem(rt, o)),
      },
    };
  }

  // --- writes ---

  create(rt: ResourceType, info: RequestInfo, raw: string, contentType: string | undefined): Reply {
    if (info.subresource || info.name) throw methodNotAllowed();
    const obj = parseObject(raw, contentType, rt);
    const warnings = this.#prepareCreate(rt, info, obj);
    obj.metadata.managedFields = recordUpdate(undefined, obj, this.#writer(rt, info));
    const stored = this.#persistCreate(rt, info, obj);
    return { status: 201, body: toWire(rt, stored), headers: warningHeader(warnings) };
  }

  update(rt: ResourceType, info: RequestInfo, raw: string, contentType: string | undefined): Reply {
    const name = info.name!;
    if (info.subresource === 'scale') {
      const scale = parseBody(raw, contentType);
      const scaleErr = decodeError(scale, subresourceSchemas().scale, 'Scale');
      if (scaleErr) throw badRequest(cannotBeHandled('Scale', 'v1', scaleErr));
      return this.#writeScale(rt, info, scale, (isObj(scale) && isObj(scale.metadata) ? scale.metadata.resourceVersion : undefined) as string | undefined);
    }
    const live = this.#d.store.get(rt.storage, info.namespace, name);
    const obj = parseObject(raw, contentType, rt, live);
    if (obj.metadata.name && obj.metadata.name !== name) {
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    obj.metadata.name = name;
    this.#checkNamespace(rt, info, obj);
    const current = this.#mustGet(rt, info.namespace, name);
    const precondition = obj.metadata.resourceVersion;
    const { next, warnings } = this.#mergeUpdate(rt, info, current, obj);
    next.metadata.managedFields = recordUpdate(current, next, this.#writer(rt, info));
    if (this.#dryRun(info)) return { status: 200, body: toWire(rt, next) };
    const stored = this.#d.store.update(refOf(rt), next, { precondition });
    this.#afterWrite(rt, stored);
    return { status: 200, body: toWire(rt, stored), headers: warningHeader(warnings) };
  }

  patch(rt: ResourceType, info: RequestInfo, raw: string, contentType: string | undefined): Reply {
    const type = patchTypeOf(contentType, !!rt.crd);
    const name = info.name!;
    const force = checkPatchOptions(type, info);
    const existing = this.#d.store.get(rt.storage, info.namespace, name);
    if (info.subresource === 'scale') {
      if (!existing) throw notFound(rt.resource, rt.group, name);
      const patched = applyPatch(type, this.#scaleOf(rt, existing) as KObject, raw, { group: 'autoscaling', kind: 'Scale', crd: false, schema: subresourceSchemas().scale });
      // a resourceVersion the patch sets on the Scale is a precondition on its parent, as kube-apiserver's scaleUpdatedObjectInfo does
      const rv = patched.metadata?.resourceVersion;
      return this.#writeScale(rt, info, patched, rv !== existing.metadata.resourceVersion ? rv : undefined);
    }
    if (!existing) {
      // server-side apply creates what does not exist yet
      if (type !== 'apply') throw notFound(rt.resource, rt.group, name);
      const applied = applyPatch(type, { metadata: {} }, raw, { group: rt.group, kind: rt.kind, crd: !!rt.crd, version: rt.version, schema: rt.schema });
      const obj = { ...applied, metadata: { ...applied.metadata, name, namespace: info.namespace } } as KObject;
      delete obj.metadata.resourceVersion;
      if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(rt)) {
        throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(rt)})`);
      }
      obj.apiVersion = apiVersionOf(rt);
      obj.kind = rt.kind;
      const warnings = this.#prepareCreate(rt, info, obj);
      obj.metadata.managedFields = recordApply(undefined, obj, parseYaml(raw), this.#writer(rt, info), force).managedFields;
      const stored = this.#persistCreate(rt, info, obj);
      return { status: 201, body: toWire(rt, stored), headers: warningHeader(warnings) };
    }
    const current = toWire(rt, existing);
    const patched = applyPatch(type, current, raw, { group: rt.group, kind: rt.kind, crd: !!rt.crd, version: rt.version, schema: rt.schema });
    let cleaned = { ...patched, metadata: { ...patched.metadata } } as KObject;
    // ownership decides conflicts and what the applier's omissions remove
    const applied = type === 'apply' ? recordApply(current, cleaned, parseYaml(raw), this.#writer(rt, info), force) : undefined;
    if (applied) cleaned = { ...applied.object, metadata: { ...applied.object.metadata } } as KObject;
    if (cleaned.metadata.name !== name) {
      throw invalid(rt.kind, rt.group, name, [{ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${String(cleaned.metadata.name)}": field is immutable` }]);
    }
    // a patch that sets resourceVersion is a precondition, as on the real server
    const precondition = cleaned.metadata.resourceVersion !== existing.metadata.resourceVersion ? cleaned.metadata.resourceVersion : undefined;
    const { next, warnings } = this.#mergeUpdate(rt, info, existing, cleaned);
    next.metadata.managedFields = applied ? applied.managedFields : recordUpdate(existing, next, this.#writer(rt, info));
    // a dry run goes through the same precondition check as the write it stands for
    if (precondition) throw staleConflict(rt, name);
    if (this.#dryRun(info)) return { status: 200, body: toWire(rt, next) };
    if (sameContent(next, existing)) return { status: 200, body: current };
    const stored = this.#d.store.update(refOf(rt), next, { precondition });
    this.#afterWrite(rt, stored);
    return { status: 200, body: toWire(rt, stored), headers: warningHeader(warnings) };
  }

  delete(rt: ResourceType, info: RequestInfo, raw: string): Reply {
    if (info.subresource) throw methodNotAllowed();
    const name = info.name!;
    const opts = raw.trim() ? parseBody(raw, 'application/json') : {};
    const options = isObj(opts) ? opts : {};
    const q = info.query;
    const grace = q.get('gracePeriodSeconds') ?? options.gracePeriodSeconds;
    const pre = isObj(options.preconditions) ? (options.preconditions as { uid?: string; resourceVersion?: string }) : undefined;
    const current = this.#mustGet(rt, info.namespace, name);
    // preconditions hold for a dry run and a graceful deletion too, not only for the final removal
    if (pre?.uid && pre.uid !== current.metadata.uid) {
      throw conflict(rt.resource, rt.group, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(rt.resource, rt.group, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
    }
    if (this.#dryRun(info, options)) return { status: 200, body: toWire(rt, current) };
    const propagation = String(q.get('propagationPolicy') ?? options.propagationPolicy ?? 'Background');
    if (propagation === 'Orphan' || options.orphanDependents === true) this.#orphanDependents(current);
    const graceful = this.#gracefulDelete(rt, current, grace === undefined ? undefined : Number(grace));
    if (graceful) return { status: 200, body: toWire(rt, graceful) };
    const gone = this.#d.store.delete(refOf(rt), info.namespace, name, { precondition: pre });
    this.#afterDelete(rt, gone);
    if (RETURNS_OBJECT.has(rt.storage) || rt.crd) return { status: 200, body: toWire(rt, gone) };
    return {
      status: 200,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name, group: rt.group || undefined, kind: rt.resource, uid: gone.metadata.uid },
      },
    };
  }

  deleteCollection(rt: ResourceType, info: RequestInfo, raw: string): Reply {
    const { items } = this.listObjects(rt, { ...info, query: withoutPaging(info.query) });
    const deleted: KObject[] = [];
    for (const o of items) {
      const r = this.delete(rt, { ...info, name: o.metadata.name, namespace: o.metadata.namespace }, raw);
      if (isObj(r.body) && r.body.kind !== 'Status') deleted.push(r.body as KObject);
    }
    return {
      status: 200,
      body: { kind: rt.listKind, apiVersion: apiVersionOf(rt), metadata: { resourceVersion: String(this.#d.store.resourceVersion) }, items: deleted },
    };
  }

  // --- internals ---

  /** Who is writing, for metadata.managedFields. */
  #writer(rt: ResourceType, info: RequestInfo): Writer {
    const causes = fieldManagerCauses(info.query.get('fieldManager') ?? '');
    if (causes.length) throw invalid(`${OPTIONS_KIND[info.verb] ?? 'PatchOptions'}`, 'meta.k8s.io', '', causes);
    return {
      manager: managerOf(info.query.get('fieldManager'), info.userAgent),
      apiVersion: apiVersionOf(rt),
      subresource: info.subresource,
      time: this.#d.clock.nowIso(),
      schema: rt.schema,
      hasStatus: rt.subresources.includes('status'),
    };
  }

  #mustGet(rt: ResourceType, ns: string | undefined, name: string): KObject {
    const o = this.#d.store.get(rt.storage, ns, name);
    if (!o) throw notFound(rt.resource, rt.group, name);
    return o;
  }

  #dryRun(info: RequestInfo, options?: Obj): boolean {
    const q = info.query.getAll('dryRun');
    const body = options && Array.isArray(options.dryRun) ? (options.dryRun as string[]) : [];
    for (const v of [...q, ...body]) {
      if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
    }
    return q.length > 0 || body.length > 0;
  }

  #checkNamespace(rt: ResourceType, info: RequestInfo, obj: KObject): void {
    if (!rt.namespaced) {
      delete obj.metadata.namespace;
      return;
    }
    const ns = info.namespace!;
    if (obj.metadata.namespace && obj.metadata.namespace !== ns) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = ns;
  }

  /** Name, namespace, defaults, validation for a new object; returns warnings. */
  #prepareCreate(rt: ResourceType, info: RequestInfo, obj: KObject): string[] {
    this.#checkNamespace(rt, info, obj);
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) meta.name = meta.generateName + randomSuffix();
    if (!meta.name) {
      throw invalid(rt.kind, rt.group, '', [{ reason: 'FieldValueRequired', message: 'name or generateName is required', field: 'metadata.name' }]);
    }
    if (info.name && info.name !== meta.name && info.verb === 'create') {
      throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${info.name})`);
    }
    for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'generation', 'managedFields']) delete meta[k];
    if (rt.namespaced) {
      const ns = this.#d.store.get(NAMESPACES.storage, undefined, meta.namespace!);
      if (!ns) throw notFound('namespaces', '', meta.namespace!);
      if (ns.metadata.deletionTimestamp) {
        throw new ApiError(403, 'Forbidden', `${rt.resource} "${meta.name}" is forbidden: unable to create new content in namespace ${meta.namespace} because it is being terminated`, {
          name: meta.name,
          kind: rt.resource,
          causes: [{ reason: 'NamespaceTerminating', message: `namespace ${meta.namespace} is being terminated`, field: 'metadata.namespace' }],
        });
      }
    }
    if (rt.subresources.includes('status') && rt.storage !== 'pods') delete (obj as Obj).status;
    const warnings = this.#unknownFieldPolicy(rt, info, obj);
    if (!rt.crd) applyCreateDefaults(rt.storage, obj);
    this.#validate(rt, obj);
    this.#d.admit?.(rt, obj);
    return warnings;
  }

  #persistCreate(rt: ResourceType, info: RequestInfo, obj: KObject): KObject {
    const stored = rt.fromView ? rt.fromView(obj) : obj;
    if (rt.storage === CRDS.storage) this.#establishCRD(stored);
    if (this.#dryRun(info)) {
      return { ...stored, metadata: { ...stored.metadata, uid: stored.metadata.uid ?? randomUUIDLike(), creationTimestamp: this.#d.clock.nowIso() } };
    }
    const created = this.#d.store.create(refOf(rt), stored);
    this.#afterWrite(rt, created);
    return created;
  }

  /** Strict: 400 on unknown fields; Warn (the default): drop them with a Warning header; Ignore: drop silently. */
  #unknownFieldPolicy(rt: ResourceType, info: RequestInfo, obj: KObject): string[] {
    if (!rt.schema) return [];
    const policy = info.query.get('fieldValidation') ?? 'Warn';
    if (!['Strict', 'Warn', 'Ignore'].includes(policy)) {
      throw badRequest(`fieldValidation: Unsupported value: "${policy}": supported values: "Ignore", "Strict", "Warn"`);
    }
    const unknown = unknownFields(obj, rt.schema).filter((f) => f !== 'status' && !f.startsWith('status.'));
    if (unknown.length === 0) return [];
    if (policy === 'Strict') {
      throw badRequest(`strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
    }
    const pruned = prune(obj, rt.schema) as KObject;
    for (const k of Object.keys(obj)) if (!(k in pruned)) delete (obj as Obj)[k];
    Object.assign(obj, pruned);
    return policy === 'Warn' ? unknown.map((f) => `unknown field "${f}"`) : [];
  }

  #validate(rt: ResourceType, obj: KObject): void {
    const name = obj.metadata.name ?? '';
    const causes: StatusCause[] = [...validateName(name, rt), ...validateMetadata(obj, rt)];
    if (rt.crd && rt.schema) causes.push(...validateAgainstSchema(obj, rt.schema));
    else causes.push(...kindCauses(rt.storage, rt.fromView && obj.apiVersion === apiVersionOf(rt) ? rt.fromView(obj) : obj));
    if (rt.storage === CRDS.storage) causes.push(...validateCRD(obj));
    if (causes.length) throw invalid(rt.kind, rt.group, name, causes);
  }

  /**
   * Builds the object an update stores: keeps what the client may not
   * change through this endpoint (status via the main resource, spec via
   * /status), bumps generation on spec changes, validates.
   */
  #mergeUpdate(rt: ResourceType, info: RequestInfo, current: KObject, incoming: KObject): { next: KObject; warnings: string[] } {
    const warnings = this.#unknownFieldPolicy(rt, info, incoming);
    const next = structuredClone(rt.fromView ? rt.fromView(incoming) : incoming) as KObject;
    const cur = current as Obj;
    const hasStatus = rt.subresources.includes('status');
    if (info.subresource === 'status') {
      // only status changes through /status
      for (const k of Object.keys(next)) if (k !== 'status' && k !== 'metadata' && k !== 'apiVersion' && k !== 'kind') delete (next as Obj)[k];
      for (const k of Object.keys(cur)) if (k !== 'status' && k !== 'metadata') (next as Obj)[k] = structuredClone(cur[k]);
      next.metadata = { ...structuredClone(current.metadata), resourceVersion: next.metadata.resourceVersion };
    } else if (info.subresource) {
      throw methodNotAllowed();
    } else if (hasStatus) {
      if (cur.status === undefined) delete (next as Obj).status;
      else (next as Obj).status = structuredClone(cur.status);
    }
    const m = next.metadata;
    // fields the server owns: the client's copy (or its absence) never wins
    for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'namespace'] as const) {
      if (current.metadata[k] === undefined) delete m[k];
      else (m as Record<string, unknown>)[k] = current.metadata[k];
    }
    if (!rt.namespaced) delete m.namespace;
    if (info.subresource !== 'status' && specChanged(current, next)) m.generation = (current.metadata.generation ?? 1) + 1;
    if (!rt.crd) applyUpdateDefaults(rt.storage, next);
    if (rt.storage === 'apps/daemonsets') daemonSetUpdateMeta(current, next);
    this.#validate(rt, next);
    const fixedFields =
      rt.storage === 'apps/statefulsets' ? statefulSetUpdateCauses(current, next) : rt.storage === 'batch/jobs' && info.subresource !== 'status' ? jobUpdateCauses(current, next) : rt.storage === 'persistentvolumeclaims' && info.subresource !== 'status' ? claimUpdateCauses(this.#d.store, current, next) : [];
    if (fixedFields.length) throw invalid(rt.kind, rt.group, next.metadata.name ?? '', fixedFields);
    return { next, warnings };
  }

  #afterWrite(rt: ResourceType, stored: KObject): void {
    // an object marked for deletion whose finalizers are all gone is removed now
    if (stored.metadata.deletionTimestamp && !(stored.metadata.finalizers?.length) && !GRACEFUL.has(rt.storage)) {
      const gone = this.#d.store.delete(refOf(rt), stored.metadata.namespace, stored.metadata.name!);
      this.#afterDelete(rt, gone);
    }
    if (rt.storage === CRDS.storage) this.#syncCRD(stored);
  }

  #afterDelete(rt: ResourceType, gone: KObject): void {
    if (rt.storage !== CRDS.storage) return;
    const name = gone.metadata.name!;
    const types = crdResourceTypes(gone);
    this.#d.registry.setCustom(name, []);
    // custom resources go with their definition
    for (const t of types.slice(0, 1)) {
      for (const o of this.#d.store.list(t.storage)) this.#d.store.delete(refOf(t), o.metadata.namespace, o.metadata.name!);
    }
  }

  /** Pods on a node, objects with finalizers and namespaces are deleted in two steps. */
  #gracefulDelete(rt: ResourceType, current: KObject, grace: number | undefined): KObject | undefined {
    const meta = current.metadata;
    const finalizers = meta.finalizers?.length ?? 0;
    const podOnNode = rt.storage === 'pods' && !!(current.spec as Obj | undefined)?.nodeName && grace !== 0 && !isTerminal(current);
    if (!finalizers && !podOnNode && rt.storage !== 'namespaces') return undefined;
    if (meta.deletionTimestamp) return current;
    const secs = grace ?? ((current.spec as Obj | undefined)?.terminationGracePeriodSeconds as number | undefined) ?? 30;
    return this.#d.store.mutate(refOf(rt), meta.namespace, meta.name!, (o) => {
      o.metadata.deletionTimestamp = this.#d.clock.nowIso();
      o.metadata.deletionGracePeriodSeconds = rt.storage === 'pods' ? secs : 0;
      if (rt.storage === 'namespaces') (o as Obj).status = { ...((o as Obj).status as Obj), phase: 'Terminating' };
    });
  }

  #orphanDependents(owner: KObject): void {
    const uid = owner.metadata.uid;
    const storages = new Map(this.#d.registry.all().map((t) => [t.storage, t]));
    for (const t of storages.values()) {
      for (const o of this.#d.store.list(t.storage)) {
        if (!o.metadata.ownerReferences?.some((r) => r.uid === uid)) continue;
        this.#d.store.mutate(refOf(t), o.metadata.namespace, o.metadata.name!, (c) => {
          c.metadata.ownerReferences = c.metadata.ownerReferences!.filter((r) => r.uid !== uid);
          if (c.metadata.ownerReferences.length === 0) delete c.metadata.ownerReferences;
        });
      }
    }
  }

  #scaleOf(rt: ResourceType, obj: KObject): Obj {
    if (!rt.subresources.includes('scale')) throw notFound(rt.resource, rt.group, obj.metadata.name!);
    const spec = (obj.spec ?? {}) as Obj;
    const status = (obj.status ?? {}) as Obj;
    const selector = isObj(spec.selector) ? formatLabelSelector(labelSelectorFromObject(spec.selector as never) ?? []) : '';
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: obj.metadata.name,
        namespace: obj.metadata.namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
        creationTimestamp: obj.metadata.creationTimestamp,
      },
      spec: { replicas: spec.replicas ?? 0 },
      status: { replicas: status.replicas ?? 0, selector },
    };
  }

  #writeScale(rt: ResourceType, info: RequestInfo, scale: unknown, precondition: string | undefined): Reply {
    const name = info.name!;
    const replicas = isObj(scale) && isObj(scale.spec) ? scale.spec.replicas : undefined;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid('Scale', 'autoscaling', name, [
        { reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0` },
      ]);
    }
    const current = this.#mustGet(rt, info.namespace, name);
    if (precondition && precondition !== current.metadata.resourceVersion) throw staleConflict(rt, name);
    if (this.#dryRun(info)) return { status: 200, body: { ...this.#scaleOf(rt, current), spec: { replicas } } };
    if ((current.spec as Obj | undefined)?.replicas === replicas) return { status: 200, body: this.#scaleOf(rt, current) };
    const next = structuredClone(current) as KObject;
    (next.spec as Obj).replicas = replicas;
    next.metadata.generation = (current.metadata.generation ?? 1) + 1;
    next.metadata.managedFields = recordUpdate(current, next, { ...this.#writer(rt, info), subresource: 'scale' });
    const stored = this.#d.store.update(refOf(rt), next, { precondition });
    return { status: 200, body: this.#scaleOf(rt, stored) };
  }

  /** A new CRD is accepted and established at once, and its kinds are served. */
  #establishCRD(crd: KObject): void {
    const now = this.#d.clock.nowIso();
    const spec = (crd.spec ?? {}) as Obj;
    const versions = Array.isArray(spec.versions) ? (spec.versions as Obj[]) : [];
    (crd as Obj).status = {
      conditions: [
        { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: now },
        { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: now },
      ],
      acceptedNames: spec.names ?? {},
      storedVersions: versions.filter((v) => v.storage).map((v) => v.name),
    };
  }

  #syncCRD(crd: KObject): void {
    const types = crdResourceTypes(crd);
    for (const t of types) {
      const clash = this.#d.registry.all().find((o) => !o.crd && o.group === t.group && o.resource === t.resource);
      if (clash) return;
    }
    this.#d.registry.setCustom(crd.metadata.name!, types);
  }
}

/** Deletions that kubelet (pods) or the namespace controller finish, not the server. */
const GRACEFUL = new Set(['pods', 'namespaces']);

/** Registries whose DELETE answers with the object rather than a Status. */
const RETURNS_OBJECT = new Set(['pods', 'namespaces', 'nodes', 'apps/deployments', 'apps/replicasets', 'services', 'apiextensions.k8s.io/customresourcedefinitions']);

function isTerminal(pod: KObject): boolean {
  const phase = (pod.status as Obj | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

function specChanged(a: KObject, b: KObject): boolean {
  const strip = (o: KObject): Obj => {
    const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o as Obj;
    return rest;
  };
  return JSON.stringify(strip(a)) !== JSON.stringify(strip(b)) || a.metadata.deletionTimestamp !== b.metadata.deletionTimestamp;
}

function sameContent(a: KObject, b: KObject): boolean {
  const norm = (o: KObject): string => JSON.stringify({ ...o, apiVersion: undefined, kind: undefined, metadata: { ...o.metadata, resourceVersion: undefined } });
  return norm(a) === norm(b);
}

/** Lists of built-in kinds carry items without apiVersion/kind, as the real server's typed lists do. */
function listItem(rt: ResourceType, stored: KObject): KObject {
  const w = toWire(rt, stored);
  if (rt.crd) return w;
  const { apiVersion: _a, kind: _k, ...rest } = w;
  return rest as KObject;
}

function warningHeader(warnings: string[]): Record<string, string> | undefined {
  if (!warnings.length) return undefined;
  return { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ') };
}

const keyOf = (o: KObject): string => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!);

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString()) as { v?: string; rv?: number; start?: string };
    if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('bad token');
    return { rv: t.rv, start: t.start };
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

function withoutPaging(q: URLSearchParams): URLSearchParams {
  const c = new URLSearchParams(q);
  c.delete('limit');
  c.delete('continue');
  return c;
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** generateName suffix: 5 characters from the apiserver's alphabet. */
export function randomSuffix(n = 5): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += SUFFIX_ALPHABET[bytes[i] % SUFFIX_ALPHABET.length];
  return s;
}

function randomUUIDLike(): string {
  return crypto.randomUUID();
}

/** What kube-apiserver answers when a write's resourceVersion is not the object's any more. */
function staleConflict(rt: ResourceType, name: string): ApiError {
  return conflict(rt.resource, rt.group, name, 'the object has been modified; please apply your changes to the latest version and try again');
}

const OPTIONS_KIND: Record<string, string> = { create: 'CreateOptions', update: 'UpdateOptions', patch: 'PatchOptions' };

/** PatchOptions validation: apply needs a field manager; only apply may force. Returns `force`. */
function checkPatchOptions(type: string, info: RequestInfo): boolean {
  const raw = info.query.get('force');
  // strconv.ParseBool
  const force = raw !== null && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(raw);
  const manager = info.query.get('fieldManager') ?? '';
  const causes: StatusCause[] = [];
  if (type === 'apply' && !manager) causes.push({ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' });
  if (type !== 'apply' && raw !== null) causes.push({ reason: 'FieldValueForbidden', message: 'Forbidden: may not be specified for non-apply patch', field: 'force' });
  causes.push(...fieldManagerCauses(manager));
  if (causes.length) throw invalid('PatchOptions', 'meta.k8s.io', '', causes);
  return force;
}
