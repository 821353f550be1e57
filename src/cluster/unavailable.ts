// A watched resource the API server will not list for us: not served (404:
// an older cluster, a CRD not installed) or forbidden (403: the ClusterRole
// lacks it). Neither heals by itself soon, so the listener starts without
// that resource instead of waiting for it, says once what is missing and how
// to check it, and keeps retrying (the reflector's backoff) in case an
// operator fixes it. Pure: from a list error to what to tell.

import type { ResourceSpec } from './reflector.ts';

export interface Unavailable {
  /** "jobs.batch", "pods": as kubectl and RBAC rules name it */
  resource: string;
  apiVersion: string;
  status: 403 | 404;
  /** one line for logs, metrics and /readyz: what is missing and how to check it */
  detail: string;
}

/** `jobs.batch`, `pods`: the resource as `kubectl auth can-i` takes it. */
export function qualifiedResource(spec: ResourceSpec): string {
  const group = spec.apiVersion.includes('/') ? spec.apiVersion.split('/')[0] : '';
  return group ? `${spec.resource}.${group}` : spec.resource;
}

function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** The user the API server says was refused (its Forbidden message names it), for the can-i hint. */
function refusedUser(err: unknown): string | undefined {
  const body = (err as { body?: unknown } | null)?.body;
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? '');
  const m = /User \\?"([^"\\]+)\\?" cannot/.exec(text);
  return m?.[1];
}

/** The resource as unavailable, or undefined when the error is another kind of failure (network, 5xx, 429). */
export function classifyListError(spec: ResourceSpec, err: unknown): Unavailable | undefined {
  const status = statusOf(err);
  if (status !== 403 && status !== 404) return undefined;
  const resource = qualifiedResource(spec);
  const group = spec.apiVersion.includes('/') ? spec.apiVersion.split('/')[0] : '';
  if (status === 404) {
    return { resource, apiVersion: spec.apiVersion, status, detail: `${resource} (${spec.apiVersion}) is not served by this API server; its detectors are off until it is` };
  }
  const user = refusedUser(err);
  const check = `kubectl auth can-i list ${resource}${user ? ` --as=${user}` : ''}`;
  return {
    resource,
    apiVersion: spec.apiVersion,
    status,
    detail: `forbidden to list ${resource}: the ClusterRole needs get, list, watch on ${spec.resource} in API group "${group}" (check: ${check}); its detectors are off until it has it`,
  };
}
