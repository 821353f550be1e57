// Parses an API path into what is being asked, the way the apiserver's
// RequestInfoFactory does, so routing, RBAC and audit all see one answer.

import { URLSearchParams } from 'node:url';
import { badRequest } from './errors.ts';

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
  const watchParam = query.get('watch');
  if (watchPath || ((verb === 'list' || verb === 'get') && (watchParam === 'true' || watchParam === '1'))) {
    verb = 'watch';
  }
  info.verb = verb;
  return info;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`invalid path segment: ${JSON.stringify(segment)}`);
  }
}
