// Parses an API path into what is being asked, the way the apiserver's
// RequestInfoFactory does, so routing, RBAC and audit all see one answer.

import { URLSearchParams } from 'node:url';
import { ApiError, badRequest } from './errors.ts';

export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  verb: string; // get list watch create update patch delete deletecollection (or the HTTP verb for non-resource paths)
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  subresource?: string;
  name?: string;
  query: URLSearchParams;
  /** the client's User-Agent: names the field manager of a write that gives none */
  userAgent?: string;
}

const methodVerbs: Record<string, string> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  GET: 'get',
  HEAD: 'get',
  DELETE: 'delete',
};

export function parseRequest(method: string, rawUrl: string): RequestInfo {
  const q = rawUrl.indexOf('?');
  const path = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
  const query = new URLSearchParams(q >= 0 ? rawUrl.slice(q + 1) : '');
  const nonResource: RequestInfo = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    group: '',
    version: '',
    resource: '',
    query,
  };
  let parts = path.split('/').filter((p) => p !== '').map(decodeSegment);
  let group: string;
  if (parts[0] === 'api') {
    if (parts.length < 3) return nonResource;
    group = '';
    parts = parts.slice(1);
  } else if (parts[0] === 'apis') {
    if (parts.length < 4) return nonResource;
    group = parts[1];
    parts = parts.slice(2);
  } else {
    return nonResource;
  }
  const version = parts[0];
  parts = parts.slice(1);

  let verb = methodVerbs[method] ?? method.toLowerCase();
  // the deprecated /watch/ prefix still works on real servers
  let watchPath = false;
  if (parts[0] === 'watch') {
    watchPath = true;
    parts = parts.slice(1);
  }

  let namespace: string | undefined;
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1];
    // namespaces/{ns}/{resource}… unless it is the namespace's own subresource
    if (parts.length > 2 && parts[2] !== 'status' && parts[2] !== 'finalize') parts = parts.slice(2);
  }
  const info: RequestInfo = {
    isResourceRequest: true,
    path,
    verb,
    group,
    version,
    namespace,
    resource: parts[0] ?? '',
    name: parts[1],
    subresource: parts[2],
    query,
  };
  if (info.resource === 'namespaces') namespace = info.namespace = undefined;
  if (parts.length > 3) info.subresource = parts.slice(2).join('/');

  if (!info.name) {
    if (verb === 'get') verb = 'list';
    else if (verb === 'delete') verb = 'deletecollection';
  }
  if (watchPath || ((verb === 'list' || verb === 'get') && queryBool(query, 'watch'))) {
    verb = 'watch';
  }
  info.verb = verb;
  return info;
}

/**
 * A boolean query parameter as kube-apiserver reads one (Go's
 * Convert_Slice_string_To_bool): absent is false; a first value of "0" or
 * "false" in any case is false; anything else, even "" or "True", is true.
 * The Python client sends `watch=True`, curl users send `watch=1` or `watch`.
 */
export function queryBool(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  if (v === null) return false;
  return !(v === '0' || v.toLowerCase() === 'false');
}

/**
 * The resourceVersion of a list with resourceVersionMatch=Exact, or
 * undefined for any other list (served from the current state). Rejects what
 * kube-apiserver's ListOptions validation rejects, naming the field.
 */
export function exactListVersion(query: URLSearchParams): number | undefined {
  if (query.get('resourceVersionMatch') !== 'Exact') return undefined;
  const rv = query.get('resourceVersion') ?? '';
  if (rv === '') throw invalidListOptions('resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
  if (rv === '0') throw invalidListOptions('resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
  if (!/^\d+$/.test(rv)) throw badRequest(`resourceVersion: Invalid value: "${rv}": must be a non-negative integer`);
  return Number(rv);
}

function invalidListOptions(detail: string): ApiError {
  const [field] = detail.split(':');
  return new ApiError(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: ${detail}`, {
    group: 'meta.k8s.io',
    kind: 'ListOptions',
    causes: [{ reason: 'FieldValueForbidden', field, message: detail.slice(field.length + 2) }],
  });
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`invalid path segment: ${JSON.stringify(segment)}`);
  }
}
