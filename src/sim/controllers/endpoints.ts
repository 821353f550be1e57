// The Endpoints and EndpointSlice controllers of kube-controller-manager
// (pkg/controller/endpoint, k8s.io/endpointslice): for every Service with a
// selector, a core/v1 Endpoints of the same name and discovery.k8s.io/v1
// EndpointSlices listing the selected pods that have an IP. Clients that
// discover backends (kube-proxy, kubeherald's plugin discovery) watch these,
// so readiness changes must land in the same virtual instant as the pod's.
//
// What follows the real controllers closely: which pods count
// (ShouldPodBeInEndpoints), ready vs notReadyAddresses, ready/serving/
// terminating conditions, named targetPort resolution (FindPort), slices
// grouped by resolved port set with at most 100 endpoints each, the
// placeholder slice of a Service without endpoints, service labels copied,
// the last-change-trigger-time annotation (TriggerTimeTracker) and writes
// skipped when nothing changed. Left out: topology hints, traffic
// distribution, the 1000-address truncation of Endpoints, the mirroring
// controller for selector-less Services.

import { isoSeconds } from '../clock.ts';
import { ENDPOINTS, ENDPOINTSLICES, NODES, PODS, SERVICES } from '../refs.ts';
import type { SimContext } from '../scenario.ts';
import type { Change } from '../store.ts';
import type { KObject, OwnerReference } from '../types.ts';
import { isPodReady, namespaceAcceptsCreates, newControllerRef, nsKey, randomString, sortedMap, splitKey, WorkQueue } from './replicaset.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const ENDPOINTSLICE_CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** kube-controller-manager's --max-endpoints-per-slice default */
export const MAX_ENDPOINTS_PER_SLICE = 100;

const RESERVED_SLICE_LABELS = [SERVICE_NAME_LABEL, MANAGED_BY_LABEL, HEADLESS_LABEL];

// ---------------------------------------------------------------- shapes

export interface ServicePort {
  name?: string;
  protocol?: string;
  appProtocol?: string;
  port: number;
  targetPort?: number | string;
}

export interface Service extends KObject {
  spec?: {
    selector?: Record<string, string> | null;
    ports?: ServicePort[];
    clusterIP?: string;
    type?: string;
    ipFamilies?: string[];
    publishNotReadyAddresses?: boolean;
  };
}

interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

interface PodShape extends KObject {
  spec?: {
    nodeName?: string;
    hostname?: string;
    subdomain?: string;
    containers?: { ports?: ContainerPort[] }[];
    initContainers?: { ports?: ContainerPort[]; restartPolicy?: string }[];
  };
  status?: {
    phase?: string;
    podIP?: string;
    podIPs?: { ip: string }[];
    conditions?: { type: string; status: string; lastTransitionTime?: string }[];
  };
}

export interface ObjectRef {
  kind: 'Pod';
  namespace: string;
  name: string;
  uid: string;
}

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef: ObjectRef;
}

export interface CoreEndpointPort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: CoreEndpointPort[];
}

export interface SliceEndpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  hostname?: string;
  targetRef: ObjectRef;
  nodeName?: string;
  zone?: string;
}

export interface SlicePort {
  name: string;
  protocol: string;
  port: number;
  appProtocol?: string;
}

export interface EndpointSlice extends KObject {
  addressType: string;
  endpoints: SliceEndpoint[] | null;
  ports: SlicePort[] | null;
}

// ---------------------------------------------------------------- pure rules

/** A Service the controllers manage: it has a selector (ExternalName ones get no slices). */
export function serviceSelector(svc: Service): Record<string, string> | undefined {
  const sel = svc.spec?.selector;
  return sel && Object.keys(sel).length > 0 ? sel : undefined;
}

/** labels.SelectorFromSet: every key of the Service's selector, with its value. */
export function selects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  if (!labels) return false;
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}

