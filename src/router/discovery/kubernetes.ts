// Plugin instances as Kubernetes sees them: the EndpointSlices of Services
// labelled `kubeherald.io/plugin: <type>` (the EndpointSlice controller
// copies a Service's labels onto its slices, so one label-selected watch of
// slices sees every plugin pod without reading Services or Pods). Listed and
// watched through the project's Reflector, so dropped watches, 410 Gone and
// silent connections lose nothing: after any of them the set is recomputed
// from a cache that matches the server again.
//
// Needs only: list, watch on endpointslices.discovery.k8s.io (cluster-wide,
// or per namespace through a Role when `namespaces` is set).

import type * as k8s from '@kubernetes/client-node';
import { Reflector, type ResourceSpec } from '../../cluster/reflector.ts';
import type { KubeObject } from '../../model/kube.ts';
import type { DiscoverySource, PluginEndpoint } from '../types.ts';
import { diffEndpoints, fingerprint, formatHostPort, pluginTypeProblem, sortEndpoints } from './common.ts';
import type { Logger } from '../../model/logger.ts';

export const PLUGIN_LABEL = 'kubeherald.io/plugin';
/** set by the EndpointSlice controller: the Service a slice belongs to */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const DEFAULT_PORT_NAME = 'grpc';

const ENDPOINTSLICE_SPEC: ResourceSpec = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', resource: 'endpointslices', namespaced: true };

/** The parts of a discovery.k8s.io/v1 EndpointSlice read here. */
export interface EndpointSliceLike {
  metadata: { name?: string; namespace?: string; labels?: Record<string, string> };
  addressType?: string;
  endpoints?: {
    addresses?: string[];
    conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
    targetRef?: { kind?: string; name?: string; namespace?: string; uid?: string } | null;
  }[] | null;
  ports?: { name?: string | null; port?: number | null; protocol?: string | null }[] | null;
}

export interface SliceProblem {
  slice: string;
  problem: string;
}

/**
 * Reads an endpoint's conditions the way the API documents them: ready nil
 * means ready, serving nil defers to ready, terminating nil means not.
 * Returns 'usable', 'draining' (terminating but still serving: in-flight
 * deliveries finish, new ones go elsewhere) or undefined (left out).
 */
export function endpointState(c: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null } | undefined): 'usable' | 'draining' | undefined {
  const ready = c?.ready ?? true;
  const serving = c?.serving ?? ready;
  const terminating = c?.terminating ?? false;
  // a terminating endpoint gets no new work even when reported ready
  // (publishNotReadyAddresses Services keep ready=true while terminating)
  if (terminating) return serving ? 'draining' : undefined;
  return ready ? 'usable' : undefined;
}

