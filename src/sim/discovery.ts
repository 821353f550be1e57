// Discovery documents (/api, /apis, /api/v1, /apis/<g>/<v>) in both the
// legacy form and the aggregated apidiscovery.k8s.io/v2 form kubectl 1.32
// asks for first. Generated from the registry, so CRDs appear as soon as
// they are established.

import type { ResourceType } from './types.ts';

export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-kubeherald-sim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export const AGGREGATED_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** Does the Accept header ask for aggregated discovery (v2 or v2beta1)? */
export function wantsAggregated(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(',')) {
    if (!/as=APIGroupDiscoveryList/.test(part) || !/g=apidiscovery\.k8s\.io/.test(part)) continue;
    if (/v=v2beta1/.test(part)) return 'v2beta1';
    if (/v=v2(;|$)/.test(part)) return 'v2';
  }
  return undefined;
}

function verbsOf(rt: ResourceType): string[] {
  return rt.verbs;
}

function subresourceKind(rt: ResourceType, sub: string): { group: string; version: string; kind: string } {
  if (sub === 'scale') return { group: 'autoscaling', version: 'v1', kind: 'Scale' };
  if (sub === 'eviction') return { group: 'policy', version: 'v1', kind: 'Eviction' };
  if (sub === 'binding') return { group: '', version: 'v1', kind: 'Binding' };
  if (sub === 'token') return { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' };
  return { group: rt.group, version: rt.version, kind: rt.kind };
}

function subresourceVerbs(sub: string): string[] {
  if (sub === 'log') return ['get'];
  if (sub === 'eviction' || sub === 'binding' || sub === 'token') return ['create'];
  return ['get', 'patch', 'update'];
}

export function apiVersions(host: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }],
  };
}

export function apiGroupList(types: ResourceType[]): object {
  const groups = new Map<string, string[]>();
  for (const t of types) {
    if (t.group === '') continue;
    const v = groups.get(t.group) ?? [];
    if (!v.includes(t.version)) v.push(t.version);
    groups.set(t.group, v);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => ({
      name,
      versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
    })),
  };
}

/** The legacy per-group-version resource list; undefined when the group/version is not served. */
export function apiResourceList(types: ResourceType[], group: string, version: string): object | undefined {
  const served = types.filter((t) => t.group === group && t.version === version);
  if (served.length === 0) return undefined;
  const resources: object[] = [];
  for (const t of served) {
    const r: Record<string, unknown> = {
      name: t.resource,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: verbsOf(t),
    };
    if (t.shortNames?.length) r.shortNames = t.shortNames;
    if (t.categories?.length) r.categories = t.categories;
    resources.push(r);
    for (const sub of t.subresources) {
      const k = subresourceKind(t, sub);
      const s: Record<string, unknown> = {
        name: `${t.resource}/${sub}`,
        singularName: '',
        namespaced: t.namespaced,
        kind: k.kind,
        verbs: subresourceVerbs(sub),
      };
      if (k.group !== t.group || k.version !== t.version) {
        s.group = k.group;
        s.version = k.version;
      }
      resources.push(s);
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}

/** GET /api or /apis with Accept asking for APIGroupDiscoveryList. */
export function aggregatedDiscovery(types: ResourceType[], legacy: boolean, apiVersion: 'v2' | 'v2beta1'): object {
  const byGroup = new Map<string, Map<string, ResourceType[]>>();
  for (const t of types) {
    if ((t.group === '') !== legacy) continue;
    const versions = byGroup.get(t.group) ?? new Map<string, ResourceType[]>();
    const list = versions.get(t.version) ?? [];
    list.push(t);
    versions.set(t.version, list);
    byGroup.set(t.group, versions);
  }
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${apiVersion}`,
    metadata: {},
    items: [...byGroup].map(([group, versions]) => ({
      metadata: group ? { name: group } : {},
      versions: [...versions].map(([version, list]) => ({
        version,
        resources: list.map((t) => {
          const r: Record<string, unknown> = {
            resource: t.resource,
            responseKind: { group: t.group, version: t.version, kind: t.kind },
            scope: t.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: t.singular,
            verbs: verbsOf(t),
          };
          if (t.shortNames?.length) r.shortNames = t.shortNames;
          if (t.categories?.length) r.categories = t.categories;
          if (t.subresources.length) {
            r.subresources = t.subresources.map((sub) => ({
              subresource: sub,
              responseKind: subresourceKind(t, sub),
              verbs: subresourceVerbs(sub),
            }));
          }
          return r;
        }),
        freshness: 'Current',
      })),
    })),
  };
}