const isTerminal = (pod: PodShape): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** endpointsliceutil.ShouldPodBeInEndpoints: finished pods and pods without an IP never count. */
export function shouldPodBeInEndpoints(pod: KObject, includeTerminating: boolean): boolean {
  const p = pod as PodShape;
  if (isTerminal(p)) return false;
  if (!p.status?.podIP && !p.status?.podIPs?.length) return false;
  if (!includeTerminating && p.metadata.deletionTimestamp) return false;
  return true;
}

/**
 * FindPort: a numeric targetPort is used as is; a named one is looked up
 * among the containers' (and restartable init containers') ports with the
 * same protocol. undefined when it cannot be resolved (the port is skipped).
 */
export function findPort(pod: KObject, svcPort: ServicePort): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = svcPort.protocol ?? 'TCP';
  const spec = (pod as PodShape).spec ?? {};
  const candidates = [
    ...(spec.containers ?? []),
    ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
  ];
  for (const c of candidates) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

const isHeadless = (svc: Service): boolean => !svc.spec?.clusterIP || svc.spec.clusterIP === 'None';

/** ShouldSetHostname: pods with hostname and subdomain naming this Service. */
function hostnameFor(pod: PodShape, svc: Service): string | undefined {
  const spec = pod.spec ?? {};
  if (spec.hostname && spec.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace) return spec.hostname;
  return undefined;
}

function podRef(pod: KObject): ObjectRef {
  return { kind: 'Pod', namespace: pod.metadata.namespace!, name: pod.metadata.name!, uid: pod.metadata.uid! };
}

function podIPv4(pod: PodShape): string | undefined {
  const ips = pod.status?.podIPs?.map((p) => p.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : []);
  return ips.find((ip) => !ip.includes(':'));
}

/**
 * The endpoints controller's subsets: one entry per (pod, port), then
 * repacked so pods offering the same ports share a subset (RepackSubsets);
 * addresses sorted by IP then pod uid, as SortSubsets does.
 */
export function endpointSubsets(svc: Service, pods: KObject[]): EndpointSubset[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const ports = svc.spec?.ports ?? [];
  // port-set key → ready and not-ready addresses, in first-seen order
  const groups = new Map<string, { ports: CoreEndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const pod of pods) {
    const p = pod as PodShape;
    if (!shouldPodBeInEndpoints(p, publishNotReady)) continue;
    const ip = podIPv4(p);
    if (!ip) continue;
    // field order as the API server serializes an EndpointAddress
    const hostname = hostnameFor(p, svc);
    const address: EndpointAddress = { ip, ...(hostname ? { hostname } : {}), nodeName: p.spec?.nodeName ?? '', targetRef: podRef(p) };
    let resolved: CoreEndpointPort[];
    if (ports.length === 0) {
      // only headless Services may have no ports
      if (!isHeadless(svc)) continue;
      resolved = [];
    } else {
      resolved = [];
      for (const sp of ports) {
        const port = findPort(p, sp);
        if (port === undefined) continue;
        resolved.push({
          ...(sp.name ? { name: sp.name } : {}),
          port,
          protocol: sp.protocol ?? 'TCP',
          ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}),
        });
      }
      if (resolved.length === 0) continue;
    }
    const key = JSON.stringify(resolved);
    let g = groups.get(key);
    if (!g) {
      g = { ports: resolved, ready: [], notReady: [] };
      groups.set(key, g);
    }
    (publishNotReady || isPodReady(p) ? g.ready : g.notReady).push(address);
  }
  const byIpAndUid = (a: EndpointAddress, b: EndpointAddress): number =>
    a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.targetRef.uid < b.targetRef.uid ? -1 : a.targetRef.uid > b.targetRef.uid ? 1 : 0;
  const subsets: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const s: EndpointSubset = {};
    if (g.ready.length) s.addresses = g.ready.sort(byIpAndUid);
    if (g.notReady.length) s.notReadyAddresses = g.notReady.sort(byIpAndUid);
    if (g.ports.length) s.ports = g.ports;
    subsets.push(s);
  }
  return subsets;
}