/** The port of a slice to dial: `portName`, else the one named grpc, else the only one. */
export function slicePort(slice: EndpointSliceLike, portName?: string): number | { problem: string } | undefined {
  const ports = (slice.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP');
  // a slice without ports has no endpoints yet (the controller's placeholder)
  if (ports.length === 0) return slice.ports?.length ? { problem: 'has no TCP port' } : undefined;
  let chosen;
  if (portName) {
    chosen = ports.find((p) => (p.name ?? '') === portName);
    if (!chosen) return { problem: `has no port named ${JSON.stringify(portName)}` };
  } else {
    chosen = ports.find((p) => p.name === DEFAULT_PORT_NAME) ?? (ports.length === 1 ? ports[0] : undefined);
    if (!chosen) return { problem: `has ${ports.length} ports and none named ${JSON.stringify(DEFAULT_PORT_NAME)}: name the plugin port "grpc" or set portName` };
  }
  const port = chosen.port;
  // a nil port means "all ports", which says nothing about where gRPC is
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return { problem: `port ${JSON.stringify(chosen.name ?? '')} has no usable number` };
  return port;
}

/**
 * The plugin endpoints of a set of slices (pure). Several slices of one
 * Service merge; an endpoint listed twice (a pod moving between slices)
 * counts once, usable over draining; a pod in both the IPv4 and the IPv6
 * slice of a dual-stack Service counts once, by its IPv4 address, so it
 * does not get a double share of deliveries.
 */
export function endpointsFromSlices(slices: readonly EndpointSliceLike[], opts: { portName?: string } = {}): { endpoints: PluginEndpoint[]; problems: SliceProblem[] } {
  const problems: SliceProblem[] = [];
  const byId = new Map<string, PluginEndpoint>();
  // (namespace, service, pod, port) → the id kept for it, and its family
  const byTarget = new Map<string, { id: string; family: string }>();
  for (const slice of slices) {
    const ns = slice.metadata.namespace ?? '';
    const sliceName = `${ns}/${slice.metadata.name ?? ''}`;
    const type = slice.metadata.labels?.[PLUGIN_LABEL] ?? '';
    const typeProblem = pluginTypeProblem(type);
    if (typeProblem) {
      problems.push({ slice: sliceName, problem: `label ${PLUGIN_LABEL}=${JSON.stringify(type)} ${typeProblem}` });
      continue;
    }
    const family = slice.addressType ?? 'IPv4';
    if (family !== 'IPv4' && family !== 'IPv6' && family !== 'FQDN') {
      problems.push({ slice: sliceName, problem: `unknown addressType ${JSON.stringify(family)}` });
      continue;
    }
    if (!slice.endpoints?.length) continue;
    const port = slicePort(slice, opts.portName);
    if (port === undefined) continue;
    if (typeof port !== 'number') {
      problems.push({ slice: sliceName, problem: port.problem });
      continue;
    }
    for (const ep of slice.endpoints) {
      // addresses are fungible; consumers may use the first (API docs)
      const addr = ep.addresses?.[0];
      if (!addr) continue;
      const state = endpointState(ep.conditions);
      if (!state) continue;
      const address = formatHostPort(addr, port);
      const name = ep.targetRef?.name || addr;
      const id = `kubernetes/${ns}/${name}/${address}`;
      const endpoint: PluginEndpoint = { id, type, address, source: 'kubernetes', ...(state === 'draining' ? { draining: true } : {}) };
      const prior = byId.get(id);
      if (prior) {
        if (prior.draining && !endpoint.draining) byId.set(id, endpoint);
        continue;
      }
      if (ep.targetRef?.name && family !== 'FQDN') {
        const target = `${ns}/${slice.metadata.labels?.[SERVICE_NAME_LABEL] ?? ''}/${ep.targetRef.kind ?? ''}/${ep.targetRef.uid || ep.targetRef.name}/${port}`;
        const seen = byTarget.get(target);
        if (seen && seen.family !== family) {
          if (family === 'IPv6') continue;
          byId.delete(seen.id);
        }
        byTarget.set(target, { id, family });
      }
      byId.set(id, endpoint);
    }
  }
  return { endpoints: sortEndpoints(byId.values()), problems };
}

export interface KubernetesSourceOptions {
  kc: k8s.KubeConfig;
  /** watch only these namespaces (one watch each); default: all, with one cluster-wide watch */
  namespaces?: string[];
  log: Logger;
  /** the slice port to dial; default the one named "grpc", else the slice's only port */
  portName?: string;
  /** restart a watch silent (not even a bookmark) this long; default 60 s */
  watchdogMs?: number;
  /** list page size; default 500 */
  pageSize?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface KubernetesSource extends DiscoverySource {
  /** Resolves once every watch has seen the server up to `rv` (numeric versions, as the simulator's): for tests. */
  caughtUp(rv: number): Promise<void>;
  /** list+watch counters of each watch */
  readonly stats: readonly Reflector['stats'][];
}

/** Keep what endpointsFromSlices reads; nothing else of a slice is cached. */
function trimSlice(obj: KubeObject): KubeObject {
  const s = obj as KubeObject & EndpointSliceLike;
  const labels = s.metadata.labels ?? {};
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: {
      name: s.metadata.name,
      namespace: s.metadata.namespace,
      uid: s.metadata.uid,
      resourceVersion: s.metadata.resourceVersion,
      labels: {
        [PLUGIN_LABEL]: labels[PLUGIN_LABEL] ?? '',
        ...(labels[SERVICE_NAME_LABEL] !== undefined ? { [SERVICE_NAME_LABEL]: labels[SERVICE_NAME_LABEL] } : {}),
      },
    },
    addressType: s.addressType,
    endpoints: (s.endpoints ?? []).map((e) => ({
      addresses: e.addresses ?? [],
      conditions: e.conditions ?? {},
      ...(e.targetRef ? { targetRef: { kind: e.targetRef.kind, name: e.targetRef.name, namespace: e.targetRef.namespace, uid: e.targetRef.uid } } : {}),
    })),
    ports: (s.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

/** EndpointSlices of labelled Services as plugin instances. */
export function kubernetesSource(opts: KubernetesSourceOptions): KubernetesSource {
  const reflectors: Reflector[] = [];
  let report: ((endpoints: readonly PluginEndpoint[]) => void) | undefined;
  let last: PluginEndpoint[] = [];
  let lastPrint: string | undefined;
  let pending = false;
  let closed = false;
  // one warning per slice problem, not one per recompute
  let warned = new Set<string>();

  const recompute = (): void => {
    pending = false;
    if (!report || closed) return;
    const slices = reflectors.flatMap((r) => r.list()) as unknown as EndpointSliceLike[];
    const { endpoints, problems } = endpointsFromSlices(slices, { portName: opts.portName || undefined });
    const nowWarned = new Set<string>();
    for (const p of problems) {
      const k = `${p.slice}: ${p.problem}`;
      nowWarned.add(k);
      if (!warned.has(k)) opts.log.warn({ source: 'kubernetes', slice: p.slice, problem: p.problem }, 'EndpointSlice of a plugin Service ignored');
    }
    warned = nowWarned;
    const print = fingerprint(endpoints);
    if (print === lastPrint) return;
    const diff = diffEndpoints(last, endpoints);
    last = endpoints;
    lastPrint = print;
    opts.log.info({ source: 'kubernetes', instances: endpoints.length, ...diff }, 'plugin instances changed');
    report(endpoints);
  };
  // a re-list reconciles many slices in one synchronous burst: report once, after it
  const schedule = (): void => {
    if (pending) return;
    pending = true;
    queueMicrotask(recompute);
  };

  const namespaces = opts.namespaces?.length ? [...new Set(opts.namespaces)] : [undefined];
  return {
    name: 'kubernetes',
    get stats() {
      return reflectors.map((r) => r.stats);
    },
    async start(update) {
      if (report) throw new Error('kubernetes discovery already started');
      for (const namespace of namespaces) {
        const r = new Reflector({
          kc: opts.kc,
          spec: ENDPOINTSLICE_SPEC,
          namespace,
          labelSelector: PLUGIN_LABEL,
          trim: trimSlice,
          watchdogMs: opts.watchdogMs ?? 60_000,
          pageSize: opts.pageSize ?? 500,
          minBackoffMs: opts.minBackoffMs,
          maxBackoffMs: opts.maxBackoffMs,
          log: opts.log,
          onDelta: () => {
            if (report) schedule();
          },
        });
        reflectors.push(r);
        r.start();
      }
      await Promise.all(reflectors.map((r) => r.synced));
      if (closed) return;
      report = update;
      // the first set is always reported (lastPrint is unset), even when empty
      recompute();
    },
    async caughtUp(rv) {
      await Promise.all(reflectors.map((r) => r.waitForVersion(rv)));
      // let a recompute scheduled by the last delta run first
      await new Promise<void>((r) => queueMicrotask(r));
    },
    async close() {
      closed = true;
      for (const r of reflectors) r.stop();
    },
  };
}