/** getEndpointPorts: every service port that resolves for this pod; a pod's port set picks its slice. */
export function slicePorts(svc: Service, pod: KObject): SlicePort[] {
  const out: SlicePort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const p: SlicePort = { name: sp.name ?? '', protocol: sp.protocol ?? 'TCP', port };
    if (sp.appProtocol) p.appProtocol = sp.appProtocol;
    out.push(p);
  }
  return out;
}

/** podToEndpoint: a terminating pod is never ready, but still serving while its Ready condition holds. */
export function sliceEndpoint(svc: Service, pod: KObject, node: KObject | undefined): SliceEndpoint | undefined {
  const p = pod as PodShape;
  const ip = podIPv4(p);
  if (!ip) return undefined;
  const serving = isPodReady(p);
  const terminating = !!p.metadata.deletionTimestamp;
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const hostname = hostnameFor(p, svc);
  // field order as the API server serializes a discovery/v1 Endpoint
  const ep: SliceEndpoint = { addresses: [ip], conditions: { ready, serving, terminating }, ...(hostname ? { hostname } : {}), targetRef: podRef(p) };
  if (p.spec?.nodeName) ep.nodeName = p.spec.nodeName;
  const zone = node?.metadata.labels?.[ZONE_LABEL];
  if (zone) ep.zone = zone;
  return ep;
}

/** setEndpointSliceLabels: the Service's labels (reserved ones skipped) plus the controller's own. */
export function sliceLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) if (!RESERVED_SLICE_LABELS.includes(k)) labels[k] = v;
  if (isHeadless(svc)) labels[HEADLESS_LABEL] = '';
  labels[SERVICE_NAME_LABEL] = svc.metadata.name!;
  labels[MANAGED_BY_LABEL] = ENDPOINTSLICE_CONTROLLER_NAME;
  return sortedMap(labels)!;
}

/** The endpoints controller's labels: the Service's, with the headless marker added or removed. */
function endpointsLabels(svc: Service): Record<string, string> | undefined {
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  if (isHeadless(svc)) labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return Object.keys(labels).length ? sortedMap(labels) : undefined;
}

/** getAddressTypesForService: from spec.ipFamilies, else from the cluster IP. */
function addressTypes(svc: Service): string[] {
  const fams = svc.spec?.ipFamilies ?? [];
  const out = fams.filter((f) => f === 'IPv4' || f === 'IPv6');
  if (out.length) return out;
  const ip = svc.spec?.clusterIP;
  if (ip && ip !== 'None') return [ip.includes(':') ? 'IPv6' : 'IPv4'];
  return ['IPv4', 'IPv6'];
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** EndpointSet identity: the same pod at the same address, whatever its conditions. */
const endpointKey = (e: SliceEndpoint): string => `${e.targetRef.uid}/${e.addresses.join(',')}`;

// ---------------------------------------------------------------- trigger times

interface TriggerState {
  pods: Map<string, number>;
  service: number;
}

/**
 * TriggerTimeTracker.ComputeEndpointLastChangeTriggerTime: the oldest pod
 * (Ready transition) or Service (creation) change not yet reflected; 0 for a
 * Service seen for the first time or when nothing relevant changed.
 */
class TriggerTimeTracker {
  #states = new Map<string, TriggerState>();

  compute(key: string, svc: Service, pods: KObject[]): number {
    const state = this.#states.get(key);
    let min = 0;
    const consider = (t: number): void => {
      if (t > 0 && (min === 0 || t < min)) min = t;
    };
    const podTimes = new Map<string, number>();
    for (const pod of pods) {
      const ready = (pod as PodShape).status?.conditions?.find((c) => c.type === 'Ready');
      const t = ready?.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : 0;
      if (!t) continue;
      podTimes.set(pod.metadata.name!, t);
      if (t > (state?.pods.get(pod.metadata.name!) ?? 0)) consider(t);
    }
    const svcTime = svc.metadata.creationTimestamp ? Date.parse(svc.metadata.creationTimestamp) : 0;
    if (svcTime > (state?.service ?? 0)) consider(svcTime);
    this.#states.set(key, { pods: podTimes, service: svcTime });
    return state ? min : 0;
  }

  forget(key: string): void {
    this.#states.delete(key);
  }
}

function setTriggerTime(meta: KObject['metadata'], t: number): void {
  const annotations = { ...(meta.annotations ?? {}) };
  if (t) annotations[TRIGGER_TIME_ANNOTATION] = isoSeconds(t);
  else delete annotations[TRIGGER_TIME_ANNOTATION];
  if (Object.keys(annotations).length) meta.annotations = sortedMap(annotations);
  else delete meta.annotations;
}

// ---------------------------------------------------------------- the controllers

/** Starts the Endpoints and EndpointSlice controllers; returns the function that stops them. */
export function startEndpointControllers(ctx: SimContext, opts: { random?: () => number } = {}): () => void {
  return new EndpointControllers(ctx, opts.random ?? Math.random).start();
}

class EndpointControllers {
  #ctx: SimContext;
  #random: () => number;
  #queue: WorkQueue;
  /** namespace → name → object: informer caches, so a sync never scans the whole store */
  #pods = new Map<string, Map<string, KObject>>();
  #services = new Map<string, Map<string, Service>>();
  #triggers = new TriggerTimeTracker();
  /** set while we write slices: our own echoes need no resync (EndpointSliceTracker) */
  #writing = false;

  constructor(ctx: SimContext, random: () => number) {
    this.#ctx = ctx;
    this.#random = random;
    this.#queue = new WorkQueue(ctx.clock, (key) => this.#sync(key));
  }

  start(): () => void {
    const { store } = this.#ctx;
    for (const pod of store.list(PODS.storage)) this.#cache(this.#pods, pod);
    for (const svc of store.list(SERVICES.storage)) {
      this.#cache(this.#services, svc);
      this.#queue.add(nsKey(svc.metadata.namespace, svc.metadata.name!));
    }
    const unsubscribe = store.subscribe((c) => this.#onChange(c));
    return () => {
      unsubscribe();
      this.#queue.stop();
    };
  }

  #cache<T extends KObject>(cache: Map<string, Map<string, T>>, obj: T, gone = false): void {
    const ns = obj.metadata.namespace ?? '';
    let m = cache.get(ns);
    if (gone) {
      m?.delete(obj.metadata.name!);
      if (m?.size === 0) cache.delete(ns);
      return;
    }
    if (!m) {
      m = new Map();
      cache.set(ns, m);
    }
    m.set(obj.metadata.name!, obj);
  }

  // Listeners run inside the writer's call: only bookkeeping here, the
  // work queue syncs at the same virtual instant.
  #onChange(c: Change): void {
    const meta = c.object.metadata;
    switch (c.storage) {
      case PODS.storage: {
        this.#cache(this.#pods, c.object, c.type === 'DELETED');
        for (const svc of this.#services.get(meta.namespace ?? '')?.values() ?? []) {
          const sel = serviceSelector(svc);
          if (sel && (selects(sel, meta.labels) || selects(sel, c.prev?.metadata.labels))) this.#queue.add(nsKey(meta.namespace, svc.metadata.name!));
        }
        return;
      }
      case SERVICES.storage:
        this.#cache(this.#services, c.object as Service, c.type === 'DELETED');
        this.#queue.add(nsKey(meta.namespace, meta.name!));
        return;
      case ENDPOINTS.storage:
        // someone else deleted an Endpoints we maintain: put it back
        if (c.type === 'DELETED' && this.#services.get(meta.namespace ?? '')?.has(meta.name!)) this.#queue.add(nsKey(meta.namespace, meta.name!));
        return;
      case ENDPOINTSLICES.storage: {
        if (this.#writing) return;
        const svcName = meta.labels?.[SERVICE_NAME_LABEL] ?? c.prev?.metadata.labels?.[SERVICE_NAME_LABEL];
        const managed = meta.labels?.[MANAGED_BY_LABEL] === ENDPOINTSLICE_CONTROLLER_NAME || c.prev?.metadata.labels?.[MANAGED_BY_LABEL] === ENDPOINTSLICE_CONTROLLER_NAME;
        if (svcName && managed) this.#queue.add(nsKey(meta.namespace, svcName));
        return;
      }
    }
  }

  #sync(key: string): void {
    const [ns, name] = splitKey(key);
    const svc = this.#ctx.store.get(SERVICES.storage, ns, name) as Service | undefined;
    if (!svc) {
      // EndpointSlices go with their owner through the garbage collector; Endpoints have no owner
      this.#triggers.forget(key);
      if (this.#ctx.store.get(ENDPOINTS.storage, ns, name)) this.#ctx.store.delete(ENDPOINTS, ns, name);
      return;
    }
    const selector = serviceSelector(svc);
    if (!selector) return;
    const pods = [...(this.#pods.get(ns)?.values() ?? [])]
      .filter((p) => selects(selector, p.metadata.labels))
      .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
    const trigger = this.#triggers.compute(key, svc, pods);
    this.#syncEndpoints(svc, pods, trigger);
    if (svc.spec?.type !== 'ExternalName') this.#syncSlices(svc, pods, trigger);
  }

  #syncEndpoints(svc: Service, pods: KObject[], trigger: number): void {
    const { store } = this.#ctx;
    const ns = svc.metadata.namespace!;
    const name = svc.metadata.name!;
    const subsets = endpointSubsets(svc, pods);
    const labels = endpointsLabels(svc);
    const current = store.get(ENDPOINTS.storage, ns, name);
    if (current) {
      if (same(current.subsets, subsets.length ? subsets : undefined) && same(current.metadata.labels, labels)) return;
      store.mutate(ENDPOINTS, ns, name, (ep) => {
        if (labels) ep.metadata.labels = labels;
        else delete ep.metadata.labels;
        setTriggerTime(ep.metadata, trigger);
        if (subsets.length) ep.subsets = subsets;
        else delete ep.subsets;
      });
      return;
    }
    if (!namespaceAcceptsCreates(store, ns)) return;
    const ep: KObject = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: ns } };
    if (labels) ep.metadata.labels = labels;
    setTriggerTime(ep.metadata, trigger);
    if (subsets.length) ep.subsets = subsets;
    store.create(ENDPOINTS, ep);
  }

  #syncSlices(svc: Service, pods: KObject[], trigger: number): void {
    const { store } = this.#ctx;
    const ns = svc.metadata.namespace!;
    const existing = (store.list(ENDPOINTSLICES.storage, ns) as EndpointSlice[]).filter(
      (s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === svc.metadata.name && s.metadata.labels?.[MANAGED_BY_LABEL] === ENDPOINTSLICE_CONTROLLER_NAME,
    );
    const types = addressTypes(svc);
    const plan: SlicePlan = { create: [], update: [], delete: [] };
    for (const s of existing) if (!types.includes(s.addressType)) plan.delete.push(s);
    for (const type of types) this.#reconcileAddressType(svc, pods, existing.filter((s) => s.addressType === type), type, plan);
    this.#finalize(svc, plan, trigger);
  }

  /** reconcileByAddressType: desired endpoints grouped by port set, fitted into the existing slices. */
  #reconcileAddressType(svc: Service, pods: KObject[], existing: EndpointSlice[], addressType: string, plan: SlicePlan): void {
    const owned = (s: EndpointSlice): boolean =>
      (s.metadata.ownerReferences ?? []).some((o) => o.uid === svc.metadata.uid && o.kind === 'Service' && o.apiVersion === 'v1');
    const existingByPorts = new Map<string, EndpointSlice[]>();
    const toDelete: EndpointSlice[] = [];
    for (const s of existing) {
      if (!owned(s)) {
        toDelete.push(s);
        continue;
      }
      const k = JSON.stringify(s.ports ?? []);
      existingByPorts.set(k, [...(existingByPorts.get(k) ?? []), s]);
    }
    const desired = new Map<string, { ports: SlicePort[]; endpoints: Map<string, SliceEndpoint> }>();
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, true)) continue;
      // pods on a node that does not exist are left out until the pod GC removes them
      const nodeName = (pod as PodShape).spec?.nodeName;
      const node = nodeName ? this.#ctx.store.get(NODES.storage, undefined, nodeName) : undefined;
      if (!node && svc.spec?.publishNotReadyAddresses !== true) continue;
      const ports = slicePorts(svc, pod);
      const k = JSON.stringify(ports);
      let group = desired.get(k);
      if (!group) {
        group = { ports, endpoints: new Map() };
        desired.set(k, group);
      }
      // only IPv4 pod addresses exist in the simulator
      const ep = addressType === 'IPv4' ? sliceEndpoint(svc, pod, node) : undefined;
      if (ep) group.endpoints.set(endpointKey(ep), ep);
    }
    const created: EndpointSlice[] = [];
    for (const [k, group] of desired) {
      const r = this.#reconcilePorts(svc, existingByPorts.get(k) ?? [], group.endpoints, group.ports, addressType);
      created.push(...r.create);
      plan.update.push(...r.update);
      toDelete.push(...r.delete);
    }
    for (const [k, slices] of existingByPorts) if (!desired.has(k)) toDelete.push(...slices);
    // a Service without endpoints keeps one empty placeholder slice
    if (existing.length === toDelete.length && created.length === 0) {
      const placeholder = this.#newSlice(svc, [], addressType);
      const reusable = toDelete.length === 1 && owned(toDelete[0]) && !toDelete[0].endpoints?.length && !toDelete[0].ports?.length && same(toDelete[0].metadata.labels, placeholder.metadata.labels);
      if (reusable) toDelete.length = 0;
      else created.push(placeholder);
    }
    plan.create.push(...created);
    plan.delete.push(...toDelete);
  }

  /** reconcileByPortMapping: keep slices in place, drop gone endpoints, fill up before creating. */
  #reconcilePorts(svc: Service, existing: EndpointSlice[], desired: Map<string, SliceEndpoint>, ports: SlicePort[], addressType: string) {
    const labels = sliceLabels(svc);
    const update: EndpointSlice[] = [];
    const unchanged: EndpointSlice[] = [];
    const del: EndpointSlice[] = [];
    for (const s of existing) {
      const kept: SliceEndpoint[] = [];
      let changed = false;
      for (const e of s.endpoints ?? []) {
        const want = desired.get(endpointKey(e));
        if (!want) continue;
        kept.push(want);
        if (!same(want, e)) changed = true;
        desired.delete(endpointKey(e));
      }
      if (changed || kept.length !== (s.endpoints ?? []).length) {
        if (kept.length === 0) del.push(s);
        else update.push({ ...structuredClone(s), metadata: { ...structuredClone(s.metadata), labels }, endpoints: kept });
      } else if (!same(s.metadata.labels, labels)) {
        update.push({ ...structuredClone(s), metadata: { ...structuredClone(s.metadata), labels } });
      } else {
        unchanged.push(s);
      }
    }
    const remaining = [...desired.values()];
    // fill the slices being updated anyway, fullest first
    for (const s of [...update].sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0))) {
      while (remaining.length && s.endpoints!.length < MAX_ENDPOINTS_PER_SLICE) s.endpoints!.push(remaining.shift()!);
    }
    const create: EndpointSlice[] = [];
    while (remaining.length) {
      let fill: EndpointSlice | undefined;
      if (remaining.length < MAX_ENDPOINTS_PER_SLICE && unchanged.length) {
        fill = sliceToFill(unchanged, remaining.length);
        if (fill) {
          unchanged.splice(unchanged.indexOf(fill), 1);
          fill = { ...structuredClone(fill), endpoints: [...(fill.endpoints ?? [])] };
          update.push(fill);
        }
      }
      if (!fill) {
        fill = this.#newSlice(svc, ports, addressType);
        create.push(fill);
      }
      const endpoints = (fill.endpoints ??= []);
      while (remaining.length && endpoints.length < MAX_ENDPOINTS_PER_SLICE) endpoints.push(remaining.shift()!);
    }
    return { create, update, delete: del };
  }

  #newSlice(svc: Service, ports: SlicePort[], addressType: string): EndpointSlice {
    const ownerRef: OwnerReference = newControllerRef(svc, 'v1', 'Service');
    return {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { generateName: `${svc.metadata.name}-`, namespace: svc.metadata.namespace, labels: sliceLabels(svc), ownerReferences: [ownerRef] },
      addressType,
      endpoints: [],
      ports,
    };
  }

  /** finalize: creates become updates of slices that would be deleted; writes go to the store. */
  #finalize(svc: Service, plan: SlicePlan, trigger: number): void {
    for (let i = 0; i < plan.delete.length && plan.create.length; ) {
      const victim = plan.delete[i];
      const slice = plan.create[plan.create.length - 1];
      const owned = (victim.metadata.ownerReferences ?? []).some((o) => o.uid === svc.metadata.uid);
      if (victim.addressType === slice.addressType && owned) {
        plan.create.pop();
        plan.update.push({ ...slice, metadata: { ...structuredClone(victim.metadata), labels: slice.metadata.labels } });
        plan.delete.splice(i, 1);
      } else {
        i++;
      }
    }
    this.#writing = true;
    try {
      this.#write(svc, plan, trigger);
    } finally {
      this.#writing = false;
    }
  }

  #write(svc: Service, plan: SlicePlan, trigger: number): void {
    const { store } = this.#ctx;
    const ns = svc.metadata.namespace!;
    // no new slices for a Service on its way out: the garbage collector is removing them
    if (!svc.metadata.deletionTimestamp && namespaceAcceptsCreates(store, ns)) {
      for (const slice of plan.create) {
        const obj = stored(slice, trigger);
        let name: string;
        do name = slice.metadata.generateName + randomString(5, this.#random);
        while (store.get(ENDPOINTSLICES.storage, ns, name));
        obj.metadata.name = name;
        store.create(ENDPOINTSLICES, obj);
      }
    }
    for (const slice of plan.update) {
      const cur = store.get(ENDPOINTSLICES.storage, ns, slice.metadata.name!) as EndpointSlice | undefined;
      if (!cur) continue;
      const obj = stored(slice, trigger);
      // a change of the slice's content (not only its metadata) is a new generation
      const contentChanged = !same(cur.endpoints, obj.endpoints) || !same(cur.ports, obj.ports);
      obj.metadata.generation = (cur.metadata.generation ?? 1) + (contentChanged ? 1 : 0);
      store.update(ENDPOINTSLICES, obj);
    }
    for (const slice of plan.delete) {
      if (!store.get(ENDPOINTSLICES.storage, ns, slice.metadata.name!)) continue;
      store.delete(ENDPOINTSLICES, ns, slice.metadata.name!);
    }
  }
}

interface SlicePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

/** getSliceToFill: the unchanged slice that will be closest to full. */
function sliceToFill(slices: EndpointSlice[], n: number): EndpointSlice | undefined {
  let best: EndpointSlice | undefined;
  let bestDiff = MAX_ENDPOINTS_PER_SLICE;
  for (const s of slices) {
    const diff = MAX_ENDPOINTS_PER_SLICE - (n + (s.endpoints?.length ?? 0));
    if (diff >= 0 && diff < bestDiff) {
      bestDiff = diff;
      best = s;
      if (diff === 0) break;
    }
  }
  return best;
}

/**
 * The slice as the API server returns it: the controller sends empty lists,
 * which come back as null after a round trip through protobuf storage.
 */
function stored(slice: EndpointSlice, trigger: number): EndpointSlice {
  const metadata = { ...structuredClone(slice.metadata) };
  setTriggerTime(metadata, trigger);
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata,
    addressType: slice.addressType,
    endpoints: slice.endpoints?.length ? slice.endpoints : null,
    ports: slice.ports?.length ? slice.ports : null,
  };
}
